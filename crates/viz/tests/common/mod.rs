//! Graphs of the seed notebook, shared by the tests, the benches and the
//! example (which include this file by path).

#![allow(dead_code)]

use ferrograd_data::notebook::{self as seed, Expression, Neuron};
use ferrograd_scalar::nn::{Layer, Mlp};
use ferrograd_scalar::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Section 3's `L = (a*b + c) * f`, labelled as the notebook labels it.
pub fn expression() -> Value<f64> {
    let Expression { a, b, c, f } = seed::EXPRESSION.map(leaf);
    let e = (&a * &b).with_label("e");
    let d = (&e + &c).with_label("d");
    (&d * &f).with_label("L")
}

/// Sections 6 to 10: `o = tanh(x1*w1 + x2*w2 + b)`.
pub fn neuron() -> Value<f64> {
    let Neuron { x1, x2, w1, w2, b } = seed::NEURON.map(leaf);
    let x1w1 = (&x1 * &w1).with_label("x1*w1");
    let x2w2 = (&x2 * &w2).with_label("x2*w2");
    let sum = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
    let n = (&sum + &b).with_label("n");
    n.tanh().with_label("o")
}

/// Section 10: `f = (a*b) * (a+b)`, where `a` and `b` are each used twice.
pub fn shared_operands() -> Value<f64> {
    let [a, b] = seed::SHARED_OPERANDS;
    let (a, b) = (leaf("a", a), leaf("b", b));
    let d = (&a * &b).with_label("d");
    let e = (&a + &b).with_label("e");
    (&d * &e).with_label("f")
}

/// A labelled leaf, as the notebook makes them.
fn leaf(label: &'static str, x: f64) -> Value<f64> {
    Value::new(x).with_label(label)
}

/// A chain of `n` unary operations on one leaf (`n + 1` nodes), alternating
/// `tanh` and `exp` (a constant operand would add a leaf per step).
pub fn chain(n: usize) -> Value<f64> {
    let mut v = Value::new(0.5).with_label("x");
    for i in 0..n {
        v = if i % 2 == 0 { v.tanh() } else { v.exp() };
    }
    v
}

/// Newton's iteration for the square root of 2, `y = 0.5 * (y + a / y)`,
/// `steps` times: each step uses `y` twice, so the number of paths from the
/// first `y` to the root doubles per step (`2 + 4 * steps` nodes).
pub fn newton(steps: usize) -> Value<f64> {
    let a = Value::new(2.0).with_label("a");
    let mut y = Value::new(1.0).with_label("y");
    for _ in 0..steps {
        y = 0.5 * (&y + &a / &y);
    }
    y
}

/// A braid: two strands where each step uses both previous values,
/// `(a, b) = (a + b, a * b)`, joined by a last `+` (`3 + 2 * steps` nodes).
pub fn braid(steps: usize) -> Value<f64> {
    let mut a = Value::new(0.5).with_label("a");
    let mut b = Value::new(0.3).with_label("b");
    for _ in 0..steps {
        (a, b) = (&a + &b, &a * &b);
    }
    &a + &b
}

/// The sum of `leaves` labelled leaves, added one at a time
/// (`2 * leaves - 1` nodes).
pub fn sum_of_leaves(leaves: usize) -> Value<f64> {
    let mut terms = (0..leaves).map(|i| Value::new(i as f64 * 0.01).with_label(format!("x{i}")));
    let first = terms.next().expect("at least one leaf");
    terms.fold(first, |acc, x| &acc + &x)
}

/// A dot product of `pairs` pairs of leaves, summed left to right
/// (`4 * pairs - 1` nodes): wide ranks, costly for crossing reduction.
pub fn dot_product(pairs: usize) -> Value<f64> {
    let leaves: Vec<Value<f64>> = (0..2 * pairs).map(|i| Value::new(i as f64 * 0.1)).collect();
    leaves.chunks(2).map(|p| &p[0] * &p[1]).sum()
}

/// The notebook's MLP 3-4-4-1 on its `x`: the same seeded generator first
/// draws a neuron and a layer, as the notebook page does.
pub fn notebook_mlp() -> (Mlp<f64>, Value<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed::SEED);
    let x = seed::X;
    let _neuron = Layer::<f64>::new(x.len(), 1, &mut rng).unwrap();
    let _layer = Layer::<f64>::new(x.len(), 3, &mut rng).unwrap();
    let mlp = Mlp::<f64>::new(x.len(), &seed::MLP_SIZES, &mut rng).unwrap();
    let out = mlp.forward(&x).unwrap().remove(0);
    (mlp, out)
}

/// The notebook's loss: squared errors of its MLP over the four samples,
/// summed, after `backward`.
pub fn notebook_loss() -> Value<f64> {
    let (mlp, _) = notebook_mlp();
    let loss: Value<f64> = seed::XS
        .iter()
        .zip(seed::YS)
        .map(|(x, y)| (&mlp.forward(x).unwrap()[0] - y).powi(2))
        .sum();
    loss.backward();
    loss
}

/// Parses DOT with layout-rs, builds its graph and lays it out; returns the
/// SVG, or the parser's message.
pub fn layout_dot(dot: &str) -> Result<String, String> {
    let mut parser = layout::gv::DotParser::new(dot);
    let ast = parser.process()?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&ast);
    let mut vg = builder.get();
    let mut svg = layout::backends::svg::SVGWriter::new();
    vg.do_it(false, false, false, &mut svg);
    Ok(svg.finalize())
}

/// Every `(node, attribute, value)` of a parsed DOT graph.
pub fn node_attributes(dot: &str) -> Vec<(String, String, String)> {
    let ast = layout::gv::DotParser::new(dot)
        .process()
        .expect("DOT parses");
    ast.list
        .list
        .iter()
        .filter_map(|s| match s {
            layout::gv::parser::ast::Stmt::Node(n) => Some(n),
            _ => None,
        })
        .flat_map(|n| {
            n.list
                .list
                .iter()
                .map(move |(k, v)| (n.id.name.clone(), k.clone(), v.clone()))
        })
        .collect()
}

/// The notebook's PyTorch cell in tensor form: the neuron with one-element
/// tensors, `o = tanh(x1*w1 + x2*w2 + b)`, labelled as the scalar one.
pub fn tensor_neuron() -> ferrograd_tensor::Tensor<f64> {
    use ferrograd_tensor::Tensor;
    let Neuron { x1, x2, w1, w2, b } =
        seed::NEURON.map(|label, x| Tensor::param([x]).with_label(label));
    let x1w1 = (&x1 * &w1).with_label("x1*w1");
    let x2w2 = (&x2 * &w2).with_label("x2*w2");
    let sum = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
    let n = (&sum + &b).with_label("n");
    n.tanh().with_label("o")
}
