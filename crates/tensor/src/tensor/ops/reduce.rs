//! Reductions: sums and means over everything or one axis, and the maximum
//! over an axis.

use ferrograd_scalar::Binary;
use ndarray::{ArrayD, ArrayView1, Axis, IxDyn, Zip};

use crate::tensor::backward::{needs, Grads};
use crate::tensor::broadcast::add_into;

use crate::tensor::error::check_axis;
use crate::tensor::graph::Op;
use crate::tensor::{AutogradError, Tensor};
use crate::Float;

impl<T: Float> Tensor<T> {
    /// The sum of all elements, a 0-dimensional tensor (0 when empty).
    pub fn sum(&self) -> Tensor<T> {
        let out = ndarray::arr0(self.node.data.borrow().sum()).into_dyn();
        Tensor::from_op(out, self.sum_op(None, false, T::one()))
    }

    /// The sum of the elementwise products of `self` and `other`, which
    /// have one shape: `(self * other).sum()` as one node, without the
    /// array of products (`torch.dot` for vectors; any equal shapes here,
    /// as `numpy.vdot` flattens). The products are added in the order
    /// [`Tensor::sum`] adds elements, so both give the same value. An
    /// error naming both shapes when they differ.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let w = Tensor::param([[1.0f64, -2.0], [3.0, 0.5]]);
    /// let d = w.dot(&w).unwrap();
    /// assert_eq!(d.item().unwrap(), 14.25);
    /// d.backward().unwrap();
    /// assert_eq!(w.grad().unwrap().iter().copied().collect::<Vec<_>>(), vec![2.0, -4.0, 6.0, 1.0]);
    /// assert!(w.dot(&Tensor::from([1.0, 2.0])).is_err());
    /// ```
    pub fn dot(&self, other: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let (a, b) = (self.node.data.borrow(), other.node.data.borrow());
            if a.shape() != b.shape() {
                return Err(AutogradError::Shape {
                    op: "dot (the operands' shapes differ)",
                    expected: a.shape().to_vec(),
                    got: b.shape().to_vec(),
                });
            }
            let (sa, sb) = (row_major(&a), row_major(&b));
            // ndarray's vector product adds in the order of its `sum`.
            ndarray::arr0(ArrayView1::from(&*sa).dot(&ArrayView1::from(&*sb))).into_dyn()
        };
        Ok(Tensor::from_op(out, Op::Dot(self.clone(), other.clone())))
    }

    /// The sum of `terms`, all of one shape, as one node (TensorFlow's
    /// `add_n`): the same values as `((t0 + t1) + t2) + ...`, added in that
    /// order, without a node and an array per addition. An error naming the
    /// shapes when they differ, or for an empty list (which has no shape;
    /// `Iterator::sum` over tensors gives 0 for it).
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let w = Tensor::param([1.0f64, -2.0]);
    /// let v = Tensor::param([0.5, 4.0]);
    /// let total = Tensor::add_n(&[w.dot(&w).unwrap(), v.dot(&v).unwrap()]).unwrap();
    /// assert_eq!(total.item().unwrap(), 5.0 + 16.25);
    /// total.backward().unwrap();
    /// assert_eq!(v.grad().unwrap().iter().copied().collect::<Vec<_>>(), vec![1.0, 8.0]);
    /// assert!(Tensor::add_n(&[w.clone(), Tensor::from([1.0])]).is_err());
    /// ```
    pub fn add_n(terms: &[Tensor<T>]) -> Result<Tensor<T>, AutogradError> {
        let Some((first, rest)) = terms.split_first() else {
            return Err(AutogradError::Empty {
                op: "add_n of a list of terms",
                shape: vec![0],
            });
        };
        let out = {
            let head = first.node.data.borrow();
            let mut out = head.to_owned();
            for t in rest {
                let d = t.node.data.borrow();
                if d.shape() != head.shape() {
                    return Err(AutogradError::Shape {
                        op: "add_n (every term has the first's shape)",
                        expected: head.shape().to_vec(),
                        got: d.shape().to_vec(),
                    });
                }
                add_into(&mut out, &d);
            }
            out
        };
        Ok(Tensor::from_op(out, Op::AddN(terms.to_vec())))
    }

    /// The mean of all elements, a 0-dimensional tensor; an error for an
    /// empty tensor.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::param([[1.0f64, 2.0], [3.0, 6.0]]);
    /// let m = x.mean().unwrap();
    /// m.backward().unwrap();
    /// assert_eq!(m.item().unwrap(), 3.0);
    /// assert!(x.grad().unwrap().iter().all(|&g| g == 0.25));
    /// ```
    pub fn mean(&self) -> Result<Tensor<T>, AutogradError> {
        let n = self.len();
        if n == 0 {
            return Err(self.empty("mean"));
        }
        let scale = T::one() / T::from_f64(n as f64);
        let out = ndarray::arr0(self.node.data.borrow().sum() * scale).into_dyn();
        Ok(Tensor::from_op(out, self.sum_op(None, false, scale)))
    }

    /// The sum over `axis`, which is kept with size 1 when `keepdim`; an
    /// error naming the axis and the rank when the axis is out of range.
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Result<Tensor<T>, AutogradError> {
        self.reduce_axis("sum_axis", axis, keepdim, false)
    }

    /// The mean over `axis` (see [`Tensor::sum_axis`]); an error when the
    /// axis has size 0.
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Result<Tensor<T>, AutogradError> {
        self.reduce_axis("mean_axis", axis, keepdim, true)
    }

    /// The maximum over `axis` (kept with size 1 when `keepdim`). NaN wins
    /// (as in PyTorch); the gradient goes to the first largest element. An
    /// error for an axis out of range or of size 0.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::param([[1.0f64, 5.0, 5.0], [7.0, 0.0, 2.0]]);
    /// let m = x.max_axis(1, false).unwrap();
    /// assert_eq!(m.to_vec(), vec![5.0, 7.0]);
    /// m.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap().iter().copied().collect::<Vec<_>>(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    /// ```
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Result<Tensor<T>, AutogradError> {
        let a = self.node.data.borrow();
        check_axis("max_axis", axis, a.shape())?;
        if a.shape()[axis] == 0 {
            return Err(self.empty("max_axis"));
        }
        let mut reduced = a.shape().to_vec();
        reduced.remove(axis);
        let mut out = ArrayD::zeros(IxDyn(&reduced));
        let mut argmax = ArrayD::<usize>::zeros(IxDyn(&reduced));
        Zip::from(&mut out)
            .and(&mut argmax)
            .and(a.lanes(Axis(axis)))
            .for_each(|o, i, lane| {
                let (mut best, mut at) = (lane[0], 0);
                for (j, &v) in lane.iter().enumerate().skip(1) {
                    if best.is_nan() {
                        break;
                    }
                    if v.is_nan() || v > best {
                        best = v;
                        at = j;
                    }
                }
                *o = best;
                *i = at;
            });
        drop(a);
        Ok(Tensor::from_op(
            kept(out, axis, keepdim),
            Op::Max {
                a: self.clone(),
                axis,
                argmax: Box::new(argmax),
            },
        ))
    }

    fn reduce_axis(
        &self,
        op: &'static str,
        axis: usize,
        keepdim: bool,
        mean: bool,
    ) -> Result<Tensor<T>, AutogradError> {
        let a = self.node.data.borrow();
        check_axis(op, axis, a.shape())?;
        let n = a.shape()[axis];
        let scale = if mean {
            if n == 0 {
                return Err(self.empty(op));
            }
            T::one() / T::from_f64(n as f64)
        } else {
            T::one()
        };
        let mut out = a.sum_axis(Axis(axis));
        if mean {
            out.mapv_inplace(|v| v * scale);
        }
        drop(a);
        Ok(Tensor::from_op(
            kept(out, axis, keepdim),
            self.sum_op(Some(axis), keepdim, scale),
        ))
    }

    fn sum_op(&self, axis: Option<usize>, keepdim: bool, scale: T) -> Op<T> {
        Op::Sum {
            a: self.clone(),
            axis,
            keepdim,
            scale,
        }
    }

    pub(crate) fn empty(&self, op: &'static str) -> AutogradError {
        AutogradError::Empty {
            op,
            shape: self.shape(),
        }
    }
}

/// The elements of `a` in row-major order: borrowed when it is in standard
/// layout (no copy, no new view), else copied.
fn row_major<'a, T: Float>(a: &'a ArrayD<T>) -> std::borrow::Cow<'a, [T]> {
    match a.as_slice() {
        Some(s) => s.into(),
        None => a.iter().copied().collect::<Vec<T>>().into(),
    }
}

/// Sends the gradients of `a.dot(b)`: `g b` to `a` and `g a` to `b` (the
/// slopes of the scalar engine's product), each added in place when that
/// operand already has a gradient. For `p.dot(p)` both go to `p` in one
/// pass, added in the order two separate contributions would be.
pub(crate) fn dot_backward<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    g: &ArrayD<T>,
    grads: &mut Grads<T>,
) {
    let g = g.first().copied().unwrap_or(T::zero());
    let (ad, bd) = (a.data(), b.data());
    let (sa, sb) = (row_major(&ad), row_major(&bd));
    let slopes = |i: usize| Binary::Mul.grads(sa[i], sb[i], sa[i] * sb[i], g);
    if a.same_node(b) {
        if needs(a) {
            accumulate(grads, a, &ad, |i| {
                let (p, q) = slopes(i);
                [p, q]
            });
        }
        return;
    }
    if needs(a) {
        accumulate(grads, a, &ad, |i| [slopes(i).0]);
    }
    if needs(b) {
        accumulate(grads, b, &bd, |i| [slopes(i).1]);
    }
}

/// Adds `parts(i)` (one value or several, in order) to element `i` of the
/// gradient of `to`, which is shaped like `like`: in place into the
/// gradient it already has, else into a new array made by copying `like`
/// (a ready shape, cheaper for small arrays than building one) and
/// overwriting it.
fn accumulate<T: Float, const N: usize>(
    grads: &mut Grads<T>,
    to: &Tensor<T>,
    like: &ArrayD<T>,
    parts: impl Fn(usize) -> [T; N],
) {
    let n = like.len();
    if let Some(acc) = grads
        .slot(to)
        .as_mut()
        .and_then(|acc| acc.as_slice_mut())
        .filter(|acc| acc.len() == n)
    {
        for (i, d) in acc.iter_mut().enumerate() {
            for p in parts(i) {
                *d += p;
            }
        }
        return;
    }
    let mut part = if like.is_standard_layout() {
        like.clone()
    } else {
        ArrayD::zeros(like.raw_dim())
    };
    if let Some(dst) = part.as_slice_mut() {
        for (i, d) in dst.iter_mut().enumerate() {
            let all = parts(i);
            let [first, rest @ ..] = all.as_slice() else {
                continue;
            };
            *d = *first;
            for &p in rest {
                *d += p;
            }
        }
    }
    grads.add(to, part);
}

/// Sends the gradient of `add_n(terms)`: `g` itself to every term that
/// needs one (added in place where a term already has a gradient).
pub(crate) fn add_n_backward<T: Float>(terms: &[Tensor<T>], g: &ArrayD<T>, grads: &mut Grads<T>) {
    for t in terms.iter().filter(|t| needs(t)) {
        match grads.slot(t) {
            Some(acc) => add_into(acc, g),
            slot => *slot = Some(g.to_owned()),
        }
    }
}

/// The gradient of a (scaled) sum: `g` spread back over the summed axis.
pub(crate) fn sum_backward<T: Float>(
    a: &ArrayD<T>,
    axis: Option<usize>,
    keepdim: bool,
    scale: T,
    g: &ArrayD<T>,
) -> ArrayD<T> {
    if axis.is_none() {
        let total = g.first().copied().unwrap_or(T::zero());
        return ArrayD::from_elem(a.raw_dim(), total * scale);
    }
    let a_shape = a.shape();
    let g = match (axis, keepdim) {
        (Some(ax), false) => g.view().insert_axis(Axis(ax)),
        _ => g.view(),
    };
    let spread = match g.broadcast(IxDyn(a_shape)) {
        Some(v) => v.to_owned(),
        // A 0-d total stretches to any shape; this arm is not reached.
        None => ArrayD::from_elem(
            IxDyn(a_shape),
            g.iter().next().copied().unwrap_or(T::zero()),
        ),
    };
    if scale == T::one() {
        spread
    } else {
        spread.mapv(|v| v * scale)
    }
}

/// The gradient of a maximum: each output's `g` to its winning element.
pub(crate) fn max_backward<T: Float>(
    a_shape: &[usize],
    axis: usize,
    argmax: &ArrayD<usize>,
    g: &ArrayD<T>,
) -> ArrayD<T> {
    let mut ga = ArrayD::zeros(IxDyn(a_shape));
    let g = if g.ndim() == a_shape.len() {
        g.index_axis(Axis(axis), 0)
    } else {
        g.view()
    };
    Zip::from(ga.lanes_mut(Axis(axis)))
        .and(argmax)
        .and(&g)
        .for_each(|mut lane, &at, &g| lane[at] = g);
    ga
}

/// A reduction's result with the reduced `axis` put back with size 1 when
/// `keepdim` (PyTorch's `keepdim=True`).
fn kept<T>(out: ArrayD<T>, axis: usize, keepdim: bool) -> ArrayD<T> {
    if keepdim {
        out.insert_axis(Axis(axis))
    } else {
        out
    }
}
