//! `cargo xtask notebook`: the seed notebook, run in Rust, as one HTML page.
//!
//! xtask links none of the library crates, so the page is made by the
//! `notebook` binary of `crates/notebook`; this command builds and runs it
//! with the workspace's paths.

use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use crate::process::{self, cargo};
use crate::workspace;

/// Options of `cargo xtask notebook`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Then open the page in headless Chromium and fail unless every section
    /// is there, every picture is drawn with a non-zero size and no script
    /// failed. Installs Debian's Chromium first when it is missing
    /// (scripts/install-chromium.sh, which needs root or sudo).
    #[arg(long)]
    pub check: bool,
    /// Then run notebooks/micrograd.ipynb headless on the evcxr kernel and fail
    /// on any cell error or missing picture. Installs evcxr_jupyter (cargo)
    /// and nbconvert (pip, in a venv) into the cache first when missing.
    #[arg(long)]
    pub jupyter: bool,
}

/// Writes `<target>/notebook/index.html` in the invoking checkout's target
/// folder (the PyTorch section is filled from `<target>/notebook/torch.json`
/// when that checkout's `cargo xtask parity` has written it) and prints its
/// path.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    if args.check {
        // Idempotent: returns at once when /usr/bin/chromium exists.
        process::run(
            Command::new("bash")
                .arg(workspace::root().join("scripts/install-chromium.sh"))
                .current_dir(workspace::root()),
        )?;
    }
    let out = workspace::Outputs::invoking()?.notebook();
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--package",
        "ferrograd-notebook",
        "--bin",
        "notebook",
        "--",
        "--out",
    ])
    .arg(&out)
    .arg("--torch-json")
    .arg(out.join("torch.json"));
    if args.check {
        cmd.arg("--check");
    }
    process::run(&mut cmd)?;
    if args.jupyter {
        crate::jupyter::run(&out)?;
    }
    let page = out.join("index.html");
    eprintln!(
        "notebook: page written{}{} in {:.0?}",
        if args.check {
            ", checked in Chromium"
        } else {
            ""
        },
        if args.jupyter {
            ", Jupyter notebook run"
        } else {
            ""
        },
        start.elapsed()
    );
    println!("{}", page.display());
    Ok(())
}
