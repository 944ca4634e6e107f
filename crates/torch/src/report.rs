//! The parity report: a table on the terminal, `report.md` and `report.json`.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::suite::Row;

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// libtorch's version as tch reports it.
    pub libtorch: String,
    /// Every comparison.
    pub rows: Vec<Row>,
    /// Whether every row passed.
    pub passed: bool,
    /// Wall time of the suite, seconds.
    pub seconds: f64,
}

impl Report {
    /// A report of `rows`.
    pub fn new(libtorch: String, rows: Vec<Row>, seconds: f64) -> Self {
        let passed = rows.iter().all(Row::passed);
        Self {
            libtorch,
            rows,
            passed,
            seconds,
        }
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
            let cases = if r.excluded > 0 {
                format!("{} (+{} ill-conditioned)", r.cases, r.excluded)
            } else {
                r.cases.to_string()
            };
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
        s += "\nTwo numbers agree when `|a - b| <= max(rel * max(|a|, |b|), abs)` \
              (f64: rel 1e-10, abs 1e-12; f32: rel 1e-4, abs 1e-6); the error shown is \
              `|a - b| / max(|a|, |b|, abs / rel)`, at most `rel` exactly when they agree. \
              NaN on one side only is a mismatch. A random program counts as ill-conditioned \
              (and is left out of a row) when libtorch's own f32 and f64 results differ by more \
              than 1e-5 relative for the f32 rows (or the engine's f32 result is that far from \
              libtorch's f64 one while its f64 result matches it), or by more than 1e-3 (a \
              condition number above about 1e4) for the f64 rows. The final weights of a training run are judged as one \
              vector, relative to its largest entry.\n";
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
