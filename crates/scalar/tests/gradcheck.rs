//! Every op's gradient against central differences at many random points,
//! f32 and f64 (property tests with a fixed seed).

use ferrograd_scalar::numeric::check_gradients;
use ferrograd_scalar::Value;
use proptest::prelude::*;

/// One op applied to the inputs, with the domain it is checked on.
#[derive(Debug, Clone, Copy)]
enum Case {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Neg,
    Tanh,
    Exp,
    Ln,
    Sigmoid,
    Relu,
    Sqrt,
    Powi(i32),
    Powf(f64),
    /// A composite with reuse: `tanh(a * b + a) / (1 + b^2)`.
    Mixed,
}

const CASES: &[Case] = &[
    Case::Add,
    Case::Sub,
    Case::Mul,
    Case::Div,
    Case::Pow,
    Case::Neg,
    Case::Tanh,
    Case::Exp,
    Case::Ln,
    Case::Sigmoid,
    Case::Relu,
    Case::Sqrt,
    Case::Powi(3),
    Case::Powi(-2),
    Case::Powf(1.5),
    Case::Mixed,
];

macro_rules! gradcheck_suite {
    ($name:ident, $t:ty, $h:expr, $rtol:expr, $atol:expr) => {
        mod $name {
            use super::*;
            type T = $t;

            fn apply(case: Case, v: &[Value<T>]) -> Value<T> {
                let (a, b) = (&v[0], &v[1]);
                match case {
                    Case::Add => a + b,
                    Case::Sub => a - b,
                    Case::Mul => a * b,
                    Case::Div => a / b,
                    Case::Pow => a.pow(b),
                    Case::Neg => -a,
                    Case::Tanh => a.tanh(),
                    Case::Exp => a.exp(),
                    Case::Ln => a.ln(),
                    Case::Sigmoid => a.sigmoid(),
                    Case::Relu => a.relu(),
                    Case::Sqrt => a.sqrt(),
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
                    case in proptest::sample::select(CASES),
                    a in 0.2f64..3.0,
                    sign in prop::bool::ANY,
                    b in 0.5f64..2.0,
                ) {
                    // Positive `a` keeps ln, sqrt, pow and powf in their domain;
                    // the sign flip covers negatives where the op allows them.
                    let needs_positive = matches!(case, Case::Ln | Case::Sqrt | Case::Pow | Case::Powf(_));
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
