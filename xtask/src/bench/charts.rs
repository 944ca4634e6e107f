//! The report's SVG charts (plotters): horizontal bars of time per step for
//! one group of workloads, and time per step against model width.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::report::{human_ratio, human_time, Report, Row, BATCHED_MODELS};

/// Draws every chart of `report` into `out`; returns (chart key, file name)
/// for those written (a chart that fails is reported and left out).
pub fn draw(out: &Path, report: &Report) -> Vec<(String, String)> {
    let mut written = Vec::new();
    let drawn = scalar(out, report)
        .into_iter()
        .chain(batched(out, report))
        .chain(sweep(out, report));
    for (key, file, result) in drawn {
        match result {
            Ok(()) => written.push((key, file)),
            Err(e) => eprintln!("bench: could not draw {file}: {e:#}"),
        }
    }
    written
}

/// A chart's key in the report, its file name, and whether it was drawn.
type Drawn = (String, String, Result<()>);

/// One bar chart per scalar workload.
fn scalar(out: &Path, report: &Report) -> Vec<Drawn> {
    report
        .workloads
        .iter()
        .filter(|w| w.key.starts_with("scalar/"))
        .map(|w| {
            let shown: Vec<Bar> = w.rows.iter().filter_map(|r| bar("", r)).collect();
            let file = format!("{}.svg", w.key.replace('/', "_"));
            let title = w.title.split(" (").next().unwrap_or(&w.title);
            let result = bars(&out.join(&file), title, &shown);
            (w.key.clone(), file, result)
        })
        .collect()
}

/// One bar chart per batched model, a bar per configuration and system.
fn batched(out: &Path, report: &Report) -> Vec<Drawn> {
    BATCHED_MODELS
        .iter()
        .map(|(model, title)| {
            let prefix = format!("batched/{model}/");
            let shown: Vec<Bar> = report
                .workloads
                .iter()
                .filter(|w| w.key.starts_with(&prefix))
                .flat_map(|w| {
                    let config = w.key[prefix.len()..].replace("/threads=", ", threads ");
                    w.rows
                        .iter()
                        .filter_map(move |r| bar(&format!("{config}, "), r))
                })
                .collect();
            let file = format!("batched_{model}.svg");
            let short = title.split(':').next().unwrap_or(title);
            let result = bars(
                &out.join(&file),
                &format!("Batched engine: {short}"),
                &shown,
            );
            (format!("batched/{model}"), file, result)
        })
        .collect()
}

/// One line chart per group of the width sweep.
fn sweep(out: &Path, report: &Report) -> Vec<Drawn> {
    report
        .sweep_groups()
        .into_iter()
        .map(|(dtype, batch)| {
            let series: Vec<Line> = report
                .sweep_lines(&dtype, batch)
                .map(|l| Line {
                    name: format!("{}, {} thread(s)", l.system, l.threads),
                    points: l
                        .points
                        .iter()
                        .filter_map(|&(w, ns)| Some((w as f64, ns?)))
                        .collect(),
                    ours: l.system.starts_with("ferrograd"),
                })
                .collect();
            let file = format!("sweep_{dtype}_batch{batch}.svg");
            let result = lines(
                &out.join(&file),
                &format!("Training step vs width: w-w-w-10 MLP, {dtype}, batch {batch}"),
                "width w (log scale)",
                &series,
            );
            (format!("sweep/{dtype}/batch={batch}"), file, result)
        })
        .collect()
}

/// A row's bar, labelled `<prefix><system>: <time> (<ratio>)`, when it has a time.
fn bar(prefix: &str, r: &Row) -> Option<Bar> {
    let ns = r.median_ns?;
    let ratio = r.ratio.map(human_ratio).unwrap_or_default();
    Some(Bar {
        label: format!("{prefix}{}: {} ({ratio})", r.system, human_time(ns)),
        ns,
        ours: r.system.starts_with("ferrograd"),
    })
}

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
    let (lo, hi) = decades(min / 2.0, max * 1.2);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(36)
        .y_label_area_size(4)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(6)
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
    /// Drawn thicker (ferrograd) or thinner (peer).
    pub ours: bool,
}

/// Time per step against width, both axes logarithmic.
pub fn lines(path: &Path, title: &str, x_desc: &str, lines: &[Line]) -> Result<()> {
    let all: Vec<(f64, f64)> = lines.iter().flat_map(|l| l.points.clone()).collect();
    if all.is_empty() {
        return Ok(());
    }
    // Widths are powers of two: plot log2(width) on a linear axis so each
    // measured width gets its own tick.
    let all: Vec<(f64, f64)> = all.iter().map(|&(w, t)| (w.log2(), t)).collect();
    let (xmin, xmax) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (ymin, ymax) = all.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
        (a.min(p.1), b.max(p.1))
    });
    let (ylo, yhi) = decades(ymin / 1.2, ymax * 1.2);
    let root = SVGBackend::new(path, (860, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(xmin - 0.3..xmax + 0.3, (ylo..yhi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("median time per step")
        .x_labels((xmax - xmin).round() as usize + 1)
        .x_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-6 {
                format!("{:.0}", v.round().exp2())
            } else {
                String::new()
            }
        })
        .y_labels(6)
        .y_label_formatter(&|v| human_time(*v))
        .draw()
        .map_err(err)?;
    // Warm colours for ferrograd, cool ones for its peers.
    const WARM: [RGBColor; 3] = [
        RGBColor(215, 48, 39),
        RGBColor(244, 140, 30),
        RGBColor(150, 60, 20),
    ];
    const COOL: [RGBColor; 3] = [
        RGBColor(49, 90, 200),
        RGBColor(30, 160, 150),
        RGBColor(120, 80, 180),
    ];
    let (mut warm, mut cool) = (0, 0);
    for line in lines {
        let colour = if line.ours {
            warm += 1;
            WARM[(warm - 1) % WARM.len()]
        } else {
            cool += 1;
            COOL[(cool - 1) % COOL.len()]
        };
        let width = if line.ours { 3 } else { 2 };
        let points: Vec<(f64, f64)> = line.points.iter().map(|&(w, t)| (w.log2(), t)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(width)))
            .map_err(err)?
            .label(line.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(width))
            });
        chart
            .draw_series(
                points
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

/// The whole decades around `[lo, hi]`, so a log axis has labelled ends.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_written_as_svg_with_their_labels() {
        let dir = crate::testing::temp("bench-svg");
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
