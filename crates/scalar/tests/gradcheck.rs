//! Every op's gradient against central differences at many random points,
//! f32 and f64 (property tests with a fixed seed).

use ferrograd_scalar::numeric::check_gradients;
use ferrograd_scalar::{Binary, Unary, Value};
use proptest::prelude::*;

/// One op applied to the inputs, with the domain it is checked on.
#[derive(Debug, Clone, Copy)]
enum Case {
    Binary(Binary),
    Unary(Unary),
    Powi(i32),
    Powf(f64),
    /// A composite with reuse: `tanh(a * b + a) / (1 + b^2)`.
    Mixed,
}

/// Every function of [`Binary::ALL`] and [`Unary::ALL`], and the tape's own.
fn cases() -> Vec<Case> {
    let mut v: Vec<Case> = Binary::ALL.iter().map(|&f| Case::Binary(f)).collect();
    v.extend(Unary::ALL.iter().map(|&f| Case::Unary(f)));
    v.extend([Case::Powi(3), Case::Powi(-2), Case::Powf(1.5), Case::Mixed]);
    v
}

macro_rules! gradcheck_suite {
    ($name:ident, $t:ty, $h:expr, $rtol:expr, $atol:expr) => {
        mod $name {
            use super::*;
            type T = $t;

            fn apply(case: Case, v: &[Value<T>]) -> Value<T> {
                let (a, b) = (&v[0], &v[1]);
                match case {
                    Case::Binary(f) => a.binary(f, b),
                    Case::Unary(f) => a.unary(f),
                    Case::Powi(n) => a.powi(n),
                    Case::Powf(e) => a.powf(e as T),
                    Case::Mixed => (a * b + a).tanh() / (b * b + 1.0),
                }
            }

            proptest! {
                #![proptest_config(ProptestConfig {
                    cases: 512,
                    rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
                    ..ProptestConfig::default()
                })]
                #[test]
                fn every_op_matches_central_differences(
                    case in proptest::sample::select(cases()),
                    a in 0.2f64..3.0,
                    sign in prop::bool::ANY,
                    b in 0.5f64..2.0,
                ) {
                    // Positive `a` keeps ln, sqrt, log1p, pow and powf in their
                    // domain; the sign flip covers negatives where the op allows them.
                    let needs_positive = match case {
                        Case::Unary(f) => f.domain_above().is_some(),
                        Case::Binary(f) => f == Binary::Pow,
                        Case::Powf(_) => true,
                        _ => false,
                    };
                    let a = if sign && !needs_positive { -a } else { a };
                    let check = check_gradients(|v: &[Value<T>]| apply(case, v), &[a as T, b as T], $h);
                    prop_assert!(
                        check.passes($rtol, $atol),
                        "{case:?} at ({a}, {b}): analytic {:?} numeric {:?}",
                        check.analytic,
                        check.numeric
                    );
                }
            }
        }
    };
}

gradcheck_suite!(f64_ops, f64, 1e-6, 1e-6, 1e-8);
gradcheck_suite!(f32_ops, f32, 1e-2, 2e-2, 2e-3);
