//! micrograd's neural-net module: [`Neuron`], [`Layer`], [`Mlp`], and
//! optimisers ([`Sgd`], [`Adam`]) that update a parameter list as PyTorch does.

mod activation;
mod layer;
mod loss;
mod mlp;
mod neuron;
mod optim;

pub use activation::Activation;
pub use layer::Layer;
pub use loss::{l2, max_margin, mse, sum_squared_error, svm_loss};
pub use mlp::{Input, Mlp};
pub use neuron::Neuron;
pub use optim::{Adam, Sgd};
