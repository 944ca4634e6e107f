//! Line plots (`plotters`): the notebook's `plt.plot(xs, ys); plt.grid()`.

use plotters::prelude::*;

use crate::svgfix;
use crate::VizError;

/// Colours of successive series (matplotlib's first four).
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// A line plot of one or more named series, drawn as SVG or PNG.
///
/// ```
/// use ferrograd_viz::Plot;
/// let xs: Vec<f64> = (0..40).map(|i| -5.0 + 0.25 * i as f64).collect();
/// let svg = Plot::new("tanh")
///     .x_label("x")
///     .series("tanh(x)", xs.iter().map(|&x| (x, x.tanh())))
///     .series("x / 5", xs.iter().map(|&x| (x, x / 5.0)))
///     .to_svg()
///     .unwrap();
/// assert!(svg.starts_with("<svg") && svg.contains("tanh(x)"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    title: String,
    x_label: String,
    y_label: String,
    size: (u32, u32),
    series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Plot {
    /// An empty plot with a title, 640 x 400 pixels.
    pub fn new(title: impl Into<String>) -> Self {
        Plot {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            size: (640, 400),
            series: Vec::new(),
        }
    }

    /// Names the x axis.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Names the y axis.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Sets the picture's size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Adds a line through `points`; non-finite points are left out. With
    /// more than one series a legend names them.
    pub fn series(
        mut self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        let points = points
            .into_iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        self.series.push((name.into(), points));
        self
    }

    /// The plot as a standalone SVG document (starting with `<svg`).
    pub fn to_svg(&self) -> Result<String, VizError> {
        let (xr, yr) = self.ranges()?;
        let mut buf = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, self.size).into_drawing_area();
            self.draw(&root, xr, yr)
                .map_err(|e| VizError::Plot(e.to_string()))?;
        }
        Ok(svgfix::finish(&buf, "ferrograd-plot"))
    }

    /// The plot as PNG bytes (the SVG rasterised at twice its size).
    pub fn to_png(&self) -> Result<Vec<u8>, VizError> {
        crate::png::svg_to_png(&self.to_svg()?, 2.0)
    }

    fn ranges(&self) -> Result<(std::ops::Range<f64>, std::ops::Range<f64>), VizError> {
        let points = self.series.iter().flat_map(|(_, p)| p.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y) in points {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return Err(VizError::Plot(format!(
                "`{}` has no finite points to draw",
                self.title
            )));
        }
        Ok((pad(x0, x1, 0.0), pad(y0, y1, 0.05)))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        xr: std::ops::Range<f64>,
        yr: std::ops::Range<f64>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(if self.x_label.is_empty() { 30 } else { 45 })
            .y_label_area_size(if self.y_label.is_empty() { 55 } else { 70 })
            .build_cartesian_2d(xr, yr)?;
        // Steps, epochs, counts: integer x values get integer ticks only.
        let integer_x = self
            .series
            .iter()
            .flat_map(|(_, p)| p.iter())
            .all(|&(x, _)| x.fract() == 0.0);
        let x_tick = move |v: &f64| {
            if integer_x && (v - v.round()).abs() > 1e-9 {
                String::new()
            } else {
                tick(*v)
            }
        };
        chart
            .configure_mesh()
            .x_label_formatter(&x_tick)
            .y_label_formatter(&|v: &f64| tick(*v))
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(200, 200, 200))
            .draw()?;
        for (i, (name, points)) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        if self.series.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()
    }
}

/// A tick's text: at most 4 decimals, trailing zeros dropped, never `-0`
/// (a tick a rounding error below zero reads `0`).
fn tick(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A range around `[lo, hi]`, widened by `frac` of its span on each side and
/// never empty.
fn pad(lo: f64, hi: f64, frac: f64) -> std::ops::Range<f64> {
    if hi - lo < 1e-12 {
        let w = lo.abs().max(1.0) * 0.5;
        return (lo - w)..(hi + w);
    }
    let m = (hi - lo) * frac;
    (lo - m)..(hi + m)
}

/// A plot of `y = f(x)` at the given points, titled `title`: the notebook's
/// `plt.plot(xs, f(xs)); plt.grid()`, as SVG.
///
/// ```
/// let xs: Vec<f64> = (0..40).map(|i| -5.0 + 0.25 * i as f64).collect();
/// let svg = ferrograd_viz::plot_fn("3x² - 4x + 5", |x| 3.0 * x * x - 4.0 * x + 5.0, &xs).unwrap();
/// assert!(svg.contains("<polyline") || svg.contains("<path"));
/// assert!(svg.contains("3x² - 4x + 5"));
/// ```
pub fn plot_fn(title: &str, f: impl Fn(f64) -> f64, xs: &[f64]) -> Result<String, VizError> {
    Plot::new(title)
        .x_label("x")
        .series(title, xs.iter().map(|&x| (x, f(x))))
        .to_svg()
}

/// Several named functions over the same points, in one SVG with a legend.
pub fn plot_fns(
    title: &str,
    fns: &[(&str, &dyn Fn(f64) -> f64)],
    xs: &[f64],
) -> Result<String, VizError> {
    fns.iter()
        .fold(Plot::new(title).x_label("x"), |p, (name, f)| {
            p.series(*name, xs.iter().map(|&x| (x, f(x))))
        })
        .to_svg()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_plot_is_an_error_that_names_it() {
        let err = Plot::new("nothing")
            .series("nan", [(0.0, f64::NAN)])
            .to_svg()
            .unwrap_err();
        assert!(err.to_string().contains("nothing"), "{err}");
    }

    #[test]
    fn ticks_never_read_minus_zero() {
        assert_eq!(tick(-1e-17), "0");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(-0.25), "-0.25");
        assert_eq!(tick(0.123_456), "0.1235");
    }

    /// Every text drawn in `svg`, trimmed.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("</text>")
            .filter_map(|part| part.rsplit_once('>').map(|(_, t)| t.trim().to_string()))
            .collect()
    }

    #[test]
    fn integer_x_values_get_integer_ticks_only() {
        let svg = Plot::new("loss")
            .series(
                "loss",
                (0..20).map(|i| (f64::from(i), 1.0 / f64::from(i + 1))),
            )
            .to_svg()
            .unwrap();
        let t = texts(&svg);
        assert!(t.iter().any(|s| s == "10"), "{t:?}");
        assert!(
            !t.iter().any(|s| s == "2.5" || s == "2.0" || s == "10.0"),
            "{t:?}"
        );
        let xs = (0..40).map(|i| -5.0 + 0.25 * f64::from(i));
        let tanh = Plot::new("tanh")
            .series("tanh", xs.map(|x| (x, f64::tanh(x))))
            .to_svg()
            .unwrap();
        let t = texts(&tanh);
        assert!(
            t.iter().any(|s| s == "0") && t.iter().any(|s| s == "-0.2"),
            "{t:?}"
        );
        assert!(
            !t.iter()
                .any(|s| s.starts_with("-0") && s.trim_start_matches(['-', '0', '.']).is_empty()),
            "{t:?}"
        );
    }

    #[test]
    fn a_flat_range_is_widened() {
        assert_eq!(pad(2.0, 2.0, 0.05), 1.0..3.0);
        assert_eq!(pad(0.0, 10.0, 0.1), -1.0..11.0);
    }
}
