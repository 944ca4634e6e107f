//! The elementwise functions of one operand, declared once.
//!
//! Every engine and every checker reads this list: the scalar tape's nodes,
//! `Value`'s methods, the batched engine's elementwise operations, the program
//! form and its random generator, and the libtorch oracle. Adding a function
//! means one line in [`unary_ops!`], its value and gradient below, and its
//! tests; the rest follows from [`Unary::ALL`].

use crate::op::rules;
use crate::Scalar;

/// Declares [`Unary`], [`Unary::ALL`] and [`Unary::name`] from one list of
/// `Variant => "name"`: the name is PyTorch's function (`torch.tanh`, ...),
/// which programs print and reports show.
macro_rules! unary_ops {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// An elementwise function of one operand.
        ///
        /// ```
        /// use ferrograd_scalar::Unary;
        ///
        /// let f = Unary::Tanh;
        /// let out = f.value(0.5f64);
        /// assert_eq!(out, 0.5f64.tanh());
        /// // d tanh / da = 1 - tanh^2, times the upstream gradient 2.
        /// assert!((f.grad(0.5, out, 2.0) - 2.0 * (1.0 - out * out)).abs() < 1e-15);
        /// assert_eq!(Unary::ALL.iter().filter(|u| u.name() == "tanh").count(), 1);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Unary {
            $($(#[$doc])* $variant,)*
        }

        impl Unary {
            /// Every function, in declaration order.
            pub const ALL: &'static [Unary] = &[$(Unary::$variant,)*];

            /// PyTorch's name of the function (`"tanh"`, `"log1p"`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(Unary::$variant => $name,)*
                }
            }

            /// The function's place in [`Unary::ALL`].
            #[inline(always)]
            pub(crate) const fn code(self) -> u8 {
                self as u8
            }

            /// The function at `code` in [`Unary::ALL`] (the last one past
            /// the end). A `match`, not an index into `ALL`, so that the
            /// compiler sees the identity and a caller's `match` on the
            /// result becomes one jump.
            #[inline(always)]
            pub(crate) const fn from_code(code: u8) -> Unary {
                #[allow(non_upper_case_globals)]
                mod codes {
                    $(pub(super) const $variant: u8 = super::Unary::$variant as u8;)*
                }
                match code {
                    $(codes::$variant => Unary::$variant,)*
                    _ => Unary::ALL[Unary::ALL.len() - 1],
                }
            }
        }
    };
}

unary_ops! {
    /// `-a`
    Neg => "neg",
    /// `tanh(a)`
    Tanh => "tanh",
    /// `exp(a)`
    Exp => "exp",
    /// The natural logarithm (`torch.log`).
    Ln => "log",
    /// `1 / (1 + exp(-a))`
    Sigmoid => "sigmoid",
    /// `max(a, 0)`; NaN stays NaN, the slope at 0 is 0 (as in PyTorch).
    Relu => "relu",
    /// Square root.
    Sqrt => "sqrt",
    /// `|a|`; the slope at 0 is 0 (PyTorch's `sgn`).
    Abs => "abs",
    /// `sin(a)`
    Sin => "sin",
    /// `cos(a)`
    Cos => "cos",
    /// `ln(1 + a)`, accurate for small `a`.
    Log1p => "log1p",
    /// `exp(a) - 1`, accurate for small `a`.
    Expm1 => "expm1",
}

impl Unary {
    /// The label micrograd's pictures show on the operation's node.
    pub fn symbol(self) -> &'static str {
        match self {
            Unary::Ln => "ln",
            Unary::Relu => "ReLU",
            u => u.name(),
        }
    }

    /// The function's value at `a`. NaN and infinities propagate as IEEE
    /// arithmetic does (`relu(NaN)` is NaN, not 0).
    #[inline(always)]
    pub fn value<T: Scalar>(self, a: T) -> T {
        match self {
            Unary::Neg => -a,
            Unary::Tanh => a.tanh(),
            Unary::Exp => rules::exp(a),
            Unary::Ln => a.ln(),
            Unary::Sigmoid => T::one() / (T::one() + rules::exp(-a)),
            Unary::Relu => {
                // `max` would turn NaN into 0; IEEE propagation is promised.
                if a > T::zero() || a.is_nan() {
                    a
                } else {
                    T::zero()
                }
            }
            Unary::Sqrt => a.sqrt(),
            Unary::Abs => a.abs(),
            Unary::Sin => a.sin(),
            Unary::Cos => a.cos(),
            Unary::Log1p => a.ln_1p(),
            Unary::Expm1 => a.exp_m1(),
        }
    }

    /// The contribution to the operand's gradient: the upstream gradient `g`
    /// times the derivative at `a`, given `out = self.value(a)`.
    ///
    /// | f(a) | g f'(a) |
    /// |---|---|
    /// | -a | -g |
    /// | tanh a | g (1 - out^2) for \|out\| < 1/2, else g 4e/(1+e)^2, e = exp(-2\|a\|) |
    /// | exp a | g out |
    /// | ln a | g / a |
    /// | sigmoid a | g out (1 - out) for a <= 0, else g e/(1+e)^2, e = exp(-a) |
    /// | relu a | 0 if out <= 0 else g (so NaN passes g on, as ATen's `threshold_backward`) |
    /// | sqrt a | g / (2 out) |
    /// | abs a | g sgn(a), sgn(0) = sgn(NaN) = 0 (ATen's `sign`) |
    /// | sin a | g cos a |
    /// | cos a | -g sin a (ATen: `g * -sin a`) |
    /// | log1p a | g / (1 + a) |
    /// | expm1 a | g exp(a), not ATen's `g (out + 1)`, which is 0 once `out` rounds to -1 (a < -37 in f64) |
    #[inline(always)]
    pub fn grad<T: Scalar>(self, a: T, out: T, g: T) -> T {
        let zero = T::zero();
        match self {
            Unary::Neg => -g,
            Unary::Tanh => g * rules::tanh_slope(a, out),
            Unary::Exp => g * out,
            Unary::Ln => g / a,
            Unary::Sigmoid => g * rules::sigmoid_slope(a, out),
            // `<=`, not `>`: NaN passes the gradient on, as ATen does.
            Unary::Relu => {
                if out <= zero {
                    zero
                } else {
                    g
                }
            }
            Unary::Sqrt => g / (out + out),
            Unary::Abs => g * sign(a),
            Unary::Sin => g * a.cos(),
            Unary::Cos => g * -a.sin(),
            Unary::Log1p => g / (a + T::one()),
            Unary::Expm1 => g * rules::exp(a),
        }
    }
}

impl Unary {
    /// The open lower end of the arguments where the function is real with
    /// a finite slope: `Some(lo)` asks for `a > lo` (`ln` and `sqrt` at 0,
    /// `log1p` at -1), `None` for every real `a`.
    pub fn domain_above(self) -> Option<f64> {
        match self {
            Unary::Ln | Unary::Sqrt => Some(0.0),
            Unary::Log1p => Some(-1.0),
            _ => None,
        }
    }

    /// Where the function's rules are hardest to get right: the random
    /// program generators draw arguments from these regions (clipped to
    /// [`Unary::domain_above`] by mirroring), so a new function is tested
    /// at its edges as soon as it is declared.
    pub fn edges(self) -> &'static [Edge] {
        use Edge::*;
        /// `center ± 10^u`, `u` in `lo..hi` ([`Edge::Near`]).
        const fn near(center: f64, lo: f64, hi: f64) -> Edge {
            Near { center, lo, hi }
        }
        // Tiny arguments, down to 1e-30, where a rule that loses the
        // leading term of the function's series shows.
        const TINY: Edge = near(0.0, -30.0, -1.0);
        // From 1e-30 up to 1: the whole range below the first unit.
        const TO_ONE: Edge = near(0.0, -30.0, 0.0);
        match self {
            Unary::Neg => &[At(-0.0), Band { lo: 0.0, hi: 3.0 }],
            // Saturated up to |a| = 50, and log-uniform towards 0.
            Unary::Tanh | Unary::Sigmoid => {
                const { &[Band { lo: 0.0, hi: 50.0 }, near(0.0, -3.0, 1.7)] }
            }
            Unary::Exp => &[
                Overflow { below: 5.0 },
                Overflow {
                    below: f64::INFINITY,
                },
            ],
            Unary::Ln => const { &[near(1.0, -16.0, -1.0), TINY] },
            Unary::Relu => &[At(0.0), At(-0.0), Band { lo: 0.0, hi: 3.0 }],
            Unary::Sqrt => &[TO_ONE],
            Unary::Abs => &[At(0.0), At(-0.0), TO_ONE],
            // Arguments reduced by many periods, and tiny ones.
            Unary::Sin | Unary::Cos => const { &[Band { lo: 1e3, hi: 1e5 }, near(0.0, -8.0, 5.0)] },
            // Next to the pole at -1 (no closer than f32 can tell from -1),
            // and tiny arguments, where `ln(1 + a)` would lose every digit.
            Unary::Log1p => const { &[near(-1.0, -7.0, -1.0), TINY] },
            // Tiny arguments; below -37 the output rounds to -1 in f64 (and
            // `out + 1` is 0); large ones up to overflow.
            Unary::Expm1 => &[TINY, Band { lo: 17.0, hi: 60.0 }, Overflow { below: 5.0 }],
        }
    }
}

/// A region of arguments, for [`Unary::edges`]. A sign is drawn for every
/// region but [`Edge::At`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edge {
    /// Exactly this argument (a kink, a signed zero).
    At(f64),
    /// `center ± 10^u` with `u` uniform in `lo..hi`: log-uniform distances
    /// from `center`, on either side.
    Near {
        /// The point approached.
        center: f64,
        /// The smallest distance's decimal exponent.
        lo: f64,
        /// The largest distance's decimal exponent.
        hi: f64,
    },
    /// `±x` with `x` uniform in `lo..hi`.
    Band {
        /// Smallest magnitude.
        lo: f64,
        /// Largest magnitude.
        hi: f64,
    },
    /// `±(ln(max) - u)` with `u` uniform in `0..below` (at most `ln(max)`),
    /// where `max` is the largest magnitude a program may reach: `exp` and
    /// `expm1` up to `below` units short of overflow.
    Overflow {
        /// How far below the overflow threshold the draws reach.
        below: f64,
    },
}

/// ATen's `sign` on floats: `(0 < a) - (a < 0)`, so 0 at ±0 and at NaN.
#[inline(always)]
fn sign<T: Scalar>(a: T) -> T {
    if a > T::zero() {
        T::one()
    } else if a < T::zero() {
        -T::one()
    } else {
        T::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_symbols_follow_micrograd() {
        let mut names: Vec<_> = Unary::ALL.iter().map(|u| u.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Unary::ALL.len());
        assert_eq!(Unary::Relu.symbol(), "ReLU");
        assert_eq!(Unary::Ln.symbol(), "ln");
        assert_eq!(Unary::Tanh.symbol(), "tanh");
    }

    /// Central differences in f64 agree with every rule away from kinks.
    #[test]
    fn every_grad_matches_central_differences() {
        for &u in Unary::ALL {
            for &a in &[0.3f64, 0.7, 1.3, 2.5] {
                let got = u.grad(a, u.value(a), 1.0);
                crate::op::tests::assert_slope(got, |x| u.value(x), a, u.name());
            }
        }
    }

    #[test]
    fn expm1_slope_survives_where_out_rounds_to_minus_one() {
        // expm1(-40) rounds to -1 in f64; its slope exp(-40) does not vanish.
        let a = -40.0f64;
        let out = Unary::Expm1.value(a);
        assert_eq!(out + 1.0, 0.0);
        // exp(-40) = 4.248354255291588995e-18 (mpmath, 30 digits).
        let want = 4.248354255291589e-18;
        let got = Unary::Expm1.grad(a, out, 1.0);
        assert!((got - want).abs() <= 2.0 * f64::EPSILON * want, "{got}");
    }

    #[test]
    fn kinks_and_nan_follow_aten() {
        assert_eq!(Unary::Abs.grad(0.0f64, 0.0, 1.0), 0.0);
        assert_eq!(Unary::Abs.grad(-0.0f64, 0.0, 1.0), 0.0);
        assert_eq!(Unary::Abs.grad(f64::NAN, f64::NAN, 1.0), 0.0);
        assert_eq!(Unary::Abs.grad(-2.0f32, 2.0, 3.0), -3.0);
        assert_eq!(Unary::Relu.grad(0.0f64, 0.0, 1.0), 0.0);
        assert!(Unary::Relu.value(f64::NAN).is_nan());
        assert_eq!(Unary::Relu.grad(f64::NAN, f64::NAN, 1.0), 1.0);
        assert!(Unary::Log1p.value(-1.0f64).is_infinite());
        assert!(Unary::Sqrt.value(-1.0f32).is_nan());
    }

    #[test]
    fn log1p_and_expm1_keep_small_arguments() {
        let a = 1e-20f64;
        assert_eq!(Unary::Log1p.value(a), a);
        assert_eq!(Unary::Expm1.value(a), a);
        assert_eq!(Unary::Log1p.value(1e-10f32), 1e-10f32);
    }
}
