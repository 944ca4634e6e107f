//! Memory promises of the scalar engine: small nodes, deep graphs without
//! recursion, and training loops in flat memory.

use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, Mlp, Sgd};
use ferrograd::{TapeStats, Value};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The mixed graph the `scalar_tape` bench times.
#[path = "../benches/common/mixed.rs"]
mod mixed;

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

/// Runs `steps` steps of the loop `make` builds, on a thread of its own
/// (so on a fresh tape), keeping each step's loss as a new value when
/// `keep`; returns the tape's occupancy at the end.
fn rebuild_loop<F, S>(steps: usize, keep: bool, make: F) -> TapeStats
where
    F: FnOnce() -> S + Send + 'static,
    S: FnMut() -> f64,
{
    std::thread::spawn(move || {
        let mut step = make();
        let mut history: Vec<Value<f64>> = Vec::new();
        for _ in 0..steps {
            let loss = step();
            if keep {
                history.push(Value::new(loss));
            }
        }
        assert!(history.iter().all(|v| v.data().is_finite()));
        Value::<f64>::tape_stats()
    })
    .join()
    .unwrap()
}

/// A kept value costs at most 64 bytes beyond a constant: the loop run
/// for 4N steps, on a fresh tape, holds at most 64 bytes more for each of
/// the 2N values it kept beyond a run of 2N steps, and under 50 MB in all.
/// The constant is one step's graph and the spare chunks a cycle of
/// collections may use (up to 33 chunks, 5.4 MB of f64 nodes); kept leaves
/// lengthen the cycles of the `nn` loop until that cap, which it reaches
/// between 10,000 and 20,000 steps, hence runs of 2N and 4N.
fn assert_kept_values_cost_at_most_64_bytes<F, S>(make: F)
where
    F: Fn() -> S + Send + Clone + 'static,
    S: FnMut() -> f64,
{
    let steps = steps();
    let once = rebuild_loop(2 * steps, true, make.clone());
    let twice = rebuild_loop(4 * steps, true, make);
    let steps = 2 * steps;
    assert!(twice.nodes >= once.nodes + steps, "{twice:?} {once:?}");
    let bytes = twice.node_bytes;
    let extra = twice.capacity.saturating_sub(once.capacity) * bytes;
    assert!(
        extra <= 64 * steps + 4096 * bytes,
        "{extra} bytes more for {steps} more kept values ({} against {} slots)",
        twice.capacity,
        once.capacity
    );
    let total = once.capacity * bytes;
    assert!(
        total < 50 << 20,
        "the tape holds {total} bytes after {steps} steps"
    );
    assert!(bytes <= 40, "{bytes} bytes per f64 node");
}

#[test]
fn a_rebuild_loop_that_keeps_one_value_per_step_grows_by_that_value_only() {
    assert_kept_values_cost_at_most_64_bytes(|| {
        let mut demo = Demo::new();
        move || demo.step()
    });
}

/// The same with a graph written by hand, several chunks a step (the `nn`
/// step above fits in one or two). A store that took every spare chunk
/// before collecting, and one more while the collection waited for a safe
/// point, grew by a chunk every cycle: 27 MB after 10,000 steps of the
/// moons step written this way, for 10,000 kept values of 40 bytes; and a
/// leaf chunk opened at the end of the store kept it from being trimmed.
#[test]
fn a_hand_written_rebuild_loop_that_keeps_one_value_per_step_grows_by_that_value_only() {
    assert_kept_values_cost_at_most_64_bytes(|| {
        let w: Vec<Value<f64>> = (0..16).map(|i| Value::new(0.1 * i as f64 - 0.8)).collect();
        move || {
            // About 12,000 nodes: chains of + and * through relu, as a
            // user writes a neuron.
            let mut loss = Value::new(0.0);
            for p in 0..180 {
                let x = Value::new((p as f64 * 0.37).sin());
                let mut s = w[0].clone();
                for wi in &w[1..] {
                    s = &s + &(wi * &x);
                }
                loss = &loss + &s.relu();
            }
            for p in &w {
                p.set_grad(0.0);
            }
            loss.backward();
            for p in &w {
                p.set_data(p.data() - 1e-6 * p.grad());
            }
            loss.data()
        }
    });
}

/// A loop that rebuilds a graph of one size (25 chunks, live for a whole
/// step) settles at a store size: collections land at every point of the
/// step, and see from 0 to 25 live chunks, yet after a warm-up (while the
/// store grows to the largest cycle's size) it is never shrunk and grown
/// again, its pages faulted in anew each time. (A store trimmed to what
/// each collection asks for was resized 109 times in these 30 steps.)
#[test]
fn a_loop_of_same_size_graphs_stops_resizing_the_store() {
    std::thread::spawn(|| {
        let (leaves, shift) = mixed::leaves();
        let set = || mixed::mixed(&leaves, &shift).0;
        for _ in 0..30 {
            set();
        }
        let warm = Value::<f64>::tape_stats();
        let mut last = f64::NAN;
        for _ in 0..30 {
            last = set();
        }
        let end = Value::<f64>::tape_stats();
        assert!(last.is_finite());
        assert_eq!(
            end.resizes,
            warm.resizes,
            "the store was resized {} times in 30 steps ({} -> {} slots)",
            end.resizes - warm.resizes,
            warm.capacity,
            end.capacity
        );
    })
    .join()
    .unwrap();
}
