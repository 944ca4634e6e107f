//! The engines and libtorch against the exact value.
//!
//! Parity with libtorch cannot see an error both make. Here every program's
//! value and input gradients are computed to 60 digits by `scripts/exact.py`
//! (mpmath), on the program's inputs and constants rounded to the float type
//! under test, together with a conditioning estimate: the largest relative
//! change of each number when every rounding the float type makes is
//! replaced by a random relative perturbation of up to its unit roundoff.
//!
//! A number is *judged* when that spread is at most a tenth of the
//! tolerance (so a correct implementation cannot miss it by rounding alone)
//! and the exact value lies inside the type's finite range. A judged number
//! fails when its relative error (relative to `max(|exact|, smallest normal)`)
//! exceeds the tolerance, or when it is NaN or infinite. Numbers that are not
//! judged are counted; a program whose exact result is not real (log of a
//! negative number, ...) is counted and left out.
//!
//! Error in ulps (the type's spacing at the exact value): a judged number may
//! still be amplified by its program up to a tenth of the tolerance (10^5
//! ulps in f64), which says nothing about the rules. The ulp statistics are
//! therefore taken over the *benign* numbers, whose spread is at most
//! [`BENIGN_ULPS`] ulps: there, a correct implementation is a few ulps off at
//! most, and the gradients' 99th percentile must be within
//! [`GRAD_P99_ULPS`].

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ferrograd_program::{Instr, Outcome, Program};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::suite::{random_programs, Arbitration, Row};
use crate::{Precision, TorchError};

/// A number is judged when its conditioning spread is at most this share of
/// the tolerance.
pub const CONDITION_MARGIN: f64 = 0.1;

/// A judged number enters the ulp statistics when its spread is at most
/// this many ulps.
pub const BENIGN_ULPS: f64 = 8.0;

/// Where mpmath runs.
#[derive(Debug, Clone)]
pub struct Oracle {
    /// A Python 3 that can `import mpmath`.
    pub python: PathBuf,
    /// `scripts/exact.py`.
    pub script: PathBuf,
    /// Perturbed runs per program for the conditioning estimate.
    pub samples: usize,
}

/// One exact number: `hi + lo` (`hi` the nearest `f64`) and its spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactNumber {
    /// The exact value rounded to `f64`.
    pub hi: f64,
    /// `exact - hi`, rounded to `f64`.
    pub lo: f64,
    /// Conditioning: the largest relative change under rounding-sized
    /// perturbations.
    pub spread: f64,
    /// Whether it depends on an intermediate outside the type's normal
    /// range (which underflows, overflows or is subnormal in the type).
    pub range_limited: bool,
}

/// The oracle's answer for one program.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// The exact value and gradients.
    Exact {
        /// The output.
        value: ExactNumber,
        /// d output / d input, one per input.
        grads: Vec<ExactNumber>,
    },
    /// The exact result is not a real number; why.
    NotReal(String),
}

/// The program as the engines see it in `precision`: inputs, constants and
/// float exponents rounded to the type, so the exact value is that of the
/// very numbers the engine computes with.
pub fn rounded(p: &Program, precision: Precision) -> Program {
    let r = |x: f64| precision.round(x);
    Program {
        inputs: p.inputs.iter().map(|&x| r(x)).collect(),
        instrs: p
            .instrs
            .iter()
            .map(|i| match *i {
                Instr::Const(c) => Instr::Const(r(c)),
                Instr::Powf(a, e) => Instr::Powf(a, r(e)),
                other => other,
            })
            .collect(),
    }
}

/// The hard programs for `precision` (see `Program::random_hard`): `(id, program)`.
pub fn hard_programs(first_seed: u64, n: usize, precision: Precision) -> Vec<(String, Program)> {
    let max_abs = match precision {
        Precision::F32 => f64::from(f32::MAX) / 1e3,
        Precision::F64 => f64::MAX / 1e3,
    };
    (first_seed..first_seed + n as u64)
        .map(|seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4a52_4400_0000_0000);
            (
                format!("hard {} seed {seed}", precision.name()),
                Program::random_hard(&mut rng, max_abs, 6),
            )
        })
        .collect()
}

fn num(x: f64) -> String {
    format!("{x:?}")
}

fn program_json(id: usize, p: &Program) -> serde_json::Value {
    use serde_json::json;
    let instrs: Vec<serde_json::Value> = p
        .instrs
        .iter()
        .map(|i| match *i {
            Instr::Input(k) => json!(["input", k]),
            Instr::Const(c) => json!(["const", num(c)]),
            Instr::Powi(a, n) => json!(["powi", a, n]),
            Instr::Powf(a, e) => json!(["powf", a, num(e)]),
            Instr::Binary(f, a, b) => json!([f.name(), a, b]),
            Instr::Unary(f, a) => json!([f.name(), a]),
        })
        .collect();
    json!({
        "id": id,
        "inputs": p.inputs.iter().map(|&x| num(x)).collect::<Vec<_>>(),
        "instrs": instrs,
    })
}

fn parse_number(v: &serde_json::Value) -> Option<ExactNumber> {
    let a = v.as_array()?;
    let f = |i: usize| -> Option<f64> {
        let s = a.get(i)?.as_str()?;
        match s {
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            "nan" => Some(f64::NAN),
            _ => s.parse().ok(),
        }
    };
    Some(ExactNumber {
        hi: f(0)?,
        lo: f(1)?,
        spread: f(2)?,
        range_limited: a.get(3)?.as_str()? == "1",
    })
}

fn bad(what: impl Into<String>) -> TorchError {
    TorchError::Exact(what.into())
}

/// A running oracle: the programs are written, the answers come later
/// (so libtorch and the engines can run meanwhile).
pub struct Pending {
    child: std::process::Child,
    writer: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    count: usize,
    what: String,
}

impl Oracle {
    /// Starts computing the references of `programs` (already rounded to
    /// `precision`).
    pub fn start(&self, programs: &[Program], precision: Precision) -> Result<Pending, TorchError> {
        let (unit, tiny) = match precision {
            Precision::F32 => (f64::from(f32::EPSILON) / 2.0, f64::from(f32::MIN_POSITIVE)),
            Precision::F64 => (f64::EPSILON / 2.0, f64::MIN_POSITIVE),
        };
        if !self.script.is_file() {
            return Err(bad(format!(
                "there is no oracle script at {} (it is scripts/exact.py in the repository)",
                self.script.display()
            )));
        }
        let what = format!("{} {}", self.python.display(), self.script.display());
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .args(["--unit", &num(unit), "--tiny", &num(tiny)])
            .args(["--max", &num(largest(precision))])
            .args(["--samples", &self.samples.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| bad(format!("could not start `{what}`: {e}")))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| bad("the oracle's stdin is not a pipe"))?;
        let lines: Vec<String> = programs
            .iter()
            .enumerate()
            .map(|(i, p)| program_json(i, p).to_string())
            .collect();
        let writer = std::thread::spawn(move || {
            for l in lines {
                writeln!(stdin, "{l}")?;
            }
            Ok(())
        });
        Ok(Pending {
            child,
            writer: Some(writer),
            count: programs.len(),
            what,
        })
    }
}

impl Pending {
    /// Waits for every answer, in program order.
    pub fn finish(mut self) -> Result<Vec<Reference>, TorchError> {
        let stdout = self
            .child
            .stdout
            .take()
            .ok_or_else(|| bad("the oracle's stdout is not a pipe"))?;
        let mut out: Vec<Option<Reference>> = vec![None; self.count];
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| bad(format!("reading from `{}`: {e}", self.what)))?;
            let v: serde_json::Value = serde_json::from_str(&line)
                .map_err(|e| bad(format!("`{}` wrote `{line}`: {e}", self.what)))?;
            let id = v["id"].as_u64().unwrap_or(u64::MAX) as usize;
            let r = if v["ok"].as_bool() == Some(true) {
                let value = parse_number(&v["value"]);
                let grads: Option<Vec<ExactNumber>> = v["grads"]
                    .as_array()
                    .map(|g| g.iter().map(parse_number).collect())
                    .unwrap_or(None);
                match (value, grads) {
                    (Some(value), Some(grads)) => Reference::Exact { value, grads },
                    _ => return Err(bad(format!("`{}` wrote `{line}`", self.what))),
                }
            } else {
                Reference::NotReal(v["why"].as_str().unwrap_or("?").to_string())
            };
            match out.get_mut(id) {
                Some(slot) => *slot = Some(r),
                None => {
                    return Err(bad(format!(
                        "`{}` answered for program {id}, of {}",
                        self.what, self.count
                    )))
                }
            }
        }
        // A script that died early (no mpmath) also breaks the pipe it was
        // fed through: its exit status is the better message.
        let written = self.writer.take().map(|w| w.join());
        let status = self
            .child
            .wait()
            .map_err(|e| bad(format!("waiting for `{}`: {e}", self.what)))?;
        if !status.success() {
            return Err(bad(format!(
                "`{}` failed with {status} (is mpmath installed for that Python?)",
                self.what
            )));
        }
        if let Some(w) = written {
            w.map_err(|_| bad("the thread feeding the oracle panicked"))?
                .map_err(|e| bad(format!("writing to `{}`: {e}", self.what)))?;
        }
        out.into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.ok_or_else(|| bad(format!("`{}` gave no answer for program {i}", self.what)))
            })
            .collect()
    }
}

/// The spacing of `precision` at `x` (its smallest subnormal near 0).
pub fn ulp(x: f64, precision: Precision) -> f64 {
    match precision {
        Precision::F64 => {
            let a = x.abs();
            if a < f64::MIN_POSITIVE {
                f64::from_bits(1)
            } else if a >= f64::MAX {
                f64::INFINITY
            } else {
                f64::from_bits(a.to_bits() + 1) - a
            }
        }
        Precision::F32 => {
            let a = (x as f32).abs();
            if a < f32::MIN_POSITIVE {
                f64::from(f32::from_bits(1))
            } else if a >= f32::MAX {
                f64::INFINITY
            } else {
                f64::from(f32::from_bits(a.to_bits() + 1)) - f64::from(a)
            }
        }
    }
}

fn largest(precision: Precision) -> f64 {
    match precision {
        Precision::F32 => f64::from(f32::MAX),
        Precision::F64 => f64::MAX,
    }
}

fn smallest_normal(precision: Precision) -> f64 {
    match precision {
        Precision::F32 => f64::from(f32::MIN_POSITIVE),
        Precision::F64 => f64::MIN_POSITIVE,
    }
}

/// What one computed number is worth against its exact value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Ill-conditioned: the spread is too close to the tolerance.
    IllConditioned,
    /// The exact value, or an intermediate it depends on, is outside the
    /// type's normal range.
    OutOfRange,
    /// The exact value is not real (NaN, as IEEE gives it).
    NotReal,
    /// Judged: relative error and error in ulps (infinite for NaN/inf).
    Judged {
        /// `|computed - exact| / max(|exact|, smallest normal)`.
        rel: f64,
        /// `|computed - exact| / ulp(exact)`.
        ulps: f64,
        /// The conditioning spread in ulps.
        spread_ulps: f64,
    },
}

/// Judges `computed` against `exact` in `precision`.
pub fn judge(computed: f64, exact: ExactNumber, precision: Precision) -> Verdict {
    let tol = precision.tolerance();
    if exact.hi.is_nan() {
        return Verdict::NotReal;
    }
    if !exact.hi.is_finite() || exact.hi.abs() > largest(precision) || exact.range_limited {
        return Verdict::OutOfRange;
    }
    if exact.spread.is_nan() || exact.spread > CONDITION_MARGIN * tol.rel {
        return Verdict::IllConditioned;
    }
    let scale = exact.hi.abs().max(smallest_normal(precision));
    let spacing = ulp(exact.hi, precision);
    let spread_ulps = exact.spread * scale / spacing;
    if !computed.is_finite() {
        return Verdict::Judged {
            rel: f64::INFINITY,
            ulps: f64::INFINITY,
            spread_ulps,
        };
    }
    let diff = ((computed - exact.hi) - exact.lo).abs();
    Verdict::Judged {
        rel: diff / scale,
        ulps: diff / spacing,
        spread_ulps,
    }
}

/// Median, 99th percentile and maximum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Numbers counted.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    fn of(mut v: Vec<f64>) -> Self {
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Self {
            n: v.len(),
            median: at(0.5),
            p99: at(0.99),
            max: v[v.len() - 1],
        }
    }
}

/// One backend on one program set in one precision, against the exact values.
#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    /// `"random programs"` or `"hard programs"`.
    pub programs: String,
    /// `"scalar f64"`, `"libtorch f64 cpu"`, `"program evaluator f64"`.
    pub backend: String,
    /// Programs run.
    pub cases: usize,
    /// Programs whose exact result is not real.
    pub not_real: usize,
    /// Programs with at least one number left out as ill-conditioned.
    pub ill_conditioned: usize,
    /// Numbers judged.
    pub judged: usize,
    /// Numbers left out: ill-conditioned.
    pub numbers_ill_conditioned: usize,
    /// Numbers left out: the exact value or an intermediate outside the
    /// type's normal range.
    pub numbers_out_of_range: usize,
    /// Numbers left out: exact value not real (NaN expected).
    pub numbers_not_real: usize,
    /// Programs with a judged number beyond the tolerance.
    pub beyond: usize,
    /// Judged numbers that came back NaN or infinite.
    pub non_finite: usize,
    /// Error of the benign values, ulps.
    pub value_ulps: Spread,
    /// Error of the benign gradients, ulps.
    pub grad_ulps: Spread,
    /// Error of every judged gradient, ulps (amplification included).
    pub grad_ulps_judged: Spread,
    /// The first judged numbers beyond the tolerance: id, number, computed,
    /// exact, spread.
    pub failures: Vec<(String, String, f64, f64, f64)>,
    /// The worst program beyond the tolerance: id, number, computed, exact.
    pub worst: Option<(String, String, f64, f64)>,
    /// Worst relative error of a judged number.
    pub worst_rel: f64,
}

/// Where the scalar engine and libtorch differ on a judged number, who is
/// closer to the exact value.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Closer {
    /// Judged numbers where the two differ.
    pub differ: usize,
    /// ferrograd strictly closer.
    pub ferrograd: usize,
    /// libtorch strictly closer.
    pub libtorch: usize,
}

/// The computed results of one backend (one per program; `None` where it
/// does not compute gradients).
pub struct Computed<'a> {
    /// The backend's name.
    pub name: String,
    /// Its outcome for each program.
    pub outcomes: &'a [Outcome],
    /// Whether its gradients are to be judged.
    pub grads: bool,
}

/// Judges one backend's outcomes.
pub fn accuracy(
    programs_name: &str,
    ids: &[String],
    refs: &[Reference],
    c: &Computed<'_>,
    precision: Precision,
) -> Accuracy {
    let tol = precision.tolerance();
    let mut a = Accuracy {
        programs: programs_name.into(),
        backend: c.name.clone(),
        cases: refs.len(),
        not_real: 0,
        ill_conditioned: 0,
        judged: 0,
        numbers_ill_conditioned: 0,
        numbers_out_of_range: 0,
        numbers_not_real: 0,
        beyond: 0,
        non_finite: 0,
        value_ulps: Spread::default(),
        grad_ulps: Spread::default(),
        grad_ulps_judged: Spread::default(),
        failures: Vec::new(),
        worst: None,
        worst_rel: 0.0,
    };
    let (mut vu, mut gu, mut gj) = (Vec::new(), Vec::new(), Vec::new());
    for ((id, r), o) in ids.iter().zip(refs).zip(c.outcomes) {
        let Reference::Exact { value, grads } = r else {
            a.not_real += 1;
            continue;
        };
        let mut numbers = vec![("value".to_string(), o.value, *value)];
        if c.grads {
            numbers.extend(
                o.grads
                    .iter()
                    .zip(grads)
                    .enumerate()
                    .map(|(k, (x, e))| (format!("d/dx{k}"), *x, *e)),
            );
        }
        let (mut ill, mut beyond) = (false, false);
        for (k, (what, x, e)) in numbers.into_iter().enumerate() {
            match judge(x, e, precision) {
                Verdict::IllConditioned => {
                    a.numbers_ill_conditioned += 1;
                    ill = true;
                }
                Verdict::OutOfRange => a.numbers_out_of_range += 1,
                Verdict::NotReal => a.numbers_not_real += 1,
                Verdict::Judged {
                    rel,
                    ulps,
                    spread_ulps,
                } => {
                    a.judged += 1;
                    if !x.is_finite() {
                        a.non_finite += 1;
                    }
                    if k > 0 {
                        gj.push(ulps);
                    }
                    if spread_ulps <= BENIGN_ULPS {
                        if k == 0 { &mut vu } else { &mut gu }.push(ulps);
                    }
                    if rel > tol.rel {
                        beyond = true;
                        if a.failures.len() < 40 {
                            a.failures
                                .push((id.clone(), what.clone(), x, e.hi + e.lo, e.spread));
                        }
                    }
                    if rel > a.worst_rel || (rel.is_nan() && !a.worst_rel.is_nan()) {
                        a.worst_rel = rel;
                        a.worst = Some((id.clone(), what, x, e.hi + e.lo));
                    }
                }
            }
        }
        a.ill_conditioned += usize::from(ill);
        a.beyond += usize::from(beyond);
    }
    a.value_ulps = Spread::of(vu);
    a.grad_ulps = Spread::of(gu);
    a.grad_ulps_judged = Spread::of(gj);
    a
}

/// Who is closer where ferrograd's and libtorch's judged numbers differ.
pub fn closer(
    refs: &[Reference],
    ours: &[Outcome],
    theirs: &[Outcome],
    precision: Precision,
) -> Closer {
    let mut c = Closer::default();
    for ((r, a), b) in refs.iter().zip(ours).zip(theirs) {
        let Reference::Exact { value, grads } = r else {
            continue;
        };
        let pairs = std::iter::once((a.value, b.value, *value)).chain(
            a.grads
                .iter()
                .zip(&b.grads)
                .zip(grads)
                .map(|((x, y), e)| (*x, *y, *e)),
        );
        for (x, y, e) in pairs {
            if x == y || (x.is_nan() && y.is_nan()) {
                continue;
            }
            let (Verdict::Judged { ulps: ex, .. }, Verdict::Judged { ulps: ey, .. }) =
                (judge(x, e, precision), judge(y, e, precision))
            else {
                continue;
            };
            c.differ += 1;
            if ex < ey || (ey.is_nan() && !ex.is_nan()) {
                c.ferrograd += 1;
            } else if ey < ex || (ex.is_nan() && !ey.is_nan()) {
                c.libtorch += 1;
            }
        }
    }
    c
}

/// One program set in one precision: every backend's accuracy, and the
/// closer count.
#[derive(Debug, Clone, Serialize)]
pub struct ExactSection {
    /// `"f64"` or `"f32"`.
    pub precision: String,
    /// `"random programs"` or `"hard programs"`.
    pub programs: String,
    /// One per backend.
    pub backends: Vec<Accuracy>,
    /// ferrograd's scalar engine against libtorch, where they differ.
    pub closer: Closer,
    /// Programs the oracle could not evaluate, with the first reasons.
    pub not_real_examples: Vec<String>,
}

impl ExactSection {
    /// The pass/fail row for the parity table: the scalar engine (the
    /// first backend) against the exact values.
    pub fn row(&self) -> Row {
        let a = &self.backends[0];
        let precision = if self.precision == "f32" {
            Precision::F32
        } else {
            Precision::F64
        };
        let mut row = Row {
            scenario: format!("{} vs exact (mpmath, 60 digits)", self.programs),
            engine: a.backend.clone(),
            oracle: "exact".into(),
            cases: a.cases - a.not_real,
            numbers: a.judged,
            mismatches: a.beyond,
            excluded: a.ill_conditioned,
            unjudged_numbers: 0,
            worst_error: a.worst_rel,
            tolerance: precision.tolerance(),
            worst_case: a.worst.as_ref().map(|w| w.0.clone()),
            worst_number: a.worst.as_ref().map(|w| w.1.clone()),
            worst_pair: a.worst.as_ref().map(|w| (w.2, w.3)),
            culprit: None,
            oracle_off_exact: Vec::new(),
            worst_program: None,
        };
        if a.grad_ulps.p99 > GRAD_P99_ULPS {
            // The promise on the distribution counts as a mismatch too.
            row.mismatches = row.mismatches.max(1);
            row.culprit = Some(format!(
                "gradient p99 {:.1} ulps > {GRAD_P99_ULPS}",
                a.grad_ulps.p99
            ));
        }
        row
    }
}

/// What the exact value of `p` in `precision` says where `engine` and
/// `theirs` disagree: [`Arbitration::EngineRight`] when the engine is within
/// the tolerance on every such number and `theirs` beyond it on one,
/// [`Arbitration::IllConditioned`] when one of them is ill-conditioned or the
/// exact program is not real where the floats are.
pub fn engine_right(
    oracle: &Oracle,
    p: &Program,
    engine: &Outcome,
    theirs: &Outcome,
    precision: Precision,
) -> Result<Arbitration, TorchError> {
    let tol = precision.tolerance();
    let refs = oracle
        .start(&[rounded(p, precision)], precision)?
        .finish()?;
    let (value, grads) = match refs.into_iter().next() {
        Some(Reference::Exact { value, grads }) => (value, grads),
        // The floats stayed inside every function's domain where the exact
        // program leaves one (a difference that should be 0 came out -6e-17
        // under `** 1.5`): rounding decided a sign, so the program is
        // ill-conditioned there, whichever side the disagreement favours.
        Some(Reference::NotReal(_)) if !engine.value.is_nan() => {
            return Ok(Arbitration::IllConditioned)
        }
        _ => return Ok(Arbitration::Unresolved),
    };
    let triples = std::iter::once((engine.value, theirs.value, value)).chain(
        engine
            .grads
            .iter()
            .zip(&theirs.grads)
            .zip(grads)
            .map(|((x, y), e)| (*x, *y, e)),
    );
    let mut oracle_wrong = false;
    for (x, y, e) in triples {
        if tol.agrees(x, y) {
            continue;
        }
        match (judge(x, e, precision), judge(y, e, precision)) {
            (Verdict::IllConditioned, _) => return Ok(Arbitration::IllConditioned),
            (Verdict::Judged { rel: rx, .. }, Verdict::Judged { rel: ry, .. }) => {
                if rx > tol.rel {
                    return Ok(Arbitration::Unresolved);
                }
                oracle_wrong |= ry > tol.rel;
            }
            _ => return Ok(Arbitration::Unresolved),
        }
    }
    Ok(if oracle_wrong {
        Arbitration::EngineRight
    } else {
        Arbitration::Unresolved
    })
}

/// The promised 99th percentile of the scalar engine's gradient error.
pub const GRAD_P99_ULPS: f64 = 8.0;

/// Locates `scripts/exact.py` from a workspace root.
pub fn script_in(root: &Path) -> PathBuf {
    root.join("scripts").join("exact.py")
}

/// Everything the exact rows need, per precision: programs (rounded),
/// their ids, and the running oracle.
pub struct Started {
    precision: Precision,
    sets: Vec<(String, Vec<String>, Vec<Program>, Pending)>,
}

/// Starts the oracle on `random` ordinary and `hard` hard programs for
/// `precision`.
pub fn start(
    oracle: &Oracle,
    precision: Precision,
    first_seed: u64,
    random: usize,
    hard: usize,
) -> Result<Started, TorchError> {
    let mut sets = Vec::new();
    for (name, cases) in [
        ("random programs", random_programs(first_seed, random)),
        ("hard programs", hard_programs(first_seed, hard, precision)),
    ] {
        if cases.is_empty() {
            continue;
        }
        let (ids, programs): (Vec<String>, Vec<Program>) = cases
            .into_iter()
            .map(|(id, p)| (id, rounded(&p, precision)))
            .unzip();
        let pending = oracle.start(&programs, precision)?;
        sets.push((name.to_string(), ids, programs, pending));
    }
    Ok(Started { precision, sets })
}

impl Started {
    /// The float type.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Runs the backends and judges them against the oracle's answers.
    pub fn finish(
        self,
        scalar: &crate::suite::ProgramFn<'_>,
        torch: &crate::suite::ProgramFn<'_>,
        torch_name: &str,
    ) -> Result<Vec<ExactSection>, TorchError> {
        let p = self.precision;
        let mut out = Vec::new();
        for (name, ids, programs, pending) in self.sets {
            let ours: Vec<Outcome> = programs.iter().map(scalar).collect::<Result<_, _>>()?;
            let theirs: Vec<Outcome> = programs.iter().map(torch).collect::<Result<_, _>>()?;
            let refs = pending.finish()?;
            let mut backends = vec![
                accuracy(
                    &name,
                    &ids,
                    &refs,
                    &Computed {
                        name: format!("scalar {}", p.name()),
                        outcomes: &ours,
                        grads: true,
                    },
                    p,
                ),
                accuracy(
                    &name,
                    &ids,
                    &refs,
                    &Computed {
                        name: torch_name.to_string(),
                        outcomes: &theirs,
                        grads: true,
                    },
                    p,
                ),
            ];
            if p == Precision::F64 {
                let evaluated: Vec<Outcome> = programs
                    .iter()
                    .map(|q| {
                        let regs = q.eval_f64()?;
                        Ok(Outcome {
                            value: regs[q.output()],
                            grads: vec![],
                        })
                    })
                    .collect::<Result<_, TorchError>>()?;
                backends.push(accuracy(
                    &name,
                    &ids,
                    &refs,
                    &Computed {
                        name: "program evaluator f64".into(),
                        outcomes: &evaluated,
                        grads: false,
                    },
                    p,
                ));
            }
            let not_real_examples = ids
                .iter()
                .zip(&refs)
                .filter_map(|(id, r)| match r {
                    Reference::NotReal(why) => Some(format!("{id}: {why}")),
                    Reference::Exact { .. } => None,
                })
                .take(5)
                .collect();
            out.push(ExactSection {
                precision: p.name().into(),
                programs: name,
                closer: closer(&refs, &ours, &theirs, p),
                backends,
                not_real_examples,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrograd_program::{Binary, Unary};

    #[test]
    fn ulps_are_the_spacing_of_the_type() {
        assert_eq!(ulp(1.0, Precision::F64), f64::EPSILON);
        assert_eq!(ulp(1.0, Precision::F32), f64::from(f32::EPSILON));
        assert_eq!(ulp(0.0, Precision::F32), f64::from(f32::from_bits(1)));
        assert_eq!(ulp(1e-310, Precision::F64), f64::from_bits(1));
    }

    #[test]
    fn judging_follows_conditioning_and_range() {
        let e = |hi: f64, spread: f64| ExactNumber {
            hi,
            lo: 0.0,
            spread,
            range_limited: false,
        };
        let p = Precision::F64;
        assert_eq!(judge(1.0, e(1.0, 1e-9), p), Verdict::IllConditioned);
        assert_eq!(
            judge(f64::INFINITY, e(f64::INFINITY, 0.0), p),
            Verdict::OutOfRange
        );
        assert_eq!(
            judge(f64::INFINITY, e(1e39, 0.0), Precision::F32),
            Verdict::OutOfRange
        );
        let Verdict::Judged { rel, ulps, .. } = judge(1.0 + f64::EPSILON, e(1.0, 1e-16), p) else {
            panic!("well-conditioned and in range")
        };
        assert_eq!(ulps, 1.0);
        assert_eq!(rel, f64::EPSILON);
        // A zero where the exact value is 1.7e-17 is wrong by its whole size.
        let Verdict::Judged { rel, .. } = judge(0.0, e(1.7e-17, 1e-16), p) else {
            panic!("judged")
        };
        assert_eq!(rel, 1.0);
        // NaN for a finite exact value is infinitely wrong.
        assert!(
            matches!(judge(f64::NAN, e(2.0, 0.0), p), Verdict::Judged { rel, .. } if rel.is_infinite())
        );
    }

    #[test]
    fn rounding_a_program_rounds_every_literal() {
        let p = Program {
            inputs: vec![0.1],
            instrs: vec![Instr::Input(0), Instr::Const(0.2), Instr::Powf(0, 0.3)],
        };
        let r = rounded(&p, Precision::F32);
        assert_eq!(r.inputs[0], 0.1f32 as f64);
        assert_eq!(r.instrs[1], Instr::Const(0.2f32 as f64));
        assert_eq!(r.instrs[2], Instr::Powf(0, 0.3f32 as f64));
        assert_eq!(rounded(&p, Precision::F64), p);
    }

    #[test]
    fn the_json_names_every_operand() {
        let p = Program {
            inputs: vec![2.0],
            instrs: vec![
                Instr::Input(0),
                Instr::Powi(0, i32::MIN),
                Instr::Binary(Binary::Div, 0, 1),
                Instr::Unary(Unary::Tanh, 2),
            ],
        };
        let j = program_json(4, &p).to_string();
        assert_eq!(
            j,
            r#"{"id":4,"inputs":["2.0"],"instrs":[["input",0],["powi",0,-2147483648],["div",0,1],["tanh",2]]}"#
        );
    }
}
