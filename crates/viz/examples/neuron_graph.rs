//! Draws the seed notebook's tanh neuron after `o.backward()` and writes it
//! to the given files: `.svg` as SVG, `.png` as PNG, `.dot` as DOT.
//!
//! `cargo run -p ferrograd-viz --example neuron_graph -- docs/graph.svg`
//! made the picture in the README.

#[path = "../tests/common/mod.rs"]
mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = common::neuron();
    o.backward();

    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        println!("{}", ferrograd_viz::to_dot(&o));
        return Ok(());
    }
    for path in paths {
        let bytes = if path.ends_with(".png") {
            ferrograd_viz::to_png(&o)?
        } else if path.ends_with(".dot") {
            ferrograd_viz::to_dot(&o).into_bytes()
        } else {
            ferrograd_viz::render_svg(&o)?.into_bytes()
        };
        ferrograd_viz::write_file(&path, bytes)?;
        println!("wrote {path}");
    }
    Ok(())
}
