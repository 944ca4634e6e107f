"""PyTorch eager on the scalar engine's mixed graph (benches/scalar_tape.rs,
`scalar_mixed_f64`): 100,000 nodes over an 8-value ring, 12,500 rounds of
mul, add, tanh, add, relu, square, mul, add (fan-in and fan-out), summed,
differentiated and dropped; every value a 0-dim float64 tensor, one thread.

Prints one JSON line: {"id": "python/mixed_torch", "system": ..., "median_ms":
..., "samples": [...], "root": ..., "grad_shift": ...}: the root's value and
its gradient on the shift, ferrograd's when both run the same graph.
"""
import json
import sys

import torch

from mixed_timing import timed

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
ROUNDS = 12_500


def graph():
    leaves = [torch.tensor(0.1 * i - 0.3, requires_grad=True) for i in range(8)]
    shift = torch.tensor(-0.1, requires_grad=True)
    ring = list(leaves)
    for k in range(ROUNDS):
        a = ring[k % 8]
        b = ring[(k * 5 + 3) % 8]
        m = a * b
        t = torch.tanh(m + a)
        r = torch.relu(t + shift)
        p = r**2
        q = p * t
        ring[k % 8] = q + b
    root = sum(ring[1:], ring[0])
    root.backward()
    return root.item(), shift.grad.item()


graphs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
print(json.dumps(timed(graph, graphs, "python/mixed_torch", f"pytorch-eager {torch.__version__}")))
