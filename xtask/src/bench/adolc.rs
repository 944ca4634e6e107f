//! The C++ tape peer: ADOL-C from Debian's `libadolc-dev` (2.7.2) running
//! micrograd's moons step as a user writes it (`benches/cpp/adolc_moons.cpp`),
//! on the moons points and initial parameters of ferrograd's `user_written`
//! bench: `benches/scalar_tape.rs` writes them, with the loss of its first
//! step, to a fixture when [`FIXTURE_ENV`] is set; and the same bench's
//! mixed graph (`benches/cpp/adolc_mixed.cpp`), which prints the graph's
//! root value and gradient for the report to set beside ferrograd's.
//!
//! [`prepare`] installs the package when it is missing
//! (`scripts/install-adolc.sh`: apt-get, as root or with sudo that asks no
//! password) and builds the programs with `g++ -O3 -march=native` into
//! `<target>/cpp`. A step that fails is recorded, never fatal: the peer's row
//! shows it. [`outcome`] reads the program's result line and checks that its
//! first-step loss is ferrograd's, so the time is that of the same computation.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::report::LossCheck;
use crate::process;
use crate::workspace;

/// The ADOL-C release the report's row names.
pub const VERSION: &str = "2.7.2";
/// Its row in the scalar moons table.
pub const SYSTEM: &str = "ADOL-C 2.7.2 (Debian), taped and differentiated every step";
/// The task that runs it.
pub const TASK: &str = "cpp/adolc";
/// Its benchmark id.
pub const ID: &str = "cpp/adolc_moons";
/// Its row in the mixed-graph table.
pub const MIXED_SYSTEM: &str = "ADOL-C 2.7.2 (Debian), taped and differentiated every graph";
/// The task that runs `benches/cpp/adolc_mixed.cpp`, and its benchmark id.
pub const MIXED_TASK: &str = "cpp/adolc_mixed";
/// The variable that makes `benches/scalar_tape.rs` write the fixture.
pub const FIXTURE_ENV: &str = "FERROGRAD_MOONS_FIXTURE";
/// How far (relative) ADOL-C's first-step loss may be from ferrograd's.
pub const LOSS_TOLERANCE: f64 = 1e-12;

/// The header whose presence says `libadolc-dev` is installed.
const HEADER: &str = "/usr/include/adolc/adolc.h";

/// The C++ peer of a run.
#[derive(Debug)]
pub struct Adolc {
    /// The built moons program, or why there is none.
    pub binary: Result<PathBuf, String>,
    /// The built mixed-graph program, or why there is none.
    pub mixed: Result<PathBuf, String>,
    /// `libadolc-dev`'s Debian version (`2.7.2-6`), when installed.
    pub version: Option<String>,
    /// `g++ --version`'s first line, when there is a g++.
    pub compiler: Option<String>,
}

impl Adolc {
    /// A peer that could not be prepared, for `why`.
    #[cfg(test)]
    pub fn missing(why: &str) -> Self {
        Adolc {
            binary: Err(why.into()),
            mixed: Err(why.into()),
            version: None,
            compiler: None,
        }
    }
}

/// Installs `libadolc-dev` and g++ when missing (unless `install` is false)
/// and builds the programs into `<target>/cpp/adolc_moons` and
/// `<target>/cpp/adolc_mixed`.
pub fn prepare(target: &Path, install: bool) -> Adolc {
    let ready = if install {
        run_install_script()
    } else if Path::new(HEADER).exists() {
        Ok(())
    } else {
        Err(format!(
            "libadolc-dev is not installed ({HEADER} is missing) and --no-install was given: run scripts/install-adolc.sh"
        ))
    };
    let version = debian_version();
    let compiler = first_line_of(Command::new("g++").arg("--version"));
    let ready = ready.and_then(|()| check_version(version.as_deref()));
    let binary = ready.clone().and_then(|()| build(target, "adolc_moons"));
    let mixed = ready.and_then(|()| build(target, "adolc_mixed"));
    Adolc {
        binary,
        mixed,
        version,
        compiler,
    }
}

/// `scripts/install-adolc.sh` under a spinner: returns at once when
/// everything is there, else apt-get installs it (a minute or so).
fn run_install_script() -> Result<(), String> {
    let pb = process::spinner("{spinner} [{elapsed_precise}] {msg}");
    pb.set_message("ADOL-C: scripts/install-adolc.sh (apt-get only when missing)");
    let mut cmd = Command::new("bash");
    cmd.arg(workspace::root().join("scripts/install-adolc.sh"))
        .current_dir(workspace::root())
        .stdin(Stdio::null());
    let teed = process::under(&pb, |_| false, &mut cmd)
        .map_err(|e| format!("could not start bash for scripts/install-adolc.sh: {e}"))?;
    if teed.status.success() {
        return Ok(());
    }
    Err(format!(
        "scripts/install-adolc.sh failed ({}): {}",
        teed.status,
        last_lines(&teed.trimmed(), 6)
    ))
}

/// The installed `libadolc-dev`'s Debian version.
fn debian_version() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "libadolc-dev"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// The first line `cmd` prints, when it runs and succeeds.
fn first_line_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim();
    (out.status.success() && !line.is_empty()).then(|| line.to_string())
}

/// The upstream part of a Debian version: no epoch, no Debian revision
/// (`1:2.7.2-6` -> `2.7.2`).
pub fn upstream(debian: &str) -> &str {
    let v = debian.split_once(':').map_or(debian, |(_, v)| v);
    v.rsplit_once('-').map_or(v, |(v, _)| v)
}

/// The installed release must be the one the row names.
fn check_version(debian: Option<&str>) -> Result<(), String> {
    match debian {
        Some(v) if upstream(v) == VERSION => Ok(()),
        Some(v) => Err(format!(
            "libadolc-dev {v} is installed; the report's row is for ADOL-C {VERSION} (xtask/src/bench/adolc.rs)"
        )),
        None => Err("dpkg-query does not know libadolc-dev: is it installed?".into()),
    }
}

/// `g++ -O3 -march=native -o <target>/cpp/<name> benches/cpp/<name>.cpp -ladolc`.
fn build(target: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = target.join("cpp");
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let binary = dir.join(name);
    let source = workspace::root().join(format!("benches/cpp/{name}.cpp"));
    eprintln!("bench: building the ADOL-C peer {name} with g++ -O3 -march=native");
    let out = Command::new("g++")
        .args(["-O3", "-march=native", "-o"])
        .arg(&binary)
        .arg(&source)
        .arg("-ladolc")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not start g++: {e}"))?;
    if out.status.success() {
        return Ok(binary);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    Err(format!(
        "g++ failed to build {} ({}): {}",
        source.display(),
        out.status,
        last_lines(&lines, 6)
    ))
}

/// The last `n` of `lines`, one per line.
fn last_lines(lines: &[&str], n: usize) -> String {
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The program's command: `<binary> <fixture> <steps per run> <runs>`.
pub fn command(binary: &Path, fixture: &Path, quick: bool) -> Command {
    let (steps, runs) = if quick { (200, 3) } else { (500, 5) };
    let mut c = Command::new(binary);
    c.arg(fixture)
        .args([steps.to_string(), runs.to_string()])
        .current_dir(workspace::root());
    c
}

/// The mixed-graph program's command: `<binary> <graphs per run> <runs>`.
pub fn mixed_command(binary: &Path, quick: bool) -> Command {
    let (graphs, runs) = if quick { (5, 3) } else { (20, 5) };
    let mut c = Command::new(binary);
    c.args([graphs.to_string(), runs.to_string()])
        .current_dir(workspace::root());
    c
}

/// What one run of the program reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The median of its runs' median step times (ns).
    pub median_ns: f64,
    /// The loss of its first step, from the fixture's initial parameters.
    pub first_loss: f64,
}

/// The program's result: its last line that is a JSON object with a
/// positive `median_ms` and a finite `first_loss`.
pub fn parse_run(stdout: &str) -> Result<Run, String> {
    let mut why = "printed no result line".to_string();
    for line in stdout.lines().rev() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            continue;
        };
        if !v.is_object() {
            continue;
        }
        let ms = v.get("median_ms").and_then(serde_json::Value::as_f64);
        let loss = v.get("first_loss").and_then(serde_json::Value::as_f64);
        match (ms, loss) {
            (Some(ms), Some(loss)) if ms.is_finite() && ms > 0.0 && loss.is_finite() => {
                return Ok(Run {
                    median_ns: ms * 1e6,
                    first_loss: loss,
                })
            }
            _ => {
                why = format!(
                    "its result line has no positive median_ms and finite first_loss: {}",
                    line.trim()
                )
            }
        }
    }
    Err(why)
}

/// ferrograd's first-step loss: the fixture's `loss <number>` line.
pub fn fixture_loss(text: &str) -> Result<f64, String> {
    let line = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("loss "))
        .ok_or("the fixture has no `loss` line")?;
    let loss: f64 = line
        .trim()
        .parse()
        .map_err(|_| format!("the fixture's loss {:?} is not a number", line.trim()))?;
    if !loss.is_finite() {
        return Err(format!("the fixture's loss is {loss}: not finite"));
    }
    Ok(loss)
}

/// Whether `theirs` is ferrograd's loss `ours` to [`LOSS_TOLERANCE`]
/// (relative).
pub fn check_loss(theirs: f64, ours: f64) -> Result<LossCheck, String> {
    let relative = (theirs - ours).abs() / ours.abs().max(f64::MIN_POSITIVE);
    if relative.is_nan() || relative > LOSS_TOLERANCE {
        return Err(format!(
            "ADOL-C's first-step loss {theirs:.17} is not ferrograd's {ours:.17} (relative difference {relative:.1e}, more than {LOSS_TOLERANCE:.0e}): not the same computation, so its time is not reported"
        ));
    }
    Ok(LossCheck {
        system: SYSTEM.into(),
        theirs,
        ours,
        relative_difference: relative,
        tolerance: LOSS_TOLERANCE,
    })
}

/// The task's median (ns) and loss check, from its output and the fixture.
pub fn outcome(stdout: &str, fixture: &Path) -> Result<(f64, LossCheck), String> {
    let run = parse_run(stdout)?;
    let text = fs::read_to_string(fixture).map_err(|e| {
        format!(
            "cannot read {} (written by the `scalar_tape` task): {e}",
            fixture.display()
        )
    })?;
    let ours = fixture_loss(&text)?;
    let check = check_loss(run.first_loss, ours)?;
    Ok((run.median_ns, check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_line_is_read_and_hostile_output_is_an_error() {
        let good = "noise\n{\"id\": \"cpp/adolc_moons\", \"median_ms\": 2.5, \"first_loss\": 0.8075450862416389}\n";
        assert_eq!(
            parse_run(good),
            Ok(Run {
                median_ns: 2.5e6,
                first_loss: 0.8075450862416389
            })
        );
        assert!(parse_run("").unwrap_err().contains("no result line"));
        assert!(parse_run("Segmentation fault\n\u{0}\u{7f}garbage {")
            .unwrap_err()
            .contains("no result line"));
        // printf's NaN is not JSON; a number as a string or a null is no number.
        for bad in [
            "{\"median_ms\": nan, \"first_loss\": 1.0}",
            "{\"median_ms\": 1.0, \"first_loss\": NaN}",
            "{\"median_ms\": \"NaN\", \"first_loss\": 1.0}",
            "{\"median_ms\": 1.0, \"first_loss\": null}",
            "{\"median_ms\": 1.0}",
            "{\"median_ms\": 0, \"first_loss\": 1.0}",
            "{\"median_ms\": -3, \"first_loss\": 1.0}",
            "{\"median_ms\": 1e999, \"first_loss\": 1.0}",
            "[1, 2]",
            "3.5",
        ] {
            assert!(parse_run(bad).is_err(), "{bad}");
        }
        assert!(parse_run("{\"median_ms\": 0, \"first_loss\": 1.0}")
            .unwrap_err()
            .contains("no positive median_ms"));
    }

    #[test]
    fn the_fixture_loss_must_be_a_finite_number() {
        let fixture = "# comment\nlayers 4 2 16 16 1\npoints 1\n0.5 -0.25 1\nparams 1\n0.1\nloss 0.8075450862416389\n";
        assert_eq!(fixture_loss(fixture), Ok(0.8075450862416389));
        assert!(fixture_loss("").unwrap_err().contains("no `loss` line"));
        assert!(fixture_loss("garbage\n").is_err());
        assert!(fixture_loss("loss abc\n")
            .unwrap_err()
            .contains("not a number"));
        for bad in ["loss NaN", "loss nan", "loss inf", "loss -infinity"] {
            assert!(
                fixture_loss(bad).unwrap_err().contains("not finite"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_losses_agree_to_the_tolerance_or_the_time_is_refused() {
        let ours = 0.8075450862416389;
        let same = check_loss(ours, ours).unwrap();
        assert_eq!(same.relative_difference, 0.0);
        assert_eq!(same.system, SYSTEM);
        assert!(check_loss(ours * (1.0 + 1e-14), ours).is_ok());
        let off = check_loss(ours * (1.0 + 1e-9), ours).unwrap_err();
        assert!(off.contains("not the same computation"), "{off}");
        assert!(check_loss(f64::NAN, ours).is_err());
        assert!(check_loss(ours, f64::NAN).is_err());
        assert!(check_loss(0.0, 0.0).is_ok());
    }

    #[test]
    fn the_outcome_needs_the_fixture() {
        let dir = crate::testing::temp("bench-adolc");
        let fixture = dir.join("moons_fixture.txt");
        let line = "{\"median_ms\": 2.0, \"first_loss\": 0.5}\n";
        assert!(outcome(line, &fixture)
            .unwrap_err()
            .contains("written by the `scalar_tape` task"));
        fs::write(&fixture, "loss 0.5\n").unwrap();
        let (ns, check) = outcome(line, &fixture).unwrap();
        assert_eq!((ns, check.ours, check.theirs), (2e6, 0.5, 0.5));
        fs::write(&fixture, "loss 0.25\n").unwrap();
        assert!(outcome(line, &fixture).is_err());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn debian_versions_compare_by_their_upstream_part() {
        assert_eq!(upstream("2.7.2-6"), "2.7.2");
        assert_eq!(upstream("1:2.7.2-6+b1"), "2.7.2");
        assert_eq!(upstream("2.7.2"), "2.7.2");
        assert!(check_version(Some("2.7.2-6")).is_ok());
        assert!(check_version(Some("2.7.3-1"))
            .unwrap_err()
            .contains("2.7.3-1"));
        assert!(check_version(None).is_err());
    }
}
