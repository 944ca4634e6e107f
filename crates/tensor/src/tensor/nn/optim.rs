//! Optimisers over [`Tensor`] parameters: the fused engine's [`crate::Sgd`]
//! and [`crate::Adam`] (PyTorch's `torch.optim.SGD` and `Adam`), stepping
//! each parameter's values from its gradient. Only the walk over the
//! parameters is written here; the hyper-parameters, their checks, the
//! state and the update rule are the fused optimisers'.

use crate::optim::ParamTensors;
use crate::tensor::Tensor;
use crate::{Float, Optimizer, TensorError};

/// A list of leaf tensors as the fused optimisers' parameter walk.
struct Leaves<'a, T: Float>(&'a [Tensor<T>]);

impl<T: Float> ParamTensors<T> for Leaves<'_, T> {
    fn sizes(&self) -> Vec<usize> {
        self.0.iter().map(Tensor::len).collect()
    }

    fn for_each(&mut self, mut f: impl FnMut(usize, &mut [T], &[T])) {
        for (i, p) in self.0.iter().enumerate() {
            p.with_data_and_grad(|data, grad| {
                let Some(grad) = grad else { return };
                // The rules walk flat slices: both sides in row-major order.
                if !data.is_standard_layout() {
                    *data = data.as_standard_layout().into_owned();
                }
                let grad = grad.as_standard_layout();
                let (data, grad) = (data.as_slice_mut(), grad.as_slice());
                f(
                    i,
                    data.expect("standard layout"),
                    grad.expect("standard layout"),
                );
            });
        }
    }
}

/// A fused optimiser over tensors: the struct and what both optimisers
/// have, written once; each adds its own hyper-parameters.
macro_rules! over_tensors {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T: Float>(crate::$name<T>);

        impl<T: Float> $name<T> {
            /// PyTorch's defaults, following `schedule` (a bare `f64` is a
            /// constant rate).
            pub fn new(schedule: impl Into<crate::LrSchedule>) -> Result<Self, TensorError> {
                crate::$name::new(schedule).map($name)
            }

            /// Adds L2 weight decay (added to the gradient, not AdamW's).
            pub fn with_weight_decay(self, wd: f64) -> Result<Self, TensorError> {
                self.0.with_weight_decay(wd).map($name)
            }

            /// Number of updates applied so far.
            pub fn steps(&self) -> usize {
                self.0.steps()
            }

            /// Forgets the gradients of `params` (`optimizer.zero_grad()`).
            pub fn zero_grad(&self, params: &[Tensor<T>]) {
                params.iter().for_each(Tensor::zero_grad);
            }

            /// One update of `params` from their gradients; parameters
            /// without a gradient are skipped, as in PyTorch.
            pub fn step(&mut self, params: &[Tensor<T>]) -> Result<(), TensorError> {
                self.0.update(Leaves(params))
            }
        }
    };
}

over_tensors!(
    /// Stochastic gradient descent, `torch.optim.SGD` (dampening 0, no
    /// Nesterov): the fused [`crate::Sgd`] over tensors, stepping with
    /// [`ferrograd_scalar::nn::update::SgdRule`].
    Sgd
);

impl<T: Float> Sgd<T> {
    /// Adds momentum (PyTorch's, in [0, 1)).
    pub fn with_momentum(self, momentum: f64) -> Result<Self, TensorError> {
        self.0.with_momentum(momentum).map(Sgd)
    }
}

over_tensors!(
    /// Adam, `torch.optim.Adam` (no amsgrad, L2 weight decay added to the
    /// gradient): the fused [`crate::Adam`] over tensors, stepping with
    /// [`ferrograd_scalar::nn::update::AdamRule`].
    Adam
);

impl<T: Float> Adam<T> {
    /// Changes the betas (each in [0, 1)).
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Result<Self, TensorError> {
        self.0.with_betas(beta1, beta2).map(Adam)
    }

    /// Changes eps (finite, > 0).
    pub fn with_eps(self, eps: f64) -> Result<Self, TensorError> {
        self.0.with_eps(eps).map(Adam)
    }
}
