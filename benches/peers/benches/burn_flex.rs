//! burn on its Flex CPU backend (no rayon), with autodiff: one training step
//! of each model. See the crate docs for the models.

use burn::tensor::Device;
use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_peers::burn_models::{mlp784_step, moons_step};
use ferrograd_peers::{bench_id, MLP784, MOONS};

fn all(c: &mut Criterion) {
    let mut step = moons_step(Device::flex().autodiff());
    c.bench_function(&bench_id("burn-flex", &MOONS), |b| b.iter(&mut step));
    let mut step = mlp784_step(Device::flex().autodiff());
    c.bench_function(&bench_id("burn-flex", &MLP784), |b| b.iter(&mut step));
}

criterion_group!(benches, all);
criterion_main!(benches);
