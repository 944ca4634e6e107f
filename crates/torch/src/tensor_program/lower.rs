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

use super::{run, TInstr, TensorOutcome, TensorProgram};

/// Relative gap under which two different registers' values count as tied
/// for `max` (wide enough for `f32`'s rounding).
pub const NEAR_TIE: f64 = 1e-6;

/// One tensor register: its shape and the scalar register of each element,
/// row-major.
#[derive(Debug, Clone)]
struct Lowered {
    shape: Vec<usize>,
    regs: Vec<Reg>,
}

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
    fn sum(&mut self, regs: &[Reg]) -> Reg {
        match regs.split_first() {
            None => self.constant(0.0),
            Some((&first, rest)) => rest
                .iter()
                .fold(first, |acc, &r| self.binary(Binary::Add, acc, r)),
        }
    }

    /// The register of a lane's largest element (first on a tie), or `None`
    /// when two different registers nearly tie or a value is not finite.
    fn argmax(&self, lane: &[Reg]) -> Option<Reg> {
        let (&first, _) = lane.split_first()?;
        let mut best = first;
        for &r in lane {
            let (v, b) = (self.vals[r], self.vals[best]);
            if !v.is_finite() {
                return None;
            }
            if v > b {
                best = r;
            }
        }
        let top = self.vals[best];
        let near = lane.iter().any(|&r| {
            r != best && (top - self.vals[r]).abs() <= NEAR_TIE * top.abs().max(f64::MIN_POSITIVE)
        });
        (!near).then_some(best)
    }
}

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The multi-index of flat position `i` in `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        idx[d] = i % n.max(1);
        i /= n.max(1);
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(strides(shape)).map(|(i, s)| i * s).sum()
}

/// `t`'s register at multi-index `idx` of a shape it broadcasts to.
fn stretched(t: &Lowered, idx: &[usize]) -> Reg {
    let pad = idx.len() - t.shape.len();
    let own: Vec<usize> = t
        .shape
        .iter()
        .enumerate()
        .map(|(d, &n)| if n == 1 { 0 } else { idx[pad + d] })
        .collect();
    t.regs[ravel(&own, &t.shape)]
}

/// The lanes of `t` along `axis`: for each position of the other axes (in
/// row-major order), the registers along `axis`.
fn lanes(t: &Lowered, axis: usize) -> Vec<Vec<Reg>> {
    let mut outer = t.shape.clone();
    let len = outer.remove(axis);
    let count: usize = outer.iter().product();
    (0..count)
        .map(|o| {
            let mut idx = unravel(o, &outer);
            idx.insert(axis, 0);
            (0..len)
                .map(|j| {
                    idx[axis] = j;
                    t.regs[ravel(&idx, &t.shape)]
                })
                .collect()
        })
        .collect()
}

/// `t`'s shape without `axis`, or with it as 1 when `keep`.
fn reduced(t: &Lowered, axis: usize, keep: bool) -> Vec<usize> {
    let mut s = t.shape.clone();
    if keep {
        s[axis] = 1;
    } else {
        s.remove(axis);
    }
    s
}

/// `a @ b` for `[n, k] @ [k, m]`, `[B, n, k] @ [B, k, m]` and
/// `[B, n, k] @ [k, m]`, each output element's products added in `k` order.
fn matmul(w: &mut Writer, a: &Lowered, b: &Lowered) -> Option<Lowered> {
    let (ra, rb) = (a.shape.len(), b.shape.len());
    if !(2..=3).contains(&ra) || !(2..=ra).contains(&rb) {
        return None;
    }
    let (n, k) = (a.shape[ra - 2], a.shape[ra - 1]);
    let (k2, m) = (b.shape[rb - 2], b.shape[rb - 1]);
    let batch = if ra == 3 { a.shape[0] } else { 1 };
    if k != k2 || (rb == 3 && b.shape[0] != batch) {
        return None;
    }
    let mut regs = Vec::with_capacity(batch * n * m);
    for bt in 0..batch {
        let (oa, ob) = (bt * n * k, if rb == 3 { bt * k * m } else { 0 });
        for i in 0..n {
            for j in 0..m {
                let terms: Vec<Reg> = (0..k)
                    .map(|t| w.binary(Binary::Mul, a.regs[oa + i * k + t], b.regs[ob + t * m + j]))
                    .collect();
                regs.push(w.sum(&terms));
            }
        }
    }
    let shape = if ra == 3 {
        vec![batch, n, m]
    } else {
        vec![n, m]
    };
    Some(Lowered { shape, regs })
}

/// Softmax (`log = false`) or log-softmax over `axis`.
fn softmax(w: &mut Writer, t: &Lowered, axis: usize, log: bool) -> Option<Lowered> {
    let mut out = Lowered {
        shape: t.shape.clone(),
        regs: t.regs.clone(),
    };
    let strides = strides(&t.shape);
    for (o, lane) in lanes(t, axis).into_iter().enumerate() {
        let top = lane
            .iter()
            .map(|&r| w.vals[r])
            .fold(f64::NEG_INFINITY, f64::max);
        if !top.is_finite() || lane.iter().any(|&r| w.vals[r].is_nan()) {
            return None;
        }
        let shift = w.constant(top);
        let shifted: Vec<Reg> = lane
            .iter()
            .map(|&r| w.binary(Binary::Sub, r, shift))
            .collect();
        let exps: Vec<Reg> = shifted
            .iter()
            .map(|&r| w.push(Instr::Unary(Unary::Exp, r)))
            .collect();
        let total = w.sum(&exps);
        let log_total = log.then(|| w.push(Instr::Unary(Unary::Ln, total)));
        // Where lane `o`'s element `j` sits in `t`.
        let mut outer = t.shape.clone();
        outer.remove(axis);
        let mut idx = unravel(o, &outer);
        idx.insert(axis, 0);
        for j in 0..lane.len() {
            idx[axis] = j;
            let at: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
            out.regs[at] = match log_total {
                Some(lt) => w.binary(Binary::Sub, shifted[j], lt),
                None => w.binary(Binary::Div, exps[j], total),
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
    let mut regs: Vec<Lowered> = Vec::with_capacity(p.instrs.len());
    for (i, instr) in p.instrs.iter().enumerate() {
        use TInstr::*;
        let r = |j: usize| &regs[j];
        let map =
            |w: &mut Writer, t: &Lowered, f: &mut dyn FnMut(&mut Writer, Reg) -> Reg| Lowered {
                shape: t.shape.clone(),
                regs: t.regs.iter().map(|&x| f(w, x)).collect(),
            };
        let t = match instr {
            Input(k) => {
                let l = p.inputs.get(*k)?;
                Lowered {
                    shape: l.shape.clone(),
                    regs: (0..l.data.len())
                        .map(|j| w.push(Instr::Input(offsets[*k] + j)))
                        .collect(),
                }
            }
            Const(k) => {
                let l = p.consts.get(*k)?;
                Lowered {
                    shape: l.shape.clone(),
                    regs: l.data.iter().map(|&c| w.constant(c)).collect(),
                }
            }
            Unary(f, a) => map(&mut w, r(*a), &mut |w, x| w.push(Instr::Unary(*f, x))),
            Binary(f, a, b) => {
                let (a, b) = (r(*a), r(*b));
                let shape = broadcast_shape(&a.shape, &b.shape)?;
                let count: usize = shape.iter().product();
                let regs = (0..count)
                    .map(|o| {
                        let idx = unravel(o, &shape);
                        let (x, y) = (stretched(a, &idx), stretched(b, &idx));
                        w.binary(*f, x, y)
                    })
                    .collect();
                Lowered { shape, regs }
            }
            FloatRight(ferrograd_scalar::Binary::Pow, a, e) => {
                map(&mut w, r(*a), &mut |w, x| w.push(Instr::Powf(x, *e)))
            }
            FloatRight(f, a, c) => {
                let k = w.constant(*c);
                map(&mut w, r(*a), &mut |w, x| w.binary(*f, x, k))
            }
            FloatLeft(f, c, a) => {
                let k = w.constant(*c);
                map(&mut w, r(*a), &mut |w, x| w.binary(*f, k, x))
            }
            MatMul(a, b) => matmul(&mut w, r(*a), r(*b))?,
            AddMm(bias, a, b) => {
                let prod = matmul(&mut w, r(*a), r(*b))?;
                let bias = r(*bias);
                broadcast_shape(&bias.shape, &prod.shape).filter(|s| *s == prod.shape)?;
                let regs = (0..prod.regs.len())
                    .map(|o| {
                        let idx = unravel(o, &prod.shape);
                        w.binary(
                            ferrograd_scalar::Binary::Add,
                            stretched(bias, &idx),
                            prod.regs[o],
                        )
                    })
                    .collect();
                Lowered {
                    shape: prod.shape,
                    regs,
                }
            }
            Sum(a) => Lowered {
                shape: vec![],
                regs: vec![w.sum(&r(*a).regs)],
            },
            Mean(a) => {
                let a = r(*a);
                let s = w.sum(&a.regs);
                let n = w.constant(a.regs.len() as f64);
                Lowered {
                    shape: vec![],
                    regs: vec![w.binary(ferrograd_scalar::Binary::Div, s, n)],
                }
            }
            SumAxis(a, d, keep) | MeanAxis(a, d, keep) => {
                let a = r(*a);
                let mean = matches!(instr, MeanAxis(..));
                let count = w.constant(a.shape[*d] as f64);
                let regs = lanes(a, *d)
                    .iter()
                    .map(|lane| {
                        let s = w.sum(lane);
                        if mean {
                            w.binary(ferrograd_scalar::Binary::Div, s, count)
                        } else {
                            s
                        }
                    })
                    .collect();
                Lowered {
                    shape: reduced(a, *d, *keep),
                    regs,
                }
            }
            MaxAxis(a, d, keep) => {
                let a = r(*a);
                let regs = lanes(a, *d)
                    .iter()
                    .map(|lane| w.argmax(lane))
                    .collect::<Option<Vec<Reg>>>()?;
                Lowered {
                    shape: reduced(a, *d, *keep),
                    regs,
                }
            }
            Reshape(a, shape) => Lowered {
                shape: shape.clone(),
                regs: r(*a).regs.clone(),
            },
            Transpose(a, i, j) => {
                let a = r(*a);
                let mut shape = a.shape.clone();
                shape.swap(*i, *j);
                let regs = (0..a.regs.len())
                    .map(|o| {
                        let mut idx = unravel(o, &shape);
                        idx.swap(*i, *j);
                        a.regs[ravel(&idx, &a.shape)]
                    })
                    .collect();
                Lowered { shape, regs }
            }
            Softmax(a, d) => softmax(&mut w, r(*a), *d, false)?,
            LogSoftmax(a, d) => softmax(&mut w, r(*a), *d, true)?,
            Pick(a, classes) => {
                let a = r(*a);
                let cols = *a.shape.get(1)?;
                let regs = classes
                    .iter()
                    .enumerate()
                    .map(|(row, &c)| (c < cols).then(|| a.regs[row * cols + c]))
                    .collect::<Option<Vec<Reg>>>()?;
                Lowered {
                    shape: vec![classes.len()],
                    regs,
                }
            }
            Dot(a, b) => {
                let (a, b) = (r(*a), r(*b));
                let terms: Vec<Reg> = a
                    .regs
                    .iter()
                    .zip(&b.regs)
                    .map(|(&x, &y)| w.binary(ferrograd_scalar::Binary::Mul, x, y))
                    .collect();
                Lowered {
                    shape: vec![],
                    regs: vec![w.sum(&terms)],
                }
            }
            AddN(terms) => {
                let first = r(*terms.first()?).clone();
                terms[1..].iter().fold(first, |acc, &t| Lowered {
                    regs: acc
                        .regs
                        .iter()
                        .zip(&r(t).regs)
                        .map(|(&x, &y)| w.binary(ferrograd_scalar::Binary::Add, x, y))
                        .collect(),
                    shape: acc.shape,
                })
            }
        };
        if t.shape != shapes[i] || t.regs.len() != t.shape.iter().product::<usize>() {
            return None;
        }
        regs.push(t);
    }
    let last = regs.last()?;
    let mut out = w.sum(&last.regs.clone());
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
