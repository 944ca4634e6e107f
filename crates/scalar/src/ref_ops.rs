//! Operators with a borrowed float on the right (`&yout - ygt` where `ygt:
//! &f64`, as `zip` over a slice of targets yields), and compound assignment
//! with one. Each forwards to the owned-float operator in `arith`, which
//! also has the float-on-the-left ones, borrowed or not.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Sub, SubAssign};

use crate::{Scalar, Value};

macro_rules! ref_float_rhs {
    ($trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident) => {
        impl<T: Scalar> $trait<&T> for &Value<T> {
            type Output = Value<T>;
            #[inline]
            fn $method(self, rhs: &T) -> Value<T> {
                self.$method(*rhs)
            }
        }
        impl<T: Scalar> $trait<&T> for Value<T> {
            type Output = Value<T>;
            #[inline]
            fn $method(self, rhs: &T) -> Value<T> {
                (&self).$method(*rhs)
            }
        }
        impl<T: Scalar> $assign_trait<&T> for Value<T> {
            #[inline]
            fn $assign_method(&mut self, rhs: &T) {
                self.$assign_method(*rhs);
            }
        }
    };
}

ref_float_rhs!(Add, add, AddAssign, add_assign);
ref_float_rhs!(Sub, sub, SubAssign, sub_assign);
ref_float_rhs!(Mul, mul, MulAssign, mul_assign);
ref_float_rhs!(Div, div, DivAssign, div_assign);

#[cfg(test)]
// The references are the point: they are what `iter()` and `zip` hand out.
#[allow(clippy::op_ref)]
mod tests {
    use crate::Value;

    #[test]
    fn borrowed_floats_on_either_side() {
        let x = Value::new(3.0f64);
        let two = 2.0f64;
        assert_eq!((&x - &two).data(), 1.0);
        assert_eq!((x.clone() + &two).data(), 5.0);
        assert_eq!((&x * &two).data(), 6.0);
        assert_eq!((&x / &two).data(), 1.5);
        assert_eq!((&two - &x).data(), -1.0);
        assert_eq!((&two / x.clone()).data(), 2.0 / 3.0);
        let mut y = x.clone();
        y -= &two;
        y *= &two;
        assert_eq!(y.data(), 2.0);
        y.backward();
        assert_eq!(x.grad(), 2.0);
    }

    #[test]
    fn notebook_loss_over_zipped_targets() {
        let ys = [1.0f32, -1.0];
        let pred = [Value::new(0.5f32), Value::new(0.0)];
        let loss: Value<f32> = ys
            .iter()
            .zip(&pred)
            .map(|(ygt, yout)| (yout - ygt).powi(2))
            .sum();
        assert_eq!(loss.data(), 0.25 + 1.0);
    }
}
