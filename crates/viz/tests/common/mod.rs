//! Graphs of the seed notebook, shared by the tests.

#![allow(dead_code)]

use ferrograd_scalar::Value;

/// Section 3's `L = (a*b + c) * f`, labelled as the notebook labels it.
pub fn expression() -> Value<f64> {
    let a = Value::new(2.0).with_label("a");
    let b = Value::new(-3.0).with_label("b");
    let c = Value::new(10.0).with_label("c");
    let e = (&a * &b).with_label("e");
    let d = (&e + &c).with_label("d");
    let f = Value::new(-2.0).with_label("f");
    (&d * &f).with_label("L")
}

/// Sections 6 to 10: `o = tanh(x1*w1 + x2*w2 + b)`.
pub fn neuron() -> Value<f64> {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let x1w1 = (&x1 * &w1).with_label("x1*w1");
    let x2w2 = (&x2 * &w2).with_label("x2*w2");
    let sum = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
    let n = (&sum + &b).with_label("n");
    n.tanh().with_label("o")
}

/// Section 10: `f = (a*b) * (a+b)`, where `a` and `b` are each used twice.
pub fn shared_operands() -> Value<f64> {
    let a = Value::new(-2.0).with_label("a");
    let b = Value::new(3.0).with_label("b");
    let d = (&a * &b).with_label("d");
    let e = (&a + &b).with_label("e");
    (&d * &e).with_label("f")
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
