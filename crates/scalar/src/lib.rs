//! ferrograd's scalar engine: micrograd's `Value`, in Rust, generic over
//! `f32` and `f64`, with the small neural-net module built on it.
//!
//! - [`Value`]: a recorded scalar; operators and functions build the graph,
//!   [`Value::backward`] fills the gradients.
//! - [`no_grad`], [`NoGradGuard`], [`Value::detach`]: evaluation without
//!   recording.
//! - [`Replay`]: a recorded graph re-run on new leaf values.
//! - [`numeric`]: finite-difference slopes and a gradient checker.
//! - [`nn`]: [`nn::Neuron`], [`nn::Layer`], [`nn::Mlp`] and optimisers.
//!
//! ```
//! use ferrograd_scalar::Value;
//!
//! let x = Value::new(0.5f64);
//! let y = (2.0 * &x).tanh() + x.powi(2);
//! y.backward();
//! let expected = 2.0 * (1.0 - 1f64.tanh().powi(2)) + 1.0;
//! assert!((x.grad() - expected).abs() < 1e-12);
//! ```

mod arith;
mod display;
mod error;
mod grad_mode;
pub mod nn;
pub mod numeric;
mod op;
pub mod program;
mod ref_ops;
mod replay;
mod scalar;
mod tape;
mod value;

pub use error::Error;
pub use grad_mode::{no_grad, NoGradGuard};
pub use replay::Replay;
pub use scalar::Scalar;
pub use tape::{Tape, TapeStats};
pub use value::{NodeId, Value};

/// The README shown on crates.io, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
