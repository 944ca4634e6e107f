//! Labels of any text and non-finite numbers: the DOT stays valid and the
//! SVG shows the text as written.

mod common;

use common::{layout_dot, node_attributes};
use ferrograd_scalar::Value;
use ferrograd_viz::{render_svg, svg_to_png, to_dot};

/// Labels that break naive DOT or SVG writers.
const NASTY: [&str; 8] = [
    "say \"hi\"",
    "{braces}",
    "a|b",
    "<port> x",
    "two\nlines",
    "back\\slash",
    "x < y && y > z",
    "}{|<>\"\\",
];

fn labelled(label: &str) -> Value<f64> {
    let a = Value::new(1.0).with_label(label);
    (&a * 2.0).with_label(label)
}

#[test]
fn record_characters_are_escaped_for_graphviz() {
    let dot = to_dot(&labelled("}{|<>\"\\\n"));
    assert!(
        dot.contains(r#"n0 [shape=record, label="{ \}\{\|\<\>\"\\\n | data 1.0000"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"n2 [shape=record, label="{ \}\{\|\<\>\"\\\n | data 2.0000"#),
        "{dot}"
    );
}

#[test]
fn escaped_labels_parse_and_read_back_exactly() {
    for label in NASTY {
        let dot = to_dot(&labelled(label));
        let attrs = node_attributes(&dot);
        let record = attrs
            .iter()
            .find(|(n, k, _)| n == "n0" && k == "label")
            .map(|(_, _, v)| v.clone())
            .unwrap_or_else(|| panic!("no record label for {label:?} in\n{dot}"));
        // layout-rs's reader turns every `\X` back into `X` (`\n` into a
        // line break), so the string it reads is the label as written.
        let expected = format!("{{ {label} | data 1.0000 | grad 0.0000 }}");
        assert_eq!(record, expected, "label {label:?}");
    }
}

#[test]
fn labels_are_shown_as_written_in_the_svg() {
    for label in NASTY {
        let svg = render_svg(&labelled(label)).unwrap();
        let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default());
        assert!(tree.is_ok(), "invalid SVG for {label:?}: {:?}", tree.err());
        let first_line = label.lines().next().unwrap();
        let escaped = first_line
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        assert!(svg.contains(&escaped), "{label:?} not shown in the SVG");
    }
}

#[test]
fn unicode_labels_render() {
    let label = "θ₁ · ∂L/∂x → 日本語 🚀";
    let v = labelled(label);
    let dot = to_dot(&v);
    assert!(dot.contains("{ θ₁ · ∂L/∂x → 日本語 🚀 | data 2.0000 | grad 0.0000 }"));
    assert!(layout_dot(&dot).is_ok());
    let svg = render_svg(&v).unwrap();
    assert!(svg.contains(label));
    let png = svg_to_png(&svg, 1.0).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn nan_and_infinity_print_and_lay_out() {
    let x = Value::new(f64::NAN).with_label("x");
    let y = Value::new(f64::INFINITY).with_label("y");
    let z = (&x + &y).with_label("z");
    z.set_grad(f64::NEG_INFINITY);
    let dot = to_dot(&z);
    assert!(dot.contains("{ x | data nan | grad 0.0000 }"), "{dot}");
    assert!(dot.contains("{ y | data inf | grad 0.0000 }"), "{dot}");
    assert!(dot.contains("{ z | data nan | grad -inf }"), "{dot}");
    assert!(layout_dot(&dot).is_ok());
    let svg = render_svg(&z).unwrap();
    assert!(svg.contains("grad -inf") && svg.contains("data nan"));
    assert!(
        !svg.contains("NaN"),
        "a NaN coordinate leaked into the layout"
    );
    assert!(svg_to_png(&svg, 1.0).is_ok());
}

#[test]
fn empty_and_control_character_labels_are_safe() {
    for label in ["", "\0nul", "tab\there", "\r\n"] {
        let v = labelled(label);
        assert!(layout_dot(&to_dot(&v)).is_ok(), "{label:?}");
        let svg = render_svg(&v).unwrap();
        assert!(!svg.contains('\0'));
        assert!(
            resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).is_ok(),
            "{label:?}"
        );
    }
}
