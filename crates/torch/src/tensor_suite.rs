//! The tensor rows of `cargo xtask parity`: random [`TensorProgram`]s on
//! [`ferrograd_tensor::Tensor`] against libtorch, and the MLP built from
//! `Tensor` (`ferrograd_tensor::tensor::nn`) trained on the moons demo
//! against the fused [`ferrograd_tensor::Mlp`] and libtorch, step by step.
//!
//! Tensor programs are judged as the scalar suite judges its random
//! programs ([`crate::suite::Conditioning`]): a program whose libtorch `f32`
//! and `f64` results differ by more than [`F64_CONDITIONING`] (for the `f64`
//! row) or [`F32_CONDITIONING`] (for the `f32` row, where the engine's own
//! `f32` result that far from libtorch's `f64` one also counts when its `f64`
//! result matches) is rounding amplified by the program, not a rule, and is
//! counted as excluded.
//!
//! That gap is one sample of the rounding noise per program, and a single
//! gradient element can cancel (`d(x / x)/dx` is `1/x - x/x^2`, exactly 0,
//! which libtorch computes as a few ulps of `1/x`) while `f32` happens to
//! round to the same result. So a number on which the engine and libtorch
//! disagree is also judged on its own, as the exact rows judge scalar
//! programs ([`crate::exact`]): libtorch reruns the program with its leaves
//! moved by a few roundings of the row's type
//! ([`TensorConditioning::spread`]), and a number that moves by more than
//! [`CONDITION_MARGIN`] of the tolerance is rounding amplified by the program
//! at that element: it is counted in [`Row::unjudged_numbers`], not judged.
//! A disagreement that is left is settled, where the run has the
//! exact-value oracle, by the program's exact value: the program is lowered
//! element by element to a scalar program ([`crate::tensor_program::lower`])
//! that `scripts/exact.py` reads, and [`crate::exact::engine_right`] judges
//! both sides against it, as for the scalar rows. libtorch off the exact
//! value where the engine is within the tolerance of it is listed in
//! [`Row::oracle_off_exact`], not counted as a mismatch.

use std::collections::BTreeMap;

use ferrograd_scalar::Scalar;
use ferrograd_tensor as tensor;
use ferrograd_tensor::tensor::nn as tnn;
use ferrograd_tensor::{Tensor, TensorError};
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::compare::{Tolerance, Worst};
use crate::exact::CONDITION_MARGIN;
use crate::mlp::{array, Batch, Weights};
use crate::suite::{
    name_culprit, seeded, Arbitration, Prefixes, Row, F32_CONDITIONING, F64_CONDITIONING,
};
use crate::tensor_program::lower::{flat, lower};
use crate::tensor_program::run::{run_tensor, run_torch};
use crate::tensor_program::{TInstr, TensorOutcome, TensorProgram, TensorShape};
use crate::train::{Optim, Trajectory, L2};
use crate::{Precision, Target, TorchError};

/// A backend that runs tensor programs.
pub type TensorProgramFn<'a> = dyn Fn(&TensorProgram) -> Result<TensorOutcome, TorchError> + 'a;

/// Given a tensor program and the engine's and the oracle's outcomes, what
/// the exact value says ([`tensor_exact_arbiter`]).
pub type TensorArbiter<'a> =
    dyn Fn(&TensorProgram, &TensorOutcome, &TensorOutcome) -> Result<Arbitration, TorchError> + 'a;

/// The exact value of `p`'s lowered form ([`lower`]) as the judge of where
/// `engine` and `theirs` disagree in `precision` (see
/// [`crate::exact::engine_right`]); unsettled when `p` has no faithful
/// lowering.
pub fn tensor_exact_arbiter(
    oracle: &crate::exact::Oracle,
    precision: Precision,
) -> impl Fn(&TensorProgram, &TensorOutcome, &TensorOutcome) -> Result<Arbitration, TorchError> + '_
{
    move |p, engine, theirs| match lower(p) {
        Some(q) => crate::exact::engine_right(oracle, &q, &flat(engine), &flat(theirs), precision),
        None => Ok(Arbitration::Unresolved),
    }
}

/// The random tensor programs of a run: `(id, program)`, program `i` drawn
/// from seed `first_seed + i`.
pub fn random_tensor_programs(first_seed: u64, n: usize) -> Vec<(String, TensorProgram)> {
    let shape = TensorShape::default();
    seeded("tensor ", first_seed, n, |rng| {
        TensorProgram::random(rng, &shape)
    })
}

/// The engine ([`ferrograd_tensor::Tensor`]) as a tensor-program backend.
pub fn tensor_engine(
    precision: Precision,
) -> impl Fn(&TensorProgram) -> Result<TensorOutcome, TorchError> {
    move |p| match precision {
        Precision::F64 => Ok(run_tensor::<f64>(p)?),
        Precision::F32 => Ok(run_tensor::<f32>(p)?),
    }
}

/// libtorch as a tensor-program backend.
pub fn torch_tensor_engine(
    target: Target,
) -> impl Fn(&TensorProgram) -> Result<TensorOutcome, TorchError> {
    move |p| run_torch(p, target)
}

/// Which tensor programs a precision is judged on (see the module
/// documentation).
pub struct TensorConditioning<'a> {
    /// libtorch in the other precision.
    pub reference: &'a TensorProgramFn<'a>,
    /// How close the oracle (and the engine) must come to the reference.
    pub tolerance: Tolerance,
    /// The engine in the reference's precision, and that precision's promise.
    pub engine_reference: Option<(&'a TensorProgramFn<'a>, Tolerance)>,
    /// The oracle again, and its precision: rerun on [`perturbed_leaves`]
    /// to measure, number by number, how far rounding alone moves a result.
    pub spread: Option<(&'a TensorProgramFn<'a>, Precision)>,
    /// Settles what is left of a disagreement with the exact value.
    pub arbiter: Option<&'a TensorArbiter<'a>>,
}

/// Perturbed reruns per program for [`TensorConditioning::spread`].
pub const SPREAD_SAMPLES: u64 = 4;

/// How far [`perturbed_leaves`] moves a leaf: up to this many units of
/// roundoff of the type, so that the move survives rounding to it.
pub const SPREAD_ROUNDINGS: f64 = 4.0;

/// `p` with every non-integer element of its inputs and constants
/// multiplied by `1 + d`, `|d|` up to [`SPREAD_ROUNDINGS`] units of roundoff
/// of `precision` (`d` drawn from `seed`): a rounding-sized change of the
/// data. Integers (the domain edges the generator draws: `0`, `-1`, `3`)
/// are exact in every type and stay, so a program at an edge stays there.
pub fn perturbed_leaves(p: &TensorProgram, precision: Precision, seed: u64) -> TensorProgram {
    let u = match precision {
        Precision::F64 => f64::EPSILON / 2.0,
        Precision::F32 => f64::from(f32::EPSILON) / 2.0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut q = p.clone();
    for l in q.inputs.iter_mut().chain(q.consts.iter_mut()) {
        for x in &mut l.data {
            if x.fract() != 0.0 {
                *x *= 1.0 + SPREAD_ROUNDINGS * u * rng.random_range(-1.0..=1.0);
            }
        }
    }
    q
}

impl TensorConditioning<'_> {
    /// Of the numbers where `engine` and `oracle` (the spread backend's own
    /// result for `p`) disagree at `tol`, which are ill-conditioned one by
    /// one: the oracle on [`perturbed_leaves`] moves them by more than
    /// [`CONDITION_MARGIN`] of `tol` (`true` = not judged), by index into
    /// `engine.numbers(oracle)`.
    fn unstable(
        &self,
        p: &TensorProgram,
        engine: &TensorOutcome,
        oracle: &TensorOutcome,
        tol: Tolerance,
    ) -> Result<Vec<bool>, TorchError> {
        let pairs = engine.numbers(oracle);
        let mut out = vec![false; pairs.len()];
        let Some((rerun, precision)) = self.spread else {
            return Ok(out);
        };
        if pairs.iter().all(|(_, a, b)| tol.agrees(*a, *b)) {
            return Ok(out);
        }
        for seed in 0..SPREAD_SAMPLES {
            let moved = rerun(&perturbed_leaves(p, precision, seed))?;
            for (i, (_, m, base)) in moved.numbers(oracle).into_iter().enumerate() {
                let disagree = !tol.agrees(pairs[i].1, pairs[i].2);
                if disagree && tol.error(m, base) > CONDITION_MARGIN * tol.rel {
                    out[i] = true;
                }
            }
        }
        Ok(out)
    }

    fn ill_conditioned(
        &self,
        p: &TensorProgram,
        engine: &TensorOutcome,
        oracle: &TensorOutcome,
    ) -> Result<bool, TorchError> {
        let r = (self.reference)(p)?;
        let far = |x: &TensorOutcome, tol: Tolerance| {
            x.numbers(&r).iter().any(|(_, a, b)| !tol.agrees(*a, *b))
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

/// Compares `engine` with `oracle` on every program of `cases`; a failing
/// row names the op of the shortest failing prefix and prints that prefix
/// as a PyTorch script.
#[allow(clippy::too_many_arguments)]
pub fn compare_tensor_programs(
    scenario: &str,
    engine_name: &str,
    oracle_name: &str,
    tol: Tolerance,
    cases: &[(String, TensorProgram)],
    engine: &TensorProgramFn<'_>,
    oracle: &TensorProgramFn<'_>,
    conditioning: Option<&TensorConditioning<'_>>,
    progress: &ProgressBar,
) -> Result<Row, TorchError> {
    // The numbers of a case that are judged, and which are not (by index
    // into `a.numbers(b)`).
    let judged = |p: &TensorProgram, a: &TensorOutcome, b: &TensorOutcome| {
        let mut numbers = a.numbers(b);
        let unstable = match conditioning {
            Some(c) => c.unstable(p, a, b, tol)?,
            None => vec![false; numbers.len()],
        };
        let mut i = 0;
        numbers.retain(|_| {
            i += 1;
            !unstable[i - 1]
        });
        Ok::<_, TorchError>((numbers, unstable))
    };
    let mut worst = Worst::default();
    let (mut excluded, mut unjudged, mut oracle_off) = (0, 0, Vec::new());
    for (id, p) in cases {
        progress.inc(1);
        let (a, b) = (engine(p)?, oracle(p)?);
        if let Some(c) = conditioning {
            if c.ill_conditioned(p, &a, &b)? {
                excluded += 1;
                continue;
            }
        }
        let (numbers, unstable) = judged(p, &a, &b)?;
        unjudged += unstable.iter().filter(|&&u| u).count();
        let agree = numbers.iter().all(|(_, x, y)| tol.agrees(*x, *y));
        if let (false, Some(arbiter)) = (agree, conditioning.and_then(|c| c.arbiter)) {
            // Only the judged numbers are put to the exact value: the oracle's
            // unstable ones are set to the engine's.
            match arbiter(p, &a, &b.taking(&a, &unstable))? {
                Arbitration::EngineRight => {
                    oracle_off.push(id.clone());
                    continue;
                }
                Arbitration::IllConditioned => {
                    excluded += 1;
                    continue;
                }
                Arbitration::Unresolved => {}
            }
        }
        worst.case(tol, || id.clone(), numbers);
    }
    let mut row = Row::new(scenario, engine_name, oracle_name, tol, worst);
    row.excluded = excluded;
    row.unjudged_numbers = unjudged;
    row.oracle_off_exact = oracle_off;
    name_culprit(row, cases, |prefix| {
        let (a, b) = (engine(prefix)?, oracle(prefix)?);
        let (numbers, _) = judged(prefix, &a, &b)?;
        Ok(numbers.iter().any(|(_, x, y)| !tol.agrees(*x, *y)))
    })
}

impl Prefixes for TensorProgram {
    fn len(&self) -> usize {
        self.instrs.len()
    }
    fn prefix(&self, last: usize) -> Self {
        self.truncated(last)
    }
    fn op_name(&self, i: usize) -> String {
        self.instrs[i].name()
    }
}

/// How often each op and each feature occurs in a set of programs.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Coverage {
    /// Programs counted.
    pub programs: usize,
    /// Instructions per op ([`TInstr::name`]), every op listed (0 if unseen).
    pub ops: BTreeMap<String, usize>,
    /// Broadcasts, rank mixes, scalar operands, shared registers
    /// ([`TensorProgram::feature_counts`]).
    pub features: BTreeMap<String, usize>,
}

impl Coverage {
    /// The coverage of `cases`.
    pub fn of(cases: &[(String, TensorProgram)]) -> Result<Self, TorchError> {
        let mut c = Coverage {
            programs: cases.len(),
            ops: TInstr::all_names().into_iter().map(|n| (n, 0)).collect(),
            features: BTreeMap::new(),
        };
        for (_, p) in cases {
            for (k, n) in p.op_counts() {
                *c.ops.entry(k).or_default() += n;
            }
            for (k, n) in p.feature_counts()? {
                *c.features.entry(k).or_default() += n;
            }
        }
        Ok(c)
    }

    /// Ops reached at least once, and ops in all.
    pub fn reached(&self) -> (usize, usize) {
        (
            self.ops.values().filter(|&&n| n > 0).count(),
            self.ops.len(),
        )
    }

    /// One line: `43/43 ops; add 1234, abs 980, ...; broadcast 5000, ...`.
    pub fn summary(&self) -> String {
        let (r, n) = self.reached();
        let list = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{} tensor programs, {r}/{n} ops: {}; features: {}",
            self.programs,
            list(&self.ops),
            list(&self.features)
        )
    }
}

/// The random tensor-program rows (one per target) and their coverage.
pub fn tensor_program_rows(
    programs: usize,
    first_seed: u64,
    targets: &[Target],
    exact: Option<&crate::exact::Oracle>,
    progress: &ProgressBar,
) -> Result<(Vec<Row>, Coverage), TorchError> {
    let cases = random_tensor_programs(first_seed, programs);
    let coverage = Coverage::of(&cases)?;
    let (reached, all) = coverage.reached();
    let scenario = format!("random tensor programs ({reached}/{all} ops)");
    let mut rows = Vec::new();
    for &target in targets {
        let p = target.precision;
        let (other, tolerance) = match p {
            Precision::F32 => (Precision::F64, F32_CONDITIONING),
            Precision::F64 => (Precision::F32, F64_CONDITIONING),
        };
        let reference = torch_tensor_engine(Target {
            precision: other,
            device: target.device,
        });
        let engine64 = tensor_engine(Precision::F64);
        let torch = torch_tensor_engine(target);
        let arbiter = exact.map(|o| tensor_exact_arbiter(o, p));
        let conditioning = TensorConditioning {
            reference: &reference,
            tolerance,
            engine_reference: (p == Precision::F32)
                .then_some((&engine64 as &TensorProgramFn<'_>, Tolerance::F64)),
            spread: Some((&torch, p)),
            arbiter: arbiter.as_ref().map(|a| a as &TensorArbiter<'_>),
        };
        rows.push(compare_tensor_programs(
            &scenario,
            &format!("tensor {}", p.name()),
            &target.name(),
            p.tolerance(),
            &cases,
            &tensor_engine(p),
            &torch,
            Some(&conditioning),
            progress,
        )?);
    }
    Ok((rows, coverage))
}

/// `steps` steps of micrograd's moons demo on the MLP built from `Tensor`
/// (`tensor::nn::Mlp`, `loss::hinge + loss::l2`, `tensor::nn::Sgd` or
/// `Adam`) in precision `T`, starting from `w`.
pub fn tensor_nn_trajectory<T: tensor::Float>(
    w: &Weights,
    batch: &Batch,
    optim: Optim,
    steps: usize,
) -> Result<Trajectory, TorchError> {
    let mlp = tnn::Mlp::from_fused(&w.to_tensor::<T>()?);
    let params = mlp.parameters();
    let x = Tensor::from_array(array::<T>(&batch.x)?);
    let y = Tensor::from_array(array::<T>(&batch.y)?);
    let l2 = T::from_f64(L2);
    let mut losses = Vec::with_capacity(steps);
    // Both optimisers are built (each checks its schedule); `optim` picks
    // which one steps, so SGD and Adam share one loop.
    let mut sgd = tnn::Sgd::new(optim.schedule())?;
    let mut adam = tnn::Adam::new(optim.schedule())?;
    for _ in 0..steps {
        let scores = mlp.forward(&x).map_err(TensorError::from)?;
        let data = tnn::loss::hinge(&scores, &y).map_err(TensorError::from)?;
        let total = data + tnn::loss::l2(&params, l2);
        sgd.zero_grad(&params);
        total.backward().map_err(TensorError::from)?;
        losses.push(Scalar::to_f64(total.item().map_err(TensorError::from)?));
        match optim {
            Optim::Sgd { .. } => sgd.step(&params)?,
            Optim::Adam { .. } => adam.step(&params)?,
        }
    }
    // The scalar engine's order: per layer, per neuron, its weights then its
    // bias (the tensor layer's weight is `[in, out]`).
    let mut final_params = Vec::new();
    for layer in mlp.layers() {
        let (wt, b) = (layer.weight().to_array(), layer.bias().to_vec());
        for (j, bias) in b.iter().enumerate() {
            final_params.extend((0..wt.shape()[0]).map(|i| Scalar::to_f64(wt[[i, j]])));
            final_params.push(Scalar::to_f64(*bias));
        }
    }
    Ok(Trajectory {
        losses,
        final_params,
    })
}
