//! The matrix product, 2-D and batched.

use ndarray::{
    linalg::general_mat_mul, Array2, ArrayD, ArrayView2, ArrayViewMut2, Axis, Ix2, Ix3, IxDyn,
};

use crate::tensor::backward::{needs, Grads};
use crate::tensor::broadcast::{reduce_to, repeats_over, sum_runs_into, tile, zeros_like};
use crate::tensor::graph::Op;
use crate::tensor::{AutogradError, Tensor};
use crate::Float;

/// `out = a b`, the one place where a product is computed, so the kernel
/// (today `ndarray`'s `matrixmultiply`) can be swapped here alone.
fn product_into<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>, out: ArrayViewMut2<'_, T>) {
    let mut out = out;
    general_mat_mul(T::one(), &a, &b, T::zero(), &mut out);
}

/// `a b` as a new matrix.
fn product<T: Float>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> Array2<T> {
    let mut out = Array2::zeros((a.nrows(), b.ncols()));
    product_into(a, b, out.view_mut());
    out
}

/// The shapes a product takes: `[n, k] @ [k, m]`, `[B, n, k] @ [B, k, m]`
/// and `[B, n, k] @ [k, m]` (the matrix shared by the batch).
fn check<T: Float>(a: &ArrayD<T>, b: &ArrayD<T>) -> Result<(), AutogradError> {
    let err = |why: String| AutogradError::MatMul {
        lhs: a.shape().to_vec(),
        rhs: b.shape().to_vec(),
        why,
    };
    let (sa, sb) = (a.shape(), b.shape());
    match (sa.len(), sb.len()) {
        (2, 2) | (3, 2) | (3, 3) => {}
        _ => {
            return Err(err(
                "take [n, k] @ [k, m], [B, n, k] @ [B, k, m] or [B, n, k] @ [k, m]".into(),
            ))
        }
    }
    let (ka, kb) = (sa[sa.len() - 1], sb[sb.len() - 2]);
    if ka != kb {
        return Err(err(format!("inner sizes {ka} and {kb} differ")));
    }
    if sa.len() == 3 && sb.len() == 3 && sa[0] != sb[0] {
        return Err(err(format!("batch sizes {} and {} differ", sa[0], sb[0])));
    }
    Ok(())
}

/// A 2-D view of a tensor whose rank was checked.
fn mat<T: Float>(a: &ArrayD<T>) -> ArrayView2<'_, T> {
    a.view()
        .into_dimensionality::<Ix2>()
        .unwrap_or_else(|_| unreachable!("rank checked by matmul"))
}

/// The product, for checked shapes.
fn forward<T: Float>(a: &ArrayD<T>, b: &ArrayD<T>) -> ArrayD<T> {
    match (a.ndim(), b.ndim()) {
        (2, 2) => product(mat(a), mat(b)).into_dyn(),
        _ => {
            let (batch, n, m) = (a.shape()[0], a.shape()[1], b.shape()[b.ndim() - 1]);
            let mut out = ndarray::Array3::zeros((batch, n, m));
            for (i, o) in out.axis_iter_mut(Axis(0)).enumerate() {
                let bi = if b.ndim() == 3 {
                    b.index_axis(Axis(0), i)
                } else {
                    b.view()
                };
                product_into(
                    mat3(a).index_axis_move(Axis(0), i),
                    bi.into_dimensionality::<Ix2>()
                        .unwrap_or_else(|_| unreachable!("rank checked by matmul")),
                    o,
                );
            }
            out.into_dyn()
        }
    }
}

fn mat3<T: Float>(a: &ArrayD<T>) -> ndarray::ArrayView3<'_, T> {
    a.view()
        .into_dimensionality::<Ix3>()
        .unwrap_or_else(|_| unreachable!("rank checked by matmul"))
}

impl<T: Float> Tensor<T> {
    /// The matrix product `self @ other`: `[n, k] @ [k, m]`, batched
    /// `[B, n, k] @ [B, k, m]`, or `[B, n, k] @ [k, m]`. Other shapes are
    /// an error naming both.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::<f64>::from([[1.0, 2.0]]);
    /// let w = Tensor::param([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]);
    /// let y = x.matmul(&w).unwrap();
    /// assert_eq!(y.to_vec(), vec![1.0, 2.0, 8.0]);
    /// let err = w.matmul(&w).unwrap_err().to_string();
    /// assert!(err.contains("(2, 3)") && err.contains("inner sizes 3 and 2"), "{err}");
    /// ```
    pub fn matmul(&self, other: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let (a, b) = (self.node.data.borrow(), other.node.data.borrow());
            check(&a, &b)?;
            forward(&a, &b)
        };
        Ok(Tensor::from_op(
            out,
            Op::MatMul(self.clone(), other.clone()),
        ))
    }
}

impl<T: Float> Tensor<T> {
    /// `self + a @ b` for matrices `a` `[n, k]` and `b` `[k, m]`, with
    /// `self` (the bias) broadcast to `[n, m]`: PyTorch's `addmm`, what a
    /// linear layer computes. One node instead of a product and a sum: the
    /// product accumulates onto the broadcast bias in place, as the fused
    /// [`crate::Linear`] does, and backward sends `g` to the bias without
    /// copying it through an addition. An error naming the shapes when `a`
    /// or `b` is not 2-D, the inner sizes differ, or the bias does not
    /// stretch to `[n, m]`.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::<f64>::from([[1.0, 2.0], [3.0, 4.0]]);
    /// let w = Tensor::param([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]);
    /// let b = Tensor::param([10.0, 20.0, 30.0]);
    /// let y = b.addmm(&x, &w).unwrap();
    /// assert_eq!(y.to_vec(), vec![11.0, 22.0, 38.0, 13.0, 24.0, 48.0]);
    /// y.sum().backward().unwrap();
    /// assert_eq!(b.grad().unwrap().iter().copied().collect::<Vec<_>>(), vec![2.0; 3]);
    /// assert!(b.addmm(&w, &w).is_err());
    /// ```
    pub fn addmm(&self, a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>, AutogradError> {
        let out = {
            let (bias, ad, bd) = (
                self.node.data.borrow(),
                a.node.data.borrow(),
                b.node.data.borrow(),
            );
            if ad.ndim() != 2 || bd.ndim() != 2 {
                return Err(AutogradError::MatMul {
                    lhs: ad.shape().to_vec(),
                    rhs: bd.shape().to_vec(),
                    why: "addmm takes [n, k] @ [k, m]".into(),
                });
            }
            check(&ad, &bd)?;
            let (n, m) = (ad.shape()[0], bd.shape()[1]);
            let mut out = start_from_bias(&bias, n, m)?;
            general_mat_mul(T::one(), &mat(&ad), &mat(&bd), T::one(), &mut out);
            out.into_dyn()
        };
        Ok(Tensor::from_op(
            out,
            Op::AddMm {
                bias: self.clone(),
                a: a.clone(),
                b: b.clone(),
            },
        ))
    }
}

/// The bias broadcast to `[n, m]`, in standard layout: where the product
/// of [`Tensor::addmm`] accumulates.
fn start_from_bias<T: Float>(
    bias: &ArrayD<T>,
    n: usize,
    m: usize,
) -> Result<Array2<T>, AutogradError> {
    let shape = [n, m];
    let err = || AutogradError::Broadcast {
        op: "addmm",
        lhs: bias.shape().to_vec(),
        rhs: shape.to_vec(),
    };
    if let (Some(small), true) = (bias.as_slice(), repeats_over(bias.shape(), &shape)) {
        if !small.is_empty() && bias.ndim() <= 2 {
            return Array2::from_shape_vec(shape, tile(small, n * m)).map_err(|_| err());
        }
    }
    let stretched = bias.broadcast(IxDyn(&shape)).ok_or_else(err)?;
    Ok(stretched
        .into_dimensionality::<Ix2>()
        .map_err(|_| err())?
        .to_owned())
}

/// Sends the gradients of `bias + a @ b`: the bias gets `g` summed over
/// the axes it was stretched along, `a` and `b` as for a product.
pub(crate) fn addmm_backward<T: Float>(
    bias: &Tensor<T>,
    a: &Tensor<T>,
    b: &Tensor<T>,
    g: &ArrayD<T>,
    grads: &mut Grads<T>,
) {
    if needs(bias) {
        let part = {
            let bd = bias.data();
            match g.as_slice() {
                Some(sg) if !bd.is_empty() && repeats_over(bd.shape(), g.shape()) => {
                    let mut part = zeros_like(&bd);
                    let total = part
                        .as_slice_mut()
                        .unwrap_or_else(|| unreachable!("zeros_like is in standard layout"));
                    sum_runs_into(total, sg);
                    part
                }
                _ => reduce_to(g.clone(), bd.shape()),
            }
        };
        grads.add(bias, part);
    }
    matmul_backward(a, b, g, grads);
}

/// Adds `x y` to the gradient of `t`: into it in place (the product
/// accumulated onto it) when it already has one of that shape, as a new
/// array otherwise.
fn add_product<T: Float>(
    grads: &mut Grads<T>,
    t: &Tensor<T>,
    x: ArrayView2<'_, T>,
    y: ArrayView2<'_, T>,
) {
    if let Some(acc) = grads.slot(t).as_mut() {
        if acc.shape() == [x.nrows(), y.ncols()] {
            let mut acc = acc
                .view_mut()
                .into_dimensionality::<Ix2>()
                .unwrap_or_else(|_| unreachable!("shape checked"));
            general_mat_mul(T::one(), &x, &y, T::one(), &mut acc);
            return;
        }
    }
    grads.add(t, product(x, y).into_dyn());
}

/// Sends the gradients of `a @ b`: `g b^T` and `a^T g` (summed over the
/// batch for a shared matrix `b`).
pub(crate) fn matmul_backward<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    g: &ArrayD<T>,
    grads: &mut Grads<T>,
) {
    let (need_a, need_b) = (needs(a), needs(b));
    let parts = {
        let (ad, bd) = (a.data(), b.data());
        match (ad.ndim(), bd.ndim()) {
            (2, 2) => {
                let gm = mat(g);
                if need_a {
                    add_product(grads, a, gm, mat(&bd).t());
                }
                if need_b {
                    add_product(grads, b, mat(&ad).t(), gm);
                }
                return;
            }
            (3, 2) if ad.is_standard_layout() && g.is_standard_layout() => {
                // One product over the stacked rows instead of one per batch item.
                let (batch, n, k) = (ad.shape()[0], ad.shape()[1], ad.shape()[2]);
                let m = bd.shape()[1];
                let a2 = ad.view().into_shape_with_order((batch * n, k));
                let g2 = g.view().into_shape_with_order((batch * n, m));
                match (a2, g2) {
                    (Ok(a2), Ok(g2)) => {
                        if need_b {
                            add_product(grads, b, a2.t(), g2);
                        }
                        [
                            need_a.then(|| {
                                product(g2, mat(&bd).t())
                                    .into_shape_with_order(IxDyn(&[batch, n, k]))
                                    .unwrap_or_else(|_| unreachable!("sizes match"))
                            }),
                            None,
                        ]
                    }
                    _ => batched_backward((&ad, need_a), (&bd, need_b), g),
                }
            }
            _ => batched_backward((&ad, need_a), (&bd, need_b), g),
        }
    };
    let [ga, gb] = parts;
    if let Some(ga) = ga {
        grads.add(a, ga);
    }
    if let Some(gb) = gb {
        grads.add(b, gb);
    }
}

fn batched_backward<T: Float>(
    (a, need_a): (&ArrayD<T>, bool),
    (b, need_b): (&ArrayD<T>, bool),
    g: &ArrayD<T>,
) -> [Option<ArrayD<T>>; 2] {
    let shared = b.ndim() == 2;
    let (a3, g3) = (mat3(a), mat3(g));
    let b_at = |i: usize| {
        if shared {
            mat(b)
        } else {
            mat3(b).index_axis_move(Axis(0), i)
        }
    };
    let ga = need_a.then(|| {
        let mut ga = ndarray::Array3::zeros(a3.raw_dim());
        for (i, o) in ga.axis_iter_mut(Axis(0)).enumerate() {
            product_into(g3.index_axis(Axis(0), i), b_at(i).t(), o);
        }
        ga.into_dyn()
    });
    let gb = need_b.then(|| {
        let mut gb = ArrayD::zeros(b.raw_dim());
        for i in 0..a3.shape()[0] {
            let part = product(a3.index_axis(Axis(0), i).t(), g3.index_axis(Axis(0), i));
            if shared {
                gb += &part;
            } else {
                gb.index_axis_mut(Axis(0), i).assign(&part);
            }
        }
        gb
    });
    [ga, gb]
}
