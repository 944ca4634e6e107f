//! The MLP written with `Tensor` against the fused `Mlp`: same loss, same
//! gradients, same trajectory under SGD and Adam, on the moons data (f64).

use ferrograd_tensor::ndarray::{Array2, ArrayD};
use ferrograd_tensor::tensor::nn::{self, loss};
use ferrograd_tensor::{
    evaluate_loss, Activation, Adam, Loss, Mlp, Optimizer, Sgd, StepStats, Target, Tensor,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ALPHA: f64 = 1e-4;

fn moons() -> (Array2<f64>, Array2<f64>) {
    let data = ferrograd_data::make_moons(100, 0.1, 1).unwrap();
    let x = Array2::from_shape_fn((100, 2), |(i, j)| data.x[i][j]);
    let y = Array2::from_shape_vec((100, 1), data.labels_pm1()).unwrap();
    (x, y)
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1e-300) || got == want,
        "{what}: tensor {got} vs fused {want}"
    );
}

/// The tensor network's parameters, each weight transposed back to the
/// fused layout `(out, in)`, flattened in the fused order.
fn tensor_flat(values: impl Fn(&Tensor<f64>) -> ArrayD<f64>, mlp: &nn::Mlp<f64>) -> Vec<f64> {
    let mut out = Vec::new();
    for layer in mlp.layers() {
        let w = values(layer.weight());
        let w = w
            .into_dimensionality::<ferrograd_tensor::ndarray::Ix2>()
            .unwrap();
        let b = values(layer.bias());
        // The fused Mlp lists neuron by neuron: the neuron's weights, then its bias.
        for (j, col) in w.columns().into_iter().enumerate() {
            out.extend(col.iter().copied());
            out.push(b[j]);
        }
    }
    out
}

/// Forward, hinge + L2, backward in the tensor engine; returns the loss.
fn tensor_loss(mlp: &nn::Mlp<f64>, x: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let params = mlp.parameters();
    let total = loss::hinge(&mlp.forward(x).unwrap(), y).unwrap() + loss::l2(&params, ALPHA);
    params.iter().for_each(Tensor::zero_grad);
    total.backward().unwrap();
    total.item().unwrap()
}

#[test]
fn loss_and_gradients_match_the_fused_mlp() {
    let (x, y) = moons();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut fused =
        Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).unwrap();
    let tensor = nn::Mlp::from_fused(&fused);
    fused.forward(x.view()).unwrap();
    let want = fused
        .loss_backward(Loss::Hinge, Target::Values(y.view()))
        .unwrap()
        + fused.add_l2(ALPHA);
    let got = tensor_loss(&tensor, &Tensor::from_array(x), &Tensor::from_array(y));
    close("loss", got, want);
    let (tg, fg) = (
        tensor_flat(|t| t.grad().unwrap(), &tensor),
        fused.gradients(),
    );
    assert_eq!(tg.len(), fg.len());
    for (i, (&g, &f)) in tg.iter().zip(&fg).enumerate() {
        close(&format!("gradient {i}"), g, f);
    }
}

/// One step of the fused `Mlp` on the moons batch (hinge loss, L2 `ALPHA`).
fn fused_step(
    fused: &mut Mlp<f64>,
    x: &Array2<f64>,
    y: &Array2<f64>,
    opt: &mut impl Optimizer<f64>,
) -> StepStats<f64> {
    fused
        .train_step(x.view(), Target::Values(y.view()), Loss::Hinge, ALPHA, opt)
        .unwrap()
}

fn trajectory(adam: bool) {
    let (x, y) = moons();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut fused =
        Mlp::<f64>::with_activation(2, &[16, 16, 1], Activation::Relu, &mut rng).unwrap();
    let tensor = nn::Mlp::from_fused(&fused);
    let (tx, ty) = (Tensor::from_array(x.clone()), Tensor::from_array(y.clone()));
    let params = tensor.parameters();
    let (mut fs, mut ts) = (Sgd::new(0.1).unwrap(), nn::Sgd::new(0.1).unwrap());
    let (mut fa, mut ta) = (Adam::new(0.01).unwrap(), nn::Adam::new(0.01).unwrap());
    for step in 0..10 {
        let got = tensor_loss(&tensor, &tx, &ty);
        let stats = if adam {
            ta.step(&params).unwrap();
            fused_step(&mut fused, &x, &y, &mut fa)
        } else {
            ts.step(&params).unwrap();
            fused_step(&mut fused, &x, &y, &mut fs)
        };
        close(&format!("loss at step {step}"), got, stats.loss);
        let tp = tensor_flat(|t| t.to_array(), &tensor);
        for (i, (&p, &f)) in tp.iter().zip(&fused.parameters()).enumerate() {
            close(&format!("parameter {i} after step {step}"), p, f);
        }
    }
    assert_eq!(if adam { fa.steps() } else { fs.steps() }, 10);
}

#[test]
fn ten_sgd_steps_match_the_fused_mlp() {
    trajectory(false);
}

#[test]
fn ten_adam_steps_match_the_fused_mlp() {
    trajectory(true);
}

/// Each tensor loss against the fused `Loss::evaluate`: value and gradient.
#[test]
fn losses_match_the_fused_losses() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let pred = Array2::from_shape_fn((6, 3), |_| rng.random_range(-3.0..3.0));
    let values = Array2::from_shape_fn((6, 3), |_| rng.random_range(-1.0..1.0));
    let pm1 = values.mapv(|v: f64| if v < 0.0 { -1.0 } else { 1.0 });
    let probs = values.mapv(|v| (v + 1.0) / 2.0);
    let classes = [0, 2, 1, 1, 0, 2];
    type TensorLoss =
        fn(&Tensor<f64>, &Tensor<f64>) -> Result<Tensor<f64>, ferrograd_tensor::AutogradError>;
    let cases: Vec<(Loss, &Array2<f64>, TensorLoss)> = vec![
        (Loss::Mse, &values, loss::mse),
        (Loss::SumSquaredError, &values, loss::sse),
        (Loss::Hinge, &pm1, loss::hinge),
        (Loss::BceWithLogits, &probs, loss::bce_with_logits),
    ];
    let compare = |name: &str, t: Tensor<f64>, p: &Tensor<f64>, want: f64, grad: &Array2<f64>| {
        t.backward().unwrap();
        assert!(
            (t.item().unwrap() - want).abs() <= 1e-14 * want.abs().max(1.0),
            "{name}: {} vs {want}",
            t.item().unwrap()
        );
        for (g, f) in p.grad().unwrap().iter().zip(grad) {
            assert!(
                (g - f).abs() <= 1e-15 * f.abs().max(1.0),
                "{name} gradient: {g} vs {f}"
            );
        }
    };
    for (l, target, f) in cases {
        let mut grad = Array2::zeros(pred.dim());
        let want = evaluate_loss(
            l,
            pred.view(),
            Target::Values(target.view()),
            grad.view_mut(),
        )
        .unwrap();
        let p = Tensor::param(pred.clone());
        compare(
            &format!("{l:?}"),
            f(&p, &Tensor::from_array(target.clone())).unwrap(),
            &p,
            want,
            &grad,
        );
    }
    let mut grad = Array2::zeros(pred.dim());
    let want = evaluate_loss(
        Loss::SoftmaxCrossEntropy,
        pred.view(),
        Target::Classes(&classes),
        grad.view_mut(),
    )
    .unwrap();
    let p = Tensor::param(pred.clone());
    compare(
        "cross_entropy",
        loss::cross_entropy(&p, &classes).unwrap(),
        &p,
        want,
        &grad,
    );
}

#[test]
fn bce_slope_at_zero_logit_is_half_minus_label() {
    let z = Tensor::param([0.0f64, 0.0]);
    let l = loss::bce_with_logits(&z, &Tensor::from([1.0, 0.0])).unwrap();
    l.backward().unwrap();
    assert_eq!(
        z.grad().unwrap().iter().copied().collect::<Vec<_>>(),
        vec![-0.25, 0.25]
    );
    assert!((l.item().unwrap() - 2f64.ln()).abs() < 1e-15);
}

#[test]
fn optimiser_refuses_other_parameters_and_bad_hyper_parameters() {
    let a = vec![Tensor::<f64>::param([1.0, 2.0])];
    let b = vec![Tensor::<f64>::param([1.0])];
    let mut adam = nn::Adam::new(0.1).unwrap();
    (&a[0] * &a[0]).sum().backward().unwrap();
    adam.step(&a).unwrap();
    let e = adam.step(&b).unwrap_err().to_string();
    assert!(e.contains("[2]") && e.contains("[1]"), "{e}");
    assert!(nn::Sgd::<f64>::new(-1.0).is_err());
    assert!(nn::Sgd::<f64>::new(0.1)
        .unwrap()
        .with_momentum(1.5)
        .is_err());
}

#[test]
fn sgd_momentum_follows_pytorch() {
    let p = vec![Tensor::<f64>::param([1.0])];
    let mut sgd = nn::Sgd::new(0.1).unwrap().with_momentum(0.9).unwrap();
    (&p[0] * 1.0).sum().backward().unwrap(); // g = 1
    sgd.step(&p).unwrap(); // buf = 1, p = 0.9
    sgd.step(&p).unwrap(); // same grad: buf = 1.9, p = 0.71
    assert!((p[0].item().unwrap() - 0.71).abs() < 1e-15);
    // A parameter with no gradient stays.
    let q = vec![Tensor::<f64>::param([5.0])];
    nn::Sgd::new(0.1).unwrap().step(&q).unwrap();
    assert_eq!(q[0].item().unwrap(), 5.0);
}

#[test]
fn tensor_mlp_learns_a_custom_model() {
    // A model the fused Mlp cannot express: a residual connection.
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let (x, y) = moons();
    let (x, y) = (Tensor::from_array(x), Tensor::from_array(y));
    let l1 =
        nn::Linear::<f64>::new(2, 16, ferrograd_tensor::Init::KaimingUniform, &mut rng).unwrap();
    let l2 =
        nn::Linear::<f64>::new(16, 16, ferrograd_tensor::Init::KaimingUniform, &mut rng).unwrap();
    let l3 =
        nn::Linear::<f64>::new(16, 1, ferrograd_tensor::Init::KaimingUniform, &mut rng).unwrap();
    let params: Vec<_> = [&l1, &l2, &l3]
        .iter()
        .flat_map(|l| l.parameters())
        .collect();
    let mut adam = nn::Adam::new(0.02).unwrap();
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..150 {
        let h = l1.forward(&x).unwrap().tanh();
        let h = &h + l2.forward(&h).unwrap().relu();
        let total = loss::hinge(&l3.forward(&h).unwrap(), &y).unwrap();
        adam.zero_grad(&params);
        total.backward().unwrap();
        adam.step(&params).unwrap();
        last = total.item().unwrap();
        first.get_or_insert(last);
    }
    assert!(last < 0.25 * first.unwrap(), "{first:?} -> {last}");
}
