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

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use ferrograd::tensor::ndarray::Array2;
use ferrograd::tensor::{Activation, Float, Init, Loss, Mlp, Sgd, Target};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A comma-separated list from the environment, or the default.
fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn sizes(var: &str, default: &str) -> Vec<usize> {
    list(var, default)
        .iter()
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{var} must list whole numbers, got {s:?}"))
        })
        .collect()
}

fn threads() -> String {
    std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "default".into())
}

fn sweep<T: Float>(c: &mut Criterion, widths: &[usize], batches: &[usize]) {
    let mut group = c.benchmark_group(format!("tensor_sweep/{}/threads={}", T::NAME, threads()));
    // The widest models take tens of milliseconds a step: flat sampling keeps
    // the sample count without criterion's linearly growing iteration counts.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for &batch in batches {
        for &width in widths {
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            let x = Array2::from_shape_simple_fn((batch, width), || {
                T::from_f64(rng.random_range(0.0..1.0))
            });
            let classes: Vec<usize> = (0..batch).map(|_| rng.random_range(0..10)).collect();
            let mut model = Mlp::<T>::with_init(
                width,
                &[width, width, 10],
                Activation::Relu,
                Init::KaimingUniform,
                &mut rng,
            )
            .expect("valid sizes");
            let mut sgd = Sgd::new(0.01).expect("valid lr");
            group.bench_function(BenchmarkId::new(format!("batch={batch}"), width), |b| {
                b.iter(|| {
                    model
                        .train_step(
                            x.view(),
                            Target::Classes(&classes),
                            Loss::SoftmaxCrossEntropy,
                            T::zero(),
                            &mut sgd,
                        )
                        .expect("finite loss")
                })
            });
        }
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    let widths = sizes("FERROGRAD_SWEEP_WIDTHS", "16,32,64,128,256,512,1024");
    let batches = sizes("FERROGRAD_SWEEP_BATCHES", "64,256,1024");
    for dtype in list("FERROGRAD_SWEEP_DTYPES", "f32,f64") {
        match dtype.as_str() {
            "f32" => sweep::<f32>(c, &widths, &batches),
            "f64" => sweep::<f64>(c, &widths, &batches),
            other => panic!("FERROGRAD_SWEEP_DTYPES lists f32 and f64, not {other:?}"),
        }
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
