//! The optimisers' update rules, once, over plain numbers: the scalar
//! engine's [`Sgd`](crate::nn::Sgd) and [`Adam`](crate::nn::Adam) call them
//! one parameter at a time, the batched engine's optimisers one parameter
//! tensor (a slice) at a time, so both engines step with the same operations
//! in the same order.
//!
//! The operations are libtorch's (`torch::optim::SGD` and `torch::optim::Adam`,
//! which the oracle runs), with the hyper-parameters kept in `f64` as libtorch
//! keeps them (`double` options) and rounded to the parameter type where
//! they meet the tensors. The domains of the hyper-parameters are checked by
//! the optimisers' constructors with [`crate::nn::hyper`], not here.
//!
//! ```
//! use ferrograd_scalar::nn::update::{AdamRule, SgdRule};
//!
//! let mut p = [1.0f64, -2.0];
//! let g = [2.0, 0.5];
//! SgdRule { lr: 0.1, momentum: 0.0, weight_decay: 0.0 }.at::<f64>(true).apply(&mut p, &g, &mut []);
//! assert_eq!(p, [1.0 - 0.1 * 2.0, -2.0 - 0.1 * 0.5]);
//!
//! // Adam's first step moves each parameter by about lr, against its gradient.
//! let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
//! AdamRule::new(0.1).at::<f64>(1).apply(&mut p, &g, &mut m, &mut v);
//! assert!((p[0] - (0.8 - 0.1)).abs() < 1e-8 && (p[1] - (-2.05 - 0.1)).abs() < 1e-8);
//! ```

use crate::Scalar;

/// `torch.optim.SGD` without dampening or Nesterov: `g += wd p` (only when
/// `wd != 0`, so an infinite parameter does not turn its step into NaN);
/// with momentum `buf = g` on the first step, then `buf = momentum buf + g`,
/// and `g = buf`; `p -= lr g`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdRule {
    /// The learning rate of this step.
    pub lr: f64,
    /// PyTorch's momentum (0: none, no buffer).
    pub momentum: f64,
    /// L2 weight decay added to the gradient (PyTorch's `weight_decay`).
    pub weight_decay: f64,
}

impl SgdRule {
    /// Plain SGD at rate `lr`: no momentum, no decay (PyTorch's defaults).
    pub fn new(lr: f64) -> Self {
        SgdRule {
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
        }
    }

    /// The step's constants in `T`; `first` says whether the momentum buffers
    /// are new (PyTorch starts them at the gradient, not at 0).
    pub fn at<T: Scalar>(&self, first: bool) -> SgdStep<T> {
        SgdStep {
            lr: T::from_f64(self.lr),
            momentum: T::from_f64(self.momentum),
            weight_decay: T::from_f64(self.weight_decay),
            use_momentum: self.momentum != 0.0,
            use_decay: self.weight_decay != 0.0,
            first,
        }
    }
}

/// One SGD step's constants, rounded to `T` once ([`SgdRule::at`]).
#[derive(Debug, Clone, Copy)]
pub struct SgdStep<T> {
    lr: T,
    momentum: T,
    weight_decay: T,
    use_momentum: bool,
    use_decay: bool,
    first: bool,
}

impl<T: Scalar> SgdStep<T> {
    /// Whether the rule keeps a momentum buffer per parameter.
    pub fn uses_momentum(&self) -> bool {
        self.use_momentum
    }

    /// The new value of a parameter `p` with gradient `g`; `buf` is its
    /// momentum buffer (left alone without momentum).
    #[inline(always)]
    pub fn update(&self, p: T, g: T, buf: &mut T) -> T {
        let g = if self.use_decay {
            g + self.weight_decay * p
        } else {
            g
        };
        let d = if self.use_momentum {
            *buf = if self.first {
                g
            } else {
                self.momentum * *buf + g
            };
            *buf
        } else {
            g
        };
        p - self.lr * d
    }

    /// [`SgdStep::update`] over a parameter tensor. `buf` is as long as
    /// `params` with momentum and may be empty without.
    ///
    /// # Panics
    ///
    /// If `grads`, or with momentum `buf`, is not as long as `params`: the
    /// optimisers size their state from the parameters, so that is a bug.
    pub fn apply(&self, params: &mut [T], grads: &[T], buf: &mut [T]) {
        assert_eq!(grads.len(), params.len(), "one gradient per parameter");
        if self.use_momentum {
            assert_eq!(buf.len(), params.len(), "one momentum buffer per parameter");
            for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf) {
                *p = self.update(*p, g, b);
            }
        } else if self.use_decay {
            let mut unused = T::zero();
            for (p, &g) in params.iter_mut().zip(grads) {
                *p = self.update(*p, g, &mut unused);
            }
        } else {
            // The common case, kept free of branches so it vectorises.
            for (p, &g) in params.iter_mut().zip(grads) {
                *p = *p - self.lr * g;
            }
        }
    }
}

/// `torch.optim.Adam` without amsgrad, L2 `weight_decay` added to the
/// gradient (not AdamW's decoupled decay).
///
/// With `t` the 1-based step: `g += wd p` (when `wd != 0`);
/// `m = lerp(m, g, 1 - b1)` (ATen's two-branch lerp);
/// `v = v b2 + ((1 - b2) g) g`;
/// `denom = sqrt(v) / sqrt(1 - b2^t) + eps`;
/// `p += (-(lr / (1 - b1^t)) m) / denom`. The bias corrections
/// `1 - b^t` and the step size are computed in `f64`, as libtorch computes
/// them in `double`, and rounded to `T` once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamRule {
    /// The learning rate of this step.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
    /// L2 weight decay added to the gradient.
    pub weight_decay: f64,
}

impl AdamRule {
    /// PyTorch's defaults at rate `lr`: betas (0.9, 0.999), eps 1e-8, no decay.
    pub fn new(lr: f64) -> Self {
        AdamRule {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    /// The constants of step `t` (1 for the first step) in `T`.
    pub fn at<T: Scalar>(&self, t: u64) -> AdamStep<T> {
        // libtorch: std::pow(double, int64_t), which is pow on doubles.
        let step = t as f64;
        let bc1 = 1.0 - self.beta1.powf(step);
        let bc2 = 1.0 - self.beta2.powf(step);
        let w = 1.0 - self.beta1;
        AdamStep {
            neg_step_size: T::from_f64(-(self.lr / bc1)),
            bc2_sqrt: T::from_f64(bc2.sqrt()),
            lerp_weight: T::from_f64(w),
            lerp_rest: T::from_f64(1.0 - w),
            small_weight: w < 0.5,
            beta2: T::from_f64(self.beta2),
            one_minus_beta2: T::from_f64(1.0 - self.beta2),
            eps: T::from_f64(self.eps),
            weight_decay: T::from_f64(self.weight_decay),
            use_decay: self.weight_decay != 0.0,
        }
    }
}

/// One Adam step's constants, rounded to `T` once ([`AdamRule::at`]).
#[derive(Debug, Clone, Copy)]
pub struct AdamStep<T> {
    neg_step_size: T,
    bc2_sqrt: T,
    lerp_weight: T,
    lerp_rest: T,
    small_weight: bool,
    beta2: T,
    one_minus_beta2: T,
    eps: T,
    weight_decay: T,
    use_decay: bool,
}

impl<T: Scalar> AdamStep<T> {
    /// The new value of a parameter `p` with gradient `g`, updating its
    /// moments `m` and `v`.
    #[inline(always)]
    pub fn update(&self, p: T, g: T, m: &mut T, v: &mut T) -> T {
        let g = if self.use_decay {
            g + self.weight_decay * p
        } else {
            g
        };
        // ATen's lerp picks its formula by the weight, for accuracy.
        *m = if self.small_weight {
            *m + self.lerp_weight * (g - *m)
        } else {
            g - (g - *m) * self.lerp_rest
        };
        *v = *v * self.beta2 + self.one_minus_beta2 * g * g;
        let denom = v.sqrt() / self.bc2_sqrt + self.eps;
        p + self.neg_step_size * *m / denom
    }

    /// [`AdamStep::update`] over a parameter tensor and its moments.
    ///
    /// # Panics
    ///
    /// If `grads`, `m` or `v` is not as long as `params` (a bug in the
    /// optimiser that sized them).
    pub fn apply(&self, params: &mut [T], grads: &[T], m: &mut [T], v: &mut [T]) {
        let n = params.len();
        assert!(
            grads.len() == n && m.len() == n && v.len() == n,
            "one gradient and one pair of moments per parameter"
        );
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m).zip(v) {
            *p = self.update(*p, g, m, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_momentum_follows_pytorch() {
        let rule = SgdRule {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
        };
        let (mut p, mut buf) = ([1.0f64], [0.0]);
        rule.at::<f64>(true).apply(&mut p, &[1.0], &mut buf);
        assert_eq!((p[0], buf[0]), (0.9, 1.0));
        rule.at::<f64>(false).apply(&mut p, &[1.0], &mut buf);
        assert_eq!(buf[0], 0.9 * 1.0 + 1.0);
        assert_eq!(p[0], 0.9 - 0.1 * 1.9);
    }

    #[test]
    fn zero_decay_leaves_an_infinite_parameter_infinite() {
        // 0 * inf is NaN: PyTorch adds the decay term only when it is not 0.
        let mut p = [f64::INFINITY];
        let rule = SgdRule {
            lr: 0.1,
            momentum: 0.0,
            weight_decay: 0.0,
        };
        rule.at::<f64>(true).apply(&mut p, &[1.0], &mut []);
        assert_eq!(p[0], f64::INFINITY);
        let (mut m, mut v) = ([0.0], [0.0]);
        AdamRule::new(0.1)
            .at::<f64>(1)
            .apply(&mut p, &[1.0], &mut m, &mut v);
        assert_eq!(p[0], f64::INFINITY);
    }

    #[test]
    fn adam_matches_its_formula_over_steps() {
        // The textbook form in f64 over three steps, to 1e-15: the rule's
        // operation order changes only the last bits.
        let rule = AdamRule {
            weight_decay: 0.01,
            ..AdamRule::new(0.05)
        };
        let (mut p, mut m, mut v) = ([0.5f64], [0.0], [0.0]);
        let (mut q, mut mq, mut vq) = (0.5f64, 0.0, 0.0);
        for (t, g) in [(1u64, 0.3f64), (2, -1.2), (3, 0.7)] {
            rule.at::<f64>(t).apply(&mut p, &[g], &mut m, &mut v);
            let g = g + 0.01 * q;
            mq = 0.9 * mq + 0.1 * g;
            vq = 0.999 * vq + 0.001 * g * g;
            let (mh, vh) = (
                mq / (1.0 - 0.9f64.powi(t as i32)),
                vq / (1.0 - 0.999f64.powi(t as i32)),
            );
            q -= 0.05 * mh / (vh.sqrt() + 1e-8);
            assert!((p[0] - q).abs() < 1e-15, "step {t}: {} vs {q}", p[0]);
        }
    }

    #[test]
    fn f32_uses_the_f64_constants() {
        // beta1 = 0.9 as f64, not 0.9f32 widened: 1 - 0.9 rounds to 0.1f32,
        // where 1 - 0.9f32 is 0.100000024.
        let s = AdamRule::new(0.1).at::<f32>(1);
        assert_eq!(s.lerp_weight, 0.1f32);
        assert_eq!(s.neg_step_size, -1.0f32);
    }
}
