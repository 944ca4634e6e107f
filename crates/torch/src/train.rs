//! Training trajectories: micrograd's moons demo (a 2-16-16-1 ReLU network,
//! max-margin loss plus `1e-4 * sum(p^2)`, full batch), run for a number of
//! steps with SGD (micrograd's decaying rate `1 - 0.9 k / 100`) or Adam on
//! each backend. The loss of every step and the final weights are compared.

use ferrograd_scalar::nn;
use ferrograd_scalar::Scalar;
use ferrograd_tensor as tensor;
use serde::Serialize;
use tch::COptimizer;

use crate::mlp::{array, matrix, scalar_loss, Batch, Loss, TorchNet, Weights};
use crate::{Target, TorchError};

/// micrograd's L2 weight in the moons demo.
pub const L2: f64 = 1e-4;

/// The optimiser of a trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Optim {
    /// SGD with micrograd's rate `start - drop * k / steps`.
    Sgd {
        /// Rate at step 0.
        start: f64,
        /// Total fall of the rate over `steps`.
        drop: f64,
        /// Steps over which the rate falls.
        steps: usize,
    },
    /// Adam with PyTorch's defaults (betas 0.9, 0.999; eps 1e-8).
    Adam {
        /// The learning rate.
        lr: f64,
    },
}

impl Optim {
    /// micrograd's demo: `1.0 - 0.9 * k / 100`.
    pub const MICROGRAD_SGD: Optim = Optim::Sgd {
        start: 1.0,
        drop: 0.9,
        steps: 100,
    };
    /// Adam at 0.01.
    pub const ADAM: Optim = Optim::Adam { lr: 0.01 };

    /// `"sgd"` or `"adam"`.
    pub fn name(&self) -> &'static str {
        match self {
            Optim::Sgd { .. } => "sgd",
            Optim::Adam { .. } => "adam",
        }
    }

    /// The schedule of the rate: the shared [`tensor::LrSchedule`], so the
    /// three backends step with one formula.
    pub fn schedule(&self) -> tensor::LrSchedule {
        match *self {
            Optim::Sgd { start, drop, steps } => {
                tensor::LrSchedule::LinearDecay { start, drop, steps }
            }
            Optim::Adam { lr } => tensor::LrSchedule::Constant(lr),
        }
    }

    /// The rate at step `k` ([`Optim::schedule`]): micrograd's formula in the
    /// order Python evaluates it, held at its end value after `steps`.
    pub fn lr(&self, k: usize) -> f64 {
        self.schedule().lr(k)
    }
}

/// What a trajectory records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trajectory {
    /// The loss of each step, before that step's update.
    pub losses: Vec<f64>,
    /// The parameters after the last update (scalar engine order).
    pub final_params: Vec<f64>,
}

/// `steps` steps on the scalar engine in precision `T`.
pub fn scalar_trajectory<T: Scalar>(
    w: &Weights,
    batch: &Batch,
    optim: Optim,
    steps: usize,
) -> Result<Trajectory, TorchError> {
    let mlp = w.to_scalar::<T>()?;
    let params = mlp.parameters();
    let mut sgd = nn::Sgd::new(T::from_f64(optim.lr(0)))?;
    let mut adam = nn::Adam::new(T::from_f64(optim.lr(0)))?;
    let mut losses = Vec::with_capacity(steps);
    for k in 0..steps {
        let (total, _) = scalar_loss(&mlp, batch, Loss::Hinge, L2)?;
        mlp.zero_grad();
        total.backward();
        losses.push(total.data().to_f64());
        match optim {
            Optim::Sgd { .. } => {
                sgd.set_lr(T::from_f64(optim.lr(k)))?;
                sgd.step(&params)?;
            }
            Optim::Adam { .. } => adam.step(&params)?,
        }
    }
    Ok(Trajectory {
        losses,
        final_params: params.iter().map(|p| p.data().to_f64()).collect(),
    })
}

/// `steps` steps on the batched engine in precision `T`.
pub fn tensor_trajectory<T: tensor::Float>(
    w: &Weights,
    batch: &Batch,
    optim: Optim,
    steps: usize,
) -> Result<Trajectory, TorchError> {
    let mut mlp = w.to_tensor::<T>()?;
    let x = array::<T>(&batch.x)?;
    let y = array::<T>(&batch.y)?;
    let target = tensor::Target::Values(y.view());
    let l2 = T::from_f64(L2);
    let mut losses = Vec::with_capacity(steps);
    match optim {
        Optim::Sgd { .. } => {
            let mut opt = tensor::Sgd::new(optim.schedule())?;
            for _ in 0..steps {
                let s = mlp.train_step(x.view(), target, tensor::Loss::Hinge, l2, &mut opt)?;
                losses.push(Scalar::to_f64(s.loss));
            }
        }
        Optim::Adam { .. } => {
            let mut opt = tensor::Adam::new(optim.schedule())?;
            for _ in 0..steps {
                let s = mlp.train_step(x.view(), target, tensor::Loss::Hinge, l2, &mut opt)?;
                losses.push(Scalar::to_f64(s.loss));
            }
        }
    }
    Ok(Trajectory {
        losses,
        final_params: mlp.parameters().into_iter().map(Scalar::to_f64).collect(),
    })
}

/// `steps` steps on libtorch with its own optimisers (`torch::optim`).
pub fn torch_trajectory(
    w: &Weights,
    batch: &Batch,
    optim: Optim,
    steps: usize,
    target: Target,
) -> Result<Trajectory, TorchError> {
    let net = TorchNet::new(w, target)?;
    let x = matrix(&batch.x, target)?;
    let y = matrix(&batch.y, target)?;
    let mut opt = match optim {
        Optim::Sgd { .. } => COptimizer::sgd(optim.lr(0), 0.0, 0.0, 0.0, false)?,
        Optim::Adam { lr } => COptimizer::adam(lr, 0.9, 0.999, 0.0, 1e-8, false)?,
    };
    for t in net.tensors() {
        opt.add_parameters(t, 0)?;
    }
    let mut losses = Vec::with_capacity(steps);
    for k in 0..steps {
        let out = net.forward(&x)?;
        let total = net.loss(&out, &y, Loss::Hinge, L2)?;
        opt.zero_grad()?;
        total.f_backward()?;
        losses.push(total.f_double_value(&[])?);
        opt.set_learning_rate(optim.lr(k))?;
        opt.step()?;
    }
    Ok(Trajectory {
        losses,
        final_params: net.flatten(false)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micrograd_rate_holds_its_end_value() {
        let o = Optim::MICROGRAD_SGD;
        assert_eq!(o.lr(50), 1.0 - 0.9 * 50.0 / 100.0);
        assert!((o.lr(112) - 0.1).abs() < 1e-15, "{}", o.lr(112));
        assert_eq!(o.lr(200), o.lr(100));
        assert_eq!(Optim::ADAM.lr(1000), 0.01);
    }
}
