//! Slopes by finite differences, and a checker that compares them with
//! `backward()`.

use crate::{Scalar, Value};

/// The notebook's slope: `(f(x + h) - f(x)) / h`, a forward difference.
///
/// ```
/// use ferrograd_scalar::numeric::derivative;
/// let f = |x: f64| 3.0 * x * x - 4.0 * x + 5.0;
/// let slope = derivative(f, -3.0, 1e-7);
/// assert!((slope - -22.0).abs() < 1e-5);
/// ```
pub fn derivative<T: Scalar>(f: impl Fn(T) -> T, x: T, h: T) -> T {
    (f(x + h) - f(x)) / h
}

/// The symmetric slope `(f(x + h) - f(x - h)) / 2h`, accurate to `O(h^2)`.
pub fn central_difference<T: Scalar>(f: impl Fn(T) -> T, x: T, h: T) -> T {
    (f(x + h) - f(x - h)) / (h + h)
}

/// Gradients of one function at one point, by `backward()` and by central
/// differences, side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheck<T> {
    /// `f` at the point.
    pub value: T,
    /// d f / d x_i from `backward()`.
    pub analytic: Vec<T>,
    /// d f / d x_i from central differences.
    pub numeric: Vec<T>,
}

impl<T: Scalar> GradCheck<T> {
    /// The largest `|analytic - numeric|` (NaN if either side is NaN).
    pub fn max_abs_error(&self) -> T {
        self.analytic
            .iter()
            .zip(&self.numeric)
            .map(|(&a, &n)| (a - n).abs())
            .fold(T::zero(), |m, e| if e.is_nan() || e > m { e } else { m })
    }

    /// Whether every component satisfies `|a - n| <= atol + rtol |n|`
    /// (`numpy.isclose`'s rule; NaN never passes).
    pub fn passes(&self, rtol: T, atol: T) -> bool {
        self.analytic
            .iter()
            .zip(&self.numeric)
            .all(|(&a, &n)| (a - n).abs() <= atol + rtol * n.abs())
    }
}

/// Evaluates `f` at `x`, backpropagates, and compares each input's gradient
/// with the central difference of step `h`.
///
/// ```
/// use ferrograd_scalar::{numeric::check_gradients, Value};
/// let check = check_gradients(|v: &[Value<f64>]| (&v[0] * &v[1]).tanh() + v[0].exp(), &[0.3, -0.7], 1e-6);
/// assert!(check.passes(1e-6, 1e-8));
/// ```
pub fn check_gradients<T: Scalar>(
    f: impl Fn(&[Value<T>]) -> Value<T>,
    x: &[T],
    h: T,
) -> GradCheck<T> {
    let leaves: Vec<Value<T>> = x.iter().map(|&v| Value::new(v)).collect();
    let out = f(&leaves);
    out.backward();
    let analytic = leaves.iter().map(Value::grad).collect();
    let eval = |point: &[T]| {
        let leaves: Vec<Value<T>> = point.iter().map(|&v| Value::new(v)).collect();
        f(&leaves).data()
    };
    let mut point = x.to_vec();
    let numeric = (0..x.len())
        .map(|i| {
            point[i] = x[i] + h;
            let up = eval(&point);
            point[i] = x[i] - h;
            let down = eval(&point);
            point[i] = x[i];
            (up - down) / (h + h)
        })
        .collect();
    GradCheck {
        value: out.data(),
        analytic,
        numeric,
    }
}
