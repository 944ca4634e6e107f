//! Optimisers over [`Tensor`] parameters: adapters that run the fused
//! engine's update rules (PyTorch's `torch.optim.SGD` and `Adam`) on each
//! parameter's values and gradient.

use ferrograd_scalar::nn::{hyper, LrSchedule};

use crate::error::rule;
use crate::tensor::Tensor;
use crate::{Float, TensorError};

/// Per-parameter state (one `Vec` per parameter), made on the first step
/// and checked against the parameters' sizes after that.
fn ensure_state<T: Float>(
    state: &mut Vec<Vec<T>>,
    params: &[Tensor<T>],
) -> Result<bool, TensorError> {
    let sizes: Vec<usize> = params.iter().map(Tensor::len).collect();
    if state.is_empty() {
        *state = sizes.iter().map(|&n| vec![T::zero(); n]).collect();
        return Ok(true);
    }
    let have: Vec<usize> = state.iter().map(Vec::len).collect();
    if have != sizes {
        return Err(TensorError::OptimizerMismatch {
            expected: format!("{have:?}"),
            got: format!("{sizes:?}"),
        });
    }
    Ok(false)
}

/// Sets every parameter's gradient to none (`optimizer.zero_grad()`).
fn zero_all<T: Float>(params: &[Tensor<T>]) {
    params.iter().for_each(Tensor::zero_grad);
}

/// Stochastic gradient descent, `torch.optim.SGD` (dampening 0, no
/// Nesterov), with the fused [`crate::Sgd`]'s rule. Parameters without a
/// gradient are skipped, as in PyTorch.
#[derive(Debug, Clone)]
pub struct Sgd<T: Float> {
    schedule: LrSchedule,
    momentum: f64,
    weight_decay: f64,
    buf: Vec<Vec<T>>,
    t: usize,
}

impl<T: Float> Sgd<T> {
    /// Plain SGD following `schedule` (a bare `f64` is a constant rate).
    pub fn new(schedule: impl Into<LrSchedule>) -> Result<Self, TensorError> {
        let schedule = schedule.into();
        schedule.validate().map_err(rule)?;
        Ok(Sgd {
            schedule,
            momentum: 0.0,
            weight_decay: 0.0,
            buf: Vec::new(),
            t: 0,
        })
    }

    /// Adds momentum (PyTorch's, in [0, 1)).
    pub fn with_momentum(mut self, momentum: f64) -> Result<Self, TensorError> {
        hyper::fraction("momentum", momentum).map_err(rule)?;
        self.momentum = momentum;
        Ok(self)
    }

    /// Adds L2 weight decay (added to the gradient).
    pub fn with_weight_decay(mut self, wd: f64) -> Result<Self, TensorError> {
        hyper::non_negative("weight_decay", wd).map_err(rule)?;
        self.weight_decay = wd;
        Ok(self)
    }

    /// Number of updates applied so far.
    pub fn steps(&self) -> usize {
        self.t
    }

    /// Forgets the gradients of `params`.
    pub fn zero_grad(&self, params: &[Tensor<T>]) {
        zero_all(params);
    }

    /// One update of `params` from their gradients: `g += wd p`; with
    /// momentum `buf = g` on the first step, then `buf = momentum buf + g`,
    /// `g = buf`; `p -= lr g`.
    pub fn step(&mut self, params: &[Tensor<T>]) -> Result<(), TensorError> {
        let use_mom = self.momentum != 0.0;
        let first = use_mom && ensure_state(&mut self.buf, params)?;
        let lr = T::from_f64(self.schedule.lr(self.t));
        let mu = T::from_f64(self.momentum);
        let wd = T::from_f64(self.weight_decay);
        let use_wd = self.weight_decay != 0.0;
        for (i, p) in params.iter().enumerate() {
            p.with_data_and_grad(|data, grad| {
                let Some(grad) = grad else { return };
                let mut buf = self.buf.get_mut(i).map(|b| b.iter_mut());
                for (p, &g) in data.iter_mut().zip(grad.iter()) {
                    let g = if use_wd { g + wd * *p } else { g };
                    let d = match buf.as_mut().and_then(Iterator::next) {
                        Some(b) if use_mom => {
                            *b = if first { g } else { mu * *b + g };
                            *b
                        }
                        _ => g,
                    };
                    *p -= lr * d;
                }
            });
        }
        self.t += 1;
        Ok(())
    }
}

/// Adam, `torch.optim.Adam` (no amsgrad, L2 weight decay added to the
/// gradient), with the fused [`crate::Adam`]'s exact operations.
#[derive(Debug, Clone)]
pub struct Adam<T: Float> {
    schedule: LrSchedule,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    m: Vec<Vec<T>>,
    v: Vec<Vec<T>>,
    t: usize,
}

impl<T: Float> Adam<T> {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    pub fn new(schedule: impl Into<LrSchedule>) -> Result<Self, TensorError> {
        let schedule = schedule.into();
        schedule.validate().map_err(rule)?;
        Ok(Adam {
            schedule,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        })
    }

    /// Changes the betas (each in [0, 1)).
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Result<Self, TensorError> {
        hyper::fraction("beta1", beta1).map_err(rule)?;
        hyper::fraction("beta2", beta2).map_err(rule)?;
        self.beta1 = beta1;
        self.beta2 = beta2;
        Ok(self)
    }

    /// Changes eps (finite, > 0).
    pub fn with_eps(mut self, eps: f64) -> Result<Self, TensorError> {
        hyper::positive("eps", eps).map_err(rule)?;
        self.eps = eps;
        Ok(self)
    }

    /// Adds L2 weight decay (added to the gradient, not AdamW's).
    pub fn with_weight_decay(mut self, wd: f64) -> Result<Self, TensorError> {
        hyper::non_negative("weight_decay", wd).map_err(rule)?;
        self.weight_decay = wd;
        Ok(self)
    }

    /// Number of updates applied so far.
    pub fn steps(&self) -> usize {
        self.t
    }

    /// Forgets the gradients of `params`.
    pub fn zero_grad(&self, params: &[Tensor<T>]) {
        zero_all(params);
    }

    /// One update of `params` from their gradients: `m = lerp(m, g, 1 - b1)`,
    /// `v = v b2 + ((1 - b2) g) g`, `denom = sqrt(v) / sqrt(1 - b2^t) + eps`,
    /// `p += (-(lr / (1 - b1^t)) m) / denom`.
    pub fn step(&mut self, params: &[Tensor<T>]) -> Result<(), TensorError> {
        ensure_state(&mut self.m, params)?;
        ensure_state(&mut self.v, params)?;
        let lr = self.schedule.lr(self.t);
        self.t += 1;
        let step = self.t as f64;
        let bc1 = 1.0 - self.beta1.powf(step);
        let bc2 = 1.0 - self.beta2.powf(step);
        let neg_step_size = T::from_f64(-(lr / bc1));
        let bc2_sqrt = T::from_f64(bc2.sqrt());
        let w1 = 1.0 - self.beta1;
        let lerp_w = T::from_f64(w1);
        let lerp_w_rest = T::from_f64(1.0 - w1);
        let small_w = w1 < 0.5;
        let b2 = T::from_f64(self.beta2);
        let one_minus_b2 = T::from_f64(1.0 - self.beta2);
        let eps = T::from_f64(self.eps);
        let wd = T::from_f64(self.weight_decay);
        let use_wd = self.weight_decay != 0.0;
        for ((p, ms), vs) in params.iter().zip(&mut self.m).zip(&mut self.v) {
            p.with_data_and_grad(|data, grad| {
                let Some(grad) = grad else { return };
                for (((p, &g), m), v) in data
                    .iter_mut()
                    .zip(grad.iter())
                    .zip(ms.iter_mut())
                    .zip(vs.iter_mut())
                {
                    let g = if use_wd { g + wd * *p } else { g };
                    // ATen's lerp picks its formula by the weight, for accuracy.
                    *m = if small_w {
                        *m + lerp_w * (g - *m)
                    } else {
                        g - (g - *m) * lerp_w_rest
                    };
                    *v = *v * b2 + one_minus_b2 * g * g;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    *p += neg_step_size * *m / denom;
                }
            });
        }
        Ok(())
    }
}
