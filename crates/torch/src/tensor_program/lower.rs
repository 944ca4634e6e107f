//! A [`TensorProgram`] lowered to a scalar [`Program`], element by element,
//! so that the exact-value oracle (`scripts/exact.py`, which reads scalar
//! programs) can settle what the tensor rows' engine and libtorch disagree
//! on.
//!
//! Every tensor register becomes one scalar register per element:
//! elementwise functions element by element (operands broadcast by NumPy's
//! rules), sums as chains of `add`, means as a sum divided by the count,
//! `matmul`, `addmm` and `dot` as products added up, and reshape, transpose,
//! picking classes and `max` as the same scalar registers rearranged. The
//! scalar inputs are the tensor inputs' elements, input by input, row-major,
//! so the scalar gradients are [`TensorOutcome::grads`] concatenated
//! ([`flat`]); the output is the sum of the last register, as in the tensor
//! program.
//!
//! Two operations are lowered by what they mean rather than how the
//! engines compute them:
//!
//! - `max` over an axis is its largest element's register, the first one
//!   on a tie (the element both engines send the gradient to). A lane whose
//!   two largest elements are different registers within [`NEAR_TIE`] of
//!   each other has no lowering: there the floats' argmax need not be the
//!   exact one.
//! - softmax and log-softmax subtract a constant, the lane's largest value,
//!   before `exp`. Both functions are unchanged by any shift, so the exact
//!   value is the same, and `exp` stays in range as under the engines' own
//!   shift.
//!
//! [`lower`] returns `None` for a program it cannot lower faithfully (a near
//! tie, a NaN or infinity where a lane's maximum is needed): such a
//! disagreement stays unsettled.

use ferrograd_program::{Instr, Outcome, Program, Reg};
use ferrograd_scalar::{Binary, Unary};
use ferrograd_tensor::tensor::broadcast_shape;
use ndarray::{Array, ArrayD, ArrayView3, Axis, Ix3, IxDyn, Zip};

use super::{run, TInstr, TensorOutcome, TensorProgram};

/// Relative gap under which two different registers' values count as tied
/// for `max` (wide enough for `f32`'s rounding).
pub const NEAR_TIE: f64 = 1e-6;

/// One tensor register: the scalar register of each element.
type Regs = ArrayD<Reg>;

/// The scalar program being written, with every register's `f64` value (to
/// find a lane's maximum).
#[derive(Default)]
struct Writer {
    inputs: Vec<f64>,
    instrs: Vec<Instr>,
    vals: Vec<f64>,
}

impl Writer {
    fn push(&mut self, instr: Instr) -> Reg {
        let v = match instr {
            Instr::Input(k) => self.inputs[k],
            Instr::Const(c) => c,
            _ => {
                let ops = instr.operands();
                let b = ops.get(1).map_or(0.0, |&r| self.vals[r]);
                instr.eval(self.vals[ops[0]], b)
            }
        };
        self.instrs.push(instr);
        self.vals.push(v);
        self.instrs.len() - 1
    }

    fn constant(&mut self, c: f64) -> Reg {
        self.push(Instr::Const(c))
    }

    fn binary(&mut self, f: Binary, a: Reg, b: Reg) -> Reg {
        self.push(Instr::Binary(f, a, b))
    }

    /// `((r0 + r1) + r2) + ...`; a constant 0 for no terms.
    fn sum<'a>(&mut self, regs: impl IntoIterator<Item = &'a Reg>) -> Reg {
        let mut regs = regs.into_iter();
        match regs.next() {
            None => self.constant(0.0),
            Some(&first) => regs.fold(first, |acc, &r| self.binary(Binary::Add, acc, r)),
        }
    }

    /// The register of a lane's largest element (first on a tie), or `None`
    /// when two different registers nearly tie or a value is not finite.
    fn argmax<'a>(&self, lane: impl IntoIterator<Item = &'a Reg> + Clone) -> Option<Reg> {
        let mut best = None::<Reg>;
        for &r in lane.clone() {
            let v = self.vals[r];
            if !v.is_finite() {
                return None;
            }
            if best.is_none_or(|b| v > self.vals[b]) {
                best = Some(r);
            }
        }
        let best = best?;
        let top = self.vals[best];
        let near = lane.into_iter().any(|&r| {
            r != best && (top - self.vals[r]).abs() <= NEAR_TIE * top.abs().max(f64::MIN_POSITIVE)
        });
        (!near).then_some(best)
    }

    /// `f` of `a` and `b`, element by element, broadcast by NumPy's rules.
    fn broadcast(&mut self, f: Binary, a: &Regs, b: &Regs) -> Option<Regs> {
        let shape = IxDyn(&broadcast_shape(a.shape(), b.shape())?);
        let (a, b) = (a.broadcast(shape.clone())?, b.broadcast(shape)?);
        Some(
            Zip::from(&a)
                .and(&b)
                .map_collect(|&x, &y| self.binary(f, x, y)),
        )
    }
}

/// `t`'s lanes along `axis`, each reduced to one register by `f`; the axis
/// kept with size 1 when `keep`.
fn reduce(
    t: &Regs,
    axis: usize,
    keep: bool,
    mut f: impl FnMut(Vec<Reg>) -> Option<Reg>,
) -> Option<Regs> {
    let out = t
        .lanes(Axis(axis))
        .into_iter()
        .map(|lane| f(lane.to_vec()))
        .collect::<Option<Vec<Reg>>>()?;
    let mut shape = t.shape().to_vec();
    shape.remove(axis);
    let out = Array::from_shape_vec(IxDyn(&shape), out).ok()?;
    Some(if keep {
        out.insert_axis(Axis(axis))
    } else {
        out
    })
}

/// `t` as a batch of matrices (a matrix as a batch of one).
fn as3(t: &Regs) -> Option<ArrayView3<'_, Reg>> {
    let t = if t.ndim() == 2 {
        t.view().insert_axis(Axis(0))
    } else {
        t.view()
    };
    t.into_dimensionality::<Ix3>().ok()
}

/// `a @ b` for `[n, k] @ [k, m]`, `[B, n, k] @ [B, k, m]` and
/// `[B, n, k] @ [k, m]`, each output element's products added in `k` order.
fn matmul(w: &mut Writer, a: &Regs, b: &Regs) -> Option<Regs> {
    let (ra, rb) = (a.ndim(), b.ndim());
    if !(2..=3).contains(&ra) || !(2..=ra).contains(&rb) {
        return None;
    }
    // Both as batches of matrices, a matrix `b` shared by every batch.
    let (a3, b3) = (as3(a)?, as3(b)?);
    let ((batch, n, k), (_, k2, m)) = (a3.dim(), b3.dim());
    if k != k2 || (rb == 3 && b3.dim().0 != batch) {
        return None;
    }
    let mut out = Array::from_elem((batch, n, m), 0);
    for ((bt, i, j), o) in out.indexed_iter_mut() {
        let bb = if rb == 3 { bt } else { 0 };
        let terms: Vec<Reg> = (0..k)
            .map(|t| w.binary(Binary::Mul, a3[[bt, i, t]], b3[[bb, t, j]]))
            .collect();
        *o = w.sum(&terms);
    }
    let out = out.into_dyn();
    Some(if ra == 2 {
        out.index_axis_move(Axis(0), 0)
    } else {
        out
    })
}

/// Softmax (`log = false`) or log-softmax over `axis`.
fn softmax(w: &mut Writer, t: &Regs, axis: usize, log: bool) -> Option<Regs> {
    let mut out = t.clone();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let top = lane
            .iter()
            .map(|&r| w.vals[r])
            .fold(f64::NEG_INFINITY, f64::max);
        if !top.is_finite() || lane.iter().any(|&r| w.vals[r].is_nan()) {
            return None;
        }
        let shift = w.constant(top);
        let shifted = lane.mapv(|r| w.binary(Binary::Sub, r, shift));
        let exps = shifted.mapv(|r| w.push(Instr::Unary(Unary::Exp, r)));
        let total = w.sum(&exps);
        let log_total = log.then(|| w.push(Instr::Unary(Unary::Ln, total)));
        for ((o, &s), &e) in lane.iter_mut().zip(&shifted).zip(&exps) {
            *o = match log_total {
                Some(lt) => w.binary(Binary::Sub, s, lt),
                None => w.binary(Binary::Div, e, total),
            };
        }
    }
    Some(out)
}

/// `p` as a scalar program with the same value and, concatenated, the same
/// input gradients; `None` where it cannot be lowered faithfully (see the
/// [module documentation](self)).
pub fn lower(p: &TensorProgram) -> Option<Program> {
    let shapes = run::shapes(p).ok()?;
    let mut w = Writer {
        inputs: p
            .inputs
            .iter()
            .flat_map(|l| l.data.iter().copied())
            .collect(),
        ..Writer::default()
    };
    let mut offsets = Vec::with_capacity(p.inputs.len());
    let mut next = 0;
    for l in &p.inputs {
        offsets.push(next);
        next += l.data.len();
    }
    let leaf = |shape: &[usize], regs: Vec<Reg>| Array::from_shape_vec(IxDyn(shape), regs).ok();
    let mut regs: Vec<Regs> = Vec::with_capacity(p.instrs.len());
    for (i, instr) in p.instrs.iter().enumerate() {
        use TInstr::*;
        let r = |j: usize| &regs[j];
        let t = match instr {
            Input(k) => {
                let l = p.inputs.get(*k)?;
                let ids = (0..l.data.len()).map(|j| w.push(Instr::Input(offsets[*k] + j)));
                leaf(&l.shape, ids.collect())?
            }
            Const(k) => {
                let l = p.consts.get(*k)?;
                leaf(&l.shape, l.data.iter().map(|&c| w.constant(c)).collect())?
            }
            Unary(f, a) => r(*a).mapv(|x| w.push(Instr::Unary(*f, x))),
            Binary(f, a, b) => w.broadcast(*f, r(*a), r(*b))?,
            FloatRight(ferrograd_scalar::Binary::Pow, a, e) => {
                r(*a).mapv(|x| w.push(Instr::Powf(x, *e)))
            }
            FloatRight(f, a, c) => {
                let k = w.constant(*c);
                r(*a).mapv(|x| w.binary(*f, x, k))
            }
            FloatLeft(f, c, a) => {
                let k = w.constant(*c);
                r(*a).mapv(|x| w.binary(*f, k, x))
            }
            MatMul(a, b) => matmul(&mut w, r(*a), r(*b))?,
            AddMm(bias, a, b) => {
                let prod = matmul(&mut w, r(*a), r(*b))?;
                w.broadcast(ferrograd_scalar::Binary::Add, r(*bias), &prod)
                    .filter(|t| t.shape() == prod.shape())?
            }
            Sum(a) => Array::from_elem(IxDyn(&[]), w.sum(r(*a))),
            Mean(a) => {
                let s = w.sum(r(*a));
                let n = w.constant(r(*a).len() as f64);
                Array::from_elem(IxDyn(&[]), w.binary(ferrograd_scalar::Binary::Div, s, n))
            }
            SumAxis(a, d, keep) | MeanAxis(a, d, keep) => {
                let a = r(*a);
                let mean = matches!(instr, MeanAxis(..));
                let count = w.constant(a.shape()[*d] as f64);
                reduce(a, *d, *keep, |lane| {
                    let s = w.sum(&lane);
                    Some(if mean {
                        w.binary(ferrograd_scalar::Binary::Div, s, count)
                    } else {
                        s
                    })
                })?
            }
            MaxAxis(a, d, keep) => reduce(r(*a), *d, *keep, |lane| w.argmax(&lane))?,
            Reshape(a, shape) => leaf(shape, r(*a).iter().copied().collect())?,
            Transpose(a, i, j) => {
                let mut t = r(*a).clone();
                t.swap_axes(*i, *j);
                t
            }
            Softmax(a, d) => softmax(&mut w, r(*a), *d, false)?,
            LogSoftmax(a, d) => softmax(&mut w, r(*a), *d, true)?,
            Pick(a, classes) => {
                let a = r(*a);
                let picked = classes
                    .iter()
                    .enumerate()
                    .map(|(row, &c)| a.get(IxDyn(&[row, c])).copied())
                    .collect::<Option<Vec<Reg>>>()?;
                leaf(&[classes.len()], picked)?
            }
            Dot(a, b) => {
                let (a, b) = (r(*a), r(*b));
                if a.shape() != b.shape() {
                    return None;
                }
                let terms: Vec<Reg> = Zip::from(a)
                    .and(b)
                    .map_collect(|&x, &y| w.binary(ferrograd_scalar::Binary::Mul, x, y))
                    .into_iter()
                    .collect();
                Array::from_elem(IxDyn(&[]), w.sum(&terms))
            }
            AddN(terms) => {
                let first = r(*terms.first()?).clone();
                terms[1..].iter().try_fold(first, |acc, &t| {
                    w.broadcast(ferrograd_scalar::Binary::Add, &acc, r(t))
                        .filter(|s| s.shape() == acc.shape())
                })?
            }
        };
        if t.shape() != shapes[i].as_slice() {
            return None;
        }
        regs.push(t);
    }
    let last = regs.last()?;
    let mut out = w.sum(last);
    // The output is the last instruction; the sum of one element that an
    // earlier instruction wrote needs one more (adding 0 changes nothing).
    if out + 1 != w.instrs.len() {
        let zero = w.constant(0.0);
        out = w.binary(Binary::Add, out, zero);
    }
    debug_assert_eq!(out + 1, w.instrs.len());
    Some(Program {
        inputs: w.inputs,
        instrs: w.instrs,
    })
}

/// A tensor outcome as the outcome of its lowered program: the value, and
/// every input's gradient concatenated.
pub fn flat(o: &TensorOutcome) -> Outcome {
    Outcome {
        value: o.value,
        grads: o.grads.iter().flatten().copied().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor_program::run::run_tensor;
    use crate::tensor_program::{Leaf, TensorShape};
    use ferrograd_program::run_scalar;
    use rand::SeedableRng;

    fn leaf(shape: &[usize], data: &[f64]) -> Leaf {
        Leaf {
            shape: shape.to_vec(),
            data: data.to_vec(),
        }
    }

    /// The lowered program on the scalar engine gives the tensor engine's
    /// value and gradients, every op of the generator included: the
    /// lowering is the same computation. The two sum in different orders,
    /// so numbers are compared relative to the largest of their program.
    #[test]
    fn lowered_programs_compute_what_the_tensor_engine_computes() {
        let mut ops = std::collections::BTreeSet::new();
        for seed in 0..400u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let p = TensorProgram::random(&mut rng, &TensorShape::default());
            let q = lower(&p).unwrap_or_else(|| panic!("seed {seed} lowers:\n{p}"));
            let (t, s) = (
                flat(&run_tensor::<f64>(&p).unwrap()),
                run_scalar::<f64>(&q).unwrap(),
            );
            assert_eq!(t.grads.len(), s.grads.len(), "seed {seed}");
            let pairs: Vec<(f64, f64)> = std::iter::once((t.value, s.value))
                .chain(t.grads.iter().copied().zip(s.grads.iter().copied()))
                .collect();
            let scale = pairs
                .iter()
                .map(|(a, _)| a.abs())
                .filter(|a| a.is_finite())
                .fold(f64::MIN_POSITIVE, f64::max);
            for (i, &(a, b)) in pairs.iter().enumerate() {
                let same = a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * scale;
                assert!(
                    same,
                    "seed {seed}, number {i}: tensor {a}, lowered {b}\n{p}"
                );
            }
            ops.extend(p.op_counts().into_keys());
        }
        assert_eq!(ops.len(), TInstr::all_names().len(), "{ops:?}");
    }

    /// `max` at a near tie of two different elements, or a softmax lane
    /// with a NaN, has no faithful lowering; a tie of one element with
    /// itself (a broadcast copy) has.
    #[test]
    fn near_ties_and_nan_lanes_are_not_lowered() {
        let program = |data: &[f64], instr: TInstr| TensorProgram {
            inputs: vec![leaf(&[2], data)],
            consts: vec![],
            instrs: vec![TInstr::Input(0), instr],
        };
        let max = TInstr::MaxAxis(0, 0, false);
        assert!(lower(&program(&[1.0, 1.0 + 1e-9], max.clone())).is_none());
        assert!(lower(&program(&[1.0, 1.0], max.clone())).is_none());
        assert!(lower(&program(&[1.0, f64::NAN], TInstr::Softmax(0, 0))).is_none());
        let q = lower(&program(&[1.0, 2.0], max)).unwrap();
        let o = run_scalar::<f64>(&q).unwrap();
        assert_eq!((o.value, o.grads), (2.0, vec![0.0, 1.0]));
        // x broadcast against itself: [[x0], [x1]] + [x0, x1], max over axis 1.
        let p = TensorProgram {
            inputs: vec![leaf(&[2], &[3.0, 3.0])],
            consts: vec![],
            instrs: vec![
                TInstr::Input(0),
                TInstr::Reshape(0, vec![2, 1]),
                TInstr::Binary(Binary::Mul, 1, 1),
                TInstr::MaxAxis(2, 1, false),
            ],
        };
        let o = run_scalar::<f64>(&lower(&p).unwrap()).unwrap();
        assert_eq!((o.value, o.grads), (18.0, vec![6.0, 6.0]));
    }

    /// `bias + a @ b` with a bias of each shape that stretches, and a
    /// log-softmax whose sum is known: `sum(log_softmax(v)) = sum(v) - n lse(v)`.
    #[test]
    fn addmm_and_log_softmax_lower_to_their_formulas() {
        for bias in [vec![2], vec![1, 2], vec![2, 1], vec![2, 2], vec![], vec![1]] {
            let n: usize = bias.iter().product();
            let p = TensorProgram {
                inputs: vec![
                    leaf(&bias, &[10.0, 20.0, 30.0, 40.0][..n]),
                    leaf(&[2, 2], &[1.0, 2.0, 3.0, 4.0]),
                    leaf(&[2, 2], &[5.0, 6.0, 7.0, 8.0]),
                ],
                consts: vec![],
                instrs: vec![
                    TInstr::Input(0),
                    TInstr::Input(1),
                    TInstr::Input(2),
                    TInstr::AddMm(0, 1, 2),
                ],
            };
            let (t, s) = (
                flat(&run_tensor::<f64>(&p).unwrap()),
                run_scalar::<f64>(&lower(&p).unwrap()).unwrap(),
            );
            assert_eq!(t, s, "bias {bias:?}");
        }
        let v = [0.5, -1.0, 2.0];
        let p = TensorProgram {
            inputs: vec![leaf(&[3], &v)],
            consts: vec![],
            instrs: vec![TInstr::Input(0), TInstr::LogSoftmax(0, 0)],
        };
        let o = run_scalar::<f64>(&lower(&p).unwrap()).unwrap();
        let lse = v.iter().map(|x| x.exp()).sum::<f64>().ln();
        assert!((o.value - (v.iter().sum::<f64>() - 3.0 * lse)).abs() < 1e-14);
        // d/dv_i = 1 - 3 softmax(v)_i.
        for (g, x) in o.grads.iter().zip(v) {
            assert!((g - (1.0 - 3.0 * (x - lse).exp())).abs() < 1e-14);
        }
    }
}
