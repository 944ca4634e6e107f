//! ferrograd's oracle: the same computations the engines run, on libtorch
//! (through `tch`, pinned to the libtorch 2.13.0 it was built for), and the
//! comparison that turns them into a parity report.
//!
//! - [`precision`]: f32 / f64, CPU / CUDA, and the tolerance of each;
//! - [`program`]: a [`ferrograd_program::Program`] on libtorch;
//! - [`mlp`]: an MLP's forward and backward with given weights, every loss, on
//!   the scalar engine, the batched engine and libtorch;
//! - [`train`]: training trajectories (micrograd's moons demo, SGD and Adam);
//! - [`compare`]: the tolerance rule and per-scenario worst cases;
//! - [`exact`]: every program against its exact value (mpmath, 60 digits);
//! - [`report`]: the table on the terminal, in Markdown and JSON;
//! - [`suite`]: the scenarios `cargo xtask parity` runs;
//! - [`tensor_program`], [`tensor_suite`]: random tensor programs on
//!   `ferrograd_tensor::Tensor` and libtorch (and lowered element by element
//!   to scalar programs for the exact value), and the `Tensor`-built MLP's
//!   training run.
//!
//! This crate is not a default workspace member: building it needs libtorch
//! (`cargo xtask libtorch` fetches it; `cargo xtask parity` does everything).

#![forbid(unsafe_code)]

pub mod compare;
mod error;
pub mod exact;
pub mod mlp;
pub mod precision;
pub mod program;
pub mod report;
pub mod suite;
pub mod tensor_program;
pub mod tensor_suite;
pub mod train;

pub use error::TorchError;
pub use precision::{Precision, Target};
