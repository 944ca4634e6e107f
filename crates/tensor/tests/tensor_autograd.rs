//! `Tensor`'s gradients against central differences in f64, broadcasting,
//! errors, and the engine's promises (shared nodes, long chains, no-grad).

use ferrograd_scalar::{Binary, Unary};
use ferrograd_tensor::ndarray::{ArrayD, IxDyn};
use ferrograd_tensor::{no_grad, AutogradError, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type F = dyn Fn(&[Tensor<f64>]) -> Tensor<f64>;

fn random(shape: &[usize], low: f64, high: f64, rng: &mut ChaCha8Rng) -> ArrayD<f64> {
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(low..high))
}

/// `sum(f(x) * w)` for fixed random weights `w`, so every output element
/// carries a different seed gradient.
fn scalarize(out: &Tensor<f64>, w: &ArrayD<f64>) -> Tensor<f64> {
    (out * &Tensor::from_array(w.clone())).sum()
}

/// Checks every input's gradient of `f` at `inputs` against central
/// differences of step 1e-6, to `1e-6 (1 + |fd|)`.
fn check(name: &str, f: &F, inputs: &[ArrayD<f64>], seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let params: Vec<Tensor<f64>> = inputs.iter().map(|a| Tensor::param(a.clone())).collect();
    let out = f(&params);
    let w = random(&out.shape(), -1.0, 1.0, &mut rng);
    scalarize(&out, &w).backward().unwrap();
    let eval = |point: &[ArrayD<f64>]| {
        let consts: Vec<Tensor<f64>> = point
            .iter()
            .map(|a| Tensor::from_array(a.clone()))
            .collect();
        scalarize(&f(&consts), &w).item().unwrap()
    };
    let h = 1e-6;
    for (i, x) in inputs.iter().enumerate() {
        let analytic = params[i]
            .grad()
            .unwrap_or_else(|| ArrayD::zeros(x.raw_dim()));
        assert_eq!(
            analytic.shape(),
            x.shape(),
            "{name}: grad shape of input {i}"
        );
        for k in 0..x.len() {
            let mut point = inputs.to_vec();
            let flat = point[i].as_slice_mut().unwrap();
            flat[k] = x.as_slice().unwrap()[k] + h;
            let up = eval(&point);
            point[i].as_slice_mut().unwrap()[k] = x.as_slice().unwrap()[k] - h;
            let down = eval(&point);
            let fd = (up - down) / (2.0 * h);
            let got = analytic.as_slice().unwrap()[k];
            assert!(
                (got - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
                "{name}: d/dx{i}[{k}] = {got}, central difference {fd}"
            );
        }
    }
}

/// Shape pairs that broadcast: equal, size-1 axes, a scalar, different ranks.
const PAIRS: &[(&[usize], &[usize])] = &[
    (&[2, 3], &[2, 3]),
    (&[2, 3], &[3]),
    (&[2, 1], &[1, 4]),
    (&[], &[2, 3]),
    (&[3, 1, 2], &[4, 1]),
    (&[1], &[3, 2]),
    // One element, or a tail, of higher rank: the result takes that rank.
    (&[3, 2], &[1, 1, 1]),
    (&[2], &[1, 1, 2]),
];

/// NumPy's broadcast shape, written out here rather than taken from the
/// engine: align from the right, a 1 stretches, a missing axis is a 1.
fn numpy_broadcast(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| (i + s.len()).checked_sub(n).map_or(1, |j| s[j]);
    (0..n).map(|i| at(a, i).max(at(b, i))).collect()
}

#[test]
fn every_binary_result_has_numpys_broadcast_shape() {
    for &op in Binary::ALL {
        for &(sa, sb) in PAIRS {
            for (sa, sb) in [(sa, sb), (sb, sa)] {
                let a = Tensor::from_array(ArrayD::from_elem(IxDyn(sa), 1.5f64));
                let b = Tensor::from_array(ArrayD::from_elem(IxDyn(sb), 0.5f64));
                let out = a.binary(op, &b).unwrap();
                assert_eq!(
                    out.shape(),
                    numpy_broadcast(sa, sb),
                    "{} {sa:?} {sb:?}",
                    op.name()
                );
            }
        }
    }
}

#[test]
fn every_unary_matches_central_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for &u in Unary::ALL {
        for shape in [&[][..], &[4], &[2, 3], &[2, 1, 3]] {
            // Away from kinks and inside every domain (ln, sqrt, log1p).
            let mut x = random(shape, 0.2, 1.5, &mut rng);
            if matches!(
                u,
                Unary::Relu | Unary::Abs | Unary::Neg | Unary::Tanh | Unary::Sin
            ) {
                x.mapv_inplace(|v| if rng.random_bool(0.5) { -v } else { v });
            }
            check(u.name(), &move |v: &[Tensor<f64>]| v[0].unary(u), &[x], 2);
        }
    }
}

#[test]
fn every_binary_matches_central_differences_with_broadcasting() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for &op in Binary::ALL {
        for &(sa, sb) in PAIRS {
            for (sa, sb) in [(sa, sb), (sb, sa)] {
                // Positive bases for pow, denominators away from 0.
                let a = random(sa, 0.5, 1.5, &mut rng);
                let b = random(sb, 0.5, 1.5, &mut rng);
                let name = format!("{} {sa:?} {sb:?}", op.name());
                check(
                    &name,
                    &move |v: &[Tensor<f64>]| v[0].binary(op, &v[1]).unwrap(),
                    &[a, b],
                    4,
                );
            }
        }
    }
}

#[test]
fn operators_with_floats_and_float_pow() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x = random(&[2, 3], 0.5, 1.5, &mut rng);
    check(
        "float operators",
        &|v: &[Tensor<f64>]| {
            let a = &v[0];
            (2.0 - a) * 3.0 + (1.5 / a) - (a / 4.0) + (a + 1.0) * (0.5 * a) - a.pow(2.5) + (-a)
        },
        &[x],
        6,
    );
}

#[test]
fn matmul_2d_batched_and_shared() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let cases: &[(&[usize], &[usize])] = &[
        (&[3, 4], &[4, 2]),
        (&[2, 3, 4], &[2, 4, 5]),
        (&[2, 3, 4], &[4, 2]),
    ];
    for &(sa, sb) in cases {
        let a = random(sa, -1.0, 1.0, &mut rng);
        let b = random(sb, -1.0, 1.0, &mut rng);
        check(
            &format!("matmul {sa:?} {sb:?}"),
            &|v: &[Tensor<f64>]| v[0].matmul(&v[1]).unwrap(),
            &[a, b],
            8,
        );
    }
}

#[test]
fn reductions_shapes_softmax_and_pick() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = random(&[3, 4, 2], -2.0, 2.0, &mut rng);
    let fs: Vec<(&str, Box<F>)> = vec![
        ("sum", Box::new(|v| v[0].sum())),
        ("mean", Box::new(|v| v[0].mean().unwrap())),
        ("sum_axis 1", Box::new(|v| v[0].sum_axis(1, false).unwrap())),
        (
            "sum_axis 2 keepdim",
            Box::new(|v| v[0].sum_axis(2, true).unwrap()),
        ),
        (
            "mean_axis 0",
            Box::new(|v| v[0].mean_axis(0, false).unwrap()),
        ),
        (
            "mean_axis 1 keepdim",
            Box::new(|v| v[0].mean_axis(1, true).unwrap()),
        ),
        ("max_axis 1", Box::new(|v| v[0].max_axis(1, false).unwrap())),
        (
            "max_axis 0 keepdim",
            Box::new(|v| v[0].max_axis(0, true).unwrap()),
        ),
        ("max_axis 2", Box::new(|v| v[0].max_axis(2, false).unwrap())),
        (
            "reshape",
            Box::new(|v| v[0].reshape(&[6, 4]).unwrap().tanh()),
        ),
        (
            "transpose 0 2",
            Box::new(|v| v[0].transpose(0, 2).unwrap().exp()),
        ),
        ("softmax 1", Box::new(|v| v[0].softmax(1).unwrap())),
        ("softmax 2", Box::new(|v| v[0].softmax(2).unwrap())),
        ("log_softmax 0", Box::new(|v| v[0].log_softmax(0).unwrap())),
        ("log_softmax 1", Box::new(|v| v[0].log_softmax(1).unwrap())),
        (
            "pick",
            Box::new(|v| {
                v[0].reshape(&[4, 6])
                    .unwrap()
                    .log_softmax(1)
                    .unwrap()
                    .pick(&[0, 5, 2, 2])
                    .unwrap()
            }),
        ),
        (
            "t",
            Box::new(|v| v[0].reshape(&[4, 6]).unwrap().t().unwrap().sigmoid()),
        ),
    ];
    for (name, f) in &fs {
        check(name, f.as_ref(), std::slice::from_ref(&x), 10);
    }
}

#[test]
fn shared_subexpressions_get_every_contribution() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let x = random(&[2, 3], -1.0, 1.0, &mut rng);
    let b = random(&[3], -1.0, 1.0, &mut rng);
    check(
        "shared",
        &|v: &[Tensor<f64>]| {
            let h = (&v[0] + &v[1]).tanh();
            // h is used three times, x twice more.
            &h * &h + h.exp() * &v[0] - &v[0]
        },
        &[x, b],
        12,
    );
    // The simplest case, by hand: d(x + x)/dx = 2, d(x * x)/dx = 2x.
    let x = Tensor::param([3.0f64]);
    (&x + &x).backward().unwrap();
    assert_eq!(x.grad().unwrap()[0], 2.0);
    x.zero_grad();
    assert!(x.grad().is_none());
    (&x * &x).backward().unwrap();
    assert_eq!(x.grad().unwrap()[0], 6.0);
}

#[test]
fn max_ties_go_to_the_first_index_and_nan_wins() {
    let x = Tensor::param([[2.0f64, 2.0, 1.0], [f64::NAN, 5.0, 5.0]]);
    let m = x.max_axis(1, false).unwrap();
    assert_eq!(m.to_vec()[0], 2.0);
    assert!(m.to_vec()[1].is_nan());
    m.sum().backward().unwrap();
    let g: Vec<f64> = x.grad().unwrap().iter().copied().collect();
    assert_eq!(g, vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
#[allow(clippy::approx_constant)] // 0.7071... is what PyTorch prints, not 1/sqrt(2) by intent
fn notebook_pytorch_cell() {
    let x1 = Tensor::param([2.0f64]);
    let x2 = Tensor::param([0.0]);
    let w1 = Tensor::param([-3.0]);
    let w2 = Tensor::param([1.0]);
    let b = Tensor::param([6.881373587019543]);
    let n = &x1 * &w1 + &x2 * &w2 + &b;
    let o = n.tanh();
    assert!((o.item().unwrap() - 0.7071067811865476).abs() < 1e-15);
    o.backward().unwrap();
    let g = |t: &Tensor<f64>| t.grad().unwrap()[0];
    for (got, want) in [(g(&x2), 0.5), (g(&w2), 0.0), (g(&x1), -1.5), (g(&w1), 1.0)] {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}

#[test]
fn creation_shapes() {
    let t = Tensor::<f64>::from([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(t.shape(), vec![2, 3]);
    assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert!(!t.needs_grad());
    assert_eq!(Tensor::<f32>::zeros(&[2, 0]).len(), 0);
    assert_eq!(Tensor::<f32>::ones(&[3]).to_vec(), vec![1.0; 3]);
    assert_eq!(Tensor::scalar(2.5f64).shape(), Vec::<usize>::new());
    assert_eq!(Tensor::scalar(2.5f64).item().unwrap(), 2.5);
    let mut r1 = ChaCha8Rng::seed_from_u64(4);
    let mut r2 = ChaCha8Rng::seed_from_u64(4);
    let a = Tensor::<f64>::normal(&[100], 1.0, 2.0, &mut r1);
    assert_eq!(
        a.to_vec(),
        Tensor::<f64>::normal(&[100], 1.0, 2.0, &mut r2).to_vec()
    );
    let mean = a.mean().unwrap().item().unwrap();
    assert!((mean - 1.0).abs() < 0.6, "{mean}");
    let p = t.clone().requires_grad(true);
    assert!(p.needs_grad() && p.is_leaf());
    let d = (&p * 2.0).detach();
    assert!(!d.needs_grad() && d.is_leaf());
}

#[test]
fn errors_name_shapes_and_axes() {
    let a = Tensor::<f64>::zeros(&[2, 3]);
    let b = Tensor::<f64>::zeros(&[4]);
    let e = a.try_add(&b).unwrap_err();
    assert!(matches!(e, AutogradError::Broadcast { .. }));
    assert_eq!(
        e.to_string(),
        "add: shapes (2, 3) and (4) cannot be broadcast together"
    );
    let e = a.matmul(&a).unwrap_err().to_string();
    assert!(
        e.contains("(2, 3) and (2, 3)") && e.contains("inner sizes 3 and 2"),
        "{e}"
    );
    let e = a.matmul(&b).unwrap_err().to_string();
    assert!(e.contains("(2, 3) and (4)"), "{e}");
    let p = Tensor::<f64>::param([1.0, 2.0]);
    let e = (&p * 2.0).backward().unwrap_err().to_string();
    assert!(e.contains("backward") && e.contains("(2)"), "{e}");
    let e = a.sum_axis(2, false).unwrap_err();
    assert_eq!(
        e,
        AutogradError::Axis {
            op: "sum_axis",
            axis: 2,
            rank: 2,
            shape: vec![2, 3]
        }
    );
    assert!(e.to_string().contains("axis 2") && e.to_string().contains("rank 2"));
    for r in [
        a.softmax(5),
        a.log_softmax(2),
        a.max_axis(3, true),
        a.mean_axis(9, false),
        a.transpose(0, 2),
    ] {
        assert!(matches!(r.unwrap_err(), AutogradError::Axis { .. }));
    }
    let empty = Tensor::<f64>::zeros(&[0, 3]);
    assert!(matches!(
        empty.mean().unwrap_err(),
        AutogradError::Empty { .. }
    ));
    assert!(matches!(
        empty.max_axis(0, false).unwrap_err(),
        AutogradError::Empty { .. }
    ));
    assert!(matches!(
        empty.mean_axis(0, false).unwrap_err(),
        AutogradError::Empty { .. }
    ));
    assert_eq!(empty.sum().item().unwrap(), 0.0);
    assert!(matches!(
        a.item().unwrap_err(),
        AutogradError::NotOneElement { op: "item", .. }
    ));
    assert!(matches!(
        a.reshape(&[5]).unwrap_err(),
        AutogradError::Shape { .. }
    ));
    assert!(matches!(
        a.pick(&[0]).unwrap_err(),
        AutogradError::Shape { .. }
    ));
    assert!(matches!(
        a.pick(&[0, 3]).unwrap_err(),
        AutogradError::Class {
            row: 1,
            class: 3,
            classes: 3
        }
    ));
    assert!(matches!(
        a.sum().backward().unwrap_err(),
        AutogradError::NoGrad
    ));
    assert!(matches!(
        p.backward_with(&Tensor::from([1.0, 2.0, 3.0])).unwrap_err(),
        AutogradError::Shape { .. }
    ));
    let caught = std::panic::catch_unwind(|| {
        let _ = Tensor::<f64>::zeros(&[2, 3]) + Tensor::<f64>::zeros(&[4]);
    });
    let msg = caught.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert_eq!(
        msg,
        "add: shapes (2, 3) and (4) cannot be broadcast together"
    );
}

#[test]
fn nan_and_infinity_propagate() {
    let x = Tensor::param([f64::NAN, 1.0, f64::INFINITY]);
    let y = (x.relu() * 2.0 + x.exp()).sum();
    assert!(y.item().unwrap().is_nan());
    y.backward().unwrap();
    let g = x.grad().unwrap();
    assert!(g[0].is_nan());
    assert_eq!(g[1], 2.0 + 1f64.exp());
    assert!(g[2].is_infinite());
    let s = Tensor::<f64>::from([f64::NAN, 0.0]).softmax(0).unwrap();
    assert!(s.to_vec().iter().all(|v| v.is_nan()));
    assert_eq!((Tensor::from([1.0f64]) / 0.0).to_vec(), vec![f64::INFINITY]);
}

#[test]
fn long_chain_backward_and_drop_without_stack_overflow() {
    let x = Tensor::param([0.5f64, -0.25]);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = &y * 1.0 + 0.0;
    }
    let y = y.sum();
    y.backward().unwrap();
    assert_eq!(
        x.grad().unwrap().iter().copied().collect::<Vec<_>>(),
        vec![1.0, 1.0]
    );
    drop(y);
}

#[test]
fn no_grad_and_detach_record_nothing() {
    let w = Tensor::param([[1.0f64, 2.0]]);
    let y = no_grad(|| w.tanh() * 3.0);
    assert!(!y.needs_grad() && y.is_leaf());
    assert!(matches!(
        y.sum().backward().unwrap_err(),
        AutogradError::NoGrad
    ));
    let z = (w.detach() * &w).sum();
    z.backward().unwrap();
    assert_eq!(
        w.grad().unwrap().iter().copied().collect::<Vec<_>>(),
        vec![1.0, 2.0]
    );
    // A second pass adds.
    z.backward().unwrap();
    assert_eq!(
        w.grad().unwrap().iter().copied().collect::<Vec<_>>(),
        vec![2.0, 4.0]
    );
}

#[test]
fn f32_runs_the_same_rules() {
    let x = Tensor::<f32>::param([[0.5, -1.0], [2.0, 0.0]]);
    let w = Tensor::<f32>::param([[1.0], [2.0]]);
    let loss = x.matmul(&w).unwrap().tanh().sum();
    loss.backward().unwrap();
    let gw = w.grad().unwrap();
    let (a, b) = ((0.5f32 - 2.0).tanh(), 2.0f32.tanh());
    let want0 = 0.5 * (1.0 - a * a) + 2.0 * (1.0 - b * b);
    assert!(
        (gw[[0, 0]] - want0).abs() < 1e-6,
        "{} vs {want0}",
        gw[[0, 0]]
    );
}

#[test]
fn empty_products_and_sums_are_zeros_not_panics() {
    let a = Tensor::<f64>::param(ArrayD::zeros(IxDyn(&[2, 0])));
    let b = Tensor::<f64>::param(ArrayD::zeros(IxDyn(&[0, 3])));
    let p = a.matmul(&b).unwrap();
    assert_eq!(p.shape(), vec![2, 3]);
    assert!(p.to_vec().iter().all(|&v| v == 0.0));
    p.sum().backward().unwrap();
    assert_eq!(a.grad().unwrap().shape(), &[2, 0]);
    let e = Tensor::<f64>::zeros(&[0, 3]);
    assert_eq!(e.softmax(0).unwrap().shape(), vec![0, 3]);
    assert_eq!(e.sum_axis(0, true).unwrap().to_vec(), vec![0.0; 3]);
    assert_eq!((&e + &Tensor::from([1.0, 2.0, 3.0])).shape(), vec![0, 3]);
}

#[test]
fn update_data_changes_values_in_place() {
    let w = Tensor::<f64>::param([1.0, 2.0]);
    let y = (&w * 3.0).sum();
    w.update_data(|d| d.mapv_inplace(|v| v * 10.0));
    assert_eq!(w.to_vec(), vec![10.0, 20.0]);
    // Already recorded results keep their values.
    assert_eq!(y.item().unwrap(), 9.0);
    assert!(format!("{:?}", y).contains("sum"));
    let bad = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        w.update_data(|d| *d = ArrayD::zeros(IxDyn(&[3])));
    }));
    assert!(bad.is_err());
}

#[test]
fn an_operand_reached_again_through_a_later_operand_waits_for_it() {
    // r = x + 2x: x is r's first operand and also below its second one, so
    // x's gradient is final only after 2x has sent its part.
    let x = Tensor::param([1.0f64]);
    let r = &x + &(&x * 2.0);
    r.backward().unwrap();
    assert_eq!(x.grad().unwrap()[0], 3.0);
    // Deeper: y = tanh(x) used directly and through a chain.
    let x = Tensor::param([0.3f64]);
    let y = x.tanh();
    let r = &y + &(&(&y * 2.0) * 3.0).exp();
    r.backward().unwrap();
    let t = 0.3f64.tanh();
    let want = (1.0 - t * t) * (1.0 + 6.0 * (6.0 * t).exp());
    assert!((x.grad().unwrap()[0] - want).abs() < 1e-12 * want);
}

/// The values and every gradient of two ways to compute one function, at
/// the same random inputs, compared to a relative `tol` (0 for bitwise).
fn same_as(name: &str, fused: &F, plain: &F, inputs: &[ArrayD<f64>], tol: f64) {
    let run = |f: &F| {
        let params: Vec<Tensor<f64>> = inputs.iter().map(|a| Tensor::param(a.clone())).collect();
        let out = f(&params);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let w = random(&out.shape(), -1.0, 1.0, &mut rng);
        scalarize(&out, &w).backward().unwrap();
        let grads: Vec<Vec<f64>> = params
            .iter()
            .map(|p| p.grad().unwrap().iter().copied().collect())
            .collect();
        (out.shape(), out.to_vec(), grads)
    };
    let (got, want) = (run(fused), run(plain));
    assert_eq!(got.0, want.0, "{name}: shape");
    let close = |g: f64, w: f64| (g - w).abs() <= tol * w.abs().max(1.0);
    for (k, (g, w)) in got.1.iter().zip(&want.1).enumerate() {
        assert!(close(*g, *w), "{name}: value {k}: {g} vs {w}");
    }
    for (i, (gs, ws)) in got.2.iter().zip(&want.2).enumerate() {
        for (k, (g, w)) in gs.iter().zip(ws).enumerate() {
            assert!(close(*g, *w), "{name}: d/dx{i}[{k}]: {g} vs {w}");
        }
    }
}

#[test]
fn addmm_is_a_product_plus_a_broadcast_bias() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let (n, k, m) = (5, 3, 4);
    for bias in [&[m][..], &[1, m], &[n, m], &[], &[1], &[n, 1]] {
        let inputs = [
            random(bias, -1.0, 1.0, &mut rng),
            random(&[n, k], -1.0, 1.0, &mut rng),
            random(&[k, m], -1.0, 1.0, &mut rng),
        ];
        let fused: &F = &|v| v[0].addmm(&v[1], &v[2]).unwrap();
        let plain: &F = &|v| v[1].matmul(&v[2]).unwrap() + &v[0];
        same_as(
            &format!("addmm bias {bias:?}"),
            fused,
            plain,
            &inputs,
            1e-14,
        );
        check(&format!("addmm bias {bias:?}"), fused, &inputs, 22);
    }
}

#[test]
fn addmm_errors_name_the_shapes() {
    let t = |s: &[usize]| Tensor::<f64>::from_array(ArrayD::zeros(IxDyn(s)));
    let err =
        |b: &[usize], x: &[usize], w: &[usize]| t(b).addmm(&t(x), &t(w)).unwrap_err().to_string();
    let e = err(&[4], &[2, 3, 3], &[3, 4]);
    assert!(e.contains("(2, 3, 3)") && e.contains("addmm"), "{e}");
    let e = err(&[4], &[2, 3], &[2, 4]);
    assert!(e.contains("inner sizes 3 and 2"), "{e}");
    let e = err(&[5], &[2, 3], &[3, 4]);
    assert!(
        e.contains("addmm") && e.contains("(5)") && e.contains("(2, 4)"),
        "{e}"
    );
    let e = err(&[1, 2, 4], &[2, 3], &[3, 4]);
    assert!(e.contains("(1, 2, 4)"), "{e}");
}

#[test]
fn dot_is_the_sum_of_products_bit_for_bit() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    for shape in [&[][..], &[1], &[5], &[3, 4], &[17], &[2, 3, 5]] {
        let inputs = [
            random(shape, -1.0, 1.0, &mut rng),
            random(shape, -1.0, 1.0, &mut rng),
        ];
        let fused: &F = &|v| v[0].dot(&v[1]).unwrap();
        let plain: &F = &|v| (&v[0] * &v[1]).sum();
        same_as(&format!("dot {shape:?}"), fused, plain, &inputs, 0.0);
        check(&format!("dot {shape:?}"), fused, &inputs, 24);
        // A tensor with itself: both slopes reach it.
        let self_dot: &F = &|v| v[0].dot(&v[0]).unwrap();
        let square: &F = &|v| (&v[0] * &v[0]).sum();
        same_as(
            &format!("p.dot(p) {shape:?}"),
            self_dot,
            square,
            &inputs[..1],
            0.0,
        );
    }
    // Operands in any layout.
    let a = Tensor::param(random(&[3, 4], -1.0, 1.0, &mut rng))
        .t()
        .unwrap();
    let b = Tensor::from_array(random(&[4, 3], -1.0, 1.0, &mut rng));
    let want = (&a * &b).sum().item().unwrap();
    assert_eq!(a.dot(&b).unwrap().item().unwrap(), want);
    let e = a.dot(&Tensor::from([1.0, 2.0])).unwrap_err().to_string();
    assert!(
        e.contains("dot") && e.contains("(4, 3)") && e.contains("(2)"),
        "{e}"
    );
}

#[test]
fn add_n_is_a_chain_of_additions_bit_for_bit() {
    let mut rng = ChaCha8Rng::seed_from_u64(25);
    for shape in [&[][..], &[4], &[2, 3]] {
        let inputs: Vec<ArrayD<f64>> = (0..4).map(|_| random(shape, -1.0, 1.0, &mut rng)).collect();
        let fused: &F = &|v| {
            Tensor::add_n(&[
                v[0].clone(),
                v[1].clone(),
                v[2].clone(),
                v[3].clone(),
                v[1].clone(),
            ])
            .unwrap()
        };
        let plain: &F = &|v| &v[0] + &v[1] + &v[2] + &v[3] + &v[1];
        same_as(&format!("add_n {shape:?}"), fused, plain, &inputs, 0.0);
        check(&format!("add_n {shape:?}"), fused, &inputs, 26);
    }
    let one = Tensor::param([1.0f64, 2.0]);
    assert!(Tensor::add_n(std::slice::from_ref(&one)).unwrap().to_vec() == vec![1.0, 2.0]);
    let e = Tensor::add_n(&[one.clone(), Tensor::from([1.0, 2.0, 3.0])])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("add_n") && e.contains("(2)") && e.contains("(3)"),
        "{e}"
    );
    assert!(Tensor::<f64>::add_n(&[]).is_err());
}

#[test]
fn a_float_operand_is_no_node_and_gives_the_constants_values() {
    let mut rng = ChaCha8Rng::seed_from_u64(27);
    let x = random(&[2, 3], 0.5, 1.5, &mut rng);
    for &op in Binary::ALL {
        for left in [false, true] {
            let c = 1.75;
            let with_float: Box<F> = match (op, left) {
                (Binary::Add, false) => Box::new(move |v| &v[0] + c),
                (Binary::Add, true) => Box::new(move |v| c + &v[0]),
                (Binary::Sub, false) => Box::new(move |v| &v[0] - c),
                (Binary::Sub, true) => Box::new(move |v| c - &v[0]),
                (Binary::Mul, false) => Box::new(move |v| &v[0] * c),
                (Binary::Mul, true) => Box::new(move |v| c * &v[0]),
                (Binary::Div, false) => Box::new(move |v| &v[0] / c),
                (Binary::Div, true) => Box::new(move |v| c / &v[0]),
                _ => continue,
            };
            let with_constant: Box<F> = if left {
                Box::new(move |v| Tensor::scalar(c).binary(op, &v[0]).unwrap())
            } else {
                Box::new(move |v| v[0].binary(op, &Tensor::scalar(c)).unwrap())
            };
            let name = format!("{} float left={left}", op.name());
            same_as(
                &name,
                &*with_float,
                &*with_constant,
                std::slice::from_ref(&x),
                0.0,
            );
            let t = Tensor::param(x.clone());
            let y = with_float(std::slice::from_ref(&t));
            assert_eq!(y.op_name(), op.name(), "{name}");
            assert_eq!(y.operands().len(), 1, "{name}");
            assert!(y.operands()[0].same_node(&t), "{name}");
        }
    }
}

#[test]
fn a_graph_deeper_than_the_recursive_drop_frees_on_an_explicit_stack() {
    // Wide and deep at once: a chain whose every node also holds a fresh
    // leaf, dropped from the root.
    let x = Tensor::param([1.0f64]);
    let mut y = x.clone();
    for i in 0..10_000 {
        y = &y + &Tensor::from([i as f64]);
    }
    y.sum().backward().unwrap();
    assert_eq!(x.grad().unwrap()[0], 1.0);
}

#[test]
fn an_operand_of_more_axes_makes_the_result_that_rank() {
    // The parity suite's seed 1807: `[3, 1] * [1, 1, 1]` is `[1, 3, 1]`,
    // so a max over axis 0 then keeps every element.
    let mut rng = ChaCha8Rng::seed_from_u64(29);
    let cases: &[(&[usize], &[usize], &[usize])] = &[
        (&[3, 1], &[1, 1, 1], &[1, 3, 1]),
        (&[2, 3], &[1, 1, 3], &[1, 2, 3]),
        (&[3], &[1, 1], &[1, 3]),
    ];
    for &(sa, sb, want) in cases {
        for (sa, sb) in [(sa, sb), (sb, sa)] {
            let inputs = [
                random(sa, 0.5, 1.5, &mut rng),
                random(sb, 0.5, 1.5, &mut rng),
            ];
            let (a, b) = (
                Tensor::from_array(inputs[0].clone()),
                Tensor::from_array(inputs[1].clone()),
            );
            assert_eq!((&a * &b).shape(), want, "{sa:?} * {sb:?}");
            check(
                &format!("max of {sa:?} * {sb:?}"),
                &|v| (&v[0] * &v[1]).max_axis(0, true).unwrap(),
                &inputs,
                30,
            );
        }
    }
}
