//! Seeded toy datasets shared by every ferrograd backend.
//!
//! Every generator takes an explicit seed, so the scalar engine, the batched
//! engine and the libtorch oracle all train on exactly the same points.

mod moons;

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
}

/// The README shown on crates.io, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
