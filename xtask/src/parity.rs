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

use std::time::Instant;

use anyhow::Result;

use crate::libtorch::{self, Kind};
use crate::mpmath;
use crate::util::{self, cargo};

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
    /// Further arguments for the parity runner (after `--`).
    #[arg(last = true)]
    pub rest: Vec<String>,
}

/// `cargo xtask parity`.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let kind = if args.venv || args.cuda {
        Kind::Venv
    } else {
        Kind::Libtorch
    };
    let lt = libtorch::ensure(kind)?;
    eprintln!("parity: libtorch {} at {}", lt.version, lt.dir.display());
    // Compiling torch-sys takes minutes; building the oracle in a target
    // folder inside the cache (unless CARGO_TARGET_DIR says otherwise) lets
    // every clone and every CI run reuse it, so repeated runs take seconds.
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => libtorch::cache_root()?.join("target"),
    };
    // The rows against the exact value (and the oracle's tests) run
    // scripts/exact.py with mpmath.
    let mp = mpmath::ensure()?;
    if !args.skip_tests {
        let mut test = cargo();
        test.args(["test", "--release", "-p", "ferrograd-torch"])
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("FERROGRAD_PYTHON", &mp.python);
        mp.apply(&mut test);
        lt.apply(&mut test);
        util::run(&mut test)?;
    }
    let mut run = cargo();
    run.args([
        "run",
        "--release",
        "-p",
        "ferrograd-torch",
        "--bin",
        "parity",
        "--",
    ]);
    run.args(["--programs", &args.programs.to_string()]);
    if args.cuda {
        run.arg("--cuda");
    }
    run.args(&args.rest).env("CARGO_TARGET_DIR", &target_dir);
    run.arg("--exact-script")
        .arg(util::root().join("scripts").join("exact.py"))
        .arg("--python")
        .arg(&mp.python);
    mp.apply(&mut run);
    lt.apply(&mut run);
    util::run(&mut run)?;
    eprintln!("parity: done in {:.0?}", start.elapsed());
    Ok(())
}
