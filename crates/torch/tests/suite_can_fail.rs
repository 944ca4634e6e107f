//! The parity suite can fail: an engine with one op's derivative perturbed
//! is caught, and the report names that op.
//!
//! The wrong engine is the scalar engine run on a rewritten program: after
//! every instruction of the chosen op, `y` becomes `y + (eps * a - c)`,
//! where `a` is the instruction's first operand and `c` is `eps * a`
//! evaluated beforehand, so the forward value is unchanged (the added term is
//! exactly 0 in f64) while `dy/da` is off by `eps`.

use ferrograd_program::{run_scalar, Binary, Instr, Outcome, Program, Reg, Unary};
use ferrograd_torch::compare::Tolerance;
use ferrograd_torch::suite::{
    compare_programs, random_programs, torch_engine, Conditioning, Row, F64_CONDITIONING,
};
use ferrograd_torch::{Precision, Target, TorchError};
use indicatif::ProgressBar;

mod common;
use common::{
    assert_caught, assert_caught_and_printed, assert_passed, assert_same_value, exact_oracle, EPS,
};

/// `program` with the derivative of every `op` instruction perturbed.
fn perturbed(program: &Program, op: &str) -> Program {
    let values = program.eval_f64().expect("valid program");
    let mut out = Vec::new();
    let mut map: Vec<Reg> = Vec::new();
    for (i, instr) in program.instrs.iter().enumerate() {
        let moved = instr.map_operands(|r: Reg| map[r]);
        out.push(moved);
        let mut y = out.len() - 1;
        if instr.name() == op {
            let a = instr.operands()[0];
            out.push(Instr::Const(EPS));
            out.push(Instr::Binary(Binary::Mul, map[a], out.len() - 1));
            let scaled = out.len() - 1;
            out.push(Instr::Const(values[a] * EPS));
            out.push(Instr::Binary(Binary::Sub, scaled, out.len() - 1));
            out.push(Instr::Binary(Binary::Add, y, out.len() - 1));
            y = out.len() - 1;
        }
        map.push(y);
        debug_assert_eq!(map.len(), i + 1);
    }
    Program::new(program.inputs.clone(), out).expect("the rewrite keeps the program valid")
}

/// `engine` against libtorch f64 on 300 random programs, judged as the
/// parity report's f64 row judges them (libtorch f32 measures the
/// conditioning, the exact value settles a disagreement).
fn judge(engine_name: &str, engine: &dyn Fn(&Program) -> Result<Outcome, TorchError>) -> Row {
    let oracle = torch_engine(Target::cpu(Precision::F64));
    let reference = torch_engine(Target::cpu(Precision::F32));
    let exact = exact_oracle();
    let arbiter = |p: &Program, a: &Outcome, b: &Outcome| {
        ferrograd_torch::exact::engine_right(&exact, p, a, b, Precision::F64)
    };
    let conditioning = Conditioning {
        reference: &reference,
        tolerance: F64_CONDITIONING,
        engine_reference: None,
        arbiter: Some(&arbiter),
    };
    compare_programs(
        "random programs",
        engine_name,
        "libtorch f64 cpu",
        Tolerance::F64,
        &random_programs(0, 300),
        engine,
        &oracle,
        Some(&conditioning),
        &ProgressBar::hidden(),
    )
    .unwrap()
}

fn run(op: &'static str) -> Row {
    let wrong = move |p: &Program| -> Result<Outcome, TorchError> {
        Ok(run_scalar::<f64>(&perturbed(p, op))?)
    };
    judge(&format!("scalar f64 with {op}' perturbed"), &wrong)
}

#[test]
fn the_rewrite_keeps_forward_values() {
    for (_, p) in random_programs(0, 50) {
        let a = run_scalar::<f64>(&p).unwrap();
        let b = run_scalar::<f64>(&perturbed(&p, "tanh")).unwrap();
        assert_same_value(a.value, b.value, &p);
    }
}

#[test]
fn a_perturbed_tanh_derivative_is_caught_and_named() {
    assert_caught_and_printed(&run("tanh"), "tanh");
}

#[test]
fn a_perturbed_sqrt_derivative_is_caught_and_named() {
    assert_caught(&run("sqrt"), "sqrt");
}

#[test]
fn the_unperturbed_engine_passes_the_same_cases() {
    let engine = |p: &Program| -> Result<Outcome, TorchError> { Ok(run_scalar::<f64>(p)?) };
    let row = judge("scalar f64", &engine);
    assert_passed(&row);
    assert_eq!(row.cases + row.excluded + row.oracle_off_exact.len(), 300);
}

/// Every function added to the list is checked too: a wrong slope of any of
/// the new ones is caught by the same 300 random programs and named.
#[test]
fn a_perturbed_derivative_of_each_new_function_is_caught_and_named() {
    for f in [
        Unary::Abs,
        Unary::Sin,
        Unary::Cos,
        Unary::Log1p,
        Unary::Expm1,
    ] {
        let row = run(f.name());
        assert!(!row.passed(), "{}' perturbed passed", f.name());
        // The shortest failing prefix ends where the wrong slope first shows:
        // at the function, or at an op after it that amplifies it (expm1 of a
        // large argument, then tanh), so the listing holds the function.
        assert!(row.culprit.is_some(), "a failing row names an op");
        let listing = row.worst_program.unwrap_or_default();
        assert!(
            listing.contains(&format!("torch.{}(", f.name())),
            "{} (culprit {:?}):\n{listing}",
            f.name(),
            row.culprit
        );
    }
}
