//! One training step (forward, backward, update) of the batched engine.
//!
//! - `moons`: micrograd's demo model, 100 x 2-16-16-1 ReLU, max-margin loss
//!   + 1e-4 L2, SGD (lr 0.1);
//! - `mlp784`: 784-256-256-10 ReLU at batch 256, softmax cross-entropy, SGD
//!   (lr 0.01);
//! - `moons-tanh`, `mlp784-tanh`: the same with `tanh` in every layer (the
//!   seed notebook's network), whose backward also reads each layer's
//!   pre-activation;
//!
//! each in f32 and f64. Matrix products use `matrixmultiply`, whose thread
//! count is read once per process from `MATMUL_NUM_THREADS` (default: the
//! number of physical cores), so run the bench once per thread count:
//!
//! ```text
//! MATMUL_NUM_THREADS=1 cargo bench --bench tensor_step
//! MATMUL_NUM_THREADS=2 cargo bench --bench tensor_step
//! ```
//!
//! The thread count is part of each benchmark's name (`moons/f64/threads=1`).

mod common;

use common::env::matmul_threads as threads;
use common::BatchedStep;
use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd::tensor::{Activation, Float};

/// `name` for ReLU, `name-tanh` for tanh.
fn model_name(name: &str, act: Activation) -> String {
    match act {
        Activation::Relu => name.to_string(),
        other => format!("{name}-{}", other.name()),
    }
}

fn moons<T: Float>(c: &mut Criterion, act: Activation) {
    let mut step = BatchedStep::<T>::moons(act);
    let name = model_name("moons", act);
    c.bench_function(&format!("{name}/{}/threads={}", T::NAME, threads()), |b| {
        b.iter(|| step.step())
    });
}

fn mlp784<T: Float>(c: &mut Criterion, act: Activation) {
    let mut step = BatchedStep::<T>::classifier(784, &[256, 256, 10], act, 256);
    let name = model_name("mlp784", act);
    c.bench_function(&format!("{name}/{}/threads={}", T::NAME, threads()), |b| {
        b.iter(|| step.step())
    });
}

fn all(c: &mut Criterion) {
    for act in [Activation::Relu, Activation::Tanh] {
        moons::<f32>(c, act);
        moons::<f64>(c, act);
        mlp784::<f32>(c, act);
        mlp784::<f64>(c, act);
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
