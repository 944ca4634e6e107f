//! Element-wise nonlinearities, applied in place on a layer's output.

use ndarray::{ArrayView2, ArrayViewMut2, Zip};

use crate::Float;

/// What a layer applies to `x W^T + b`.
///
/// Every derivative here is a function of the activation's *output*, so a
/// layer keeps only its output for backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh(x)`; derivative `1 - y^2`, formed as `(1 - |y|)(1 + |y|)` once
    /// `|y| >= 1/2` (exact difference, no squared rounding).
    ///
    /// Only the output is kept, so in saturation the slope is only as good
    /// as `y`'s distance from ±1: the scalar engine, which has `x`, is exact
    /// to a few ulps there; this one is 0 once `tanh(x)` rounds to ±1.
    Tanh,
    /// `max(0, x)`; derivative `0` where `y <= 0`, else `1`: ATen's
    /// `threshold_backward`, so a NaN passes the gradient on (as NaN).
    Relu,
    /// `1 / (1 + exp(-x))`; derivative `y (1 - y)` (exact where `y <= 1/2`;
    /// above, limited by `y`'s distance from 1, as for tanh).
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
            Activation::Tanh => {
                let a = y.abs();
                if a < T::from_f64(0.5) {
                    T::one() - y * y
                } else {
                    // 1 - a is exact here (Sterbenz); 1 - a * a would add
                    // the rounding of a * a, as large as the result near 1.
                    (T::one() - a) * (T::one() + a)
                }
            }
            // `<=`, not `>`: NaN passes on, as in `backward_inplace` and ATen.
            Activation::Relu => {
                if y <= T::zero() {
                    T::zero()
                } else {
                    T::one()
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
            for &x in &[-1.3f64, -0.2, 0.4, 0.7, 2.1] {
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
    fn relu_passes_nan_on_in_both_code_paths() {
        // ATen: threshold_backward(g, result, 0) is 0 only where result <= 0.
        let r = Activation::Relu;
        assert!(r.apply(f64::NAN).is_nan());
        assert_eq!(r.derivative_from_output(f64::NAN), 1.0);
        assert_eq!(r.derivative_from_output(0.0f64), 0.0);
        let y = ndarray::array![[f64::NAN, 0.0, 2.0]];
        let mut g = ndarray::array![[3.0, 3.0, 3.0]];
        r.backward_inplace(y.view(), g.view_mut());
        assert_eq!(g, ndarray::array![[3.0, 0.0, 3.0]]);
        // The generic path (one element at a time) agrees.
        let per_element: Vec<f64> = y
            .iter()
            .map(|&v| 3.0 * r.derivative_from_output(v))
            .collect();
        assert_eq!(per_element, vec![3.0, 0.0, 3.0]);
    }

    #[test]
    fn tanh_slope_from_the_output_is_exact_given_the_output() {
        // For y = tanh(x) rounded, (1 - y)(1 + y) is 1 - y^2 of that y to
        // within 1.5 ulps; mpmath (50 digits) for y = 0.999329299739067
        // (the f64 tanh(4)): `1 - mpf(y)**2` = 0.0013409506830259165.
        let y = 4.0f64.tanh();
        assert_eq!(y, 0.999329299739067);
        let want = 0.0013409506830259165;
        let got = Activation::Tanh.derivative_from_output(y);
        assert!(
            (got - want).abs() <= 1.5 * f64::EPSILON * want,
            "{got:e} vs {want:e}"
        );
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
