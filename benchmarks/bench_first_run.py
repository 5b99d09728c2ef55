"""What a new user waits for: `costlab train` on Fashion-MNIST in a fresh process, the first time and again.

Run:  python benchmarks/bench_first_run.py [--python PY ...] [--repeats 3] [--epochs 1,5]

costlab compiles nothing while a user waits: its kernel is C, built when it is
installed. What a first run can still pay for is Python's bytecode (which pip
writes at install time, but an editable or unusual install may not) and the
operating system's caches. So for each interpreter given (default: this one),
each repeat deletes costlab's ``__pycache__`` folders and runs, as a user would,
in a fresh process each:

  first    costlab train --data fashion-mnist --sizes 784,30,10 -q --epochs E, no bytecode cached
  second   the same command again

for every E of --epochs. The interpreters and runs are interleaved, so that a
busy machine slows them alike. The table gives each run's median wall time and
spread (min-max), the ratio first/second (median of the per-repeat ratios), and
for several interpreters the ratio of each one's second run to the first
interpreter's (a bare `pip install .` against one with every extra, say). It
prints the CPU, the BLAS kernel, the kernel's processor level, and the path each
run took (the compiled kernel or NumPy), as `costlab train --json` reports it.
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
import time

COMMAND = ["-m", "costlab", "train", "--data", "fashion-mnist", "--sizes", "784,30,10", "-q"]


def machine(python):
    """CPU model, the BLAS library and kernel that ``python``'s NumPy loads, and costlab's kernel level."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    code = ("import numpy, threadpoolctl; i = [x for x in threadpoolctl.threadpool_info() if x['user_api'] == 'blas'];"
            "print(numpy.__version__, *(f\"{x['internal_api']} {x.get('version')} {x.get('architecture')}\" for x in i))")
    blas = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    level = subprocess.run([python, "-c", "from costlab import _kernels as k; print(k.LEVELS[k.LEVEL])"],
                           capture_output=True, text=True).stdout.strip() or "not built"
    return cpu, blas, level


def clear_bytecode(python):
    """Delete the ``__pycache__`` folders of the costlab that ``python`` imports."""
    where = subprocess.run([python, "-c", "import costlab, os; print(os.path.dirname(costlab.__file__))"],
                           capture_output=True, text=True).stdout.strip()
    for root, dirs, _ in os.walk(where):
        if "__pycache__" in dirs:
            shutil.rmtree(os.path.join(root, "__pycache__"), ignore_errors=True)


def run(python, epochs):
    """Wall time of one `costlab train` in a new process, and the path it reports."""
    t = time.perf_counter()
    done = subprocess.run([python, *COMMAND, "--epochs", str(epochs), "--json"], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"{python}: costlab train failed:\n{done.stderr}")
    try:
        path = json.loads(done.stdout).get("config", {}).get("path", "?")
    except ValueError:
        path = "?"
    return elapsed, path


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
        cpu, blas, level = machine(py)
        print(f"{py}: {cpu}; NumPy {blas}; costlab's kernel: {level}")
    times = {(py, e, which): [] for py in args.python for e in epochs for which in ("first", "second")}
    paths = {}
    for _ in range(args.repeats):
        for e in epochs:
            for py in args.python:
                clear_bytecode(py)
                for which in ("first", "second"):
                    elapsed, path = run(py, e)
                    times[py, e, which].append(elapsed)
                    paths[py, e, which] = path
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
