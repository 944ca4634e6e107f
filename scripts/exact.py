#!/usr/bin/env python3
"""Exact values and gradients of ferrograd programs, with mpmath.

Reads one program per line on stdin (JSON, written by the parity runner in
crates/torch/src/exact.rs) and writes one result per line on stdout:

    in:  {"id": 7, "inputs": ["0.5", ...], "instrs": [["input", 0], ["tanh", 0], ...]}
    out: {"id": 7, "ok": true, "value": N, "grads": [N, ...]}
         {"id": 7, "ok": false, "why": "log of -0.25 at r3"}

where every number N is `[hi, lo, spread, range]`, as strings Python's
`repr` writes: `hi` is the exact result rounded to f64, `lo` the f64 nearest
to `exact - hi` (so `hi + lo` carries about 32 digits of the 60 computed),
`spread` the conditioning estimate described below, and `range` "1" when the
number depends on an intermediate result (a register, a gradient
contribution or a gradient sum) outside the float type's normal range
(`--tiny` to `--max`): the type cannot hold that intermediate, so it
underflows, overflows or loses digits as a subnormal, which no rounding
model covers and no derivative rule can avoid; such a number is reported,
not judged.

The value is the program evaluated in 200-bit (60-digit) arithmetic on the
inputs and constants exactly as given (the runner has already rounded them to
the float type under test). The gradients come from reverse mode in the same
precision, with every local derivative computed from its operands by the
exact formula (sech(a)^2 for tanh, not 1 - tanh(a)^2), so they are correct
to far more digits than any float type holds.

Conditioning: the program is run `--samples` more times with every operation's
result, every gradient contribution and every gradient sum multiplied by
`1 + d`, `d` uniform in `[-u, u]` (`u` the unit roundoff of the float type,
`--unit`), which is what rounding to that type does to each of them. `spread`
is the largest relative change of the number over those runs (relative to
`max(|exact|, --tiny)`): a correct float implementation can be off by about
that much, so a number whose spread is not far below the tolerance is
ill-conditioned and is reported, not judged. Inputs and constants are not
perturbed: they are exact in the float type already.

A gradient that is not real while the value is (d(a ** b)/db for a negative
base under an integer exponent) is written as NaN, as IEEE and PyTorch give it.

Op names are PyTorch's (`log`, `log1p`, ...), as ferrograd's `Unary::name`
gives them. Conventions at kinks are PyTorch's: relu'(0) = abs'(0) = 0, d(a ** b)/da = 0 when
b = 0, d(a ** b)/db = 0 when a = 0 and b >= 0. A program whose exact result is
not a real number (log or sqrt of a negative number, log1p at or below -1, a division by exactly 0,
a negative base under a non-integer exponent, an infinite slope) is answered
with `ok: false` and the reason, never an exception.
"""

import argparse
import json
import random
import sys
import zlib

try:
    import mpmath
    from mpmath import mpf
except ImportError:  # pragma: no cover - reported to the runner
    sys.stderr.write(
        "exact.py needs mpmath: `cargo xtask parity` installs it into the cache "
        "(or run `python3 -m pip install mpmath`)\n"
    )
    sys.exit(3)

PREC_BITS = 200

# Operations whose result a float type holds exactly (no rounding to model).
EXACT_OPS = ("neg", "relu", "abs")


class NotReal(Exception):
    """The exact result is not a finite real number."""


def is_int(x):
    return x == mpmath.floor(x)


def power(a, b, where):
    """a ** b for real a, b, as IEEE pow defines the real cases."""
    if a < 0:
        if not is_int(b):
            raise NotReal(f"negative base {mpmath.nstr(a, 6)} under non-integer exponent {mpmath.nstr(b, 6)} at {where}")
        r = mpmath.power(-a, b)
        return -r if int(b) % 2 else r
    if a == 0:
        if b < 0:
            raise NotReal(f"0 to the negative power {mpmath.nstr(b, 6)} at {where}")
        return mpf(1) if b == 0 else mpf(0)
    return mpmath.power(a, b)


def forward(op, a, b, arg, where):
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        if b == 0:
            raise NotReal(f"division by exactly 0 at {where}")
        return a / b
    if op == "pow":
        return power(a, b, where)
    if op == "neg":
        return -a
    if op == "tanh":
        return mpmath.tanh(a)
    if op == "exp":
        return mpmath.exp(a)
    if op == "log":
        if a <= 0:
            raise NotReal(f"log of {mpmath.nstr(a, 6)} at {where}")
        return mpmath.log(a)
    if op == "sigmoid":
        return 1 / (1 + mpmath.exp(-a))
    if op == "relu":
        return a if a > 0 else mpf(0)
    if op == "sqrt":
        if a < 0:
            raise NotReal(f"sqrt of {mpmath.nstr(a, 6)} at {where}")
        return mpmath.sqrt(a)
    if op == "abs":
        return abs(a)
    if op == "sin":
        return mpmath.sin(a)
    if op == "cos":
        return mpmath.cos(a)
    if op == "log1p":
        if a <= -1:
            raise NotReal(f"log1p of {mpmath.nstr(a, 6)} at {where}")
        return mpmath.log1p(a)
    if op == "expm1":
        return mpmath.expm1(a)
    if op == "powi":
        return power(a, mpf(arg), where)
    if op == "powf":
        return power(a, arg, where)
    raise ValueError(f"unknown op {op!r}")


def local(op, a, b, arg, out, where):
    """The exact local derivatives (d/da, d/db) at the operands."""
    if op == "add":
        return 1, 1
    if op == "sub":
        return 1, -1
    if op == "mul":
        return b, a
    if op == "div":
        return 1 / b, -a / (b * b)
    if op == "pow":
        da = mpf(0) if b == 0 else b * power(a, b - 1, where)
        if a == 0 and b >= 0:
            db = mpf(0)
        elif a < 0:
            # Not real (a complex logarithm); IEEE and PyTorch give NaN, and
            # so does this, for the inputs it reaches only.
            db = mpf("nan")
        else:
            db = out * mpmath.log(a)
        return da, db
    if op == "neg":
        return -1, 0
    if op == "tanh":
        return 1 / mpmath.cosh(a) ** 2, 0
    if op == "exp":
        return out, 0
    if op == "log":
        return 1 / a, 0
    if op == "sigmoid":
        e = mpmath.exp(-abs(a))
        return e / (1 + e) ** 2, 0
    if op == "relu":
        return (1 if a > 0 else 0), 0
    if op == "sqrt":
        if a == 0:
            raise NotReal(f"infinite slope of sqrt at 0 at {where}")
        return 1 / (2 * out), 0
    if op == "abs":
        # PyTorch's sgn: 0 at 0 (a kink, like relu's).
        return mpmath.sign(a), 0
    if op == "sin":
        return mpmath.cos(a), 0
    if op == "cos":
        return -mpmath.sin(a), 0
    if op == "log1p":
        return 1 / (1 + a), 0
    if op == "expm1":
        # exp(a), not out + 1: the same number exactly, computed without
        # the cancellation a float `out + 1` suffers.
        return mpmath.exp(a), 0
    if op in ("powi", "powf"):
        e = mpf(arg)
        if e == 0:
            return 0, 0
        return e * power(a, e - 1, where), 0
    raise ValueError(f"unknown op {op!r}")


def run(prog, rng=None, unit=0.0, tiny=0.0, big=float("inf")):
    """Value and input gradients, and whether each left the normal range;
    with `rng`, every rounding perturbed by up to `unit`."""

    def fuzz(x):
        return x * (1 + mpf(rng.uniform(-unit, unit))) if rng is not None else x

    def outside(x):
        return x != 0 and not (tiny <= abs(x) <= big)

    inputs = [mpf(x) for x in prog["inputs"]]
    instrs = prog["instrs"]
    # Only the registers the output depends on: a dead one cannot move the
    # value or a gradient, and outside its domain it would stop the program
    # for nothing (floats carry its NaN along harmlessly).
    live = [False] * len(instrs)
    live[-1] = True
    for i in range(len(instrs) - 1, -1, -1):
        if live[i]:
            for r in operands(instrs[i]):
                live[r] = True
    vals = []
    taint = []
    for i, ins in enumerate(instrs):
        op = ins[0]
        if not live[i]:
            vals.append(mpf(0))
            taint.append(False)
            continue
        if op == "input":
            vals.append(inputs[ins[1]])
        elif op == "const":
            vals.append(mpf(ins[1]))
        else:
            a = vals[ins[1]]
            binary = op in ("add", "sub", "mul", "div", "pow")
            b = vals[ins[2]] if binary else mpf(0)
            arg = None if binary or len(ins) < 3 else mpf(ins[2])
            v = forward(op, a, b, arg, f"r{i} ({op})")
            # neg, relu and abs are exact in floating point; the others round.
            vals.append(v if op in EXACT_OPS else fuzz(v))
        taint.append(outside(vals[i]) or any(taint[r] for r in operands(ins)))
    n = len(instrs)
    adj = [mpf(0)] * n
    touched = [False] * n
    adj_taint = [False] * n
    leaf = [mpf(0)] * len(inputs)
    leaf_touched = [False] * len(inputs)
    leaf_taint = [False] * len(inputs)
    adj[n - 1] = mpf(1)
    touched[n - 1] = True

    def give(r, c, t):
        ins = instrs[r]
        if ins[0] == "const":
            return
        t = t or outside(c)
        if ins[0] == "input":
            k = ins[1]
            leaf[k] = fuzz(leaf[k] + c) if leaf_touched[k] else c
            leaf_touched[k] = True
            leaf_taint[k] = leaf_taint[k] or t or outside(leaf[k])
            return
        adj[r] = fuzz(adj[r] + c) if touched[r] else c
        touched[r] = True
        adj_taint[r] = adj_taint[r] or t or outside(adj[r])

    # The output itself may be an input load.
    if instrs[n - 1][0] == "input":
        give(n - 1, mpf(1), taint[n - 1])
    for i in range(n - 1, -1, -1):
        ins = instrs[i]
        op = ins[0]
        if op in ("input", "const") or not touched[i]:
            continue
        g = adj[i]
        a = vals[ins[1]]
        binary = op in ("add", "sub", "mul", "div", "pow")
        b = vals[ins[2]] if binary else mpf(0)
        arg = None if binary or len(ins) < 3 else mpf(ins[2])
        where = f"r{i} ({op})"
        da, db = local(op, a, b, arg, vals[i], where)
        exact_mul = op in ("add", "sub", "neg", "relu", "abs")
        t = adj_taint[i] or taint[i]
        give(ins[1], g * da if exact_mul else fuzz(g * da), t)
        if binary:
            give(ins[2], g * db if exact_mul else fuzz(g * db), t)
    return vals[n - 1], leaf, taint[n - 1], leaf_taint


def operands(ins):
    op = ins[0]
    if op in ("input", "const"):
        return []
    if op in ("add", "sub", "mul", "div", "pow"):
        return [ins[1], ins[2]]
    return [ins[1]]


def number(exact, samples, tiny, tainted):
    if mpmath.isnan(exact):
        return ["nan", "0.0", "0.0", "0"]
    hi = float(exact)
    lo = float(exact - mpf(hi)) if mpmath.isfinite(hi) else 0.0
    scale = max(abs(exact), mpf(tiny))
    spread = max((abs(s - exact) / scale for s in samples), default=mpf(0))
    return [repr(hi), repr(lo), repr(float(spread)), "1" if tainted else "0"]


def answer(prog, args):
    mpmath.mp.prec = PREC_BITS
    try:
        value, grads, vt, gt = run(prog, tiny=args.tiny, big=args.max)
        seed = zlib.crc32(json.dumps(prog["instrs"]).encode()) ^ args.seed
        rng = random.Random(seed)
        runs = [run(prog, rng, args.unit) for _ in range(args.samples)]
    except NotReal as e:
        return {"id": prog["id"], "ok": False, "why": str(e)}
    except (ZeroDivisionError, OverflowError, ValueError) as e:
        return {"id": prog["id"], "ok": False, "why": f"{type(e).__name__}: {e}"}
    return {
        "id": prog["id"],
        "ok": True,
        "value": number(value, [r[0] for r in runs], args.tiny, vt),
        "grads": [
            number(g, [r[1][k] for r in runs], args.tiny, gt[k]) for k, g in enumerate(grads)
        ],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--unit", type=float, required=True, help="unit roundoff of the float type")
    p.add_argument("--tiny", type=float, required=True, help="smallest normal number of the float type")
    p.add_argument("--max", type=float, required=True, help="largest finite number of the float type")
    p.add_argument("--samples", type=int, default=4, help="perturbed runs per program")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        prog = json.loads(line)
        prog["inputs"] = [float(x) for x in prog["inputs"]]
        for ins in prog["instrs"]:
            if ins[0] in ("const", "powf"):
                ins[-1] = float(ins[-1])
        out.write(json.dumps(answer(prog, args)) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
