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

/// The settings both optimisers have, over their `rule`'s `lr` and
/// `weight_decay`, written once.
macro_rules! rate_and_decay {
    ($name:ident) => {
        impl<T: Scalar> $name<T> {
            /// Adds L2 weight decay (finite, >= 0), PyTorch's `weight_decay`,
            /// added to the gradient.
            pub fn with_weight_decay(mut self, wd: T) -> Result<Self, Error> {
                hyper::non_negative("weight_decay", wd.to_f64())?;
                self.rule.weight_decay = wd.to_f64();
                Ok(self)
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

rate_and_decay!(Sgd);
rate_and_decay!(Adam);

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
    /// Plain SGD with learning rate `lr` (finite, >= 0).
    pub fn new(lr: T) -> Result<Self, Error> {
        hyper::learning_rate(lr.to_f64())?;
        Ok(Sgd {
            rule: SgdRule::new(lr.to_f64()),
            buf: Vec::new(),
        })
    }

    /// Adds momentum (in [0, 1)).
    pub fn with_momentum(mut self, momentum: T) -> Result<Self, Error> {
        hyper::fraction("momentum", momentum.to_f64())?;
        self.rule.momentum = momentum.to_f64();
        Ok(self)
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
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    pub fn new(lr: T) -> Result<Self, Error> {
        hyper::learning_rate(lr.to_f64())?;
        Ok(Adam {
            rule: AdamRule::new(lr.to_f64()),
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        })
    }

    /// Changes the betas (each in [0, 1)).
    pub fn with_betas(mut self, beta1: T, beta2: T) -> Result<Self, Error> {
        hyper::fraction("beta1", beta1.to_f64())?;
        hyper::fraction("beta2", beta2.to_f64())?;
        self.rule.beta1 = beta1.to_f64();
        self.rule.beta2 = beta2.to_f64();
        Ok(self)
    }

    /// Changes eps (finite, > 0).
    pub fn with_eps(mut self, eps: T) -> Result<Self, Error> {
        hyper::positive("eps", eps.to_f64())?;
        self.rule.eps = eps.to_f64();
        Ok(self)
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
