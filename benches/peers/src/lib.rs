//! The shared part of the Rust peers' benchmarks: the two models' sizes and
//! data, and the benchmark ids, so burn and candle train on the same shapes
//! as ferrograd's `benches/tensor_autograd.rs` and libtorch's bench:
//!
//! - `moons`: 100 x 2-16-16-1 ReLU, max-margin (hinge) loss + 1e-4 L2, SGD
//!   lr 0.1;
//! - `mlp784`: 256 x 784-256-256-10 ReLU, softmax cross-entropy, SGD lr 0.01.
//!
//! One step is forward, loss, backward and the SGD update, in f32. Run on one
//! thread (the burn backends are built without rayon; candle's matrix product
//! reads `RAYON_NUM_THREADS`):
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench --manifest-path benches/peers/Cargo.toml --all-features
//! ```
//!
//! Benchmark ids: `<peer>/<model>/f32/threads=<n>`, as libtorch's are.

#[cfg(feature = "burn")]
pub mod burn_models;

/// A model of the comparison: its layer sizes, batch and learning rate.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    /// Its name in the benchmark id.
    pub name: &'static str,
    /// Inputs, then each layer's outputs.
    pub sizes: &'static [usize],
    /// Rows per step.
    pub batch: usize,
    /// SGD's learning rate.
    pub lr: f64,
}

/// micrograd's moons demo model.
pub const MOONS: Model = Model {
    name: "moons",
    sizes: &[2, 16, 16, 1],
    batch: 100,
    lr: 0.1,
};

/// The MNIST-sized classifier.
pub const MLP784: Model = Model {
    name: "mlp784",
    sizes: &[784, 256, 256, 10],
    batch: 256,
    lr: 0.01,
};

/// The moons model's L2 factor.
pub const ALPHA: f64 = 1e-4;

/// A seeded generator (SplitMix64), so the data needs no dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let unit = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * unit
    }
}

/// The moons model's data: `batch x 2` inputs (row-major) and labels ±1.
pub fn moons_data() -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(1);
    let x = (0..MOONS.batch * 2)
        .map(|_| rng.uniform(-1.0, 2.0))
        .collect();
    let y = (0..MOONS.batch)
        .map(|_| if rng.next_u64() & 1 == 0 { -1.0 } else { 1.0 })
        .collect();
    (x, y)
}

/// The classifier's data: `batch x 784` inputs in `[0, 1)` (row-major) and
/// one class in `0..10` per row.
pub fn mlp784_data() -> (Vec<f32>, Vec<u32>) {
    let mut rng = Rng::new(2);
    let x = (0..MLP784.batch * MLP784.sizes[0])
        .map(|_| rng.uniform(0.0, 1.0))
        .collect();
    let classes = (0..MLP784.batch)
        .map(|_| (rng.next_u64() % 10) as u32)
        .collect();
    (x, classes)
}

/// Kaiming-uniform weights `nin x nout` (row-major), as `nn::Linear` starts.
pub fn weights(rng: &mut Rng, nin: usize, nout: usize) -> Vec<f32> {
    let bound = 1.0 / (nin as f32).sqrt();
    (0..nin * nout)
        .map(|_| rng.uniform(-bound, bound))
        .collect()
}

/// The benchmark id of `peer` on `model`, with the thread count the run was
/// given (`RAYON_NUM_THREADS`, else `default`).
pub fn bench_id(peer: &str, model: &Model) -> String {
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());
    format!("{peer}/{}/f32/threads={threads}", model.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_has_the_models_shapes_and_ranges() {
        let (x, y) = moons_data();
        assert_eq!((x.len(), y.len()), (200, 100));
        assert!(y.iter().all(|&v| v == 1.0 || v == -1.0));
        let (x, c) = mlp784_data();
        assert_eq!((x.len(), c.len()), (256 * 784, 256));
        assert!(x.iter().all(|&v| (0.0..1.0).contains(&v)));
        assert!(c.iter().all(|&k| k < 10));
    }
}
