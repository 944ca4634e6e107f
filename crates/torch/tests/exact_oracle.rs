//! The exact-value oracle (`scripts/exact.py`, mpmath) on programs whose
//! answers are known in closed form, and the verdicts built on it.
//!
//! It runs the Python named by `FERROGRAD_PYTHON` (else `python3`), which
//! must import mpmath: `cargo xtask parity` installs it into the cache and
//! sets `PYTHONPATH` for these tests.

use ferrograd_program::{run_scalar, Binary, Builder, Instr, Outcome, Program, Unary};
use ferrograd_torch::exact::{self, judge, Reference, Verdict};
use ferrograd_torch::suite::Arbitration;
use ferrograd_torch::Precision;

mod common;
use common::exact_oracle as oracle;

fn references(programs: &[Program], p: Precision) -> Vec<Reference> {
    oracle()
        .start(programs, p)
        .and_then(|s| s.finish())
        .expect("scripts/exact.py runs (it needs mpmath: `cargo xtask parity` installs it)")
}

fn program(inputs: Vec<f64>, instrs: Vec<Instr>) -> Program {
    Program::new(inputs, instrs).unwrap()
}

#[test]
fn closed_forms_come_back_exact() {
    let programs = [
        // tanh(20): value 1 - 2e^-40/(1+e^-40), slope sech(20)^2.
        program(
            vec![20.0],
            vec![Instr::Input(0), Instr::Unary(Unary::Tanh, 0)],
        ),
        // x * x with x = 3 loaded twice: 9 and 6.
        program(
            vec![3.0],
            vec![
                Instr::Input(0),
                Instr::Input(0),
                Instr::Binary(Binary::Mul, 0, 1),
            ],
        ),
        // 2 ** i32::MIN: far below f64; its slope is -0 in any float.
        program(vec![2.0], vec![Instr::Input(0), Instr::Powi(0, i32::MIN)]),
        // ln(-1) is not real.
        program(
            vec![-1.0],
            vec![Instr::Input(0), Instr::Unary(Unary::Ln, 0)],
        ),
    ];
    let refs = references(&programs, Precision::F64);
    let Reference::Exact { value, grads } = &refs[0] else {
        panic!("tanh(20) is real: {:?}", refs[0])
    };
    // mpmath, 50 digits: tanh(20) = 1 - 8.496708510583178e-18,
    // sech(20)^2 = 1.6993417021166355e-17.
    assert_eq!(value.hi, 1.0);
    assert!((value.lo + 8.496708510583178e-18).abs() < 1e-32);
    assert!((grads[0].hi - 1.6993417021166355e-17).abs() < 1e-32);
    assert!(grads[0].spread < 1e-15, "well-conditioned: {:?}", grads[0]);
    let Reference::Exact { value, grads } = &refs[1] else {
        panic!("x * x is real")
    };
    assert_eq!((value.hi, value.lo, grads[0].hi), (9.0, 0.0, 6.0));
    let Reference::Exact { value, grads } = &refs[2] else {
        panic!("2 ** i32::MIN is real")
    };
    assert_eq!(value.hi, 0.0);
    assert!(value.range_limited, "its value is below every float");
    assert_eq!(grads[0].hi, 0.0);
    let Reference::NotReal(why) = &refs[3] else {
        panic!("ln(-1) is not real: {:?}", refs[3])
    };
    assert!(why.contains("log of -1"), "{why}");
}

#[test]
fn the_old_tanh_rule_is_caught_and_the_new_one_passes() {
    let p = program(
        vec![20.0],
        vec![Instr::Input(0), Instr::Unary(Unary::Tanh, 0)],
    );
    let Reference::Exact { grads, .. } = &references(std::slice::from_ref(&p), Precision::F64)[0]
    else {
        panic!("real")
    };
    // 1 - out^2 is exactly 0 at x = 20 (f64): wrong by its whole size.
    assert!(
        matches!(judge(0.0, grads[0], Precision::F64), Verdict::Judged { rel, .. } if rel == 1.0)
    );
    let ours = run_scalar::<f64>(&p).unwrap().grads[0];
    let Verdict::Judged { ulps, rel, .. } = judge(ours, grads[0], Precision::F64) else {
        panic!("judged")
    };
    assert!(ulps <= 4.0 && rel < 1e-15, "{ours:e}: {ulps} ulps");
}

#[test]
fn an_ill_conditioned_number_is_not_judged() {
    // x / x - 1 at x = 0.1 in f32: exactly 0, but any rounding of x / x
    // leaves 2^-24: the spread is far beyond 1e-5.
    let mut b = Builder::new();
    let x = b.input(0.1);
    let x3 = b.mul_const(x, 3.0);
    let ratio = b.div(x3, x);
    let three = b.constant(3.0);
    b.sub(ratio, three);
    let p = b.finish().unwrap();
    let Reference::Exact { value, .. } = &references(&[p], Precision::F32)[0] else {
        panic!("real")
    };
    assert_eq!(value.hi, 0.0);
    assert_eq!(judge(1e-7, *value, Precision::F32), Verdict::IllConditioned);
}

#[test]
fn a_disagreement_is_settled_by_the_exact_value() {
    // tanh(20) in f64: the engine's slope is exact, a 1 - out^2 oracle
    // gives 0. They are 1.7e-17 apart, which the absolute floor (1e-12)
    // hides, so scale the output by 1e20: d/dx = 1e20 tanh'(20) = 1699.3.
    let mut b = Builder::new();
    let x = b.input(20.0);
    let t = b.tanh(x);
    b.mul_const(t, 1e20);
    let p = b.finish().unwrap();
    let engine = run_scalar::<f64>(&p).unwrap();
    let wrong = Outcome {
        value: engine.value,
        grads: vec![0.0],
    };
    let o = oracle();
    assert_eq!(
        exact::engine_right(&o, &p, &engine, &wrong, Precision::F64).unwrap(),
        Arbitration::EngineRight
    );
    // The other way round it settles nothing.
    assert_eq!(
        exact::engine_right(&o, &p, &wrong, &engine, Precision::F64).unwrap(),
        Arbitration::Unresolved
    );
}

/// abs, sin, cos, log1p and expm1 at their edges: the engine's value and
/// slope are within a few ulps of mpmath's wherever the number is judged.
#[test]
fn the_new_functions_are_exact_to_a_few_ulps() {
    let points: [(Unary, f64); 13] = [
        (Unary::Abs, -2.5),
        (Unary::Abs, 0.0),
        (Unary::Sin, 1e5),
        (Unary::Sin, 0.5),
        (Unary::Cos, 1e5),
        (Unary::Cos, 1e-8),
        (Unary::Log1p, 1e-20),
        (Unary::Log1p, -0.9999999),
        (Unary::Log1p, 3.0),
        (Unary::Expm1, -40.0),
        (Unary::Expm1, 1e-20),
        (Unary::Expm1, 20.0),
        (Unary::Expm1, -0.5),
    ];
    for precision in [Precision::F64, Precision::F32] {
        let programs: Vec<Program> = points
            .iter()
            .map(|&(f, x)| {
                let p = program(vec![x], vec![Instr::Input(0), Instr::Unary(f, 0)]);
                exact::rounded(&p, precision)
            })
            .collect();
        let refs = references(&programs, precision);
        let mut judged = 0;
        for ((p, r), (f, x)) in programs.iter().zip(&refs).zip(points) {
            let Reference::Exact { value, grads } = r else {
                panic!("{}({x}) is real: {r:?}", f.name())
            };
            let ours = match precision {
                Precision::F64 => run_scalar::<f64>(p).unwrap(),
                Precision::F32 => run_scalar::<f32>(p).unwrap(),
            };
            for (got, want) in [(ours.value, *value), (ours.grads[0], grads[0])] {
                if let Verdict::Judged { ulps, .. } = judge(got, want, precision) {
                    judged += 1;
                    assert!(
                        ulps <= 4.0,
                        "{} {}({x}): {got:e} is {ulps} ulps off",
                        precision.name(),
                        f.name()
                    );
                }
            }
        }
        assert!(judged >= 20, "{judged} numbers judged");
    }
}

#[test]
fn expm1_slope_where_libtorch_gives_zero_is_settled_for_the_engine() {
    // expm1(-40) rounds to -1 in f64; ATen's slope g (out + 1) is 0, the
    // exact one exp(-40) = 4.25e-18. Scaled by 1e20 the two are 425 and 0.
    let p = program(
        vec![-40.0],
        vec![
            Instr::Input(0),
            Instr::Unary(Unary::Expm1, 0),
            Instr::Const(1e20),
            Instr::Binary(Binary::Mul, 1, 2),
        ],
    );
    let engine = run_scalar::<f64>(&p).unwrap();
    assert!((engine.grads[0] - 1e20 * (-40f64).exp()).abs() < 1e-12 * engine.grads[0]);
    let aten = Outcome {
        value: engine.value,
        grads: vec![0.0],
    };
    assert_eq!(
        exact::engine_right(&oracle(), &p, &engine, &aten, Precision::F64).unwrap(),
        Arbitration::EngineRight
    );
}
