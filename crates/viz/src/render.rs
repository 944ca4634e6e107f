//! Drawing a computation graph as SVG: laid out in pure Rust by `layout-rs`
//! (or, when that would be slow, by our own layering in [`crate::layered`]),
//! or by Graphviz's `dot` program when asked for.

use std::io::Write as _;
use std::process::{Command, Stdio};

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, RecordDef, ShapeKind};
use layout::topo::layout::VisualGraph;

use crate::dot::graph_dot;
use crate::graph::{extract, Extracted, Graph, GraphSummary, DEFAULT_NODE_CAP};
use crate::layered::{LayoutRsCost, Shapes};
use crate::svgfix;
use crate::Drawable;
use crate::VizError;

/// Which program lays the graph out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// In process, nothing to install (the default): `layout-rs`, or our
    /// own layered layout for graphs that would take it too long.
    #[default]
    Builtin,
    /// Graphviz's `dot` found on the `PATH`; an error if it is missing.
    DotProgram,
}

/// How a graph is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphOptions {
    /// Graphs with more value nodes than this are drawn as a
    /// [`GraphSummary`](crate::GraphSummary) (default [`DEFAULT_NODE_CAP`]).
    pub node_cap: usize,
    /// The layout program (default [`Engine::Builtin`]).
    pub engine: Engine,
    /// Text size in pixels for the built-in engine (default 14).
    pub font_size: usize,
    /// Graphs with at most this many value nodes get the built-in engine's
    /// edge-crossing reduction (default [`DEFAULT_OPTIMIZE_LIMIT`]), unless
    /// their long edges would make it slow. It costs most of layout-rs's
    /// time on large graphs: a 360-node loss graph lays out in about 0.4 s
    /// without it and 2.2 s with it.
    pub optimize_limit: usize,
}

/// Default [`GraphOptions::optimize_limit`].
pub const DEFAULT_OPTIMIZE_LIMIT: usize = 200;

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            node_cap: DEFAULT_NODE_CAP,
            engine: Engine::Builtin,
            font_size: 14,
            optimize_limit: DEFAULT_OPTIMIZE_LIMIT,
        }
    }
}

impl GraphOptions {
    /// The defaults with another node cap.
    pub fn with_cap(node_cap: usize) -> Self {
        GraphOptions {
            node_cap,
            ..Self::default()
        }
    }
}

/// The graph below `root` as a standalone SVG document, laid out left to
/// right in pure Rust (no Graphviz needed); a graph over the default cap of
/// [`DEFAULT_NODE_CAP`] nodes is drawn as a summary with a note.
///
/// The text starts with `<svg`, so it can be saved as a file or pasted into
/// an HTML page as is; its internal ids carry a prefix made from its content,
/// so several pictures on one page never share an id.
///
/// ```
/// use ferrograd_scalar::Value;
/// let x = Value::new(0.5f64).with_label("x");
/// let y = x.tanh().with_label("y");
/// let svg = ferrograd_viz::render_svg(&y).unwrap();
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.contains("data 0.4621"));
/// assert!(!svg.contains("#ffffffff")); // colours a rasteriser understands
/// ```
pub fn render_svg<N: Drawable>(root: &N) -> Result<String, VizError> {
    render_svg_with(root, &GraphOptions::default())
}

/// [`render_svg`] with chosen options (cap, engine, font size).
pub fn render_svg_with<N: Drawable>(root: &N, options: &GraphOptions) -> Result<String, VizError> {
    match extract(root, options.node_cap) {
        Extracted::Full(g) => match options.engine {
            Engine::Builtin => Ok(layout_svg(&g, options.font_size, options.optimize_limit)),
            Engine::DotProgram => dot_program_svg(&graph_dot(&g)),
        },
        Extracted::TooBig(s) => Ok(summary_svg(&s)),
    }
}

/// The graph below `root` as a PNG file's bytes: [`render_svg`] rasterised by
/// `resvg` at twice the SVG's size, on white.
pub fn to_png<N: Drawable>(root: &N) -> Result<Vec<u8>, VizError> {
    crate::png::svg_to_png(&render_svg(root)?, 2.0)
}

/// The most work layout-rs is given ([`LayoutRsCost`]), with its
/// edge-crossing reduction and without it; above, the graph is laid out by
/// [`Shapes::draw`]. Set from measurements on a 2-core machine (release
/// build): with the reduction, 124,000 crossing units took 0.34 s and
/// 697,000 took 1.1 s; without it, 1,640 shapes and 5.8 million units took
/// 0.32 s, 2,470 and 13.9 million 1.06 s. The notebook's graphs stay below
/// (its loss graph: 229 shapes, 66,830 units), so they are drawn exactly as
/// before.
const OPTIMIZED_BUDGET: LayoutRsCost = LayoutRsCost {
    shapes: 1_000,
    crossings: 150_000,
};
const PLAIN_BUDGET: LayoutRsCost = LayoutRsCost {
    shapes: 2_000,
    crossings: 8_000_000,
};

fn within(cost: LayoutRsCost, budget: LayoutRsCost) -> bool {
    cost.shapes <= budget.shapes && cost.crossings <= budget.crossings
}

fn layout_svg(g: &Graph, font_size: usize, optimize_limit: usize) -> String {
    let shapes = shapes(g, font_size);
    let mut writer = SVGWriter::new();
    let optimize = g.nodes.len() <= optimize_limit;
    if optimize && within(shapes.layout_rs_cost(true), OPTIMIZED_BUDGET) {
        layout_rs(shapes, true, &mut writer);
    } else if within(shapes.layout_rs_cost(false), PLAIN_BUDGET) {
        layout_rs(shapes, false, &mut writer);
    } else {
        shapes.draw(&mut writer);
    }
    svgfix::finish(
        &tighten(&sort_styles(&writer.finalize())),
        "ferrograd-graph",
    )
}

/// One record per value and one circle per operation, with the edges
/// operand -> operation -> result.
fn shapes(g: &Graph, font_size: usize) -> Shapes {
    // layout-rs lays left-to-right graphs out transposed, so each node's own
    // orientation is the flipped one (as its DOT reader does); the double
    // array puts the three fields side by side, like micrograd's records.
    let node_dir = Orientation::LeftToRight.flip();
    let look = StyleAttr::new(
        Color::fast("black"),
        1,
        Some(Color::fast("white")),
        0,
        font_size,
    );
    let mut elements = Vec::with_capacity(2 * g.nodes.len());
    let mut records = Vec::with_capacity(g.nodes.len());
    let mut ops = Vec::with_capacity(g.nodes.len());
    for n in &g.nodes {
        // The spaces keep a short label off the field's borders.
        let label = RecordDef::new_text(&format!(" {} ", display_label(&n.label)));
        let fields = std::iter::once(label)
            .chain(
                n.fields
                    .iter()
                    .map(|f| RecordDef::new_text(&display_label(f))),
            )
            .collect();
        let shape = ShapeKind::Record(RecordDef::Array(vec![RecordDef::Array(fields)]));
        let size = narrow(get_shape_size(node_dir, &shape, font_size, false));
        records.push(elements.len());
        elements.push(Element::create(shape, look.clone(), node_dir, size));
        if n.op.is_empty() {
            ops.push(None);
        } else {
            let shape = ShapeKind::Circle(display_label(&n.op));
            let size = narrow(get_shape_size(node_dir, &shape, font_size, false));
            ops.push(Some(elements.len()));
            elements.push(Element::create(shape, look.clone(), node_dir, size));
        }
    }
    // Edges in graph order: when layout-rs adds an edge into a shape, that
    // shape has no outgoing edge yet but its own result's, so the
    // reachability check it makes per edge visits at most two shapes.
    let mut edges = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if let Some(op) = ops[i] {
            edges.push((op, records[i]));
            for &c in &n.children {
                edges.push((records[c], op));
            }
        }
    }
    Shapes { elements, edges }
}

/// Lays `shapes` out with layout-rs (with its edge-crossing reduction when
/// `optimize`) and draws them into `writer`.
fn layout_rs(shapes: Shapes, optimize: bool, writer: &mut SVGWriter) {
    let mut vg = VisualGraph::new(Orientation::LeftToRight);
    let handles: Vec<_> = shapes
        .elements
        .into_iter()
        .map(|e| vg.add_node(e))
        .collect();
    for (from, to) in shapes.edges {
        vg.add_edge(Arrow::simple(""), handles[from], handles[to]);
    }
    // layout-rs re-checks that its graph is acyclic after every edge it adds
    // and after each pass, with a reachability walk that forgets what it
    // has seen on the way back: it walks every path, once per edge, so a
    // graph that reuses values (Newton's iteration, a braid) takes
    // exponential time, and even a 499-node chain of sums takes seconds.
    // Our graph is acyclic by construction (a value's operands exist before
    // it), so the checks can only cost time.
    vg.dag.set_validate(false);
    vg.do_it(false, !optimize, false, writer);
}

/// layout-rs writes its CSS classes from a hash map, in a different order on
/// every run; sorted, the same graph always gives the same bytes.
fn sort_styles(svg: &str) -> String {
    let (Some(open), Some(close)) = (svg.find("<style>\n"), svg.find("</style>")) else {
        return svg.to_string();
    };
    let body = open + "<style>\n".len();
    if close < body {
        return svg.to_string();
    }
    let mut rules: Vec<&str> = svg[body..close].lines().collect();
    rules.sort_unstable();
    let mut out = String::with_capacity(svg.len());
    out.push_str(&svg[..body]);
    for r in rules {
        out.push_str(r);
        out.push('\n');
    }
    out.push_str(&svg[close..]);
    out
}

/// layout-rs sizes its canvas generously (it reserves room below each text
/// as if it ran downwards); crop it to what is drawn, plus a margin.
fn tighten(svg: &str) -> String {
    // Shapes only: every text sits inside its record or ellipse, so the
    // parse needs no fonts.
    let options = resvg::usvg::Options::default();
    let Ok(tree) = resvg::usvg::Tree::from_str(svg, &options) else {
        return svg.to_string();
    };
    let Some(bbox) = tree.root().abs_stroke_bounding_box().to_non_zero_rect() else {
        return svg.to_string();
    };
    let (Some(start), margin) = (svg.find("<svg"), 8.0) else {
        return svg.to_string();
    };
    let Some(len) = svg[start..].find('>') else {
        return svg.to_string();
    };
    let (x, y) = (f64::from(bbox.x()) - margin, f64::from(bbox.y()) - margin);
    let (w, h) = (
        f64::from(bbox.width()) + 2.0 * margin,
        f64::from(bbox.height()) + 2.0 * margin,
    );
    format!(
        "{}<svg width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"{x:.0} {y:.0} {w:.0} {h:.0}\" \
         xmlns=\"http://www.w3.org/2000/svg\">{}",
        &svg[..start],
        &svg[start + len + 1..]
    )
}

/// layout-rs budgets a full em per character; real glyphs average about
/// 0.6 em, so without this every record is twice as wide as its text. The
/// fields keep their proportions: they are split from the total at drawing.
fn narrow(size: Point) -> Point {
    Point::new(size.x * 0.62, size.y)
}

/// Record fields are drawn from our own tree, not re-parsed from DOT, so any
/// text is safe; only line breaks need care (layout-rs splits on them).
fn display_label(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\r' | '\t' => ' ',
            '\n' => '\n',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn dot_program_svg(dot: &str) -> Result<String, VizError> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            VizError::Dot(format!(
                "could not start `dot` (is Graphviz installed and on the PATH?): {e}"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| VizError::Dot(format!("could not send the graph to `dot`: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| VizError::Dot(format!("`dot` did not finish: {e}")))?;
    if !out.status.success() {
        return Err(VizError::Dot(format!(
            "`dot -Tsvg` exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let svg = String::from_utf8(out.stdout)
        .map_err(|_| VizError::Dot("`dot` wrote invalid UTF-8".into()))?;
    Ok(svgfix::finish(&svg, "ferrograd-graph"))
}

/// The picture drawn instead of a graph over the cap: the note, then the
/// counts per operation and per depth, in a box.
pub(crate) fn summary_svg(s: &GraphSummary) -> String {
    let text = s.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let line_h = 18.0;
    let width = 40.0 + 8.4 * lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let height = 30.0 + line_h * lines.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\">\n\
         <rect x=\"1\" y=\"1\" width=\"{:.0}\" height=\"{:.0}\" fill=\"#fff8e1\" stroke=\"#b26a00\" stroke-width=\"2\"/>\n",
        width - 2.0,
        height - 2.0
    );
    for (i, line) in lines.iter().enumerate() {
        let weight = if i == 0 {
            " font-weight=\"bold\" fill=\"#b26a00\""
        } else {
            ""
        };
        svg.push_str(&format!(
            "<text x=\"20\" y=\"{:.0}\" font-family=\"monospace\" font-size=\"14\" xml:space=\"preserve\"{weight}>{}</text>\n",
            24.0 + line_h * i as f64,
            svgfix::escape_xml(line)
        ));
    }
    svg.push_str("</svg>\n");
    svgfix::finish(&svg, "ferrograd-graph ferrograd-summary")
}
