//! Helpers shared by the commands: running programs, finding the checkout
//! `cargo xtask` was invoked from and where its outputs go.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

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
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("`cargo metadata` did not print JSON")?;
        let target = meta["target_directory"].as_str().with_context(|| {
            format!(
                "`cargo metadata` for {} names no target_directory",
                manifest.display()
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

/// Where the oracle crate (ferrograd-torch) is built: `CARGO_TARGET_DIR`
/// when set, else the `target` folder next to libtorch in the cache, so that
/// torch-sys's minutes of compiling are spent once per machine, not per
/// clone. Claim it with [`claim_shared_build_dir`] before building there.
pub fn oracle_build_dir() -> Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(crate::libtorch::cache_root()?.join("target")),
    }
}

/// This checkout's exclusive use of a target folder shared with other
/// checkouts (the oracle's, next to libtorch in the cache), until dropped.
#[derive(Debug)]
pub struct SharedBuildDir {
    _lock: File,
}

/// Waits for, then takes, the shared build folder `dir` for the invoking
/// checkout.
///
/// Sharing keeps torch-sys compiled once per machine. But cargo names a
/// workspace crate's artifacts the same whichever checkout it comes from,
/// and calls them fresh when they are newer than the files of the checkout
/// building now: another checkout's build would pass for this one's. So
/// when the folder last built another checkout, this one's workspace crates
/// are cleaned out of it first (their dependencies stay), and the lock keeps
/// another checkout from building there until this one has built, tested
/// and copied what it needs.
pub fn claim_shared_build_dir(dir: &Path) -> Result<SharedBuildDir> {
    claim_for(&root(), dir)
}

/// [`claim_shared_build_dir`] for the checkout whose workspace root is `root`.
fn claim_for(root: &Path, dir: &Path) -> Result<SharedBuildDir> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("ferrograd-checkout.lock");
    let lock = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    if lock.try_lock().is_err() {
        eprintln!(
            "waiting for another checkout to finish with {} (lock {})",
            dir.display(),
            path.display()
        );
        lock.lock()
            .with_context(|| format!("locking {}", path.display()))?;
    }
    let me = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let me = me.display().to_string();
    let marker = dir.join("ferrograd-checkout");
    let last = fs::read_to_string(&marker).unwrap_or_default();
    let packages = workspace_packages(root)?;
    // No packages would make `cargo clean` empty the whole folder.
    if last != me && !packages.is_empty() {
        let mut clean = cargo_in(root);
        clean
            .args(["clean", "--release"])
            .args(packages.iter().flat_map(|p| ["-p", p.as_str()]))
            .env("CARGO_TARGET_DIR", dir);
        run(&mut clean)?;
    }
    fs::write(&marker, &me).with_context(|| format!("writing {}", marker.display()))?;
    Ok(SharedBuildDir { _lock: lock })
}

/// The names of the packages of the workspace at `root`.
fn workspace_packages(root: &Path) -> Result<Vec<String>> {
    let out = cargo_in(root)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .context("could not start `cargo metadata`")?;
    if !out.status.success() {
        bail!(
            "`cargo metadata` in {} failed with {}: {}",
            root.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("`cargo metadata` did not print JSON")?;
    Ok(meta["packages"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default())
}

/// A `cargo` command run from the workspace root with the same toolchain.
pub fn cargo() -> Command {
    cargo_in(&root())
}

fn cargo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir);
    cmd
}

/// Runs `cmd`, echoing it first; fails with its exit status.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", describe(cmd));
    }
    Ok(())
}

/// The command line of `cmd`, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A checkout with one binary package, named the same in every
    /// checkout, that prints `word`.
    fn checkout(dir: &Path, word: &str) {
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"oracle-stand-in\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        )
        .unwrap();
        fs::write(
            dir.join("src/main.rs"),
            format!("fn main() {{ println!(\"{word}\"); }}\n"),
        )
        .unwrap();
    }

    /// Claims `shared` for the checkout at `root`, builds there and runs
    /// what cargo built.
    fn build_and_run(root: &Path, shared: &Path) -> String {
        let _claim = claim_for(root, shared).unwrap();
        let status = cargo_in(root)
            .args(["build", "--release", "--quiet"])
            .env("CARGO_TARGET_DIR", shared)
            .status()
            .unwrap();
        assert!(status.success());
        let out = Command::new(shared.join("release/oracle-stand-in"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    #[test]
    fn a_shared_build_folder_never_hands_one_checkout_anothers_build() {
        let tmp = std::env::temp_dir().join(format!("ferrograd-claim-{}", std::process::id()));
        let (a, b, shared) = (tmp.join("a"), tmp.join("b"), tmp.join("shared"));
        checkout(&a, "from a");
        checkout(&b, "from b");
        assert_eq!(build_and_run(&a, &shared), "from a");
        assert_eq!(build_and_run(&b, &shared), "from b");
        // a's sources are older than b's build: cargo alone calls b's
        // binary fresh for a and hands it over.
        assert_eq!(build_and_run(&a, &shared), "from a");
        assert_eq!(build_and_run(&a, &shared), "from a");
        let _ = fs::remove_dir_all(&tmp);
    }
}
