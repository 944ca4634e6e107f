//! The generator behind [`Program::random_hard`]: programs built around one
//! operation in the region where its rules are hardest to get right.
//!
//! Each program loads a few inputs, applies one *focus* operation to inputs
//! drawn from that operation's hard region (a divisor of 1e-30, `i32::MIN`
//! as an integer exponent, and for every [`Unary`] function one of its
//! [`Unary::edges`]: a saturated `tanh`, `exp` a few units below overflow,
//! `ln` next to 1 or 0, `log1p` next to -1, ...), sometimes scales its
//! result by a tiny constant or by exactly 0 (so the rule sees a tiny or a
//! zero upstream gradient), and then continues with a few ordinary random
//! operations so the focus sits inside a computation, not at its end.

use rand::Rng;

use super::random::{edge_value, Gen};
use super::{Binary, Edge, Instr, Program, Unary};

/// Draws of the focus before the generator settles for a plain `tanh`.
const TRIES: usize = 64;

/// The hard regions: the tape's powers and the binary functions' own, then
/// every unary function at one of its edges.
#[derive(Debug, Clone, Copy)]
enum Focus {
    Div,
    Powi,
    Powf,
    Pow,
    Unary(Unary, Edge),
}

/// Foci of two operands or with an exponent; each unary function counts
/// as one more, its edge drawn next.
const OTHER_FOCI: [Focus; 4] = [Focus::Div, Focus::Powi, Focus::Powf, Focus::Pow];

/// One focus, each operation equally likely.
fn pick<R: Rng + ?Sized>(rng: &mut R) -> Focus {
    let i = rng.random_range(0..OTHER_FOCI.len() + Unary::ALL.len());
    match OTHER_FOCI.get(i) {
        Some(&f) => f,
        None => {
            let u = Unary::ALL[i - OTHER_FOCI.len()];
            let edges = u.edges();
            Focus::Unary(u, edges[rng.random_range(0..edges.len())])
        }
    }
}

/// An argument from `edge`, mirrored into the function's domain (`ln`
/// near 0 from above, `log1p` near -1 from above), given the largest
/// magnitude a register may reach.
fn argument<R: Rng + ?Sized>(rng: &mut R, edge: Edge, above: Option<f64>, max_abs: f64) -> f64 {
    let x = match edge {
        Edge::At(x) => x,
        Edge::Near { center, lo, hi } => {
            let d = log_uniform(rng, lo, hi);
            center + signed(rng, d)
        }
        Edge::Band { lo, hi } => {
            let x = rng.random_range(lo..hi);
            signed(rng, x)
        }
        Edge::Overflow { below } => {
            let reach = max_abs.ln();
            let x = reach - rng.random_range(0.0..below.min(reach));
            signed(rng, x)
        }
    };
    match above {
        Some(lo) if x <= lo => lo + (lo - x),
        _ => x,
    }
}

/// `10^u` for `u` uniform in `lo..hi`.
fn log_uniform<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    10f64.powf(rng.random_range(lo..hi))
}

fn signed<R: Rng + ?Sized>(rng: &mut R, x: f64) -> f64 {
    if rng.random_bool(0.5) {
        x
    } else {
        -x
    }
}

/// An integer exponent: anything up to ±64, or the ends of `i32`.
fn exponent<R: Rng + ?Sized>(rng: &mut R) -> i32 {
    match rng.random_range(0..10) {
        0 => i32::MIN,
        1 => i32::MAX,
        2 => i32::MIN + 1,
        3 => rng.random_range(-4..=4),
        _ => rng.random_range(-64..=64),
    }
}

/// A base that keeps `base ** n` inside `max_abs` (or exactly at 1, 2 or
/// 0.5, whose huge powers underflow to 0 or stay 1).
fn base_for<R: Rng + ?Sized>(rng: &mut R, n: i32, max_abs: f64) -> f64 {
    let m = f64::from(n).abs().max(1.0);
    if m > 1e6 || rng.random_bool(0.2) {
        let b = [1.0, 2.0, 0.5, 1.5, 0.75][rng.random_range(0..5)];
        return signed(rng, b);
    }
    let reach = 0.9 * max_abs.ln();
    let b = (rng.random_range(-reach..reach) / m).exp();
    signed(rng, b)
}

/// One focus instruction on fresh inputs: pushes the inputs and the
/// instruction, returns whether it fits the range.
fn focus<R: Rng + ?Sized>(rng: &mut R, g: &mut Gen, inputs: &mut Vec<f64>, f: Focus) -> bool {
    let max_abs = g.max_abs;
    let load = |g: &mut Gen, inputs: &mut Vec<f64>, x: f64| {
        inputs.push(x);
        g.push(Instr::Input(inputs.len() - 1), x);
        g.vals.len() - 1
    };
    let (instr, a, b) = match f {
        Focus::Unary(u, edge) => {
            let x = argument(rng, edge, u.domain_above(), max_abs);
            if u.domain_above().is_some_and(|lo| x <= lo) {
                return false;
            }
            let a = load(g, inputs, x);
            (Instr::Unary(u, a), a, a)
        }
        Focus::Div => {
            let a = load(g, inputs, edge_value(rng));
            let d = log_uniform(rng, -30.0, 30.0);
            let d = signed(rng, d);
            let b = load(g, inputs, d);
            (Instr::Binary(Binary::Div, a, b), a, b)
        }
        Focus::Powi => {
            let n = exponent(rng);
            let a = load(g, inputs, base_for(rng, n, max_abs));
            (Instr::Powi(a, n), a, a)
        }
        Focus::Powf => {
            // Exponents like -1.7: one decimal, or any value in -4..4.
            let e = if rng.random_bool(0.5) {
                (rng.random_range(-40..=40) as f64) / 10.0
            } else {
                rng.random_range(-4.0..4.0)
            };
            let a = load(g, inputs, log_uniform(rng, -8.0, 3.0));
            (Instr::Powf(a, e), a, a)
        }
        Focus::Pow => {
            let a = load(g, inputs, log_uniform(rng, -3.0, 2.0));
            let b = load(g, inputs, rng.random_range(-4.0..4.0));
            (Instr::Binary(Binary::Pow, a, b), a, b)
        }
    };
    let v = instr.eval(g.vals[a], g.vals[b]);
    if !(v.is_finite() && v.abs() <= max_abs) {
        return false;
    }
    g.push(instr, v);
    true
}

pub(super) fn program<R: Rng + ?Sized>(rng: &mut R, max_abs: f64, max_ops: usize) -> Program {
    let mut inputs = Vec::new();
    let mut g = Gen {
        instrs: Vec::new(),
        vals: Vec::new(),
        max_abs,
    };
    // Ordinary inputs for the context around the focus.
    for _ in 0..rng.random_range(0..=2) {
        let x = edge_value(rng);
        inputs.push(x);
        g.push(Instr::Input(inputs.len() - 1), x);
    }
    let f = pick(rng);
    let mut placed = false;
    for _ in 0..TRIES {
        let (n_instrs, n_inputs) = (g.instrs.len(), inputs.len());
        if focus(rng, &mut g, &mut inputs, f) {
            placed = true;
            break;
        }
        g.instrs.truncate(n_instrs);
        g.vals.truncate(n_instrs);
        inputs.truncate(n_inputs);
    }
    if !placed {
        let tanh = Focus::Unary(Unary::Tanh, Edge::Band { lo: 0.0, hi: 50.0 });
        let ok = focus(rng, &mut g, &mut inputs, tanh);
        debug_assert!(ok, "tanh of a bounded input is always finite");
    }
    // A tiny or a zero upstream gradient for the focus.
    let out = g.vals.len() - 1;
    match rng.random_range(0..8) {
        0 => {
            g.push(Instr::Const(0.0), 0.0);
            g.push(Instr::Binary(Binary::Mul, out, out + 1), 0.0 * g.vals[out]);
        }
        1 | 2 => {
            let c = log_uniform(rng, -30.0, 0.0);
            let v = g.vals[out] * c;
            g.push(Instr::Const(c), c);
            g.push(Instr::Binary(Binary::Mul, out, out + 1), v);
        }
        _ => {}
    }
    let n_ops = rng.random_range(0..=max_ops);
    g.finish(rng, n_ops, true, inputs)
}
