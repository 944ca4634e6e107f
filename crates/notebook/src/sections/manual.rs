//! Sections 1 to 5: imports, the parabola's slope, the forward pass and the
//! first backpropagation by hand, tanh.
#![allow(unused_imports)] // the imports cell repeats this file's imports, as a notebook shows them

use ferrograd::data::notebook as seed;
use ferrograd::viz::{draw_dot, Plot};
use ferrograd::Value;

use crate::{cell, Notebook, Res};

const SRC: &str = include_str!("manual.rs");

pub(super) fn run(nb: &mut Notebook) -> Res<()> {
    nb.section("Imports")
        .text("Python imports numpy, math and matplotlib; here everything comes from one crate.");
    cell!(nb, {
        use ferrograd::data::notebook as seed; // the notebook's numbers
        use ferrograd::nn::{Layer, Mlp, Neuron};
        use ferrograd::tensor::Tensor; // batched, as torch.Tensor
        use ferrograd::viz::{draw_dot, Plot};
        use ferrograd::{no_grad, Value};
    });
    cell!(nb, {
        fn f(x: f64) -> f64 {
            3.0 * x * x - 4.0 * x + 5.0
        }
    } => f(2.0));

    nb.section("Parabolic Function - Derivative example");
    nb.caption("f(x) over np.arange(-5, 5, 0.25)");
    cell!(nb, {
        let xs: Vec<f64> = (0..40).map(|i| -5.0 + 0.25 * f64::from(i)).collect();
        let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
    } => Plot::new("f(x) = 3x² - 4x + 5")
        .series("f(x)", xs.iter().copied().zip(ys.iter().copied()))
        .picture()?);
    cell!(nb, {
        let h = 0.0000001;
        let x = -3.0;
    } => (f(x + h) - f(x)) / h);
    nb.text("The slope at x = -3 is close to f'(-3) = 6x - 4 = -22.");

    nb.section("Forward Pass Manually");
    cell!(nb, {
        // lets get more complex
        let seed::Expression { a, b, c, .. } = seed::EXPRESSION;
        let d = a * b + c;
    } => d);
    nb.text("Nudge a by h: the slope of d with respect to a is b = -3.");
    cell!(nb, {
        let h = 0.0000001;
        let seed::Expression { mut a, b, c, .. } = seed::EXPRESSION;
        let d1 = a * b + c;
        a += h;
        let d2 = a * b + c;
    } => (d1, d2, (d2 - d1) / h));
    nb.text("Nudge b by h: the slope of d with respect to b is a = 2.");
    cell!(nb, {
        let h = 0.0000001;
        let seed::Expression { a, mut b, c, .. } = seed::EXPRESSION;
        let d1 = a * b + c;
        b += h;
        let d2 = a * b + c;
    } => (d1, d2, (d2 - d1) / h));
    cell!(nb, {} => a + b);
    nb.text("Initial values: the same expression as values that remember how they were made.");
    cell!(nb, {
        let seed::Expression { a, b, c, f } =
            seed::EXPRESSION.map(|label, x| Value::new(x).with_label(label));
        let e = &a * &b;
        e.set_label("e");
        let d = &e + &c;
        d.set_label("d");
        let l = &d * &f;
        l.set_label("L");
    });

    nb.section_continued("First Manual backpropagation");
    nb.caption("draw_dot(L): every grad is 0");
    cell!(nb, {} => draw_dot(&l)?);
    nb.text("dL/dL = 1");
    nb.caption("after dL/dL = 1");
    cell!(nb, {
        l.set_grad(1.0);
    } => draw_dot(&l)?);
    nb.text("L = d * f, so dL/dd = f and dL/df = d.");
    nb.caption("after dL/df and dL/dd");
    cell!(nb, {
        f.set_grad(d.data());
        d.set_grad(f.data());
    } => draw_dot(&l)?);
    nb.text("d = e + c: the plus node routes the gradient, dL/de = dL/dc = dL/dd * 1.");
    nb.caption("after dL/de and dL/dc");
    cell!(nb, {
        e.set_grad(d.grad() * 1.0);
        c.set_grad(d.grad() * 1.0);
    } => draw_dot(&l)?);
    nb.text("e = a * b: dL/da = dL/de * b and dL/db = dL/de * a.");
    nb.caption("every gradient filled in by hand");
    cell!(nb, {
        a.set_grad(e.grad() * b.data());
        b.set_grad(e.grad() * a.data());
    } => draw_dot(&l)?);
    nb.text("Manual forward pass: nudge every input along its gradient and recompute L; it grows.");
    cell!(nb, {
        for v in [&a, &b, &c, &f] {
            v.set_data(v.data() + v.grad() * 0.01);
        }
        let e = &a * &b;
        let d = &e + &c;
        let l = &d * &f;
    } => l.data());
    cell!(nb, {
        fn lol() -> f64 {
            let h = 0.001;

            let seed::Expression { a, b, c, f } =
                seed::EXPRESSION.map(|label, x| Value::new(x).with_label(label));
            let e = &a * &b;
            let d = &e + &c;
            let l1 = (&d * &f).data();

            let c = Value::new(seed::EXPRESSION.c + h).with_label("c");
            let e = &a * &b;
            let d = &e + &c;
            let l2 = (&d * &f).data();

            (l2 - l1) / h // dL/dc
        }
    } => lol());
    nb.text("That is dL/dc = -2, the gradient found by hand above.");

    nb.section("Hiperbolic tangent definition");
    nb.caption("tanh squashes its input into (-1, 1)");
    cell!(nb, {} => Plot::new("tanh(x)")
        .series("tanh(x)", xs.iter().map(|&x| (x, x.tanh())))
        .picture()?);
    Ok(())
}
