//! A fully connected layer: `y = x W^T + b` on a batch, with layer-level backward.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Zip};
use rand::Rng;

use ferrograd_scalar::nn::check_layer;

use crate::error::{rule, shape_err, shape_str};
use crate::mlp::parameter_bytes;
use crate::{Float, Init, TensorError};

/// A fully connected layer holding `weight` `(out, in)` and `bias` `(out)`,
/// PyTorch's `nn.Linear` layout.
///
/// A layer holds its parameters and their gradients only: the [`Mlp`](crate::Mlp)
/// keeps every layer's input and output in buffers it reuses, so a training
/// loop does not allocate. On its own, [`Linear::forward`] returns a new
/// output, and [`Linear::backward`] takes the input of that forward, fills
/// [`Linear::grad_weight`] and [`Linear::grad_bias`] with two matrix products
/// (overwritten by each backward, not accumulated) and returns the input
/// gradient.
///
/// ```
/// use ferrograd_tensor::Linear;
/// use ndarray::array;
///
/// let mut layer = Linear::from_parts(array![[1.0, 2.0], [0.0, -1.0]], array![0.5, 0.0]).unwrap();
/// let x = array![[1.0, 1.0]];
/// assert_eq!(layer.forward(x.view()).unwrap(), array![[3.5, -1.0]]);
/// let gx = layer.backward(x.view(), array![[1.0, 0.0]].view()).unwrap();
/// assert_eq!(gx, array![[1.0, 2.0]]); // first row of W
/// assert_eq!(layer.grad_weight(), &array![[1.0, 1.0], [0.0, 0.0]]);
/// ```
#[derive(Debug, Clone)]
pub struct Linear<T: Float> {
    weight: Array2<T>,
    bias: Array1<T>,
    grad_weight: Array2<T>,
    grad_bias: Array1<T>,
}

impl<T: Float> Linear<T> {
    /// A `nin -> nout` layer drawn with `init` from `rng`. A width of 0, or
    /// one too large to allocate (`ferrograd_scalar::nn::check_layer`), is
    /// an error.
    pub fn new(
        nin: usize,
        nout: usize,
        init: Init,
        rng: &mut impl Rng,
    ) -> Result<Self, TensorError> {
        check_layer(nin, nout, parameter_bytes::<T>()).map_err(rule)?;
        let (w, b) = init.draw(nin, nout, rng);
        Self::from_parts(w, b)
    }

    /// A layer with the given weight `(out, in)` and bias `(out)`.
    pub fn from_parts(weight: Array2<T>, bias: Array1<T>) -> Result<Self, TensorError> {
        let (nout, nin) = weight.dim();
        if nin == 0 || nout == 0 {
            return Err(rule(ferrograd_scalar::Error::ZeroWidth {
                what: format!("a weight of shape {}", shape_str(weight.shape())),
            }));
        }
        if bias.len() != nout {
            return Err(shape_err("Linear bias", format!("({nout})"), bias.shape()));
        }
        // Standard layout is what the optimisers' flat slices rely on.
        let weight = weight.as_standard_layout().into_owned();
        let bias = bias.as_standard_layout().into_owned();
        Ok(Linear {
            grad_weight: Array2::zeros((nout, nin)),
            grad_bias: Array1::zeros(nout),
            weight,
            bias,
        })
    }

    /// Input width.
    pub fn nin(&self) -> usize {
        self.weight.ncols()
    }

    /// Output width.
    pub fn nout(&self) -> usize {
        self.weight.nrows()
    }

    /// The weight matrix `(out, in)`.
    pub fn weight(&self) -> &Array2<T> {
        &self.weight
    }

    /// The bias `(out)`.
    pub fn bias(&self) -> &Array1<T> {
        &self.bias
    }

    /// Gradient of the loss with respect to the weight, from the last backward.
    pub fn grad_weight(&self) -> &Array2<T> {
        &self.grad_weight
    }

    /// Gradient of the loss with respect to the bias, from the last backward.
    pub fn grad_bias(&self) -> &Array1<T> {
        &self.grad_bias
    }

    /// Replaces the weight and bias (same shapes required).
    pub fn set_parameters(
        &mut self,
        weight: ArrayView2<'_, T>,
        bias: &[T],
    ) -> Result<(), TensorError> {
        if weight.dim() != self.weight.dim() {
            return Err(shape_err(
                "Linear::set_parameters weight",
                shape_str(self.weight.shape()),
                weight.shape(),
            ));
        }
        if bias.len() != self.bias.len() {
            return Err(shape_err(
                "Linear::set_parameters bias",
                shape_str(self.bias.shape()),
                &[bias.len()],
            ));
        }
        self.weight.assign(&weight);
        self.bias.iter_mut().zip(bias).for_each(|(b, &v)| *b = v);
        Ok(())
    }

    /// Sets both gradients to zero.
    pub fn zero_grad(&mut self) {
        self.grad_weight.fill(T::zero());
        self.grad_bias.fill(T::zero());
    }

    /// `x W^T + b` for a batch `x` of shape `(batch, in)`.
    pub fn forward(&self, x: ArrayView2<'_, T>) -> Result<Array2<T>, TensorError> {
        self.check_input("Linear::forward input", x)?;
        let mut out = Array2::zeros((x.nrows(), self.nout()));
        affine_into(&self.weight, &self.bias, x, out.view_mut());
        Ok(out)
    }

    /// Given the input `x` of a [`Linear::forward`] and dL/dy `(batch, out)`
    /// for its output, fills the parameter gradients and returns dL/dx
    /// `(batch, in)`.
    pub fn backward(
        &mut self,
        x: ArrayView2<'_, T>,
        grad_output: ArrayView2<'_, T>,
    ) -> Result<Array2<T>, TensorError> {
        self.check_input("Linear::backward input", x)?;
        let b = x.nrows();
        if grad_output.dim() != (b, self.nout()) {
            return Err(shape_err(
                "Linear::backward grad_output",
                format!("({b}, {})", self.nout()),
                grad_output.shape(),
            ));
        }
        param_grads(&mut self.grad_weight, &mut self.grad_bias, x, grad_output);
        let mut grad_input = Array2::zeros((b, self.nin()));
        input_grad(&self.weight, grad_output, grad_input.view_mut());
        Ok(grad_input)
    }

    pub(crate) fn check_input(&self, what: &str, x: ArrayView2<'_, T>) -> Result<(), TensorError> {
        if x.ncols() != self.nin() {
            return Err(shape_err(
                what,
                format!("(batch, {})", self.nin()),
                x.shape(),
            ));
        }
        if x.nrows() == 0 {
            return Err(TensorError::EmptyBatch { what: what.into() });
        }
        Ok(())
    }

    /// `out = x W^T + b` into a caller's buffer (no copy of `x` kept).
    pub(crate) fn affine_into(&self, x: ArrayView2<'_, T>, out: ArrayViewMut2<'_, T>) {
        affine_into(&self.weight, &self.bias, x, out);
    }

    /// Parameter gradients from the layer's input and dL/d(pre-activation).
    pub(crate) fn param_grads(&mut self, x: ArrayView2<'_, T>, delta: ArrayView2<'_, T>) {
        param_grads(&mut self.grad_weight, &mut self.grad_bias, x, delta);
    }

    /// `grad_in = delta W` into a caller's buffer.
    pub(crate) fn input_grad_into(&self, delta: ArrayView2<'_, T>, grad_in: ArrayViewMut2<'_, T>) {
        input_grad(&self.weight, delta, grad_in);
    }

    /// Mutable parameter slices with their gradients: (weight, grad), (bias, grad).
    pub(crate) fn params_and_grads(&mut self) -> [(&mut [T], &[T]); 2] {
        const MSG: &str = "Linear keeps its parameters in standard layout (from_parts ensures it)";
        [
            (
                self.weight.as_slice_mut().expect(MSG),
                self.grad_weight.as_slice().expect(MSG),
            ),
            (
                self.bias.as_slice_mut().expect(MSG),
                self.grad_bias.as_slice().expect(MSG),
            ),
        ]
    }

    pub(crate) fn grads_mut(&mut self) -> [(&[T], &mut [T]); 2] {
        const MSG: &str = "Linear keeps its parameters in standard layout (from_parts ensures it)";
        [
            (
                self.weight.as_slice().expect(MSG),
                self.grad_weight.as_slice_mut().expect(MSG),
            ),
            (
                self.bias.as_slice().expect(MSG),
                self.grad_bias.as_slice_mut().expect(MSG),
            ),
        ]
    }
}

fn affine_into<T: Float>(
    w: &Array2<T>,
    b: &Array1<T>,
    x: ArrayView2<'_, T>,
    mut out: ArrayViewMut2<'_, T>,
) {
    // Start from the broadcast bias and let the product accumulate onto it:
    // one pass over `out` instead of two.
    let dim = out.dim();
    out.assign(
        &b.broadcast(dim)
            .expect("bias length equals the output width"),
    );
    general_mat_mul(T::one(), &x, &w.t(), T::one(), &mut out);
}

fn param_grads<T: Float>(
    gw: &mut Array2<T>,
    gb: &mut Array1<T>,
    x: ArrayView2<'_, T>,
    delta: ArrayView2<'_, T>,
) {
    general_mat_mul(T::one(), &delta.t(), &x, T::zero(), gw);
    gb.fill(T::zero());
    for row in delta.rows() {
        Zip::from(&mut *gb).and(&row).for_each(|g, &d| *g += d);
    }
}

fn input_grad<T: Float>(
    w: &Array2<T>,
    delta: ArrayView2<'_, T>,
    mut grad_in: ArrayViewMut2<'_, T>,
) {
    general_mat_mul(T::one(), &delta, w, T::zero(), &mut grad_in);
}
