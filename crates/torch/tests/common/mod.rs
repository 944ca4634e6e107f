//! What the oracle's tests share: the size of the perturbation and the
//! checks on the rows the two "the suite can fail" tests get back, and the
//! exact-value oracle.
// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use ferrograd_torch::exact::{self, Oracle};
use ferrograd_torch::suite::Row;

/// How far a perturbed derivative is off.
pub const EPS: f64 = 1e-3;

/// The forward values of a program and its perturbed rewrite agree (NaN
/// agrees with NaN): the perturbation only touches derivatives.
pub fn assert_same_value(original: f64, rewritten: f64, program: &dyn std::fmt::Display) {
    assert!(
        original == rewritten || (original.is_nan() && rewritten.is_nan()),
        "{program}"
    );
}

/// `row` failed and named `op` as the culprit.
pub fn assert_caught(row: &Row, op: &str) {
    assert!(!row.passed(), "{op}' perturbed passed");
    let culprit = row.culprit.as_deref().expect("a failing row names the op");
    assert!(culprit.starts_with(op), "named {culprit}");
}

/// `row` failed on many cases, named `op`, and printed the shortest failing
/// prefix as a script that calls `torch.<op>(` and ends in `.backward()`.
pub fn assert_caught_and_printed(row: &Row, op: &str) {
    assert_caught(row, op);
    assert!(row.mismatches > 10, "{} mismatches", row.mismatches);
    let listing = row
        .worst_program
        .as_deref()
        .expect("the failing prefix is printed");
    let last = listing.trim_end().lines().rev().nth(1).unwrap();
    assert!(last.contains(".backward()"), "{listing}");
    assert!(listing.contains(&format!("torch.{op}(")), "{listing}");
}

/// `row` passed; else the worst case and its program are shown.
pub fn assert_passed(row: &Row) {
    assert!(
        row.passed(),
        "worst {:e} at {:?} ({:?})\n{}",
        row.worst_error,
        row.worst_case,
        row.worst_number,
        row.worst_program.as_deref().unwrap_or_default()
    );
}

/// The exact-value oracle (`scripts/exact.py`) run by the Python named by
/// `FERROGRAD_PYTHON` (else `python3`), which must import mpmath: `cargo
/// xtask parity` installs it and sets `PYTHONPATH` for these tests.
pub fn exact_oracle() -> Oracle {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    Oracle {
        python: std::env::var_os("FERROGRAD_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| "python3".into()),
        script: exact::script_in(&root),
        samples: 4,
    }
}
