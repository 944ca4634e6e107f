//! Operators on values: `+ - * /` and unary `-` for owned and borrowed
//! values and plain floats on either side, compound assignment, and `Sum`.
//!
//! A plain float becomes a leaf node first, as micrograd wraps a number in a
//! `Value`, so graph pictures show the constant.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::value::record;
use crate::{Scalar, Value};

macro_rules! binary_op {
    ($trait:ident, $method:ident, $variant:ident, $assign_trait:ident, $assign_method:ident) => {
        impl<T: Scalar> $trait<&Value<T>> for &Value<T> {
            type Output = Value<T>;
            #[inline(always)]
            fn $method(self, rhs: &Value<T>) -> Value<T> {
                record!(
                    T,
                    $crate::op::Op::Binary($crate::Binary::$variant, self.id_raw(), rhs.id_raw())
                )
            }
        }
        impl<T: Scalar> $trait<Value<T>> for &Value<T> {
            type Output = Value<T>;
            #[inline(always)]
            fn $method(self, rhs: Value<T>) -> Value<T> {
                self.$method(&rhs)
            }
        }
        impl<T: Scalar> $trait<&Value<T>> for Value<T> {
            type Output = Value<T>;
            #[inline(always)]
            fn $method(self, rhs: &Value<T>) -> Value<T> {
                (&self).$method(rhs)
            }
        }
        impl<T: Scalar> $trait<Value<T>> for Value<T> {
            type Output = Value<T>;
            #[inline(always)]
            fn $method(self, rhs: Value<T>) -> Value<T> {
                (&self).$method(&rhs)
            }
        }
        impl<T: Scalar> $trait<T> for &Value<T> {
            type Output = Value<T>;
            #[inline(always)]
            fn $method(self, rhs: T) -> Value<T> {
                self.$method(&Value::new(rhs))
            }
        }
        impl<T: Scalar> $trait<T> for Value<T> {
            type Output = Value<T>;
            #[inline(always)]
            fn $method(self, rhs: T) -> Value<T> {
                (&self).$method(&Value::new(rhs))
            }
        }
        impl<T: Scalar> $assign_trait<&Value<T>> for Value<T> {
            #[inline(always)]
            fn $assign_method(&mut self, rhs: &Value<T>) {
                *self = (&*self).$method(rhs);
            }
        }
        impl<T: Scalar> $assign_trait<Value<T>> for Value<T> {
            #[inline(always)]
            fn $assign_method(&mut self, rhs: Value<T>) {
                *self = (&*self).$method(&rhs);
            }
        }
        impl<T: Scalar> $assign_trait<T> for Value<T> {
            #[inline(always)]
            fn $assign_method(&mut self, rhs: T) {
                *self = (&*self).$method(&Value::new(rhs));
            }
        }
    };
}

binary_op!(Add, add, Add, AddAssign, add_assign);
binary_op!(Sub, sub, Sub, SubAssign, sub_assign);
binary_op!(Mul, mul, Mul, MulAssign, mul_assign);
binary_op!(Div, div, Div, DivAssign, div_assign);

/// `2.0 * &x` and `&2.0 * x`: the orphan rule forbids `impl<T> Mul<Value<T>>
/// for T`, so each float type gets its own impls, owned or borrowed on
/// either side (`zip` over a slice of targets hands out `&f64`).
macro_rules! scalar_lhs {
    ($($t:ty),*) => {$(
        scalar_lhs!(@op $t, Add, add);
        scalar_lhs!(@op $t, Sub, sub);
        scalar_lhs!(@op $t, Mul, mul);
        scalar_lhs!(@op $t, Div, div);
    )*};
    (@op $t:ty, $trait:ident, $method:ident) => {
        scalar_lhs!(@impl [$t] [&Value<$t>] $t, $trait, $method, |l, r| (&Value::new(l)).$method(r));
        scalar_lhs!(@impl [$t] [Value<$t>] $t, $trait, $method, |l, r| (&Value::new(l)).$method(&r));
        scalar_lhs!(@impl [&$t] [&Value<$t>] $t, $trait, $method, |l, r| (*l).$method(r));
        scalar_lhs!(@impl [&$t] [Value<$t>] $t, $trait, $method, |l, r| (*l).$method(&r));
    };
    (@impl [$($lhs:tt)*] [$($rhs:tt)*] $t:ty, $trait:ident, $method:ident, |$l:ident, $r:ident| $body:expr) => {
        impl $trait<$($rhs)*> for $($lhs)* {
            type Output = Value<$t>;
            #[inline(always)]
            fn $method(self, $r: $($rhs)*) -> Value<$t> {
                let $l = self;
                $body
            }
        }
    };
}

scalar_lhs!(f32, f64);

impl<T: Scalar> Neg for &Value<T> {
    type Output = Value<T>;
    #[inline(always)]
    fn neg(self) -> Value<T> {
        record!(T, crate::op::Op::Unary(crate::Unary::Neg, self.id_raw()))
    }
}

impl<T: Scalar> Neg for Value<T> {
    type Output = Value<T>;
    #[inline(always)]
    fn neg(self) -> Value<T> {
        -&self
    }
}

/// Left fold with `+`, first element first; an empty sum is a new leaf 0.
fn sum_refs<'a, T: Scalar>(mut iter: impl Iterator<Item = &'a Value<T>>) -> Value<T> {
    let Some(first) = iter.next() else {
        return Value::new(T::zero());
    };
    let mut acc = first.clone();
    for v in iter {
        acc = &acc + v;
    }
    acc
}

impl<T: Scalar> Sum<Value<T>> for Value<T> {
    fn sum<I: Iterator<Item = Value<T>>>(mut iter: I) -> Value<T> {
        let Some(mut acc) = iter.next() else {
            return Value::new(T::zero());
        };
        for v in iter {
            acc = &acc + &v;
        }
        acc
    }
}

impl<'a, T: Scalar> Sum<&'a Value<T>> for Value<T> {
    fn sum<I: Iterator<Item = &'a Value<T>>>(iter: I) -> Value<T> {
        sum_refs(iter)
    }
}
