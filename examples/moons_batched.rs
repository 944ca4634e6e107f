//! micrograd's demo on the batched engine: 100 moons points (noise 0.1), a
//! 2-16-16-1 ReLU MLP, max-margin loss + 1e-4 L2, 100 full-batch SGD steps
//! with lr = 1 - 0.9 k / 100. Same data and same initial weights as the
//! scalar `moons` example (seeds 1 and 1337), so both follow the same path.
//!
//! `cargo run --release --example moons_batched`

mod common;

use std::time::Instant;

use common::{require_accuracy, StepBar};
use ferrograd::data::make_moons;
use ferrograd::tensor::ndarray::Array2;
use ferrograd::tensor::{metrics, Activation, Loss, LrSchedule, Mlp, Sgd, Target};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let moons = make_moons(100, 0.1, 1)?;
    let x = Array2::from_shape_fn((moons.len(), 2), |(i, j)| moons.x[i][j]);
    let y = Array2::from_shape_vec((moons.len(), 1), moons.labels_pm1())?;

    let mut rng = ChaCha8Rng::seed_from_u64(1337);
    let mut model = Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng)?;
    println!("{} parameters", model.parameter_count());

    let steps = 100;
    let mut sgd = Sgd::new(LrSchedule::LinearDecay {
        start: 1.0,
        drop: 0.9,
        steps,
    })?;
    let bar = StepBar::new(steps as u64)?;
    let start = Instant::now();
    let mut loss = f64::NAN;
    for _ in 0..steps {
        let stats = model.train_step(
            x.view(),
            Target::Values(y.view()),
            Loss::Hinge,
            1e-4,
            &mut sgd,
        )?;
        loss = stats.loss;
        // The accuracy of the scores this step was computed from (before its update), as micrograd prints it.
        let acc = metrics::sign_accuracy(model.output(), y.view());
        bar.step(format!("loss {loss:.4} accuracy {:.0}%", acc * 100.0));
    }
    bar.finish();
    let per_step = start.elapsed() / steps as u32;
    let acc = metrics::sign_accuracy(model.predict(x.view())?.view(), y.view());
    println!(
        "moons_batched: {steps} steps, final loss {loss:.6}, training accuracy {:.0}%, {per_step:.2?} per step",
        acc * 100.0
    );
    require_accuracy("training accuracy", acc, 1.0)
}
