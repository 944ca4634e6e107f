use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

fn more_ops() -> Program {
    super::examples::micrograd_more_ops().program
}

#[test]
fn reloading_an_input_accumulates_into_one_leaf() {
    let p = Program::new(
        vec![3.0],
        vec![
            Instr::Input(0),
            Instr::Input(0),
            Instr::Binary(Binary::Mul, 0, 1),
        ],
    )
    .unwrap();
    let out = run_scalar::<f32>(&p).unwrap();
    assert_eq!(out.value, 9.0);
    assert_eq!(out.grads, vec![6.0]);
}

#[test]
fn invalid_programs_are_refused() {
    assert_eq!(Program::new(vec![], vec![]), Err(ProgramError::Empty));
    assert_eq!(
        Program::new(
            vec![1.0],
            vec![Instr::Input(0), Instr::Binary(Binary::Add, 0, 1)]
        )
        .unwrap_err(),
        ProgramError::ForwardReference {
            at: 1,
            op: "add",
            operand: 1
        }
    );
    assert_eq!(
        Program::new(vec![1.0], vec![Instr::Input(2)]).unwrap_err(),
        ProgramError::NoSuchInput {
            at: 0,
            input: 2,
            inputs: 1
        }
    );
}

#[test]
fn truncation_moves_the_output() {
    let p = more_ops();
    let t = p.truncated(2);
    assert_eq!(t.instrs.len(), 3);
    assert_eq!(run_scalar::<f64>(&t).unwrap().value, -2.0);
}

#[test]
fn random_programs_are_reproducible_finite_and_cover_every_op() {
    let shape = Shape::default();
    let mut counts = vec![0usize; Instr::names().len()];
    for seed in 0..2000u64 {
        let p = Program::random(&mut ChaCha8Rng::seed_from_u64(seed), &shape);
        assert_eq!(
            p,
            Program::random(&mut ChaCha8Rng::seed_from_u64(seed), &shape)
        );
        p.validate().unwrap();
        let regs = p.eval_f64().unwrap();
        assert!(regs.iter().all(|v| v.is_finite()), "seed {seed}: {p}");
        for (c, n) in counts.iter_mut().zip(p.op_counts()) {
            *c += n;
        }
    }
    for (name, c) in Instr::names().iter().zip(counts) {
        assert!(c > 100, "op {name} drawn only {c} times");
    }
}

#[test]
fn random_programs_reach_domain_edges() {
    let shape = Shape::default();
    let (mut ln_small, mut relu_zero, mut neg_base_pow) = (0, 0, 0);
    for seed in 0..2000u64 {
        let p = Program::random(&mut ChaCha8Rng::seed_from_u64(seed), &shape);
        let regs = p.eval_f64().unwrap();
        for instr in &p.instrs {
            match *instr {
                Instr::Unary(Unary::Ln, a) if regs[a] < 1e-3 => ln_small += 1,
                Instr::Unary(Unary::Relu, a) if regs[a] == 0.0 => relu_zero += 1,
                Instr::Powi(a, _) | Instr::Binary(Binary::Pow, a, _) if regs[a] < 0.0 => {
                    neg_base_pow += 1
                }
                _ => {}
            }
        }
    }
    assert!(ln_small > 20, "{ln_small}");
    assert!(relu_zero > 20, "{relu_zero}");
    assert!(neg_base_pow > 20, "{neg_base_pow}");
}

#[test]
fn display_is_a_pytorch_script() {
    // r0 = x0, r1 = tanh, r2 = ** 1.5, r3 = 1e-7, r4 = r2 + r3.
    let mut b = Builder::new();
    let x = b.input(0.5);
    let t = b.tanh(x);
    let q = b.powf(t, 1.5);
    b.add_const(q, 1e-7);
    let text = b.finish().unwrap().to_string();
    assert!(
        text.contains("x0 = torch.tensor(0.5, dtype=dt, requires_grad=True)"),
        "{text}"
    );
    assert!(text.contains("r1 = torch.tanh(r0)"), "{text}");
    assert!(text.contains("r2 = r1 ** 1.5"), "{text}");
    assert!(text.contains("r3 = torch.tensor(1e-7, dtype=dt)"), "{text}");
    assert!(
        text.ends_with("print(r4.item(), [0.0 if x0.grad is None else x0.grad.item()])"),
        "{text}"
    );
}

/// Relative error of `got` against `want`, in units of `eps`.
fn eps_err(got: f64, want: f64, eps: f64) -> f64 {
    if got == want {
        0.0
    } else {
        (got - want).abs() / want.abs() / eps
    }
}

#[test]
fn relu_of_nan_passes_the_gradient_on_as_aten_does() {
    // relu(x) + x * 2 at x = NaN. ATen's threshold_backward(g, result, 0)
    // is 0 only where result <= 0, so relu passes g = 1 on and d/dx is
    // 1 + 2 = 3 (PyTorch prints 3.0); `out > 0` gave 0 + 2.
    let p = Program::new(
        vec![f64::NAN],
        vec![
            Instr::Input(0),
            Instr::Unary(Unary::Relu, 0),
            Instr::Const(2.0),
            Instr::Binary(Binary::Mul, 0, 2),
            Instr::Binary(Binary::Add, 1, 3),
        ],
    )
    .unwrap();
    for out in [
        run_scalar::<f64>(&p).unwrap(),
        run_scalar::<f32>(&p).unwrap(),
    ] {
        assert!(out.value.is_nan());
        assert_eq!(out.grads, vec![3.0], "relu'(NaN) must pass g on");
    }
    assert!(
        p.eval_f64().unwrap()[1].is_nan(),
        "the evaluator keeps NaN too"
    );
}

#[test]
fn saturated_rules_match_exact_values() {
    // Exact values from mpmath (mp.dps = 50): sech(20)^2, and for sigmoid
    // e / (1 + e)^2 with e = exp(-40); each rounded to the nearest f64.
    let cases: [(Instr, f64, f64); 2] = [
        (Instr::Unary(Unary::Tanh, 0), 20.0, 1.6993417021166355e-17),
        (Instr::Unary(Unary::Sigmoid, 0), 40.0, 4.248354255291589e-18),
    ];
    for (op, x, want) in cases {
        let p = Program::new(vec![x], vec![Instr::Input(0), op]).unwrap();
        let g = run_scalar::<f64>(&p).unwrap().grads[0];
        assert!(
            eps_err(g, want, f64::EPSILON) <= 4.0,
            "{op:?} at {x}: {g:e} vs {want:e}"
        );
    }
    // f32: tanh'(10) = sech(10)^2 (mpmath) was 0 with 1 - out^2.
    let p = Program::new(
        vec![10.0],
        vec![Instr::Input(0), Instr::Unary(Unary::Tanh, 0)],
    )
    .unwrap();
    let g = run_scalar::<f32>(&p).unwrap().grads[0];
    assert!(
        eps_err(g, 8.244614455767397e-09, f32::EPSILON as f64) <= 4.0,
        "{g:e}"
    );
}

#[test]
fn division_with_a_zero_upstream_gradient_stays_finite_in_f32() {
    // r = (a / b) * 0 with a = 409, b = 1e-30: d/db is exactly 0, where
    // -g (a / b) / b gave 0 * inf = NaN and poisoned every gradient above it.
    let p = Program::new(
        vec![409.0, 1e-30],
        vec![
            Instr::Input(0),
            Instr::Input(1),
            Instr::Binary(Binary::Div, 0, 1),
            Instr::Const(0.0),
            Instr::Binary(Binary::Mul, 2, 3),
        ],
    )
    .unwrap();
    let out = run_scalar::<f32>(&p).unwrap();
    assert_eq!(out.grads, vec![0.0, 0.0]);
}

#[test]
fn powi_at_the_ends_of_i32() {
    // d/dx x^i32::MIN at x = 2 is -2^31 * 2^(-2^31 - 1): -0 in any float,
    // where n - 1 used to wrap to i32::MAX and give -inf.
    for n in [i32::MIN, i32::MAX] {
        let p = Program::new(vec![2.0], vec![Instr::Input(0), Instr::Powi(0, n)]).unwrap();
        let out = run_scalar::<f64>(&p).unwrap();
        assert!(
            out.grads[0].is_finite() || n == i32::MAX,
            "{n}: {:?}",
            out.grads
        );
        if n == i32::MIN {
            assert_eq!(out.value, 0.0);
            assert_eq!(out.grads[0], 0.0);
        }
    }
    // x = -1: (-1)^MAX = -1 and its slope MAX * (-1)^(MAX - 1) = MAX, in f32 too.
    let p = Program::new(vec![-1.0], vec![Instr::Input(0), Instr::Powi(0, i32::MAX)]).unwrap();
    let out = run_scalar::<f32>(&p).unwrap();
    assert_eq!(out.value, -1.0);
    assert_eq!(out.grads[0], f64::from(i32::MAX as f32));
}

#[test]
fn hard_programs_are_seeded_valid_and_finite() {
    let draw = |seed| Program::random_hard(&mut ChaCha8Rng::seed_from_u64(seed), f64::MAX / 1e3, 6);
    assert_eq!(draw(11), draw(11));
    let mut ops = std::collections::HashSet::new();
    for seed in 0..400 {
        let p = draw(seed);
        p.validate().unwrap();
        let regs = p.eval_f64().unwrap();
        assert!(regs.iter().all(|v| v.is_finite()), "seed {seed}: {regs:?}");
        for i in &p.instrs {
            ops.insert(match i {
                Instr::Powi(_, n) if *n == i32::MIN => "powi MIN",
                Instr::Powi(_, n) if *n == i32::MAX => "powi MAX",
                other => other.name(),
            });
        }
    }
    let unary = Unary::ALL.iter().map(|f| f.name());
    for op in ["div", "powi MIN", "powi MAX", "powf", "pow"]
        .into_iter()
        .chain(unary)
    {
        assert!(ops.contains(op), "no {op} in 400 hard programs");
    }
    let inputs: Vec<f64> = (0..400).flat_map(|s| draw(s).inputs).collect();
    assert!(
        inputs.iter().any(|x| x.abs() > 45.0 && x.abs() <= 50.0),
        "saturation up to 50"
    );
    assert!(
        inputs.iter().any(|x| x.abs() < 1e-25 && *x != 0.0),
        "divisors and logs near 1e-30"
    );
    assert!(inputs.iter().any(|x| x.abs() > 1e25), "divisors near 1e30");
    assert!(
        inputs.iter().any(|x| *x > 700.0),
        "exp near overflow in f64"
    );
}

/// The hard generator reaches the new functions' edges from their
/// declared [`Unary::edges`]: log1p next to -1, expm1 where its output
/// rounds to -1, sin and cos of large arguments, abs at both zeros.
#[test]
fn hard_programs_reach_the_edges_of_every_unary_function() {
    let (mut log1p_pole, mut expm1_flat, mut trig_large, mut abs_zero, mut abs_neg_zero) =
        (0, 0, 0, 0, 0);
    for seed in 0..2000 {
        let p = Program::random_hard(&mut ChaCha8Rng::seed_from_u64(seed), f64::MAX / 1e3, 0);
        let regs = p.eval_f64().unwrap();
        for instr in &p.instrs {
            let Instr::Unary(f, a) = *instr else { continue };
            let x = regs[a];
            match f {
                Unary::Log1p if x > -1.0 && x < -1.0 + 1e-2 => log1p_pole += 1,
                Unary::Expm1 if x < -37.0 => expm1_flat += 1,
                Unary::Sin | Unary::Cos if x.abs() >= 1e3 => trig_large += 1,
                Unary::Abs if x == 0.0 && x.is_sign_negative() => abs_neg_zero += 1,
                Unary::Abs if x == 0.0 => abs_zero += 1,
                _ => {}
            }
        }
    }
    for (what, n) in [
        ("log1p near -1", log1p_pole),
        ("expm1 below -37", expm1_flat),
        ("sin/cos beyond 1e3", trig_large),
        ("abs at +0", abs_zero),
        ("abs at -0", abs_neg_zero),
    ] {
        assert!(n > 5, "{what}: {n} in 2000 hard programs");
    }
}

#[test]
fn the_printer_uses_pytorch_names_from_the_lists() {
    let mut b = Builder::new();
    let x = b.input(0.25);
    for &f in Unary::ALL {
        b.unary(f, x);
    }
    let text = b.finish().unwrap().to_string();
    assert!(text.contains("r1 = -r0"), "{text}");
    for f in &Unary::ALL[1..] {
        assert!(text.contains(&format!("torch.{}(r0)", f.name())), "{text}");
    }
    assert!(text.contains("torch.log(r0)") && text.contains("torch.log1p(r0)"));
}

#[test]
fn eval_is_the_engines_forward_rule() {
    // relu(NaN) is NaN in both (they once disagreed); expm1 keeps tiny values.
    for &f in Unary::ALL {
        for a in [f64::NAN, -0.5, 1e-20, 3.0] {
            let e = Instr::Unary(f, 0).eval(a, 0.0);
            let v = ferrograd_scalar::Value::new(a).unary(f).data();
            assert!(e == v || (e.is_nan() && v.is_nan()), "{}({a})", f.name());
        }
    }
}
