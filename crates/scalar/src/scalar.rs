//! The float types the engine runs on, and where each keeps its tape.

use std::cell::{Cell, RefCell};
use std::fmt::{Debug, Display};

use crate::tape::{Release, Tape};

/// The tape access behind [`Scalar`], kept out of the public API: a private
/// supertrait seals `Scalar` (each type needs its own `thread_local!`, and
/// Rust has no generic statics) and carries the methods that name the tape.
/// The lint that asks for a `pub` tape does not see that no caller outside
/// this crate can name the supertrait, so it is allowed here.
#[allow(private_interfaces, private_bounds)]
pub(crate) mod sealed {
    use super::{Release, Tape};

    pub trait Sealed: Sized {
        /// Runs `f` on this thread's tape for this float type, after the
        /// releases that found it borrowed.
        fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R;

        /// Applies `release` now, or at the next borrow when the tape is
        /// borrowed (a handle dropped while the tape is in use), so that
        /// none is lost; does nothing once the thread's tape has been
        /// destroyed (a handle dropped by another thread-local's destructor).
        fn release(release: Release);
    }
}

/// A float type the engine can record: `f32` or `f64`.
///
/// Every thread has one tape per float type; a [`Value`](crate::Value) is an
/// index into its thread's tape. The trait is sealed because each type needs
/// its own `thread_local!` (Rust has no generic statics).
pub trait Scalar:
    num_traits::Float
    + num_traits::FloatConst
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + 'static
    + sealed::Sealed
{
    /// Short name of the type (`"f32"`, `"f64"`), for reports and errors.
    const NAME: &'static str;

    /// Converts an `f64` constant (like the `0.5` in a derivative rule).
    fn from_f64(x: f64) -> Self;

    /// Widens to `f64` for printing and comparisons.
    fn to_f64(self) -> f64;
}

/// One thread's tape of one float type, and the releases that arrived while
/// it was borrowed.
struct Slot<T> {
    tape: RefCell<Tape<T>>,
    deferred: Cell<Vec<Release>>,
    /// Set while `deferred` holds something: one flag read per borrow.
    any_deferred: Cell<bool>,
}

impl<T: Scalar> Slot<T> {
    const fn new() -> Self {
        Slot {
            tape: RefCell::new(Tape::new()),
            deferred: Cell::new(Vec::new()),
            any_deferred: Cell::new(false),
        }
    }

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Tape<T>) -> R) -> R {
        let mut t = self.tape.borrow_mut();
        if self.any_deferred.get() {
            self.apply_deferred(&mut t);
        }
        f(&mut t)
    }

    #[cold]
    fn apply_deferred(&self, t: &mut Tape<T>) {
        self.any_deferred.set(false);
        for r in self.deferred.take() {
            t.apply(r);
        }
    }

    #[inline(always)]
    fn release(&self, r: Release) {
        match self.tape.try_borrow_mut() {
            Ok(mut t) => t.apply(r),
            Err(_) => self.defer(r),
        }
    }

    #[cold]
    fn defer(&self, r: Release) {
        let mut pending = self.deferred.take();
        pending.push(r);
        self.deferred.set(pending);
        self.any_deferred.set(true);
    }
}

macro_rules! impl_scalar {
    ($t:ty, $tls:ident) => {
        thread_local! {
            static $tls: Slot<$t> = const { Slot::new() };
        }

        #[allow(private_interfaces, private_bounds)] // see `sealed`
        impl sealed::Sealed for $t {
            #[inline(always)]
            fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R {
                $tls.try_with(|s| s.with(f)).unwrap_or_else(|_| {
                    panic!(
                        "ferrograd: this thread's {} tape is already destroyed; a Value was used \
                         from a thread-local destructor, after the graph it belongs to was freed",
                        stringify!($t)
                    )
                })
            }

            #[inline(always)]
            fn release(release: Release) {
                let _ = $tls.try_with(|s| s.release(release));
            }
        }

        impl Scalar for $t {
            const NAME: &'static str = stringify!($t);

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }

            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}

impl_scalar!(f32, TAPE_F32);
impl_scalar!(f64, TAPE_F64);

#[cfg(test)]
mod tests {
    use super::sealed::Sealed;
    use crate::{NoGradGuard, Value};

    #[test]
    fn a_handle_dropped_while_the_tape_is_borrowed_is_released_at_the_next_borrow() {
        let a = Value::new(1.0f64);
        let b = a.clone();
        let refs = || f64::with_tape(|t| t.refs(a.id_raw()));
        assert_eq!(refs(), 2);
        // `b` is dropped inside the borrow: its release cannot reach the tape now.
        f64::with_tape(|_| drop(b));
        assert_eq!(refs(), 1);
    }

    #[test]
    fn a_no_grad_scope_ended_while_the_tape_is_borrowed_still_ends() {
        let guard = NoGradGuard::new();
        f64::with_tape(|_| drop(guard));
        assert_eq!(f64::with_tape(|t| t.no_grad()), 0);
        assert_eq!(f32::with_tape(|t| t.no_grad()), 0);
        let x = Value::new(2.0f64);
        assert!(!(&x * &x).is_leaf(), "recording is on again");
    }
}
