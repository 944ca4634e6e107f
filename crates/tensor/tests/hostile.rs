//! Hostile but fair inputs to the batched engine: weight files whose metadata
//! lies, schedules run past their end, huge widths, and the messages each
//! gives. Every one is a `Result` error in the caller's terms.

use std::collections::HashMap;

use ferrograd_scalar::Error as ScalarError;
use ferrograd_tensor::metrics::{argmax_rows, class_accuracy};
use ferrograd_tensor::ndarray::array;
use ferrograd_tensor::{Activation, Adam, Linear, LrSchedule, Mlp, Optimizer, Sgd, TensorError};
use rand::SeedableRng;
use safetensors::tensor::TensorView;
use safetensors::SafeTensors;

fn rng() -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(5)
}

/// The tensors of `bytes` written again with `metadata`.
fn with_metadata(bytes: &[u8], metadata: Option<HashMap<String, String>>) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let tensors: Vec<(String, TensorView<'_>)> = st.tensors();
    safetensors::serialize(tensors, metadata).unwrap()
}

fn ours(sizes: &str) -> Option<HashMap<String, String>> {
    let layers = sizes.split(',').count().saturating_sub(1).max(1);
    Some(HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("ferrograd.sizes".to_string(), sizes.to_string()),
        (
            "ferrograd.activations".to_string(),
            vec!["tanh"; layers].join(","),
        ),
    ]))
}

fn small_file() -> Vec<u8> {
    let m = Mlp::<f64>::new(1, &[1, 1], &mut rng()).unwrap();
    m.to_safetensors().unwrap()
}

#[test]
fn metadata_sizes_are_checked_against_the_tensors() {
    let file = small_file();
    // A few hundred bytes claiming a 100000 x 100000 layer (80 GB).
    let bad = with_metadata(&file, ours("100000,100000,1"));
    assert!(bad.len() < 600, "{}", bad.len());
    let err = Mlp::<f64>::from_safetensors(&bad).unwrap_err();
    match &err {
        TensorError::MetadataShape {
            name,
            metadata,
            file,
        } => {
            assert_eq!(name, "0.weight");
            assert_eq!(metadata, &[100000, 100000]);
            assert_eq!(file, &[1, 1]);
        }
        e => panic!("{e:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("100000, 100000") && msg.contains("[1, 1]"),
        "{msg}"
    );
    assert!(msg.contains("metadata"), "{msg}");

    // Sizes whose product overflows ndarray's limit.
    let bad = with_metadata(&file, ours("4294967296,4294967296,1"));
    assert!(matches!(
        Mlp::<f64>::from_safetensors(&bad),
        Err(TensorError::MetadataShape { .. })
    ));
    // Eight terabytes for one layer.
    let bad = with_metadata(&file, ours("1,1000000000000"));
    assert!(matches!(
        Mlp::<f64>::from_safetensors(&bad),
        Err(TensorError::MetadataShape { .. })
    ));
    // Widths that overflow usize arithmetic.
    for sizes in [
        "18446744073709551615,18446744073709551615",
        "1,18446744073709551615,1",
        "0,1,1",
        "1",
        "",
        "1,x,1",
    ] {
        let bad = with_metadata(&file, ours(sizes));
        assert!(Mlp::<f64>::from_safetensors(&bad).is_err(), "{sizes}");
    }
    // More layers in the metadata than tensors in the file names the missing tensor.
    let bad = with_metadata(&file, ours("1,1,1,1"));
    let err = Mlp::<f64>::from_safetensors(&bad).unwrap_err();
    assert!(
        matches!(&err, TensorError::MissingTensor { name, .. } if name == "4.weight"),
        "{err:?}"
    );
    // Fewer layers than tensors: the extra tensor is named.
    let bad = with_metadata(&file, ours("1,1"));
    let err = Mlp::<f64>::from_safetensors(&bad).unwrap_err();
    assert!(
        matches!(&err, TensorError::UnexpectedTensor { name, .. } if name == "2.bias" || name == "2.weight"),
        "{err:?}"
    );
    // The honest file still loads.
    let m = Mlp::<f64>::from_safetensors(&file).unwrap();
    assert_eq!(m.sizes(), vec![1, 1]);
}

#[test]
fn a_file_without_our_metadata_says_what_is_missing() {
    let plain = with_metadata(&small_file(), None);
    let err = Mlp::<f64>::from_safetensors(&plain).unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains("not a valid"), "{msg}");
    assert!(msg.contains("ferrograd.sizes"), "{msg}");
    assert!(msg.contains("load"), "{msg}");
    // Such a file loads into a network built with the right sizes.
    let mut m =
        Mlp::<f64>::new(1, &[1, 1], &mut rand_chacha::ChaCha8Rng::seed_from_u64(9)).unwrap();
    m.load_safetensors(&plain).unwrap();
    assert_eq!(
        m.parameters(),
        Mlp::<f64>::from_safetensors(&small_file())
            .unwrap()
            .parameters()
    );
}

#[test]
fn header_failures_are_in_plain_words() {
    let file = small_file();
    let debug_names = [
        "HeaderTooSmall",
        "InvalidHeaderLength",
        "HeaderTooLarge",
        "InvalidHeaderDeserialization",
        "MetadataIncompleteBuffer",
        "InvalidOffset",
        "TensorInvalidInfo",
    ];
    let mut huge_len = file.clone();
    huge_len[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut bad_json = file.clone();
    bad_json[8] = b'[';
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("4 bytes", file[..4].to_vec(), "4 bytes"),
        ("header cut", file[..20].to_vec(), "12 bytes"),
        ("huge header length", huge_len, "18446744073709551615"),
        ("not json", bad_json, "JSON"),
    ];
    for (what, bytes, needle) in cases {
        let mut m = Mlp::<f64>::new(1, &[1, 1], &mut rng()).unwrap();
        let before = m.parameters();
        for err in [
            Mlp::<f64>::from_safetensors(&bytes).unwrap_err(),
            m.load_safetensors(&bytes).unwrap_err(),
        ] {
            let msg = err.to_string();
            for name in debug_names {
                assert!(!msg.contains(name), "{what}: {msg}");
            }
            assert!(msg.contains(needle), "{what}: {msg}");
        }
        assert_eq!(m.parameters(), before);
    }
}

#[test]
fn linear_decay_holds_its_end_value_in_training() {
    let schedule = LrSchedule::LinearDecay {
        start: 1.0,
        drop: 0.9,
        steps: 100,
    };
    assert!((schedule.lr(112) - 0.1).abs() < 1e-15);
    assert_eq!(schedule.lr(112), schedule.lr(100));
    assert_eq!(schedule.lr(200), schedule.lr(100));
    let mut m = Mlp::<f64>::new(2, &[3, 1], &mut rng()).unwrap();
    let x = array![[0.5, -1.0], [1.0, 0.25]];
    let y = array![[1.0], [-1.0]];
    let mut sgd = Sgd::new(schedule).unwrap();
    for _ in 0..200 {
        assert!(sgd.lr() > 0.0, "step {}: {}", sgd.steps(), sgd.lr());
        m.train_step(
            x.view(),
            ferrograd_tensor::Target::Values(y.view()),
            ferrograd_tensor::Loss::Mse,
            0.0,
            &mut sgd,
        )
        .unwrap();
    }
    assert_eq!(sgd.lr(), schedule.lr(100));
    // A schedule that would go negative before its end is refused up front.
    assert!(matches!(
        Sgd::<f64>::new(LrSchedule::LinearDecay {
            start: 0.5,
            drop: 0.9,
            steps: 10
        }),
        Err(TensorError::Rule(ScalarError::BadHyperParameter { .. }))
    ));
}

#[test]
fn hyper_parameter_errors_match_the_scalar_engine() {
    let t = Adam::<f64>::new(f64::NAN).unwrap_err().to_string();
    let s = ferrograd_scalar::nn::Adam::new(f64::NAN)
        .unwrap_err()
        .to_string();
    assert_eq!(t, s);
    let t = Sgd::<f64>::new(0.1)
        .unwrap()
        .with_momentum(1.5)
        .unwrap_err()
        .to_string();
    let s = ferrograd_scalar::nn::Sgd::new(0.1)
        .unwrap()
        .with_momentum(1.5)
        .unwrap_err()
        .to_string();
    assert_eq!(t, s);
}

#[test]
fn huge_widths_are_errors() {
    let err = Mlp::<f64>::new(1, &[1_000_000_000], &mut rng()).unwrap_err();
    assert!(
        matches!(err, TensorError::Rule(ScalarError::TooLarge { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("2000000000 parameters"), "{err}");
    for sizes in [
        &[usize::MAX][..],
        &[2, usize::MAX / 2, 3],
        &[1 << 33, 1 << 33],
    ] {
        assert!(
            matches!(
                Mlp::<f32>::with_activation(2, sizes, Activation::Relu, &mut rng()),
                Err(TensorError::Rule(ScalarError::TooLarge { .. }))
            ),
            "{sizes:?}"
        );
    }
    assert!(matches!(
        Mlp::<f64>::new(usize::MAX, &[1], &mut rng()),
        Err(TensorError::Rule(ScalarError::TooLarge { .. }))
    ));
    assert!(matches!(
        Linear::<f64>::new(1, usize::MAX, ferrograd_tensor::Init::Uniform, &mut rng()),
        Err(TensorError::Rule(ScalarError::TooLarge { .. }))
    ));
    assert!(matches!(
        Linear::<f64>::new(usize::MAX, 3, ferrograd_tensor::Init::Uniform, &mut rng()),
        Err(TensorError::Rule(ScalarError::TooLarge { .. }))
    ));
}

#[test]
fn class_accuracy_refuses_a_wrong_class_count() {
    let logits = array![[0.1, 0.9], [2.0, -1.0]];
    assert_eq!(class_accuracy(logits.view(), &[1, 0]).unwrap(), 1.0);
    assert_eq!(class_accuracy(logits.view(), &[1, 1]).unwrap(), 0.5);
    let err = class_accuracy(logits.view(), &[1]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("(2)") && msg.contains("(1)"), "{msg}");
    assert!(class_accuracy(logits.view(), &[1, 0, 0]).is_err());
    assert!(matches!(
        class_accuracy(logits.view(), &[1, 2]),
        Err(TensorError::Rule(ScalarError::ClassOutOfRange {
            row: 1,
            class: 2,
            classes: 2
        }))
    ));
}

#[test]
fn argmax_follows_torch_at_nan() {
    // torch.argmax treats NaN as the largest value (the first NaN wins).
    let l = array![
        [1.0, f64::NAN, 3.0],
        [f64::NAN, f64::NAN, 0.0],
        [0.0, 2.0, f64::NAN],
        [1.0, 5.0, 5.0]
    ];
    assert_eq!(argmax_rows(l.view()), vec![1, 0, 2, 1]);
    let l = array![[f64::NEG_INFINITY, f64::NEG_INFINITY]];
    assert_eq!(argmax_rows(l.view()), vec![0]);
}

#[test]
fn adam_state_follows_real_steps_only() {
    // The batched optimisers always see a whole network (an `Mlp` has at
    // least one parameter), so their step count is the number of updates.
    let layer = Linear::<f64>::from_parts(array![[1.0]], array![0.0]).unwrap();
    let mut m = Mlp::from_layers(vec![layer], vec![Activation::Identity]).unwrap();
    m.forward(array![[1.0]].view()).unwrap();
    m.backward(array![[2.0]].view()).unwrap();
    let mut adam = Adam::new(0.1).unwrap();
    adam.step(&mut m).unwrap();
    assert_eq!(adam.steps(), 1);
    assert!((m.parameters()[0] - 0.9).abs() < 1e-8);
}
