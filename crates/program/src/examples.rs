//! The computations of the seed notebook and of micrograd's engine tests as
//! programs, written once here and run by every backend (and by the parity
//! suite against PyTorch).

use super::{Builder, Program, Unary};

/// A named program with the names of its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Short name for reports (`"notebook: neuron o = tanh(n)"`).
    pub name: &'static str,
    /// One name per input, in input order.
    pub input_names: Vec<&'static str>,
    /// The computation.
    pub program: Program,
}

fn finish(name: &'static str, input_names: Vec<&'static str>, b: Builder) -> Example {
    let program = b
        .finish()
        .expect("the built-in examples are valid programs");
    Example {
        name,
        input_names,
        program,
    }
}

/// Every example, notebook first.
pub fn all() -> Vec<Example> {
    vec![
        notebook_d(),
        notebook_l(),
        notebook_neuron(),
        notebook_a_plus_a(),
        notebook_d_times_e(),
        notebook_tanh_z(),
        micrograd_sanity_check(),
        micrograd_more_ops(),
    ]
}

/// Notebook, "lets get more complex": `d = a*b + c` with a = 2, b = -3, c = 10.
pub fn notebook_d() -> Example {
    let mut p = Builder::new();
    let a = p.input(2.0);
    let b = p.input(-3.0);
    let c = p.input(10.0);
    let e = p.mul(a, b);
    p.add(e, c);
    finish("notebook: d = a*b + c", vec!["a", "b", "c"], p)
}

/// Notebook, first manual backpropagation: `L = (a*b + c) * f`.
pub fn notebook_l() -> Example {
    let mut p = Builder::new();
    let a = p.input(2.0);
    let b = p.input(-3.0);
    let c = p.input(10.0);
    let f = p.input(-2.0);
    let e = p.mul(a, b);
    let d = p.add(e, c);
    p.mul(d, f);
    finish("notebook: L = (a*b + c)*f", vec!["a", "b", "c", "f"], p)
}

/// Notebook, the neuron (and its PyTorch section):
/// `o = tanh(x1*w1 + x2*w2 + b)`.
pub fn notebook_neuron() -> Example {
    let mut p = Builder::new();
    let x1 = p.input(2.0);
    let x2 = p.input(0.0);
    let w1 = p.input(-3.0);
    let w2 = p.input(1.0);
    let b = p.input(6.881_373_587_019_543);
    let x1w1 = p.mul(x1, w1);
    let x2w2 = p.mul(x2, w2);
    let s = p.add(x1w1, x2w2);
    let n = p.add(s, b);
    p.tanh(n);
    finish(
        "notebook: o = tanh(x1*w1 + x2*w2 + b)",
        vec!["x1", "x2", "w1", "w2", "b"],
        p,
    )
}

/// Notebook, a node used twice: `b = a + a`.
pub fn notebook_a_plus_a() -> Example {
    let mut p = Builder::new();
    let a = p.input(2.0);
    p.add(a, a);
    finish("notebook: b = a + a", vec!["a"], p)
}

/// Notebook, shared operands: `f = (a*b) * (a+b)` with a = -2, b = 3.
pub fn notebook_d_times_e() -> Example {
    let mut p = Builder::new();
    let a = p.input(-2.0);
    let b = p.input(3.0);
    let d = p.mul(a, b);
    let e = p.add(a, b);
    p.mul(d, e);
    finish("notebook: f = (a*b)*(a+b)", vec!["a", "b"], p)
}

/// Notebook: `tanh(z)` with z = 1.
pub fn notebook_tanh_z() -> Example {
    let mut p = Builder::new();
    let z = p.input(1.0);
    p.tanh(z);
    finish("notebook: tanh(z)", vec!["z"], p)
}

/// micrograd's `test_sanity_check`.
pub fn micrograd_sanity_check() -> Example {
    let mut p = Builder::new();
    let x = p.input(-4.0);
    let two = p.constant(2.0);
    let tx = p.mul(two, x);
    let z = p.add_const(tx, 2.0);
    let z = p.add(z, x);
    let rz = p.relu(z);
    let zx = p.mul(z, x);
    let q = p.add(rz, zx);
    let zz = p.mul(z, z);
    let h = p.relu(zz);
    let hq = p.add(h, q);
    let qx = p.mul(q, x);
    p.add(hq, qx);
    finish("micrograd: test_sanity_check", vec!["x"], p)
}

/// micrograd's `test_more_ops`.
pub fn micrograd_more_ops() -> Example {
    let mut p = Builder::new();
    let a = p.input(-4.0);
    let b = p.input(2.0);
    let c = p.add(a, b);
    let ab = p.mul(a, b);
    let b3 = p.powi(b, 3);
    let d = p.add(ab, b3);
    // c += c + 1
    let c1 = p.add_const(c, 1.0);
    let c = p.add(c, c1);
    // c += 1 + c + (-a)
    let one = p.constant(1.0);
    let one_c = p.add(one, c);
    let na = p.neg(a);
    let t = p.add(one_c, na);
    let c = p.add(c, t);
    // d += d * 2 + (b + a).relu()
    let d2 = p.mul_const(d, 2.0);
    let ba = p.add(b, a);
    let rba = p.relu(ba);
    let t = p.add(d2, rba);
    let d = p.add(d, t);
    // d += 3 * d + (b - a).relu()
    let three = p.constant(3.0);
    let d3 = p.mul(three, d);
    let bma = p.sub(b, a);
    let rbma = p.relu(bma);
    let t = p.add(d3, rbma);
    let d = p.add(d, t);
    let e = p.sub(c, d);
    let f = p.powi(e, 2);
    let two = p.constant(2.0);
    let g = p.div(f, two);
    let ten = p.constant(10.0);
    let tf = p.div(ten, f);
    p.add(g, tf);
    finish("micrograd: test_more_ops", vec!["a", "b"], p)
}

/// Bad inputs, where IEEE arithmetic (and PyTorch) decide the answer: NaN
/// through every op, relu of NaN (whose slope passes the gradient on, as
/// ATen's `threshold_backward` does), division by 0, ln and sqrt of a
/// negative number, 0 to a negative power. Not part of [`all`]: the parity
/// suite runs them as their own row.
pub fn bad_inputs() -> Vec<Example> {
    let mut out = Vec::new();
    // relu(x) + 2x at x = NaN: d/dx = 1 + 2 (relu passes g on).
    let mut p = Builder::new();
    let x = p.input(f64::NAN);
    let r = p.relu(x);
    let t = p.mul_const(x, 2.0);
    p.add(r, t);
    out.push(finish("bad input: relu(NaN) + 2 NaN", vec!["x"], p));
    // Every unary op of NaN, summed.
    let mut p = Builder::new();
    let x = p.input(f64::NAN);
    let mut acc = p.unary(Unary::ALL[0], x);
    for &f in &Unary::ALL[1..] {
        let y = p.unary(f, x);
        acc = p.add(acc, y);
    }
    out.push(finish("bad input: every op of NaN", vec!["x"], p));
    // x / y at y = 0, times relu(y) (0): inf * 0 is NaN in both.
    let mut p = Builder::new();
    let x = p.input(1.5);
    let y = p.input(0.0);
    let q = p.div(x, y);
    let r = p.relu(y);
    p.mul(q, r);
    out.push(finish("bad input: (x / 0) * relu(0)", vec!["x", "y"], p));
    // ln(-2) + sqrt(-2) + 0 ** -1.5 + relu(-inf).
    let mut p = Builder::new();
    let x = p.input(-2.0);
    let z = p.input(0.0);
    let i = p.input(f64::NEG_INFINITY);
    let l = p.ln(x);
    let s = p.sqrt(x);
    let w = p.powf(z, -1.5);
    let r = p.relu(i);
    let a = p.add(l, s);
    let b = p.add(a, w);
    p.add(b, r);
    out.push(finish(
        "bad input: ln, sqrt of -2, 0 ** -1.5",
        vec!["x", "z", "i"],
        p,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_scalar;

    #[test]
    fn the_notebook_numbers() {
        let l = run_scalar::<f64>(&notebook_l().program).unwrap();
        assert_eq!((l.value, l.grads), (-8.0, vec![6.0, -4.0, -2.0, 4.0]));
        let o = run_scalar::<f64>(&notebook_neuron().program).unwrap();
        assert!((o.value - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((o.grads[0] + 1.5).abs() < 1e-6 && (o.grads[2] - 1.0).abs() < 1e-6);
        assert_eq!(
            run_scalar::<f64>(&notebook_a_plus_a().program)
                .unwrap()
                .grads,
            vec![2.0]
        );
        let f = run_scalar::<f64>(&notebook_d_times_e().program).unwrap();
        assert_eq!((f.value, f.grads), (-6.0, vec![-3.0, -8.0]));
    }

    #[test]
    fn bad_inputs_give_ieee_answers_without_panicking() {
        let cases = bad_inputs();
        let relu = run_scalar::<f64>(&cases[0].program).unwrap();
        assert!(relu.value.is_nan());
        assert_eq!(relu.grads, vec![3.0], "relu'(NaN) passes g on (ATen)");
        for c in &cases[1..] {
            for out in [
                run_scalar::<f64>(&c.program).unwrap(),
                run_scalar::<f32>(&c.program).unwrap(),
            ] {
                assert!(out.value.is_nan(), "{}: {out:?}", c.name);
            }
        }
    }

    #[test]
    fn micrograd_engine_tests() {
        let s = run_scalar::<f64>(&micrograd_sanity_check().program).unwrap();
        assert_eq!((s.value, s.grads), (-20.0, vec![46.0]));
        let m = run_scalar::<f64>(&micrograd_more_ops().program).unwrap();
        assert!((m.value - 24.704_081_632_653_06).abs() < 1e-12);
        assert!((m.grads[0] - 138.833_819_241_982_5).abs() < 1e-10);
        assert!((m.grads[1] - 645.577_259_475_218_6).abs() < 1e-10);
    }
}
