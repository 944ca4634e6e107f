//! The notebook as a Jupyter notebook (nbformat 4.5) for the evcxr kernel.
//!
//! evcxr compiles each Jupyter cell into its own library, each with its own
//! copy of ferrograd and so of the thread's tape: a `Value` cannot cross
//! Jupyter cells. One Jupyter cell therefore holds a whole section's cells
//! (and the next section's too when it [continues](crate::Section::continues)
//! with the same values), in order; the prose between them becomes comments.
//! evcxr keeps one output per MIME type per cell, so such a cell collects its
//! pictures in a `ferrograd::viz::Pictures` as it goes (`pictures.push(..)`
//! where the page draws) and displays them all at its end, in order, as one
//! HTML output; the values it shows are printed (`println!`, as a notebook
//! shows them), so that no text output shares the HTML's execute result.
//! A Jupyter cell that makes values is one block, so that its values are
//! also dropped in that cell (evcxr would drop a variable it keeps when a
//! later cell reuses the name, on that later cell's tape).

use serde_json::{json, Value as Json};

use ferrograd::viz::html_of;

use crate::{Block, Notebook, Output, Section};

/// The notebook as `.ipynb` JSON: a setup cell (evcxr commands), then per
/// section a markdown heading and one code cell, with the outputs the Rust
/// run produced (text, or the pictures as SVG), so the file shows its graphs
/// before it is run again.
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
    let mut groups: Vec<Vec<&Section>> = Vec::new();
    for section in &nb.sections {
        match groups.last_mut() {
            Some(group) if section.continues => group.push(section),
            _ => groups.push(vec![section]),
        }
    }
    for group in groups {
        let all_code: String = group
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Cell { code, .. } => Some(code.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        if makes_values(&all_code) {
            one_cell(&group, &mut cells, &mut next_id);
        } else {
            cell_by_cell(&group, &mut cells, &mut next_id);
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

/// Sections without values: one Jupyter cell per cell, prose as markdown.
fn cell_by_cell(group: &[&Section], cells: &mut Vec<Json>, next_id: &mut impl FnMut() -> String) {
    for section in group {
        cells.push(markdown(next_id(), &format!("## {}", section.title)));
        for block in &section.blocks {
            match block {
                Block::Text(t) => cells.push(markdown(next_id(), t)),
                Block::Foreign {
                    language,
                    code,
                    output,
                } => cells.push(markdown(
                    next_id(),
                    &format!("```{language}\n{code}\n```\n\n```text\n{output}\n```"),
                )),
                Block::Cell {
                    body,
                    tail: Some(tail),
                    output: output @ Output::Picture { .. },
                    ..
                } => {
                    let text = if body.is_empty() {
                        last_picture(tail)
                    } else {
                        format!("{body}\n{}", last_picture(tail))
                    };
                    cells.push(code_cell(next_id(), &text, output_json(output, true)));
                }
                Block::Cell { code, output, .. } => {
                    cells.push(code_cell(next_id(), code, output_json(output, true)));
                }
            }
        }
    }
}

/// Sections that make values: one Jupyter cell for all their cells, in a
/// block, collecting its pictures (see the module docs).
fn one_cell(group: &[&Section], cells: &mut Vec<Json>, next_id: &mut impl FnMut() -> String) {
    let heading: Vec<String> = group.iter().map(|s| format!("## {}", s.title)).collect();
    let mut intro = vec![heading[0].clone()];
    let mut code = Vec::new();
    let mut outputs = Vec::new();
    let blocks = || group.iter().flat_map(|s| &s.blocks);
    let cell_count = blocks().filter(|b| matches!(b, Block::Cell { .. })).count();
    let svgs: Vec<&str> = blocks()
        .filter_map(|b| match b {
            Block::Cell {
                output: Output::Picture { svg, .. },
                ..
            } => Some(svg.as_str()),
            _ => None,
        })
        .collect();
    let collects = !svgs.is_empty();
    if collects {
        code.push(format!(
            "let mut {PICTURES} = ferrograd::viz::Pictures::new();"
        ));
    }
    let mut seen = 0;
    for (i, section) in group.iter().enumerate() {
        if i > 0 {
            code.push(format!("// {}", heading[i]));
        }
        for block in &section.blocks {
            match block {
                // Prose before the first cell goes above the code cell.
                Block::Text(t) if seen == 0 && i == 0 => intro.push(t.clone()),
                Block::Text(t) => code.extend(t.lines().map(|l| format!("// {l}"))),
                Block::Foreign {
                    language,
                    code: foreign,
                    output,
                } => intro.push(format!(
                    "```{language}\n{foreign}\n```\n\n```text\n{output}\n```"
                )),
                Block::Cell {
                    body, tail, output, ..
                } => {
                    seen += 1;
                    // Without pictures the last value is the cell's result, as
                    // evcxr shows it; with them, the HTML of the pictures is.
                    let last = seen == cell_count && !collects;
                    if !body.is_empty() {
                        code.push(body.clone());
                    }
                    if let Some(tail) = tail {
                        code.push(if last {
                            tail.clone()
                        } else {
                            shown(tail, output)
                        });
                    }
                    if !matches!(output, Output::Picture { .. }) {
                        outputs.extend(output_json(output, last));
                    }
                }
            }
        }
    }
    if collects {
        code.push(format!("{PICTURES}.evcxr_display()"));
        outputs.push(json!({
            "output_type": "display_data",
            "metadata": {},
            "data": { "text/html": lines(&html_of(svgs)) },
        }));
    }
    cells.push(markdown(next_id(), &intro.join("\n\n")));
    cells.push(code_cell(next_id(), &in_block(&code.join("\n")), outputs));
}

/// The name of the collector of a Jupyter cell's pictures.
const PICTURES: &str = "pictures";

/// Whether the code makes values (whose tape is the Jupyter cell's own).
fn makes_values(code: &str) -> bool {
    ["Value::new(", "Neuron::new(", "Layer::new(", "Mlp::new("]
        .iter()
        .any(|m| code.contains(m))
}

/// The code as one block: its values are dropped in this cell; its last
/// expression is the block's, which evcxr shows.
fn in_block(code: &str) -> String {
    let mut out =
        String::from("// One block: this cell's values live and die on this cell's tape.\n{\n");
    for line in code.lines() {
        if !line.is_empty() {
            out.push_str("    ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push('}');
    out
}

/// A picture alone in its Jupyter cell, displayed explicitly: evcxr does not always
/// find a type's `evcxr_display` for a cell's last expression (the first
/// picture of a session came out as `Debug` text), but it always shows what
/// the method prints.
fn last_picture(tail: &str) -> String {
    format!("{tail}.evcxr_display()")
}

/// A shown expression that is not the Jupyter cell's result: a picture goes
/// into the cell's collector, a value is printed as evcxr would show it.
fn shown(tail: &str, output: &Output) -> String {
    match output {
        Output::Picture { .. } => format!("{PICTURES}.push({tail});"),
        Output::Value(_) => format!("println!(\"{{}}\", {tail});"),
        Output::Text(_) => format!("println!(\"{{:?}}\", {tail});"),
        Output::None => format!("{tail};"),
    }
}

/// What evcxr shows for a cell's output: pictures as `display_data`, the
/// last expression as `execute_result`, earlier text as printed lines.
fn output_json(output: &Output, last: bool) -> Vec<Json> {
    match output {
        Output::None => Vec::new(),
        Output::Text(t) | Output::Value(t) if last => vec![json!({
            "output_type": "execute_result",
            "execution_count": null,
            "metadata": {},
            "data": { "text/plain": lines(t) },
        })],
        Output::Text(t) | Output::Value(t) => vec![json!({
            "output_type": "stream",
            "name": "stdout",
            "text": lines(&format!("{t}\n")),
        })],
        Output::Picture { svg, .. } => vec![json!({
            "output_type": "display_data",
            "metadata": {},
            "data": { "image/svg+xml": lines(svg.trim()) },
        })],
    }
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
