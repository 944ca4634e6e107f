//! What the facade's benches share: the moons data, the scalar engine's
//! rebuild-or-replay step, the batched engine's classifier step, and the
//! settings read from the environment.

#![allow(dead_code)] // each bench uses part of it

pub mod env;
pub mod mixed;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use ferrograd::nn::Sgd;
use ferrograd::tensor::ndarray::Array2;
use ferrograd::tensor::{Activation, Float, Init, Loss, Mlp, Target};
use ferrograd::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Criterion as the scalar benches run it.
pub fn criterion() -> Criterion {
    Criterion::default().sample_size(30)
}

/// micrograd's demo data: 100 moons points (noise 0.1, seed 1) and their
/// labels as -1 / +1.
pub fn moons() -> (Vec<[f64; 2]>, Vec<f64>) {
    let moons = ferrograd::data::make_moons(100, 0.1, 1).expect("valid moons parameters");
    let labels = moons.labels_pm1();
    (moons.x, labels)
}

/// [`moons`] as the batched engine reads it: points `(100, 2)` and labels
/// `(100, 1)` in precision `T`.
pub fn moons_arrays<T: Float>() -> (Array2<T>, Array2<T>) {
    let (points, labels) = moons();
    let x = Array2::from_shape_fn((100, 2), |(i, j)| T::from_f64(points[i][j]));
    let y = Array2::from_shape_vec((100, 1), labels.into_iter().map(T::from_f64).collect())
        .expect("100 labels");
    (x, y)
}

/// One SGD step of the scalar engine timed two ways: `rebuild` records the
/// graph of `loss_of()` every step; `replay` records it once and each step
/// only recomputes it from the updated weights (micrograd PR #55's idea).
pub fn rebuild_and_replay(
    group: &mut BenchmarkGroup<'_, WallTime>,
    params: &[Value<f64>],
    sgd: &mut Sgd<f64>,
    loss_of: impl Fn() -> Value<f64>,
) {
    group.bench_function("rebuild", |b| {
        b.iter(|| {
            let loss = loss_of();
            sgd.zero_grad(params);
            loss.backward();
            sgd.step(params).expect("same parameters");
            loss.data()
        })
    });
    let loss = loss_of();
    let plan = loss.replay();
    group.bench_function("replay", |b| {
        b.iter(|| {
            plan.recompute();
            sgd.zero_grad(params);
            plan.backward();
            sgd.step(params).expect("same parameters");
            loss.data()
        })
    });
}

/// What a [`BatchedStep`] fits: values (max-margin labels) or class indices.
enum Labels<T> {
    Values(Array2<T>),
    Classes(Vec<usize>),
}

/// One training step of the batched engine on a fixed batch: forward,
/// backward (with an L2 penalty `alpha`) and an SGD update, everything drawn
/// from seed 0. Every batched bench times this step, so each workload is
/// defined once.
pub struct BatchedStep<T: Float> {
    model: Mlp<T>,
    x: Array2<T>,
    labels: Labels<T>,
    loss: Loss,
    alpha: T,
    sgd: ferrograd::tensor::Sgd<T>,
}

impl<T: Float> BatchedStep<T> {
    /// micrograd's demo: [`moons_arrays`], a 2-16-16-1 MLP with `act`
    /// (micrograd's uniform draws), max-margin loss + 1e-4 L2, SGD (lr 0.1).
    pub fn moons(act: Activation) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (x, y) = moons_arrays::<T>();
        let model = Mlp::<T>::with_activation(2, &[16, 16, 1], act, &mut rng).expect("valid sizes");
        Self::new(model, x, Labels::Values(y), Loss::Hinge, 1e-4, 0.1)
    }

    /// A classifier: `nin` inputs, layers `sizes` (the last is the class
    /// count), PyTorch's default initialisation, softmax cross-entropy and
    /// SGD (lr 0.01) on `batch` random rows.
    pub fn classifier(nin: usize, sizes: &[usize], act: Activation, batch: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let x =
            Array2::from_shape_simple_fn((batch, nin), || T::from_f64(rng.random_range(0.0..1.0)));
        let n_classes = *sizes.last().expect("at least one layer");
        let classes = (0..batch).map(|_| rng.random_range(0..n_classes)).collect();
        let model = Mlp::<T>::with_init(nin, sizes, act, Init::KaimingUniform, &mut rng)
            .expect("valid sizes");
        let labels = Labels::Classes(classes);
        Self::new(model, x, labels, Loss::SoftmaxCrossEntropy, 0.0, 0.01)
    }

    fn new(
        model: Mlp<T>,
        x: Array2<T>,
        labels: Labels<T>,
        loss: Loss,
        alpha: f64,
        lr: f64,
    ) -> Self {
        BatchedStep {
            model,
            x,
            labels,
            loss,
            alpha: T::from_f64(alpha),
            sgd: ferrograd::tensor::Sgd::new(lr).expect("valid lr"),
        }
    }

    /// The model (before any step).
    pub fn model(&self) -> &Mlp<T> {
        &self.model
    }

    /// The batch's rows.
    pub fn x(&self) -> &Array2<T> {
        &self.x
    }

    /// The L2 penalty's factor.
    pub fn alpha(&self) -> T {
        self.alpha
    }

    /// The labels of a [`BatchedStep::moons`] step.
    pub fn y(&self) -> &Array2<T> {
        match &self.labels {
            Labels::Values(y) => y,
            Labels::Classes(_) => panic!("a classifier step has classes, not values"),
        }
    }

    /// The classes of a [`BatchedStep::classifier`] step.
    pub fn classes(&self) -> &[usize] {
        match &self.labels {
            Labels::Classes(classes) => classes,
            Labels::Values(_) => panic!("the moons step has values, not classes"),
        }
    }

    /// Forward, backward and update; the loss.
    pub fn step(&mut self) -> T {
        let target = match &self.labels {
            Labels::Values(y) => Target::Values(y.view()),
            Labels::Classes(classes) => Target::Classes(classes),
        };
        self.model
            .train_step(self.x.view(), target, self.loss, self.alpha, &mut self.sgd)
            .expect("finite loss")
            .loss
    }
}
