//! Operations as data: every node's recipe, its forward rule and its local
//! derivative sit here, each in one `match` on [`Kind`].

use std::borrow::Cow;

use crate::Scalar;

pub(crate) mod binary;
pub(crate) mod rules;
pub(crate) mod unary;

/// Index of a node in its thread's tape.
pub(crate) type Id = u32;

/// How a new node is computed: the operation and the ids of its operands,
/// as the engine's callers describe it. The tape stores it lowered to a
/// [`Kind`] and two operand slots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op<T> {
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
    /// The stored form: kind and the two operand slots. A constant float
    /// exponent becomes a leaf node first (returned as the last field, for
    /// the tape to record); an integer exponent is kept in the second slot.
    #[inline(always)]
    pub(crate) fn lower(self) -> (Kind, Id, Id, Option<T>) {
        use Op::*;
        match self {
            Add(a, b) => (Kind::Add, a, b, None),
            Sub(a, b) => (Kind::Sub, a, b, None),
            Mul(a, b) => (Kind::Mul, a, b, None),
            Div(a, b) => (Kind::Div, a, b, None),
            Pow(a, b) => (Kind::Pow, a, b, None),
            Neg(a) => (Kind::Neg, a, NO_ID, None),
            Tanh(a) => (Kind::Tanh, a, NO_ID, None),
            Exp(a) => (Kind::Exp, a, NO_ID, None),
            Ln(a) => (Kind::Ln, a, NO_ID, None),
            Sigmoid(a) => (Kind::Sigmoid, a, NO_ID, None),
            Relu(a) => (Kind::Relu, a, NO_ID, None),
            Sqrt(a) => (Kind::Sqrt, a, NO_ID, None),
            // Two's-complement bits of the exponent; `Kind::Powi` reads them back.
            Powi(a, n) => (Kind::Powi, a, n as u32, None),
            Powf(a, e) => (Kind::Powf, a, NO_ID, Some(e)),
        }
    }
}

/// Marks an unused operand slot.
pub(crate) const NO_ID: Id = u32::MAX;

/// The operation of a stored node. Every rule of an operation (how many
/// operands it keeps alive, its value, its local derivative, its name) is
/// one `match` on this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Leaf,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Neg,
    Tanh,
    Exp,
    Ln,
    Sigmoid,
    Relu,
    Sqrt,
    /// `a ** n`; the second slot holds `n`'s bits, not a node.
    Powi,
    /// `a ** e`; the second slot is a constant leaf holding `e`.
    Powf,
    /// A neuron's `b + w0 x0 + w1 x1 + ...` as one node: the first slot is
    /// where its operand list `[b, w0, x0, w1, x1, ...]` starts in its
    /// chunk's list store, the second the number of inputs.
    Dot,
}

impl Kind {
    /// Operand slots that hold nodes (kept alive by this node).
    #[inline(always)]
    pub(crate) fn arity(self) -> usize {
        use Kind::*;
        match self {
            // A dot's operands live in a list, not in the two slots.
            Leaf | Dot => 0,
            Add | Sub | Mul | Div | Pow | Powf => 2,
            Neg | Tanh | Exp | Ln | Sigmoid | Relu | Sqrt | Powi => 1,
        }
    }

    /// Operands that receive a gradient (a constant exponent does not) and
    /// that pictures show as children.
    #[inline(always)]
    pub(crate) fn inputs(self) -> usize {
        match self {
            Kind::Powf => 1,
            k => k.arity(),
        }
    }

    /// Forward rule: the node's value from its operands' values `a` and `b`
    /// (`b` is ignored by unary operations; `n` is `Powi`'s exponent).
    #[inline(always)]
    pub(crate) fn eval<T: Scalar>(self, a: T, b: T, n: i32) -> T {
        use Kind::*;
        match self {
            Leaf | Dot => a,
            Add => a + b,
            Sub => a - b,
            Mul => a * b,
            Div => a / b,
            Pow | Powf => a.powf(b),
            Neg => -a,
            Tanh => a.tanh(),
            Exp => a.exp(),
            Ln => a.ln(),
            Sigmoid => T::one() / (T::one() + (-a).exp()),
            Relu => {
                // `max` would turn NaN into 0; IEEE propagation is promised.
                if a > T::zero() || a.is_nan() {
                    a
                } else {
                    T::zero()
                }
            }
            Sqrt => a.sqrt(),
            Powi => rules::powi(a, n),
        }
    }

    /// Local chain rule: given the upstream gradient `g` of this node, whose
    /// value is `out`, the contributions to its operands `(a, b)`.
    ///
    /// The derivatives are libtorch's (`derivatives.yaml`), its conventions at
    /// kinks included, but each is *computed* so that it stays accurate to a
    /// few ulps wherever the exact value is well-conditioned: `cargo xtask
    /// parity` checks them against values computed to 60 digits, and the
    /// careful forms live in [`rules`] (with the reasons):
    ///
    /// | op | d/da | d/db |
    /// |---|---|---|
    /// | a + b | g | g |
    /// | a - b | g | -g |
    /// | a * b | g b | g a |
    /// | a / b | g / b | -(g / b) out ([`rules::div_grad_b`]) |
    /// | a ** b | g b out / a, else g b a^(b-1) (0 when b = 0) | g out ln a (0 when a = 0, b >= 0) |
    /// | -a | -g | |
    /// | tanh a | g (1 - out^2) for \|out\| < 1/2, else g 4e/(1+e)^2, e = exp(-2\|a\|) | |
    /// | exp a | g out | |
    /// | ln a | g / a | |
    /// | sigmoid a | g out (1 - out) for a <= 0, else g e/(1+e)^2, e = exp(-a) | |
    /// | relu a | 0 if out <= 0 else g (so NaN passes g on, as ATen's `threshold_backward`) | |
    /// | sqrt a | g / (2 out) | |
    /// | a ** n | g n a^(n-1) (`n - 1` in `i64`, formed in `f64`; 0 when n = 0) | |
    /// | a ** e | as `a ** b` (0 when e = 0) | |
    /// | b + sum w_i x_i | d/db = g, d/dw_i = g x_i, d/dx_i = g w_i | |
    #[inline(always)]
    pub(crate) fn grads<T: Scalar>(self, a: T, b: T, n: i32, out: T, g: T) -> (T, T) {
        use Kind::*;
        let zero = T::zero();
        match self {
            // A dot's rule is in `Tape::dot_grads`: d/db = g, d/dw_i = g x_i, d/dx_i = g w_i.
            Leaf | Dot => (zero, zero),
            Add => (g, g),
            Sub => (g, -g),
            Mul => (g * b, g * a),
            Div => (g / b, rules::div_grad_b(g, b, out)),
            Pow => {
                // A zero exponent gives 0 even for an infinite or NaN `g`.
                let da = if b == zero {
                    zero
                } else {
                    g * rules::powf_slope(a, b, out)
                };
                let db = if a == zero && b >= zero {
                    zero
                } else {
                    g * (out * a.ln())
                };
                (da, db)
            }
            Neg => (-g, zero),
            Tanh => (g * rules::tanh_slope(a, out), zero),
            Exp => (g * out, zero),
            Ln => (g / a, zero),
            Sigmoid => (g * rules::sigmoid_slope(a, out), zero),
            // `<=`, not `>`: NaN passes the gradient on, as ATen does.
            Relu => (if out <= zero { zero } else { g }, zero),
            Sqrt => (g / (out + out), zero),
            Powi if n == 0 => (zero, zero),
            Powi => (g * rules::powi_slope(a, n), zero),
            Powf if b == zero => (zero, zero),
            Powf => (g * rules::powf_slope(a, b, out), zero),
        }
    }

    /// The display name micrograd's pictures show (`+`, `*`, `tanh`, `**2`);
    /// `b` is the exponent's value and `n` the integer exponent.
    pub(crate) fn name<T: Scalar>(self, b: T, n: i32) -> Cow<'static, str> {
        use Kind::*;
        match self {
            Leaf => Cow::Borrowed(""),
            Dot => Cow::Borrowed("dot"),
            Add => Cow::Borrowed("+"),
            Sub => Cow::Borrowed("-"),
            Mul => Cow::Borrowed("*"),
            Div => Cow::Borrowed("/"),
            Pow => Cow::Borrowed("**"),
            Neg => Cow::Borrowed("neg"),
            Tanh => Cow::Borrowed("tanh"),
            Exp => Cow::Borrowed("exp"),
            Ln => Cow::Borrowed("ln"),
            Sigmoid => Cow::Borrowed("sigmoid"),
            Relu => Cow::Borrowed("ReLU"),
            Sqrt => Cow::Borrowed("sqrt"),
            Powi => Cow::Owned(format!("**{n}")),
            Powf => Cow::Owned(format!("**{b}")),
        }
    }
}
