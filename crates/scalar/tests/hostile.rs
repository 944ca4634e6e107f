//! Hostile but fair inputs to the nn module: each is a `Result` error in the
//! caller's terms, never a panic, an abort or a silently wrong update.

use ferrograd_scalar::nn::{
    max_margin, mse, sum_squared_error, Activation, Adam, Layer, LrSchedule, Mlp, Neuron, Sgd,
};
use ferrograd_scalar::{Error, Value};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(11)
}

#[test]
fn adam_refuses_an_empty_parameter_list_and_does_not_count_it() {
    let p = Value::new(1.0f64);
    let mut adam = Adam::new(0.1).unwrap();
    for _ in 0..3 {
        assert_eq!(adam.step(&[]).unwrap_err(), Error::NoParameters);
    }
    p.set_grad(2.0);
    adam.step(std::slice::from_ref(&p)).unwrap();
    // The first real step is Adam's first step: it moves by lr * g / (|g| + eps).
    let want = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8);
    assert!((p.data() - want).abs() < 1e-15, "{} vs {want}", p.data());
    assert!((p.data() - 0.9).abs() < 1e-8);
}

#[test]
fn sgd_refuses_an_empty_parameter_list() {
    let mut sgd = Sgd::new(0.1f64).unwrap().with_momentum(0.9).unwrap();
    assert_eq!(sgd.step(&[]).unwrap_err(), Error::NoParameters);
    // The refused step left no state behind: the momentum buffer starts at g.
    let p = Value::new(1.0f64);
    p.set_grad(1.0);
    sgd.step(std::slice::from_ref(&p)).unwrap();
    assert!((p.data() - 0.9).abs() < 1e-15);
    assert!(Error::NoParameters
        .to_string()
        .contains("empty parameter list"));
}

#[test]
fn set_lr_validates_like_new() {
    for bad in [f64::NAN, -0.5, f64::INFINITY, f64::NEG_INFINITY] {
        let mut sgd = Sgd::new(0.1f64).unwrap();
        let err = sgd.set_lr(bad).unwrap_err();
        assert_eq!(err, Sgd::new(bad).unwrap_err());
        assert!(matches!(err, Error::BadHyperParameter { name: "lr", .. }));
        assert_eq!(sgd.lr(), 0.1, "a refused rate leaves the old one");

        let mut adam = Adam::new(0.1f32).unwrap();
        let err = adam.set_lr(bad as f32).unwrap_err();
        assert_eq!(err, Adam::new(bad as f32).unwrap_err());
        assert_eq!(adam.lr(), 0.1);
    }
    let mut sgd = Sgd::new(0.1f64).unwrap();
    sgd.set_lr(0.0).unwrap();
    assert_eq!(sgd.lr(), 0.0);
}

#[test]
fn huge_widths_are_errors() {
    let err = Mlp::<f64>::new(1, &[1_000_000_000], &mut rng()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("2000000000 parameters"), "{msg}");
    assert!(msg.contains("limit"), "{msg}");

    let err = Mlp::<f64>::new(1, &[usize::MAX], &mut rng()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("overflows"), "{err}");
    assert!(matches!(
        Mlp::<f32>::new(usize::MAX, &[2], &mut rng()),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        Mlp::<f64>::with_activation(3, &[4, usize::MAX / 2, 4], Activation::Relu, &mut rng()),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        Layer::<f64>::with_activation(1, usize::MAX, Activation::Tanh, &mut rng()),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        Neuron::<f64>::with_activation(usize::MAX, Activation::Tanh, &mut rng()),
        Err(Error::TooLarge { .. })
    ));
    // Reasonable sizes still build.
    assert_eq!(
        Mlp::<f64>::new(3, &[4, 4, 1], &mut rng())
            .unwrap()
            .parameters()
            .len(),
        41
    );
}

#[test]
fn loss_messages_speak_of_predictions_and_targets() {
    let msg = sum_squared_error::<f64>(&[], &[]).unwrap_err().to_string();
    assert!(!msg.contains("network"), "{msg}");
    assert!(
        msg.contains("sum_squared_error") && msg.contains("no predictions"),
        "{msg}"
    );

    let msg = mse::<f64>(&[Value::new(1.0)], &[1.0, 2.0])
        .unwrap_err()
        .to_string();
    assert!(!msg.contains("network") && !msg.contains("input"), "{msg}");
    assert!(
        msg.contains("mse") && msg.contains("1 prediction") && msg.contains("2 targets"),
        "{msg}"
    );
    let msg = max_margin::<f64>(&[Value::new(1.0)], &[1.0, 1.0])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("max_margin") && msg.contains("2 targets"),
        "{msg}"
    );
}

#[test]
fn linear_decay_holds_its_end_value() {
    let s = LrSchedule::LinearDecay {
        start: 1.0,
        drop: 0.9,
        steps: 100,
    };
    let end = s.lr(100);
    assert!((end - 0.1).abs() < 1e-15);
    assert_eq!(s.lr(112), end);
    assert_eq!(s.lr(200), end);
    assert_eq!(s.lr(usize::MAX), end);
    for k in 0..=100 {
        assert_eq!(s.lr(k), 1.0 - 0.9 * k as f64 / 100.0, "step {k}");
    }
    // A schedule that would fall below zero, or over zero steps, is refused.
    for (drop, steps, refused) in [(0.9, 100, "drop"), (0.1, 0, "steps")] {
        let s = LrSchedule::LinearDecay {
            start: 0.5,
            drop,
            steps,
        };
        assert!(
            matches!(s.validate(), Err(Error::BadHyperParameter { name, .. }) if name == refused),
            "{s:?}"
        );
    }
}
