//! What can go wrong while drawing, and which file was involved.

use std::path::PathBuf;

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VizError {
    /// A file could not be written; names the path and the reason.
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// Why the system refused.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read; names the path and the reason.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file that was being read.
        path: PathBuf,
        /// Why the system refused.
        #[source]
        source: std::io::Error,
    },
    /// The external `dot` program was asked for but could not be run or failed.
    #[error("the Graphviz `dot` program failed: {0}")]
    Dot(String),
    /// An SVG could not be turned into a PNG.
    #[error("could not rasterise the SVG: {0}")]
    Raster(String),
    /// A plot could not be drawn (for example, no points or non-finite ranges).
    #[error("could not draw the plot: {0}")]
    Plot(String),
    /// The headless browser could not be started or reported a problem.
    #[error("browser check failed: {0}")]
    Browser(String),
}

impl VizError {
    /// A [`VizError::Write`] for `path`.
    pub(crate) fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VizError::Write {
            path: path.into(),
            source,
        }
    }
}

/// Writes `bytes` to `path`, creating missing parent folders; a failure names
/// the path and the reason.
///
/// ```
/// let dir = std::env::temp_dir().join("ferrograd-viz-doc-write");
/// let path = dir.join("hello.txt");
/// ferrograd_viz::write_file(&path, b"hi").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hi");
/// let err = ferrograd_viz::write_file(path.join("not-a-dir.txt"), b"x").unwrap_err();
/// assert!(err.to_string().contains("hello.txt"));
/// ```
pub fn write_file(
    path: impl AsRef<std::path::Path>,
    bytes: impl AsRef<[u8]>,
) -> Result<(), VizError> {
    let path = path.as_ref();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| VizError::write(path, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| VizError::write(path, e))
}
