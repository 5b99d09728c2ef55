"""The compiled kernel against the NumPy path, at every processor level this machine runs.

Run:  python benchmarks/bench_kernel.py [--n 20000] [--repeats 3]

One epoch of Network([784, h, 10], cost="cross-entropy").fit(X, y, batch_size=m,
monitor="off") on the first n Fashion-MNIST images, X a float array of the
network's type, one BLAS thread, at hidden 30/300 x batch 10/100, float64 and
float32. Contenders, interleaved and repeated from the same start: the kernel
at each processor level costlab._kernels.LEVEL allows (costlab.fast.KERNEL_LEVEL:
AVX-512, AVX2 with FMA, the baseline), and the NumPy path
(costlab.fast.KERNEL = "never"). The table gives each contender's best time and
the NumPy path's time over it (the kernel's gain). Needs Debian's
dataset-fashion-mnist.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from threadpoolctl import threadpool_info, threadpool_limits

from costlab import Network, _kernels, fast
from costlab.data import load_data

POINTS = [(30, 10), (30, 100), (300, 10), (300, 100)]


def one_epoch(X, y, h, m, dtype, kernel, level):
    fast.KERNEL, fast.KERNEL_LEVEL = kernel, level
    try:
        net = Network([784, h, 10], cost="cross-entropy", seed=0, dtype=dtype)
        t = time.perf_counter()
        net.fit(X, y, epochs=1, batch_size=m, eta=0.5, monitor="off")
        return time.perf_counter() - t
    finally:
        fast.KERNEL, fast.KERNEL_LEVEL = "auto", -1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    threadpool_limits(1)
    raw = load_data("fashion-mnist").limit(args.n)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    blas = "; ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"{cpu}; BLAS {blas}; kernel levels {', '.join(_kernels.LEVELS[k] for k in range(_kernels.LEVEL + 1))}; "
          f"{args.n} images, one epoch, best of {args.repeats}, load average {os.getloadavg()[0]:.1f}")
    contenders = [(_kernels.LEVELS[k], "always", k) for k in range(_kernels.LEVEL, -1, -1)] + [("NumPy", "never", -1)]
    print(f"{'dtype':8s}{'hidden':>7s}{'batch':>6s}" + "".join(f"{name:>12s}" for name, _, _ in contenders)
          + "".join(f"{'gain ' + name:>16s}" for name, _, _ in contenders[:-1]))
    for dtype in ("float64", "float32"):
        X = (raw.X_train / 255.0).astype(dtype)
        for h, m in POINTS:
            best = {name: float("inf") for name, _, _ in contenders}
            for _ in range(args.repeats):  # interleaved: each repeat runs every contender once
                for name, kernel, level in contenders:
                    best[name] = min(best[name], one_epoch(X, raw.y_train, h, m, dtype, kernel, level))
            print(f"{dtype:8s}{h:7d}{m:6d}" + "".join(f"{best[name]:11.3f}s" for name, _, _ in contenders)
                  + "".join(f"{best['NumPy'] / best[name]:15.2f}x" for name, _, _ in contenders[:-1]), flush=True)


if __name__ == "__main__":
    main()
