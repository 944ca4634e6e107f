//! The scalar engine's mixed graph: 100,000 nodes of add, mul, tanh, relu
//! and powi over an 8-value ring, with fan-in and fan-out. The
//! `scalar_tape` bench times it; `tests/memory.rs` checks that a loop of
//! it settles at a store size; its peers (`benches/python/mixed_*.py`,
//! `benches/cpp/adolc_mixed.cpp`) build the same graph.

#![allow(dead_code)] // the test uses part of it

use ferrograd::Value;

/// Nodes built per round of [`mixed_round`].
pub const PER_ROUND: u64 = 8;

/// Rounds of [`mixed_round`] in one graph: 100,000 nodes.
pub const ROUNDS: u64 = 12_500;

/// One round over an 8-value ring: add, mul, tanh, relu, powi, with fan-out
/// (each result used twice) and fan-in (two-operand nodes over old values).
pub fn mixed_round(ring: &mut [Value<f64>; 8], k: usize, shift: &Value<f64>) {
    let a = &ring[k % 8];
    let b = &ring[(k * 5 + 3) % 8];
    let m = a * b;
    let t = (&m + a).tanh();
    let r = (&t + shift).relu();
    let p = r.powi(2);
    let q = &p * &t;
    let out = &q + b;
    let _ = &out; // 8 nodes: mul, add, tanh, add, relu, powi, mul, add
    ring[k % 8] = out;
}

/// The graph's leaves: the ring's first values `0.1 i - 0.3`, and the
/// shift, -0.1.
pub fn leaves() -> (Vec<Value<f64>>, Value<f64>) {
    let ring = (0..8).map(|i| Value::new(0.1 * i as f64 - 0.3)).collect();
    (ring, Value::new(-0.1))
}

/// The mixed graph from `leaves` (see [`leaves`]): built, differentiated,
/// dropped. Returns the root's value and its gradient on the shift, which
/// the peers print for the same graph.
pub fn mixed(leaves: &[Value<f64>], shift: &Value<f64>) -> (f64, f64) {
    shift.set_grad(0.0);
    let mut ring: [Value<f64>; 8] = std::array::from_fn(|i| leaves[i].clone());
    for k in 0..ROUNDS as usize {
        mixed_round(&mut ring, k, shift);
    }
    let root: Value<f64> = ring.iter().sum();
    root.backward();
    (root.data(), shift.grad())
}
