//! The elementwise functions of two operands, declared once, as
//! [`Unary`](crate::Unary) declares those of one: the scalar tape, the batched
//! engine, the program form and the oracle all read [`Binary::ALL`].

use crate::op::rules;
use crate::Scalar;

/// An elementwise function of two operands.
///
/// ```
/// use ferrograd_scalar::Binary;
///
/// let out = Binary::Div.value(3.0f64, 4.0);
/// assert_eq!(out, 0.75);
/// // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2, times the upstream gradient 2.
/// assert_eq!(Binary::Div.grads(3.0, 4.0, out, 2.0), (0.5, -0.375));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binary {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a ** b` (`torch.pow` with a tensor exponent).
    Pow,
}

impl Binary {
    /// Every function, in declaration order.
    pub const ALL: &'static [Binary] = &[
        Binary::Add,
        Binary::Sub,
        Binary::Mul,
        Binary::Div,
        Binary::Pow,
    ];

    /// The function's place in [`Binary::ALL`].
    #[inline(always)]
    pub(crate) const fn code(self) -> u8 {
        self as u8
    }

    /// The function at `code` in [`Binary::ALL`] (the last one past the end).
    /// A `match`, not an index into `ALL`, so that the compiler sees the
    /// identity and a caller's `match` on the result becomes one jump.
    #[inline(always)]
    pub(crate) const fn from_code(code: u8) -> Binary {
        match code {
            0 => Binary::Add,
            1 => Binary::Sub,
            2 => Binary::Mul,
            3 => Binary::Div,
            _ => Binary::Pow,
        }
    }

    /// PyTorch's name of the function (`"add"`, `"pow"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Pow => "pow",
        }
    }

    /// The label micrograd's pictures show (`+`, `*`, `**`).
    pub fn symbol(self) -> &'static str {
        match self {
            Binary::Add => "+",
            Binary::Sub => "-",
            Binary::Mul => "*",
            Binary::Div => "/",
            Binary::Pow => "**",
        }
    }

    /// The function's value.
    #[inline(always)]
    pub fn value<T: Scalar>(self, a: T, b: T) -> T {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Pow => a.powf(b),
        }
    }

    /// The contributions `(to a, to b)` of the upstream gradient `g`, given
    /// `out = self.value(a, b)`.
    ///
    /// | f(a, b) | d/da | d/db |
    /// |---|---|---|
    /// | a + b | g | g |
    /// | a - b | g | -g |
    /// | a * b | g b | g a |
    /// | a / b | g / b | -(g / b) out, reordered if that overflows |
    /// | a ** b | g b out / a, else g b a^(b-1) (0 when b = 0) | g out ln a (0 when a = 0, b >= 0) |
    #[inline(always)]
    pub fn grads<T: Scalar>(self, a: T, b: T, out: T, g: T) -> (T, T) {
        let zero = T::zero();
        match self {
            Binary::Add => (g, g),
            Binary::Sub => (g, -g),
            Binary::Mul => (g * b, g * a),
            Binary::Div => (g / b, rules::div_grad_b(g, b, out)),
            Binary::Pow => {
                // A zero exponent gives 0 even for an infinite or NaN `g`.
                let da = if b == zero {
                    zero
                } else {
                    rules::powf_grad(g, a, b, out)
                };
                let db = if a == zero && b >= zero {
                    zero
                } else {
                    g * (out * a.ln())
                };
                (da, db)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grad_matches_central_differences() {
        for &f in Binary::ALL {
            for &(a, b) in &[(0.7f64, 1.3), (2.5, -0.4), (1.1, 3.0)] {
                let (ga, gb) = f.grads(a, b, f.value(a, b), 1.0);
                crate::op::tests::assert_slope(ga, |x| f.value(x, b), a, f.name());
                crate::op::tests::assert_slope(gb, |x| f.value(a, x), b, f.name());
            }
        }
    }

    #[test]
    fn pow_edges_follow_aten() {
        assert_eq!(Binary::Pow.grads(0.0f64, 2.0, 0.0, 1.0), (0.0, 0.0));
        assert_eq!(Binary::Pow.grads(3.0f64, 0.0, 1.0, f64::INFINITY).0, 0.0);
    }
}
