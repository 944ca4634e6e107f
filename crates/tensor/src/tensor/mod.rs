//! [`Tensor`]: batched reverse-mode autodiff on `ndarray`, the scalar
//! engine's `Value` lifted to arrays.
//!
//! Each operation computes its result at once and, when an operand needs a
//! gradient, records itself with its operands; [`Tensor::backward`] walks
//! that graph back in topological order (iteratively, so chains of any
//! length work) and leaves every gradient in [`Tensor::grad`]. Elementwise
//! values and slopes are the scalar engine's [`Unary`] and [`Binary`] rules,
//! so both engines compute each element identically.
//!
//! Operations follow NumPy/PyTorch broadcasting; the gradient of a broadcast
//! operand is summed back to its own shape.
//!
//! # Errors and panics
//!
//! Every fallible operation has a method returning
//! `Result<Tensor<T>, AutogradError>` (`try_add`, `matmul`, `sum_axis`, ...),
//! whose error names the shapes or the axis involved. The operators
//! (`a + b`, `&a * 2.0`, `-a`) cannot return a `Result`: like PyTorch, they
//! panic, with that same message, when shapes do not broadcast. NaN and
//! infinities propagate as IEEE arithmetic does.
//!
//! # Threads
//!
//! A tensor shares its graph through `Rc` and `RefCell`, so it is neither
//! `Send` nor `Sync`; move data between threads as `ndarray` arrays
//! ([`Tensor::to_array`], [`Tensor::from_array`]).

mod backward;
mod broadcast;
mod error;
mod grad_mode;
mod graph;
pub mod nn;
mod ops;

use std::cell::Ref;
use std::fmt;
use std::rc::Rc;

use ndarray::{ArrayD, IxDyn};
use rand::Rng;
use rand_distr::{Distribution, Normal};

#[allow(unused_imports)] // named in the docs
use ferrograd_scalar::{Binary, Unary};

pub use broadcast::broadcast_shape;
pub use error::AutogradError;
pub use grad_mode::{no_grad, NoGradGuard};

use crate::Float;
use graph::{Node, Op};

/// A tensor of `f32` or `f64` that records the operations made from it.
///
/// Cloning a `Tensor` clones the handle, not the data: both handles are the
/// same node of the graph (as two Python names for one `torch.Tensor`).
///
/// The notebook's neuron, in tensor form:
///
/// ```
/// use ferrograd_tensor::Tensor;
///
/// let x1 = Tensor::param([2.0f64]);
/// let x2 = Tensor::param([0.0]);
/// let w1 = Tensor::param([-3.0]);
/// let w2 = Tensor::param([1.0]);
/// let b = Tensor::param([6.881373587019543]);
/// let n = &x1 * &w1 + &x2 * &w2 + &b;
/// let o = n.tanh();
/// assert!((o.item().unwrap() - 0.7071067811865476).abs() < 1e-15);
/// o.backward().unwrap();
/// assert!((x1.grad().unwrap()[0] - -1.5).abs() < 1e-12);
/// assert!((w1.grad().unwrap()[0] - 1.0).abs() < 1e-12);
/// ```
pub struct Tensor<T: Float> {
    node: Rc<Node<T>>,
}

impl<T: Float> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor {
            node: Rc::clone(&self.node),
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A constant (no gradient) holding `array`, of any dimensionality.
    pub fn from_array<D: ndarray::Dimension>(array: ndarray::Array<T, D>) -> Self {
        Tensor::make(array.into_dyn(), false, Op::Leaf)
    }

    /// A constant of `shape` filled row-major from `data`; an error when
    /// `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    /// assert_eq!(t.shape(), vec![2, 3]);
    /// assert!(Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).is_err());
    /// ```
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self, AutogradError> {
        let len = data.len();
        let array =
            ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|_| AutogradError::DataLength {
                len,
                shape: shape.to_vec(),
            })?;
        Ok(Tensor::from_array(array))
    }

    /// A 0-dimensional constant (shape `[]`), as `torch.tensor(3.0)`.
    pub fn scalar(value: T) -> Self {
        Tensor::from_array(ndarray::arr0(value))
    }

    /// A constant of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor::from_array(ArrayD::zeros(IxDyn(shape)))
    }

    /// A constant of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Tensor::from_array(ArrayD::ones(IxDyn(shape)))
    }

    /// A constant filled with `value`.
    pub fn full(shape: &[usize], value: T) -> Self {
        Tensor::from_array(ArrayD::from_elem(IxDyn(shape), value))
    }

    /// A constant with values uniform in `[low, high)`, drawn row-major as
    /// `f64` from `rng` (then rounded to `T`), so a seed fixes the tensor.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    /// let t = Tensor::<f64>::uniform(&[3, 4], -1.0, 1.0, &mut rng);
    /// assert!(t.to_array().iter().all(|&v| (-1.0..1.0).contains(&v)));
    /// ```
    pub fn uniform(shape: &[usize], low: f64, high: f64, rng: &mut impl Rng) -> Self {
        let array =
            ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from_f64(rng.random_range(low..high)));
        Tensor::from_array(array)
    }

    /// A constant with values normal with `mean` and standard deviation
    /// `std`, drawn row-major as `f64` from `rng`. A negative or non-finite
    /// `std` gives NaN values.
    pub fn normal(shape: &[usize], mean: f64, std: f64, rng: &mut impl Rng) -> Self {
        let dist = Normal::new(mean, std).ok();
        let array = ArrayD::from_shape_simple_fn(IxDyn(shape), || match &dist {
            Some(d) => T::from_f64(d.sample(rng)),
            None => T::nan(),
        });
        Tensor::from_array(array)
    }

    /// A parameter: a leaf that collects a gradient, from anything
    /// [`Tensor::from`] takes (`Tensor::param([[1.0, 2.0]])`).
    pub fn param(value: impl Into<Tensor<T>>) -> Self {
        value.into().requires_grad(true)
    }

    /// A leaf holding this tensor's values that collects a gradient (`true`)
    /// or is a constant (`false`), as `torch.Tensor.requires_grad_`. The
    /// result is a new leaf: it remembers no operation.
    pub fn requires_grad(self, on: bool) -> Self {
        if self.node.requires_grad == on && matches!(self.node.op, Op::Leaf) {
            return self;
        }
        let data = self.node.data.borrow().clone();
        Tensor::make(data, on, Op::Leaf)
    }

    /// Whether a gradient flows to this tensor.
    pub fn needs_grad(&self) -> bool {
        self.node.requires_grad
    }

    /// Whether this tensor is a leaf (a parameter or a constant), not the
    /// recorded result of an operation.
    pub fn is_leaf(&self) -> bool {
        matches!(self.node.op, Op::Leaf)
    }

    /// The same values as a constant that remembers nothing (`detach()`).
    /// The data is copied, so updating one does not change the other.
    pub fn detach(&self) -> Self {
        Tensor::make(self.node.data.borrow().clone(), false, Op::Leaf)
    }

    /// The shape, e.g. `[2, 3]`; `[]` for a 0-dimensional tensor.
    pub fn shape(&self) -> Vec<usize> {
        self.node.data.borrow().shape().to_vec()
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.node.data.borrow().ndim()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.node.data.borrow().len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The only element; an error naming the shape unless there is exactly one.
    pub fn item(&self) -> Result<T, AutogradError> {
        let data = self.node.data.borrow();
        match data.len() {
            1 => Ok(*data.iter().next().unwrap_or(&T::nan())),
            _ => Err(AutogradError::NotOneElement {
                op: "item",
                shape: data.shape().to_vec(),
            }),
        }
    }

    /// The values, borrowed (deref to an `ndarray::ArrayD`). Drop the
    /// borrow before updating the tensor's data.
    pub fn data(&self) -> Ref<'_, ArrayD<T>> {
        self.node.data.borrow()
    }

    /// A copy of the values.
    pub fn to_array(&self) -> ArrayD<T> {
        self.node.data.borrow().clone()
    }

    /// The values as a flat row-major `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.node.data.borrow().iter().copied().collect()
    }

    /// The gradient the last backward passes left here (they accumulate,
    /// as in PyTorch), or `None` when none reached it since the last
    /// [`Tensor::zero_grad`].
    pub fn grad(&self) -> Option<ArrayD<T>> {
        self.node.grad.borrow().clone()
    }

    /// Forgets the gradient (PyTorch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        *self.node.grad.borrow_mut() = None;
    }

    /// Changes the values in place through `f` (what an optimiser does to a
    /// parameter); the graph already recorded from this tensor is not
    /// recomputed. Panics if `f` changes the shape.
    pub fn update_data(&self, f: impl FnOnce(&mut ArrayD<T>)) {
        let mut data = self.node.data.borrow_mut();
        let shape = data.raw_dim();
        f(&mut data);
        // Recorded operations and gradients rely on the shape.
        assert_eq!(
            data.raw_dim(),
            shape,
            "Tensor::update_data must keep the shape"
        );
    }

    /// Runs `f` on the values (mutable) and the gradient, if any: one
    /// parameter's view for an optimiser step.
    pub fn with_data_and_grad<R>(
        &self,
        f: impl FnOnce(&mut ArrayD<T>, Option<&ArrayD<T>>) -> R,
    ) -> R {
        let mut data = self.node.data.borrow_mut();
        let grad = self.node.grad.borrow();
        f(&mut data, grad.as_ref())
    }

    /// PyTorch's name of the operation that made this tensor (`"matmul"`,
    /// `"tanh"`, ...), or `""` for a leaf.
    pub fn op_name(&self) -> &'static str {
        self.node.op.name()
    }

    /// The operation as pictures show it: micrograd's symbols for
    /// elementwise arithmetic (`+ - * / **`), else [`Tensor::op_name`];
    /// `""` for a leaf.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let a = Tensor::param([1.0f64, 2.0]);
    /// assert_eq!(((&a * 2.0).op_name(), (&a * 2.0).op_symbol()), ("mul", "*"));
    /// assert_eq!(a.tanh().op_symbol(), "tanh");
    /// ```
    pub fn op_symbol(&self) -> &'static str {
        self.node.op.symbol()
    }

    /// Whether two handles are the same node.
    pub fn same_node(&self, other: &Tensor<T>) -> bool {
        Rc::ptr_eq(&self.node, &other.node)
    }

    /// The tensors this one was computed from, in the operation's order (a
    /// tensor used twice, as in `&a * &a`, is listed twice); empty for a
    /// leaf. What micrograd's `_prev` is to a `Value`, read by pictures.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let a = Tensor::param([1.0f64, 2.0]);
    /// let b = Tensor::from([3.0, 4.0]);
    /// let c = &a * &b;
    /// assert_eq!(c.op_name(), "mul");
    /// let operands = c.operands();
    /// assert!(operands[0].same_node(&a) && operands[1].same_node(&b));
    /// assert!(a.operands().is_empty());
    /// ```
    pub fn operands(&self) -> Vec<Tensor<T>> {
        self.node.op.operands().cloned().collect()
    }

    /// An identity for this node, equal for every handle of it and distinct
    /// from every other live tensor's (a freed node's may be reused): a key
    /// for walking a graph that shares operands.
    pub fn id(&self) -> TensorId {
        TensorId(Rc::as_ptr(&self.node) as usize)
    }

    /// The tensor's name in pictures (`""` when none was given).
    pub fn label(&self) -> String {
        self.node.label.borrow().clone()
    }

    /// Names this node (every handle of it sees the name) and returns the
    /// handle, for building and naming in one expression, as
    /// `Value::with_label` does.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let w = Tensor::param([[1.0f64, 2.0]]).with_label("w");
    /// let y = (&w * 2.0).with_label("y");
    /// assert_eq!((w.label(), y.label()), ("w".to_string(), "y".to_string()));
    /// ```
    pub fn with_label(self, label: impl Into<String>) -> Self {
        self.set_label(label);
        self
    }

    /// Names this node after it was made (the notebook labels that way).
    pub fn set_label(&self, label: impl Into<String>) {
        *self.node.label.borrow_mut() = label.into();
    }
}

/// A tensor node's identity, from [`Tensor::id`]: equal for two handles of
/// one node, hashable, and meaningful only while that node is alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(usize);

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Tensor");
        s.field("data", &*self.node.data.borrow());
        if self.node.requires_grad {
            s.field("requires_grad", &true);
        }
        if !self.is_leaf() {
            s.field("op", &self.op_name());
        }
        let label = self.node.label.borrow();
        if !label.is_empty() {
            s.field("label", &*label);
        }
        s.finish()
    }
}

impl<T: Float, D: ndarray::Dimension> From<ndarray::Array<T, D>> for Tensor<T> {
    fn from(array: ndarray::Array<T, D>) -> Self {
        Tensor::from_array(array)
    }
}

impl<T: Float> From<Vec<T>> for Tensor<T> {
    /// A 1-D constant.
    fn from(v: Vec<T>) -> Self {
        Tensor::from_array(ndarray::Array1::from(v))
    }
}

impl<T: Float, const N: usize> From<[T; N]> for Tensor<T> {
    /// A 1-D constant, `torch.tensor([1.0, 2.0])`.
    fn from(v: [T; N]) -> Self {
        Tensor::from_array(ndarray::Array1::from(v.to_vec()))
    }
}

impl<T: Float, const M: usize, const N: usize> From<[[T; N]; M]> for Tensor<T> {
    /// A 2-D constant of shape `[M, N]`, `torch.tensor([[1, 2, 3], [4, 5, 6]])`.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let t = Tensor::<f64>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(t.shape(), vec![2, 3]);
    /// ```
    fn from(v: [[T; N]; M]) -> Self {
        Tensor::from_array(ndarray::Array2::from(v.to_vec()))
    }
}

impl<T: Float> From<T> for Tensor<T> {
    /// A 0-dimensional constant.
    fn from(v: T) -> Self {
        Tensor::scalar(v)
    }
}
