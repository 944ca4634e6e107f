//! Losses written with tensor operations, so their gradients come from
//! backward. Each averages over all elements (PyTorch's
//! `reduction="mean"`) except [`sse`] and cross-entropy, which averages
//! over rows.

use crate::tensor::{AutogradError, Tensor};
use crate::Float;

fn same_shape<T: Float>(
    op: &'static str,
    pred: &Tensor<T>,
    target: &Tensor<T>,
) -> Result<(), AutogradError> {
    // Compared borrowed: no shape is copied on the success path.
    if pred.data().shape() != target.data().shape() {
        return Err(AutogradError::Shape {
            op,
            expected: pred.shape(),
            got: target.shape(),
        });
    }
    Ok(())
}

/// `mean((pred - target)^2)`, `nn.MSELoss`; the shapes must be equal.
pub fn mse<T: Float>(pred: &Tensor<T>, target: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
    same_shape("mse target", pred, target)?;
    let d = pred.try_sub(target)?;
    (&d * &d).mean()
}

/// The seed notebook's `sum((pred - target)^2)`.
pub fn sse<T: Float>(pred: &Tensor<T>, target: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
    same_shape("sse target", pred, target)?;
    let d = pred.try_sub(target)?;
    Ok((&d * &d).sum())
}

/// micrograd's max-margin loss `mean(relu(1 - y s))` for labels `y` in
/// {-1, +1}.
pub fn hinge<T: Float>(scores: &Tensor<T>, labels: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
    same_shape("hinge labels", scores, labels)?;
    (scores.try_mul(-labels)? + T::one()).relu().mean()
}

/// `nn.BCEWithLogitsLoss`: `mean(max(z, 0) - y z + log1p(exp(-|z|)))` for
/// logits `z` and labels `y` in [0, 1], with `max(z, 0)` written
/// `(z + |z|) / 2` so the slope at `z = 0` is the true `1/2 - y`.
pub fn bce_with_logits<T: Float>(
    logits: &Tensor<T>,
    labels: &Tensor<T>,
) -> Result<Tensor<T>, AutogradError> {
    same_shape("bce_with_logits labels", logits, labels)?;
    let z = logits;
    let a = z.abs();
    let half = T::from_f64(0.5);
    let positive = (z + &a) * half;
    (positive - labels.try_mul(z)? + (-&a).exp().log1p()).mean()
}

/// `nn.CrossEntropyLoss` over rows of logits `[batch, classes]` with one
/// class index per row: `mean(-log_softmax(logits)[i, class_i])`.
pub fn cross_entropy<T: Float>(
    logits: &Tensor<T>,
    classes: &[usize],
) -> Result<Tensor<T>, AutogradError> {
    Ok(-logits.log_softmax(1)?.pick(classes)?.mean()?)
}

/// micrograd's L2 penalty `alpha * sum(p^2)` over every parameter.
///
/// Each parameter's `sum(p^2)` is one [`Tensor::dot`] node (the same value
/// as `(p * p).sum()`, without the array of squares), and their total one
/// [`Tensor::add_n`] node (the same value as adding them in order).
pub fn l2<T: Float>(params: &[Tensor<T>], alpha: T) -> Tensor<T> {
    let squares: Vec<Tensor<T>> = params
        .iter()
        .map(|p| {
            p.dot(p)
                .unwrap_or_else(|_| unreachable!("a tensor has its own shape"))
        })
        .collect();
    let total = match squares.as_slice() {
        [] => Tensor::scalar(T::zero()),
        [one] => one.clone(),
        _ => Tensor::add_n(&squares)
            .unwrap_or_else(|_| unreachable!("every square is 0-dimensional")),
    };
    total * alpha
}
