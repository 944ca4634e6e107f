//! Operations as data: every node's recipe, its forward rule and its local
//! derivative sit here, each in one `match` on [`Kind`]. The elementwise
//! functions are [`Unary`] and [`Binary`], declared once for every engine;
//! this file only adds what the tape needs besides them (leaves, constant
//! exponents, a neuron's dot product).

use std::borrow::Cow;

use crate::Scalar;

pub(crate) mod binary;
pub(crate) mod rules;
pub(crate) mod unary;

pub(crate) use binary::Binary;
pub(crate) use unary::Unary;

/// Index of a node in its thread's tape.
pub(crate) type Id = u32;

/// How a new node is computed: the operation and the ids of its operands,
/// as the engine's callers describe it. The tape stores it lowered to a
/// [`Kind`] and two operand slots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op<T> {
    /// A function of two operands.
    Binary(Binary, Id, Id),
    /// A function of one operand.
    Unary(Unary, Id),
    Powi(Id, i32),
    Powf(Id, T),
}

impl<T: Scalar> Op<T> {
    /// The stored form: kind and the two operand slots. A constant float
    /// exponent becomes a leaf node first (returned as the last field, for
    /// the tape to record); an integer exponent is kept in the second slot.
    #[inline(always)]
    pub(crate) fn lower(self) -> (Kind, Id, Id, Option<T>) {
        match self {
            Op::Binary(f, a, b) => (Kind::of(Recipe::Binary(f)), a, b, None),
            Op::Unary(f, a) => (Kind::of(Recipe::Unary(f)), a, NO_ID, None),
            // Two's-complement bits of the exponent; `Recipe::Powi` reads them back.
            Op::Powi(a, n) => (Kind::POWI, a, n as u32, None),
            Op::Powf(a, e) => (Kind::POWF, a, NO_ID, Some(e)),
        }
    }
}

/// Marks an unused operand slot.
pub(crate) const NO_ID: Id = u32::MAX;

/// What a stored node is, read back from its [`Kind`] byte: the form the
/// rules below match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recipe {
    Leaf,
    Binary(Binary),
    Unary(Unary),
    /// `a ** n`; the second slot holds `n`'s bits, not a node.
    Powi,
    /// `a ** e`; the second slot is a constant leaf holding `e`.
    Powf,
    /// A neuron's `b + w0 x0 + w1 x1 + ...` as one node: the first slot is
    /// where its operand list `[b, w0, x0, w1, x1, ...]` starts in its
    /// chunk's list store, the second the number of inputs.
    Dot,
}

impl Recipe {
    /// Local chain rule: given the upstream gradient `g` of this node, whose
    /// value is `out`, the contributions to its operands `(a, b)`.
    ///
    /// The elementwise functions' rules are [`Unary::grad`] and
    /// [`Binary::grads`] (tables there); the careful forms live in [`rules`]
    /// (with the reasons), and `cargo xtask parity` checks them against
    /// values computed to 60 digits. The tape's own:
    ///
    /// | op | d/da |
    /// |---|---|
    /// | a ** n | g n a^(n-1) (`n - 1` in `i64`, formed in `f64`; 0 when n = 0) |
    /// | a ** e | as `a ** b`'s d/da (0 when e = 0) |
    /// | b + sum w_i x_i | d/db = g, d/dw_i = g x_i, d/dx_i = g w_i |
    #[inline(always)]
    pub(crate) fn grads<T: Scalar>(self, a: T, b: T, n: i32, out: T, g: T) -> (T, T) {
        let zero = T::zero();
        match self {
            // A dot's rule is in `Tape::dot_grads`: d/db = g, d/dw_i = g x_i, d/dx_i = g w_i.
            Recipe::Leaf | Recipe::Dot => (zero, zero),
            Recipe::Binary(f) => f.grads(a, b, out, g),
            Recipe::Unary(f) => (f.grad(a, out, g), zero),
            Recipe::Powi => (rules::powi_grad(g, a, n, out), zero),
            Recipe::Powf => (rules::powf_grad(g, a, b, out), zero),
        }
    }
}

/// The operation of a stored node, as one byte.
///
/// A [`Recipe`] with a function inside takes two bytes (its tag and the
/// function's), and every match on it dispatches twice: once on the tag,
/// once on the function. Numbering every function in one byte lets the
/// backward sweep pick a node's rule with one jump, which is most of the
/// cost of a node on graphs of `+` and `*`. Every rule of an operation (how
/// many operands it keeps alive, its value, its local derivative, its name)
/// is one `match` on its [`Recipe`]; the elementwise functions' rules are
/// [`Unary`]'s and [`Binary`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind(u8);

impl Kind {
    pub(crate) const LEAF: Kind = Kind(0);
    pub(crate) const DOT: Kind = Kind(1);
    pub(crate) const POWI: Kind = Kind(2);
    pub(crate) const POWF: Kind = Kind(3);
    /// The binary operations the backward sweep matches on by byte.
    pub(crate) const ADD: Kind = Kind::of(Recipe::Binary(Binary::Add));
    pub(crate) const SUB: Kind = Kind::of(Recipe::Binary(Binary::Sub));
    pub(crate) const MUL: Kind = Kind::of(Recipe::Binary(Binary::Mul));
    /// The first [`Binary`] function's code; they follow in declaration order.
    const BINARY: u8 = 4;
    /// The first [`Unary`] function's code.
    const UNARY: u8 = Self::BINARY + Binary::ALL.len() as u8;

    /// The node of `recipe`.
    #[inline(always)]
    pub(crate) const fn of(recipe: Recipe) -> Kind {
        match recipe {
            Recipe::Leaf => Kind::LEAF,
            Recipe::Dot => Kind::DOT,
            Recipe::Powi => Kind::POWI,
            Recipe::Powf => Kind::POWF,
            Recipe::Binary(f) => Kind(Self::BINARY + f.code()),
            Recipe::Unary(f) => Kind(Self::UNARY + f.code()),
        }
    }

    /// The recipe this byte stands for.
    #[inline(always)]
    pub(crate) fn recipe(self) -> Recipe {
        if let Some(f) = self.unary() {
            return Recipe::Unary(f);
        }
        match self.0 {
            c if c >= Self::BINARY => Recipe::Binary(Binary::from_code(c - Self::BINARY)),
            0 => Recipe::Leaf,
            1 => Recipe::Dot,
            2 => Recipe::Powi,
            _ => Recipe::Powf,
        }
    }

    /// The function of a [`Recipe::Unary`] node, found with one test.
    #[inline(always)]
    pub(crate) fn unary(self) -> Option<Unary> {
        match self.0 {
            c if c >= Self::UNARY => Some(Unary::from_code(c - Self::UNARY)),
            _ => None,
        }
    }

    /// Operand slots that hold nodes (kept alive by this node).
    #[inline(always)]
    pub(crate) fn arity(self) -> usize {
        match self.recipe() {
            // A dot's operands live in a list, not in the two slots.
            Recipe::Leaf | Recipe::Dot => 0,
            Recipe::Binary(_) | Recipe::Powf => 2,
            Recipe::Unary(_) | Recipe::Powi => 1,
        }
    }

    /// Operands that receive a gradient (a constant exponent does not) and
    /// that pictures show as children.
    #[inline(always)]
    pub(crate) fn inputs(self) -> usize {
        match self.recipe() {
            Recipe::Powf => 1,
            _ => self.arity(),
        }
    }

    /// Forward rule: the node's value from its operands' values `a` and `b`
    /// (`b` is ignored by unary operations; `n` is `Powi`'s exponent).
    #[inline(always)]
    pub(crate) fn eval<T: Scalar>(self, a: T, b: T, n: i32) -> T {
        match self.recipe() {
            Recipe::Leaf | Recipe::Dot => a,
            Recipe::Binary(f) => f.value(a, b),
            Recipe::Unary(f) => f.value(a),
            // The same rule as `a ** b`, with the exponent a constant.
            Recipe::Powf => Binary::Pow.value(a, b),
            Recipe::Powi => rules::powi(a, n),
        }
    }

    /// Local chain rule ([`Recipe::grads`]).
    #[inline(always)]
    pub(crate) fn grads<T: Scalar>(self, a: T, b: T, n: i32, out: T, g: T) -> (T, T) {
        self.recipe().grads(a, b, n, out, g)
    }

    /// The display name micrograd's pictures show (`+`, `*`, `tanh`, `**2`);
    /// `b` is the exponent's value and `n` the integer exponent.
    pub(crate) fn name<T: Scalar>(self, b: T, n: i32) -> Cow<'static, str> {
        match self.recipe() {
            Recipe::Leaf => Cow::Borrowed(""),
            Recipe::Dot => Cow::Borrowed("dot"),
            Recipe::Binary(f) => Cow::Borrowed(f.symbol()),
            Recipe::Unary(f) => Cow::Borrowed(f.symbol()),
            Recipe::Powi => Cow::Owned(format!("**{n}")),
            Recipe::Powf => Cow::Owned(format!("**{b}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    /// Asserts that `got`, a rule's slope of `f` at `x`, matches central
    /// differences in f64 (away from kinks, to 1e-7).
    pub(crate) fn assert_slope(got: f64, f: impl Fn(f64) -> f64, x: f64, what: &str) {
        let fd = crate::numeric::central_difference(f, x, 1e-6);
        assert!(
            (got - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
            "{what}: slope {got} at {x}, finite differences {fd}"
        );
    }

    /// `x^-3` of a tiny `x` is finite but its slope `-3 x^-4` overflows; a
    /// zero upstream gradient (`r - r`) still gives the exact 0, not NaN.
    #[test]
    fn a_zero_gradient_through_an_overflowing_slope_stays_zero() {
        let x = Value::new(9.475795164633155e-82f64);
        let r = x.powi(-3) + x.powi(-3);
        let z = &r - &r;
        z.backward();
        assert_eq!(x.grad(), 0.0);
        let y = Value::new(7.07e-27f32);
        let r = y.powi(-1);
        let d = &r - &r;
        d.backward();
        assert_eq!(y.grad(), 0.0);
        let w = Value::new(9.475795164633155e-82f64);
        let r = w.powf(-3.0);
        let e = &r - &r;
        e.backward();
        assert_eq!(w.grad(), 0.0);
        // A NaN argument still gives NaN.
        let n = Value::new(f64::NAN);
        (n.powi(-3) * 0.0).backward();
        assert!(n.grad().is_nan());
    }

    /// Slopes a float type cannot hold, in products it can: `-2 x^-3` at
    /// `x = 6.1e117` underflows f64 and at `x = -5.1e-16` overflows f32.
    /// Exact values: `x^-2` times the upstream gradient (mpmath).
    #[test]
    fn a_power_slope_out_of_range_still_gives_the_product() {
        // d/dx sin(-(x^-2 x)) = cos(..) x^-2: the x^-2 path carries +2 x^-2.
        let x = Value::new(6.124922941187498e117f64);
        let y = (-(x.powi(-2) * &x)).sin();
        y.backward();
        let want = 6.124922941187498e117f64.powi(-2);
        assert!(
            (x.grad() - want).abs() <= 4.0 * f64::EPSILON * want,
            "{}",
            x.grad()
        );
        // d/dx (x^-2 c) = -2 c x^-3 = 3.3e29 in f32.
        let x0 = -5.076481288230408e-16f64 as f32;
        let x = Value::new(x0);
        let c = 2.1679822469745366e-17f64 as f32;
        (x.powi(-2) * c).backward();
        let want = -2.0 * f64::from(c) * f64::from(x0).powi(-3);
        let got = f64::from(x.grad());
        assert!(
            (got - want).abs() <= 4.0 * f64::from(f32::EPSILON) * want.abs(),
            "{got} vs {want}"
        );
    }

    #[test]
    fn a_node_stays_40_bytes_with_its_kind_in_one_byte() {
        assert_eq!(std::mem::size_of::<Kind>(), 1);
        assert_eq!(std::mem::size_of::<crate::tape::Node<f64>>(), 40);
        assert!(std::mem::size_of::<crate::tape::Node<f32>>() <= 28);
    }

    /// Each named method records its function: value, gradient and picture
    /// label are [`Unary`]'s.
    #[test]
    fn the_new_methods_are_their_unary_functions() {
        type Method = fn(&Value<f64>) -> Value<f64>;
        let methods: [(Unary, Method); 5] = [
            (Unary::Abs, Value::abs),
            (Unary::Sin, Value::sin),
            (Unary::Cos, Value::cos),
            (Unary::Log1p, Value::log1p),
            (Unary::Expm1, Value::expm1),
        ];
        for (f, method) in methods {
            for a in [-0.75f64, 0.3, 2.0] {
                let x = Value::new(a);
                let y = method(&x);
                y.backward();
                assert_eq!(y.data(), f.value(a), "{}({a})", f.name());
                assert_eq!(x.grad(), f.grad(a, f.value(a), 1.0), "{}'({a})", f.name());
                assert_eq!(y.op(), f.symbol());
                assert_eq!(x.unary(f).data(), y.data());
            }
        }
        // sin'(1) = cos(1); log1p'(-0.5) = 2; abs'(-0) = 0 (PyTorch's sgn).
        let x = Value::new(1.0f64);
        x.sin().backward();
        assert_eq!(x.grad(), 1f64.cos());
        let x = Value::new(-0.5f64);
        x.log1p().backward();
        assert_eq!(x.grad(), 2.0);
        let x = Value::new(-0.0f64);
        x.abs().backward();
        assert_eq!(x.grad(), 0.0);
    }

    #[test]
    fn binary_by_value_is_the_operator() {
        let (a, b) = (Value::new(3.0f32), Value::new(4.0f32));
        for &f in Binary::ALL {
            assert_eq!(a.binary(f, &b).data(), f.value(3.0, 4.0), "{}", f.name());
        }
        assert_eq!((&a / &b).op(), "/");
    }
}
