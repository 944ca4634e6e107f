//! The parity runner behind `cargo xtask parity`: runs every scenario,
//! prints the table, writes `<target>/parity/report.{md,json}` and
//! `<target>/notebook/torch.json` (`--target-dir`), and exits non-zero on any mismatch.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ferrograd_data::notebook::{Neuron, NeuronOut, OracleNeuron, ORACLE_FILE};
use ferrograd_program::{coverage, examples, Program};
use ferrograd_torch::exact;
use ferrograd_torch::program::run_program;
use ferrograd_torch::report::Report;
use ferrograd_torch::suite::{self, Options};
use ferrograd_torch::tensor_suite;
use ferrograd_torch::{Precision, Target};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(about = "Every ferrograd engine against libtorch")]
struct Args {
    /// Random programs per float type.
    #[arg(long, default_value_t = 10_000)]
    programs: usize,
    /// Seed of the first random program.
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Random tensor programs per float type.
    #[arg(long, default_value_t = 2_000)]
    tensor_programs: usize,
    /// Random networks per (activation, loss) pair.
    #[arg(long, default_value_t = 4)]
    networks: usize,
    /// Steps per training trajectory.
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// Also compare against libtorch on CUDA when it sees a GPU.
    #[arg(long)]
    cuda: bool,
    /// Only show one random program (by seed) on every backend, with the
    /// values of its registers, and exit.
    #[arg(long)]
    show: Option<u64>,
    /// With `--show`: cut the program after this register.
    #[arg(long)]
    prefix: Option<usize>,
    /// The invoking checkout's target folder: the report goes to its
    /// `parity/`, the notebook's PyTorch cell to its `notebook/` (default:
    /// `CARGO_TARGET_DIR`, else the `target/` of the workspace `cargo run`
    /// started this from). `cargo xtask parity` always passes it.
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// Where report.md and report.json go (default: <target-dir>/parity).
    #[arg(long)]
    out: Option<PathBuf>,
    /// `scripts/exact.py`: with it, every program is also checked against
    /// its exact value (mpmath); without it those rows are left out.
    #[arg(long)]
    exact_script: Option<PathBuf>,
    /// A Python that can `import mpmath`, for `--exact-script`.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Ordinary random programs per float type checked against the exact value.
    #[arg(long, default_value_t = 3_000)]
    exact_random: usize,
    /// Hard-region programs per float type checked against the exact value.
    #[arg(long, default_value_t = 3_000)]
    exact_hard: usize,
    /// Perturbed runs per program for the conditioning estimate.
    #[arg(long, default_value_t = 4)]
    exact_samples: usize,
}

/// Where outputs go, decided at run time: this binary is built in a folder
/// shared by every checkout, so a path fixed when it was compiled could name
/// another checkout.
fn target_dir(arg: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = arg {
        return Ok(dir);
    }
    let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
    if let Some(dir) = env("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    // `cargo run` names this package's folder, crates/torch, at run time.
    if let Some(manifest) = env("CARGO_MANIFEST_DIR") {
        let root = PathBuf::from(manifest).join("../..");
        return Ok(root.canonicalize().unwrap_or(root).join("target"));
    }
    anyhow::bail!(
        "no target folder for the outputs: pass --target-dir (or run through `cargo xtask parity`)"
    )
}

/// The notebook's PyTorch section, for the notebook page, into `dir`.
fn write_notebook_json(dir: &Path) -> Result<()> {
    let nb = examples::notebook_neuron();
    let out = run_program(&nb.program, Target::cpu(Precision::F64))?;
    let grad = |name: &str| {
        nb.input_names
            .iter()
            .position(|n| *n == name)
            .map(|i| out.grads[i])
            .with_context(|| format!("the notebook's neuron has no input {name}"))
    };
    let [x1, x2, w1, w2, b] = Neuron::<f64>::LABELS;
    let run = OracleNeuron {
        device: "cpu".into(),
        out: NeuronOut {
            o: out.value,
            grad: Neuron {
                x1: grad(x1)?,
                x2: grad(x2)?,
                w1: grad(w1)?,
                w2: grad(w2)?,
                b: grad(b)?,
            },
        },
    };
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(ORACLE_FILE), run.to_json())?;
    Ok(())
}

/// `--show SEED`: one random program on every backend (and its exact value
/// when the oracle is given).
fn show(seed: u64, prefix: Option<usize>, exact_oracle: Option<&exact::Oracle>) -> Result<()> {
    let (_, mut p) = suite::random_programs(seed, 1).remove(0);
    if let Some(last) = prefix {
        p = p.truncated(last);
    }
    println!("{p}\n");
    let regs = p.eval_f64()?;
    for (i, (instr, v)) in p.instrs.iter().zip(&regs).enumerate() {
        println!("r{i:<4} {:<8} {v:e}", instr.name());
    }
    for precision in Precision::ALL {
        let engine = suite::scalar_engine(precision)(&p)?;
        let oracle = run_program(&p, Target::cpu(precision))?;
        println!(
            "{}: scalar {engine:?}\n{}: libtorch {oracle:?}",
            precision.name(),
            precision.name()
        );
        if let Some(o) = exact_oracle {
            let r = o
                .start(&[exact::rounded(&p, precision)], precision)?
                .finish()?;
            println!("{}: exact {:?}", precision.name(), r[0]);
        }
    }
    Ok(())
}

/// One line: how many instructions of each operation `programs` hold.
fn op_coverage<'a>(what: &str, programs: impl Iterator<Item = &'a Program>) -> String {
    let counts: Vec<String> = coverage(programs)
        .into_iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    format!("op coverage, {what}: {}", counts.join(", "))
}

fn main() -> Result<ExitCode> {
    let args = Args::parse();
    let start = Instant::now();
    // One thread: results must not depend on the machine's core count.
    tch::set_num_threads(1);
    let target = target_dir(args.target_dir.clone())?;
    let opts = Options {
        programs: args.programs,
        first_seed: args.first_seed,
        networks: args.networks,
        steps: args.steps,
        cuda: args.cuda,
        exact: args.exact_script.as_ref().map(|script| exact::Oracle {
            python: args.python.clone(),
            script: script.clone(),
            samples: args.exact_samples,
        }),
    };
    let mut targets: Vec<Target> = Precision::ALL.iter().map(|&p| Target::cpu(p)).collect();
    if opts.cuda {
        match Precision::ALL
            .iter()
            .map(|&p| Target::cuda(p))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(gpu) => targets.extend(gpu),
            Err(e) => eprintln!("parity: CUDA rows skipped: {e}"),
        }
    }
    if let Some(seed) = args.show {
        show(seed, args.prefix, opts.exact.as_ref())?;
        return Ok(ExitCode::SUCCESS);
    }
    // mpmath is slow; it works in the background while libtorch runs.
    let started = match &opts.exact {
        Some(o) => Precision::ALL
            .iter()
            .map(|&p| exact::start(o, p, opts.first_seed, args.exact_random, args.exact_hard))
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            eprintln!(
                "parity: no --exact-script, so the rows against the exact value are left out"
            );
            Vec::new()
        }
    };
    let mlp_cases = suite::mlp_cases(opts.networks)?;
    let total = targets.len()
        * (opts.programs + examples::all().len() + examples::bad_inputs().len())
        + targets.len() * args.tensor_programs
        + targets.len() * mlp_cases.len()
        + targets.len() * 4;
    let pb = ProgressBar::new(total as u64);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases [{elapsed_precise}] {msg}")
            .context("progress template")?,
    );
    pb.set_message("programs");
    let mut rows = suite::program_rows(&opts, &targets, &pb)?;
    pb.set_message("tensor programs");
    let (tensor_rows, coverage) = tensor_suite::tensor_program_rows(
        args.tensor_programs,
        opts.first_seed,
        &targets,
        opts.exact.as_ref(),
        &pb,
    )?;
    rows.extend(tensor_rows);
    pb.set_message("MLPs");
    rows.extend(suite::mlp_rows(&mlp_cases, &targets, &pb)?);
    pb.set_message("training");
    rows.extend(suite::trajectory_rows(opts.steps, &targets, &pb)?);
    pb.set_message("exact values (mpmath)");
    let mut sections = Vec::new();
    for s in started {
        let p = s.precision();
        let scalar = suite::scalar_engine(p);
        let torch = suite::torch_engine(Target::cpu(p));
        sections.extend(s.finish(&scalar, &torch, &Target::cpu(p).name())?);
    }
    rows.extend(sections.iter().map(exact::ExactSection::row));
    pb.finish_and_clear();
    let notebook = target.join("notebook");
    write_notebook_json(&notebook)
        .with_context(|| format!("writing {}", notebook.join(ORACLE_FILE).display()))?;

    let report = Report::new("2.13.0".into(), rows, start.elapsed().as_secs_f64())
        .with_exact(sections)
        .with_tensor_coverage(coverage);
    let dir = args.out.unwrap_or_else(|| target.join("parity"));
    report
        .write(&dir)
        .with_context(|| format!("writing the report into {}", dir.display()))?;
    println!("{}", report.table());
    println!("{}", report.exact_table());
    if let Some(c) = &report.tensor_coverage {
        println!("coverage: {}\n", c.summary());
    }
    for r in report
        .rows
        .iter()
        .filter(|r| !r.oracle_off_exact.is_empty())
    {
        println!(
            "{} ({} vs {}): libtorch is off the exact value and ferrograd is not in {}",
            r.scenario,
            r.engine,
            r.oracle,
            r.oracle_off_exact.join(", ")
        );
    }
    for r in report.rows.iter().filter(|r| !r.passed()) {
        println!(
            "MISMATCH in {} ({} vs {}): worst case {}",
            r.scenario,
            r.engine,
            r.oracle,
            r.worst_case.as_deref().unwrap_or("?")
        );
        if let Some(op) = &r.culprit {
            println!("the shortest failing prefix ends in op `{op}`:");
        }
        if let Some(p) = &r.worst_program {
            println!("{p}\n");
        }
    }
    let random = suite::random_programs(opts.first_seed, opts.programs);
    println!(
        "{}",
        op_coverage("random programs", random.iter().map(|(_, p)| p))
    );
    for p in Precision::ALL {
        let hard = exact::hard_programs(opts.first_seed, args.exact_hard, p);
        let what = format!("hard programs {}", p.name());
        println!("{}", op_coverage(&what, hard.iter().map(|(_, p)| p)));
    }
    let cases: usize = report.rows.iter().map(|r| r.cases).sum();
    let numbers: usize = report.rows.iter().map(|r| r.numbers).sum();
    let bad = report.rows.iter().filter(|r| !r.passed()).count();
    println!(
        "parity: {} rows, {cases} cases, {numbers} numbers, {} in {:.1} s; report in {}",
        report.rows.len(),
        if bad == 0 {
            "all agree".to_string()
        } else {
            format!("{bad} rows with mismatches")
        },
        report.seconds,
        dir.display()
    );
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
