//! The built-in engine lays out every graph under the node cap, however its
//! values are reused, and draws the notebook's graphs exactly as before.
//! (How long it takes is measured in benches/layout.rs.)

mod common;

use std::path::PathBuf;

use common::{braid, expression, neuron, newton, notebook_mlp, shared_operands, sum_of_leaves};
use ferrograd_scalar::Value;
use ferrograd_viz::{render_svg, summarize};

/// The node records and the arrows drawn: each record shows `data`, each
/// edge is one `<path`.
fn counts(svg: &str) -> (usize, usize) {
    (svg.matches(">data ").count(), svg.matches("<path").count())
}

/// Edges of the picture: operation -> result, and operand -> operation for
/// each operand (twice when used twice).
fn edges(root: &Value<f64>) -> usize {
    root.topo()
        .iter()
        .filter(|v| !v.op().is_empty())
        .map(|v| 1 + v.children().len())
        .sum()
}

fn assert_drawn_in_full(name: &str, root: &Value<f64>, nodes: usize) {
    assert_eq!(summarize(root).nodes, nodes, "{name}");
    let svg = render_svg(root).unwrap();
    assert!(!svg.contains("ferrograd-summary"), "{name} was summarised");
    assert_eq!(counts(&svg), (nodes, edges(root)), "{name}");
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
        .unwrap_or_else(|e| panic!("{name}: not valid SVG: {e}"));
    assert!(tree.size().width() > 0.0 && tree.size().height() > 0.0);
}

#[test]
fn newtons_iteration_100_steps_is_drawn_in_full() {
    assert_drawn_in_full("newton", &newton(100), 402);
}

#[test]
fn a_braid_of_100_steps_is_drawn_in_full() {
    assert_drawn_in_full("braid", &braid(100), 203);
}

#[test]
fn a_sum_of_250_leaves_just_under_the_cap_is_drawn_in_full() {
    assert_drawn_in_full("sum", &sum_of_leaves(250), 499);
}

#[test]
fn a_dot_product_of_50_pairs_is_drawn_in_full() {
    assert_drawn_in_full("dot", &common::dot_product(50), 199);
}

#[test]
fn one_node_over_the_cap_is_still_a_summary() {
    let root = sum_of_leaves(251); // 501 nodes
    let svg = render_svg(&root).unwrap();
    assert!(svg.contains("graph of 501 nodes is over the drawing cap of 500"));
}

#[test]
fn every_label_of_a_large_graph_is_drawn() {
    let svg = render_svg(&sum_of_leaves(250)).unwrap();
    for i in [0, 1, 124, 249] {
        assert!(svg.contains(&format!("> x{i} <")), "x{i} missing");
    }
}

#[test]
fn a_large_picture_is_byte_stable() {
    let root = newton(60);
    let first = render_svg(&root).unwrap();
    assert_eq!(render_svg(&root).unwrap(), first);
}

/// The notebook's pictures as they were drawn before the layout changed
/// (tests/golden/*.svg); `FERROGRAD_UPDATE_GOLDEN=1` rewrites them.
fn check_svg_golden(name: &str, root: &Value<f64>) {
    let svg = render_svg(root).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("FERROGRAD_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &svg).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        svg == expected,
        "render_svg differs from {}",
        path.display()
    );
}

#[test]
fn the_notebooks_pictures_are_unchanged() {
    let l = expression();
    l.backward();
    check_svg_golden("expression_backward.svg", &l);
    let o = neuron();
    o.backward();
    check_svg_golden("neuron_backward.svg", &o);
    let f = shared_operands();
    f.backward();
    check_svg_golden("shared_operands_backward.svg", &f);
    check_svg_golden("notebook_mlp.svg", &notebook_mlp().1);
}
