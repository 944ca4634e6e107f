//! `cargo xtask parity`: every engine against libtorch. Fetches libtorch if
//! needed, builds the oracle in release mode with the right environment, runs
//! its tests (among them the proof that the suite can fail) and then the
//! parity runner, which writes `target/parity/report.md` and `report.json`.
//! The runner also checks every engine against exact values from
//! `scripts/exact.py`, with mpmath installed into the cache ([`mpmath`]).
//!
//! The oracle is built in `$FERROGRAD_CACHE/target` (unless
//! `CARGO_TARGET_DIR` is set), next to libtorch, so that the few minutes
//! torch-sys takes to compile are spent once per machine, not per clone.
//! A run claims that folder ([`shared_target::claim`]: a lock, and a
//! rebuild of the workspace crates when another checkout built them last),
//! tests, builds and copies the runner into its own target folder, and lets
//! go; the copy then runs with that target folder as the place for its
//! outputs (the report in `parity/`, the notebook's PyTorch cell in
//! `notebook/`).

use std::fs;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::libtorch::{self, Kind, Libtorch};
use crate::mpmath::{self, Mpmath};
use crate::process::{self, cargo};
use crate::shared_target;
use crate::workspace::{self, Outputs};

/// Arguments of `cargo xtask parity`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Also run every scenario on CUDA (needs `--venv`'s full install and a GPU).
    #[arg(long)]
    pub cuda: bool,
    /// Use the full venv install of torch instead of libtorch alone.
    #[arg(long)]
    pub venv: bool,
    /// Random programs per float type.
    #[arg(long, default_value_t = 10_000)]
    pub programs: usize,
    /// Skip the oracle crate's tests and run only the suite.
    #[arg(long)]
    pub skip_tests: bool,
    /// Print where this checkout's outputs go (`name<TAB>path` lines) and
    /// exit without building or running anything.
    #[arg(long)]
    pub print_paths: bool,
    /// Further arguments for the parity runner (after `--`).
    #[arg(last = true)]
    pub rest: Vec<String>,
}

/// `cargo xtask parity`.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let outputs = Outputs::invoking()?;
    if args.print_paths {
        print_paths(&outputs);
        return Ok(());
    }
    let kind = if args.venv || args.cuda {
        Kind::Venv
    } else {
        Kind::Libtorch
    };
    let lt = libtorch::ensure(kind)?;
    eprintln!("parity: libtorch {} at {}", lt.version, lt.dir.display());
    let build_dir = shared_target::oracle_build_dir()?;
    // The rows against the exact value (and the oracle's tests) run
    // scripts/exact.py with mpmath.
    let mp = mpmath::ensure()?;
    {
        // Until the runner is copied out, no other checkout builds there.
        let _claim = shared_target::claim(&build_dir)?;
        if !args.skip_tests {
            test_oracle(&build_dir, &lt, &mp)?;
        }
        let built = build_runner(&build_dir, &lt)?;
        copy_runner(&built, &outputs.oracle_bin())?;
    }
    run_runner(args, &outputs, &lt, &mp)?;
    eprintln!("parity: done in {:.0?}", start.elapsed());
    Ok(())
}

/// `--print-paths`: `name<TAB>path` for each of this checkout's outputs.
fn print_paths(outputs: &Outputs) {
    for (name, path) in [
        ("target", outputs.target.clone()),
        ("parity", outputs.parity()),
        ("notebook", outputs.notebook()),
        ("bench", outputs.bench()),
        ("oracle", outputs.oracle_bin()),
    ] {
        println!("{name}\t{}", path.display());
    }
}

/// The oracle crate's tests, among them the proof that the suite can fail.
fn test_oracle(build_dir: &Path, lt: &Libtorch, mp: &Mpmath) -> Result<()> {
    let mut test = cargo();
    test.args(["test", "--release", "-p", "ferrograd-torch"])
        .env("CARGO_TARGET_DIR", build_dir)
        .env("FERROGRAD_PYTHON", &mp.python);
    mp.apply(&mut test);
    lt.apply(&mut test);
    process::run(&mut test)
}

/// The parity runner, copied out, writing into this checkout's target folder.
fn run_runner(args: &Args, outputs: &Outputs, lt: &Libtorch, mp: &Mpmath) -> Result<()> {
    let mut run = Command::new(outputs.oracle_bin());
    run.current_dir(workspace::root())
        .arg("--target-dir")
        .arg(&outputs.target)
        .args(["--programs", &args.programs.to_string()]);
    if args.cuda {
        run.arg("--cuda");
    }
    run.args(&args.rest);
    run.arg("--exact-script")
        .arg(workspace::root().join("scripts").join("exact.py"))
        .arg("--python")
        .arg(&mp.python);
    mp.apply(&mut run);
    lt.apply(&mut run);
    process::run(&mut run)
}

/// Builds the parity runner in `build_dir` and returns the path of the
/// executable cargo reports (cargo's JSON messages; its own diagnostics still
/// go to stderr).
fn build_runner(build_dir: &Path, lt: &Libtorch) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "-p",
        "ferrograd-torch",
        "--bin",
        "parity",
    ])
    .env("CARGO_TARGET_DIR", build_dir);
    lt.apply(&mut cmd);
    cmd.arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    eprintln!("$ {}", process::describe(&cmd));
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{}`", process::describe(&cmd)))?;
    let mut exe = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let msg: serde_json::Value = match serde_json::from_str(&line?) {
                Ok(m) => m,
                Err(_) => continue,
            };
            if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "parity" {
                if let Some(path) = msg["executable"].as_str() {
                    exe = Some(PathBuf::from(path));
                }
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("`{}` failed with {status}", process::describe(&cmd));
    }
    exe.context("cargo built no `parity` executable")
}

/// Copies the runner to `dest` through a temporary name, so a reader never
/// sees half a file.
fn copy_runner(built: &Path, dest: &Path) -> Result<()> {
    let dir = dest.parent().context("the runner's copy needs a folder")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = dest.with_extension("partial");
    fs::copy(built, &partial)
        .with_context(|| format!("copying {} to {}", built.display(), partial.display()))?;
    fs::rename(&partial, dest)
        .with_context(|| format!("moving {} to {}", partial.display(), dest.display()))?;
    Ok(())
}
