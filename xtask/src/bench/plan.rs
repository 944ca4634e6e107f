//! What a run does, in order: builds first so each bench's time is its own,
//! then ferrograd's criterion benches, libtorch's, the Rust peers' (burn and
//! candle, in their own workspace `benches/peers`), the Python peers and the
//! C++ tape peer (ADOL-C, built before the run by [`super::adolc::prepare`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::adolc::{self, Adolc};
use super::python::PythonEnv;
use super::report::Grid;
use crate::libtorch::Libtorch;
use crate::process::cargo;
use crate::{shared_target, workspace};

/// One thing to run: a name for the progress bar and the error table, the
/// command (or why it cannot run), and how its numbers come back.
pub struct Task {
    /// Its name in the progress bar, the logs and the failures.
    pub key: String,
    /// What runs, or why it cannot.
    pub cmd: Result<Command, String>,
    /// Where its numbers come from.
    pub output: Output,
    /// Processes to start; each id keeps its fastest median. A system whose
    /// speed changes from one process to the next (PyTorch's moons step
    /// here: 376 to 546 µs between runs on a quiet machine; ferrograd's
    /// hand-written step 474 to 755 µs between bench runs) is then compared
    /// at its best, not at a slow start's.
    pub runs: usize,
}

/// Where a task's numbers come from.
pub enum Output {
    /// A build: nothing to read.
    Build,
    /// Criterion writes into the criterion folder, read at the end.
    Criterion,
    /// JSON lines with `median_ms` (and `id`, else this default id).
    JsonLines(Option<String>),
    /// One JSON line with `peak_gflops` and `step_gflops`: the matrix
    /// products of the 784-256-256-10 step against one core's FMA peak.
    Peak,
    /// One JSON line with `median_ms` and `first_loss`, a median for `id`
    /// only when that loss is ferrograd's first-step loss in `fixture`
    /// (see [`adolc::outcome`]).
    CheckedLoss {
        /// The benchmark id of the median.
        id: String,
        /// The fixture holding ferrograd's loss.
        fixture: PathBuf,
    },
}

/// Where a run's tasks read and write.
pub struct Paths {
    /// criterion's output folder.
    pub crit: PathBuf,
    /// The invoking checkout's target folder (the Rust peers build in
    /// `<target>/peers`).
    pub target: PathBuf,
    /// The moons fixture that the `scalar_tape` task writes for the C++ peer.
    pub fixture: PathBuf,
}

fn task(key: impl Into<String>, cmd: Result<Command, String>, output: Output) -> Task {
    Task {
        key: key.into(),
        cmd,
        output,
        runs: 1,
    }
}

/// How many processes run each side of the scalar claims: the PyTorch
/// eager moons step ([`python`]) and ferrograd's `scalar` and
/// `scalar_tape` benches ([`ferrograd`]), each keeping its fastest.
pub const SCALAR_CLAIM_RUNS: usize = 3;

/// The root package's criterion benches.
const FERROGRAD_BENCHES: [&str; 6] = [
    "scalar",
    "scalar_tanh",
    "scalar_tape",
    "tensor_step",
    "tensor_sweep",
    "tensor_autograd",
];

/// The Rust peers: (bench of `benches/peers`, the feature it needs). burn
/// and candle build on their own, so one failing leaves the other's numbers.
pub const RUST_PEERS: [(&str, &str); 3] = [
    ("burn_ndarray", "burn"),
    ("burn_flex", "burn"),
    ("candle", "candle"),
];

/// The task that measures Rust peer `bench` (one of [`RUST_PEERS`]).
pub fn peer_task(bench: &str) -> String {
    format!("peers/{bench}")
}

/// Whether a task needs the given build.
pub fn depends_on(task: &str, build: &str) -> bool {
    // The Rust peers build in their own tasks.
    if build == "build libtorch bench" {
        task == "libtorch"
    } else {
        task != "libtorch" && !task.starts_with("peers/")
    }
}

/// The tasks in order: builds first so each bench's time is its own. The
/// C++ peer comes after `scalar_tape`, which writes its fixture.
pub fn plan(
    quick: bool,
    grid: &Grid,
    paths: &Paths,
    lt: &Result<Libtorch, String>,
    py: &PythonEnv,
    adolc: &Adolc,
) -> Vec<Task> {
    let benches = Benches::new(quick, grid, &paths.crit);
    let mut tasks = ferrograd(&benches, grid, &paths.fixture);
    tasks.push(matmul_peak());
    tasks.extend(libtorch(&benches, lt));
    tasks.extend(rust_peers(&benches, &paths.target));
    tasks.extend(python(quick, grid, py));
    tasks.extend(cpp(quick, &paths.fixture, adolc));
    tasks
}

/// How every criterion bench of a run is started: the same criterion
/// options, output folder and sweep grid.
struct Benches {
    criterion_args: Vec<&'static str>,
    crit: PathBuf,
    sweep_env: Vec<(&'static str, String)>,
}

impl Benches {
    fn new(quick: bool, grid: &Grid, crit: &Path) -> Self {
        let join = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        Self {
            criterion_args: if quick {
                vec![
                    "--noplot",
                    "--warm-up-time",
                    "0.3",
                    "--measurement-time",
                    "1",
                ]
            } else {
                vec!["--noplot", "--warm-up-time", "1", "--measurement-time", "3"]
            },
            crit: crit.to_path_buf(),
            sweep_env: vec![
                ("FERROGRAD_SWEEP_WIDTHS", join(&grid.widths)),
                ("FERROGRAD_SWEEP_BATCHES", join(&grid.batches)),
                ("FERROGRAD_SWEEP_DTYPES", grid.dtypes.join(",")),
                ("FERROGRAD_TORCH_THREADS", join(&grid.threads)),
            ],
        }
    }

    /// `cargo bench -p <package> --bench <name>`.
    fn command(&self, package: &str, name: &str) -> Command {
        let mut c = cargo();
        c.args(["bench", "-p", package, "--bench", name]);
        self.criterion(c)
    }

    /// `c` (a `cargo bench` of one bench) with the run's criterion options.
    fn criterion(&self, mut c: Command) -> Command {
        c.arg("--")
            .args(&self.criterion_args)
            .env("CRITERION_HOME", &self.crit);
        for (k, v) in &self.sweep_env {
            c.env(k, v);
        }
        c
    }
}

/// The root package's benches: one build, then each bench (the batched
/// ones at each thread count). `scalar_tape` also writes `fixture`.
fn ferrograd(benches: &Benches, grid: &Grid, fixture: &Path) -> Vec<Task> {
    let mut build = cargo();
    build.args(["bench", "-p", "ferrograd", "--no-run"]);
    for b in FERROGRAD_BENCHES {
        build.args(["--bench", b]);
    }
    let mut tasks = vec![task("build ferrograd benches", Ok(build), Output::Build)];
    for name in ["scalar", "scalar_tanh", "scalar_tape"] {
        let mut cmd = benches.command("ferrograd", name);
        if name == "scalar_tape" {
            cmd.env(adolc::FIXTURE_ENV, fixture);
        }
        // `scalar` and `scalar_tape` hold the scalar claims' side against
        // PyTorch eager and run as often as it; `scalar_tanh`'s claim is
        // against micrograd-rust, by a wide margin, and it runs once.
        let runs = if name == "scalar_tanh" {
            1
        } else {
            SCALAR_CLAIM_RUNS
        };
        tasks.push(Task {
            runs,
            ..task(name, Ok(cmd), Output::Criterion)
        });
    }
    for name in ["tensor_step", "tensor_sweep", "tensor_autograd"] {
        for &t in &grid.threads {
            let mut c = benches.command("ferrograd", name);
            c.env("MATMUL_NUM_THREADS", t.to_string());
            tasks.push(task(
                format!("{name}/threads={t}"),
                Ok(c),
                Output::Criterion,
            ));
        }
    }
    tasks
}

/// The libtorch bench: its build, then the bench.
fn libtorch(benches: &Benches, lt: &Result<Libtorch, String>) -> Vec<Task> {
    // As `cargo xtask parity` does: the libtorch crate builds in the cache's
    // target folder (unless CARGO_TARGET_DIR is set), so torch-sys's minutes
    // of compiling are shared with parity and spent once per machine.
    let torch_target = shared_target::oracle_build_dir().ok();
    let with_libtorch = |mut c: Command| match lt {
        Ok(lt) => {
            lt.apply(&mut c);
            if let Some(dir) = &torch_target {
                c.env("CARGO_TARGET_DIR", dir);
            }
            Ok(c)
        }
        Err(e) => Err(e.clone()),
    };
    let mut build = cargo();
    build.args([
        "bench",
        "-p",
        "ferrograd-torch",
        "--bench",
        "libtorch_step",
        "--no-run",
    ]);
    let bench = benches.command("ferrograd-torch", "libtorch_step");
    vec![
        task("build libtorch bench", with_libtorch(build), Output::Build),
        task("libtorch", with_libtorch(bench), Output::Criterion),
    ]
}

/// The FMA peak probe and the 784-256-256-10 step's matrix products on one
/// core (`benches/matmul_peak.rs`, its table only, no criterion runs).
fn matmul_peak() -> Task {
    let mut c = cargo();
    c.args([
        "bench",
        "-p",
        "ferrograd",
        "--bench",
        "matmul_peak",
        "--",
        "table",
    ])
    .env("MATMUL_NUM_THREADS", "1");
    task("matmul_peak", Ok(c), Output::Peak)
}

/// The Rust peers, one task each (its build included): `cargo bench` of
/// `benches/peers` on one thread, built in `<target>/peers`.
fn rust_peers(benches: &Benches, target: &Path) -> Vec<Task> {
    let manifest = workspace::root().join("benches/peers/Cargo.toml");
    RUST_PEERS
        .iter()
        .map(|&(bench, feature)| {
            let mut c = cargo();
            c.arg("bench")
                .arg("--manifest-path")
                .arg(&manifest)
                .args(["--features", feature, "--bench", bench])
                .env("CARGO_TARGET_DIR", target.join("peers"))
                // candle's matrix product reads it; burn is built without rayon.
                .env("RAYON_NUM_THREADS", "1");
            task(
                peer_task(bench),
                Ok(benches.criterion(c)),
                Output::Criterion,
            )
        })
        .collect()
}

/// The Python peers' scripts in `benches/python/`.
fn python(quick: bool, grid: &Grid, py: &PythonEnv) -> Vec<Task> {
    let steps = |quick_steps: usize, full_steps: usize| {
        vec![if quick { quick_steps } else { full_steps }.to_string()]
    };
    let json = |id: &str| Output::JsonLines(Some(id.into()));
    let mut tasks = vec![Task {
        runs: SCALAR_CLAIM_RUNS,
        ..task(
            "python/moons_torch",
            script(py, "torch", "moons_torch.py", &steps(100, 300)),
            json("python/moons_torch"),
        )
    }];
    for &t in &grid.threads {
        let mut a = vec!["--threads".to_string(), t.to_string()];
        if quick {
            a.push("--quick".into());
        }
        tasks.push(task(
            format!("python/batched/threads={t}"),
            script(py, "torch", "batched_torch.py", &a),
            Output::JsonLines(None),
        ));
    }
    tasks.push(task(
        "python/micrograd_rust",
        script(
            py,
            "micrograd-rust",
            "tanh_micrograd_rust.py",
            &steps(10, 30),
        ),
        json("python/micrograd_rust"),
    ));
    tasks.push(task(
        "python/micrograd",
        script(py, "micrograd", "moons_micrograd.py", &steps(3, 7)),
        json("python/micrograd"),
    ));
    // The mixed graph: about 1 s a graph in PyTorch eager, 0.5 s in micrograd.
    tasks.push(task(
        "python/mixed_torch",
        script(py, "torch", "mixed_torch.py", &steps(3, 7)),
        json("python/mixed_torch"),
    ));
    tasks.push(task(
        "python/mixed_micrograd",
        script(py, "micrograd", "mixed_micrograd.py", &steps(3, 5)),
        json("python/mixed_micrograd"),
    ));
    tasks
}

/// The C++ tape peer on the fixture, when it was built.
/// The C++ tape peers, where built: the moons step on the fixture, and the
/// mixed graph.
fn cpp(quick: bool, fixture: &Path, adolc: &Adolc) -> [Task; 2] {
    let cmd = match &adolc.binary {
        Ok(binary) => Ok(adolc::command(binary, fixture, quick)),
        Err(e) => Err(e.clone()),
    };
    let output = Output::CheckedLoss {
        id: adolc::ID.into(),
        fixture: fixture.to_path_buf(),
    };
    let mixed = match &adolc.mixed {
        Ok(binary) => Ok(adolc::mixed_command(binary, quick)),
        Err(e) => Err(e.clone()),
    };
    [
        task(adolc::TASK, cmd, output),
        task(
            adolc::MIXED_TASK,
            mixed,
            Output::JsonLines(Some(adolc::MIXED_TASK.into())),
        ),
    ]
}

/// `python benches/python/<file> <args>`, when `package` imports.
fn script(py: &PythonEnv, package: &str, file: &str, args: &[String]) -> Result<Command, String> {
    py.check(package)?;
    let python = py.python.clone().ok_or("no Python")?;
    let mut c = Command::new(python);
    c.current_dir(workspace::root())
        .arg(format!("benches/python/{file}"))
        .args(args)
        .env("PYTHONUNBUFFERED", "1");
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_build_blocks_only_its_own_benches() {
        assert!(depends_on("libtorch", "build libtorch bench"));
        assert!(!depends_on("scalar", "build libtorch bench"));
        assert!(depends_on(
            "tensor_step/threads=1",
            "build ferrograd benches"
        ));
        assert!(!depends_on("libtorch", "build ferrograd benches"));
        assert!(!depends_on("peers/candle", "build ferrograd benches"));
    }

    #[test]
    fn builds_come_first_and_a_missing_peer_keeps_its_task_with_the_reason() {
        let grid = Grid::tiny(&[1, 2]);
        let py = PythonEnv {
            error: Some("no Python with torch".into()),
            ..PythonEnv::default()
        };
        let lt = Err("no libtorch: offline".to_string());
        let paths = Paths {
            crit: "/tmp/crit".into(),
            target: "/tmp/target".into(),
            fixture: "/tmp/bench/cpp/moons_fixture.txt".into(),
        };
        let adolc = Adolc::missing("scripts/install-adolc.sh failed: not root");
        let tasks = plan(true, &grid, &paths, &lt, &py, &adolc);
        let keys: Vec<&str> = tasks.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "build ferrograd benches",
                "scalar",
                "scalar_tanh",
                "scalar_tape",
                "tensor_step/threads=1",
                "tensor_step/threads=2",
                "tensor_sweep/threads=1",
                "tensor_sweep/threads=2",
                "tensor_autograd/threads=1",
                "tensor_autograd/threads=2",
                "matmul_peak",
                "build libtorch bench",
                "libtorch",
                "peers/burn_ndarray",
                "peers/burn_flex",
                "peers/candle",
                "python/moons_torch",
                "python/batched/threads=1",
                "python/batched/threads=2",
                "python/micrograd_rust",
                "python/micrograd",
                "python/mixed_torch",
                "python/mixed_micrograd",
                "cpp/adolc",
                "cpp/adolc_mixed",
            ]
        );
        assert_eq!(
            tasks[12].cmd.as_ref().err().unwrap(),
            "no libtorch: offline"
        );
        // The scalar claims' two sides, ferrograd's scalar benches and the
        // PyTorch eager moons step, run in as many processes each.
        let repeated: Vec<(&str, usize)> = tasks
            .iter()
            .filter(|t| t.runs != 1)
            .map(|t| (t.key.as_str(), t.runs))
            .collect();
        assert_eq!(
            repeated,
            [
                ("scalar", SCALAR_CLAIM_RUNS),
                ("scalar_tape", SCALAR_CLAIM_RUNS),
                ("python/moons_torch", SCALAR_CLAIM_RUNS)
            ]
        );
        assert_eq!(
            tasks[20].cmd.as_ref().err().unwrap(),
            "no Python with torch"
        );
        for k in [21, 22] {
            assert_eq!(tasks[k].cmd.as_ref().err().unwrap(), "no Python with torch");
        }
        for k in [23, 24] {
            assert_eq!(
                tasks[k].cmd.as_ref().err().unwrap(),
                "scripts/install-adolc.sh failed: not root"
            );
        }
        assert!(matches!(
            &tasks[24].output,
            Output::JsonLines(Some(id)) if id == "cpp/adolc_mixed"
        ));
        assert!(matches!(
            &tasks[23].output,
            Output::CheckedLoss { id, fixture } if id == "cpp/adolc_moons" && fixture == &paths.fixture
        ));
        // scalar_tape writes the C++ peer's fixture; the other benches do not.
        let fixture_env = |t: &Task| {
            t.cmd
                .as_ref()
                .unwrap()
                .get_envs()
                .any(|(k, v)| k == adolc::FIXTURE_ENV && v == Some(paths.fixture.as_os_str()))
        };
        assert!(fixture_env(&tasks[3]));
        assert!(!fixture_env(&tasks[1]));
        let scalar = tasks[1].cmd.as_ref().unwrap();
        let args: Vec<_> = scalar.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            args.join(" "),
            "bench -p ferrograd --bench scalar -- --noplot --warm-up-time 0.3 --measurement-time 1"
        );
        let flex = tasks[14].cmd.as_ref().unwrap();
        let args: Vec<_> = flex.get_args().map(|a| a.to_string_lossy()).collect();
        assert!(args[2].ends_with("benches/peers/Cargo.toml"));
        assert_eq!(
            args[3..].join(" "),
            "--features burn --bench burn_flex -- --noplot --warm-up-time 0.3 --measurement-time 1"
        );
        let envs: Vec<_> = flex.get_envs().collect();
        assert!(envs.contains(&(
            std::ffi::OsStr::new("CARGO_TARGET_DIR"),
            Some(std::ffi::OsStr::new("/tmp/target/peers"))
        )));
    }

    #[test]
    fn a_built_cpp_peer_runs_on_the_fixture_with_steps_and_runs() {
        let adolc = Adolc {
            binary: Ok("/tmp/target/cpp/adolc_moons".into()),
            mixed: Ok("/tmp/target/cpp/adolc_mixed".into()),
            version: Some("2.7.2-6".into()),
            compiler: None,
        };
        let fixture = Path::new("/tmp/bench/cpp/moons_fixture.txt");
        let args = |t: &Task| {
            let c = t.cmd.as_ref().unwrap();
            let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy()).collect();
            (
                c.get_program().to_string_lossy().to_string(),
                args.join(" "),
            )
        };
        for (quick, steps_runs, graphs_runs) in [(true, "200 3", "5 3"), (false, "500 5", "20 5")] {
            let [moons, mixed] = cpp(quick, fixture, &adolc);
            assert_eq!(
                args(&moons),
                (
                    "/tmp/target/cpp/adolc_moons".to_string(),
                    format!("/tmp/bench/cpp/moons_fixture.txt {steps_runs}")
                )
            );
            assert_eq!(
                args(&mixed),
                (
                    "/tmp/target/cpp/adolc_mixed".to_string(),
                    graphs_runs.to_string()
                )
            );
        }
    }
}
