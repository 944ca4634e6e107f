//! How long pictures take: the notebook's neuron, the seed's MLP 3-4-4-1,
//! and the summary of a 1,000,000-node graph (which must stay well under a
//! second).
//!
//! `cargo bench -p ferrograd-viz --bench render`

#[path = "../tests/common/mod.rs"]
mod common;

use common::{chain, neuron, notebook_loss, notebook_mlp};
use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_viz::{render_svg, summarize, to_dot};

fn bench(c: &mut Criterion) {
    let o = neuron();
    o.backward();
    c.bench_function("to_dot neuron", |b| b.iter(|| to_dot(&o)));
    c.bench_function("render_svg neuron", |b| b.iter(|| render_svg(&o).unwrap()));

    let (_mlp, out) = notebook_mlp();
    c.bench_function("render_svg mlp 3-4-4-1", |b| {
        b.iter(|| render_svg(&out).unwrap())
    });

    // The seed's loss over its 4 samples: the largest graph it draws.
    let loss = notebook_loss();
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
