//! The checkout `cargo xtask` was invoked from: its root, its packages, and
//! where its outputs go.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::process::cargo_in;

/// The workspace root of the invoking checkout.
///
/// Found at run time, never baked in at compile time: `cargo run` (which
/// `cargo xtask` is) tells the program its manifest folder in
/// `CARGO_MANIFEST_DIR`, the invoking checkout's `xtask/`, whichever
/// checkout's build of this binary runs. Started some other way, it is the
/// nearest folder at or above the current one whose `Cargo.toml` declares a
/// `[workspace]`.
pub fn root() -> PathBuf {
    if let Some(xtask) = std::env::var_os("CARGO_MANIFEST_DIR").filter(|d| !d.is_empty()) {
        let xtask = PathBuf::from(xtask);
        if let Some(parent) = xtask.parent() {
            return parent.to_path_buf();
        }
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

/// `cargo metadata --no-deps` of the workspace at `root`.
fn metadata(root: &Path) -> Result<serde_json::Value> {
    let manifest = root.join("Cargo.toml");
    let out = cargo_in(root)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .context("could not start `cargo metadata`")?;
    if !out.status.success() {
        bail!(
            "`cargo metadata` for {} failed with {}: {}",
            manifest.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("`cargo metadata` did not print JSON")
}

/// The names of the packages of the workspace at `root`.
pub fn packages(root: &Path) -> Result<Vec<String>> {
    Ok(metadata(root)?["packages"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default())
}

/// Where the invoking checkout's outputs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    /// The checkout's target folder, as cargo resolves it for that checkout:
    /// `CARGO_TARGET_DIR`, `build.target-dir` of its config, or `<root>/target`.
    pub target: PathBuf,
}

impl Outputs {
    /// The outputs of the checkout at [`root()`], from `cargo metadata`.
    pub fn invoking() -> Result<Self> {
        Self::of(&root())
    }

    /// The outputs of the checkout whose workspace root is `root`.
    pub fn of(root: &Path) -> Result<Self> {
        let meta = metadata(root)?;
        let target = meta["target_directory"].as_str().with_context(|| {
            format!(
                "`cargo metadata` for {} names no target_directory",
                root.join("Cargo.toml").display()
            )
        })?;
        Ok(Outputs {
            target: PathBuf::from(target),
        })
    }

    /// `cargo xtask parity`'s report.md and report.json.
    pub fn parity(&self) -> PathBuf {
        self.target.join("parity")
    }

    /// `cargo xtask notebook`'s page, and the PyTorch cell it reads.
    pub fn notebook(&self) -> PathBuf {
        self.target.join("notebook")
    }

    /// `cargo xtask bench`'s report, charts, criterion data and logs.
    pub fn bench(&self) -> PathBuf {
        self.target.join("bench")
    }

    /// This checkout's own copy of the parity runner: it is built in a
    /// target folder shared by every checkout, where another checkout's
    /// build may replace it at any time.
    pub fn oracle_bin(&self) -> PathBuf {
        self.target.join("oracle").join("parity")
    }
}
