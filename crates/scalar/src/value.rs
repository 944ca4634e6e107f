//! `Value<T>`: a cheap handle to one recorded scalar.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use crate::op::{Id, Kind, Op};
use crate::tape::{Release, TapeStats};
use crate::{Binary, Scalar, Unary};

/// `record!(T, op)`: records the [`Op`](crate::op::Op) `op` on `T`'s tape.
///
/// A macro, not a function, so that each operator gets its own copy of the
/// recording code with the operation known at compile time (its value rule
/// inlined, no dispatch); a shared `record(op)` function would read the
/// operation at run time.
macro_rules! record {
    ($t:ty, $op:expr) => {{
        $crate::value::Value::<$t>::from_id(<$t as $crate::scalar::sealed::Sealed>::record(
            // Built inside the closure, so that the operation is a constant
            // of each operator's closure body: built outside and captured,
            // it is data, every operator's closure compiles to the same
            // code, and the copies are merged into one that dispatches on
            // the operation at run time.
            move || -> $crate::op::Op<$t> { $op },
        ))
    }};
}

/// The named method of each [`Unary`] function (`x.tanh()`, ...), each
/// recording its function fixed at compile time, as `record!` explains.
macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $variant:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Self {
                record!(T, Op::Unary(Unary::$variant, self.id))
            }
        )*
    };
}
pub(crate) use record;

/// A scalar that remembers how it was computed, micrograd's `Value`.
///
/// A `Value` is a 4-byte handle into its thread's tape: cloning it never copies
/// the graph, and the nodes it depends on live as long as some handle needs
/// them. Values are neither `Send` nor `Sync`; a graph belongs to the thread
/// that built it, so values from two threads can never be mixed (the compiler
/// refuses it).
///
/// Because a graph cannot cross threads, moving a value to another thread
/// does not compile:
///
/// ```compile_fail
/// let v = ferrograd_scalar::Value::new(1.0f64);
/// std::thread::spawn(move || v.data());
/// ```
///
/// The notebook's first graph, `L = (a * b + c) * f`:
///
/// ```
/// use ferrograd_scalar::Value;
///
/// let a = Value::new(2.0).with_label("a");
/// let b = Value::new(-3.0).with_label("b");
/// let c = Value::new(10.0).with_label("c");
/// let f = Value::new(-2.0).with_label("f");
/// let l = (&a * &b + &c) * &f;
/// l.backward();
/// assert_eq!(l.data(), -8.0);
/// assert_eq!(a.grad(), 6.0); // dL/da = f * b
/// assert_eq!(f.grad(), 4.0); // dL/df = a * b + c
/// ```
pub struct Value<T: Scalar> {
    id: Id,
    /// `*const ()` keeps the handle on its own thread: the tape is thread-local.
    _thread: PhantomData<(T, *const ())>,
}

/// Identity of a node: equal for two handles to the same node, never for two
/// nodes with equal contents. Valid while some handle keeps the node alive:
/// the tape reuses a freed node's slot, so its index is not part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The node's slot on its thread's tape: slots are dense, so a table
    /// indexed by them is cheaper than a map (as in `ferrograd-viz`'s graph
    /// summary). A freed node's slot goes to a later node, so an index means
    /// this node only while a handle keeps it alive.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl<T: Scalar> Value<T> {
    /// Wraps an id whose handle reference the caller already counted.
    #[inline(always)]
    pub(crate) fn from_id(id: Id) -> Self {
        Value {
            id,
            _thread: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn id_raw(&self) -> Id {
        self.id
    }

    /// A new leaf holding `data`, with gradient zero.
    #[inline]
    pub fn new(data: T) -> Self {
        Self::from_id(T::with_tape(|t| {
            t.safe_point();
            t.leaf(data)
        }))
    }

    /// Gives this value a label (shown in graph pictures) and returns it.
    pub fn with_label(self, label: impl Into<String>) -> Self {
        self.set_label(label);
        self
    }

    /// Changes the label of an existing value (the notebook's `e.label = 'e'`).
    pub fn set_label(&self, label: impl Into<String>) {
        let label = label.into();
        T::with_tape(|t| t.set_label(self.id, label));
    }

    /// The label, empty when none was set.
    pub fn label(&self) -> String {
        T::with_tape(|t| t.label(self.id).to_owned())
    }

    /// The value.
    #[inline]
    pub fn data(&self) -> T {
        T::with_tape(|t| t.node(self.id).data)
    }

    /// d root / d self from the last `backward()` that reached this node.
    #[inline]
    pub fn grad(&self) -> T {
        T::with_tape(|t| t.node(self.id).grad)
    }

    /// Overwrites the value (a gradient-descent update, or new inputs before
    /// [`Value::recompute`]). Nodes computed from it keep their old value
    /// until recomputed or rebuilt.
    #[inline]
    pub fn set_data(&self, data: T) {
        T::with_tape(|t| t.node_mut(self.id).data = data);
    }

    /// Overwrites the gradient (the notebook's manual backpropagation).
    #[inline]
    pub fn set_grad(&self, grad: T) {
        T::with_tape(|t| t.node_mut(self.id).grad = grad);
    }

    /// The operation that made this value: `""` for a leaf, else `+`, `-`,
    /// `*`, `/`, `**`, `neg`, `tanh`, `exp`, `ln`, `sigmoid`, `ReLU`, `sqrt`,
    /// `abs`, `sin`, `cos`, `log1p`, `expm1` (each [`Unary::symbol`]),
    /// `**n` for a constant exponent, or `dot` for a neuron's weighted sum.
    pub fn op(&self) -> Cow<'static, str> {
        T::with_tape(|t| {
            let node = t.node(self.id);
            let b = if node.kind.arity() > 1 {
                t.node(node.b).data
            } else {
                T::zero()
            };
            node.kind.name(b, node.n())
        })
    }

    /// The operands this value was computed from (micrograd's `_prev`), in
    /// operand order; empty for a leaf. `a + a` lists `a` twice; a neuron's
    /// `dot` lists `b, w0, x0, w1, x1, ...`.
    pub fn children(&self) -> Vec<Value<T>> {
        T::with_tape(|t| {
            let node = *t.node(self.id);
            let ids: Vec<Id> = if node.kind == Kind::DOT {
                t.dot_operands(self.id).to_vec()
            } else {
                [node.a, node.b][..node.kind.inputs()].to_vec()
            };
            for &c in &ids {
                t.retain(c);
            }
            ids.into_iter().map(Value::from_id).collect()
        })
    }

    /// Whether this value is a leaf (made by [`Value::new`], not by an operation).
    pub fn is_leaf(&self) -> bool {
        T::with_tape(|t| t.node(self.id).is_leaf())
    }

    /// This node's identity: two handles to one node have the same id.
    pub fn id(&self) -> NodeId {
        NodeId(self.id)
    }

    /// Backpropagation from this value: sets `d self / d self = 1` and fills
    /// the gradient of every node it depends on, each node's rule applied
    /// once, newest node first, with no recursion (a chain of a million nodes
    /// is fine).
    ///
    /// A node used twice gets both contributions. Calling `backward()` again
    /// adds the new gradients into the leaves, as PyTorch does; operation
    /// nodes show the latest call's gradient. Use [`Value::zero_grad`] (or an
    /// optimiser's) between steps.
    ///
    /// ```
    /// use ferrograd_scalar::Value;
    /// let a = Value::new(3.0);
    /// let b = &a + &a;
    /// b.backward();
    /// assert_eq!(a.grad(), 2.0);
    /// b.backward();
    /// assert_eq!(a.grad(), 4.0); // leaves accumulate
    /// ```
    pub fn backward(&self) {
        T::with_tape(|t| t.backward(self.id));
    }

    /// Applies only this node's local chain rule, adding `self.grad() * local
    /// derivative` into each operand's gradient: the notebook's `_backward()`,
    /// for backpropagating by hand one node at a time.
    ///
    /// ```
    /// use ferrograd_scalar::Value;
    /// let n = Value::new(0.5f64);
    /// let o = n.tanh();
    /// o.set_grad(1.0);
    /// o.backward_step();
    /// assert!((n.grad() - (1.0 - o.data().powi(2))).abs() < 1e-15);
    /// ```
    pub fn backward_step(&self) {
        T::with_tape(|t| t.backward_step(self.id));
    }

    /// The nodes this value depends on, itself last, in a topological order
    /// (every node after its operands): the notebook's `build_topo`.
    pub fn topo(&self) -> Vec<Value<T>> {
        T::with_tape(|t| {
            let ids = t.reachable(self.id);
            let out = ids
                .iter()
                .rev()
                .map(|&id| {
                    t.retain(id);
                    Value::from_id(id)
                })
                .collect();
            t.recycle(ids);
            out
        })
    }

    /// Sets the gradient of this value and of every node it depends on to zero.
    pub fn zero_grad(&self) {
        T::with_tape(|t| t.zero_grad(self.id));
    }

    /// Recomputes this value and every node it depends on from the current
    /// leaf values, without building new nodes: replay a recorded graph on
    /// new inputs or updated weights (set them with [`Value::set_data`]).
    ///
    /// ```
    /// use ferrograd_scalar::Value;
    /// let x = Value::new(2.0);
    /// let y = &x * &x + 1.0;
    /// x.set_data(3.0);
    /// y.recompute();
    /// assert_eq!(y.data(), 10.0);
    /// ```
    pub fn recompute(&self) {
        T::with_tape(|t| t.recompute(self.id));
    }

    /// Occupancy of this thread's tape for `T`: how many nodes are stored.
    /// Runs a collection first (one pass over the live chunks), so the
    /// figures count only what some handle can still reach.
    pub fn tape_stats() -> TapeStats {
        T::with_tape(|t| t.stats())
    }

    unary_methods! {
        /// `tanh(self)`; derivative `1 - tanh(x)^2` (formed from `exp(-2|x|)`
        /// where `tanh(x)` has rounded towards ±1, so it stays accurate).
        tanh => Tanh;
        /// `e^self`; derivative `e^x`.
        exp => Exp;
        /// Natural logarithm; derivative `1 / x`.
        ln => Ln;
        /// `1 / (1 + e^-self)`; derivative `s (1 - s)`.
        sigmoid => Sigmoid;
        /// `max(self, 0)` (NaN stays NaN); derivative 1 where the output is
        /// positive, else 0 (PyTorch's choice at 0).
        relu => Relu;
        /// Square root; derivative `1 / (2 sqrt x)`.
        sqrt => Sqrt;
        /// `|self|`; derivative `sgn(x)`, 0 at ±0 and at NaN (PyTorch's choice).
        ///
        /// ```
        /// use ferrograd_scalar::Value;
        /// let x = Value::new(-3.0f64);
        /// let y = x.abs();
        /// y.backward();
        /// assert_eq!((y.data(), x.grad()), (3.0, -1.0));
        /// ```
        abs => Abs;
        /// `sin(self)`; derivative `cos x`.
        sin => Sin;
        /// `cos(self)`; derivative `-sin x`.
        cos => Cos;
        /// `ln(1 + self)`, accurate for small `x` where `(1 + x).ln()` loses
        /// digits; derivative `1 / (1 + x)`.
        log1p => Log1p;
        /// `e^self - 1`, accurate for small `x`; derivative `e^x`, computed as
        /// such (PyTorch's `out + 1` is 0 once `out` has rounded to -1, from
        /// x < -37 in `f64`).
        ///
        /// ```
        /// use ferrograd_scalar::Value;
        /// let x = Value::new(-40.0f64);
        /// let y = x.expm1();
        /// y.backward();
        /// assert_eq!(y.data(), -1.0);
        /// assert_eq!(x.grad(), (-40.0f64).exp());
        /// ```
        expm1 => Expm1;
    }

    /// `f(self)` for any elementwise function of one operand: the method of
    /// that name (`x.unary(Unary::Tanh)` is `x.tanh()`), chosen at run time.
    ///
    /// ```
    /// use ferrograd_scalar::{Unary, Value};
    /// let x = Value::new(0.5f64);
    /// for &f in Unary::ALL {
    ///     assert_eq!(x.unary(f).data(), f.value(0.5));
    /// }
    /// ```
    pub fn unary(&self, f: Unary) -> Self {
        record!(T, Op::Unary(f, self.id))
    }

    /// `f(self, rhs)` for any elementwise function of two operands
    /// (`x.binary(Binary::Add, &y)` is `&x + &y`), chosen at run time.
    pub fn binary(&self, f: Binary, rhs: &Value<T>) -> Self {
        record!(T, Op::Binary(f, self.id, rhs.id))
    }

    /// `self^n` for a constant integer `n`; derivative `n x^(n-1)`.
    pub fn powi(&self, n: i32) -> Self {
        record!(T, Op::Powi(self.id, n))
    }

    /// `self^e` for a constant `e`; derivative `e x^(e-1)`.
    pub fn powf(&self, e: T) -> Self {
        record!(T, Op::Powf(self.id, e))
    }

    /// `self^exponent` where both are values; derivatives `b a^(b-1)` and
    /// `a^b ln a`.
    pub fn pow(&self, exponent: &Value<T>) -> Self {
        record!(T, Op::Binary(Binary::Pow, self.id, exponent.id))
    }
}

impl<T: Scalar> Clone for Value<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        T::with_tape(|t| t.retain(self.id));
        Value::from_id(self.id)
    }
}

impl<T: Scalar> Drop for Value<T> {
    #[inline(always)]
    fn drop(&mut self) {
        T::release(Release::Handle(self.id));
    }
}

impl<T: Scalar> From<T> for Value<T> {
    fn from(data: T) -> Self {
        Value::new(data)
    }
}

impl<T: Scalar> fmt::Debug for Value<T> {
    /// micrograd's repr: `Value(data=2.0, grad=0.0)`, with the label if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.label();
        if label.is_empty() {
            write!(f, "Value(data={:?}, grad={:?})", self.data(), self.grad())
        } else {
            write!(
                f,
                "Value(data={:?}, grad={:?}, label={label:?})",
                self.data(),
                self.grad()
            )
        }
    }
}

// `Display` (micrograd's repr, documented) lives in display.rs.
