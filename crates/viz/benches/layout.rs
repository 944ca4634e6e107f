//! How long the built-in engine takes to lay out graphs that reuse values,
//! up to the node cap: each must stay under a second.
//!
//! - Newton's iteration `y = 0.5 * (y + a / y)`, 100 steps (402 nodes);
//! - a braid `(a, b) = (a + b, a * b)`, 100 steps (203 nodes);
//! - a sum of 250 leaves (499 nodes, just under the cap of 500);
//! - a dot product of 50 pairs (199 nodes, wide ranks: it took 6.5 s
//!   with layout-rs's edge-crossing reduction);
//! - the notebook's MLP 3-4-4-1 and its loss over four samples.
//!
//! `cargo bench -p ferrograd-viz --bench layout`

use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_scalar::Value;
use ferrograd_viz::{render_svg, summarize, DEFAULT_NODE_CAP};

#[path = "../tests/common/mod.rs"]
mod common;

fn bench(c: &mut Criterion) {
    let graphs: [(&str, Value<f64>); 6] = [
        ("newton 100 steps", common::newton(100)),
        ("braid 100 steps", common::braid(100)),
        ("sum of 250 leaves", common::sum_of_leaves(250)),
        ("dot product of 50 pairs", common::dot_product(50)),
        ("notebook mlp 3-4-4-1", common::notebook_mlp().1),
        ("notebook loss", common::notebook_loss()),
    ];
    let mut group = c.benchmark_group("layout");
    group.sample_size(10);
    for (name, root) in &graphs {
        let nodes = summarize(root).nodes;
        // A graph over the cap would time the summary, not the layout.
        assert!(nodes <= DEFAULT_NODE_CAP, "{name}: {nodes} nodes");
        assert!(!render_svg(root).unwrap().contains("ferrograd-summary"));
        group.bench_function(format!("render_svg {name} ({nodes} nodes)"), |b| {
            b.iter(|| render_svg(root).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
