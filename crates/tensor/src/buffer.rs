//! Reusable row buffers: a training step writes into memory it already owns.
//!
//! (`slice_axis`, not ndarray's `s!`: the macro allows `unsafe_code` inside,
//! which the crate's `forbid` refuses.)

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};

use crate::Float;

/// Makes `buf` hold at least `rows` rows of width `cols`, allocating only when
/// it is too small or the width changed (a smaller last mini-batch reuses it).
pub(crate) fn ensure_rows<T: Float>(buf: &mut Array2<T>, rows: usize, cols: usize) {
    if buf.nrows() < rows || buf.ncols() != cols {
        *buf = Array2::zeros((rows, cols));
    }
}

/// The first `rows` rows of `buf` (contiguous: a prefix of a row-major array).
pub(crate) fn rows<T>(buf: &Array2<T>, rows: usize) -> ArrayView2<'_, T> {
    buf.slice_axis(Axis(0), Slice::from(..rows))
}

/// The first `rows` rows of `buf`, writable.
pub(crate) fn rows_mut<T>(buf: &mut Array2<T>, rows: usize) -> ArrayViewMut2<'_, T> {
    buf.slice_axis_mut(Axis(0), Slice::from(..rows))
}
