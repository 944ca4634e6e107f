//! The seed notebook's `Value` cells, in order, printing what the notebook
//! prints. `cargo run --release --example notebook_values`

use ferrograd::nn::{sum_squared_error, Layer, Mlp, Neuron};
use ferrograd::numeric::derivative;
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn f(x: f64) -> f64 {
    3.0 * x * x - 4.0 * x + 5.0
}

fn section(title: &str) {
    println!("\n## {title}");
}

/// The notebook's neuron: x1*w1 + x2*w2 + b, then tanh; returns every node.
fn neuron_graph() -> [Value<f64>; 10] {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let x1w1 = (&x1 * &w1).with_label("x1*w1");
    let x2w2 = (&x2 * &w2).with_label("x2*w2");
    let x1w1x2w2 = (&x1w1 + &x2w2).with_label("x1*w1 + x2*w2");
    let n = (&x1w1x2w2 + &b).with_label("n");
    let o = n.tanh().with_label("o");
    [x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o]
}

fn print_grads(nodes: &[Value<f64>]) {
    for v in nodes {
        println!(
            "  {:>14}  data {:>10.4}  grad {:>8.4}",
            v.label(),
            v.data(),
            v.grad()
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    section("Parabolic function - derivative example");
    println!("f(2) = {}", f(2.0));
    println!("slope at x = -3: {:.6}", derivative(f, -3.0, 1e-7));

    section("Forward pass manually");
    let (a, b, c) = (2.0f64, -3.0f64, 10.0f64);
    println!("d = {}", a * b + c);
    let h = 1e-7;
    let slope_a = derivative(|a| a * b + c, a, h);
    let slope_b = derivative(|b| a * b + c, b, h);
    println!(
        "d1 {} d2 {} slope {:.6}",
        a * b + c,
        (a + h) * b + c,
        slope_a
    );
    println!(
        "d1 {} d2 {} slope {:.6}",
        a * b + c,
        a * (b + h) + c,
        slope_b
    );

    section("First manual backpropagation");
    let a = Value::new(2.0).with_label("a");
    let b = Value::new(-3.0).with_label("b");
    let c = Value::new(10.0).with_label("c");
    let e = &a * &b;
    e.set_label("e");
    let d = &e + &c;
    d.set_label("d");
    let f_ = Value::new(-2.0).with_label("f");
    let l = &d * &f_;
    l.set_label("L");
    println!("L = {}", l.data());
    l.set_grad(1.0);
    f_.set_grad(d.data());
    d.set_grad(f_.data());
    e.set_grad(d.grad() * 1.0);
    c.set_grad(d.grad() * 1.0);
    a.set_grad(e.grad() * 1.0 * b.data());
    b.set_grad(e.grad() * 1.0 * a.data());
    print_grads(&[
        a.clone(),
        b.clone(),
        c.clone(),
        e.clone(),
        d.clone(),
        f_.clone(),
        l.clone(),
    ]);
    for v in [&a, &b, &c, &f_] {
        v.set_data(v.data() + 0.01 * v.grad());
    }
    let l2 = (&a * &b + &c) * &f_;
    println!("after one nudge along the gradient: L = {:.6}", l2.data());
    let lol = |dc: f64| {
        let l = (Value::new(2.0) * Value::new(-3.0) + Value::new(10.0 + dc)) * Value::new(-2.0);
        l.data()
    };
    println!("dL/dc by nudging c: {:.6}", (lol(0.001) - lol(0.0)) / 0.001);

    section("Hyperbolic tangent");
    for x in [-2.0f64, 0.0, 2.0] {
        println!("tanh({x}) = {:.6}", Value::new(x).tanh().data());
    }

    section("Second manual backpropagation");
    let [x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o] = neuron_graph();
    o.set_grad(1.0);
    n.set_grad(1.0 - o.data().powi(2));
    b.set_grad(n.grad() * 1.0);
    x1w1x2w2.set_grad(n.grad() * 1.0);
    x1w1.set_grad(x1w1x2w2.grad() * 1.0);
    x2w2.set_grad(x1w1x2w2.grad() * 1.0);
    x1.set_grad(x1w1.grad() * w1.data());
    w1.set_grad(x1w1.grad() * x1.data());
    x2.set_grad(x2w2.grad() * w2.data());
    w2.set_grad(x2w2.grad() * x2.data());
    print_grads(&[x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o]);

    section("Semiautomation of the backpropagation");
    let nodes = neuron_graph();
    let [_, _, _, _, b, x1w1, x2w2, x1w1x2w2, n, o] = nodes.clone();
    o.set_grad(1.0);
    for v in [&o, &n, &b, &x1w1x2w2, &x2w2, &x1w1] {
        v.backward_step();
    }
    print_grads(&nodes);

    section("Topological graph");
    let topo: Vec<String> = nodes[9].topo().iter().map(|v| format!("{v:?}")).collect();
    println!("[{}]", topo.join(",\n "));

    section("Automation of the backpropagation");
    let nodes = neuron_graph();
    nodes[9].backward();
    print_grads(&nodes);

    section("New topologies - autonomous backpropagation");
    let a = Value::new(2.0).with_label("a");
    let b = (&a + &a).with_label("b");
    b.backward();
    println!("b = a + a: a.grad = {}", a.grad());
    let a = Value::new(-2.0).with_label("a");
    let b = Value::new(3.0).with_label("b");
    let d = (&a * &b).with_label("d");
    let e = (&a + &b).with_label("e");
    let f_ = (&d * &e).with_label("f");
    f_.backward();
    println!(
        "f = (a*b)*(a+b) = {}: a.grad = {}, b.grad = {}",
        f_.data(),
        a.grad(),
        b.grad()
    );
    let z = Value::new(1.0).with_label("z");
    println!("{:?}", z.tanh());

    section("PyTorch approach (the same neuron in ferrograd, f64)");
    let [x1, x2, w1, w2, _, _, _, _, _, o] = neuron_graph();
    o.backward();
    println!("{}", o.data());
    println!("----");
    println!("x2 {}", x2.grad());
    println!("w2 {}", w2.grad());
    println!("x1 {}", x1.grad());
    println!("w1 {}", w1.grad());

    section("Neuron, Layer, MLP");
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let x = [2.0, 3.0, -1.0];
    let neuron = Neuron::<f64>::new(3, &mut rng)?;
    let layer = Layer::<f64>::new(3, 3, &mut rng)?;
    println!("Neuron(3)(x) = {:?}", neuron.forward(&x)?);
    println!("Layer(3, 3)(x) = {:?}", layer.forward(&x)?);
    let net = Mlp::<f64>::new(3, &[4, 4, 1], &mut rng)?;
    println!("MLP(3, [4, 4, 1])(x) = {:?}", net.forward(&x)?);

    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];
    let params = net.parameters();
    println!("{} parameters", params.len());
    for k in 0..20 {
        let ypred: Vec<Value<f64>> = xs
            .iter()
            .map(|x| net.forward(x).map(|mut o| o.remove(0)))
            .collect::<Result<_, _>>()?;
        let loss = sum_squared_error(&ypred, &ys)?;
        net.zero_grad();
        loss.backward();
        for p in &params {
            p.set_data(p.data() - 0.05 * p.grad());
        }
        println!("step {k:2} loss {:.6}", loss.data());
    }
    let ypred: Vec<f64> = xs
        .iter()
        .map(|x| net.forward(x).map(|o| o[0].data()))
        .collect::<Result<_, _>>()?;
    println!("predictions {ypred:.4?} for targets {ys:?}");
    Ok(())
}
