//! Gaussian blobs: a seeded synthetic classification set of any width.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::DataError;

/// Points around `classes` centres with their class indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Blobs {
    /// The points, row after row: `n * features` numbers.
    pub x: Vec<f64>,
    /// Numbers per point.
    pub features: usize,
    /// The class of each point, in `0..classes`.
    pub class: Vec<usize>,
}

impl Blobs {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.class.len()
    }

    /// True when there are no points (never, for `Blobs` built by [`make_blobs`]).
    pub fn is_empty(&self) -> bool {
        self.class.is_empty()
    }

    /// The points one slice each.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.x.chunks_exact(self.features)
    }
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
/// let b = ferrograd_data::make_blobs(100, 784, 10, 4.0, 0).unwrap();
/// assert_eq!((b.len(), b.x.len()), (100, 100 * 784));
/// assert_eq!(b.class.iter().filter(|&&c| c == 3).count(), 10);
/// assert!(ferrograd_data::make_blobs(100, 784, 1, 4.0, 0).is_err());
/// ```
pub fn make_blobs(
    n: usize,
    features: usize,
    classes: usize,
    spread: f64,
    seed: u64,
) -> Result<Blobs, DataError> {
    let bad = |name, value: usize, why| DataError::BadArgument {
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
    let bad_spread = DataError::BadArgument {
        name: "spread",
        value: spread,
        why: "must be finite and >= 0",
    };
    if !spread.is_finite() {
        return Err(bad_spread);
    }
    let noise = Normal::new(0.0, spread).map_err(|_| bad_spread)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<f64> = (0..classes * features)
        .map(|_| rng.random_range(-1.0..=1.0))
        .collect();
    let mut class: Vec<usize> = (0..n).map(|i| i % classes).collect();
    class.shuffle(&mut rng);
    let mut x = Vec::with_capacity(n * features);
    for &c in &class {
        for &centre in &centres[c * features..(c + 1) * features] {
            x.push(centre + noise.sample(&mut rng));
        }
    }
    Ok(Blobs { x, features, class })
}
