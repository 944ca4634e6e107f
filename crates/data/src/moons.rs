//! scikit-learn's `make_moons`: two interleaving half circles.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::DataError;

/// Two interleaving half circles with their class labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Moons {
    /// Points, one `[x, y]` per sample.
    pub x: Vec<[f64; 2]>,
    /// Class of each point: 0 for the outer (upper) moon, 1 for the inner one.
    pub class: Vec<u8>,
}

impl Moons {
    /// Labels as -1 / +1, the form micrograd's max-margin loss wants.
    pub fn labels_pm1(&self) -> Vec<f64> {
        self.class
            .iter()
            .map(|&c| if c == 1 { 1.0 } else { -1.0 })
            .collect()
    }

    /// Labels as 0 / 1, the form binary cross-entropy wants.
    pub fn labels_01(&self) -> Vec<f64> {
        self.class.iter().map(|&c| f64::from(c)).collect()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// True when there are no samples (never, for a `Moons` built by [`make_moons`]).
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

/// Builds `n` points on two interleaving half circles, as scikit-learn's
/// `make_moons(n_samples=n, noise=noise, shuffle=True)` does: `n / 2` points on
/// the outer circle `(cos t, sin t)`, the rest on the inner one
/// `(1 - cos t, 1 - sin t - 0.5)` for `t` evenly spaced in `[0, pi]`, shuffled,
/// then Gaussian noise of standard deviation `noise` added to every coordinate.
///
/// The random stream is ChaCha8 seeded with `seed`, so the same arguments give
/// the same points on every machine (not numpy's stream: the construction
/// matches scikit-learn, the random numbers do not).
///
/// ```
/// let m = ferrograd_data::make_moons(100, 0.1, 1).unwrap();
/// assert_eq!(m.len(), 100);
/// assert_eq!(m.class.iter().filter(|&&c| c == 1).count(), 50);
/// assert_eq!(m, ferrograd_data::make_moons(100, 0.1, 1).unwrap());
/// ```
pub fn make_moons(n: usize, noise: f64, seed: u64) -> Result<Moons, DataError> {
    if n < 2 {
        return Err(DataError::TooFewSamples(n));
    }
    if !noise.is_finite() || noise < 0.0 {
        return Err(DataError::BadNoise(noise));
    }
    let n_out = n / 2;
    let n_in = n - n_out;
    let linspace = |k: usize, i: usize| {
        if k == 1 {
            0.0
        } else {
            std::f64::consts::PI * i as f64 / (k - 1) as f64
        }
    };
    let mut samples: Vec<([f64; 2], u8)> = Vec::with_capacity(n);
    for i in 0..n_out {
        let t = linspace(n_out, i);
        samples.push(([t.cos(), t.sin()], 0));
    }
    for i in 0..n_in {
        let t = linspace(n_in, i);
        samples.push(([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    samples.shuffle(&mut rng);
    if noise > 0.0 {
        let normal = Normal::new(0.0, noise).map_err(|_| DataError::BadNoise(noise))?;
        for (p, _) in &mut samples {
            p[0] += normal.sample(&mut rng);
            p[1] += normal.sample(&mut rng);
        }
    }
    let (x, class) = samples.into_iter().unzip();
    Ok(Moons { x, class })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noiseless_points_lie_on_the_circles() {
        let m = make_moons(101, 0.0, 7).unwrap();
        assert_eq!(m.class.iter().filter(|&&c| c == 0).count(), 50);
        assert_eq!(m.class.iter().filter(|&&c| c == 1).count(), 51);
        for (p, &c) in m.x.iter().zip(&m.class) {
            let (cx, cy) = if c == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
            let r = ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt();
            assert!((r - 1.0).abs() < 1e-12, "{p:?} class {c} radius {r}");
            if c == 0 {
                assert!(p[1] >= -1e-12);
            } else {
                assert!(p[1] <= 0.5 + 1e-12);
            }
        }
    }

    #[test]
    fn seed_decides_the_points() {
        let a = make_moons(50, 0.1, 1).unwrap();
        assert_eq!(a, make_moons(50, 0.1, 1).unwrap());
        assert_ne!(a, make_moons(50, 0.1, 2).unwrap());
    }

    #[test]
    fn labels_in_both_forms() {
        let m = make_moons(10, 0.1, 3).unwrap();
        for ((&c, pm), z) in m.class.iter().zip(m.labels_pm1()).zip(m.labels_01()) {
            assert_eq!(pm, if c == 1 { 1.0 } else { -1.0 });
            assert_eq!(z, f64::from(c));
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert_eq!(make_moons(1, 0.1, 0), Err(DataError::TooFewSamples(1)));
        assert!(matches!(
            make_moons(10, f64::NAN, 0),
            Err(DataError::BadNoise(_))
        ));
        assert!(matches!(
            make_moons(10, -1.0, 0),
            Err(DataError::BadNoise(_))
        ));
    }
}
