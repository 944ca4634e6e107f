//! The nn module: shapes, errors, parameter order, optimisers against
//! trajectories printed by PyTorch 2.13.0 (float64).

use ferrograd_scalar::nn::{l2, max_margin, mse, Activation, Adam, Layer, Mlp, Neuron, Sgd};
use ferrograd_scalar::{Error, Value};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(7)
}

#[test]
fn the_seed_network_has_micrograd_shapes() {
    let net = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng()).unwrap();
    assert_eq!(net.nin(), 3);
    assert_eq!(net.sizes(), vec![4, 4, 1]);
    assert_eq!(net.parameters().len(), 41);
    assert!(net
        .layers()
        .iter()
        .all(|l| l.activation() == Activation::Tanh));
    for p in net.parameters() {
        assert!((-1.0..=1.0).contains(&p.data()));
    }
    let out = net.forward(&[2.0, 3.0, -1.0]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].op(), "tanh");
}

#[test]
fn relu_networks_end_linear_and_width_one_layers_return_vecs() {
    // micrograd's MLP(2, [16, 1, 1]) breaks on a bare value; here it is a Vec.
    let net = Mlp::<f64>::with_activation(2, &[16, 1, 1], Activation::Relu, &mut rng()).unwrap();
    let acts: Vec<_> = net.layers().iter().map(Layer::activation).collect();
    assert_eq!(
        acts,
        [Activation::Relu, Activation::Relu, Activation::Identity]
    );
    let out = net.forward(&[0.5, -0.5]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].op(), "dot");
    assert_eq!(out[0].children().len(), 3); // b, w0, x0
}

/// A neuron's `dot` node and micrograd's chain of `*` and `+` agree exactly:
/// same value, same gradients everywhere, by `backward`, `backward_step`
/// and a replay.
#[test]
fn dot_nodes_match_the_expanded_sum() {
    let weights = [0.3, -1.7, 2.5];
    let n = Neuron::from_weights(&weights, 0.25, Activation::Tanh);
    let x: Vec<Value<f64>> = [1.5, -0.5, 0.75].iter().map(|&v| Value::new(v)).collect();
    let out = n.forward(&x[..]).unwrap();
    let ws: Vec<Value<f64>> = weights.iter().map(|&w| Value::new(w)).collect();
    let xs: Vec<Value<f64>> = [1.5, -0.5, 0.75].iter().map(|&v| Value::new(v)).collect();
    let b = Value::new(0.25);
    let mut acc = b.clone();
    for (w, x) in ws.iter().zip(&xs) {
        acc = &acc + &(w * x);
    }
    let expanded = acc.tanh();
    assert_eq!(out.data(), expanded.data());
    out.backward();
    expanded.backward();
    let grads = |vs: &[Value<f64>]| vs.iter().map(Value::grad).collect::<Vec<_>>();
    assert_eq!(grads(n.weights()), grads(&ws));
    assert_eq!(grads(&x), grads(&xs));
    assert_eq!(n.bias().grad(), b.grad());

    // backward_step on the dot itself (the notebook's `_backward()`).
    let sum = &out.children()[0];
    assert_eq!(sum.op(), "dot");
    for p in n.parameters().iter().chain(&x) {
        p.set_grad(0.0);
    }
    sum.set_grad(2.0);
    sum.backward_step();
    assert_eq!(n.weights()[1].grad(), 2.0 * -0.5);
    assert_eq!(x[2].grad(), 2.0 * 2.5);
    assert_eq!(n.bias().grad(), 2.0);

    // A replay recomputes the dot from new weights.
    let plan = out.replay();
    n.weights()[0].set_data(1.0);
    plan.recompute();
    let want = (0.25f64 + 1.0 * 1.5 + -1.7 * -0.5 + 2.5 * 0.75).tanh();
    assert_eq!(out.data(), want);
}

#[test]
fn parameters_follow_micrograd_order() {
    let l1 = Layer::from_weights(
        &[vec![1.0, 2.0], vec![3.0, 4.0]],
        &[5.0, 6.0],
        Activation::Tanh,
    )
    .unwrap();
    let l2 = Layer::from_weights(&[vec![7.0, 8.0]], &[9.0], Activation::Identity).unwrap();
    let net = Mlp::from_layers(vec![l1, l2]).unwrap();
    let data: Vec<f64> = net.parameters().iter().map(Value::data).collect();
    assert_eq!(data, [1.0, 2.0, 5.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0]);
    let out = net.forward(&[1.0, -1.0]).unwrap()[0].data();
    let h = [(1.0f64 - 2.0 + 5.0).tanh(), (3.0f64 - 4.0 + 6.0).tanh()];
    assert!((out - (7.0 * h[0] + 8.0 * h[1] + 9.0)).abs() < 1e-12);
}

#[test]
fn bad_shapes_are_errors_not_panics() {
    assert_eq!(
        Mlp::<f64>::new(3, &[], &mut rng()).unwrap_err(),
        Error::EmptySizes
    );
    assert!(matches!(
        Mlp::<f64>::new(0, &[4], &mut rng()),
        Err(Error::ZeroWidth { .. })
    ));
    assert!(
        matches!(Mlp::<f64>::new(2, &[4, 0, 1], &mut rng()), Err(Error::ZeroWidth { what }) if what == "layer 1")
    );
    let net = Mlp::<f64>::new(3, &[2], &mut rng()).unwrap();
    let err = net.forward(&[1.0, 2.0]).unwrap_err();
    assert_eq!(
        err,
        Error::InputLength {
            expected: 3,
            got: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "input has 2 values but the network expects 3"
    );
    let l1 = Layer::<f64>::new(2, 3, &mut rng()).unwrap();
    let l2 = Layer::<f64>::new(4, 1, &mut rng()).unwrap();
    assert!(Mlp::from_layers(vec![l1, l2]).is_err());
    assert!(max_margin::<f64>(&[Value::new(1.0)], &[1.0, 1.0]).is_err());
    assert!(Sgd::new(-1.0).is_err());
    assert!(Sgd::new(f64::NAN).is_err());
    assert!(Adam::new(0.1).unwrap().with_betas(1.0, 0.9).is_err());
    let mut sgd = Sgd::new(0.1).unwrap().with_momentum(0.9).unwrap();
    let p = [Value::new(1.0), Value::new(2.0)];
    sgd.step(&p).unwrap();
    assert_eq!(
        sgd.step(&p[..1]).unwrap_err(),
        Error::ParameterCount {
            expected: 2,
            got: 1
        }
    );
}

#[test]
fn neuron_and_losses() {
    let n = Neuron::from_weights(&[0.5, -1.0], 0.25, Activation::Relu);
    assert_eq!(n.nin(), 2);
    assert_eq!(n.parameters().len(), 3);
    let pred = [Value::new(1.0), Value::new(-2.0)];
    assert_eq!(mse(&pred, &[0.0, 0.0]).unwrap().data(), 2.5);
    assert_eq!(l2(&pred, 0.5).data(), 2.5);
}

/// loss = 3 p0^2 + p1^2 p0, five steps, values from torch.optim.
fn trajectory(mut step: impl FnMut(&[Value<f64>])) -> Vec<[f64; 2]> {
    let p = [Value::new(1.5), Value::new(-0.5)];
    (0..5)
        .map(|_| {
            for q in &p {
                q.set_grad(0.0);
            }
            let loss = &p[0] * &p[0] * 3.0 + &p[1] * &p[1] * &p[0];
            loss.backward();
            step(&p);
            [p[0].data(), p[1].data()]
        })
        .collect()
}

fn assert_trajectory(got: &[[f64; 2]], want: &[[f64; 2]]) {
    for (g, w) in got.iter().zip(want) {
        for k in 0..2 {
            assert!(
                (g[k] - w[k]).abs() <= 1e-12 * w[k].abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
    }
}

#[test]
fn sgd_with_momentum_follows_pytorch() {
    let mut opt = Sgd::new(0.05).unwrap().with_momentum(0.9).unwrap();
    let got = trajectory(|p| opt.step(p).unwrap());
    assert_trajectory(
        &got,
        &[
            [1.0374999999999999, -0.425],
            [0.30096874999999984, -0.31340625],
            [-0.4571111738769533, -0.20353932626953122],
            [-1.004321166070038, -0.11396310494822828],
            [-1.1961631886872748, -0.04479006160411232],
        ],
    );
}

#[test]
fn adam_follows_pytorch() {
    let mut opt = Adam::new(0.1).unwrap();
    let got = trajectory(|p| opt.step(p).unwrap());
    assert_trajectory(
        &got,
        &[
            [1.400000000108108, -0.40000000066666663],
            [1.3002767880907156, -0.30178397089341413],
            [1.201034089749038, -0.20705958584311102],
            [1.1024894051800642, -0.11785584397442025],
            [1.0048741212205652, -0.03629453439963727],
        ],
    );
    let mut opt = Adam::new(0.1)
        .unwrap()
        .with_betas(0.8, 0.99)
        .unwrap()
        .with_eps(1e-6)
        .unwrap()
        .with_weight_decay(0.01)
        .unwrap();
    let got = trajectory(|p| opt.step(p).unwrap());
    assert_trajectory(
        &got,
        &[
            [1.400000010793307, -0.4000000664451386],
            [1.3004856858971574, -0.3025580700306042],
            [1.201805184431453, -0.2099783185415608],
            [1.1043189075197322, -0.12484035131450046],
            [1.0083959697102172, -0.049642880994628394],
        ],
    );
}

#[test]
fn seeded_networks_are_reproducible() {
    let a = Mlp::<f32>::new(2, &[3, 1], &mut rng()).unwrap();
    let b = Mlp::<f32>::new(2, &[3, 1], &mut rng()).unwrap();
    let pa: Vec<f32> = a.parameters().iter().map(Value::data).collect();
    let pb: Vec<f32> = b.parameters().iter().map(Value::data).collect();
    assert_eq!(pa, pb);
}
