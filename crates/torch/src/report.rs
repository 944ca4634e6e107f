//! The parity report: a table on the terminal, `report.md` and `report.json`.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::exact::{ExactSection, Spread};
use crate::suite::Row;

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// libtorch's version as tch reports it.
    pub libtorch: String,
    /// Every comparison.
    pub rows: Vec<Row>,
    /// Accuracy against the exact values, per precision and program set.
    pub exact: Vec<ExactSection>,
    /// Whether every row passed.
    pub passed: bool,
    /// Wall time of the suite, seconds.
    pub seconds: f64,
    /// Which ops and shapes the random tensor programs reached.
    pub tensor_coverage: Option<crate::tensor_suite::Coverage>,
}

impl Report {
    /// A report of `rows`.
    pub fn new(libtorch: String, rows: Vec<Row>, seconds: f64) -> Self {
        let passed = rows.iter().all(Row::passed);
        Self {
            libtorch,
            rows,
            exact: Vec::new(),
            passed,
            seconds,
            tensor_coverage: None,
        }
    }

    /// Adds the coverage of the random tensor programs.
    pub fn with_tensor_coverage(mut self, coverage: crate::tensor_suite::Coverage) -> Self {
        self.tensor_coverage = Some(coverage);
        self
    }

    /// Adds the accuracy sections (their pass/fail rows are in `rows`).
    pub fn with_exact(mut self, exact: Vec<ExactSection>) -> Self {
        self.exact = exact;
        self
    }

    /// The accuracy table: every backend's error against the exact values.
    pub fn exact_table(&self) -> String {
        if self.exact.is_empty() {
            return String::new();
        }
        let ulps = |s: &Spread| {
            if s.n == 0 {
                "-".to_string()
            } else {
                format!(
                    "{} / {} / {}",
                    fmt_ulps(s.median),
                    fmt_ulps(s.p99),
                    fmt_ulps(s.max)
                )
            }
        };
        let mut s = String::new();
        s += "| programs | backend | cases | not real: programs (numbers) | judged numbers | ill-cond.: programs (numbers) | out of range | beyond tol. | NaN/inf | value ulps, benign (median / p99 / max) | gradient ulps, benign (median / p99 / max) | gradient ulps p99, all judged |\n";
        s += "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n";
        for sec in &self.exact {
            for a in &sec.backends {
                let _ = writeln!(
                    s,
                    "| {} {} | {} | {} | {} ({}) | {} | {} ({}) | {} | {} | {} | {} | {} | {} |",
                    sec.programs,
                    sec.precision,
                    a.backend,
                    a.cases,
                    a.not_real,
                    a.numbers_not_real,
                    a.judged,
                    a.ill_conditioned,
                    a.numbers_ill_conditioned,
                    a.numbers_out_of_range,
                    a.beyond,
                    a.non_finite,
                    ulps(&a.value_ulps),
                    ulps(&a.grad_ulps),
                    if a.grad_ulps_judged.n == 0 {
                        "-".to_string()
                    } else {
                        fmt_ulps(a.grad_ulps_judged.p99)
                    },
                );
            }
        }
        s += "\n| programs | judged numbers where scalar and libtorch differ | ferrograd closer | libtorch closer |\n|---|---:|---:|---:|\n";
        for sec in &self.exact {
            let c = &sec.closer;
            let _ = writeln!(
                s,
                "| {} {} | {} | {} | {} |",
                sec.programs, sec.precision, c.differ, c.ferrograd, c.libtorch
            );
        }
        s
    }

    /// The table as Markdown (also what the terminal shows).
    pub fn table(&self) -> String {
        let mut s = String::new();
        s += "| scenario | engine | oracle | cases | worst rel. error | tolerance | worst case | result |\n";
        s += "|---|---|---|---:|---:|---:|---|---|\n";
        for r in &self.rows {
            let case = match (&r.worst_case, &r.worst_number) {
                (Some(c), Some(n)) => format!("{c} ({n})"),
                (Some(c), None) => c.clone(),
                _ => "-".into(),
            };
            let result = if r.passed() {
                "ok".to_string()
            } else {
                let mut t = format!("**{} MISMATCH**", r.mismatches);
                if let Some(op) = &r.culprit {
                    let _ = write!(t, " at op `{op}`");
                }
                t
            };
            let mut cases = if r.excluded > 0 {
                format!("{} (+{} ill-conditioned)", r.cases, r.excluded)
            } else {
                r.cases.to_string()
            };
            if r.unjudged_numbers > 0 {
                let _ = write!(cases, " (+{} ill-conditioned numbers)", r.unjudged_numbers);
            }
            if !r.oracle_off_exact.is_empty() {
                let _ = write!(
                    cases,
                    " (+{} libtorch off the exact value)",
                    r.oracle_off_exact.len()
                );
            }
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.2e} | {:.0e} | {} | {} |",
                r.scenario, r.engine, r.oracle, cases, r.worst_error, r.tolerance.rel, case, result
            );
        }
        s
    }

    /// The Markdown report: the table, the rule, and any failing program.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# ferrograd parity report\n\n");
        let _ = writeln!(
            s,
            "Every engine against libtorch {} ({}; {:.1} s).\n",
            self.libtorch,
            if self.passed {
                "all agree"
            } else {
                "MISMATCHES"
            },
            self.seconds
        );
        s += &self.table();
        if let Some(c) = &self.tensor_coverage {
            let _ = writeln!(
                s,
                "\nCoverage of the random tensor programs: {}.",
                c.summary()
            );
        }
        if !self.exact.is_empty() {
            s += "\n## Against the exact value\n\n";
            s += &self.exact_table();
            s += "\nEvery program's value and input gradients are computed to 60 digits by \
                  `scripts/exact.py` (mpmath) on the inputs rounded to the float type. A number is \
                  judged when its conditioning spread (the largest relative change when every \
                  rounding is replaced by a random relative perturbation of the type's unit \
                  roundoff) is at most a tenth of the tolerance and its exact value is inside the \
                  type's range; it fails when its error relative to max(|exact|, smallest normal) \
                  exceeds the tolerance or it is NaN/inf. Ulps are the type's spacing at the exact \
                  value; the ulp statistics are over the benign numbers (spread at most 8 ulps, so \
                  that the program's own amplification of rounding, allowed up to a tenth of the \
                  tolerance, does not hide the rules' error); the last column has every judged \
                  gradient. Only the scalar engine's rows pass or fail (and its benign gradients' \
                  p99 must be within 8 ulps); libtorch's and the f64 program evaluator's (value \
                  only) are shown beside it on the same programs.\n";
            for sec in &self.exact {
                for (i, why) in sec.not_real_examples.iter().enumerate() {
                    if i == 0 {
                        let _ = writeln!(
                            s,
                            "\nNot real ({} {}), first ones:\n",
                            sec.programs, sec.precision
                        );
                    }
                    let _ = writeln!(s, "- {why}");
                }
            }
        }
        s += "\nTwo numbers agree when `|a - b| <= max(rel * max(|a|, |b|), abs)` \
              (f64: rel 1e-10, abs 1e-12; f32: rel 1e-4, abs 1e-6); the error shown is \
              `|a - b| / max(|a|, |b|, abs / rel)`, at most `rel` exactly when they agree. \
              NaN on one side only is a mismatch. A random program counts as ill-conditioned \
              (and is left out of a row) when libtorch's own f32 and f64 results differ by more \
              than 1e-5 relative for the f32 rows (or the engine's f32 result is that far from \
              libtorch's f64 one while its f64 result matches it), or by more than 1e-3 (a \
              condition number above about 1e4) for the f64 rows. The final weights of a training run are judged as one \
              vector, relative to its largest entry.\n";
        for r in self.rows.iter().filter(|r| !r.oracle_off_exact.is_empty()) {
            let _ = writeln!(
                s,
                "\n{} ({} vs {}): the two disagree and the exact value (mpmath) shows ferrograd \
                 within the tolerance and libtorch not, in {} cases: {}.",
                r.scenario,
                r.engine,
                r.oracle,
                r.oracle_off_exact.len(),
                r.oracle_off_exact.join(", ")
            );
        }
        for r in self.rows.iter().filter(|r| !r.passed()) {
            let _ = writeln!(s, "\n## {} — {} vs {}\n", r.scenario, r.engine, r.oracle);
            if let (Some(c), Some((a, b))) = (&r.worst_case, r.worst_pair) {
                let _ = writeln!(
                    s,
                    "Worst: {c}, {}: engine {a:e}, libtorch {b:e}.\n",
                    r.worst_number.as_deref().unwrap_or("")
                );
            }
            if let Some(p) = &r.worst_program {
                let _ = writeln!(
                    s,
                    "Rerun it (shortest failing prefix):\n\n```python\n{p}\n```"
                );
            }
        }
        s
    }

    /// Writes `report.md` and `report.json` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json)
    }
}

/// Ulps with as many digits as they need.
fn fmt_ulps(x: f64) -> String {
    if !x.is_finite() {
        format!("{x}")
    } else if x < 10.0 {
        format!("{x:.2}")
    } else if x < 1e4 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}
