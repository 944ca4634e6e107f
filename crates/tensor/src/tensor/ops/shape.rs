//! Operations that move elements: reshape, transpose, picking one element
//! per row.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::tensor::error::check_axis;
use crate::tensor::graph::Op;
use crate::tensor::{AutogradError, Tensor};
use crate::Float;

/// `a` in row-major order as `shape` (same number of elements).
pub(crate) fn reshaped<T: Float>(a: &ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    let flat: Vec<T> = a.iter().copied().collect();
    ArrayD::from_shape_vec(IxDyn(shape), flat)
        .unwrap_or_else(|_| unreachable!("element counts checked"))
}

/// `a` with axes `i` and `j` swapped, in standard layout.
pub(crate) fn swapped<T: Float>(a: &ArrayD<T>, i: usize, j: usize) -> ArrayD<T> {
    let mut v = a.view();
    v.swap_axes(i, j);
    v.as_standard_layout().into_owned()
}

impl<T: Float> Tensor<T> {
    /// The same elements, in row-major order, as `shape`; an error naming
    /// both shapes when the element counts differ.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::<f32>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(x.reshape(&[3, 2]).unwrap().shape(), vec![3, 2]);
    /// assert!(x.reshape(&[4]).is_err());
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let a = self.node.data.borrow();
            if shape.iter().product::<usize>() != a.len() {
                return Err(AutogradError::Shape {
                    op: "reshape (element counts differ)",
                    expected: shape.to_vec(),
                    got: a.shape().to_vec(),
                });
            }
            reshaped(&a, shape)
        };
        Ok(Tensor::from_op(out, Op::Reshape(self.clone())))
    }

    /// Axes `i` and `j` swapped (`torch.transpose`); an error naming the
    /// axis when either is out of range.
    pub fn transpose(&self, i: usize, j: usize) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let a = self.node.data.borrow();
            check_axis("transpose", i, a.shape())?;
            check_axis("transpose", j, a.shape())?;
            swapped(&a, i, j)
        };
        Ok(Tensor::from_op(out, Op::Transpose(self.clone(), i, j)))
    }

    /// The transpose of a 2-D tensor (`.T`); an error for another rank.
    pub fn t(&self) -> Result<Tensor<T>, AutogradError> {
        if self.ndim() != 2 {
            return Err(AutogradError::Rank {
                op: "t",
                expected: "a 2-D tensor",
                shape: self.shape(),
            });
        }
        self.transpose(0, 1)
    }

    /// `out[i] = self[i, classes[i]]` for a 2-D `self` of shape `[n, k]`:
    /// each row's entry for its class, what cross-entropy reads from
    /// log-probabilities (`x.gather(1, classes[:, None])[:, 0]` in PyTorch).
    /// An error for another rank, a class list of another length than `n`,
    /// or a class `>= k`.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let logits = Tensor::param([[2.0f64, 1.0, 0.1], [0.5, 2.5, 0.3]]);
    /// let classes = [0, 1];
    /// let loss = -logits.log_softmax(1).unwrap().pick(&classes).unwrap().mean().unwrap();
    /// loss.backward().unwrap();
    /// let g = logits.grad().unwrap();
    /// // softmax - one-hot, over the batch of 2.
    /// let p = logits.softmax(1).unwrap().to_array();
    /// assert!((g[[0, 0]] - (p[[0, 0]] - 1.0) / 2.0).abs() < 1e-15);
    /// ```
    pub fn pick(&self, classes: &[usize]) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let a = self.node.data.borrow();
            if a.ndim() != 2 {
                return Err(AutogradError::Rank {
                    op: "pick",
                    expected: "a 2-D tensor [rows, classes]",
                    shape: a.shape().to_vec(),
                });
            }
            let (n, k) = (a.shape()[0], a.shape()[1]);
            if classes.len() != n {
                return Err(AutogradError::Shape {
                    op: "pick class list (one class per row)",
                    expected: vec![n],
                    got: vec![classes.len()],
                });
            }
            if let Some((row, &class)) = classes.iter().enumerate().find(|(_, &c)| c >= k) {
                return Err(AutogradError::Class {
                    row,
                    class,
                    classes: k,
                });
            }
            let picked: Vec<T> = a
                .axis_iter(Axis(0))
                .zip(classes)
                .map(|(row, &c)| row[c])
                .collect();
            ArrayD::from_shape_vec(IxDyn(&[n]), picked)
                .unwrap_or_else(|_| unreachable!("one value per row"))
        };
        Ok(Tensor::from_op(
            out,
            Op::Pick(self.clone(), classes.to_vec()),
        ))
    }
}

/// The gradient of `pick`: each row's `g` to its class's column.
pub(crate) fn pick_backward<T: Float>(
    a_shape: &[usize],
    classes: &[usize],
    g: &ArrayD<T>,
) -> ArrayD<T> {
    let mut ga = ArrayD::zeros(IxDyn(a_shape));
    for ((mut row, &c), &g) in ga.axis_iter_mut(Axis(0)).zip(classes).zip(g.iter()) {
        row[c] = g;
    }
    ga
}
