//! The cache outside the checkout where installs and builds that every
//! checkout of the machine shares go: libtorch, mpmath, the Jupyter tools
//! and the oracle's target folder.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// The cache folder: `$FERROGRAD_CACHE`, else `$XDG_CACHE_HOME/ferrograd`,
/// else `~/.cache/ferrograd`.
pub fn root() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("FERROGRAD_CACHE").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("ferrograd"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("neither FERROGRAD_CACHE nor HOME is set, so there is no cache folder for libtorch; set FERROGRAD_CACHE to a folder outside the checkout")?;
    Ok(PathBuf::from(home).join(".cache").join("ferrograd"))
}
