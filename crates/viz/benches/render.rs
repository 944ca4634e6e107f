//! How long pictures take: the notebook's neuron, the seed's MLP 3-4-4-1,
//! and the summary of a 1,000,000-node graph (which must stay well under a
//! second).
//!
//! `cargo bench -p ferrograd-viz --bench render`

use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_scalar::nn::Mlp;
use ferrograd_scalar::Value;
use ferrograd_viz::{render_svg, summarize, to_dot};
use rand::SeedableRng;

fn neuron() -> Value<f64> {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    (&x1 * &w1 + &x2 * &w2 + &b).tanh().with_label("o")
}

fn chain(n: usize) -> Value<f64> {
    let mut v = Value::new(0.5);
    for i in 0..n {
        v = if i % 2 == 0 { v.tanh() } else { v.exp() };
    }
    v
}

fn bench(c: &mut Criterion) {
    let o = neuron();
    o.backward();
    c.bench_function("to_dot neuron", |b| b.iter(|| to_dot(&o)));
    c.bench_function("render_svg neuron", |b| b.iter(|| render_svg(&o).unwrap()));

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1337);
    let mlp = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng).unwrap();
    let out = mlp.forward(&[2.0, 3.0, -1.0]).unwrap();
    c.bench_function("render_svg mlp 3-4-4-1", |b| {
        b.iter(|| render_svg(&out[0]).unwrap())
    });

    // The seed's loss over its 4 samples: the largest graph it draws.
    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];
    let loss: Value<f64> = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| (&mlp.forward(x).unwrap()[0] - y).powi(2))
        .sum();
    let mut group = c.benchmark_group("mlp loss graph");
    group.sample_size(10);
    let name = format!("render_svg ({} nodes)", summarize(&loss).nodes);
    group.bench_function(name, |b| b.iter(|| render_svg(&loss).unwrap()));
    group.finish();

    let big = chain(999_999);
    let mut group = c.benchmark_group("1M-node chain");
    group.sample_size(10);
    group.bench_function("render_svg (summary)", |b| {
        b.iter(|| render_svg(&big).unwrap())
    });
    group.bench_function("summarize", |b| b.iter(|| summarize(&big)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
