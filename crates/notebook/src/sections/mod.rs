//! The seed notebook's sections, in order. Each file holds consecutive
//! sections whose cells share variables (as a notebook's cells do).

mod manual;
mod neuron;
mod torch;

use std::path::Path;

use crate::{Notebook, Res};

/// What Jupyter runs before the first cell: evcxr loads ferrograd from the
/// checkout (the notebook lives in `notebooks/`).
pub const SETUP: &str = ":dep ferrograd = { path = \"..\" }";

/// Runs every section and returns the notebook. `torch_json` holds the
/// oracle's numbers for the PyTorch cell (written by `cargo xtask parity`);
/// when it is missing the cell says how to fill it.
pub fn build(torch_json: &Path) -> Res<Notebook> {
    let mut nb = Notebook::new(
        "ferrograd: the micrograd notebook, in Rust",
        "Every cell of the seed notebook, run by ferrograd's scalar engine (f64). The code shown \
         is the code that ran; each picture is drawn by ferrograd::viz::draw_dot in pure Rust, \
         at the point where the notebook calls draw_dot.",
    );
    nb.setup = SETUP.to_string();
    manual::run(&mut nb)?;
    neuron::run(&mut nb)?;
    torch::run(&mut nb, torch_json)?;
    Ok(nb)
}
