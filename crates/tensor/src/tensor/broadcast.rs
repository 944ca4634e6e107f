//! NumPy's broadcasting: the shape two operands stretch to, and the sum
//! that takes a gradient back to an operand's own shape.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use super::AutogradError;
use crate::Float;

/// The common shape of `a` and `b`: aligned from the right, each pair of
/// sizes equal or one of them 1 (which stretches); `None` otherwise.
///
/// ```
/// use ferrograd_tensor::tensor::broadcast_shape;
/// assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
/// assert_eq!(broadcast_shape(&[], &[2, 3]), Some(vec![2, 3]));
/// assert_eq!(broadcast_shape(&[2], &[3]), None);
/// ```
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        // Missing leading axes count as size 1.
        let pad = n - s.len();
        if i < pad {
            1
        } else {
            s[i - pad]
        }
    };
    (0..n)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `broadcast_shape` as a `Result` naming the operation and both shapes.
pub(crate) fn checked_shape(
    op: &'static str,
    a: &[usize],
    b: &[usize],
) -> Result<Vec<usize>, AutogradError> {
    broadcast_shape(a, b).ok_or_else(|| AutogradError::Broadcast {
        op,
        lhs: a.to_vec(),
        rhs: b.to_vec(),
    })
}

/// `a` stretched to `shape` (which `broadcast_shape` produced from it).
pub(crate) fn stretch<'a, T: Float>(
    op: &'static str,
    a: &'a ArrayD<T>,
    shape: &[usize],
) -> Result<ArrayViewD<'a, T>, AutogradError> {
    a.broadcast(IxDyn(shape))
        .ok_or_else(|| AutogradError::Broadcast {
            op,
            lhs: a.shape().to_vec(),
            rhs: shape.to_vec(),
        })
}

/// Whether an operand of shape `small` repeats whole over one of shape
/// `full`, the two broadcasting to `full` itself: `small` has no more axes
/// than `full` and, without its leading size-1 axes, is the tail of `full`
/// (a scalar, a bias row against a batch, or equal shapes). In row-major
/// order its elements then recur every `small.len()` elements of `full`.
/// (`[1, 1, 3]` against `[2, 3]` does not: the two broadcast to `[1, 2, 3]`.)
pub(crate) fn repeats_over(small: &[usize], full: &[usize]) -> bool {
    if small.len() > full.len() {
        return false;
    }
    let lead = small.iter().take_while(|&&d| d == 1).count();
    let small = &small[lead..];
    &full[full.len() - small.len()..] == small
}

/// `small` repeated to `len` elements (`len` a multiple of its length),
/// by doubling: a few large copies instead of one per repeat.
pub(crate) fn tile<T: Float>(small: &[T], len: usize) -> Vec<T> {
    if let [x] = small {
        return vec![*x; len];
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(small);
    while out.len() < len {
        let more = out.len().min(len - out.len());
        out.extend_from_within(..more);
    }
    out.truncate(len);
    out
}

/// Adds to `total[j]` the elements `g[j]`, `g[j + n]`, `g[j + 2n]`, ... in
/// that order (`n` = `total.len()`, a divisor of `g.len()`): the sum of a
/// repeating operand's gradient over its repeats, in row order as the fused
/// engine sums a bias's.
pub(crate) fn sum_runs_into<T: Float>(total: &mut [T], g: &[T]) {
    /// Columns summed together down the rows, in a local array the
    /// compiler keeps in registers.
    const W: usize = 8;
    let n = total.len();
    if n == 0 {
        return;
    }
    if let [t] = total {
        *t = g.iter().fold(*t, |s, &x| s + x);
        return;
    }
    let mut c = 0;
    while c + W <= n {
        let mut acc = [T::zero(); W];
        acc.copy_from_slice(&total[c..c + W]);
        for run in g.chunks_exact(n) {
            for (a, &x) in acc.iter_mut().zip(&run[c..c + W]) {
                *a += x;
            }
        }
        total[c..c + W].copy_from_slice(&acc);
        c += W;
    }
    for (j, t) in total.iter_mut().enumerate().skip(c) {
        *t = g.iter().skip(j).step_by(n).fold(*t, |s, &x| s + x);
    }
}

/// Adds `part` to `acc` (same shape): over slices when both are in
/// standard layout, else through `ndarray`'s general iteration.
pub(crate) fn add_into<T: Float>(acc: &mut ArrayD<T>, part: &ArrayD<T>) {
    if acc.shape() == part.shape() {
        if let (Some(a), Some(p)) = (acc.as_slice_mut(), part.as_slice()) {
            for (a, &p) in a.iter_mut().zip(p) {
                *a += p;
            }
            return;
        }
    }
    *acc += part;
}

/// An array of `like`'s shape holding `values` (one per element, in
/// row-major order). A small array is made by copying `like` (when in
/// standard layout) and overwriting it, which costs less than building a
/// new dynamic-rank shape and strides; a large one is collected into a new
/// shape, one write pass instead of a copy and a rewrite.
pub(crate) fn array_like<T: Float>(like: &ArrayD<T>, values: impl Iterator<Item = T>) -> ArrayD<T> {
    /// Below this many elements the copy is the cheaper start.
    const SMALL: usize = 1024;
    if like.len() <= SMALL && like.is_standard_layout() {
        let mut out = like.clone();
        if let Some(dst) = out.as_slice_mut() {
            for (d, v) in dst.iter_mut().zip(values) {
                *d = v;
            }
            return out;
        }
    }
    ArrayD::from_shape_vec(like.raw_dim(), values.collect())
        .unwrap_or_else(|_| unreachable!("one value per element"))
}

/// A new array of `like`'s shape (in standard layout) filled with zeros:
/// cloned from `like`, which has a layout ready, rather than built anew.
pub(crate) fn zeros_like<T: Float>(like: &ArrayD<T>) -> ArrayD<T> {
    let mut out = like.clone();
    match out.as_slice_mut() {
        Some(all) => all.fill(T::zero()),
        None => out = ArrayD::zeros(like.raw_dim()),
    }
    out
}

/// The gradient `g` of a broadcast result, summed over the axes that
/// `shape` stretched (leading axes it lacks, and its size-1 axes), so it has
/// `shape` again.
pub(crate) fn reduce_to<T: Float>(g: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    if g.shape() == shape {
        return g;
    }
    let mut g = g;
    while g.ndim() > shape.len() {
        g = g.sum_axis(Axis(0));
    }
    for (i, &s) in shape.iter().enumerate() {
        if s == 1 && g.shape()[i] != 1 {
            g = g.sum_axis(Axis(i)).insert_axis(Axis(i));
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_rules() {
        assert_eq!(broadcast_shape(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shape(&[2, 1], &[1, 4]), Some(vec![2, 4]));
        assert_eq!(broadcast_shape(&[], &[5, 2]), Some(vec![5, 2]));
        assert_eq!(broadcast_shape(&[3, 1, 2], &[4, 1]), Some(vec![3, 4, 2]));
        assert_eq!(broadcast_shape(&[2, 3], &[2]), None);
        assert_eq!(broadcast_shape(&[0], &[1]), Some(vec![0]));
    }

    #[test]
    fn an_operand_of_more_axes_does_not_repeat_over_fewer() {
        assert!(repeats_over(&[3], &[2, 3]));
        assert!(repeats_over(&[1, 3], &[2, 3]));
        assert!(repeats_over(&[], &[2, 3]));
        assert!(repeats_over(&[2, 3], &[2, 3]));
        assert!(!repeats_over(&[1, 1, 3], &[2, 3]));
        assert!(!repeats_over(&[1, 1, 1], &[3, 1]));
        assert!(!repeats_over(&[2, 1], &[2, 3]));
    }

    #[test]
    fn reduce_sums_stretched_axes() {
        let g = ArrayD::<f64>::ones(IxDyn(&[3, 4, 2]));
        let r = reduce_to(g, &[4, 1]);
        assert_eq!(r.shape(), &[4, 1]);
        assert!(r.iter().all(|&v| v == 6.0));
    }
}
