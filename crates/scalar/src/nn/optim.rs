//! Optimisers over a parameter list, with PyTorch's update rules so that a
//! trajectory here and one in `torch.optim` can be compared step by step.

use crate::nn::hyper;
use crate::nn::update::{AdamRule, SgdRule};
use crate::{Error, Scalar, Value};

/// A parameter list an optimiser can step: not empty (`torch.optim` refuses
/// an empty list; stepping one would advance Adam's bias correction without
/// updating anything), and as long as the one its state was built for.
fn check_params(state: &[impl Sized], params: &[impl Sized]) -> Result<(), Error> {
    if params.is_empty() {
        return Err(Error::NoParameters);
    }
    if !state.is_empty() && state.len() != params.len() {
        return Err(Error::ParameterCount {
            expected: state.len(),
            got: params.len(),
        });
    }
    Ok(())
}

/// Sets the gradient of every parameter to zero.
pub(crate) fn zero_grads<T: Scalar>(params: &[Value<T>]) {
    for p in params {
        p.set_grad(T::zero());
    }
}

/// What both optimisers have over their `rule`'s `lr` and `weight_decay`,
/// written once: the constructor (the rate checked, the rule's defaults,
/// the state fields given, which start empty) and the rate and decay
/// settings.
macro_rules! rate_and_decay {
    ($(#[$new_doc:meta])* $name:ident($rule:ident) { $($state:ident: $init:expr),+ $(,)? }) => {
        impl<T: Scalar> $name<T> {
            $(#[$new_doc])*
            pub fn new(lr: T) -> Result<Self, Error> {
                hyper::learning_rate(lr.to_f64())?;
                Ok($name {
                    rule: $rule::new(lr.to_f64()),
                    $($state: $init),+
                })
            }

            crate::hyper_setters! { T, Error;
                /// Adds L2 weight decay (finite, >= 0), PyTorch's `weight_decay`,
                /// added to the gradient.
                with_weight_decay(weight_decay: non_negative);
            }

            /// The learning rate.
            pub fn lr(&self) -> T {
                T::from_f64(self.rule.lr)
            }

            #[doc = concat!(
                "Changes the learning rate (a schedule, like micrograd's `1 - 0.9 k / 100`: ",
                "see [`crate::nn::LrSchedule`]). Refuses what [`", stringify!($name),
                "::new`] refuses, with the same error, and then keeps the old rate."
            )]
            pub fn set_lr(&mut self, lr: T) -> Result<(), Error> {
                hyper::learning_rate(lr.to_f64())?;
                self.rule.lr = lr.to_f64();
                Ok(())
            }
        }
    };
}

rate_and_decay! {
    /// Plain SGD with learning rate `lr` (finite, >= 0).
    Sgd(SgdRule) { buf: Vec::new() }
}
rate_and_decay! {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    Adam(AdamRule) { t: 0, m: Vec::new(), v: Vec::new() }
}

/// Stochastic gradient descent, `torch.optim.SGD` (no dampening, no Nesterov):
/// `g = grad + wd p`; `buf = g` on the first step, then `buf = momentum buf + g`;
/// `p -= lr buf` (with momentum 0, `p -= lr g`). The update is
/// [`SgdRule`], the one the batched engine runs too.
///
/// ```
/// use ferrograd_scalar::{nn::Sgd, Value};
/// let p = Value::new(1.0f64);
/// (&p * &p).backward(); // grad 2
/// let mut sgd = Sgd::new(0.1).unwrap();
/// sgd.step(&[p.clone()]).unwrap();
/// assert!((p.data() - 0.8).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
pub struct Sgd<T: Scalar> {
    rule: SgdRule,
    buf: Vec<T>,
}

impl<T: Scalar> Sgd<T> {
    crate::hyper_setters! { T, Error;
        /// Adds momentum (in [0, 1)).
        with_momentum(momentum: fraction);
    }

    /// One update of `params` from their gradients. Pass the same list, in
    /// the same order, every step (the momentum buffers follow positions).
    /// An empty list is an error.
    pub fn step(&mut self, params: &[Value<T>]) -> Result<(), Error> {
        check_params(&self.buf, params)?;
        let first = self.buf.is_empty();
        let step = self.rule.at::<T>(first);
        if first && step.uses_momentum() {
            self.buf = vec![T::zero(); params.len()];
        }
        let mut unused = T::zero();
        for (i, p) in params.iter().enumerate() {
            let buf = self.buf.get_mut(i).unwrap_or(&mut unused);
            p.set_data(step.update(p.data(), p.grad(), buf));
        }
        Ok(())
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self, params: &[Value<T>]) {
        zero_grads(params);
    }
}

/// Adam, `torch.optim.Adam` (no amsgrad): [`AdamRule`], the update the
/// batched engine runs too, with its hyper-parameters and bias corrections
/// in `f64` as libtorch has them.
///
/// ```
/// use ferrograd_scalar::{nn::Adam, Value};
/// let p = Value::new(1.0f64);
/// (&p * &p).backward();
/// let mut adam = Adam::new(0.1).unwrap();
/// adam.step(&[p.clone()]).unwrap();
/// assert!((p.data() - 0.9).abs() < 1e-6); // the first step moves by about lr
/// ```
#[derive(Debug, Clone)]
pub struct Adam<T: Scalar> {
    rule: AdamRule,
    t: u64,
    m: Vec<T>,
    v: Vec<T>,
}

impl<T: Scalar> Adam<T> {
    crate::hyper_setters! { T, Error;
        /// Changes the betas (each in [0, 1)).
        with_betas(beta1: fraction, beta2: fraction);
        /// Changes eps (finite, > 0).
        with_eps(eps: positive);
    }

    /// One update of `params`; pass the same list every step. An empty list
    /// is an error and is not counted as a step.
    pub fn step(&mut self, params: &[Value<T>]) -> Result<(), Error> {
        check_params(&self.m, params)?;
        if self.m.is_empty() {
            self.m = vec![T::zero(); params.len()];
            self.v = vec![T::zero(); params.len()];
        }
        self.t += 1;
        let step = self.rule.at::<T>(self.t);
        for ((p, m), v) in params.iter().zip(&mut self.m).zip(&mut self.v) {
            p.set_data(step.update(p.data(), p.grad(), m, v));
        }
        Ok(())
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self, params: &[Value<T>]) {
        zero_grads(params);
    }
}
