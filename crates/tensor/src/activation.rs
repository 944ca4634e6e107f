//! Element-wise nonlinearities, applied in place on a layer's output.

use ndarray::{ArrayView2, ArrayViewMut2, Zip};

use crate::Float;

/// What a layer applies to `x W^T + b`.
///
/// Every derivative here is a function of the activation's *output*, so a
/// layer keeps only its output for backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh(x)`; derivative `1 - y^2`.
    Tanh,
    /// `max(0, x)`; derivative `1` where `y > 0`, else `0` (micrograd's rule).
    Relu,
    /// `1 / (1 + exp(-x))`; derivative `y (1 - y)`.
    Sigmoid,
    /// No nonlinearity (a linear output layer).
    Identity,
}

impl Activation {
    /// Lower-case name (`"tanh"`, `"relu"`, `"sigmoid"`, `"identity"`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Identity => "identity",
        }
    }

    /// Parses [`Activation::name`] back.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "identity" | "linear" => Activation::Identity,
            _ => return None,
        })
    }

    /// The activation of one number.
    #[inline]
    pub fn apply<T: Float>(self, x: T) -> T {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => {
                // NaN stays NaN (as in the scalar engine) so a bad input is seen, not hidden.
                if x > T::zero() || x.is_nan() {
                    x
                } else {
                    T::zero()
                }
            }
            // The scalar engine's sigmoid is 1 / (1 + exp(-x)); same formula, same bits.
            Activation::Sigmoid => T::one() / (T::one() + (-x).exp()),
            Activation::Identity => x,
        }
    }

    /// The derivative, given the activation's output `y`.
    #[inline]
    pub fn derivative_from_output<T: Float>(self, y: T) -> T {
        match self {
            Activation::Tanh => T::one() - y * y,
            Activation::Relu => {
                if y > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Activation::Sigmoid => (T::one() - y) * y,
            Activation::Identity => T::one(),
        }
    }

    /// Applies the activation to every element, in place.
    pub fn forward_inplace<T: Float>(self, mut x: ArrayViewMut2<'_, T>) {
        if self == Activation::Identity {
            return;
        }
        x.mapv_inplace(|v| self.apply(v));
    }

    /// Turns `grad` (dL/dy) into dL/dx in place, given the output `y`.
    pub fn backward_inplace<T: Float>(self, y: ArrayView2<'_, T>, grad: ArrayViewMut2<'_, T>) {
        match self {
            Activation::Identity => {}
            Activation::Relu => Zip::from(grad).and(y).for_each(|g, &y| {
                if y <= T::zero() {
                    *g = T::zero();
                }
            }),
            _ => Zip::from(grad)
                .and(y)
                .for_each(|g, &y| *g *= self.derivative_from_output(y)),
        }
    }
}

impl From<ferrograd_scalar::nn::Activation> for Activation {
    fn from(a: ferrograd_scalar::nn::Activation) -> Self {
        match a {
            ferrograd_scalar::nn::Activation::Tanh => Activation::Tanh,
            ferrograd_scalar::nn::Activation::Relu => Activation::Relu,
            ferrograd_scalar::nn::Activation::Linear => Activation::Identity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Identity,
        ] {
            for &x in &[-1.3f64, -0.2, 0.4, 2.1] {
                let h = 1e-6;
                let numeric = (act.apply(x + h) - act.apply(x - h)) / (2.0 * h);
                let analytic = act.derivative_from_output(act.apply(x));
                assert!(
                    (numeric - analytic).abs() < 1e-8,
                    "{act:?} at {x}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Identity,
        ] {
            assert_eq!(Activation::from_name(act.name()), Some(act));
        }
        assert_eq!(Activation::from_name("gelu"), None);
    }
}
