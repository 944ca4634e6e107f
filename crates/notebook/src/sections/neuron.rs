//! Sections 6 to 10: the neuron `o = tanh(x1*w1 + x2*w2 + b)`, backpropagated
//! by hand, one node at a time, then automatically.

use ferrograd::data::notebook as seed;
use ferrograd::viz::draw_dot;
use ferrograd::Value;

use crate::{cell, Notebook, Res};

const SRC: &str = include_str!("neuron.rs");

pub(super) fn run(nb: &mut Notebook) -> Res<()> {
    nb.section("Second Manual backpropagation")
        .text("Initialize values of the network: inputs x1, x2, weights w1, w2, bias b.");
    nb.caption("draw_dot(o)");
    cell!(nb, {
        // inputs x1, x2; weights w1, w2; bias b
        let seed::Neuron { x1, x2, w1, w2, b } =
            seed::NEURON.map(|label, x| Value::new(x).with_label(label));

        // x1w1 + x2w2 + b
        let x1w1 = &x1 * &w1;
        x1w1.set_label("x1*w1");

        let x2w2 = &x2 * &w2;
        x2w2.set_label("x2*w2");

        let x1w1x2w2 = &x1w1 + &x2w2;
        x1w1x2w2.set_label("x1*w1 + x2*w2");

        let n = &x1w1x2w2 + &b;
        n.set_label("n");
        let o = n.tanh();
        o.set_label("o");
    } => draw_dot(&o)?);
    nb.text("Backpropagation");
    nb.caption("after do/do = 1");
    cell!(nb, {
        o.set_grad(1.0);
    } => draw_dot(&o)?);
    nb.text("o = tanh(n), so do/dn = 1 - tanh(n)² = 1 - o².");
    nb.caption("after do/dn");
    cell!(nb, {
        n.set_grad(1.0 - o.data().powi(2));
    } => draw_dot(&o)?);
    nb.caption("after the + node");
    cell!(nb, {
        b.set_grad(n.grad());
        x1w1x2w2.set_grad(n.grad());
    } => draw_dot(&o)?);
    nb.caption("after the second + node");
    cell!(nb, {
        x1w1.set_grad(x1w1x2w2.grad());
        x2w2.set_grad(x1w1x2w2.grad());
    } => draw_dot(&o)?);
    nb.text("x1w1 = x1 * w1, so d(x1w1)/dx1 = w1 and d(x1w1)/dw1 = x1.");
    nb.caption("after x1 and w1");
    cell!(nb, {
        x1.set_grad(x1w1.grad() * w1.data());
        w1.set_grad(x1w1.grad() * x1.data());
    } => draw_dot(&o)?);
    nb.caption("every gradient of the neuron, by hand");
    cell!(nb, {
        x2.set_grad(x2w2.grad() * w2.data());
        w2.set_grad(x2w2.grad() * x2.data());
    } => draw_dot(&o)?);

    nb.section("Semiautomation of the backpropagation").text(
        "Reset values of the network (a fresh neuron, as the notebook builds it again), then \
         apply each node's own chain rule (micrograd's _backward, here backward_step) in turn.",
    );
    nb.caption("draw_dot(o)");
    cell!(nb, {
        let seed::Neuron { x1, x2, w1, w2, b } =
            seed::NEURON.map(|label, x| Value::new(x).with_label(label));
        let x1w1 = (&x1 * &w1).with_label("x1*w1");
        let x2w2 = (&x2 * &w2).with_label("x2*w2");
        let x1w1x2w2 = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
        let n = (&x1w1x2w2 + &b).with_label("n");
        let o = n.tanh().with_label("o");
    } => draw_dot(&o)?);
    nb.caption("after o's step");
    cell!(nb, {
        o.set_grad(1.0);
        o.backward_step();
    } => draw_dot(&o)?);
    nb.caption("after n's step");
    cell!(nb, {
        n.backward_step();
        b.backward_step(); // a leaf: nothing to do
    } => draw_dot(&o)?);
    nb.caption("after the + node's step");
    cell!(nb, {
        x1w1x2w2.backward_step();
    } => draw_dot(&o)?);
    nb.caption("every gradient, one node at a time");
    cell!(nb, {
        x2w2.backward_step();
        x1w1.backward_step();
    } => draw_dot(&o)?);

    nb.section_continued("Topological graph").text(
        "build_topo lists every node after the nodes it is computed from; backward() walks that \
         list from the end. Value::topo gives the same order without recursion.",
    );
    cell!(nb, {} => o.topo());

    nb.section("Automation of the backpropagation")
        .text("Reseting gradients: a fresh neuron, then one call fills every gradient.");
    nb.caption("draw_dot(o)");
    cell!(nb, {
        let seed::Neuron { x1, x2, w1, w2, b } =
            seed::NEURON.map(|label, x| Value::new(x).with_label(label));
        let x1w1 = (&x1 * &w1).with_label("x1*w1");
        let x2w2 = (&x2 * &w2).with_label("x2*w2");
        let x1w1x2w2 = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
        let n = (&x1w1x2w2 + &b).with_label("n");
        let o = n.tanh().with_label("o");
    } => draw_dot(&o)?);
    nb.caption("after o.backward()");
    cell!(nb, {
        o.backward();
    } => draw_dot(&o)?);

    nb.section("New topologies - Autonomous Backpropagation")
        .text("A node used twice gets both contributions: b = a + a gives db/da = 2.");
    nb.caption("b = a + a after b.backward()");
    cell!(nb, {
        let a = Value::new(2.0).with_label("a");
        let b = (&a + &a).with_label("b");
        b.backward();
    } => draw_dot(&b)?);
    nb.caption("f = (a*b) * (a+b) after f.backward()");
    cell!(nb, {
        let [a, b] = seed::SHARED_OPERANDS; // -2, 3
        let (a, b) = (Value::new(a).with_label("a"), Value::new(b).with_label("b"));
        let d = (&a * &b).with_label("d");
        let e = (&a + &b).with_label("e");
        let f = (&d * &e).with_label("f");
        f.backward();
    } => draw_dot(&f)?);
    cell!(nb, {
        let z = Value::new(1.0).with_label("z");
        let tanh_z = z.tanh();
    } => tanh_z);
    Ok(())
}
