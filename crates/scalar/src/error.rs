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
    /// An input slice whose length does not match the network's input width.
    #[error("input has {got} values but the network expects {expected}")]
    InputLength {
        /// The width the network was built for.
        expected: usize,
        /// The length that was passed.
        got: usize,
    },
    /// An optimiser stepped with a parameter list of another length than before.
    #[error("optimiser holds state for {expected} parameters but was given {got}")]
    ParameterCount {
        /// Parameters seen on the first step.
        expected: usize,
        /// Parameters given now.
        got: usize,
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
