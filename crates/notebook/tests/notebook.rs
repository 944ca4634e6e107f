//! The notebook runs from end to end, shows the seed's numbers, and the
//! checked-in Jupyter notebook holds exactly the cells that ran.

use std::path::Path;

use ferrograd::data::notebook as seed;
use ferrograd_notebook::{ipynb, page, sections, Block, Notebook, Output};

fn notebook() -> Notebook {
    // No oracle results: the PyTorch cell says how to get them.
    sections::build(Path::new("no-such-dir/torch.json")).unwrap()
}

fn outputs(nb: &Notebook) -> Vec<(&str, &Output)> {
    nb.blocks()
        .filter_map(|b| match b {
            Block::Cell { code, output, .. } => Some((code.as_str(), output)),
            _ => None,
        })
        .collect()
}

fn text_after<'a>(nb: &'a Notebook, code_ends_with: &str) -> &'a str {
    outputs(nb)
        .into_iter()
        .find_map(|(code, out)| match out {
            Output::Text(t) | Output::Value(t) if code.ends_with(code_ends_with) => {
                Some(t.as_str())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no text output after a cell ending in {code_ends_with:?}"))
}

#[test]
fn every_section_of_the_seed_is_there_with_its_pictures() {
    let nb = notebook();
    let titles: Vec<&str> = nb.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Imports",
            "Parabolic Function - Derivative example",
            "Forward Pass Manually",
            "First Manual backpropagation",
            "Hiperbolic tangent definition",
            "Second Manual backpropagation",
            "Semiautomation of the backpropagation",
            "Topological graph",
            "Automation of the backpropagation",
            "New topologies - Autonomous Backpropagation",
            "Pytorch approach",
        ]
    );
    let page = page::to_page(&nb);
    assert_eq!(page.figure_count(), 26);
    // Every picture has a caption and scales to the column.
    for (_, out) in outputs(&nb) {
        if let Output::Picture { svg, caption } = out {
            assert!(!caption.is_empty(), "a picture without a caption");
            assert!(svg.contains("max-width:100%"), "a picture of fixed width");
        }
    }
}

#[test]
fn the_cells_show_the_seed_numbers() {
    let nb = notebook();
    assert_eq!(text_after(&nb, "f(2.0)"), "9.0");
    assert_eq!(text_after(&nb, "\nd"), "4.0");
    let lol: f64 = text_after(&nb, "lol()").parse().unwrap();
    assert!((lol - -2.0).abs() < 1e-9, "dL/dc = {lol}");
    let torch = text_after(&nb, "w1.grad())");
    let numbers: Vec<f64> = torch
        .trim_matches(['(', ')'])
        .split(", ")
        .map(|x| x.parse().unwrap())
        .collect();
    let want = seed::NEURON_OUT;
    let expected = [
        want.o,
        want.grad.x2,
        want.grad.w2,
        want.grad.x1,
        want.grad.w1,
    ];
    for (got, want) in numbers.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{numbers:?}");
    }
    // The same cell with one-element tensors prints the same numbers.
    let tensor: Vec<f64> = text_after(&nb, "grad(&w1))")
        .trim_matches(['(', ')'])
        .split(", ")
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(tensor.len(), 5, "{tensor:?}");
    assert!(
        (tensor[0] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15,
        "o = {}",
        tensor[0]
    );
    for (got, want) in tensor.iter().zip(&expected) {
        assert!((got - want).abs() < 1e-12, "{tensor:?}");
    }
    // (x2, w2, x1, w1).grad, as PyTorch prints them.
    for (got, want) in tensor[1..].iter().zip([0.5, 0.0, -1.5, 1.0]) {
        assert!((got - want).abs() < 1e-12, "{tensor:?}");
    }
    assert_eq!(text_after(&nb, "t.shape()"), "[2, 3]");
    assert!(text_after(&nb, "tanh_z").starts_with("Value(data=0.7615941559557649, grad=0.0)"));
    // The training loss falls.
    let losses: Vec<f64> = text_after(&nb, "losses")
        .trim_matches(['[', ']'])
        .split(", ")
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(losses.len(), seed::STEPS);
    assert!(losses[19] < losses[0] / 4.0, "{losses:?}");
}

#[test]
fn the_checked_in_jupyter_notebook_holds_the_cells_that_ran() {
    let nb = notebook();
    let fresh = ipynb::to_ipynb(&nb);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notebooks/micrograd.ipynb");
    let text = std::fs::read_to_string(&path).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&text).unwrap();
    let code = code_cells;
    assert_eq!(
        code(&stored),
        code(&fresh),
        "notebooks/micrograd.ipynb is out of date: run \
         `cargo run -p ferrograd-notebook -- --ipynb notebooks/micrograd.ipynb`"
    );
    assert_eq!(stored["metadata"]["kernelspec"]["name"], "rust");
    // The first code cell loads ferrograd into evcxr; the others hold the
    // cells that ran, in order.
    let cells = code(&fresh);
    assert_eq!(cells[0], sections::SETUP);
    // Compared without whitespace: a cell that makes values is indented in a block.
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let jupyter = squeeze(&cells[1..].join("\n"));
    let mut at = 0;
    for section in &nb.sections {
        for block in &section.blocks {
            if let Block::Cell { body, tail, .. } = block {
                // A picture before a Jupyter cell's last line is a comment there.
                for part in std::iter::once(body.as_str())
                    .chain(tail.as_deref().map(|t| t.lines().next().unwrap_or("")))
                {
                    let part = squeeze(part);
                    let part = part.as_str();
                    let found = jupyter[at..]
                        .find(part)
                        .unwrap_or_else(|| panic!("not in the Jupyter notebook, in order: {part}"));
                    at += found + part.len();
                }
            }
        }
    }
    // Fewer Jupyter cells than cells: those that make values share one per section.
    assert!(
        cells.len() < nb.code().len(),
        "{} Jupyter cells",
        cells.len()
    );
}

/// The text of every code cell of a Jupyter notebook.
fn code_cells(notebook: &serde_json::Value) -> Vec<String> {
    notebook["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(|c| {
            c["source"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect()
        })
        .collect()
}

/// The pictures a Jupyter cell's outputs show: image outputs, and the `<svg>`
/// elements of HTML outputs (one per picture of a cell that draws several).
fn pictures_in(cell: &serde_json::Value) -> usize {
    let text = |v: &serde_json::Value| -> String {
        v.as_array()
            .map(|l| l.iter().filter_map(|s| s.as_str()).collect())
            .unwrap_or_default()
    };
    cell["outputs"].as_array().map_or(0, |outs| {
        outs.iter()
            .map(|o| {
                usize::from(!o["data"]["image/svg+xml"].is_null())
                    + text(&o["data"]["text/html"]).matches("<svg").count()
            })
            .sum()
    })
}

#[test]
fn the_jupyter_notebook_shows_every_picture_of_the_page_in_order() {
    let nb = notebook();
    let fresh = ipynb::to_ipynb(&nb);
    let cells = fresh["cells"].as_array().unwrap();
    let page_svgs: Vec<String> = outputs(&nb)
        .into_iter()
        .filter_map(|(_, o)| match o {
            Output::Picture { svg, .. } => Some(svg.clone()),
            _ => None,
        })
        .collect();
    let shown: usize = cells.iter().map(pictures_in).sum();
    assert_eq!(
        shown,
        page::to_page(&nb).figure_count(),
        "pictures in the Jupyter notebook"
    );
    assert_eq!(shown, page_svgs.len());
    // In the page's order: each picture's SVG appears after the one before.
    let all: String = cells
        .iter()
        .flat_map(|c| c["outputs"].as_array().into_iter().flatten())
        .flat_map(|o| {
            ["image/svg+xml", "text/html"].map(|m| {
                o["data"][m]
                    .as_array()
                    .map(|l| l.iter().filter_map(|s| s.as_str()).collect::<String>())
                    .unwrap_or_default()
            })
        })
        .collect();
    let mut at = 0;
    for (i, svg) in page_svgs.iter().enumerate() {
        let svg = svg.trim();
        let svg = &svg[svg.find("<svg").unwrap()..];
        let found = all[at..].find(svg).unwrap_or_else(|| {
            panic!("picture {i} is not in the Jupyter notebook's outputs, in order")
        });
        at += found + svg.len();
    }
    // Every picture of a cell that draws several goes into its collector,
    // which displays them once, at the end of the cell.
    let code = code_cells(&fresh);
    let collected: usize = code
        .iter()
        .map(|c| c.matches("pictures.push(").count())
        .sum();
    let alone = code
        .iter()
        .filter(|c| c.trim_end().ends_with("?.evcxr_display()"))
        .count();
    assert_eq!(
        collected + alone,
        page_svgs.len(),
        "every picture is drawn by code that runs"
    );
    for c in code.iter().filter(|c| c.contains("pictures.push(")) {
        assert!(
            c.trim_end()
                .trim_end_matches('}')
                .trim_end()
                .ends_with("pictures.evcxr_display()"),
            "{c}"
        );
    }
}

/// The stored notebook's outputs show as many pictures as the page.
#[test]
fn the_checked_in_jupyter_notebook_shows_the_page_pictures() {
    let nb = notebook();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notebooks/micrograd.ipynb");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let shown: usize = stored["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(pictures_in)
        .sum();
    assert_eq!(shown, page::to_page(&nb).figure_count());
}

/// The PyTorch cell shows the oracle's results file, read with the type its
/// writer uses, and says so when the file is in another format.
#[test]
fn the_pytorch_cell_shows_the_oracle_results() {
    let dir = std::env::temp_dir().join(format!("ferrograd-notebook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(seed::ORACLE_FILE);
    let foreign = |path: &Path| -> String {
        let nb = sections::build(path).unwrap();
        let shown = nb.blocks().find_map(|b| match b {
            Block::Foreign { output, .. } => Some(output.clone()),
            _ => None,
        });
        shown.expect("the PyTorch cell")
    };
    let run = seed::OracleNeuron {
        device: "cpu".into(),
        out: seed::NEURON_OUT,
    };
    std::fs::write(&path, run.to_json()).unwrap();
    assert_eq!(
        foreign(&path),
        "0.7071067811865476\n----\nx2 0.5\nw2 0.0\nx1 -1.5\nw1 1.0\n(libtorch, cpu)"
    );
    std::fs::write(&path, r#"{"o": 0.7}"#).unwrap();
    let shown = foreign(&path);
    assert!(
        shown.starts_with("skipped") && shown.contains("not the oracle's"),
        "{shown}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
