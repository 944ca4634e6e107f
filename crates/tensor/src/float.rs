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

/// The two implementations differ only in the type, its dtype and its width.
macro_rules! impl_float {
    ($t:ty, $dtype:ident) => {
        impl Float for $t {
            const DTYPE: Dtype = Dtype::$dtype;

            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }

            fn read_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
        }
    };
}

impl_float!(f32, F32);
impl_float!(f64, F64);
