"""micrograd itself: one step of its moons demo (100 points, 2-16-16-1 ReLU,
max-margin loss + 1e-4 L2, SGD), timed over a few steps (about 2 s each).

Prints one JSON line: {"system": ..., "median_ms": ..., "samples": [...]}.
"""
import json
import random
import statistics
import sys
import time

from micrograd.engine import Value
from micrograd.nn import MLP

random.seed(1337)
X = [[random.gauss(0, 1), random.gauss(0, 1)] for _ in range(100)]
y = [random.choice([-1, 1]) for _ in range(100)]
model = MLP(2, [16, 16, 1])


def step(lr):
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
samples = []
for _ in range(steps):
    t = time.perf_counter()
    step(0.01)
    samples.append((time.perf_counter() - t) * 1e3)
print(json.dumps({"system": "micrograd 0.1.0", "median_ms": statistics.median(samples), "samples": samples}))
