//! A [`Program`] on libtorch: one 0-dimensional tensor per register, leaves
//! with `requires_grad` for the inputs, `backward()` on the output.

use ferrograd_scalar::program::{Instr, Outcome, Program};
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
        use Instr::*;
        let r = |i: usize| &regs[i];
        let t = match *instr {
            Input(k) => leaves[k].shallow_clone(),
            Const(c) => scalar(c)?,
            Add(a, b) => r(a).f_add(r(b))?,
            Sub(a, b) => r(a).f_sub(r(b))?,
            Mul(a, b) => r(a).f_mul(r(b))?,
            Div(a, b) => r(a).f_div(r(b))?,
            Pow(a, b) => r(a).f_pow(r(b))?,
            Neg(a) => r(a).f_neg()?,
            Tanh(a) => r(a).f_tanh()?,
            Exp(a) => r(a).f_exp()?,
            Ln(a) => r(a).f_log()?,
            Sigmoid(a) => r(a).f_sigmoid()?,
            Relu(a) => r(a).f_relu()?,
            Sqrt(a) => r(a).f_sqrt()?,
            Powi(a, n) => r(a).f_pow_tensor_scalar(i64::from(n))?,
            Powf(a, e) => r(a).f_pow_tensor_scalar(e)?,
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
