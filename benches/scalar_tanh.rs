//! The scalar engine on the workload micrograd-rust supports (it has tanh but
//! no ReLU): 100 moons points through a 2-16-16-1 MLP with tanh in every
//! layer, the seed notebook's squared-error loss `sum((y_pred - y)^2)`, one
//! SGD step, f64. `benches/python/tanh_micrograd_rust.py` times the same step.
//!
//! `cargo bench --bench scalar_tanh`
//!
//! Benchmark ids: `scalar_tanh_sse_f64/{rebuild,replay}`.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd::nn::{sum_squared_error, Mlp, Sgd};
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn tanh_sse_step(c: &mut Criterion) {
    let (x, y) = common::moons();
    let mut rng = ChaCha8Rng::seed_from_u64(1337);
    let model = Mlp::<f64>::new(2, &[16, 16, 1], &mut rng).expect("valid sizes");
    // A small rate: the step is timed, not trained, but it must stay finite.
    let mut sgd = Sgd::new(1e-3).expect("valid lr");
    let mut group = c.benchmark_group("scalar_tanh_sse_f64");
    common::rebuild_and_replay(&mut group, &model.parameters(), &mut sgd, || {
        let pred: Vec<Value<f64>> = x
            .iter()
            .map(|row| model.forward(row).expect("two inputs").swap_remove(0))
            .collect();
        sum_squared_error(&pred, &y).expect("one target per point")
    });
    group.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = tanh_sse_step }
criterion_main!(benches);
