//! How a new layer's weights are drawn.

use ndarray::{Array1, Array2};
use rand::Rng;

use crate::Float;

/// Weight initialisation schemes, all drawn from a caller-seeded `rand::Rng`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Init {
    /// The lecture's micrograd: every weight and bias uniform in `[-1, 1]`,
    /// drawn neuron by neuron (the neuron's weights, then its bias) as `f64`
    /// with `rng.random_range(-1.0..=1.0)`. That is exactly the scalar
    /// engine's draw order, so the same seed gives the same network in both
    /// engines.
    #[default]
    Uniform,
    /// micrograd's library version: weights uniform in `[-1, 1]` (same draws
    /// as [`Init::Uniform`] minus the bias draws), biases 0.
    UniformZeroBias,
    /// PyTorch's `nn.Linear` default: weights and biases uniform in
    /// `[-1/sqrt(in), 1/sqrt(in)]` (Kaiming-uniform with `a = sqrt(5)`),
    /// the whole weight matrix row-major first, then the bias, as PyTorch
    /// draws them (from this generator's stream, not PyTorch's).
    KaimingUniform,
}

impl Init {
    /// Draws weights `(nout, nin)` and bias `(nout)`.
    pub fn draw<T: Float>(
        self,
        nin: usize,
        nout: usize,
        rng: &mut impl Rng,
    ) -> (Array2<T>, Array1<T>) {
        let mut w = Array2::<T>::zeros((nout, nin));
        let mut b = Array1::<T>::zeros(nout);
        match self {
            Init::Uniform | Init::UniformZeroBias => {
                for (mut row, bias) in w.rows_mut().into_iter().zip(b.iter_mut()) {
                    for v in row.iter_mut() {
                        *v = T::from_f64(rng.random_range(-1.0..=1.0));
                    }
                    if self == Init::Uniform {
                        *bias = T::from_f64(rng.random_range(-1.0..=1.0));
                    }
                }
            }
            Init::KaimingUniform => {
                let bound = 1.0 / (nin as f64).sqrt();
                for v in w.iter_mut().chain(b.iter_mut()) {
                    *v = T::from_f64(rng.random_range(-bound..bound));
                }
            }
        }
        (w, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn kaiming_bound_is_one_over_sqrt_fan_in() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (w, b) = Init::KaimingUniform.draw::<f64>(16, 32, &mut rng);
        let bound = 0.25;
        assert!(w.iter().chain(b.iter()).all(|v| v.abs() < bound));
        let max = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            max > 0.9 * bound,
            "512 draws should come near the bound, max {max}"
        );
    }

    #[test]
    fn zero_bias_variant_has_zero_bias() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (w, b) = Init::UniformZeroBias.draw::<f32>(3, 4, &mut rng);
        assert!(b.iter().all(|&v| v == 0.0));
        assert!(w.iter().all(|v| v.abs() <= 1.0));
    }
}
