//! Optimisers over a parameter list, with PyTorch's update rules so that a
//! trajectory here and one in `torch.optim` can be compared step by step.

use crate::nn::hyper;
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

/// Stochastic gradient descent, `torch.optim.SGD` (no dampening, no Nesterov):
/// `g = grad + wd p`; `buf = g` on the first step, then `buf = momentum buf + g`;
/// `p -= lr buf` (with momentum 0, `p -= lr g`).
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
    lr: T,
    momentum: T,
    weight_decay: T,
    buf: Vec<T>,
}

impl<T: Scalar> Sgd<T> {
    /// Plain SGD with learning rate `lr` (finite, >= 0).
    pub fn new(lr: T) -> Result<Self, Error> {
        hyper::learning_rate(lr.to_f64())?;
        Ok(Sgd {
            lr,
            momentum: T::zero(),
            weight_decay: T::zero(),
            buf: Vec::new(),
        })
    }

    /// Adds momentum (in [0, 1)).
    pub fn with_momentum(mut self, momentum: T) -> Result<Self, Error> {
        hyper::fraction("momentum", momentum.to_f64())?;
        self.momentum = momentum;
        Ok(self)
    }

    /// Adds L2 weight decay (finite, >= 0), PyTorch's `weight_decay`.
    pub fn with_weight_decay(mut self, wd: T) -> Result<Self, Error> {
        hyper::non_negative("weight_decay", wd.to_f64())?;
        self.weight_decay = wd;
        Ok(self)
    }

    /// The learning rate.
    pub fn lr(&self) -> T {
        self.lr
    }

    /// Changes the learning rate (a schedule, like micrograd's `1 - 0.9 k / 100`:
    /// see [`crate::nn::LrSchedule`]). Refuses what [`Sgd::new`] refuses,
    /// with the same error, and then keeps the old rate.
    pub fn set_lr(&mut self, lr: T) -> Result<(), Error> {
        hyper::learning_rate(lr.to_f64())?;
        self.lr = lr;
        Ok(())
    }

    /// One update of `params` from their gradients. Pass the same list, in
    /// the same order, every step (the momentum buffers follow positions).
    /// An empty list is an error.
    pub fn step(&mut self, params: &[Value<T>]) -> Result<(), Error> {
        check_params(&self.buf, params)?;
        let first = self.buf.is_empty();
        if first && self.momentum != T::zero() {
            self.buf = vec![T::zero(); params.len()];
        }
        for (i, p) in params.iter().enumerate() {
            let data = p.data();
            let g = p.grad() + self.weight_decay * data;
            let d = if self.momentum == T::zero() {
                g
            } else {
                let b = if first {
                    g
                } else {
                    self.momentum * self.buf[i] + g
                };
                self.buf[i] = b;
                b
            };
            p.set_data(data - self.lr * d);
        }
        Ok(())
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self, params: &[Value<T>]) {
        zero_grads(params);
    }
}

/// Adam, `torch.optim.Adam` (no amsgrad): `m = lerp(m, g, 1 - b1)`,
/// `v = b2 v + (1 - b2) g^2`, `p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
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
    lr: T,
    beta1: T,
    beta2: T,
    eps: T,
    weight_decay: T,
    t: i32,
    m: Vec<T>,
    v: Vec<T>,
}

impl<T: Scalar> Adam<T> {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    pub fn new(lr: T) -> Result<Self, Error> {
        hyper::learning_rate(lr.to_f64())?;
        Ok(Adam {
            lr,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            weight_decay: T::zero(),
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        })
    }

    /// Changes the betas (each in [0, 1)).
    pub fn with_betas(mut self, beta1: T, beta2: T) -> Result<Self, Error> {
        hyper::fraction("beta1", beta1.to_f64())?;
        hyper::fraction("beta2", beta2.to_f64())?;
        self.beta1 = beta1;
        self.beta2 = beta2;
        Ok(self)
    }

    /// Changes eps (finite, > 0).
    pub fn with_eps(mut self, eps: T) -> Result<Self, Error> {
        hyper::positive("eps", eps.to_f64())?;
        self.eps = eps;
        Ok(self)
    }

    /// Adds L2 weight decay (PyTorch's `weight_decay`, added to the gradient).
    pub fn with_weight_decay(mut self, wd: T) -> Result<Self, Error> {
        hyper::non_negative("weight_decay", wd.to_f64())?;
        self.weight_decay = wd;
        Ok(self)
    }

    /// The learning rate.
    pub fn lr(&self) -> T {
        self.lr
    }

    /// Changes the learning rate. Refuses what [`Adam::new`] refuses, with
    /// the same error, and then keeps the old rate.
    pub fn set_lr(&mut self, lr: T) -> Result<(), Error> {
        hyper::learning_rate(lr.to_f64())?;
        self.lr = lr;
        Ok(())
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
        let one = T::one();
        let bc1 = one - self.beta1.powi(self.t);
        let bc2_sqrt = (one - self.beta2.powi(self.t)).sqrt();
        let step_size = self.lr / bc1;
        for (i, p) in params.iter().enumerate() {
            let data = p.data();
            let g = p.grad() + self.weight_decay * data;
            let m = self.m[i] + (one - self.beta1) * (g - self.m[i]);
            let v = self.beta2 * self.v[i] + (one - self.beta2) * g * g;
            self.m[i] = m;
            self.v[i] = v;
            let denom = v.sqrt() / bc2_sqrt + self.eps;
            p.set_data(data - step_size * (m / denom));
        }
        Ok(())
    }

    /// Sets every parameter's gradient to zero.
    pub fn zero_grad(&self, params: &[Value<T>]) {
        zero_grads(params);
    }
}
