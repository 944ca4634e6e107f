//! Which Python xtask runs for pip, mpmath and the libtorch install.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The interpreters to try, in order: `$FERROGRAD_PYTHON` alone when set,
/// else `python3`, then `python`.
pub fn candidates() -> Vec<PathBuf> {
    match std::env::var_os("FERROGRAD_PYTHON").filter(|p| !p.is_empty()) {
        Some(p) => vec![PathBuf::from(p)],
        None => vec!["python3".into(), "python".into()],
    }
}

/// Whether `python` starts and is a Python 3.
pub fn is_python3(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import sys; print(sys.version_info[0])"])
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "3")
}

/// The candidates as a list for messages (`python3, python`).
pub fn tried(candidates: &[PathBuf]) -> String {
    candidates
        .iter()
        .map(|c| c.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
