//! Line plots of the notebook: f(x), tanh and a loss curve.

use ferrograd_viz::{plot_fn, plot_fns, Plot, VizError};

fn arange() -> Vec<f64> {
    (0..40).map(|i| -5.0 + 0.25 * f64::from(i)).collect()
}

/// Stroke colours of the first two series (matplotlib's blue and orange).
const BLUE: &str = "stroke=\"#1F77B4\"";
const ORANGE: &str = "stroke=\"#FF7F0E\"";

/// The `<polyline>`s drawn in `stroke` (axes and ticks are black).
fn lines_in<'a>(svg: &'a str, stroke: &str) -> Vec<&'a str> {
    svg.split("<polyline")
        .skip(1)
        .filter(|l| l[..l.find('>').unwrap()].contains(stroke))
        .collect()
}

/// The points of the first line of the first series.
fn polyline(svg: &str) -> Vec<(f64, f64)> {
    let pts = lines_in(svg, BLUE)[0];
    let pts = &pts[pts.find("points=\"").unwrap() + 8..];
    let pts = &pts[..pts.find('"').unwrap()];
    pts.split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn the_parabola_has_one_point_per_x_and_its_minimum_near_two_thirds() {
    let xs = arange();
    let svg = plot_fn("f(x)", |x| 3.0 * x * x - 4.0 * x + 5.0, &xs).unwrap();
    let pts = polyline(&svg);
    assert_eq!(pts.len(), 40);
    // SVG y grows downwards: the lowest value has the largest y.
    let lowest = pts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
        .unwrap()
        .0;
    assert_eq!(xs[lowest], 0.75); // the grid point nearest 2/3
}

#[test]
fn several_series_get_a_legend() {
    let svg = plot_fns(
        "activations",
        &[("tanh", &f64::tanh), ("relu", &|x: f64| x.max(0.0))],
        &arange(),
    )
    .unwrap();
    // Each series: its line and its mark in the legend.
    assert_eq!(lines_in(&svg, BLUE).len(), 2);
    assert_eq!(lines_in(&svg, ORANGE).len(), 2);
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .map(|t| t[t.find('>').unwrap() + 1..t.find('<').unwrap()].trim())
        .collect();
    assert!(
        texts.contains(&"tanh") && texts.contains(&"relu"),
        "{texts:?}"
    );
    assert!(texts.contains(&"activations"));
}

#[test]
fn a_loss_curve_skips_non_finite_points() {
    let losses = [4.0, 2.0, f64::NAN, 1.0, 0.5];
    let svg = Plot::new("loss")
        .series(
            "loss",
            losses.iter().enumerate().map(|(i, &l)| (i as f64, l)),
        )
        .to_svg()
        .unwrap();
    assert_eq!(polyline(&svg).len(), 4);
}

#[test]
fn nothing_to_draw_is_an_error() {
    assert!(matches!(
        plot_fn("sqrt", f64::sqrt, &[-1.0, -2.0]),
        Err(VizError::Plot(_))
    ));
    assert!(matches!(
        Plot::new("empty").to_svg(),
        Err(VizError::Plot(_))
    ));
}
