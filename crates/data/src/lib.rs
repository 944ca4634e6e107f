//! Seeded toy datasets shared by every ferrograd backend.
//!
//! Every generator takes an explicit seed, so the scalar engine, the batched
//! engine and the libtorch oracle all train on exactly the same points.
//!
//! - [`make_moons`]: two interleaving half circles (scikit-learn's).
//! - [`make_blobs`]: Gaussian blobs of any width and class count.
//! - [`notebook`]: the seed notebook's numbers (its neuron, its expression,
//!   its four examples) and the oracle's results for its PyTorch cell.

#![forbid(unsafe_code)]

mod blobs;
mod moons;
pub mod notebook;

pub use blobs::{make_blobs, Blobs};
pub use moons::{make_moons, Moons};

/// What a dataset generator refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// Fewer than two samples cannot make two classes.
    #[error("make_moons needs at least 2 samples, got {0}")]
    TooFewSamples(usize),
    /// Noise must be a finite, non-negative standard deviation.
    #[error("noise must be finite and >= 0, got {0}")]
    BadNoise(f64),
    /// A generator's argument out of its range.
    #[error("bad dataset parameter {name} = {value}: {why}")]
    BadArgument {
        /// The argument.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
    /// The oracle's results file is not in the format its writer uses.
    #[error("not the oracle's results for the notebook: {0}")]
    BadOracleFile(String),
}

/// The README shown on crates.io, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
