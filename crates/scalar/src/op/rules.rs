//! The derivative rules that need more care than their textbook formula,
//! shared by the tape's `Kind`, `program`'s own evaluator and (through
//! [`crate::rules`]) the batched engine's activations.
//!
//! Each one keeps the cheap formula where it is accurate and switches where
//! it is not; the unit tests below compare every branch with values computed
//! to 50 digits with mpmath.

use crate::Scalar;

/// `e^x`, 0 without calling the platform's `exp` where the result is 0
/// anyway (`x` below [`Scalar::EXP_ZERO_BELOW`](crate::scalar::sealed::Sealed),
/// -746 in f64): glibc's `exp` reaches an underflowing result through its
/// error-reporting path (it sets `errno`), about six times the cost of an
/// ordinary call (36 ns against 6 ns with glibc 2.36), and a saturated tanh
/// or sigmoid asks for `exp(-2|a|)` or `exp(-a)` at every node. The same
/// bits as `x.exp()` for every `x`, NaN and infinities included.
#[inline(always)]
pub(crate) fn exp<T: Scalar>(x: T) -> T {
    if x < T::EXP_ZERO_BELOW {
        T::zero()
    } else {
        x.exp()
    }
}

/// `a ** n` by repeated multiplication for `n` in `-2..=3`, `None` for any
/// other `n`: up to three roundings, so at most about 1.5 ulps. Longer
/// products (up to 2 log2 |n| roundings, each doubling the error before it)
/// go through `pow`.
///
/// The products are written out, the same ones in the same order as the
/// runtime's `powi` (square-and-multiply from `r = 1`, then `1 / r` for a
/// negative `n`), so the bits are the same, without its call and loop.
#[inline(always)]
fn short_power<T: Scalar>(a: T, n: i64) -> Option<T> {
    let one = T::one();
    Some(match n {
        -2 => one / (a * a),
        -1 => one / a,
        0 => one,
        1 => a,
        2 => a * a,
        3 => a * (a * a),
        _ => return None,
    })
}

/// `a ** n` through `pow`, for the exponents [`short_power`] leaves.
#[inline]
fn long_power(a: f64, n: i64) -> f64 {
    // Every i32 and i32 - 1 is an exact f64, so the sign of a negative
    // base comes out right for odd exponents.
    a.powf(n as f64)
}

/// `a ** n`, as `f64`, for any `i64` exponent (so `n - 1` never wraps).
#[inline]
fn powi_f64(a: f64, n: i64) -> f64 {
    short_power(a, n).unwrap_or_else(|| long_power(a, n))
}

/// `a ** n`: short products by multiplication, longer ones with `pow`
/// evaluated in `f64` and rounded once (for `f32`, `n` is not even exact in
/// the type: `i32::MAX as f32` is even).
#[inline]
pub fn powi<T: Scalar>(a: T, n: i32) -> T {
    let n = i64::from(n);
    short_power(a, n).unwrap_or_else(|| T::from_f64(long_power(a.to_f64(), n)))
}

/// `g` times a power's slope `slope = e out / a` (formed in `f64`), with
/// `out = a ** e`: the product is formed in `f64` before it is rounded to
/// `T`, so a slope only `f64` holds (`-2 x^-3` at `x = 5e-16` in f32) still
/// gives a product `T` holds; where `f64` cannot hold the slope either
/// (`-2 x^-3` at `x = 6e117`), the product is regrouped as `(g out) e / a`.
#[inline]
fn power_grad<T: Scalar>(g: T, slope: f64, e: f64, a: T, out: T) -> T {
    if slope.is_normal() {
        return T::from_f64(g.to_f64() * slope);
    }
    if a != T::zero() && a.is_finite() && out.is_normal() {
        return T::from_f64(g.to_f64() * out.to_f64() * e / a.to_f64());
    }
    times_slope(g, T::from_f64(slope), a)
}

/// The contribution `g n a^(n-1)` of `a ** n`, with `n - 1` in `i64` (no
/// wrap at `i32::MIN`) and the slope formed in `f64` (see [`power_grad`]); 0
/// when `n = 0`.
#[inline]
pub(crate) fn powi_grad<T: Scalar>(g: T, a: T, n: i32, out: T) -> T {
    if n == 0 {
        return T::zero();
    }
    let slope = f64::from(n) * powi_f64(a.to_f64(), i64::from(n) - 1);
    power_grad(g, slope, f64::from(n), a, out)
}

/// The contribution `g e a^(e-1)` of `a ** e` (see [`power_grad`] and
/// [`powf_slope`]); 0 when `e = 0`.
#[inline]
pub(crate) fn powf_grad<T: Scalar>(g: T, a: T, e: T, out: T) -> T {
    if e == T::zero() {
        return T::zero();
    }
    let slope = powf_slope(a, e, out).to_f64();
    power_grad(g, slope, e.to_f64(), a, out)
}

/// `g * slope` for a slope taken at the finite argument `a`: a slope that
/// overflowed there (`(1e-82)^-4`) stands for a large finite number, so a
/// zero upstream gradient gives its exact product 0, not IEEE's `0 * inf =
/// NaN`. NaN and infinite arguments keep IEEE's answer.
#[inline]
pub(crate) fn times_slope<T: Scalar>(g: T, slope: T, a: T) -> T {
    if g == T::zero() && slope.is_infinite() && a.is_finite() {
        T::zero()
    } else {
        g * slope
    }
}

/// d(a ** e)/da = e a^(e-1) given `out = a ** e`; 0 when `e = 0`.
///
/// `a.powf(e - 1)` rounds `e - 1` first, and `a^(e - 1 + d)` is off by
/// `d ln a` relative: 14 ulps for `e = -1.7` at `a = 1e-6`. `out / a` has no
/// such error; it is used whenever `out` is a normal number (so neither it nor
/// the quotient has lost digits to underflow or overflow).
#[inline]
pub(crate) fn powf_slope<T: Scalar>(a: T, e: T, out: T) -> T {
    if e == T::zero() {
        return T::zero();
    }
    if a != T::zero() && out.is_normal() {
        let s = e.to_f64() * (out.to_f64() / a.to_f64());
        if s.is_finite() {
            return T::from_f64(s);
        }
    }
    e * a.powf(e - T::one())
}

/// tanh'(a) = 1 - tanh(a)^2 given `out = tanh(a)`.
///
/// `1 - out^2` is accurate while `|out| < 1/2`; beyond, `out` has rounded
/// towards ±1 and the difference loses digits (all of them from |a| = 19 in
/// f64, 9 in f32), so the slope is formed from `e = exp(-2|a|)` as
/// `4 e / (1 + e)^2`, which is exact to a few ulps out to where it underflows.
#[inline]
pub fn tanh_slope<T: Scalar>(a: T, out: T) -> T {
    let half = T::from_f64(0.5);
    if out.abs() < half {
        return T::one() - out * out;
    }
    let e = exp(-(a.abs() + a.abs()));
    let d = T::one() + e;
    T::from_f64(4.0) * e / (d * d)
}

/// sigmoid'(a) = sigmoid(a) sigmoid(-a) given `out = sigmoid(a)`.
///
/// For `a <= 0`, `out <= 1/2` and `1 - out` is sigmoid(-a) to within an ulp,
/// so `out (1 - out)` is accurate. For `a > 0`, `1 - out` cancels (it is 0
/// from a = 37 in f64, 17 in f32); there the slope is `e / (1 + e)^2` with
/// `e = exp(-a)`.
#[inline]
pub fn sigmoid_slope<T: Scalar>(a: T, out: T) -> T {
    if a <= T::zero() {
        return out * (T::one() - out);
    }
    let e = exp(-a);
    let d = T::one() + e;
    e / (d * d)
}

/// d(a / b)/db times the upstream gradient `g`: `-(g / b) out` with
/// `out = a / b`.
///
/// libtorch's `-g (a / b) / b` forms `a / b^2` first, which overflows (f32,
/// a = 409, b = 1e-30) even when the product with `g` is small, and then
/// `0 * inf` is NaN for a zero upstream gradient. `g / b` first keeps a
/// zero gradient zero; if it is the quotient that overflows, the other order
/// `-(g out) / b` is tried before giving up.
#[inline]
pub(crate) fn div_grad_b<T: Scalar>(g: T, b: T, out: T) -> T {
    let r = -(g / b) * out;
    if r.is_finite() || !(g.is_finite() && out.is_finite()) || b == T::zero() {
        return r;
    }
    -(g * out) / b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error in units of `T`'s epsilon.
    fn eps_err(got: f64, want: f64, eps: f64) -> f64 {
        if got == want {
            return 0.0;
        }
        (got - want).abs() / want.abs() / eps
    }

    // Reference values below: mpmath 1.3.0 with mp.dps = 50, rounded to the
    // nearest f64 (written as its shortest round-trip literal), e.g. `mpmath.sech(mpf(20))**2` for tanh'(20) and
    // `e = exp(-mpf(40)); e / (1 + e)**2` for sigmoid'(40).

    /// (x, tanh'(x)) = (x, sech(x)^2)
    const TANH: [(f64, f64); 6] = [
        (0.25, 0.940014848806378),
        (0.6, 0.7115777625872228),
        (5.0, 0.00018158323094380667),
        (10.0, 8.244614455767397e-09),
        (20.0, 1.6993417021166355e-17),
        (-35.0, 1.5901798943634587e-30),
    ];

    /// (x, sigmoid(x) sigmoid(-x))
    const SIGMOID: [(f64, f64); 6] = [
        (-3.0, 0.04517665973091213),
        (0.5, 0.2350037122015945),
        (17.0, 4.1399373760035016e-08),
        (37.0, 8.533047625744065e-17),
        (-37.0, 8.533047625744065e-17),
        (50.0, 1.9287498479639178e-22),
    ];

    /// `slope(x, value(x))` is within 4 ulps of `want` in both types.
    fn check_slope(
        name: &str,
        cases: &[(f64, f64)],
        slope64: fn(f64, f64) -> f64,
        slope32: fn(f32, f32) -> f32,
        value64: fn(f64) -> f64,
        value32: fn(f32) -> f32,
    ) {
        for &(x, want) in cases {
            let got = slope64(x, value64(x));
            assert!(
                eps_err(got, want, f64::EPSILON) <= 4.0,
                "f64 {name}'({x}) = {got:e}, want {want:e}"
            );
            let x32 = x as f32;
            let got = f64::from(slope32(x32, value32(x32)));
            assert!(
                eps_err(got, want, f64::from(f32::EPSILON)) <= 4.0,
                "f32 {name}'({x}) = {got:e}, want {want:e}"
            );
        }
    }

    #[test]
    fn tanh_and_sigmoid_slopes_are_accurate_in_saturation() {
        check_slope("tanh", &TANH, tanh_slope, tanh_slope, f64::tanh, f32::tanh);
        check_slope(
            "sigmoid",
            &SIGMOID,
            sigmoid_slope,
            sigmoid_slope,
            |x| 1.0 / (1.0 + (-x).exp()),
            |x| 1.0 / (1.0 + (-x).exp()),
        );
    }

    /// The same bits, or both NaN (whose payloads may differ).
    fn same_bits(got: f64, want: f64) -> bool {
        got.to_bits() == want.to_bits() || got.is_nan() && want.is_nan()
    }

    #[test]
    fn exp_is_the_platforms_exp_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        // Every f32 from -106 to -103, across the shortcut's edge and the
        // last subnormal results.
        let (lo, hi) = ((-103.0f32).to_bits(), (-106.0f32).to_bits());
        for bits in lo..=hi {
            let x = f32::from_bits(bits);
            let (got, want) = (exp(x), x.exp());
            assert!(
                got.to_bits() == want.to_bits(),
                "exp({x:e}) = {got:e}, the platform's {want:e}"
            );
        }
        // A million f64 from -747 to -744 (the edge, and where results are
        // the smallest subnormals), then the whole range and the specials.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(746);
        let mut next = || rng.random::<f64>();
        for _ in 0..1_000_000 {
            let x = -747.0 + 3.0 * next();
            assert!(
                same_bits(exp(x), x.exp()),
                "exp({x:e}) = {:e}, the platform's {:e}",
                exp(x),
                x.exp()
            );
        }
        let specials = [
            f64::NAN,
            f64::NEG_INFINITY,
            f64::INFINITY,
            -0.0,
            0.0,
            -746.0,
            -745.8,
            709.8,
            -1e300,
        ];
        for x in specials
            .into_iter()
            .chain((0..100_000).map(|_| -1500.0 + 2300.0 * next()))
        {
            assert!(
                same_bits(exp(x), x.exp()),
                "exp({x:e}) = {:e}, the platform's {:e}",
                exp(x),
                x.exp()
            );
            let x32 = x as f32;
            assert!(
                same_bits(f64::from(exp(x32)), f64::from(x32.exp())),
                "exp({x32:e})"
            );
        }
        // The shortcut is taken where it matters: a saturated tanh.
        assert_eq!(exp(-746.5f64), 0.0);
        assert_eq!(tanh_slope(400.0f64, 1.0), 0.0);
        assert_eq!(tanh_slope(-60.0f32, -1.0), 0.0);
    }

    #[test]
    fn short_powers_are_the_runtime_powi_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut specials = vec![0.0, -0.0, 1.0, -1.0, f64::NAN, f64::INFINITY];
        specials.extend([
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            1e154,
        ]);
        for i in 0..20_000 {
            // Every bit pattern is a candidate: huge, tiny, subnormal, NaN.
            let bits = rng.random::<u64>();
            let a = specials.get(i).copied().unwrap_or(f64::from_bits(bits));
            for n in -2..=3 {
                let got = short_power(a, n).expect("in range");
                let want = a.powi(n as i32);
                assert!(
                    same_bits(got, want),
                    "{a:e}^{n}: {got:e}, the runtime gives {want:e}"
                );
                let a32 = a as f32;
                let (got, want) = (short_power(a32, n).expect("in range"), a32.powi(n as i32));
                assert!(
                    same_bits(f64::from(got), f64::from(want)),
                    "{a32:e}^{n}: {got:e}, the runtime gives {want:e}"
                );
            }
        }
        assert_eq!(short_power(2.0f64, 4), None);
        assert_eq!(short_power(2.0f64, -3), None);
    }

    #[test]
    fn powi_grad_does_not_wrap_at_i32_min() {
        // d/dx x^n = n x^(n-1): at x = 2, n = i32::MIN the true value is
        // -2^31 * 2^(-2^31 - 1), far below the smallest f64: -0.
        let s = powi_grad(1.0, 2.0f64, i32::MIN, powi(2.0f64, i32::MIN));
        assert_eq!(s, 0.0);
        assert!(s.is_sign_negative());
        // At x = -1: (-1)^(n-1) = -1 for even n, so the slope is -n = 2^31.
        assert_eq!(
            powi_grad(1.0, -1.0f64, i32::MIN, powi(-1.0f64, i32::MIN)),
            2147483648.0
        );
        assert_eq!(
            powi_grad(1.0, -1.0f32, i32::MIN, powi(-1.0f32, i32::MIN)),
            2147483648.0
        );
        // i32::MAX is odd: (-1)^MAX = -1 even in f32, where MAX as f32 is even.
        assert_eq!(powi(-1.0f32, i32::MAX), -1.0);
        assert_eq!(
            powi_grad(1.0, 1.0f64, i32::MAX, powi(1.0f64, i32::MAX)),
            2147483647.0
        );
    }

    #[test]
    fn powi_and_its_slope_are_accurate_for_large_exponents() {
        // mpmath: mpf(x)**n and n * mpf(x)**(n-1), x exactly the f64 1.1.
        let x = 1.1f64;
        let want_60 = 304.48163954141955; // 1.1^60
        let want_slope_60 = 16608.089429531974; // 60 * 1.1^59
        assert!(eps_err(powi(x, 60), want_60, f64::EPSILON) <= 1.0);
        assert!(
            eps_err(
                powi_grad(1.0, x, 60, powi(x, 60)),
                want_slope_60,
                f64::EPSILON
            ) <= 1.5
        );
        let want_m64 = 0.002243200793301555; // 1.1^-64
        assert!(eps_err(powi(x, -64), want_m64, f64::EPSILON) <= 1.0);
    }

    #[test]
    fn powf_slope_is_accurate_for_small_bases() {
        // e * a^(e - 1) with e = -1.7, a = 1e-6 (both the f64 nearest):
        // mpmath: mpf(-1.7) * mpf(1e-6)**(mpf(-1.7) - 1)
        let (a, e) = (1e-6f64, -1.7f64);
        let want = -2.6943184271838916e+16;
        let got = powf_slope(a, e, a.powf(e));
        assert!(
            eps_err(got, want, f64::EPSILON) <= 2.0,
            "{got:e} vs {want:e}"
        );
        assert_eq!(powf_slope(0.0f64, 2.5, 0.0), 0.0);
        assert_eq!(powf_slope(3.0f64, 0.0, 1.0), 0.0);
    }

    #[test]
    fn div_grad_b_keeps_zero_gradients_zero_and_finite_ones_finite() {
        // f32: a = 409, b = 1e-30, upstream g = 0: the old rule gave NaN.
        let (a, b) = (409.0f32, 1e-30f32);
        let out = a / b;
        assert_eq!(div_grad_b(0.0f32, b, out), 0.0);
        // g = 1e-30: d/db = -g a / b^2 = -4.09e32 (finite in f32), where
        // -(g (a / b) / b) overflows: a / b / b = 4e62.
        let got = div_grad_b(1e-30f32, b, out) as f64;
        let want = -(1e-30f32 as f64) * 409.0 / (b as f64 * b as f64);
        assert!(
            eps_err(got, want, f32::EPSILON as f64) <= 2.0,
            "{got:e} vs {want:e}"
        );
        // Division by exactly 0 keeps IEEE's (and libtorch's) answer:
        // -1 * ((1 / 0) / 0) = -inf; and 0 / 0 stays NaN.
        assert_eq!(div_grad_b(1.0f64, 0.0, f64::INFINITY), f64::NEG_INFINITY);
        assert!(div_grad_b(1.0f64, 0.0, f64::NAN).is_nan());
    }
}
