//! The scalar tape on graphs a user writes: micrograd's moons step written
//! on the public API (each neuron a chain of `+` and `*`), a mixed graph with
//! fan-in and fan-out, and the moons loop that keeps one value per step.
//!
//! `cargo bench --bench scalar_tape`
//!
//! With `FERROGRAD_MOONS_FIXTURE=<file>` set (`cargo xtask bench` sets it),
//! it first writes the user-written step's moons points, initial parameters
//! and first loss to that file, for the C++ peer `benches/cpp/adolc_moons.cpp`
//! to run the same step on the same numbers.

mod common;

use common::mixed::{leaves, mixed, PER_ROUND, ROUNDS};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrograd::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One neuron's weights and bias.
type Neuron = (Vec<Value<f64>>, Value<f64>);

/// The layer sizes of [`Net`]: micrograd's moons model.
const SIZES: [usize; 4] = [2, 16, 16, 1];

/// A 2-16-16-1 ReLU MLP as plain `Value` leaves: per layer, each neuron's
/// weights then its bias.
struct Net {
    layers: Vec<Vec<Neuron>>,
}

impl Net {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let layers = SIZES
            .windows(2)
            .map(|w| {
                (0..w[1])
                    .map(|_| {
                        let ws = (0..w[0])
                            .map(|_| Value::new(rng.random_range(-1.0..1.0)))
                            .collect();
                        (ws, Value::new(0.0))
                    })
                    .collect()
            })
            .collect();
        Net { layers }
    }

    fn params(&self) -> Vec<Value<f64>> {
        let mut p = Vec::new();
        for layer in &self.layers {
            for (ws, b) in layer {
                p.extend(ws.iter().cloned());
                p.push(b.clone());
            }
        }
        p
    }

    /// micrograd's forward: `s = b; s = s + w * x` per input, ReLU but last.
    fn forward(&self, x: &[Value<f64>]) -> Value<f64> {
        let mut act: Vec<Value<f64>> = x.to_vec();
        let last = self.layers.len() - 1;
        for (k, layer) in self.layers.iter().enumerate() {
            act = layer
                .iter()
                .map(|(ws, b)| {
                    let mut s = b.clone();
                    for (w, xi) in ws.iter().zip(&act) {
                        s = &s + &(w * xi);
                    }
                    if k < last {
                        s.relu()
                    } else {
                        s
                    }
                })
                .collect();
        }
        act.pop().expect("one output")
    }
}

/// One SGD step of micrograd's demo written as a user writes it: hinge loss
/// and L2 as chains of `+`, updates through `set_data`. Returns the loss.
fn user_step(net: &Net, params: &[Value<f64>], x: &[[f64; 2]], y: &[f64]) -> f64 {
    let mut data_loss = Value::new(0.0);
    for (xi, &yi) in x.iter().zip(y) {
        let input = [Value::new(xi[0]), Value::new(xi[1])];
        let score = net.forward(&input);
        let margin = (1.0 + &score * -yi).relu();
        data_loss = &data_loss + &margin;
    }
    let data_loss = &data_loss * (1.0 / x.len() as f64);
    let mut reg = Value::new(0.0);
    for p in params {
        reg = &reg + &(p * p);
    }
    let loss = &data_loss + &(&reg * 1e-4);
    for p in params {
        p.set_grad(0.0);
    }
    loss.backward();
    for p in params {
        p.set_data(p.data() - 0.01 * p.grad());
    }
    loss.data()
}

/// Writes the fixture of `benches/cpp/adolc_moons.cpp` to `path`: a comment,
/// `layers 4 2 16 16 1`, `points 100` and a line `x0 x1 y` per point, `params
/// 337` and the initial parameters in [`Net::params`] order, then `loss` and
/// the loss of one user-written step from them. Numbers are written in
/// Rust's shortest form that reads back to the same `f64`.
fn write_fixture(path: &std::path::Path, x: &[[f64; 2]], y: &[f64]) {
    use std::fmt::Write as _;
    let net = Net::new(&mut ChaCha8Rng::seed_from_u64(1337));
    let params = net.params();
    let initial: Vec<f64> = params.iter().map(Value::data).collect();
    let loss = user_step(&net, &params, x, y);
    let mut s = String::from(
        "# moons fixture of benches/scalar_tape.rs (user_written): points, initial parameters, first-step loss\n",
    );
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let _ = writeln!(s, "layers {} {}", SIZES.len(), sizes.join(" "));
    let _ = writeln!(s, "points {}", x.len());
    for (p, label) in x.iter().zip(y) {
        let _ = writeln!(s, "{} {} {label}", p[0], p[1]);
    }
    let _ = writeln!(s, "params {}", initial.len());
    for p in &initial {
        let _ = writeln!(s, "{p}");
    }
    let _ = writeln!(s, "loss {loss}");
    std::fs::write(path, s).unwrap_or_else(|e| {
        panic!(
            "FERROGRAD_MOONS_FIXTURE: cannot write {}: {e}",
            path.display()
        )
    });
}

fn user_written(c: &mut Criterion) {
    let (x, y) = common::moons();
    if let Some(path) = std::env::var_os("FERROGRAD_MOONS_FIXTURE").filter(|p| !p.is_empty()) {
        write_fixture(std::path::Path::new(&path), &x, &y);
    }
    let net = Net::new(&mut ChaCha8Rng::seed_from_u64(1337));
    let params = net.params();
    let mut group = c.benchmark_group("scalar_moons_step_f64");
    group.bench_function("user_written", |b| {
        b.iter(|| user_step(&net, &params, &x, &y))
    });
    // The rebuild loop that keeps one leaf per step: its time must not grow
    // with what was kept before.
    let mut history: Vec<Value<f64>> = Vec::new();
    group.bench_function("user_written_keeping", |b| {
        b.iter(|| {
            let loss = user_step(&net, &params, &x, &y);
            history.push(Value::new(loss));
            loss
        })
    });
    group.finish();
}

fn mixed_graph(c: &mut Criterion) {
    let mut group = c.benchmark_group("scalar_mixed_f64");
    group.throughput(Throughput::Elements(ROUNDS * PER_ROUND));
    let (leaves, shift) = leaves();
    // The values the report sets beside the peers' (`cargo xtask bench`
    // reads this line from the bench's output).
    let (root, grad_shift) = mixed(&leaves, &shift);
    println!(
        "{{\"id\": \"scalar_mixed_f64/build_backward_drop\", \"root\": {root:?}, \"grad_shift\": {grad_shift:?}}}"
    );
    group.bench_function("build_backward_drop", |b| b.iter(|| mixed(&leaves, &shift)));
    group.finish();
}

criterion_group! { name = benches; config = common::criterion(); targets = user_written, mixed_graph }
criterion_main!(benches);
