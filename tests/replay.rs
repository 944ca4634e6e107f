//! Replaying a recorded graph gives the numbers a rebuilt graph gives.

use ferrograd::data::make_moons;
use ferrograd::nn::{svm_loss, Activation, Mlp, Sgd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn train(replay: bool) -> Vec<f64> {
    let moons = make_moons(40, 0.1, 3).unwrap();
    let y = moons.labels_pm1();
    let model = Mlp::<f64>::with_activation(2, &[8, 8, 1], Activation::Relu, &mut ChaCha8Rng::seed_from_u64(5)).unwrap();
    let params = model.parameters();
    let mut sgd = Sgd::new(0.1).unwrap().with_momentum(0.9).unwrap();
    let recorded = svm_loss(&model, &moons.x, &y, 1e-4).unwrap().0;
    (0..30)
        .map(|_| {
            let loss = if replay {
                recorded.recompute();
                recorded.clone()
            } else {
                svm_loss(&model, &moons.x, &y, 1e-4).unwrap().0
            };
            sgd.zero_grad(&params);
            loss.backward();
            sgd.step(&params).unwrap();
            loss.data()
        })
        .collect()
}

#[test]
fn replay_and_rebuild_train_identically() {
    let rebuilt = train(false);
    let replayed = train(true);
    assert_eq!(rebuilt, replayed);
    assert!(rebuilt[29] < rebuilt[0]);
}
