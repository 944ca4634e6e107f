//! `to_dot` against committed golden files: node order and number format
//! must not drift. `FERROGRAD_UPDATE_GOLDEN=1 cargo test -p ferrograd-viz
//! --test golden` rewrites them after an intended change.

mod common;

use std::path::PathBuf;

use common::{expression, layout_dot, neuron, shared_operands};
use ferrograd_scalar::Value;
use ferrograd_viz::to_dot;

fn check_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("FERROGRAD_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (FERROGRAD_UPDATE_GOLDEN=1 writes it)",
            path.display()
        )
    });
    assert_eq!(actual, expected, "to_dot differs from {}", path.display());
}

/// Every golden graph, and its DOT, lays out with layout-rs.
fn check_parses(dot: &str) {
    let svg = layout_dot(dot).unwrap_or_else(|e| panic!("layout-rs rejected the DOT: {e}\n{dot}"));
    assert!(svg.contains("<svg"));
}

/// `to_dot(v)`, checked against the golden file `name` and by layout-rs.
fn golden(name: &str, v: &Value<f64>) -> String {
    let dot = to_dot(v);
    check_golden(name, &dot);
    check_parses(&dot);
    dot
}

/// A graph, its golden files before and after backward, and records its
/// DOT shows after.
type Case = (
    Value<f64>,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
);

#[test]
fn the_notebook_graphs_before_and_after_backward() {
    // (graph, golden file before backward, after, records shown after)
    let cases: [Case; 3] = [
        (
            expression(),
            Some("expression.dot"),
            "expression_backward.dot",
            &[
                "{ a | data 2.0000 | grad 6.0000 }",
                "{ b | data -3.0000 | grad -4.0000 }",
                "{ L | data -8.0000 | grad 1.0000 }",
            ],
        ),
        (
            neuron(),
            Some("neuron.dot"),
            "neuron_backward.dot",
            &[
                "{ x1 | data 2.0000 | grad -1.5000 }",
                "{ w2 | data 1.0000 | grad 0.0000 }",
                "{ o | data 0.7071 | grad 1.0000 }",
            ],
        ),
        (shared_operands(), None, "shared_operands_backward.dot", &[]),
    ];
    for (root, before, after, records) in cases {
        if let Some(before) = before {
            golden(before, &root);
        }
        root.backward();
        let dot = golden(after, &root);
        for r in records {
            assert!(dot.contains(r), "{after} lacks {r}");
        }
    }
}

#[test]
fn order_does_not_depend_on_what_else_is_on_the_tape() {
    let first = to_dot(&neuron());
    // Fill the tape with unrelated nodes and drop some, so ids differ.
    let noise: Vec<Value<f64>> = (0..5000).map(|i| Value::new(i as f64).exp()).collect();
    drop(noise);
    let _keep: Vec<Value<f64>> = (0..123).map(|i| Value::new(i as f64)).collect();
    assert_eq!(to_dot(&neuron()), first);
}

#[test]
fn a_single_leaf_is_one_record() {
    let x = Value::new(1.5f64).with_label("x");
    let dot = to_dot(&x);
    assert_eq!(
        dot,
        "digraph {\n  graph [rankdir=LR];\n  n0 [shape=record, label=\"{ x | data 1.5000 | grad 0.0000 }\"];\n}\n"
    );
    check_parses(&dot);
}

#[test]
fn the_svg_is_byte_stable() {
    let o = neuron();
    o.backward();
    let first = ferrograd_viz::render_svg(&o).unwrap();
    for _ in 0..5 {
        assert_eq!(ferrograd_viz::render_svg(&o).unwrap(), first);
    }
}

/// The notebook's neuron built from one-element tensors: the same records
/// as the scalar one, with each tensor's shape, before and after backward.
#[test]
fn the_tensor_neuron_before_and_after_backward() {
    let o = common::tensor_neuron();
    let before = to_dot(&o);
    check_golden("tensor_neuron.dot", &before);
    check_parses(&before);
    assert!(before.contains("{ x1 | shape [1] | data 2.0000 | grad none }"));
    o.backward().unwrap();
    let after = to_dot(&o);
    check_golden("tensor_neuron_backward.dot", &after);
    check_parses(&after);
    for r in [
        "{ x1 | shape [1] | data 2.0000 | grad -1.5000 }",
        "{ w2 | shape [1] | data 1.0000 | grad 0.0000 }",
        "{ o | shape [1] | data 0.7071 | grad 1.0000 }",
    ] {
        assert!(after.contains(r), "tensor_neuron_backward.dot lacks {r}");
    }
    // The same operations, in the same places, as the scalar neuron's.
    let ops = |dot: &str| -> Vec<String> {
        dot.lines()
            .filter(|l| l.contains("_op [label="))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(ops(&after), ops(&to_dot(&neuron())));
}

/// A larger tensor shows its mean, minimum and maximum, and a broadcast
/// operand is drawn once with an edge per use.
#[test]
fn a_tensor_layer_shows_summaries_and_shapes() {
    use ferrograd_tensor::Tensor;
    let x = Tensor::<f64>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).with_label("x");
    let w = Tensor::param([[0.5, -1.0], [0.0, 1.0], [2.0, 0.25]]).with_label("w");
    let b = Tensor::param([0.1, -0.1]).with_label("b");
    let y = (x.matmul(&w).unwrap() + &b).with_label("y");
    let loss = (&y * &y).mean().unwrap().with_label("loss");
    loss.backward().unwrap();
    let dot = to_dot(&loss);
    check_golden("tensor_layer_backward.dot", &dot);
    check_parses(&dot);
    assert!(
        dot.contains("{ x | shape [2, 3] | data mean 3.5000 min 1.0000 max 6.0000 | grad none }")
    );
    assert!(dot.contains("{ b | shape [2] | data [0.1000, -0.1000] | grad ["));
    assert!(dot.contains("{ loss | shape [] | data "));
    assert!(dot.contains("[label=\"matmul\"]") && dot.contains("[label=\"mean\"]"));
    // y feeds `*` twice.
    let y_name = dot
        .lines()
        .find(|l| l.contains("{ y |"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert_eq!(dot.matches(&format!("  {y_name} -> ")).count(), 2);
}

/// The tensor neuron draws as an SVG picture with its records, like the
/// scalar one, and rasterises to PNG.
#[test]
fn the_tensor_neuron_draws_as_svg_and_png() {
    let o = common::tensor_neuron();
    o.backward().unwrap();
    let picture = ferrograd_viz::draw_dot(&o).unwrap();
    let svg = picture.svg();
    assert!(svg.starts_with("<svg"));
    for text in ["shape [1]", "data 0.7071", "grad -1.5000", "tanh", "x1*w1"] {
        assert!(svg.contains(text), "the SVG lacks {text}");
    }
    assert_eq!(
        ferrograd_viz::render_svg(&o).unwrap(),
        ferrograd_viz::render_svg(&o).unwrap()
    );
    assert!(picture.to_png().unwrap().starts_with(b"\x89PNG"));
}
