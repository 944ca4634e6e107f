//! One training step of the same MLP two ways: the fused `Mlp` (hand-written
//! layer backward) and the `Tensor`-built `autograd_nn::Mlp` (recorded graph,
//! generic backward), same weights, data, loss and SGD:
//!
//! - `moons`: 100 x 2-16-16-1 ReLU, max-margin loss + 1e-4 L2, SGD lr 0.1;
//! - `mlp784`: 256 x 784-256-256-10 ReLU, softmax cross-entropy, SGD lr 0.01.
//!
//! Run on one thread, as the issue's figures are:
//!
//! ```text
//! MATMUL_NUM_THREADS=1 cargo bench --bench tensor_autograd
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd::tensor::autograd_nn::{self as ann, loss};
use ferrograd::tensor::ndarray::Array2;
use ferrograd::tensor::{Activation, Float, Init, Loss, Mlp, Sgd, Target, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn threads() -> String {
    std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "default".into())
}

fn moons<T: Float>(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let data = ferrograd::data::make_moons(100, 0.1, 1).expect("valid moons parameters");
    let x = Array2::from_shape_fn((100, 2), |(i, j)| T::from_f64(data.x[i][j]));
    let y = Array2::from_shape_vec(
        (100, 1),
        data.labels_pm1().into_iter().map(T::from_f64).collect(),
    )
    .expect("100 labels");
    let mut fused = Mlp::<T>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng)
        .expect("valid sizes");
    let graph = ann::Mlp::from_fused(&fused);
    let alpha = T::from_f64(1e-4);
    let mut sgd = Sgd::new(0.1).expect("valid lr");
    c.bench_function(
        &format!("moons/fused/{}/threads={}", T::NAME, threads()),
        |b| {
            b.iter(|| {
                fused
                    .train_step(
                        x.view(),
                        Target::Values(y.view()),
                        Loss::Hinge,
                        alpha,
                        &mut sgd,
                    )
                    .expect("finite loss")
            })
        },
    );
    let (tx, ty) = (Tensor::from_array(x.clone()), Tensor::from_array(y.clone()));
    let params = graph.parameters();
    let mut tsgd = ann::Sgd::new(0.1).expect("valid lr");
    c.bench_function(
        &format!("moons/tensor/{}/threads={}", T::NAME, threads()),
        |b| {
            b.iter(|| {
                let scores = graph.forward(&tx).expect("shapes fit");
                let total =
                    loss::hinge(&scores, &ty).expect("shapes fit") + loss::l2(&params, alpha);
                tsgd.zero_grad(&params);
                total.backward().expect("one element");
                tsgd.step(&params).expect("same parameters");
                total.item().expect("one element")
            })
        },
    );
}

fn mlp784<T: Float>(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let batch = 256;
    let x = Array2::from_shape_simple_fn((batch, 784), || T::from_f64(rng.random_range(0.0..1.0)));
    let classes: Vec<usize> = (0..batch).map(|_| rng.random_range(0..10)).collect();
    let mut fused = Mlp::<T>::with_init(
        784,
        &[256, 256, 10],
        Activation::Relu,
        Init::KaimingUniform,
        &mut rng,
    )
    .expect("valid sizes");
    let graph = ann::Mlp::from_fused(&fused);
    let mut sgd = Sgd::new(0.01).expect("valid lr");
    c.bench_function(
        &format!("mlp784/fused/{}/threads={}", T::NAME, threads()),
        |b| {
            b.iter(|| {
                fused
                    .train_step(
                        x.view(),
                        Target::Classes(&classes),
                        Loss::SoftmaxCrossEntropy,
                        T::zero(),
                        &mut sgd,
                    )
                    .expect("finite loss")
            })
        },
    );
    let tx = Tensor::from_array(x.clone());
    let params = graph.parameters();
    let mut tsgd = ann::Sgd::new(0.01).expect("valid lr");
    c.bench_function(
        &format!("mlp784/tensor/{}/threads={}", T::NAME, threads()),
        |b| {
            b.iter(|| {
                let logits = graph.forward(&tx).expect("shapes fit");
                let total = loss::cross_entropy(&logits, &classes).expect("classes fit");
                tsgd.zero_grad(&params);
                total.backward().expect("one element");
                tsgd.step(&params).expect("same parameters");
                total.item().expect("one element")
            })
        },
    );
}

fn all(c: &mut Criterion) {
    moons::<f32>(c);
    moons::<f64>(c);
    mlp784::<f32>(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
