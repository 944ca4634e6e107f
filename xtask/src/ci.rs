//! `cargo xtask ci`: exactly what CI checks, in order, stopping at the first failure.

use std::time::Instant;

use anyhow::Result;

use crate::process::{self, cargo};

/// Format, lints with warnings denied, the notebook page in a browser, every
/// test of the default members, packaging of every publishable crate, the
/// parity suite against libtorch, then the Jupyter notebook on evcxr.
pub fn run() -> Result<()> {
    let start = Instant::now();
    let steps: &[(&str, &[&str])] = &[
        ("format", &["fmt", "--all", "--check"]),
        (
            "lints",
            &["clippy", "--all-targets", "--", "-D", "warnings"],
        ),
        // Installs Chromium first when missing, so the browser tests below run too.
        (
            "notebook page in Chromium",
            &["xtask", "notebook", "--check"],
        ),
        ("tests", &["test", "--release"]),
        // Every publishable crate as crates.io would get it, in dependency
        // order, each built from its .crate file against the others' (cargo
        // packages the workspace into a local registry, so path dependencies
        // on unpublished crates resolve). publish = false crates are left out.
        (
            "packaging",
            &[
                "package",
                "--workspace",
                "--exclude",
                "xtask",
                "--exclude",
                "ferrograd-notebook",
                "--exclude",
                "ferrograd-torch",
            ],
        ),
        // Fetches libtorch into the cache on the first run, then reuses it.
        ("parity", &["xtask", "parity"]),
        // Builds evcxr_jupyter and a venv with nbconvert into the cache on the
        // first run (36 minutes on a shared 2-core machine), then reuses them.
        ("Jupyter notebook", &["xtask", "notebook", "--jupyter"]),
    ];
    for (done, (name, args)) in steps.iter().enumerate() {
        eprintln!("== {name}");
        if let Err(e) = process::run(cargo().args(*args)) {
            println!("steps: {done} passed, 1 failed");
            return Err(e.context(format!("ci step `{name}` failed")));
        }
    }
    eprintln!("ci: all steps passed in {:.0?}", start.elapsed());
    // A closing summary in the form test runners print; each step is a whole suite.
    println!("steps: {} passed, 0 failed", steps.len());
    Ok(())
}
