//! Failures say which file and why; the optional `dot` engine fails clearly
//! when Graphviz is absent.

mod common;

use ferrograd_viz::{render_svg_with, write_file, Engine, GraphOptions, Page, VizError};

#[test]
fn a_page_that_cannot_be_written_names_the_path() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("errors");
    let blocker = dir.join("a-file");
    write_file(&blocker, "not a folder").unwrap();
    let target = blocker.join("index.html");
    let err = Page::new("x").write(&target).unwrap_err();
    assert!(matches!(err, VizError::Write { .. }));
    let msg = err.to_string();
    assert!(msg.contains(&target.display().to_string()), "{msg}");
    assert!(msg.contains("could not write"), "{msg}");
}

#[test]
fn the_dot_engine_is_used_only_when_asked_and_fails_clearly_without_graphviz() {
    let o = common::neuron();
    assert_eq!(GraphOptions::default().engine, Engine::Builtin);
    let options = GraphOptions {
        engine: Engine::DotProgram,
        ..GraphOptions::default()
    };
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("dot").is_file()))
        .unwrap_or(false);
    match render_svg_with(&o, &options) {
        Ok(svg) => {
            assert!(on_path, "rendered without a `dot` program");
            assert!(svg.starts_with("<svg") && svg.contains("x1*w1"));
            // Graphviz itself reads our escaping back as the label written.
            let a = ferrograd_scalar::Value::new(2.0f64).with_label("a|{<b>}\"q\"");
            let svg = render_svg_with(&(&a * &a), &options).unwrap();
            assert!(svg.contains(">a|{&lt;b&gt;}&quot;q&quot;</text>"), "{svg}");
        }
        Err(VizError::Dot(msg)) => {
            assert!(!on_path, "`dot` is installed but failed: {msg}");
            assert!(msg.contains("PATH"), "{msg}");
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}
