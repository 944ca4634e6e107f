//! One neuron: `act(w . x + b)`.

use rand::Rng;

use crate::nn::{check_layer, scalar_parameter_bytes, Activation, Input};
use crate::op::Op;
use crate::{Error, Scalar, Unary, Value};

/// A neuron with `nin` weights and a bias.
#[derive(Debug, Clone)]
pub struct Neuron<T: Scalar> {
    w: Vec<Value<T>>,
    b: Value<T>,
    act: Activation,
}

impl<T: Scalar> Neuron<T> {
    /// The notebook's `Neuron(nin)`: `tanh`, `nin` weights and the bias drawn
    /// uniformly from [-1, 1] as micrograd's lecture does. Same as
    /// [`Neuron::with_activation`] with [`Activation::Tanh`]; errors as there.
    ///
    /// ```
    /// use ferrograd_scalar::nn::Neuron;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let n = Neuron::<f64>::new(3, &mut rng).unwrap();
    /// let out = n.forward(&[2.0, 3.0, -1.0]).unwrap(); // the notebook's n(x): one value
    /// assert!(out.data().abs() < 1.0);
    /// assert!(Neuron::<f64>::new(0, &mut rng).is_err());
    /// ```
    pub fn new(nin: usize, rng: &mut impl Rng) -> Result<Self, Error> {
        Self::with_activation(nin, Activation::Tanh, rng)
    }

    /// A neuron with `nin` weights and a bias drawn uniformly from [-1, 1]
    /// (micrograd's library version starts the bias at 0: pass weights
    /// explicitly with [`Neuron::from_weights`] to reproduce that). A width
    /// of 0 or one too large to allocate ([`crate::nn::check_layer`]) is an
    /// error.
    ///
    /// ```
    /// use ferrograd_scalar::nn::{Activation, Neuron};
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// assert_eq!(Neuron::<f64>::with_activation(3, Activation::Relu, &mut rng).unwrap().nin(), 3);
    /// assert!(Neuron::<f64>::with_activation(usize::MAX, Activation::Tanh, &mut rng).is_err());
    /// ```
    pub fn with_activation(nin: usize, act: Activation, rng: &mut impl Rng) -> Result<Self, Error> {
        check_layer(nin, 1, scalar_parameter_bytes::<T>())?;
        let mut draw = || Value::new(T::from_f64(rng.random_range(-1.0..=1.0)));
        let w = (0..nin).map(|_| draw()).collect();
        let b = draw();
        Ok(Neuron { w, b, act })
    }

    /// A neuron with the given weights and bias.
    pub fn from_weights(weights: &[T], bias: T, act: Activation) -> Self {
        Neuron {
            w: weights.iter().map(|&w| Value::new(w)).collect(),
            b: Value::new(bias),
            act,
        }
    }

    /// The weights, one per input.
    pub fn weights(&self) -> &[Value<T>] {
        &self.w
    }

    /// The bias.
    pub fn bias(&self) -> &Value<T> {
        &self.b
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// Number of inputs.
    pub fn nin(&self) -> usize {
        self.w.len()
    }

    /// `act(b + w0 x0 + w1 x1 + ...)` for one input row (`&[T]` or `&[Value<T>]`).
    ///
    /// ```
    /// use ferrograd_scalar::nn::{Activation, Neuron};
    /// let n = Neuron::from_weights(&[0.5, -1.0], 0.25, Activation::Identity);
    /// assert_eq!(n.forward(&[2.0, 1.0]).unwrap().data(), 0.25);
    /// assert!(n.forward(&[2.0]).is_err());
    /// ```
    pub fn forward(&self, x: &(impl Input<T> + ?Sized)) -> Result<Value<T>, Error> {
        if x.len() != self.w.len() {
            return Err(Error::InputLength {
                expected: self.w.len(),
                got: x.len(),
            });
        }
        Ok(self.forward_values(x.to_values().as_ref()))
    }

    /// `act(b + w0 x0 + w1 x1 + ...)`, summed in micrograd's order. The caller
    /// checks the length.
    ///
    /// The weighted sum is one `dot` node over the weights, the inputs and
    /// the bias, not micrograd's chain of `*` and `+` nodes: the same value
    /// and the same gradients for every weight, input and bias, with 2n
    /// fewer nodes to build, sweep and reclaim per neuron, which is most of a
    /// training step. Build the sum from `*` and `+` yourself to see the
    /// chain in a picture.
    pub(crate) fn forward_values(&self, x: &[Value<T>]) -> Value<T> {
        let id = T::with_tape(|t| {
            t.safe_point();
            let sum = t.push_dot(
                self.b.id_raw(),
                self.w.iter().zip(x).map(|(w, x)| (w.id_raw(), x.id_raw())),
            );
            let out = match self.act {
                Activation::Tanh => t.push(Op::Unary(Unary::Tanh, sum)),
                Activation::Relu => t.push(Op::Unary(Unary::Relu, sum)),
                Activation::Sigmoid => t.push(Op::Unary(Unary::Sigmoid, sum)),
                Activation::Identity => return sum,
            };
            t.release(sum);
            out
        });
        Value::from_id(id)
    }

    /// Weights then bias, micrograd's order.
    pub fn parameters(&self) -> Vec<Value<T>> {
        let mut p = self.w.clone();
        p.push(self.b.clone());
        p
    }
}
