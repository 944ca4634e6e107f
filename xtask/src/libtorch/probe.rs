//! What a folder holds: whether it is libtorch of the pinned version, and
//! whether its libraries load.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::TORCH_VERSION;

/// Checks that `dir` is a libtorch folder of the pinned version and returns
/// its full version string. Errors read as the end of a sentence.
pub fn check_libtorch_dir(dir: &Path) -> Result<String> {
    let advice = format!(
        "It must name a libtorch {TORCH_VERSION} folder (the one holding lib/ and include/, e.g. <venv>/lib/python3.11/site-packages/torch after `pip install torch=={TORCH_VERSION}`). Fix the path, or unset LIBTORCH and run `cargo xtask libtorch` to fetch libtorch {TORCH_VERSION} into the cache."
    );
    if !dir.is_dir() {
        bail!("{} is not a folder. {advice}", dir.display());
    }
    if !dir.join("lib").join("libtorch_cpu.so").is_file() {
        bail!(
            "{} has no lib/libtorch_cpu.so, so it is not a libtorch folder. {advice}",
            dir.display()
        );
    }
    let version = read_version(dir).with_context(|| {
        format!("{} holds no build-version or version.py, so its libtorch version cannot be checked. {advice}", dir.display())
    })?;
    let base = version.split('+').next().unwrap_or(&version);
    if base != TORCH_VERSION {
        bail!(
            "{} holds libtorch {version}, but ferrograd pins tch 0.26.0, which needs libtorch {TORCH_VERSION}. {advice}",
            dir.display()
        );
    }
    Ok(version)
}

/// The version from `build-version` (libtorch zips) or `version.py` (wheels).
fn read_version(dir: &Path) -> Option<String> {
    if let Ok(v) = fs::read_to_string(dir.join("build-version")) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v.to_string());
        }
    }
    let py = fs::read_to_string(dir.join("version.py")).ok()?;
    py.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("__version__")?;
        let rest = rest.trim_start().strip_prefix('=')?;
        let v = rest.trim().trim_matches(|c| c == '\'' || c == '"');
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Checks with `ldd` (when present) that every library `lib` needs resolves.
pub fn check_load_deps(lib: &Path) -> Result<()> {
    let Ok(out) = Command::new("ldd").arg(lib).output() else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let missing: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("not found"))
        .map(str::trim)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} cannot be loaded: {}. The wheel set pinned in xtask/src/libtorch/wheel.rs (NVIDIA_WHEELS) no longer matches torch {TORCH_VERSION}; use `cargo xtask libtorch --venv` meanwhile.",
            lib.display(),
            missing.join("; ")
        );
    }
    Ok(())
}

/// A folder laid out as libtorch, for the install's tests.
#[cfg(test)]
pub mod testing {
    use std::fs;
    use std::path::Path;

    /// The files of a libtorch `version` that the checks look at.
    pub fn fake_libtorch(dir: &Path, version: &str) {
        fs::create_dir_all(dir.join("lib")).unwrap();
        fs::create_dir_all(dir.join("include/torch/csrc/api/include/torch")).unwrap();
        fs::write(dir.join("lib/libtorch_cpu.so"), b"elf").unwrap();
        fs::write(
            dir.join("include/torch/csrc/api/include/torch/torch.h"),
            b"// h",
        )
        .unwrap();
        fs::write(
            dir.join("version.py"),
            format!("__version__ = '{version}'\ncuda = None\n"),
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::testing::fake_libtorch;
    use super::*;
    use crate::testing::temp;

    #[test]
    fn versions_are_read_from_version_py_and_build_version() {
        let d = temp("version");
        fake_libtorch(&d, "2.13.0+cpu");
        assert_eq!(check_libtorch_dir(&d).unwrap(), "2.13.0+cpu");
        fs::write(d.join("build-version"), "2.13.0+cu130\n").unwrap();
        assert_eq!(check_libtorch_dir(&d).unwrap(), "2.13.0+cu130");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_wrong_version_names_both_versions() {
        let d = temp("wrong");
        fake_libtorch(&d, "2.5.1+cpu");
        let e = check_libtorch_dir(&d).unwrap_err().to_string();
        assert!(e.contains("2.5.1+cpu") && e.contains("2.13.0"), "{e}");
        let e = check_libtorch_dir(&d.join("nothing"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a folder"), "{e}");
        let _ = fs::remove_dir_all(&d);
    }
}
