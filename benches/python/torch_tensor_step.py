"""PyTorch eager counterpart of benches/tensor_step.rs: one training step
(forward, backward, update) of the same two models, at a fixed thread count.

    python benches/python/torch_tensor_step.py --threads 1

moons: 100 x 2-16-16-1 ReLU, max-margin loss + 1e-4 L2 (micrograd's), SGD lr 0.1.
mlp784: 784-256-256-10 ReLU at batch 256, cross-entropy, SGD lr 0.01.
Prints the median time per step over several timed runs, per model and dtype.
"""

import argparse
import statistics
import time

import torch
from torch import nn


def moons_step(dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 2, generator=g, dtype=dtype) * 3 - 1
    y = (torch.rand(100, 1, generator=g, dtype=dtype) > 0.5).to(dtype) * 2 - 1
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)).to(dtype)
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
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), c)
        loss.backward()
        opt.step()
        return loss

    return step


def median_time(step, target_s=1.0, runs=7):
    for _ in range(20):
        step()
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < 0.2:
        step()
        n += 1
    iters = max(1, int(n * target_s / 0.2 / runs))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        times.append((time.perf_counter() - t0) / iters)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    for name, make in [("moons", moons_step), ("mlp784", mlp784_step)]:
        for dtype, label in [(torch.float32, "f32"), (torch.float64, "f64")]:
            t = median_time(make(dtype))
            unit, scale = ("us", 1e6) if t < 1e-3 else ("ms", 1e3)
            print(f"{name}/{label}/threads={args.threads}: {t * scale:.2f} {unit}")


if __name__ == "__main__":
    main()
