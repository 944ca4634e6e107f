//! A [`Program`] on libtorch: one 0-dimensional tensor per register, leaves
//! with `requires_grad` for the inputs, `backward()` on the output.

use ferrograd_program::{Binary, Instr, Outcome, Program, Unary};
use tch::Tensor;

use crate::{Target, TorchError};

/// Runs `program` on libtorch at `target` and returns the output and the
/// gradient of every input (0 for an input the output does not reach).
///
/// Every op is libtorch's own (`torch.tanh`, `torch.pow`, ...), with
/// autograd's derivatives, so this is the reference the engines must match.
pub fn run_program(program: &Program, target: Target) -> Result<Outcome, TorchError> {
    program.validate()?;
    let opts = target.options();
    let scalar = |x: f64| -> Result<Tensor, TorchError> {
        Ok(
            Tensor::f_scalar_tensor(x, (tch::Kind::Double, tch::Device::Cpu))?
                .f_to_kind(opts.0)?
                .f_to_device(opts.1)?,
        )
    };
    let leaves = program
        .inputs
        .iter()
        .map(|&x| Ok(scalar(x)?.f_set_requires_grad(true)?))
        .collect::<Result<Vec<Tensor>, TorchError>>()?;
    let mut regs: Vec<Tensor> = Vec::with_capacity(program.instrs.len());
    for instr in &program.instrs {
        let r = |i: usize| &regs[i];
        let t = match *instr {
            Instr::Input(k) => leaves[k].shallow_clone(),
            Instr::Const(c) => scalar(c)?,
            Instr::Binary(f, a, b) => binary(f, r(a), r(b))?,
            Instr::Unary(f, a) => unary(f, r(a))?,
            Instr::Powi(a, n) => r(a).f_pow_tensor_scalar(i64::from(n))?,
            Instr::Powf(a, e) => r(a).f_pow_tensor_scalar(e)?,
        };
        regs.push(t);
    }
    let out = &regs[program.output()];
    // A program that only loads a constant has nothing to differentiate.
    if out.requires_grad() {
        out.f_backward()?;
    }
    let grads = leaves
        .iter()
        .map(|l| {
            let g = l.grad();
            Ok(if g.defined() {
                g.f_double_value(&[])?
            } else {
                0.0
            })
        })
        .collect::<Result<Vec<f64>, TorchError>>()?;
    Ok(Outcome {
        value: out.f_double_value(&[])?,
        grads,
    })
}

/// libtorch's function for `f` (`torch.tanh`, `torch.log1p`, ...), with
/// autograd's derivative.
pub fn unary(f: Unary, x: &Tensor) -> Result<Tensor, tch::TchError> {
    match f {
        Unary::Neg => x.f_neg(),
        Unary::Tanh => x.f_tanh(),
        Unary::Exp => x.f_exp(),
        Unary::Ln => x.f_log(),
        Unary::Sigmoid => x.f_sigmoid(),
        Unary::Relu => x.f_relu(),
        Unary::Sqrt => x.f_sqrt(),
        Unary::Abs => x.f_abs(),
        Unary::Sin => x.f_sin(),
        Unary::Cos => x.f_cos(),
        Unary::Log1p => x.f_log1p(),
        Unary::Expm1 => x.f_expm1(),
    }
}

/// libtorch's function for `f` (`torch.add`, `torch.pow` with a tensor
/// exponent, ...).
pub fn binary(f: Binary, a: &Tensor, b: &Tensor) -> Result<Tensor, tch::TchError> {
    match f {
        Binary::Add => a.f_add(b),
        Binary::Sub => a.f_sub(b),
        Binary::Mul => a.f_mul(b),
        Binary::Div => a.f_div(b),
        Binary::Pow => a.f_pow(b),
    }
}
