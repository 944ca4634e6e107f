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

/// Sets every parameter's gradient to none (`optimizer.zero_grad()`).
fn zero_all<T: Float>(params: &[Tensor<T>]) {
    params.iter().for_each(Tensor::zero_grad);
}

/// Stochastic gradient descent, `torch.optim.SGD` (dampening 0, no
/// Nesterov): the fused [`crate::Sgd`] over tensors. Parameters without a
/// gradient are skipped, as in PyTorch.
#[derive(Debug, Clone)]
pub struct Sgd<T: Float>(crate::Sgd<T>);

impl<T: Float> Sgd<T> {
    /// Plain SGD following `schedule` (a bare `f64` is a constant rate).
    pub fn new(schedule: impl Into<crate::LrSchedule>) -> Result<Self, TensorError> {
        crate::Sgd::new(schedule).map(Sgd)
    }

    /// Adds momentum (PyTorch's, in [0, 1)).
    pub fn with_momentum(self, momentum: f64) -> Result<Self, TensorError> {
        self.0.with_momentum(momentum).map(Sgd)
    }

    /// Adds L2 weight decay (added to the gradient).
    pub fn with_weight_decay(self, wd: f64) -> Result<Self, TensorError> {
        self.0.with_weight_decay(wd).map(Sgd)
    }

    /// Number of updates applied so far.
    pub fn steps(&self) -> usize {
        self.0.steps()
    }

    /// Forgets the gradients of `params`.
    pub fn zero_grad(&self, params: &[Tensor<T>]) {
        zero_all(params);
    }

    /// One update of `params` from their gradients, with
    /// [`ferrograd_scalar::nn::update::SgdRule`].
    pub fn step(&mut self, params: &[Tensor<T>]) -> Result<(), TensorError> {
        self.0.update(Leaves(params))
    }
}

/// Adam, `torch.optim.Adam` (no amsgrad, L2 weight decay added to the
/// gradient): the fused [`crate::Adam`] over tensors.
#[derive(Debug, Clone)]
pub struct Adam<T: Float>(crate::Adam<T>);

impl<T: Float> Adam<T> {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    pub fn new(schedule: impl Into<crate::LrSchedule>) -> Result<Self, TensorError> {
        crate::Adam::new(schedule).map(Adam)
    }

    /// Changes the betas (each in [0, 1)).
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Result<Self, TensorError> {
        self.0.with_betas(beta1, beta2).map(Adam)
    }

    /// Changes eps (finite, > 0).
    pub fn with_eps(self, eps: f64) -> Result<Self, TensorError> {
        self.0.with_eps(eps).map(Adam)
    }

    /// Adds L2 weight decay (added to the gradient, not AdamW's).
    pub fn with_weight_decay(self, wd: f64) -> Result<Self, TensorError> {
        self.0.with_weight_decay(wd).map(Adam)
    }

    /// Number of updates applied so far.
    pub fn steps(&self) -> usize {
        self.0.steps()
    }

    /// Forgets the gradients of `params`.
    pub fn zero_grad(&self, params: &[Tensor<T>]) {
        zero_all(params);
    }

    /// One update of `params` from their gradients, with
    /// [`ferrograd_scalar::nn::update::AdamRule`].
    pub fn step(&mut self, params: &[Tensor<T>]) -> Result<(), TensorError> {
        self.0.update(Leaves(params))
    }
}
