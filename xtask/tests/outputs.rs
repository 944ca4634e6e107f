//! Outputs land in the checkout `cargo xtask` is run from: two checkouts
//! (two workspaces in temporary folders) each get their own target folder,
//! and `CARGO_TARGET_DIR` moves them all. Runs the xtask binary as
//! `cargo xtask` would start it, with `parity --print-paths`, which stops
//! before anything needs libtorch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder under the test's own temporary area, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// A workspace with an `xtask/` folder, like a checkout of this repository.
fn checkout(dir: &Path) {
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = []\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("xtask")).unwrap();
}

/// `cargo xtask parity --print-paths` run from `dir`: `cargo run` starts the
/// binary in the caller's folder with CARGO_MANIFEST_DIR set to that
/// checkout's xtask/, whichever checkout built the binary.
fn paths(dir: &Path, target_env: Option<&Path>) -> BTreeMap<String, PathBuf> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["parity", "--print-paths"])
        .current_dir(dir)
        .env("CARGO_MANIFEST_DIR", dir.join("xtask"))
        .env_remove("CARGO_BUILD_TARGET_DIR");
    match target_env {
        Some(t) => cmd.env("CARGO_TARGET_DIR", t),
        None => cmd.env_remove("CARGO_TARGET_DIR"),
    };
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (name, path) = l.split_once('\t').expect("name<TAB>path");
            (name.to_string(), PathBuf::from(path))
        })
        .collect()
}

fn assert_all_under(paths: &BTreeMap<String, PathBuf>, target: &Path) {
    assert_eq!(paths["target"], target);
    assert_eq!(paths["parity"], target.join("parity"));
    assert_eq!(paths["notebook"], target.join("notebook"));
    assert_eq!(paths["bench"], target.join("bench"));
    assert!(
        paths["oracle"].starts_with(target),
        "the oracle runs from {}, outside {}",
        paths["oracle"].display(),
        target.display()
    );
}

#[test]
fn each_checkout_writes_into_its_own_target_folder() {
    let a = scratch("checkout-a");
    let b = scratch("checkout-b");
    checkout(&a);
    checkout(&b);
    let in_a = paths(&a, None);
    let in_b = paths(&b, None);
    assert_all_under(&in_a, &a.join("target"));
    assert_all_under(&in_b, &b.join("target"));
    assert_ne!(in_a["oracle"], in_b["oracle"]);
}

#[test]
fn cargo_target_dir_moves_every_output() {
    let a = scratch("checkout-c");
    checkout(&a);
    let elsewhere = scratch("elsewhere-target");
    assert_all_under(&paths(&a, Some(&elsewhere)), &elsewhere);
}

#[test]
fn a_checkout_is_found_from_inside_it_without_cargo_run() {
    let a = scratch("checkout-d");
    checkout(&a);
    std::fs::create_dir_all(a.join("deep/down")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["parity", "--print-paths"])
        .current_dir(a.join("deep/down"))
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = format!("parity\t{}", a.join("target/parity").display());
    assert!(text.lines().any(|l| l == expected), "{text}");
}
