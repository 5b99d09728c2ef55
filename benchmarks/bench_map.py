"""`costlab map` (401 x 401 starts, both costs, 300 epochs) against a plain vectorized NumPy loop.

Run:  python benchmarks/bench_map.py [--repeats 5]

Both run as fresh processes, start-up included (Python, imports, the work, the output),
interleaved and repeated; the table gives the CPU time (user + system) and the wall time of
each, medians with min-max, and the ratio. The plain loop trains every start of the grid
at once, one array operation per step, with SciPy's expit: the straightforward way to draw
this map with NumPy. Both must find the same share of starts that reach the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

PLAIN = r"""
import json, sys
import numpy as np
from scipy.special import expit

w = np.linspace(-6, 6, 401); b = np.linspace(-6, 6, 401)
W, B = np.meshgrid(w, b)
x, y, eta, epochs, target = 1.0, 0.0, 0.15, 300, 0.1
share = {}
for cost in ("quadratic", "cross-entropy"):
    w_, b_ = W.copy(), B.copy()
    first = np.full(W.shape, -1)
    for epoch in range(epochs + 1):
        a = expit(w_ * x + b_)
        first[(first < 0) & (np.abs(a - y) <= abs(target - y))] = epoch
        delta = (a - y) * a * (1 - a) if cost == "quadratic" else a - y
        w_ -= eta * delta * x
        b_ -= eta * delta
    share[cost] = float(np.mean(first >= 0))
json.dump(share, sys.stdout)
"""


def run(cmd):
    """(CPU seconds of the child, wall seconds, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}).stdout
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    contenders = {
        "costlab map": [sys.executable, "-m", "costlab", "map", "--json"],
        "plain NumPy": [sys.executable, "-c", PLAIN],
    }
    results = {name: {"cpu": [], "wall": []} for name in contenders}
    shares = {}
    for _ in range(args.repeats):
        for name, cmd in contenders.items():
            cpu, wall, out = run(cmd)
            results[name]["cpu"].append(cpu)
            results[name]["wall"].append(wall)
            d = json.loads(out)
            shares[name] = {s["cost"]: s["share_reached"] for s in d["summary"]} if "summary" in d else d
    assert shares["costlab map"] == shares["plain NumPy"], shares
    print(f"401 x 401 starts, both costs, 300 epochs; {args.repeats} repeats, interleaved; "
          f"share reaching a <= 0.1: {shares['costlab map']}")
    print(f"{'':14s}{'CPU s':>8s}{'(min-max)':>14s}{'wall s':>8s}{'(min-max)':>14s}")
    for name, r in results.items():
        cpu, wall = r["cpu"], r["wall"]
        print(f"{name:14s}{statistics.median(cpu):8.2f}{f'{min(cpu):.2f}-{max(cpu):.2f}':>14s}"
              f"{statistics.median(wall):8.2f}{f'{min(wall):.2f}-{max(wall):.2f}':>14s}")
    ratios = [p / c for p, c in zip(results["plain NumPy"]["cpu"], results["costlab map"]["cpu"])]
    print(f"plain / costlab, CPU time: {statistics.median(ratios):.2f}x (min-max {min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
