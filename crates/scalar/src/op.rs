//! Operations as data: every node's recipe, its forward rule and its local
//! derivative sit here, each in one `match`.

use std::borrow::Cow;

use crate::Scalar;

/// Index of a node in its thread's tape.
pub(crate) type Id = u32;

/// How a node was computed: the operation and the ids of its operands.
///
/// Parameters that are not nodes (the integer or float exponent) live in the
/// variant itself, so a node never needs a second allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op<T> {
    Leaf,
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    Pow(Id, Id),
    Neg(Id),
    Tanh(Id),
    Exp(Id),
    Ln(Id),
    Sigmoid(Id),
    Relu(Id),
    Sqrt(Id),
    Powi(Id, i32),
    Powf(Id, T),
}

impl<T: Scalar> Op<T> {
    /// The operands, first then second; `n` of them are meaningful.
    #[inline]
    pub(crate) fn operands(&self) -> ([Id; 2], usize) {
        use Op::*;
        match *self {
            Leaf => ([0, 0], 0),
            Add(a, b) | Sub(a, b) | Mul(a, b) | Div(a, b) | Pow(a, b) => ([a, b], 2),
            Neg(a)
            | Tanh(a)
            | Exp(a)
            | Ln(a)
            | Sigmoid(a)
            | Relu(a)
            | Sqrt(a)
            | Powi(a, _)
            | Powf(a, _) => ([a, 0], 1),
        }
    }

    /// Forward rule: the node's value from its operands' values `a` and `b`
    /// (`b` is ignored by unary operations).
    #[inline]
    pub(crate) fn eval(&self, a: T, b: T) -> T {
        use Op::*;
        match *self {
            Leaf => a,
            Add(..) => a + b,
            Sub(..) => a - b,
            Mul(..) => a * b,
            Div(..) => a / b,
            Pow(..) => a.powf(b),
            Neg(_) => -a,
            Tanh(_) => a.tanh(),
            Exp(_) => a.exp(),
            Ln(_) => a.ln(),
            Sigmoid(_) => T::one() / (T::one() + (-a).exp()),
            Relu(_) => {
                // `max` would turn NaN into 0; IEEE propagation is promised.
                if a > T::zero() || a.is_nan() {
                    a
                } else {
                    T::zero()
                }
            }
            Sqrt(_) => a.sqrt(),
            Powi(_, n) => a.powi(n),
            Powf(_, e) => a.powf(e),
        }
    }

    /// Local chain rule: given the upstream gradient `g` of this node, whose
    /// value is `out`, the contributions to its operands `(a, b)`.
    ///
    /// The formulas follow libtorch's `derivatives.yaml` term for term, so the
    /// parity suite compares like with like:
    ///
    /// | op | d/da | d/db |
    /// |---|---|---|
    /// | a + b | g | g |
    /// | a - b | g | -g |
    /// | a * b | g b | g a |
    /// | a / b | g / b | -g (a / b) / b |
    /// | a ** b | g b a^(b-1) (0 when b = 0) | g out ln a (0 when a = 0, b >= 0) |
    /// | -a | -g | |
    /// | tanh a | g (1 - out^2) | |
    /// | exp a | g out | |
    /// | ln a | g / a | |
    /// | sigmoid a | g (1 - out) out | |
    /// | relu a | g if out > 0 else 0 | |
    /// | sqrt a | g / (2 out) | |
    /// | a ** n | g n a^(n-1) (0 when n = 0) | |
    #[inline]
    pub(crate) fn grads(&self, a: T, b: T, out: T, g: T) -> (T, T) {
        use Op::*;
        let zero = T::zero();
        let one = T::one();
        match *self {
            Leaf => (zero, zero),
            Add(..) => (g, g),
            Sub(..) => (g, -g),
            Mul(..) => (g * b, g * a),
            Div(..) => (g / b, -g * ((a / b) / b)),
            Pow(..) => {
                let da = if b == zero {
                    zero
                } else {
                    g * b * a.powf(b - one)
                };
                let db = if a == zero && b >= zero {
                    zero
                } else {
                    g * (out * a.ln())
                };
                (da, db)
            }
            Neg(_) => (-g, zero),
            Tanh(_) => (g * (one - out * out), zero),
            Exp(_) => (g * out, zero),
            Ln(_) => (g / a, zero),
            Sigmoid(_) => (g * ((one - out) * out), zero),
            Relu(_) => (if out > zero { g } else { zero }, zero),
            Sqrt(_) => (g / (out + out), zero),
            Powi(_, n) => {
                if n == 0 {
                    (zero, zero)
                } else {
                    (g * (T::from_f64(f64::from(n)) * a.powi(n - 1)), zero)
                }
            }
            Powf(_, e) => {
                if e == zero {
                    (zero, zero)
                } else {
                    (g * (e * a.powf(e - one)), zero)
                }
            }
        }
    }

    /// The display name micrograd's pictures show (`+`, `*`, `tanh`, `**2`).
    pub(crate) fn name(&self) -> Cow<'static, str> {
        use Op::*;
        match *self {
            Leaf => Cow::Borrowed(""),
            Add(..) => Cow::Borrowed("+"),
            Sub(..) => Cow::Borrowed("-"),
            Mul(..) => Cow::Borrowed("*"),
            Div(..) => Cow::Borrowed("/"),
            Pow(..) => Cow::Borrowed("**"),
            Neg(_) => Cow::Borrowed("neg"),
            Tanh(_) => Cow::Borrowed("tanh"),
            Exp(_) => Cow::Borrowed("exp"),
            Ln(_) => Cow::Borrowed("ln"),
            Sigmoid(_) => Cow::Borrowed("sigmoid"),
            Relu(_) => Cow::Borrowed("ReLU"),
            Sqrt(_) => Cow::Borrowed("sqrt"),
            Powi(_, n) => Cow::Owned(format!("**{n}")),
            Powf(_, e) => Cow::Owned(format!("**{e}")),
        }
    }
}
