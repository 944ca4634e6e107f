//! Evaluation without recording: [`Value::detach`] and the no-grad scope
//! ([`no_grad`], [`NoGradGuard`]), PyTorch's `detach()` and `torch.no_grad()`.
//!
//! While a scope is active on a thread, every operation on that thread
//! computes its result by its usual forward rule and keeps it as a plain leaf:
//! nothing below the result is remembered, so `backward()` from it reaches
//! no operand and the operands' nodes can be reclaimed at once.

use std::marker::PhantomData;

use crate::scalar::sealed::Sealed;
use crate::tape::Release;
use crate::{Scalar, Value};

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
        // The depth lives in each float type's tape, where recording reads it
        // under the borrow it already holds.
        f32::with_tape(|t| t.enter_no_grad());
        f64::with_tape(|t| t.enter_no_grad());
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
        // Skipped only once a tape is destroyed (thread exit), when nothing
        // records any more.
        f32::release(Release::NoGradScope);
        f64::release(Release::NoGradScope);
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

/// Whether operations on this thread record now (PyTorch's
/// `torch.is_grad_enabled()`): false inside a [`no_grad`] scope. The
/// batched engine's tensors read the same scope, so one guard turns
/// recording off for both engines, as `torch.no_grad()` does for all of
/// PyTorch.
///
/// ```
/// use ferrograd_scalar::{is_grad_enabled, no_grad};
/// assert!(is_grad_enabled());
/// assert!(!no_grad(is_grad_enabled));
/// ```
pub fn is_grad_enabled() -> bool {
    // Both float types' depths move together (see `NoGradGuard::new`).
    f64::with_tape(|t| t.no_grad() == 0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Mlp;
    use rand::SeedableRng;

    #[test]
    fn a_network_under_no_grad_gives_the_same_value_as_a_leaf() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let net = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng).unwrap();
        let x = [2.0, 3.0, -1.0];
        let recorded = net.forward(&x).unwrap().remove(0);
        let (plain, nested) = no_grad(|| {
            let plain = net.forward(&x).unwrap().remove(0);
            let nested = no_grad(|| &plain * 2.0);
            (plain, &nested + 1.0) // still inside the outer scope
        });
        assert_eq!(plain.data(), recorded.data());
        assert!(plain.is_leaf() && nested.is_leaf());
        assert!(!recorded.is_leaf());
        assert!(!(&plain * 2.0).is_leaf()); // recording again after the scope
    }
}
