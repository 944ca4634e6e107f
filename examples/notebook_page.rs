//! Runs every section of the seed notebook in Rust and writes it as one
//! self-contained HTML page: headings, printed output, the graph at every
//! step of the manual and automatic backpropagation, the plots, the MLP's
//! training curve and the PyTorch cell (from the oracle's results when they
//! exist).
//!
//! ```text
//! cargo run --release --example notebook_page -- [--out DIR] [--torch-json FILE] [--check] [--screenshot FILE]
//! ```
//!
//! `--out` defaults to `notebook/` in `CARGO_TARGET_DIR`, else in the
//! `target/` of the workspace `cargo run` started it from, decided at run
//! time. `cargo xtask notebook` runs this with `--out` set to the invoking
//! checkout's `<target>/notebook`; `--check` then opens the page in headless Chromium and fails unless every section
//! is there, every picture is drawn with a non-zero size and no script failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferrograd::nn::{Activation, Layer, Mlp, Sgd};
use ferrograd::numeric::derivative;
use ferrograd::viz::{self, Page, Plot};
use ferrograd::Value;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type V = Value<f64>;
type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The seed's bias: makes `n = 0.8814` and `o = tanh(n) = 0.7071`.
const B: f64 = 6.881_373_587_019_543;

/// Training run shown on the page: steps, learning rate, seed.
const STEPS: usize = 20;
const LR: f64 = 0.05;
const SEED: u64 = 1337;

struct Args {
    out: PathBuf,
    torch_json: Option<PathBuf>,
    check: bool,
    screenshot: Option<PathBuf>,
}

/// `notebook/` in the target folder of the checkout running this: from the
/// environment at run time, since a path fixed at compile time could name
/// another checkout.
fn default_out() -> PathBuf {
    let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
    let target = match (env("CARGO_TARGET_DIR"), env("CARGO_MANIFEST_DIR")) {
        (Some(dir), _) => PathBuf::from(dir),
        (None, Some(root)) => PathBuf::from(root).join("target"),
        (None, None) => PathBuf::from("target"),
    };
    target.join("notebook")
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: default_out(),
        torch_json: None,
        check: false,
        screenshot: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--out" => args.out = value("--out")?.into(),
            "--torch-json" => args.torch_json = Some(value("--torch-json")?.into()),
            "--screenshot" => args.screenshot = Some(value("--screenshot")?.into()),
            "--check" => args.check = true,
            "-h" | "--help" => {
                return Err("usage: notebook_page [--out DIR] [--torch-json FILE] [--check] [--screenshot FILE]".into())
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notebook_page: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Res<()> {
    let torch_json = args
        .torch_json
        .clone()
        .unwrap_or_else(|| args.out.join("torch.json"));
    let page = build(&torch_json)?;
    let path = args.out.join("index.html");
    page.write(&path)?;
    eprintln!(
        "notebook_page: {} sections, {} figures",
        page.sections().len(),
        page.figure_count()
    );
    if let Some(shot) = &args.screenshot {
        viz::browser::screenshot(&path, shot, 1200, 2400)?;
        eprintln!("notebook_page: screenshot {}", shot.display());
    }
    if args.check {
        let report = viz::browser::check_page(&path)?;
        let problems = report.problems(&page.headings());
        if !problems.is_empty() {
            return Err(format!(
                "the browser check of {} found {} problem(s):\n  {}",
                path.display(),
                problems.len(),
                problems.join("\n  ")
            )
            .into());
        }
        eprintln!(
            "notebook_page: browser check passed: {} sections, {} figures drawn, no script errors",
            report.sections.len(),
            report.figures.len()
        );
    }
    eprintln!("notebook_page: wrote {}", path.display());
    Ok(())
}

fn label(v: V, l: &str) -> V {
    v.with_label(l)
}

fn leaf(x: f64, l: &str) -> V {
    Value::new(x).with_label(l)
}

fn graph(v: &V) -> Res<String> {
    Ok(viz::render_svg(v)?)
}

/// The seed's `f(x) = 3x^2 - 4x + 5`.
fn f(x: f64) -> f64 {
    3.0 * x * x - 4.0 * x + 5.0
}

/// `np.arange(-5, 5, 0.25)`.
fn arange() -> Vec<f64> {
    (0..40).map(|i| -5.0 + 0.25 * f64::from(i)).collect()
}

/// The neuron of sections 6 to 10; returns every named node.
struct Neuron {
    x1: V,
    x2: V,
    w1: V,
    w2: V,
    b: V,
    x1w1: V,
    x2w2: V,
    x1w1x2w2: V,
    n: V,
    o: V,
}

fn neuron() -> Neuron {
    let x1 = leaf(2.0, "x1");
    let x2 = leaf(0.0, "x2");
    let w1 = leaf(-3.0, "w1");
    let w2 = leaf(1.0, "w2");
    let b = leaf(B, "b");
    let x1w1 = label(&x1 * &w1, "x1*w1");
    let x2w2 = label(&x2 * &w2, "x2*w2");
    let x1w1x2w2 = label(&x1w1 + &x2w2, "x1*w1 + x2*w2");
    let n = label(&x1w1x2w2 + &b, "n");
    let o = label(n.tanh(), "o");
    Neuron {
        x1,
        x2,
        w1,
        w2,
        b,
        x1w1,
        x2w2,
        x1w1x2w2,
        n,
        o,
    }
}

const NEURON_CODE: &str = "let x1 = Value::new(2.0).with_label(\"x1\");
let x2 = Value::new(0.0).with_label(\"x2\");
let w1 = Value::new(-3.0).with_label(\"w1\");
let w2 = Value::new(1.0).with_label(\"w2\");
let b = Value::new(6.8813735870195432).with_label(\"b\");
let x1w1 = (&x1 * &w1).with_label(\"x1*w1\");
let x2w2 = (&x2 * &w2).with_label(\"x2*w2\");
let x1w1x2w2 = (&x1w1 + &x2w2).with_label(\"x1*w1 + x2*w2\");
let n = (&x1w1x2w2 + &b).with_label(\"n\");
let o = n.tanh().with_label(\"o\");";

fn build(torch_json: &Path) -> Res<Page> {
    let mut page = Page::new("ferrograd: the micrograd notebook, in Rust");
    page.intro(
        "Every cell of the seed notebook, run by ferrograd's scalar engine (f64). Each picture is \
         drawn by ferrograd::viz in pure Rust, at the point where the notebook calls draw_dot.",
    );
    imports(&mut page);
    parabola(&mut page)?;
    let l = forward_manually(&mut page)?;
    first_manual_backprop(&mut page, l)?;
    tanh_section(&mut page)?;
    second_manual_backprop(&mut page)?;
    semi_automatic(&mut page)?;
    topological(&mut page);
    automatic(&mut page)?;
    new_topologies(&mut page)?;
    pytorch(&mut page, torch_json)?;
    Ok(page)
}

fn imports(page: &mut Page) {
    page.section("Imports")
        .text("Python imports numpy, math and matplotlib; here everything comes from one crate.")
        .code("use ferrograd::{nn, numeric, viz, Value};\n\nfn f(x: f64) -> f64 { 3.0 * x * x - 4.0 * x + 5.0 }\nf(2.0)")
        .output(format!("{:?}", f(2.0)));
}

fn parabola(page: &mut Page) -> Res<()> {
    let xs = arange();
    let plot = Plot::new("f(x) = 3x² - 4x + 5")
        .x_label("x")
        .y_label("f(x)")
        .series("f(x)", xs.iter().map(|&x| (x, f(x))))
        .to_svg()?;
    let h = 0.000_000_1;
    let slope = derivative(f, -3.0, h);
    page.section("Parabolic Function - Derivative example")
        .code("let xs = arange(-5.0, 5.0, 0.25);\nlet ys = xs.iter().map(|&x| f(x));\nplot(xs, ys)")
        .figure("f(x) over np.arange(-5, 5, 0.25)", plot)
        .code("let h = 0.0000001;\nlet x = -3.0;\n(f(x + h) - f(x)) / h")
        .output(format!("{slope:?}"))
        .text(format!(
            "The slope at x = -3 is close to f'(-3) = 6x - 4 = -22; at x = 2/3 it is {:.6} (the minimum).",
            derivative(f, 2.0 / 3.0, h)
        ));
    Ok(())
}

/// Prints `d1`, `d2` and the slope after nudging one input by `h`.
fn nudge(which: char) -> String {
    let h = 0.000_000_1;
    let (mut a, mut b, c) = (2.0f64, -3.0f64, 10.0f64);
    let d1 = a * b + c;
    match which {
        'a' => a += h,
        'b' => b += h,
        _ => {}
    }
    let d2 = a * b + c;
    format!("d1 {d1:?}\nd2 {d2:?}\nslope {:?}", (d2 - d1) / h)
}

/// Builds the section-3 expression; returns `(a, b, c, e, d, f, L)`.
fn expression() -> [V; 7] {
    let a = leaf(2.0, "a");
    let b = leaf(-3.0, "b");
    let c = leaf(10.0, "c");
    let e = label(&a * &b, "e");
    let d = label(&e + &c, "d");
    let f = leaf(-2.0, "f");
    let l = label(&d * &f, "L");
    [a, b, c, e, d, f, l]
}

fn forward_manually(page: &mut Page) -> Res<[V; 7]> {
    let (a, b, c) = (2.0f64, -3.0f64, 10.0f64);
    let b_nudged = b + 0.000_000_1;
    let s = page.section("Forward Pass Manually");
    s.code("let (a, b, c) = (2.0, -3.0, 10.0);\nlet d = a * b + c;\nprintln!(\"{d}\")")
        .output(format!("{:?}", a * b + c))
        .text("Nudge a by h: the slope of d with respect to a is b = -3.")
        .code("let h = 0.0000001;\nlet d1 = a * b + c;\na += h;\nlet d2 = a * b + c;")
        .output(nudge('a'))
        .text("Nudge b by h: the slope of d with respect to b is a = 2.")
        .code("b += h;")
        .output(nudge('b'))
        .code("a + b")
        .output(format!("{:?}", a + b_nudged))
        .text("The same expression as values that remember how they were made:")
        .code(
            "let a = Value::new(2.0).with_label(\"a\");\nlet b = Value::new(-3.0).with_label(\"b\");\n\
             let c = Value::new(10.0).with_label(\"c\");\nlet e = (&a * &b).with_label(\"e\");\n\
             let d = (&e + &c).with_label(\"d\");\nlet f = Value::new(-2.0).with_label(\"f\");\n\
             let l = (&d * &f).with_label(\"L\");",
        );
    Ok(expression())
}

fn first_manual_backprop(page: &mut Page, [a, b, c, e, d, f, l]: [V; 7]) -> Res<()> {
    let s = page.section("First Manual backpropagation");
    s.figure("draw_dot(L): every grad is 0", graph(&l)?);
    l.set_grad(1.0);
    s.code("l.set_grad(1.0); // dL/dL = 1")
        .figure("after dL/dL = 1", graph(&l)?);
    f.set_grad(d.data());
    d.set_grad(f.data());
    s.code("f.set_grad(d.data()); // dL/df = d\nd.set_grad(f.data()); // dL/dd = f")
        .figure("after dL/df and dL/dd", graph(&l)?);
    e.set_grad(d.grad() * 1.0);
    c.set_grad(d.grad() * 1.0);
    s.code(
        "e.set_grad(d.grad() * 1.0); // a + node routes the gradient\nc.set_grad(d.grad() * 1.0);",
    )
    .figure("after dL/de and dL/dc", graph(&l)?);
    a.set_grad(e.grad() * b.data());
    b.set_grad(e.grad() * a.data());
    s.code("a.set_grad(e.grad() * b.data()); // dL/da = f * 1 * b\nb.set_grad(e.grad() * a.data()); // dL/db = f * 1 * a")
        .figure("every gradient filled in by hand", graph(&l)?);

    // One step of gradient ascent, then the forward pass again.
    for v in [&a, &b, &c, &f] {
        v.set_data(v.data() + v.grad() * 0.01);
    }
    let e2 = &a * &b;
    let d2 = &e2 + &c;
    let l2 = &d2 * &f;
    s.text("Manual forward pass: nudge every input along its gradient and recompute L; it grows.")
        .code("for v in [&a, &b, &c, &f] { v.set_data(v.data() + v.grad() * 0.01); }\nlet l = (&a * &b + &c) * &f;\nprintln!(\"{}\", l.data())")
        .output(format!("{:?}", l2.data()));

    // The notebook's lol(): the slope of L with respect to c by nudging c.
    let h = 0.001;
    let l1 = {
        let [.., l] = expression();
        l.data()
    };
    let l2 = {
        let a = leaf(2.0, "a");
        let b = leaf(-3.0, "b");
        let c = leaf(10.0 + h, "c");
        let d = &a * &b + &c;
        (&d * &leaf(-2.0, "f")).data()
    };
    s.code("fn lol() { /* L with c and with c + h */ }")
        .output(format!("dL/dL {:?}", (l2 - l1) / h))
        .text("That is dL/dc = -2, the gradient found by hand above.");
    Ok(())
}

fn tanh_section(page: &mut Page) -> Res<()> {
    let xs = arange();
    let plot = Plot::new("tanh(x)")
        .x_label("x")
        .y_label("tanh(x)")
        .series("tanh(x)", xs.iter().map(|&x| (x, x.tanh())))
        .to_svg()?;
    page.section("Hiperbolic tangent definition")
        .code("plot(xs, xs.iter().map(|x| x.tanh()))")
        .figure("tanh squashes its input into (-1, 1)", plot);
    Ok(())
}

fn second_manual_backprop(page: &mut Page) -> Res<()> {
    let nr = neuron();
    let s = page.section("Second Manual backpropagation");
    s.text("Initialize values of the network: inputs x1, x2, weights w1, w2, bias b, o = tanh(x1*w1 + x2*w2 + b).")
        .code(NEURON_CODE)
        .figure("draw_dot(o)", graph(&nr.o)?);
    nr.o.set_grad(1.0);
    s.text("Backpropagation")
        .code("o.set_grad(1.0);")
        .figure("after do/do = 1", graph(&nr.o)?);
    nr.n.set_grad(1.0 - nr.o.data().powi(2));
    s.code("n.set_grad(1.0 - o.data().powi(2)); // do/dn = 1 - tanh(n)^2")
        .figure("after do/dn", graph(&nr.o)?);
    nr.b.set_grad(nr.n.grad());
    nr.x1w1x2w2.set_grad(nr.n.grad());
    s.code("b.set_grad(n.grad());\nx1w1x2w2.set_grad(n.grad());")
        .figure("after the + node", graph(&nr.o)?);
    nr.x1w1.set_grad(nr.x1w1x2w2.grad());
    nr.x2w2.set_grad(nr.x1w1x2w2.grad());
    s.code("x1w1.set_grad(x1w1x2w2.grad());\nx2w2.set_grad(x1w1x2w2.grad());")
        .figure("after the second + node", graph(&nr.o)?);
    nr.x1.set_grad(nr.x1w1.grad() * nr.w1.data());
    nr.w1.set_grad(nr.x1w1.grad() * nr.x1.data());
    s.code("x1.set_grad(x1w1.grad() * w1.data());\nw1.set_grad(x1w1.grad() * x1.data());")
        .figure("after x1 and w1", graph(&nr.o)?);
    nr.x2.set_grad(nr.x2w2.grad() * nr.w2.data());
    nr.w2.set_grad(nr.x2w2.grad() * nr.x2.data());
    s.code("x2.set_grad(x2w2.grad() * w2.data());\nw2.set_grad(x2w2.grad() * x2.data());")
        .figure("every gradient of the neuron, by hand", graph(&nr.o)?);
    Ok(())
}

fn semi_automatic(page: &mut Page) -> Res<()> {
    let nr = neuron();
    let s = page.section("Semiautomation of the backpropagation");
    s.text("Reset values of the network, then apply each node's own chain rule (micrograd's _backward) in turn.")
        .code(NEURON_CODE)
        .figure("draw_dot(o)", graph(&nr.o)?);
    nr.o.set_grad(1.0);
    nr.o.backward_step();
    s.code("o.set_grad(1.0);\no.backward_step();")
        .figure("after o's step", graph(&nr.o)?);
    nr.n.backward_step();
    nr.b.backward_step();
    s.code("n.backward_step();\nb.backward_step(); // a leaf: nothing to do")
        .figure("after n's step", graph(&nr.o)?);
    nr.x1w1x2w2.backward_step();
    s.code("x1w1x2w2.backward_step();")
        .figure("after the + node's step", graph(&nr.o)?);
    nr.x2w2.backward_step();
    nr.x1w1.backward_step();
    s.code("x2w2.backward_step();\nx1w1.backward_step();")
        .figure("every gradient, one node at a time", graph(&nr.o)?);
    Ok(())
}

fn topological(page: &mut Page) {
    let nr = neuron();
    let topo: Vec<String> = nr.o.topo().iter().map(|v| format!("{v:?}")).collect();
    page.section("Topological graph")
        .text(
            "build_topo lists every node after the nodes it is computed from; backward() walks \
             that list from the end. Value::topo gives the same order without recursion.",
        )
        .code("o.topo()")
        .output(topo.join("\n"));
}

fn automatic(page: &mut Page) -> Res<()> {
    let nr = neuron();
    let s = page.section("Automation of the backpropagation");
    s.text("Reseting gradients: a fresh neuron, then one call fills every gradient.")
        .code(NEURON_CODE)
        .figure("draw_dot(o)", graph(&nr.o)?);
    nr.o.backward();
    s.code("o.backward();")
        .figure("after o.backward()", graph(&nr.o)?);
    Ok(())
}

fn new_topologies(page: &mut Page) -> Res<()> {
    let nr = neuron();
    let s = page.section("New topologies - Autonomous Backpropagation");
    s.code(NEURON_CODE).figure("draw_dot(o)", graph(&nr.o)?);
    nr.o.backward();
    s.code("o.backward();")
        .figure("after o.backward()", graph(&nr.o)?);

    let a = leaf(2.0, "a");
    let b = label(&a + &a, "b");
    b.backward();
    s.text("A node used twice gets both contributions: b = a + a gives db/da = 2.")
        .code("let a = Value::new(2.0).with_label(\"a\");\nlet b = (&a + &a).with_label(\"b\");\nb.backward();")
        .figure("b = a + a after b.backward()", graph(&b)?);

    let a = leaf(-2.0, "a");
    let b = leaf(3.0, "b");
    let d = label(&a * &b, "d");
    let e = label(&a + &b, "e");
    let f = label(&d * &e, "f");
    f.backward();
    s.code(
        "let a = Value::new(-2.0).with_label(\"a\");\nlet b = Value::new(3.0).with_label(\"b\");\n\
         let d = (&a * &b).with_label(\"d\");\nlet e = (&a + &b).with_label(\"e\");\n\
         let f = (&d * &e).with_label(\"f\");\nf.backward();",
    )
    .figure("f = (a*b) * (a+b) after f.backward()", graph(&f)?);

    let z = leaf(1.0, "z");
    let tanh_z = z.tanh();
    s.code("let z = Value::new(1.0).with_label(\"z\");\nlet tanh_z = z.tanh();\ntanh_z")
        .output(format!("{tanh_z:?}"));
    Ok(())
}

/// The oracle's numbers for the notebook's PyTorch cell.
struct TorchCell {
    o: f64,
    x1_grad: f64,
    w1_grad: f64,
    x2_grad: f64,
    w2_grad: f64,
    device: String,
}

/// Reads `torch.json`: `None` when the file does not exist.
fn read_torch(path: &Path) -> Option<Result<TorchCell, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("could not read {}: {e}", path.display()))),
    };
    Some(
        parse_torch(&text)
            .map_err(|e| format!("{} is not the oracle's output: {e}", path.display())),
    )
}

/// A reader for the oracle's flat JSON object (numbers and one string), so
/// the example needs no JSON crate.
fn parse_torch(text: &str) -> Result<TorchCell, String> {
    let raw = |key: &str| -> Result<&str, String> {
        let k = format!("\"{key}\"");
        let at = text.find(&k).ok_or_else(|| format!("no field \"{key}\""))? + k.len();
        let rest = text[at..].trim_start();
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| format!("no value for \"{key}\""))?
            .trim_start();
        let end = if let Some(s) = rest.strip_prefix('"') {
            return s
                .find('"')
                .map(|e| &s[..e])
                .ok_or_else(|| format!("unterminated \"{key}\""));
        } else {
            rest.find([',', '}', '\n']).unwrap_or(rest.len())
        };
        Ok(rest[..end].trim())
    };
    let num = |key: &str| -> Result<f64, String> {
        let r = raw(key)?;
        r.parse()
            .map_err(|_| format!("\"{key}\" is not a number: {r}"))
    };
    Ok(TorchCell {
        o: num("o")?,
        x1_grad: num("x1_grad")?,
        w1_grad: num("w1_grad")?,
        x2_grad: num("x2_grad")?,
        w2_grad: num("w2_grad")?,
        device: raw("device")?.to_string(),
    })
}

fn pytorch(page: &mut Page, torch_json: &Path) -> Res<()> {
    let nr = neuron();
    nr.o.backward();
    let ours = [
        ("o", nr.o.data()),
        ("x2", nr.x2.grad()),
        ("w2", nr.w2.grad()),
        ("x1", nr.x1.grad()),
        ("w1", nr.w1.grad()),
    ];
    let s = page.section("Pytorch approach");
    s.text("The same neuron in PyTorch (float64), computed by the libtorch oracle, next to ferrograd's numbers.")
        .code(
            "x1 = torch.Tensor([2.0]).double(); x1.requires_grad = True\n...\n\
             n = x1*w1 + x2*w2 + b\no = torch.tanh(n)\nprint(o.data.item())\no.backward()",
        );
    match read_torch(torch_json) {
        None => {
            s.note(format!(
                "skipped — run `cargo xtask parity` (it fetches libtorch) to fill this section \
                 (no oracle results at {})",
                torch_json.display()
            ));
        }
        Some(Err(e)) => {
            s.note(format!(
                "skipped — {e}; run `cargo xtask parity` to write it again"
            ));
        }
        Some(Ok(t)) => {
            let theirs = [t.o, t.x2_grad, t.w2_grad, t.x1_grad, t.w1_grad];
            let mut out = format!("PyTorch ({}):\n{:?}\n----\n", t.device, t.o);
            for (i, name) in ["x2", "w2", "x1", "w1"].iter().enumerate() {
                out.push_str(&format!("{name} {:?}\n", theirs[i + 1]));
            }
            let worst = ours
                .iter()
                .zip(theirs)
                .map(|((_, a), b)| (a - b).abs())
                .fold(0.0, f64::max);
            out.push_str(&format!("\nlargest difference from ferrograd: {worst:e}"));
            s.output(out);
        }
    }
    let mut mine = format!("ferrograd:\n{:?}\n----\n", ours[0].1);
    for (name, g) in &ours[1..] {
        mine.push_str(&format!("{name} {g:?}\n"));
    }
    s.output(mine.trim_end().to_string());

    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let x = [2.0, 3.0, -1.0];
    let neuron = Layer::<f64>::new(x.len(), 1, Activation::Tanh, &mut rng)?;
    let layer = Layer::<f64>::new(x.len(), 3, Activation::Tanh, &mut rng)?;
    let mlp = Mlp::<f64>::new(x.len(), &[4, 4, 1], &mut rng)?;
    let out = mlp.forward(&x)?;
    s.text(format!(
        "Neurons, layers and the MLP 3-4-4-1 (tanh), weights from ChaCha8 seeded with {SEED}."
    ))
    .code("let x = [2.0, 3.0, -1.0];\nlet n = Neuron::new(x.len()); n(x)")
    .output(format!("{:?}", neuron.forward(&x)?[0]))
    .code("let layer = Layer::new(x.len(), 3); layer(x)")
    .output(format!("{:?}", layer.forward(&x)?))
    .code("let n = Mlp::new(x.len(), &[4, 4, 1], &mut rng)?; n.forward(&x)")
    .output(format!("{:?}", out))
    .figure("draw_dot(n(x)): the whole MLP", graph(&out[0])?);

    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];
    let params = mlp.parameters();
    let mut sgd = Sgd::new(LR)?;
    let mut losses = Vec::with_capacity(STEPS);
    let mut first_pred = String::new();
    let mut last_pred = String::new();
    for step in 0..STEPS {
        let pred: Vec<V> = xs
            .iter()
            .map(|x| mlp.forward(x).map(|o| o[0].clone()))
            .collect::<Result<_, _>>()?;
        let loss: V = pred.iter().zip(ys).map(|(p, y)| (p - y).powi(2)).sum();
        if step == 0 {
            first_pred = format!("{pred:?}\nloss {:?}", loss.data());
        }
        mlp.zero_grad();
        loss.backward();
        sgd.step(&params)?;
        losses.push(loss.data());
        last_pred = format!("{:?}", pred.iter().map(V::data).collect::<Vec<_>>());
    }
    let curve = Plot::new(format!(
        "training loss: MLP 3-4-4-1, SGD lr {LR}, {STEPS} steps"
    ))
    .x_label("step")
    .y_label("sum of squared errors")
    .series(
        "loss",
        losses.iter().enumerate().map(|(i, &l)| (i as f64, l)),
    )
    .to_svg()?;
    let table: Vec<String> = losses
        .iter()
        .enumerate()
        .map(|(i, l)| format!("step {i:>2}  loss {l:.6}"))
        .collect();
    s.code(
        "let xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]];\n\
         let ys = [1.0, -1.0, -1.0, 1.0];\nlet y_pred: Vec<_> = xs.iter().map(|x| n.forward(x)).collect();\n\
         let loss: Value<f64> = y_pred.iter().zip(ys).map(|(p, y)| (p - y).powi(2)).sum();\nloss.backward();",
    )
    .output(first_pred)
    .text(format!(
        "Training: {STEPS} steps of SGD (lr {LR}): zero the grads, backward, step. The loss falls \
         from {:.4} to {:.4}.",
        losses[0],
        losses[STEPS - 1]
    ))
    .output(table.join("\n"))
    .figure("the MLP's training loss", curve)
    .text("Predictions after training (targets 1, -1, -1, 1):")
    .output(last_pred);
    Ok(())
}
