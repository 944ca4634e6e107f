//! What a caller of [`Tensor`](super::Tensor) operations can get wrong.

use crate::error::shape_str;

/// An operation on [`Tensor`](super::Tensor)s that cannot be carried out.
///
/// Every variant names the shapes or the axis involved, so the message alone
/// says what to fix. The arithmetic operators (`a + b`, ...) panic with
/// this message; their `try_*` counterparts return it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutogradError {
    /// Two shapes that do not broadcast (NumPy's rule: aligned from the
    /// right, each pair of sizes equal or one of them 1).
    #[error("{op}: shapes {} and {} cannot be broadcast together", shape_str(.lhs), shape_str(.rhs))]
    Broadcast {
        /// The operation (`"add"`, `"mul"`, ...).
        op: &'static str,
        /// The left operand's shape.
        lhs: Vec<usize>,
        /// The right operand's shape.
        rhs: Vec<usize>,
    },
    /// A matrix product of shapes that do not fit.
    #[error("matmul: shapes {} and {} do not fit ({why})", shape_str(.lhs), shape_str(.rhs))]
    MatMul {
        /// The left operand's shape.
        lhs: Vec<usize>,
        /// The right operand's shape.
        rhs: Vec<usize>,
        /// Which rule they break.
        why: String,
    },
    /// An operation that needs exactly one element got more (or none).
    #[error("{op} needs a tensor of exactly one element, got shape {} ({} elements)", shape_str(.shape), .shape.iter().product::<usize>())]
    NotOneElement {
        /// `"backward"` or `"item"`.
        op: &'static str,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// An axis that the tensor does not have.
    #[error("{op}: axis {axis} is out of range for a tensor of rank {rank} (shape {})", shape_str(.shape))]
    Axis {
        /// The operation.
        op: &'static str,
        /// The axis asked for.
        axis: usize,
        /// The tensor's rank.
        rank: usize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// An operation that needs at least one element got none.
    #[error("{op} needs at least one element, got an empty tensor of shape {}", shape_str(.shape))]
    Empty {
        /// The operation.
        op: &'static str,
        /// The (empty) shape it got.
        shape: Vec<usize>,
    },
    /// A tensor of a rank the operation does not take.
    #[error("{op} needs {expected}, got shape {}", shape_str(.shape))]
    Rank {
        /// The operation.
        op: &'static str,
        /// What it takes, in words (`"a 2-D tensor"`).
        expected: &'static str,
        /// The shape it got.
        shape: Vec<usize>,
    },
    /// Two shapes that had to be equal (or have as many elements) differ.
    #[error("{op}: expected shape {}, got {}", shape_str(.expected), shape_str(.got))]
    Shape {
        /// The operation (`"reshape"`, `"backward_with gradient"`, ...).
        op: &'static str,
        /// The shape required.
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
    /// A data vector whose length is not the product of the shape.
    #[error("{len} values cannot fill shape {} ({} elements)", shape_str(.shape), .shape.iter().product::<usize>())]
    DataLength {
        /// The number of values given.
        len: usize,
        /// The shape asked for.
        shape: Vec<usize>,
    },
    /// A class index outside the row's range.
    #[error("pick: class {class} at row {row} is out of range for {classes} classes")]
    Class {
        /// The row.
        row: usize,
        /// The class found there.
        class: usize,
        /// The number of columns.
        classes: usize,
    },
    /// `backward` from a tensor that no parameter influences.
    #[error("backward from a tensor that does not require a gradient (no parameter reaches it, or it was made under no_grad)")]
    NoGrad,
}

/// Shorthand for the axis check every axis-taking operation starts with.
pub(crate) fn check_axis(
    op: &'static str,
    axis: usize,
    shape: &[usize],
) -> Result<(), AutogradError> {
    if axis >= shape.len() {
        return Err(AutogradError::Axis {
            op,
            axis,
            rank: shape.len(),
            shape: shape.to_vec(),
        });
    }
    Ok(())
}
