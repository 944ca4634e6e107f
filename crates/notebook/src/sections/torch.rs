//! Section 11: the neuron in PyTorch (numbers from the libtorch oracle), in
//! ferrograd's scalar `Value` and batched `Tensor`, then micrograd's `Neuron`, `Layer` and `MLP`, and the MLP trained by hand.

use std::path::Path;

use ferrograd::data::notebook::{self as seed, OracleNeuron};
use ferrograd::nn::{Layer, Mlp, Neuron};
use ferrograd::tensor::Tensor;
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

/// Reads the oracle's results: `None` when the file does not exist.
fn read_torch(path: &Path) -> Option<Result<OracleNeuron, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("could not read {}: {e}", path.display()))),
    };
    Some(OracleNeuron::from_json(&text).map_err(|e| format!("{}: {e}", path.display())))
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
        Some(Ok(OracleNeuron { device, out })) => format!(
            "{:?}\n----\nx2 {:?}\nw2 {:?}\nx1 {:?}\nw1 {:?}\n(libtorch, {device})",
            out.o, out.grad.x2, out.grad.w2, out.grad.x1, out.grad.w1
        ),
    };
    nb.foreign("python", TORCH_CODE, torch);
    nb.text("ferrograd's numbers for the same cell:");
    cell!(nb, {
        let [x1, x2, w1, w2, b] = seed::NEURON.map(|label, x| Value::new(x).with_label(label)).to_array();
        let n = &x1 * &w1 + &x2 * &w2 + &b;
        let o = n.tanh();
        o.backward();
    } => (o.data(), x2.grad(), w2.grad(), x1.grad(), w1.grad()));
    nb.text(
        "The same cell with ferrograd's batched `Tensor`, PyTorch's form: one-element tensors \
         that require a gradient, the same arithmetic and `tanh`, `backward()` from the \
         one-element result.",
    );
    cell!(nb, {
        let [x1, x2, w1, w2, b] = seed::NEURON.map(|label, x| Tensor::param([x]).with_label(label)).to_array();
        let n = (&x1 * &w1 + &x2 * &w2 + &b).with_label("n");
        let o = n.tanh().with_label("o");
        o.backward()?;
        let grad = |t: &Tensor<f64>| t.grad().map_or(0.0, |g| g[0]); // x.grad.item()
    } => (o.item()?, grad(&x2), grad(&w2), grad(&x1), grad(&w1)));
    nb.caption("draw_dot(o): the tensor neuron, each record with its shape");
    cell!(nb, {} => draw_dot(&o)?);
    nb.text("`torch.Tensor([[1, 2, 3], [4, 5, 6]])` and its `shape`:");
    cell!(nb, {
        let t = Tensor::<f64>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    } => t.shape());

    nb.text(
        "micrograd's Neuron, Layer and MLP (tanh everywhere, weights uniform in [-1, 1]), from a \
         seeded generator so that every run shows the same numbers.",
    );
    cell!(nb, {
        let mut rng = ferrograd::rng(seed::SEED);
        let x = seed::X;
        let n = Neuron::new(x.len(), &mut rng)?;
    } => n.forward(&x)?);
    cell!(nb, {
        let layer = Layer::new(x.len(), 3, &mut rng)?;
    } => layer.forward(&x)?);
    cell!(nb, {
        let n = Mlp::new(x.len(), &seed::MLP_SIZES, &mut rng)?;
    } => n.forward_one(&x)?);
    nb.caption("draw_dot(n(x)): the whole MLP");
    cell!(nb, {} => draw_dot(&n.forward_one(&x)?)?);
    cell!(nb, {
        let xs = seed::XS;
        let ys = seed::YS; // desired targets
        let y_pred: Vec<Value<f64>> = xs.iter().map(|x| n.forward_one(x)).collect::<Result<_, _>>()?;
    } => y_pred);
    cell!(nb, {
        let loss: Value<f64> = ys.iter().zip(&y_pred).map(|(ygt, yout)| (yout - ygt).powi(2)).sum();
    } => loss);
    nb.text(format!(
        "Training: {} steps of gradient descent (learning rate {}): forward, zero the grads, \
         backward, step.",
        seed::STEPS,
        seed::LEARNING_RATE
    ));
    cell!(nb, {
        let params = n.parameters();
        let mut losses = Vec::new();
        for _ in 0..seed::STEPS {
            let y_pred: Vec<Value<f64>> = xs.iter().map(|x| n.forward_one(x)).collect::<Result<_, _>>()?;
            let loss: Value<f64> = ys.iter().zip(&y_pred).map(|(ygt, yout)| (yout - ygt).powi(2)).sum();
            n.zero_grad();
            loss.backward();
            for p in &params {
                p.set_data(p.data() - seed::LEARNING_RATE * p.grad());
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
