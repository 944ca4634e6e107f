//! Losses built from values, so `backward()` differentiates them like any
//! other expression.

use crate::nn::{Input, Mlp};
use crate::{Error, Scalar, Value};

/// One target per prediction, and at least one of each.
fn check_pairs(loss: &'static str, predictions: usize, targets: usize) -> Result<(), Error> {
    if predictions != targets {
        return Err(Error::LossLength {
            loss,
            predictions,
            targets,
        });
    }
    if predictions == 0 {
        return Err(Error::EmptyLoss { loss });
    }
    Ok(())
}

/// micrograd's SVM max-margin loss: `mean(relu(1 - y_i s_i))` for labels
/// `y_i` in {-1, +1}.
///
/// ```
/// use ferrograd_scalar::{nn::max_margin, Value};
/// let s = [Value::new(2.0), Value::new(0.5)];
/// let loss = max_margin(&s, &[1.0, 1.0]).unwrap();
/// assert_eq!(loss.data(), 0.25); // (0 + 0.5) / 2
/// ```
pub fn max_margin<T: Scalar>(scores: &[Value<T>], labels: &[T]) -> Result<Value<T>, Error> {
    check_pairs("max_margin", scores.len(), labels.len())?;
    let one = T::one();
    let total: Value<T> = scores
        .iter()
        .zip(labels)
        .map(|(s, &y)| ((s * -y) + one).relu())
        .sum();
    Ok(total * (one / T::from_f64(scores.len() as f64)))
}

/// Sum of squared errors, the seed notebook's loss: `sum((y_pred - y)^2)`.
pub fn sum_squared_error<T: Scalar>(pred: &[Value<T>], targets: &[T]) -> Result<Value<T>, Error> {
    check_pairs("sum_squared_error", pred.len(), targets.len())?;
    Ok(squared_errors(pred, targets))
}

fn squared_errors<T: Scalar>(pred: &[Value<T>], targets: &[T]) -> Value<T> {
    pred.iter()
        .zip(targets)
        .map(|(p, &y)| (p - y).powi(2))
        .sum()
}

/// Mean squared error, `mean((y_pred - y)^2)`, PyTorch's `MSELoss`.
pub fn mse<T: Scalar>(pred: &[Value<T>], targets: &[T]) -> Result<Value<T>, Error> {
    check_pairs("mse", pred.len(), targets.len())?;
    let n = T::from_f64(pred.len() as f64);
    Ok(squared_errors(pred, targets) * (T::one() / n))
}

/// L2 penalty `alpha * sum(p^2)`, micrograd's regularisation.
pub fn l2<T: Scalar>(params: &[Value<T>], alpha: T) -> Value<T> {
    let total: Value<T> = params.iter().map(|p| p * p).sum();
    total * alpha
}

/// micrograd demo's whole loss for a batch: the max-margin loss of the
/// model's scores plus `alpha * sum(p^2)` over its parameters, and the
/// accuracy (the fraction of scores whose sign matches the label).
///
/// ```
/// use ferrograd_scalar::nn::{svm_loss, Activation, Mlp};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let model = Mlp::<f64>::with_activation(2, &[4, 1], Activation::Relu, &mut rng).unwrap();
/// let (loss, accuracy) = svm_loss(&model, &[[0.0, 1.0], [1.0, 0.0]], &[1.0, -1.0], 1e-4).unwrap();
/// assert!(loss.data() >= 0.0 && (0.0..=1.0).contains(&accuracy));
/// ```
pub fn svm_loss<T: Scalar, R: Input<T>>(
    model: &Mlp<T>,
    rows: &[R],
    labels: &[T],
    alpha: T,
) -> Result<(Value<T>, f64), Error> {
    check_pairs("svm_loss", rows.len(), labels.len())?;
    let scores = rows
        .iter()
        .map(|row| model.forward(row).map(|mut out| out.swap_remove(0)))
        .collect::<Result<Vec<_>, _>>()?;
    let correct = scores
        .iter()
        .zip(labels)
        .filter(|(s, &y)| (s.data() > T::zero()) == (y > T::zero()))
        .count();
    let loss = max_margin(&scores, labels)? + l2(&model.parameters(), alpha);
    Ok((loss, correct as f64 / labels.len() as f64))
}
