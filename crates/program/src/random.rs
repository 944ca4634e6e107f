//! The random program generator behind [`Program::random`].
//!
//! Programs are drawn one instruction at a time while their `f64` values are
//! tracked, so every draw can aim at the edge of an op's domain (a logarithm
//! of a number close to 0, the tanh of a large argument, relu of exactly 0,
//! a negative base under an integer exponent) and a draw that would leave
//! the finite range is redrawn instead of producing a case no engine can be
//! judged on.

use rand::Rng;

use super::{Binary, Instr, Program, Reg, Shape, Unary};

/// Draws of one instruction before the generator gives up on it.
pub(super) const TRIES: usize = 32;

/// Float exponents for `powf`; the integral ones may take negative bases.
const POWF_EXPONENTS: [f64; 9] = [0.5, 1.5, -0.5, 2.5, 3.0, -2.0, 0.0, 1.0, 0.3333333333333333];

pub(super) fn program<R: Rng + ?Sized>(rng: &mut R, shape: &Shape) -> Program {
    let chain = rng.random_bool(shape.deep_chain.clamp(0.0, 1.0));
    let n_inputs = rng.random_range(1..=shape.max_inputs.max(1));
    let inputs: Vec<f64> = (0..n_inputs).map(|_| edge_value(rng)).collect();
    let mut g = Gen {
        instrs: Vec::new(),
        vals: Vec::new(),
        max_abs: shape.max_abs,
    };
    for (k, &x) in inputs.iter().enumerate() {
        g.push(Instr::Input(k), x);
    }
    let n_ops = if chain {
        shape.chain_len
    } else {
        rng.random_range(1..=shape.max_ops.max(1))
    };
    g.finish(rng, n_ops, chain, inputs)
}

/// An input value, biased towards the edges of the ops' domains.
pub(super) fn edge_value<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    match rng.random_range(0..20) {
        // relu, abs, pow and division exactly at 0, either zero
        0 => sign * 0.0,
        // ln, sqrt and powf just above 0; log1p and expm1 of tiny arguments
        1..=3 => 10f64.powf(-rng.random_range(1.0..8.0)),
        // saturated tanh and sigmoid, large exp and expm1
        4..=6 => sign * rng.random_range(5.0..30.0),
        // integral values (negative bases of integer powers)
        7..=9 => f64::from(rng.random_range(-3..=3)),
        _ => rng.random_range(-3.0..3.0),
    }
}

/// A program being drawn, with the `f64` value of every register so far.
pub(super) struct Gen {
    pub(super) instrs: Vec<Instr>,
    pub(super) vals: Vec<f64>,
    pub(super) max_abs: f64,
}

impl Gen {
    pub(super) fn push(&mut self, instr: Instr, v: f64) {
        self.instrs.push(instr);
        self.vals.push(v);
    }

    /// An operand: often a recent register (deep dependencies), else any
    /// earlier one (shared subexpressions far apart).
    fn operand<R: Rng + ?Sized>(&self, rng: &mut R, chain: bool) -> Reg {
        let n = self.vals.len();
        if chain || rng.random_bool(0.5) {
            n - 1 - rng.random_range(0..n.min(3))
        } else {
            rng.random_range(0..n)
        }
    }

    /// Whether register `r` is a small integer loaded as such.
    fn exact_integer(&self, r: Reg) -> bool {
        let v = self.vals[r];
        matches!(self.instrs[r], Instr::Input(_) | Instr::Const(_))
            && v.fract() == 0.0
            && v.abs() <= 4.0
    }

    /// One candidate instruction and its value, or `None` if it misses the
    /// op's domain or the finite range.
    pub(super) fn draw<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        chain: bool,
        inputs: &[f64],
    ) -> Option<(Instr, f64)> {
        let a = if chain {
            self.vals.len() - 1
        } else {
            self.operand(rng, false)
        };
        let b = self.operand(rng, false);
        let (va, vb) = (self.vals[a], self.vals[b]);
        // input, const, every binary and unary function, powi, powf.
        let (nb, nu) = (Binary::ALL.len(), Unary::ALL.len());
        let pick = rng.random_range(0..nb + nu + 4);
        let instr = match pick {
            0 => {
                let k = rng.random_range(0..inputs.len());
                return Some((Instr::Input(k), inputs[k]));
            }
            1 => {
                let c = edge_value(rng);
                return Some((Instr::Const(c), c));
            }
            p if p < 2 + nb => {
                let f = Binary::ALL[p - 2];
                let fits = match f {
                    Binary::Div => vb.abs() > 1e-6,
                    // A negative base only under an exponent that is an integer in
                    // every precision: a loaded input or constant, not a computed
                    // value that is integral in f64 but an ulp off in f32.
                    Binary::Pow => va > 0.0 || (va != 0.0 && self.exact_integer(b)),
                    _ => true,
                };
                if !fits {
                    return None;
                }
                Instr::Binary(f, a, b)
            }
            p if p < 2 + nb + nu => {
                let f = Unary::ALL[p - 2 - nb];
                // Inside the domain, and not at its end: sqrt's slope at 0 is
                // infinite, and infinity times the rounding residue of a
                // cancelling gradient is NaN or ±inf at random.
                if f.domain_above().is_some_and(|lo| va <= lo) {
                    return None;
                }
                Instr::Unary(f, a)
            }
            p if p == 2 + nb + nu => {
                let n = rng.random_range(-3..=4);
                if va == 0.0 && n <= 0 {
                    return None;
                }
                Instr::Powi(a, n)
            }
            _ => {
                let e = POWF_EXPONENTS[rng.random_range(0..POWF_EXPONENTS.len())];
                if (va < 0.0 && e.fract() != 0.0) || (va == 0.0 && e < 1.0) {
                    return None;
                }
                Instr::Powf(a, e)
            }
        };
        let v = instr.eval(va, vb);
        (v.is_finite() && v.abs() <= self.max_abs).then_some((instr, v))
    }

    /// Adds every register nobody reads (except constants and the output)
    /// into the output, so the whole program feeds the gradients.
    /// Draws `n_ops` more instructions (each given [`TRIES`] draws), folds
    /// dangling registers into the output and returns the program.
    pub(super) fn finish<R: Rng + ?Sized>(
        mut self,
        rng: &mut R,
        n_ops: usize,
        chain: bool,
        inputs: Vec<f64>,
    ) -> Program {
        for _ in 0..n_ops {
            for _ in 0..TRIES {
                if let Some((instr, v)) = self.draw(rng, chain, &inputs) {
                    self.push(instr, v);
                    break;
                }
            }
        }
        self.fold_dangling();
        Program {
            inputs,
            instrs: self.instrs,
        }
    }

    fn fold_dangling(&mut self) {
        let n = self.instrs.len();
        let mut used = vec![false; n];
        for instr in &self.instrs {
            for r in instr.operands() {
                used[r] = true;
            }
        }
        let dangling: Vec<Reg> = (0..n.saturating_sub(1))
            .filter(|&r| !used[r] && !matches!(self.instrs[r], Instr::Const(_)))
            .collect();
        for r in dangling {
            let out = self.instrs.len() - 1;
            let v = self.vals[out] + self.vals[r];
            if v.is_finite() {
                self.push(Instr::Binary(Binary::Add, out, r), v);
            }
        }
    }
}
