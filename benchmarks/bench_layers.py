"""What the per-layer records cost: fit(layers=True) against the default fit, one epoch on Fashion-MNIST.

Run:  python benchmarks/bench_layers.py [--n 50000] [--repeats 5] [--sizes 784,30,10]

The reference workload of bench_train.py ([784, 30, 10], batch 10, eta 0.5, float64 X,
one epoch), one BLAS thread, contenders interleaved and repeated from the same start:
  default       Network(...).fit(X, y, epochs=1): the running record, in the compiled kernel
                (costlab.fast.KERNEL = "always", which "auto" chooses at this size anyway).
  numpy         the same with the kernel off (costlab.fast.KERNEL = "never"): the NumPy path.
  layers        fit(..., layers=True): per-layer speed ||nabla_b^l||, saturated and dead
                fractions, entry 0 by one full forward/backward pass; the epoch in the
                compiled kernel, which counts them as it trains.
  layers-numpy  the same on the NumPy path.
Each contender first fits epochs=0 (entry 0 of the history; with layers=True the exact
per-layer pass over the training set), then one epoch continuing that history; both are
timed apart. Ratios are of the epoch times, per repeat (median and min-max): layers / default
and layers-numpy / numpy are the records' own cost on each path, layers / default also what a
user pays against the default fit.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from costlab import Network, fast
from costlab.data import load_data


def run(X, y, sizes, seed, layers=False, kernel="always"):
    """(seconds of entry 0, seconds of one epoch): fit(epochs=0) starts the history, then one epoch."""
    fast.KERNEL = kernel
    net = Network(sizes, cost="cross-entropy", seed=seed)
    t0 = time.perf_counter()
    h = net.fit(X, y, epochs=0, layers=layers)
    t1 = time.perf_counter()
    net.fit(X, y, epochs=1, batch_size=10, eta=0.5, layers=layers, history=h)
    t2 = time.perf_counter()
    fast.KERNEL = "auto"
    return t1 - t0, t2 - t1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="784,30,10")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    raw = load_data("fashion-mnist").limit(args.n)
    X, y = raw.X_train / 255.0, raw.y_train
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    print(f"Fashion-MNIST, {args.n} images, {sizes}, batch 10, one epoch; {args.repeats} repeats, interleaved")
    kernels = fast._kernels()
    level = "not built" if kernels is None else kernels.LEVELS[kernels.LEVEL]
    print(f"machine: {cpu}; NumPy {np.__version__}; compiled kernel: {level}")
    run(X[:2000], y[:2000], sizes, 0, kernel="always")  # load the kernel before timing
    contenders = {"default": {}, "numpy": {"kernel": "never"}, "layers": {"layers": True},
                  "layers-numpy": {"layers": True, "kernel": "never"}}
    times = {name: [] for name in contenders}
    starts = {name: [] for name in contenders}
    for r in range(args.repeats):
        for name, kw in contenders.items():
            start, epoch = run(X, y, sizes, r, **kw)
            starts[name].append(start)
            times[name].append(epoch)
    print("one epoch (after entry 0):")
    for name, ts in times.items():
        print(f"  {name:12s} median {statistics.median(ts):.3f} s  (min {min(ts):.3f}, max {max(ts):.3f})")
    print("entry 0 (fit with epochs=0: the exact per-layer pass with layers=True, else nothing on the training set):")
    for name, ts in starts.items():
        print(f"  {name:12s} median {statistics.median(ts):.3f} s  (min {min(ts):.3f}, max {max(ts):.3f})")
    for a, b in (("layers", "default"), ("layers-numpy", "numpy")):
        ratios = [p / q for p, q in zip(times[a], times[b])]
        print(f"{a} / {b}: {statistics.median(ratios):.3f}  (min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()
