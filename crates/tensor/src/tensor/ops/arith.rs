//! The arithmetic operators on tensors and plain floats. Like PyTorch's,
//! they panic when shapes do not broadcast, with the message of the
//! [`AutogradError`](crate::AutogradError) that the `try_*` methods return.

use std::ops::{Add, Div, Mul, Neg, Sub};

use ferrograd_scalar::Binary;

use crate::tensor::Tensor;
use crate::Float;

impl<T: Float> From<&Tensor<T>> for Tensor<T> {
    /// The same node (a handle clone), so `&t` goes where a tensor or a
    /// float is taken.
    fn from(t: &Tensor<T>) -> Self {
        t.clone()
    }
}

/// Panics with the error's message: what an operator does on bad shapes.
fn expect<T: Float>(r: Result<Tensor<T>, crate::AutogradError>) -> Tensor<T> {
    r.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! tensor_ops {
    ($($trait:ident $method:ident $try:ident $op:ident;)*) => {$(
        impl<T: Float> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                expect(self.$try(rhs))
            }
        }
        impl<T: Float> $trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                expect(self.$try(rhs))
            }
        }
        impl<T: Float> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                expect(self.$try(rhs))
            }
        }
        impl<T: Float> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                expect(self.$try(rhs))
            }
        }
        impl<T: Float> $trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                self.with_float(Binary::$op, rhs, false)
            }
        }
        impl<T: Float> $trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                self.with_float(Binary::$op, rhs, false)
            }
        }
        tensor_ops!(@float f32 $trait $method $op);
        tensor_ops!(@float f64 $trait $method $op);
    )*};
    (@float $t:ident $trait:ident $method:ident $op:ident) => {
        impl $trait<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn $method(self, rhs: &Tensor<$t>) -> Tensor<$t> {
                rhs.with_float(Binary::$op, self, true)
            }
        }
        impl $trait<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn $method(self, rhs: Tensor<$t>) -> Tensor<$t> {
                rhs.with_float(Binary::$op, self, true)
            }
        }
    };
}

tensor_ops! {
    Add add try_add Add;
    Sub sub try_sub Sub;
    Mul mul try_mul Mul;
    Div div try_div Div;
}

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Float> Neg for Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}
