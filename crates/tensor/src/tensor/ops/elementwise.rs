//! Elementwise operations: the scalar engine's [`Unary`] and [`Binary`]
//! rules applied to every element, with broadcasting for two operands.

use ferrograd_scalar::{Binary, Unary};
use ndarray::{ArrayD, IxDyn, Zip};

use crate::tensor::broadcast::{checked_shape, reduce_to, stretch};
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
            with_unary!(u, K => a.map(|&x| K.value(x)))
        };
        Tensor::from_op(out, Op::Unary(u, self.clone()))
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
            let shape = checked_shape(f.name(), a.shape(), b.shape())?;
            match Repeat::of(&a, &b, &shape) {
                Some(r) => with_binary!(f, K => r.forward(&a, &b, &shape, |x, y| K.value(x, y))),
                None => {
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
    with_unary!(u, K => Zip::from(a).and(out).and(g).map_collect(|&a, &o, &g| K.grad(a, o, g)))
}

/// Gradients of `f(a, b)` for the operands that need one, each summed back
/// to its operand's shape.
pub(crate) fn binary_backward<T: Float>(
    f: Binary,
    (a, need_a): (&ArrayD<T>, bool),
    (b, need_b): (&ArrayD<T>, bool),
    out: &ArrayD<T>,
    g: &ArrayD<T>,
) -> Result<[Option<ArrayD<T>>; 2], AutogradError> {
    let shape = out.shape();
    if let Some(r) =
        Repeat::of(a, b, shape).filter(|_| g.is_standard_layout() && out.is_standard_layout())
    {
        return Ok(
            with_binary!(f, K => r.backward(a, b, out, g, need_a, need_b, |x, y, o, g| K.grads(x, y, o, g))),
        );
    }
    let (av, bv) = (stretch(f.name(), a, shape)?, stretch(f.name(), b, shape)?);
    let grads = with_binary!(f, K => {
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
    let [ga, gb] = grads;
    Ok([
        ga.map(|g| reduce_to(g, a.shape())),
        gb.map(|g| reduce_to(g, b.shape())),
    ])
}

/// Contiguous operands where one repeats whole over the other (equal
/// shapes, a scalar, or a bias row against a batch): elementwise loops over
/// slices instead of `ndarray`'s general broadcasting iterator, which walks
/// dynamic-rank indices element by element.
#[derive(Debug, Clone, Copy)]
enum Repeat {
    /// `b` (`n` elements) repeats over `a`, which has the output's shape.
    B(usize),
    /// `a` (`n` elements) repeats over `b`.
    A(usize),
}

/// Whether `small`, without its leading size-1 axes, is the tail of `full`.
fn is_tail(small: &[usize], full: &[usize]) -> bool {
    let lead = small.iter().take_while(|&&d| d == 1).count();
    let small = &small[lead..];
    small.len() <= full.len() && &full[full.len() - small.len()..] == small
}

impl Repeat {
    fn of<T: Float>(a: &ArrayD<T>, b: &ArrayD<T>, shape: &[usize]) -> Option<Repeat> {
        if !(a.is_standard_layout() && b.is_standard_layout()) {
            return None;
        }
        let r = if a.shape() == shape && is_tail(b.shape(), shape) {
            Repeat::B(b.len())
        } else if b.shape() == shape && is_tail(a.shape(), shape) {
            Repeat::A(a.len())
        } else {
            return None;
        };
        match r {
            Repeat::A(0) | Repeat::B(0) => None,
            r => Some(r),
        }
    }

    fn forward<T: Float>(
        self,
        a: &ArrayD<T>,
        b: &ArrayD<T>,
        shape: &[usize],
        f: impl Fn(T, T) -> T,
    ) -> ArrayD<T> {
        let (Some(sa), Some(sb)) = (a.as_slice(), b.as_slice()) else {
            unreachable!("standard layout checked by Repeat::of")
        };
        let mut out = Vec::with_capacity(sa.len().max(sb.len()));
        match self {
            Repeat::B(n) => {
                for chunk in sa.chunks_exact(n) {
                    out.extend(chunk.iter().zip(sb).map(|(&x, &y)| f(x, y)));
                }
            }
            Repeat::A(n) => {
                for chunk in sb.chunks_exact(n) {
                    out.extend(sa.iter().zip(chunk).map(|(&x, &y)| f(x, y)));
                }
            }
        }
        ArrayD::from_shape_vec(IxDyn(shape), out)
            .unwrap_or_else(|_| unreachable!("one value per element"))
    }

    #[allow(clippy::too_many_arguments)]
    fn backward<T: Float>(
        self,
        a: &ArrayD<T>,
        b: &ArrayD<T>,
        out: &ArrayD<T>,
        g: &ArrayD<T>,
        need_a: bool,
        need_b: bool,
        grads: impl Fn(T, T, T, T) -> (T, T),
    ) -> [Option<ArrayD<T>>; 2] {
        let (Some(sa), Some(sb), Some(so), Some(sg)) =
            (a.as_slice(), b.as_slice(), out.as_slice(), g.as_slice())
        else {
            unreachable!("standard layout checked by the caller")
        };
        // The repeating operand's gradient sums over its repeats.
        let (full, small, n, swap) = match self {
            Repeat::B(n) => (sa, sb, n, false),
            Repeat::A(n) => (sb, sa, n, true),
        };
        let (need_full, need_small) = if swap {
            (need_b, need_a)
        } else {
            (need_a, need_b)
        };
        if swap {
            let pair = |x, y, o, g| {
                let (q, p) = grads(y, x, o, g);
                (p, q)
            };
            let [to_b, to_a] = Self::repeat_grads(
                full,
                small,
                so,
                sg,
                n,
                (need_full, need_small),
                pair,
                (b, a),
            );
            [to_a, to_b]
        } else {
            Self::repeat_grads(
                full,
                small,
                so,
                sg,
                n,
                (need_full, need_small),
                grads,
                (a, b),
            )
        }
    }

    /// The loops of [`Repeat::backward`] with the repeating operand second:
    /// `pair(full element, small element, out, g)` gives the two gradients.
    #[allow(clippy::too_many_arguments)]
    fn repeat_grads<T: Float>(
        full: &[T],
        small: &[T],
        so: &[T],
        sg: &[T],
        n: usize,
        (need_full, need_small): (bool, bool),
        pair: impl Fn(T, T, T, T) -> (T, T),
        (full_arr, small_arr): (&ArrayD<T>, &ArrayD<T>),
    ) -> [Option<ArrayD<T>>; 2] {
        let mut g_full = vec![T::zero(); if need_full { full.len() } else { 0 }];
        let mut g_small = vec![T::zero(); if need_small { n } else { 0 }];
        let rows = full
            .chunks_exact(n)
            .zip(so.chunks_exact(n))
            .zip(sg.chunks_exact(n));
        // One loop per case, so each inner loop is branch-free.
        match (need_full, need_small) {
            (true, true) => {
                for (((x, o), gc), df) in rows.zip(g_full.chunks_exact_mut(n)) {
                    for (((df, ds), (&x, &y)), (&o, &g)) in df
                        .iter_mut()
                        .zip(g_small.iter_mut())
                        .zip(x.iter().zip(small))
                        .zip(o.iter().zip(gc))
                    {
                        let (p, q) = pair(x, y, o, g);
                        *df = p;
                        *ds += q;
                    }
                }
            }
            (true, false) => {
                for (((x, o), gc), df) in rows.zip(g_full.chunks_exact_mut(n)) {
                    for ((df, (&x, &y)), (&o, &g)) in
                        df.iter_mut().zip(x.iter().zip(small)).zip(o.iter().zip(gc))
                    {
                        *df = pair(x, y, o, g).0;
                    }
                }
            }
            (false, true) => {
                for ((x, o), gc) in rows {
                    for ((ds, (&x, &y)), (&o, &g)) in g_small
                        .iter_mut()
                        .zip(x.iter().zip(small))
                        .zip(o.iter().zip(gc))
                    {
                        *ds += pair(x, y, o, g).1;
                    }
                }
            }
            (false, false) => {}
        }
        let g_full = need_full.then(|| {
            ArrayD::from_shape_vec(full_arr.raw_dim(), g_full)
                .unwrap_or_else(|_| unreachable!("one per element"))
        });
        let g_small = need_small.then(|| {
            ArrayD::from_shape_vec(small_arr.raw_dim(), g_small)
                .unwrap_or_else(|_| unreachable!("one per element"))
        });
        [g_full, g_small]
    }
}
