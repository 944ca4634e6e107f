//! What a computation graph must tell the drawing code: [`Drawable`], filled
//! by the scalar engine's `Value` and the batched engine's `Tensor`, so both
//! go through one walk, one DOT writer and one layout.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::Hash;

use ferrograd_scalar::{NodeId, Scalar, Value};
use ferrograd_tensor::{Float, Tensor, TensorId};

use crate::dot::number;

/// A node of a computation graph that can be drawn: one record (its label,
/// then [`Drawable::fields`]) and, for a result, one operation node fed by
/// its operands.
///
/// Implemented for the scalar `Value` (fields `data 2.0000`, `grad 0.0000`,
/// as micrograd draws) and the batched `Tensor` (its shape, then a summary of
/// its data and gradient); every drawing function of this crate takes either.
pub trait Drawable: Clone {
    /// Identifies a node across handles, so a shared operand is drawn once.
    type Key: Copy + Eq + Hash;

    /// This node's key.
    fn key(&self) -> Self::Key;
    /// The operands, in order (repeated when one is used twice); empty for
    /// a leaf.
    fn operands(&self) -> Vec<Self>;
    /// The record's first field (may be empty).
    fn label(&self) -> String;
    /// The operation's display name, `""` for a leaf.
    fn op(&self) -> Cow<'static, str>;
    /// The record's other fields, in order.
    fn fields(&self) -> Vec<String>;

    /// A small dense index (a slot number), when the engine has one: lets
    /// the summary of a huge graph use a flat table instead of hashing.
    fn dense_index(&self) -> Option<usize> {
        None
    }

    /// The nodes below and including this one, operands before results:
    /// an iterative depth-first walk unless the engine has its own.
    fn topo(&self) -> Vec<Self> {
        let mut seen: HashSet<Self::Key> = HashSet::new();
        let mut order = Vec::new();
        seen.insert(self.key());
        let mut stack = vec![(self.clone(), self.operands(), 0usize)];
        while let Some(top) = stack.last_mut() {
            if top.2 < top.1.len() {
                let child = top.1[top.2].clone();
                top.2 += 1;
                if seen.insert(child.key()) {
                    let grandchildren = child.operands();
                    stack.push((child, grandchildren, 0));
                }
                continue;
            }
            if let Some((node, _, _)) = stack.pop() {
                order.push(node);
            }
        }
        order
    }
}

impl<T: Scalar> Drawable for Value<T> {
    type Key = NodeId;

    fn key(&self) -> NodeId {
        self.id()
    }

    fn operands(&self) -> Vec<Self> {
        self.children()
    }

    fn label(&self) -> String {
        Value::label(self)
    }

    fn op(&self) -> Cow<'static, str> {
        Value::op(self)
    }

    fn fields(&self) -> Vec<String> {
        vec![
            format!("data {}", number(self.data().to_f64())),
            format!("grad {}", number(self.grad().to_f64())),
        ]
    }

    fn dense_index(&self) -> Option<usize> {
        Some(self.id().index())
    }

    fn topo(&self) -> Vec<Self> {
        Value::topo(self)
    }
}

/// Tensors of at most this many elements show every value in their record;
/// larger ones show their mean, minimum and maximum.
pub const TENSOR_VALUES_SHOWN: usize = 4;

impl<T: Float> Drawable for Tensor<T> {
    type Key = TensorId;

    fn key(&self) -> TensorId {
        self.id()
    }

    fn operands(&self) -> Vec<Self> {
        Tensor::operands(self)
    }

    fn label(&self) -> String {
        Tensor::label(self)
    }

    fn op(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.op_symbol())
    }

    /// `shape [2, 3]`, then `data ...` and `grad ...` as [`summary`] writes
    /// them (`grad none` before any reached it).
    fn fields(&self) -> Vec<String> {
        let data = summary(self.data().iter().map(|&v| Scalar::to_f64(v)));
        let grad = match self.grad() {
            Some(g) => summary(g.iter().map(|&v| Scalar::to_f64(v))),
            None => "none".to_string(),
        };
        vec![
            format!("shape {:?}", self.shape()),
            format!("data {data}"),
            format!("grad {grad}"),
        ]
    }
}

/// The values of a tensor in a record: one value as [`number`] writes it,
/// up to [`TENSOR_VALUES_SHOWN`] in brackets, more as their mean, minimum
/// and maximum (NaN wins both, as it would in PyTorch).
///
/// ```
/// use ferrograd_viz::summary;
/// assert_eq!(summary([0.5]), "0.5000");
/// assert_eq!(summary([1.0, -2.0]), "[1.0000, -2.0000]");
/// assert_eq!(summary([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), "mean 3.5000 min 1.0000 max 6.0000");
/// assert_eq!(summary([]), "[]");
/// ```
pub fn summary(values: impl IntoIterator<Item = f64>) -> String {
    let values: Vec<f64> = values.into_iter().collect();
    match values.len() {
        1 => number(values[0]),
        n if n <= TENSOR_VALUES_SHOWN => {
            let shown: Vec<String> = values.iter().map(|&v| number(v)).collect();
            format!("[{}]", shown.join(", "))
        }
        n => {
            let nan = values.iter().any(|v| v.is_nan());
            let (min, max) = if nan {
                (f64::NAN, f64::NAN)
            } else {
                values
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    })
            };
            let mean = values.iter().sum::<f64>() / n as f64;
            format!(
                "mean {} min {} max {}",
                number(mean),
                number(min),
                number(max)
            )
        }
    }
}
