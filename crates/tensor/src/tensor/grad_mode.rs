//! The no-grad scope of [`Tensor`](super::Tensor) operations, PyTorch's
//! `torch.no_grad()`: the scalar engine's, so one scope stops recording in
//! both engines, as PyTorch has one grad mode. While it is active on a
//! thread, results are constants that remember no operand.
//!
//! ```
//! use ferrograd_tensor::{no_grad, NoGradGuard, Tensor};
//! let w = Tensor::<f64>::param([[1.0, 2.0]]);
//! assert!(!no_grad(|| w.tanh()).needs_grad());
//! {
//!     let _guard = NoGradGuard::new();
//!     assert!(!(&w * 2.0).needs_grad());
//! }
//! assert!((&w * 2.0).needs_grad());
//! ```

pub use ferrograd_scalar::{no_grad, NoGradGuard};

/// Whether operations on this thread record their operands now.
pub(crate) fn recording() -> bool {
    ferrograd_scalar::is_grad_enabled()
}
