//! `cargo xtask libtorch`: finds or installs libtorch 2.13.0, the version
//! `tch 0.26.0` is built for, and says where it is.
//!
//! Order: `LIBTORCH` if set (its version checked); else a verified install in
//! the cache (`$FERROGRAD_CACHE`, default `~/.cache/ferrograd`); else a fresh
//! install from the Python package index with pip. Two kinds of install:
//!
//! - the default, *libtorch only*: `pip download` of the `torch` wheel plus the
//!   two CUDA runtime wheels `libtorch_cpu.so` links to (`libcudart`,
//!   `libcupti`), of which only the C++ headers and the CPU libraries are
//!   unpacked. CPU only; about 540 MB downloaded, 490 MB on disk.
//! - `--venv`: `pip install torch==2.13.0` into a virtual environment, with
//!   every CUDA library (about 4.7 GB): for CUDA runs and for `import torch`
//!   from Python (benchmarks against PyTorch itself).
//!
//! Installs are atomic: the libtorch-only kind is unpacked into a
//! `.partial-*` folder that is renamed into place when complete; both kinds
//! write a marker listing their key files and sizes as the very last step,
//! and only a folder whose marker matches its files is trusted. An
//! interrupted or damaged install is therefore detected and replaced.
//!
//! - [`env`]: a usable libtorch and the environment cargo needs for it;
//! - [`probe`]: what a folder holds (version, loadable libraries);
//! - [`marker`]: the completion marker, written last and checked first;
//! - [`disk`]: free space, leftovers of killed runs, a full disk;
//! - [`pip`]: the Python that installs, and pip under a spinner;
//! - [`wheel`]: the libtorch-only install from the wheels;
//! - [`venv`]: the full install into a virtual environment.

mod disk;
mod env;
mod marker;
mod pip;
mod probe;
mod venv;
mod wheel;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::cache;
pub use env::Libtorch;

/// The libtorch version `tch 0.26.0` is built for.
pub const TORCH_VERSION: &str = "2.13.0";

/// Arguments of `cargo xtask libtorch`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Install the full `torch` Python package into a virtual environment
    /// (CUDA and `import torch`; ~4.7 GB) instead of libtorch alone.
    #[arg(long)]
    pub venv: bool,
    /// Print `export` lines (LIBTORCH, LD_LIBRARY_PATH, LIBTORCH_CXX11_ABI)
    /// on stdout for `eval "$(cargo xtask libtorch --print-env)"`.
    #[arg(long)]
    pub print_env: bool,
}

/// Which install to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The C++ library only, from the wheel (CPU).
    Libtorch,
    /// The full Python package in a virtual environment.
    Venv,
}

/// Where libtorch was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The `LIBTORCH` environment variable.
    Env,
    /// A verified install in the cache.
    Cache,
    /// Installed by this run.
    Installed,
}

/// `cargo xtask libtorch`.
pub fn run(args: &Args) -> Result<()> {
    let start = Instant::now();
    let kind = if args.venv {
        Kind::Venv
    } else {
        Kind::Libtorch
    };
    let lt = ensure(kind)?;
    if args.print_env {
        print!("{}", lt.export_lines());
        std::io::stdout().flush()?;
    }
    let how = match lt.origin {
        Origin::Env => "from LIBTORCH",
        Origin::Cache => "cached",
        Origin::Installed => "installed",
    };
    eprintln!(
        "libtorch {} ({how}) at {} in {:.1?}",
        lt.version,
        lt.dir.display(),
        start.elapsed()
    );
    Ok(())
}

/// Finds or installs libtorch: `LIBTORCH` if set, else the cache, else pip.
pub fn ensure(kind: Kind) -> Result<Libtorch> {
    if let Some(lt) = from_env()? {
        return Ok(lt);
    }
    let cache = cache::root()?;
    let target = install_dir(&cache, kind);
    if let Some(lt) = cached(&target)? {
        return Ok(lt);
    }
    install(kind, &cache, &target)
}

/// The libtorch `LIBTORCH` names, when it is set; an error if it is not
/// libtorch of the pinned version.
fn from_env() -> Result<Option<Libtorch>> {
    let Some(dir) = std::env::var_os("LIBTORCH").filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let dir = PathBuf::from(dir);
    let version =
        probe::check_libtorch_dir(&dir).map_err(|e| anyhow::anyhow!("LIBTORCH is set, but {e}"))?;
    Ok(Some(Libtorch {
        dir,
        version,
        origin: Origin::Env,
        python: None,
    }))
}

/// The install folder of one kind inside the cache.
fn install_dir(cache: &Path, kind: Kind) -> PathBuf {
    let base = cache.join("libtorch");
    match kind {
        Kind::Libtorch => base.join(TORCH_VERSION),
        Kind::Venv => base.join(format!("{TORCH_VERSION}-venv")),
    }
}

/// The install at `target` when its marker vouches for it; an untrusted
/// one is removed, so that a fresh install can take its place.
fn cached(target: &Path) -> Result<Option<Libtorch>> {
    match marker::verify_install(target) {
        Ok(marker) => return Ok(Some(marker.libtorch(target, Origin::Cache))),
        Err(why) if target.exists() => {
            eprintln!(
                "libtorch: the cached install at {} is not trusted ({why:#}); replacing it",
                target.display()
            );
            fs::remove_dir_all(target).with_context(|| {
                format!(
                    "could not remove the damaged install at {}; delete it by hand",
                    target.display()
                )
            })?;
        }
        Err(_) => {}
    }
    Ok(None)
}

/// A fresh install of `kind` into `target`, checked by its own marker.
fn install(kind: Kind, cache: &Path, target: &Path) -> Result<Libtorch> {
    let parent = target.parent().unwrap_or(cache);
    fs::create_dir_all(parent).with_context(|| {
        format!(
            "could not create the cache folder {}; set FERROGRAD_CACHE to a writable folder",
            cache.display()
        )
    })?;
    disk::remove_stale_partials(parent);
    disk::check_free_space(cache, disk::needed_bytes(kind))?;
    let python = pip::find_python()?;
    match kind {
        Kind::Libtorch => wheel::install(&python, target),
        Kind::Venv => venv::install(&python, target),
    }
    .map_err(|e| disk::explain_disk_full(e, cache))?;
    let marker =
        marker::verify_install(target).context("the fresh install failed its own check")?;
    Ok(marker.libtorch(target, Origin::Installed))
}
