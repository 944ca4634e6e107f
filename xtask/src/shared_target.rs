//! The oracle's target folder, shared by every checkout of the machine so
//! that torch-sys is compiled once, and how one checkout takes it for itself.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::process::{self, cargo_in};
use crate::{cache, workspace};

/// Where the oracle crate (ferrograd-torch) is built: `CARGO_TARGET_DIR`
/// when set, else the `target` folder next to libtorch in the cache, so that
/// torch-sys's minutes of compiling are spent once per machine, not per
/// clone. Claim it with [`claim`] before building there.
pub fn oracle_build_dir() -> Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(cache::root()?.join("target")),
    }
}

/// This checkout's exclusive use of a target folder shared with other
/// checkouts (the oracle's, next to libtorch in the cache), until dropped.
#[derive(Debug)]
pub struct Claim {
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
pub fn claim(dir: &Path) -> Result<Claim> {
    claim_for(&workspace::root(), dir)
}

/// [`claim`] for the checkout whose workspace root is `root`.
fn claim_for(root: &Path, dir: &Path) -> Result<Claim> {
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
    let packages = workspace::packages(root)?;
    // No packages would make `cargo clean` empty the whole folder.
    if last != me && !packages.is_empty() {
        let mut clean = cargo_in(root);
        clean
            .args(["clean", "--release"])
            .args(packages.iter().flat_map(|p| ["-p", p.as_str()]))
            .env("CARGO_TARGET_DIR", dir);
        process::run(&mut clean)?;
    }
    fs::write(&marker, &me).with_context(|| format!("writing {}", marker.display()))?;
    Ok(Claim { _lock: lock })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

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
        let tmp = crate::testing::temp("claim");
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
