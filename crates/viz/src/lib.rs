//! Pictures for ferrograd: the computation graph as micrograd draws it, line
//! plots, and whole pages, all in pure Rust (no Graphviz, no Python).
//!
//! - [`draw_dot`]: micrograd's `draw_dot(root)`, a [`Picture`] that saves
//!   to SVG or PNG and shows inline in Jupyter (evcxr).
//! - [`to_dot`]: the graph as Graphviz DOT, left to right, one record per
//!   value (`{ label | data 2.0000 | grad 0.0000 }`), one node per operation.
//! - [`render_svg`]: the same picture laid out in process by `layout-rs`
//!   (graphs that would cost it too much, with values reused far apart, by
//!   our own layered layout, drawn the same way; any graph under the cap
//!   takes well under a second);
//!   [`Engine::DotProgram`] uses Graphviz's `dot` instead, when asked.
//! - [`to_png`], [`svg_to_png`]: PNG files through `resvg`.
//! - [`Plot`], [`plot_fn`], [`plot_fns`]: line plots with `plotters`.
//! - A node cap ([`GraphOptions::node_cap`], default [`DEFAULT_NODE_CAP`]):
//!   larger graphs are drawn as a [`GraphSummary`] with a note.
//! - [`Page`]: a self-contained HTML page of sections; [`browser`] checks one
//!   in headless Chromium.
//!
//! ```
//! use ferrograd_scalar::Value;
//!
//! let a = Value::new(2.0f64).with_label("a");
//! let b = Value::new(-3.0f64).with_label("b");
//! let c = Value::new(10.0f64).with_label("c");
//! let f = Value::new(-2.0f64).with_label("f");
//! let l = ((&a * &b + &c) * &f).with_label("L");
//! l.backward();
//! assert!(ferrograd_viz::to_dot(&l).contains("{ a | data 2.0000 | grad 6.0000 }"));
//! let svg = ferrograd_viz::render_svg(&l).unwrap();
//! assert!(svg.contains("grad 6.0000"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod browser;
mod dot;
mod draw;
mod error;
mod graph;
mod layered;
mod node;
mod page;
mod plot;
mod png;
mod render;
mod svgfix;

pub use dot::{escape_record, escape_text, number, to_dot, to_dot_with};
pub use draw::{draw_dot, draw_dot_with, html_of, DrawOptions, Picture, Pictures, RankDir};
pub use error::{write_file, VizError};
pub use graph::{summarize, GraphSummary, DEFAULT_NODE_CAP};
pub use node::{summary, Drawable, TENSOR_VALUES_SHOWN};
pub use page::{Page, Section};
pub use plot::{plot_fn, plot_fns, Plot};
pub use png::svg_to_png;
pub use render::{
    render_svg, render_svg_with, to_png, Engine, GraphOptions, DEFAULT_OPTIMIZE_LIMIT,
};

/// The README shown on crates.io, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
