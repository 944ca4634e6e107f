"""micrograd-rust (a Rust engine behind micrograd's Python API) on the workload
it supports: it has tanh but no ReLU, so 100 points through a 2-16-16-1 MLP
with tanh in every layer, the squared-error loss sum((y_pred - y)^2) and one
SGD step, f64. benches/scalar_tanh.rs times the same step on ferrograd.

    python benches/python/tanh_micrograd_rust.py [steps]

Prints one JSON line: {"system": ..., "median_ms": ..., "samples": [...]}.
"""
import json
import random
import statistics
import sys
import time
from importlib.metadata import version

from micrograd_rust import MLP, Value

random.seed(1337)
X = [[random.gauss(0, 1), random.gauss(0, 1)] for _ in range(100)]
Y = [random.choice([-1.0, 1.0]) for _ in range(100)]
model = MLP(2, [16, 16, 1])
params = model.parameters()


def step(lr):
    loss = None
    for row, y in zip(X, Y):
        out = model([Value(row[0]), Value(row[1])])[0]
        term = (out - Value(y)) ** 2
        loss = term if loss is None else loss + term
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data = p.data - lr * p.grad
    return loss.data


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
step(1e-3)
samples = []
for _ in range(steps):
    t = time.perf_counter()
    step(1e-3)
    samples.append((time.perf_counter() - t) * 1e3)
print(json.dumps({
    "system": f"micrograd-rust {version('micrograd-rust')}",
    "median_ms": statistics.median(samples),
    "samples": samples,
}))
