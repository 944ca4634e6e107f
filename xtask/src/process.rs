//! Starting programs, the one place xtask does it: `cargo` with the invoking
//! toolchain, a command echoed and run in the terminal ([`run`]), and a
//! command whose two pipes are teed into a progress bar and a log while it
//! runs ([`tee`]: pip under a spinner, every task of `cargo xtask bench`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::workspace;

/// A `cargo` command run from the workspace root with the same toolchain.
pub fn cargo() -> Command {
    cargo_in(&workspace::root())
}

/// A `cargo` command run from `dir` with the same toolchain (`$CARGO`, which
/// `cargo run` sets, else the `cargo` on `PATH`).
pub fn cargo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir);
    cmd
}

/// Runs `cmd`, echoing it first; fails with its exit status.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", describe(cmd));
    }
    Ok(())
}

/// The command line of `cmd`, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// `bar` drawn with `template`, redrawn every `tick` when given (a spinner
/// keeps turning while the command prints nothing).
pub fn styled(bar: ProgressBar, template: &str, tick: Option<Duration>) -> ProgressBar {
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    if let Some(every) = tick {
        bar.enable_steady_tick(every);
    }
    bar
}

/// A spinner drawn with `template`, turning while a command prints nothing.
pub fn spinner(template: &str) -> ProgressBar {
    styled(
        ProgressBar::new_spinner(),
        template,
        Some(Duration::from_millis(120)),
    )
}

/// [`tee`] under `bar` alone, with no log; the bar is cleared when the
/// command has exited (or failed to start).
pub fn under(bar: &ProgressBar, show: fn(&str) -> bool, cmd: &mut Command) -> io::Result<Teed> {
    let teed = tee(
        cmd,
        Tee {
            bar,
            show,
            log: None,
        },
    );
    bar.finish_and_clear();
    teed
}

/// The pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipe {
    /// The child's standard output.
    Stdout,
    /// The child's standard error.
    Stderr,
}

/// Where a teed command's lines go while it runs.
pub struct Tee<'a> {
    /// Shows the newest line that `show` accepts as its message.
    pub bar: &'a ProgressBar,
    /// Which lines (trimmed, never empty) are worth showing on the bar.
    pub show: fn(&str) -> bool,
    /// Gets every line, as printed, the moment it arrives (so a killed run
    /// still leaves its log).
    pub log: Option<File>,
}

/// How a teed command ended and everything it printed.
#[derive(Debug)]
pub struct Teed {
    /// Its exit status.
    pub status: ExitStatus,
    /// Every line of both pipes as printed, in the order they arrived.
    pub lines: Vec<(Pipe, String)>,
}

impl Teed {
    /// Its standard output, each line ending in `\n`.
    pub fn stdout(&self) -> String {
        self.lines
            .iter()
            .filter(|(pipe, _)| *pipe == Pipe::Stdout)
            .fold(String::new(), |mut s, (_, line)| {
                s.push_str(line);
                s.push('\n');
                s
            })
    }

    /// The lines of both pipes with their blanks trimmed, empty ones left out.
    pub fn trimmed(&self) -> Vec<&str> {
        self.lines
            .iter()
            .map(|(_, line)| line.trim())
            .filter(|line| !line.is_empty())
            .collect()
    }
}

/// Runs `cmd` with both pipes read line by line into `to` until it exits.
/// The error is the one of starting (or waiting for) the child.
pub fn tee(cmd: &mut Command, to: Tee) -> io::Result<Teed> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let log = Arc::new(Mutex::new(to.log));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let streams: [(Option<Box<dyn Read + Send>>, Pipe); 2] = [
        (child.stdout.take().map(|s| Box::new(s) as _), Pipe::Stdout),
        (child.stderr.take().map(|s| Box::new(s) as _), Pipe::Stderr),
    ];
    let mut readers = Vec::new();
    for (stream, pipe) in streams {
        let Some(stream) = stream else { continue };
        let (log, lines, bar, show) = (
            Arc::clone(&log),
            Arc::clone(&lines),
            to.bar.clone(),
            to.show,
        );
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut log) = log.lock() {
                    if let Some(file) = log.as_mut() {
                        let _ = writeln!(file, "{line}");
                    }
                }
                let shown = line.trim();
                if !shown.is_empty() && show(shown) {
                    bar.set_message(shown.to_string());
                }
                if let Ok(mut all) = lines.lock() {
                    all.push((pipe, line));
                }
            }
        }));
    }
    let status = child.wait()?;
    for r in readers {
        let _ = r.join();
    }
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    Ok(Teed { status, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_pipes_reach_the_log_the_bar_and_the_result() {
        let bar = ProgressBar::hidden();
        let dir = crate::testing::temp("tee");
        let log_path = dir.join("tee.log");
        let teed = tee(
            Command::new("sh").args(["-c", "echo ' out 1 '; echo err >&2; echo; exit 3"]),
            Tee {
                bar: &bar,
                show: |line| line.starts_with("out"),
                log: Some(File::create(&log_path).unwrap()),
            },
        )
        .unwrap();
        assert_eq!(teed.status.code(), Some(3));
        assert_eq!(teed.stdout(), " out 1 \n\n");
        assert_eq!(teed.trimmed().len(), 2);
        assert!(teed.lines.contains(&(Pipe::Stderr, "err".to_string())));
        assert_eq!(bar.message(), "out 1");
        let log = std::fs::read_to_string(&log_path).unwrap();
        assert_eq!(log.lines().count(), 3, "{log}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_program_is_an_error_to_start() {
        let bar = ProgressBar::hidden();
        let e = tee(
            &mut Command::new("/nonexistent/ferrograd-no-such-program"),
            Tee {
                bar: &bar,
                show: |_| true,
                log: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
