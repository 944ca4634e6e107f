//! `cargo xtask <command>`: ferrograd's tasks. This file only dispatches; each
//! command lives in its own module, and what several commands share lives in
//! a module named after it.
//!
//! Commands: [`ci`], [`libtorch`], [`parity`] (with [`mpmath`]), [`notebook`]
//! (with [`jupyter`]), [`bench`]. Shared: [`process`] (starting programs),
//! [`workspace`] (the invoking checkout and its outputs), [`shared_target`]
//! (the oracle's build folder every checkout shares), [`cache`] (where it and
//! the installs live), [`python`] (which Python runs), [`lock`] (Cargo.lock).

#![forbid(unsafe_code)]

mod bench;
mod cache;
mod ci;
mod jupyter;
mod libtorch;
mod lock;
mod mpmath;
mod notebook;
mod parity;
mod process;
mod python;
mod shared_target;
#[cfg(test)]
mod testing;
mod workspace;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "ferrograd's tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every check CI runs: format, lints, browser test, tests, parity.
    Ci,
    /// Find or install libtorch 2.13.0 (what tch 0.26 needs) and print where it is.
    Libtorch(libtorch::Args),
    /// Run every engine against libtorch and write target/parity/report.md.
    Parity(parity::Args),
    /// Run the seed notebook in Rust and write target/notebook/index.html.
    Notebook(notebook::Args),
    /// Benchmark against libtorch, PyTorch, micrograd and micrograd-rust; write target/bench/report.md.
    Bench(bench::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ci => ci::run(),
        Command::Libtorch(args) => libtorch::run(&args),
        Command::Parity(args) => parity::run(&args),
        Command::Notebook(args) => notebook::run(&args),
        Command::Bench(args) => bench::run(&args),
    }
}
