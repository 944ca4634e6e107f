//! The float types the batched engine runs on.

use ndarray::{LinalgScalar, ScalarOperand};
use safetensors::Dtype;

/// A float type the batched engine computes in: `f32` or `f64`.
///
/// It is the scalar engine's [`ferrograd_scalar::Scalar`] (so weights move
/// between the engines without conversion) plus what `ndarray`'s matrix
/// products and the safetensors format need.
pub trait Float:
    ferrograd_scalar::Scalar
    + LinalgScalar
    + ScalarOperand
    + std::iter::Sum
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
{
    /// The safetensors dtype of this type (`F32` or `F64`).
    const DTYPE: Dtype;

    /// Appends the little-endian bytes of `self`.
    fn write_le(self, out: &mut Vec<u8>);

    /// Reads one value from exactly `size_of::<Self>()` little-endian bytes.
    fn read_le(bytes: &[u8]) -> Self;
}

impl Float for f32 {
    const DTYPE: Dtype = Dtype::F32;

    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }

    fn read_le(bytes: &[u8]) -> Self {
        let mut b = [0u8; 4];
        b.copy_from_slice(bytes);
        f32::from_le_bytes(b)
    }
}

impl Float for f64 {
    const DTYPE: Dtype = Dtype::F64;

    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }

    fn read_le(bytes: &[u8]) -> Self {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        f64::from_le_bytes(b)
    }
}
