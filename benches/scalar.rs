//! The scalar engine: micrograd's moons step (rebuilt every step, and
//! replayed on a recorded graph) and raw node throughput.
//!
//! `cargo bench --bench scalar`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, Mlp, Sgd};
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn moons_setup() -> (Mlp<f64>, Vec<[f64; 2]>, Vec<f64>) {
    let moons = make_moons(100, 0.1, 1).expect("valid arguments");
    let labels = moons.labels_pm1();
    let mut rng = ChaCha8Rng::seed_from_u64(1337);
    let model =
        Mlp::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).expect("valid sizes");
    (model, moons.x, labels)
}

fn moons_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("scalar_moons_step_f64");
    let (model, x, y) = moons_setup();
    let params = model.parameters();
    let mut sgd = Sgd::new(0.01).expect("valid lr");
    group.bench_function("rebuild", |b| {
        b.iter(|| {
            let (loss, _) = svm_loss(&model, &x, &y, 1e-4).expect("shapes fit");
            sgd.zero_grad(&params);
            loss.backward();
            sgd.step(&params).expect("same parameters");
            loss.data()
        })
    });
    // micrograd PR #55's idea: record the graph once, then each step only
    // recomputes it from the updated weights.
    let (loss, _) = svm_loss(&model, &x, &y, 1e-4).expect("shapes fit");
    let plan = loss.replay();
    group.bench_function("replay", |b| {
        b.iter(|| {
            plan.recompute();
            sgd.zero_grad(&params);
            plan.backward();
            sgd.step(&params).expect("same parameters");
            loss.data()
        })
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = moons_step, node_throughput
}
criterion_main!(benches);
