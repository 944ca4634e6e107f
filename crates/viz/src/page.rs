//! A self-contained HTML page (inline SVG, no network) made of titled
//! sections, with a tiny script that measures what a reader sees.

use std::path::Path;

use crate::svgfix::escape_xml;
use crate::VizError;

/// One piece of a section, in reading order.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    Text(String),
    Code(String),
    Output(String),
    Figure { caption: String, svg: String },
    Note(String),
}

/// A titled part of a [`Page`].
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    title: String,
    blocks: Vec<Block>,
}

impl Section {
    /// The section's heading.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// A paragraph of prose.
    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Text(text.into()));
        self
    }

    /// Source code, shown as a listing.
    pub fn code(&mut self, code: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Code(code.into()));
        self
    }

    /// What the code printed.
    pub fn output(&mut self, output: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Output(output.into()));
        self
    }

    /// A picture (an SVG document from [`crate::render_svg`] or
    /// [`crate::Plot::to_svg`]) with a caption; the page checks it is drawn.
    pub fn figure(&mut self, caption: impl Into<String>, svg: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Figure {
            caption: caption.into(),
            svg: svg.into(),
        });
        self
    }

    /// A highlighted remark, for example a part that was skipped and why.
    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Note(note.into()));
        self
    }
}

/// An HTML page built section by section.
///
/// The page needs nothing from the network. On load, a small inline script
/// writes into `<pre id="check">` what the browser drew: each section heading
/// (`section <title>`), each figure's on-screen size (`svg <i> <w> <h>`), the
/// number of figures the page was built with (`expected <n>`), any script
/// error (`error <message>`), then `done`. [`crate::browser::check_page`]
/// reads it back from headless Chromium.
///
/// ```
/// let mut page = ferrograd_viz::Page::new("demo");
/// page.section("Numbers").text("two plus two").output("4");
/// let html = page.to_html();
/// assert!(html.contains("<h2>1. Numbers</h2>") && html.contains("<pre class=\"output\">4</pre>"));
/// assert_eq!(page.figure_count(), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    title: String,
    intro: Vec<String>,
    sections: Vec<Section>,
}

impl Page {
    /// An empty page.
    pub fn new(title: impl Into<String>) -> Self {
        Page {
            title: title.into(),
            intro: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// A paragraph under the page's title.
    pub fn intro(&mut self, text: impl Into<String>) -> &mut Self {
        self.intro.push(text.into());
        self
    }

    /// Starts a new section (numbered in the heading) and returns it.
    pub fn section(&mut self, title: impl Into<String>) -> &mut Section {
        self.sections.push(Section {
            title: title.into(),
            blocks: Vec::new(),
        });
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// The sections so far.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The headings as the page shows them (`"1. Imports"`, ...).
    pub fn headings(&self) -> Vec<String> {
        self.sections
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.title))
            .collect()
    }

    /// How many figures the page holds.
    pub fn figure_count(&self) -> usize {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter(|b| matches!(b, Block::Figure { .. }))
            .count()
    }

    /// The whole page as one HTML document.
    pub fn to_html(&self) -> String {
        let mut h = String::with_capacity(1 << 16);
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.push_str(&format!("<title>{}</title>\n", escape_xml(&self.title)));
        // Registered first, so an error anywhere below is recorded.
        h.push_str(
            "<script>window.__errors=[];window.addEventListener('error',function(e){\
             window.__errors.push(String(e.message||e.type));});</script>\n",
        );
        h.push_str(STYLE);
        h.push_str("</head>\n<body>\n<header>\n");
        h.push_str(&format!("<h1>{}</h1>\n", escape_xml(&self.title)));
        for p in &self.intro {
            h.push_str(&format!("<p>{}</p>\n", escape_xml(p)));
        }
        h.push_str("<nav><ol>\n");
        for (i, s) in self.sections.iter().enumerate() {
            h.push_str(&format!(
                "<li><a href=\"#s{}\">{}</a></li>\n",
                i + 1,
                escape_xml(&s.title)
            ));
        }
        h.push_str("</ol></nav>\n</header>\n");
        h.push_str(&format!(
            "<main data-sections=\"{}\" data-figures=\"{}\">\n",
            self.sections.len(),
            self.figure_count()
        ));
        for (i, heading) in self.headings().iter().enumerate() {
            h.push_str(&format!(
                "<section id=\"s{}\">\n<h2>{}</h2>\n",
                i + 1,
                escape_xml(heading)
            ));
            for b in &self.sections[i].blocks {
                match b {
                    Block::Text(t) => h.push_str(&format!("<p>{}</p>\n", escape_xml(t))),
                    Block::Code(c) => {
                        h.push_str(&format!("<pre class=\"code\">{}</pre>\n", escape_xml(c)))
                    }
                    Block::Output(o) => {
                        h.push_str(&format!("<pre class=\"output\">{}</pre>\n", escape_xml(o)))
                    }
                    Block::Note(n) => {
                        h.push_str(&format!("<p class=\"note\">{}</p>\n", escape_xml(n)))
                    }
                    Block::Figure { caption, svg } => {
                        h.push_str("<figure>\n");
                        h.push_str(svg.trim());
                        h.push_str(&format!(
                            "\n<figcaption>{}</figcaption>\n</figure>\n",
                            escape_xml(caption)
                        ));
                    }
                }
            }
            h.push_str("</section>\n");
        }
        h.push_str(
            "</main>\n<footer><details><summary>page self-check</summary>\
                    <pre id=\"check\">pending</pre></details></footer>\n",
        );
        h.push_str(CHECK_SCRIPT);
        h.push_str("</body>\n</html>\n");
        h
    }

    /// Writes [`Page::to_html`] to `path` (creating its folder); a failure
    /// names the path and why.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), VizError> {
        crate::write_file(path, self.to_html())
    }
}

const STYLE: &str = "<style>
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
pre { background: #f6f8fa; padding: 0.6em 0.8em; overflow-x: auto; border-radius: 4px; }
pre.output { background: #fff; border-left: 4px solid #4a90d9; }
p.note { background: #fff8e1; border-left: 4px solid #b26a00; padding: 0.6em 0.8em; }
figure { margin: 1em 0; overflow-x: auto; }
figure > svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
nav ol { columns: 2; }
</style>
";

const CHECK_SCRIPT: &str = "<script>
window.addEventListener('load', function () {
  var out = [];
  try {
    var main = document.querySelector('main');
    out.push('expected ' + main.getAttribute('data-figures'));
    var heads = document.querySelectorAll('main > section > h2');
    heads.forEach(function (h) { out.push('section ' + h.textContent.replace(/\\s+/g, ' ').trim()); });
    var svgs = document.querySelectorAll('main figure > svg');
    svgs.forEach(function (s, i) {
      var r = s.getBoundingClientRect();
      out.push('svg ' + i + ' ' + r.width.toFixed(1) + ' ' + r.height.toFixed(1));
    });
  } catch (e) { window.__errors.push('self-check: ' + e); }
  window.__errors.forEach(function (e) { out.push('error ' + String(e).replace(/\\n/g, ' ')); });
  out.push('done');
  document.getElementById('check').textContent = out.join('\\n');
});
</script>
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let mut page = Page::new("t");
        page.section("s").figure(
            "f",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>",
        );
        let html = page.to_html();
        assert!(!html.contains("src="), "no external scripts or images");
        assert!(!html.contains("href=\"http"), "no links to fetch");
        assert!(!html.contains("@import") && !html.contains("url(http"));
        assert_eq!(html.matches("<figure>").count(), 1);
        assert!(html.contains("data-figures=\"1\""));
    }

    #[test]
    fn text_is_escaped_and_figures_are_inlined() {
        let mut page = Page::new("a < b");
        page.section("x & y")
            .output("<script>")
            .figure("<cap>", "<svg/>");
        let html = page.to_html();
        assert!(html.contains("<title>a &lt; b</title>"));
        assert!(html.contains("<h2>1. x &amp; y</h2>"));
        assert!(html.contains("<pre class=\"output\">&lt;script&gt;</pre>"));
        assert!(html.contains("<svg/>\n<figcaption>&lt;cap&gt;</figcaption>"));
        assert_eq!(page.headings(), ["1. x & y"]);
    }
}
