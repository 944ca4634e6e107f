//! The seed notebook's numbers, written once for the notebook page, the
//! tests, the benches, the examples and the libtorch oracle.
//!
//! Plain numbers only: each engine builds its own graph from them, so the
//! arithmetic a test checks stays in the test.
//!
//! ```
//! use ferrograd_data::notebook::{Neuron, NEURON, NEURON_OUT};
//!
//! let Neuron { x1, x2, w1, w2, b } = NEURON;
//! let o = (x1 * w1 + x2 * w2 + b).tanh();
//! assert!((o - NEURON_OUT.o).abs() < 1e-15);
//! ```

/// The neuron of sections 6 to 11, `o = tanh(x1*w1 + x2*w2 + b)`: one
/// field per leaf (their values, their gradients, or the engine's handles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Neuron<T> {
    /// First input.
    pub x1: T,
    /// Second input.
    pub x2: T,
    /// Weight of `x1`.
    pub w1: T,
    /// Weight of `x2`.
    pub w2: T,
    /// Bias.
    pub b: T,
}

impl<T> Neuron<T> {
    /// The leaves' labels, in field order, as the notebook labels them.
    pub const LABELS: [&'static str; 5] = ["x1", "x2", "w1", "w2", "b"];

    /// Makes each leaf from its label and value: with
    /// `|label, x| Value::new(x).with_label(label)` the notebook's leaves.
    ///
    /// ```
    /// use ferrograd_data::notebook::NEURON;
    /// let named = NEURON.map(|label, x| format!("{label}={x}"));
    /// assert_eq!(named.w1, "w1=-3");
    /// ```
    pub fn map<U>(self, mut leaf: impl FnMut(&'static str, T) -> U) -> Neuron<U> {
        let [x1, x2, w1, w2, b] = Self::LABELS;
        Neuron {
            x1: leaf(x1, self.x1),
            x2: leaf(x2, self.x2),
            w1: leaf(w1, self.w1),
            w2: leaf(w2, self.w2),
            b: leaf(b, self.b),
        }
    }

    /// The leaves in field order (the order of [`Neuron::LABELS`]).
    pub fn to_array(self) -> [T; 5] {
        [self.x1, self.x2, self.w1, self.w2, self.b]
    }
}

/// The neuron's numbers. `b` makes `n = atanh(1/sqrt 2)`, so that
/// `o = 1/sqrt 2` and the gradients come out round.
pub const NEURON: Neuron<f64> = Neuron {
    x1: 2.0,
    x2: 0.0,
    w1: -3.0,
    w2: 1.0,
    b: 6.881_373_587_019_543,
};

/// The neuron's output and the gradients of its leaves after `o.backward()`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NeuronOut {
    /// `o.data`.
    pub o: f64,
    /// `do/dleaf` for every leaf.
    pub grad: Neuron<f64>,
}

/// What PyTorch prints for the neuron (float64): `o = 0.7071067811865476`,
/// `x1.grad = -1.5`, `w1.grad = 1.0`, `x2.grad = 0.5`, `w2.grad = 0.0`.
pub const NEURON_OUT: NeuronOut = NeuronOut {
    o: std::f64::consts::FRAC_1_SQRT_2,
    grad: Neuron {
        x1: -1.5,
        x2: 0.5,
        w1: 1.0,
        w2: 0.0,
        b: 0.5,
    },
};

/// The expression of sections 3 and 4, `L = (a*b + c) * f`: one field per
/// leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Expression<T> {
    /// `a`.
    pub a: T,
    /// `b`.
    pub b: T,
    /// `c`.
    pub c: T,
    /// `f`.
    pub f: T,
}

impl<T> Expression<T> {
    /// The leaves' labels, in field order.
    pub const LABELS: [&'static str; 4] = ["a", "b", "c", "f"];

    /// Makes each leaf from its label and value (see [`Neuron::map`]).
    pub fn map<U>(self, mut leaf: impl FnMut(&'static str, T) -> U) -> Expression<U> {
        let [a, b, c, f] = Self::LABELS;
        Expression {
            a: leaf(a, self.a),
            b: leaf(b, self.b),
            c: leaf(c, self.c),
            f: leaf(f, self.f),
        }
    }
}

/// The expression's numbers: `a = 2, b = -3, c = 10, f = -2`, so `L = -8`.
pub const EXPRESSION: Expression<f64> = Expression {
    a: 2.0,
    b: -3.0,
    c: 10.0,
    f: -2.0,
};

/// Section 10's operands used twice, `f = (a*b) * (a+b)`: `[a, b]`.
pub const SHARED_OPERANDS: [f64; 2] = [-2.0, 3.0];

/// The input the notebook feeds `Neuron(3)`, `Layer(3, 3)` and
/// `MLP(3, [4, 4, 1])`: `x = [2.0, 3.0, -1.0]`.
pub const X: [f64; 3] = [2.0, 3.0, -1.0];

/// The MLP's layer sizes after its 3 inputs, `MLP(3, [4, 4, 1])`.
pub const MLP_SIZES: [usize; 3] = [4, 4, 1];

/// The MLP section's four examples, `xs`.
pub const XS: [[f64; 3]; 4] = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
];

/// The desired targets, `ys`, one per row of [`XS`].
pub const YS: [f64; 4] = [1.0, -1.0, -1.0, 1.0];

/// The seed of the generator the weights are drawn from (Python's are
/// unseeded; a fixed seed makes every run print the same numbers).
pub const SEED: u64 = 1337;

/// The training loop's step size.
pub const LEARNING_RATE: f64 = 0.05;

/// The training loop's number of steps.
pub const STEPS: usize = 20;

/// The file the libtorch oracle writes its run of the PyTorch cell to, in
/// the notebook's output folder.
pub const ORACLE_FILE: &str = "torch.json";

/// The libtorch oracle's run of the notebook's PyTorch cell: written by the
/// parity binary, read by the notebook page, in one format.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OracleNeuron {
    /// Where libtorch ran (`cpu`).
    pub device: String,
    /// The output and gradients it printed.
    pub out: NeuronOut,
}

#[cfg(feature = "serde")]
impl OracleNeuron {
    /// The text of [`ORACLE_FILE`].
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain numbers and a string always serialize")
    }

    /// Reads the text of [`ORACLE_FILE`].
    ///
    /// ```
    /// use ferrograd_data::notebook::{OracleNeuron, NEURON_OUT};
    /// let run = OracleNeuron { device: "cpu".into(), out: NEURON_OUT };
    /// assert_eq!(OracleNeuron::from_json(&run.to_json()).unwrap(), run);
    /// assert!(OracleNeuron::from_json("{}").is_err());
    /// ```
    pub fn from_json(text: &str) -> Result<Self, crate::DataError> {
        serde_json::from_str(text).map_err(|e| crate::DataError::BadOracleFile(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_numbers_give_what_pytorch_prints() {
        let Neuron { x1, x2, w1, w2, b } = NEURON;
        let o = (x1 * w1 + x2 * w2 + b).tanh();
        assert!((o - NEURON_OUT.o).abs() < 1e-15);
        let dn = 1.0 - o * o;
        let want = Neuron {
            x1: dn * w1,
            x2: dn * w2,
            w1: dn * x1,
            w2: dn * x2,
            b: dn,
        };
        for (got, want) in NEURON_OUT.grad.to_array().into_iter().zip(want.to_array()) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
        let Expression { a, b, c, f } = EXPRESSION;
        assert_eq!((a * b + c) * f, -8.0);
        assert_eq!(XS[0], X);
        assert_eq!(XS.len(), YS.len());
    }
}
