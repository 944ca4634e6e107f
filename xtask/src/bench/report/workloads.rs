//! Which measurements form which workload: the scalar engine's against
//! micrograd, PyTorch and a C++ tape (ADOL-C), the batched engine's (fused `Mlp`, and the MLP
//! built from `Tensor`) against libtorch, PyTorch and the Rust peers at each
//! precision and thread count, and the width sweep's lines.

use super::{
    Grid, Results, Row, SweepLine, Workload, FERRO_BATCHED, FERRO_TENSOR, LIBTORCH, TORCH_EAGER,
};
use crate::bench::adolc;
use crate::bench::plan::peer_task;

/// The Rust peers' rows: system, benchmark-id prefix, bench. They are
/// measured in f32 on one thread only.
pub const RUST_PEER_ROWS: [(&str, &str, &str); 3] = [
    (
        "burn-ndarray (autodiff, no rayon)",
        "burn-ndarray",
        "burn_ndarray",
    ),
    ("burn Flex (autodiff, no rayon)", "burn-flex", "burn_flex"),
    ("candle", "candle", "candle"),
];

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

/// The mixed graph's workload: its times are per graph, not per step.
pub const MIXED: &str = "scalar/mixed";

/// Groups the measurements into workloads.
pub fn workloads(results: &Results, grid: &Grid) -> Vec<Workload> {
    let mut out = scalar(results);
    out.extend(batched(results, grid));
    out
}

/// The scalar engine's workloads, each with its peers.
fn scalar(results: &Results) -> Vec<Workload> {
    let mut moons = both_ways(results, "scalar_moons_step_f64", "scalar");
    moons.extend([
        row(
            results,
            "PyTorch eager, batched (Python)",
            1,
            "python/moons_torch",
            "python/moons_torch",
        ),
        row(
            results,
            "micrograd (Python)",
            1,
            "python/micrograd",
            "python/micrograd",
        ),
        row(
            results,
            "ferrograd scalar, written by hand (s = s + w * x chains, set_data)",
            1,
            "scalar_moons_step_f64/user_written",
            "scalar_tape",
        ),
        row(
            results,
            "ferrograd scalar, written by hand, keeping one value per step",
            1,
            "scalar_moons_step_f64/user_written_keeping",
            "scalar_tape",
        ),
        // The same step as `user_written`, on its points and initial weights.
        row(results, adolc::SYSTEM, 1, adolc::ID, adolc::TASK),
    ]);
    let mut tanh = both_ways(results, "scalar_tanh_sse_f64", "scalar_tanh");
    tanh.push(row(
        results,
        "micrograd-rust (Python API, Rust engine)",
        1,
        "python/micrograd_rust",
        "python/micrograd_rust",
    ));
    let mixed = vec![
        row(
            results,
            "ferrograd scalar",
            1,
            "scalar_mixed_f64/build_backward_drop",
            "scalar_tape",
        ),
        row(
            results,
            "PyTorch eager, 0-dim tensors (Python)",
            1,
            "python/mixed_torch",
            "python/mixed_torch",
        ),
        row(
            results,
            "micrograd (Python), with a tanh added",
            1,
            "python/mixed_micrograd",
            "python/mixed_micrograd",
        ),
        row(
            results,
            adolc::MIXED_SYSTEM,
            1,
            adolc::MIXED_TASK,
            adolc::MIXED_TASK,
        ),
    ];
    vec![
        workload(
            "scalar/moons",
            "Scalar engine: micrograd's moons demo step (100 points, 2-16-16-1 ReLU, max-margin loss + 1e-4 L2, SGD, f64)",
            moons,
        ),
        workload(
            "scalar/tanh_sse",
            "Scalar engine: micrograd-rust's workload (100 points, 2-16-16-1 tanh, squared error, SGD, f64)",
            tanh,
        ),
        workload(
            MIXED,
            "Scalar engine: a mixed graph of 100,000 nodes (12,500 rounds of mul, add, tanh, add, relu, square, mul, add over an 8-value ring: fan-in and fan-out), built, differentiated and dropped, f64",
            mixed,
        ),
    ]
}

/// The scalar engine's two rows of one benchmark group (measured by `task`):
/// the graph rebuilt each step, and a recorded graph replayed.
fn both_ways(results: &Results, group: &str, task: &str) -> Vec<Row> {
    [
        ("ferrograd scalar (graph rebuilt each step)", "rebuild"),
        ("ferrograd scalar (recorded graph replayed)", "replay"),
    ]
    .into_iter()
    .map(|(system, how)| row(results, system, 1, &format!("{group}/{how}"), task))
    .collect()
}

/// The batched engine's workloads: one per model, precision and thread count.
fn batched(results: &Results, grid: &Grid) -> Vec<Workload> {
    let mut out = Vec::new();
    for (model, title) in BATCHED_MODELS {
        for dtype in ["f32", "f64"] {
            for &t in &grid.threads {
                let suffix = format!("{model}/{dtype}/threads={t}");
                let ours = format!("tensor_step/threads={t}");
                let eager = format!("python/batched/threads={t}");
                let mut rows = vec![
                    row(results, FERRO_BATCHED, t, &suffix, &ours),
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
                        &eager,
                    ),
                ];
                // `benches/tensor_autograd.rs` has no f64 784-256-256-10.
                if dtype == "f32" || model == "moons" {
                    let id = format!("{model}/tensor/{dtype}/threads={t}");
                    let task = format!("tensor_autograd/threads={t}");
                    rows.push(row(results, FERRO_TENSOR, t, &id, &task));
                }
                if dtype == "f32" && t == 1 {
                    for (system, prefix, bench) in RUST_PEER_ROWS {
                        let id = format!("{prefix}/{suffix}");
                        rows.push(row(results, system, t, &id, &peer_task(bench)));
                    }
                }
                out.push(workload(
                    &format!("batched/{suffix}"),
                    &format!("Batched engine: {title}; {dtype}, {t} thread(s)"),
                    rows,
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

/// `system`'s row for benchmark `id`, measured by `task`.
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

/// A workload whose ratios are against its first row.
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

#[cfg(test)]
mod tests {
    use super::super::targets;
    use super::*;

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
        let grid = Grid::tiny(&[1]);
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

    #[test]
    fn the_tensor_built_mlp_and_the_rust_peers_sit_beside_the_fused_mlp() {
        let mut r = Results::default();
        for (id, ns) in [
            ("mlp784/f32/threads=1", 1.8e6),
            ("mlp784/tensor/f32/threads=1", 2.0e6),
            ("libtorch/mlp784/f32/threads=1", 2.7e6),
            ("burn-ndarray/mlp784/f32/threads=1", 5.4e6),
            ("candle/mlp784/f32/threads=1", 4.5e6),
            ("moons/tensor/f64/threads=2", 30e3),
        ] {
            r.medians.insert(id.into(), ns);
        }
        r.failures
            .insert("peers/burn_flex".into(), "error[E0433]: no Flex".into());
        let w = workloads(&r, &Grid::tiny(&[1, 2]));
        let mlp = w
            .iter()
            .find(|w| w.key == "batched/mlp784/f32/threads=1")
            .unwrap();
        let cells: Vec<(&str, Option<f64>, Option<&str>)> = mlp
            .rows
            .iter()
            .map(|r| (r.system.as_str(), r.ratio, r.error.as_deref()))
            .collect();
        assert_eq!(cells.len(), 7);
        assert_eq!(cells[0], (FERRO_BATCHED, Some(1.0), None));
        assert_eq!(cells[1].1, Some(1.5));
        assert_eq!(cells[3], (FERRO_TENSOR, Some(2.0 / 1.8), None));
        assert_eq!(cells[4].1, Some(3.0));
        assert_eq!(
            cells[5],
            (RUST_PEER_ROWS[1].0, None, Some("error[E0433]: no Flex"))
        );
        assert_eq!(cells[6].1, Some(2.5));
        // The peers run f32 on one thread; the Tensor-built MLP at each count.
        let systems = |key: &str| w.iter().find(|w| w.key == key).unwrap().rows.len();
        assert_eq!(systems("batched/mlp784/f32/threads=2"), 4);
        assert_eq!(systems("batched/mlp784/f64/threads=1"), 3);
        let moons = w
            .iter()
            .find(|w| w.key == "batched/moons/f64/threads=2")
            .unwrap();
        assert_eq!(moons.rows[3].median_ns, Some(30e3));
        let t = targets(&w);
        let claim = |words: &[&str]| {
            t.iter()
                .find(|c| {
                    c.claim.contains("784-256-256-10") && words.iter().all(|w| c.claim.contains(w))
                })
                .unwrap()
        };
        let near = claim(&["within 1.5x"]);
        assert_eq!((near.ratio, near.met), (Some(1.8 / 2.0), Some(true)));
        let candle = claim(&["faster than candle"]);
        assert_eq!((candle.ratio, candle.met), (Some(2.25), Some(true)));
        assert_eq!(claim(&["burn Flex"]).met, None, "burn Flex failed to build");
    }

    #[test]
    fn every_workload_keeps_its_rows_ids_and_tasks() {
        let grid = Grid::tiny(&[1, 2]);
        let w = workloads(&Results::default(), &grid);
        let ids = |key: &str| -> Vec<(String, String)> {
            let w = w.iter().find(|w| w.key == key).unwrap();
            w.rows
                .iter()
                .map(|r| (r.system.clone(), r.id.clone()))
                .collect()
        };
        let tanh = ids("scalar/tanh_sse");
        assert_eq!(tanh.len(), 3);
        assert_eq!(tanh[0].1, "scalar_tanh_sse_f64/rebuild");
        assert_eq!(tanh[1].0, "ferrograd scalar (recorded graph replayed)");
        let moons = ids("scalar/moons");
        assert_eq!(moons.len(), 7);
        assert_eq!(
            moons[6],
            (adolc::SYSTEM.to_string(), "cpp/adolc_moons".to_string())
        );
        let mlp = ids("batched/mlp784/f64/threads=2");
        assert_eq!(
            mlp[1],
            (LIBTORCH.into(), "libtorch/mlp784/f64/threads=2".into())
        );
        let mixed = ids(MIXED);
        assert_eq!(
            mixed.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            [
                "scalar_mixed_f64/build_backward_drop",
                "python/mixed_torch",
                "python/mixed_micrograd",
                "cpp/adolc_mixed",
            ]
        );
        assert_eq!(w.len(), 3 + 2 * 2 * 2);
        let err = |key: &str, row: usize| {
            let w = w.iter().find(|w| w.key == key).unwrap();
            w.rows[row].error.clone().unwrap()
        };
        assert!(err("batched/moons/f32/threads=2", 2).contains("`python/batched/threads=2`"));
        assert!(err("scalar/moons", 5).contains("`scalar_tape`"));
        assert!(err("scalar/moons", 6).contains("`cpp/adolc`"));
        assert!(err(MIXED, 3).contains("`cpp/adolc_mixed`"));
    }
}
