//! The libtorch-only install: `pip download` of the torch wheel and the
//! CUDA runtime wheels it links to, of which only the C++ parts are
//! unpacked, into a partial folder renamed into place when complete.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::ProgressBar;

use super::disk::dir_size;
use super::marker::{verify_install, write_marker};
use super::probe::{check_libtorch_dir, check_load_deps};
use super::{pip, Kind, TORCH_VERSION};
use crate::process;

/// The CUDA runtime wheels `libtorch_cpu.so` of `torch 2.13.0` needs at load
/// time (`libcudart.so.13`, `libcupti.so.13`), at the versions pip resolves
/// for `torch==2.13.0`.
const NVIDIA_WHEELS: [&str; 2] = ["nvidia-cuda-runtime==13.0.96", "nvidia-cuda-cupti==13.0.85"];

/// Downloads the wheels, unpacks the C++ parts into a partial folder, marks
/// it and renames it into place as `target`.
pub fn install(python: &Path, target: &Path) -> Result<()> {
    let parent = target.parent().context("install folder has no parent")?;
    let partial = parent.join(format!(".partial-{TORCH_VERSION}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial)?;
    let result = install_into(python, target, &partial);
    // On success the partial folder is already gone; after a failure nothing
    // in it is worth keeping. (A killed run leaves it; the next run removes it.)
    let _ = fs::remove_dir_all(&partial);
    result
}

fn install_into(python: &Path, target: &Path, partial: &Path) -> Result<()> {
    let wheels = partial.join("wheels");
    let start = Instant::now();
    download(python, &wheels)?;
    eprintln!(
        "libtorch: downloaded {:.0} MB in {:.1?}",
        dir_size(&wheels) as f64 / 1e6,
        start.elapsed()
    );
    let root = partial.join("root");
    for entry in fs::read_dir(&wheels)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "whl") {
            unpack(&path, &root)?;
        }
    }
    fs::remove_dir_all(&wheels)?;
    let libtorch_rel = PathBuf::from("torch");
    let version = check_libtorch_dir(&root.join(&libtorch_rel))?;
    // torch-sys checks `build-version` when present; make the check real.
    fs::write(
        root.join("torch").join("build-version"),
        format!("{version}\n"),
    )?;
    check_load_deps(&root.join("torch/lib/libtorch_cpu.so"))?;
    write_marker(&root, Kind::Libtorch, &libtorch_rel, None)?;
    if let Err(e) = fs::rename(&root, target) {
        // Another run may have finished first; keep theirs if it is sound.
        if verify_install(target).is_ok() {
            return Ok(());
        }
        return Err(e)
            .with_context(|| format!("could not move the install into {}", target.display()));
    }
    eprintln!(
        "libtorch: unpacked {:.0} MB into {}",
        dir_size(target) as f64 / 1e6,
        target.display()
    );
    Ok(())
}

/// `pip download` of the torch wheel and [`NVIDIA_WHEELS`] into `wheels`.
fn download(python: &Path, wheels: &Path) -> Result<()> {
    let torch = format!("torch=={TORCH_VERSION}");
    pip::run(
        &format!("pip download {torch}"),
        Command::new(python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
            ])
            .arg(wheels)
            .arg(&torch)
            .args(NVIDIA_WHEELS),
    )
}

/// Unpacks the parts of a wheel libtorch needs: headers, cmake files and the
/// CPU libraries of `torch`, and the shared libraries of NVIDIA's runtime
/// wheels.
fn unpack(wheel: &Path, root: &Path) -> Result<()> {
    let file = fs::File::open(wheel)?;
    let mut zip = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a readable wheel", wheel.display()))?;
    let mut wanted = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i)?;
        let Some(name) = entry.enclosed_name().map(Path::to_path_buf) else {
            continue;
        };
        if entry.is_dir() || !keep_member(&name) {
            continue;
        }
        total += entry.size();
        wanted.push((i, name));
    }
    let pb = process::styled(
        ProgressBar::new(total),
        "{bar:30} {bytes}/{total_bytes} unpacking {msg}",
        None,
    );
    pb.set_message(
        wheel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    for (i, name) in wanted {
        let mut entry = zip.by_index(i)?;
        let out = root.join(&name);
        if let Some(dir) = out.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut dst =
            fs::File::create(&out).with_context(|| format!("could not write {}", out.display()))?;
        let n = std::io::copy(&mut entry, &mut dst)
            .with_context(|| format!("could not write {}", out.display()))?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&out, fs::Permissions::from_mode(mode & 0o777))?;
        }
        pb.inc(n);
    }
    pb.finish_and_clear();
    Ok(())
}

/// Whether a wheel member belongs to the libtorch-only install.
fn keep_member(name: &Path) -> bool {
    let s = name.to_string_lossy();
    let file = name
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(rest) = s.strip_prefix("torch/") {
        if rest.starts_with("include/") || rest.starts_with("share/") || rest == "version.py" {
            return true;
        }
        if let Some(lib) = rest.strip_prefix("lib/") {
            // The CPU libraries; the CUDA ones (libtorch_cuda*.so, ~0.5 GB and
            // many more dependencies) are left out so torch-sys links CPU only.
            return ["libtorch_cpu.so", "libtorch.so", "libc10.so", "libshm.so"].contains(&lib)
                || lib.starts_with("libgomp");
        }
        return false;
    }
    s.starts_with("nvidia/") && s.contains("/lib/") && file.contains(".so")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cpu_parts_of_the_wheel_are_kept() {
        assert!(keep_member(Path::new("torch/lib/libtorch_cpu.so")));
        assert!(keep_member(Path::new("torch/include/ATen/ATen.h")));
        assert!(keep_member(Path::new("nvidia/cu13/lib/libcudart.so.13")));
        assert!(!keep_member(Path::new("torch/lib/libtorch_cuda.so")));
        assert!(!keep_member(Path::new("torch/nn/modules/linear.py")));
    }
}
