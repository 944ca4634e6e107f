//! The scalar engine: micrograd's moons step (rebuilt every step, and
//! replayed on a recorded graph) and raw node throughput.
//!
//! `cargo bench --bench scalar`

mod common;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferrograd::nn::{svm_loss, Activation, Mlp, Sgd};
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn moons_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("scalar_moons_step_f64");
    let (x, y) = common::moons();
    let mut rng = ChaCha8Rng::seed_from_u64(1337);
    let model =
        Mlp::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).expect("valid sizes");
    let mut sgd = Sgd::new(0.01).expect("valid lr");
    common::rebuild_and_replay(&mut group, &model.parameters(), &mut sgd, || {
        svm_loss(&model, &x, &y, 1e-4).expect("shapes fit").0
    });
    group.finish();
}

fn node_throughput(c: &mut Criterion) {
    const NODES: u64 = 100_000;
    let mut group = c.benchmark_group("scalar_nodes_f64");
    // Each round builds 4 nodes (a leaf constant and three operations).
    group.throughput(Throughput::Elements(NODES));
    group.bench_function("build_backward_drop", |b| {
        b.iter_batched(
            || Value::new(0.5f64),
            |x| {
                let mut acc = x.clone();
                for _ in 0..NODES / 4 {
                    acc = (&acc * &x).tanh() + 0.25;
                }
                acc.backward();
                x.grad()
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = moons_step, node_throughput }
criterion_main!(benches);
