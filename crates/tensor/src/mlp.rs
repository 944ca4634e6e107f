//! A stack of [`Linear`] layers with activations, trained on whole batches.

use ndarray::{Array2, ArrayView2};
use rand::Rng;

use crate::activation;
use crate::buffer::{ensure_rows, rows, rows_mut};
use crate::error::{rule, shape_err};
use crate::{Activation, Float, Init, Linear, Loss, Target, TensorError};
use ferrograd_scalar::nn::check_sizes;

/// A multi-layer perceptron on `(batch, features)` matrices.
///
/// Same shape conventions as the scalar engine's `Mlp`: built from the input
/// width and a list of layer sizes; [`Mlp::parameters`] lists, layer by layer
/// and neuron (row) by neuron, the neuron's weights then its bias.
///
/// The forward pass keeps every layer's output in buffers owned by the
/// network, and the pre-activation of the layers whose derivative needs it
/// ([`Activation::needs_input`]: tanh, sigmoid); [`Mlp::backward`] walks them
/// back with two matrix products per layer. Buffers grow to the largest batch
/// seen and are reused.
///
/// ```
/// use ferrograd_tensor::{Activation, Loss, Mlp, Target};
/// use ndarray::array;
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut mlp = Mlp::<f64>::with_activation(2, &[8, 1], Activation::Relu, &mut rng).unwrap();
/// let x = array![[0.5, -1.0], [1.5, 0.25]];
/// let y = array![[1.0], [-1.0]];
/// let out = mlp.forward(x.view()).unwrap();
/// assert_eq!(out.dim(), (2, 1));
/// let loss = mlp.loss_backward(Loss::Hinge, Target::Values(y.view())).unwrap();
/// assert!(loss >= 0.0);
/// assert_eq!(mlp.gradients().len(), mlp.parameter_count());
/// ```
#[derive(Debug, Clone)]
pub struct Mlp<T: Float> {
    layers: Vec<Linear<T>>,
    activations: Vec<Activation>,
    /// `outs[0]` is a copy of the input; `outs[l + 1]` is layer `l`'s activated output.
    outs: Vec<Array2<T>>,
    /// `pres[l]`: layer `l`'s pre-activation `x W^T + b` where its activation
    /// [`Activation::needs_input`]; left empty (never allocated) otherwise.
    pres: Vec<Array2<T>>,
    /// `grads[l]`: dL/d`outs[l + 1]`, turned into dL/d(pre-activation) in place.
    grads: Vec<Array2<T>>,
    batch: usize,
}

impl<T: Float> Mlp<T> {
    ferrograd_scalar::seed_network!(
        TensorError,
        #[doc = ""],
        #[doc = "The draws are [`Init::Uniform`]'s: the scalar engine's for the same seed."]
    );

    /// Like the scalar `Mlp::with_activation`: [`Activation::Relu`] (and
    /// [`Activation::Sigmoid`]) in the hidden layers with a linear output
    /// layer, as micrograd does; [`Activation::Tanh`] and
    /// [`Activation::Identity`] in every layer. Weights as [`Mlp::new`].
    pub fn with_activation(
        nin: usize,
        sizes: &[usize],
        act: Activation,
        rng: &mut impl Rng,
    ) -> Result<Self, TensorError> {
        Self::with_init(nin, sizes, act, Init::Uniform, rng)
    }

    /// [`Mlp::with_activation`] with another initialisation.
    pub fn with_init(
        nin: usize,
        sizes: &[usize],
        act: Activation,
        init: Init,
        rng: &mut impl Rng,
    ) -> Result<Self, TensorError> {
        let acts = default_activations(sizes.len(), act);
        Self::with_activations(nin, sizes, &acts, init, rng)
    }

    /// Full control: one activation per layer.
    pub fn with_activations(
        nin: usize,
        sizes: &[usize],
        activations: &[Activation],
        init: Init,
        rng: &mut impl Rng,
    ) -> Result<Self, TensorError> {
        check_sizes(nin, sizes, parameter_bytes::<T>()).map_err(rule)?;
        let mut layers = Vec::with_capacity(sizes.len());
        let mut width = nin;
        for &s in sizes {
            layers.push(Linear::new(width, s, init, rng)?);
            width = s;
        }
        Self::from_layers(layers, activations.to_vec())
    }

    /// A network from existing layers (each layer's input width must be the
    /// previous layer's output width) and one activation per layer.
    pub fn from_layers(
        layers: Vec<Linear<T>>,
        activations: Vec<Activation>,
    ) -> Result<Self, TensorError> {
        if layers.is_empty() {
            return Err(rule(ferrograd_scalar::Error::EmptySizes));
        }
        if layers.len() != activations.len() {
            return Err(TensorError::ActivationCount {
                layers: layers.len(),
                activations: activations.len(),
            });
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[1].nin() != pair[0].nout() {
                return Err(shape_err(
                    format!("Mlp::from_layers layer {} weight", i + 1),
                    format!("(out, {})", pair[0].nout()),
                    pair[1].weight().shape(),
                ));
            }
        }
        let mut outs = vec![Array2::zeros((0, layers[0].nin()))];
        outs.extend(layers.iter().map(|l| Array2::zeros((0, l.nout()))));
        let empty = || {
            layers
                .iter()
                .map(|l| Array2::zeros((0, l.nout())))
                .collect()
        };
        let (pres, grads) = (empty(), empty());
        Ok(Mlp {
            layers,
            activations,
            outs,
            pres,
            grads,
            batch: 0,
        })
    }

    /// Input width.
    pub fn nin(&self) -> usize {
        self.layers[0].nin()
    }

    /// Output width.
    pub fn nout(&self) -> usize {
        self.layers[self.layers.len() - 1].nout()
    }

    /// Layer sizes (without the input width), as given to [`Mlp::new`].
    pub fn sizes(&self) -> Vec<usize> {
        self.layers.iter().map(Linear::nout).collect()
    }

    /// The layers.
    pub fn layers(&self) -> &[Linear<T>] {
        &self.layers
    }

    /// One activation per layer.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// Number of scalar parameters (weights and biases).
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(|l| l.nout() * (l.nin() + 1)).sum()
    }

    /// Every parameter in the scalar engine's order: layer by layer, neuron by
    /// neuron, the neuron's weights (a row of `W`) then its bias.
    pub fn parameters(&self) -> Vec<T> {
        self.flatten(|l| (l.weight(), l.bias()))
    }

    /// The gradients of the last backward, in [`Mlp::parameters`] order.
    pub fn gradients(&self) -> Vec<T> {
        self.flatten(|l| (l.grad_weight(), l.grad_bias()))
    }

    fn flatten(&self, pick: impl Fn(&Linear<T>) -> (&Array2<T>, &ndarray::Array1<T>)) -> Vec<T> {
        let mut out = Vec::with_capacity(self.parameter_count());
        for l in &self.layers {
            let (w, b) = pick(l);
            for (row, &bias) in w.rows().into_iter().zip(b) {
                out.extend(row.iter().copied());
                out.push(bias);
            }
        }
        out
    }

    /// Sets every parameter from a list in [`Mlp::parameters`] order.
    pub fn set_parameters(&mut self, values: &[T]) -> Result<(), TensorError> {
        if values.len() != self.parameter_count() {
            return Err(shape_err(
                "Mlp::set_parameters values",
                format!("({})", self.parameter_count()),
                &[values.len()],
            ));
        }
        let mut it = values.iter().copied();
        for l in &mut self.layers {
            let nin = l.nin();
            let mut w = Array2::zeros(l.weight().dim());
            let mut b = Vec::with_capacity(l.nout());
            for mut row in w.rows_mut() {
                for (dst, src) in row.iter_mut().zip(it.by_ref().take(nin)) {
                    *dst = src;
                }
                b.extend(it.next());
            }
            l.set_parameters(w.view(), &b)?;
        }
        Ok(())
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&mut self) {
        self.layers.iter_mut().for_each(Linear::zero_grad);
    }

    /// The network's output for a batch `x` of shape `(batch, nin)`,
    /// remembering what [`Mlp::backward`] needs.
    pub fn forward(&mut self, x: ArrayView2<'_, T>) -> Result<ArrayView2<'_, T>, TensorError> {
        self.layers[0].check_input("Mlp::forward input", x)?;
        let b = x.nrows();
        ensure_rows(&mut self.outs[0], b, self.layers[0].nin());
        for (l, layer) in self.layers.iter().enumerate() {
            ensure_rows(&mut self.outs[l + 1], b, layer.nout());
            ensure_rows(&mut self.grads[l], b, layer.nout());
            if self.activations[l].needs_input() {
                ensure_rows(&mut self.pres[l], b, layer.nout());
            }
        }
        rows_mut(&mut self.outs[0], b).assign(&x);
        for (l, (layer, act)) in self.layers.iter().zip(&self.activations).enumerate() {
            let (done, todo) = self.outs.split_at_mut(l + 1);
            let input = rows(&done[l], b);
            let mut out = rows_mut(&mut todo[0], b);
            if act.needs_input() {
                let mut pre = rows_mut(&mut self.pres[l], b);
                layer.affine_into(input, pre.view_mut());
                activation::forward_into(*act, pre.view(), out);
            } else {
                layer.affine_into(input, out.view_mut());
                activation::forward_inplace(*act, out);
            }
        }
        self.batch = b;
        Ok(rows(&self.outs[self.layers.len()], b))
    }

    /// The output of the last [`Mlp::forward`].
    pub fn output(&self) -> ArrayView2<'_, T> {
        rows(&self.outs[self.layers.len()], self.batch)
    }

    /// The output for `x` without touching the cached batch (allocates; for
    /// evaluation).
    pub fn predict(&self, x: ArrayView2<'_, T>) -> Result<Array2<T>, TensorError> {
        self.layers[0].check_input("Mlp::predict input", x)?;
        let mut cur = x.to_owned();
        for (layer, act) in self.layers.iter().zip(&self.activations) {
            let mut out = Array2::zeros((cur.nrows(), layer.nout()));
            layer.affine_into(cur.view(), out.view_mut());
            activation::forward_inplace(*act, out.view_mut());
            cur = out;
        }
        Ok(cur)
    }

    /// Backpropagates dL/d(output) `(batch, nout)` through the last forward,
    /// overwriting every parameter gradient.
    pub fn backward(&mut self, grad_output: ArrayView2<'_, T>) -> Result<(), TensorError> {
        let b = self.require_forward("Mlp::backward")?;
        if grad_output.dim() != (b, self.nout()) {
            return Err(shape_err(
                "Mlp::backward grad_output",
                format!("({b}, {})", self.nout()),
                grad_output.shape(),
            ));
        }
        let last = self.layers.len() - 1;
        rows_mut(&mut self.grads[last], b).assign(&grad_output);
        self.backprop(b);
        Ok(())
    }

    /// Computes `loss` of the last forward's output against `target`, then
    /// backpropagates it. Returns the loss.
    pub fn loss_backward(&mut self, loss: Loss, target: Target<'_, T>) -> Result<T, TensorError> {
        let b = self.require_forward("Mlp::loss_backward")?;
        let last = self.layers.len() - 1;
        let value = crate::loss::evaluate_loss(
            loss,
            rows(&self.outs[last + 1], b),
            target,
            rows_mut(&mut self.grads[last], b),
        )?;
        self.backprop(b);
        Ok(value)
    }

    /// Adds micrograd's L2 penalty `alpha * sum(p^2)` over every parameter
    /// (biases included) to the gradients (`2 alpha p`) and returns the penalty.
    /// Call after a backward.
    pub fn add_l2(&mut self, alpha: T) -> T {
        let mut total = T::zero();
        let two_alpha = alpha + alpha;
        for layer in &mut self.layers {
            for (p, g) in layer.grads_mut() {
                for (&p, g) in p.iter().zip(g.iter_mut()) {
                    total += p * p;
                    *g += two_alpha * p;
                }
            }
        }
        total * alpha
    }

    /// Calls `f(index, parameter, gradient)` for every parameter tensor:
    /// layer 0 weight, layer 0 bias, layer 1 weight, ...
    pub fn for_each_parameter(&mut self, mut f: impl FnMut(usize, &mut [T], &[T])) {
        let mut i = 0;
        for layer in &mut self.layers {
            for (p, g) in layer.params_and_grads() {
                f(i, p, g);
                i += 1;
            }
        }
    }

    /// Sizes of the parameter tensors in [`Mlp::for_each_parameter`] order.
    pub fn parameter_tensor_sizes(&self) -> Vec<usize> {
        self.layers
            .iter()
            .flat_map(|l| [l.nout() * l.nin(), l.nout()])
            .collect()
    }

    pub(crate) fn layers_mut(&mut self) -> &mut [Linear<T>] {
        &mut self.layers
    }

    fn require_forward(&self, what: &str) -> Result<usize, TensorError> {
        if self.batch == 0 {
            return Err(TensorError::EmptyBatch {
                what: format!("{what} (call forward first)"),
            });
        }
        Ok(self.batch)
    }

    fn backprop(&mut self, b: usize) {
        for l in (0..self.layers.len()).rev() {
            let (lower, upper) = self.grads.split_at_mut(l);
            let mut delta = rows_mut(&mut upper[0], b);
            let act = self.activations[l];
            let pre = act.needs_input().then(|| rows(&self.pres[l], b));
            activation::backward_inplace(act, pre, rows(&self.outs[l + 1], b), delta.view_mut());
            let layer = &mut self.layers[l];
            layer.param_grads(rows(&self.outs[l], b), delta.view());
            // The network's input needs no gradient: skip layer 0's input product.
            if l > 0 {
                layer.input_grad_into(delta.view(), rows_mut(&mut lower[l - 1], b));
            }
        }
    }
}

/// The scalar engine's activation rule ([`Activation::for_layer`]) for a size list.
fn default_activations(layers: usize, act: Activation) -> Vec<Activation> {
    (0..layers).map(|i| act.for_layer(i, layers)).collect()
}

/// Bytes the batched engine keeps per parameter: the value and its gradient.
pub(crate) fn parameter_bytes<T>() -> usize {
    2 * std::mem::size_of::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn relu_default_has_linear_output() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let m = Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).unwrap();
        assert_eq!(
            m.activations(),
            &[Activation::Relu, Activation::Relu, Activation::Identity]
        );
        assert_eq!(m.parameter_count(), 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
        let t = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng).unwrap();
        assert_eq!(t.activations(), &[Activation::Tanh; 3]);
    }

    #[test]
    fn set_parameters_round_trips() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut m = Mlp::<f32>::new(3, &[4, 2], &mut rng).unwrap();
        let p: Vec<f32> = (0..m.parameter_count()).map(|i| i as f32).collect();
        m.set_parameters(&p).unwrap();
        assert_eq!(m.parameters(), p);
        // neuron 0 of layer 0: weights 0,1,2 then bias 3
        assert_eq!(m.layers()[0].weight().row(0).to_vec(), vec![0.0, 1.0, 2.0]);
        assert_eq!(m.layers()[0].bias()[0], 3.0);
    }

    #[test]
    fn smaller_batch_reuses_buffers() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut m = Mlp::<f64>::new(2, &[3, 1], &mut rng).unwrap();
        let x = Array2::from_shape_fn((5, 2), |(i, j)| (i + j) as f64 * 0.1);
        let full = m.forward(x.view()).unwrap().to_owned();
        let first_two = ndarray::Slice::from(..2);
        let part = m
            .forward(x.slice_axis(ndarray::Axis(0), first_two))
            .unwrap()
            .to_owned();
        assert_eq!(part, full.slice_axis(ndarray::Axis(0), first_two));
        assert_eq!(m.predict(x.view()).unwrap(), full);
    }
}
