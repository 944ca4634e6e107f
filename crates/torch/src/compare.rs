//! The tolerance rule, and the bookkeeping of one scenario's worst case.
//!
//! Two numbers `a` (an engine) and `b` (libtorch) agree when
//! `|a - b| <= max(rel * max(|a|, |b|), abs)`, which is
//! `approx::relative_eq!(a, b, epsilon = abs, max_relative = rel)`: relative
//! agreement, with an absolute floor `abs` for results near zero, where a
//! relative error means nothing (`1 - tanh(x)^2` for a large `x` is a few
//! ulps of 1 in both, so its relative error can be 1 while both are right).
//! Both NaN agree; NaN on one side only, or infinities of different sign,
//! never do. The error a report prints is
//! `|a - b| / max(|a|, |b|, abs / rel)`: at most `rel` exactly when the two
//! agree, so "worst relative error <= tolerance" reads straight off the table.

use serde::Serialize;

/// A relative tolerance with an absolute floor near zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Largest relative difference.
    pub rel: f64,
    /// Absolute difference always accepted (results near zero).
    pub abs: f64,
}

impl Tolerance {
    /// f64: relative 1e-10, absolute floor 1e-12.
    pub const F64: Tolerance = Tolerance {
        rel: 1e-10,
        abs: 1e-12,
    };
    /// f32: relative 1e-4, absolute floor 1e-6.
    pub const F32: Tolerance = Tolerance {
        rel: 1e-4,
        abs: 1e-6,
    };

    /// Whether `a` and `b` agree (see the module documentation).
    pub fn agrees(&self, a: f64, b: f64) -> bool {
        if a.is_nan() || b.is_nan() {
            return a.is_nan() && b.is_nan();
        }
        approx::relative_eq!(a, b, epsilon = self.abs, max_relative = self.rel)
    }

    /// The error a report prints: `<= rel` exactly when [`Tolerance::agrees`].
    pub fn error(&self, a: f64, b: f64) -> f64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if a == b {
            return 0.0;
        }
        if a.is_infinite() || b.is_infinite() {
            return f64::INFINITY;
        }
        (a - b).abs() / a.abs().max(b.abs()).max(self.abs / self.rel)
    }
}

/// `(label i, a[i], b[i])` for every index both slices have: the numbers of
/// one case in the form [`Worst::case`] reads.
pub(crate) fn labelled<'a>(
    label: &'a str,
    a: &'a [f64],
    b: &'a [f64],
) -> impl Iterator<Item = (String, f64, f64)> + 'a {
    a.iter()
        .zip(b)
        .enumerate()
        .map(move |(i, (x, y))| (format!("{label}{i}"), *x, *y))
}

/// The worst comparison seen so far in a scenario.
#[derive(Debug, Clone, Default)]
pub struct Worst {
    /// Cases compared (a case is one program, one network or one trajectory).
    pub cases: usize,
    /// Numbers compared.
    pub numbers: usize,
    /// Cases with at least one disagreement.
    pub mismatches: usize,
    /// Largest [`Tolerance::error`].
    pub error: f64,
    /// The case it came from.
    pub case: Option<String>,
    /// Which number of the case (`"value"`, `"grad x1"`, `"loss step 17"`).
    pub what: Option<String>,
    /// The engine's and the oracle's numbers there.
    pub pair: Option<(f64, f64)>,
}

impl Worst {
    /// Compares one case's numbers (`(what, engine, oracle)`); returns
    /// whether they all agree.
    pub fn case<'a>(
        &mut self,
        tol: Tolerance,
        case: impl Fn() -> String,
        numbers: impl IntoIterator<Item = (String, f64, f64)> + 'a,
    ) -> bool {
        self.cases += 1;
        let mut ok = true;
        for (what, a, b) in numbers {
            self.numbers += 1;
            let err = tol.error(a, b);
            ok &= tol.agrees(a, b);
            if err > self.error || self.case.is_none() {
                self.error = err;
                self.case = Some(case());
                self.what = Some(what);
                self.pair = Some((a, b));
            }
        }
        if !ok {
            self.mismatches += 1;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_with_an_absolute_floor() {
        let t = Tolerance::F64;
        assert!(t.agrees(1.0, 1.0 + 5e-11));
        assert!(!t.agrees(1.0, 1.0 + 5e-10));
        assert!(t.agrees(1e-13, -1e-13), "near zero the floor decides");
        assert!(!t.agrees(1e-9, 2e-9));
        assert!(t.error(1.0, 1.0 + 5e-11) <= t.rel);
        assert!(t.error(1e-13, -1e-13) <= t.rel);
        assert!(t.error(1e-9, 2e-9) > t.rel);
    }

    #[test]
    fn nan_on_one_side_is_a_mismatch() {
        let t = Tolerance::F32;
        assert!(!t.agrees(f64::NAN, 1.0));
        assert!(!t.agrees(0.0, f64::NAN));
        assert!(t.agrees(f64::NAN, f64::NAN));
        assert_eq!(t.error(f64::NAN, 1.0), f64::INFINITY);
        assert!(t.agrees(f64::INFINITY, f64::INFINITY));
        assert!(!t.agrees(f64::INFINITY, f64::NEG_INFINITY));
        assert!(!t.agrees(f64::INFINITY, 1e300));
    }

    #[test]
    fn worst_keeps_the_largest_error_and_its_case() {
        let mut w = Worst::default();
        let t = Tolerance::F64;
        assert!(w.case(t, || "a".into(), [("v".to_string(), 1.0, 1.0)]));
        assert!(!w.case(t, || "b".into(), [("g".to_string(), 1.0, 1.1)]));
        assert!(w.case(t, || "c".into(), [("v".to_string(), 2.0, 2.0)]));
        assert_eq!((w.cases, w.mismatches), (3, 1));
        assert_eq!(w.case.as_deref(), Some("b"));
        assert_eq!(w.what.as_deref(), Some("g"));
    }
}
