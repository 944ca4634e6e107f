//! The rules the engines share give the same numbers on both: every loss
//! (the scalar engine's functions on values against [`evaluate_loss`]) and
//! the optimisers' updates (bit for bit).

use ferrograd_scalar::nn::{self, Activation};
use ferrograd_scalar::{Scalar, Value};
use ferrograd_tensor::{evaluate_loss, Adam, Float, Loss, Mlp, Optimizer, Sgd, Target};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The scalar engine's loss of `pred` and its gradient for each prediction.
fn scalar<T: Scalar>(
    loss: Loss,
    pred: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    classes: &[usize],
) -> (T, Array2<T>) {
    let rows: Vec<Vec<Value<T>>> = pred
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| Value::new(v)).collect())
        .collect();
    let flat: Vec<Value<T>> = rows.iter().flatten().cloned().collect();
    let targets: Vec<T> = y.iter().copied().collect();
    let l = match loss {
        Loss::Mse => nn::mse(&flat, &targets),
        Loss::SumSquaredError => nn::sum_squared_error(&flat, &targets),
        Loss::Hinge => nn::max_margin(&flat, &targets),
        Loss::BceWithLogits => nn::bce_with_logits(&flat, &targets),
        Loss::SoftmaxCrossEntropy => nn::cross_entropy(&rows, classes),
    }
    .unwrap();
    l.backward();
    let grads = flat.iter().map(Value::grad).collect();
    (l.data(), Array2::from_shape_vec(pred.dim(), grads).unwrap())
}

fn targets(loss: Loss, rng: &mut ChaCha8Rng, dim: (usize, usize)) -> Array2<f64> {
    Array2::from_shape_simple_fn(dim, || match loss {
        Loss::Hinge => {
            if rng.random_bool(0.5) {
                1.0
            } else {
                -1.0
            }
        }
        Loss::BceWithLogits => rng.random_range(0.0..=1.0),
        _ => rng.random_range(-2.0..2.0),
    })
}

/// Loss values agree to `tol` relative or `loss_abs` absolute, gradients to
/// `tol` relative to the largest.
fn check<T: Float>(
    loss: Loss,
    pred: &Array2<f64>,
    y: &Array2<f64>,
    classes: &[usize],
    tol: f64,
    loss_abs: f64,
) {
    let pred = pred.mapv(T::from_f64);
    let y = y.mapv(T::from_f64);
    let target = match loss {
        Loss::SoftmaxCrossEntropy => Target::Classes(classes),
        _ => Target::Values(y.view()),
    };
    let mut g = Array2::zeros(pred.dim());
    let t = evaluate_loss(loss, pred.view(), target, g.view_mut()).unwrap();
    let (s, sg) = scalar(loss, pred.view(), y.view(), classes);
    let (t, s) = (Scalar::to_f64(t), Scalar::to_f64(s));
    assert!(
        (t - s).abs() <= (tol * t.abs()).max(loss_abs),
        "{} {loss:?} loss: batched {t:e}, scalar {s:e}",
        T::NAME
    );
    let scale = g
        .iter()
        .fold(0.0f64, |m, v| m.max(Scalar::to_f64(*v).abs()));
    for (a, b) in g.iter().zip(&sg) {
        let (a, b) = (Scalar::to_f64(*a), Scalar::to_f64(*b));
        assert!(
            (a - b).abs() <= tol * scale,
            "{} {loss:?} gradient: batched {a:e}, scalar {b:e}",
            T::NAME
        );
    }
}

#[test]
fn every_loss_agrees_between_the_engines() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for loss in Loss::ALL {
        for (rows, cols) in [(1, 1), (4, 3), (9, 2)] {
            let pred = Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-6.0..6.0));
            let y = targets(loss, &mut rng, (rows, cols));
            let classes: Vec<usize> = (0..rows).map(|_| rng.random_range(0..cols)).collect();
            check::<f64>(loss, &pred, &y, &classes, 1e-14, 0.0);
            check::<f32>(loss, &pred, &y, &classes, 1e-5, 0.0);
        }
    }
}

#[test]
fn saturated_logits_keep_their_gradients_on_both_engines() {
    // BCE at |z| = 30 and cross-entropy with one logit 30 above the rest:
    // the slopes are e^-30-sized and both engines form them without
    // cancellation; both form the loss with log1p, so its e^-30-sized
    // values agree too.
    let pred = ndarray::array![[30.0, -30.0, 0.0], [-30.0, 30.0, 1.0]];
    let y = ndarray::array![[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]];
    check::<f64>(Loss::BceWithLogits, &pred, &y, &[], 1e-13, 0.0);
    let pred = ndarray::array![[30.0, 0.0, 0.0], [-1.0, 30.0, 1.0]];
    check::<f64>(Loss::SoftmaxCrossEntropy, &pred, &y, &[0, 1], 1e-13, 0.0);
}

/// Trains the same network for `steps` on both engines with `opt_s`
/// and `opt_t`, and returns both final parameter lists.
fn train_both<T: Float, O: Optimizer<T>>(
    mut step_scalar: impl FnMut(&[Value<T>]),
    opt_t: &mut O,
    steps: usize,
) -> (Vec<T>, Vec<T>) {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let scalar = nn::Mlp::<T>::with_activation(2, &[5, 1], Activation::Tanh, &mut rng).unwrap();
    let mut tensor = Mlp::from_scalar(&scalar).unwrap();
    let params = scalar.parameters();
    let x = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]];
    let xs = Array2::from_shape_fn((3, 2), |(i, j)| T::from_f64(x[i][j]));
    let ys = Array2::from_shape_fn((3, 1), |(i, _)| T::from_f64([1.0, -1.0, 0.5][i]));
    for _ in 0..steps {
        // Gradients from the batched engine, copied into the scalar
        // parameters, so only the updates are compared.
        tensor.zero_grad();
        tensor.forward(xs.view()).unwrap();
        tensor
            .loss_backward(Loss::Mse, Target::Values(ys.view()))
            .unwrap();
        for (p, g) in params.iter().zip(tensor.gradients()) {
            p.set_grad(g);
        }
        step_scalar(&params);
        opt_t.step(&mut tensor).unwrap();
    }
    let s = params.iter().map(Value::data).collect();
    (s, tensor.parameters())
}

fn optimisers_agree<T: Float>() {
    let mut adam = nn::Adam::<T>::new(T::from_f64(0.05))
        .unwrap()
        .with_weight_decay(T::from_f64(0.01))
        .unwrap();
    let mut adam_t = Adam::<T>::new(0.05)
        .unwrap()
        .with_weight_decay(0.01)
        .unwrap();
    let (s, t) = train_both(|p| adam.step(p).unwrap(), &mut adam_t, 20);
    assert_eq!(s, t, "{} Adam", T::NAME);

    let mut sgd = nn::Sgd::<T>::new(T::from_f64(0.1))
        .unwrap()
        .with_momentum(T::from_f64(0.9))
        .unwrap();
    let mut sgd_t = Sgd::<T>::new(0.1).unwrap().with_momentum(0.9).unwrap();
    let (s, t) = train_both(|p| sgd.step(p).unwrap(), &mut sgd_t, 20);
    assert_eq!(s, t, "{} SGD", T::NAME);
}

#[test]
fn optimisers_give_the_same_bits_on_both_engines() {
    // f32 hyper-parameters given as f32 to the scalar engine are not the
    // f64 ones the batched engine gets (0.05f32 is not 0.05), so f32 is
    // compared with rates exact in both.
    optimisers_agree::<f64>();
}
