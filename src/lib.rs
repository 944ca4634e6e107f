//! ferrograd: reverse-mode autodiff in Rust, from micrograd's scalar `Value`
//! to a batched ndarray MLP, checked number by number against libtorch.
//!
//! This crate re-exports the workspace's crates:
//! - [`Value`], [`numeric`], [`nn`]: the scalar engine (`ferrograd-scalar`);
//! - [`tensor`]: the batched ndarray engine (`ferrograd-tensor`);
//! - [`viz`]: graph pictures and plots (`ferrograd-viz`);
//! - [`data`]: seeded datasets such as [`data::make_moons`] (`ferrograd-data`).

pub use ferrograd_data as data;
pub use ferrograd_scalar::{nn, numeric, program, Error, NodeId, Scalar, TapeStats, Value};
pub use ferrograd_tensor as tensor;
pub use ferrograd_viz as viz;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
