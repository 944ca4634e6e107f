//! A larger batched run: 10 Gaussian blobs in 784 dimensions (an MNIST-sized
//! synthetic set), a 784-256-256-10 ReLU MLP with PyTorch's default
//! initialisation, softmax cross-entropy, Adam, seeded mini-batches of 128.
//! Trains on 6,000 points and reports accuracy on 2,000 held-out ones; exits
//! with an error if held-out accuracy is below 90%.
//!
//! `cargo run --release --example blobs`

mod common;

use std::time::Instant;

use common::{require_accuracy, StepBar};

use ferrograd::data::make_blobs;
use ferrograd::tensor::ndarray::{s, Array2};
use ferrograd::tensor::{
    gather_rows, metrics, Activation, Adam, Init, Loss, Mlp, Optimizer, Shuffler, Target,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n_train, n_test, epochs, batch) = (6_000, 2_000, 3, 128);
    let data = make_blobs(n_train + n_test, 784, 10, 4.0, 7)?;
    let x = Array2::from_shape_vec(
        (data.len(), data.features),
        data.x.iter().map(|&v| v as f32).collect(),
    )?;
    let (x_train, x_test) = (x.slice(s![..n_train, ..]), x.slice(s![n_train.., ..]));
    let (c_train, c_test) = data.class.split_at(n_train);

    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut model = Mlp::<f32>::with_init(
        784,
        &[256, 256, 10],
        Activation::Relu,
        Init::KaimingUniform,
        &mut rng,
    )?;
    let mut adam = Adam::new(1e-3)?;
    let mut shuffler = Shuffler::new(n_train, batch, 1)?;
    let mut xb = Array2::zeros((batch, 784));
    let mut cb = Vec::with_capacity(batch);

    println!(
        "{} parameters, {n_train} training points, {n_test} held out",
        model.parameter_count()
    );
    let bar = StepBar::new((epochs * shuffler.batches_per_epoch()) as u64)?;
    let start = Instant::now();
    let mut loss = f32::NAN;
    for epoch in 0..epochs {
        for idx in shuffler.epoch() {
            let xs = gather_rows(x_train, idx, &mut xb)?;
            cb.clear();
            cb.extend(idx.iter().map(|&i| c_train[i]));
            loss = model
                .train_step(
                    xs,
                    Target::Classes(&cb),
                    Loss::SoftmaxCrossEntropy,
                    0.0,
                    &mut adam,
                )?
                .loss;
            bar.step(format!("epoch {} loss {loss:.4}", epoch + 1));
        }
    }
    bar.finish();
    let elapsed = start.elapsed();
    let train_acc = metrics::class_accuracy(model.predict(x_train)?.view(), c_train)?;
    let test_acc = metrics::class_accuracy(model.predict(x_test)?.view(), c_test)?;
    println!(
        "blobs: {epochs} epochs, {} Adam steps in {elapsed:.2?}, last loss {loss:.4}, train accuracy {:.1}%, held-out accuracy {:.1}%",
        adam.steps(),
        train_acc * 100.0,
        test_acc * 100.0
    );
    require_accuracy("held-out accuracy", test_acc, 0.9)
}
