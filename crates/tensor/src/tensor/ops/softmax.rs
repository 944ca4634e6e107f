//! Softmax and log-softmax over an axis, computed from the largest element
//! of each lane so that no `exp` overflows.

use ndarray::{ArrayD, Axis, Zip};

use crate::tensor::error::check_axis;
use crate::tensor::graph::Op;
use crate::tensor::{AutogradError, Tensor};
use crate::Float;

/// The largest element of a lane, NaN if any is NaN.
fn lane_max<T: Float>(lane: &ndarray::ArrayView1<'_, T>) -> T {
    let mut m = T::neg_infinity();
    for &v in lane {
        if v.is_nan() {
            return v;
        }
        if v > m {
            m = v;
        }
    }
    m
}

impl<T: Float> Tensor<T> {
    /// `exp(x - max) / sum(exp(x - max))` along `axis`; an error naming the
    /// axis when it is out of range.
    ///
    /// ```
    /// use ferrograd_tensor::Tensor;
    /// let x = Tensor::<f64>::from([[1000.0, 1000.0], [0.0, f64::NEG_INFINITY]]);
    /// assert_eq!(x.softmax(1).unwrap().to_vec(), vec![0.5, 0.5, 1.0, 0.0]);
    /// ```
    pub fn softmax(&self, axis: usize) -> Result<Tensor<T>, AutogradError> {
        let out = self.per_lane("softmax", axis, |x, mut y| {
            let m = lane_max(&x);
            let mut total = T::zero();
            Zip::from(&mut y).and(&x).for_each(|y, &x| {
                *y = (x - m).exp();
                total += *y;
            });
            y.mapv_inplace(|v| v / total);
        })?;
        Ok(Tensor::from_op(out, Op::Softmax(self.clone(), axis)))
    }

    /// `x - max - ln(sum(exp(x - max)))` along `axis`: the logarithm of
    /// [`Tensor::softmax`] without its rounding to 0.
    pub fn log_softmax(&self, axis: usize) -> Result<Tensor<T>, AutogradError> {
        let out = self.per_lane("log_softmax", axis, |x, mut y| {
            let m = lane_max(&x);
            let total = x.iter().fold(T::zero(), |s, &v| s + (v - m).exp());
            let lse = m + total.ln();
            Zip::from(&mut y).and(&x).for_each(|y, &x| *y = x - lse);
        })?;
        Ok(Tensor::from_op(out, Op::LogSoftmax(self.clone(), axis)))
    }

    fn per_lane(
        &self,
        op: &'static str,
        axis: usize,
        f: impl Fn(ndarray::ArrayView1<'_, T>, ndarray::ArrayViewMut1<'_, T>),
    ) -> Result<ArrayD<T>, AutogradError> {
        let a = self.node.data.borrow();
        check_axis(op, axis, a.shape())?;
        let mut out = ArrayD::zeros(a.raw_dim());
        Zip::from(a.lanes(Axis(axis)))
            .and(out.lanes_mut(Axis(axis)))
            .for_each(f);
        Ok(out)
    }
}

/// Gradient of softmax along `axis`: `y (g - sum(g y))`.
pub(crate) fn softmax_backward<T: Float>(axis: usize, y: &ArrayD<T>, g: &ArrayD<T>) -> ArrayD<T> {
    let mut ga = ArrayD::zeros(y.raw_dim());
    Zip::from(ga.lanes_mut(Axis(axis)))
        .and(y.lanes(Axis(axis)))
        .and(g.lanes(Axis(axis)))
        .for_each(|mut d, y, g| {
            let dot = Zip::from(&y).and(&g).fold(T::zero(), |s, &y, &g| s + y * g);
            Zip::from(&mut d)
                .and(&y)
                .and(&g)
                .for_each(|d, &y, &g| *d = y * (g - dot));
        });
    ga
}

/// Gradient of log-softmax along `axis`: `g - exp(out) sum(g)`.
pub(crate) fn log_softmax_backward<T: Float>(
    axis: usize,
    out: &ArrayD<T>,
    g: &ArrayD<T>,
) -> ArrayD<T> {
    let mut ga = ArrayD::zeros(out.raw_dim());
    Zip::from(ga.lanes_mut(Axis(axis)))
        .and(out.lanes(Axis(axis)))
        .and(g.lanes(Axis(axis)))
        .for_each(|mut d, o, g| {
            let total = g.sum();
            Zip::from(&mut d)
                .and(&o)
                .and(&g)
                .for_each(|d, &o, &g| *d = g - o.exp() * total);
        });
    ga
}
