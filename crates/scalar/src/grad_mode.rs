//! Evaluation without recording: [`Value::detach`] and the no-grad scope
//! ([`no_grad`], [`NoGradGuard`]), PyTorch's `detach()` and `torch.no_grad()`.
//!
//! While a scope is active on a thread, every operation on that thread
//! computes its result by its usual forward rule and keeps it as a plain leaf:
//! nothing below the result is remembered, so `backward()` from it reaches
//! no operand and the operands' nodes can be reclaimed at once.

use std::cell::Cell;
use std::marker::PhantomData;

use crate::{Scalar, Value};

thread_local! {
    /// Open no-grad scopes on this thread (scopes nest).
    static NO_GRAD_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether operations on this thread are recorded (no no-grad scope is open).
#[inline]
pub(crate) fn is_recording() -> bool {
    NO_GRAD_DEPTH.with(|d| d.get() == 0)
}

/// Keeps `v` if operations are recorded, else replaces it by a leaf holding
/// its value: the one hook an operation needs to honour a no-grad scope.
#[inline]
pub(crate) fn unless_no_grad<T: Scalar>(v: Value<T>) -> Value<T> {
    if is_recording() {
        v
    } else {
        v.detach()
    }
}

/// While alive, operations on this thread are not recorded (see the module
/// docs). Made by [`NoGradGuard::new`]; dropping it ends the scope. Guards
/// nest, and a guard cannot leave its thread.
///
/// ```
/// use ferrograd_scalar::{NoGradGuard, Value};
/// let w = Value::new(3.0f64);
/// {
///     let _guard = NoGradGuard::new();
///     let y = &w * 2.0;
///     assert_eq!(y.data(), 6.0);
///     assert!(y.is_leaf()); // nothing recorded
/// }
/// assert!(!(&w * 2.0).is_leaf()); // recording again
/// ```
#[derive(Debug)]
#[must_use = "the scope ends when the guard is dropped"]
pub struct NoGradGuard {
    /// `*const ()` keeps the guard on the thread whose scope it counts.
    _thread: PhantomData<*const ()>,
}

impl NoGradGuard {
    /// Opens a no-grad scope on this thread until the guard is dropped.
    pub fn new() -> Self {
        NO_GRAD_DEPTH.with(|d| d.set(d.get() + 1));
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
        NO_GRAD_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `f` with recording off on this thread (`with torch.no_grad():`), for
/// evaluating a model without building a graph. The scope ends when `f`
/// returns or panics.
///
/// ```
/// use ferrograd_scalar::{no_grad, Value};
/// let x = Value::new(0.5f64);
/// let y = no_grad(|| (&x * &x).tanh());
/// assert_eq!(y.data(), 0.25f64.tanh());
/// y.backward();
/// assert_eq!(x.grad(), 0.0); // y remembers nothing about x
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}

impl<T: Scalar> Value<T> {
    /// A new leaf with this value's data and gradient zero, not connected to
    /// the graph (PyTorch's `detach()`): gradients stop here.
    ///
    /// ```
    /// use ferrograd_scalar::Value;
    /// let x = Value::new(2.0f64);
    /// let y = &x * &x;
    /// let z = &y.detach() * &x; // y treated as the constant 4
    /// z.backward();
    /// assert_eq!(z.data(), 8.0);
    /// assert_eq!(x.grad(), 4.0); // not 3 x^2 = 12
    /// ```
    pub fn detach(&self) -> Value<T> {
        Value::new(self.data())
    }
}
