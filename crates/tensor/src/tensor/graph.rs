//! The recorded graph: each tensor's node holds its value, its gradient and
//! the operation (with its operands) that made it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ferrograd_scalar::{Binary, Unary};
use ndarray::ArrayD;

use super::grad_mode::recording;
use super::Tensor;
use crate::Float;

/// One tensor's storage. Operands are held by `Rc`, so a result keeps its
/// whole history alive, as PyTorch's autograd graph does, and frees it when
/// the last handle goes.
pub(crate) struct Node<T: Float> {
    pub(crate) data: RefCell<ArrayD<T>>,
    pub(crate) grad: RefCell<Option<ArrayD<T>>>,
    pub(crate) requires_grad: bool,
    pub(crate) op: Op<T>,
    /// A name for pictures and debugging (`""` when none was given).
    pub(crate) label: RefCell<String>,
    /// The backward pass that last visited this node, and its place in that
    /// pass's order: marks instead of a hash set.
    pub(crate) visit: Cell<u64>,
    pub(crate) index: Cell<usize>,
}

/// How a node was computed, with what its backward rule reads.
pub(crate) enum Op<T: Float> {
    /// A leaf: a parameter or a constant.
    Leaf,
    /// `u(a)` elementwise.
    Unary(Unary, Tensor<T>),
    /// `f(a, b)` elementwise with broadcasting.
    Binary(Binary, Tensor<T>, Tensor<T>),
    /// `f(a, c)`, or `f(c, a)` when `left`, elementwise with a plain float
    /// `c`, which (as in PyTorch) is not a node of the graph.
    Scalar {
        f: Binary,
        a: Tensor<T>,
        c: T,
        left: bool,
    },
    /// Matrix product (2-D, batched 3-D, or 3-D by 2-D).
    MatMul(Tensor<T>, Tensor<T>),
    /// `bias + a @ b` for 2-D `a` and `b` (PyTorch's `addmm`): a layer's
    /// affine map as one node, the product accumulated onto the bias.
    AddMm {
        bias: Tensor<T>,
        a: Tensor<T>,
        b: Tensor<T>,
    },
    /// The sum of the elementwise products of two tensors of one shape.
    Dot(Tensor<T>, Tensor<T>),
    /// The sum of any number of tensors of one shape (TensorFlow's
    /// `add_n`): one node instead of a chain of additions.
    AddN(Vec<Tensor<T>>),
    /// Sum over all elements or one axis, times `scale` (1, or 1/n for a mean).
    Sum {
        a: Tensor<T>,
        axis: Option<usize>,
        keepdim: bool,
        scale: T,
    },
    /// Maximum over one axis; `argmax` (the output's shape without the
    /// axis) holds each output's winning index along the axis.
    Max {
        a: Tensor<T>,
        axis: usize,
        // Boxed: the largest field of any operation, kept out of every node.
        argmax: Box<ArrayD<usize>>,
    },
    /// Same elements, another shape.
    Reshape(Tensor<T>),
    /// Two axes swapped.
    Transpose(Tensor<T>, usize, usize),
    /// Softmax over an axis (the backward reads the output).
    Softmax(Tensor<T>, usize),
    /// Log-softmax over an axis.
    LogSoftmax(Tensor<T>, usize),
    /// `out[i] = a[i, classes[i]]`.
    Pick(Tensor<T>, Vec<usize>),
}

/// Matches an [`Op`] (by value or by reference) by its operands: none, a
/// list (`$v`), three (`$p`, `$q`, `$r`), two (`$a`, `$b`) or one (`$x`).
/// The one list of which operation has which operands, for
/// [`Op::operands`] and the non-recursive drop.
macro_rules! match_operands {
    (
        $op:expr,
        none => $none:expr,
        [$v:ident] => $many:expr,
        ($p:ident, $q:ident, $r:ident) => $three:expr,
        ($a:ident, $b:ident) => $two:expr,
        $x:ident => $one:expr
    ) => {
        match $op {
            Op::Leaf => $none,
            Op::AddN($v) => $many,
            Op::AddMm {
                bias: $p,
                a: $q,
                b: $r,
            } => $three,
            Op::Binary(_, $a, $b) | Op::MatMul($a, $b) | Op::Dot($a, $b) => $two,
            Op::Unary(_, $x)
            | Op::Scalar { a: $x, .. }
            | Op::Reshape($x)
            | Op::Transpose($x, ..)
            | Op::Softmax($x, _)
            | Op::LogSoftmax($x, _)
            | Op::Pick($x, _)
            | Op::Sum { a: $x, .. }
            | Op::Max { a: $x, .. } => $one,
        }
    };
}

impl<T: Float> Op<T> {
    /// The operands, in the operation's order.
    pub(crate) fn operands(&self) -> impl Iterator<Item = &Tensor<T>> {
        let (fixed, many): ([Option<&Tensor<T>>; 3], &[Tensor<T>]) = match_operands!(
            self,
            none => ([None, None, None], &[]),
            [v] => ([None, None, None], v),
            (p, q, r) => ([Some(p), Some(q), Some(r)], &[]),
            (a, b) => ([Some(a), Some(b), None], &[]),
            a => ([Some(a), None, None], &[])
        );
        fixed.into_iter().flatten().chain(many)
    }

    /// PyTorch's name of the operation, for pictures and debugging.
    pub(crate) fn name(&self) -> &'static str {
        use Op::*;
        match self {
            Leaf => "",
            Unary(u, _) => u.name(),
            Binary(f, ..) | Scalar { f, .. } => f.name(),
            MatMul(..) => "matmul",
            AddMm { .. } => "addmm",
            Dot(..) => "dot",
            AddN(..) => "add_n",
            Sum { scale, .. } if *scale == T::one() => "sum",
            Sum { .. } => "mean",
            Max { .. } => "max",
            Reshape(_) => "reshape",
            Transpose(..) => "transpose",
            Softmax(..) => "softmax",
            LogSoftmax(..) => "log_softmax",
            Pick(..) => "pick",
        }
    }

    /// The name pictures show: elementwise arithmetic as micrograd's
    /// symbols (`+`, `*`, ...), anything else by [`Op::name`].
    pub(crate) fn symbol(&self) -> &'static str {
        match self {
            Op::Binary(f, ..) | Op::Scalar { f, .. } => f.symbol(),
            _ => self.name(),
        }
    }

    /// Moves the operands out, leaving a leaf.
    fn take_operands(&mut self, into: &mut Vec<Tensor<T>>) {
        match_operands!(
            std::mem::replace(self, Op::Leaf),
            none => {},
            [v] => into.extend(v),
            (p, q, r) => into.extend([p, q, r]),
            (a, b) => into.extend([a, b]),
            a => into.push(a)
        )
    }
}

thread_local! {
    /// How many node drops are running inside one another on this thread.
    static DROP_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Nesting below which a node frees its operands by ordinary (recursive)
/// drops: far from any stack limit, and with no bookkeeping to allocate.
const RECURSIVE_DROPS: usize = 128;

impl<T: Float> Drop for Node<T> {
    /// Frees a chain of any length without deep recursion. Shallow graphs
    /// (what a training step builds) drop their operands recursively; past
    /// [`RECURSIVE_DROPS`] nested drops, operands whose last handle this
    /// was are emptied here, one at a time, from an explicit stack.
    fn drop(&mut self) {
        if matches!(self.op, Op::Leaf) {
            return;
        }
        let depth = DROP_DEPTH.with(Cell::get);
        if depth < RECURSIVE_DROPS {
            DROP_DEPTH.with(|d| d.set(depth + 1));
            drop(std::mem::replace(&mut self.op, Op::Leaf));
            DROP_DEPTH.with(|d| d.set(depth));
            return;
        }
        let mut stack = Vec::new();
        self.op.take_operands(&mut stack);
        while let Some(mut t) = stack.pop() {
            // Emptied in place (not moved out) when this was the last
            // handle; its own drop then finds a leaf.
            if let Some(node) = Rc::get_mut(&mut t.node) {
                node.op.take_operands(&mut stack);
            }
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A new node holding `data`: a leaf when `requires_grad` is set, else
    /// the result of `op`, which is kept only if an operand needs a
    /// gradient and recording is on (otherwise the result is a constant).
    pub(crate) fn from_op(data: ArrayD<T>, op: Op<T>) -> Tensor<T> {
        let needs = op.operands().any(|t| t.node.requires_grad) && recording();
        let op = if needs { op } else { Op::Leaf };
        Tensor::make(data, needs, op)
    }

    pub(crate) fn make(data: ArrayD<T>, requires_grad: bool, op: Op<T>) -> Tensor<T> {
        Tensor {
            node: Rc::new(Node {
                data: RefCell::new(data),
                grad: RefCell::new(None),
                requires_grad,
                op,
                label: RefCell::new(String::new()),
                visit: Cell::new(0),
                index: Cell::new(0),
            }),
        }
    }
}
