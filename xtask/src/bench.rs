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
//! - [`plan`]: the tasks, in order, and which build each needs;
//! - [`measure`]: running them, with their logs, medians and the mixed
//!   graph's values;
//! - [`criterion`]: reading criterion's medians;
//! - [`python`]: the Python peers' environment;
//! - [`adolc`]: the C++ tape peer (Debian's ADOL-C): the moons step with its loss
//!   check, and the mixed graph;
//! - [`machine`]: CPU, cores, date, versions;
//! - [`components`]: the versions and peers tables;
//! - [`report`]: workloads, targets, Markdown and JSON;
//! - [`charts`]: the SVG charts.

mod adolc;
mod charts;
mod components;
mod criterion;
mod machine;
mod measure;
mod plan;
mod python;
mod report;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::libtorch::{self, Kind};
use crate::shared_target;
use crate::workspace;
use machine::Machine;
use report::{Grid, Report, Results};

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
    /// Do not install missing peers: neither Python packages with pip nor
    /// Debian's ADOL-C with apt-get (their rows report them missing).
    #[arg(long)]
    pub no_install: bool,
    /// Where the report goes (default: the invoking checkout's <target>/bench).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure nothing: redraw report.md and the charts from report.json.
    #[arg(long)]
    pub report_only: bool,
}

/// Batched-engine and libtorch thread counts.
const THREADS: [usize; 2] = [1, 2];

/// `cargo xtask bench`.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let root = workspace::root();
    let outputs = workspace::Outputs::invoking()?;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => outputs.bench(),
    };
    if args.report_only {
        return redraw(&out);
    }
    let crit = out.join("criterion");
    let logs = out.join("logs");
    let cpp = out.join("cpp");
    // Old numbers (and an old fixture) must never pass for this run's.
    make_empty(&[&crit, &logs, &cpp])?;
    let mut machine = Machine::detect();
    // Read now: the checkout may change while the benches run.
    let commit = machine::git_commit(&root).unwrap_or_else(|| "no git".into());
    let grid = grid(args.quick);

    eprintln!("bench: finding libtorch for the libtorch benches");
    let lt = libtorch::ensure(Kind::Libtorch).map_err(|e| format!("no libtorch: {e:#}"));
    eprintln!("bench: preparing the Python peers");
    let py = python::prepare(args.python.as_deref(), !args.no_install);
    eprintln!("bench: preparing the C++ peer (ADOL-C)");
    let adolc = adolc::prepare(&outputs.target, !args.no_install);

    let paths = plan::Paths {
        crit: crit.clone(),
        target: outputs.target.clone(),
        fixture: cpp.join("moons_fixture.txt"),
    };
    let tasks = plan::plan(args.quick, &grid, &paths, &lt, &py, &adolc);
    // The libtorch bench builds and runs in the oracle's shared folder: this
    // checkout holds it for the whole run, as `cargo xtask parity` does.
    let _claim = match &lt {
        Ok(_) => Some(shared_target::claim(&shared_target::oracle_build_dir()?)?),
        Err(_) => None,
    };
    let results = measure::run_all(tasks, &crit, &logs)?;

    machine.load_at_end = machine::load_average();
    let workloads = report::workloads(&results, &grid);
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
        versions: components::versions(&root, &commit, &lt, &py, &adolc),
        peers: components::peers(&lt, &py, &adolc, &results),
        targets: report::targets(&workloads),
        sweep: report::sweep(&results, &grid),
        workloads,
        scalar_nodes_per_s: nodes_per_s(&results, "scalar_nodes_f64/build_backward_drop"),
        scalar_mixed_nodes_per_s: nodes_per_s(&results, "scalar_mixed_f64/build_backward_drop"),
        loss_checks: results.loss_checks.values().cloned().collect(),
        matmul_peak: results.matmul_peak,
        graph_values: results.graph_values.clone(),
        failures: results.failures.clone(),
    };
    write(&out, &report, start)
}

/// Empties (or makes) each of `dirs`.
fn make_empty(dirs: &[&Path]) -> Result<()> {
    for dir in dirs {
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// The models and sizes a run measures.
fn grid(quick: bool) -> Grid {
    Grid {
        threads: THREADS.to_vec(),
        widths: vec![16, 32, 64, 128, 256, 512, 1024],
        batches: if quick {
            vec![256]
        } else {
            vec![64, 256, 1024]
        },
        dtypes: if quick {
            vec!["f32".into()]
        } else {
            vec!["f32".into(), "f64".into()]
        },
    }
}

/// Scalar-engine nodes per second of a benchmark over a 100,000-node graph.
fn nodes_per_s(results: &Results, id: &str) -> Option<f64> {
    results.medians.get(id).map(|ns| 100_000.0 / (ns * 1e-9))
}

/// Writes the charts, report.md and report.json, and says how it went.
fn write(out: &Path, report: &Report, start: Instant) -> Result<()> {
    let charts = charts::draw(out, report);
    fs::write(out.join("report.md"), report.markdown(&charts))?;
    fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(report)? + "\n",
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

/// `--report-only`: report.md and the charts again from report.json.
fn redraw(out: &Path) -> Result<()> {
    let path = out.join("report.json");
    let text = fs::read_to_string(&path)
        .with_context(|| format!("reading {}; run `cargo xtask bench` first", path.display()))?;
    let report: Report = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a bench report", path.display()))?;
    let charts = charts::draw(out, &report);
    fs::write(out.join("report.md"), report.markdown(&charts))?;
    eprintln!(
        "bench: {} redrawn from report.json",
        out.join("report.md").display()
    );
    Ok(())
}
