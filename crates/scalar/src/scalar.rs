//! The float types the engine runs on, and where each keeps its tape.

use std::cell::RefCell;
use std::fmt::{Debug, Display};

use crate::tape::Tape;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
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

    /// Runs `f` on this thread's tape for this float type.
    #[doc(hidden)]
    fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R;

    /// Like [`Scalar::with_tape`], but does nothing once the thread's tape has
    /// been destroyed (a handle dropped by another thread-local's destructor).
    #[doc(hidden)]
    fn try_with_tape(f: impl FnOnce(&mut Tape<Self>));

    /// Converts an `f64` constant (like the `0.5` in a derivative rule).
    fn from_f64(x: f64) -> Self;

    /// Widens to `f64` for printing and comparisons.
    fn to_f64(self) -> f64;
}

macro_rules! impl_scalar {
    ($t:ty, $tls:ident) => {
        thread_local! {
            static $tls: RefCell<Tape<$t>> = const { RefCell::new(Tape::new()) };
        }

        impl Scalar for $t {
            const NAME: &'static str = stringify!($t);

            #[inline(always)]
            fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R {
                $tls.try_with(|t| f(&mut t.borrow_mut())).unwrap_or_else(|_| {
                    panic!(
                        "ferrograd: this thread's {} tape is already destroyed; a Value was used \
                         from a thread-local destructor, after the graph it belongs to was freed",
                        stringify!($t)
                    )
                })
            }

            #[inline(always)]
            fn try_with_tape(f: impl FnOnce(&mut Tape<Self>)) {
                let _ = $tls.try_with(|t| {
                    if let Ok(mut t) = t.try_borrow_mut() {
                        f(&mut t)
                    }
                });
            }

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
