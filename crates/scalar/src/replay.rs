//! A recorded graph replayed on new leaf values: no nodes built, no graph
//! discovered, two tight passes per step.

use crate::op::Id;
use crate::{Scalar, Value};

/// The computation below a value, recorded once and re-run on whatever the
/// leaves hold now (micrograd PR #55's idea: re-evaluate the graph instead of
/// rebuilding it every step).
///
/// The graph's structure is fixed; only leaf values change, through
/// [`Value::set_data`] (an optimiser's step does exactly that). The plan
/// keeps the graph alive.
///
/// ```
/// use ferrograd_scalar::Value;
/// let w = Value::new(0.5f64);
/// let x = Value::new(2.0);
/// let loss = (&w * &x - 3.0).powi(2);
/// let plan = loss.replay();
/// for _ in 0..50 {
///     plan.recompute();
///     w.set_grad(0.0);
///     plan.backward();
///     w.set_data(w.data() - 0.05 * w.grad());
/// }
/// plan.recompute();
/// assert!((w.data() - 1.5).abs() < 1e-6);
/// assert!(plan.root().data() < 1e-10);
/// ```
#[derive(Debug, Clone)]
pub struct Replay<T: Scalar> {
    root: Value<T>,
    /// Operation nodes below the root, oldest first, root last.
    plan: Vec<Id>,
}

impl<T: Scalar> Replay<T> {
    pub(crate) fn new(root: &Value<T>) -> Self {
        let plan = T::with_tape(|t| t.plan(root.id_raw()));
        Replay {
            root: root.clone(),
            plan,
        }
    }

    /// The value the plan computes.
    pub fn root(&self) -> &Value<T> {
        &self.root
    }

    /// Number of operation nodes re-run per pass.
    pub fn len(&self) -> usize {
        self.plan.len()
    }

    /// Whether the root is a leaf (nothing to re-run).
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }

    /// Recomputes every operation node from the current leaf values.
    pub fn recompute(&self) {
        T::with_tape(|t| t.replay_forward(&self.plan));
    }

    /// Backpropagates from the root, as [`Value::backward`] does (leaves
    /// accumulate, operation nodes get this call's gradients).
    pub fn backward(&self) {
        if self.plan.is_empty() {
            self.root.backward();
        } else {
            T::with_tape(|t| t.replay_backward(&self.plan));
        }
    }
}

impl<T: Scalar> Value<T> {
    /// Records the graph below this value for replays; see [`Replay`].
    pub fn replay(&self) -> Replay<T> {
        Replay::new(self)
    }
}
