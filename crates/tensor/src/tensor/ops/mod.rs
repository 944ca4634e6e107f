//! The operations on [`Tensor`](super::Tensor), each file with its forward
//! and backward rules.

mod arith;
pub(crate) mod elementwise;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
