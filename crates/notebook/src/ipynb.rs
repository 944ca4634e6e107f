//! The notebook as a Jupyter notebook (nbformat 4.5) for the evcxr kernel.

use serde_json::{json, Value as Json};

use crate::{Block, Notebook, Output};

/// The notebook as `.ipynb` JSON: a setup cell (evcxr commands), then each
/// section's heading and prose as markdown and each cell as a code cell,
/// with the output the Rust run produced (text, or the picture as SVG), so
/// the file shows its graphs before it is run again.
pub fn to_ipynb(nb: &Notebook) -> Json {
    let mut cells = Vec::new();
    let mut id = 0usize;
    let mut next_id = || {
        id += 1;
        format!("cell-{id:03}")
    };
    cells.push(markdown(
        next_id(),
        &format!("# {}\n\n{}", nb.title, nb.intro),
    ));
    cells.push(code_cell(next_id(), &nb.setup, Vec::new()));
    for section in &nb.sections {
        cells.push(markdown(next_id(), &format!("## {}", section.title)));
        for block in &section.blocks {
            match block {
                Block::Text(t) => cells.push(markdown(next_id(), t)),
                Block::Cell { code, output } => {
                    let outputs = match output {
                        Output::None => Vec::new(),
                        Output::Text(t) => vec![json!({
                            "output_type": "execute_result",
                            "execution_count": null,
                            "metadata": {},
                            "data": { "text/plain": lines(t) },
                        })],
                        Output::Picture { svg, .. } => vec![json!({
                            "output_type": "display_data",
                            "metadata": {},
                            "data": { "image/svg+xml": lines(svg.trim()) },
                        })],
                    };
                    cells.push(code_cell(next_id(), code, outputs));
                }
                Block::Foreign {
                    language,
                    code,
                    output,
                } => cells.push(markdown(
                    next_id(),
                    &format!("```{language}\n{code}\n```\n\n```text\n{output}\n```"),
                )),
            }
        }
    }
    json!({
        "cells": cells,
        "metadata": {
            "kernelspec": { "display_name": "Rust", "language": "rust", "name": "rust" },
            "language_info": {
                "codemirror_mode": "rust",
                "file_extension": ".rs",
                "mimetype": "text/rust",
                "name": "Rust",
                "pygment_lexer": "rust",
                "version": ""
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5
    })
}

/// The notebook's text as Jupyter writes it (one-space indent, final newline).
pub fn to_text(nb: &Notebook) -> String {
    let mut s = serde_json::to_string_pretty(&to_ipynb(nb)).expect("JSON values always print");
    s.push('\n');
    s
}

/// Text as nbformat stores it: a list of lines, each but the last ending in `\n`.
fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

fn markdown(id: String, text: &str) -> Json {
    json!({ "cell_type": "markdown", "id": id, "metadata": {}, "source": lines(text) })
}

fn code_cell(id: String, code: &str, outputs: Vec<Json>) -> Json {
    json!({
        "cell_type": "code",
        "execution_count": null,
        "id": id,
        "metadata": {},
        "outputs": outputs,
        "source": lines(code),
    })
}
