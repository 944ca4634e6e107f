//! micrograd's `draw_dot(root)`: a [`Picture`] of the graph below a value that
//! saves to SVG or PNG and shows itself inline in a Jupyter notebook running
//! the Rust kernel evcxr.

use std::path::Path;

use crate::render::{render_svg_with, GraphOptions};
use crate::Drawable;
use crate::{svgfix, write_file, Plot, VizError, DEFAULT_NODE_CAP};

/// Which way the graph flows: micrograd draws left to right (Graphviz's
/// `rankdir=LR`); top to bottom suits tall, narrow columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankDir {
    /// Operands on the left, results on the right (the default, as micrograd).
    #[default]
    LeftToRight,
    /// Operands above, results below.
    TopToBottom,
}

/// Options of [`draw_dot_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawOptions {
    /// Which way the graph flows (default [`RankDir::LeftToRight`]).
    pub rankdir: RankDir,
    /// Graphs with more value nodes than this are drawn as a summary
    /// (default [`DEFAULT_NODE_CAP`]).
    pub node_cap: usize,
}

impl Default for DrawOptions {
    fn default() -> Self {
        DrawOptions {
            rankdir: RankDir::LeftToRight,
            node_cap: DEFAULT_NODE_CAP,
        }
    }
}

impl DrawOptions {
    /// Top to bottom instead of left to right.
    pub fn top_to_bottom(mut self) -> Self {
        self.rankdir = RankDir::TopToBottom;
        self
    }

    /// Another node cap.
    pub fn node_cap(mut self, cap: usize) -> Self {
        self.node_cap = cap;
        self
    }
}

/// A drawn picture (a graph from [`draw_dot`] or a [`Plot`]): SVG text that
/// saves as `.svg` or `.png` and displays inline in evcxr (Jupyter's Rust
/// kernel). Its SVG scales down to the width of the column it is shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    svg: String,
}

impl Picture {
    /// Wraps an SVG document (starting with `<svg`, or an XML prolog).
    pub fn from_svg(svg: impl Into<String>) -> Self {
        Picture {
            svg: fit_column(&svg.into()),
        }
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The picture as PNG bytes, rasterised at twice its size on white.
    pub fn to_png(&self) -> Result<Vec<u8>, VizError> {
        crate::png::svg_to_png(&self.svg, 2.0)
    }

    /// Saves the picture: PNG when `path` ends in `.png` (any case), else SVG.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), VizError> {
        let path = path.as_ref();
        let png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if png {
            write_file(path, self.to_png()?)
        } else {
            write_file(path, self.svg.as_bytes())
        }
    }

    /// The text evcxr reads to show the picture inline: the SVG between
    /// `EVCXR_BEGIN_CONTENT image/svg+xml` and `EVCXR_END_CONTENT`.
    pub fn evcxr_content(&self) -> String {
        format!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT\n",
            self.svg.trim()
        )
    }

    /// evcxr's display hook: a cell ending in a `Picture` shows it inline.
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_content());
    }
}

/// Several pictures shown together, in order, as one HTML output: evcxr keeps
/// one output per MIME type per Jupyter cell, so a cell that draws several
/// pictures collects them here and displays them once, at its end.
///
/// ```
/// use ferrograd_scalar::Value;
/// use ferrograd_viz::{draw_dot, Pictures};
/// let a = Value::new(2.0f64).with_label("a");
/// let b = (&a * &a).with_label("b");
/// let mut pictures = Pictures::new();
/// pictures.push(draw_dot(&b).unwrap());
/// b.backward();
/// pictures.push(draw_dot(&b).unwrap());
/// assert_eq!(pictures.len(), 2);
/// let html = pictures.html();
/// assert_eq!(html.matches("<svg").count(), 2);
/// // In order: the graph before backward(), then after it.
/// assert!(html.find("grad 0.0000").unwrap() < html.find("grad 4.0000").unwrap());
/// assert!(pictures.evcxr_content().starts_with("EVCXR_BEGIN_CONTENT text/html\n<div"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pictures {
    pictures: Vec<Picture>,
}

impl Pictures {
    /// No pictures yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a picture after the others.
    pub fn push(&mut self, picture: Picture) {
        self.pictures.push(picture);
    }

    /// How many pictures there are.
    pub fn len(&self) -> usize {
        self.pictures.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pictures.is_empty()
    }

    /// The pictures, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Picture> {
        self.pictures.iter()
    }

    /// An HTML fragment holding every picture's SVG inline, one below the
    /// other, in order. Any XML prolog is left out: it has no place inside
    /// HTML.
    pub fn html(&self) -> String {
        html_of(self.pictures.iter().map(Picture::svg))
    }

    /// The text evcxr reads to show the pictures inline: [`Pictures::html`]
    /// between `EVCXR_BEGIN_CONTENT text/html` and `EVCXR_END_CONTENT`.
    pub fn evcxr_content(&self) -> String {
        format!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT\n",
            self.html()
        )
    }

    /// evcxr's display hook: shows every picture inline, in order, as one
    /// output.
    pub fn evcxr_display(&self) {
        print!("{}", self.evcxr_content());
    }
}

/// The HTML fragment of [`Pictures::html`] for SVG documents: each one,
/// without its XML prolog, in a block of its own.
pub fn html_of<'a>(svgs: impl IntoIterator<Item = &'a str>) -> String {
    let mut html = String::from("<div class=\"ferrograd-pictures\">\n");
    for svg in svgs {
        let svg = svg.find("<svg").map_or(svg, |at| &svg[at..]);
        html.push_str("<div style=\"margin:1em 0\">\n");
        html.push_str(svg.trim());
        html.push_str("\n</div>\n");
    }
    html.push_str("</div>");
    html
}

impl std::fmt::Display for Picture {
    /// The SVG document.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.svg)
    }
}

/// micrograd's `draw_dot(root)`: the graph below `root`, left to right, one
/// record per value (label, data, grad) and one node per operation, laid out
/// in pure Rust. Graphs over [`DEFAULT_NODE_CAP`] nodes are drawn as a
/// summary.
///
/// ```
/// use ferrograd_scalar::Value;
/// let a = Value::new(2.0f64).with_label("a");
/// let b = (&a + &a).with_label("b");
/// b.backward();
/// let picture = ferrograd_viz::draw_dot(&b).unwrap();
/// assert!(picture.svg().contains("grad 2.0000"));
/// assert!(picture.evcxr_content().starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
/// let path = std::env::temp_dir().join("ferrograd-draw-dot-doctest.png");
/// picture.save(&path).unwrap();
/// assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
/// ```
pub fn draw_dot<N: Drawable>(root: &N) -> Result<Picture, VizError> {
    draw_dot_with(root, &DrawOptions::default())
}

/// [`draw_dot`] with options: rank direction and node cap.
///
/// ```
/// use ferrograd_scalar::Value;
/// use ferrograd_viz::{draw_dot_with, DrawOptions};
/// let x = Value::new(0.5f64).with_label("x");
/// let y = x.tanh().with_label("y");
/// let tall = draw_dot_with(&y, &DrawOptions::default().top_to_bottom()).unwrap();
/// assert!(tall.svg().contains("data 0.4621"));
/// let capped = draw_dot_with(&y, &DrawOptions::default().node_cap(1)).unwrap();
/// assert!(capped.svg().contains("ferrograd-summary")); // a summary instead of the graph
/// assert!(!tall.svg().contains("ferrograd-summary"));
/// ```
pub fn draw_dot_with<N: Drawable>(root: &N, options: &DrawOptions) -> Result<Picture, VizError> {
    let graph = GraphOptions::with_cap(options.node_cap);
    let svg = match options.rankdir {
        RankDir::LeftToRight => render_svg_with(root, &graph)?,
        RankDir::TopToBottom => top_to_bottom_svg(root, &graph)?,
    };
    Ok(Picture::from_svg(svg))
}

impl Plot {
    /// The plot as a [`Picture`] (inline in evcxr, saves to SVG or PNG).
    pub fn picture(&self) -> Result<Picture, VizError> {
        Ok(Picture::from_svg(self.to_svg()?))
    }
}

/// Top to bottom through layout-rs's own DOT reader: the DOT of
/// [`crate::to_dot_with`] turned downwards, with each record's fields side by
/// side (in a top-to-bottom record, `{ }` would stack them).
fn top_to_bottom_svg<N: Drawable>(root: &N, graph: &GraphOptions) -> Result<String, VizError> {
    let dot = crate::to_dot_with(root, graph)
        .replace("rankdir=LR", "rankdir=TB")
        .replace("label=\"{ ", "label=\"")
        .replace(" }\"];", "\"];");
    let mut parser = layout::gv::DotParser::new(&dot);
    let tree = parser
        .process()
        .map_err(|e| VizError::Dot(format!("layout-rs could not read the graph's DOT: {e}")))?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&tree);
    let mut vg = builder.get();
    let mut writer = layout::backends::svg::SVGWriter::new();
    vg.do_it(false, false, false, &mut writer);
    Ok(svgfix::finish(&writer.finalize(), "ferrograd-graph"))
}

/// Lets the SVG shrink to the column it is shown in (a page, a notebook
/// cell), keeping its proportions; it never grows past its own size.
fn fit_column(svg: &str) -> String {
    const STYLE: &str = " style=\"max-width:100%;height:auto\"";
    let Some(start) = svg.find("<svg") else {
        return svg.to_string();
    };
    let Some(len) = svg[start..].find('>') else {
        return svg.to_string();
    };
    let tag = &svg[start..start + len];
    if tag.contains("style=") || !tag.contains("viewBox") {
        return svg.to_string();
    }
    let (tag, close) = match tag.strip_suffix('/') {
        Some(t) => (t, "/"),
        None => (tag, ""),
    };
    format!(
        "{}{tag}{STYLE}{close}{}",
        &svg[..start],
        &svg[start + len..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrograd_scalar::Value;

    #[test]
    fn fit_column_adds_a_style_only_where_it_can_scale() {
        let svg = "<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\"><g/></svg>";
        assert_eq!(
            fit_column(svg),
            "<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" style=\"max-width:100%;height:auto\"><g/></svg>"
        );
        // No viewBox: scaling would crop, so it stays as it is.
        assert_eq!(fit_column("<svg width=\"1\"/>"), "<svg width=\"1\"/>");
    }

    #[test]
    fn save_picks_the_format_from_the_extension() {
        let x = Value::new(1.5f64).with_label("x");
        let y = (&x * &x).with_label("y");
        let p = draw_dot(&y).unwrap();
        let dir = std::env::temp_dir().join(format!("ferrograd-draw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        p.save(dir.join("g.SVG")).unwrap();
        p.save(dir.join("g.png")).unwrap();
        let svg = std::fs::read_to_string(dir.join("g.SVG")).unwrap();
        assert!(svg.contains("data 2.2500") && svg.contains("max-width:100%"));
        assert!(std::fs::read(dir.join("g.png"))
            .unwrap()
            .starts_with(b"\x89PNG"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn top_to_bottom_is_taller_than_wide() {
        let a = Value::new(1.0f64).with_label("a");
        let mut v = a.clone();
        for i in 0..4 {
            v = (&v * 2.0).with_label(format!("v{i}"));
        }
        let size = |svg: &str| {
            let num = |attr: &str| -> f64 {
                let at = svg.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
                svg[at..].split('"').next().unwrap().parse().unwrap()
            };
            (num("width"), num("height"))
        };
        let (w, h) = size(draw_dot(&v).unwrap().svg());
        assert!(w > h, "left to right: {w} x {h}");
        let tall = draw_dot_with(&v, &DrawOptions::default().top_to_bottom()).unwrap();
        let (w, h) = size(tall.svg());
        assert!(h > w, "top to bottom: {w} x {h}");
        assert!(tall.svg().contains("data 16.0000"));
    }
}
