//! `cargo xtask bench [--quick]`: ferrograd side by side with libtorch,
//! PyTorch, micrograd and micrograd-rust, measured in one run on one machine.
//!
//! It obtains libtorch as `cargo xtask libtorch` does (for the libtorch
//! criterion bench in `crates/torch/benches/`) and the venv of
//! `cargo xtask libtorch --venv` (for the Python peers, adding micrograd and
//! micrograd-rust), runs every criterion bench and Python script under one
//! progress bar, and writes `target/bench/report.md`, `report.json` and SVG
//! charts. A peer that is missing or fails becomes a row with its error; the
//! rest of the report still comes out.
//!
//! - [`criterion`]: reading criterion's medians;
//! - [`python`]: the Python peers' environment;
//! - [`machine`]: CPU, cores, date, versions;
//! - [`report`]: workloads, targets, Markdown and JSON;
//! - [`charts`]: the SVG charts.

mod charts;
mod criterion;
mod machine;
mod python;
mod report;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::libtorch::{self, Kind};
use crate::util::{self, cargo};
use machine::Machine;
use python::PythonEnv;
use report::{Grid, Peer, Report, Results};

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Short criterion runs, fewer Python steps and one batch size in the
    /// width sweep: a few minutes in all once everything is compiled.
    #[arg(long)]
    pub quick: bool,
    /// A Python with torch 2.13.0 for the Python peers instead of the cached
    /// venv (micrograd and micrograd-rust are still added when missing).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Do not pip install missing Python packages (their rows report them missing).
    #[arg(long)]
    pub no_install: bool,
    /// Where the report goes (default: the invoking checkout's <target>/bench).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure nothing: redraw report.md and the charts from report.json.
    #[arg(long)]
    pub report_only: bool,
}

/// The root package's criterion benches.
const FERROGRAD_BENCHES: [&str; 5] = [
    "scalar",
    "scalar_tanh",
    "scalar_tape",
    "tensor_step",
    "tensor_sweep",
];

/// Batched-engine and libtorch thread counts.
const THREADS: [usize; 2] = [1, 2];

/// One thing to run: a name for the progress bar and the error table, the
/// command (or why it cannot run), and how its numbers come back.
struct Task {
    key: String,
    cmd: Result<Command, String>,
    output: Output,
}

enum Output {
    /// A build: nothing to read.
    Build,
    /// Criterion writes into the criterion folder, read at the end.
    Criterion,
    /// JSON lines with `median_ms` (and `id`, else this default id).
    JsonLines(Option<String>),
}

/// `cargo xtask bench`.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let root = util::root();
    let out = match &args.out {
        Some(out) => out.clone(),
        None => util::Outputs::invoking()?.bench(),
    };
    if args.report_only {
        let path = out.join("report.json");
        let text = fs::read_to_string(&path).with_context(|| {
            format!("reading {}; run `cargo xtask bench` first", path.display())
        })?;
        let report: Report = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a bench report", path.display()))?;
        let charts = draw_charts(&out, &report);
        fs::write(out.join("report.md"), report.markdown(&charts))?;
        eprintln!(
            "bench: {} redrawn from report.json",
            out.join("report.md").display()
        );
        return Ok(());
    }
    let crit = out.join("criterion");
    let logs = out.join("logs");
    for dir in [&crit, &logs] {
        // Old numbers must never pass for this run's.
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let machine = Machine::detect();
    // Read now: the checkout may change while the benches run.
    let commit = machine::git_commit(&root).unwrap_or_else(|| "no git".into());
    let grid = Grid {
        threads: THREADS.to_vec(),
        widths: vec![16, 32, 64, 128, 256, 512, 1024],
        batches: if args.quick {
            vec![256]
        } else {
            vec![64, 256, 1024]
        },
        dtypes: if args.quick {
            vec!["f32".into()]
        } else {
            vec!["f32".into(), "f64".into()]
        },
    };

    eprintln!("bench: finding libtorch for the libtorch benches");
    let lt = libtorch::ensure(Kind::Libtorch).map_err(|e| format!("no libtorch: {e:#}"));
    eprintln!("bench: preparing the Python peers");
    let py = python::prepare(args.python.as_deref(), !args.no_install);

    let tasks = plan(args, &grid, &crit, &lt, &py);
    // The libtorch bench builds and runs in the oracle's shared folder: this
    // checkout holds it for the whole run, as `cargo xtask parity` does.
    let _claim = match &lt {
        Ok(_) => Some(util::claim_shared_build_dir(&util::oracle_build_dir()?)?),
        Err(_) => None,
    };
    let mut results = Results::default();
    let pb = ProgressBar::new(tasks.len() as u64);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} {prefix:.bold}: {wide_msg}",
        )
        .expect("valid template"),
    );
    pb.enable_steady_tick(Duration::from_millis(150));
    let mut failed_builds: Vec<(String, String)> = Vec::new();
    for task in tasks {
        pb.set_prefix(task.key.clone());
        pb.set_message("starting");
        // A criterion task after its failed build cannot run either.
        let blocked = failed_builds.iter().find(|(build, _)| {
            matches!(task.output, Output::Criterion) && depends_on(&task.key, build)
        });
        let cmd = match (task.cmd, blocked) {
            (Err(e), _) => Err(e),
            (Ok(_), Some((build, e))) => Err(format!("`{build}` failed: {e}")),
            (Ok(c), None) => Ok(c),
        };
        let outcome = match cmd {
            Ok(mut cmd) => run_logged(&mut cmd, &logs.join(log_name(&task.key)), &pb),
            Err(e) => Err(e),
        };
        match (outcome, &task.output) {
            (Ok(stdout), Output::JsonLines(default_id)) => {
                let found = json_medians(&stdout, default_id.as_deref());
                if found.is_empty() {
                    results
                        .failures
                        .insert(task.key.clone(), "printed no JSON result line".into());
                }
                results.medians.extend(found);
            }
            (Ok(_), _) => {}
            (Err(e), output) => {
                if matches!(output, Output::Build) {
                    failed_builds.push((task.key.clone(), e.clone()));
                }
                results.failures.insert(task.key.clone(), e);
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    results.medians.extend(criterion::medians(&crit)?);

    let mut machine = machine;
    machine.load_at_end = machine::load_average();
    let workloads = report::workloads(&results, &grid);
    let targets = report::targets(&workloads);
    let sweep = report::sweep(&results, &grid);
    let report = Report {
        date: machine::utc_now(),
        command: if args.quick {
            "cargo xtask bench --quick".into()
        } else {
            "cargo xtask bench".into()
        },
        mode: if args.quick { "quick" } else { "full" }.into(),
        duration_s: start.elapsed().as_secs_f64(),
        machine,
        versions: versions(&root, &commit, &lt, &py),
        peers: peers(&lt, &py, &results),
        targets,
        workloads,
        sweep,
        scalar_nodes_per_s: results
            .medians
            .get("scalar_nodes_f64/build_backward_drop")
            .map(|ns| 100_000.0 / (ns * 1e-9)),
        scalar_mixed_nodes_per_s: results
            .medians
            .get("scalar_mixed_f64/build_backward_drop")
            .map(|ns| 100_000.0 / (ns * 1e-9)),
        failures: results.failures.clone(),
    };
    let charts = draw_charts(&out, &report);
    fs::write(out.join("report.md"), report.markdown(&charts))?;
    fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    let met = report
        .targets
        .iter()
        .filter(|t| t.met == Some(true))
        .count();
    eprintln!(
        "bench: {} written in {:.0?}: {met}/{} targets met, {} task(s) failed",
        out.join("report.md").display(),
        start.elapsed(),
        report.targets.len(),
        report.failures.len()
    );
    Ok(())
}

/// Whether a task needs the given build.
fn depends_on(task: &str, build: &str) -> bool {
    if build == "build libtorch bench" {
        task == "libtorch"
    } else {
        task != "libtorch"
    }
}

fn log_name(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{safe}.log")
}

/// The tasks in order: builds first so each bench's time is its own.
fn plan(
    args: &Args,
    grid: &Grid,
    crit: &Path,
    lt: &Result<libtorch::Libtorch, String>,
    py: &PythonEnv,
) -> Vec<Task> {
    let join = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
    let sweep_env: Vec<(&str, String)> = vec![
        ("FERROGRAD_SWEEP_WIDTHS", join(&grid.widths)),
        ("FERROGRAD_SWEEP_BATCHES", join(&grid.batches)),
        ("FERROGRAD_SWEEP_DTYPES", grid.dtypes.join(",")),
        ("FERROGRAD_TORCH_THREADS", join(&grid.threads)),
    ];
    let criterion_args: Vec<&str> = if args.quick {
        vec![
            "--noplot",
            "--warm-up-time",
            "0.3",
            "--measurement-time",
            "1",
        ]
    } else {
        vec!["--noplot", "--warm-up-time", "1", "--measurement-time", "3"]
    };
    let bench = |package: &str, name: &str| {
        let mut c = cargo();
        c.args(["bench", "-p", package, "--bench", name, "--"])
            .args(&criterion_args)
            .env("CRITERION_HOME", crit);
        for (k, v) in &sweep_env {
            c.env(k, v);
        }
        c
    };
    let mut tasks = Vec::new();

    let mut build = cargo();
    build.args(["bench", "-p", "ferrograd", "--no-run"]);
    for b in FERROGRAD_BENCHES {
        build.args(["--bench", b]);
    }
    tasks.push(Task {
        key: "build ferrograd benches".into(),
        cmd: Ok(build),
        output: Output::Build,
    });
    for name in ["scalar", "scalar_tanh", "scalar_tape"] {
        tasks.push(Task {
            key: name.into(),
            cmd: Ok(bench("ferrograd", name)),
            output: Output::Criterion,
        });
    }
    for name in ["tensor_step", "tensor_sweep"] {
        for &t in &grid.threads {
            let mut c = bench("ferrograd", name);
            c.env("MATMUL_NUM_THREADS", t.to_string());
            tasks.push(Task {
                key: format!("{name}/threads={t}"),
                cmd: Ok(c),
                output: Output::Criterion,
            });
        }
    }

    // As `cargo xtask parity` does: the libtorch crate builds in the cache's
    // target folder (unless CARGO_TARGET_DIR is set), so torch-sys's minutes
    // of compiling are shared with parity and spent once per machine.
    let torch_target = util::oracle_build_dir().ok();
    let with_libtorch = |mut c: Command| match lt {
        Ok(lt) => {
            lt.apply(&mut c);
            if let Some(dir) = &torch_target {
                c.env("CARGO_TARGET_DIR", dir);
            }
            Ok(c)
        }
        Err(e) => Err(e.clone()),
    };
    let mut build = cargo();
    build.args([
        "bench",
        "-p",
        "ferrograd-torch",
        "--bench",
        "libtorch_step",
        "--no-run",
    ]);
    tasks.push(Task {
        key: "build libtorch bench".into(),
        cmd: with_libtorch(build),
        output: Output::Build,
    });
    tasks.push(Task {
        key: "libtorch".into(),
        cmd: with_libtorch(bench("ferrograd-torch", "libtorch_step")),
        output: Output::Criterion,
    });

    let script = |package: &str, file: &str, script_args: &[String]| {
        py.check(package).and_then(|()| {
            let python = py.python.clone().ok_or("no Python")?;
            let mut c = Command::new(python);
            c.current_dir(util::root())
                .arg(format!("benches/python/{file}"))
                .args(script_args)
                .env("PYTHONUNBUFFERED", "1");
            Ok(c)
        })
    };
    let steps = |quick: usize, full: usize| vec![if args.quick { quick } else { full }.to_string()];
    tasks.push(Task {
        key: "python/moons_torch".into(),
        cmd: script("torch", "moons_torch.py", &steps(100, 300)),
        output: Output::JsonLines(Some("python/moons_torch".into())),
    });
    for &t in &grid.threads {
        let mut a = vec!["--threads".to_string(), t.to_string()];
        if args.quick {
            a.push("--quick".into());
        }
        tasks.push(Task {
            key: format!("python/batched/threads={t}"),
            cmd: script("torch", "batched_torch.py", &a),
            output: Output::JsonLines(None),
        });
    }
    tasks.push(Task {
        key: "python/micrograd_rust".into(),
        cmd: script("micrograd-rust", "tanh_micrograd_rust.py", &steps(10, 30)),
        output: Output::JsonLines(Some("python/micrograd_rust".into())),
    });
    tasks.push(Task {
        key: "python/micrograd".into(),
        cmd: script("micrograd", "moons_micrograd.py", &steps(3, 7)),
        output: Output::JsonLines(Some("python/micrograd".into())),
    });
    tasks
}

/// Runs `cmd` with its output going to `log` (and the newest line to the
/// progress bar); returns its stdout, or an error with its last lines.
fn run_logged(cmd: &mut Command, log: &Path, pb: &ProgressBar) -> Result<String, String> {
    let mut file = fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let _ = writeln!(file, "$ {cmd:?}");
    let file = Arc::new(Mutex::new(file));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {:?}: {e}", cmd.get_program()))?;
    let stdout = Arc::new(Mutex::new(String::new()));
    let tail = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    let streams: [(Option<Box<dyn Read + Send>>, bool); 2] = [
        (child.stdout.take().map(|s| Box::new(s) as _), true),
        (child.stderr.take().map(|s| Box::new(s) as _), false),
    ];
    for (stream, is_stdout) in streams {
        let Some(stream) = stream else { continue };
        let (file, stdout, tail, pb) = (
            Arc::clone(&file),
            Arc::clone(&stdout),
            Arc::clone(&tail),
            pb.clone(),
        );
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut f) = file.lock() {
                    let _ = writeln!(f, "{line}");
                }
                if is_stdout {
                    if let Ok(mut s) = stdout.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
                let t = line.trim();
                if t.is_empty() {
                    continue;
                }
                if t.starts_with("Benchmarking")
                    || t.starts_with("Compiling")
                    || t.starts_with("Running")
                {
                    pb.set_message(t.to_string());
                }
                if let Ok(mut l) = tail.lock() {
                    l.push(t.to_string());
                    if l.len() > 12 {
                        l.remove(0);
                    }
                }
            }
        }));
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    for r in readers {
        let _ = r.join();
    }
    let out = stdout.lock().map(|s| s.clone()).unwrap_or_default();
    if status.success() {
        return Ok(out);
    }
    let lines = tail.lock().map(|l| l.clone()).unwrap_or_default();
    let useful: Vec<&String> = lines
        .iter()
        .filter(|l| !l.starts_with("Benchmarking") && !l.starts_with("Compiling"))
        .collect();
    let last = useful[useful.len().saturating_sub(6)..]
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    Err(format!(
        "exited with {status} (log: {}):\n{last}",
        log.display()
    ))
}

/// `{"id"?: ..., "median_ms": ...}` lines -> id -> ns.
fn json_medians(stdout: &str, default_id: Option<&str>) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter_map(|v| {
            let ms = v.get("median_ms")?.as_f64()?;
            let id = v
                .get("id")
                .and_then(|i| i.as_str())
                .map(str::to_string)
                .or_else(|| default_id.map(str::to_string))?;
            Some((id, ms * 1e6))
        })
        .collect()
}

/// Component versions for the report.
fn versions(
    root: &Path,
    commit: &str,
    lt: &Result<libtorch::Libtorch, String>,
    py: &PythonEnv,
) -> Vec<(String, String)> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let locked = |p: &str| machine::locked_version(&lock, p).unwrap_or_else(|| "?".into());
    let mut v = vec![(
        "ferrograd".to_string(),
        format!("{} ({commit} at the start)", env!("CARGO_PKG_VERSION")),
    )];
    v.push((
        "rustc".into(),
        machine::rustc_version().unwrap_or_else(|| "?".into()),
    ));
    v.push((
        "ndarray / matrixmultiply".into(),
        format!(
            "{} / {}",
            locked_last(&lock, "ndarray"),
            locked("matrixmultiply")
        ),
    ));
    v.push((
        "libtorch (through tch)".into(),
        match lt {
            Ok(lt) => format!("{} (tch {})", lt.version, locked("tch")),
            Err(e) => report::short_error(e),
        },
    ));
    v.push((
        "Python".into(),
        py.version.clone().unwrap_or_else(|| "—".into()),
    ));
    v.push((
        "PyTorch (Python)".into(),
        py.version_of("torch").unwrap_or_else(|| "—".into()),
    ));
    for (dist, _, _) in python::PACKAGES {
        v.push((
            dist.to_string(),
            py.version_of(dist).unwrap_or_else(|| "—".into()),
        ));
    }
    v
}

/// The newest locked version of a package listed several times.
fn locked_last(lock: &str, package: &str) -> String {
    let mut found = None;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == format!("name = \"{package}\"") {
            if let Some(v) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = "))
            {
                found = Some(v.trim_matches('"').to_string());
            }
        }
    }
    found.unwrap_or_else(|| "?".into())
}

/// The peers' table: one row per peer, with its error if it could not run.
fn peers(lt: &Result<libtorch::Libtorch, String>, py: &PythonEnv, results: &Results) -> Vec<Peer> {
    let task_error = |keys: &[&str]| keys.iter().find_map(|k| results.failures.get(*k).cloned());
    let mut out = vec![Peer {
        system: "libtorch (tch)".into(),
        version: lt.as_ref().ok().map(|l| l.version.clone()),
        error: match lt {
            Err(e) => Some(e.clone()),
            Ok(_) => task_error(&["build libtorch bench", "libtorch"]),
        },
    }];
    for (system, dist, tasks) in [
        (
            "PyTorch eager (Python)",
            "torch",
            &[
                "python/moons_torch",
                "python/batched/threads=1",
                "python/batched/threads=2",
            ][..],
        ),
        ("micrograd (Python)", "micrograd", &["python/micrograd"][..]),
        (
            "micrograd-rust (Python)",
            "micrograd-rust",
            &["python/micrograd_rust"][..],
        ),
    ] {
        out.push(Peer {
            system: system.into(),
            version: py.version_of(dist),
            error: py.check(dist).err().or_else(|| task_error(tasks)),
        });
    }
    out
}

/// Draws every chart; returns (chart key, file name) for those written.
fn draw_charts(out: &Path, report: &Report) -> Vec<(String, String)> {
    let mut written = Vec::new();
    let mut save = |key: String, file: String, r: Result<()>| match r {
        Ok(()) => written.push((key, file)),
        Err(e) => eprintln!("bench: could not draw {file}: {e:#}"),
    };
    for w in report
        .workloads
        .iter()
        .filter(|w| w.key.starts_with("scalar/"))
    {
        let bars: Vec<charts::Bar> = w
            .rows
            .iter()
            .filter_map(|r| {
                let ns = r.median_ns?;
                let ratio = r.ratio.map(report::human_ratio).unwrap_or_default();
                Some(charts::Bar {
                    label: format!("{}: {} ({ratio})", r.system, report::human_time(ns)),
                    ns,
                    ours: r.system.starts_with("ferrograd"),
                })
            })
            .collect();
        let file = format!("{}.svg", w.key.replace('/', "_"));
        let title = w.title.split(" (").next().unwrap_or(&w.title).to_string();
        save(
            w.key.clone(),
            file.clone(),
            charts::bars(&out.join(&file), &title, &bars),
        );
    }
    for (model, title) in report::BATCHED_MODELS {
        let prefix = format!("batched/{model}/");
        let bars: Vec<charts::Bar> = report
            .workloads
            .iter()
            .filter(|w| w.key.starts_with(&prefix))
            .flat_map(|w| {
                let config = w.key[prefix.len()..].replace("/threads=", ", threads ");
                w.rows.iter().filter_map(move |r| {
                    let ns = r.median_ns?;
                    let ratio = r.ratio.map(report::human_ratio).unwrap_or_default();
                    Some(charts::Bar {
                        label: format!(
                            "{config}, {}: {} ({ratio})",
                            r.system,
                            report::human_time(ns)
                        ),
                        ns,
                        ours: r.system.starts_with("ferrograd"),
                    })
                })
            })
            .collect();
        let file = format!("batched_{model}.svg");
        let short = title.split(':').next().unwrap_or(title);
        save(
            format!("batched/{model}"),
            file.clone(),
            charts::bars(&out.join(&file), &format!("Batched engine: {short}"), &bars),
        );
    }
    let mut groups: Vec<(String, usize)> = Vec::new();
    for l in &report.sweep {
        if !groups.contains(&(l.dtype.clone(), l.batch)) {
            groups.push((l.dtype.clone(), l.batch));
        }
    }
    for (dtype, batch) in groups {
        let lines: Vec<charts::Line> = report
            .sweep
            .iter()
            .filter(|l| l.dtype == dtype && l.batch == batch)
            .map(|l| charts::Line {
                name: format!("{}, {} thread(s)", l.system, l.threads),
                points: l
                    .points
                    .iter()
                    .filter_map(|&(w, ns)| Some((w as f64, ns?)))
                    .collect(),
                ours: l.system.starts_with("ferrograd"),
            })
            .collect();
        let file = format!("sweep_{dtype}_batch{batch}.svg");
        save(
            format!("sweep/{dtype}/batch={batch}"),
            file.clone(),
            charts::lines(
                &out.join(&file),
                &format!("Training step vs width: w-w-w-10 MLP, {dtype}, batch {batch}"),
                "width w (log scale)",
                &lines,
            ),
        );
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_give_medians_by_id_or_default() {
        let out = "torch 2.13.0\n{\"id\": \"pytorch/moons/f32/threads=1\", \"median_ms\": 0.25}\n{\"system\": \"micrograd\", \"median_ms\": 2000}\nnot json\n";
        let got = json_medians(out, Some("python/micrograd"));
        assert_eq!(
            got,
            vec![
                ("pytorch/moons/f32/threads=1".to_string(), 250_000.0),
                ("python/micrograd".to_string(), 2e9),
            ]
        );
        assert!(json_medians(out, None).len() == 1);
    }

    #[test]
    fn a_failed_build_blocks_only_its_own_benches() {
        assert!(depends_on("libtorch", "build libtorch bench"));
        assert!(!depends_on("scalar", "build libtorch bench"));
        assert!(depends_on(
            "tensor_step/threads=1",
            "build ferrograd benches"
        ));
        assert!(!depends_on("libtorch", "build ferrograd benches"));
    }

    #[test]
    fn log_names_are_plain_file_names() {
        assert_eq!(
            log_name("python/batched/threads=1"),
            "python_batched_threads_1.log"
        );
    }
}
