//! `cargo xtask ci`: exactly what CI checks, in order, stopping at the first failure.

use std::time::Instant;

use anyhow::Result;

use crate::util::{self, cargo};

/// Format, lints with warnings denied, the notebook page in a browser, every
/// test of the default members, then the parity suite against libtorch.
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
        // Fetches libtorch into the cache on the first run, then reuses it.
        ("parity", &["xtask", "parity"]),
    ];
    for (name, args) in steps {
        eprintln!("== {name}");
        util::run(cargo().args(*args))?;
    }
    eprintln!(
        "ci: all {} steps passed in {:.0?}",
        steps.len(),
        start.elapsed()
    );
    Ok(())
}
