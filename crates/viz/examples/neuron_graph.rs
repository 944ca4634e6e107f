//! Draws the seed notebook's tanh neuron after `o.backward()` and writes it
//! to the given files: `.svg` as SVG, `.png` as PNG, `.dot` as DOT.
//!
//! `cargo run -p ferrograd-viz --example neuron_graph -- docs/graph.svg`
//! made the picture in the README.

use ferrograd_scalar::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let x1 = Value::new(2.0f64).with_label("x1");
    let x2 = Value::new(0.0f64).with_label("x2");
    let w1 = Value::new(-3.0f64).with_label("w1");
    let w2 = Value::new(1.0f64).with_label("w2");
    let b = Value::new(6.881_373_587_019_543_f64).with_label("b");
    let x1w1 = (&x1 * &w1).with_label("x1*w1");
    let x2w2 = (&x2 * &w2).with_label("x2*w2");
    let sum = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
    let n = (&sum + &b).with_label("n");
    let o = n.tanh().with_label("o");
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
