//! What the training examples share: a progress bar that shows each step's
//! numbers, and the accuracy check that ends a run.

use std::error::Error;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// A progress bar with the numbers of the step it counts.
pub struct StepBar {
    bar: ProgressBar,
    shown: Arc<Mutex<String>>,
}

impl StepBar {
    /// A bar of `len` steps.
    pub fn new(len: u64) -> Result<Self, Box<dyn Error>> {
        let shown = Arc::new(Mutex::new(String::new()));
        let numbers = Arc::clone(&shown);
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {numbers}")?.with_key(
                "numbers",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&numbers.lock().unwrap_or_else(|e| e.into_inner()));
                },
            ),
        );
        Ok(StepBar { bar, shown })
    }

    /// Counts a step and shows its numbers. The bar draws only when the
    /// step advances, reading `numbers` then: setting a message would draw
    /// a frame of its own, with the new numbers beside the old step count.
    pub fn step(&self, numbers: String) {
        *self.shown.lock().unwrap_or_else(|e| e.into_inner()) = numbers;
        self.bar.inc(1);
    }

    /// Ends the bar; what is printed next goes below it.
    pub fn finish(&self) {
        self.bar.finish();
        if !self.bar.is_hidden() {
            eprintln!();
        }
    }
}

/// An error unless `accuracy` (a fraction) reaches `min`.
pub fn require_accuracy(what: &str, accuracy: f64, min: f64) -> Result<(), Box<dyn Error>> {
    if accuracy < min {
        return Err(format!("{what} {:.1}% < {:.0}%", accuracy * 100.0, min * 100.0).into());
    }
    Ok(())
}
