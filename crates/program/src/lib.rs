//! One description of a computation, run by every backend.
//!
//! A [`Program`] is a straight-line list of [`Instr`]uctions. Instruction `i`
//! writes register `i`; operands name earlier registers, so an intermediate
//! result can be used any number of times (shared subexpressions), and the
//! output is the last register. [`Instr::Input`] loads one of the program's
//! inputs: loading the same input twice gives the same leaf, whose gradient
//! collects both uses, exactly as a Python variable used twice does.
//!
//! The scalar engine runs a program with [`run_scalar`]; the libtorch oracle
//! and any other backend run the same value, so no scenario is written twice.
//! [`Program::random`] draws programs over every op with inputs near the edges
//! of each op's domain, and `Display` prints a program as a Python script
//! (PyTorch) that a person can paste to rerun a failing case.
//!
//! The functions are [`Unary`] and [`Binary`], declared once in
//! `ferrograd-scalar`: an instruction names one of them, so its value,
//! gradient and PyTorch name are theirs, and a function added there is
//! drawn by the generators (at its [`Unary::edges`]) without a change here.
//!
//! - [`Program`], [`Instr`], [`Builder`]: the form, and writing one by hand;
//! - [`run_scalar`]: a program on the scalar engine;
//! - [`Program::random`], [`Program::random_hard`]: the generators;
//! - [`examples`]: the notebook's and micrograd's computations as programs.
//!
//! ```
//! use ferrograd_program::{run_scalar, Builder};
//!
//! // micrograd's sanity check: z = 2x + 2 + x; q = relu(z) + z x; ...
//! let mut b = Builder::new();
//! let x = b.input(-4.0);
//! let two = b.constant(2.0);
//! let tx = b.mul(two, x);
//! let z = b.add_const(tx, 2.0);
//! let z = b.add(z, x);
//! let rz = b.relu(z);
//! let zx = b.mul(z, x);
//! let q = b.add(rz, zx);
//! let zz = b.mul(z, z);
//! let h = b.relu(zz);
//! let hq = b.add(h, q);
//! let qx = b.mul(q, x);
//! b.add(hq, qx);
//! let program = b.finish().unwrap();
//!
//! let out = run_scalar::<f64>(&program).unwrap();
//! assert_eq!(out.value, -20.0);
//! assert_eq!(out.grads, vec![46.0]);
//! ```

#![forbid(unsafe_code)]

use std::fmt;

pub use ferrograd_scalar::{Binary, Edge, Unary};
use ferrograd_scalar::{Scalar, Value};
use rand::Rng;

/// Index of a register: register `i` holds the result of instruction `i`.
pub type Reg = usize;

/// One instruction; operands are earlier registers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instr {
    /// Loads input `k` (a leaf whose gradient is reported).
    Input(usize),
    /// A constant (a leaf whose gradient is not reported).
    Const(f64),
    /// `f(a)` for a function of one operand ([`Value::unary`]).
    Unary(Unary, Reg),
    /// `f(a, b)` for a function of two operands; `pow` takes a tensor
    /// exponent ([`Value::pow`]).
    Binary(Binary, Reg, Reg),
    /// `a ** n` for an integer `n` ([`Value::powi`]).
    Powi(Reg, i32),
    /// `a ** e` for a constant float `e` ([`Value::powf`]).
    Powf(Reg, f64),
}

impl Instr {
    /// Every operation name, in the order [`Program::op_counts`] counts
    /// them: `input`, `const`, the [`Binary`] functions, the [`Unary`] ones
    /// (PyTorch's names), `powi`, `powf`.
    pub fn names() -> Vec<&'static str> {
        let mut v = vec!["input", "const"];
        v.extend(Binary::ALL.iter().map(|f| f.name()));
        v.extend(Unary::ALL.iter().map(|f| f.name()));
        v.extend(["powi", "powf"]);
        v
    }

    /// The operation's name (`"tanh"`, `"log"`, `"powi"`, ...), as reports
    /// print it: PyTorch's function name for [`Unary`] and [`Binary`].
    pub fn name(&self) -> &'static str {
        match self {
            Instr::Input(_) => "input",
            Instr::Const(_) => "const",
            Instr::Unary(f, _) => f.name(),
            Instr::Binary(f, ..) => f.name(),
            Instr::Powi(..) => "powi",
            Instr::Powf(..) => "powf",
        }
    }

    /// The registers this instruction reads.
    pub fn operands(&self) -> Vec<Reg> {
        match *self {
            Instr::Input(_) | Instr::Const(_) => vec![],
            Instr::Binary(_, a, b) => vec![a, b],
            Instr::Unary(_, a) | Instr::Powi(a, _) | Instr::Powf(a, _) => vec![a],
        }
    }

    /// The same instruction reading `map(r)` for every operand `r` (for
    /// rewriting a program into a longer one).
    pub fn map_operands(&self, map: impl Fn(Reg) -> Reg) -> Instr {
        match *self {
            Instr::Binary(f, a, b) => Instr::Binary(f, map(a), map(b)),
            Instr::Unary(f, a) => Instr::Unary(f, map(a)),
            Instr::Powi(a, n) => Instr::Powi(map(a), n),
            Instr::Powf(a, e) => Instr::Powf(map(a), e),
            other => other,
        }
    }

    /// Evaluates the instruction on `f64` operand values (`b` ignored by
    /// those of one operand) with the engine's own forward rules
    /// ([`Unary::value`], ...), so that the generators' values are the
    /// engine's, NaN included.
    pub fn eval(&self, a: f64, b: f64) -> f64 {
        match *self {
            Instr::Input(_) | Instr::Const(_) => a,
            Instr::Binary(f, ..) => f.value(a, b),
            Instr::Unary(f, _) => f.value(a),
            Instr::Powi(_, n) => ferrograd_scalar::rules::powi(a, n),
            Instr::Powf(_, e) => Binary::Pow.value(a, e),
        }
    }
}

/// What is wrong with a program.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProgramError {
    /// The program has no instructions, so no output.
    #[error("the program has no instructions, so it has no output")]
    Empty,
    /// An instruction reads a register that is not written before it.
    #[error("instruction r{at} ({op}) reads r{operand}, which is not an earlier register")]
    ForwardReference {
        /// The instruction's register.
        at: Reg,
        /// Its operation name.
        op: &'static str,
        /// The register it reads.
        operand: Reg,
    },
    /// An `Input(k)` with `k` past the inputs.
    #[error("instruction r{at} loads input {input}, but the program has {inputs} inputs")]
    NoSuchInput {
        /// The instruction's register.
        at: Reg,
        /// The input it loads.
        input: usize,
        /// How many inputs there are.
        inputs: usize,
    },
}

/// A straight-line computation: inputs, then instructions; the output is the
/// last register. See the [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Program {
    /// Input values; [`Instr::Input`] `(k)` loads `inputs[k]`.
    pub inputs: Vec<f64>,
    /// Instruction `i` writes register `i`.
    pub instrs: Vec<Instr>,
}

/// What a backend computes for a program: the output and the gradient of the
/// output with respect to every input (0 for an input the output ignores).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The output's value.
    pub value: f64,
    /// d output / d input, one per input.
    pub grads: Vec<f64>,
}

impl Program {
    /// A program from its parts, checked with [`Program::validate`].
    pub fn new(inputs: Vec<f64>, instrs: Vec<Instr>) -> Result<Self, ProgramError> {
        let p = Self { inputs, instrs };
        p.validate()?;
        Ok(p)
    }

    /// Checks that there is an output, that operands are earlier registers
    /// and that every loaded input exists.
    pub fn validate(&self) -> Result<(), ProgramError> {
        if self.instrs.is_empty() {
            return Err(ProgramError::Empty);
        }
        for (at, instr) in self.instrs.iter().enumerate() {
            if let Instr::Input(input) = *instr {
                if input >= self.inputs.len() {
                    return Err(ProgramError::NoSuchInput {
                        at,
                        input,
                        inputs: self.inputs.len(),
                    });
                }
            }
            if let Some(&operand) = instr.operands().iter().find(|&&r| r >= at) {
                return Err(ProgramError::ForwardReference {
                    at,
                    op: instr.name(),
                    operand,
                });
            }
        }
        Ok(())
    }

    /// The output register (the last one).
    pub fn output(&self) -> Reg {
        self.instrs.len().saturating_sub(1)
    }

    /// The program cut after register `last`, whose output is therefore
    /// `last`: the parity suite shrinks a failing case to the first prefix
    /// that fails, which names the guilty instruction.
    pub fn truncated(&self, last: Reg) -> Program {
        let end = (last + 1).min(self.instrs.len());
        Program {
            inputs: self.inputs.clone(),
            instrs: self.instrs[..end].to_vec(),
        }
    }

    /// The program's result in exact-as-`f64` forward evaluation of every
    /// register (no gradients), with the engine's forward rules.
    pub fn eval_f64(&self) -> Result<Vec<f64>, ProgramError> {
        self.validate()?;
        let mut regs: Vec<f64> = Vec::with_capacity(self.instrs.len());
        for instr in &self.instrs {
            let v = match *instr {
                Instr::Input(k) => self.inputs[k],
                Instr::Const(c) => c,
                _ => {
                    let ops = instr.operands();
                    let a = regs[ops[0]];
                    let b = ops.get(1).map_or(0.0, |&r| regs[r]);
                    instr.eval(a, b)
                }
            };
            regs.push(v);
        }
        Ok(regs)
    }

    /// How many instructions of each operation the program holds, in the
    /// order of [`Instr::names`].
    pub fn op_counts(&self) -> Vec<usize> {
        let names = Instr::names();
        let mut counts = vec![0; names.len()];
        for instr in &self.instrs {
            if let Some(i) = names.iter().position(|n| *n == instr.name()) {
                counts[i] += 1;
            }
        }
        counts
    }

    /// Draws a random program (see [`Shape`] for its size), with every op,
    /// shared subexpressions, and operands near the edges of each op's
    /// domain. Every register of the result is finite and at most
    /// [`Shape::max_abs`] in size when evaluated in `f64`.
    pub fn random<R: Rng + ?Sized>(rng: &mut R, shape: &Shape) -> Program {
        random::program(rng, shape)
    }

    /// Draws a program around one operation in the region where its rules
    /// are hardest to get right: divisors from 1e-30 to 1e30, integer
    /// exponents up to ±64 and `i32::MIN`/`i32::MAX`, float exponents like
    /// -1.7 on small bases, and each [`Unary`] function at one of its
    /// [`Unary::edges`] (`tanh` and `sigmoid` saturated up to |x| = 50, `exp`
    /// close to overflow, `ln` near 1 and near 0, `log1p` near -1, `sin` of
    /// 1e5, `abs` at -0, ...); sometimes
    /// behind a tiny or an exactly zero upstream gradient, followed by up to
    /// `max_ops` ordinary random operations.
    ///
    /// `max_abs` is the largest magnitude a register may reach when evaluated
    /// in `f64` (it also decides how close to overflow `exp` goes): about
    /// `f32::MAX` for programs meant for `f32`.
    ///
    /// ```
    /// use ferrograd_program::{run_scalar, Program};
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    /// for _ in 0..50 {
    ///     let p = Program::random_hard(&mut rng, f32::MAX as f64 / 1e3, 6);
    ///     assert!(p.eval_f64().unwrap().iter().all(|v| v.is_finite()));
    ///     // Every program runs; hard ones may legitimately give inf or NaN
    ///     // gradients where the exact value is out of the type's range.
    ///     run_scalar::<f32>(&p).unwrap();
    /// }
    /// ```
    pub fn random_hard<R: Rng + ?Sized>(rng: &mut R, max_abs: f64, max_ops: usize) -> Program {
        hard::program(rng, max_abs, max_ops)
    }
}

/// How many instructions of each operation `programs` hold together, by
/// name in the order of [`Instr::names`]: the parity report prints it, so a
/// function the generators never reach shows as 0.
///
/// ```
/// use ferrograd_program::{coverage, Program, Shape};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let programs: Vec<Program> = (0..200).map(|_| Program::random(&mut rng, &Shape::default())).collect();
/// let counts = coverage(&programs);
/// assert!(counts.iter().all(|&(_, n)| n > 0), "{counts:?}");
/// ```
pub fn coverage<'a>(programs: impl IntoIterator<Item = &'a Program>) -> Vec<(&'static str, usize)> {
    let names = Instr::names();
    let mut total = vec![0; names.len()];
    for p in programs {
        for (t, n) in total.iter_mut().zip(p.op_counts()) {
            *t += n;
        }
    }
    names.into_iter().zip(total).collect()
}

/// The size of a random program.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Most inputs.
    pub max_inputs: usize,
    /// Most instructions besides input loads (a deep chain may be longer).
    pub max_ops: usize,
    /// Chance that the program is one long chain instead.
    pub deep_chain: f64,
    /// Length of a deep chain.
    pub chain_len: usize,
    /// Largest register magnitude a drawn program may reach, so that `f32`
    /// runs of the same program stay finite.
    pub max_abs: f64,
}

impl Default for Shape {
    fn default() -> Self {
        Self {
            max_inputs: 4,
            max_ops: 24,
            deep_chain: 0.1,
            chain_len: 200,
            max_abs: 1e6,
        }
    }
}

/// Runs `program` on the scalar engine in precision `T`: inputs and
/// constants are rounded to `T`, the output's `backward()` fills the
/// gradients, and everything is widened back to `f64`.
pub fn run_scalar<T: Scalar>(program: &Program) -> Result<Outcome, ProgramError> {
    program.validate()?;
    let leaves: Vec<Value<T>> = program
        .inputs
        .iter()
        .map(|&x| Value::new(T::from_f64(x)))
        .collect();
    let mut regs: Vec<Value<T>> = Vec::with_capacity(program.instrs.len());
    for instr in &program.instrs {
        let r = |i: Reg| &regs[i];
        let v = match *instr {
            Instr::Input(k) => leaves[k].clone(),
            Instr::Const(c) => Value::new(T::from_f64(c)),
            Instr::Binary(f, a, b) => r(a).binary(f, r(b)),
            Instr::Unary(f, a) => r(a).unary(f),
            Instr::Powi(a, n) => r(a).powi(n),
            Instr::Powf(a, e) => r(a).powf(T::from_f64(e)),
        };
        regs.push(v);
    }
    let out = &regs[program.output()];
    out.backward();
    Ok(Outcome {
        value: out.data().to_f64(),
        grads: leaves.iter().map(|l| l.grad().to_f64()).collect(),
    })
}

/// Writes programs instruction by instruction; each method returns the new
/// register. The output is the last register written.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    program: Program,
}

/// Named shortcuts for [`Builder::binary`] and [`Builder::unary`].
macro_rules! binary_shortcuts {
    ($($(#[$doc:meta])* $name:ident => $variant:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(&mut self, a: Reg, b: Reg) -> Reg {
            self.binary(Binary::$variant, a, b)
        }
    )*};
}

macro_rules! unary_shortcuts {
    ($($name:ident => $variant:ident;)*) => {$(
        #[doc = concat!("Appends `", stringify!($name), "(a)` ([`Unary::", stringify!($variant), "`]).")]
        pub fn $name(&mut self, a: Reg) -> Reg {
            self.unary(Unary::$variant, a)
        }
    )*};
}

impl Builder {
    /// An empty program.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends any instruction.
    pub fn push(&mut self, instr: Instr) -> Reg {
        self.program.instrs.push(instr);
        self.program.instrs.len() - 1
    }

    /// A new input with value `x`, loaded into a register.
    pub fn input(&mut self, x: f64) -> Reg {
        self.program.inputs.push(x);
        let k = self.program.inputs.len() - 1;
        self.push(Instr::Input(k))
    }

    /// A constant.
    pub fn constant(&mut self, c: f64) -> Reg {
        self.push(Instr::Const(c))
    }

    /// `a + c` for a constant `c` (two instructions).
    pub fn add_const(&mut self, a: Reg, c: f64) -> Reg {
        let c = self.constant(c);
        self.add(a, c)
    }

    /// `a * c` for a constant `c` (two instructions).
    pub fn mul_const(&mut self, a: Reg, c: f64) -> Reg {
        let c = self.constant(c);
        self.mul(a, c)
    }

    /// `f(a)` for any function of one operand.
    pub fn unary(&mut self, f: Unary, a: Reg) -> Reg {
        self.push(Instr::Unary(f, a))
    }

    /// `f(a, b)` for any function of two operands.
    pub fn binary(&mut self, f: Binary, a: Reg, b: Reg) -> Reg {
        self.push(Instr::Binary(f, a, b))
    }

    binary_shortcuts! {
        /// `a + b`
        add => Add;
        /// `a - b`
        sub => Sub;
        /// `a * b`
        mul => Mul;
        /// `a / b`
        div => Div;
        /// `a ** b`
        pow => Pow;
    }

    // The shortcuts micrograd's tests read best with; `unary` takes any function.
    unary_shortcuts! { neg => Neg; tanh => Tanh; exp => Exp; ln => Ln; sigmoid => Sigmoid; relu => Relu; sqrt => Sqrt; }

    /// `a ** n`
    pub fn powi(&mut self, a: Reg, n: i32) -> Reg {
        self.push(Instr::Powi(a, n))
    }

    /// `a ** e`
    pub fn powf(&mut self, a: Reg, e: f64) -> Reg {
        self.push(Instr::Powf(a, e))
    }

    /// The finished program, checked.
    pub fn finish(self) -> Result<Program, ProgramError> {
        self.program.validate()?;
        Ok(self.program)
    }
}

/// Prints the program as a Python script for PyTorch: paste it, set `dt`,
/// and it prints the output and the input gradients.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "import torch")?;
        writeln!(f, "dt = torch.float64  # or torch.float32")?;
        for (k, x) in self.inputs.iter().enumerate() {
            writeln!(
                f,
                "x{k} = torch.tensor({}, dtype=dt, requires_grad=True)",
                python_float(*x)
            )?;
        }
        for (i, instr) in self.instrs.iter().enumerate() {
            write!(f, "r{i} = ")?;
            match *instr {
                Instr::Input(k) => writeln!(f, "x{k}")?,
                Instr::Const(c) => writeln!(f, "torch.tensor({}, dtype=dt)", python_float(c))?,
                // Python's operators are micrograd's picture labels.
                Instr::Binary(g, a, b) => writeln!(f, "r{a} {} r{b}", g.symbol())?,
                Instr::Unary(Unary::Neg, a) => writeln!(f, "-r{a}")?,
                Instr::Unary(g, a) => writeln!(f, "torch.{}(r{a})", g.name())?,
                Instr::Powi(a, n) => writeln!(f, "r{a} ** {n}")?,
                Instr::Powf(a, e) => writeln!(f, "r{a} ** {}", python_float(e))?,
            }
        }
        let out = self.output();
        writeln!(f, "r{out}.backward()")?;
        let grads: Vec<String> = (0..self.inputs.len())
            .map(|k| format!("0.0 if x{k}.grad is None else x{k}.grad.item()"))
            .collect();
        write!(f, "print(r{out}.item(), [{}])", grads.join(", "))
    }
}

/// A float as a Python literal that reads back to the same `f64`
/// (`float('nan')`, `float('-inf')`, or Rust's shortest round-trip form):
/// the one spelling of numbers in every PyTorch script this workspace prints.
///
/// ```
/// assert_eq!(ferrograd_program::python_float(0.1), "0.1");
/// assert_eq!(ferrograd_program::python_float(f64::NEG_INFINITY), "float('-inf')");
/// ```
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        "float('nan')".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "float('inf')".into()
        } else {
            "float('-inf')".into()
        }
    } else {
        format!("{x:?}")
    }
}

pub mod examples;
mod hard;
mod random;

#[cfg(test)]
mod tests;

/// The README, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
