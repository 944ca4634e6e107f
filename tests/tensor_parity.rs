//! The batched engine and the scalar engine follow the same training path:
//! micrograd's moons demo, same data, same initial weights (same seed), same
//! loss and schedule, compared parameter by parameter after every step.

use ferrograd::data::make_moons;
use ferrograd::nn::{l2, max_margin, Activation, Mlp, Sgd};
use ferrograd::tensor::ndarray::Array2;
use ferrograd::tensor::{self, LrSchedule, Target};
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn moons_training_trajectories_agree() {
    let moons = make_moons(100, 0.1, 1).unwrap();
    let labels = moons.labels_pm1();
    let x = Array2::from_shape_fn((moons.len(), 2), |(i, j)| moons.x[i][j]);
    let y = Array2::from_shape_vec((moons.len(), 1), labels.clone()).unwrap();

    let scalar = Mlp::<f64>::with_activation(
        2,
        &[16, 16, 1],
        Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(1337),
    )
    .unwrap();
    let mut batched = tensor::Mlp::<f64>::with_activation(
        2,
        &[16, 16, 1],
        tensor::Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(1337),
    )
    .unwrap();
    let params = scalar.parameters();
    let steps = 20;
    let mut sgd = Sgd::new(1.0).unwrap();
    let schedule = LrSchedule::LinearDecay {
        start: 1.0,
        drop: 0.9,
        steps: 100,
    };
    let mut tsgd = tensor::Sgd::new(schedule).unwrap();

    for k in 0..steps {
        let scores: Vec<Value<f64>> = moons
            .x
            .iter()
            .map(|p| scalar.forward(p).unwrap().remove(0))
            .collect();
        let total = max_margin(&scores, &labels).unwrap() + l2(&params, 1e-4);
        sgd.zero_grad(&params);
        total.backward();
        sgd.set_lr(schedule.lr(k)).unwrap();
        sgd.step(&params).unwrap();

        let stats = batched
            .train_step(
                x.view(),
                Target::Values(y.view()),
                tensor::Loss::Hinge,
                1e-4,
                &mut tsgd,
            )
            .unwrap();
        let rel = (stats.loss - total.data()).abs() / total.data().abs();
        assert!(
            rel < 1e-12,
            "step {k}: loss {} vs {}",
            stats.loss,
            total.data()
        );
        for (i, (a, p)) in batched.parameters().iter().zip(&params).enumerate() {
            let b = p.data();
            assert!(
                (a - b).abs() <= 1e-10 * a.abs().max(b.abs()).max(1.0),
                "step {k} parameter {i}: {a} vs {b}"
            );
        }
    }
}
