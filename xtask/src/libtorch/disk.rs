//! The disk under the cache: room for an install, leftovers of killed
//! installs, and what a full disk means for the user.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

use super::{Kind, TORCH_VERSION};

/// Free space needed for each kind (download plus unpacked, with margin).
pub fn needed_bytes(kind: Kind) -> u64 {
    match kind {
        Kind::Libtorch => 1_300_000_000,
        Kind::Venv => 6_000_000_000,
    }
}

/// Fails early, with advice, when the cache's disk cannot hold the install.
pub fn check_free_space(cache: &Path, needed: u64) -> Result<()> {
    let Some(free) = free_bytes(cache) else {
        return Ok(());
    };
    if free < needed {
        bail!(
            "the disk holding the cache {} has {:.1} GB free, but installing libtorch {TORCH_VERSION} needs about {:.1} GB. Free some space, or set FERROGRAD_CACHE to a folder on a larger disk (outside the checkout), then run again.",
            cache.display(),
            free as f64 / 1e9,
            needed as f64 / 1e9
        );
    }
    Ok(())
}

/// Free bytes on the disk holding `dir`, from `df` (None if unknown).
fn free_bytes(dir: &Path) -> Option<u64> {
    let mut probe = dir.to_path_buf();
    while !probe.exists() {
        probe = probe.parent()?.to_path_buf();
    }
    let out = Command::new("df").arg("-Pk").arg(&probe).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kb: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Turns an out-of-space failure anywhere in the install into advice.
pub fn explain_disk_full(e: anyhow::Error, cache: &Path) -> anyhow::Error {
    let text = format!("{e:#}");
    let io_full = e
        .chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::StorageFull);
    if io_full || text.contains("No space left on device") {
        return anyhow::anyhow!(
            "the disk filled up while installing libtorch {TORCH_VERSION} into {} ({text}). Nothing half-written is trusted: the next run starts over. Free some space or set FERROGRAD_CACHE to a folder on a larger disk, then run again.",
            cache.display()
        );
    }
    e
}

/// Removes `.partial-*` folders whose installing process is gone.
pub fn remove_stale_partials(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".partial-") else {
            continue;
        };
        let pid = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Bytes in the files below `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_becomes_advice() {
        let io = std::io::Error::new(std::io::ErrorKind::StorageFull, "write failed");
        let e = explain_disk_full(anyhow::Error::new(io).context("unpacking"), Path::new("/c"));
        let text = e.to_string();
        assert!(
            text.contains("disk filled up") && text.contains("FERROGRAD_CACHE"),
            "{text}"
        );
        let other = explain_disk_full(anyhow::anyhow!("something else"), Path::new("/c"));
        assert_eq!(other.to_string(), "something else");
    }
}
