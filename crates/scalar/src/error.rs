//! What a caller of the scalar engine can get wrong.

/// Errors from building or running a network on the scalar engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `Mlp::new` was given no layer sizes.
    #[error("an MLP needs at least one layer size, got an empty list")]
    EmptySizes,
    /// A layer (or the input) of width zero.
    #[error("{what} has width 0; every layer and the input need at least one unit")]
    ZeroWidth {
        /// Which width was zero (`"the input"`, `"layer 2"`).
        what: String,
    },
    /// A network, layer or neuron whose parameters would not fit: the
    /// count overflows `usize`, or their bytes exceed
    /// [`crate::nn::MAX_PARAMETER_BYTES`].
    #[error("{what} is too large: {why}")]
    TooLarge {
        /// What was being built, with its sizes.
        what: String,
        /// The sizes that do not fit, and the limit.
        why: String,
    },
    /// An input slice whose length does not match the network's input width.
    #[error("input has {got} values but the network expects {expected}")]
    InputLength {
        /// The width the network was built for.
        expected: usize,
        /// The length that was passed.
        got: usize,
    },
    /// `forward_one` on a layer or network whose output is not one value.
    #[error("forward_one needs a single output, but this has {outputs}; use forward() for a Vec")]
    NotOneOutput {
        /// The width of the output layer.
        outputs: usize,
    },
    /// An optimiser stepped with a parameter list of another length than before.
    #[error("optimiser holds state for {expected} parameters but was given {got}")]
    ParameterCount {
        /// Parameters seen on the first step.
        expected: usize,
        /// Parameters given now.
        got: usize,
    },
    /// An optimiser stepped with no parameters (`torch.optim` refuses an
    /// empty parameter list too); the step is not counted.
    #[error("the optimiser got an empty parameter list; pass the parameters to update")]
    NoParameters,
    /// A loss given as many targets as predictions, but none of either.
    #[error("{loss} got no predictions; a loss needs at least one prediction and its target")]
    EmptyLoss {
        /// The loss function (`"mse"`, `"max_margin"`...).
        loss: &'static str,
    },
    /// A loss given a different number of targets than predictions.
    #[error("{loss} got {predictions} predictions and {targets} targets; give one target per prediction")]
    LossLength {
        /// The loss function (`"mse"`, `"max_margin"`...).
        loss: &'static str,
        /// Predictions (scores, or input rows) passed.
        predictions: usize,
        /// Targets (labels) passed.
        targets: usize,
    },
    /// A class index outside `0..classes` (cross-entropy targets).
    #[error("class {class} at row {row} is out of range for {classes} classes")]
    ClassOutOfRange {
        /// The row of the batch.
        row: usize,
        /// The class found there.
        class: usize,
        /// The number of classes (the row's width).
        classes: usize,
    },
    /// A hyper-parameter outside its domain (negative learning rate, beta >= 1...).
    #[error("invalid hyper-parameter {name} = {value}: {why}")]
    BadHyperParameter {
        /// The parameter's name.
        name: &'static str,
        /// Its value, printed.
        value: String,
        /// What it must satisfy.
        why: &'static str,
    },
}
