//! candle (candle-core + candle-nn) on the CPU: one training step of each
//! model, written as a candle user writes it (`candle_nn::linear` layers in a
//! `VarMap`, `candle_nn::SGD`). Its matrix product reads `RAYON_NUM_THREADS`.
//! See the crate docs for the models.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{loss, Optimizer, VarBuilder, VarMap, SGD};
use criterion::{criterion_group, criterion_main, Criterion};
use ferrograd_peers::{bench_id, Model, ALPHA, MLP784, MOONS};

/// A ReLU MLP of `candle_nn::Linear` layers, its variables in `vars`.
fn mlp(model: &Model, vars: &VarMap) -> Vec<candle_nn::Linear> {
    let vb = VarBuilder::from_varmap(vars, DType::F32, &Device::Cpu);
    model
        .sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| candle_nn::linear(w[0], w[1], vb.pp(i.to_string())).expect("new layer"))
        .collect()
}

fn forward(layers: &[candle_nn::Linear], x: &Tensor) -> candle_core::Result<Tensor> {
    let mut h = x.clone();
    for (i, layer) in layers.iter().enumerate() {
        h = layer.forward(&h)?;
        if i + 1 < layers.len() {
            h = h.relu()?;
        }
    }
    Ok(h)
}

/// The moons step: hinge loss + L2, SGD. Returns the loss.
fn moons_step() -> impl FnMut() -> f32 {
    let (x, y) = ferrograd_peers::moons_data();
    let x = Tensor::from_vec(x, (MOONS.batch, 2), &Device::Cpu).expect("shape fits");
    let y = Tensor::from_vec(y, (MOONS.batch, 1), &Device::Cpu).expect("shape fits");
    let vars = VarMap::new();
    let layers = mlp(&MOONS, &vars);
    let params = vars.all_vars();
    let mut opt = SGD::new(params.clone(), MOONS.lr).expect("valid SGD");
    move || {
        let mut step = || -> candle_core::Result<f32> {
            let scores = forward(&layers, &x)?;
            let hinge = (&y * &scores)?.affine(-1.0, 1.0)?.relu()?.mean_all()?;
            let mut l2 = Tensor::zeros((), DType::F32, &Device::Cpu)?;
            for p in &params {
                l2 = (l2 + p.as_tensor().sqr()?.sum_all()?)?;
            }
            let total = (hinge + (l2 * ALPHA)?)?;
            opt.backward_step(&total)?;
            total.to_scalar::<f32>()
        };
        step().expect("the step runs")
    }
}

/// The classifier's step: softmax cross-entropy, SGD. Returns the loss.
fn mlp784_step() -> impl FnMut() -> f32 {
    let (x, classes) = ferrograd_peers::mlp784_data();
    let x = Tensor::from_vec(x, (MLP784.batch, MLP784.sizes[0]), &Device::Cpu).expect("fits");
    let classes = Tensor::from_vec(classes, MLP784.batch, &Device::Cpu).expect("fits");
    let vars = VarMap::new();
    let layers = mlp(&MLP784, &vars);
    let mut opt = SGD::new(vars.all_vars(), MLP784.lr).expect("valid SGD");
    move || {
        let mut step = || -> candle_core::Result<f32> {
            let total = loss::cross_entropy(&forward(&layers, &x)?, &classes)?;
            opt.backward_step(&total)?;
            total.to_scalar::<f32>()
        };
        step().expect("the step runs")
    }
}

fn all(c: &mut Criterion) {
    let mut step = moons_step();
    c.bench_function(&bench_id("candle", &MOONS), |b| b.iter(&mut step));
    let mut step = mlp784_step();
    c.bench_function(&bench_id("candle", &MLP784), |b| b.iter(&mut step));
}

criterion_group!(benches, all);
criterion_main!(benches);
