//! The optimisers' shared update rule (`ferrograd_scalar::nn::update`)
//! against libtorch's own `torch::optim` on the same parameters and the same
//! gradients, step by step.

use ferrograd_scalar::nn::update::{AdamRule, SgdRule};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::{COptimizer, Kind, Tensor};

const N: usize = 37; // vector lanes and a scalar tail in ATen's kernels
const STEPS: usize = 30;

/// Steps libtorch's optimiser `opt` over the gradient sequence `grads`,
/// and returns the parameters after each step.
fn libtorch(mut opt: COptimizer, p0: &[f64], grads: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = Tensor::from_slice(p0).set_requires_grad(true);
    opt.add_parameters(&p, 0).unwrap();
    let mut out = Vec::new();
    for g in grads {
        opt.zero_grad().unwrap();
        // d(sum(p * g))/dp is g exactly.
        (&p * Tensor::from_slice(g)).sum(Kind::Double).backward();
        opt.step().unwrap();
        out.push(Vec::<f64>::try_from(&p.detach()).unwrap());
    }
    out
}

fn problem() -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let p0 = (0..N).map(|_| rng.random_range(-2.0..2.0)).collect();
    let grads = (0..STEPS)
        .map(|_| (0..N).map(|_| rng.random_range(-3.0..3.0)).collect())
        .collect();
    (p0, grads)
}

/// Largest difference, relative to the largest parameter.
fn worst(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs() / scale))
}

#[test]
fn adam_rule_follows_libtorch() {
    let (p0, grads) = problem();
    let (lr, wd) = (0.05, 0.01);
    let theirs = libtorch(
        COptimizer::adam(lr, 0.9, 0.999, wd, 1e-8, false).unwrap(),
        &p0,
        &grads,
    );
    let rule = AdamRule {
        weight_decay: wd,
        ..AdamRule::new(lr)
    };
    let (mut p, mut m, mut v) = (p0.clone(), vec![0.0; N], vec![0.0; N]);
    for (t, (g, want)) in grads.iter().zip(&theirs).enumerate() {
        rule.at::<f64>(t as u64 + 1)
            .apply(&mut p, g, &mut m, &mut v);
        let w = worst(&p, want);
        assert!(w <= 1e-15, "Adam step {}: off by {w:e}", t + 1);
    }
}

#[test]
fn sgd_rule_follows_libtorch() {
    let (p0, grads) = problem();
    let (lr, mu, wd) = (0.1, 0.9, 0.01);
    let theirs = libtorch(
        COptimizer::sgd(lr, mu, 0.0, wd, false).unwrap(),
        &p0,
        &grads,
    );
    let rule = SgdRule {
        lr,
        momentum: mu,
        weight_decay: wd,
    };
    let (mut p, mut buf) = (p0.clone(), vec![0.0; N]);
    for (t, (g, want)) in grads.iter().zip(&theirs).enumerate() {
        rule.at::<f64>(t == 0).apply(&mut p, g, &mut buf);
        let w = worst(&p, want);
        assert!(w <= 1e-15, "SGD step {}: off by {w:e}", t + 1);
    }
}
