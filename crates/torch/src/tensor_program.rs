//! Tensor programs: one description of a batched computation, run by
//! [`ferrograd_tensor::Tensor`] and by libtorch.
//!
//! A [`TensorProgram`] is the tensor form of
//! [`ferrograd_program::Program`]: a straight-line list of
//! [`TInstr`]uctions, where instruction `i` writes register `i` and operands
//! name earlier registers (so a register can be read twice: a shared
//! subexpression). Leaves are tensors of any rank: [`TInstr::Input`] loads an
//! input (a leaf whose gradient is reported), [`TInstr::Const`] a constant.
//! The output is `sum(last register)`, so a program, and every prefix of it,
//! ends in one number whose backward pass gives the gradient of every input.
//!
//! [`TensorProgram::random`] draws programs over every tensor operation with
//! shapes that broadcast and inputs at the edges of each op's domain (see
//! [`random`]); [`run`] runs one on the engine and on libtorch; `Display`
//! prints it as a PyTorch script that reruns a failing case.
//!
//! ```no_run
//! use ferrograd_torch::tensor_program::{run, TensorProgram, TensorShape};
//! use rand::SeedableRng;
//!
//! let p = TensorProgram::random(&mut rand_chacha::ChaCha8Rng::seed_from_u64(7), &TensorShape::default());
//! let engine = run::run_tensor::<f64>(&p).unwrap();
//! let torch = run::run_torch(&p, ferrograd_torch::Target::cpu(ferrograd_torch::Precision::F64)).unwrap();
//! assert_eq!(engine.grads.len(), torch.grads.len());
//! println!("{p}");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use ferrograd_program::python_float;
use ferrograd_scalar::{Binary, Unary};
use rand::Rng;

pub mod lower;
pub mod random;
pub mod run;

/// Index of a register: register `i` holds the result of instruction `i`.
pub type Reg = usize;

/// A leaf tensor: its shape and its values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// The shape (`[]` for a 0-dimensional tensor).
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values, row-major.
    pub data: Vec<f64>,
}

/// One instruction of a [`TensorProgram`]; operands are earlier registers.
#[derive(Debug, Clone, PartialEq)]
pub enum TInstr {
    /// Loads input `k` (a leaf with a gradient).
    Input(usize),
    /// Loads constant `k` (a leaf without one).
    Const(usize),
    /// An elementwise function of one tensor.
    Unary(Unary, Reg),
    /// An elementwise function of two tensors, broadcast.
    Binary(Binary, Reg, Reg),
    /// `a op c` with a plain float `c` on the right (`a ** 1.5` is `pow`
    /// with a float exponent).
    FloatRight(Binary, Reg, f64),
    /// `c op a` with a plain float `c` on the left (`2.0 / a`, `2.0 ** a`).
    FloatLeft(Binary, f64, Reg),
    /// `a @ b`: `[n, k] @ [k, m]`, `[B, n, k] @ [B, k, m]` or `[B, n, k] @ [k, m]`.
    MatMul(Reg, Reg),
    /// `bias + a @ b` as one node (`torch.addmm(bias, a, b)`): `a` `[n, k]`,
    /// `b` `[k, m]`, the bias broadcast to `[n, m]`.
    AddMm(Reg, Reg, Reg),
    /// The sum of all elements.
    Sum(Reg),
    /// The mean of all elements.
    Mean(Reg),
    /// The sum over an axis (kept with size 1 when the flag is set).
    SumAxis(Reg, usize, bool),
    /// The mean over an axis.
    MeanAxis(Reg, usize, bool),
    /// The maximum over an axis.
    MaxAxis(Reg, usize, bool),
    /// The same elements in another shape.
    Reshape(Reg, Vec<usize>),
    /// Two axes swapped.
    Transpose(Reg, usize, usize),
    /// Softmax over an axis.
    Softmax(Reg, usize),
    /// Log-softmax over an axis.
    LogSoftmax(Reg, usize),
    /// `out[i] = a[i, classes[i]]` for a 2-D `a`.
    Pick(Reg, Vec<usize>),
    /// `(a * b).sum()` for two tensors of one shape, as one node.
    Dot(Reg, Reg),
    /// `((t0 + t1) + t2) + ...` for tensors of one shape, as one node.
    AddN(Vec<Reg>),
}

impl TInstr {
    /// The registers this instruction reads.
    pub fn operands(&self) -> Vec<Reg> {
        use TInstr::*;
        match *self {
            Input(_) | Const(_) => vec![],
            AddN(ref terms) => terms.clone(),
            AddMm(c, a, b) => vec![c, a, b],
            Binary(_, a, b) | MatMul(a, b) | Dot(a, b) => vec![a, b],
            Unary(_, a)
            | FloatRight(_, a, _)
            | FloatLeft(_, _, a)
            | Sum(a)
            | Mean(a)
            | SumAxis(a, ..)
            | MeanAxis(a, ..)
            | MaxAxis(a, ..)
            | Reshape(a, _)
            | Transpose(a, ..)
            | Softmax(a, _)
            | LogSoftmax(a, _)
            | Pick(a, _) => vec![a],
        }
    }

    /// The operation's name as coverage counts it: PyTorch's function name
    /// (`"tanh"`, `"matmul"`), with the float side (`"mul float"`,
    /// `"float div"`, `"pow float exponent"`) and keepdim told apart.
    pub fn name(&self) -> String {
        use TInstr::*;
        let keep = |k: bool| if k { " keepdim" } else { "" };
        match self {
            Input(_) => "input".into(),
            Const(_) => "const".into(),
            Unary(u, _) => u.name().into(),
            Binary(f, ..) => f.name().into(),
            FloatRight(ferrograd_scalar::Binary::Pow, ..) => "pow float exponent".into(),
            FloatRight(f, ..) => format!("{} float", f.name()),
            FloatLeft(f, ..) => format!("float {}", f.name()),
            MatMul(..) => "matmul".into(),
            AddMm(..) => "addmm".into(),
            Sum(_) => "sum".into(),
            Mean(_) => "mean".into(),
            SumAxis(_, _, k) => format!("sum axis{}", keep(*k)),
            MeanAxis(_, _, k) => format!("mean axis{}", keep(*k)),
            MaxAxis(_, _, k) => format!("max axis{}", keep(*k)),
            Reshape(..) => "reshape".into(),
            Transpose(..) => "transpose".into(),
            Softmax(..) => "softmax".into(),
            LogSoftmax(..) => "log_softmax".into(),
            Pick(..) => "pick".into(),
            Dot(..) => "dot".into(),
            AddN(..) => "add_n".into(),
        }
    }

    /// Every name [`TInstr::name`] can return: the coverage a run of random
    /// programs must reach.
    pub fn all_names() -> Vec<String> {
        let mut v: Vec<String> = vec!["input".into(), "const".into()];
        v.extend(Unary::ALL.iter().map(|u| u.name().to_string()));
        v.extend(Binary::ALL.iter().map(|f| f.name().to_string()));
        for f in Binary::ALL {
            v.push(TInstr::FloatRight(*f, 0, 1.0).name());
            v.push(TInstr::FloatLeft(*f, 1.0, 0).name());
        }
        v.extend(["matmul", "addmm", "sum", "mean"].map(String::from));
        for k in [false, true] {
            v.push(TInstr::SumAxis(0, 0, k).name());
            v.push(TInstr::MeanAxis(0, 0, k).name());
            v.push(TInstr::MaxAxis(0, 0, k).name());
        }
        v.extend(
            [
                "reshape",
                "transpose",
                "softmax",
                "log_softmax",
                "pick",
                "dot",
                "add_n",
            ]
            .map(String::from),
        );
        v
    }
}

/// What is wrong with a tensor program.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TensorProgramError {
    /// No instructions, so no output.
    #[error("the tensor program has no instructions, so it has no output")]
    Empty,
    /// An operand that is not an earlier register.
    #[error("instruction r{at} ({op}) reads r{operand}, which is not an earlier register")]
    ForwardReference {
        /// The instruction's register.
        at: Reg,
        /// Its operation.
        op: String,
        /// The register it reads.
        operand: Reg,
    },
    /// A leaf that does not exist, or whose data does not fill its shape.
    #[error("instruction r{at} loads {what}")]
    Leaf {
        /// The instruction's register.
        at: Reg,
        /// What is wrong.
        what: String,
    },
    /// The engine refused an operation (shapes, axes).
    #[error("instruction r{at} ({op}): {why}")]
    Op {
        /// The instruction's register.
        at: Reg,
        /// Its operation.
        op: String,
        /// The engine's message.
        why: String,
    },
}

/// A straight-line tensor computation; see the [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TensorProgram {
    /// Inputs: leaves whose gradients are reported.
    pub inputs: Vec<Leaf>,
    /// Constants: leaves without a gradient.
    pub consts: Vec<Leaf>,
    /// Instruction `i` writes register `i`.
    pub instrs: Vec<TInstr>,
}

/// What a backend computes for a tensor program: `sum(last register)` and
/// the gradient of that with respect to every input, flattened row-major
/// (zeros for an input the output does not reach).
#[derive(Debug, Clone, PartialEq)]
pub struct TensorOutcome {
    /// The output.
    pub value: f64,
    /// d output / d input `k`, one value per element of input `k`.
    pub grads: Vec<Vec<f64>>,
}

impl TensorOutcome {
    /// Every number of the outcome, paired with `other`'s, named as a report
    /// shows it (`"value"`, `"d/dx1[4]"`).
    pub fn numbers(&self, other: &TensorOutcome) -> Vec<(String, f64, f64)> {
        let mut v = vec![("value".to_string(), self.value, other.value)];
        for (k, (a, b)) in self.grads.iter().zip(&other.grads).enumerate() {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                v.push((format!("d/dx{k}[{i}]"), *x, *y));
            }
            // A missing element is a disagreement, not a silent skip.
            for i in a.len().min(b.len())..a.len().max(b.len()) {
                let get = |g: &Vec<f64>| g.get(i).copied().unwrap_or(f64::NAN);
                v.push((format!("d/dx{k}[{i}]"), get(a), get(b)));
            }
        }
        v
    }

    /// `self` with each number whose flag in `which` (in the order of
    /// [`TensorOutcome::numbers`] against `other`) is set taken from
    /// `other`; an element only one side has stays as it is.
    ///
    /// ```
    /// use ferrograd_torch::tensor_program::TensorOutcome;
    /// let a = TensorOutcome { value: 1.0, grads: vec![vec![2.0, 3.0]] };
    /// let b = TensorOutcome { value: 10.0, grads: vec![vec![20.0, 30.0]] };
    /// let c = a.taking(&b, &[false, true, false]);
    /// assert_eq!((c.value, c.grads), (1.0, vec![vec![20.0, 3.0]]));
    /// ```
    pub fn taking(&self, other: &TensorOutcome, which: &[bool]) -> TensorOutcome {
        let mut flags = which.iter().copied().chain(std::iter::repeat(false));
        let mut out = self.clone();
        if flags.next() == Some(true) {
            out.value = other.value;
        }
        for (g, h) in out.grads.iter_mut().zip(&other.grads) {
            for (x, &y) in g.iter_mut().zip(h) {
                if flags.next() == Some(true) {
                    *x = y;
                }
            }
            // `numbers` lists the elements only one side has too.
            flags
                .by_ref()
                .take(g.len().abs_diff(h.len()))
                .for_each(drop);
        }
        out
    }
}

/// The size of a random tensor program.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorShape {
    /// Most inputs (fresh inputs are drawn for ops whose domain no register fits).
    pub max_inputs: usize,
    /// Most instructions drawn before the dangling registers are folded in.
    pub max_ops: usize,
    /// Most elements of any register.
    pub max_elems: usize,
    /// Most axes of any register.
    pub max_rank: usize,
    /// Largest magnitude any element may reach in `f64`, so that `f32` runs
    /// stay finite.
    pub max_abs: f64,
}

impl Default for TensorShape {
    fn default() -> Self {
        Self {
            max_inputs: 6,
            max_ops: 14,
            max_elems: 48,
            max_rank: 3,
            max_abs: 1e6,
        }
    }
}

impl TensorProgram {
    /// Draws a random program; see [`random`].
    pub fn random<R: Rng + ?Sized>(rng: &mut R, shape: &TensorShape) -> TensorProgram {
        random::program(rng, shape)
    }

    /// Checks operands, leaves, and every shape and axis by running the
    /// forward pass in `f64` without recording, which checks each
    /// instruction's operands before it runs: the first bad instruction is
    /// the one reported.
    pub fn validate(&self) -> Result<(), TensorProgramError> {
        if self.instrs.is_empty() {
            return Err(TensorProgramError::Empty);
        }
        run::forward_f64(self).map(|_| ())
    }

    /// The output register (the last one).
    pub fn output(&self) -> Reg {
        self.instrs.len().saturating_sub(1)
    }

    /// The program cut after register `last`, whose output is therefore
    /// `sum(r{last})`: a failing case shrinks to the first prefix that
    /// fails, which names the instruction at fault.
    pub fn truncated(&self, last: Reg) -> TensorProgram {
        let end = (last + 1).min(self.instrs.len());
        TensorProgram {
            inputs: self.inputs.clone(),
            consts: self.consts.clone(),
            instrs: self.instrs[..end].to_vec(),
        }
    }

    /// How many instructions of each operation the program holds, by
    /// [`TInstr::name`].
    pub fn op_counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for i in &self.instrs {
            *m.entry(i.name()).or_insert(0) += 1;
        }
        m
    }

    /// The features a tensor program can exercise besides its ops, counted
    /// in this one: binary ops whose operand shapes differ (`"broadcast"`),
    /// 0-dimensional or one-element operands of a binary op
    /// (`"scalar operand"`), operands of different ranks (`"rank mix"`), a
    /// register read twice by one instruction or by two (`"shared"`).
    pub fn feature_counts(&self) -> Result<BTreeMap<String, usize>, TensorProgramError> {
        let shapes = run::shapes(self)?;
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        let mut reads = vec![0usize; self.instrs.len()];
        for instr in &self.instrs {
            for r in instr.operands() {
                reads[r] += 1;
            }
            if let TInstr::Binary(_, a, b) = *instr {
                let (sa, sb) = (&shapes[a], &shapes[b]);
                if sa != sb {
                    *m.entry("broadcast".into()).or_default() += 1;
                }
                if sa.len() != sb.len() {
                    *m.entry("rank mix".into()).or_default() += 1;
                }
                let one = |s: &Vec<usize>| s.iter().product::<usize>() == 1;
                if one(sa) || one(sb) {
                    *m.entry("scalar operand".into()).or_default() += 1;
                }
            }
        }
        let shared = reads.iter().filter(|&&n| n >= 2).count();
        if shared > 0 {
            *m.entry("shared".into()).or_default() += shared;
        }
        Ok(m)
    }
}

/// A shape as a Python tuple.
fn py_shape(s: &[usize]) -> String {
    match s {
        [] => "()".into(),
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            s.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn py_leaf(l: &Leaf) -> String {
    let data: Vec<String> = l.data.iter().map(|&x| python_float(x)).collect();
    format!(
        "torch.tensor([{}], dtype=dt).reshape{}",
        data.join(", "),
        py_shape(&l.shape)
    )
}

impl fmt::Display for TensorProgram {
    /// The program as a PyTorch script (float64; change `dt` for float32)
    /// that prints the output and every input's gradient.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TInstr::*;
        writeln!(f, "import torch")?;
        writeln!(f, "dt = torch.float64")?;
        for (k, l) in self.inputs.iter().enumerate() {
            writeln!(f, "x{k} = {}.requires_grad_()", py_leaf(l))?;
        }
        for (k, l) in self.consts.iter().enumerate() {
            writeln!(f, "c{k} = {}", py_leaf(l))?;
        }
        for (i, instr) in self.instrs.iter().enumerate() {
            write!(f, "r{i} = ")?;
            match instr {
                Input(k) => writeln!(f, "x{k}")?,
                Const(k) => writeln!(f, "c{k}")?,
                Unary(u, a) => writeln!(f, "torch.{}(r{a})", u.name())?,
                Binary(b, a, c) => writeln!(f, "torch.{}(r{a}, r{c})", b.name())?,
                FloatRight(b, a, c) => writeln!(f, "r{a} {} {}", b.symbol(), python_float(*c))?,
                FloatLeft(b, c, a) => writeln!(f, "{} {} r{a}", python_float(*c), b.symbol())?,
                MatMul(a, b) => writeln!(f, "r{a} @ r{b}")?,
                AddMm(c, a, b) => writeln!(f, "torch.addmm(r{c}, r{a}, r{b})")?,
                Sum(a) => writeln!(f, "r{a}.sum()")?,
                Mean(a) => writeln!(f, "r{a}.mean()")?,
                SumAxis(a, d, k) => writeln!(f, "r{a}.sum(dim={d}, keepdim={})", pyb(*k))?,
                MeanAxis(a, d, k) => writeln!(f, "r{a}.mean(dim={d}, keepdim={})", pyb(*k))?,
                MaxAxis(a, d, k) => writeln!(f, "r{a}.max(dim={d}, keepdim={}).values", pyb(*k))?,
                Reshape(a, s) => writeln!(f, "r{a}.reshape{}", py_shape(s))?,
                Transpose(a, i, j) => writeln!(f, "r{a}.transpose({i}, {j})")?,
                Softmax(a, d) => writeln!(f, "torch.softmax(r{a}, dim={d})")?,
                LogSoftmax(a, d) => writeln!(f, "torch.log_softmax(r{a}, dim={d})")?,
                Pick(a, cls) => {
                    let rows: Vec<String> = cls.iter().map(|c| format!("[{c}]")).collect();
                    writeln!(
                        f,
                        "r{a}.gather(1, torch.tensor([{}])).squeeze(1)",
                        rows.join(", ")
                    )?
                }
                Dot(a, b) => writeln!(f, "(r{a} * r{b}).sum()")?,
                AddN(terms) => {
                    let terms: Vec<String> = terms.iter().map(|t| format!("r{t}")).collect();
                    writeln!(f, "{}", terms.join(" + "))?
                }
            }
        }
        writeln!(f, "out = r{}.sum()", self.output())?;
        writeln!(f, "out.backward()")?;
        let grads: Vec<String> = (0..self.inputs.len())
            .map(|k| format!("None if x{k}.grad is None else x{k}.grad.flatten().tolist()"))
            .collect();
        write!(f, "print(out.item(), [{}])", grads.join(", "))
    }
}

fn pyb(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}
