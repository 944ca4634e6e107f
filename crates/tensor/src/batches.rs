//! Seeded mini-batch shuffling.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::buffer::{ensure_rows, rows, rows_mut};
use crate::{Float, TensorError};

/// Shuffles `0..n` once per epoch (ChaCha8 seeded with `seed`) and hands out
/// the permutation in mini-batches; the last batch of an epoch may be smaller.
///
/// ```
/// use ferrograd_tensor::Shuffler;
/// let mut s = Shuffler::new(10, 4, 7).unwrap();
/// let sizes: Vec<usize> = s.epoch().map(|b| b.len()).collect();
/// assert_eq!(sizes, vec![4, 4, 2]);
/// let mut seen: Vec<usize> = s.epoch().flatten().copied().collect();
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<_>>());
/// ```
#[derive(Debug, Clone)]
pub struct Shuffler {
    order: Vec<usize>,
    batch_size: usize,
    rng: ChaCha8Rng,
}

impl Shuffler {
    /// Mini-batches of `batch_size` over `n` samples.
    pub fn new(n: usize, batch_size: usize, seed: u64) -> Result<Self, TensorError> {
        if n == 0 {
            return Err(TensorError::EmptyBatch {
                what: "Shuffler (0 samples)".into(),
            });
        }
        ferrograd_scalar::nn::hyper::at_least_one("batch_size", batch_size)
            .map_err(crate::error::rule)?;
        Ok(Shuffler {
            order: (0..n).collect(),
            batch_size,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// Shuffles (continuing the seeded stream) and returns the epoch's batches
    /// of row indices.
    pub fn epoch(&mut self) -> std::slice::Chunks<'_, usize> {
        self.order.shuffle(&mut self.rng);
        self.order.chunks(self.batch_size)
    }

    /// Batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }
}

/// Copies the rows `idx` of `src` into `buf` (grown only when too small) and
/// returns them as a `(idx.len(), cols)` view.
pub fn gather_rows<'b, T: Float>(
    src: ArrayView2<'_, T>,
    idx: &[usize],
    buf: &'b mut Array2<T>,
) -> Result<ArrayView2<'b, T>, TensorError> {
    if let Some(&bad) = idx.iter().find(|&&i| i >= src.nrows()) {
        return Err(TensorError::Shape {
            what: "gather_rows index".into(),
            expected: format!("row < {}", src.nrows()),
            got: format!("row {bad}"),
        });
    }
    ensure_rows(buf, idx.len(), src.ncols());
    let mut dst = rows_mut(buf, idx.len());
    for (mut d, &i) in dst.rows_mut().into_iter().zip(idx) {
        d.assign(&src.row(i));
    }
    Ok(rows(buf, idx.len()))
}
