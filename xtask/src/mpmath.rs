//! mpmath, for the parity rows against the exact value (`scripts/exact.py`).
//!
//! Installed once per machine with `pip install --target` into
//! `$FERROGRAD_CACHE/mpmath/<version>` (beside libtorch), pinned, and used
//! through `PYTHONPATH`, so neither the system's Python nor a venv is
//! touched. A marker written after pip succeeds makes the next run skip pip;
//! a half-finished install (no marker) is removed and redone.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{cache, python};

/// The pinned mpmath release.
pub const MPMATH_VERSION: &str = "1.3.0";

/// A Python that imports the cached mpmath.
#[derive(Debug, Clone)]
pub struct Mpmath {
    /// The interpreter.
    pub python: PathBuf,
    /// The folder to put on `PYTHONPATH`.
    pub path: PathBuf,
}

impl Mpmath {
    /// Sets up `cmd`'s environment so that its Python child finds mpmath.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("PYTHONPATH", &self.path);
    }
}

/// `$FERROGRAD_PYTHON`, else `python3`, else `python`: the first Python 3 that runs.
fn find_python() -> Result<PathBuf> {
    let candidates = python::candidates();
    if let Some(py) = candidates.iter().find(|py| python::is_python3(py)) {
        return Ok(py.clone());
    }
    bail!(
        "the rows against the exact value run scripts/exact.py with mpmath, but no Python 3 was found (tried {}). Install Python 3 with pip, or set FERROGRAD_PYTHON to one.",
        python::tried(&candidates)
    )
}

fn marker(dir: &Path) -> PathBuf {
    dir.join(".ferrograd-installed")
}

/// Finds or installs mpmath in the cache.
pub fn ensure() -> Result<Mpmath> {
    let python = find_python()?;
    let dir = cache::root()?.join("mpmath").join(MPMATH_VERSION);
    if !marker(&dir).exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("removing the half-finished install {}", dir.display()))?;
        }
        eprintln!(
            "parity: installing mpmath {MPMATH_VERSION} into {}",
            dir.display()
        );
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
            .arg(&dir)
            .arg(format!("mpmath=={MPMATH_VERSION}"))
            .status()
            .with_context(|| format!("could not run `{} -m pip`", python.display()))?;
        if !status.success() {
            bail!(
                "`{} -m pip install --target {} mpmath=={MPMATH_VERSION}` failed with {status}. Check the network and pip's index settings (PIP_INDEX_URL, HTTPS_PROXY), or install pip for that Python (`{} -m ensurepip`).",
                python.display(),
                dir.display(),
                python.display()
            );
        }
        std::fs::write(marker(&dir), MPMATH_VERSION)
            .with_context(|| format!("writing {}", marker(&dir).display()))?;
    }
    let m = Mpmath { python, path: dir };
    let mut check = Command::new(&m.python);
    check.args(["-c", "import mpmath; print(mpmath.__version__)"]);
    m.apply(&mut check);
    let out = check.output().context("running Python to check mpmath")?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if version != MPMATH_VERSION {
        bail!(
            "{} does not import mpmath {MPMATH_VERSION} from {} (got `{version}`); delete that folder and run again",
            m.python.display(),
            m.path.display()
        );
    }
    Ok(m)
}
