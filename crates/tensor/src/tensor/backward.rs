//! Reverse mode: the nodes that need a gradient in topological order (found
//! without recursion), then each node's rule, from the output back.

use std::cell::Cell;

use ndarray::{ArrayD, IxDyn};

use super::graph::Op;
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
        let mut grads: Vec<Option<ArrayD<T>>> = vec![None; order.len()];
        let last = order.len() - 1;
        grads[last] = Some(seed);
        for i in (0..order.len()).rev() {
            let node = &order[i].node;
            let Some(g) = grads[i].take() else {
                continue;
            };
            let operands = node.op.operands();
            let parts = {
                let out = node.data.borrow();
                local_grads(&node.op, &out, &g)?
            };
            for (operand, part) in operands.iter().zip(parts) {
                if let (Some(t), Some(part)) = (operand, part) {
                    let slot = &mut grads[t.node.index.get()];
                    match slot {
                        Some(acc) => *acc += &part,
                        None => *slot = Some(part),
                    }
                }
            }
            let mut stored = node.grad.borrow_mut();
            match stored.as_mut() {
                Some(acc) => *acc += &g,
                None => *stored = Some(g),
            }
        }
        Ok(())
    }

    /// The nodes that need a gradient and lead to `self`, every operand
    /// before its result (`self` last); each node's `index` is its place.
    fn topological_order(&self) -> Vec<Tensor<T>> {
        let pass = PASS.with(|p| {
            p.set(p.get() + 1);
            p.get()
        });
        let mut order = Vec::new();
        // (node, operands already pushed): a depth-first search with an
        // explicit stack, so a chain of any length needs no call stack. A
        // node is marked when expanded, not when pushed: one pushed early
        // (as a first operand) and reached again below a later operand is
        // pushed again there, so it lands before every result that uses it.
        let mut stack = vec![(self.clone(), false)];
        while let Some((t, expanded)) = stack.pop() {
            if expanded {
                t.node.index.set(order.len());
                order.push(t);
                continue;
            }
            if t.node.visit.get() == pass {
                continue;
            }
            t.node.visit.set(pass);
            let operands = t.node.op.operands().map(|o| {
                o.filter(|o| o.node.requires_grad && o.node.visit.get() != pass)
                    .cloned()
            });
            stack.push((t, true));
            stack.extend(operands.into_iter().flatten().map(|o| (o, false)));
        }
        order
    }
}

/// The gradients an operation sends to its operands (`None` for one that
/// needs none), given its output and the gradient `g` arriving at it.
fn local_grads<T: Float>(
    op: &Op<T>,
    out: &ArrayD<T>,
    g: &ArrayD<T>,
) -> Result<[Option<ArrayD<T>>; 2], AutogradError> {
    let needs = |t: &Tensor<T>| t.node.requires_grad;
    Ok(match op {
        Op::Leaf => [None, None],
        Op::Unary(u, a) => [
            Some(elementwise::unary_backward(*u, &a.data(), out, g)),
            None,
        ],
        Op::Binary(f, a, b) => {
            elementwise::binary_backward(*f, (&a.data(), needs(a)), (&b.data(), needs(b)), out, g)?
        }
        Op::MatMul(a, b) => {
            matmul::matmul_backward((&a.data(), needs(a)), (&b.data(), needs(b)), g)
        }
        Op::Sum {
            a,
            axis,
            keepdim,
            scale,
        } => [
            Some(reduce::sum_backward(&a.shape(), *axis, *keepdim, *scale, g)),
            None,
        ],
        Op::Max { a, axis, argmax } => [
            Some(reduce::max_backward(&a.shape(), *axis, argmax, g)),
            None,
        ],
        Op::Reshape(a) => [Some(shape::reshaped(g, &a.shape())), None],
        Op::Transpose(_, i, j) => [Some(shape::swapped(g, *i, *j)), None],
        Op::Softmax(_, axis) => [Some(softmax::softmax_backward(*axis, out, g)), None],
        Op::LogSoftmax(_, axis) => [Some(softmax::log_softmax_backward(*axis, out, g)), None],
        Op::Pick(a, classes) => [Some(shape::pick_backward(&a.shape(), classes, g)), None],
    })
}
