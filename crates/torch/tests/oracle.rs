//! The oracle itself: the notebook's PyTorch section gives the notebook's
//! numbers, and the MLP backends agree on a hand-checked case.

use ferrograd_data::notebook::{Neuron, NEURON_OUT};
use ferrograd_program::examples;
use ferrograd_scalar::nn::Activation;
use ferrograd_torch::mlp::{scalar_mlp, tensor_mlp, torch_mlp, Batch, LayerWeights, Loss, Weights};
use ferrograd_torch::program::run_program;
use ferrograd_torch::{Precision, Target};

#[test]
fn the_notebook_pytorch_section() {
    let nb = examples::notebook_neuron();
    let out = run_program(&nb.program, Target::cpu(Precision::F64)).unwrap();
    // print(o.data.item()) and the grads the notebook prints
    assert!((out.value - NEURON_OUT.o).abs() < 1e-12);
    assert_eq!(nb.input_names, Neuron::<f64>::LABELS);
    for (got, want) in out.grads.iter().zip(NEURON_OUT.grad.to_array()) {
        assert!((got - want).abs() < 1e-12, "{:?}", out.grads);
    }
}

#[test]
fn micrograd_more_ops_on_libtorch() {
    let out = run_program(
        &examples::micrograd_more_ops().program,
        Target::cpu(Precision::F64),
    )
    .unwrap();
    assert!((out.value - 24.704_081_632_653_06).abs() < 1e-12);
    assert!((out.grads[0] - 138.833_819_241_982_5).abs() < 1e-10);
    assert!((out.grads[1] - 645.577_259_475_218_6).abs() < 1e-10);
}

/// One neuron `y = act(2 x0 - x1 + 0.5)`, and one example `x` with target 1.
fn one_neuron(activation: Activation, x: &[f64]) -> (Weights, Batch) {
    let w = Weights {
        layers: vec![LayerWeights {
            weight: vec![vec![2.0, -1.0]],
            bias: vec![0.5],
            activation,
        }],
    };
    let batch = Batch {
        x: vec![x.to_vec()],
        y: vec![vec![1.0]],
    };
    (w, batch)
}

#[test]
fn one_linear_neuron_by_hand() {
    // y = 2 x0 - x1 + 0.5; sse against 1 at x = (1, 2): y = 0.5, loss 0.25,
    // dL/dy = -1, so grads (w0, w1, b) = (-1, -2, -1).
    let (w, batch) = one_neuron(Activation::Identity, &[1.0, 2.0]);
    let want = [-1.0, -2.0, -1.0];
    for out in [
        scalar_mlp::<f64>(&w, &batch, Loss::SumSquaredError, 0.0).unwrap(),
        tensor_mlp::<f64>(&w, &batch, Loss::SumSquaredError, 0.0).unwrap(),
        torch_mlp(
            &w,
            &batch,
            Loss::SumSquaredError,
            0.0,
            Target::cpu(Precision::F64),
        )
        .unwrap(),
    ] {
        assert_eq!(out.outputs, vec![0.5]);
        assert_eq!(out.loss, 0.25);
        assert_eq!(out.grads, want);
    }
}

#[test]
fn a_batch_that_does_not_fit_is_an_error() {
    let (w, batch) = one_neuron(Activation::Tanh, &[1.0, 2.0, 3.0]);
    let e = torch_mlp(&w, &batch, Loss::Mse, 0.0, Target::cpu(Precision::F32)).unwrap_err();
    assert!(e.to_string().contains("2-input"), "{e}");
}
