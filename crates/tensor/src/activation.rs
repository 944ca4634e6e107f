//! Element-wise nonlinearities and their derivatives.

use ndarray::{ArrayView2, ArrayViewMut2, Zip};

use crate::Float;
use ferrograd_scalar::rules::{sigmoid_slope, tanh_slope};

/// What a layer applies to `x W^T + b`.
///
/// The derivatives of tanh and sigmoid are the scalar engine's rules
/// (`ferrograd_scalar::rules`), evaluated from the pre-activation `x` and the
/// output `y`: exact to a few ulps in saturation too, where a slope formed
/// from `y` alone is 0 once `y` rounds to ±1. A layer keeps its
/// pre-activation only for these ([`Activation::needs_input`]); ReLU and
/// identity layers keep only their output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh(x)`; derivative `1 - tanh(x)^2`
    /// ([`ferrograd_scalar::rules::tanh_slope`]).
    Tanh,
    /// `max(0, x)`; derivative `0` where `y <= 0`, else `1`: ATen's
    /// `threshold_backward`, so a NaN passes the gradient on (as NaN).
    Relu,
    /// `1 / (1 + exp(-x))`; derivative `sigmoid(x) sigmoid(-x)`
    /// ([`ferrograd_scalar::rules::sigmoid_slope`]).
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

    /// Whether the derivative needs the pre-activation `x` besides the output
    /// (tanh and sigmoid); a layer keeps `x` for backward only then.
    #[inline]
    pub fn needs_input(self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid)
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

    /// The derivative at the pre-activation `x`, given `y = self.apply(x)`.
    ///
    /// ReLU and identity read only `y` (the layer does not keep their `x`).
    #[inline]
    pub fn derivative<T: Float>(self, x: T, y: T) -> T {
        match self {
            Activation::Tanh => tanh_slope(x, y),
            Activation::Sigmoid => sigmoid_slope(x, y),
            Activation::Relu => relu_slope(y),
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

    /// `y = apply(x)` element by element, keeping `x`.
    pub(crate) fn forward_into<T: Float>(self, x: ArrayView2<'_, T>, y: ArrayViewMut2<'_, T>) {
        Zip::from(y).and(x).for_each(|y, &x| *y = self.apply(x));
    }

    /// Turns `grad` (dL/dy) into dL/dx in place, given the output `y` and,
    /// where [`Activation::needs_input`], the pre-activation `x`.
    pub(crate) fn backward_inplace<T: Float>(
        self,
        x: Option<ArrayView2<'_, T>>,
        y: ArrayView2<'_, T>,
        grad: ArrayViewMut2<'_, T>,
    ) {
        match (self, x) {
            (Activation::Identity, _) => {}
            (Activation::Relu, _) => Zip::from(grad).and(y).for_each(|g, &y| {
                if relu_slope(y) == T::zero() {
                    *g = T::zero();
                }
            }),
            (Activation::Tanh, Some(x)) => Zip::from(grad)
                .and(x)
                .and(y)
                .for_each(|g, &x, &y| *g *= tanh_slope(x, y)),
            (Activation::Sigmoid, Some(x)) => Zip::from(grad)
                .and(x)
                .and(y)
                .for_each(|g, &x, &y| *g *= sigmoid_slope(x, y)),
            (_, None) => unreachable!(
                "a {} layer keeps its pre-activation (Mlp::forward)",
                self.name()
            ),
        }
    }
}

/// relu'(x) from `y = relu(x)`: `0` where `y <= 0`, else `1`. `<=`, not
/// `>`: a NaN passes the gradient on, as ATen's `threshold_backward` does.
#[inline]
fn relu_slope<T: Float>(y: T) -> T {
    if y <= T::zero() {
        T::zero()
    } else {
        T::one()
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
    use ndarray::array;

    /// Relative error in units of `eps`.
    fn ulps(got: f64, want: f64, eps: f64) -> f64 {
        (got - want).abs() / want.abs() / eps
    }

    // References: mpmath 1.3.0, mp.dps = 50, rounded to the nearest f64:
    //   tanh'(x)    = sech(mpf(x))**2
    //   sigmoid'(x) = e / (1 + e)**2 with e = exp(-abs(mpf(x)))
    // (PYTHONPATH=~/.cache/ferrograd/mpmath/1.3.0 python3).
    const TANH: [(f64, f64); 6] = [
        (0.25, 0.940014848806378),
        (0.75, 0.5965858082813315),
        (5.0, 0.0001815832309438067),
        (10.0, 8.244614455767397e-09),
        (20.0, 1.6993417021166355e-17),
        (-25.0, 7.714999391855671e-22),
    ];
    const SIGMOID: [(f64, f64); 6] = [
        (-40.0, 4.248354255291589e-18),
        (-3.0, 0.04517665973091213),
        (0.5, 0.2350037122015945),
        (17.0, 4.1399373760035016e-08),
        (20.0, 2.061153613941849e-09),
        (37.0, 8.533047625744065e-17),
    ];

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
                let analytic = act.derivative(x, act.apply(x));
                assert!(
                    (numeric - analytic).abs() < 1e-8,
                    "{act:?} at {x}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn tanh_and_sigmoid_slopes_are_exact_in_saturation() {
        // From the output alone, tanh' was 0 from |x| = 19.1 (f64) and 9 (f32),
        // sigmoid' from x = 37 (f64) and 17 (f32).
        for (act, cases) in [(Activation::Tanh, TANH), (Activation::Sigmoid, SIGMOID)] {
            for (x, want) in cases {
                let got = act.derivative(x, act.apply(x));
                let e = ulps(got, want, f64::EPSILON);
                assert!(
                    e <= 4.0,
                    "f64 {act:?}'({x}) = {got:e}, want {want:e} ({e} ulps)"
                );
                let x = x as f32;
                let got = f64::from(act.derivative(x, act.apply(x)));
                let e = ulps(got, want, f64::from(f32::EPSILON));
                assert!(
                    e <= 4.0,
                    "f32 {act:?}'({x}) = {got:e}, want {want:e} ({e} ulps)"
                );
            }
        }
    }

    #[test]
    fn backward_reads_the_pre_activation() {
        for (act, cases) in [(Activation::Tanh, TANH), (Activation::Sigmoid, SIGMOID)] {
            let x = ndarray::Array2::from_shape_fn((1, 6), |(_, j)| cases[j].0);
            let y = x.mapv(|v| act.apply(v));
            let mut g = ndarray::Array2::from_elem((1, 6), 2.0);
            act.backward_inplace(Some(x.view()), y.view(), g.view_mut());
            for (j, (x, want)) in cases.into_iter().enumerate() {
                let e = ulps(g[(0, j)], 2.0 * want, f64::EPSILON);
                assert!(
                    e <= 4.0,
                    "{act:?} at {x}: {:e} vs {:e}",
                    g[(0, j)],
                    2.0 * want
                );
            }
        }
    }

    #[test]
    fn relu_passes_nan_on_in_both_code_paths() {
        // ATen: threshold_backward(g, result, 0) is 0 only where result <= 0.
        let r = Activation::Relu;
        assert!(!r.needs_input() && !Activation::Identity.needs_input());
        assert!(r.apply(f64::NAN).is_nan());
        assert_eq!(r.derivative(f64::NAN, f64::NAN), 1.0);
        assert_eq!(r.derivative(-1.0, 0.0f64), 0.0);
        let y = array![[f64::NAN, 0.0, 2.0]];
        let mut g = array![[3.0, 3.0, 3.0]];
        r.backward_inplace(None, y.view(), g.view_mut());
        assert_eq!(g, array![[3.0, 0.0, 3.0]]);
        // The generic path (one element at a time) agrees.
        let per_element: Vec<f64> = y.iter().map(|&v| 3.0 * r.derivative(v, v)).collect();
        assert_eq!(per_element, vec![3.0, 0.0, 3.0]);
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
