//! `cargo xtask <command>`: ferrograd's tasks. This file only dispatches; each
//! command lives in its own module.

#![forbid(unsafe_code)]

mod bench;
mod ci;
mod jupyter;
mod libtorch;
mod mpmath;
mod notebook;
mod parity;
mod util;

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
