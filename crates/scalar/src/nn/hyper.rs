//! The domain of every hyper-parameter, shared by both engines' optimisers
//! and schedules so that a value refused by one constructor is refused by
//! every setter and by the other engine, with the same error.
//!
//! Each check takes the value widened to `f64`: widening an `f32` keeps
//! NaN, the infinities and the sign, so the verdict is the same in either
//! precision.

use crate::Error;

fn bad(name: &'static str, value: impl ToString, why: &'static str) -> Error {
    Error::BadHyperParameter {
        name,
        value: value.to_string(),
        why,
    }
}

/// A learning rate: finite and `>= 0`.
pub fn learning_rate(lr: f64) -> Result<(), Error> {
    non_negative("lr", lr)
}

/// A finite value `>= 0` (learning rate, weight decay).
pub fn non_negative(name: &'static str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(bad(name, v, "must be finite and >= 0"))
    }
}

/// A finite value `> 0` (eps, a decay factor).
pub fn positive(name: &'static str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(bad(name, v, "must be finite and > 0"))
    }
}

/// A finite value of any sign.
pub fn finite(name: &'static str, v: f64) -> Result<(), Error> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(bad(name, v, "must be finite"))
    }
}

/// A value in `[0, 1)` (momentum, Adam's betas).
pub fn fraction(name: &'static str, v: f64) -> Result<(), Error> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(bad(name, v, "must be in [0, 1)"))
    }
}

/// A count of at least 1 (schedule lengths, batch sizes).
pub fn at_least_one(name: &'static str, n: usize) -> Result<(), Error> {
    if n >= 1 {
        Ok(())
    } else {
        Err(bad(name, n, "must be at least 1"))
    }
}

/// Writes an optimiser's builder setters, for both engines' optimisers:
/// each setter checks its arguments with the named check of this module
/// (in order, the first refusal returned before anything is stored) and
/// then stores each, widened to `f64`, in the field of the same name of the
/// optimiser's `rule` ([`crate::nn::update`]). So a setter refuses what
/// the constructors and the other engine refuse, with the same error, and
/// an optimiser keeps its hyper-parameters where its update reads them.
///
/// `$num` is the type the setters take (`T` or `f64`) and `$err` the error
/// they return, one that [`crate::Error`] converts into. Used inside an
/// `impl` block:
///
/// ```ignore
/// hyper_setters! { T, Error;
///     /// Adds momentum (in [0, 1)).
///     with_momentum(momentum: fraction);
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! hyper_setters {
    ($num:ty, $err:ty; $($(#[$doc:meta])* $setter:ident($($field:ident: $check:ident),+);)+) => {
        $(
            $(#[$doc])*
            pub fn $setter(mut self, $($field: $num),+) -> Result<Self, $err> {
                $($crate::nn::hyper::$check(stringify!($field), $crate::Scalar::to_f64($field))?;)+
                $(self.rule.$field = $crate::Scalar::to_f64($field);)+
                Ok(self)
            }
        )+
    };
}

/// An error for `name = value` that breaks a rule only the caller can state.
pub(crate) fn refuse(name: &'static str, value: f64, why: &'static str) -> Error {
    bad(name, value, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert!(learning_rate(0.0).is_ok());
        for v in [f64::NAN, -1e-300, f64::INFINITY] {
            assert!(learning_rate(v).is_err(), "{v}");
            assert!(positive("eps", v).is_err(), "{v}");
        }
        assert!(positive("eps", 0.0).is_err());
        assert!(fraction("momentum", 1.0).is_err());
        assert!(fraction("momentum", f64::NAN).is_err());
        assert!(finite("drop", -3.0).is_ok());
        assert_eq!(
            at_least_one("steps", 0).unwrap_err().to_string(),
            "invalid hyper-parameter steps = 0: must be at least 1"
        );
    }
}
