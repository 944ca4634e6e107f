//! The Python peers' environment: the venv `cargo xtask libtorch --venv`
//! makes (torch 2.13.0), with micrograd and micrograd-rust added from the
//! package index on first use. Every step that fails is recorded, never fatal:
//! the peers it affects become rows with the error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::libtorch::{self, Kind};
use crate::process::{self, Pipe};

/// Python packages the peers import, with the versions installed when
/// missing (the only releases on the index today).
pub const PACKAGES: [(&str, &str, &str); 2] = [
    ("micrograd", "micrograd", "0.1.0"),
    ("micrograd-rust", "micrograd_rust", "0.1.0"),
];

/// The Python side of a run.
#[derive(Debug, Default)]
pub struct PythonEnv {
    /// The interpreter, or why there is none.
    pub python: Option<PathBuf>,
    /// Why there is no interpreter.
    pub error: Option<String>,
    /// Distribution name -> its version, or why it cannot be imported.
    pub packages: BTreeMap<String, Result<String, String>>,
    /// The interpreter's version.
    pub version: Option<String>,
}

impl PythonEnv {
    /// Whether `package` imports, or why not.
    pub fn check(&self, package: &str) -> Result<(), String> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.packages.get(package) {
            Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("{package} was not checked")),
        }
    }

    /// The installed version of `package`.
    pub fn version_of(&self, package: &str) -> Option<String> {
        self.packages
            .get(package)
            .and_then(|r| r.as_ref().ok().cloned())
    }
}

/// Finds the interpreter (`explicit`, else the cached venv, made if needed)
/// and makes sure the peers' packages are in it.
pub fn prepare(explicit: Option<&Path>, install: bool) -> PythonEnv {
    let python = match explicit {
        Some(p) => Ok(p.to_path_buf()),
        None => venv_python(),
    };
    let python = match python {
        Ok(p) => p,
        Err(e) => {
            return PythonEnv {
                error: Some(format!("no Python with torch: {e:#}")),
                ..PythonEnv::default()
            }
        }
    };
    let mut env = inspect(&python);
    if install && env.error.is_none() {
        for (dist, _, version) in PACKAGES {
            if matches!(env.packages.get(dist), Some(Ok(_))) {
                continue;
            }
            if let Err(e) = pip_install(&python, &format!("{dist}=={version}")) {
                env.packages.insert(dist.into(), Err(format!("{e:#}")));
            }
        }
        let again = inspect(&python);
        for (dist, state) in again.packages {
            // Keep an install error: it says more than "No module named ...".
            let keep_old = state.is_err() && matches!(env.packages.get(&dist), Some(Err(_)));
            if !keep_old {
                env.packages.insert(dist, state);
            }
        }
    }
    env
}

/// The cached venv's Python. The venv is wanted even when `LIBTORCH` names a
/// bare libtorch (which has no Python), so `LIBTORCH` is set aside while the
/// venv is found or made. No other thread runs while the variable is changed.
fn venv_python() -> Result<PathBuf> {
    let saved = std::env::var_os("LIBTORCH");
    if saved.is_some() {
        std::env::remove_var("LIBTORCH");
    }
    eprintln!(
        "bench: the Python peers use the venv of `cargo xtask libtorch --venv` (made on first use: about 4.7 GB, a few minutes)"
    );
    let found = libtorch::ensure(Kind::Venv);
    if let Some(v) = saved {
        std::env::set_var("LIBTORCH", v);
    }
    found?
        .python
        .context("the venv install names no Python; delete it and run again")
}

#[derive(Deserialize)]
struct Inspection {
    python: String,
    packages: BTreeMap<String, Result<String, String>>,
}

/// Asks the interpreter for its version and what imports.
fn inspect(python: &Path) -> PythonEnv {
    let mut script = String::from(
        "import importlib, importlib.metadata as md, json, sys\nout = {'python': sys.version.split()[0], 'packages': {}}\n",
    );
    for (dist, module) in [("torch", "torch")]
        .into_iter()
        .chain(PACKAGES.iter().map(|&(d, m, _)| (d, m)))
    {
        script.push_str(&format!(
            "try:\n    importlib.import_module('{module}')\n    out['packages']['{dist}'] = {{'Ok': md.version('{dist}')}}\nexcept Exception as e:\n    out['packages']['{dist}'] = {{'Err': f'{{type(e).__name__}}: {{e}}'}}\n"
        ));
    }
    script.push_str("print(json.dumps(out))\n");
    let out = Command::new(python).args(["-c", &script]).output();
    let failed = |e: String| PythonEnv {
        python: Some(python.to_path_buf()),
        error: Some(e),
        ..PythonEnv::default()
    };
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            return failed(format!(
                "{} failed: {}",
                python.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
        Err(e) => return failed(format!("could not start {}: {e}", python.display())),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    match text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Inspection>(l).ok())
    {
        Some(i) => PythonEnv {
            python: Some(python.to_path_buf()),
            error: None,
            packages: i.packages,
            version: Some(i.python),
        },
        None => failed(format!("{} printed no package list", python.display())),
    }
}

/// `pip install <spec>` under a spinner.
fn pip_install(python: &Path, spec: &str) -> Result<()> {
    let pb = process::spinner("{spinner} [{elapsed_precise}] {msg}");
    pb.set_message(format!("pip install {spec} (first run only)"));
    let mut pip = Command::new(python);
    pip.args(["-m", "pip", "install", spec])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        // As `Command::output` would: pip must never wait for an answer.
        .stdin(Stdio::null());
    let teed = process::under(&pb, |_| false, &mut pip)
        .with_context(|| format!("could not start pip for {spec}"))?;
    if teed.status.success() {
        eprintln!("bench: installed {spec}");
        return Ok(());
    }
    let lines: Vec<&str> = teed
        .lines
        .iter()
        .filter(|(pipe, line)| *pipe == Pipe::Stderr && !line.trim().is_empty())
        .map(|(_, line)| line.as_str())
        .collect();
    let tail = lines[lines.len().saturating_sub(6)..].join("\n");
    anyhow::bail!("pip install {spec} failed ({}):\n{tail}", teed.status)
}
