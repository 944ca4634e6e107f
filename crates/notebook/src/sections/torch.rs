//! Section 11: the neuron in PyTorch (numbers from the libtorch oracle), then
//! micrograd's `Neuron`, `Layer` and `MLP`, and the MLP trained by hand.

use std::path::Path;

use ferrograd::nn::{Layer, Mlp, Neuron};
use ferrograd::viz::{draw_dot, Plot};
use ferrograd::{no_grad, Value};

use crate::{cell, Notebook, Res};

const SRC: &str = include_str!("torch.rs");

/// The seed's PyTorch cell, as the oracle runs it.
const TORCH_CODE: &str = "\
x1 = torch.Tensor([2.0]).double()           ; x1.requires_grad = True
x2 = torch.Tensor([0.0]).double()           ; x2.requires_grad = True
w1 = torch.Tensor([-3.0]).double()          ; w1.requires_grad = True
w2 = torch.Tensor([1.0]).double()           ; w2.requires_grad = True
b  = torch.Tensor([6.8813735870195432]).double() ; b.requires_grad = True
n = x1*w1 + x2*w2 + b
o = torch.tanh(n)
print(o.data.item())
o.backward()
print('----')
print('x2', x2.grad.item())
print('w2', w2.grad.item())
print('x1', x1.grad.item())
print('w1', w1.grad.item())";

/// The oracle's numbers for the notebook's PyTorch cell.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchCell {
    /// `o.data.item()`.
    pub o: f64,
    /// `x1.grad`.
    pub x1_grad: f64,
    /// `w1.grad`.
    pub w1_grad: f64,
    /// `x2.grad`.
    pub x2_grad: f64,
    /// `w2.grad`.
    pub w2_grad: f64,
    /// Where libtorch ran (`cpu`).
    pub device: String,
}

/// Reads `torch.json`: `None` when the file does not exist.
fn read_torch(path: &Path) -> Option<Result<TorchCell, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("could not read {}: {e}", path.display()))),
    };
    Some(
        parse_torch(&text)
            .map_err(|e| format!("{} is not the oracle's output: {e}", path.display())),
    )
}

/// Parses the oracle's `torch.json`.
pub fn parse_torch(text: &str) -> Result<TorchCell, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let num = |key: &str| {
        json[key]
            .as_f64()
            .ok_or_else(|| format!("no number \"{key}\""))
    };
    Ok(TorchCell {
        o: num("o")?,
        x1_grad: num("x1_grad")?,
        w1_grad: num("w1_grad")?,
        x2_grad: num("x2_grad")?,
        w2_grad: num("w2_grad")?,
        device: json["device"]
            .as_str()
            .ok_or("no string \"device\"")?
            .to_string(),
    })
}

pub(super) fn run(nb: &mut Notebook, torch_json: &Path) -> Res<()> {
    nb.section("Pytorch approach").text(
        "The same neuron in PyTorch (float64), run by the libtorch oracle of `cargo xtask parity`:",
    );
    let torch = match read_torch(torch_json) {
        None => format!(
            "skipped — run `cargo xtask parity` (it fetches libtorch) to fill this cell \
             (no oracle results at {})",
            torch_json.display()
        ),
        Some(Err(e)) => format!("skipped — {e}; run `cargo xtask parity` to write it again"),
        Some(Ok(t)) => format!(
            "{:?}\n----\nx2 {:?}\nw2 {:?}\nx1 {:?}\nw1 {:?}\n(libtorch, {})",
            t.o, t.x2_grad, t.w2_grad, t.x1_grad, t.w1_grad, t.device
        ),
    };
    nb.foreign("python", TORCH_CODE, torch);
    nb.text("ferrograd's numbers for the same cell:");
    cell!(nb, {
        let x1 = Value::new(2.0).with_label("x1");
        let x2 = Value::new(0.0).with_label("x2");
        let w1 = Value::new(-3.0).with_label("w1");
        let w2 = Value::new(1.0).with_label("w2");
        let b = Value::new(6.881_373_587_019_543).with_label("b");
        let n = &x1 * &w1 + &x2 * &w2 + &b;
        let o = n.tanh();
        o.backward();
    } => (o.data(), x2.grad(), w2.grad(), x1.grad(), w1.grad()));

    nb.text(
        "micrograd's Neuron, Layer and MLP (tanh everywhere, weights uniform in [-1, 1]), from a \
         seeded generator so that every run shows the same numbers.",
    );
    cell!(nb, {
        let mut rng = ferrograd::rng(1337);
        let x = [2.0, 3.0, -1.0];
        let n = Neuron::new(x.len(), &mut rng)?;
    } => n.forward(&x)?);
    cell!(nb, {
        let layer = Layer::new(x.len(), 3, &mut rng)?;
    } => layer.forward(&x)?);
    cell!(nb, {
        let n = Mlp::new(x.len(), &[4, 4, 1], &mut rng)?;
    } => n.forward_one(&x)?);
    nb.caption("draw_dot(n(x)): the whole MLP");
    cell!(nb, {} => draw_dot(&n.forward_one(&x)?)?);
    cell!(nb, {
        let xs = [
            [2.0, 3.0, -1.0],
            [3.0, -1.0, 0.5],
            [0.5, 1.0, 1.0],
            [1.0, 1.0, -1.0],
        ];
        let ys = [1.0, -1.0, -1.0, 1.0]; // desired targets
        let y_pred: Vec<Value<f64>> = xs.iter().map(|x| n.forward_one(x)).collect::<Result<_, _>>()?;
    } => y_pred);
    cell!(nb, {
        let loss: Value<f64> = ys.iter().zip(&y_pred).map(|(ygt, yout)| (yout - ygt).powi(2)).sum();
    } => loss);
    nb.text("Training: 20 steps of gradient descent (learning rate 0.05): forward, zero the grads, backward, step.");
    cell!(nb, {
        let params = n.parameters();
        let mut losses = Vec::new();
        for _ in 0..20 {
            let y_pred: Vec<Value<f64>> = xs.iter().map(|x| n.forward_one(x)).collect::<Result<_, _>>()?;
            let loss: Value<f64> = ys.iter().zip(&y_pred).map(|(ygt, yout)| (yout - ygt).powi(2)).sum();
            n.zero_grad();
            loss.backward();
            for p in &params {
                p.set_data(p.data() - 0.05 * p.grad());
            }
            losses.push(loss.data());
        }
    } => losses);
    nb.caption("the MLP's training loss");
    cell!(nb, {} => Plot::new("training loss: MLP 3-4-4-1, 20 steps of lr 0.05")
        .x_label("step")
        .y_label("sum of squared errors")
        .series("loss", losses.iter().enumerate().map(|(i, &l)| (i as f64, l)))
        .picture()?);
    nb.text(
        "Predictions after training (targets 1, -1, -1, 1), evaluated without recording a graph:",
    );
    cell!(nb, {
        let y_pred: Vec<f64> = no_grad(|| {
            xs.iter().map(|x| n.forward_one(x).map(|y| y.data())).collect::<Result<_, _>>()
        })?;
    } => y_pred);
    Ok(())
}
