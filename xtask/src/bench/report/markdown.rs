//! `report.md`: the targets first, then versions, each workload's table with
//! its chart, the width sweep, the failures and how to regenerate it.

use std::fmt::Write as _;

use super::format::{cell, human_ratio, human_time, short_error};
use super::{
    Report, TargetCheck, Workload, BATCHED_MODELS, FERRO_BATCHED, FERRO_TENSOR, LIBTORCH, MIXED,
    PEAK_FRACTION_NEEDED, RUST_PEER_ROWS, TORCH_EAGER,
};

impl Report {
    /// The Markdown report; `charts` are `(chart key, file name)` pairs of
    /// the charts drawn beside it.
    pub fn markdown(&self, charts: &[(String, String)]) -> String {
        let mut s = String::new();
        self.write_intro(&mut s);
        self.write_targets(&mut s);
        self.write_versions(&mut s);
        self.write_scalar(&mut s, charts);
        self.write_batched(&mut s, charts);
        self.write_sweep(&mut s, charts);
        self.write_failures(&mut s);
        let _ = writeln!(
            s,
            "## Regenerating\n\n`cargo xtask bench --quick` (a few minutes) or `cargo xtask bench` \
             (full criterion runs and the whole sweep). Each task's output is in `target/bench/logs/`, \
             criterion's data in `target/bench/criterion/`."
        );
        s
    }

    /// Title, where and when, and how to read the numbers.
    fn write_intro(&self, s: &mut String) {
        let m = &self.machine;
        let _ = writeln!(s, "# ferrograd benchmarks\n");
        let cores = m
            .physical_cores
            .map(|c| format!(", {c} physical core(s)"))
            .unwrap_or_default();
        let load = match (m.load_at_start, m.load_at_end) {
            (Some(a), Some(b)) => format!(
                "; load average {a:.2} at the start, {b:.2} at the end (other work on the machine makes the numbers noisier, two-thread ones most)"
            ),
            (Some(a), None) => format!("; load average {a:.2} at the start"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "Measured {} with `{}` ({} mode, {:.0} s) on {}: {} logical CPU(s){cores}, Linux {}{load}.\n",
            self.date, self.command, self.mode, self.duration_s, m.cpu, m.logical_cpus, m.kernel
        );
        let _ = writeln!(
            s,
            "Every number is the median time of one training step (forward, backward, update). \
             **× ferrograd** is a system's time divided by ferrograd's on the same workload: \
             above 1, ferrograd is faster. Threads: the scalar engine, micrograd and micrograd-rust \
             use one; PyTorch runs with `torch.set_num_threads(n)`, libtorch with \
             `tch::set_num_threads(n)`, the batched engine with `MATMUL_NUM_THREADS=n`. \
             The scalar claims' two sides, PyTorch eager's moons step and ferrograd's scalar \
             benches, are each the fastest median of {} processes: their speed moves from one \
             process to the next on this machine, and a claim must hold against the peer's best.\n",
            crate::bench::plan::SCALAR_CLAIM_RUNS
        );
    }

    /// The claims' table, then why each one not met was missed.
    fn write_targets(&self, s: &mut String) {
        let _ = writeln!(s, "## Targets\n");
        let _ = writeln!(
            s,
            "| claim | ferrograd | peer | × ferrograd | needed | met |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
        let peak_claim = format!(
            "784-256-256-10 step's matrix products, f32, 1 thread: at least {:.0}% of one \
             core's FMA peak",
            100.0 * PEAK_FRACTION_NEEDED
        );
        let peak_met = self
            .matmul_peak
            .map(|p| p.fraction() >= PEAK_FRACTION_NEEDED);
        if let Some(p) = self.matmul_peak {
            table_row(
                s,
                &[
                    peak_claim.clone(),
                    format!("{:.1} GFLOP/s", p.step_gflops),
                    format!("{:.1} GFLOP/s (peak)", p.peak_gflops),
                    format!("{:.0}%", 100.0 * p.fraction()),
                    format!("{:.0}%", 100.0 * PEAK_FRACTION_NEEDED),
                    if peak_met == Some(true) {
                        "yes"
                    } else {
                        "**no**"
                    }
                    .into(),
                ],
            );
        }
        for t in &self.targets {
            let f = |v: Option<f64>| v.map_or("—".into(), human_time);
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            };
            table_row(
                s,
                &[
                    t.claim.clone(),
                    f(t.ours_ns),
                    f(t.theirs_ns),
                    t.ratio.map_or("—".into(), human_ratio),
                    human_ratio(t.needed),
                    met.into(),
                ],
            );
        }
        let missed: Vec<&TargetCheck> = self
            .targets
            .iter()
            .filter(|t| t.met != Some(true))
            .collect();
        let peak_missed = match (self.matmul_peak, peak_met) {
            (_, Some(true)) => None,
            (Some(p), _) => Some(format!(
                "{peak_claim}: **missed**: {:.0}% of the peak",
                100.0 * p.fraction()
            )),
            (None, _) => Some(format!("{peak_claim}: not measured")),
        };
        if missed.is_empty() && peak_missed.is_none() {
            let _ = writeln!(s, "\nEvery target was met in this run.\n");
            return;
        }
        let _ = writeln!(s, "\nMissed or not measured in this run:\n");
        for t in missed {
            let _ = writeln!(s, "- {}: {}.", t.claim, why_missed(t));
        }
        if let Some(line) = peak_missed {
            let _ = writeln!(s, "- {line}.");
        }
        let _ = writeln!(s);
    }

    /// The components' versions and the peers' state.
    fn write_versions(&self, s: &mut String) {
        let _ = writeln!(s, "## Versions\n");
        let _ = writeln!(s, "| component | version |");
        let _ = writeln!(s, "|---|---|");
        for (k, v) in &self.versions {
            table_row(s, &[k, v]);
        }
        let _ = writeln!(s, "\n| peer | version | state |");
        let _ = writeln!(s, "|---|---|---|");
        for p in &self.peers {
            let state = p.error.as_deref().map_or("ok".into(), short_error);
            table_row(s, &[&p.system, p.version.as_deref().unwrap_or("—"), &state]);
        }
        let _ = writeln!(s);
    }

    /// One table per scalar workload, the node throughputs under the moons one.
    fn write_scalar(&self, s: &mut String, charts: &[(String, String)]) {
        for w in self
            .workloads
            .iter()
            .filter(|w| w.key.starts_with("scalar/"))
        {
            let _ = writeln!(s, "## {}\n", w.title);
            let per = if w.key == MIXED { "graph" } else { "step" };
            let _ = writeln!(s, "| system | threads | median per {per} | × ferrograd |");
            let _ = writeln!(s, "|---|---:|---:|---:|");
            for r in &w.rows {
                let ratio = r.ratio.map_or("—".into(), human_ratio);
                table_row(
                    s,
                    &[&r.system, &r.threads.to_string(), &cell(r, false), &ratio],
                );
            }
            if w.key == "scalar/moons" {
                self.write_loss_checks(s);
                self.write_throughput(s);
            }
            if w.key == MIXED {
                self.write_graph_values(s, w);
            }
            chart_link(s, charts, &w.key);
        }
    }

    /// The peers whose first-step loss was checked against ferrograd's.
    fn write_loss_checks(&self, s: &mut String) {
        for c in &self.loss_checks {
            let _ = writeln!(
                s,
                "\n{} runs the hand-written step from the same moons points and initial \
                 parameters as ferrograd's: first-step loss {:.17} against ferrograd's {:.17} \
                 (relative difference {:.1e}; at most {:.0e} accepted).",
                c.system, c.theirs, c.ours, c.relative_difference, c.tolerance
            );
        }
    }

    /// The mixed graph's root value and gradient on the shift as each
    /// system computed them, beside ferrograd's: the same graph.
    fn write_graph_values(&self, s: &mut String, w: &Workload) {
        let Some(ours) = w.rows.first().and_then(|r| self.graph_values.get(&r.id)) else {
            return;
        };
        let _ = writeln!(
            s,
            "\nThe same graph on every side: its root and d root / d shift as each system computed them \
             (the relative difference from ferrograd's in brackets).\n"
        );
        let _ = writeln!(s, "| system | root | d root / d shift |");
        let _ = writeln!(s, "|---|---:|---:|");
        let rel =
            |theirs: f64, ours: f64| (theirs - ours).abs() / ours.abs().max(f64::MIN_POSITIVE);
        for (k, r) in w.rows.iter().enumerate() {
            let Some(v) = self.graph_values.get(&r.id) else {
                continue;
            };
            // The first row is ferrograd's: no difference to show.
            let (root, grad) = if k == 0 {
                (format!("{:.17}", v.root), format!("{:.17e}", v.grad_shift))
            } else {
                (
                    format!("{:.17} ({:.1e})", v.root, rel(v.root, ours.root)),
                    format!(
                        "{:.17e} ({:.1e})",
                        v.grad_shift,
                        rel(v.grad_shift, ours.grad_shift)
                    ),
                )
            };
            table_row(s, &[&r.system, &root, &grad]);
        }
    }

    /// The scalar engine's raw node throughputs, where measured.
    fn write_throughput(&self, s: &mut String) {
        if let Some(n) = self.scalar_nodes_per_s {
            let _ = writeln!(
                s,
                "\nRaw node throughput (build, backward and drop a 100,000-node chain): {:.1} million nodes/s.",
                n / 1e6
            );
        }
        if let Some(n) = self.scalar_mixed_nodes_per_s {
            let _ = writeln!(
                s,
                "\nMixed-graph throughput (100,000 nodes of add, mul, tanh, relu and powi with fan-in and fan-out: build, backward, reclaim): {:.1} million nodes/s.",
                n / 1e6
            );
        }
    }

    /// One table per batched model: a line per precision and thread count,
    /// a column per system (`—` where a system is not measured at that
    /// precision and thread count).
    fn write_batched(&self, s: &mut String, charts: &[(String, String)]) {
        let mut systems = vec![FERRO_BATCHED, FERRO_TENSOR, LIBTORCH, TORCH_EAGER];
        systems.extend(RUST_PEER_ROWS.iter().map(|p| p.0));
        for (model, title) in BATCHED_MODELS {
            let _ = writeln!(s, "## Batched engine: {title}\n");
            let _ = writeln!(s, "| precision | threads | {} |", systems.join(" | "));
            let _ = writeln!(s, "|---|---:|{}", "---:|".repeat(systems.len()));
            for w in self
                .workloads
                .iter()
                .filter(|w| w.key.starts_with(&format!("batched/{model}/")))
            {
                let parts: Vec<&str> = w.key.split('/').collect();
                let threads = parts
                    .get(3)
                    .and_then(|t| t.strip_prefix("threads="))
                    .unwrap_or("?");
                let mut cells = vec![parts.get(2).unwrap_or(&"?").to_string(), threads.into()];
                cells.extend(systems.iter().map(|&system| {
                    w.rows
                        .iter()
                        .find(|r| r.system == system)
                        .map_or_else(|| "—".to_string(), |r| cell(r, true))
                }));
                table_row(s, &cells);
            }
            if model == "mlp784" {
                self.write_peak(s);
            }
            chart_link(s, charts, &format!("batched/{model}"));
        }
    }

    /// The step's matrix products against the FMA peak, under its table.
    fn write_peak(&self, s: &mut String) {
        let Some(p) = self.matmul_peak else {
            let why = self
                .failures
                .get("matmul_peak")
                .map_or("not run", String::as_str);
            let _ = writeln!(
                s,
                "
Matrix products against the FMA peak: not measured ({why})."
            );
            return;
        };
        let _ = writeln!(
            s,
            "
The step's matrix products (batch 256, f32, one thread, matrixmultiply as both \
             engines call it) run at {:.1} GFLOP/s, {:.0}% of this core's FMA peak of {:.1} \
             GFLOP/s (12 independent FMA chains at the widest vector width), both measured \
             in this run (`cargo bench --bench matmul_peak -- table`).",
            p.step_gflops,
            100.0 * p.fraction(),
            p.peak_gflops
        );
    }

    /// The width sweep: one table per precision and batch size.
    fn write_sweep(&self, s: &mut String, charts: &[(String, String)]) {
        if self.sweep.is_empty() {
            return;
        }
        let _ = writeln!(
            s,
            "## Width sweep: w-w-w-10 ReLU MLP, cross-entropy, SGD\n\n\
             Inputs and both hidden layers have width w. Cells: time per step (libtorch's as × ferrograd).\n"
        );
        for (dtype, batch) in self.sweep_groups() {
            let lines: Vec<_> = self.sweep_lines(&dtype, batch).collect();
            let _ = writeln!(s, "### {dtype}, batch {batch}\n");
            let mut header = String::from("| width |");
            let mut rule = String::from("|---:|");
            for l in &lines {
                let _ = write!(header, " {}, {} thread(s) |", l.system, l.threads);
                rule.push_str("---:|");
            }
            let _ = writeln!(s, "{header}\n{rule}");
            let widths: Vec<usize> = lines
                .first()
                .map(|l| l.points.iter().map(|p| p.0).collect())
                .unwrap_or_default();
            for (i, w) in widths.iter().enumerate() {
                let mut line = format!("| {w} |");
                for (j, l) in lines.iter().enumerate() {
                    let ns = l.points.get(i).and_then(|p| p.1);
                    // Lines come in (ferrograd, libtorch) pairs per thread count.
                    let base = if j % 2 == 1 {
                        lines[j - 1].points.get(i).and_then(|p| p.1)
                    } else {
                        None
                    };
                    let text = match (ns, base) {
                        (Some(t), Some(b)) => format!("{} ({})", human_time(t), human_ratio(t / b)),
                        (Some(t), None) => human_time(t),
                        (None, _) => "—".into(),
                    };
                    let _ = write!(line, " {text} |");
                }
                let _ = writeln!(s, "{line}");
            }
            chart_link(s, charts, &format!("sweep/{dtype}/batch={batch}"));
        }
    }

    /// Every failed task with its error.
    fn write_failures(&self, s: &mut String) {
        if self.failures.is_empty() {
            return;
        }
        let _ = writeln!(s, "## Failures\n");
        for (task, e) in &self.failures {
            let _ = writeln!(
                s,
                "- `{task}`:\n\n  ```text\n  {}\n  ```",
                e.replace('\n', "\n  ")
            );
        }
        let _ = writeln!(s);
    }
}

/// Why a claim was not met, in words.
fn why_missed(t: &TargetCheck) -> String {
    match t.ratio {
        Some(r) if r < 1.0 => format!(
            "**missed**: the peer's time is {} ferrograd's where at least {} is needed, \
             so ferrograd's step takes {} as long as the peer's",
            human_ratio(r),
            human_ratio(t.needed),
            human_ratio(1.0 / r)
        ),
        Some(r) => format!(
            "**missed**: ferrograd is {} faster where {} is needed",
            human_ratio(r),
            human_ratio(t.needed)
        ),
        None => "**not measured**: a number is missing (see Failures)".into(),
    }
}

/// `| a | b | c |`: one line of a Markdown table.
fn table_row<S: AsRef<str>>(s: &mut String, cells: &[S]) {
    let cells: Vec<&str> = cells.iter().map(AsRef::as_ref).collect();
    let _ = writeln!(s, "| {} |", cells.join(" | "));
}

/// The chart of `key`, when one was drawn, then a blank line.
fn chart_link(s: &mut String, charts: &[(String, String)], key: &str) {
    if let Some((_, file)) = charts.iter().find(|(k, _)| k == key) {
        let _ = writeln!(s, "\n![{key}]({file})");
    }
    let _ = writeln!(s);
}

#[cfg(test)]
mod tests {
    use super::super::{targets, workloads, GraphValues, Grid, Results};
    use super::*;
    use crate::bench::machine::Machine;

    #[test]
    fn the_batched_tables_have_a_column_per_system_and_a_dash_where_unmeasured() {
        let mut r = Results::default();
        for (id, ns) in [
            ("moons/f32/threads=1", 20e3),
            ("moons/tensor/f32/threads=1", 25e3),
            ("candle/moons/f32/threads=1", 180e3),
            ("moons/f64/threads=1", 22e3),
            ("scalar_mixed_f64/build_backward_drop", 1.2e6),
            ("python/mixed_torch", 900e6),
        ] {
            r.medians.insert(id.into(), ns);
        }
        for (id, root, grad_shift) in [
            ("scalar_mixed_f64/build_backward_drop", 2.5, -0.125),
            ("python/mixed_torch", 2.5 * (1.0 + 4e-16), -0.125),
        ] {
            r.graph_values
                .insert(id.into(), GraphValues { root, grad_shift });
        }
        r.failures.insert(
            "peers/burn_flex".into(),
            "could not compile `burn-flex`".into(),
        );
        let grid = Grid::tiny(&[1]);
        let w = workloads(&r, &grid);
        let mut report = Report {
            date: "2026-11-26".into(),
            command: "cargo xtask bench --quick".into(),
            mode: "quick".into(),
            duration_s: 1.0,
            machine: Machine::detect(),
            versions: vec![],
            peers: vec![],
            targets: targets(&w),
            workloads: w,
            sweep: vec![],
            scalar_nodes_per_s: None,
            scalar_mixed_nodes_per_s: None,
            loss_checks: vec![crate::bench::report::LossCheck {
                system: "ADOL-C".into(),
                theirs: 0.8075450862416389,
                ours: 0.8075450862416389,
                relative_difference: 0.0,
                tolerance: 1e-12,
            }],
            matmul_peak: Some(crate::bench::report::MatmulPeak {
                peak_gflops: 120.0,
                step_gflops: 90.0,
            }),
            graph_values: r.graph_values.clone(),
            failures: r.failures.clone(),
        };
        let md = report.markdown(&[]);
        // 90 of 120 GFLOP/s is 75%: the row says so, and the claim is missed.
        assert!(md.contains("run at 90.0 GFLOP/s, 75% of this core's FMA peak of 120.0"));
        assert!(md.contains("| 90.0 GFLOP/s | 120.0 GFLOP/s (peak) | 75% | 80% | **no** |"));
        assert!(md.contains("FMA peak: **missed**: 75% of the peak."));
        report.matmul_peak = None;
        let unmeasured = report.markdown(&[]);
        assert!(
            unmeasured.contains("Matrix products against the FMA peak: not measured (not run).")
        );
        assert!(unmeasured.contains("FMA peak: not measured."));
        let table = md
            .split("## Batched engine: micrograd's moons model")
            .nth(1)
            .unwrap();
        let lines: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
        assert!(lines[0].contains(&format!(
            "| {FERRO_BATCHED} | {FERRO_TENSOR} | {LIBTORCH} |"
        )));
        assert!(lines[0].ends_with("| candle |"));
        let cells =
            |line: &str| -> Vec<String> { line.split('|').map(|c| c.trim().to_string()).collect() };
        let f32 = cells(lines[2]);
        assert_eq!(f32[1..3], ["f32", "1"]);
        assert_eq!(f32[3], "20.0 µs (1.00×)");
        assert_eq!(f32[4], "25.0 µs (1.25×)");
        assert!(f32[8].contains("could not compile"), "{}", f32[8]);
        assert_eq!(f32[9], "180 µs (9.00×)");
        // f64: no Rust peer measures it, so their cells are dashes.
        let f64 = cells(lines[3]);
        assert_eq!(f64[1], "f64");
        assert_eq!(f64[7..10], ["—", "—", "—"]);
        assert!(md.contains("Tensor-built MLP, moons, f32, 1 thread: faster than candle"));
        assert!(md.contains(
            "first-step loss 0.80754508624163890 against ferrograd's 0.80754508624163890 (relative difference 0.0e0"
        ));
        // The mixed graph: times per graph, and each side's values beside
        // ferrograd's (a system that printed none has no line).
        let mixed = md.split("## Scalar engine: a mixed graph").nth(1).unwrap();
        assert!(mixed.contains("| system | threads | median per graph | × ferrograd |"));
        assert!(mixed.contains("| PyTorch eager, 0-dim tensors (Python) | 1 | 900 ms | 750× |"));
        assert!(
            mixed.contains("| ferrograd scalar | 2.50000000000000000 | -1.25000000000000000e-1 |")
        );
        assert!(mixed.contains(
            "| PyTorch eager, 0-dim tensors (Python) | 2.50000000000000089 (3.6e-16) | -1.25000000000000000e-1 (0.0e0) |"
        ));
        assert!(!mixed.contains("| micrograd (Python), with a tanh added | 2."));
    }
}
