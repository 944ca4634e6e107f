//! Runs every cell of the seed notebook and writes the page and the Jupyter
//! notebook made from them.
//!
//! ```text
//! cargo run --release -p ferrograd-notebook -- [--out DIR] [--torch-json FILE] [--ipynb FILE] [--check] [--screenshot FILE]
//! ```
//!
//! Writes `DIR/index.html` and `DIR/micrograd.ipynb`. `--out` defaults to
//! `notebook/` in `CARGO_TARGET_DIR`, else in `target/` beside the workspace
//! `cargo run` started it from, decided at run time. `--ipynb` writes the
//! notebook to another file too (`--ipynb notebooks/micrograd.ipynb`
//! refreshes the checked-in copy). `--check` opens the page in headless
//! Chromium and fails unless every section is there, every picture is drawn
//! with a non-zero size and no script failed.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use ferrograd::viz;
use ferrograd_notebook::{ipynb, page, sections, Res};

struct Args {
    out: PathBuf,
    torch_json: Option<PathBuf>,
    ipynb: Option<PathBuf>,
    check: bool,
    screenshot: Option<PathBuf>,
}

const USAGE: &str =
    "usage: notebook [--out DIR] [--torch-json FILE] [--ipynb FILE] [--check] [--screenshot FILE]";

/// `notebook/` in the target folder of the checkout running this: from the
/// environment at run time, since a path fixed at compile time could name
/// another checkout.
fn default_out() -> PathBuf {
    let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
    let target = match (env("CARGO_TARGET_DIR"), env("CARGO_MANIFEST_DIR")) {
        (Some(dir), _) => PathBuf::from(dir),
        (None, Some(crate_dir)) => PathBuf::from(crate_dir).join("../../target"),
        (None, None) => PathBuf::from("target"),
    };
    target.join("notebook")
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: default_out(),
        torch_json: None,
        ipynb: None,
        check: false,
        screenshot: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--out" => args.out = value("--out")?.into(),
            "--torch-json" => args.torch_json = Some(value("--torch-json")?.into()),
            "--ipynb" => args.ipynb = Some(value("--ipynb")?.into()),
            "--screenshot" => args.screenshot = Some(value("--screenshot")?.into()),
            "--check" => args.check = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notebook: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Res<()> {
    let torch_json = args
        .torch_json
        .clone()
        .unwrap_or_else(|| args.out.join("torch.json"));
    let nb = sections::build(&torch_json)?;
    let page = page::to_page(&nb);
    let path = args.out.join("index.html");
    page.write(&path)?;
    let notebook = ipynb::to_text(&nb);
    viz::write_file(args.out.join("micrograd.ipynb"), notebook.as_bytes())?;
    if let Some(extra) = &args.ipynb {
        viz::write_file(extra, notebook.as_bytes())?;
        eprintln!("notebook: wrote {}", extra.display());
    }
    eprintln!(
        "notebook: {} sections, {} cells, {} figures",
        page.sections().len(),
        nb.code().len(),
        page.figure_count()
    );
    if let Some(shot) = &args.screenshot {
        viz::browser::screenshot(&path, shot, 1200, 2400)?;
        eprintln!("notebook: screenshot {}", shot.display());
    }
    if args.check {
        let report = viz::browser::check_page(&path)?;
        let problems = report.problems(&page.headings());
        if !problems.is_empty() {
            return Err(format!(
                "the browser check of {} found {} problem(s):\n  {}",
                path.display(),
                problems.len(),
                problems.join("\n  ")
            )
            .into());
        }
        eprintln!(
            "notebook: browser check passed: {} sections, {} figures drawn, no script errors",
            report.sections.len(),
            report.figures.len()
        );
    }
    eprintln!("notebook: wrote {}", path.display());
    Ok(())
}
