//! libtorch (through `tch`) on the batched engine's benchmarks, so the two are
//! measured the same way: one training step (forward, backward, SGD update)
//! of the same models, as a libtorch user would write it (`nn::seq` of
//! `nn::linear`, `nn::Sgd`).
//!
//! - `moons`: micrograd's demo model, 100 x 2-16-16-1 ReLU, max-margin loss
//!   + 1e-4 L2, SGD (lr 0.1), as in `benches/tensor_step.rs`;
//! - `mlp784`: 784-256-256-10 ReLU at batch 256, cross-entropy, SGD (lr 0.01);
//! - `libtorch_sweep`: `w` inputs, two ReLU hidden layers of width `w`, 10
//!   outputs, cross-entropy, at batch `b`, as in `benches/tensor_sweep.rs`
//!   (grid from `FERROGRAD_SWEEP_WIDTHS`, `FERROGRAD_SWEEP_BATCHES`,
//!   `FERROGRAD_SWEEP_DTYPES`, with the same defaults).
//!
//! Each in f32 and f64, at each thread count of `FERROGRAD_TORCH_THREADS`
//! (default `1,2`; set with `tch::set_num_threads`). Needs libtorch:
//!
//! ```text
//! eval "$(cargo xtask libtorch --print-env)"
//! cargo bench -p ferrograd-torch --bench libtorch_step
//! ```
//!
//! Benchmark ids: `libtorch/<model>/<dtype>/threads=<n>` and
//! `libtorch_sweep/<dtype>/threads=<n>/batch=<b>/<w>`.

#[path = "../../../benches/common/env.rs"]
mod env;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// The sweep's float types as libtorch kinds.
fn kinds() -> Vec<(Kind, &'static str)> {
    env::sweep_dtypes()
        .iter()
        .map(|d| match d.as_str() {
            "f32" => (Kind::Float, "f32"),
            _ => (Kind::Double, "f64"),
        })
        .collect()
}

/// A ReLU MLP `nin -> sizes...` (linear last layer) in a fresh var store.
fn mlp(nin: usize, sizes: &[usize], kind: Kind) -> (nn::VarStore, nn::Sequential) {
    let mut vs = nn::VarStore::new(Device::Cpu);
    let root = vs.root();
    let mut seq = nn::seq();
    let mut width = nin as i64;
    for (i, &s) in sizes.iter().enumerate() {
        seq = seq.add(nn::linear(
            &root / i,
            width,
            s as i64,
            nn::LinearConfig::default(),
        ));
        if i + 1 < sizes.len() {
            seq = seq.add_fn(|x| x.relu());
        }
        width = s as i64;
    }
    vs.set_kind(kind);
    (vs, seq)
}

/// One step of micrograd's moons demo: hinge loss plus 1e-4 L2.
fn moons_step(kind: Kind) -> impl FnMut() -> f64 {
    tch::manual_seed(0);
    let x = Tensor::rand([100, 2], (kind, Device::Cpu)) * 3.0 - 1.0;
    let y = Tensor::rand([100, 1], (kind, Device::Cpu))
        .gt(0.5)
        .to_kind(kind)
        * 2.0
        - 1.0;
    let (vs, model) = mlp(2, &[16, 16, 1], kind);
    let params = vs.trainable_variables();
    let mut opt = nn::Sgd::default().build(&vs, 0.1).expect("valid SGD");
    move || {
        let scores = model.forward(&x);
        let margin: Tensor = 1.0 - &y * scores;
        let hinge = margin.relu().mean(kind);
        let l2 = params
            .iter()
            .map(|p| (p * p).sum(kind))
            .fold(Tensor::zeros([], (kind, Device::Cpu)), |a: Tensor, b| a + b);
        let loss = hinge + l2 * 1e-4;
        opt.backward_step(&loss);
        loss.double_value(&[])
    }
}

/// One cross-entropy step of a `nin -> sizes` ReLU MLP at `batch` rows.
fn classifier_step(nin: usize, sizes: &[usize], batch: usize, kind: Kind) -> impl FnMut() -> f64 {
    tch::manual_seed(0);
    let x = Tensor::rand([batch as i64, nin as i64], (kind, Device::Cpu));
    let classes = Tensor::randint(
        *sizes.last().expect("at least one layer") as i64,
        [batch as i64],
        (Kind::Int64, Device::Cpu),
    );
    let (vs, model) = mlp(nin, sizes, kind);
    let mut opt = nn::Sgd::default().build(&vs, 0.01).expect("valid SGD");
    move || {
        let loss = model.forward(&x).log_softmax(-1, kind).nll_loss(&classes);
        opt.backward_step(&loss);
        loss.double_value(&[])
    }
}

fn models(c: &mut Criterion, threads: usize) {
    for (kind, name) in [(Kind::Float, "f32"), (Kind::Double, "f64")] {
        let mut step = moons_step(kind);
        c.bench_function(&format!("libtorch/moons/{name}/threads={threads}"), |b| {
            b.iter(&mut step)
        });
    }
    for (kind, name) in [(Kind::Float, "f32"), (Kind::Double, "f64")] {
        let mut step = classifier_step(784, &[256, 256, 10], 256, kind);
        c.bench_function(&format!("libtorch/mlp784/{name}/threads={threads}"), |b| {
            b.iter(&mut step)
        });
    }
}

fn sweep(c: &mut Criterion, threads: usize) {
    let (widths, batches) = (env::sweep_widths(), env::sweep_batches());
    for (kind, name) in kinds() {
        let mut group = c.benchmark_group(format!("libtorch_sweep/{name}/threads={threads}"));
        group.sampling_mode(SamplingMode::Flat).sample_size(10);
        for &batch in &batches {
            for &width in &widths {
                let mut step = classifier_step(width, &[width, width, 10], batch, kind);
                group.bench_function(BenchmarkId::new(format!("batch={batch}"), width), |b| {
                    b.iter(&mut step)
                });
            }
        }
        group.finish();
    }
}

fn all(c: &mut Criterion) {
    for threads in env::sizes("FERROGRAD_TORCH_THREADS", "1,2") {
        tch::set_num_threads(threads as i32);
        models(c, threads);
        sweep(c, threads);
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
