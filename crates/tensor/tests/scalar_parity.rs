//! The batched Mlp and the scalar Mlp with the same weights give the same
//! outputs and the same parameter gradients on the same batch (f64, 1e-12).

use ferrograd_scalar::nn::{self, Activation as ScalarActivation};
use ferrograd_scalar::Value;
use ferrograd_tensor::{Loss, Mlp, Target};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TOL: f64 = 1e-12;

fn close(what: &str, a: f64, b: f64, scale: f64) {
    // Relative to the larger of the two, with the vector's scale as a floor so
    // a gradient that cancels to ~0 is judged against its neighbours.
    let tol = TOL * a.abs().max(b.abs()).max(scale);
    assert!(
        (a - b).abs() <= tol,
        "{what}: tensor {a:e} vs scalar {b:e} (diff {:e})",
        (a - b).abs()
    );
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

fn batch(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.random_range(-2.0..2.0))
}

/// Scalar outputs, row by row.
fn scalar_forward(mlp: &nn::Mlp<f64>, x: ArrayView2<'_, f64>) -> Vec<Vec<Value<f64>>> {
    x.rows()
        .into_iter()
        .map(|r| mlp.forward(&r.to_vec()[..]).unwrap())
        .collect()
}

/// Builds each loss from Value ops, the way a micrograd user would.
fn scalar_loss(
    loss: Loss,
    out: &[Vec<Value<f64>>],
    y: &Array2<f64>,
    classes: &[usize],
) -> Value<f64> {
    let n_rows = out.len() as f64;
    let n_all = (out.len() * out[0].len()) as f64;
    let flat = || {
        out.iter()
            .enumerate()
            .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, v)| (i, j, v)))
    };
    match loss {
        Loss::Mse => {
            flat()
                .map(|(i, j, p)| (p - y[(i, j)]).powi(2))
                .sum::<Value<f64>>()
                * (1.0 / n_all)
        }
        Loss::SumSquaredError => flat().map(|(i, j, p)| (p - y[(i, j)]).powi(2)).sum(),
        Loss::Hinge => {
            flat()
                .map(|(i, j, s)| (s * -y[(i, j)] + 1.0).relu())
                .sum::<Value<f64>>()
                * (1.0 / n_all)
        }
        Loss::BceWithLogits => {
            flat()
                .map(|(i, j, z)| {
                    let t = y[(i, j)];
                    let s = z.sigmoid();
                    -(t * s.ln() + (1.0 - t) * (1.0 - &s).ln())
                })
                .sum::<Value<f64>>()
                * (1.0 / n_all)
        }
        Loss::SoftmaxCrossEntropy => {
            out.iter()
                .zip(classes)
                .map(|(row, &c)| {
                    let exps: Vec<Value<f64>> = row.iter().map(|z| z.exp()).collect();
                    let total: Value<f64> = exps.iter().sum();
                    total.ln() - &row[c]
                })
                .sum::<Value<f64>>()
                * (1.0 / n_rows)
        }
    }
}

fn check(act: ScalarActivation, sizes: &[usize], loss: Loss, l2: f64, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let nin = 3;
    let scalar = nn::Mlp::<f64>::with_activation(nin, sizes, act, &mut rng).unwrap();
    let mut tensor = Mlp::from_scalar(&scalar).unwrap();
    assert_eq!(
        tensor.parameters(),
        scalar
            .parameters()
            .iter()
            .map(|p| p.data())
            .collect::<Vec<_>>()
    );

    let rows = 9;
    let nout = *sizes.last().unwrap();
    let x = batch(&mut rng, rows, nin);
    let mut y = batch(&mut rng, rows, nout);
    match loss {
        Loss::Hinge => y.mapv_inplace(|v| if v > 0.0 { 1.0 } else { -1.0 }),
        Loss::BceWithLogits => y.mapv_inplace(|v| (v + 2.0) / 4.0),
        _ => {}
    }
    let classes: Vec<usize> = (0..rows).map(|i| (i * 7) % nout).collect();

    // Outputs.
    let t_out = tensor.forward(x.view()).unwrap().to_owned();
    let s_out = scalar_forward(&scalar, x.view());
    let out_scale = t_out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, row) in s_out.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            close(
                &format!("output ({i}, {j})"),
                t_out[(i, j)],
                v.data(),
                out_scale,
            );
        }
    }

    // Loss and gradients.
    let target = if loss == Loss::SoftmaxCrossEntropy {
        Target::Classes(&classes)
    } else {
        Target::Values(y.view())
    };
    let t_loss = tensor.loss_backward(loss, target).unwrap()
        + if l2 > 0.0 { tensor.add_l2(l2) } else { 0.0 };
    let params = scalar.parameters();
    let mut s_loss = scalar_loss(loss, &s_out, &y, &classes);
    if l2 > 0.0 {
        s_loss += nn::l2(&params, l2);
    }
    scalar.zero_grad();
    s_loss.backward();
    close("loss", t_loss, s_loss.data(), 0.0);
    let t_grads = tensor.gradients();
    let s_grads: Vec<f64> = params.iter().map(Value::grad).collect();
    let scale = max_abs(&s_grads);
    assert!(
        scale > 0.0,
        "a test whose gradients are all 0 proves nothing"
    );
    for (i, (a, b)) in t_grads.iter().zip(&s_grads).enumerate() {
        close(&format!("{act:?} {loss:?} gradient {i}"), *a, *b, scale);
    }
}

#[test]
fn tanh_network_matches_scalar_engine() {
    check(
        ScalarActivation::Tanh,
        &[4, 4, 1],
        Loss::SumSquaredError,
        0.0,
        1,
    );
    check(ScalarActivation::Tanh, &[4, 4, 2], Loss::Mse, 0.0, 2);
    check(ScalarActivation::Tanh, &[5, 3], Loss::Hinge, 1e-4, 3);
}

#[test]
fn relu_network_matches_scalar_engine() {
    check(ScalarActivation::Relu, &[16, 16, 1], Loss::Hinge, 1e-4, 4);
    check(ScalarActivation::Relu, &[8, 8, 2], Loss::Mse, 0.0, 5);
    check(ScalarActivation::Relu, &[8, 3], Loss::BceWithLogits, 0.0, 6);
    check(
        ScalarActivation::Relu,
        &[8, 8, 4],
        Loss::SoftmaxCrossEntropy,
        1e-4,
        7,
    );
}

#[test]
fn tanh_network_matches_on_classification_losses() {
    check(ScalarActivation::Tanh, &[6, 2], Loss::BceWithLogits, 0.0, 8);
    check(
        ScalarActivation::Tanh,
        &[6, 5],
        Loss::SoftmaxCrossEntropy,
        0.0,
        9,
    );
}

#[test]
fn same_seed_same_network_and_round_trip() {
    let scalar = nn::Mlp::<f64>::with_activation(
        2,
        &[16, 16, 1],
        ScalarActivation::Relu,
        &mut ChaCha8Rng::seed_from_u64(42),
    )
    .unwrap();
    let tensor = Mlp::<f64>::with_activation(
        2,
        &[16, 16, 1],
        ferrograd_tensor::Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(42),
    )
    .unwrap();
    let sp: Vec<f64> = scalar.parameters().iter().map(Value::data).collect();
    assert_eq!(
        tensor.parameters(),
        sp,
        "Init::Uniform draws what the scalar engine draws"
    );
    let back = tensor.to_scalar().unwrap();
    let bp: Vec<f64> = back.parameters().iter().map(Value::data).collect();
    assert_eq!(bp, sp);
    assert_eq!(back.sizes(), vec![16, 16, 1]);
    let again = Mlp::from_scalar(&back).unwrap();
    assert_eq!(again.activations(), tensor.activations());
}

#[test]
fn sigmoid_networks_exist_in_both_engines() {
    // One Activation enum: a sigmoid network crosses to the scalar engine
    // and back, and both give the same outputs and gradients.
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let m = Mlp::<f64>::with_activation(2, &[3, 1], ScalarActivation::Sigmoid, &mut rng).unwrap();
    let back = m.to_scalar().unwrap();
    assert_eq!(back.layers()[0].activation(), ScalarActivation::Sigmoid);
    assert_eq!(
        Mlp::from_scalar(&back).unwrap().activations(),
        m.activations()
    );
    check(ScalarActivation::Sigmoid, &[5, 2], Loss::Mse, 0.0, 11);
    check(
        ScalarActivation::Sigmoid,
        &[4, 3],
        Loss::SoftmaxCrossEntropy,
        1e-4,
        12,
    );
}

#[test]
fn f32_network_matches_scalar_engine_to_1e_4() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let scalar =
        nn::Mlp::<f32>::with_activation(2, &[16, 16, 1], ScalarActivation::Relu, &mut rng).unwrap();
    let mut tensor = Mlp::from_scalar(&scalar).unwrap();
    let x = Array2::<f32>::from_shape_simple_fn((20, 2), || rng.random_range(-2.0..2.0));
    let labels: Vec<f32> = (0..20)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let y = Array2::from_shape_vec((20, 1), labels.clone()).unwrap();

    tensor.forward(x.view()).unwrap();
    let t_loss = tensor
        .loss_backward(Loss::Hinge, Target::Values(y.view()))
        .unwrap()
        + tensor.add_l2(1e-4);
    let params = scalar.parameters();
    let scores: Vec<Value<f32>> = x
        .rows()
        .into_iter()
        .map(|r| scalar.forward(&r.to_vec()[..]).unwrap().remove(0))
        .collect();
    let s_loss = nn::max_margin(&scores, &labels).unwrap() + nn::l2(&params, 1e-4);
    s_loss.backward();
    assert!((t_loss - s_loss.data()).abs() <= 1e-4 * s_loss.data().abs());
    let s_grads: Vec<f32> = params.iter().map(Value::grad).collect();
    let scale = s_grads.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    for (i, (a, b)) in tensor.gradients().iter().zip(&s_grads).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(scale),
            "gradient {i}: {a} vs {b}"
        );
    }
}

/// Per-element relative agreement, with no floor: a gradient of 1e-30 must
/// match to 1e-12 of itself, so a slope that rounds to 0 is caught.
fn close_each(what: &str, t: &[f64], s: &[f64]) {
    assert_eq!(t.len(), s.len(), "{what}: gradient count");
    for (i, (&a, &b)) in t.iter().zip(s).enumerate() {
        assert!(
            (a - b).abs() <= TOL * a.abs().max(b.abs()),
            "{what} gradient {i}: tensor {a:e} vs scalar {b:e}"
        );
    }
}

/// How many gradients are nonzero but below 1e-16 of the largest: the ones
/// that only an exact slope in saturation gets right.
fn saturated_count(grads: &[f64]) -> usize {
    let scale = max_abs(grads);
    grads
        .iter()
        .filter(|g| **g != 0.0 && g.abs() < 1e-16 * scale)
        .count()
}

/// Five steps of a network whose hidden layers saturate, one row per batch
/// (so a saturated neuron's gradient is not summed with an unsaturated
/// row's), with inputs within ±`2 scale`: the tensor engine's output, loss
/// and gradients against the scalar engine's on each row, and at least 20
/// gradients that only an exact slope in saturation gets right.
fn check_saturation(act: ScalarActivation, seed: u64, scale: f64) {
    let what = format!("{} in saturation", act.name());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let scalar = nn::Mlp::<f64>::with_activation(3, &[6, 4, 1], act, &mut rng).unwrap();
    let mut tensor = Mlp::from_scalar(&scalar).unwrap();
    let params = scalar.parameters();
    let mut saturated = 0;
    for _ in 0..5 {
        let x = batch(&mut rng, 1, 3).mapv(|v| scale * v);
        let y = batch(&mut rng, 1, 1);
        tensor.forward(x.view()).unwrap();
        let t_loss = tensor
            .loss_backward(Loss::Mse, Target::Values(y.view()))
            .unwrap();
        let s_out = scalar_forward(&scalar, x.view());
        close("output", tensor.output()[(0, 0)], s_out[0][0].data(), 0.0);
        let s_loss = scalar_loss(Loss::Mse, &s_out, &y, &[]);
        scalar.zero_grad();
        s_loss.backward();
        close("loss", t_loss, s_loss.data(), 0.0);
        let s_grads: Vec<f64> = params.iter().map(Value::grad).collect();
        saturated += saturated_count(&s_grads);
        close_each(&what, &tensor.gradients(), &s_grads);
    }
    assert!(
        saturated >= 20,
        "{what}: only {saturated} saturated gradients"
    );
}

#[test]
fn tanh_network_matches_scalar_engine_in_saturation() {
    // Inputs up to ±50 drive most first-layer pre-activations beyond
    // |x| = 19.1, where tanh(x) rounds to ±1 and a slope formed from the
    // output alone is 0; the scalar engine (exact slope from x) gives
    // gradients down to about 1e-70 there.
    check_saturation(ScalarActivation::Tanh, 21, 25.0);
}

#[test]
fn sigmoid_network_matches_scalar_engine_in_saturation() {
    // Sigmoid hidden layers, linear output. Inputs up to ±75: (1 - y) y
    // from the output is 0 from x = 37, the exact slope is not.
    check_saturation(ScalarActivation::Sigmoid, 22, 37.5);
}
