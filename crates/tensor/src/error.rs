//! What a caller of the batched engine can get wrong.

/// Errors from building, running, training, saving or loading a batched network.
#[derive(Debug, thiserror::Error)]
pub enum TensorError {
    /// Two shapes that had to fit did not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    Shape {
        /// Where the shapes met (`"Mlp::forward input"`, `"mse targets"`...).
        what: String,
        /// The shape that was required, e.g. `(batch, 2)` or `(100, 1)`.
        expected: String,
        /// The shape that was passed.
        got: String,
    },
    /// A batch with no rows.
    #[error("{what} got an empty batch (0 rows)")]
    EmptyBatch {
        /// Which call got it.
        what: String,
    },
    /// The activation list does not have one entry per layer.
    #[error("{layers} layers but {activations} activations; give one activation per layer")]
    ActivationCount {
        /// Number of layers.
        layers: usize,
        /// Number of activations given.
        activations: usize,
    },
    /// A loss that is NaN or infinite; training stops before the update.
    #[error("non-finite loss {loss} at step {step}; the update was not applied (lower the learning rate or check the data)")]
    NonFiniteLoss {
        /// The 0-based training step (the optimiser's step count) that produced it.
        step: usize,
        /// The loss value, widened to f64.
        loss: f64,
    },
    /// The optimiser was used with a network of another shape than on its first step.
    #[error("optimiser state holds {expected} parameter tensors but the network has {got}; use one optimiser per network")]
    OptimizerMismatch {
        /// Tensors the optimiser state was built for.
        expected: String,
        /// Tensors of the network passed now.
        got: String,
    },
    /// A rule shared with the scalar engine was broken (layer sizes,
    /// hyper-parameters, schedules, class indices), or the scalar engine
    /// refused weights: the scalar engine's error, with its message, so both
    /// engines refuse the same input in the same words.
    #[error(transparent)]
    Rule(#[from] ferrograd_scalar::Error),
    /// A [`crate::Tensor`] operation failed (shapes, axes, empty input).
    #[error(transparent)]
    Autograd(#[from] crate::AutogradError),
    /// A weights file lacks a tensor the model needs.
    #[error("weights file has no tensor {name:?} (the model needs {expected})")]
    MissingTensor {
        /// The state-dict name (`"2.weight"`).
        name: String,
        /// The shape and dtype the model needs.
        expected: String,
    },
    /// A tensor in a weights file has another shape than the model's.
    #[error("tensor {name:?} has shape {got:?} in the file but the model needs {expected:?}")]
    TensorShape {
        /// The state-dict name.
        name: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The file's shape.
        got: Vec<usize>,
    },
    /// A tensor in a weights file has another shape than the file's own
    /// metadata (`ferrograd.sizes`) gives it.
    #[error("tensor {name:?} has shape {file:?} in the file but the file's metadata (ferrograd.sizes) says {metadata:?}")]
    MetadataShape {
        /// The state-dict name.
        name: String,
        /// The shape the metadata's sizes give.
        metadata: Vec<usize>,
        /// The tensor's shape in the file.
        file: Vec<usize>,
    },
    /// A safetensors file without the metadata that [`crate::Mlp::from_safetensors`]
    /// rebuilds the network from (a file written by another program).
    #[error("the weights file has no {key:?} metadata, so the network's shape is unknown (Mlp::save writes it); for a file written elsewhere, build an Mlp with its sizes and call Mlp::load_safetensors or Mlp::load")]
    MissingMetadata {
        /// The missing key.
        key: &'static str,
    },
    /// Metadata that [`crate::Mlp::from_safetensors`] cannot read.
    #[error("the weights file's {key:?} metadata is unusable: {why}")]
    BadMetadata {
        /// The key.
        key: &'static str,
        /// What is wrong with its value.
        why: String,
    },
    /// A tensor in a weights file has another dtype than the model's.
    #[error("tensor {name:?} is {got} in the file but the model is {expected}")]
    TensorDtype {
        /// The state-dict name.
        name: String,
        /// The model's dtype (`F32`, `F64`).
        expected: String,
        /// The file's dtype.
        got: String,
    },
    /// A weights file ends before a tensor's bytes do.
    #[error("tensor {name:?} is truncated: its bytes end at {needed} but the file's data section has {available}")]
    Truncated {
        /// The state-dict name.
        name: String,
        /// Byte offset its data needs.
        needed: usize,
        /// Bytes the file has.
        available: usize,
    },
    /// A weights file holds a tensor the model has no place for.
    #[error("weights file has tensor {name:?} that the model does not have (expected names: {expected})")]
    UnexpectedTensor {
        /// The unexpected name.
        name: String,
        /// The names the model has.
        expected: String,
    },
    /// A weights file that is not valid safetensors.
    #[error("not a valid safetensors file: {0}")]
    Corrupt(String),
    /// Reading or writing a weights file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// [`TensorError::Rule`], as a function for `map_err`.
pub(crate) fn rule(e: ferrograd_scalar::Error) -> TensorError {
    TensorError::Rule(e)
}

/// Formats a shape as `(a, b)`.
pub(crate) fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(", "))
}

/// A [`TensorError::Shape`] from two shapes.
pub(crate) fn shape_err(
    what: impl Into<String>,
    expected: impl Into<String>,
    got: &[usize],
) -> TensorError {
    TensorError::Shape {
        what: what.into(),
        expected: expected.into(),
        got: shape_str(got),
    }
}

/// Checks class indices against a `(rows, k)` array of scores: one class per
/// row (`what` names the caller's argument, `per_row` the array in the
/// caller's words), each below `k`.
pub(crate) fn check_classes(
    what: &str,
    per_row: String,
    (rows, k): (usize, usize),
    classes: &[usize],
) -> Result<(), TensorError> {
    if classes.len() != rows {
        return Err(shape_err(what, per_row, &[classes.len()]));
    }
    match classes.iter().enumerate().find(|(_, &c)| c >= k) {
        Some((row, &class)) => Err(rule(ferrograd_scalar::Error::ClassOutOfRange {
            row,
            class,
            classes: k,
        })),
        None => Ok(()),
    }
}
