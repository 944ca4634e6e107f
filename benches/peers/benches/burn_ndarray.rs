//! burn on its ndarray backend (no rayon), with autodiff: one training step
//! of each model. See the crate docs for the models.

use burn::backend::Autodiff;
use burn_ndarray::{NdArray, NdArrayDevice};
use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_peers::burn_models::{mlp784_step, moons_step};
use ferrograd_peers::{bench_id, MLP784, MOONS};

type B = Autodiff<NdArray<f32>>;

fn all(c: &mut Criterion) {
    let mut step = moons_step::<B>(NdArrayDevice::Cpu);
    c.bench_function(&bench_id("burn-ndarray", &MOONS), |b| b.iter(&mut step));
    let mut step = mlp784_step::<B>(NdArrayDevice::Cpu);
    c.bench_function(&bench_id("burn-ndarray", &MLP784), |b| b.iter(&mut step));
}

criterion_group!(benches, all);
criterion_main!(benches);
