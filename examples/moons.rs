//! micrograd's demo on the scalar engine: 100 moons points, a 2-16-16-1 ReLU
//! MLP, max-margin loss + 1e-4 L2, 100 SGD steps with lr = 1 - 0.9 k / 100.
//!
//! `cargo run --release --example moons`

use std::sync::{Arc, Mutex};
use std::time::Instant;

use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, LrSchedule, Mlp, Sgd};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
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
    // The bar draws only when the step advances, reading that step's numbers
    // from `shown`: setting a message would draw a frame of its own, with
    // the new loss beside the old step number.
    let shown = Arc::new(Mutex::new((f64::NAN, 0.0)));
    let bar = ProgressBar::new(steps);
    let numbers = Arc::clone(&shown);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {numbers}")?.with_key(
            "numbers",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let (loss, acc) = *numbers.lock().unwrap_or_else(|e| e.into_inner());
                let _ = write!(w, "loss {loss:.4} accuracy {:.0}%", acc * 100.0);
            },
        ),
    );
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

        *shown.lock().unwrap_or_else(|e| e.into_inner()) = (loss, acc);
        bar.inc(1);
    }
    bar.finish();
    if !bar.is_hidden() {
        // The bar leaves the cursor on its own line; the summary goes below it.
        eprintln!();
    }
    let per_step = start.elapsed() / steps as u32;
    println!(
        "moons: {steps} steps, final loss {loss:.6}, accuracy {:.0}%, {per_step:.2?} per step",
        acc * 100.0
    );
    if acc < 1.0 {
        return Err(format!("training accuracy {:.0}% < 100%", acc * 100.0).into());
    }
    Ok(())
}
