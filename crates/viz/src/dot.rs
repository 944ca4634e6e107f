//! Graphviz DOT text for a computation graph: micrograd's `draw_dot`.

use std::fmt::Write as _;

use crate::graph::{extract, Extracted, Graph, GraphSummary};
use crate::Drawable;
use crate::GraphOptions;

/// micrograd's number format, `%.4f`, with `nan`, `inf` and `-inf` for the
/// non-finite values so a broken value still prints (and lays out).
///
/// ```
/// use ferrograd_viz::number;
/// assert_eq!(number(2.0), "2.0000");
/// assert_eq!(number(-0.70710678), "-0.7071");
/// assert_eq!(number(f64::NAN), "nan");
/// assert_eq!(number(f64::NEG_INFINITY), "-inf");
/// ```
pub fn number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:.4}")
    }
}

/// The graph below `root` as DOT, left to right, as micrograd draws it: one
/// record per value (`{ label | data 2.0000 | grad 0.0000 }`), one ellipse per
/// operation between its operands and its result.
///
/// Nodes are named `n0, n1, ...` in a depth-first post-order from the root
/// (operands left to right), so the text depends only on the graph's shape
/// and numbers. A graph over [`crate::DEFAULT_NODE_CAP`] nodes gives a single
/// summary node instead; see [`to_dot_with`] to change the cap.
///
/// ```
/// use ferrograd_scalar::Value;
/// let a = Value::new(2.0f64).with_label("a");
/// let b = Value::new(-3.0f64).with_label("b");
/// let e = (&a * &b).with_label("e");
/// let dot = ferrograd_viz::to_dot(&e);
/// assert!(dot.contains(r#"n2 [shape=record, label="{ e | data -6.0000 | grad 0.0000 }"];"#));
/// assert!(dot.contains(r#"n2_op [label="*"];"#));
/// assert!(dot.contains("n0 -> n2_op;"));
/// ```
pub fn to_dot<N: Drawable>(root: &N) -> String {
    to_dot_with(root, &GraphOptions::default())
}

/// [`to_dot`] with a chosen node cap (the engine option is ignored: DOT is
/// the same for every engine).
pub fn to_dot_with<N: Drawable>(root: &N, options: &GraphOptions) -> String {
    match extract(root, options.node_cap) {
        Extracted::Full(g) => graph_dot(&g),
        Extracted::TooBig(s) => summary_dot(&s),
    }
}

pub(crate) fn graph_dot(g: &Graph) -> String {
    let mut out = String::from("digraph {\n  graph [rankdir=LR];\n");
    for (i, n) in g.nodes.iter().enumerate() {
        // Infallible: writing into a String.
        let _ = write!(
            out,
            "  n{i} [shape=record, label=\"{{ {}",
            escape_record(&n.label)
        );
        for field in &n.fields {
            let _ = write!(out, " | {}", escape_record(field));
        }
        out.push_str(" }\"];\n");
        if !n.op.is_empty() {
            let _ = writeln!(out, "  n{i}_op [label=\"{}\"];", escape_text(&n.op));
            let _ = writeln!(out, "  n{i}_op -> n{i};");
            for c in &n.children {
                let _ = writeln!(out, "  n{c} -> n{i}_op;");
            }
        }
    }
    out.push_str("}\n");
    out
}

pub(crate) fn summary_dot(s: &GraphSummary) -> String {
    format!(
        "digraph {{\n  graph [rankdir=LR];\n  summary [shape=box, label=\"{}\"];\n}}\n",
        escape_text(&s.to_string())
    )
}

/// Escapes text for one field of a record label: the record syntax
/// characters `{ } | < >` get a backslash as well as DOT's `"` and `\`.
///
/// ```
/// assert_eq!(ferrograd_viz::escape_record("a|b"), r"a\|b");
/// assert_eq!(ferrograd_viz::escape_record("{<x>}"), r"\{\<x\>\}");
/// assert_eq!(ferrograd_viz::escape_record("say \"hi\"\n"), r#"say \"hi\"\n"#);
/// ```
pub fn escape_record(s: &str) -> String {
    escape(s, true)
}

/// Escapes text for a plain DOT string (an ellipse's label).
///
/// ```
/// assert_eq!(ferrograd_viz::escape_text("a\\b \"c\""), r#"a\\b \"c\""#);
/// ```
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, record: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '{' | '}' | '|' | '<' | '>' if record => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push(' '),
            // A NUL ends a string for some DOT readers; other control
            // characters are invisible anyway.
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_four_decimals_and_lowercase_non_finite() {
        assert_eq!(number(0.0), "0.0000");
        assert_eq!(number(-0.0), "-0.0000");
        assert_eq!(number(6.881373587019543), "6.8814");
        assert_eq!(number(1e10), "10000000000.0000");
        assert_eq!(number(f64::INFINITY), "inf");
    }

    #[test]
    fn control_characters_never_reach_the_output() {
        assert_eq!(escape_record("a\0b\r\tc"), "a\u{FFFD}b c");
    }

    #[test]
    fn plain_text_keeps_record_characters() {
        assert_eq!(escape_text("{|}<>"), "{|}<>");
    }
}
