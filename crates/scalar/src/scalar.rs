//! The float types the engine runs on, and where each keeps its tape.

use std::cell::{Cell, RefCell};
use std::fmt::{Debug, Display};
use std::mem::ManuallyDrop;

use crate::op::{Id, Op};
use crate::tape::{Release, Tape};

/// The tape access behind [`Scalar`], kept out of the public API: a private
/// supertrait seals `Scalar` (each type needs its own `thread_local!`, and
/// Rust has no generic statics) and carries the methods that name the tape,
/// and the one per-type constant a rule needs that `num_traits` lacks.
/// The lint that asks for a `pub` tape does not see that no caller outside
/// this crate can name the supertrait, so it is allowed here.
#[allow(private_interfaces, private_bounds)]
pub(crate) mod sealed {
    use super::{Id, Op, Release, Tape};

    pub trait Sealed: Sized {
        /// Runs `f` on this thread's tape for this float type, after the
        /// releases that found it borrowed.
        fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R;

        /// Records the operation `op()` makes on this thread's tape.
        fn record(op: impl FnOnce() -> Op<Self>) -> Id;

        /// Applies `release` now, or at the next borrow when the tape is
        /// borrowed (a handle dropped while the tape is in use), so that
        /// none is lost; does nothing once the thread's tape has been
        /// destroyed (a handle dropped by another thread-local's destructor).
        fn release(release: Release);

        /// Registers the destructor that frees this thread's tape.
        fn register_guard();

        /// Frees this thread's tape (its guard's destructor).
        fn destroy_tape();

        /// An argument below which `exp` is 0 in this type: there the true
        /// value is under a quarter of the smallest subnormal, so a result
        /// within 0.75 ulp of it can only be 0 (see [`crate::op::rules::exp`]).
        const EXP_ZERO_BELOW: Self;
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

/// A [`Slot`] before its first use: its memory is not yet freed at thread
/// exit.
const FRESH: u8 = 0;
/// In use: [`TapeGuard`] frees its memory at thread exit.
const LIVE: u8 = 1;
/// Freed by [`TapeGuard`] at thread exit: a handle dropped now does nothing,
/// and any other use panics.
const GONE: u8 = 2;
/// In use, with releases waiting in `deferred` (they found the tape
/// borrowed): the next access applies them first. One state byte, so that
/// an access tests one flag for all of this.
const DEFERRED: u8 = 3;

/// One thread's tape of one float type, and the releases that arrived while
/// it was borrowed.
///
/// The thread-local holding it is a `ManuallyDrop`, which needs no
/// destructor: such a thread-local is a plain address, with no state for
/// the standard library to test on every access (the state test and the
/// destructor's registration were a good part of the cost of dropping a
/// handle). `state` does that job here, read once per access, and
/// [`TapeGuard`], registered at the first use, frees the memory when the
/// thread ends.
struct Slot<T> {
    tape: RefCell<Tape<T>>,
    deferred: Cell<Vec<Release>>,
    /// [`FRESH`], [`LIVE`], [`DEFERRED`] or [`GONE`].
    state: Cell<u8>,
}

impl<T: Scalar> Slot<T> {
    const fn new() -> Self {
        Slot {
            tape: RefCell::new(Tape::new()),
            deferred: Cell::new(Vec::new()),
            state: Cell::new(FRESH),
        }
    }

    /// Records the operation `op()` makes ([`Tape::record_fast`]). The fast path
    /// tests no state: a fresh or freed tape sends every operation to the
    /// slow path (its `limit` is 0), which goes through [`Slot::with`];
    /// releases waiting there ([`DEFERRED`]) only keep nodes a little
    /// longer until that next access applies them.
    #[inline(always)]
    fn record(&self, op: impl FnOnce() -> Op<T>) -> Id {
        let op = op();
        let fast = self.tape.borrow_mut().record_fast(op);
        match fast {
            Some(id) => id,
            None => self.with(|t| t.record_slow(op)),
        }
    }

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Tape<T>) -> R) -> R {
        if self.state.get() != LIVE {
            self.prepare();
        }
        let mut t = self.tape.borrow_mut();
        f(&mut t)
    }

    /// Brings the slot to [`LIVE`] before an access: the first use on this
    /// thread registers the guard that frees the tape at thread exit;
    /// waiting releases are applied; a use after thread exit panics.
    #[cold]
    #[inline(never)]
    fn prepare(&self) {
        match self.state.get() {
            GONE => panic!(
                "ferrograd: this thread's {} tape is already destroyed; a Value was used \
                 from a thread-local destructor, after the graph it belongs to was freed",
                T::NAME
            ),
            FRESH => {
                T::register_guard();
                self.state.set(LIVE);
            }
            _ => {
                // `DEFERRED`. A borrowed tape here is a nested access, which
                // `with` refuses anyway (the same panic as there).
                let mut t = self.tape.borrow_mut();
                self.state.set(LIVE);
                for r in self.deferred.take() {
                    t.apply(r);
                }
            }
        }
    }

    /// Thread exit ([`TapeGuard`]): frees the tape's memory; handles that
    /// end later find [`GONE`] and do nothing.
    fn destroy(&self) {
        self.state.set(GONE);
        if let Ok(mut t) = self.tape.try_borrow_mut() {
            drop(std::mem::take(&mut *t));
        }
        drop(self.deferred.take());
    }

    /// Applies a handle's end now, or at the next access when the tape is
    /// borrowed. No state test: releases commute, so one applied before
    /// those waiting ([`DEFERRED`]) changes nothing, and after thread exit
    /// (`GONE`) the store is empty, where [`Tape::release`] does nothing.
    #[inline(always)]
    fn release(&self, r: Release) {
        match self.tape.try_borrow_mut() {
            Ok(mut t) => t.apply(r),
            Err(_) => self.defer(r),
        }
    }

    #[cold]
    fn defer(&self, r: Release) {
        if self.state.get() == GONE {
            return;
        }
        let mut pending = self.deferred.take();
        pending.push(r);
        self.deferred.set(pending);
        self.state.set(DEFERRED);
    }
}

/// A thread-local with no destructor is never destroyed, so its access
/// never fails.
#[cold]
#[inline(never)]
fn unreachable_tls() -> ! {
    unreachable!("a thread-local with no destructor is never destroyed")
}

/// Frees one float type's tape when its thread ends (see [`Slot`]).
struct TapeGuard<T: Scalar>(std::marker::PhantomData<T>);

impl<T: Scalar> Drop for TapeGuard<T> {
    fn drop(&mut self) {
        T::destroy_tape();
    }
}

macro_rules! impl_scalar {
    ($t:ty, $tls:ident, $guard:ident, $exp_zero_below:expr) => {
        thread_local! {
            static $tls: ManuallyDrop<Slot<$t>> = const { ManuallyDrop::new(Slot::new()) };
            static $guard: TapeGuard<$t> = const { TapeGuard(std::marker::PhantomData) };
        }

        #[allow(private_interfaces, private_bounds)] // see `sealed`
        impl sealed::Sealed for $t {
            #[inline(always)]
            fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R {
                // No destructor, so no state: `try_with` never fails
                // (`Slot`); its error path is one cold call, where `with`'s
                // would make every caller bigger.
                match $tls.try_with(|s| s.with(f)) {
                    Ok(r) => r,
                    Err(_) => unreachable_tls(),
                }
            }

            #[inline(always)]
            fn record(op: impl FnOnce() -> Op<Self>) -> Id {
                match $tls.try_with(|s| s.record(op)) {
                    Ok(id) => id,
                    Err(_) => unreachable_tls(),
                }
            }

            #[inline(always)]
            fn release(release: Release) {
                let _ = $tls.try_with(|s| s.release(release));
            }

            fn register_guard() {
                // Touching the guard registers its destructor. Past the
                // thread's destructors it is gone; the tape is then never
                // freed by it, and a `Value` there still works.
                let _ = $guard.try_with(|_| ());
            }

            fn destroy_tape() {
                $tls.with(|s| s.destroy());
            }

            const EXP_ZERO_BELOW: Self = $exp_zero_below;
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

// ln(2^-151) = -104.67 and ln(2^-1076) = -745.83, a quarter of each type's
// smallest subnormal (2^-149, 2^-1074).
impl_scalar!(f32, TAPE_F32, GUARD_F32, -105.0);
impl_scalar!(f64, TAPE_F64, GUARD_F64, -746.0);

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

    /// A handle kept in a thread-local that outlives the thread's tape:
    /// its drop after the tape is freed does nothing (and one dropped
    /// before it still counts).
    #[test]
    fn a_handle_dropped_after_its_threads_tape_is_freed_does_nothing() {
        use std::cell::RefCell;
        thread_local! {
            static EARLY: RefCell<Option<Value<f64>>> = const { RefCell::new(None) };
        }
        std::thread::spawn(|| {
            // Registered before the tape's guard, so dropped after it.
            EARLY.with(|k| assert!(k.borrow().is_none()));
            let x = Value::new(1.5f64);
            let y = &x * 2.0;
            assert_eq!(y.data(), 3.0);
            EARLY.with(|k| *k.borrow_mut() = Some(y));
            thread_local! {
                static LATE: RefCell<Option<Value<f64>>> = const { RefCell::new(None) };
            }
            // Registered after the guard, so dropped while the tape lives.
            LATE.with(|k| *k.borrow_mut() = Some(x));
        })
        .join()
        .expect("the thread ends cleanly");
    }

    /// Releases waiting for a borrowed tape are applied by the next access;
    /// a drop in between counts at once.
    #[test]
    fn waiting_releases_and_a_drop_in_between_all_count() {
        let a = Value::new(1.0f64);
        let refs = |v: &Value<f64>| f64::with_tape(|t| t.refs(v.id_raw()));
        let (b, c, d) = (a.clone(), a.clone(), a.clone());
        f64::with_tape(|_| {
            drop(b);
            drop(c);
        });
        // Two releases wait; this drop counts at once.
        drop(d);
        assert_eq!(refs(&a), 1);
        let e = a.clone();
        f64::with_tape(|_| drop(e));
        // An operation applies the waiting one first.
        let f = &a * 2.0;
        assert_eq!(refs(&a), 1);
        assert_eq!(f.data(), 2.0);
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
