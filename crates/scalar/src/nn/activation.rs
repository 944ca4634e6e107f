//! The nonlinearity a neuron applies to its weighted sum.

use crate::{Scalar, Value};

/// What a neuron applies to `w . x + b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh`, the seed notebook's choice.
    Tanh,
    /// `max(0, x)`, micrograd's hidden layers.
    Relu,
    /// No nonlinearity (micrograd's output layer).
    Linear,
}

impl Activation {
    /// Applies the activation, recording it on the tape.
    pub fn apply<T: Scalar>(self, x: Value<T>) -> Value<T> {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::Linear => x,
        }
    }
}
