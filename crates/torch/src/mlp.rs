//! An MLP's forward and backward with given weights, on the three backends:
//! the scalar engine, the batched engine and libtorch.
//!
//! The weights are plain numbers ([`Weights`]), taken from a scalar
//! [`nn::Mlp`], so all three start from the same network. Each backend
//! returns an [`MlpOutcome`]: the outputs, the loss (data loss plus
//! micrograd's L2 penalty) and the gradient of every parameter, in the scalar
//! engine's `parameters()` order (layer by layer, neuron by neuron, the
//! neuron's weights then its bias).

use ferrograd_scalar::nn::{self, Activation};
use ferrograd_scalar::{Scalar, Value};
use ferrograd_tensor as tensor;
use ndarray::Array2;
use serde::Serialize;
use tch::{Reduction, Tensor};

use crate::{Target, TorchError};

/// The losses: the engines' one list (`ferrograd_scalar::nn::Loss`).
pub use ferrograd_scalar::nn::Loss;

/// One layer's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerWeights {
    /// One row per neuron, `nin` long.
    pub weight: Vec<Vec<f64>>,
    /// One per neuron.
    pub bias: Vec<f64>,
    /// The layer's nonlinearity.
    #[serde(serialize_with = "activation_name")]
    pub activation: Activation,
}

fn activation_name<S: serde::Serializer>(a: &Activation, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.name())
}

/// A network as numbers, the same for every backend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    /// Input layer first.
    pub layers: Vec<LayerWeights>,
}

impl Weights {
    /// The weights of a scalar-engine network.
    pub fn from_scalar<T: Scalar>(mlp: &nn::Mlp<T>) -> Self {
        let layers = mlp
            .layers()
            .iter()
            .map(|l| LayerWeights {
                weight: l
                    .neurons()
                    .iter()
                    .map(|n| n.weights().iter().map(|w| w.data().to_f64()).collect())
                    .collect(),
                bias: l
                    .neurons()
                    .iter()
                    .map(|n| n.bias().data().to_f64())
                    .collect(),
                activation: l.activation(),
            })
            .collect();
        Self { layers }
    }

    /// A scalar-engine network with these weights, rounded to `T`.
    pub fn to_scalar<T: Scalar>(&self) -> Result<nn::Mlp<T>, TorchError> {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let w: Vec<Vec<T>> = l
                    .weight
                    .iter()
                    .map(|row| row.iter().map(|&x| T::from_f64(x)).collect())
                    .collect();
                let b: Vec<T> = l.bias.iter().map(|&x| T::from_f64(x)).collect();
                nn::Layer::from_weights(&w, &b, l.activation)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(nn::Mlp::from_layers(layers)?)
    }

    /// A batched-engine network with these weights, rounded to `T`.
    pub fn to_tensor<T: Scalar + tensor::Float>(&self) -> Result<tensor::Mlp<T>, TorchError> {
        Ok(tensor::Mlp::from_scalar(&self.to_scalar::<T>()?)?)
    }

    /// Inputs of the first layer.
    pub fn nin(&self) -> usize {
        self.layers
            .first()
            .map_or(0, |l| l.weight.first().map_or(0, Vec::len))
    }

    /// Outputs of the last layer.
    pub fn nout(&self) -> usize {
        self.layers.last().map_or(0, |l| l.bias.len())
    }
}

/// A batch: one row of inputs and one row of targets per example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    /// `nin` values per row.
    pub x: Vec<Vec<f64>>,
    /// `nout` targets per row (labels ±1 for hinge, 0/1 for BCE, one-hot for
    /// cross-entropy).
    pub y: Vec<Vec<f64>>,
}

impl Batch {
    fn check(&self, w: &Weights) -> Result<(), TorchError> {
        let ok = !self.x.is_empty()
            && self.x.len() == self.y.len()
            && self.x.iter().all(|r| r.len() == w.nin())
            && self.y.iter().all(|r| r.len() == w.nout());
        if ok {
            Ok(())
        } else {
            Err(TorchError::Shape(format!(
                "a batch for a {}-input, {}-output network needs equally many rows of {} inputs and {} targets",
                w.nin(),
                w.nout(),
                w.nin(),
                w.nout()
            )))
        }
    }
}

/// What one forward and backward gives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MlpOutcome {
    /// The outputs, row by row.
    pub outputs: Vec<f64>,
    /// Data loss plus the L2 penalty.
    pub loss: f64,
    /// d loss / d parameter, in the scalar engine's `parameters()` order.
    pub grads: Vec<f64>,
}

/// Forward, loss, backward on the scalar engine in precision `T`.
pub fn scalar_mlp<T: Scalar>(
    w: &Weights,
    batch: &Batch,
    loss: Loss,
    l2: f64,
) -> Result<MlpOutcome, TorchError> {
    batch.check(w)?;
    let mlp = w.to_scalar::<T>()?;
    let (total, outputs) = scalar_loss(&mlp, batch, loss, l2)?;
    mlp.zero_grad();
    total.backward();
    Ok(MlpOutcome {
        outputs: outputs.iter().map(|v| v.data().to_f64()).collect(),
        loss: total.data().to_f64(),
        grads: mlp.parameters().iter().map(|p| p.grad().to_f64()).collect(),
    })
}

/// The scalar engine's loss of `mlp` on `batch` (with the L2 penalty) and
/// its outputs, as values to differentiate.
pub fn scalar_loss<T: Scalar>(
    mlp: &nn::Mlp<T>,
    batch: &Batch,
    loss: Loss,
    l2: f64,
) -> Result<(Value<T>, Vec<Value<T>>), TorchError> {
    let mut outputs = Vec::new();
    for row in &batch.x {
        let x: Vec<T> = row.iter().map(|&v| T::from_f64(v)).collect();
        outputs.extend(mlp.forward(&x)?);
    }
    let targets: Vec<T> = batch.y.iter().flatten().map(|&v| T::from_f64(v)).collect();
    let data = match loss {
        Loss::SumSquaredError => nn::sum_squared_error(&outputs, &targets)?,
        Loss::Mse => nn::mse(&outputs, &targets)?,
        Loss::Hinge => nn::max_margin(&outputs, &targets)?,
        Loss::BceWithLogits => nn::bce_with_logits(&outputs, &targets)?,
        Loss::SoftmaxCrossEntropy => {
            let rows: Vec<&[Value<T>]> = outputs
                .chunks(mlp.sizes().last().copied().unwrap_or(1))
                .collect();
            let classes = batch
                .y
                .iter()
                .map(|row| one_hot_class(row))
                .collect::<Result<Vec<_>, _>>()?;
            nn::cross_entropy(&rows, &classes)?
        }
    };
    let total = if l2 != 0.0 {
        data + nn::l2(&mlp.parameters(), T::from_f64(l2))
    } else {
        data
    };
    Ok((total, outputs))
}

/// The class a one-hot target row marks (the oracle gives cross-entropy
/// its targets as one-hot rows; the scalar engine takes class indices).
fn one_hot_class(row: &[f64]) -> Result<usize, TorchError> {
    match row.iter().position(|&v| v == 1.0) {
        Some(c) if row.iter().filter(|&&v| v != 0.0).count() == 1 => Ok(c),
        _ => Err(TorchError::Shape(format!(
            "cross-entropy target {row:?} is not a one-hot row"
        ))),
    }
}

/// Rows of `f64` as a matrix in precision `T`.
pub(crate) fn array<T: Scalar>(rows: &[Vec<f64>]) -> Result<Array2<T>, TorchError> {
    let cols = rows.first().map_or(0, Vec::len);
    let flat: Vec<T> = rows.iter().flatten().map(|&v| T::from_f64(v)).collect();
    Array2::from_shape_vec((rows.len(), cols), flat).map_err(|e| TorchError::Shape(e.to_string()))
}

/// Forward, loss, backward on the batched engine in precision `T`.
pub fn tensor_mlp<T: Scalar + tensor::Float>(
    w: &Weights,
    batch: &Batch,
    loss: Loss,
    l2: f64,
) -> Result<MlpOutcome, TorchError> {
    batch.check(w)?;
    let mut mlp = w.to_tensor::<T>()?;
    let x = array::<T>(&batch.x)?;
    let y = array::<T>(&batch.y)?;
    mlp.zero_grad();
    mlp.forward(x.view())?;
    let data = mlp.loss_backward(loss, tensor::Target::Values(y.view()))?;
    let penalty = if l2 != 0.0 {
        mlp.add_l2(T::from_f64(l2))
    } else {
        T::zero()
    };
    Ok(MlpOutcome {
        outputs: mlp.output().iter().map(|&v| Scalar::to_f64(v)).collect(),
        loss: Scalar::to_f64(data + penalty),
        grads: mlp.gradients().into_iter().map(Scalar::to_f64).collect(),
    })
}

/// A network as libtorch leaves: per layer `(weight (nout, nin), bias)`.
pub struct TorchNet {
    /// The parameters, each with `requires_grad`.
    pub params: Vec<(Tensor, Tensor)>,
    /// Each layer's nonlinearity.
    pub activations: Vec<Activation>,
}

impl TorchNet {
    /// The network `w` on `target`.
    pub fn new(w: &Weights, target: Target) -> Result<Self, TorchError> {
        let mut params = Vec::new();
        for l in &w.layers {
            let weight = matrix(&l.weight, target)?.f_set_requires_grad(true)?;
            let bias = vector(&l.bias, target)?.f_set_requires_grad(true)?;
            params.push((weight, bias));
        }
        Ok(Self {
            params,
            activations: w.layers.iter().map(|l| l.activation).collect(),
        })
    }

    /// `nn.Linear` then the activation, layer by layer.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, TorchError> {
        let mut h = x.shallow_clone();
        for ((w, b), act) in self.params.iter().zip(&self.activations) {
            h = h.f_linear(w, Some(b))?;
            h = match act {
                Activation::Tanh => h.f_tanh()?,
                Activation::Relu => h.f_relu()?,
                Activation::Sigmoid => h.f_sigmoid()?,
                Activation::Identity => h,
            };
        }
        Ok(h)
    }

    /// Data loss of `out` against `y`, plus `l2 * sum(p^2)` over every parameter.
    pub fn loss(
        &self,
        out: &Tensor,
        y: &Tensor,
        loss: Loss,
        l2: f64,
    ) -> Result<Tensor, TorchError> {
        let data = match loss {
            Loss::SumSquaredError => out.f_sub(y)?.f_square()?.f_sum(None)?,
            Loss::Mse => out.f_mse_loss(y, Reduction::Mean)?,
            Loss::Hinge => out
                .f_mul(y)?
                .f_neg()?
                .f_add_scalar(1.0)?
                .f_relu()?
                .f_mean(None)?,
            Loss::BceWithLogits => {
                out.f_binary_cross_entropy_with_logits::<Tensor>(y, None, None, Reduction::Mean)?
            }
            Loss::SoftmaxCrossEntropy => {
                out.f_cross_entropy_loss::<Tensor>(y, None, Reduction::Mean, -100, 0.0)?
            }
        };
        if l2 == 0.0 {
            return Ok(data);
        }
        let mut penalty: Option<Tensor> = None;
        for (w, b) in &self.params {
            for p in [w, b] {
                let s = p.f_square()?.f_sum(None)?;
                penalty = Some(match penalty {
                    None => s,
                    Some(acc) => acc.f_add(&s)?,
                });
            }
        }
        match penalty {
            Some(p) => Ok(data.f_add(&p.f_mul_scalar(l2)?)?),
            None => Ok(data),
        }
    }

    /// Every parameter tensor, weight then bias per layer (optimiser order).
    pub fn tensors(&self) -> Vec<&Tensor> {
        self.params.iter().flat_map(|(w, b)| [w, b]).collect()
    }

    /// The parameters (or their gradients) in the scalar engine's order.
    pub fn flatten(&self, grads: bool) -> Result<Vec<f64>, TorchError> {
        let mut out = Vec::new();
        for (w, b) in &self.params {
            let (w, b) = if grads {
                (w.grad(), b.grad())
            } else {
                (w.shallow_clone(), b.shallow_clone())
            };
            let w: Vec<Vec<f64>> = Vec::<Vec<f64>>::try_from(
                &w.f_to_kind(tch::Kind::Double)?
                    .f_to_device(tch::Device::Cpu)?,
            )?;
            let b: Vec<f64> = Vec::<f64>::try_from(
                &b.f_to_kind(tch::Kind::Double)?
                    .f_to_device(tch::Device::Cpu)?,
            )?;
            for (row, bias) in w.into_iter().zip(b) {
                out.extend(row);
                out.push(bias);
            }
        }
        Ok(out)
    }
}

/// A `(rows, cols)` tensor on `target`.
pub fn matrix(rows: &[Vec<f64>], target: Target) -> Result<Tensor, TorchError> {
    let cols = rows.first().map_or(0, Vec::len) as i64;
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Ok(Tensor::f_from_slice(&flat)?
        .f_reshape([rows.len() as i64, cols])?
        .f_to_kind(target.precision.kind())?
        .f_to_device(target.device)?)
}

/// A vector on `target`.
pub fn vector(v: &[f64], target: Target) -> Result<Tensor, TorchError> {
    Ok(Tensor::f_from_slice(v)?
        .f_to_kind(target.precision.kind())?
        .f_to_device(target.device)?)
}

/// Forward, loss, backward on libtorch.
pub fn torch_mlp(
    w: &Weights,
    batch: &Batch,
    loss: Loss,
    l2: f64,
    target: Target,
) -> Result<MlpOutcome, TorchError> {
    batch.check(w)?;
    let net = TorchNet::new(w, target)?;
    let x = matrix(&batch.x, target)?;
    let y = matrix(&batch.y, target)?;
    let out = net.forward(&x)?;
    let total = net.loss(&out, &y, loss, l2)?;
    total.f_backward()?;
    let outputs = Vec::<f64>::try_from(
        &out.f_detach()?
            .f_to_kind(tch::Kind::Double)?
            .f_to_device(tch::Device::Cpu)?
            .f_reshape([-1])?,
    )?;
    Ok(MlpOutcome {
        outputs,
        loss: total.f_double_value(&[])?,
        grads: net.flatten(true)?,
    })
}
