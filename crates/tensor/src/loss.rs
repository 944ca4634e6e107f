//! Losses over a batch, each returning its value and writing dL/d(prediction).

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};

use crate::error::{check_classes, shape_err, shape_str};
use crate::{Float, TensorError};

/// What a prediction is compared with.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a, T> {
    /// Same shape as the prediction: regression targets, labels in {-1, +1}
    /// for [`Loss::Hinge`], labels in [0, 1] for [`Loss::BceWithLogits`],
    /// class probabilities (rows summing to 1) for
    /// [`Loss::SoftmaxCrossEntropy`].
    Values(ArrayView2<'a, T>),
    /// One class index per row, for [`Loss::SoftmaxCrossEntropy`].
    Classes(&'a [usize]),
}

/// The losses are the scalar engine's list, declared once for both engines
/// and the oracle.
pub use ferrograd_scalar::nn::Loss;

/// The loss `loss` of `pred` `(batch, k)` against `target`; writes
/// dL/d`pred` into `grad` (same shape as `pred`). [`crate::Mlp::loss_backward`]
/// calls it on the network's output.
///
/// ```
/// use ferrograd_tensor::{evaluate_loss, Loss, Target};
/// use ndarray::{array, Array2};
/// let mut g = Array2::zeros((1, 2));
/// let l = evaluate_loss(Loss::Mse, array![[1.0, 3.0]].view(), Target::Values(array![[0.0, 1.0]].view()), g.view_mut()).unwrap();
/// assert_eq!((l, g), (2.5, array![[1.0, 2.0]]));
/// ```
pub fn evaluate_loss<T: Float>(
    loss: Loss,
    pred: ArrayView2<'_, T>,
    target: Target<'_, T>,
    grad: ArrayViewMut2<'_, T>,
) -> Result<T, TensorError> {
    if grad.dim() != pred.dim() {
        return Err(shape_err(
            format!("{loss:?} gradient buffer"),
            shape_str(pred.shape()),
            grad.shape(),
        ));
    }
    if pred.is_empty() {
        return Err(TensorError::EmptyBatch {
            what: format!("{loss:?} loss"),
        });
    }
    match (loss, target) {
        (Loss::SoftmaxCrossEntropy, Target::Classes(c)) => softmax_ce_classes(pred, c, grad),
        (Loss::SoftmaxCrossEntropy, Target::Values(y)) => {
            check_same(loss, pred, y)?;
            softmax_ce_probs(pred, y, grad)
        }
        (_, Target::Classes(c)) => Err(TensorError::Shape {
            what: format!("{loss:?} targets (class indices are only for SoftmaxCrossEntropy)"),
            expected: format!("values of shape {}", shape_str(pred.shape())),
            got: format!("({}) class indices", c.len()),
        }),
        (Loss::Mse, Target::Values(y)) => {
            check_same(loss, pred, y)?;
            Ok(squared_error(pred, y, grad, true))
        }
        (Loss::SumSquaredError, Target::Values(y)) => {
            check_same(loss, pred, y)?;
            Ok(squared_error(pred, y, grad, false))
        }
        (Loss::Hinge, Target::Values(y)) => {
            check_same(loss, pred, y)?;
            Ok(hinge(pred, y, grad))
        }
        (Loss::BceWithLogits, Target::Values(y)) => {
            check_same(loss, pred, y)?;
            Ok(bce_with_logits(pred, y, grad))
        }
    }
}

fn check_same<T>(
    loss: Loss,
    pred: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
) -> Result<(), TensorError> {
    if pred.dim() != y.dim() {
        return Err(shape_err(
            format!("{loss:?} targets"),
            shape_str(pred.shape()),
            y.shape(),
        ));
    }
    Ok(())
}

fn count<T: Float>(pred: &ArrayView2<'_, T>) -> T {
    T::from_f64(pred.len() as f64)
}

fn squared_error<T: Float>(
    pred: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    grad: ArrayViewMut2<'_, T>,
    mean: bool,
) -> T {
    // Same operations as the scalar engine's `sum((p - y)^2) * (1 / n)`.
    let scale = if mean {
        T::one() / count(&pred)
    } else {
        T::one()
    };
    let two = T::from_f64(2.0);
    let mut total = T::zero();
    Zip::from(grad).and(pred).and(y).for_each(|g, &p, &y| {
        let d = p - y;
        total += d * d;
        *g = two * d * scale;
    });
    total * scale
}

fn hinge<T: Float>(pred: ArrayView2<'_, T>, y: ArrayView2<'_, T>, grad: ArrayViewMut2<'_, T>) -> T {
    // micrograd: sum(relu(1 + -y * s)) * (1 / n). relu is ATen's: 0 where
    // the margin is <= 0, else the margin and the gradient passed on, so a
    // NaN score makes the loss NaN (as in the scalar engine), not 0.
    let scale = T::one() / count(&pred);
    let mut total = T::zero();
    Zip::from(grad).and(pred).and(y).for_each(|g, &s, &y| {
        let margin = s * -y + T::one();
        if margin <= T::zero() {
            *g = T::zero();
        } else {
            total += margin;
            *g = -y * scale;
        }
    });
    total * scale
}

fn bce_with_logits<T: Float>(
    pred: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    grad: ArrayViewMut2<'_, T>,
) -> T {
    // PyTorch's value, (1 - y) z - log_sigmoid(z), rearranged as
    // max(z, 0) - y z + log1p(exp(-|z|)): PyTorch's form subtracts z from
    // z - log1p(e^z) for y = 0, z << 0 and loses the whole (tiny) loss; this
    // one has no cancellation for labels 0 and 1.
    let scale = T::one() / count(&pred);
    let mut total = T::zero();
    Zip::from(grad).and(pred).and(y).for_each(|g, &z, &y| {
        let e = (-z.abs()).exp();
        total += z.max(T::zero()) - y * z + e.ln_1p();
        // sigmoid(z) - y as (1 - y) s(z) - y s(-z), both sigmoids from the
        // same e: sigmoid(z) - 1 would cancel for y = 1, z >> 0.
        let (s_pos, s_neg) = if z >= T::zero() {
            (T::one() / (T::one() + e), e / (T::one() + e))
        } else {
            (e / (T::one() + e), T::one() / (T::one() + e))
        };
        *g = ((T::one() - y) * s_pos - y * s_neg) * scale;
    });
    total * scale
}

fn softmax_ce_classes<T: Float>(
    pred: ArrayView2<'_, T>,
    classes: &[usize],
    mut grad: ArrayViewMut2<'_, T>,
) -> Result<T, TensorError> {
    let (b, k) = pred.dim();
    check_classes(
        "SoftmaxCrossEntropy class indices",
        format!("({b}) for predictions {}", shape_str(pred.shape())),
        (b, k),
        classes,
    )?;
    let scale = T::one() / T::from_f64(b as f64);
    let mut total = T::zero();
    for ((z, mut g), &c) in pred
        .axis_iter(Axis(0))
        .zip(grad.axis_iter_mut(Axis(0)))
        .zip(classes)
    {
        let (m, rest) = softmax_row(z, g.view_mut(), scale);
        // (m - z[c]) + log1p(rest): exactly log1p(rest) when c is the
        // largest logit, where m + ln(1 + rest) - z[c] loses rest below an ulp.
        total += (m - z[c]) + rest.ln_1p();
        // p_c - 1 = -(sum of the other p_j): no cancellation when p_c is near 1.
        let others = g
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != c)
            .fold(T::zero(), |s, (_, &v)| s + v);
        g[c] = -others;
    }
    Ok(total * scale)
}

fn softmax_ce_probs<T: Float>(
    pred: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
    mut grad: ArrayViewMut2<'_, T>,
) -> Result<T, TensorError> {
    let scale = T::one() / T::from_f64(pred.nrows() as f64);
    let mut total = T::zero();
    for ((z, mut g), t) in pred
        .axis_iter(Axis(0))
        .zip(grad.axis_iter_mut(Axis(0)))
        .zip(y.axis_iter(Axis(0)))
    {
        let (m, rest) = softmax_row(z, g.view_mut(), scale);
        let lse = m + rest.ln_1p();
        let mut tsum = T::zero();
        Zip::from(&mut g).and(&z).and(&t).for_each(|g, &z, &t| {
            total += t * (lse - z);
            tsum += t;
            *g -= t * scale;
        });
        // d/dz of -sum(t log softmax) is softmax * sum(t) - t; rows of t need not sum to 1.
        if tsum != T::one() {
            let extra = tsum - T::one();
            Zip::from(&mut g)
                .and(&z)
                .for_each(|g, &z| *g += (z - lse).exp() * extra * scale);
        }
    }
    Ok(total * scale)
}

/// Writes `softmax(z) * scale` into `g` and returns `(m, rest)` with
/// `logsumexp(z) = m + log1p(rest)`: `m` the largest logit and `rest` the sum
/// of `exp(z_j - m)` over every other entry (the largest one's term, exactly
/// 1, is left out so that `rest` keeps its digits).
fn softmax_row<T: Float>(
    z: ndarray::ArrayView1<'_, T>,
    mut g: ndarray::ArrayViewMut1<'_, T>,
    scale: T,
) -> (T, T) {
    let (top, m) = z
        .iter()
        .enumerate()
        .fold((0, T::neg_infinity()), |(i, m), (j, &v)| {
            // As `max`: a NaN logit is skipped here and poisons the sums below.
            if v > m {
                (j, v)
            } else {
                (i, m)
            }
        });
    let mut rest = T::zero();
    Zip::indexed(&mut g).and(&z).for_each(|j, g, &z| {
        let e = (z - m).exp();
        *g = e;
        if j != top {
            rest += e;
        }
    });
    let inv = scale / (T::one() + rest);
    g.mapv_inplace(|e| e * inv);
    (m, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    fn numeric_grad(loss: Loss, pred: &Array2<f64>, target: Target<'_, f64>) -> Array2<f64> {
        let mut out = Array2::zeros(pred.dim());
        let mut scratch = Array2::zeros(pred.dim());
        let h = 1e-6;
        for idx in ndarray::indices(pred.dim()) {
            let mut p = pred.clone();
            p[idx] += h;
            let up = evaluate_loss(loss, p.view(), target, scratch.view_mut()).unwrap();
            p[idx] -= 2.0 * h;
            let down = evaluate_loss(loss, p.view(), target, scratch.view_mut()).unwrap();
            out[idx] = (up - down) / (2.0 * h);
        }
        out
    }

    fn check(loss: Loss, pred: Array2<f64>, target: Target<'_, f64>) {
        let mut g = Array2::zeros(pred.dim());
        evaluate_loss(loss, pred.view(), target, g.view_mut()).unwrap();
        let n = numeric_grad(loss, &pred, target);
        for (a, b) in g.iter().zip(n.iter()) {
            assert!(
                (a - b).abs() < 1e-7,
                "{loss:?}: analytic {a} vs numeric {b}"
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let pred = array![[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]];
        let y = array![[0.0, 1.0, 0.5], [2.0, -1.0, 0.3]];
        check(Loss::Mse, pred.clone(), Target::Values(y.view()));
        check(
            Loss::SumSquaredError,
            pred.clone(),
            Target::Values(y.view()),
        );
        let pm = array![[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]];
        check(Loss::Hinge, pred.clone(), Target::Values(pm.view()));
        let y01 = array![[0.0, 1.0, 1.0], [1.0, 0.0, 0.25]];
        check(
            Loss::BceWithLogits,
            pred.clone(),
            Target::Values(y01.view()),
        );
        check(
            Loss::SoftmaxCrossEntropy,
            pred.clone(),
            Target::Classes(&[2, 0]),
        );
        let probs = array![[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]];
        check(
            Loss::SoftmaxCrossEntropy,
            pred,
            Target::Values(probs.view()),
        );
    }

    #[test]
    fn known_values() {
        let ln2 = std::f64::consts::LN_2;
        let (zeros, ones) = (array![[0.0, 0.0]], array![[1.0, 1.0]]);
        let (hinge_scores, bce_labels) = (array![[2.0, 0.5]], array![[1.0, 0.0]]);
        let cases = [
            (
                Loss::SoftmaxCrossEntropy,
                &zeros,
                Target::Classes(&[1]),
                ln2,
            ),
            (
                Loss::Hinge,
                &hinge_scores,
                Target::Values(ones.view()),
                0.25,
            ),
            (
                Loss::BceWithLogits,
                &zeros,
                Target::Values(bce_labels.view()),
                ln2,
            ),
        ];
        for (loss, pred, target, want) in cases {
            let mut g = Array2::zeros((1, 2));
            let got = evaluate_loss(loss, pred.view(), target, g.view_mut()).unwrap();
            assert!((got - want).abs() < 1e-15, "{loss:?}: {got} vs {want}");
        }
    }

    /// Relative error against an exact value, in units of f64 epsilon.
    fn eps_err(got: f64, want: f64) -> f64 {
        (got - want).abs() / want.abs() / f64::EPSILON
    }

    #[test]
    fn saturated_logits_keep_their_tiny_losses_and_gradients() {
        // mpmath (mp.dps = 50), e = exp(-40): log1p(e) = 4.248354255291589e-18
        // and e / (1 + e) = 4.248354255291589e-18 (equal to 17 digits).
        let tiny = 4.248354255291589e-18;
        let mut g = Array2::zeros((1, 2));
        // Label 0 at z = -40 and label 1 at z = 40: each loss is log1p(e);
        // PyTorch's (1 - y) z - log_sigmoid(z) gives 0 for the first.
        let bce = evaluate_loss(
            Loss::BceWithLogits,
            array![[-40.0, 40.0]].view(),
            Target::Values(array![[0.0, 1.0]].view()),
            g.view_mut(),
        )
        .unwrap();
        assert!(eps_err(bce, tiny) <= 2.0, "{bce:e}");
        // d/dz = (sigmoid(z) - y) / 2: +e/(1+e)/2 and -e/(1+e)/2 (sigmoid(40) - 1
        // cancels to -2^-53 / 2 or 0 in the textbook form).
        assert!(eps_err(g[[0, 0]], tiny / 2.0) <= 2.0, "{:e}", g[[0, 0]]);
        assert!(eps_err(g[[0, 1]], -tiny / 2.0) <= 2.0, "{:e}", g[[0, 1]]);

        // Softmax over [50, 0, 0], class 0: mpmath, e = exp(-50):
        // log1p(2e) = 3.8574996959278356e-22, p0 - 1 = -3.8574996959278356e-22,
        // p1 = p2 = e / (1 + 2e) = 1.9287498479639178e-22.
        let mut g = Array2::zeros((1, 3));
        let ce = evaluate_loss(
            Loss::SoftmaxCrossEntropy,
            array![[50.0, 0.0, 0.0]].view(),
            Target::Classes(&[0]),
            g.view_mut(),
        )
        .unwrap();
        assert!(eps_err(ce, 3.8574996959278356e-22) <= 2.0, "{ce:e}");
        assert!(
            eps_err(g[[0, 0]], -3.8574996959278356e-22) <= 2.0,
            "{:e}",
            g[[0, 0]]
        );
        assert!(
            eps_err(g[[0, 1]], 1.9287498479639178e-22) <= 2.0,
            "{:e}",
            g[[0, 1]]
        );
    }

    #[test]
    fn hinge_of_a_nan_score_is_nan_as_in_the_scalar_engine() {
        // relu(1 - y s) at s = NaN: relu(NaN) = NaN, and its slope passes
        // the gradient on (ATen's threshold_backward), so d/ds = -y / n.
        let mut g = Array2::zeros((1, 2));
        let h = evaluate_loss(
            Loss::Hinge,
            array![[f64::NAN, 3.0]].view(),
            Target::Values(array![[1.0, 1.0]].view()),
            g.view_mut(),
        )
        .unwrap();
        assert!(h.is_nan());
        assert_eq!(g, array![[-0.5, 0.0]]);
    }

    #[test]
    fn bad_targets_name_both_shapes() {
        let mut g = Array2::zeros((2, 1));
        let err = evaluate_loss(
            Loss::Mse,
            Array2::<f64>::zeros((2, 1)).view(),
            Target::Values(Array2::zeros((3, 1)).view()),
            g.view_mut(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("(2, 1)") && err.contains("(3, 1)"), "{err}");
        let err = evaluate_loss(
            Loss::SoftmaxCrossEntropy,
            Array2::<f64>::zeros((2, 1)).view(),
            Target::Classes(&[0, 1]),
            g.view_mut(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            TensorError::Rule(ferrograd_scalar::Error::ClassOutOfRange {
                row: 1,
                class: 1,
                classes: 1
            })
        ));
    }
}
