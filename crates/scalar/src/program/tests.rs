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
        vec![Instr::Input(0), Instr::Input(0), Instr::Mul(0, 1)],
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
        Program::new(vec![1.0], vec![Instr::Input(0), Instr::Add(0, 1)]).unwrap_err(),
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
    let mut counts = [0usize; 16];
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
    for (name, c) in Instr::NAMES.iter().zip(counts) {
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
                Instr::Ln(a) if regs[a] < 1e-3 => ln_small += 1,
                Instr::Relu(a) if regs[a] == 0.0 => relu_zero += 1,
                Instr::Powi(a, _) | Instr::Pow(a, _) if regs[a] < 0.0 => neg_base_pow += 1,
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
    let p = Program::new(
        vec![0.5],
        vec![
            Instr::Input(0),
            Instr::Tanh(0),
            Instr::Powf(1, 1.5),
            Instr::Const(1e-7),
            Instr::Add(2, 3),
        ],
    )
    .unwrap();
    let text = p.to_string();
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
