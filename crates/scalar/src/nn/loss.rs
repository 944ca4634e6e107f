//! Losses built from values, so `backward()` differentiates them like any
//! other expression.

use crate::{Error, Scalar, Value};

fn check_pairs(scores: usize, targets: usize) -> Result<(), Error> {
    if scores != targets || scores == 0 {
        return Err(Error::InputLength {
            expected: scores,
            got: targets,
        });
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
    check_pairs(scores.len(), labels.len())?;
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
    check_pairs(pred.len(), targets.len())?;
    Ok(pred
        .iter()
        .zip(targets)
        .map(|(p, &y)| (p - y).powi(2))
        .sum())
}

/// Mean squared error, `mean((y_pred - y)^2)`, PyTorch's `MSELoss`.
pub fn mse<T: Scalar>(pred: &[Value<T>], targets: &[T]) -> Result<Value<T>, Error> {
    let n = T::from_f64(pred.len() as f64);
    Ok(sum_squared_error(pred, targets)? * (T::one() / n))
}

/// L2 penalty `alpha * sum(p^2)`, micrograd's regularisation.
pub fn l2<T: Scalar>(params: &[Value<T>], alpha: T) -> Value<T> {
    let total: Value<T> = params.iter().map(|p| p * p).sum();
    total * alpha
}
