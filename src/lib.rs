//! ferrograd: reverse-mode autodiff in Rust, from micrograd's scalar `Value`
//! to a batched ndarray MLP, checked number by number against libtorch.
//!
//! This crate re-exports the workspace's crates:
//! - [`Value`], [`numeric`], [`nn`]: the scalar engine (`ferrograd-scalar`);
//! - [`tensor`]: the batched ndarray engine (`ferrograd-tensor`);
//! - [`viz`]: graph pictures and plots (`ferrograd-viz`);
//! - [`program`]: one description of a computation, run by every engine
//!   and oracle (`ferrograd-program`);
//! - [`data`]: seeded datasets such as [`data::make_moons`] (`ferrograd-data`);
//! - [`rand`] and [`rand_chacha`]: the versions the constructors take, and
//!   [`rng`], a seeded generator, so that no other version gets in the way.
//!
//! ```
//! use ferrograd::nn::Mlp;
//!
//! let mut rng = ferrograd::rng(42);
//! let n = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng)?; // the notebook's MLP(3, [4, 4, 1])
//! let y = n.forward_one(&[2.0, 3.0, -1.0])?; // the notebook's n(x)
//! assert!(y.data().abs() < 1.0);
//! # Ok::<(), ferrograd::Error>(())
//! ```

#![forbid(unsafe_code)]

pub use ferrograd_data as data;
pub use ferrograd_program as program;
pub use ferrograd_scalar::{
    nn, no_grad, numeric, Binary, Edge, Error, NoGradGuard, NodeId, Replay, Scalar, TapeStats,
    Unary, Value,
};
pub use rand;
pub use rand_chacha;

/// A random generator seeded with `seed` (ChaCha8, the generator every
/// example and test here uses): the same seed gives the same weights on
/// every machine and run.
///
/// ```
/// use ferrograd::rand::Rng;
/// let (mut a, mut b) = (ferrograd::rng(7), ferrograd::rng(7));
/// assert_eq!(a.random::<u64>(), b.random::<u64>());
/// ```
pub fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}
pub use ferrograd_tensor as tensor;
pub use ferrograd_viz as viz;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The crates.io page's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.crates-io.md")]
pub struct CratesIoReadmeDoctests;
