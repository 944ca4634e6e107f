//! Running the plan under one progress bar: each task's output into its
//! log, its medians (and a peer's loss check) into the results, its failure
//! (and the failure of the benches its failed build blocks) into the failures.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::Result;
use indicatif::ProgressBar;

use super::plan::{depends_on, Output, Task};
use super::report::{GraphValues, MatmulPeak, Results};
use super::{adolc, criterion};
use crate::process::{self, Tee};

/// Runs every task in order, then reads criterion's medians.
pub fn run_all(tasks: Vec<Task>, crit: &Path, logs: &Path) -> Result<Results> {
    let mut results = Results::default();
    let pb = process::styled(
        ProgressBar::new(tasks.len() as u64),
        "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} {prefix:.bold}: {wide_msg}",
        Some(Duration::from_millis(150)),
    );
    let mut failed_builds: Vec<(String, String)> = Vec::new();
    // A criterion task of several runs: each id's fastest median so far
    // (each run overwrites the last one's files).
    let mut criterion_best: BTreeMap<String, f64> = BTreeMap::new();
    for Task {
        key,
        cmd,
        output,
        runs,
    } in tasks
    {
        pb.set_prefix(key.clone());
        pb.set_message("starting");
        // A criterion task after its failed build cannot run either.
        let blocked = failed_builds
            .iter()
            .find(|(build, _)| matches!(output, Output::Criterion) && depends_on(&key, build));
        let outcome = match (cmd, blocked) {
            (Err(e), _) => Err(e),
            (Ok(_), Some((build, e))) => Err(format!("`{build}` failed: {e}")),
            (Ok(mut cmd), None) => {
                let repeated_criterion = runs > 1 && matches!(output, Output::Criterion);
                run_each(&mut cmd, runs, &logs.join(log_name(&key)), &pb, || {
                    if repeated_criterion {
                        let medians = criterion::medians(crit).map_err(|e| format!("{e:#}"))?;
                        keep_fastest(&mut criterion_best, medians);
                    }
                    Ok(())
                })
            }
        };
        if let Ok(stdout) = &outcome {
            results.graph_values.extend(GraphValues::parse(stdout));
        }
        match (outcome, &output) {
            (Ok(stdout), Output::JsonLines(default_id)) => {
                let found = json_medians(&stdout, default_id.as_deref());
                if found.is_empty() {
                    results
                        .failures
                        .insert(key.clone(), "printed no JSON result line".into());
                }
                keep_fastest(&mut results.medians, found);
            }
            (Ok(stdout), Output::CheckedLoss { id, fixture }) => {
                match adolc::outcome(&stdout, fixture) {
                    Ok((ns, check)) => {
                        results.medians.insert(id.clone(), ns);
                        results.loss_checks.insert(id.clone(), check);
                    }
                    Err(e) => {
                        results.failures.insert(key.clone(), e);
                    }
                }
            }
            (Ok(stdout), Output::Peak) => match MatmulPeak::parse(&stdout) {
                Ok(p) => results.matmul_peak = Some(p),
                Err(e) => {
                    results.failures.insert(key.clone(), e);
                }
            },
            (Ok(_), _) => {}
            (Err(e), output) => {
                if matches!(output, Output::Build) {
                    failed_builds.push((key.clone(), e.clone()));
                }
                results.failures.insert(key, e);
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut medians = criterion::medians(crit)?;
    keep_fastest(&mut medians, criterion_best);
    results.medians.extend(medians);
    Ok(results)
}

/// Adds `found` to `best`, keeping each id's smaller time.
fn keep_fastest(best: &mut BTreeMap<String, f64>, found: impl IntoIterator<Item = (String, f64)>) {
    for (id, ns) in found {
        let t = best.entry(id).or_insert(ns);
        *t = t.min(ns);
    }
}

/// A task's log file name.
fn log_name(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{safe}.log")
}

/// Runs `cmd` `runs` times, the `k`-th run's output into `log` with `.k`
/// before the extension from the second on, calling `after_each` after
/// each run; returns their stdouts one after the other (each id's fastest
/// median is kept), or the first error.
fn run_each(
    cmd: &mut Command,
    runs: usize,
    log: &Path,
    pb: &ProgressBar,
    mut after_each: impl FnMut() -> Result<(), String>,
) -> Result<String, String> {
    let mut stdout = String::new();
    for k in 1..=runs.max(1) {
        let log = if k == 1 {
            log.to_path_buf()
        } else {
            log.with_extension(format!("{k}.log"))
        };
        stdout += &run_logged(cmd, &log, pb)?;
        after_each()?;
    }
    Ok(stdout)
}

/// Runs `cmd` with its output going to `log` (and the newest line to the
/// progress bar); returns its stdout, or an error with its last lines.
fn run_logged(cmd: &mut Command, log: &Path, pb: &ProgressBar) -> Result<String, String> {
    let mut file = fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let _ = writeln!(file, "$ {cmd:?}");
    let teed = process::tee(
        cmd,
        Tee {
            bar: pb,
            show: |line| {
                line.starts_with("Benchmarking")
                    || line.starts_with("Compiling")
                    || line.starts_with("Running")
            },
            log: Some(file),
        },
    )
    .map_err(|e| format!("could not start {:?}: {e}", cmd.get_program()))?;
    if teed.status.success() {
        return Ok(teed.stdout());
    }
    Err(failure(teed.status, &teed.trimmed(), log))
}

/// A failed task's error: its status, its log, and the last of its twelve
/// last lines that are not progress.
fn failure(status: ExitStatus, lines: &[&str], log: &Path) -> String {
    let useful: Vec<&str> = lines[lines.len().saturating_sub(12)..]
        .iter()
        .copied()
        .filter(|l| !l.starts_with("Benchmarking") && !l.starts_with("Compiling"))
        .collect();
    let last = useful[useful.len().saturating_sub(6)..].join("\n");
    format!("exited with {status} (log: {}):\n{last}", log.display())
}

/// `{"id"?: ..., "median_ms": ...}` lines -> id -> ns.
fn json_medians(stdout: &str, default_id: Option<&str>) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .filter_map(|v| {
            let ms = v.get("median_ms")?.as_f64()?;
            let id = v
                .get("id")
                .and_then(|i| i.as_str())
                .map(str::to_string)
                .or_else(|| default_id.map(str::to_string))?;
            Some((id, ms * 1e6))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sh -c script`: a stand-in for a bench or a peer.
    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn json_lines_give_medians_by_id_or_default() {
        let out = "torch 2.13.0\n{\"id\": \"pytorch/moons/f32/threads=1\", \"median_ms\": 0.25}\n{\"system\": \"micrograd\", \"median_ms\": 2000}\nnot json\n";
        let got = json_medians(out, Some("python/micrograd"));
        assert_eq!(
            got,
            vec![
                ("pytorch/moons/f32/threads=1".to_string(), 250_000.0),
                ("python/micrograd".to_string(), 2e9),
            ]
        );
        assert!(json_medians(out, None).len() == 1);
    }

    /// A task of three runs keeps each id's fastest median, whichever run
    /// gave it, and writes each run's log.
    #[test]
    fn a_repeated_task_keeps_each_ids_fastest_run() {
        let dir = crate::testing::temp("bench-repeated");
        let count = dir.join("count");
        // Run k prints 3, 1, 2 ms for `a` and 5, 6, 4 ms for `b`.
        let script = format!(
            "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; \
             a=$(echo 3 1 2 | cut -d' ' -f$n); b=$(echo 5 6 4 | cut -d' ' -f$n); \
             echo \"{{\\\"id\\\": \\\"a\\\", \\\"median_ms\\\": $a}}\"; \
             echo \"{{\\\"id\\\": \\\"b\\\", \\\"median_ms\\\": $b}}\"",
            c = count.display()
        );
        let task = Task {
            key: "python/repeated".into(),
            cmd: Ok(sh(&script)),
            output: Output::JsonLines(None),
            runs: 3,
        };
        let results = run_all(vec![task], &dir.join("no-criterion"), &dir).unwrap();
        assert_eq!(fs::read_to_string(&count).unwrap().trim(), "3");
        assert_eq!(results.medians.get("a"), Some(&1e6));
        assert_eq!(results.medians.get("b"), Some(&4e6));
        assert!(results.failures.is_empty(), "{:?}", results.failures);
        for log in [
            "python_repeated.log",
            "python_repeated.2.log",
            "python_repeated.3.log",
        ] {
            assert!(dir.join(log).is_file(), "{log}");
        }
    }

    /// A criterion task of three runs keeps each benchmark's fastest median,
    /// though each run overwrites criterion's files.
    #[test]
    fn a_repeated_criterion_task_keeps_each_benchmarks_fastest_run() {
        let dir = crate::testing::temp("bench-repeated-criterion");
        let crit = dir.join("criterion");
        let count = dir.join("count");
        let new = crit.join("g/f/new");
        // Run k writes a median of 3, 1, 2 us for `g/f`.
        let script = format!(
            "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; \
             m=$(echo 3000 1000 2000 | cut -d' ' -f$n); mkdir -p {new}; \
             echo '{{\"full_id\": \"g/f\"}}' > {new}/benchmark.json; \
             echo \"{{\\\"median\\\": {{\\\"point_estimate\\\": $m}}}}\" > {new}/estimates.json",
            c = count.display(),
            new = new.display()
        );
        let task = Task {
            key: "scalar".into(),
            cmd: Ok(sh(&script)),
            output: Output::Criterion,
            runs: 3,
        };
        let results = run_all(vec![task], &crit, &dir).unwrap();
        assert_eq!(fs::read_to_string(&count).unwrap().trim(), "3");
        // The files hold the last run's 2 us; the fastest run's 1 us is kept.
        assert_eq!(criterion::medians(&crit).unwrap()["g/f"], 2000.0);
        assert_eq!(results.medians.get("g/f"), Some(&1000.0));
        assert!(results.failures.is_empty(), "{:?}", results.failures);
    }

    #[test]
    fn a_checked_peer_gets_a_time_only_when_its_loss_is_ferrograds() {
        let dir = crate::testing::temp("bench-checked");
        let fixture = dir.join("moons_fixture.txt");
        fs::write(&fixture, "# fixture\nloss 0.8075450862416389\n").unwrap();
        let checked = |key: &str, id: &str, script: &str| Task {
            runs: 1,
            key: key.into(),
            cmd: Ok(sh(script)),
            output: Output::CheckedLoss {
                id: id.into(),
                fixture: fixture.clone(),
            },
        };
        let tasks = vec![
            checked(
                "same",
                "cpp/same",
                "echo '{\"median_ms\": 2.5, \"first_loss\": 0.8075450862416389}'",
            ),
            checked(
                "other",
                "cpp/other",
                "echo '{\"median_ms\": 2.5, \"first_loss\": 0.9}'",
            ),
            checked(
                "nan",
                "cpp/nan",
                "echo '{\"median_ms\": nan, \"first_loss\": nan}'",
            ),
            checked("silent", "cpp/silent", "true"),
        ];
        let results = run_all(tasks, &dir.join("no-criterion"), &dir).unwrap();
        assert_eq!(results.medians.get("cpp/same"), Some(&2.5e6));
        assert_eq!(results.loss_checks["cpp/same"].relative_difference, 0.0);
        assert_eq!(results.medians.len(), 1);
        assert_eq!(results.loss_checks.len(), 1);
        assert!(results.failures["other"].contains("not the same computation"));
        assert!(results.failures["nan"].contains("no result line"));
        assert!(results.failures["silent"].contains("no result line"));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn log_names_are_plain_file_names() {
        assert_eq!(
            log_name("python/batched/threads=1"),
            "python_batched_threads_1.log"
        );
    }

    #[test]
    fn a_failure_shows_the_last_lines_that_are_not_progress() {
        let dir = crate::testing::temp("bench-measure");
        let log = dir.join("run.log");
        let out = run_logged(
            &mut sh("for i in 1 2 3 4 5 6 7 8; do echo line $i; done; echo Compiling x; echo Benchmarking y; echo error: it broke; exit 2"),
            &log,
            &ProgressBar::hidden(),
        )
        .unwrap_err();
        assert!(
            out.starts_with("exited with exit status: 2 (log: "),
            "{out}"
        );
        let last: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(last.len(), 6, "{out}");
        assert_eq!(last[5], "error: it broke");
        assert!(
            !out.contains("Compiling") && !out.contains("Benchmarking"),
            "{out}"
        );
        let logged = fs::read_to_string(&log).unwrap();
        assert!(
            logged.starts_with("$ ") && logged.contains("line 8"),
            "{logged}"
        );
        let ok = run_logged(
            &mut sh("echo '{\"median_ms\": 1}'; echo noise >&2"),
            &log,
            &ProgressBar::hidden(),
        )
        .unwrap();
        assert_eq!(ok, "{\"median_ms\": 1}\n");
        let _ = fs::remove_dir_all(&dir);
    }
}
