//! The losses, declared once for every engine ([`Loss`]), and built here
//! from values, so `backward()` differentiates them like any other
//! expression. The batched engine (`ferrograd-tensor`) evaluates the same
//! list over matrices and the libtorch oracle with PyTorch's functions.

use crate::nn::{Input, Mlp};
use crate::{Error, Scalar, Value};

/// The losses both engines differentiate and the oracle checks.
///
/// All of them average over the predictions (cross-entropy: over the rows),
/// as PyTorch's default `reduction="mean"` does, except
/// [`Loss::SumSquaredError`], the seed notebook's loss. On this engine they
/// are [`mse`], [`sum_squared_error`], [`max_margin`], [`bce_with_logits`]
/// and [`cross_entropy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loss {
    /// The seed notebook's `sum((p - y)^2)`.
    SumSquaredError,
    /// Mean squared error `mean((p - y)^2)`, PyTorch's `MSELoss`.
    Mse,
    /// micrograd's max-margin loss `mean(relu(1 - y p))` for labels in {-1, +1}.
    Hinge,
    /// `BCEWithLogitsLoss`: `mean(-(y log s(p) + (1 - y) log(1 - s(p))))`
    /// for labels in [0, 1], computed from the logits `p`.
    BceWithLogits,
    /// `CrossEntropyLoss` over rows of logits: `mean(logsumexp(p) - p[class])`.
    SoftmaxCrossEntropy,
}

impl Loss {
    /// Every loss, in declaration order.
    pub const ALL: [Loss; 5] = [
        Loss::SumSquaredError,
        Loss::Mse,
        Loss::Hinge,
        Loss::BceWithLogits,
        Loss::SoftmaxCrossEntropy,
    ];

    /// Short name for reports (`"mse"`, `"sse"`, `"hinge"`, `"bce"`,
    /// `"cross-entropy"`).
    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::SumSquaredError => "sse",
            Loss::Hinge => "hinge",
            Loss::BceWithLogits => "bce",
            Loss::SoftmaxCrossEntropy => "cross-entropy",
        }
    }
}

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
    mean_over_pairs("max_margin", scores, labels, |s, y| {
        ((s * -y) + T::one()).relu()
    })
}

/// `mean(term(x_i, y_i))`, the sum scaled by `1/n` as PyTorch's `mean`
/// reduction does; `loss` names the loss in a length error.
fn mean_over_pairs<T: Scalar>(
    loss: &'static str,
    xs: &[Value<T>],
    ys: &[T],
    term: impl Fn(&Value<T>, T) -> Value<T>,
) -> Result<Value<T>, Error> {
    check_pairs(loss, xs.len(), ys.len())?;
    let total: Value<T> = xs.iter().zip(ys).map(|(x, &y)| term(x, y)).sum();
    Ok(total * (T::one() / T::from_f64(xs.len() as f64)))
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

/// `BCEWithLogitsLoss`, `mean(max(z, 0) - y z + ln(1 + exp(-|z|)))` over
/// logits `z` and labels `y` in [0, 1].
///
/// Each term is built in the form that cannot overflow for its logit's sign
/// (`(1 - y) z + ln(1 + exp(-z))` for `z >= 0`, `-y z + ln(1 + exp(z))`
/// below), both equal to the loss for every `z`, so a [`crate::Replay`] on
/// other inputs stays right. Neither form has a kink: the slope at `z = 0`
/// is `1/2 - y`, where `relu` and `abs` would give `-y`. Where `exp(-|z|)`
/// falls below an ulp of 1 (|z| > 37 in f64) a term's value rounds to 0,
/// which the batched engine's `log1p` keeps; its slope does not.
///
/// ```
/// use ferrograd_scalar::{nn::bce_with_logits, Value};
/// let z = [Value::new(0.0f64), Value::new(0.0)];
/// let loss = bce_with_logits(&z, &[1.0, 0.0]).unwrap();
/// assert!((loss.data() - std::f64::consts::LN_2).abs() < 1e-15);
/// loss.backward();
/// assert_eq!((z[0].grad(), z[1].grad()), (-0.25, 0.25)); // (s(0) - y) / 2
/// ```
pub fn bce_with_logits<T: Scalar>(logits: &[Value<T>], labels: &[T]) -> Result<Value<T>, Error> {
    mean_over_pairs("bce_with_logits", logits, labels, |z, y| {
        if z.data() >= T::zero() {
            z * (T::one() - y) + (-z).exp().log1p()
        } else {
            z * -y + z.exp().log1p()
        }
    })
}

/// `CrossEntropyLoss` over rows of logits and one class index per row:
/// `mean(logsumexp(z) - z[class])`.
///
/// Each row is shifted by its largest logit `z[top]` (a value on the tape,
/// so its gradient is kept): `logsumexp(z) - z[c] = (z[top] - z[c]) +
/// ln(1 + sum_{j != top} exp(z[j] - z[top]))`, with the first term left out
/// when `c` is `top` (it is 0), where the textbook form would lose the
/// small remainder to rounding.
///
/// ```
/// use ferrograd_scalar::{nn::cross_entropy, Value};
/// let row = vec![Value::new(0.0f64), Value::new(0.0)];
/// let loss = cross_entropy(&[row.clone()], &[1]).unwrap();
/// assert!((loss.data() - std::f64::consts::LN_2).abs() < 1e-15);
/// loss.backward();
/// assert_eq!((row[0].grad(), row[1].grad()), (0.5, -0.5)); // softmax - one-hot
/// ```
pub fn cross_entropy<T: Scalar, R: AsRef<[Value<T>]>>(
    logits: &[R],
    classes: &[usize],
) -> Result<Value<T>, Error> {
    check_pairs("cross_entropy", logits.len(), classes.len())?;
    let mut rows = Vec::with_capacity(logits.len());
    for (row, (z, &c)) in logits.iter().zip(classes).enumerate() {
        let z = z.as_ref();
        if c >= z.len() {
            return Err(Error::ClassOutOfRange {
                row,
                class: c,
                classes: z.len(),
            });
        }
        // The first largest logit, as the batched engine picks it.
        let top = (1..z.len()).fold(0, |i, j| if z[j].data() > z[i].data() { j } else { i });
        let rest: Value<T> = z
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != top)
            .map(|(_, zj)| (zj - &z[top]).exp())
            .sum();
        let log1p_rest = rest.log1p();
        rows.push(if c == top {
            log1p_rest
        } else {
            (&z[top] - &z[c]) + log1p_rest
        });
    }
    let total: Value<T> = rows.into_iter().sum();
    Ok(total * (T::one() / T::from_f64(logits.len() as f64)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of `f` at each of `xs`, against `backward()`.
    fn check_slopes(name: &str, xs: &[f64], f: impl Fn(&[Value<f64>]) -> Value<f64>) {
        let leaves: Vec<Value<f64>> = xs.iter().map(|&x| Value::new(x)).collect();
        f(&leaves).backward();
        let at = |shift: &[f64]| {
            let v: Vec<Value<f64>> = shift.iter().map(|&x| Value::new(x)).collect();
            f(&v).data()
        };
        let h = 1e-6;
        for i in 0..xs.len() {
            let (mut up, mut down) = (xs.to_vec(), xs.to_vec());
            up[i] += h;
            down[i] -= h;
            let fd = (at(&up) - at(&down)) / (2.0 * h);
            let g = leaves[i].grad();
            assert!(
                (g - fd).abs() <= 1e-8 * (1.0 + fd.abs()),
                "{name}: d/dx{i} = {g}, finite differences {fd}"
            );
        }
    }

    #[test]
    fn bce_and_cross_entropy_slopes_match_finite_differences() {
        let z = [0.0, 1.5, -2.25, 4.0, -0.5, 0.125];
        let y = [1.0, 0.0, 0.25, 1.0, 0.0, 0.5];
        check_slopes("bce", &z, |v| bce_with_logits(v, &y).unwrap());
        check_slopes("cross-entropy", &z, |v| {
            cross_entropy(&[&v[..3], &v[3..]], &[2, 0]).unwrap()
        });
        // The class at the largest logit, and ties.
        check_slopes("cross-entropy top", &[3.0, 1.0, 3.0], |v| {
            cross_entropy(&[v], &[0]).unwrap()
        });
    }

    #[test]
    fn bce_and_cross_entropy_known_values() {
        // BCE at z = ±2 against y = 1: ln(1 + e^-2) and ln(1 + e^2).
        let z = [Value::new(2.0f64), Value::new(-2.0)];
        let l = bce_with_logits(&z, &[1.0, 1.0]).unwrap().data();
        let want = ((-2.0f64).exp().ln_1p() + 2.0f64.exp().ln_1p()) / 2.0;
        assert!((l - want).abs() < 1e-15, "{l} vs {want}");
        // Far out, no overflow and no NaN.
        let z = [Value::new(800.0f64), Value::new(-800.0)];
        let b = bce_with_logits(&z, &[0.0, 1.0]).unwrap();
        assert_eq!(b.data(), 800.0);
        b.backward();
        assert_eq!((z[0].grad(), z[1].grad()), (0.5, -0.5));
        let row = [Value::new(1000.0f64), Value::new(0.0)];
        assert_eq!(cross_entropy(&[&row[..]], &[1]).unwrap().data(), 1000.0);
    }

    #[test]
    fn cross_entropy_refuses_bad_classes() {
        let row = vec![Value::new(0.0f64); 2];
        assert_eq!(
            cross_entropy(std::slice::from_ref(&row), &[2]).unwrap_err(),
            Error::ClassOutOfRange {
                row: 0,
                class: 2,
                classes: 2
            }
        );
        assert!(matches!(
            cross_entropy(&[row], &[0, 1]),
            Err(Error::LossLength { .. })
        ));
        assert_eq!(Loss::ALL.len(), 5);
    }
}
