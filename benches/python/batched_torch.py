"""PyTorch eager (Python) on the batched engine's benchmarks: one training
step (forward, backward, SGD update) of the models in benches/tensor_step.rs,
at a fixed thread count. `cargo xtask bench` runs it.

    python benches/python/batched_torch.py --threads 1 [--quick]

moons: 100 x 2-16-16-1 ReLU, max-margin loss + 1e-4 L2 (micrograd's), SGD lr 0.1.
mlp784: 784-256-256-10 ReLU at batch 256, cross-entropy, SGD lr 0.01.

Prints one JSON line per model and dtype:
{"id": "pytorch/<model>/<dtype>/threads=<n>", "median_ms": ..., "samples": [...]}
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn


def moons_step(dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 2, generator=g, dtype=dtype) * 3 - 1
    y = (torch.rand(100, 1, generator=g, dtype=dtype) > 0.5).to(dtype) * 2 - 1
    model = nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)
    ).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    params = list(model.parameters())

    def step():
        opt.zero_grad()
        scores = model(x)
        loss = torch.relu(1 - y * scores).mean() + 1e-4 * sum((p * p).sum() for p in params)
        loss.backward()
        opt.step()
        return loss

    return step


def mlp784_step(dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(256, 784, generator=g, dtype=dtype)
    c = torch.randint(0, 10, (256,), generator=g)
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    ).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), c)
        loss.backward()
        opt.step()
        return loss

    return step


def samples_ms(step, target_s, runs=7):
    """Per-step times (ms) of `runs` timed runs lasting about `target_s` in all."""
    for _ in range(10):
        step()
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 0.1:
        step()
        n += 1
    iters = max(1, int(n * target_s / 0.1 / runs))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        times.append((time.perf_counter() - t0) / iters * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="about 0.5 s per workload instead of 2 s")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    target_s = 0.5 if args.quick else 2.0
    for name, make in [("moons", moons_step), ("mlp784", mlp784_step)]:
        for dtype, label in [(torch.float32, "f32"), (torch.float64, "f64")]:
            times = samples_ms(make(dtype), target_s)
            print(json.dumps({
                "id": f"pytorch/{name}/{label}/threads={args.threads}",
                "system": f"pytorch-eager {torch.__version__}",
                "median_ms": statistics.median(times),
                "samples": times,
            }), flush=True)


if __name__ == "__main__":
    main()
