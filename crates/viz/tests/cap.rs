//! Graphs over the node cap are drawn as a summary, however large.

mod common;

use common::{chain, neuron};
use ferrograd_viz::{
    render_svg, render_svg_with, summarize, to_dot, to_dot_with, GraphOptions, DEFAULT_NODE_CAP,
};

#[test]
fn a_million_node_chain_gives_the_summary() {
    let root = chain(999_999); // 1,000,000 nodes
    let svg = render_svg(&root).unwrap();
    assert!(svg.contains("ferrograd-summary"));
    assert!(
        svg.contains("graph of 1000000 nodes is over the drawing cap of 500"),
        "{}",
        &svg[..400]
    );
    let s = summarize(&root);
    assert_eq!((s.nodes, s.leaves, s.max_depth()), (1_000_000, 1, 999_999));
    assert_eq!(
        s.ops,
        [
            ("tanh".to_string(), 500_000),
            ("exp".to_string(), 499_999),
            ("leaf".to_string(), 1)
        ]
    );
    assert!(s.by_depth.iter().all(|&n| n == 1));
    let dot = to_dot(&root);
    assert!(
        dot.starts_with("digraph {") && dot.lines().count() < 40,
        "the summary DOT is short"
    );
}

#[test]
fn the_cap_is_a_parameter() {
    let o = neuron(); // 10 nodes
    assert!(!render_svg_with(&o, &GraphOptions::with_cap(10))
        .unwrap()
        .contains("ferrograd-summary"));
    let svg = render_svg_with(&o, &GraphOptions::with_cap(9)).unwrap();
    assert!(svg.contains("graph of 10 nodes is over the drawing cap of 9"));
    assert!(svg.contains("tanh"), "counts per op are listed");
    let dot = to_dot_with(&o, &GraphOptions::with_cap(9));
    assert!(dot.contains("summary [shape=box"));
    assert!(common::layout_dot(&dot).is_ok());
}

#[test]
fn the_default_cap_draws_500_and_summarises_501() {
    assert_eq!(DEFAULT_NODE_CAP, 500);
    assert!(!render_svg(&chain(499))
        .unwrap()
        .contains("ferrograd-summary"));
    assert!(render_svg(&chain(500))
        .unwrap()
        .contains("graph of 501 nodes"));
}

#[test]
fn summary_counts_shared_nodes_once() {
    let s = summarize(&common::shared_operands());
    assert_eq!((s.nodes, s.leaves), (5, 2));
    assert_eq!(s.by_depth, [1, 2, 2]);
}
