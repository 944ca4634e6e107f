//! Learning-rate schedules: one formula per schedule, used by the scalar
//! engine's callers, the batched optimisers and the libtorch trajectories.

use crate::nn::hyper;
use crate::Error;

/// A learning rate as a function of the step index `k` (0-based).
///
/// ```
/// use ferrograd_scalar::nn::LrSchedule;
/// let s = LrSchedule::LinearDecay { start: 1.0, drop: 0.9, steps: 100 };
/// assert_eq!(s.lr(50), 1.0 - 0.9 * 50.0 / 100.0);
/// assert_eq!(s.lr(200), s.lr(100)); // held after `steps`, as torch's LinearLR
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// The same rate every step.
    Constant(f64),
    /// micrograd's demo: `start - drop * k / steps` (`1.0 - 0.9*k/100` is
    /// `LinearDecay { start: 1.0, drop: 0.9, steps: 100 }`), evaluated in that
    /// order in f64 as Python does, then held at `start - drop` from step
    /// `steps` on, as `torch.optim.lr_scheduler.LinearLR` holds its end
    /// factor after `total_iters` (micrograd's loop stops at `steps`; run
    /// past it, the bare formula would turn the descent into an ascent).
    LinearDecay {
        /// Rate at step 0.
        start: f64,
        /// How much the rate has fallen after `steps` steps (negative: a rise).
        drop: f64,
        /// The step count over which it falls by `drop` (at least 1).
        steps: usize,
    },
    /// PyTorch's `StepLR`: `start * gamma^(k / every)` (integer division).
    StepDecay {
        /// Rate at step 0.
        start: f64,
        /// Factor applied every `every` steps.
        gamma: f64,
        /// Steps between reductions (at least 1).
        every: usize,
    },
}

impl LrSchedule {
    /// The rate at step `k`.
    pub fn lr(&self, k: usize) -> f64 {
        match *self {
            LrSchedule::Constant(lr) => lr,
            LrSchedule::LinearDecay { start, drop, steps } => {
                let steps = steps.max(1);
                start - drop * k.min(steps) as f64 / steps as f64
            }
            LrSchedule::StepDecay {
                start,
                gamma,
                every: period,
            } => {
                // Past i32::MAX reductions the factor is long at its limit.
                let n = i32::try_from(k / period.max(1)).unwrap_or(i32::MAX);
                start * gamma.powi(n)
            }
        }
    }

    /// Checks that every rate the schedule gives is finite and `>= 0`:
    /// what the optimisers' constructors require.
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            LrSchedule::Constant(lr) => hyper::learning_rate(lr),
            LrSchedule::LinearDecay { start, drop, steps } => {
                hyper::learning_rate(start)?;
                hyper::finite("drop", drop)?;
                hyper::at_least_one("steps", steps)?;
                let end = start - drop;
                if end.is_finite() && end >= 0.0 {
                    Ok(())
                } else {
                    Err(hyper::refuse(
                        "drop",
                        drop,
                        "must be at most start, so that the rate start - drop it ends at is >= 0",
                    ))
                }
            }
            LrSchedule::StepDecay {
                start,
                gamma,
                every,
            } => {
                hyper::learning_rate(start)?;
                hyper::positive("gamma", gamma)?;
                hyper::at_least_one("every", every)
            }
        }
    }
}

impl From<f64> for LrSchedule {
    fn from(lr: f64) -> Self {
        LrSchedule::Constant(lr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_decay_saturates() {
        let s = LrSchedule::StepDecay {
            start: 1.0,
            gamma: 0.5,
            every: 1,
        };
        assert_eq!(s.lr(3), 0.125);
        assert_eq!(s.lr(usize::MAX), 0.0);
        assert!(s.validate().is_ok());
        let rising = LrSchedule::LinearDecay {
            start: 0.1,
            drop: -0.9,
            steps: 10,
        };
        assert!(rising.validate().is_ok());
        assert!((rising.lr(20) - 1.0).abs() < 1e-15);
    }
}
