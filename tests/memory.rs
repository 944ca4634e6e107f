//! Memory promises of the scalar engine: small nodes, deep graphs without
//! recursion, and training loops in flat memory.

use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, Mlp, Sgd};
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn a_node_is_at_most_64_bytes() {
    let stats = Value::<f64>::tape_stats();
    assert!(
        stats.node_bytes <= 64,
        "{} bytes per f64 node",
        stats.node_bytes
    );
    assert!(Value::<f32>::tape_stats().node_bytes <= stats.node_bytes);
}

#[test]
fn a_million_node_chain_backpropagates_and_drops() {
    let before = Value::<f64>::tape_stats().nodes;
    let x = Value::new(1.0f64);
    let mut y = x.clone();
    for _ in 0..1_000_000 {
        y = &y * 1.000_001;
    }
    y.backward();
    // d/dx of x * 1.000001^1e6 is 1.000001^1e6 ~ e.
    let want = 1.000_001f64.powi(1_000_000);
    assert!(
        (x.grad() - want).abs() < 1e-9 * want,
        "{} vs {want}",
        x.grad()
    );
    assert!(Value::<f64>::tape_stats().nodes >= 2_000_000);
    drop(y);
    // Only the chunk holding `x` may stay.
    assert!(Value::<f64>::tape_stats().nodes <= before + 4096);
    drop(x);
}

/// micrograd's demo: its model, data and optimiser.
struct Demo {
    model: Mlp<f64>,
    params: Vec<Value<f64>>,
    sgd: Sgd<f64>,
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
}

impl Demo {
    fn new() -> Self {
        let moons = make_moons(100, 0.1, 1).unwrap();
        let y = moons.labels_pm1();
        let model = Mlp::with_activation(
            2,
            &[16, 16, 1],
            Activation::Relu,
            &mut ChaCha8Rng::seed_from_u64(1337),
        )
        .unwrap();
        Demo {
            params: model.parameters(),
            model,
            sgd: Sgd::new(0.05).unwrap(),
            x: moons.x,
            y,
        }
    }

    /// One training step; returns the loss.
    fn step(&mut self) -> f64 {
        let (loss, _) = svm_loss(&self.model, &self.x, &self.y, 1e-4).unwrap();
        self.sgd.zero_grad(&self.params);
        loss.backward();
        self.sgd.step(&self.params).unwrap();
        loss.data()
    }
}

/// The full 10,000 steps in release builds (CI), a tenth in debug, to stay quick.
fn steps() -> usize {
    if cfg!(debug_assertions) {
        1_000
    } else {
        10_000
    }
}

#[test]
fn ten_thousand_training_steps_run_in_flat_memory() {
    let steps = steps();
    let mut demo = Demo::new();
    let mut first = None;
    let mut loss = f64::NAN;
    for k in 0..steps {
        loss = demo.step();
        let stats = Value::<f64>::tape_stats();
        match first {
            None if k == 10 => first = Some(stats),
            Some(f) => {
                assert_eq!(stats.nodes, f.nodes, "live nodes grew at step {k}");
                assert!(
                    stats.capacity <= f.capacity,
                    "tape capacity grew at step {k}"
                );
            }
            None => {}
        }
    }
    assert!(loss.is_finite());
    // Between steps only the parameters' chunk is alive.
    assert!(first.unwrap().live_chunks <= 1);
}

#[test]
fn a_graph_kept_across_steps_is_freed_when_replaced() {
    // The `let mut loss; loop { loss = ... }` pattern: the old graph goes
    // when the handle is overwritten, even though a newer graph is alive.
    let w = Value::new(0.5f64);
    let mut loss = &w * 2.0;
    let mut peak = 0;
    for _ in 0..200 {
        let mut acc = &w * 1.0;
        for _ in 0..5_000 {
            acc = &acc * 1.0;
        }
        loss = acc;
        peak = peak.max(Value::<f64>::tape_stats().nodes);
    }
    assert!(peak < 4 * 10_000 + 3 * 4096, "peak {peak} nodes");
    drop(loss);
}

#[test]
fn a_rebuild_loop_that_keeps_one_value_per_step_grows_by_that_value_only() {
    let steps = steps();
    let warm_up = steps / 10;
    let mut demo = Demo::new();
    let mut history: Vec<Value<f64>> = Vec::new();
    let mut warm = None;
    for k in 0..steps {
        let loss = demo.step();
        history.push(Value::new(loss));
        if k + 1 == warm_up {
            warm = Some(Value::<f64>::tape_stats());
        }
    }
    let warm = warm.unwrap();
    let end = Value::<f64>::tape_stats();
    let kept_since = steps - warm_up;
    // Every kept value is one live node, nothing else stays.
    assert_eq!(end.nodes, warm.nodes + kept_since);
    // A kept leaf costs at most 64 bytes beyond the constant the first
    // steps set (one step's graph, spare chunks): 4,096 nodes of slack.
    let grown = end.capacity.saturating_sub(warm.capacity) * end.node_bytes;
    assert!(
        grown <= 64 * kept_since + 4096 * end.node_bytes,
        "{grown} bytes grown for {kept_since} kept values"
    );
    let total = end.capacity * end.node_bytes;
    assert!(total < 50 << 20, "the tape holds {total} bytes");
    assert!(
        end.node_bytes <= 40,
        "{} bytes per f64 node",
        end.node_bytes
    );
    assert!(history.iter().all(|v| v.data().is_finite()));
}
