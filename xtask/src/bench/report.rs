//! The report: which measurements form which workload, the issue's targets,
//! and the Markdown and JSON renderings.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::machine::Machine;

/// Every measurement of a run: medians by id, and why a task produced none.
#[derive(Debug, Default)]
pub struct Results {
    /// Median time per step (ns) by benchmark id.
    pub medians: BTreeMap<String, f64>,
    /// Task key -> why it failed or did not run.
    pub failures: BTreeMap<String, String>,
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

/// One of the issue's claims, checked on this run's numbers.
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
    /// The issue's claims.
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

const FERRO_BATCHED: &str = "ferrograd batched";
const LIBTORCH: &str = "libtorch (tch)";
const TORCH_EAGER: &str = "PyTorch eager (Python)";

fn row(results: &Results, system: &str, threads: usize, id: &str, task: &str) -> Row {
    let outcome = results.outcome(id, task);
    Row {
        system: system.to_string(),
        threads,
        id: id.to_string(),
        median_ns: outcome.as_ref().ok().copied(),
        ratio: None,
        error: outcome.err(),
    }
}

fn workload(key: &str, title: &str, mut rows: Vec<Row>) -> Workload {
    let reference = rows.first().and_then(|r| r.median_ns);
    for r in &mut rows {
        r.ratio = match (r.median_ns, reference) {
            (Some(t), Some(base)) if base > 0.0 => Some(t / base),
            _ => None,
        };
    }
    Workload {
        key: key.to_string(),
        title: title.to_string(),
        rows,
    }
}

/// Batched model keys and their descriptions.
pub const BATCHED_MODELS: [(&str, &str); 2] = [
    (
        "moons",
        "micrograd's moons model, batched: 100 x 2-16-16-1 ReLU, max-margin loss + 1e-4 L2, SGD",
    ),
    (
        "mlp784",
        "784-256-256-10 ReLU at batch 256, softmax cross-entropy, SGD",
    ),
];

/// Groups the measurements into workloads.
pub fn workloads(results: &Results, grid: &Grid) -> Vec<Workload> {
    let mut out = vec![
        workload(
            "scalar/moons",
            "Scalar engine: micrograd's moons demo step (100 points, 2-16-16-1 ReLU, max-margin loss + 1e-4 L2, SGD, f64)",
            vec![
                row(results, "ferrograd scalar (graph rebuilt each step)", 1, "scalar_moons_step_f64/rebuild", "scalar"),
                row(results, "ferrograd scalar (recorded graph replayed)", 1, "scalar_moons_step_f64/replay", "scalar"),
                row(results, "PyTorch eager, batched (Python)", 1, "python/moons_torch", "python/moons_torch"),
                row(results, "micrograd (Python)", 1, "python/micrograd", "python/micrograd"),
                row(results, "ferrograd scalar, written by hand (s = s + w * x chains, set_data)", 1, "scalar_moons_step_f64/user_written", "scalar_tape"),
                row(results, "ferrograd scalar, written by hand, keeping one value per step", 1, "scalar_moons_step_f64/user_written_keeping", "scalar_tape"),
            ],
        ),
        workload(
            "scalar/tanh_sse",
            "Scalar engine: micrograd-rust's workload (100 points, 2-16-16-1 tanh, squared error, SGD, f64)",
            vec![
                row(results, "ferrograd scalar (graph rebuilt each step)", 1, "scalar_tanh_sse_f64/rebuild", "scalar_tanh"),
                row(results, "ferrograd scalar (recorded graph replayed)", 1, "scalar_tanh_sse_f64/replay", "scalar_tanh"),
                row(results, "micrograd-rust (Python API, Rust engine)", 1, "python/micrograd_rust", "python/micrograd_rust"),
            ],
        ),
    ];
    for (model, title) in BATCHED_MODELS {
        for dtype in ["f32", "f64"] {
            for &t in &grid.threads {
                let suffix = format!("{model}/{dtype}/threads={t}");
                out.push(workload(
                    &format!("batched/{suffix}"),
                    &format!("Batched engine: {title}; {dtype}, {t} thread(s)"),
                    vec![
                        row(
                            results,
                            FERRO_BATCHED,
                            t,
                            &suffix,
                            &format!("tensor_step/threads={t}"),
                        ),
                        row(
                            results,
                            LIBTORCH,
                            t,
                            &format!("libtorch/{suffix}"),
                            "libtorch",
                        ),
                        row(
                            results,
                            TORCH_EAGER,
                            t,
                            &format!("pytorch/{suffix}"),
                            &format!("python/batched/threads={t}"),
                        ),
                    ],
                ));
            }
        }
    }
    out
}

/// The width sweep's lines.
pub fn sweep(results: &Results, grid: &Grid) -> Vec<SweepLine> {
    let mut out = Vec::new();
    for dtype in &grid.dtypes {
        for &batch in &grid.batches {
            for &t in &grid.threads {
                for (system, prefix, task) in [
                    (
                        FERRO_BATCHED,
                        "tensor_sweep",
                        format!("tensor_sweep/threads={t}"),
                    ),
                    (LIBTORCH, "libtorch_sweep", "libtorch".to_string()),
                ] {
                    let points = grid
                        .widths
                        .iter()
                        .map(|&w| {
                            let id = format!("{prefix}/{dtype}/threads={t}/batch={batch}/{w}");
                            (w, results.outcome(&id, &task).ok())
                        })
                        .collect();
                    out.push(SweepLine {
                        system: system.to_string(),
                        dtype: dtype.clone(),
                        batch,
                        threads: t,
                        points,
                    });
                }
            }
        }
    }
    out
}

fn find<'a>(workloads: &'a [Workload], key: &str) -> Option<&'a Workload> {
    workloads.iter().find(|w| w.key == key)
}

/// The issue's claims, checked.
pub fn targets(workloads: &[Workload]) -> Vec<TargetCheck> {
    // (claim, workload key, reference row, peer row, needed ratio)
    let claims: [(&str, &str, usize, usize, f64); 9] = [
        (
            "scalar moons step: no slower than PyTorch eager's batched step (Python)",
            "scalar/moons",
            0,
            2,
            1.0,
        ),
        (
            "scalar moons step, replayed graph: no slower than PyTorch eager (Python)",
            "scalar/moons",
            1,
            2,
            1.0,
        ),
        (
            "scalar moons step: at least 1000x faster than micrograd",
            "scalar/moons",
            0,
            3,
            1000.0,
        ),
        (
            "scalar tanh/squared-error step: at least 20x faster than micrograd-rust",
            "scalar/tanh_sse",
            0,
            2,
            20.0,
        ),
        (
            "batched moons, f32, 1 thread: faster than libtorch",
            "batched/moons/f32/threads=1",
            0,
            1,
            1.0,
        ),
        (
            "batched moons, f64, 1 thread: faster than libtorch",
            "batched/moons/f64/threads=1",
            0,
            1,
            1.0,
        ),
        (
            "batched 784-256-256-10, f32, 1 thread: no slower than libtorch",
            "batched/mlp784/f32/threads=1",
            0,
            1,
            1.0,
        ),
        (
            "batched 784-256-256-10, f32, 2 threads: no slower than libtorch",
            "batched/mlp784/f32/threads=2",
            0,
            1,
            1.0,
        ),
        (
            "scalar moons step written by hand (chains of + and *): no slower than PyTorch eager (Python)",
            "scalar/moons",
            4,
            2,
            1.0,
        ),
    ];
    claims
        .iter()
        .map(|&(claim, key, ours, theirs, needed)| {
            let w = find(workloads, key);
            let ours_ns = w.and_then(|w| w.rows.get(ours)).and_then(|r| r.median_ns);
            let theirs_ns = w.and_then(|w| w.rows.get(theirs)).and_then(|r| r.median_ns);
            let ratio = match (ours_ns, theirs_ns) {
                (Some(a), Some(b)) if a > 0.0 => Some(b / a),
                _ => None,
            };
            TargetCheck {
                claim: claim.to_string(),
                ours_ns,
                theirs_ns,
                ratio,
                needed,
                met: ratio.map(|r| r >= needed),
            }
        })
        .collect()
}

/// `1.23 µs`, `45.6 ms`, `2.10 s`: three significant digits.
pub fn human_time(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

/// `1.00×`, `2.3×`, `1,780×`.
pub fn human_ratio(r: f64) -> String {
    if r >= 100.0 {
        let digits: Vec<char> = (r.round() as u64).to_string().chars().collect();
        let groups: Vec<String> = digits
            .rchunks(3)
            .rev()
            .map(|g| g.iter().collect())
            .collect();
        format!("{}×", groups.join(","))
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// The first line of an error, cut to fit a table cell.
pub fn short_error(e: &str) -> String {
    let line = e.lines().next().unwrap_or("").replace('|', "/");
    let mut s: String = line.chars().take(110).collect();
    if line.chars().count() > 110 {
        s.push('…');
    }
    format!("failed: {s}")
}

fn cell(r: &Row, with_ratio: bool) -> String {
    match (r.median_ns, &r.error) {
        (Some(ns), _) => match (with_ratio, r.ratio) {
            (true, Some(x)) => format!("{} ({})", human_time(ns), human_ratio(x)),
            _ => human_time(ns),
        },
        (None, Some(e)) => short_error(e),
        (None, None) => "—".into(),
    }
}

impl Report {
    /// The Markdown report.
    pub fn markdown(&self, charts: &[(String, String)]) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let _ = writeln!(s, "# ferrograd benchmarks\n");
        let cores = m
            .physical_cores
            .map(|c| format!(", {c} physical core(s)"))
            .unwrap_or_default();
        let load = match (m.load_at_start, m.load_at_end) {
            (Some(a), Some(b)) => format!(
                "; load average {a:.2} at the start, {b:.2} at the end (other work on the machine makes the numbers noisier, two-thread ones most)"
            ),
            (Some(a), None) => format!("; load average {a:.2} at the start"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "Measured {} with `{}` ({} mode, {:.0} s) on {}: {} logical CPU(s){cores}, Linux {}{load}.\n",
            self.date, self.command, self.mode, self.duration_s, m.cpu, m.logical_cpus, m.kernel
        );
        let _ = writeln!(
            s,
            "Every number is the median time of one training step (forward, backward, update). \
             **× ferrograd** is a system's time divided by ferrograd's on the same workload: \
             above 1, ferrograd is faster. Threads: the scalar engine, micrograd and micrograd-rust \
             use one; PyTorch runs with `torch.set_num_threads(n)`, libtorch with \
             `tch::set_num_threads(n)`, the batched engine with `MATMUL_NUM_THREADS=n`.\n"
        );

        let _ = writeln!(s, "## Targets\n");
        let _ = writeln!(
            s,
            "| claim | ferrograd | peer | × ferrograd | needed | met |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
        for t in &self.targets {
            let f = |v: Option<f64>| v.map_or("—".into(), human_time);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                t.claim,
                f(t.ours_ns),
                f(t.theirs_ns),
                t.ratio.map_or("—".into(), human_ratio),
                human_ratio(t.needed),
                match t.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "not measured",
                }
            );
        }
        let missed: Vec<&TargetCheck> = self
            .targets
            .iter()
            .filter(|t| t.met != Some(true))
            .collect();
        if missed.is_empty() {
            let _ = writeln!(s, "\nEvery target was met in this run.\n");
        } else {
            let _ = writeln!(s, "\nMissed or not measured in this run:\n");
            for t in missed {
                let why = match t.ratio {
                    Some(r) if r < 1.0 => format!(
                        "**missed**: the peer's time is {} ferrograd's where at least {} is needed, \
                         so ferrograd's step takes {} as long as the peer's",
                        human_ratio(r),
                        human_ratio(t.needed),
                        human_ratio(1.0 / r)
                    ),
                    Some(r) => format!(
                        "**missed**: ferrograd is {} faster where {} is needed",
                        human_ratio(r),
                        human_ratio(t.needed)
                    ),
                    None => "**not measured**: a number is missing (see Failures)".into(),
                };
                let _ = writeln!(s, "- {}: {why}.", t.claim);
            }
            let _ = writeln!(s);
        }

        let _ = writeln!(s, "## Versions\n");
        let _ = writeln!(s, "| component | version |");
        let _ = writeln!(s, "|---|---|");
        for (k, v) in &self.versions {
            let _ = writeln!(s, "| {k} | {v} |");
        }
        let _ = writeln!(s, "\n| peer | version | state |");
        let _ = writeln!(s, "|---|---|---|");
        for p in &self.peers {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                p.system,
                p.version.as_deref().unwrap_or("—"),
                p.error.as_deref().map_or("ok".into(), short_error)
            );
        }
        let _ = writeln!(s);

        for w in self
            .workloads
            .iter()
            .filter(|w| w.key.starts_with("scalar/"))
        {
            let _ = writeln!(s, "## {}\n", w.title);
            let _ = writeln!(s, "| system | threads | median per step | × ferrograd |");
            let _ = writeln!(s, "|---|---:|---:|---:|");
            for r in &w.rows {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} |",
                    r.system,
                    r.threads,
                    cell(r, false),
                    r.ratio.map_or("—".into(), human_ratio)
                );
            }
            if w.key == "scalar/moons" {
                if let Some(n) = self.scalar_nodes_per_s {
                    let _ = writeln!(
                        s,
                        "\nRaw node throughput (build, backward and drop a 100,000-node chain): {:.1} million nodes/s.",
                        n / 1e6
                    );
                }
                if let Some(n) = self.scalar_mixed_nodes_per_s {
                    let _ = writeln!(
                        s,
                        "\nMixed-graph throughput (100,000 nodes of add, mul, tanh, relu and powi with fan-in and fan-out: build, backward, reclaim): {:.1} million nodes/s.",
                        n / 1e6
                    );
                }
            }
            chart_link(&mut s, charts, &w.key);
        }

        for (model, title) in BATCHED_MODELS {
            let _ = writeln!(s, "## Batched engine: {title}\n");
            let _ = writeln!(
                s,
                "| precision | threads | {FERRO_BATCHED} | {LIBTORCH} | {TORCH_EAGER} |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|");
            for w in self
                .workloads
                .iter()
                .filter(|w| w.key.starts_with(&format!("batched/{model}/")))
            {
                let parts: Vec<&str> = w.key.split('/').collect();
                let threads = parts
                    .get(3)
                    .and_then(|t| t.strip_prefix("threads="))
                    .unwrap_or("?");
                let cells: Vec<String> = w.rows.iter().map(|r| cell(r, true)).collect();
                let _ = writeln!(
                    s,
                    "| {} | {threads} | {} |",
                    parts.get(2).unwrap_or(&"?"),
                    cells.join(" | ")
                );
            }
            chart_link(&mut s, charts, &format!("batched/{model}"));
        }

        if !self.sweep.is_empty() {
            let _ = writeln!(
                s,
                "## Width sweep: w-w-w-10 ReLU MLP, cross-entropy, SGD\n\n\
                 Inputs and both hidden layers have width w. Cells: time per step (libtorch's as × ferrograd).\n"
            );
            let mut groups: Vec<(String, usize)> = Vec::new();
            for l in &self.sweep {
                if !groups.contains(&(l.dtype.clone(), l.batch)) {
                    groups.push((l.dtype.clone(), l.batch));
                }
            }
            for (dtype, batch) in groups {
                let lines: Vec<&SweepLine> = self
                    .sweep
                    .iter()
                    .filter(|l| l.dtype == dtype && l.batch == batch)
                    .collect();
                let _ = writeln!(s, "### {dtype}, batch {batch}\n");
                let mut header = String::from("| width |");
                let mut rule = String::from("|---:|");
                for l in &lines {
                    let _ = write!(header, " {}, {} thread(s) |", l.system, l.threads);
                    rule.push_str("---:|");
                }
                let _ = writeln!(s, "{header}\n{rule}");
                let widths: Vec<usize> = lines
                    .first()
                    .map(|l| l.points.iter().map(|p| p.0).collect())
                    .unwrap_or_default();
                for (i, w) in widths.iter().enumerate() {
                    let mut line = format!("| {w} |");
                    for (j, l) in lines.iter().enumerate() {
                        let ns = l.points.get(i).and_then(|p| p.1);
                        // Lines come in (ferrograd, libtorch) pairs per thread count.
                        let base = if j % 2 == 1 {
                            lines[j - 1].points.get(i).and_then(|p| p.1)
                        } else {
                            None
                        };
                        let text = match (ns, base) {
                            (Some(t), Some(b)) => {
                                format!("{} ({})", human_time(t), human_ratio(t / b))
                            }
                            (Some(t), None) => human_time(t),
                            (None, _) => "—".into(),
                        };
                        let _ = write!(line, " {text} |");
                    }
                    let _ = writeln!(s, "{line}");
                }
                chart_link(&mut s, charts, &format!("sweep/{dtype}/batch={batch}"));
            }
        }

        if !self.failures.is_empty() {
            let _ = writeln!(s, "## Failures\n");
            for (task, e) in &self.failures {
                let _ = writeln!(
                    s,
                    "- `{task}`:\n\n  ```text\n  {}\n  ```",
                    e.replace('\n', "\n  ")
                );
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(
            s,
            "## Regenerating\n\n`cargo xtask bench --quick` (a few minutes) or `cargo xtask bench` \
             (full criterion runs and the whole sweep). Each task's output is in `target/bench/logs/`, \
             criterion's data in `target/bench/criterion/`."
        );
        s
    }
}

fn chart_link(s: &mut String, charts: &[(String, String)], key: &str) {
    if let Some((_, file)) = charts.iter().find(|(k, _)| k == key) {
        let _ = writeln!(s, "\n![{key}]({file})");
    }
    let _ = writeln!(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ratios_read_naturally() {
        assert_eq!(human_time(950.0), "950 ns");
        assert_eq!(human_time(1234.0), "1.23 µs");
        assert_eq!(human_time(45_600_000.0), "45.6 ms");
        assert_eq!(human_time(2.1e9), "2.10 s");
        assert_eq!(human_ratio(1.0), "1.00×");
        assert_eq!(human_ratio(23.44), "23.4×");
        assert_eq!(human_ratio(1780.4), "1,780×");
    }

    #[test]
    fn a_failed_task_fills_its_rows_with_its_error_and_the_rest_still_compute() {
        let mut r = Results::default();
        r.medians
            .insert("scalar_moons_step_f64/rebuild".into(), 1e6);
        r.medians.insert("scalar_moons_step_f64/replay".into(), 5e5);
        r.medians.insert("python/micrograd".into(), 2e9);
        r.failures.insert(
            "python/moons_torch".into(),
            "No module named 'torch'".into(),
        );
        let grid = Grid {
            threads: vec![1],
            widths: vec![16],
            batches: vec![256],
            dtypes: vec!["f32".into()],
        };
        let w = workloads(&r, &grid);
        let moons = &w[0];
        assert_eq!(moons.rows[1].ratio, Some(0.5));
        assert_eq!(
            moons.rows[2].error.as_deref(),
            Some("No module named 'torch'")
        );
        assert_eq!(moons.rows[3].ratio, Some(2000.0));
        let t = targets(&w);
        assert_eq!(t[0].met, None, "no PyTorch number");
        assert_eq!(t[2].met, Some(true), "2000x >= 1000x");
        let batched = w
            .iter()
            .find(|w| w.key == "batched/moons/f32/threads=1")
            .unwrap();
        assert!(batched.rows[0]
            .error
            .as_deref()
            .unwrap()
            .contains("reported nothing"));
    }
}
