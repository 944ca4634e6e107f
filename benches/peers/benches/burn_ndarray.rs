//! burn on its ndarray backend (no rayon), with autodiff: one training step
//! of each model. See the crate docs for the models.

use burn::tensor::Device;
use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_peers::burn_models::{mlp784_step, moons_step};
use ferrograd_peers::{bench_id, MLP784, MOONS};

// burn 0.22 deprecates the ndarray backend in favour of Flex; it is measured
// while it ships.
#[allow(deprecated)]
fn device() -> Device {
    Device::ndarray().autodiff()
}

fn all(c: &mut Criterion) {
    let mut step = moons_step(device());
    c.bench_function(&bench_id("burn-ndarray", &MOONS), |b| b.iter(&mut step));
    let mut step = mlp784_step(device());
    c.bench_function(&bench_id("burn-ndarray", &MLP784), |b| b.iter(&mut step));
}

criterion_group!(benches, all);
criterion_main!(benches);
