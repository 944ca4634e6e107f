//! The completion marker: written as the very last step of an install,
//! listing its key files and their sizes, and checked before a cached
//! install is trusted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::probe::check_libtorch_dir;
use super::{Kind, Libtorch, Origin};

/// The marker's file name inside a complete install.
const MARKER: &str = "ferrograd-libtorch.json";

/// The marker: what a complete install holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Marker {
    kind: Kind,
    version: String,
    /// `LIBTORCH`, relative to the install folder.
    libtorch: PathBuf,
    /// The venv's Python, relative to the install folder.
    python: Option<PathBuf>,
    /// Key files (relative) and their sizes.
    files: Vec<(PathBuf, u64)>,
}

impl Marker {
    /// The libtorch of the install at `root` this marker describes.
    pub fn libtorch(&self, root: &Path, origin: Origin) -> Libtorch {
        Libtorch {
            dir: root.join(&self.libtorch),
            version: self.version.clone(),
            origin,
            python: self.python.as_ref().map(|p| root.join(p)),
        }
    }
}

/// Checks an install folder against its marker.
pub fn verify_install(root: &Path) -> Result<Marker> {
    let text = fs::read_to_string(root.join(MARKER)).context("no completion marker")?;
    let marker: Marker = serde_json::from_str(&text).context("unreadable completion marker")?;
    for (file, size) in &marker.files {
        let meta = fs::metadata(root.join(file))
            .with_context(|| format!("{} is missing", file.display()))?;
        if meta.len() != *size {
            bail!(
                "{} has {} bytes, the marker says {size}",
                file.display(),
                meta.len()
            );
        }
    }
    let found = check_libtorch_dir(&root.join(&marker.libtorch))?;
    if found != marker.version {
        bail!(
            "the marker says {} but the files say {found}",
            marker.version
        );
    }
    Ok(marker)
}

/// Writes the marker of a finished install (the last step of every install).
pub fn write_marker(
    root: &Path,
    kind: Kind,
    libtorch_rel: &Path,
    python: Option<PathBuf>,
) -> Result<()> {
    let version = check_libtorch_dir(&root.join(libtorch_rel))?;
    let mut files = Vec::new();
    for path in key_files(&root.join(libtorch_rel))? {
        let size = fs::metadata(&path)
            .with_context(|| format!("{} is missing", path.display()))?
            .len();
        files.push((path.strip_prefix(root).unwrap_or(&path).to_path_buf(), size));
    }
    let marker = Marker {
        kind,
        version,
        libtorch: libtorch_rel.to_path_buf(),
        python,
        files,
    };
    let tmp = root.join(format!("{MARKER}.tmp"));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(serde_json::to_string_pretty(&marker)?.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, root.join(MARKER))?;
    Ok(())
}

/// The files whose sizes the marker records: the shared libraries, the
/// version and the main header, sorted.
fn key_files(libtorch: &Path) -> Result<Vec<PathBuf>> {
    let mut keys: Vec<PathBuf> = fs::read_dir(libtorch.join("lib"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(".so"))
        })
        .collect();
    keys.push(libtorch.join("version.py"));
    keys.push(libtorch.join("include/torch/csrc/api/include/torch/torch.h"));
    keys.sort();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::super::probe::testing::fake_libtorch;
    use super::*;
    use crate::testing::temp;

    #[test]
    fn the_marker_catches_a_damaged_install() {
        let d = temp("marker");
        fake_libtorch(&d.join("torch"), "2.13.0+cpu");
        assert!(verify_install(&d).is_err(), "no marker yet");
        write_marker(&d, Kind::Libtorch, Path::new("torch"), None).unwrap();
        let m = verify_install(&d).unwrap();
        assert_eq!(m.version, "2.13.0+cpu");
        fs::write(d.join("torch/lib/libtorch_cpu.so"), b"truncated?").unwrap();
        let e = verify_install(&d).unwrap_err().to_string();
        assert!(e.contains("libtorch_cpu.so"), "{e}");
        let _ = fs::remove_dir_all(&d);
    }
}
