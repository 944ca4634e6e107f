//! The full install: `torch` from the package index into a virtual
//! environment, with every CUDA library and a Python that imports it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use super::marker::write_marker;
use super::{pip, Kind, TORCH_VERSION};

/// A venv at `target` with `torch==2.13.0` (and numpy, which torch warns
/// about without). Venvs hold absolute paths, so it is built in place; the
/// marker, written last, is what makes it trusted.
pub fn install(python: &Path, target: &Path) -> Result<()> {
    let start = Instant::now();
    pip::run(
        "python -m venv",
        Command::new(python).args(["-m", "venv"]).arg(target),
    )?;
    let vpy = target.join("bin").join("python");
    pip::run(
        &format!("pip install torch=={TORCH_VERSION}"),
        Command::new(&vpy).args([
            "-m",
            "pip",
            "install",
            &format!("torch=={TORCH_VERSION}"),
            "numpy",
        ]),
    )?;
    eprintln!(
        "libtorch: installed torch {TORCH_VERSION} into {} in {:.1?}",
        target.display(),
        start.elapsed()
    );
    let site = fs::read_dir(target.join("lib"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("site-packages/torch/lib/libtorch_cpu.so").is_file())
        .context("pip finished but the venv holds no site-packages/torch/lib/libtorch_cpu.so")?;
    let libtorch_rel = site
        .join("site-packages/torch")
        .strip_prefix(target)?
        .to_path_buf();
    write_marker(
        target,
        Kind::Venv,
        &libtorch_rel,
        Some(PathBuf::from("bin/python")),
    )
}
