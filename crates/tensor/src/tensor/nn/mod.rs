//! Neural-network pieces written as [`Tensor`](super::Tensor) code: a
//! model here is just tensor operations, differentiated by
//! [`Tensor::backward`](super::Tensor::backward), so a new layer or loss
//! needs no hand-written backward.
//!
//! - [`Linear`], [`Mlp`]: the fused [`crate::Mlp`]'s network, with the same
//!   draws for the same seed ([`Mlp::from_fused`] copies one);
//! - [`loss`]: MSE, SSE, micrograd's hinge, BCE with logits,
//!   cross-entropy, and micrograd's L2 penalty;
//! - [`Sgd`], [`Adam`]: PyTorch's update rules over a list of parameters.
//!
//! The fused [`crate::Mlp`] stays the fast path for plain MLPs; both give
//! the same numbers (checked in `tests/tensor_nn.rs`).
//!
//! ```
//! use ferrograd_tensor::tensor::nn::{loss, Mlp, Sgd};
//! use ferrograd_tensor::{Activation, Tensor};
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let mlp = Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).unwrap();
//! let x = Tensor::from([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]);
//! let y = Tensor::from([[1.0], [1.0], [-1.0], [-1.0]]);
//! let mut sgd = Sgd::new(0.05).unwrap();
//! let params = mlp.parameters();
//! for _ in 0..200 {
//!     let scores = mlp.forward(&x).unwrap();
//!     let total = loss::hinge(&scores, &y).unwrap() + loss::l2(&params, 1e-4);
//!     sgd.zero_grad(&params);
//!     total.backward().unwrap();
//!     sgd.step(&params).unwrap();
//! }
//! let scores = mlp.forward(&x).unwrap().to_vec();
//! assert!(scores.iter().zip([1.0, 1.0, -1.0, -1.0]).all(|(s, y)| s * y > 0.0));
//! ```

/// Writes constructors that draw through the fused type's constructor of
/// the same name and arguments, then convert with `from_fused`: the one way
/// the layers here are drawn, so that one seed gives the same parameters
/// here and in the fused engine, refused with the same errors.
macro_rules! drawn_as_fused {
    ($fused:ident: $($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),+);)+) => {
        $(
            $(#[$doc])*
            pub fn $name($($arg: $ty),+) -> Result<Self, crate::TensorError> {
                Ok(Self::from_fused(&crate::$fused::$name($($arg),+)?))
            }
        )+
    };
}

mod linear;
pub mod loss;
mod mlp;
mod optim;

pub use linear::Linear;
pub use mlp::Mlp;
pub use optim::{Adam, Sgd};
