//! The report's two tables about what was measured: the components'
//! versions, and each peer's state.

use std::path::Path;

use super::adolc::{self, Adolc};
use super::machine;
use super::plan::peer_task;
use super::python::{self, PythonEnv};
use super::report::{self, Peer, Results, RUST_PEER_ROWS};
use crate::libtorch::Libtorch;
use crate::lock::Lock;

/// Component versions for the report.
pub fn versions(
    root: &Path,
    commit: &str,
    lt: &Result<Libtorch, String>,
    py: &PythonEnv,
    adolc: &Adolc,
) -> Vec<(String, String)> {
    let lock = Lock::read(&root.join("Cargo.lock"));
    let locked = |p: &str| lock.version(p).unwrap_or("?").to_string();
    let known = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let mut v = vec![
        (
            "ferrograd".to_string(),
            format!("{} ({commit} at the start)", env!("CARGO_PKG_VERSION")),
        ),
        (
            "rustc".into(),
            machine::rustc_version().unwrap_or_else(|| "?".into()),
        ),
        (
            "ndarray / matrixmultiply".into(),
            format!("{} / {}", locked("ndarray"), locked("matrixmultiply")),
        ),
        (
            "libtorch (through tch)".into(),
            match lt {
                Ok(lt) => format!("{} (tch {})", lt.version, locked("tch")),
                Err(e) => report::short_error(e),
            },
        ),
        (
            "burn / candle (benches/peers)".into(),
            format!("{} / {}", peer_version("burn"), peer_version("candle-core")),
        ),
        ("Python".into(), known(py.version.clone())),
        ("PyTorch (Python)".into(), known(py.version_of("torch"))),
    ];
    for (dist, _, _) in python::PACKAGES {
        v.push((dist.to_string(), known(py.version_of(dist))));
    }
    v.push((
        "ADOL-C (Debian libadolc-dev) / g++".into(),
        format!(
            "{} / {}",
            known(adolc.version.clone()),
            known(adolc.compiler.clone())
        ),
    ));
    v
}

/// The version of `package` in the Rust peers' lock file, or `?`.
fn peer_version(package: &str) -> String {
    let lock = Lock::read(&crate::workspace::root().join("benches/peers/Cargo.lock"));
    lock.version(package).unwrap_or("?").to_string()
}

/// The peers' table: one row per peer, with its error if it could not run.
pub fn peers(
    lt: &Result<Libtorch, String>,
    py: &PythonEnv,
    adolc: &Adolc,
    results: &Results,
) -> Vec<Peer> {
    let task_error = |keys: &[&str]| keys.iter().find_map(|k| results.failures.get(*k).cloned());
    let mut out = vec![Peer {
        system: "libtorch (tch)".into(),
        version: lt.as_ref().ok().map(|l| l.version.clone()),
        error: match lt {
            Err(e) => Some(e.clone()),
            Ok(_) => task_error(&["build libtorch bench", "libtorch"]),
        },
    }];
    for (system, dist, tasks) in [
        (
            "PyTorch eager (Python)",
            "torch",
            &[
                "python/moons_torch",
                "python/batched/threads=1",
                "python/batched/threads=2",
                "python/mixed_torch",
            ][..],
        ),
        (
            "micrograd (Python)",
            "micrograd",
            &["python/micrograd", "python/mixed_micrograd"][..],
        ),
        (
            "micrograd-rust (Python)",
            "micrograd-rust",
            &["python/micrograd_rust"][..],
        ),
    ] {
        out.push(Peer {
            system: system.into(),
            version: py.version_of(dist),
            error: py.check(dist).err().or_else(|| task_error(tasks)),
        });
    }
    for (system, _, bench) in RUST_PEER_ROWS {
        let package = if bench == "candle" {
            "candle-core"
        } else {
            "burn"
        };
        out.push(Peer {
            system: system.into(),
            version: Some(peer_version(package)),
            error: results.failures.get(&peer_task(bench)).cloned(),
        });
    }
    out.push(Peer {
        system: "ADOL-C (C++, Debian)".into(),
        version: adolc.version.clone(),
        error: match (&adolc.binary, &adolc.mixed) {
            (Err(e), _) | (_, Err(e)) => Some(e.clone()),
            (Ok(_), Ok(_)) => task_error(&[adolc::TASK, adolc::MIXED_TASK]),
        },
    });
    out
}
