//! safetensors files: exact round trips, PyTorch names, and refusals that
//! name the tensor and leave the model untouched.

use std::collections::HashMap;

use ferrograd_tensor::{Activation, Init, Mlp, TensorError};
use safetensors::{Dtype, SafeTensors};

fn model<T: ferrograd_tensor::Float>(seed: u64) -> Mlp<T> {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Mlp::with_init(
        2,
        &[16, 16, 1],
        Activation::Relu,
        Init::KaimingUniform,
        &mut rng,
    )
    .unwrap()
}

/// Re-serialises `bytes` after `edit` changes the tensor map.
fn rewrite(
    bytes: &[u8],
    edit: impl FnOnce(&mut HashMap<String, (Dtype, Vec<usize>, Vec<u8>)>),
) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let mut map: HashMap<String, (Dtype, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, (v.dtype(), v.shape().to_vec(), v.data().to_vec())))
        .collect();
    edit(&mut map);
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = map
        .iter()
        .map(|(n, (d, s, b))| {
            (
                n.clone(),
                safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

#[test]
fn round_trip_is_exact_f64_and_f32() {
    let a = model::<f64>(1);
    let bytes = a.to_safetensors().unwrap();
    let mut b = model::<f64>(2);
    assert_ne!(a.parameters(), b.parameters());
    b.load_safetensors(&bytes).unwrap();
    assert_eq!(a.parameters(), b.parameters());
    let c = Mlp::<f64>::from_safetensors(&bytes).unwrap();
    assert_eq!(c.parameters(), a.parameters());
    assert_eq!(c.activations(), a.activations());

    let a = model::<f32>(3);
    let mut b = model::<f32>(4);
    b.load_safetensors(&a.to_safetensors().unwrap()).unwrap();
    assert_eq!(a.parameters(), b.parameters());
}

#[test]
fn file_round_trip() {
    let a = model::<f64>(5);
    let path = std::env::temp_dir().join(format!(
        "ferrograd-tensor-test-{}.safetensors",
        std::process::id()
    ));
    a.save(&path).unwrap();
    let mut b = model::<f64>(6);
    b.load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(a.parameters(), b.parameters());
    let err = b.load(&path).unwrap_err().to_string();
    assert!(err.contains("ferrograd-tensor-test"), "{err}");
}

#[test]
fn names_and_layout_follow_pytorch_sequential() {
    let a = model::<f32>(7);
    let bytes = a.to_safetensors().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(
        names,
        vec!["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    );
    let w = st.tensor("2.weight").unwrap();
    assert_eq!(w.shape(), &[16, 16]);
    assert_eq!(w.dtype(), Dtype::F32);
    let w0 = st.tensor("0.weight").unwrap();
    assert_eq!(w0.shape(), &[16, 2]); // (out, in)
    let first = f32::from_le_bytes(w0.data()[..4].try_into().unwrap());
    assert_eq!(first, a.layers()[0].weight()[(0, 0)]);
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(meta.metadata().as_ref().unwrap()["format"], "pt");
}

fn assert_refused(bytes: &[u8], check: impl Fn(&TensorError) -> bool) {
    let mut m = model::<f64>(9);
    let before = m.parameters();
    let err = m.load_safetensors(bytes).unwrap_err();
    assert!(check(&err), "unexpected error: {err}");
    assert_eq!(
        m.parameters(),
        before,
        "a refused load must not change the model"
    );
}

#[test]
fn missing_tensor_is_named() {
    let bytes = rewrite(&model::<f64>(1).to_safetensors().unwrap(), |m| {
        m.remove("2.bias");
    });
    assert_refused(
        &bytes,
        |e| matches!(e, TensorError::MissingTensor { name, .. } if name == "2.bias"),
    );
}

#[test]
fn wrong_shape_is_named() {
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let other = Mlp::<f64>::with_activation(2, &[16, 8, 1], Activation::Relu, &mut rng).unwrap();
    let bytes = other.to_safetensors().unwrap();
    assert_refused(&bytes, |e| {
        let msg = e.to_string();
        matches!(e, TensorError::TensorShape { name, .. } if name == "2.weight")
            && msg.contains("[8, 16]")
            && msg.contains("[16, 16]")
    });
}

#[test]
fn wrong_dtype_is_named() {
    let bytes = model::<f32>(1).to_safetensors().unwrap();
    assert_refused(
        &bytes,
        |e| matches!(e, TensorError::TensorDtype { name, expected, got } if name == "0.weight" && expected == "F64" && got == "F32"),
    );
}

#[test]
fn truncated_bytes_are_named() {
    let bytes = model::<f64>(1).to_safetensors().unwrap();
    let cut = &bytes[..bytes.len() - 5];
    assert_refused(cut, |e| {
        matches!(e, TensorError::Truncated { .. }) && e.to_string().contains("\"")
    });
    // Cutting deep into the data names the first tensor that lost bytes.
    let st = SafeTensors::read_metadata(&bytes).unwrap().1;
    let header_end = bytes.len() - st.data_len();
    let (first, info) = st
        .tensors()
        .into_iter()
        .min_by_key(|(_, i)| i.data_offsets.1)
        .unwrap();
    let cut = &bytes[..header_end + info.data_offsets.1 - 1];
    assert_refused(
        cut,
        |e| matches!(e, TensorError::Truncated { name, .. } if *name == first),
    );
    // A header cut short is still an error, not a panic.
    assert_refused(&bytes[..20], |e| matches!(e, TensorError::Corrupt(_)));
}

#[test]
fn unexpected_tensor_is_named() {
    let bytes = rewrite(&model::<f64>(1).to_safetensors().unwrap(), |m| {
        m.insert("6.weight".into(), (Dtype::F64, vec![1], vec![0; 8]));
    });
    assert_refused(
        &bytes,
        |e| matches!(e, TensorError::UnexpectedTensor { name, .. } if name == "6.weight"),
    );
}
