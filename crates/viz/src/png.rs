//! SVG to PNG through `resvg`, with the machine's fonts.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg;

use crate::VizError;

/// Rasterises an SVG document at `scale` times its size, on a white
/// background (so viewers that show transparency as black still show the
/// picture), and encodes it as PNG.
///
/// Text uses the machine's fonts; the generic families (`serif`,
/// `sans-serif`, `monospace`) are mapped to fonts that are actually
/// installed, so labels appear without any particular font package.
///
/// ```
/// let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="2" height="2" fill="red"/></svg>"#;
/// let png = ferrograd_viz::svg_to_png(svg, 1.0).unwrap();
/// assert_eq!(&png[1..4], b"PNG");
/// ```
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, VizError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(VizError::Raster(format!(
            "scale must be a positive number, got {scale}"
        )));
    }
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| VizError::Raster(e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1))
        .ok_or_else(|| VizError::Raster(format!("cannot allocate a {w}x{h} image")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| VizError::Raster(e.to_string()))
}

/// The system fonts, loaded once per process.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_system_fonts();
        let families: Vec<String> = db
            .faces()
            .filter_map(|f| f.families.first().map(|(name, _)| name.clone()))
            .collect();
        let pick = |wanted: &[&str], avoid: &[&str]| -> Option<String> {
            wanted
                .iter()
                .find_map(|w| families.iter().find(|f| f.as_str() == *w).cloned())
                .or_else(|| {
                    families
                        .iter()
                        .find(|f| !avoid.iter().any(|a| f.contains(a)))
                        .cloned()
                })
        };
        if let Some(f) = pick(
            &["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial"],
            &["Mono", "Serif"],
        ) {
            db.set_sans_serif_family(f);
        }
        if let Some(f) = pick(
            &[
                "DejaVu Serif",
                "Liberation Serif",
                "Noto Serif",
                "Times New Roman",
            ],
            &["Mono"],
        ) {
            db.set_serif_family(f);
        }
        if let Some(f) = pick(
            &["DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono"],
            &[],
        ) {
            db.set_monospace_family(f);
        }
        Arc::new(db)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_scale_or_bad_svg_is_an_error() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"/>"#;
        assert!(matches!(svg_to_png(svg, 0.0), Err(VizError::Raster(_))));
        assert!(matches!(
            svg_to_png("not svg", 1.0),
            Err(VizError::Raster(_))
        ));
    }
}
