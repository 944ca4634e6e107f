//! A multi-layer perceptron as tensor code.

use rand::Rng;

use super::Linear;
use crate::tensor::{AutogradError, Tensor};
use crate::{Activation, Float, TensorError};

/// Layers of [`Linear`] with an [`Activation`] each, applied as tensor
/// operations.
///
/// Built with the fused [`crate::Mlp`]'s constructors and draws, so one seed
/// gives the same network in both.
#[derive(Debug, Clone)]
pub struct Mlp<T: Float> {
    layers: Vec<Linear<T>>,
    activations: Vec<Activation>,
}

impl<T: Float> Mlp<T> {
    drawn_as_fused! { Mlp:
        /// As [`crate::Mlp::with_activation`]: ReLU or sigmoid hidden layers
        /// with a linear output layer, or tanh / identity everywhere; weights
        /// uniform in [-1, 1] as micrograd draws them.
        fn with_activation(nin: usize, sizes: &[usize], act: Activation, rng: &mut impl Rng);
    }

    /// The network with the parameters and activations of a fused
    /// [`crate::Mlp`].
    pub fn from_fused(mlp: &crate::Mlp<T>) -> Self {
        Mlp {
            layers: mlp.layers().iter().map(Linear::from_fused).collect(),
            activations: mlp.activations().to_vec(),
        }
    }

    /// A network from layers and one activation per layer; an error when
    /// the counts differ (widths are checked by the first forward).
    pub fn from_layers(
        layers: Vec<Linear<T>>,
        activations: Vec<Activation>,
    ) -> Result<Self, TensorError> {
        if layers.len() != activations.len() || layers.is_empty() {
            return Err(TensorError::ActivationCount {
                layers: layers.len(),
                activations: activations.len(),
            });
        }
        Ok(Mlp {
            layers,
            activations,
        })
    }

    /// The layers.
    pub fn layers(&self) -> &[Linear<T>] {
        &self.layers
    }

    /// The output of the network for a batch `x` of shape `[batch, in]`.
    pub fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
        let mut h = x.clone();
        for (layer, act) in self.layers.iter().zip(&self.activations) {
            h = activate(&layer.forward(&h)?, *act);
        }
        Ok(h)
    }

    /// Every parameter: layer 0 weight, layer 0 bias, layer 1 weight, ...
    pub fn parameters(&self) -> Vec<Tensor<T>> {
        self.layers.iter().flat_map(Linear::parameters).collect()
    }
}

/// `act` as a tensor operation.
fn activate<T: Float>(h: &Tensor<T>, act: Activation) -> Tensor<T> {
    match act {
        Activation::Tanh => h.tanh(),
        Activation::Relu => h.relu(),
        Activation::Sigmoid => h.sigmoid(),
        Activation::Identity => h.clone(),
    }
}
