//! Accuracy measures for the examples and tests.

use ndarray::ArrayView2;

use crate::error::{check_classes, shape_str};
use crate::{Float, TensorError};

/// micrograd's accuracy: the fraction of entries where `score > 0` agrees with
/// `label > 0` (labels in {-1, +1}). Shapes must match; an empty batch gives 0.
pub fn sign_accuracy<T: Float>(scores: ArrayView2<'_, T>, labels: ArrayView2<'_, T>) -> f64 {
    if scores.is_empty() || scores.dim() != labels.dim() {
        return 0.0;
    }
    let hits = scores
        .iter()
        .zip(labels.iter())
        .filter(|(&s, &y)| (s > T::zero()) == (y > T::zero()))
        .count();
    hits as f64 / scores.len() as f64
}

/// The index of the largest entry of each row (first one on ties), as
/// `torch.argmax(dim=1)`: NaN counts as larger than any number, so a row
/// holding NaN gives the index of its first NaN.
pub fn argmax_rows<T: Float>(logits: ArrayView2<'_, T>) -> Vec<usize> {
    logits
        .rows()
        .into_iter()
        .map(|r| {
            let mut best = (0, T::neg_infinity());
            for (i, &v) in r.iter().enumerate() {
                if v.is_nan() {
                    return i;
                }
                if v > best.1 {
                    best = (i, v);
                }
            }
            best.0
        })
        .collect()
}

/// The fraction of rows whose argmax ([`argmax_rows`]) is the given class;
/// 0 for an empty batch. `classes` needs one class per row of `logits`, each
/// below its column count.
pub fn class_accuracy<T: Float>(
    logits: ArrayView2<'_, T>,
    classes: &[usize],
) -> Result<f64, TensorError> {
    let (rows, k) = logits.dim();
    check_classes(
        "class_accuracy classes",
        format!(
            "({rows}), one per row of the logits {}",
            shape_str(logits.shape())
        ),
        (rows, k),
        classes,
    )?;
    if rows == 0 {
        return Ok(0.0);
    }
    let hits = argmax_rows(logits)
        .iter()
        .zip(classes)
        .filter(|(a, b)| a == b)
        .count();
    Ok(hits as f64 / rows as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn accuracies() {
        let s = array![[0.5], [-0.2], [0.1]];
        let y = array![[1.0], [1.0], [1.0]];
        assert!((sign_accuracy(s.view(), y.view()) - 2.0 / 3.0).abs() < 1e-15);
        let l = array![[0.1, 0.9], [2.0, -1.0]];
        assert_eq!(argmax_rows(l.view()), vec![1, 0]);
        assert_eq!(class_accuracy(l.view(), &[1, 1]).unwrap(), 0.5);
    }
}
