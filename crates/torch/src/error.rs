//! What can go wrong running a computation on libtorch.

/// An error of the oracle.
#[derive(Debug, thiserror::Error)]
pub enum TorchError {
    /// libtorch refused an operation.
    #[error("libtorch: {0}")]
    Tch(#[from] tch::TchError),
    /// The program is malformed.
    #[error(transparent)]
    Program(#[from] ferrograd_program::ProgramError),
    /// The tensor program is malformed or the engine refused it.
    #[error("tensor program: {0}")]
    TensorProgram(#[from] crate::tensor_program::TensorProgramError),
    /// The scalar engine refused its input.
    #[error("scalar engine: {0}")]
    Scalar(#[from] ferrograd_scalar::Error),
    /// The batched engine refused its input.
    #[error("batched engine: {0}")]
    Tensor(#[from] ferrograd_tensor::TensorError),
    /// The moons data set could not be made.
    #[error("data: {0}")]
    Data(#[from] ferrograd_data::DataError),
    /// A CUDA run was asked for, but libtorch sees no GPU.
    #[error("CUDA was asked for, but libtorch sees no GPU (a libtorch-only install is CPU only: use `cargo xtask parity --venv --cuda` on a machine with a GPU)")]
    NoCuda,
    /// The exact-value oracle (mpmath) could not be run or answered nonsense.
    #[error("exact-value oracle: {0}")]
    Exact(String),
    /// Inputs that do not fit together.
    #[error("{0}")]
    Shape(String),
}
