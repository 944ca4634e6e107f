//! The batched engine's tanh and sigmoid layers give the exact gradient in
//! saturation, where a slope formed from the layer's output alone is 0
//! (tanh(x) and sigmoid(x) have rounded to ±1).
//!
//! References: mpmath 1.3.0 with mp.dps = 50, rounded to the nearest f64
//! (`PYTHONPATH=~/.cache/ferrograd/mpmath/1.3.0 python3`):
//!   tanh'(x)    = `sech(mpf(x))**2`
//!   sigmoid'(x) = `e / (1 + e)**2` with `e = exp(-abs(mpf(x)))`

use ferrograd_tensor::{Activation, Float, Linear, Mlp};
use ndarray::{Array1, Array2};

/// A one-layer network `1 -> n` whose weights are the `x`s and biases 0, so
/// that on the input `[[1]]` neuron `j`'s pre-activation is exactly `x[j]`.
/// Returns (dL/dw, dL/db) for `L = sum of outputs`: both are act'(x).
fn layer_slopes<T: Float>(act: Activation, xs: &[f64]) -> (Vec<T>, Vec<T>) {
    let n = xs.len();
    let w = Array2::from_shape_fn((n, 1), |(j, _)| T::from_f64(xs[j]));
    let layer = Linear::from_parts(w, Array1::zeros(n)).unwrap();
    let mut mlp = Mlp::from_layers(vec![layer], vec![act]).unwrap();
    let out = mlp
        .forward(Array2::from_elem((1, 1), T::one()).view())
        .unwrap()
        .to_owned();
    for (j, &x) in xs.iter().enumerate() {
        let (got, want) = (out[(0, j)], act.value(T::from_f64(x)));
        assert!(
            got == want || got.is_nan() && want.is_nan(),
            "forward at {x}: {}",
            got.to_f64()
        );
    }
    mlp.backward(Array2::from_elem((1, n), T::one()).view())
        .unwrap();
    let l = &mlp.layers()[0];
    (
        l.grad_weight().iter().copied().collect(),
        l.grad_bias().to_vec(),
    )
}

/// Every gradient within `max_ulps` (relative, in units of `T`'s epsilon) of
/// the reference.
fn assert_exact<T: Float>(act: Activation, cases: &[(f64, f64)], max_ulps: f64) {
    let xs: Vec<f64> = cases.iter().map(|c| c.0).collect();
    let (gw, gb) = layer_slopes::<T>(act, &xs);
    for (j, &(x, want)) in cases.iter().enumerate() {
        for (what, got) in [("weight", gw[j]), ("bias", gb[j])] {
            let got = got.to_f64();
            let ulps = (got - want).abs() / want / T::epsilon().to_f64();
            assert!(
                ulps <= max_ulps,
                "{} {act:?} layer at x = {x}: d/d{what} = {got:e}, want {want:e} ({ulps:.1} ulps)",
                T::NAME
            );
        }
    }
}

/// tanh'(x): a slope formed from the output is 0 from |x| = 9 in f32 and
/// from |x| = 19.1 in f64; every point is judged in both precisions.
const TANH: [(f64, f64); 7] = [
    (0.25, 0.940014848806378),
    (5.0, 0.0001815832309438067),
    (10.0, 8.244614455767397e-09),
    (-12.0, 1.510053817597626e-10),
    (20.0, 1.6993417021166355e-17),
    (-25.0, 7.714999391855671e-22),
    (30.0, 3.502604305078608e-26),
];

/// sigmoid'(x): `(1 - y) y` from the output is 0 from x = 17 in f32 and from
/// x = 37 in f64; every point is judged in both precisions.
const SIGMOID: [(f64, f64); 7] = [
    (-40.0, 4.248354255291589e-18),
    (0.5, 0.2350037122015945),
    (17.0, 4.1399373760035016e-08),
    (20.0, 2.061153613941849e-09),
    (30.0, 9.357622968838423e-14),
    (37.0, 8.533047625744065e-17),
    (45.0, 2.8625185805493937e-20),
];

#[test]
fn tanh_and_sigmoid_layers_are_exact_in_saturation() {
    for (act, table) in [(Activation::Tanh, &TANH), (Activation::Sigmoid, &SIGMOID)] {
        assert_exact::<f64>(act, table, 4.0);
        assert_exact::<f32>(act, table, 4.0);
    }
}

#[test]
fn relu_and_identity_layers_are_unchanged() {
    // relu' is 0 where the output is <= 0 and 1 elsewhere; NaN passes the
    // gradient on (ATen's threshold_backward).
    let (gw, gb) = layer_slopes::<f64>(Activation::Relu, &[-3.0, 0.0, 2.5, f64::NAN]);
    assert_eq!(gb, vec![0.0, 0.0, 1.0, 1.0], "NaN passes the gradient on");
    assert_eq!(gw, gb);
    let (gw, gb) = layer_slopes::<f64>(Activation::Identity, &[-30.0, 40.0]);
    assert_eq!((gw, gb), (vec![1.0, 1.0], vec![1.0, 1.0]));
}
