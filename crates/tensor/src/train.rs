//! One training step: forward, loss, backward, regularisation, update.

use ndarray::ArrayView2;

use crate::{Float, Loss, Mlp, Optimizer, Target, TensorError};

/// What one [`Mlp::train_step`] measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats<T> {
    /// The step index (the optimiser's step count before the update).
    pub step: usize,
    /// The data loss.
    pub data_loss: T,
    /// The L2 penalty `alpha * sum(p^2)` (0 without regularisation).
    pub penalty: T,
    /// `data_loss + penalty`, the value that was differentiated.
    pub loss: T,
}

impl<T: Float> Mlp<T> {
    /// One full training step on a batch: forward, `loss` against `target`,
    /// backward, micrograd's L2 penalty with weight `l2` (pass 0 for none),
    /// then the optimiser's update.
    ///
    /// A non-finite loss stops before the update with
    /// [`TensorError::NonFiniteLoss`] naming the step, so the weights are
    /// never overwritten with NaN.
    pub fn train_step(
        &mut self,
        x: ArrayView2<'_, T>,
        target: Target<'_, T>,
        loss: Loss,
        l2: T,
        opt: &mut impl Optimizer<T>,
    ) -> Result<StepStats<T>, TensorError> {
        let step = opt.steps();
        self.forward(x)?;
        let data_loss = self.loss_backward(loss, target)?;
        let penalty = if l2 != T::zero() {
            self.add_l2(l2)
        } else {
            T::zero()
        };
        let total = data_loss + penalty;
        if !total.is_finite() {
            return Err(TensorError::NonFiniteLoss {
                step,
                loss: total.to_f64(),
            });
        }
        opt.step(self)?;
        Ok(StepStats {
            step,
            data_loss,
            penalty,
            loss: total,
        })
    }
}
