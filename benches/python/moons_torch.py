"""PyTorch eager: one step of micrograd's moons demo, batched (100 x 2-16-16-1
ReLU, max-margin loss + 1e-4 L2, SGD), float64, one thread.

Prints one JSON line: {"system": ..., "median_ms": ..., "samples": [...]}.
"""
import json
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(1337)

X = torch.randn(100, 2)
y = (torch.rand(100) > 0.5).double() * 2 - 1
model = torch.nn.Sequential(
    torch.nn.Linear(2, 16), torch.nn.ReLU(),
    torch.nn.Linear(16, 16), torch.nn.ReLU(),
    torch.nn.Linear(16, 1),
)
params = list(model.parameters())


def step(lr):
    scores = model(X).squeeze(1)
    loss = torch.relu(1 - y * scores).mean() + 1e-4 * sum((p * p).sum() for p in params)
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return loss.item()


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
for _ in range(50):
    step(0.01)
samples = []
for _ in range(7):
    t = time.perf_counter()
    for _ in range(steps):
        step(0.01)
    samples.append((time.perf_counter() - t) / steps * 1e3)
print(json.dumps({"system": f"pytorch-eager {torch.__version__}", "median_ms": statistics.median(samples), "samples": samples}))
