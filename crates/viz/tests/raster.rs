//! PNG output looks like the SVG: a white picture with dark lines and text,
//! not a black block (layout-rs writes 8-digit colours, which some
//! rasterisers paint black).

mod common;

use ferrograd_viz::{svg_to_png, to_png, Plot};
use resvg::tiny_skia::Pixmap;

/// Shares of (near-white, dark) pixels.
fn ink(png: &[u8]) -> (f64, f64) {
    let pixmap = Pixmap::decode_png(png).expect("a PNG");
    let px = pixmap.pixels();
    let n = px.len() as f64;
    let white = px
        .iter()
        .filter(|p| p.red() > 240 && p.green() > 240 && p.blue() > 240)
        .count();
    let dark = px
        .iter()
        .filter(|p| p.red() < 100 && p.green() < 100 && p.blue() < 100)
        .count();
    (white as f64 / n, dark as f64 / n)
}

#[test]
fn the_neuron_png_is_mostly_white_with_some_ink() {
    let o = common::neuron();
    o.backward();
    let png = to_png(&o).unwrap();
    let (white, dark) = ink(&png);
    assert!(white > 0.85, "only {white:.3} of the picture is white");
    assert!(dark > 0.005, "only {dark:.4} of the picture is ink");
}

#[test]
fn records_are_not_filled_black() {
    // A record's outline rectangle is drawn last with a transparent fill;
    // painted black, it would cover the text.
    let o = common::neuron();
    let svg = ferrograd_viz::render_svg(&o).unwrap();
    assert!(!svg.contains("#00000000") && svg.contains("fill=\"none\""));
    let (white, _) = ink(&svg_to_png(&svg, 1.0).unwrap());
    assert!(white > 0.85);
}

#[test]
fn plots_rasterise_with_their_text() {
    let xs: Vec<f64> = (0..40).map(|i| -5.0 + 0.25 * f64::from(i)).collect();
    let plot = Plot::new("f").series("f", xs.iter().map(|&x| (x, 3.0 * x * x - 4.0 * x + 5.0)));
    let png = plot.to_png().unwrap();
    let (white, dark) = ink(&png);
    assert!(
        white > 0.6 && dark > 0.002,
        "white {white:.3} dark {dark:.4}"
    );
    let pixmap = Pixmap::decode_png(&png).unwrap();
    assert_eq!((pixmap.width(), pixmap.height()), (1280, 800));
}
