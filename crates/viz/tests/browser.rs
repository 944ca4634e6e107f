//! A page of graphs and plots opened in headless Chromium: every section is
//! there, every picture is drawn with a non-zero size, no script fails. And
//! the check itself catches a broken page.
//!
//! Needs Chromium (scripts/install-chromium.sh). Without it the tests say so
//! and pass, except under CI (`CI` set), where a missing browser fails.

mod common;

use std::path::PathBuf;

use ferrograd_viz::{browser, render_svg, render_svg_with, GraphOptions, Page, Plot};

fn browser_available() -> bool {
    if browser::find_chromium().is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Chromium is required under CI: run scripts/install-chromium.sh"
    );
    eprintln!("Chromium not found: browser test not run (scripts/install-chromium.sh installs it)");
    false
}

fn page_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(name)
        .join("index.html")
}

#[test]
fn graphs_and_plots_are_drawn() {
    if !browser_available() {
        return;
    }
    let l = common::expression();
    let o = common::neuron();
    o.backward();
    let xs: Vec<f64> = (0..40).map(|i| -5.0 + 0.25 * f64::from(i)).collect();
    let mut page = Page::new("viz browser test");
    page.section("Expression")
        .figure("L", render_svg(&l).unwrap());
    page.section("Neuron")
        .output("o = 0.7071")
        .figure("o after backward", render_svg(&o).unwrap())
        .figure(
            "over the cap",
            render_svg_with(&o, &GraphOptions::with_cap(3)).unwrap(),
        );
    page.section("Plots <&> \"quoted\"").figure(
        "tanh",
        Plot::new("tanh")
            .series("tanh", xs.iter().map(|&x| (x, x.tanh())))
            .to_svg()
            .unwrap(),
    );
    let path = page_path("good");
    page.write(&path).unwrap();
    let report = browser::check_page(&path).unwrap();
    assert_eq!(report.problems(&page.headings()), Vec::<String>::new());
    assert_eq!(report.sections, page.headings());
    assert_eq!(report.figures.len(), 4);
    // The neuron drawn left to right is much wider than tall.
    let (w, h) = report.figures[1];
    assert!(w > 3.0 * h, "neuron drawn {w} x {h}");
}

#[test]
fn the_check_catches_a_broken_page() {
    if !browser_available() {
        return;
    }
    let mut page = Page::new("broken");
    page.section("Empty picture").figure(
        "zero size",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"0\"></svg>",
    );
    page.section("Failing script").figure(
        "throws",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>\
         <script>throw new Error('boom');</script>",
    );
    let path = page_path("broken");
    page.write(&path).unwrap();
    let report = browser::check_page(&path).unwrap();
    let mut expected = page.headings();
    expected.push("3. Missing".into());
    let problems = report.problems(&expected);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("figure 0 is drawn 0 x 0")),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.contains("boom")), "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`3. Missing` is missing")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 3, "{problems:?}");
}
