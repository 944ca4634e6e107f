//! What the unit tests share: an empty folder of their own.

use std::fs;
use std::path::PathBuf;

/// An empty temporary folder for the test called `name`, unique to this
/// test process (removed and made again when a run left it behind).
pub fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrograd-xtask-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}
