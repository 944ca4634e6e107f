//! micrograd's demo on the scalar engine: 100 moons points, a 2-16-16-1 ReLU
//! MLP, max-margin loss + 1e-4 L2, 100 SGD steps with lr = 1 - 0.9 k / 100.
//!
//! `cargo run --release --example moons`

mod common;

use std::time::Instant;

use common::{require_accuracy, StepBar};
use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, LrSchedule, Mlp, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let moons = make_moons(100, 0.1, 1)?;
    let labels = moons.labels_pm1();
    let mut rng = ChaCha8Rng::seed_from_u64(1337);
    let model = Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng)?;
    let params = model.parameters();
    println!("{} parameters", params.len());
    let mut sgd = Sgd::new(1.0)?;

    let steps = 100;
    // micrograd's `1.0 - 0.9 * k / steps`.
    let schedule = LrSchedule::LinearDecay {
        start: 1.0,
        drop: 0.9,
        steps: steps as usize,
    };
    let bar = StepBar::new(steps)?;
    let start = Instant::now();
    let (mut loss, mut acc) = (f64::NAN, 0.0);
    for k in 0..steps {
        let (total, accuracy) = svm_loss(&model, &moons.x, &labels, 1e-4)?;
        acc = accuracy;
        loss = total.data();

        sgd.zero_grad(&params);
        total.backward();
        sgd.set_lr(schedule.lr(k as usize))?;
        sgd.step(&params)?;

        bar.step(format!("loss {loss:.4} accuracy {:.0}%", acc * 100.0));
    }
    bar.finish();
    let per_step = start.elapsed() / steps as u32;
    println!(
        "moons: {steps} steps, final loss {loss:.6}, accuracy {:.0}%, {per_step:.2?} per step",
        acc * 100.0
    );
    require_accuracy("training accuracy", acc, 1.0)
}
