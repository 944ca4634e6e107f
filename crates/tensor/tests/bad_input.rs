//! Bad input gets a clear error: shapes name both sides, empty size lists
//! are refused, a non-finite loss stops training and names the step.

use ferrograd_scalar::Error as ScalarError;
use ferrograd_tensor::{
    Activation, Adam, Loss, Mlp, Optimizer, Sgd, StepStats, Target, TensorError,
};
use ndarray::{array, Array2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn mlp() -> Mlp<f64> {
    Mlp::with_activation(
        2,
        &[4, 1],
        Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(0),
    )
    .unwrap()
}

/// One MSE training step without L2.
fn mse_step(
    m: &mut Mlp<f64>,
    x: &Array2<f64>,
    y: &Array2<f64>,
    opt: &mut impl Optimizer<f64>,
) -> Result<StepStats<f64>, TensorError> {
    m.train_step(x.view(), Target::Values(y.view()), Loss::Mse, 0.0, opt)
}

/// Asserts that the error's message names every one of `shapes`.
fn assert_names<T: std::fmt::Debug>(result: Result<T, TensorError>, shapes: &[&str]) {
    let err = result.unwrap_err().to_string();
    assert!(shapes.iter().all(|s| err.contains(s)), "{err}");
}

#[test]
fn wrong_input_width_names_both_shapes() {
    let mut m = mlp();
    assert_names(
        m.forward(Array2::zeros((5, 3)).view()).map(|_| ()),
        &["(batch, 2)", "(5, 3)"],
    );
    assert_names(
        m.predict(Array2::zeros((1, 7)).view()),
        &["(batch, 2)", "(1, 7)"],
    );
}

#[test]
fn wrong_label_count_names_both_shapes() {
    let mut m = mlp();
    m.forward(Array2::zeros((5, 2)).view()).unwrap();
    let y = Array2::<f64>::zeros((4, 1));
    assert_names(
        m.loss_backward(Loss::Hinge, Target::Values(y.view())),
        &["(5, 1)", "(4, 1)"],
    );
    assert_names(
        m.loss_backward(Loss::SoftmaxCrossEntropy, Target::Classes(&[0, 0, 0])),
        &["(5)", "(3)"],
    );
}

#[test]
fn wrong_gradient_batch_names_both_shapes() {
    let mut m = mlp();
    m.forward(Array2::zeros((5, 2)).view()).unwrap();
    assert_names(
        m.backward(Array2::zeros((6, 1)).view()),
        &["(5, 1)", "(6, 1)"],
    );
}

#[test]
fn empty_size_list_and_zero_widths_are_errors() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert!(matches!(
        Mlp::<f64>::new(2, &[], &mut rng),
        Err(TensorError::Rule(ScalarError::EmptySizes))
    ));
    let err = Mlp::<f32>::new(2, &[4, 0, 1], &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("layer 1"), "{err}");
    assert!(matches!(
        Mlp::<f32>::new(0, &[1], &mut rng),
        Err(TensorError::Rule(ScalarError::ZeroWidth { .. }))
    ));
    let mut m = mlp();
    assert!(matches!(
        m.forward(Array2::zeros((0, 2)).view()),
        Err(TensorError::EmptyBatch { .. })
    ));
    assert!(matches!(
        m.backward(Array2::zeros((1, 1)).view()),
        Err(TensorError::EmptyBatch { .. })
    ));
}

#[test]
fn non_finite_loss_stops_training_and_names_the_step() {
    let mut m = mlp();
    let x = array![[1.0, 2.0], [0.5, -1.0]];
    let y = array![[1.0], [-1.0]];
    let mut sgd = Sgd::new(0.01).unwrap();
    for _ in 0..3 {
        mse_step(&mut m, &x, &y, &mut sgd).unwrap();
    }
    let before = m.parameters();
    let bad = array![[f64::NAN, 2.0], [0.5, -1.0]];
    let err = mse_step(&mut m, &bad, &y, &mut sgd).unwrap_err();
    assert!(
        matches!(err, TensorError::NonFiniteLoss { step: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("step 3"));
    assert_eq!(m.parameters(), before, "no update after a non-finite loss");

    // A learning rate that blows up: the error comes at the first bad step.
    let mut m = mlp();
    let mut adam = Adam::new(1e300).unwrap();
    let huge = array![[1e300, 1e300], [1e300, -1e300]];
    let err = mse_step(&mut m, &huge, &y, &mut adam).unwrap_err();
    assert!(
        matches!(err, TensorError::NonFiniteLoss { step: 0, .. }),
        "{err}"
    );
}

#[test]
fn optimiser_refuses_a_network_of_another_shape() {
    let mut a = mlp();
    let mut b = Mlp::<f64>::new(2, &[3, 3, 1], &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    let x = array![[1.0, 2.0]];
    let y = array![[1.0]];
    let mut adam = Adam::new(0.01).unwrap();
    mse_step(&mut a, &x, &y, &mut adam).unwrap();
    let err = mse_step(&mut b, &x, &y, &mut adam).unwrap_err();
    assert!(
        matches!(err, TensorError::OptimizerMismatch { .. }),
        "{err}"
    );
}
