//! Gaussian blobs: a seeded synthetic classification set of any width.

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::{Float, TensorError};

/// Points around `classes` centres with their class indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Blobs<T> {
    /// `(n, features)` points.
    pub x: Array2<T>,
    /// The class of each row, in `0..classes`.
    pub class: Vec<usize>,
}

/// scikit-learn's `make_blobs` in spirit: `classes` centres drawn uniformly
/// from `[-1, 1]^features`, then `n` points (classes as equal as possible, in
/// shuffled order), each its centre plus Gaussian noise of standard deviation
/// `spread` in every coordinate. ChaCha8 seeded with `seed`.
///
/// With 784 features the centres are about 23 apart, so `spread` sets the
/// difficulty: near 4 a linear model gets most points right, near 10 it does not.
///
/// ```
/// let b = ferrograd_tensor::make_blobs::<f32>(100, 784, 10, 4.0, 0).unwrap();
/// assert_eq!(b.x.dim(), (100, 784));
/// assert_eq!(b.class.iter().filter(|&&c| c == 3).count(), 10);
/// ```
pub fn make_blobs<T: Float>(
    n: usize,
    features: usize,
    classes: usize,
    spread: f64,
    seed: u64,
) -> Result<Blobs<T>, TensorError> {
    let bad = |name, value: usize, why| TensorError::BadDataset {
        name,
        value: value as f64,
        why,
    };
    if classes < 2 {
        return Err(bad("classes", classes, "must be at least 2"));
    }
    if n < classes {
        return Err(bad("n", n, "must be at least the number of classes"));
    }
    if features == 0 {
        return Err(bad("features", features, "must be at least 1"));
    }
    let noise = Normal::new(0.0, spread).map_err(|_| TensorError::BadDataset {
        name: "spread",
        value: spread,
        why: "must be finite and >= 0",
    })?;
    if !spread.is_finite() {
        return Err(TensorError::BadDataset {
            name: "spread",
            value: spread,
            why: "must be finite and >= 0",
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres =
        Array2::from_shape_simple_fn((classes, features), || rng.random_range(-1.0..=1.0));
    let mut class: Vec<usize> = (0..n).map(|i| i % classes).collect();
    class.shuffle(&mut rng);
    let mut x = Array2::zeros((n, features));
    for (mut row, &c) in x.rows_mut().into_iter().zip(&class) {
        for (v, &centre) in row.iter_mut().zip(centres.row(c)) {
            let value: f64 = centre + noise.sample(&mut rng);
            *v = T::from_f64(value);
        }
    }
    Ok(Blobs { x, class })
}
