"""What the mixed-graph peers (mixed_torch.py, mixed_micrograd.py) share:
one untimed graph for its values, then `graphs` timed ones."""
import statistics
import time


def timed(graph, graphs, id, system):
    """The result line's fields: `graph()` returns (root, d root / d shift)."""
    root, grad_shift = graph()
    samples = []
    for _ in range(graphs):
        t = time.perf_counter()
        graph()
        samples.append((time.perf_counter() - t) * 1e3)
    return {
        "id": id,
        "system": system,
        "median_ms": statistics.median(samples),
        "samples": samples,
        "root": root,
        "grad_shift": grad_shift,
    }
