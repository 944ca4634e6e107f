//! The matrix products of one 784-256-256-10 training step (batch 256, f32,
//! one thread) against this core's FMA peak, measured in the same run.
//!
//! - `peak`: 12 independent chains of FMAs at the widest vector width the
//!   CPU offers (`pulp` picks AVX-512, AVX2 or scalar at run time), the upper
//!   bound any product kernel can reach;
//! - the products the fused `Mlp` computes (`crates/tensor/src/linear.rs`,
//!   weights stored `[nout, nin]`): forward `x W^T`, weight gradient
//!   `delta^T x` and input gradient `delta W` (not for the first layer), each
//!   with `matrixmultiply` (through `ndarray`, the kernel both engines use),
//!   on one thread. A candidate kernel is one more `Kernel` variant; `gemm`
//!   0.19 and `faer` 0.24 were measured this way (see the README) and gained
//!   1.07x and 1.10x on the step's products, too little to take either.
//!
//! Before the criterion benchmarks a table is printed: GFLOP/s and fraction
//! of peak per product and for the step's products together, each time the
//! fastest single call over rounds in which every candidate runs in turn, so
//! that load from other processes hits them alike.
//!
//! ```text
//! cargo bench --bench matmul_peak            # table, then criterion
//! cargo bench --bench matmul_peak -- table   # the table alone
//! ```
//!
//! `MATMUL_NUM_THREADS` defaults to 1 here: a product on one core is held
//! against one core's peak.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ferrograd::tensor::ndarray::linalg::general_mat_mul;
use ferrograd::tensor::ndarray::{Array2, ArrayView2};
use pulp::{Simd, WithSimd};

const BATCH: usize = 256;
const SIZES: [usize; 4] = [784, 256, 256, 10];
/// Independent FMA chains: enough to cover FMA latency times the number of
/// FMA pipes (4 cycles x 2 pipes on current x86 cores).
const CHAINS: usize = 12;
/// FMA rounds per probe call.
const PROBE_ITERS: usize = 100_000;

/// The FMA peak probe: `CHAINS` accumulators, each `acc = acc * m + a`.
struct Probe {
    m: f32,
    a: f32,
}

impl WithSimd for Probe {
    type Output = f32;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let m = simd.splat_f32s(self.m);
        let a = simd.splat_f32s(self.a);
        let mut acc = [simd.splat_f32s(1.0); CHAINS];
        for _ in 0..PROBE_ITERS {
            for x in acc.iter_mut() {
                *x = simd.mul_add_e_f32s(*x, m, a);
            }
        }
        let mut sum = simd.splat_f32s(0.0);
        for x in acc {
            sum = simd.add_f32s(sum, x);
        }
        simd.reduce_sum_f32s(sum)
    }
}

/// Floating-point operations of one probe call and the vector width used.
fn probe_flops() -> (f64, usize) {
    struct Lanes;
    impl WithSimd for Lanes {
        type Output = usize;
        fn with_simd<S: Simd>(self, _: S) -> usize {
            S::F32_LANES
        }
    }
    let lanes = pulp::Arch::new().dispatch(Lanes);
    ((2 * lanes * CHAINS * PROBE_ITERS) as f64, lanes)
}

fn probe() -> f32 {
    // m slightly below 1 keeps the chains finite and out of subnormals.
    pulp::Arch::new().dispatch(Probe {
        m: black_box(0.999_999),
        a: black_box(1e-6),
    })
}

/// One product of the step: its name and its operands as stored by `Mlp`.
struct Product {
    name: String,
    /// `a` is `ta ? at^T : at`, likewise `b`.
    a: Array2<f32>,
    ta: bool,
    b: Array2<f32>,
    tb: bool,
    beta: f32,
    out: Array2<f32>,
}

impl Product {
    fn flops(&self) -> f64 {
        let (m, k) = self.lhs().dim();
        let n = self.rhs().dim().1;
        (2 * m * n * k) as f64
    }
    fn lhs(&self) -> ArrayView2<'_, f32> {
        if self.ta {
            self.a.t()
        } else {
            self.a.view()
        }
    }
    fn rhs(&self) -> ArrayView2<'_, f32> {
        if self.tb {
            self.b.t()
        } else {
            self.b.view()
        }
    }
    fn run(&mut self, kernel: Kernel) {
        let (a, b) = (
            if self.ta { self.a.t() } else { self.a.view() },
            if self.tb { self.b.t() } else { self.b.view() },
        );
        let mut out = self.out.view_mut();
        match kernel {
            Kernel::Matrixmultiply => general_mat_mul(1.0, &a, &b, self.beta, &mut out),
        }
        black_box(&self.out);
    }
}

#[derive(Clone, Copy, Debug)]
enum Kernel {
    Matrixmultiply,
}

const KERNELS: [Kernel; 1] = [Kernel::Matrixmultiply];

fn filled(rows: usize, cols: usize, seed: usize) -> Array2<f32> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        (((i * 31 + j * 17 + seed * 7) % 97) as f32 - 48.0) / 97.0
    })
}

/// The step's products, in the order `Mlp` runs them.
fn products() -> Vec<Product> {
    let mut v = Vec::new();
    let layers: Vec<(usize, usize)> = SIZES.windows(2).map(|w| (w[0], w[1])).collect();
    for (l, &(nin, nout)) in layers.iter().enumerate() {
        v.push(Product {
            name: format!("fwd{l} [{BATCH},{nin}]x[{nin},{nout}]^T"),
            a: filled(BATCH, nin, l),
            ta: false,
            b: filled(nout, nin, l + 10),
            tb: true,
            beta: 1.0,
            out: filled(BATCH, nout, l + 20),
        });
    }
    for (l, &(nin, nout)) in layers.iter().enumerate().rev() {
        v.push(Product {
            name: format!("gw{l}  [{BATCH},{nout}]^Tx[{BATCH},{nin}]"),
            a: filled(BATCH, nout, l + 30),
            ta: true,
            b: filled(BATCH, nin, l + 40),
            tb: false,
            beta: 0.0,
            out: Array2::zeros((nout, nin)),
        });
        if l > 0 {
            v.push(Product {
                name: format!("gi{l}  [{BATCH},{nout}]x[{nout},{nin}]"),
                a: filled(BATCH, nout, l + 50),
                ta: false,
                b: filled(nout, nin, l + 60),
                tb: false,
                beta: 0.0,
                out: Array2::zeros((BATCH, nin)),
            });
        }
    }
    v
}

/// The fastest single call of `f` among those that fill `span`, in seconds:
/// on a loaded machine a call that was not preempted is the one that
/// measures the kernel.
fn fastest_call(span: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut best = f64::INFINITY;
    while start.elapsed() < span {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn summary(ps: &mut [Product]) {
    const ROUNDS: usize = 30;
    let span = Duration::from_millis(3);
    let (probe_ops, lanes) = probe_flops();
    let mut peak_s = f64::INFINITY;
    let mut best = vec![[f64::INFINITY; KERNELS.len()]; ps.len()];
    for _ in 0..ROUNDS {
        peak_s = peak_s.min(fastest_call(span, || {
            black_box(probe());
        }));
        for (p, best) in ps.iter_mut().zip(best.iter_mut()) {
            for (kernel, best) in KERNELS.iter().zip(best.iter_mut()) {
                *best = best.min(fastest_call(span, || p.run(*kernel)));
            }
        }
    }
    let peak = probe_ops / peak_s / 1e9;
    println!(
        "FMA peak, one core, f32x{lanes}: {peak:.1} GFLOP/s (fastest call of {ROUNDS} rounds)"
    );
    let cell = |flops: f64, s: f64| {
        let gflops = flops / s / 1e9;
        format!("{gflops:6.1} GF/s {:4.0}%", 100.0 * gflops / peak)
    };
    let row = |name: &str, flops: f64, best: &[f64]| {
        let cells: Vec<String> = best
            .iter()
            .map(|&s| format!("{:>17}", cell(flops, s)))
            .collect();
        println!("{name:<30} {:>7.2}  {}", flops / 1e6, cells.join("  "));
    };
    let heads: Vec<String> = KERNELS
        .iter()
        .map(|k| format!("{:>17}", format!("{k:?}")))
        .collect();
    println!(
        "{:<30} {:>7}  {}",
        "product (batch 256)",
        "MFLOP",
        heads.join("  ")
    );
    let mut total = [0.0; KERNELS.len()];
    for (p, best) in ps.iter().zip(&best) {
        row(&p.name, p.flops(), best);
        for (t, s) in total.iter_mut().zip(best) {
            *t += s;
        }
    }
    let flops: f64 = ps.iter().map(Product::flops).sum();
    row("step products", flops, &total);
    let times: Vec<String> = KERNELS
        .iter()
        .zip(&total)
        .map(|(k, t)| format!("{k:?} {:.0} us ({:.2}x)", t * 1e6, total[0] / t))
        .collect();
    println!("step products time: {}", times.join(", "));
    // One line for `cargo xtask bench`'s report: the first kernel (the one
    // both engines use) over the step's products, against the probe.
    println!(
        "{{\"peak_gflops\": {peak}, \"step_gflops\": {}, \"kernel\": \"{:?}\"}}",
        flops / total[0] / 1e9,
        KERNELS[0]
    );
}

fn main() {
    // One core against one core's peak: matrixmultiply reads this once, at
    // its first product, and would otherwise split products across cores.
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
    let mut ps = products();
    summary(&mut ps);
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("matmul_peak");
    g.throughput(Throughput::Elements(probe_flops().0 as u64));
    g.bench_function("fma_peak", |b| b.iter(probe));
    // The step's products together: the figure to hold against the peak.
    let step_flops: f64 = ps.iter().map(Product::flops).sum();
    g.throughput(Throughput::Elements(step_flops as u64));
    for kernel in KERNELS {
        g.bench_function(format!("step/{kernel:?}"), |b| {
            b.iter(|| ps.iter_mut().for_each(|p| p.run(kernel)))
        });
    }
    for p in ps.iter_mut() {
        g.throughput(Throughput::Elements(p.flops() as u64));
        for kernel in KERNELS {
            let name = format!(
                "{}/{kernel:?}",
                p.name.split_whitespace().next().unwrap_or("")
            );
            g.bench_function(name, |b| b.iter(|| p.run(kernel)));
        }
    }
    g.finish();
    c.final_summary();
}
