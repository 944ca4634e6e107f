//! Replaying a recorded graph gives the numbers a rebuilt graph gives.

use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, Mlp, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Rebuild,
    Recompute,
    Plan,
}

fn train(mode: Mode) -> Vec<f64> {
    let moons = make_moons(40, 0.1, 3).unwrap();
    let y = moons.labels_pm1();
    let model = Mlp::<f64>::with_activation(
        2,
        &[8, 8, 1],
        Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(5),
    )
    .unwrap();
    let params = model.parameters();
    let mut sgd = Sgd::new(0.1).unwrap().with_momentum(0.9).unwrap();
    let recorded = svm_loss(&model, &moons.x, &y, 1e-4).unwrap().0;
    let plan = recorded.replay();
    (0..30)
        .map(|_| {
            let loss = match mode {
                Mode::Rebuild => svm_loss(&model, &moons.x, &y, 1e-4).unwrap().0,
                Mode::Recompute => {
                    recorded.recompute();
                    recorded.clone()
                }
                Mode::Plan => {
                    plan.recompute();
                    recorded.clone()
                }
            };
            sgd.zero_grad(&params);
            if mode == Mode::Plan {
                plan.backward();
            } else {
                loss.backward();
            }
            sgd.step(&params).unwrap();
            loss.data()
        })
        .collect()
}

#[test]
fn replay_and_rebuild_train_identically() {
    let rebuilt = train(Mode::Rebuild);
    assert_eq!(rebuilt, train(Mode::Recompute));
    assert_eq!(rebuilt, train(Mode::Plan));
    assert!(rebuilt[29] < rebuilt[0]);
}
