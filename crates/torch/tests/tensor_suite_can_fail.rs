//! The tensor-program rows can fail: an engine with one op's derivative
//! perturbed is caught, and the report names that op.
//!
//! The wrong engine is `Tensor` run on a rewritten program: after every
//! instruction of the chosen op, `y` becomes `y + (a * eps - c)`, where `a`
//! is the instruction's operand and `c` is a constant holding `a * eps`
//! evaluated beforehand in f64, so the forward values are unchanged (the
//! added term is exactly 0) while `dy/da` is off by `eps` in every element.

use ferrograd_scalar::{Binary, Unary};
use ferrograd_torch::compare::Tolerance;
use ferrograd_torch::suite::Row;
use ferrograd_torch::suite::F64_CONDITIONING;
use ferrograd_torch::tensor_program::run::{forward_f64, run_tensor};
use ferrograd_torch::tensor_program::{Leaf, Reg, TInstr, TensorOutcome, TensorProgram};
use ferrograd_torch::tensor_suite::{
    compare_tensor_programs, random_tensor_programs, tensor_exact_arbiter, torch_tensor_engine,
    TensorArbiter, TensorConditioning, TensorProgramFn,
};
use ferrograd_torch::{Precision, Target, TorchError};
use indicatif::ProgressBar;

mod common;
use common::{
    assert_caught, assert_caught_and_printed, assert_passed, assert_same_value, exact_oracle, EPS,
};

/// Every register of `instr` moved through `map`.
fn moved(instr: &TInstr, m: impl Fn(Reg) -> Reg) -> TInstr {
    use TInstr::*;
    match instr.clone() {
        Unary(u, a) => Unary(u, m(a)),
        Binary(f, a, b) => Binary(f, m(a), m(b)),
        FloatRight(f, a, c) => FloatRight(f, m(a), c),
        FloatLeft(f, c, a) => FloatLeft(f, c, m(a)),
        MatMul(a, b) => MatMul(m(a), m(b)),
        AddMm(c, a, b) => AddMm(m(c), m(a), m(b)),
        Sum(a) => Sum(m(a)),
        Mean(a) => Mean(m(a)),
        SumAxis(a, d, k) => SumAxis(m(a), d, k),
        MeanAxis(a, d, k) => MeanAxis(m(a), d, k),
        MaxAxis(a, d, k) => MaxAxis(m(a), d, k),
        Reshape(a, s) => Reshape(m(a), s),
        Transpose(a, i, j) => Transpose(m(a), i, j),
        Softmax(a, d) => Softmax(m(a), d),
        LogSoftmax(a, d) => LogSoftmax(m(a), d),
        Pick(a, c) => Pick(m(a), c),
        Dot(a, b) => Dot(m(a), m(b)),
        AddN(terms) => AddN(terms.into_iter().map(m).collect()),
        Input(k) => Input(k),
        Const(k) => Const(k),
    }
}

/// `program` with the derivative of every `op` instruction perturbed (`op`
/// keeps its operand's shape: an elementwise function or a softmax).
fn perturbed(program: &TensorProgram, op: &str) -> TensorProgram {
    let values = forward_f64(program).expect("valid program");
    let mut p = TensorProgram {
        inputs: program.inputs.clone(),
        consts: program.consts.clone(),
        instrs: Vec::new(),
    };
    let mut map: Vec<Reg> = Vec::new();
    for instr in &program.instrs {
        p.instrs.push(moved(instr, |r| map[r]));
        let mut y = p.instrs.len() - 1;
        if instr.name() == op {
            let a = instr.operands()[0];
            let v = &values[a];
            p.consts.push(Leaf {
                shape: v.shape(),
                data: v.to_vec().iter().map(|x| x * EPS).collect(),
            });
            p.instrs.push(TInstr::FloatRight(Binary::Mul, map[a], EPS));
            p.instrs.push(TInstr::Const(p.consts.len() - 1));
            let n = p.instrs.len();
            p.instrs.push(TInstr::Binary(Binary::Sub, n - 2, n - 1));
            p.instrs.push(TInstr::Binary(Binary::Add, y, n));
            y = p.instrs.len() - 1;
        }
        map.push(y);
    }
    p.validate().expect("the rewrite keeps the program valid");
    p
}

fn run(op: &'static str) -> Row {
    let wrong = move |p: &TensorProgram| -> Result<TensorOutcome, TorchError> {
        Ok(run_tensor::<f64>(&perturbed(p, op))?)
    };
    let oracle = torch_tensor_engine(Target::cpu(Precision::F64));
    compare_tensor_programs(
        "random tensor programs",
        &format!("tensor f64 with {op}' perturbed"),
        "libtorch f64 cpu",
        Tolerance::F64,
        &random_tensor_programs(0, 200),
        &wrong,
        &oracle,
        None,
        &ProgressBar::hidden(),
    )
    .unwrap()
}

/// `engine` against libtorch f64 on `cases`, judged as the parity rows
/// judge (f32 gap, per-number spread) and, with `exact`, settled by the
/// exact value.
fn judged_with(
    cases: &[(String, TensorProgram)],
    engine: &TensorProgramFn<'_>,
    exact: bool,
) -> Row {
    let oracle = torch_tensor_engine(Target::cpu(Precision::F64));
    let reference = torch_tensor_engine(Target::cpu(Precision::F32));
    let mpmath = exact_oracle();
    let arbiter = tensor_exact_arbiter(&mpmath, Precision::F64);
    let conditioning = TensorConditioning {
        reference: &reference,
        tolerance: F64_CONDITIONING,
        engine_reference: None,
        spread: Some((&oracle, Precision::F64)),
        arbiter: exact.then_some(&arbiter as &TensorArbiter<'_>),
    };
    compare_tensor_programs(
        "random tensor programs",
        "tensor f64",
        "libtorch f64 cpu",
        Tolerance::F64,
        cases,
        engine,
        &oracle,
        Some(&conditioning),
        &ProgressBar::hidden(),
    )
    .unwrap()
}

/// `sum(tanh(ln x))` at x = 4.3e-8: the slope is `sech(ln x)^2 / x`, which
/// is `4x / (1 + x^2)^2` = 1.719999999999994e-7. The engine computes
/// `sech^2` from its argument and is within a few ulps; libtorch's
/// `1 - tanh^2` cancels (tanh is -1 + 3.7e-15) and gives 1.704e-7, 0.9% off.
/// Parity alone fails the program; the exact value settles it for the
/// engine and lists libtorch as off.
#[test]
fn a_disagreement_libtorch_gets_wrong_is_settled_by_the_exact_value() {
    let p = TensorProgram {
        inputs: vec![Leaf {
            shape: vec![2],
            data: vec![4.3e-8, 0.5],
        }],
        consts: vec![],
        instrs: vec![
            TInstr::Input(0),
            TInstr::Unary(Unary::Ln, 0),
            TInstr::Unary(Unary::Tanh, 1),
        ],
    };
    let x = 4.3e-8f64;
    let want = 4.0 * x / (1.0 + x * x).powi(2);
    let engine = run_tensor::<f64>(&p).unwrap();
    let torch = torch_tensor_engine(Target::cpu(Precision::F64))(&p).unwrap();
    let rel = |g: f64| ((g - want) / want).abs();
    assert!(rel(engine.grads[0][0]) < 1e-14, "{}", engine.grads[0][0]);
    assert!(rel(torch.grads[0][0]) > 1e-10, "{}", torch.grads[0][0]);
    let engine_fn =
        |p: &TensorProgram| -> Result<TensorOutcome, TorchError> { Ok(run_tensor::<f64>(p)?) };
    let cases = vec![("tanh(ln x)".to_string(), p)];
    let parity = judged_with(&cases, &engine_fn, false);
    assert_eq!(
        parity.mismatches, 1,
        "parity alone cannot tell who is right"
    );
    let settled = judged_with(&cases, &engine_fn, true);
    assert!(settled.passed(), "{:?}", settled.worst_number);
    assert_eq!(settled.oracle_off_exact, vec!["tanh(ln x)".to_string()]);
}

/// The exact value excuses libtorch's errors, never the engine's: a
/// perturbed tanh slope still fails, with the arbiter on.
#[test]
fn the_exact_value_does_not_excuse_a_wrong_engine() {
    let wrong = |p: &TensorProgram| -> Result<TensorOutcome, TorchError> {
        Ok(run_tensor::<f64>(&perturbed(p, "tanh"))?)
    };
    let cases: Vec<_> = random_tensor_programs(0, 200)
        .into_iter()
        .filter(|(_, p)| p.op_counts().contains_key("tanh"))
        .take(12)
        .collect();
    let row = judged_with(&cases, &wrong, true);
    assert!(row.mismatches >= 10, "{} mismatches", row.mismatches);
    assert!(
        row.oracle_off_exact.is_empty(),
        "{:?}",
        row.oracle_off_exact
    );
}

#[test]
fn the_rewrite_keeps_forward_values() {
    for (_, p) in random_tensor_programs(0, 50) {
        for op in ["tanh", "softmax"] {
            let a = run_tensor::<f64>(&p).unwrap();
            let b = run_tensor::<f64>(&perturbed(&p, op)).unwrap();
            assert_same_value(a.value, b.value, &p);
        }
    }
}

#[test]
fn a_perturbed_tanh_derivative_is_caught_and_named() {
    assert_eq!(Unary::Tanh.name(), "tanh");
    assert_caught_and_printed(&run("tanh"), "tanh");
}

#[test]
fn a_perturbed_softmax_derivative_is_caught_and_named() {
    assert_caught(&run("softmax"), "softmax");
}

#[test]
fn the_unperturbed_engine_passes_the_same_cases() {
    let oracle = torch_tensor_engine(Target::cpu(Precision::F64));
    let engine =
        |p: &TensorProgram| -> Result<TensorOutcome, TorchError> { Ok(run_tensor::<f64>(p)?) };
    let cases = random_tensor_programs(0, 200);
    // As the parity rows: a program whose libtorch f32 and f64 results are
    // far apart amplifies rounding beyond the f64 promise and is excluded.
    let reference = torch_tensor_engine(Target::cpu(Precision::F32));
    let conditioning = TensorConditioning {
        reference: &reference,
        tolerance: F64_CONDITIONING,
        engine_reference: None,
        spread: Some((&oracle, Precision::F64)),
        arbiter: None,
    };
    let row = compare_tensor_programs(
        "random tensor programs",
        "tensor f64",
        "libtorch f64 cpu",
        Tolerance::F64,
        &cases,
        &engine,
        &oracle,
        Some(&conditioning),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_passed(&row);
    assert_eq!(row.cases + row.excluded, 200);
    assert!(row.cases >= 180, "{} judged", row.cases);
}

/// Seed 809 holds `r12 = x4 / x4`: every element of `d/dx4` is exactly 0
/// (`1/x - x/x^2`). The engine gets 0; libtorch, computing `-g * x / (x * x)`,
/// gets a few ulps of `1/x` where `x` is 9e-6 (1.46e-11), while its `f32`
/// run happens to round to 0, so the per-program gap cannot see it. The
/// per-number spread does: that element is left unjudged and nothing else.
#[test]
fn a_cancelling_gradient_element_is_left_unjudged_not_failed() {
    let cases = vec![("tensor seed 809".to_string(), seed_809())];
    let p = &cases[0].1;
    let engine = run_tensor::<f64>(p).unwrap();
    let oracle = torch_tensor_engine(Target::cpu(Precision::F64));
    let torch = oracle(p).unwrap();
    let grad = |o: &TensorOutcome| o.grads[4][13];
    assert_eq!(grad(&engine), 0.0, "the exact value");
    assert!(grad(&torch) != 0.0 && grad(&torch).abs() < 1e-10);
    let reference = torch_tensor_engine(Target::cpu(Precision::F32));
    let engine_fn =
        |p: &TensorProgram| -> Result<TensorOutcome, TorchError> { Ok(run_tensor::<f64>(p)?) };
    let judge = |spread| {
        let conditioning = TensorConditioning {
            reference: &reference,
            tolerance: F64_CONDITIONING,
            engine_reference: None,
            spread,
            arbiter: None,
        };
        compare_tensor_programs(
            "random tensor programs",
            "tensor f64",
            "libtorch f64 cpu",
            Tolerance::F64,
            &cases,
            &engine_fn,
            &oracle,
            Some(&conditioning),
            &ProgressBar::hidden(),
        )
        .unwrap()
    };
    let per_program = judge(None);
    assert_eq!(per_program.mismatches, 1, "the gap alone misses it");
    assert_eq!(per_program.culprit.as_deref(), Some("mul (r37)"));
    let per_number = judge(Some((&oracle as &TensorProgramFn<'_>, Precision::F64)));
    assert!(per_number.passed(), "{:?}", per_number.worst_number);
    assert_eq!(per_number.cases, 1, "the program is still judged");
    assert!(
        (1..=5).contains(&per_number.unjudged_numbers),
        "{} numbers left out",
        per_number.unjudged_numbers
    );
}

/// The program random seed 809 drew before the generator learnt `dot` and
/// `add_n` (each new kind of draw changes every seed's program), kept as it
/// was: the case above is a property of this program, not of the seed.
fn seed_809() -> TensorProgram {
    TensorProgram {
        inputs: vec![
            Leaf {
                shape: vec![2],
                data: vec![-1.8116626490445178, 13.569090744926815],
            },
            Leaf {
                shape: vec![4, 3],
                data: vec![
                    0.00026362341246418156,
                    2.8594209635050856,
                    0.0,
                    0.6432019164877243,
                    0.0,
                    3.0,
                    -1.1846839102544315,
                    -0.00013293306249743424,
                    17.58694343781187,
                    2.7696199829146995,
                    0.009754116045478281,
                    1.1948502707854765,
                ],
            },
            Leaf {
                shape: vec![3, 2, 4],
                data: vec![
                    0.0,
                    0.0,
                    5.005781685051397,
                    0.0,
                    0.0,
                    0.0,
                    -2.300600142822659,
                    3.6580577492438376e-6,
                    2.653766000634926,
                    -5.911577038537575,
                    -8.529996110085829,
                    -0.20423565572769586,
                    -0.0011845955947832772,
                    0.0,
                    0.0,
                    0.8370328239570175,
                    0.2853112600261074,
                    -5.612748353445031,
                    0.5309286152974577,
                    1.3191172817720318,
                    0.0,
                    -16.177892797311166,
                    0.03504483833490246,
                    -18.479705662151474,
                ],
            },
            Leaf {
                shape: vec![4, 4, 3],
                data: vec![
                    2.8678692303676967e-5,
                    5.808817711523737,
                    1.9668135836213612,
                    -0.6716259882496343,
                    0.18800873958686415,
                    -0.39671978660037777,
                    -2.0,
                    0.0,
                    -18.07010663839505,
                    0.0030992528196868035,
                    -1.0,
                    -2.402915428683241e-6,
                    2.1144252048490735,
                    7.769995503851108,
                    13.491971378174847,
                    2.315406400911007,
                    0.0,
                    -2.6794778007005693,
                    -1.6076628066036434,
                    0.16450412423723826,
                    -2.4691470369045465,
                    -3.6014160411008435e-5,
                    2.2099221141111585,
                    -2.014538147480765,
                    1.5280281120804506,
                    -1.8405913834116356,
                    0.03581352303852709,
                    -1.1416033635491414,
                    10.898733417928359,
                    2.0,
                    0.2008687584587432,
                    1.8987113595083427,
                    -16.549395156767847,
                    1.4465794035544697,
                    1.0,
                    4.0322958673406336e-5,
                    0.0,
                    18.192391274844816,
                    -2.7820079815808283,
                    -1.3192641030690009,
                    0.0,
                    1.0305950908244945,
                    2.0,
                    0.0,
                    1.8017990406830133,
                    2.0,
                    -2.91765818187299,
                    -6.165080312450425e-6,
                ],
            },
            Leaf {
                shape: vec![1, 4, 4],
                data: vec![
                    -1.0,
                    -1.9774874230788955,
                    0.4860059668128982,
                    0.3940328430234974,
                    2.1432750541942953,
                    0.025156974126406606,
                    0.1461863801621397,
                    -2.9007170494685686,
                    -5.637721540641448,
                    -0.001769126574957004,
                    -9.239459230391496e-6,
                    -0.4991381306215552,
                    -1.367722317932139,
                    9.152538526104782e-6,
                    2.9892228615473915,
                    1.5011288550180453,
                ],
            },
            Leaf {
                shape: vec![1, 1],
                data: vec![19.349650455544875],
            },
        ],
        consts: vec![
            Leaf {
                shape: vec![],
                data: vec![1.5169611317929252],
            },
            Leaf {
                shape: vec![2],
                data: vec![-1.6924874685147315, -0.8952415193491651],
            },
            Leaf {
                shape: vec![4, 3],
                data: vec![
                    1.4773159323623073,
                    -1.9642468696404884,
                    -0.6612966035575087,
                    -1.2008809116228134,
                    1.8741119851904617,
                    -0.9040532787025102,
                    -1.7612296157684677,
                    1.5141828899748104,
                    1.2758747575417984,
                    1.8491434084097227,
                    1.7545696234797987,
                    1.3500212735610218,
                ],
            },
            Leaf {
                shape: vec![3, 1, 4],
                data: vec![
                    0.8020255726787888,
                    -1.3673646323470678,
                    1.4963993623052412,
                    1.5046915301890391,
                    -1.3882887149064396,
                    0.315000767530037,
                    1.4279315915356676,
                    1.3685824997528013,
                    0.42948115662280334,
                    -0.9447638604513825,
                    1.156093938259906,
                    -1.3048292053454713,
                ],
            },
            Leaf {
                shape: vec![4, 4, 3],
                data: vec![
                    -1.8470891623746142,
                    1.6276860541491533,
                    -0.5518357522742496,
                    1.045582301373495,
                    -1.9947919387448014,
                    0.4633680606529274,
                    1.063124065275527,
                    -0.32678710829010366,
                    0.990538438576333,
                    -1.1309169443476959,
                    1.380433637182442,
                    0.45064370851316676,
                    -0.5492814126647345,
                    0.823486388203735,
                    -1.1592959006722512,
                    -1.673964531813116,
                    -1.895488783702492,
                    -1.9942197877763546,
                    -1.9598446173123596,
                    -0.8769699484917758,
                    0.5308876212327671,
                    0.5885224440604173,
                    1.357234215056832,
                    0.7033975208210475,
                    -0.8184629773268879,
                    -1.611700566769328,
                    0.5419688109793881,
                    1.9944957950421718,
                    -1.604048706335019,
                    -0.5995383473565385,
                    1.6534568038170234,
                    -1.1584287412827146,
                    -0.7667016183633841,
                    1.7074564315734386,
                    -0.9216781325665179,
                    1.6340526139134006,
                    1.5910786843911882,
                    -1.0230445726232056,
                    1.003897162952479,
                    0.9732272007936955,
                    0.9145508742341082,
                    1.070860422857555,
                    -1.3391922455050227,
                    1.7230171199608666,
                    -1.6882532005588597,
                    -0.8875390784873707,
                    0.44565942911917505,
                    -1.4110579480263667,
                ],
            },
            Leaf {
                shape: vec![1, 4, 4],
                data: vec![
                    0.31750124968449944,
                    0.32146100136828754,
                    1.4730947955481943,
                    -1.959933522651817,
                    -1.7496048635002714,
                    -1.8475284139608399,
                    -1.3157202989352492,
                    -0.45402467904629984,
                    -0.8144351408821409,
                    -0.43922666542422034,
                    -1.2302930419049263,
                    0.4824952536263193,
                    -1.2001097312515923,
                    -0.8863410230638828,
                    -1.9652337900388097,
                    0.5671936136982118,
                ],
            },
            Leaf {
                shape: vec![1, 1],
                data: vec![1.8723189684006964],
            },
            Leaf {
                shape: vec![1, 1],
                data: vec![-1.042741646264419],
            },
            Leaf {
                shape: vec![1, 1],
                data: vec![-0.5029780457178779],
            },
            Leaf {
                shape: vec![1, 4, 3],
                data: vec![
                    1.4109892534294726,
                    1.24364582252353,
                    1.4771527602078627,
                    1.3655994913135485,
                    1.0055261992052442,
                    -1.9519666364698502,
                    1.926324449230737,
                    1.7721240550499786,
                    -0.8294102968032238,
                    -0.627714289021196,
                    -0.7692398303474007,
                    -0.6311484829125724,
                ],
            },
            Leaf {
                shape: vec![3, 2, 4],
                data: vec![
                    1.6004214083502688,
                    -0.7441452449785492,
                    0.4679450768285344,
                    -1.54349164330708,
                    -1.718723396673228,
                    1.328724513323777,
                    0.9274024816065933,
                    -0.9716912364270455,
                    0.6355016706895167,
                    1.3961298292341697,
                    0.5673579873400707,
                    -1.586493401026377,
                    -1.9180279929235964,
                    0.3329499147267772,
                    -1.5844715528633193,
                    -1.1807401818118175,
                    0.38049864260950783,
                    -1.110665073645746,
                    -0.3653102231498197,
                    -1.2528683448270999,
                    1.8148339318207742,
                    0.6265277046800004,
                    1.6247867906180744,
                    1.4250486667034477,
                ],
            },
        ],
        instrs: vec![
            TInstr::Input(0),
            TInstr::Input(1),
            TInstr::FloatRight(Binary::Mul, 1, 0.1),
            TInstr::Input(2),
            TInstr::SumAxis(3, 1, true),
            TInstr::Input(3),
            TInstr::FloatLeft(Binary::Sub, 30.0, 5),
            TInstr::FloatRight(Binary::Div, 4, -0.001),
            TInstr::Const(0),
            TInstr::Binary(Binary::Mul, 8, 5),
            TInstr::SumAxis(6, 0, true),
            TInstr::Input(4),
            TInstr::Binary(Binary::Div, 11, 11),
            TInstr::Input(5),
            TInstr::Unary(Unary::Sigmoid, 13),
            TInstr::Unary(Unary::Cos, 14),
            TInstr::FloatRight(Binary::Div, 15, 1.0),
            TInstr::LogSoftmax(15, 0),
            TInstr::Unary(Unary::Expm1, 15),
            TInstr::Unary(Unary::Tanh, 10),
            TInstr::FloatLeft(Binary::Pow, 1.5, 3),
            TInstr::Const(1),
            TInstr::Binary(Binary::Mul, 0, 21),
            TInstr::Sum(22),
            TInstr::Const(2),
            TInstr::Binary(Binary::Mul, 2, 24),
            TInstr::Sum(25),
            TInstr::Binary(Binary::Add, 23, 26),
            TInstr::Const(3),
            TInstr::Binary(Binary::Mul, 7, 28),
            TInstr::Sum(29),
            TInstr::Binary(Binary::Add, 27, 30),
            TInstr::Const(4),
            TInstr::Binary(Binary::Mul, 9, 32),
            TInstr::Sum(33),
            TInstr::Binary(Binary::Add, 31, 34),
            TInstr::Const(5),
            TInstr::Binary(Binary::Mul, 12, 36),
            TInstr::Sum(37),
            TInstr::Binary(Binary::Add, 35, 38),
            TInstr::Const(6),
            TInstr::Binary(Binary::Mul, 16, 40),
            TInstr::Sum(41),
            TInstr::Binary(Binary::Add, 39, 42),
            TInstr::Const(7),
            TInstr::Binary(Binary::Mul, 17, 44),
            TInstr::Sum(45),
            TInstr::Binary(Binary::Add, 43, 46),
            TInstr::Const(8),
            TInstr::Binary(Binary::Mul, 18, 48),
            TInstr::Sum(49),
            TInstr::Binary(Binary::Add, 47, 50),
            TInstr::Const(9),
            TInstr::Binary(Binary::Mul, 19, 52),
            TInstr::Sum(53),
            TInstr::Binary(Binary::Add, 51, 54),
            TInstr::Const(10),
            TInstr::Binary(Binary::Mul, 20, 56),
            TInstr::Sum(57),
            TInstr::Binary(Binary::Add, 55, 58),
        ],
    }
}
