//! micrograd's neural-net module: [`Neuron`], [`Layer`], [`Mlp`], and
//! optimisers ([`Sgd`], [`Adam`]) that update a parameter list as PyTorch does.
//!
//! It also holds the rules the batched engine (`ferrograd-tensor`) shares
//! with this one, so that each exists once:
//!
//! | rule | where |
//! |---|---|
//! | activations, their values and slopes | [`Activation`] (over [`crate::Unary`]) |
//! | the list of losses | [`Loss`] |
//! | optimiser updates (SGD, Adam) over plain numbers | [`update`] |
//! | learning-rate schedules | [`LrSchedule`] |
//! | hyper-parameter domains | [`hyper`] |
//! | network shapes | [`check_sizes`], [`check_layer`], [`MAX_PARAMETER_BYTES`] |
//! | their errors | [`crate::Error`] (the batched engine wraps it) |

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
