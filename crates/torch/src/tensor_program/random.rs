//! The random tensor-program generator behind [`TensorProgram::random`].
//!
//! Each step picks one operation kind uniformly from every kind the
//! programs have ([`KINDS`]), so every op is drawn equally often, and then
//! looks for operands that suit it: an earlier register (often a recent
//! one, so dependencies run deep; sometimes the same register twice) whose
//! values lie in the op's domain and whose shape fits, or a fresh input
//! whose elements are drawn at the edge of that op's domain ([`Domain`]:
//! `ln` and `sqrt` of numbers near 0 and near 1, `log1p` near -1, saturated
//! `tanh` and `sigmoid`, `expm1` far below 0, divisors down to 1e-6, exact
//! zeros at the kinks of `relu` and `abs`) with a shape that broadcasts
//! against the other operand (equal, size-1 axes, fewer axes, 0-d, one
//! element, an extra leading axis). The forward pass runs in `f64` as the
//! program grows; a draw whose value leaves the finite range (or
//! [`TensorShape::max_abs`]), or a maximum whose lane has no clear winner
//! (libtorch and the engine may route the gradient of a tie to different
//! elements, both correctly), is dropped. At the end every register nobody
//! reads is weighted by a constant and summed into the output, so every
//! input gets a gradient and no gradient is the same everywhere.

use ferrograd_scalar::{Binary, Unary};
use ferrograd_tensor::tensor::broadcast_shape;
use ferrograd_tensor::{no_grad, Tensor};
use ndarray::Axis;
use rand::Rng;

use super::run::step;
use super::{Leaf, Reg, TInstr, TensorProgram, TensorShape};

/// Draws of one operation before the generator moves on.
const TRIES: usize = 24;

/// How far inside a domain a computed (rounded) register must stay: a
/// loaded leaf is exact in both float types, a computed value only to
/// rounding.
const COMPUTED_MARGIN: f64 = 1e-4;

/// How much larger than [`TensorShape::max_abs`] the weighted sums that
/// fold the dangling registers into the output may grow (still far inside
/// `f32`'s range).
const FOLD_HEADROOM: f64 = 1e6;

/// Float exponents for `a ** e`; the non-integer and negative ones need a
/// positive (or non-zero) base.
const EXPONENTS: [f64; 11] = [
    0.5,
    1.5,
    -0.5,
    2.5,
    3.0,
    -2.0,
    0.0,
    1.0,
    0.3333333333333333,
    -1.7,
    2.0,
];

/// Floats next to a tensor (`a + c`, `c / a`), including tiny and large ones.
const FLOATS: [f64; 9] = [1.0, -2.5, 0.5, 3.0, 1e-3, -1e-3, 30.0, -7.0, 0.1];

/// Every kind of operation a step can draw.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Input,
    Const,
    Unary(Unary),
    Binary(Binary),
    FloatRight(Binary),
    FloatLeft(Binary),
    MatMul,
    AddMm,
    Sum,
    Mean,
    SumAxis(bool),
    MeanAxis(bool),
    MaxAxis(bool),
    Reshape,
    Transpose,
    Softmax,
    LogSoftmax,
    Pick,
    Dot,
    AddN,
}

/// [`Kind`]s, one entry each.
fn kinds() -> Vec<Kind> {
    let mut v = vec![Kind::Input, Kind::Const];
    v.extend(Unary::ALL.iter().map(|&u| Kind::Unary(u)));
    v.extend(Binary::ALL.iter().map(|&f| Kind::Binary(f)));
    v.extend(Binary::ALL.iter().map(|&f| Kind::FloatRight(f)));
    v.extend(Binary::ALL.iter().map(|&f| Kind::FloatLeft(f)));
    v.extend([Kind::MatMul, Kind::AddMm, Kind::Sum, Kind::Mean]);
    for k in [false, true] {
        v.extend([Kind::SumAxis(k), Kind::MeanAxis(k), Kind::MaxAxis(k)]);
    }
    v.extend([
        Kind::Reshape,
        Kind::Transpose,
        Kind::Softmax,
        Kind::LogSoftmax,
        Kind::Pick,
        Kind::Dot,
        Kind::AddN,
    ]);
    v
}

/// Where the elements of a fresh input are drawn: each an op's hard region
/// mixed with ordinary values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Domain {
    /// No restriction: zeros, integers, small and saturating magnitudes.
    Any,
    /// Positive: near 0 (down to 1e-8) and near 1 (`ln`, `sqrt`, bases).
    Positive,
    /// Above -1, often just above it, or tiny (`log1p`).
    AboveMinusOne,
    /// Saturating arguments of `tanh` and `sigmoid`, up to |x| = 30.
    Saturating,
    /// Far below 0 or tiny (`expm1`), or large for `exp` within range.
    ExpArg,
    /// Non-zero divisors down to 1e-6.
    Divisor,
    /// Exact zeros and integers (the kinks of `relu` and `abs`).
    Kinks,
}

fn log_uniform<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    10f64.powf(rng.random_range(lo..hi))
}

/// `x` with a random sign (the value first, so a call can draw it from
/// the same `rng`).
fn with_sign<R: Rng + ?Sized>(x: f64, rng: &mut R) -> f64 {
    if rng.random_bool(0.5) {
        x
    } else {
        -x
    }
}

impl Domain {
    /// The domain whose edges matter for `u`.
    fn of_unary(u: Unary) -> Domain {
        match u {
            Unary::Ln | Unary::Sqrt => Domain::Positive,
            Unary::Log1p => Domain::AboveMinusOne,
            Unary::Tanh | Unary::Sigmoid => Domain::Saturating,
            Unary::Exp | Unary::Expm1 => Domain::ExpArg,
            Unary::Relu | Unary::Abs => Domain::Kinks,
            Unary::Neg | Unary::Sin | Unary::Cos => Domain::Any,
        }
    }

    /// One element.
    fn draw<R: Rng + ?Sized>(self, rng: &mut R) -> f64 {
        let edge = rng.random_bool(0.5);
        match self {
            Domain::Positive if edge => {
                if rng.random_bool(0.5) {
                    log_uniform(rng, -8.0, -1.0)
                } else {
                    1.0 + with_sign(log_uniform(rng, -8.0, -1.0), rng)
                }
            }
            Domain::Positive => rng.random_range(0.1..4.0),
            Domain::AboveMinusOne if edge => {
                if rng.random_bool(0.5) {
                    -1.0 + log_uniform(rng, -8.0, -1.0)
                } else {
                    with_sign(log_uniform(rng, -12.0, -2.0), rng)
                }
            }
            Domain::AboveMinusOne => rng.random_range(-0.9..4.0),
            Domain::Saturating if edge => with_sign(rng.random_range(5.0..30.0), rng),
            Domain::Saturating => rng.random_range(-3.0..3.0),
            Domain::ExpArg if edge => match rng.random_range(0..3) {
                0 => -rng.random_range(5.0..40.0),
                1 => with_sign(log_uniform(rng, -12.0, -2.0), rng),
                _ => rng.random_range(5.0..12.0),
            },
            Domain::ExpArg => rng.random_range(-3.0..3.0),
            Domain::Divisor if edge => with_sign(log_uniform(rng, -6.0, 0.0), rng),
            Domain::Divisor => with_sign(rng.random_range(0.5..4.0), rng),
            Domain::Kinks if edge => f64::from(rng.random_range(-2..=2)),
            Domain::Kinks | Domain::Any => match rng.random_range(0..8) {
                0 => 0.0,
                1 => f64::from(rng.random_range(-3..=3)),
                2 => with_sign(log_uniform(rng, -6.0, -1.0), rng),
                3 => with_sign(rng.random_range(5.0..20.0), rng),
                _ => rng.random_range(-3.0..3.0),
            },
        }
    }

    /// Whether `x`, a leaf's value (`exact`) or a computed one, lies inside
    /// the domain with room for rounding.
    fn holds(self, x: f64, exact: bool) -> bool {
        let m = if exact { 0.0 } else { COMPUTED_MARGIN };
        match self {
            Domain::Positive => x > m,
            Domain::AboveMinusOne => x > -1.0 + m,
            Domain::Divisor => x.abs() > m.max(1e-6),
            _ => true,
        }
    }
}

/// A random shape of rank `0..=max_rank` with sizes 1 to 4.
fn random_shape<R: Rng + ?Sized>(rng: &mut R, s: &TensorShape) -> Vec<usize> {
    let rank = rng.random_range(0..=s.max_rank);
    let mut shape: Vec<usize> = (0..rank).map(|_| rng.random_range(1..=4)).collect();
    while shape.iter().product::<usize>() > s.max_elems {
        shape.pop();
    }
    shape
}

/// A shape that broadcasts against `a`: equal, with size-1 axes, with
/// leading axes dropped, 0-d, one element, with an extra leading axis, or
/// stretching one of `a`'s size-1 axes.
fn partner_shape<R: Rng + ?Sized>(rng: &mut R, a: &[usize], s: &TensorShape) -> Vec<usize> {
    let mut b = a.to_vec();
    match rng.random_range(0..7) {
        0 => {}
        1 => b.iter_mut().for_each(|d| {
            if rng.random_bool(0.5) {
                *d = 1
            }
        }),
        2 => {
            let drop = rng.random_range(0..=b.len());
            b.drain(..drop);
        }
        3 => b.clear(),
        4 => b = vec![1],
        5 if a.len() < s.max_rank => b.insert(0, rng.random_range(2..=3)),
        6 => {
            for d in b.iter_mut() {
                if *d == 1 && rng.random_bool(0.7) {
                    *d = rng.random_range(2..=3);
                }
            }
        }
        _ => {}
    }
    b
}

/// A shape with `n` elements: `n`'s factors spread over up to `max_rank`
/// axes, with some size-1 axes.
fn reshape_target<R: Rng + ?Sized>(rng: &mut R, n: usize, max_rank: usize) -> Vec<usize> {
    let mut factors = Vec::new();
    let mut m = n;
    let mut p = 2;
    while m > 1 {
        while m % p == 0 {
            factors.push(p);
            m /= p;
        }
        p += 1;
    }
    let rank = rng.random_range(factors.len().min(1)..=max_rank.max(1));
    if rank == 0 {
        return vec![];
    }
    let mut shape = vec![1usize; rank];
    for f in factors {
        let i = rng.random_range(0..rank);
        shape[i] *= f;
    }
    shape
}

/// A program being drawn: the program so far and the `f64` value of every
/// leaf and register.
struct Gen<'s> {
    p: TensorProgram,
    inputs: Vec<Tensor<f64>>,
    consts: Vec<Tensor<f64>>,
    regs: Vec<Tensor<f64>>,
    shape: &'s TensorShape,
    /// Whether the dangling registers are being folded in ([`FOLD_HEADROOM`]).
    folding: bool,
}

/// What to undo when a draw is dropped.
#[derive(Clone, Copy)]
struct Mark {
    inputs: usize,
    consts: usize,
    instrs: usize,
}

impl<'s> Gen<'s> {
    fn mark(&self) -> Mark {
        Mark {
            inputs: self.p.inputs.len(),
            consts: self.p.consts.len(),
            instrs: self.p.instrs.len(),
        }
    }

    fn undo(&mut self, m: Mark) {
        self.p.inputs.truncate(m.inputs);
        self.inputs.truncate(m.inputs);
        self.p.consts.truncate(m.consts);
        self.consts.truncate(m.consts);
        self.p.instrs.truncate(m.instrs);
        self.regs.truncate(m.instrs);
    }

    /// Appends `instr` if its `f64` value is finite, within `max_abs` and
    /// `max_elems`; returns its register.
    fn push(&mut self, instr: TInstr) -> Option<Reg> {
        let v = step(&instr, &self.regs, &self.inputs, &self.consts).ok()?;
        let limit = if self.folding {
            self.shape.max_abs * FOLD_HEADROOM
        } else {
            self.shape.max_abs
        };
        let ok = v.len() <= self.shape.max_elems
            && v.data().iter().all(|x| x.is_finite() && x.abs() <= limit);
        if !ok {
            return None;
        }
        self.p.instrs.push(instr);
        self.regs.push(v);
        Some(self.regs.len() - 1)
    }

    /// A fresh input of `shape` drawn from `domain`, loaded into a register.
    fn fresh<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        shape: Vec<usize>,
        domain: Domain,
    ) -> Option<Reg> {
        if self.p.inputs.len() >= self.shape.max_inputs {
            return None;
        }
        let n: usize = shape.iter().product();
        let data: Vec<f64> = (0..n).map(|_| domain.draw(rng)).collect();
        let t = Tensor::from_vec(data.clone(), &shape).ok()?;
        self.p.inputs.push(Leaf { shape, data });
        self.inputs.push(t);
        let k = self.p.inputs.len() - 1;
        self.push(TInstr::Input(k))
    }

    /// A constant leaf of `shape` from `domain`, loaded into a register.
    fn constant<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        shape: Vec<usize>,
        draw: impl Fn(&mut R) -> f64,
    ) -> Option<Reg> {
        let n: usize = shape.iter().product();
        let data: Vec<f64> = (0..n).map(|_| draw(rng)).collect();
        let t = Tensor::from_vec(data.clone(), &shape).ok()?;
        self.p.consts.push(Leaf { shape, data });
        self.consts.push(t);
        self.push(TInstr::Const(self.p.consts.len() - 1))
    }

    fn exact(&self, r: Reg) -> bool {
        matches!(self.p.instrs[r], TInstr::Input(_) | TInstr::Const(_))
    }

    fn in_domain(&self, r: Reg, d: Domain) -> bool {
        let exact = self.exact(r);
        self.regs[r].data().iter().all(|&x| d.holds(x, exact))
    }

    /// An earlier register: one of the last three half the time (deep
    /// chains), else any (shared subexpressions far apart).
    fn any_reg<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<Reg> {
        let n = self.regs.len();
        if n == 0 {
            return None;
        }
        Some(if rng.random_bool(0.5) {
            n - 1 - rng.random_range(0..n.min(3))
        } else {
            rng.random_range(0..n)
        })
    }

    /// An earlier register that satisfies `ok`, or a fresh input of a
    /// random shape from `domain` (also a third of the time anyway).
    fn operand<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        domain: Domain,
        ok: impl Fn(&Self, Reg) -> bool,
    ) -> Option<Reg> {
        if !rng.random_bool(1.0 / 3.0) {
            for _ in 0..6 {
                if let Some(r) = self.any_reg(rng) {
                    if self.in_domain(r, domain) && ok(self, r) {
                        return Some(r);
                    }
                }
            }
        }
        let shape = random_shape(rng, self.shape);
        let r = self.fresh(rng, shape, domain)?;
        ok(self, r).then_some(r)
    }

    /// A second operand for `a` in a broadcasting op: `a` itself (a
    /// register read twice), an earlier register whose shape broadcasts
    /// with `a`'s, or a fresh input of a partner shape.
    fn partner<R: Rng + ?Sized>(&mut self, rng: &mut R, a: Reg, domain: Domain) -> Option<Reg> {
        let sa = self.regs[a].shape();
        let fits = |g: &Self, r: Reg| {
            broadcast_shape(&sa, &g.regs[r].shape())
                .is_some_and(|s| s.iter().product::<usize>() <= g.shape.max_elems)
        };
        if rng.random_bool(0.15) && self.in_domain(a, domain) {
            return Some(a);
        }
        if rng.random_bool(0.5) {
            for _ in 0..6 {
                if let Some(r) = self.any_reg(rng) {
                    if self.in_domain(r, domain) && fits(self, r) {
                        return Some(r);
                    }
                }
            }
        }
        let shape = partner_shape(rng, &sa, self.shape);
        let r = self.fresh(rng, shape, domain)?;
        fits(self, r).then_some(r)
    }

    /// Whether every lane of `r` along `axis` has one clear largest element.
    fn clear_max(&self, r: Reg, axis: usize) -> bool {
        let v = self.regs[r].data();
        v.lanes(Axis(axis)).into_iter().all(|lane| {
            let mut top = f64::NEG_INFINITY;
            let mut second = f64::NEG_INFINITY;
            for &x in lane {
                if x > top {
                    second = top;
                    top = x;
                } else if x > second {
                    second = x;
                }
            }
            second == f64::NEG_INFINITY || top - second > 1e-3 * top.abs().max(1e-3)
        })
    }

    /// One draw of `kind`; `None` when it does not fit (the caller undoes it).
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, kind: Kind) -> Option<Reg> {
        let rank_at_least = |n: usize| move |g: &Self, r: Reg| g.regs[r].ndim() >= n;
        match kind {
            Kind::Input => {
                if self.p.inputs.is_empty() {
                    return None;
                }
                let k = rng.random_range(0..self.p.inputs.len());
                self.push(TInstr::Input(k))
            }
            Kind::Const => {
                let a = self.operand(rng, Domain::Any, |_, _| true)?;
                let sa = self.regs[a].shape();
                let shape = partner_shape(rng, &sa, self.shape);
                let c = self.constant(rng, shape, |r| Domain::Any.draw(r))?;
                let f = [Binary::Add, Binary::Sub, Binary::Mul][rng.random_range(0..3)];
                let (x, y) = if rng.random_bool(0.5) { (a, c) } else { (c, a) };
                self.push(TInstr::Binary(f, x, y))
            }
            Kind::Unary(u) => {
                let a = self.operand(rng, Domain::of_unary(u), |_, _| true)?;
                self.push(TInstr::Unary(u, a))
            }
            Kind::Binary(f) => {
                let (da, db) = match f {
                    Binary::Div => (Domain::Any, Domain::Divisor),
                    Binary::Pow => (Domain::Positive, Domain::Any),
                    _ => (Domain::Any, Domain::Any),
                };
                let a = self.operand(rng, da, |_, _| true)?;
                let b = self.partner(rng, a, db)?;
                self.push(TInstr::Binary(f, a, b))
            }
            Kind::FloatRight(f) => {
                if f == Binary::Pow {
                    let e = EXPONENTS[rng.random_range(0..EXPONENTS.len())];
                    let domain = if e.fract() != 0.0 {
                        Domain::Positive
                    } else if e < 0.0 {
                        Domain::Divisor
                    } else {
                        Domain::Any
                    };
                    let a = self.operand(rng, domain, |_, _| true)?;
                    return self.push(TInstr::FloatRight(f, a, e));
                }
                let c = FLOATS[rng.random_range(0..FLOATS.len())];
                let a = self.operand(rng, Domain::Any, |_, _| true)?;
                self.push(TInstr::FloatRight(f, a, c))
            }
            Kind::FloatLeft(f) => {
                let (c, domain) = match f {
                    Binary::Div => (FLOATS[rng.random_range(0..FLOATS.len())], Domain::Divisor),
                    Binary::Pow => ([2.0, 0.5, 10.0, 1.5][rng.random_range(0..4)], Domain::Any),
                    _ => (FLOATS[rng.random_range(0..FLOATS.len())], Domain::Any),
                };
                let a = self.operand(rng, domain, |_, _| true)?;
                self.push(TInstr::FloatLeft(f, c, a))
            }
            Kind::MatMul => {
                let a =
                    self.operand(rng, Domain::Any, |g, r| (2..=3).contains(&g.regs[r].ndim()))?;
                let sa = self.regs[a].shape();
                let k = sa[sa.len() - 1];
                let m = rng.random_range(1..=4);
                let fits = |g: &Self, r: Reg| {
                    let sb = g.regs[r].shape();
                    sb.len() >= 2
                        && sb.len() <= sa.len()
                        && sb[sb.len() - 2] == k
                        && (sb.len() == 2 || sb[0] == sa[0])
                };
                let existing = (0..self.regs.len()).rev().find(|&r| fits(self, r));
                let b = match existing {
                    Some(b) if rng.random_bool(0.3) => b,
                    _ => {
                        let shape = if sa.len() == 3 && rng.random_bool(0.5) {
                            vec![sa[0], k, m]
                        } else {
                            vec![k, m]
                        };
                        self.fresh(rng, shape, Domain::Any)?
                    }
                };
                self.push(TInstr::MatMul(a, b))
            }
            Kind::AddMm => {
                let a = self.operand(rng, Domain::Any, |g, r| g.regs[r].ndim() == 2)?;
                let (n, k) = (self.regs[a].shape()[0], self.regs[a].shape()[1]);
                let m = rng.random_range(1..=4);
                let existing = (0..self.regs.len())
                    .rev()
                    .find(|&r| self.regs[r].shape() == [k, m]);
                let b = match existing {
                    Some(b) if rng.random_bool(0.3) => b,
                    _ => self.fresh(rng, vec![k, m], Domain::Any)?,
                };
                // Every shape a bias can stretch from, a linear layer's `[m]` most often.
                let shapes = [
                    vec![m],
                    vec![m],
                    vec![1, m],
                    vec![n, 1],
                    vec![n, m],
                    vec![],
                    vec![1],
                ];
                let shape = shapes[rng.random_range(0..shapes.len())].clone();
                let existing = (0..self.regs.len())
                    .rev()
                    .find(|&r| self.regs[r].shape() == shape.as_slice());
                let bias = match existing {
                    Some(c) if rng.random_bool(0.3) => c,
                    _ => self.fresh(rng, shape, Domain::Any)?,
                };
                self.push(TInstr::AddMm(bias, a, b))
            }
            Kind::Sum => {
                let a = self.any_reg(rng)?;
                self.push(TInstr::Sum(a))
            }
            Kind::Mean => {
                let a = self.any_reg(rng)?;
                self.push(TInstr::Mean(a))
            }
            Kind::SumAxis(k) | Kind::MeanAxis(k) | Kind::MaxAxis(k) => {
                let a = self.operand(rng, Domain::Any, rank_at_least(1))?;
                let axis = rng.random_range(0..self.regs[a].ndim());
                match kind {
                    Kind::SumAxis(_) => self.push(TInstr::SumAxis(a, axis, k)),
                    Kind::MeanAxis(_) => self.push(TInstr::MeanAxis(a, axis, k)),
                    _ => {
                        if !self.clear_max(a, axis) {
                            return None;
                        }
                        self.push(TInstr::MaxAxis(a, axis, k))
                    }
                }
            }
            Kind::Reshape => {
                let a = self.any_reg(rng)?;
                let shape = reshape_target(rng, self.regs[a].len(), self.shape.max_rank);
                self.push(TInstr::Reshape(a, shape))
            }
            Kind::Transpose => {
                let a = self.operand(rng, Domain::Any, rank_at_least(2))?;
                let n = self.regs[a].ndim();
                let i = rng.random_range(0..n);
                let j = (i + rng.random_range(1..n)) % n;
                self.push(TInstr::Transpose(a, i, j))
            }
            Kind::Softmax | Kind::LogSoftmax => {
                let a = self.operand(rng, Domain::Saturating, rank_at_least(1))?;
                let axis = rng.random_range(0..self.regs[a].ndim());
                if kind == Kind::Softmax {
                    self.push(TInstr::Softmax(a, axis))
                } else {
                    self.push(TInstr::LogSoftmax(a, axis))
                }
            }
            Kind::Pick => {
                let a = self.operand(rng, Domain::Saturating, |g, r| g.regs[r].ndim() == 2)?;
                let s = self.regs[a].shape();
                let classes = (0..s[0]).map(|_| rng.random_range(0..s[1])).collect();
                self.push(TInstr::Pick(a, classes))
            }
            Kind::Dot => {
                let a = self.operand(rng, Domain::Any, |_, _| true)?;
                // `p.dot(p)` (an L2 term) a third of the time.
                let b = if rng.random_bool(1.0 / 3.0) {
                    a
                } else {
                    self.same_shape(rng, a)?
                };
                self.push(TInstr::Dot(a, b))
            }
            Kind::AddN => {
                let a = self.operand(rng, Domain::Any, |_, _| true)?;
                let mut terms = vec![a];
                for _ in 0..rng.random_range(1..=3) {
                    // A term used twice now and then (both contributions).
                    let t = if rng.random_bool(0.2) {
                        terms[rng.random_range(0..terms.len())]
                    } else {
                        self.same_shape(rng, a)?
                    };
                    terms.push(t);
                }
                self.push(TInstr::AddN(terms))
            }
        }
    }

    /// An earlier register of `a`'s shape, or a fresh input of that shape.
    fn same_shape<R: Rng + ?Sized>(&mut self, rng: &mut R, a: Reg) -> Option<Reg> {
        let sa = self.regs[a].shape();
        for _ in 0..6 {
            if let Some(r) = self.any_reg(rng) {
                if self.regs[r].shape() == sa {
                    return Some(r);
                }
            }
        }
        self.fresh(rng, sa, Domain::Any)
    }

    /// Weights every register nobody reads (constants aside) by a constant
    /// and adds its sum into the output.
    fn fold<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let n = self.p.instrs.len();
        let mut read = vec![false; n];
        for i in &self.p.instrs {
            for r in i.operands() {
                read[r] = true;
            }
        }
        let dangling: Vec<Reg> = (0..n)
            .filter(|&r| !read[r] && !matches!(self.p.instrs[r], TInstr::Const(_)))
            .collect();
        let mut total: Option<Reg> = None;
        self.folding = true;
        for r in dangling {
            let m = self.mark();
            let weighted = (|| {
                let w = self.constant(rng, self.regs[r].shape(), |g| {
                    with_sign(g.random_range(0.25..2.0), g)
                })?;
                let x = self.push(TInstr::Binary(Binary::Mul, r, w))?;
                let s = self.push(TInstr::Sum(x))?;
                match total {
                    None => Some(s),
                    Some(t) => self.push(TInstr::Binary(Binary::Add, t, s)),
                }
            })();
            match weighted {
                Some(t) => total = Some(t),
                None => self.undo(m),
            }
        }
    }
}

pub(super) fn program<R: Rng + ?Sized>(rng: &mut R, shape: &TensorShape) -> TensorProgram {
    no_grad(|| {
        let mut g = Gen {
            p: TensorProgram::default(),
            inputs: Vec::new(),
            consts: Vec::new(),
            regs: Vec::new(),
            shape,
            folding: false,
        };
        let all = kinds();
        let n_ops = rng.random_range(2..=shape.max_ops.max(2));
        while g.p.instrs.is_empty() {
            let s = random_shape(rng, shape);
            g.fresh(rng, s, Domain::Any);
        }
        for _ in 0..n_ops {
            for _ in 0..TRIES {
                let m = g.mark();
                let kind = all[rng.random_range(0..all.len())];
                if g.draw(rng, kind).is_some() {
                    break;
                }
                g.undo(m);
            }
        }
        g.fold(rng);
        g.p
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn draw(seed: u64) -> TensorProgram {
        TensorProgram::random(
            &mut ChaCha8Rng::seed_from_u64(seed),
            &TensorShape::default(),
        )
    }

    #[test]
    fn a_seed_fixes_the_program() {
        for seed in 0..20 {
            assert_eq!(draw(seed), draw(seed));
        }
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn programs_are_valid_finite_and_within_limits() {
        let s = TensorShape::default();
        for seed in 0..300 {
            let p = draw(seed);
            p.validate()
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{p}"));
            assert!(p.inputs.len() <= s.max_inputs, "seed {seed}");
            for v in super::super::run::forward_f64(&p).unwrap() {
                assert!(v.len() <= s.max_elems && v.ndim() <= s.max_rank.max(3));
                let limit = s.max_abs * FOLD_HEADROOM;
                assert!(v.data().iter().all(|x| x.is_finite() && x.abs() <= limit));
            }
            // Every input is read, so backward reaches it.
            for k in 0..p.inputs.len() {
                assert!(
                    p.instrs.contains(&TInstr::Input(k)),
                    "seed {seed}: x{k} unused"
                );
            }
        }
    }

    #[test]
    fn the_output_depends_on_every_register() {
        for seed in 0..100 {
            let p = draw(seed);
            let mut read = vec![false; p.instrs.len()];
            for i in &p.instrs {
                for r in i.operands() {
                    read[r] = true;
                }
            }
            let out = p.output();
            for (r, i) in p.instrs.iter().enumerate() {
                if r != out && !matches!(i, TInstr::Const(_)) {
                    assert!(read[r], "seed {seed}: r{r} dangles\n{p}");
                }
            }
        }
    }

    #[test]
    fn two_thousand_programs_reach_every_op_and_feature() {
        let mut ops = std::collections::BTreeMap::<String, usize>::new();
        let mut features = std::collections::BTreeMap::<String, usize>::new();
        for seed in 0..2000 {
            let p = draw(seed);
            for (k, n) in p.op_counts() {
                *ops.entry(k).or_default() += n;
            }
            for (k, n) in p.feature_counts().unwrap() {
                *features.entry(k).or_default() += n;
            }
        }
        for name in TInstr::all_names() {
            let n = ops.get(&name).copied().unwrap_or(0);
            assert!(n >= 50, "{name} drawn {n} times in 2,000 programs");
        }
        for f in ["broadcast", "rank mix", "scalar operand", "shared"] {
            let n = features.get(f).copied().unwrap_or(0);
            assert!(n >= 100, "{f}: {n}");
        }
    }

    #[test]
    fn domains_hold_their_edges() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let xs: Vec<f64> = (0..2000).map(|_| Domain::Positive.draw(&mut rng)).collect();
        assert!(xs.iter().all(|&x| x > 0.0));
        assert!(xs.iter().any(|&x| x < 1e-6));
        assert!(xs.iter().any(|&x| (x - 1.0).abs() < 1e-6 && x != 1.0));
        let ys: Vec<f64> = (0..2000)
            .map(|_| Domain::AboveMinusOne.draw(&mut rng))
            .collect();
        assert!(ys.iter().all(|&y| y > -1.0));
        assert!(ys.iter().any(|&y| y < -1.0 + 1e-6));
        let zs: Vec<f64> = (0..2000).map(|_| Domain::Divisor.draw(&mut rng)).collect();
        assert!(zs.iter().all(|&z| z.abs() >= 1e-6));
        assert!((0..200).any(|_| Domain::Kinks.draw(&mut rng) == 0.0));
        assert!((0..200).any(|_| Domain::ExpArg.draw(&mut rng) < -30.0));
    }

    #[test]
    fn reshape_targets_keep_the_element_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for n in [1usize, 6, 12, 48] {
            for _ in 0..50 {
                let s = reshape_target(&mut rng, n, 3);
                assert_eq!(s.iter().product::<usize>(), n, "{s:?}");
                assert!(s.len() <= 3);
            }
        }
    }

    #[test]
    fn the_script_is_pytorch() {
        let p = draw(3);
        let s = p.to_string();
        assert!(s.starts_with("import torch\ndt = torch.float64\n"), "{s}");
        assert!(s.contains("x0 = torch.tensor(["), "{s}");
        assert!(s.contains(".requires_grad_()"), "{s}");
        assert!(s.contains(&format!("out = r{}.sum()", p.output())), "{s}");
        assert_eq!(
            s.lines().filter(|l| l.starts_with('r')).count(),
            p.instrs.len()
        );
    }
}
