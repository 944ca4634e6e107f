//! The claims about speed, each checked on this run's numbers.

use super::{TargetCheck, Workload, RUST_PEER_ROWS};

/// The workload with `key`.
fn find<'a>(workloads: &'a [Workload], key: &str) -> Option<&'a Workload> {
    workloads.iter().find(|w| w.key == key)
}

/// The claims: (claim, workload key, reference row, peer row,
/// needed ratio of the peer's time to ferrograd's).
const CLAIMS: [(&str, &str, usize, usize, f64); 9] = [
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

/// The row of the `Tensor`-built MLP in the one-thread f32 workloads, then
/// the Rust peers' rows (see `workloads::batched`).
const TENSOR_ROW: usize = 3;

/// The `Tensor`-built MLP's claims, per model on one thread in f32: within
/// 1.5x of the fused `Mlp`, and faster than libtorch and each Rust peer.
fn tensor_claims() -> Vec<(String, String, usize, usize, f64)> {
    let mut out = Vec::new();
    for (model, name) in [("moons", "moons"), ("mlp784", "784-256-256-10")] {
        let key = format!("batched/{model}/f32/threads=1");
        let claim = |what: &str| format!("Tensor-built MLP, {name}, f32, 1 thread: {what}");
        out.push((
            claim("within 1.5x of the fused Mlp"),
            key.clone(),
            TENSOR_ROW,
            0,
            1.0 / 1.5,
        ));
        out.push((
            claim("faster than libtorch"),
            key.clone(),
            TENSOR_ROW,
            1,
            1.0,
        ));
        for (i, (system, _, _)) in RUST_PEER_ROWS.iter().enumerate() {
            let what = format!("faster than {system}");
            out.push((
                claim(&what),
                key.clone(),
                TENSOR_ROW,
                TENSOR_ROW + 1 + i,
                1.0,
            ));
        }
    }
    out
}

/// The claims, checked.
pub fn targets(workloads: &[Workload]) -> Vec<TargetCheck> {
    let fixed = CLAIMS.iter().map(|&(claim, key, ours, theirs, needed)| {
        (claim.to_string(), key.to_string(), ours, theirs, needed)
    });
    fixed
        .chain(tensor_claims())
        .map(|(claim, key, ours, theirs, needed)| {
            let w = find(workloads, &key);
            let ours_ns = w.and_then(|w| w.rows.get(ours)).and_then(|r| r.median_ns);
            let theirs_ns = w.and_then(|w| w.rows.get(theirs)).and_then(|r| r.median_ns);
            let ratio = match (ours_ns, theirs_ns) {
                (Some(a), Some(b)) if a > 0.0 => Some(b / a),
                _ => None,
            };
            TargetCheck {
                claim,
                ours_ns,
                theirs_ns,
                ratio,
                needed,
                met: ratio.map(|r| r >= needed),
            }
        })
        .collect()
}
