//! `cargo xtask libtorch` killed midway leaves nothing a later run trusts,
//! and a damaged cache is replaced.
//!
//! The fast test drives the real binary with a stand-in Python (a shell
//! script handed over through `FERROGRAD_PYTHON`) whose `pip download` serves a
//! tiny fake torch wheel and can be told to hang, so the kill lands in the
//! middle of an install without any network. The `#[ignore]`d test does the
//! same against the real package index (540 MB):
//! `cargo test -p xtask --test libtorch_install -- --ignored`.
#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::Duration;

const FAKE_PYTHON: &str = r#"#!/bin/sh
# A stand-in for `python3` that knows just enough for `cargo xtask libtorch`.
here="$(dirname "$0")"
case "$1 $2" in
  "-c import sys; print(sys.version_info[0])") echo 3; exit 0 ;;
  "-m pip")
    case "$3" in
      --version) echo "pip 0.0 (fake)"; exit 0 ;;
      download)
        dest=""
        prev=""
        for a in "$@"; do
          if [ "$prev" = "--dest" ]; then dest="$a"; fi
          prev="$a"
        done
        mkdir -p "$dest"
        echo "Downloading torch-2.13.0-fake.whl (1 kB)"
        if [ -e "$here/hang" ]; then
          head -c 1000 "$here/torch-2.13.0-py3-none-any.whl" > "$dest/torch-2.13.0-py3-none-any.whl"
          touch "$here/started"
          # Until released, or the sandbox is gone (never outlive the test).
          while [ ! -e "$here/release" ] && [ -d "$here" ]; do sleep 0.05; done
          exit 1
        fi
        cp "$here/torch-2.13.0-py3-none-any.whl" "$dest/"
        exit 0 ;;
    esac ;;
esac
echo "fake python: unexpected arguments: $*" >&2
exit 2
"#;

struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ferrograd-xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("bin")).unwrap();
        let py = dir.join("bin/python");
        fs::write(&py, FAKE_PYTHON).unwrap();
        fs::set_permissions(&py, fs::Permissions::from_mode(0o755)).unwrap();
        write_fake_wheel(&dir.join("bin/torch-2.13.0-py3-none-any.whl"));
        Self { dir }
    }

    fn cache(&self) -> PathBuf {
        self.dir.join("cache")
    }

    fn install(&self) -> PathBuf {
        self.cache().join("libtorch/2.13.0")
    }

    fn xtask(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.args(["libtorch", "--print-env"])
            .env("FERROGRAD_CACHE", self.cache())
            .env("FERROGRAD_PYTHON", self.dir.join("bin/python"))
            .env_remove("LIBTORCH");
        cmd
    }

    fn run(&self) -> Output {
        self.xtask().output().unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::write(self.dir.join("bin/release"), b"");
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A wheel with the files a libtorch folder is checked for, padded so that
/// cutting it short leaves an unreadable zip.
fn write_fake_wheel(path: &Path) {
    let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let opts =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let files: [(&str, Vec<u8>); 5] = [
        ("torch/version.py", b"__version__ = '2.13.0+cpu'\n".to_vec()),
        ("torch/lib/libtorch_cpu.so", vec![7u8; 4096]),
        ("torch/lib/libc10.so", vec![8u8; 2048]),
        (
            "torch/include/torch/csrc/api/include/torch/torch.h",
            b"#pragma once\n".to_vec(),
        ),
        (
            "torch/nn/functional.py",
            b"# not part of libtorch\n".to_vec(),
        ),
    ];
    for (name, data) in files {
        zip.start_file(name, opts).unwrap();
        zip.write_all(&data).unwrap();
    }
    zip.finish().unwrap();
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn partials(cache: &Path) -> Vec<PathBuf> {
    fs::read_dir(cache.join("libtorch"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(".partial-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_killed_install_leaves_nothing_trusted_and_the_next_run_recovers() {
    let sb = Sandbox::new("kill");
    fs::write(sb.dir.join("bin/hang"), b"").unwrap();
    let mut child = sb
        .xtask()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while !sb.dir.join("bin/started").exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "xtask ended before the download started"
        );
        sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    fs::write(sb.dir.join("bin/release"), b"").unwrap();

    // Killed midway: the download is half there, but not where it is trusted.
    assert!(
        !sb.install().exists(),
        "an interrupted run left {}",
        sb.install().display()
    );
    assert_eq!(
        partials(&sb.cache()).len(),
        1,
        "the half download stays in its .partial folder"
    );

    fs::remove_file(sb.dir.join("bin/hang")).unwrap();
    let out = sb.run();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(installed)"), "{}", text(&out));
    assert!(
        partials(&sb.cache()).is_empty(),
        "the dead run's partial folder is cleared"
    );
    let lib = sb.install().join("torch/lib");
    assert_eq!(
        fs::metadata(lib.join("libtorch_cpu.so")).unwrap().len(),
        4096
    );
    assert!(
        !sb.install().join("torch/nn").exists(),
        "Python files are not unpacked"
    );
    let exports = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        exports.contains(&format!(
            "export LIBTORCH={}",
            sb.install().join("torch").display()
        )),
        "{exports}"
    );

    let again = sb.run();
    assert!(text(&again).contains("(cached)"), "{}", text(&again));
}

#[test]
fn a_damaged_cache_is_detected_and_replaced() {
    let sb = Sandbox::new("damage");
    assert!(sb.run().status.success());
    fs::write(sb.install().join("torch/lib/libc10.so"), b"short").unwrap();
    let out = sb.run();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("not trusted"), "{}", text(&out));
    assert!(text(&out).contains("(installed)"), "{}", text(&out));
    assert_eq!(
        fs::metadata(sb.install().join("torch/lib/libc10.so"))
            .unwrap()
            .len(),
        2048
    );

    // A folder without its marker (say, copied by hand) is not trusted either.
    fs::remove_file(sb.install().join("ferrograd-libtorch.json")).unwrap();
    let out = sb.run();
    assert!(
        text(&out).contains("no completion marker"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_missing_python_is_a_clear_error() {
    let sb = Sandbox::new("nopython");
    let out = sb
        .xtask()
        .env("FERROGRAD_PYTHON", sb.dir.join("no-such-python"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("no Python 3 was found") && t.contains("LIBTORCH"),
        "{t}"
    );
    assert!(!sb.install().exists());
}

#[test]
fn a_libtorch_of_another_version_is_refused_naming_both() {
    let sb = Sandbox::new("wrongversion");
    let dir = sb.dir.join("torch");
    fs::create_dir_all(dir.join("lib")).unwrap();
    fs::write(dir.join("lib/libtorch_cpu.so"), b"x").unwrap();
    fs::write(dir.join("build-version"), "2.5.1+cpu\n").unwrap();
    let out = sb.xtask().env("LIBTORCH", &dir).output().unwrap();
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("2.5.1+cpu") && t.contains("2.13.0"), "{t}");
}

/// The real thing: kill a real download from the package index midway.
#[test]
#[ignore = "downloads 540 MB from the Python package index"]
fn a_real_download_killed_midway_leaves_nothing_trusted() {
    let sb = Sandbox::new("real");
    let mut cmd = sb.xtask();
    cmd.env_remove("FERROGRAD_PYTHON");
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until pip has written something into the partial folder.
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be interrupted"
        );
        let started = partials(&sb.cache())
            .iter()
            .any(|p| p.join("wheels").exists());
        if started {
            break;
        }
        sleep(Duration::from_millis(50));
    }
    sleep(Duration::from_secs(2));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!sb.install().join("ferrograd-libtorch.json").exists());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(sb.install().join("ferrograd-libtorch.json").exists());
}
