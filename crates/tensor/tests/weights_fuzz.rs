//! Weight files mutated at random (bit flips, truncations, header length and
//! header text edits, metadata edits): reading one never panics or aborts,
//! a refused file leaves the model bit for bit as it was, and an accepted
//! one installs exactly the values the file holds.

use std::collections::HashMap;

use ferrograd_tensor::{Float, Mlp};
use proptest::prelude::*;
use rand::SeedableRng;
use safetensors::SafeTensors;

fn model<T: Float>(seed: u64) -> Mlp<T> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Mlp::new(2, &[3, 1], &mut rng).unwrap()
}

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR byte `at` (modulo the length) with `mask`.
    Flip { at: usize, mask: u8 },
    /// Keep the first `keep` bytes (modulo the length + 1).
    Truncate { keep: usize },
    /// Overwrite the 8-byte header length.
    HeaderLength(u64),
    /// Put a JSON-significant byte at position `at` of the header text.
    HeaderText { at: usize, byte: u8 },
    /// Write the tensors again with these `ferrograd.sizes` and activations.
    Metadata { sizes: String, activations: String },
}

fn size() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..5).prop_map(|s| s.to_string()),
        Just(usize::MAX.to_string()),
        Just((1u64 << 32).to_string()),
        Just("100000".to_string()),
        Just("1000000000000".to_string()),
        any::<usize>().prop_map(|s| s.to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        prop_oneof![
            any::<u64>(),
            0u64..600,
            Just(u64::MAX),
            Just(100_000_001u64)
        ]
        .prop_map(Mutation::HeaderLength),
        (
            any::<usize>(),
            proptest::sample::select(b"{}[],:\"0123456789 x".to_vec())
        )
            .prop_map(|(at, byte)| Mutation::HeaderText { at, byte }),
        (
            proptest::collection::vec(size(), 0..5),
            proptest::collection::vec(
                proptest::sample::select(vec!["tanh", "relu", "identity", "sigmoid", "gelu"]),
                0..5
            )
        )
            .prop_map(|(s, a)| Mutation::Metadata {
                sizes: s.join(","),
                activations: a.join(","),
            }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Flip { at, mask } => {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] ^= mask;
            }
        }
        Mutation::Truncate { keep } => bytes.truncate(keep % (bytes.len() + 1)),
        Mutation::HeaderLength(n) => {
            if bytes.len() >= 8 {
                bytes[..8].copy_from_slice(&n.to_le_bytes());
            }
        }
        Mutation::HeaderText { at, byte } => {
            let Some(n) = bytes
                .get(..8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
            else {
                return;
            };
            let end = usize::try_from(n)
                .map_or(usize::MAX, |n| n.saturating_add(8))
                .min(bytes.len());
            if end > 8 {
                let i = 8 + at % (end - 8);
                bytes[i] = *byte;
            }
        }
        Mutation::Metadata { sizes, activations } => {
            let Ok(st) = SafeTensors::deserialize(bytes) else {
                return;
            };
            let meta = HashMap::from([
                ("format".to_string(), "pt".to_string()),
                ("ferrograd.sizes".to_string(), sizes.clone()),
                ("ferrograd.activations".to_string(), activations.clone()),
            ]);
            *bytes = safetensors::serialize(st.tensors(), Some(meta)).unwrap();
        }
    }
}

fn bits<T: Float>(m: &Mlp<T>) -> Vec<f64> {
    m.parameters().into_iter().map(wide).collect()
}

fn wide<T: Float>(v: T) -> f64 {
    ferrograd_scalar::Scalar::to_f64(v)
}

/// Loads `bytes` into a fresh model and checks the outcome.
fn check_load<T: Float>(bytes: &[u8]) -> Result<(), TestCaseError> {
    let mut m = model::<T>(7);
    let before = bits(&m);
    match m.load_safetensors(bytes) {
        Err(_) => {
            let after = bits(&m);
            prop_assert!(
                before
                    .iter()
                    .zip(&after)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "a refused file changed the model"
            );
        }
        Ok(()) => {
            // Every parameter is now the file's value for it.
            let st = SafeTensors::deserialize(bytes).unwrap();
            for (l, layer) in m.layers().iter().enumerate() {
                let w = st.tensor(&format!("{}.weight", 2 * l)).unwrap();
                let b = st.tensor(&format!("{}.bias", 2 * l)).unwrap();
                let size = std::mem::size_of::<T>();
                let file: Vec<T> = w
                    .data()
                    .chunks_exact(size)
                    .chain(b.data().chunks_exact(size))
                    .map(T::read_le)
                    .collect();
                let have: Vec<T> = layer.weight().iter().chain(layer.bias()).copied().collect();
                prop_assert!(file
                    .iter()
                    .zip(&have)
                    .all(|(&a, &b)| wide(a).to_bits() == wide(b).to_bits()));
            }
        }
    }
    Ok(())
}

proptest! {
    // A few hundred cases run in well under a second; each mutation kind
    // gets about a hundred of them.
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_files_never_panic_and_never_half_load(
        mutations in proptest::collection::vec(mutation(), 1..4)
    ) {
        let mut bytes = model::<f64>(1).to_safetensors().unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Ok(m) = Mlp::<f64>::from_safetensors(&bytes) {
            // What was built came from the file's own bytes.
            prop_assert!(m.parameter_count() * 8 <= bytes.len());
        }
        let _ = Mlp::<f32>::from_safetensors(&bytes);
        check_load::<f64>(&bytes)?;
        check_load::<f32>(&bytes)?;
    }
}
