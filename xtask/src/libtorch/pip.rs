//! pip, which fetches torch: the Python that runs it, and a run of it under
//! a spinner whose failure says what most likely went wrong.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::TORCH_VERSION;
use crate::process;
use crate::python;

/// A Python 3 with pip: `$FERROGRAD_PYTHON`, else `python3`, else `python`.
pub fn find_python() -> Result<PathBuf> {
    let candidates = python::candidates();
    let mut python_without_pip = None;
    for py in candidates.iter().filter(|py| python::is_python3(py)) {
        let pip = Command::new(py)
            .args(["-m", "pip", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if pip.is_ok_and(|s| s.success()) {
            return Ok(py.clone());
        }
        python_without_pip.get_or_insert_with(|| py.display().to_string());
    }
    if let Some(py) = python_without_pip {
        bail!(
            "libtorch {TORCH_VERSION} is fetched from the Python package index with pip, but `{py} -m pip` does not run. Install pip (e.g. `apt-get install python3-pip`, or `{py} -m ensurepip`), or point LIBTORCH at an existing libtorch {TORCH_VERSION} folder."
        );
    }
    bail!(
        "libtorch {TORCH_VERSION} is fetched from the Python package index with pip, but no Python 3 was found (tried {}). Install Python 3 with pip (e.g. `apt-get install python3 python3-pip`), set FERROGRAD_PYTHON to one, or point LIBTORCH at an existing libtorch {TORCH_VERSION} folder.",
        python::tried(&candidates)
    );
}

/// Runs pip (or another long command) under a spinner that shows its latest
/// output line; on failure the error carries its last lines.
pub fn run(what: &str, cmd: &mut Command) -> Result<()> {
    let pb = process::spinner("{spinner} [{elapsed_precise}] {prefix}: {wide_msg}");
    pb.set_prefix(what.to_string());
    cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PYTHONUNBUFFERED", "1");
    let teed =
        process::under(&pb, |_| true, cmd).with_context(|| format!("could not start {what}"))?;
    if teed.status.success() {
        return Ok(());
    }
    bail!("{}", failure(what, &teed.status, &teed.trimmed()))
}

/// pip's output, when it failed, read as the most likely reason.
fn failure(what: &str, status: &std::process::ExitStatus, lines: &[&str]) -> String {
    let tail = lines[lines.len().saturating_sub(8)..].join("\n  ");
    let all = lines.join("\n");
    if all.contains("No space left on device") {
        return format!("{what} failed: No space left on device\n  {tail}");
    }
    let unreachable = [
        "from versions: none",
        "NewConnectionError",
        "Failed to establish a new connection",
        "ConnectionError",
        "Max retries",
        "Could not fetch URL",
        "ProxyError",
        "SSLError",
        "HTTPError",
        "Temporary failure in name resolution",
    ];
    if unreachable.iter().any(|s| all.contains(s)) {
        return format!(
            "{what} failed: the package index could not be reached or refused the request (pip saw no torch release at all). Check the network, proxy and index settings (pip reads PIP_INDEX_URL, HTTPS_PROXY and pip.conf; `pip config list` shows them), or point LIBTORCH at a libtorch {TORCH_VERSION} folder. pip said:\n  {tail}"
        );
    }
    if all.contains("No matching distribution") || all.contains("Could not find a version") {
        return format!(
            "{what} failed: the package index has torch, but no {TORCH_VERSION} wheel for this Python and platform (torch {TORCH_VERSION} wheels exist for CPython 3.10-3.14 on x86_64 Linux). Use such a Python (FERROGRAD_PYTHON=...) or point LIBTORCH at a libtorch {TORCH_VERSION} folder. pip said:\n  {tail}"
        );
    }
    format!("{what} failed with {status}. Its last lines:\n  {tail}")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn pip_failures_are_read_as_their_likely_cause() {
        let status = std::process::ExitStatus::from_raw(1 << 8);
        let offline = failure(
            "pip download torch==2.13.0",
            &status,
            &["Looking in indexes: x", "ERROR: Could not find a version that satisfies the requirement torch==2.13.0 (from versions: none)"],
        );
        assert!(offline.contains("could not be reached"), "{offline}");
        let no_wheel = failure(
            "pip download",
            &status,
            &["ERROR: No matching distribution found for torch==2.13.0"],
        );
        assert!(no_wheel.contains("no 2.13.0 wheel"), "{no_wheel}");
        let lines: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let other = failure("pip", &status, &lines);
        assert!(
            other.starts_with("pip failed with exit status: 1."),
            "{other}"
        );
        assert!(
            other.contains("line 2") && !other.contains("line 1\n"),
            "{other}"
        );
    }
}
