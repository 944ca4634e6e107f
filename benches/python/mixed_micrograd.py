"""micrograd on the scalar engine's mixed graph (benches/scalar_tape.rs,
`scalar_mixed_f64`): 100,000 nodes over an 8-value ring, 12,500 rounds of
mul, add, tanh, add, relu, square, mul, add (fan-in and fan-out), summed,
differentiated and dropped.

micrograd's `Value` has no tanh; it gets one as the lecture notebook writes
it (local derivative 1 - t^2), its value from `math.tanh`: the notebook's
formula (exp(2x) - 1) / (exp(2x) + 1) overflows on this graph, whose tanh
arguments pass 355. Its backward sorts the graph with a
recursive walk as deep as the graph, so the graph runs on a thread with a
large stack and a raised recursion limit.

Prints one JSON line: {"id": "python/mixed_micrograd", "system": ...,
"median_ms": ..., "samples": [...], "root": ..., "grad_shift": ...}.
"""
import json
import math
import sys
import threading

from micrograd.engine import Value

from mixed_timing import timed

ROUNDS = 12_500


def tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), 'tanh')

    def _backward():
        self.grad += (1 - t**2) * out.grad
    out._backward = _backward
    return out


Value.tanh = tanh


def graph():
    leaves = [Value(0.1 * i - 0.3) for i in range(8)]
    shift = Value(-0.1)
    ring = list(leaves)
    for k in range(ROUNDS):
        a = ring[k % 8]
        b = ring[(k * 5 + 3) % 8]
        m = a * b
        t = (m + a).tanh()
        r = (t + shift).relu()
        p = r**2
        q = p * t
        ring[k % 8] = q + b
    root = ring[0]
    for v in ring[1:]:
        root = root + v
    root.backward()
    return root.data, shift.grad


def main(graphs, out):
    out.update(timed(graph, graphs, "python/mixed_micrograd", "micrograd 0.1.0"))


graphs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
sys.setrecursionlimit(1_000_000)
threading.stack_size(1 << 30)
result = {}
worker = threading.Thread(target=main, args=(graphs, result))
worker.start()
worker.join()
if not result:
    sys.exit("mixed_micrograd: the graph did not finish")
print(json.dumps(result))
