//! The scenarios of `cargo xtask parity`, each a comparison of an engine with
//! libtorch that ends in one report [`Row`].
//!
//! - the seed notebook's `Value` computations and its PyTorch section, and
//!   micrograd's `test_engine.py` (from [`ferrograd_program::examples`]);
//! - random programs (seeded, [`Program::random`]);
//! - MLP forward and backward with identical weights, both activation
//!   defaults, every loss: scalar engine and batched engine against libtorch;
//! - training trajectories (moons, SGD and Adam), step by step.
//!
//! A program scenario that disagrees is shrunk to the shortest prefix that
//! still disagrees, whose last instruction names the op at fault.

use ferrograd_data::notebook as seed;
use ferrograd_program::{examples, run_scalar, Outcome, Program, Shape};
use ferrograd_scalar::nn::{self, Activation};
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::compare::{labelled, Tolerance, Worst};
use crate::mlp::{scalar_mlp, tensor_mlp, torch_mlp, Batch, Loss, MlpOutcome, Weights};
use crate::program::run_program;
use crate::tensor_suite::tensor_nn_trajectory;
use crate::train::{scalar_trajectory, tensor_trajectory, torch_trajectory, Optim, Trajectory};
use crate::{Precision, Target, TorchError};

/// A backend that runs programs.
pub type ProgramFn<'a> = dyn Fn(&Program) -> Result<Outcome, TorchError> + 'a;

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What was compared.
    pub scenario: String,
    /// The engine (`"scalar f64"`).
    pub engine: String,
    /// The oracle (`"libtorch f64 cpu"`).
    pub oracle: String,
    /// Cases compared.
    pub cases: usize,
    /// Numbers compared.
    pub numbers: usize,
    /// Cases that disagree.
    pub mismatches: usize,
    /// Cases left out as ill-conditioned for this precision (see
    /// [`Conditioning`]).
    pub excluded: usize,
    /// Numbers of judged cases left out as ill-conditioned one by one (the
    /// tensor rows: see `tensor_suite::TensorConditioning::spread`).
    pub unjudged_numbers: usize,
    /// The worst [`Tolerance::error`].
    pub worst_error: f64,
    /// The tolerance applied.
    pub tolerance: Tolerance,
    /// The worst case (its seed or name).
    pub worst_case: Option<String>,
    /// Which number of it (`"value"`, `"d/dx0"`, `"loss step 17"`).
    pub worst_number: Option<String>,
    /// The engine's and the oracle's numbers there.
    pub worst_pair: Option<(f64, f64)>,
    /// For a failing program: the op of the shortest failing prefix.
    pub culprit: Option<String>,
    /// Cases where the engine and the oracle disagree and the exact value
    /// (mpmath) shows the engine within the tolerance and the oracle not:
    /// listed here, not counted as mismatches.
    pub oracle_off_exact: Vec<String>,
    /// The worst program (shrunk when it fails), as a PyTorch script.
    pub worst_program: Option<String>,
}

impl Row {
    pub(crate) fn new(
        scenario: &str,
        engine: &str,
        oracle: &str,
        tol: Tolerance,
        w: Worst,
    ) -> Self {
        Self {
            scenario: scenario.into(),
            engine: engine.into(),
            oracle: oracle.into(),
            cases: w.cases,
            numbers: w.numbers,
            mismatches: w.mismatches,
            excluded: 0,
            unjudged_numbers: 0,
            worst_error: w.error,
            tolerance: tol,
            worst_case: w.case,
            worst_number: w.what,
            worst_pair: w.pair,
            culprit: None,
            oracle_off_exact: Vec::new(),
            worst_program: None,
        }
    }

    /// Whether every case agreed.
    pub fn passed(&self) -> bool {
        self.mismatches == 0
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Random programs per float type.
    pub programs: usize,
    /// Seed of the first random program (program `i` uses `first_seed + i`).
    pub first_seed: u64,
    /// Random networks per (activation, loss) pair.
    pub networks: usize,
    /// Steps per training trajectory.
    pub steps: usize,
    /// Also compare against libtorch on CUDA (when it sees a GPU).
    pub cuda: bool,
    /// The exact-value oracle, to settle disagreements with libtorch.
    pub exact: Option<crate::exact::Oracle>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            programs: 10_000,
            first_seed: 0,
            networks: 4,
            steps: 100,
            cuda: false,
            exact: None,
        }
    }
}

fn numbers(a: &Outcome, b: &Outcome) -> Vec<(String, f64, f64)> {
    let mut v = vec![("value".to_string(), a.value, b.value)];
    v.extend(labelled("d/dx", &a.grads, &b.grads));
    v
}

/// Which random programs a precision can be judged on.
///
/// Two correct implementations of an ill-conditioned program (say
/// `ln(sqrt(t) - t)` with `t` within a few ulps of 1) can differ by far more
/// than the promise, because rounding is amplified. The gap between
/// libtorch's own `f32` and `f64` results measures that amplification; a case
/// whose gap exceeds `tolerance` ([`F32_CONDITIONING`], [`F64_CONDITIONING`])
/// is counted as excluded instead of judged.
///
/// For `f32` the engine's own `f32` result counts too, but only when the
/// engine's `f64` result matches libtorch's `f64` result for the same
/// program: the formulas are generic over the float type, so once they are
/// right in `f64`, an `f32` result far from the `f64` truth is rounding
/// amplified by the program, not a wrong derivative (a program that fails in
/// `f64` is reported in the `f64` row).
pub struct Conditioning<'a> {
    /// libtorch in the other precision.
    pub reference: &'a ProgramFn<'a>,
    /// How close the oracle (and the engine) must come to the reference.
    pub tolerance: Tolerance,
    /// The engine in the reference's precision, and that precision's promise.
    pub engine_reference: Option<(&'a ProgramFn<'a>, Tolerance)>,
    /// Settles a disagreement with the exact value (see [`Arbitration`]).
    pub arbiter: Option<&'a Arbiter<'a>>,
}

/// What the exact value says about a disagreement between an engine and
/// the oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arbitration {
    /// The engine is within the tolerance of the exact value and the oracle
    /// is not: listed in [`Row::oracle_off_exact`], not a mismatch.
    EngineRight,
    /// A number they disagree on is ill-conditioned by the exact oracle's
    /// estimate, which the f32/f64 gap did not see: excluded.
    IllConditioned,
    /// Neither: a mismatch.
    Unresolved,
}

/// Given a program and the engine's and the oracle's outcomes, what the
/// exact value says.
pub type Arbiter<'a> = dyn Fn(&Program, &Outcome, &Outcome) -> Result<Arbitration, TorchError> + 'a;

impl Conditioning<'_> {
    fn ill_conditioned(
        &self,
        p: &Program,
        engine: &Outcome,
        oracle: &Outcome,
    ) -> Result<bool, TorchError> {
        let r = (self.reference)(p)?;
        let far = |x: &Outcome, tol: Tolerance| {
            numbers(x, &r).iter().any(|(_, a, b)| !tol.agrees(*a, *b))
        };
        if far(oracle, self.tolerance) {
            return Ok(true);
        }
        if let Some((engine_ref, tol)) = self.engine_reference {
            if far(engine, self.tolerance) && !far(&engine_ref(p)?, tol) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// For the `f32` rows: libtorch `f32` within 1e-5 of libtorch `f64`, ten
/// times closer than the `f32` promise.
pub const F32_CONDITIONING: Tolerance = Tolerance {
    rel: 1e-5,
    abs: 1e-6,
};

/// For the `f64` rows: libtorch `f32` within 1e-3 of libtorch `f64`. A
/// larger gap means a condition number above about 1e4 (f32 rounds at 6e-8),
/// at which `f64` rounding (1.1e-16) alone can move a result by ~1e-11 and
/// two correct implementations are no longer 1e-10 apart by construction.
pub const F64_CONDITIONING: Tolerance = Tolerance {
    rel: 1e-3,
    abs: 1e-6,
};

/// How a row counts one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Ill-conditioned, by the f32/f64 gap or by the exact value.
    Excluded,
    /// The engine agrees with the exact value where the oracle does not.
    OracleOff,
    /// Compared with the tolerance.
    Judged,
}

/// The verdict on program `p`, given the engine's outcome `a` and the
/// oracle's `b`.
fn verdict(
    tol: Tolerance,
    conditioning: Option<&Conditioning<'_>>,
    p: &Program,
    a: &Outcome,
    b: &Outcome,
) -> Result<Verdict, TorchError> {
    let Some(c) = conditioning else {
        return Ok(Verdict::Judged);
    };
    if c.ill_conditioned(p, a, b)? {
        return Ok(Verdict::Excluded);
    }
    let agree = numbers(a, b).iter().all(|(_, x, y)| tol.agrees(*x, *y));
    if let (false, Some(arbiter)) = (agree, c.arbiter) {
        match arbiter(p, a, b)? {
            Arbitration::EngineRight => return Ok(Verdict::OracleOff),
            Arbitration::IllConditioned => return Ok(Verdict::Excluded),
            Arbitration::Unresolved => {}
        }
    }
    Ok(Verdict::Judged)
}

/// Compares `engine` with `oracle` on every program of `cases` (`(id, program)`).
#[allow(clippy::too_many_arguments)]
pub fn compare_programs(
    scenario: &str,
    engine_name: &str,
    oracle_name: &str,
    tol: Tolerance,
    cases: &[(String, Program)],
    engine: &ProgramFn<'_>,
    oracle: &ProgramFn<'_>,
    conditioning: Option<&Conditioning<'_>>,
    progress: &ProgressBar,
) -> Result<Row, TorchError> {
    let mut worst = Worst::default();
    let mut excluded = 0;
    let mut oracle_off = Vec::new();
    for (id, p) in cases {
        progress.inc(1);
        let (a, b) = (engine(p)?, oracle(p)?);
        match verdict(tol, conditioning, p, &a, &b)? {
            Verdict::Excluded => excluded += 1,
            Verdict::OracleOff => oracle_off.push(id.clone()),
            Verdict::Judged => {
                worst.case(tol, || id.clone(), numbers(&a, &b));
            }
        }
    }
    let mut row = Row::new(scenario, engine_name, oracle_name, tol, worst);
    row.excluded = excluded;
    row.oracle_off_exact = oracle_off;
    // A prefix counts as failing only as the row judges a program: one the
    // conditioning excludes, or where the exact value finds the engine right
    // and the oracle off, names no culprit.
    name_culprit(row, cases, |prefix| {
        let (a, b) = (engine(prefix)?, oracle(prefix)?);
        let disagree = numbers(&a, &b).iter().any(|(_, x, y)| !tol.agrees(*x, *y));
        Ok(disagree && verdict(tol, conditioning, prefix, &a, &b)? == Verdict::Judged)
    })
}

/// What naming a culprit needs of a program: its length, its prefixes and
/// the name of each instruction's op.
pub(crate) trait Prefixes: std::fmt::Display {
    /// Instructions.
    fn len(&self) -> usize;
    /// The program cut after instruction `last`, which becomes the output.
    fn prefix(&self, last: usize) -> Self;
    /// The op of instruction `i`, as reports name it.
    fn op_name(&self, i: usize) -> String;
}

impl Prefixes for Program {
    fn len(&self) -> usize {
        self.instrs.len()
    }
    fn prefix(&self, last: usize) -> Self {
        self.truncated(last)
    }
    fn op_name(&self, i: usize) -> String {
        self.instrs[i].name().to_string()
    }
}

/// Fills in `row.worst_program` and, for a failing row, `row.culprit`: the
/// op ending the shortest prefix of the worst case that `fails`, whose
/// listing then replaces the whole program's.
pub(crate) fn name_culprit<P: Prefixes>(
    mut row: Row,
    cases: &[(String, P)],
    fails: impl Fn(&P) -> Result<bool, TorchError>,
) -> Result<Row, TorchError> {
    let Some(p) = row
        .worst_case
        .as_ref()
        .and_then(|id| cases.iter().find(|(c, _)| c == id))
        .map(|(_, p)| p)
    else {
        return Ok(row);
    };
    row.worst_program = Some(p.to_string());
    if row.passed() {
        return Ok(row);
    }
    for last in 0..p.len() {
        let prefix = p.prefix(last);
        if fails(&prefix)? {
            row.culprit = Some(format!("{} (r{last})", p.op_name(last)));
            row.worst_program = Some(prefix.to_string());
            break;
        }
    }
    Ok(row)
}

/// `n` cases drawn by `draw`, case `i` from its own generator seeded with
/// `first_seed + i` and named `"{prefix}seed {seed}"`.
pub(crate) fn seeded<P>(
    prefix: &str,
    first_seed: u64,
    n: usize,
    draw: impl Fn(&mut ChaCha8Rng) -> P,
) -> Vec<(String, P)> {
    (first_seed..first_seed + n as u64)
        .map(|seed| {
            let case = draw(&mut ChaCha8Rng::seed_from_u64(seed));
            (format!("{prefix}seed {seed}"), case)
        })
        .collect()
}

/// The random programs of a run: `(seed, program)`.
pub fn random_programs(first_seed: u64, n: usize) -> Vec<(String, Program)> {
    let shape = Shape::default();
    seeded("", first_seed, n, |rng| Program::random(rng, &shape))
}

/// The scalar engine as a program backend.
pub fn scalar_engine(precision: Precision) -> impl Fn(&Program) -> Result<Outcome, TorchError> {
    move |p| match precision {
        Precision::F64 => Ok(run_scalar::<f64>(p)?),
        Precision::F32 => Ok(run_scalar::<f32>(p)?),
    }
}

/// libtorch as a program backend.
pub fn torch_engine(target: Target) -> impl Fn(&Program) -> Result<Outcome, TorchError> {
    move |p| run_program(p, target)
}

/// The notebook's `lol()`: dL/dc by a forward difference with h = 0.001,
/// from two forward runs of the same program.
fn finite_difference(
    run: &ProgramFn<'_>,
    p: &Program,
    input: usize,
    h: f64,
) -> Result<f64, TorchError> {
    let l1 = run(p)?.value;
    let mut q = p.clone();
    q.inputs[input] += h;
    Ok((run(&q)?.value - l1) / h)
}

/// The program scenarios: the notebook, micrograd's tests, random programs.
pub fn program_rows(
    opts: &Options,
    targets: &[Target],
    progress: &ProgressBar,
) -> Result<Vec<Row>, TorchError> {
    let all = examples::all();
    let (notebook, micrograd): (Vec<_>, Vec<_>) =
        all.iter().partition(|e| e.name.starts_with("notebook"));
    let as_cases = |v: &[&examples::Example]| {
        v.iter()
            .map(|e| (e.name.to_string(), e.program.clone()))
            .collect::<Vec<_>>()
    };
    let notebook = as_cases(&notebook);
    let micrograd = as_cases(&micrograd);
    let random = random_programs(opts.first_seed, opts.programs);
    let mut rows = Vec::new();
    for &target in targets {
        let p = target.precision;
        let tol = p.tolerance();
        let engine = scalar_engine(p);
        let oracle = torch_engine(target);
        let (other, tolerance) = match p {
            Precision::F32 => (Precision::F64, F32_CONDITIONING),
            Precision::F64 => (Precision::F32, F64_CONDITIONING),
        };
        let reference = torch_engine(Target {
            precision: other,
            device: target.device,
        });
        let engine64 = scalar_engine(Precision::F64);
        let engine_reference =
            (p == Precision::F32).then_some((&engine64 as &ProgramFn<'_>, Tolerance::F64));
        let arbiter = opts.exact.clone().map(|o| {
            move |q: &Program, a: &Outcome, b: &Outcome| crate::exact::engine_right(&o, q, a, b, p)
        });
        let conditioning = Conditioning {
            reference: &reference,
            tolerance,
            engine_reference,
            arbiter: arbiter.as_ref().map(|f| f as &Arbiter<'_>),
        };
        let (e, o) = (format!("scalar {}", p.name()), target.name());
        let mut row = compare_programs(
            "seed notebook (Value + PyTorch section)",
            &e,
            &o,
            tol,
            &notebook,
            &engine,
            &oracle,
            None,
            progress,
        )?;
        // lol(): the numerical slope the notebook prints, from both backends.
        let l = examples::notebook_l().program;
        let mut w = Worst::default();
        let (a, b) = (
            finite_difference(&engine, &l, 2, 0.001)?,
            finite_difference(&oracle, &l, 2, 0.001)?,
        );
        w.case(
            tol,
            || "notebook: lol() slope dL/dc".into(),
            [("slope".to_string(), a, b)],
        );
        merge(&mut row, w);
        rows.push(row);
        rows.push(compare_programs(
            "micrograd test_engine.py",
            &e,
            &o,
            tol,
            &micrograd,
            &engine,
            &oracle,
            None,
            progress,
        )?);
        let bad: Vec<(String, Program)> = examples::bad_inputs()
            .into_iter()
            .map(|e| (e.name.to_string(), e.program))
            .collect();
        rows.push(compare_programs(
            "NaN, infinity and out-of-domain inputs",
            &e,
            &o,
            tol,
            &bad,
            &engine,
            &oracle,
            None,
            progress,
        )?);
        rows.push(compare_programs(
            "random programs",
            &e,
            &o,
            tol,
            &random,
            &engine,
            &oracle,
            Some(&conditioning),
            progress,
        )?);
    }
    Ok(rows)
}

/// Folds an extra comparison into a row.
fn merge(row: &mut Row, w: Worst) {
    row.cases += w.cases;
    row.numbers += w.numbers;
    row.mismatches += w.mismatches;
    if w.error > row.worst_error {
        row.worst_error = w.error;
        row.worst_case = w.case;
        row.worst_number = w.what;
        row.worst_pair = w.pair;
        row.worst_program = None;
    }
}

/// One MLP case: a name, the network, a batch, the loss and the L2 weight.
#[derive(Debug, Clone)]
pub struct MlpCase {
    /// `"seed 3 relu hinge 3-16-16-1"`.
    pub name: String,
    /// The network.
    pub weights: Weights,
    /// Inputs and targets.
    pub batch: Batch,
    /// The loss.
    pub loss: Loss,
    /// The L2 penalty's weight.
    pub l2: f64,
}

/// The seed notebook's network and data: `MLP(3, [4, 4, 1])` on its four
/// examples with the sum of squared errors.
pub fn notebook_mlp_case() -> Result<MlpCase, TorchError> {
    let mlp = nn::Mlp::<f64>::new(3, &seed::MLP_SIZES, &mut ChaCha8Rng::seed_from_u64(0))?;
    let x = seed::XS.iter().map(|x| x.to_vec()).collect();
    let y = seed::YS.iter().map(|&y| vec![y]).collect();
    Ok(MlpCase {
        name: "notebook MLP(3,[4,4,1]) sse".into(),
        weights: Weights::from_scalar(&mlp),
        batch: Batch { x, y },
        loss: Loss::SumSquaredError,
        l2: 0.0,
    })
}

/// Random networks for every activation default and loss.
pub fn mlp_cases(networks: usize) -> Result<Vec<MlpCase>, TorchError> {
    let mut cases = vec![notebook_mlp_case()?];
    for seed in 0..networks as u64 {
        for act in [Activation::Tanh, Activation::Relu] {
            for loss in Loss::ALL {
                let mut rng = ChaCha8Rng::seed_from_u64(seed * 1000 + 7);
                let nout = match loss {
                    Loss::SoftmaxCrossEntropy => 3,
                    _ => 1 + (seed as usize % 2),
                };
                let hidden = if seed % 2 == 0 { 4 } else { 16 };
                let sizes = [hidden, hidden, nout];
                let nin = 3;
                let mlp = nn::Mlp::<f64>::with_activation(nin, &sizes, act, &mut rng)?;
                let rows = 8;
                let x: Vec<Vec<f64>> = (0..rows)
                    .map(|_| (0..nin).map(|_| rng.random_range(-2.0..2.0)).collect())
                    .collect();
                let y: Vec<Vec<f64>> = (0..rows)
                    .map(|_| match loss {
                        Loss::SumSquaredError | Loss::Mse => {
                            (0..nout).map(|_| rng.random_range(-1.0..1.0)).collect()
                        }
                        Loss::Hinge => (0..nout)
                            .map(|_| if rng.random_bool(0.5) { 1.0 } else { -1.0 })
                            .collect(),
                        Loss::BceWithLogits => (0..nout)
                            .map(|_| if rng.random_bool(0.5) { 1.0 } else { 0.0 })
                            .collect(),
                        Loss::SoftmaxCrossEntropy => {
                            let c = rng.random_range(0..nout);
                            (0..nout).map(|j| if j == c { 1.0 } else { 0.0 }).collect()
                        }
                    })
                    .collect();
                let act_name = if act == Activation::Tanh {
                    "tanh"
                } else {
                    "relu"
                };
                let l2 = if seed % 2 == 1 { 1e-4 } else { 0.0 };
                cases.push(MlpCase {
                    name: format!(
                        "seed {seed} {act_name} {} {nin}-{hidden}-{hidden}-{nout}{}",
                        loss.name(),
                        if l2 > 0.0 { " +l2" } else { "" }
                    ),
                    weights: Weights::from_scalar(&mlp),
                    batch: Batch { x, y },
                    loss,
                    l2,
                });
            }
        }
    }
    Ok(cases)
}

fn mlp_numbers(a: &MlpOutcome, b: &MlpOutcome) -> Vec<(String, f64, f64)> {
    let mut v = vec![("loss".to_string(), a.loss, b.loss)];
    v.extend(labelled("output ", &a.outputs, &b.outputs));
    v.extend(labelled("grad p", &a.grads, &b.grads));
    v
}

/// MLP forward and backward: scalar vs libtorch and batched vs libtorch.
pub fn mlp_rows(
    cases: &[MlpCase],
    targets: &[Target],
    progress: &ProgressBar,
) -> Result<Vec<Row>, TorchError> {
    let mut rows = Vec::new();
    for &target in targets {
        let p = target.precision;
        let tol = p.tolerance();
        let (mut ws, mut wt) = (Worst::default(), Worst::default());
        for c in cases {
            let oracle = torch_mlp(&c.weights, &c.batch, c.loss, c.l2, target)?;
            let s = match p {
                Precision::F64 => scalar_mlp::<f64>(&c.weights, &c.batch, c.loss, c.l2)?,
                Precision::F32 => scalar_mlp::<f32>(&c.weights, &c.batch, c.loss, c.l2)?,
            };
            ws.case(tol, || c.name.clone(), mlp_numbers(&s, &oracle));
            let t = match p {
                Precision::F64 => tensor_mlp::<f64>(&c.weights, &c.batch, c.loss, c.l2)?,
                Precision::F32 => tensor_mlp::<f32>(&c.weights, &c.batch, c.loss, c.l2)?,
            };
            wt.case(tol, || c.name.clone(), mlp_numbers(&t, &oracle));
            progress.inc(1);
        }
        let o = target.name();
        rows.push(Row::new(
            "MLP forward + backward",
            &format!("scalar {}", p.name()),
            &o,
            tol,
            ws,
        ));
        rows.push(Row::new(
            "MLP forward + backward",
            &format!("batched {}", p.name()),
            &o,
            tol,
            wt,
        ));
    }
    Ok(rows)
}

/// micrograd's moons demo: 100 points (noise 0.1), a 2-16-16-1 ReLU network.
pub fn moons_problem() -> Result<(Weights, Batch), TorchError> {
    let moons = ferrograd_data::make_moons(100, 0.1, 1)?;
    let x = moons.x.iter().map(|p| p.to_vec()).collect();
    let y = moons.labels_pm1().into_iter().map(|l| vec![l]).collect();
    let mlp = nn::Mlp::<f64>::with_activation(
        2,
        &[16, 16, 1],
        Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(1337),
    )?;
    Ok((Weights::from_scalar(&mlp), Batch { x, y }))
}

fn trajectory_worst(tol: Tolerance, name: &str, a: &Trajectory, b: &Trajectory) -> Worst {
    let mut w = Worst::default();
    for (k, pair) in labelled("loss step ", &a.losses, &b.losses).enumerate() {
        w.case(tol, || format!("{name} step {k}"), [pair]);
    }
    // The final weights are judged as one vector: relative to its largest
    // entry, so a weight that Adam has driven close to 0 (where rounding in
    // m / sqrt(v) is amplified) is not judged on its own scale.
    let scale = b.final_params.iter().fold(0.0f64, |m, p| m.max(p.abs()));
    let vtol = Tolerance {
        rel: tol.rel,
        abs: tol.abs.max(tol.rel * scale),
    };
    let params = labelled("final p", &a.final_params, &b.final_params);
    w.case(vtol, || format!("{name} final weights"), params);
    w
}

/// Training trajectories of micrograd's moons demo, SGD and Adam, per
/// target: libtorch's trajectory is computed once and the scalar engine,
/// the fused batched `Mlp` and the `Tensor`-built MLP
/// ([`tensor_nn_trajectory`]) are each judged against it; the
/// `Tensor`-built MLP is also judged against the fused one.
pub fn trajectory_rows(
    steps: usize,
    targets: &[Target],
    progress: &ProgressBar,
) -> Result<Vec<Row>, TorchError> {
    let (weights, batch) = moons_problem()?;
    let mut rows = Vec::new();
    for &target in targets {
        let p = target.precision;
        let tol = p.tolerance();
        for optim in [Optim::MICROGRAD_SGD, Optim::ADAM] {
            let oracle = torch_trajectory(&weights, &batch, optim, steps, target)?;
            let (w, b) = (&weights, &batch);
            let (scalar, fused, built) = match p {
                Precision::F64 => (
                    scalar_trajectory::<f64>(w, b, optim, steps)?,
                    tensor_trajectory::<f64>(w, b, optim, steps)?,
                    tensor_nn_trajectory::<f64>(w, b, optim, steps)?,
                ),
                Precision::F32 => (
                    scalar_trajectory::<f32>(w, b, optim, steps)?,
                    tensor_trajectory::<f32>(w, b, optim, steps)?,
                    tensor_nn_trajectory::<f32>(w, b, optim, steps)?,
                ),
            };
            let scenario = format!("moons training, {steps} steps, {}", optim.name());
            let (torch, fused_name) = (target.name(), format!("fused Mlp {}", p.name()));
            let built_name = format!("Tensor-built MLP {}", p.name());
            let pairs = [
                (format!("scalar {}", p.name()), &scalar, &torch, &oracle),
                (format!("batched {}", p.name()), &fused, &torch, &oracle),
                (built_name.clone(), &built, &torch, &oracle),
                (built_name, &built, &fused_name, &fused),
            ];
            for (engine, a, oracle_name, reference) in pairs {
                let worst = trajectory_worst(tol, optim.name(), a, reference);
                rows.push(Row::new(&scenario, &engine, oracle_name, tol, worst));
            }
            progress.inc(2);
        }
    }
    Ok(rows)
}
