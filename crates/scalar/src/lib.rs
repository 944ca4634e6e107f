//! ferrograd's scalar engine: micrograd's `Value`, in Rust, generic over
//! `f32` and `f64`, with the small neural-net module built on it.
//!
//! - [`Value`]: a recorded scalar; operators and functions build the graph,
//!   [`Value::backward`] fills the gradients.
//! - [`no_grad`], [`NoGradGuard`], [`Value::detach`]: evaluation without
//!   recording.
//! - [`Unary`], [`Binary`]: the elementwise functions, declared once for
//!   every engine (value, gradient, name).
//! - [`Replay`]: a recorded graph re-run on new leaf values.
//! - [`numeric`]: finite-difference slopes and a gradient checker.
//! - [`nn`]: [`nn::Neuron`], [`nn::Layer`], [`nn::Mlp`], losses and
//!   optimisers, and the rules the batched engine shares (activations, the
//!   loss list, optimiser updates, schedules, hyper-parameter and size checks).
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

// `unsafe` is denied, not forbidden: the two hottest indexings of the tape
// (`Tape::record_fast`'s node write and the backward sweep's scan) are unchecked,
// each allowed where it stands, with its proof beside it and tests that run
// it (the rule for `unsafe` here: a written proof and a test for each).
#![deny(unsafe_code)]

mod arith;
mod display;
mod error;
mod grad_mode;
pub mod nn;
pub mod numeric;
mod op;
mod ref_ops;
mod replay;

/// Derivative rules that the batched engine (`ferrograd-tensor`) shares with
/// this one, so each formula has one home.
///
/// Each takes the operand `a` and the op's output `out` (already computed by
/// the forward pass) and is accurate to a few ulps over the whole range,
/// saturation included, where the textbook `1 - out^2` and `out (1 - out)`
/// round to 0.
///
/// ```
/// use ferrograd_scalar::rules::{sigmoid_slope, tanh_slope};
///
/// // tanh(20) rounds to 1 in f64, so 1 - tanh(20)^2 is 0; the true slope is
/// // sech(20)^2 = 1.6993417021166355e-17 (mpmath, 50 digits).
/// let x = 20.0f64;
/// assert_eq!(1.0 - x.tanh() * x.tanh(), 0.0);
/// let s = tanh_slope(x, x.tanh());
/// assert!((s - 1.6993417021166355e-17).abs() <= 4.0 * f64::EPSILON * s);
///
/// // sigmoid'(37) = 8.533047625744065e-17, where (1 - out) out is 0.
/// let out = 1.0 / (1.0 + (-37.0f64).exp());
/// let s = sigmoid_slope(37.0, out);
/// assert!((s - 8.533047625744065e-17).abs() <= 4.0 * f64::EPSILON * s);
/// ```
pub mod rules {
    pub use crate::op::rules::{powi, sigmoid_slope, tanh_slope};
}
mod scalar;
mod tape;
mod value;

pub use error::Error;
pub use grad_mode::{is_grad_enabled, no_grad, NoGradGuard};
pub use op::binary::Binary;
pub use op::unary::{Edge, Unary};
pub use replay::Replay;
pub use scalar::Scalar;
pub use tape::TapeStats;
pub use value::{NodeId, Value};

/// The README shown on crates.io, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
