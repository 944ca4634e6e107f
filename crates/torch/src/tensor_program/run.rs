//! A [`TensorProgram`] on [`ferrograd_tensor::Tensor`] and on libtorch.
//!
//! Both runners read [`Unary`] and [`Binary`] through one `match` each
//! ([`crate::program::unary`], [`crate::program::binary`], shared with the scalar programs),
//! and a float on the left is what Python does with it: `c - a` is
//! `torch.rsub`, `c / a` is `a.reciprocal() * c` (`Tensor.__rtruediv__`),
//! `c ** a` is `torch.pow(c, a)`.

#[cfg(doc)]
use ferrograd_scalar::Unary;
use ferrograd_scalar::{Binary, Scalar};
use ferrograd_tensor::{AutogradError, Float, Tensor};
use tch::Tensor as TchTensor;

use super::{Leaf, TInstr, TensorOutcome, TensorProgram, TensorProgramError};
use crate::{Target, TorchError};

/// A float type with the engine's `float op tensor` operators (`2.0 - &a`),
/// which exist for `f32` and `f64` only, so generic code reaches them here.
pub trait FloatLeft: Float {
    /// `c op a`, through the operator a user writes (`pow` has none: it is
    /// `Tensor::scalar(c).pow(a)`).
    fn left(self, f: Binary, a: &Tensor<Self>) -> Tensor<Self>;
}

macro_rules! float_left {
    ($($t:ty),*) => {$(
        impl FloatLeft for $t {
            fn left(self, f: Binary, a: &Tensor<$t>) -> Tensor<$t> {
                match f {
                    Binary::Add => self + a,
                    Binary::Sub => self - a,
                    Binary::Mul => self * a,
                    Binary::Div => self / a,
                    Binary::Pow => Tensor::scalar(self).pow(a),
                }
            }
        }
    )*};
}
float_left!(f32, f64);

fn leaf<T: Float>(l: &Leaf, at: usize) -> Result<Tensor<T>, TensorProgramError> {
    Tensor::from_vec(l.data.iter().map(|&x| T::from_f64(x)).collect(), &l.shape).map_err(|e| {
        TensorProgramError::Leaf {
            at,
            what: e.to_string(),
        }
    })
}

/// One instruction on the engine, with the user's API (operators for a
/// float on either side, `pow` with a float exponent).
pub(super) fn step<T: FloatLeft>(
    instr: &TInstr,
    regs: &[Tensor<T>],
    inputs: &[Tensor<T>],
    consts: &[Tensor<T>],
) -> Result<Tensor<T>, AutogradError> {
    use TInstr::*;
    let r = |i: usize| &regs[i];
    let c = |x: f64| T::from_f64(x);
    Ok(match instr {
        Input(k) => inputs[*k].clone(),
        Const(k) => consts[*k].clone(),
        Unary(u, a) => r(*a).unary(*u),
        Binary(f, a, b) => r(*a).binary(*f, r(*b))?,
        FloatRight(f, a, x) => match f {
            ferrograd_scalar::Binary::Add => r(*a) + c(*x),
            ferrograd_scalar::Binary::Sub => r(*a) - c(*x),
            ferrograd_scalar::Binary::Mul => r(*a) * c(*x),
            ferrograd_scalar::Binary::Div => r(*a) / c(*x),
            ferrograd_scalar::Binary::Pow => r(*a).pow(c(*x)),
        },
        FloatLeft(f, x, a) => c(*x).left(*f, r(*a)),
        MatMul(a, b) => r(*a).matmul(r(*b))?,
        AddMm(c, a, b) => r(*c).addmm(r(*a), r(*b))?,
        Sum(a) => r(*a).sum(),
        Mean(a) => r(*a).mean()?,
        SumAxis(a, d, k) => r(*a).sum_axis(*d, *k)?,
        MeanAxis(a, d, k) => r(*a).mean_axis(*d, *k)?,
        MaxAxis(a, d, k) => r(*a).max_axis(*d, *k)?,
        Reshape(a, s) => r(*a).reshape(s)?,
        Transpose(a, i, j) => r(*a).transpose(*i, *j)?,
        Softmax(a, d) => r(*a).softmax(*d)?,
        LogSoftmax(a, d) => r(*a).log_softmax(*d)?,
        Pick(a, cls) => r(*a).pick(cls)?,
        Dot(a, b) => r(*a).dot(r(*b))?,
        AddN(terms) => {
            let terms: Vec<Tensor<T>> = terms.iter().map(|&t| r(t).clone()).collect();
            Tensor::add_n(&terms)?
        }
    })
}

/// Every register of a run, and the input leaves.
type Registers<T> = (Vec<Tensor<T>>, Vec<Tensor<T>>);

/// Every register of `p` on the engine in precision `T`, inputs as
/// parameters when `grad`; checks operands and leaves on the way.
fn registers<T: FloatLeft>(
    p: &TensorProgram,
    grad: bool,
) -> Result<Registers<T>, TensorProgramError> {
    let inputs = p
        .inputs
        .iter()
        .map(|l| Ok(leaf::<T>(l, 0)?.requires_grad(grad)))
        .collect::<Result<Vec<_>, TensorProgramError>>()?;
    let consts = p
        .consts
        .iter()
        .map(|l| leaf::<T>(l, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut regs: Vec<Tensor<T>> = Vec::with_capacity(p.instrs.len());
    for (at, instr) in p.instrs.iter().enumerate() {
        if let Some(&operand) = instr.operands().iter().find(|&&r| r >= at) {
            return Err(TensorProgramError::ForwardReference {
                at,
                op: instr.name(),
                operand,
            });
        }
        match *instr {
            TInstr::Input(k) if k >= inputs.len() => {
                return Err(TensorProgramError::Leaf {
                    at,
                    what: format!("input {k}, but there are {}", inputs.len()),
                })
            }
            TInstr::Const(k) if k >= consts.len() => {
                return Err(TensorProgramError::Leaf {
                    at,
                    what: format!("constant {k}, but there are {}", consts.len()),
                })
            }
            _ => {}
        }
        let t = step(instr, &regs, &inputs, &consts).map_err(|e| TensorProgramError::Op {
            at,
            op: instr.name(),
            why: e.to_string(),
        })?;
        regs.push(t);
    }
    Ok((regs, inputs))
}

/// The value of every register in `f64`, recording nothing (the generator
/// reads them to keep each draw inside its op's domain).
pub fn forward_f64(p: &TensorProgram) -> Result<Vec<Tensor<f64>>, TensorProgramError> {
    ferrograd_tensor::no_grad(|| registers::<f64>(p, false).map(|(regs, _)| regs))
}

/// The shape of every register.
pub fn shapes(p: &TensorProgram) -> Result<Vec<Vec<usize>>, TensorProgramError> {
    Ok(forward_f64(p)?.iter().map(Tensor::shape).collect())
}

/// Runs `p` on the engine in precision `T`: `sum(last register)`, its
/// `backward()`, and every input's gradient widened to `f64`.
pub fn run_tensor<T: FloatLeft>(p: &TensorProgram) -> Result<TensorOutcome, TensorProgramError> {
    if p.instrs.is_empty() {
        return Err(TensorProgramError::Empty);
    }
    let (regs, inputs) = registers::<T>(p, true)?;
    let out = regs[p.output()].sum();
    let at = p.output();
    let op_err = |e: AutogradError| TensorProgramError::Op {
        at,
        op: "sum + backward".into(),
        why: e.to_string(),
    };
    if out.needs_grad() {
        out.backward().map_err(op_err)?;
    }
    let value = Scalar::to_f64(out.item().map_err(op_err)?);
    let grads = inputs
        .iter()
        .map(|x| match x.grad() {
            Some(g) => g.iter().map(|&v| Scalar::to_f64(v)).collect(),
            None => vec![0.0; x.len()],
        })
        .collect();
    Ok(TensorOutcome { value, grads })
}

/// `a op c` as Python's `a + 2.0` runs it.
fn float_right(f: Binary, a: &TchTensor, c: f64) -> Result<TchTensor, TorchError> {
    Ok(match f {
        Binary::Add => a.f_add_scalar(c)?,
        Binary::Sub => a.f_sub_scalar(c)?,
        Binary::Mul => a.f_mul_scalar(c)?,
        Binary::Div => a.f_div_scalar(c)?,
        Binary::Pow => a.f_pow_tensor_scalar(c)?,
    })
}

/// `c op a` as Python's `2.0 / a` runs it (`Tensor.__radd__`, `__rsub__`, ...).
fn float_left_torch(f: Binary, c: f64, a: &TchTensor) -> Result<TchTensor, TorchError> {
    Ok(match f {
        Binary::Add => a.f_add_scalar(c)?,
        Binary::Sub => a.f_rsub_scalar(c)?,
        Binary::Mul => a.f_mul_scalar(c)?,
        Binary::Div => a.f_reciprocal()?.f_mul_scalar(c)?,
        Binary::Pow => TchTensor::f_pow_scalar(c, a)?,
    })
}

fn leaf_torch(l: &Leaf, target: Target) -> Result<TchTensor, TorchError> {
    let shape: Vec<i64> = l.shape.iter().map(|&n| n as i64).collect();
    Ok(TchTensor::f_from_slice(&l.data)?
        .f_reshape(shape.as_slice())?
        .f_to_kind(target.precision.kind())?
        .f_to_device(target.device)?)
}

fn to_f64s(t: &TchTensor) -> Result<Vec<f64>, TorchError> {
    Ok(Vec::<f64>::try_from(
        &t.f_detach()?
            .f_to_kind(tch::Kind::Double)?
            .f_to_device(tch::Device::Cpu)?
            .f_reshape([-1])?,
    )?)
}

/// Runs `p` on libtorch at `target`: every op is libtorch's own, with
/// autograd's derivatives, so this is the reference the engine must match.
pub fn run_torch(p: &TensorProgram, target: Target) -> Result<TensorOutcome, TorchError> {
    use TInstr::*;
    p.validate()?;
    let inputs = p
        .inputs
        .iter()
        .map(|l| Ok(leaf_torch(l, target)?.f_set_requires_grad(true)?))
        .collect::<Result<Vec<_>, TorchError>>()?;
    let consts = p
        .consts
        .iter()
        .map(|l| leaf_torch(l, target))
        .collect::<Result<Vec<_>, TorchError>>()?;
    let mut regs: Vec<TchTensor> = Vec::with_capacity(p.instrs.len());
    for instr in &p.instrs {
        let r = |i: usize| &regs[i];
        let d = |x: usize| x as i64;
        let t = match instr {
            Input(k) => inputs[*k].shallow_clone(),
            Const(k) => consts[*k].shallow_clone(),
            Unary(u, a) => crate::program::unary(*u, r(*a))?,
            Binary(f, a, b) => crate::program::binary(*f, r(*a), r(*b))?,
            FloatRight(f, a, c) => float_right(*f, r(*a), *c)?,
            FloatLeft(f, c, a) => float_left_torch(*f, *c, r(*a))?,
            MatMul(a, b) => r(*a).f_matmul(r(*b))?,
            AddMm(c, a, b) => r(*c).f_addmm(r(*a), r(*b))?,
            Sum(a) => r(*a).f_sum(None)?,
            Mean(a) => r(*a).f_mean(None)?,
            SumAxis(a, x, k) => r(*a).f_sum_dim_intlist([d(*x)].as_slice(), *k, None)?,
            MeanAxis(a, x, k) => r(*a).f_mean_dim([d(*x)].as_slice(), *k, None)?,
            MaxAxis(a, x, k) => r(*a).f_max_dim(d(*x), *k)?.0,
            Reshape(a, s) => {
                let s: Vec<i64> = s.iter().map(|&n| n as i64).collect();
                r(*a).f_reshape(s.as_slice())?
            }
            Transpose(a, i, j) => r(*a).f_transpose(d(*i), d(*j))?,
            Softmax(a, x) => r(*a).f_softmax(d(*x), None)?,
            LogSoftmax(a, x) => r(*a).f_log_softmax(d(*x), None)?,
            Pick(a, cls) => {
                let idx: Vec<i64> = cls.iter().map(|&c| c as i64).collect();
                let idx = TchTensor::f_from_slice(&idx)?
                    .f_reshape([idx.len() as i64, 1])?
                    .f_to_device(target.device)?;
                r(*a).f_gather(1, &idx, false)?.f_squeeze_dim(1)?
            }
            // PyTorch's composites: the fused ops are checked against them.
            Dot(a, b) => r(*a).f_mul(r(*b))?.f_sum(None)?,
            AddN(terms) => {
                let mut acc = r(terms[0]).shallow_clone();
                for &t in &terms[1..] {
                    acc = acc.f_add(r(t))?;
                }
                acc
            }
        };
        regs.push(t);
    }
    let out = regs[p.output()].f_sum(None)?;
    if out.requires_grad() {
        out.f_backward()?;
    }
    let grads = inputs
        .iter()
        .zip(&p.inputs)
        .map(|(x, l)| {
            let g = x.grad();
            if g.defined() {
                to_f64s(&g)
            } else {
                Ok(vec![0.0; l.data.len()])
            }
        })
        .collect::<Result<Vec<_>, TorchError>>()?;
    Ok(TensorOutcome {
        value: out.f_double_value(&[])?,
        grads,
    })
}
