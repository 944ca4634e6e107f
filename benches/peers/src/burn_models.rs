//! One training step of each model in burn, on the backend of the device it
//! is given, written as a burn user writes a small model by hand: tensors
//! that require a gradient, `backward()`, and the SGD update on the inner
//! (non-autodiff) tensors.

use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::{Model, Rng, ALPHA, MLP784, MOONS};

/// A ReLU MLP's weights (`nin x nout`) and biases (`1 x nout`).
struct Mlp {
    layers: Vec<(Tensor<2>, Tensor<2>)>,
}

impl Mlp {
    fn new(model: &Model, device: &Device) -> Self {
        let mut rng = Rng::new(0);
        let layers = model
            .sizes
            .windows(2)
            .map(|w| {
                let (nin, nout) = (w[0], w[1]);
                let weight = matrix(crate::weights(&mut rng, nin, nout), nin, nout, device);
                let bias = matrix(vec![0.0; nout], 1, nout, device);
                (weight.require_grad(), bias.require_grad())
            })
            .collect();
        Self { layers }
    }

    fn forward(&self, x: &Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut h = x.clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(w.clone()) + b.clone();
            if i < last {
                h = relu(h);
            }
        }
        h
    }

    /// Backward from `loss`, then `p -= lr * grad` for every parameter.
    fn sgd_step(&mut self, loss: Tensor<1>, lr: f64) {
        let grads = loss.backward();
        let update = |p: &Tensor<2>| {
            let g = p.grad(&grads).expect("every parameter is in the graph");
            Tensor::from_inner(p.clone().inner() - g.mul_scalar(lr)).require_grad()
        };
        for (w, b) in &mut self.layers {
            *w = update(w);
            *b = update(b);
        }
    }

    fn l2(&self) -> Tensor<1> {
        self.layers
            .iter()
            .flat_map(|(w, b)| {
                [
                    w.clone().powi_scalar(2).sum(),
                    b.clone().powi_scalar(2).sum(),
                ]
            })
            .reduce(|a, b| a + b)
            .expect("at least one layer")
    }
}

fn matrix(data: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// The moons step on `device` (an autodiff device): hinge loss + L2, SGD.
/// Returns the loss.
pub fn moons_step(device: Device) -> impl FnMut() -> f32 {
    let (x, y) = crate::moons_data();
    let x = matrix(x, MOONS.batch, 2, &device);
    let y = matrix(y, MOONS.batch, 1, &device);
    let mut mlp = Mlp::new(&MOONS, &device);
    move || {
        let scores = mlp.forward(&x);
        let hinge = relu((y.clone() * scores).neg().add_scalar(1.0)).mean();
        let loss = hinge + mlp.l2().mul_scalar(ALPHA);
        let value = loss.clone().into_scalar::<f32>();
        mlp.sgd_step(loss, MOONS.lr);
        value
    }
}

/// The classifier's step on `device` (an autodiff device): softmax
/// cross-entropy, SGD. Returns the loss.
pub fn mlp784_step(device: Device) -> impl FnMut() -> f32 {
    let (x, classes) = crate::mlp784_data();
    let x = matrix(x, MLP784.batch, MLP784.sizes[0], &device);
    let classes: Vec<i64> = classes.into_iter().map(i64::from).collect();
    let classes = Tensor::<2, Int>::from_data(TensorData::new(classes, [MLP784.batch, 1]), &device);
    let mut mlp = Mlp::new(&MLP784, &device);
    move || {
        let logits = mlp.forward(&x);
        let picked = log_softmax(logits, 1).gather(1, classes.clone());
        let loss = picked.mean().neg();
        let value = loss.clone().into_scalar::<f32>();
        mlp.sgd_step(loss, MLP784.lr);
        value
    }
}
