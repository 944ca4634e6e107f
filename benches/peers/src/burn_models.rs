//! One training step of each model in burn, generic over the backend, written
//! as a burn user writes a small model by hand: tensors that require a
//! gradient, `backward()`, and the SGD update on the inner backend.

use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};

use crate::{Model, Rng, ALPHA, MLP784, MOONS};

/// A ReLU MLP's weights (`nin x nout`) and biases (`1 x nout`).
struct Mlp<B: AutodiffBackend> {
    layers: Vec<(Tensor<B, 2>, Tensor<B, 2>)>,
}

impl<B: AutodiffBackend> Mlp<B> {
    fn new(model: &Model, device: &B::Device) -> Self {
        let mut rng = Rng::new(0);
        let layers = model
            .sizes
            .windows(2)
            .map(|w| {
                let (nin, nout) = (w[0], w[1]);
                let weight = matrix(weights_of(&mut rng, nin, nout), nin, nout, device);
                let bias = matrix(vec![0.0; nout], 1, nout, device);
                (weight.require_grad(), bias.require_grad())
            })
            .collect();
        Self { layers }
    }

    fn forward(&self, x: &Tensor<B, 2>) -> Tensor<B, 2> {
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
    fn sgd_step(&mut self, loss: Tensor<B, 1>, lr: f64) {
        let grads = loss.backward();
        let update = |p: &Tensor<B, 2>| {
            let g = p.grad(&grads).expect("every parameter is in the graph");
            Tensor::from_inner(p.clone().inner() - g.mul_scalar(lr)).require_grad()
        };
        for (w, b) in &mut self.layers {
            *w = update(w);
            *b = update(b);
        }
    }

    fn l2(&self) -> Tensor<B, 1> {
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

fn weights_of(rng: &mut Rng, nin: usize, nout: usize) -> Vec<f32> {
    crate::weights(rng, nin, nout)
}

fn matrix<B: Backend>(
    data: Vec<f32>,
    rows: usize,
    cols: usize,
    device: &B::Device,
) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// The moons step: hinge loss + L2, SGD. Returns the loss.
pub fn moons_step<B: AutodiffBackend>(device: B::Device) -> impl FnMut() -> f32 {
    let (x, y) = crate::moons_data();
    let x = matrix::<B>(x, MOONS.batch, 2, &device);
    let y = matrix::<B>(y, MOONS.batch, 1, &device);
    let mut mlp = Mlp::<B>::new(&MOONS, &device);
    move || {
        let scores = mlp.forward(&x);
        let hinge = relu((y.clone() * scores).neg().add_scalar(1.0)).mean();
        let loss = hinge + mlp.l2().mul_scalar(ALPHA);
        let value = loss.clone().into_scalar();
        mlp.sgd_step(loss, MOONS.lr);
        num(value)
    }
}

/// The classifier's step: softmax cross-entropy, SGD. Returns the loss.
pub fn mlp784_step<B: AutodiffBackend>(device: B::Device) -> impl FnMut() -> f32 {
    let (x, classes) = crate::mlp784_data();
    let x = matrix::<B>(x, MLP784.batch, MLP784.sizes[0], &device);
    let classes: Vec<i64> = classes.into_iter().map(i64::from).collect();
    let classes =
        Tensor::<B, 2, Int>::from_data(TensorData::new(classes, [MLP784.batch, 1]), &device);
    let mut mlp = Mlp::<B>::new(&MLP784, &device);
    move || {
        let logits = mlp.forward(&x);
        let picked = log_softmax(logits, 1).gather(1, classes.clone());
        let loss = picked.mean().neg();
        let value = loss.clone().into_scalar();
        mlp.sgd_step(loss, MLP784.lr);
        num(value)
    }
}

fn num<E: burn::tensor::ElementConversion>(e: E) -> f32 {
    e.elem()
}
