//! Weight exchange with the scalar engine's `Mlp`.

use ferrograd_scalar::nn;
use ndarray::{Array1, Array2};

use crate::{Float, Linear, Mlp, TensorError};

impl<T: Float> Mlp<T> {
    /// A batched copy of a scalar-engine network: same weights, same
    /// activations, so both give the same outputs and gradients.
    pub fn from_scalar(mlp: &nn::Mlp<T>) -> Result<Self, TensorError> {
        let mut layers = Vec::with_capacity(mlp.layers().len());
        let mut acts = Vec::with_capacity(mlp.layers().len());
        for layer in mlp.layers() {
            let (nout, nin) = (layer.nout(), layer.nin());
            let mut w = Array2::zeros((nout, nin));
            let mut b = Array1::zeros(nout);
            for (j, neuron) in layer.neurons().iter().enumerate() {
                for (k, v) in neuron.weights().iter().enumerate() {
                    w[(j, k)] = v.data();
                }
                b[j] = neuron.bias().data();
            }
            layers.push(Linear::from_parts(w, b)?);
            acts.push(layer.activation());
        }
        Mlp::from_layers(layers, acts)
    }

    /// A scalar-engine copy of this network (fresh values on this thread's tape).
    pub fn to_scalar(&self) -> Result<nn::Mlp<T>, TensorError> {
        let mut layers = Vec::with_capacity(self.layers().len());
        for (layer, &act) in self.layers().iter().zip(self.activations()) {
            let rows: Vec<Vec<T>> = layer
                .weight()
                .rows()
                .into_iter()
                .map(|r| r.to_vec())
                .collect();
            let biases = layer.bias().to_vec();
            layers.push(nn::Layer::from_weights(&rows, &biases, act)?);
        }
        Ok(nn::Mlp::from_layers(layers)?)
    }
}
