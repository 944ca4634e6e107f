//! Reverse mode: the nodes that need a gradient in topological order (found
//! without recursion), then each node's rule, from the output back.

use std::cell::Cell;

use ndarray::{ArrayD, IxDyn};

use super::broadcast::add_into;
use super::graph::{Node, Op};
use super::ops::{elementwise, matmul, reduce, shape, softmax};
use super::{AutogradError, Tensor};
use crate::Float;

thread_local! {
    /// Numbers backward passes, so a node knows whether this pass saw it.
    static PASS: Cell<u64> = const { Cell::new(0) };
}

impl<T: Float> Tensor<T> {
    /// Backpropagates from a one-element tensor (seed gradient 1), adding
    /// to the gradient of every tensor that needs one. An error when the
    /// tensor has more than one element or no gradient reaches it.
    pub fn backward(&self) -> Result<(), AutogradError> {
        let shape = self.shape();
        if shape.iter().product::<usize>() != 1 {
            return Err(AutogradError::NotOneElement {
                op: "backward",
                shape,
            });
        }
        self.run_backward(ArrayD::ones(IxDyn(&shape)))
    }

    /// Backpropagates from a tensor of any shape with the seed gradient
    /// `grad` (the vector of a vector-Jacobian product), which must have
    /// this tensor's shape.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::param([1.0f64, 2.0, 3.0]);
    /// let y = &x * &x;
    /// y.backward_with(&Tensor::from([1.0, 0.0, 10.0])).unwrap();
    /// assert_eq!(x.grad().unwrap().iter().copied().collect::<Vec<_>>(), vec![2.0, 0.0, 60.0]);
    /// ```
    pub fn backward_with(&self, grad: &Tensor<T>) -> Result<(), AutogradError> {
        let seed = grad.to_array();
        if seed.shape() != self.shape().as_slice() {
            return Err(AutogradError::Shape {
                op: "backward_with gradient",
                expected: self.shape(),
                got: seed.shape().to_vec(),
            });
        }
        self.run_backward(seed)
    }

    fn run_backward(&self, seed: ArrayD<T>) -> Result<(), AutogradError> {
        if !self.node.requires_grad {
            return Err(AutogradError::NoGrad);
        }
        let order = self.topological_order();
        let mut grads = Grads {
            slots: std::iter::repeat_with(|| None).take(order.len()).collect(),
        };
        grads.slots[order.len() - 1] = Some(seed);
        for (i, node) in order.iter().enumerate().rev() {
            let Some(g) = grads.slots[i].take() else {
                continue;
            };
            {
                let out = node.data.borrow();
                send_grads(&node.op, &out, &g, &mut grads)?;
            }
            let mut stored = node.grad.borrow_mut();
            match stored.as_mut() {
                Some(acc) => add_into(acc, &g),
                None => *stored = Some(g),
            }
        }
        Ok(())
    }

    /// The nodes that need a gradient and lead to `self`, every operand
    /// before its result (`self` last); each node's `index` is its place.
    /// Borrowed from `self`'s graph, which keeps them alive.
    fn topological_order(&self) -> Vec<&Node<T>> {
        let pass = PASS.with(|p| {
            p.set(p.get() + 1);
            p.get()
        });
        // Room for a typical model's graph up front: no regrowing.
        let mut order = Vec::with_capacity(64);
        // (node, operands already pushed): a depth-first search with an
        // explicit stack, so a chain of any length needs no call stack. A
        // node is marked when expanded, not when pushed: one pushed early
        // (as a first operand) and reached again below a later operand is
        // pushed again there, so it lands before every result that uses it.
        let mut stack: Vec<(&Node<T>, bool)> = Vec::with_capacity(64);
        stack.push((&*self.node, false));
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                node.index.set(order.len());
                order.push(node);
                continue;
            }
            if node.visit.get() == pass {
                continue;
            }
            node.visit.set(pass);
            stack.push((node, true));
            for o in node.op.operands() {
                let o = &*o.node;
                if o.requires_grad && o.visit.get() != pass {
                    stack.push((o, false));
                }
            }
        }
        order
    }
}

/// The gradients of one backward pass, one slot per node of its
/// topological order, filled as results send gradients to their operands.
///
/// Rules add into a slot in place when it already holds a gradient (a
/// tensor used more than once), so a second contribution costs no new
/// array; the sum is the same as adding a separately computed part.
pub(crate) struct Grads<T: Float> {
    slots: Vec<Option<ArrayD<T>>>,
}

impl<T: Float> Grads<T> {
    /// The gradient gathered so far for `t`, a node of this pass's order.
    pub(crate) fn slot(&mut self, t: &Tensor<T>) -> &mut Option<ArrayD<T>> {
        &mut self.slots[t.node.index.get()]
    }

    /// Adds `part` to the gradient of `t`.
    pub(crate) fn add(&mut self, t: &Tensor<T>, part: ArrayD<T>) {
        let slot = self.slot(t);
        match slot {
            Some(acc) => add_into(acc, &part),
            None => *slot = Some(part),
        }
    }
}

/// Whether a gradient flows to `t` (the operand a rule may skip).
pub(crate) fn needs<T: Float>(t: &Tensor<T>) -> bool {
    t.node.requires_grad
}

/// Sends the gradients of an operation to its operands that need one,
/// given its output and the gradient `g` arriving at it.
fn send_grads<T: Float>(
    op: &Op<T>,
    out: &ArrayD<T>,
    g: &ArrayD<T>,
    grads: &mut Grads<T>,
) -> Result<(), AutogradError> {
    // The one-operand rules make a new array; operations reached only
    // through a result that needs a gradient always have that operand
    // needing one too (`from_op` records nothing otherwise).
    let mut to = |t: &Tensor<T>, part: ArrayD<T>| grads.add(t, part);
    match op {
        Op::Leaf => {}
        Op::Unary(u, a) => {
            let part = elementwise::unary_backward(*u, &a.data(), out, g);
            to(a, part)
        }
        Op::Binary(f, a, b) => elementwise::binary_backward(*f, a, b, out, g, grads)?,
        Op::Scalar { f, a, c, left } => {
            let part = elementwise::float_backward(*f, &a.data(), (*c, *left), out, g);
            to(a, part)
        }
        Op::MatMul(a, b) => matmul::matmul_backward(a, b, g, grads),
        Op::Dot(a, b) => reduce::dot_backward(a, b, g, grads),
        Op::AddN(terms) => reduce::add_n_backward(terms, g, grads),
        Op::AddMm { bias, a, b } => matmul::addmm_backward(bias, a, b, g, grads),
        Op::Sum {
            a,
            axis,
            keepdim,
            scale,
        } => {
            let part = reduce::sum_backward(&a.data(), *axis, *keepdim, *scale, g);
            to(a, part)
        }
        Op::Max { a, axis, argmax } => {
            let part = reduce::max_backward(a.data().shape(), *axis, argmax, g);
            to(a, part)
        }
        Op::Reshape(a) => {
            let part = shape::reshaped(g, a.data().shape());
            to(a, part)
        }
        Op::Transpose(a, i, j) => to(a, shape::swapped(g, *i, *j)),
        Op::Softmax(a, axis) => to(a, softmax::softmax_backward(*axis, out, g)),
        Op::LogSoftmax(a, axis) => to(a, softmax::log_softmax_backward(*axis, out, g)),
        Op::Pick(a, classes) => {
            let part = shape::pick_backward(a.data().shape(), classes, g);
            to(a, part)
        }
    }
    Ok(())
}
