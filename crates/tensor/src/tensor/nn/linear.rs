//! A fully connected layer as tensor code.

use rand::Rng;

use crate::tensor::{AutogradError, Tensor};
use crate::{Float, Init};

/// `y = x w + b` with parameters `w` of shape `[in, out]` and `b` of shape
/// `[out]`.
///
/// `w` is the transpose of PyTorch's `nn.Linear.weight` (`[out, in]`, the
/// fused [`crate::Linear`]'s layout): stored this way the forward pass is
/// one product with no transpose.
#[derive(Debug, Clone)]
pub struct Linear<T: Float> {
    weight: Tensor<T>,
    bias: Tensor<T>,
}

impl<T: Float> Linear<T> {
    drawn_as_fused! { Linear:
        /// A `nin -> nout` layer drawn with `init` (the same draws as the fused
        /// [`crate::Linear::new`]); widths of 0 or too large are an error.
        fn new(nin: usize, nout: usize, init: Init, rng: &mut impl Rng);
    }

    /// The layer with the parameters of a fused [`crate::Linear`] (its
    /// weight transposed to `[in, out]`).
    pub fn from_fused(layer: &crate::Linear<T>) -> Self {
        Linear {
            weight: Tensor::param(layer.weight().t().as_standard_layout().into_owned()),
            bias: Tensor::param(layer.bias().clone()),
        }
    }

    /// A layer from a weight `[in, out]` and a bias `[out]`, which become
    /// parameters (a new leaf each); an error naming both shapes otherwise.
    pub fn from_parts(weight: Tensor<T>, bias: Tensor<T>) -> Result<Self, AutogradError> {
        let (ws, bs) = (weight.shape(), bias.shape());
        if ws.len() != 2 || bs != [ws[1]] {
            return Err(AutogradError::Shape {
                op: "Linear::from_parts bias for weight [in, out]",
                expected: ws.get(1).map(|&o| vec![o]).unwrap_or_default(),
                got: bs,
            });
        }
        Ok(Linear {
            weight: weight.detach().requires_grad(true),
            bias: bias.detach().requires_grad(true),
        })
    }

    /// The weight `[in, out]`.
    pub fn weight(&self) -> &Tensor<T> {
        &self.weight
    }

    /// The bias `[out]`.
    pub fn bias(&self) -> &Tensor<T> {
        &self.bias
    }

    /// `x w + b` for `x` of shape `[batch, in]` (or `[B, batch, in]`).
    ///
    /// A batch of rows is one [`Tensor::addmm`] node (the product
    /// accumulated onto the bias, as the fused layer computes it); a stack
    /// of batches is a product and a broadcast sum.
    pub fn forward(&self, x: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
        if x.ndim() == 2 {
            self.bias.addmm(x, &self.weight)
        } else {
            x.matmul(&self.weight)?.try_add(&self.bias)
        }
    }

    /// The parameters: weight, then bias.
    pub fn parameters(&self) -> Vec<Tensor<T>> {
        vec![self.weight.clone(), self.bias.clone()]
    }
}
