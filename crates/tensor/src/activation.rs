//! The activations over matrices. [`Activation`] itself, its values and
//! its derivatives are the scalar engine's ([`ferrograd_scalar::nn::Activation`],
//! whose rules are [`ferrograd_scalar::Unary`]'s): one formula for both
//! engines, so a batched layer gives the scalar engine's bits.
//!
//! Tanh and sigmoid slopes are formed from the pre-activation `x` and the
//! output `y`, exact to a few ulps in saturation too, where a slope formed
//! from `y` alone is 0 once `y` rounds to ±1. A layer keeps its
//! pre-activation only for these ([`Activation::needs_input`]); ReLU and
//! identity layers keep only their output.

use ndarray::{ArrayView2, ArrayViewMut2, Zip};

use crate::Float;
pub use ferrograd_scalar::nn::Activation;

/// Applies `act` to every element, in place.
pub(crate) fn forward_inplace<T: Float>(act: Activation, mut x: ArrayViewMut2<'_, T>) {
    if act != Activation::Identity {
        x.mapv_inplace(|v| act.value(v));
    }
}

/// `y = act(x)` element by element, keeping `x`.
pub(crate) fn forward_into<T: Float>(
    act: Activation,
    x: ArrayView2<'_, T>,
    y: ArrayViewMut2<'_, T>,
) {
    Zip::from(y).and(x).for_each(|y, &x| *y = act.value(x));
}

/// Turns `grad` (dL/dy) into dL/dx in place, given the output `y` and,
/// where [`Activation::needs_input`], the pre-activation `x`.
pub(crate) fn backward_inplace<T: Float>(
    act: Activation,
    x: Option<ArrayView2<'_, T>>,
    y: ArrayView2<'_, T>,
    grad: ArrayViewMut2<'_, T>,
) {
    match (act.needs_input(), x) {
        _ if act == Activation::Identity => {}
        (true, Some(x)) => Zip::from(grad)
            .and(x)
            .and(y)
            .for_each(|g, &x, &y| *g = act.grad(x, y, *g)),
        // ReLU reads only its output: `y` stands in for the `x` not kept.
        (false, _) => Zip::from(grad)
            .and(y)
            .for_each(|g, &y| *g = act.grad(y, y, *g)),
        (true, None) => unreachable!(
            "a {} layer keeps its pre-activation (Mlp::forward)",
            act.name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn derivatives_match_finite_differences() {
        for act in Activation::ALL {
            for &x in &[-1.3f64, -0.2, 0.4, 0.7, 2.1] {
                let h = 1e-6;
                let numeric = (act.value(x + h) - act.value(x - h)) / (2.0 * h);
                let analytic = act.grad(x, act.value(x), 1.0);
                assert!(
                    (numeric - analytic).abs() < 1e-8,
                    "{act:?} at {x}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn backward_reads_the_pre_activation() {
        // Saturated arguments, where a slope read from the output alone is 0
        // (the rule itself is checked against mpmath in the scalar crate).
        let xs = [0.25, 5.0, 20.0, -25.0, 37.0, -40.0];
        for act in [Activation::Tanh, Activation::Sigmoid] {
            let x = ndarray::Array2::from_shape_fn((1, 6), |(_, j)| xs[j]);
            let y = x.mapv(|v| act.value(v));
            let mut g = ndarray::Array2::from_elem((1, 6), 2.0);
            backward_inplace(act, Some(x.view()), y.view(), g.view_mut());
            for (j, &x) in xs.iter().enumerate() {
                let want = act.grad(x, act.value(x), 2.0);
                assert!(want > 0.0, "{act:?}'({x}) is {want}");
                assert_eq!(g[(0, j)], want, "{act:?} at {x}");
            }
        }
    }

    #[test]
    fn relu_passes_nan_on_in_both_code_paths() {
        // ATen: threshold_backward(g, result, 0) is 0 only where result <= 0.
        let r = Activation::Relu;
        assert!(!r.needs_input() && !Activation::Identity.needs_input());
        assert!(r.value(f64::NAN).is_nan());
        assert_eq!(r.grad(f64::NAN, f64::NAN, 1.0), 1.0);
        assert_eq!(r.grad(-1.0, 0.0f64, 1.0), 0.0);
        let y = array![[f64::NAN, 0.0, 2.0]];
        let mut g = array![[3.0, 3.0, 3.0]];
        backward_inplace(r, None, y.view(), g.view_mut());
        assert_eq!(g, array![[3.0, 0.0, 3.0]]);
        // The generic path (one element at a time) agrees.
        let per_element: Vec<f64> = y.iter().map(|&v| r.grad(v, v, 3.0)).collect();
        assert_eq!(per_element, vec![3.0, 0.0, 3.0]);
    }

    #[test]
    fn matrices_and_single_numbers_agree_at_nan_and_infinities() {
        // One rule: the matrix path gives Activation::grad's bits everywhere,
        // NaN and the infinities included, kept x or not.
        let x = array![[
            f64::NAN,
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -2.0,
            3.0
        ]];
        for act in Activation::ALL {
            let y = x.mapv(|v| act.value(v));
            let mut g = ndarray::Array2::from_elem(x.dim(), 3.0);
            let kept = act.needs_input().then(|| x.view());
            backward_inplace(act, kept, y.view(), g.view_mut());
            for ((&got, &x), &y) in g.iter().zip(&x).zip(&y) {
                let want = act.grad(x, y, 3.0);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{act:?} at {x}: matrix {got}, element {want}"
                );
            }
        }
    }
}
