//! The no-grad scope of [`Tensor`](super::Tensor) operations, PyTorch's
//! `torch.no_grad()`: while it is active on a thread, results are constants
//! that remember no operand.

use std::cell::Cell;
use std::marker::PhantomData;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether operations on this thread record their operands now.
pub(crate) fn recording() -> bool {
    DEPTH.with(|d| d.get() == 0)
}

/// While alive, [`Tensor`](super::Tensor) operations on this thread are not
/// recorded. Guards nest; dropping the guard ends its scope. It cannot leave
/// its thread.
///
/// ```
/// use ferrograd_tensor::{NoGradGuard, Tensor};
/// let w = Tensor::<f64>::param([1.0, 2.0]);
/// {
///     let _guard = NoGradGuard::new();
///     assert!(!(&w * 2.0).needs_grad());
/// }
/// assert!((&w * 2.0).needs_grad());
/// ```
#[derive(Debug)]
#[must_use = "the scope ends when the guard is dropped"]
pub struct NoGradGuard {
    _thread: PhantomData<*const ()>,
}

impl NoGradGuard {
    /// Opens a no-grad scope on this thread until the guard is dropped.
    pub fn new() -> Self {
        DEPTH.with(|d| d.set(d.get() + 1));
        NoGradGuard {
            _thread: PhantomData,
        }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `f` with [`Tensor`](super::Tensor) recording off on this thread
/// (`with torch.no_grad():`); the scope ends when `f` returns or panics.
///
/// ```
/// use ferrograd_tensor::{no_grad, Tensor};
/// let w = Tensor::<f64>::param([[1.0, 2.0]]);
/// let y = no_grad(|| w.tanh());
/// assert!(!y.needs_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}
