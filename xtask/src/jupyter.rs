//! `cargo xtask notebook --jupyter`: runs `notebooks/micrograd.ipynb` headless
//! on the evcxr kernel and fails on any cell error, or unless its outputs
//! show exactly as many pictures as the notebook page does.
//!
//! Everything it needs goes into the cache (`$FERROGRAD_CACHE`, default
//! `~/.cache/ferrograd`), installed once and reused:
//! - `evcxr/`: `evcxr_jupyter`, built by `cargo install --locked` (the long
//!   part: 36 minutes, once, on a 2-core machine shared with other builds);
//! - `jupyter-venv/`: a Python venv with Jupyter's nbconvert (pip);
//! - `jupyter/kernels/rust/`: the kernel spec pointing at that evcxr, found
//!   through `JUPYTER_PATH`, so nothing is written outside the cache.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value as Json;

use crate::cache;
use crate::process::{self, cargo};
use crate::workspace;

/// The evcxr release the notebook is checked with.
const EVCXR_VERSION: &str = "0.22.0";
/// Jupyter's notebook converter, which executes notebooks headless.
const NBCONVERT: &str = "nbconvert==7.16.6";
/// Seconds one cell may take (the first compiles ferrograd and its dependencies).
const CELL_TIMEOUT_S: u32 = 1800;

/// Installs what is missing, executes the notebook into
/// `<target>/notebook/micrograd.executed.ipynb` and checks it.
pub fn run(notebook_out: &Path) -> Result<()> {
    let cache = cache::root()?;
    let start = Instant::now();
    let evcxr = install_evcxr(&cache)?;
    let venv = install_nbconvert(&cache)?;
    let jupyter_path = write_kernel_spec(&cache, &evcxr)?;
    eprintln!("jupyter: tools ready in {:.0?}", start.elapsed());

    let notebook = workspace::root().join("notebooks").join("micrograd.ipynb");
    let executed = notebook_out.join("micrograd.executed.ipynb");
    std::fs::create_dir_all(notebook_out)
        .with_context(|| format!("could not create {}", notebook_out.display()))?;
    let run_start = Instant::now();
    // evcxr's build folder, fresh for every run: it names each cell's library
    // by its number, and a folder left by an earlier run can hand a cell an
    // older build of the same name (seen here as wrong or missing outputs).
    let work = cache.join("evcxr").join("work");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("could not clear evcxr's build folder {}", work.display()))?;
    }
    // The kernel starts in the notebook's folder, where `:dep ferrograd = { path = ".." }`
    // names this checkout.
    let mut cmd = Command::new(venv.join("bin").join("jupyter"));
    cmd.args(["nbconvert", "--to", "notebook", "--execute"])
        .arg(format!("--ExecutePreprocessor.timeout={CELL_TIMEOUT_S}"))
        .arg("--ExecutePreprocessor.kernel_name=rust")
        .arg("--output-dir")
        .arg(notebook_out)
        .args(["--output", "micrograd.executed.ipynb"])
        .arg(&notebook)
        .env("JUPYTER_PATH", &jupyter_path)
        .env("PATH", path_with(&evcxr))
        // evcxr's build of the cells, in the cache rather than /tmp.
        .env("EVCXR_TMPDIR", &work);
    process::run(&mut cmd)?;
    let page = notebook_out.join("index.html");
    let expected = page_figures(&page)?;
    let (cells, pictures) = check_executed(&notebook, &executed, expected)?;
    eprintln!(
        "jupyter: {cells} cells ran without error, {pictures} pictures shown, in {:.0?} ({})",
        run_start.elapsed(),
        executed.display()
    );
    Ok(())
}

/// `PATH` with evcxr's folder first (the kernel finds cargo on the usual `PATH`).
fn path_with(evcxr: &Path) -> std::ffi::OsString {
    let mut dirs = vec![evcxr.parent().map(Path::to_path_buf).unwrap_or_default()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// `<cache>/evcxr/bin/evcxr_jupyter`, built with cargo when missing.
fn install_evcxr(cache: &Path) -> Result<PathBuf> {
    let root = cache.join("evcxr");
    let bin = root.join("bin").join("evcxr_jupyter");
    if bin.is_file() {
        eprintln!("jupyter: evcxr_jupyter already in {}", root.display());
        return Ok(bin);
    }
    eprintln!(
        "jupyter: building evcxr_jupyter {EVCXR_VERSION} into {} (once; over half an hour on 2 cores)",
        root.display()
    );
    process::run(
        cargo()
            .args([
                "install",
                "evcxr_jupyter",
                "--locked",
                "--version",
                EVCXR_VERSION,
                "--root",
            ])
            .arg(&root),
    )?;
    if !bin.is_file() {
        bail!(
            "`cargo install evcxr_jupyter` finished but {} is missing",
            bin.display()
        );
    }
    Ok(bin)
}

/// `<cache>/jupyter-venv` with nbconvert, made with python3's venv when missing.
fn install_nbconvert(cache: &Path) -> Result<PathBuf> {
    let venv = cache.join("jupyter-venv");
    let marker = venv.join(format!(".installed-{NBCONVERT}"));
    if marker.is_file() {
        eprintln!("jupyter: nbconvert already in {}", venv.display());
        return Ok(venv);
    }
    eprintln!("jupyter: installing {NBCONVERT} into {}", venv.display());
    process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("could not make a Python venv (Debian: apt-get install python3-venv)")?;
    process::run(Command::new(venv.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        NBCONVERT,
    ]))?;
    std::fs::write(&marker, b"")
        .with_context(|| format!("could not write {}", marker.display()))?;
    Ok(venv)
}

/// The `rust` kernel spec in `<cache>/jupyter/kernels/rust`; returns the
/// folder to put in `JUPYTER_PATH`.
fn write_kernel_spec(cache: &Path, evcxr: &Path) -> Result<PathBuf> {
    let data = cache.join("jupyter");
    let dir = data.join("kernels").join("rust");
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let spec = serde_json::json!({
        "argv": [evcxr.to_string_lossy(), "--control_file", "{connection_file}"],
        "display_name": "Rust",
        "language": "rust",
        "interrupt_mode": "message",
    });
    let path = dir.join("kernel.json");
    std::fs::write(&path, serde_json::to_string_pretty(&spec)?)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(data)
}

/// How many pictures the notebook page shows: its `<main data-figures="N">`,
/// written by the same run of the cells as the Jupyter notebook.
fn page_figures(page: &Path) -> Result<usize> {
    let html = std::fs::read_to_string(page)
        .with_context(|| format!("could not read the notebook page {}", page.display()))?;
    figures_attribute(&html).with_context(|| {
        format!(
            "{} has no `data-figures` count on its <main>",
            page.display()
        )
    })
}

/// The number in the first `data-figures="N"` of a page.
fn figures_attribute(html: &str) -> Option<usize> {
    const ATTR: &str = "data-figures=\"";
    let at = html.find(ATTR)? + ATTR.len();
    html[at..].split('"').next()?.parse().ok()
}

/// The pictures one output shows: an SVG or PNG image, or each `<svg>` and
/// `<img>` element of its HTML (a cell that draws several pictures shows them
/// as one HTML output, since evcxr keeps one output per MIME type per cell).
fn pictures_in_output(output: &Json) -> usize {
    let data = &output["data"];
    let text = |mime: &str| -> String {
        match &data[mime] {
            Json::String(s) => s.clone(),
            Json::Array(l) => l.iter().filter_map(Json::as_str).collect(),
            _ => String::new(),
        }
    };
    let images = ["image/svg+xml", "image/png"]
        .iter()
        .filter(|m| !data[**m].is_null())
        .count();
    let html = text("text/html");
    images + html.matches("<svg").count() + html.matches("<img").count()
}

/// Fails on an error output or a panic, on a cell that showed fewer pictures
/// than in the checked-in notebook, or unless the executed notebook shows
/// `expected` pictures in all (the page's count). Returns the number of code
/// cells and of pictures shown.
pub fn check_executed(notebook: &Path, executed: &Path, expected: usize) -> Result<(usize, usize)> {
    let read = |p: &Path| -> Result<Json> {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("could not read {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a notebook", p.display()))
    };
    let (want, got) = (read(notebook)?, read(executed)?);
    let code_cells = |j: &Json| -> Vec<Json> {
        j["cells"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|c| c["cell_type"] == "code")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let (want, got) = (code_cells(&want), code_cells(&got));
    if want.len() != got.len() {
        bail!(
            "{} has {} code cells, the executed copy {}",
            notebook.display(),
            want.len(),
            got.len()
        );
    }
    let pictures_in = |cell: &Json| {
        cell["outputs"]
            .as_array()
            .map_or(0, |o| o.iter().map(pictures_in_output).sum::<usize>())
    };
    let mut problems = Vec::new();
    let mut pictures = 0;
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        let source: String = g["source"]
            .as_array()
            .map(|l| l.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let first = source.lines().next().unwrap_or("").to_string();
        for out in g["outputs"].as_array().into_iter().flatten() {
            if out["output_type"] == "error" {
                problems.push(format!(
                    "code cell {i} (`{first}`) failed: {}: {}",
                    out["ename"].as_str().unwrap_or("?"),
                    out["evalue"].as_str().unwrap_or("?")
                ));
            }
            // A panic in the cell's code is printed, not reported as an error.
            let text: String = out["text"]
                .as_array()
                .map(|l| l.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            if out["name"] == "stderr" && text.contains("panicked at") {
                problems.push(format!(
                    "code cell {i} (`{first}`) panicked: {}",
                    text.trim()
                ));
            }
        }
        let (shown, expected) = (pictures_in(g), pictures_in(w));
        pictures += shown;
        if shown < expected {
            problems.push(format!(
                "code cell {i} (`{first}`) showed {shown} of its {expected} pictures"
            ));
        }
    }
    if pictures != expected {
        problems.push(format!(
            "the executed notebook shows {pictures} pictures, the page {expected}"
        ));
    }
    if !problems.is_empty() {
        bail!(
            "the executed notebook {} has {} problem(s):\n  {}",
            executed.display(),
            problems.len(),
            problems.join("\n  ")
        );
    }
    Ok((got.len(), pictures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_count_is_read_from_main() {
        assert_eq!(
            figures_attribute("<main data-sections=\"3\" data-figures=\"25\">"),
            Some(25)
        );
        assert_eq!(figures_attribute("<main>"), None);
    }

    #[test]
    fn pictures_are_counted_in_images_and_in_html() {
        let svg = serde_json::json!({ "data": { "image/svg+xml": ["<svg/>"] } });
        let html = serde_json::json!({ "data": { "text/html": [
            "<div>\n", "<svg a=\"1\"><g/></svg>\n", "<svg/>\n", "<img src=\"data:image/png;base64,AA\">\n", "</div>"
        ] } });
        let text = serde_json::json!({ "output_type": "stream", "text": ["svg\n"] });
        assert_eq!(pictures_in_output(&svg), 1);
        assert_eq!(pictures_in_output(&html), 3);
        assert_eq!(pictures_in_output(&text), 0);
    }

    #[test]
    fn the_check_fails_unless_the_page_count_is_shown() {
        let dir = crate::testing::temp("jupyter");
        let html = serde_json::json!({ "output_type": "display_data", "data": {
            "text/html": ["<div>\n", "<svg/>\n", "<svg/>\n", "</div>"] } });
        let notebook = serde_json::json!({ "cells": [
            { "cell_type": "markdown", "source": ["# t"] },
            { "cell_type": "code", "source": ["{ pictures.evcxr_display() }"], "outputs": [html] },
        ] });
        let path = dir.join("n.ipynb");
        std::fs::write(&path, notebook.to_string()).unwrap();
        assert_eq!(check_executed(&path, &path, 2).unwrap(), (1, 2));
        let err = check_executed(&path, &path, 3).unwrap_err().to_string();
        assert!(err.contains("shows 2 pictures, the page 3"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
