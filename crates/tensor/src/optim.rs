//! Optimisers with PyTorch's update rules, so trajectories can be compared
//! step by step with `torch.optim`.

use ferrograd_scalar::nn::update::{AdamRule, SgdRule};

use crate::{Float, Mlp, TensorError};

/// Something that updates a network's parameters from its gradients.
pub trait Optimizer<T: Float> {
    /// Applies one update to `mlp` from its current gradients.
    fn step(&mut self, mlp: &mut Mlp<T>) -> Result<(), TensorError>;

    /// Number of updates applied so far (the index of the next step).
    fn steps(&self) -> usize;
}

/// Learning-rate schedules are the scalar engine's: one formula for every
/// engine and for the libtorch trajectories.
pub use ferrograd_scalar::nn::LrSchedule;

/// The parameter tensors an optimiser steps, whichever engine holds them:
/// the fused [`Mlp`]'s flat buffers or the autograd engine's
/// [`crate::Tensor`] leaves. Both optimiser front ends run their update
/// through this, so the rule and the state handling exist once.
pub(crate) trait ParamTensors<T> {
    /// Number of values in each parameter tensor, in [`ParamTensors::for_each`] order.
    fn sizes(&self) -> Vec<usize>;

    /// Calls `f(index, values, gradient)` for every parameter tensor that has
    /// a gradient (PyTorch skips the others).
    fn for_each(&mut self, f: impl FnMut(usize, &mut [T], &[T]));
}

impl<T: Float> ParamTensors<T> for &mut Mlp<T> {
    fn sizes(&self) -> Vec<usize> {
        self.parameter_tensor_sizes()
    }

    fn for_each(&mut self, f: impl FnMut(usize, &mut [T], &[T])) {
        self.for_each_parameter(f);
    }
}

/// Makes (or checks) per-tensor state for parameter tensors of `sizes`;
/// `true` when it was made now (the first step).
fn ensure_state<T: Float>(state: &mut Vec<Vec<T>>, sizes: Vec<usize>) -> Result<bool, TensorError> {
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

/// What both optimisers have over their `schedule`, `rule` and step count
/// `t`, written once: the constructor (the schedule checked by the scalar
/// engine, the rule's defaults, the state fields given, which start empty),
/// weight decay and the rate; each adds its `update`.
macro_rules! schedule_and_decay {
    ($(#[$new_doc:meta])* $name:ident($rule:ident) { $($state:ident),+ }) => {
        impl<T: Float> $name<T> {
            $(#[$new_doc])*
            pub fn new(schedule: impl Into<LrSchedule>) -> Result<Self, TensorError> {
                let schedule = schedule.into();
                schedule.validate()?;
                Ok($name {
                    schedule,
                    rule: $rule::new(0.0),
                    $($state: Vec::new(),)+
                    t: 0,
                })
            }

            ferrograd_scalar::hyper_setters! { f64, TensorError;
                /// Adds L2 weight decay (PyTorch's `weight_decay`, added to the
                /// gradient; not AdamW's decoupled decay).
                with_weight_decay(weight_decay: non_negative);
            }

            /// The rate the next step will use.
            pub fn lr(&self) -> f64 {
                self.schedule.lr(self.t)
            }
        }

        impl<T: Float> Optimizer<T> for $name<T> {
            fn step(&mut self, mlp: &mut Mlp<T>) -> Result<(), TensorError> {
                self.update(mlp)
            }

            fn steps(&self) -> usize {
                self.t
            }
        }
    };
}

/// Stochastic gradient descent, `torch.optim.SGD` (dampening 0, no Nesterov):
/// the scalar engine's [`SgdRule`], applied to each parameter tensor.
///
/// ```
/// use ferrograd_tensor::{LrSchedule, Sgd};
/// let sgd = Sgd::<f64>::new(LrSchedule::LinearDecay { start: 1.0, drop: 0.9, steps: 100 }).unwrap();
/// assert_eq!(sgd.schedule().lr(50), 1.0 - 0.9 * 50.0 / 100.0);
/// ```
#[derive(Debug, Clone)]
pub struct Sgd<T: Float> {
    schedule: LrSchedule,
    /// Hyper-parameters; `lr` is set from the schedule at each step.
    rule: SgdRule,
    buf: Vec<Vec<T>>,
    t: usize,
}

schedule_and_decay! {
    /// Plain SGD following `schedule` (a bare `f64` is a constant rate).
    Sgd(SgdRule) { buf }
}

impl<T: Float> Sgd<T> {
    ferrograd_scalar::hyper_setters! { f64, TensorError;
        /// Adds momentum (PyTorch's, in [0, 1)).
        with_momentum(momentum: fraction);
    }

    /// The schedule.
    pub fn schedule(&self) -> &LrSchedule {
        &self.schedule
    }

    /// One update of `params` with [`SgdRule`] at the current rate.
    pub(crate) fn update(&mut self, mut params: impl ParamTensors<T>) -> Result<(), TensorError> {
        let sgd = SgdRule {
            lr: self.schedule.lr(self.t),
            ..self.rule
        };
        let first = sgd.momentum != 0.0 && ensure_state(&mut self.buf, params.sizes())?;
        let step = sgd.at::<T>(first);
        let bufs = &mut self.buf;
        params.for_each(|i, p, g| {
            let buf = bufs.get_mut(i).map_or(&mut [][..], Vec::as_mut_slice);
            step.apply(p, g, buf);
        });
        self.t += 1;
        Ok(())
    }
}

/// Adam, `torch.optim.Adam` (no amsgrad, L2 `weight_decay` added to the
/// gradient): the scalar engine's [`AdamRule`], applied to each parameter
/// tensor, so both engines step with the same operations.
#[derive(Debug, Clone)]
pub struct Adam<T: Float> {
    schedule: LrSchedule,
    /// Hyper-parameters (PyTorch's defaults from [`AdamRule::new`]); `lr` is
    /// set from the schedule at each step.
    rule: AdamRule,
    m: Vec<Vec<T>>,
    v: Vec<Vec<T>>,
    t: usize,
}

schedule_and_decay! {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    Adam(AdamRule) { m, v }
}

impl<T: Float> Adam<T> {
    ferrograd_scalar::hyper_setters! { f64, TensorError;
        /// Changes the betas (each in [0, 1)).
        with_betas(beta1: fraction, beta2: fraction);
        /// Changes eps (finite, > 0).
        with_eps(eps: positive);
    }

    /// One update of `params` with [`AdamRule`] at the current rate and step.
    pub(crate) fn update(&mut self, mut params: impl ParamTensors<T>) -> Result<(), TensorError> {
        ensure_state(&mut self.m, params.sizes())?;
        ensure_state(&mut self.v, params.sizes())?;
        let adam = AdamRule {
            lr: self.schedule.lr(self.t),
            ..self.rule
        };
        self.t += 1;
        let step = adam.at::<T>(self.t as u64);
        let (ms, vs) = (&mut self.m, &mut self.v);
        params.for_each(|i, p, g| step.apply(p, g, &mut ms[i], &mut vs[i]));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn one_param(p: f64, g: f64) -> Mlp<f64> {
        // A 1 -> 1 identity layer whose only interesting parameter is the weight.
        let layer = crate::Linear::from_parts(array![[p]], array![0.0]).unwrap();
        let mut m = Mlp::from_layers(vec![layer], vec![crate::Activation::Identity]).unwrap();
        m.forward(array![[1.0]].view()).unwrap();
        m.backward(array![[g]].view()).unwrap();
        m
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        let mut m = one_param(1.0, 2.0);
        let mut adam = Adam::new(0.1).unwrap();
        adam.step(&mut m).unwrap();
        // m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps).
        let w = m.parameters()[0];
        assert!((w - (1.0 - 0.1 * 2.0 / (2.0 + 1e-8))).abs() < 1e-15, "{w}");
    }

    #[test]
    fn sgd_momentum_matches_pytorch_recurrence() {
        let mut m = one_param(1.0, 1.0);
        let mut sgd = Sgd::new(0.1).unwrap().with_momentum(0.9).unwrap();
        sgd.step(&mut m).unwrap(); // buf = 1, p = 0.9
        sgd.step(&mut m).unwrap(); // same grad (not recomputed): buf = 1.9, p = 0.71
        assert!((m.parameters()[0] - 0.71).abs() < 1e-15);
        assert_eq!(sgd.steps(), 2);
    }

    #[test]
    fn micrograd_schedule() {
        let s = LrSchedule::LinearDecay {
            start: 1.0,
            drop: 0.9,
            steps: 100,
        };
        for k in 0..100 {
            assert_eq!(s.lr(k), 1.0 - 0.9 * k as f64 / 100.0);
        }
        assert!(Sgd::<f32>::new(-1.0).is_err());
        assert!(Adam::<f32>::new(0.1).unwrap().with_betas(1.0, 0.9).is_err());
    }
}
