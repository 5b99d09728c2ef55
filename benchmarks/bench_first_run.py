"""What a new user waits for: `costlab train` on Fashion-MNIST from a cleared compile cache, then again.

Run:  python benchmarks/bench_first_run.py [--python PY ...] [--repeats 3] [--epochs 1,5]

For each interpreter given (default: this one), each repeat makes a new, empty
Numba cache folder (NUMBA_CACHE_DIR) and runs, as a user would, in a fresh
process each:

  first    costlab train --data fashion-mnist --sizes 784,30,10 -q --epochs E, the cache empty
  second   the same command again, the cache now as the first run left it

for every E of --epochs. It first measures, for each interpreter with Numba,
what the compiled kernel costs before it saves anything: the time to compile
it into an empty cache and to load it from a warm one (a tiny fit with
``costlab.fast.KERNEL = "always"``, less the same fit on the NumPy path),
from which costlab.fast.KERNEL_MIN_STEPS is set. The interpreters and runs are interleaved, so that a
busy machine slows them alike. The table gives each run's median wall time and
spread (min-max), the ratio first/second (median of the per-repeat ratios), and
for several interpreters the ratio of each one's second run to the first
interpreter's (a bare `pip install .` against one with every extra, say). It
prints the CPU, the BLAS kernel, and the path each run took (the compiled kernel
or NumPy), as `costlab train --json` reports it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

COMMAND = ["-m", "costlab", "train", "--data", "fashion-mnist", "--sizes", "784,30,10", "-q"]


def machine(python):
    """CPU model, and the BLAS library and kernel that ``python``'s NumPy loads."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    code = ("import numpy, threadpoolctl; i = [x for x in threadpoolctl.threadpool_info() if x['user_api'] == 'blas'];"
            "print(numpy.__version__, *(f\"{x['internal_api']} {x.get('version')} {x.get('architecture')}\" for x in i))")
    blas = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    has_numba = subprocess.run([python, "-c", "import numba"], capture_output=True).returncode == 0
    return cpu, blas, has_numba


def run(python, epochs, cache):
    """Wall time of one `costlab train` in a new process, and the path it reports."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    t = time.perf_counter()
    done = subprocess.run([python, *COMMAND, "--epochs", str(epochs), "--json"], env=env, capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"{python}: costlab train failed:\n{done.stderr}")
    try:
        path = json.loads(done.stdout).get("config", {}).get("path", "?")
    except ValueError:
        path = "?"
    return elapsed, path


KERNEL_COST = """
import time, numpy as np
t = time.perf_counter()
from costlab import Network, fast
fast.KERNEL = "always"
X = np.random.default_rng(0).integers(0, 256, (40, 784), dtype=np.uint8)
h = Network([784, 30, 10], seed=0).fit(X, np.arange(40) % 10, epochs=1, layers=True)
print(time.perf_counter() - t, h.config["path"])
"""


def kernel_cost(python):
    """Seconds to compile the kernel into an empty cache, and to load it from the cache (a tiny fit each)."""
    cache = tempfile.mkdtemp(prefix="costlab-numba-cache-")
    try:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = [subprocess.run([python, "-c", KERNEL_COST], env=env, capture_output=True, text=True).stdout.split()
               for _ in range(2)]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    base = subprocess.run([python, "-c", KERNEL_COST.replace('"always"', '"never"')], capture_output=True,
                          text=True).stdout.split()
    if not all(len(o) == 2 and o[1] == "kernel" for o in out) or len(base) != 2:
        return None
    return float(out[0][0]) - float(base[0]), float(out[1][0]) - float(base[0])


def spread(values):
    return f"{min(values):.2f}-{max(values):.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", nargs="+", default=[sys.executable],
                        help="interpreters to compare (each with costlab installed), the first the reference")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", default="1,5", help="epochs of each run, comma-separated")
    args = parser.parse_args()
    epochs = [int(e) for e in args.epochs.split(",")]
    print(f"costlab train --data fashion-mnist --sizes 784,30,10 -q; {args.repeats} repeats, interleaved; "
          f"load average {os.getloadavg()[0]:.1f}")
    for py in args.python:
        cpu, blas, has_numba = machine(py)
        print(f"{py}: {cpu}; NumPy {blas}; Numba {'installed' if has_numba else 'not installed'}")
        cost = kernel_cost(py) if has_numba else None
        if cost is not None:
            print(f"  the compiled kernel (float64, byte rows, per-layer records): {cost[0]:.1f} s to compile into an "
                  f"empty cache, {cost[1]:.1f} s to load from it, over a tiny fit on the NumPy path")
    times = {(py, e, which): [] for py in args.python for e in epochs for which in ("first", "second")}
    paths = {}
    for _ in range(args.repeats):
        for e in epochs:
            for py in args.python:
                cache = tempfile.mkdtemp(prefix="costlab-numba-cache-")
                try:
                    for which in ("first", "second"):
                        elapsed, path = run(py, e, cache)
                        times[py, e, which].append(elapsed)
                        paths[py, e, which] = path
                finally:
                    shutil.rmtree(cache, ignore_errors=True)
    print()
    print(f"{'python':40s}{'epochs':>7s}{'first s':>9s}{'spread':>11s}{'second s':>10s}{'spread':>11s}"
          f"{'first/second':>14s}{'(min-max)':>11s}{'vs ref':>8s}{'(min-max)':>11s}  path")
    for e in epochs:
        ref = times[args.python[0], e, "second"]
        for py in args.python:
            first, second = times[py, e, "first"], times[py, e, "second"]
            ratios = [f / s for f, s in zip(first, second)]
            vs = [s / r for s, r in zip(second, ref)]
            print(f"{py[-40:]:40s}{e:7d}{statistics.median(first):9.2f}{spread(first):>11s}"
                  f"{statistics.median(second):10.2f}{spread(second):>11s}{statistics.median(ratios):14.2f}"
                  f"{spread(ratios):>11s}{statistics.median(vs):8.2f}{spread(vs):>11s}  "
                  f"{paths[py, e, 'first']}/{paths[py, e, 'second']}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
