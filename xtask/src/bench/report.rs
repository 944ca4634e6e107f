//! The report: which measurements form which workload, the targets,
//! and the Markdown and JSON renderings.
//!
//! - [`workloads`]: the measurements grouped into workloads and sweep lines;
//! - [`targets`]: the claims, checked;
//! - [`markdown`]: the Markdown of `report.md`;
//! - [`format`]: times, ratios and errors as table cells.

mod format;
mod markdown;
mod targets;
mod workloads;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::machine::Machine;
pub use format::{human_ratio, human_time, short_error};
pub use targets::targets;
pub use workloads::{sweep, workloads, BATCHED_MODELS, MIXED, RUST_PEER_ROWS};

/// Every measurement of a run: medians by id, and why a task produced none.
#[derive(Debug, Default)]
pub struct Results {
    /// Median time per step (ns) by benchmark id.
    pub medians: BTreeMap<String, f64>,
    /// Task key -> why it failed or did not run.
    pub failures: BTreeMap<String, String>,
    /// Benchmark id -> a peer's first-step loss checked against ferrograd's.
    pub loss_checks: BTreeMap<String, LossCheck>,
    /// The matrix products against the FMA peak, when measured.
    pub matmul_peak: Option<MatmulPeak>,
    /// Benchmark id -> the mixed graph's values as that system computed them.
    pub graph_values: BTreeMap<String, GraphValues>,
}

/// The mixed graph's root value and its gradient on the shift, as one
/// system computed them: the same graph gives the same numbers, up to the
/// rounding of its tanh.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GraphValues {
    /// The root's value.
    pub root: f64,
    /// d root / d shift.
    pub grad_shift: f64,
}

impl GraphValues {
    /// Every `{"id": ..., "root": ..., "grad_shift": ...}` line of a task's
    /// output (finite numbers only), by id.
    pub fn parse(stdout: &str) -> Vec<(String, GraphValues)> {
        stdout
            .lines()
            .filter_map(|line| {
                let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
                let id = v.get("id")?.as_str()?.to_string();
                let root = v.get("root")?.as_f64()?;
                let grad_shift = v.get("grad_shift")?.as_f64()?;
                (root.is_finite() && grad_shift.is_finite())
                    .then_some((id, GraphValues { root, grad_shift }))
            })
            .collect()
    }
}

/// The 784-256-256-10 step's matrix products (batch 256, f32, one thread,
/// the kernel both engines use) against one core's FMA peak, both measured
/// in the same run: the fastest call of each over interleaved rounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatmulPeak {
    /// The probe: independent FMA chains at the widest vector width.
    pub peak_gflops: f64,
    /// The step's products together.
    pub step_gflops: f64,
}

impl MatmulPeak {
    /// The fraction of the peak the products reach.
    pub fn fraction(&self) -> f64 {
        self.step_gflops / self.peak_gflops
    }

    /// The line `benches/matmul_peak.rs` prints, read from its output; an
    /// error in the caller's terms when it is missing or not positive.
    pub fn parse(stdout: &str) -> Result<Self, String> {
        let line = stdout
            .lines()
            .find(|l| l.contains("\"peak_gflops\""))
            .ok_or("printed no line with peak_gflops")?;
        let p: MatmulPeak = serde_json::from_str(line.trim())
            .map_err(|e| format!("unreadable peak line {line:?}: {e}"))?;
        let fine = |x: f64| x.is_finite() && x > 0.0;
        if !(fine(p.peak_gflops) && fine(p.step_gflops)) {
            return Err(format!(
                "peak line {line:?} holds a figure that is not a positive number"
            ));
        }
        Ok(p)
    }
}

/// The fraction of the FMA peak the 784-256-256-10 step's products must reach.
pub const PEAK_FRACTION_NEEDED: f64 = 0.8;

#[cfg(test)]
mod graph_values_tests {
    use super::GraphValues;

    #[test]
    fn graph_values_are_read_by_id_and_hostile_lines_are_skipped() {
        let out = "Benchmarking scalar_mixed_f64\n\
            {\"id\": \"a\", \"root\": 1.5, \"grad_shift\": -2e-3, \"median_ms\": 4}\n\
            {\"id\": \"nan\", \"root\": NaN, \"grad_shift\": 1}\n\
            {\"id\": \"text\", \"root\": \"1.5\", \"grad_shift\": 1}\n\
            {\"id\": \"huge\", \"root\": 1e999, \"grad_shift\": 1}\n\
            {\"root\": 1, \"grad_shift\": 1}\n\
            {\"id\": \"no grad\", \"root\": 1}\n\
            [1, 2]\n\
            {\"id\": \"b\", \"root\": 0, \"grad_shift\": 0}\n";
        let got = GraphValues::parse(out);
        assert_eq!(
            got,
            vec![
                (
                    "a".to_string(),
                    GraphValues {
                        root: 1.5,
                        grad_shift: -2e-3
                    }
                ),
                (
                    "b".to_string(),
                    GraphValues {
                        root: 0.0,
                        grad_shift: 0.0
                    }
                ),
            ]
        );
    }
}

#[cfg(test)]
mod peak_tests {
    use super::MatmulPeak;

    #[test]
    fn the_peak_line_is_read_and_hostile_output_is_refused() {
        let out = "FMA peak, one core, f32x16: 118.2 GFLOP/s\n\
                   {\"peak_gflops\": 118.2, \"step_gflops\": 102.6, \"kernel\": \"Matrixmultiply\"}\n";
        let p = MatmulPeak::parse(out).unwrap();
        assert_eq!((p.peak_gflops, p.step_gflops), (118.2, 102.6));
        assert!((p.fraction() - 102.6 / 118.2).abs() < 1e-15);
        for bad in [
            "",
            "no json here",
            "{\"peak_gflops\": 1.0}",
            "{\"peak_gflops\": \"fast\", \"step_gflops\": 1.0}",
            "{\"peak_gflops\": 0.0, \"step_gflops\": 1.0}",
            "{\"peak_gflops\": -3.0, \"step_gflops\": 1.0}",
            "{\"peak_gflops\": 1e999, \"step_gflops\": 1.0}",
            "{\"peak_gflops\": NaN, \"step_gflops\": 1.0}",
            "{\"peak_gflops\": 1.0, \"step_gflops\": 2.0",
        ] {
            assert!(MatmulPeak::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}

impl Results {
    /// The median of `id`, or why there is none (the failure of `task`, the
    /// task that measures it).
    pub fn outcome(&self, id: &str, task: &str) -> Result<f64, String> {
        if let Some(&ns) = self.medians.get(id) {
            return Ok(ns);
        }
        Err(self
            .failures
            .get(task)
            .cloned()
            .unwrap_or_else(|| format!("`{task}` ran but reported nothing for `{id}`")))
    }
}

/// One system on one workload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Who ran it.
    pub system: String,
    /// Threads it was allowed.
    pub threads: usize,
    /// The benchmark id it was read from.
    pub id: String,
    /// Median time per step (ns).
    pub median_ns: Option<f64>,
    /// `median_ns` divided by ferrograd's on the same workload.
    pub ratio: Option<f64>,
    /// Why there is no number.
    pub error: Option<String>,
}

/// One workload: ferrograd first (the reference), then its peers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workload {
    /// Short key (`batched/moons/f32/threads=1`).
    pub key: String,
    /// What is measured.
    pub title: String,
    /// The systems, the reference first.
    pub rows: Vec<Row>,
}

/// One of the claims, checked on this run's numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetCheck {
    /// The claim in words.
    pub claim: String,
    /// ferrograd's median (ns).
    pub ours_ns: Option<f64>,
    /// The peer's median (ns).
    pub theirs_ns: Option<f64>,
    /// theirs / ours.
    pub ratio: Option<f64>,
    /// The ratio the claim needs.
    pub needed: f64,
    /// Whether it was met (`None`: a number is missing).
    pub met: Option<bool>,
}

/// One line of the width sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepLine {
    /// `ferrograd batched` or `libtorch (tch)`.
    pub system: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Rows per step.
    pub batch: usize,
    /// Threads allowed.
    pub threads: usize,
    /// `(width, median ns)`; `None` where that point failed.
    pub points: Vec<(usize, Option<f64>)>,
}

/// A peer's first-step loss beside ferrograd's on the same data and
/// initial parameters: the two time the same computation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossCheck {
    /// The peer.
    pub system: String,
    /// The peer's loss.
    pub theirs: f64,
    /// ferrograd's loss.
    pub ours: f64,
    /// `|theirs - ours| / |ours|`.
    pub relative_difference: f64,
    /// The largest relative difference accepted.
    pub tolerance: f64,
}

/// A peer and whether it could be run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Peer {
    /// Its name.
    pub system: String,
    /// Its version, when known.
    pub version: Option<String>,
    /// Why it is missing or failed.
    pub error: Option<String>,
}

/// Everything `report.json` holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    /// When (UTC).
    pub date: String,
    /// The command that made it.
    pub command: String,
    /// `quick` or `full`.
    pub mode: String,
    /// Wall time of the whole run (s).
    pub duration_s: f64,
    /// Where.
    pub machine: Machine,
    /// Component -> version.
    pub versions: Vec<(String, String)>,
    /// The peers and their state.
    pub peers: Vec<Peer>,
    /// The claims.
    pub targets: Vec<TargetCheck>,
    /// Every workload.
    pub workloads: Vec<Workload>,
    /// The width sweep.
    pub sweep: Vec<SweepLine>,
    /// Scalar engine nodes per second (build, backward, drop).
    pub scalar_nodes_per_s: Option<f64>,
    /// Scalar engine nodes per second on a mixed graph (add, mul, tanh,
    /// relu, powi; fan-in and fan-out). Absent from older reports.
    #[serde(default)]
    pub scalar_mixed_nodes_per_s: Option<f64>,
    /// Peers' first-step losses checked against ferrograd's. Absent from
    /// older reports.
    #[serde(default)]
    pub loss_checks: Vec<LossCheck>,
    /// The matrix products against the FMA peak. Absent from older reports.
    #[serde(default)]
    pub matmul_peak: Option<MatmulPeak>,
    /// The mixed graph's values by benchmark id. Absent from older reports.
    #[serde(default)]
    pub graph_values: BTreeMap<String, GraphValues>,
    /// Task key -> error, for every task that failed.
    pub failures: BTreeMap<String, String>,
}

/// The models and the grid a run measures.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Thread counts for the batched engine and libtorch.
    pub threads: Vec<usize>,
    /// Sweep widths.
    pub widths: Vec<usize>,
    /// Sweep batch sizes.
    pub batches: Vec<usize>,
    /// Sweep precisions.
    pub dtypes: Vec<String>,
}

#[cfg(test)]
impl Grid {
    /// The smallest grid at `threads`: one width, batch size and precision.
    pub fn tiny(threads: &[usize]) -> Self {
        Grid {
            threads: threads.to_vec(),
            widths: vec![16],
            batches: vec![256],
            dtypes: vec!["f32".into()],
        }
    }
}

const FERRO_BATCHED: &str = "ferrograd batched";
const FERRO_TENSOR: &str = "ferrograd Tensor-built Mlp (autograd)";
const LIBTORCH: &str = "libtorch (tch)";
const TORCH_EAGER: &str = "PyTorch eager (Python)";

impl Report {
    /// The `(precision, batch)` groups of the width sweep, in order of
    /// first appearance: one table and one chart each.
    pub fn sweep_groups(&self) -> Vec<(String, usize)> {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for l in &self.sweep {
            if !groups.contains(&(l.dtype.clone(), l.batch)) {
                groups.push((l.dtype.clone(), l.batch));
            }
        }
        groups
    }

    /// The sweep lines of one group of [`Report::sweep_groups`].
    pub fn sweep_lines(&self, dtype: &str, batch: usize) -> impl Iterator<Item = &SweepLine> {
        let dtype = dtype.to_string();
        self.sweep
            .iter()
            .filter(move |l| l.dtype == dtype && l.batch == batch)
    }
}
