//! micrograd's neural-net module: [`Neuron`], [`Layer`], [`Mlp`], and
//! optimisers ([`Sgd`], [`Adam`]) that update a parameter list as PyTorch does.
//!
//! It also holds the rules (the optimisers' updates in [`update`],  the batched engine (`ferrograd-tensor`) shares
//! with this one, so that each exists once: [`LrSchedule`], the
//! hyper-parameter domains in [`hyper`], and the shape checks
//! [`check_sizes`] and [`check_layer`] with their [`MAX_PARAMETER_BYTES`].

mod activation;
pub mod hyper;
mod layer;
mod loss;
mod mlp;
mod neuron;
mod optim;
mod schedule;
mod sizes;
pub mod update;

pub use activation::Activation;
pub use layer::Layer;
pub use loss::{
    bce_with_logits, cross_entropy, l2, max_margin, mse, sum_squared_error, svm_loss, Loss,
};
pub use mlp::{Input, Mlp};
pub use neuron::Neuron;
pub use optim::{Adam, Sgd};
pub use schedule::LrSchedule;
pub(crate) use sizes::scalar_parameter_bytes;
pub use sizes::{check_layer, check_sizes, MAX_PARAMETER_BYTES};
