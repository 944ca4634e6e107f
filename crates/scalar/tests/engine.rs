//! Behaviour of `Value`: one suite, written once, run for f32 and f64 by a
//! macro (the orphan rule makes `2.0 * &x` exist per float type, so the
//! bodies are written against a concrete `T`).

macro_rules! suite {
    ($name:ident, $t:ty, $rtol:expr) => {
        mod $name {
            use ferrograd_scalar::{Scalar, Value};

            type T = $t;
            const RTOL: f64 = $rtol;

            fn t(x: f64) -> T {
                T::from_f64(x)
            }

            fn close(got: T, want: f64, rtol: f64) {
                let got = got.to_f64();
                assert!(
                    (got - want).abs() <= rtol * want.abs().max(1.0),
                    "{}: got {got}, want {want}",
                    stringify!($t)
                );
            }

            /// The seed notebook's tanh neuron; PyTorch prints these numbers.
            #[test]
            fn neuron() {
                use ferrograd_data::notebook::{Neuron, NEURON, NEURON_OUT};
                let leaves = NEURON.map(|label, x| Value::new(t(x)).with_label(label));
                let Neuron { x1, x2, w1, w2, b } = &leaves;
                let n = x1 * w1 + x2 * w2 + b;
                let o = n.tanh();
                o.backward();
                close(o.data(), NEURON_OUT.o, RTOL);
                close(n.grad(), NEURON_OUT.grad.b, RTOL);
                let want = NEURON_OUT.grad.to_array();
                for (leaf, want) in leaves.clone().to_array().iter().zip(want) {
                    close(leaf.grad(), want, RTOL);
                }
                assert_eq!(o.op(), "tanh");
                assert_eq!(x1.label(), "x1");
            }

            /// micrograd's `test_sanity_check`, PyTorch's values.
            #[test]
            fn micrograd_sanity() {
                let x = Value::new(t(-4.0));
                let z = 2.0 * &x + 2.0 + &x;
                let q = z.relu() + &z * &x;
                let h = (&z * &z).relu();
                let y = &h + &q + &q * &x;
                y.backward();
                close(y.data(), -20.0, RTOL);
                close(x.grad(), 46.0, RTOL);
            }

            /// micrograd's `test_more_ops`, PyTorch's values (torch 2.13.0, float64).
            #[test]
            fn micrograd_more_ops() {
                let a = Value::new(t(-4.0));
                let b = Value::new(t(2.0));
                let mut c = &a + &b;
                let mut d = &a * &b + b.powi(3);
                c += &c + 1.0;
                c += 1.0 + &c + (-&a);
                d += &d * 2.0 + (&b + &a).relu();
                d += 3.0 * &d + (&b - &a).relu();
                let e = &c - &d;
                let f = e.powi(2);
                let mut g = &f / 2.0;
                g += 10.0 / &f;
                g.backward();
                close(g.data(), 24.704_081_632_653_06, RTOL);
                close(a.grad(), 138.833_819_241_982_52, RTOL);
                close(b.grad(), 645.577_259_475_218_6, RTOL);
            }

            /// A node used twice gets both contributions.
            #[test]
            fn reuse() {
                let a = Value::new(t(3.0));
                let b = &a + &a;
                b.backward();
                assert_eq!(a.grad(), t(2.0));
                assert_eq!(b.children().len(), 2);
                assert_eq!(b.children()[0].id(), a.id());

                let a = Value::new(t(-2.0));
                let b = Value::new(t(3.0));
                let f = (&a * &b) * (&a + &b);
                f.backward();
                close(a.grad(), -3.0, 1e-6); // b(a+b) + ab
                close(b.grad(), -8.0, 1e-6); // a(a+b) + ab
            }

            /// Leaves accumulate across `backward()` calls, as in PyTorch; interior
            /// nodes hold the latest call's gradient; `zero_grad` clears everything.
            #[test]
            fn accumulation() {
                let x = Value::new(t(2.0));
                let y = &x * &x;
                let z = &y * 3.0;
                z.backward();
                z.backward();
                assert_eq!(x.grad(), t(24.0));
                assert_eq!(y.grad(), t(3.0));
                z.zero_grad();
                assert_eq!(x.grad(), t(0.0));
                assert_eq!(y.grad(), t(0.0));
                // A backward from an inner node reaches only what is below it.
                let other = Value::new(t(5.0));
                let unrelated = &other * 2.0;
                y.backward();
                assert_eq!(x.grad(), t(4.0));
                assert_eq!(other.grad(), t(0.0));
                drop(unrelated);
            }

            /// `backward_step` applies one node's rule: the notebook's `_backward()`.
            #[test]
            fn manual_steps() {
                let a = Value::new(t(2.0));
                let b = Value::new(t(-3.0));
                let c = Value::new(t(10.0));
                let e = &a * &b;
                let d = &e + &c;
                let f = Value::new(t(-2.0));
                let l = &d * &f;
                l.set_grad(t(1.0));
                for node in l.topo().iter().rev() {
                    node.backward_step();
                }
                assert_eq!(a.grad(), t(6.0));
                assert_eq!(b.grad(), t(-4.0));
                assert_eq!(c.grad(), t(-2.0));
                assert_eq!(f.grad(), t(4.0));
                let order: Vec<_> = l.topo().iter().map(Value::id).collect();
                assert_eq!(order.len(), 7);
                assert_eq!(*order.last().unwrap(), l.id());
            }

            /// Every function against its closed form.
            #[test]
            fn functions() {
                let x = Value::new(t(0.7));
                let cases: Vec<(Value<T>, f64, f64, &str)> = vec![
                    (x.tanh(), 0.7f64.tanh(), 1.0 - 0.7f64.tanh().powi(2), "tanh"),
                    (x.exp(), 0.7f64.exp(), 0.7f64.exp(), "exp"),
                    (x.ln(), 0.7f64.ln(), 1.0 / 0.7, "ln"),
                    (
                        x.sigmoid(),
                        1.0 / (1.0 + (-0.7f64).exp()),
                        {
                            let s = 1.0 / (1.0 + (-0.7f64).exp());
                            s * (1.0 - s)
                        },
                        "sigmoid",
                    ),
                    (x.relu(), 0.7, 1.0, "ReLU"),
                    (x.sqrt(), 0.7f64.sqrt(), 0.5 / 0.7f64.sqrt(), "sqrt"),
                    (x.powi(3), 0.343, 3.0 * 0.49, "**3"),
                    (
                        x.powf(t(2.5)),
                        0.7f64.powf(2.5),
                        2.5 * 0.7f64.powf(1.5),
                        "**2.5",
                    ),
                    (-&x, -0.7, -1.0, "neg"),
                    (1.0 / &x, 1.0 / 0.7, -1.0 / 0.49, "/"),
                    (2.0 - &x, 1.3, -1.0, "-"),
                ];
                for (y, value, slope, op) in cases {
                    x.set_grad(t(0.0));
                    y.backward();
                    close(y.data(), value, RTOL);
                    close(x.grad(), slope, RTOL);
                    assert_eq!(y.op(), op);
                }
                let e = Value::new(t(1.5));
                let p = x.pow(&e);
                p.backward();
                close(e.grad(), 0.7f64.powf(1.5) * 0.7f64.ln(), RTOL);
            }

            /// NaN and infinities propagate as IEEE arithmetic does, without panics.
            #[test]
            fn ieee() {
                let z = Value::new(t(0.0));
                let inf = 1.0 / &z;
                assert!(inf.data().is_infinite());
                let nan = &inf - &inf;
                assert!(nan.data().is_nan());
                assert!(nan.relu().data().is_nan());
                let neg = Value::new(t(-1.0));
                assert!(neg.ln().data().is_nan());
                assert!(neg.sqrt().data().is_nan());
                let y = (&nan * 2.0).tanh();
                y.backward();
                assert!(y.grad().to_f64() == 1.0);
                assert!(nan.grad().is_nan());
            }

            /// Replay: new leaf values, same graph, same numbers as a rebuild.
            #[test]
            fn replay() {
                let x = Value::new(t(0.5));
                let w = Value::new(t(-1.25));
                let y = (&x * &w + 1.0).tanh() * &x;
                for v in [0.1, -2.0, 3.0] {
                    x.set_data(t(v));
                    y.recompute();
                    let fresh = (v * -1.25 + 1.0f64).tanh() * v;
                    close(y.data(), fresh, 1e-6);
                }
            }
        }
    };
}

suite!(f64_engine, f64, 1e-12);
suite!(f32_engine, f32, 1e-5);
