//! The batched engine's training step as the model grows: a width sweep.
//!
//! Model: `w` inputs, two ReLU hidden layers of width `w`, 10 outputs,
//! softmax cross-entropy, SGD (lr 0.01), PyTorch's default initialisation;
//! one step is forward, backward and update on a batch of `b` rows. The same
//! sweep runs on libtorch in `crates/torch/benches/libtorch_step.rs`.
//!
//! The grid comes from the environment (comma-separated lists), so a quick
//! run can measure less of it:
//!
//! - `FERROGRAD_SWEEP_WIDTHS` (default `16,32,64,128,256,512,1024`)
//! - `FERROGRAD_SWEEP_BATCHES` (default `64,256,1024`)
//! - `FERROGRAD_SWEEP_DTYPES` (default `f32,f64`)
//!
//! Matrix products read their thread count once per process from
//! `MATMUL_NUM_THREADS`, which is part of each benchmark's name:
//!
//! ```text
//! MATMUL_NUM_THREADS=1 cargo bench --bench tensor_sweep
//! ```
//!
//! Benchmark ids: `tensor_sweep/<dtype>/threads=<n>/batch=<b>/<w>`.

mod common;

use common::{env, BatchedStep};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use ferrograd::tensor::{Activation, Float};

fn sweep<T: Float>(c: &mut Criterion, widths: &[usize], batches: &[usize]) {
    let mut group = c.benchmark_group(format!(
        "tensor_sweep/{}/threads={}",
        T::NAME,
        env::matmul_threads()
    ));
    // The widest models take tens of milliseconds a step: flat sampling keeps
    // the sample count without criterion's linearly growing iteration counts.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for &batch in batches {
        for &width in widths {
            let mut step =
                BatchedStep::<T>::classifier(width, &[width, width, 10], Activation::Relu, batch);
            group.bench_function(BenchmarkId::new(format!("batch={batch}"), width), |b| {
                b.iter(|| step.step())
            });
        }
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    let (widths, batches) = (env::sweep_widths(), env::sweep_batches());
    for dtype in env::sweep_dtypes() {
        if dtype == "f32" {
            sweep::<f32>(c, &widths, &batches);
        } else {
            sweep::<f64>(c, &widths, &batches);
        }
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
