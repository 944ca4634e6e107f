//! Layer-level backward against central finite differences (f64).

use ferrograd_tensor::{Activation, Init, Linear, Mlp};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(rng: &mut ChaCha8Rng, shape: (usize, usize)) -> Array2<f64> {
    Array2::from_shape_simple_fn(shape, || rng.random_range(-1.0..1.0))
}

/// `sum(y * r)`: a scalar whose gradient with respect to `y` is `r`.
fn probe(y: ArrayView2<'_, f64>, r: &Array2<f64>) -> f64 {
    (&y * r).sum()
}

/// A copy of `a` with `delta` added at `at`.
fn nudged<I, A: Clone + std::ops::IndexMut<I, Output = f64>>(a: &A, at: I, delta: f64) -> A {
    let mut a = a.clone();
    a[at] += delta;
    a
}

/// The central difference `(f(h) - f(-h)) / 2h` of `f` at 0.
fn slope(mut f: impl FnMut(f64) -> f64) -> f64 {
    let h = 1e-6;
    (f(h) - f(-h)) / (2.0 * h)
}

fn assert_close(what: &str, analytic: f64, numeric: f64) {
    let tol = 1e-7 * (1.0 + numeric.abs());
    assert!(
        (analytic - numeric).abs() < tol,
        "{what}: analytic {analytic} vs numeric {numeric}"
    );
}

#[test]
fn linear_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut layer = Linear::<f64>::new(5, 3, Init::Uniform, &mut rng).unwrap();
    let x = random(&mut rng, (4, 5));
    let r = random(&mut rng, (4, 3));
    let gx = layer.backward(x.view(), r.view()).unwrap();
    let gw = layer.grad_weight().clone();
    let gb = layer.grad_bias().clone();
    let w0 = layer.weight().clone();
    let b0 = layer.bias().to_vec();
    let mut probe_with = |w: &Array2<f64>, b: &[f64], x: &Array2<f64>| {
        layer.set_parameters(w.view(), b).unwrap();
        probe(layer.forward(x.view()).unwrap().view(), &r)
    };
    for idx in ndarray::indices(w0.dim()) {
        let numeric = slope(|d| probe_with(&nudged(&w0, idx, d), &b0, &x));
        assert_close(&format!("dW{idx:?}"), gw[idx], numeric);
    }
    for j in 0..b0.len() {
        let numeric = slope(|d| probe_with(&w0, &nudged(&b0, j, d), &x));
        assert_close(&format!("db[{j}]"), gb[j], numeric);
    }
    for idx in ndarray::indices(x.dim()) {
        let numeric = slope(|d| probe_with(&w0, &b0, &nudged(&x, idx, d)));
        assert_close(&format!("dx{idx:?}"), gx[idx], numeric);
    }
}

#[test]
fn mlp_backward_matches_finite_differences_for_every_activation() {
    for act in Activation::ALL {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let acts = [act, act, Activation::Identity];
        let mut mlp =
            Mlp::<f64>::with_activations(3, &[6, 4, 2], &acts, Init::KaimingUniform, &mut rng)
                .unwrap();
        let x = random(&mut rng, (7, 3));
        let r = random(&mut rng, (7, 2));
        mlp.forward(x.view()).unwrap();
        mlp.backward(r.view()).unwrap();
        let grads = mlp.gradients();
        let p0 = mlp.parameters();
        for (i, &g) in grads.iter().enumerate() {
            let numeric = slope(|d| {
                mlp.set_parameters(&nudged(&p0, i, d)).unwrap();
                probe(mlp.forward(x.view()).unwrap(), &r)
            });
            assert_close(&format!("{act:?} parameter {i}"), g, numeric);
        }
    }
}
