//! The training steps of `tensor_autograd` (fused `Mlp` and `Tensor`-built,
//! f32), as a plain program for two measurements criterion cannot make on a
//! busy machine:
//!
//! - instruction counts: run one workload for N steps under callgrind, twice
//!   (N1 and N2 steps); the difference divided by N2 - N1 is the cost of a
//!   step, without the setup:
//!
//!   ```text
//!   cargo bench --bench step_count --no-run    # prints the executable's path
//!   MATMUL_NUM_THREADS=1 valgrind --tool=callgrind <exe> moons-tensor 100
//!   MATMUL_NUM_THREADS=1 valgrind --tool=callgrind <exe> moons-tensor 300
//!   ```
//!
//! - times robust to other load: `<exe> compare W1,W2,... BATCH ROUNDS`
//!   runs BATCH steps of each workload in turn, ROUNDS times, and prints the
//!   fastest and the median batch per step. `cargo bench --bench step_count`
//!   does that for the moons and 784-256-256-10 pairs.
//!
//! Workloads: `moons-fused`, `moons-tensor` (100 x 2-16-16-1 ReLU, hinge +
//! 1e-4 L2, SGD 0.1), `moons-hinge` and `moons-l2` (the `Tensor` step's two
//! loss terms alone, forward and backward), `mlp784-fused`, `mlp784-tensor`
//! (256 x 784-256-256-10 ReLU, cross-entropy, SGD 0.01).

use std::hint::black_box;
use std::time::Instant;

use ferrograd::tensor::autograd_nn::{self as ann, loss};
use ferrograd::tensor::{Activation, Tensor};

mod common;

use common::BatchedStep;

/// One step of `which`, returning its loss.
type Step = Box<dyn FnMut() -> f32>;

/// The `Tensor`-built step: `loss_of()` recorded, backward, SGD at `lr`.
fn graph_step(
    params: Vec<Tensor<f32>>,
    lr: f64,
    loss_of: impl Fn() -> Tensor<f32> + 'static,
) -> Step {
    let mut sgd = ann::Sgd::new(lr).expect("valid lr");
    Box::new(move || {
        let total = loss_of();
        sgd.zero_grad(&params);
        total.backward().expect("one element");
        sgd.step(&params).expect("same parameters");
        total.item().expect("one element")
    })
}

fn moons(which: &str) -> Step {
    let mut step = BatchedStep::<f32>::moons(Activation::Relu);
    if which == "moons-fused" {
        return Box::new(move || step.step());
    }
    let graph = ann::Mlp::from_fused(step.model());
    let alpha = step.alpha();
    let (x, y) = (step.x().clone(), step.y().clone());
    let (tx, ty) = (Tensor::from_array(x), Tensor::from_array(y));
    let params = graph.parameters();
    let ps = params.clone();
    let (hinge, l2) = (which != "moons-l2", which != "moons-hinge");
    graph_step(params, 0.1, move || {
        let data = hinge.then(|| {
            let scores = graph.forward(&tx).expect("shapes fit");
            loss::hinge(&scores, &ty).expect("shapes fit")
        });
        let penalty = l2.then(|| loss::l2(&ps, alpha));
        match (data, penalty) {
            (Some(d), Some(p)) => d + p,
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => unreachable!("every workload has a loss term"),
        }
    })
}

fn mlp784(which: &str) -> Step {
    let mut step = BatchedStep::<f32>::classifier(784, &[256, 256, 10], Activation::Relu, 256);
    if which == "mlp784-fused" {
        return Box::new(move || step.step());
    }
    let graph = ann::Mlp::from_fused(step.model());
    let tx = Tensor::from_array(step.x().clone());
    let classes = step.classes().to_vec();
    graph_step(graph.parameters(), 0.01, move || {
        let logits = graph.forward(&tx).expect("shapes fit");
        loss::cross_entropy(&logits, &classes).expect("classes fit")
    })
}

fn make(which: &str) -> Step {
    match which {
        "moons-fused" | "moons-tensor" | "moons-hinge" | "moons-l2" => moons(which),
        "mlp784-fused" | "mlp784-tensor" => mlp784(which),
        _ => panic!("unknown workload {which:?} (see the bench's documentation)"),
    }
}

/// Batches of each workload in turn; the fastest and the median batch.
fn compare(names: &[&str], batch: usize, rounds: usize) {
    let mut steps: Vec<Step> = names.iter().map(|w| make(w)).collect();
    let mut times = vec![Vec::with_capacity(rounds); names.len()];
    for _ in 0..rounds {
        for (step, t) in steps.iter_mut().zip(&mut times) {
            let start = Instant::now();
            for _ in 0..batch {
                black_box(step());
            }
            t.push(start.elapsed().as_secs_f64() * 1e6 / batch as f64);
        }
    }
    for (name, t) in names.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        println!(
            "{name:14} fastest {:10.2} us  median {:10.2} us  per step",
            t[0],
            t[t.len() / 2]
        );
    }
}

fn main() {
    // `cargo bench` passes flags such as `--bench`; the workloads are the
    // other arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [] => {
            compare(&["moons-fused", "moons-tensor"], 100, 100);
            compare(&["mlp784-fused", "mlp784-tensor"], 3, 30);
        }
        [cmd, names, batch, rounds] if cmd == "compare" => {
            let names: Vec<&str> = names.split(',').collect();
            let count = |s: &str| s.parse().expect("BATCH and ROUNDS are whole numbers");
            compare(&names, count(batch), count(rounds));
        }
        [which, steps] => {
            let steps: usize = steps.parse().expect("the step count is a whole number");
            let mut step = make(which);
            let total: f32 = (0..steps).map(|_| step()).sum();
            println!("{which}: {steps} steps, loss sum {total}");
        }
        _ => panic!("usage: step_count [WORKLOAD STEPS | compare W1,W2 BATCH ROUNDS]"),
    }
}
