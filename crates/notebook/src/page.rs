//! The notebook as one self-contained HTML page.

use ferrograd::viz::Page;

use crate::{Block, Notebook, Output};

/// The page: each section's prose, each cell's code and output, every
/// picture inline (scaled to the column).
pub fn to_page(nb: &Notebook) -> Page {
    let mut page = Page::new(&nb.title);
    page.intro(&nb.intro);
    for section in &nb.sections {
        let s = page.section(&section.title);
        for block in &section.blocks {
            match block {
                Block::Text(t) => {
                    s.text(t);
                }
                Block::Cell { code, output, .. } => {
                    s.code(code);
                    match output {
                        Output::None => {}
                        Output::Text(t) | Output::Value(t) => {
                            s.output(t);
                        }
                        Output::Picture { svg, caption } => {
                            s.figure(caption, svg);
                        }
                    }
                }
                Block::Foreign { code, output, .. } => {
                    s.code(code).output(output);
                }
            }
        }
    }
    page
}
