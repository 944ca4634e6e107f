//! Elementwise operations: the scalar engine's [`Unary`] and [`Binary`]
//! rules applied to every element, with broadcasting for two operands.

use ferrograd_scalar::{Binary, Unary};
use ndarray::{ArrayD, Zip};

use crate::tensor::backward::{needs, Grads};
use crate::tensor::broadcast::{
    array_like, checked_shape, reduce_to, repeats_over, stretch, zeros_like,
};
use crate::tensor::graph::Op;
use crate::tensor::{AutogradError, Tensor};
use crate::Float;

/// Runs `$body` with `$k` bound to a constant copy of `$f` when it is one
/// of the listed variants of `$ty`, so the rule's `match` folds away inside
/// the element loop; other variants (added later) run unfolded.
macro_rules! with_const {
    ($f:expr, $ty:ident [$($v:ident),*], $k:ident => $body:expr) => {{
        #[allow(unreachable_patterns)]
        match $f {
            $($ty::$v => {
                const $k: $ty = $ty::$v;
                $body
            })*
            other => {
                #[allow(non_snake_case)]
                let $k = other;
                $body
            }
        }
    }};
}

/// [`with_const`] for the [`Unary`] functions the hot paths use.
macro_rules! with_unary {
    ($u:expr, $k:ident => $body:expr) => {
        with_const!($u, Unary [Neg, Tanh, Exp, Ln, Sigmoid, Relu, Sqrt], $k => $body)
    };
}

/// [`with_const`] for the four arithmetic [`Binary`] operations.
macro_rules! with_binary {
    ($f:expr, $k:ident => $body:expr) => {
        with_const!($f, Binary [Add, Sub, Mul, Div], $k => $body)
    };
}

impl<T: Float> Tensor<T> {
    /// `u` applied to every element (any function of [`Unary::ALL`]).
    ///
    /// ```
    /// use ferrograd_scalar::Unary;
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::param([0.5f64, -1.0]);
    /// let y = x.unary(Unary::Sin);
    /// y.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap()[1], (-1.0f64).cos());
    /// ```
    pub fn unary(&self, u: Unary) -> Tensor<T> {
        let out = {
            let a = self.node.data.borrow();
            match a.as_slice() {
                Some(sa) => with_unary!(u, K => array_like(&a, sa.iter().map(|&x| K.value(x)))),
                None => with_unary!(u, K => a.map(|&x| K.value(x))),
            }
        };
        Tensor::from_op(out, Op::Unary(u, self.clone()))
    }

    /// `f(self, c)`, or `f(c, self)` when `left`, elementwise with a plain
    /// float: what the operators with a float operand (`&t * 2.0`,
    /// `1.0 - &t`) compute. The float is no node of the graph (as in
    /// PyTorch); the values and slopes are the scalar engine's `f`'s.
    pub(crate) fn with_float(&self, f: Binary, c: T, left: bool) -> Tensor<T> {
        let out = {
            let a = self.node.data.borrow();
            match (a.as_slice(), left) {
                (Some(sa), false) => {
                    with_binary!(f, K => array_like(&a, sa.iter().map(|&x| K.value(x, c))))
                }
                (Some(sa), true) => {
                    with_binary!(f, K => array_like(&a, sa.iter().map(|&x| K.value(c, x))))
                }
                (None, false) => with_binary!(f, K => a.map(|&x| K.value(x, c))),
                (None, true) => with_binary!(f, K => a.map(|&x| K.value(c, x))),
            }
        };
        Tensor::from_op(
            out,
            Op::Scalar {
                f,
                a: self.clone(),
                c,
                left,
            },
        )
    }

    /// `tanh` of every element.
    pub fn tanh(&self) -> Tensor<T> {
        self.unary(Unary::Tanh)
    }

    /// `exp` of every element.
    pub fn exp(&self) -> Tensor<T> {
        self.unary(Unary::Exp)
    }

    /// The natural logarithm of every element (`torch.log`).
    pub fn ln(&self) -> Tensor<T> {
        self.unary(Unary::Ln)
    }

    /// The logistic sigmoid of every element.
    pub fn sigmoid(&self) -> Tensor<T> {
        self.unary(Unary::Sigmoid)
    }

    /// `max(x, 0)` of every element (NaN stays NaN; slope 0 at 0).
    pub fn relu(&self) -> Tensor<T> {
        self.unary(Unary::Relu)
    }

    /// The square root of every element.
    pub fn sqrt(&self) -> Tensor<T> {
        self.unary(Unary::Sqrt)
    }

    /// `|x|` of every element (slope 0 at 0).
    pub fn abs(&self) -> Tensor<T> {
        self.unary(Unary::Abs)
    }

    /// `sin` of every element.
    pub fn sin(&self) -> Tensor<T> {
        self.unary(Unary::Sin)
    }

    /// `cos` of every element.
    pub fn cos(&self) -> Tensor<T> {
        self.unary(Unary::Cos)
    }

    /// `ln(1 + x)` of every element, accurate for small `x`.
    pub fn log1p(&self) -> Tensor<T> {
        self.unary(Unary::Log1p)
    }

    /// `exp(x) - 1` of every element, accurate for small `x`.
    pub fn expm1(&self) -> Tensor<T> {
        self.unary(Unary::Expm1)
    }

    /// `-x` (also the unary `-` operator).
    pub fn neg(&self) -> Tensor<T> {
        self.unary(Unary::Neg)
    }

    /// `f(self, other)` elementwise, broadcasting both operands; an error
    /// naming both shapes when they do not broadcast.
    pub fn binary(&self, f: Binary, other: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let a = self.node.data.borrow();
            let b = other.node.data.borrow();
            match Repeat::of(&a, &b) {
                Some(r) => with_binary!(f, K => r.forward(|x, y| K.value(x, y))),
                None => {
                    let shape = checked_shape(f.name(), a.shape(), b.shape())?;
                    let (a, b) = (
                        stretch(f.name(), &a, &shape)?,
                        stretch(f.name(), &b, &shape)?,
                    );
                    with_binary!(f, K => Zip::from(&a).and(&b).map_collect(|&x, &y| K.value(x, y)))
                }
            }
        };
        Ok(Tensor::from_op(
            out,
            Op::Binary(f, self.clone(), other.clone()),
        ))
    }

    /// `self + other` with broadcasting (a float is a 0-dimensional constant).
    pub fn try_add(&self, other: impl Into<Tensor<T>>) -> Result<Tensor<T>, AutogradError> {
        self.binary(Binary::Add, &other.into())
    }

    /// `self - other` with broadcasting.
    pub fn try_sub(&self, other: impl Into<Tensor<T>>) -> Result<Tensor<T>, AutogradError> {
        self.binary(Binary::Sub, &other.into())
    }

    /// `self * other` with broadcasting.
    pub fn try_mul(&self, other: impl Into<Tensor<T>>) -> Result<Tensor<T>, AutogradError> {
        self.binary(Binary::Mul, &other.into())
    }

    /// `self / other` with broadcasting.
    pub fn try_div(&self, other: impl Into<Tensor<T>>) -> Result<Tensor<T>, AutogradError> {
        self.binary(Binary::Div, &other.into())
    }

    /// `self ** exponent` with broadcasting; the exponent is a float or a
    /// tensor (whose gradient is `out ln self`).
    pub fn try_pow(&self, exponent: impl Into<Tensor<T>>) -> Result<Tensor<T>, AutogradError> {
        self.binary(Binary::Pow, &exponent.into())
    }

    /// `self ** exponent`, as [`Tensor::try_pow`], panicking with its
    /// message when the shapes do not broadcast (never for a float exponent).
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::param([3.0f64]);
    /// let y = x.pow(2.0);
    /// y.backward().unwrap();
    /// assert_eq!(y.item().unwrap(), 9.0);
    /// assert_eq!(x.grad().unwrap()[0], 6.0);
    /// ```
    pub fn pow(&self, exponent: impl Into<Tensor<T>>) -> Tensor<T> {
        self.try_pow(exponent).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Gradients of `u(a)` given its output and the upstream gradient.
pub(crate) fn unary_backward<T: Float>(
    u: Unary,
    a: &ArrayD<T>,
    out: &ArrayD<T>,
    g: &ArrayD<T>,
) -> ArrayD<T> {
    if let (Some(sa), Some(so), Some(sg)) = (a.as_slice(), out.as_slice(), g.as_slice()) {
        // One pass over slices.
        let slopes = sa.iter().zip(so).zip(sg);
        return with_unary!(u, K => array_like(g, slopes.map(|((&a, &o), &g)| K.grad(a, o, g))));
    }
    with_unary!(u, K => Zip::from(a).and(out).and(g).map_collect(|&a, &o, &g| K.grad(a, o, g)))
}

/// The gradient of `f(a, c)` (or `f(c, a)` when `left`) for `a`, given the
/// output and the upstream gradient.
pub(crate) fn float_backward<T: Float>(
    f: Binary,
    a: &ArrayD<T>,
    (c, left): (T, bool),
    out: &ArrayD<T>,
    g: &ArrayD<T>,
) -> ArrayD<T> {
    let slope = |x: T, o: T, g: T| with_binary!(f, K => if left { K.grads(c, x, o, g).1 } else { K.grads(x, c, o, g).0 });
    match (a.as_slice(), out.as_slice(), g.as_slice()) {
        (Some(sa), Some(so), Some(sg)) => array_like(
            g,
            sa.iter()
                .zip(so)
                .zip(sg)
                .map(|((&x, &o), &g)| slope(x, o, g)),
        ),
        _ => Zip::from(a)
            .and(out)
            .and(g)
            .map_collect(|&x, &o, &g| slope(x, o, g)),
    }
}

/// Sends the gradients of `f(a, b)` to the operands that need one, each
/// summed back to its operand's shape.
pub(crate) fn binary_backward<T: Float>(
    f: Binary,
    a: &Tensor<T>,
    b: &Tensor<T>,
    out: &ArrayD<T>,
    g: &ArrayD<T>,
    grads: &mut Grads<T>,
) -> Result<(), AutogradError> {
    let (need_a, need_b) = (needs(a), needs(b));
    let (ad, bd) = (a.data(), b.data());
    if let Some(r) =
        Repeat::of(&ad, &bd).filter(|_| g.is_standard_layout() && out.is_standard_layout())
    {
        // The loops take the full operand first.
        let (full, small) = if r.swapped { (b, a) } else { (a, b) };
        let (need_full, need_small) = if r.swapped {
            (need_b, need_a)
        } else {
            (need_a, need_b)
        };
        let targets = (need_full.then_some(full), need_small.then_some(small));
        with_binary!(f, K => if r.swapped {
            r.backward(out, g, targets, grads, |x, y, o, g| {
                let (p, q) = K.grads(y, x, o, g);
                (q, p)
            })
        } else {
            r.backward(out, g, targets, grads, |x, y, o, g| K.grads(x, y, o, g))
        });
        return Ok(());
    }
    let shape = out.shape();
    let (av, bv) = (
        stretch(f.name(), &ad, shape)?,
        stretch(f.name(), &bd, shape)?,
    );
    let [ga, gb] = with_binary!(f, K => {
        let parts = Zip::from(&av).and(&bv).and(out).and(g);
        match (need_a, need_b) {
            (true, true) => {
                let mut ga = ArrayD::zeros(out.raw_dim());
                let mut gb = ArrayD::zeros(out.raw_dim());
                Zip::from(&mut ga).and(&mut gb).and(&av).and(&bv).and(out).and(g).for_each(
                    |da, db, &x, &y, &o, &g| {
                        let (p, q) = K.grads(x, y, o, g);
                        *da = p;
                        *db = q;
                    },
                );
                [Some(ga), Some(gb)]
            }
            (true, false) => [Some(parts.map_collect(|&x, &y, &o, &g| K.grads(x, y, o, g).0)), None],
            (false, true) => [None, Some(parts.map_collect(|&x, &y, &o, &g| K.grads(x, y, o, g).1))],
            (false, false) => [None, None],
        }
    });
    let (a_shape, b_shape) = (ad.shape().to_vec(), bd.shape().to_vec());
    drop((ad, bd));
    if let Some(ga) = ga {
        grads.add(a, reduce_to(ga, &a_shape));
    }
    if let Some(gb) = gb {
        grads.add(b, reduce_to(gb, &b_shape));
    }
    Ok(())
}

/// Contiguous operands where one, `small`, repeats whole over the other,
/// `full`, which has the result's shape (equal shapes, a scalar, or a bias
/// row against a batch): elementwise loops over slices instead of
/// `ndarray`'s general broadcasting iterator, and results made by cloning
/// an operand of the right shape instead of building a new shape.
struct Repeat<'a, T: Float> {
    full: &'a ArrayD<T>,
    small: &'a ArrayD<T>,
    /// Whether `full` is the second operand.
    swapped: bool,
}

/// A standard-layout array's elements.
fn elements<T: Float>(a: &ArrayD<T>) -> &[T] {
    a.as_slice()
        .unwrap_or_else(|| unreachable!("standard layout checked by Repeat::of"))
}

impl<'a, T: Float> Repeat<'a, T> {
    fn of(a: &'a ArrayD<T>, b: &'a ArrayD<T>) -> Option<Self> {
        if !(a.is_standard_layout() && b.is_standard_layout()) {
            return None;
        }
        let r = if repeats_over(b.shape(), a.shape()) {
            Repeat {
                full: a,
                small: b,
                swapped: false,
            }
        } else if repeats_over(a.shape(), b.shape()) {
            Repeat {
                full: b,
                small: a,
                swapped: true,
            }
        } else {
            return None;
        };
        (!r.small.is_empty()).then_some(r)
    }

    /// `f(a, b)` for every element.
    fn forward(&self, f: impl Fn(T, T) -> T) -> ArrayD<T> {
        // A copy of `full` has the result's shape; it is overwritten.
        let mut out = self.full.clone();
        let dst = out
            .as_slice_mut()
            .unwrap_or_else(|| unreachable!("a clone of a standard-layout array"));
        let small = elements(self.small);
        if self.swapped {
            each_repeat(dst, small, |x, y| f(y, x));
        } else {
            each_repeat(dst, small, f);
        }
        out
    }

    /// Sends `pair(full element, small element, out, g)`'s first slope to
    /// `full` (elementwise) and its second to `small` (summed over the
    /// repeats, in row order), each to its target when it has one.
    fn backward(
        &self,
        out: &ArrayD<T>,
        g: &ArrayD<T>,
        (to_full, to_small): (Option<&Tensor<T>>, Option<&Tensor<T>>),
        grads: &mut Grads<T>,
        pair: impl Fn(T, T, T, T) -> (T, T),
    ) {
        let loops = Loops {
            full: elements(self.full),
            small: elements(self.small),
            out: elements(out),
            g: elements(g),
        };
        // The small operand's gradient is summed in place in a zeroed copy
        // of it (its shape, no new layout to build).
        let mut small_part = to_small.map(|_| zeros_like(self.small));
        {
            let sums: &mut [T] = match small_part.as_mut() {
                Some(p) => p
                    .as_slice_mut()
                    .unwrap_or_else(|| unreachable!("zeros_like is in standard layout")),
                None => &mut [],
            };
            if let Some(t) = to_full {
                let slot = grads.slot(t);
                match slot {
                    // A second use of `full`: add into its gradient in place.
                    Some(acc) if acc.is_standard_layout() && acc.shape() == g.shape() => {
                        let dst = acc
                            .as_slice_mut()
                            .unwrap_or_else(|| unreachable!("standard layout checked"));
                        loops.run::<true, false>(dst, sums, &pair);
                    }
                    _ => {
                        // A copy of `g` has the gradient's shape; it is overwritten.
                        let mut part = g.clone();
                        let dst = part
                            .as_slice_mut()
                            .unwrap_or_else(|| unreachable!("standard layout checked"));
                        loops.run::<false, true>(dst, sums, &pair);
                        grads.add(t, part);
                    }
                }
            } else {
                loops.run::<false, false>(&mut [], sums, &pair);
            }
        }
        if let (Some(t), Some(part)) = (to_small, small_part) {
            grads.add(t, part);
        }
    }
}

/// `dst[i] = f(dst[i], small[i % small.len()])`, `dst` a whole number of
/// repeats of `small`.
fn each_repeat<T: Float>(dst: &mut [T], small: &[T], f: impl Fn(T, T) -> T) {
    match small {
        [y] => dst.iter_mut().for_each(|d| *d = f(*d, *y)),
        _ => {
            for row in dst.chunks_exact_mut(small.len()) {
                for (d, &y) in row.iter_mut().zip(small) {
                    *d = f(*d, y);
                }
            }
        }
    }
}

/// The element loops of [`Repeat::backward`], over slices.
struct Loops<'s, T> {
    full: &'s [T],
    small: &'s [T],
    out: &'s [T],
    g: &'s [T],
}

impl<T: Float> Loops<'_, T> {
    /// With `pair`'s slopes `(p, q)` at each element: `dst[i] += p` (`ADD`)
    /// or `dst[i] = p` (`SET`), or nothing to `dst` when neither; and
    /// `sums[j] += q` when `sums` is not empty. The flags are constants, so
    /// each combination compiles to its own branch-free loop.
    fn run<const ADD: bool, const SET: bool>(
        &self,
        dst: &mut [T],
        sums: &mut [T],
        pair: &impl Fn(T, T, T, T) -> (T, T),
    ) {
        let n = self.small.len();
        let sum = !sums.is_empty();
        if n == 1 {
            // A scalar repeats over everything: one flat loop, the sum
            // kept in a register (still added element by element in order).
            let (y, len) = (self.small[0], self.full.len());
            let (x, o, g) = (self.full, &self.out[..len], &self.g[..len]);
            let d: &mut [T] = if ADD || SET { &mut dst[..len] } else { &mut [] };
            let mut total = sums.first().copied().unwrap_or(T::zero());
            for i in 0..len {
                let (p, q) = pair(x[i], y, o[i], g[i]);
                if ADD {
                    d[i] += p;
                } else if SET {
                    d[i] = p;
                }
                if sum {
                    total += q;
                }
            }
            if let Some(s) = sums.first_mut() {
                *s = total;
            }
            return;
        }
        let rows = self
            .full
            .chunks_exact(n)
            .zip(self.out.chunks_exact(n))
            .zip(self.g.chunks_exact(n))
            .enumerate();
        for (r, ((x, o), g)) in rows {
            let d: &mut [T] = if ADD || SET {
                &mut dst[r * n..(r + 1) * n]
            } else {
                &mut []
            };
            for j in 0..n {
                let (p, q) = pair(x[j], self.small[j], o[j], g[j]);
                if ADD {
                    d[j] += p;
                } else if SET {
                    d[j] = p;
                }
                if sum {
                    sums[j] += q;
                }
            }
        }
    }
}
