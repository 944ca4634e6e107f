//! One training step of the same MLP two ways: the fused `Mlp` (hand-written
//! layer backward) and the `Tensor`-built `autograd_nn::Mlp` (recorded graph,
//! generic backward), same weights, data, loss and SGD:
//!
//! - `moons`: 100 x 2-16-16-1 ReLU, max-margin loss + 1e-4 L2, SGD lr 0.1;
//! - `mlp784`: 256 x 784-256-256-10 ReLU, softmax cross-entropy, SGD lr 0.01.
//!
//! Run on one thread, as the issue's figures are:
//!
//! ```text
//! MATMUL_NUM_THREADS=1 cargo bench --bench tensor_autograd
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd::tensor::autograd_nn::{self as ann, loss};
use ferrograd::tensor::{Activation, Float, Tensor};

mod common;

use common::env::matmul_threads as threads;
use common::BatchedStep;

/// The `Tensor`-built step: `loss_of()` recorded, backward, SGD at `lr`.
fn bench_graph_step<T: Float>(
    c: &mut Criterion,
    name: &str,
    params: &[Tensor<T>],
    lr: f64,
    loss_of: impl Fn() -> Tensor<T>,
) {
    let mut sgd = ann::Sgd::new(lr).expect("valid lr");
    c.bench_function(
        &format!("{name}/tensor/{}/threads={}", T::NAME, threads()),
        |b| {
            b.iter(|| {
                let total = loss_of();
                sgd.zero_grad(params);
                total.backward().expect("one element");
                sgd.step(params).expect("same parameters");
                total.item().expect("one element")
            })
        },
    );
}

fn moons<T: Float>(c: &mut Criterion) {
    let mut step = BatchedStep::<T>::moons(Activation::Relu);
    let graph = ann::Mlp::from_fused(step.model());
    let (tx, ty) = (
        Tensor::from_array(step.x().clone()),
        Tensor::from_array(step.y().clone()),
    );
    let alpha = step.alpha();
    c.bench_function(
        &format!("moons/fused/{}/threads={}", T::NAME, threads()),
        |b| b.iter(|| step.step()),
    );
    let params = graph.parameters();
    bench_graph_step(c, "moons", &params, 0.1, || {
        let scores = graph.forward(&tx).expect("shapes fit");
        loss::hinge(&scores, &ty).expect("shapes fit") + loss::l2(&params, alpha)
    });
}

fn mlp784<T: Float>(c: &mut Criterion) {
    let mut step = BatchedStep::<T>::classifier(784, &[256, 256, 10], Activation::Relu, 256);
    let graph = ann::Mlp::from_fused(step.model());
    let tx = Tensor::from_array(step.x().clone());
    let classes = step.classes().to_vec();
    c.bench_function(
        &format!("mlp784/fused/{}/threads={}", T::NAME, threads()),
        |b| b.iter(|| step.step()),
    );
    bench_graph_step(c, "mlp784", &graph.parameters(), 0.01, || {
        let logits = graph.forward(&tx).expect("shapes fit");
        loss::cross_entropy(&logits, &classes).expect("classes fit")
    });
}

fn all(c: &mut Criterion) {
    moons::<f32>(c);
    moons::<f64>(c);
    mlp784::<f32>(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
