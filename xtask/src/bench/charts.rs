//! The report's SVG charts (plotters): horizontal bars of time per step for
//! one group of workloads, and time per step against model width.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::report::human_time;

/// A bar: its label and its time per step in nanoseconds; `ours` bars are
/// ferrograd's.
pub struct Bar {
    /// Shown on the bar.
    pub label: String,
    /// Median time per step (ns).
    pub ns: f64,
    /// Drawn in ferrograd's colour.
    pub ours: bool,
}

const OURS: RGBColor = RGBColor(244, 164, 96);
const PEER: RGBColor = RGBColor(150, 190, 230);

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a chart: {e}")
}

/// Horizontal bars on a logarithmic time axis, first bar on top.
pub fn bars(path: &Path, title: &str, bars: &[Bar]) -> Result<()> {
    if bars.is_empty() {
        return Ok(());
    }
    let n = bars.len();
    let height = 90 + 30 * n as u32;
    let root = SVGBackend::new(path, (860, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let min = bars.iter().map(|b| b.ns).fold(f64::INFINITY, f64::min);
    let max = bars.iter().map(|b| b.ns).fold(0.0, f64::max);
    let (lo, hi) = (min / 4.0, max * 1.5);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(4)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("median time per step (log scale; shorter is faster)")
        .x_label_formatter(&|v| human_time(*v))
        .draw()
        .map_err(err)?;
    let text =
        TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, bar) in bars.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let colour = if bar.ours { OURS } else { PEER };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(lo, y + 0.12), (bar.ns, y + 0.88)],
                colour.filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                bar.label.clone(),
                (lo * 1.08, y + 0.5),
                text.clone(),
            )))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// One line of the width chart: its name and `(width, ns)` points.
pub struct Line {
    /// Legend entry.
    pub name: String,
    /// `(width, median ns per step)`, by width.
    pub points: Vec<(f64, f64)>,
    /// Drawn solid (ferrograd) or dashed-looking thin (peer).
    pub ours: bool,
}

/// Time per step against width, both axes logarithmic.
pub fn lines(path: &Path, title: &str, x_desc: &str, lines: &[Line]) -> Result<()> {
    let all: Vec<(f64, f64)> = lines.iter().flat_map(|l| l.points.clone()).collect();
    if all.is_empty() {
        return Ok(());
    }
    let (xmin, xmax) = all.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
        (a.min(p.0), b.max(p.0))
    });
    let (ymin, ymax) = all.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
        (a.min(p.1), b.max(p.1))
    });
    let root = SVGBackend::new(path, (860, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (xmin / 1.2..xmax * 1.2).log_scale(),
            (ymin / 1.5..ymax * 1.5).log_scale(),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("median time per step")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| human_time(*v))
        .draw()
        .map_err(err)?;
    for (i, line) in lines.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let width = if line.ours { 3 } else { 2 };
        chart
            .draw_series(LineSeries::new(
                line.points.clone(),
                colour.stroke_width(width),
            ))
            .map_err(err)?
            .label(line.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width))
            });
        chart
            .draw_series(
                line.points
                    .iter()
                    .map(|&p| Circle::new(p, if line.ours { 4 } else { 3 }, colour.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_written_as_svg_with_their_labels() {
        let dir = std::env::temp_dir().join(format!("ferrograd-bench-svg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let b = dir.join("bars.svg");
        bars(
            &b,
            "moons",
            &[
                Bar {
                    label: "ferrograd 1.0 ms".into(),
                    ns: 1e6,
                    ours: true,
                },
                Bar {
                    label: "micrograd 2.0 s".into(),
                    ns: 2e9,
                    ours: false,
                },
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(&b).unwrap();
        assert!(text.starts_with("<svg") && text.contains("micrograd 2.0 s"));
        let l = dir.join("lines.svg");
        lines(
            &l,
            "sweep",
            "width",
            &[Line {
                name: "ferrograd".into(),
                points: vec![(16.0, 1e4), (1024.0, 1e7)],
                ours: true,
            }],
        )
        .unwrap();
        let text = std::fs::read_to_string(&l).unwrap();
        assert!(text.contains("ferrograd") && text.contains("<polyline"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
