"""Many networks at once: a NetworkGroup against the same networks trained one after another.

Run:  python benchmarks/bench_group.py [--n 50000] [--k 16] [--repeat 2]

(a) K = 16 networks of [784, 30, 10], batch 10, one epoch of the first 50,000
    Fashion-MNIST images, float64 and float32: trained as one group, and
    trained one after another with Network.fit, in the same run. Two kinds of
    group: members sharing one seed's batch order (16 learning rates, as
    `costlab compare` groups them), and members with 16 seeds of their own;
    the first also on the NumPy path alone (its blocks of members, without
    the compiled kernel).
(b) the 401 x 401 map of the seed's neuron, both costs, 300 epochs
    (`costlab map`), serial and with 2 worker processes.
(c) 2 worker processes training groups side by side, with one BLAS thread
    each (what costlab does) and with OpenBLAS's default of one per core.

Times are the best of --repeat runs; ratios are printed beside them. Needs
Debian's dataset-fashion-mnist.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def part_a(data, K, repeat):
    from costlab import Network
    from costlab.group import NetworkGroup

    Y = np.eye(10)[data.y_train]
    etas = np.linspace(0.1, 1.6, K)
    print(f"(a) K = {K} networks of [784, 30, 10], batch 10, one epoch of {len(data.X_train)} images")
    from costlab import fast

    fast.KERNEL = "always"  # the kernel's columns force it (as "auto" would at this size)
    for dtype in ("float64", "float32"):  # load the kernel before timing
        Network([784, 30, 10], dtype=dtype).fit(data.X_train[:5000], data.y_train[:5000], epochs=1, monitor=False)
    fast.KERNEL = "auto"
    for dtype in ("float64", "float32"):
        def serial(kernel="always"):
            # one after another; "never": each network on the NumPy path, like the group
            fast.KERNEL = kernel
            try:
                for k in range(K):
                    Network([784, 30, 10], seed=0, dtype=dtype).fit(
                        data.X_train, data.y_train, epochs=1, eta=etas[k], monitor=False)
            finally:
                fast.KERNEL = "auto"

        def shared(kernel="always"):
            # "always": each member's epoch in the compiled kernel in turn; "never": the NumPy path's blocks
            fast.KERNEL = kernel
            try:
                nets = [Network([784, 30, 10], seed=0, dtype=dtype) for _ in range(K)]
                NetworkGroup(nets).fit(data.X_train, Y, epochs=1, eta=etas, monitor=False)
            finally:
                fast.KERNEL = "auto"

        def own():
            nets = [Network([784, 30, 10], seed=k, dtype=dtype) for k in range(K)]
            NetworkGroup(nets).fit(data.X_train, Y, epochs=1, eta=etas, monitor=False)

        ts, tn = best_time(serial, repeat), best_time(lambda: serial("never"), repeat)
        tg, to = best_time(shared, repeat), best_time(own, repeat)
        tgn = best_time(lambda: shared("never"), repeat)
        print(f"  {dtype}: one after another {ts:6.2f} s (NumPy path alone {tn:6.2f} s) | group, shared batch "
              f"order {tg:6.2f} s ({ts / tg:.2f}x; {tn / tg:.2f}x the NumPy path; on the NumPy path {tgn:6.2f} s, "
              f"{ts / tgn:.2f}x) | group, own orders {to:6.2f} s ({ts / to:.2f}x)", flush=True)


def part_b(repeat):
    from costlab.slowdown import slowdown_map

    print("(b) the 401 x 401 map, quadratic and cross-entropy, 300 epochs")
    for workers in (1, 2):
        t = best_time(lambda: slowdown_map(workers=workers), repeat)
        print(f"  {workers} worker(s): {t:.2f} s", flush=True)


def _train_group(n, seed, blas_threads):
    from costlab import Network, training
    from costlab.data import load_data
    from costlab.group import NetworkGroup

    training.TRAINING_BLAS_THREADS = blas_threads
    data = load_data("fashion-mnist").limit(n)
    nets = [Network([784, 30, 10], seed=seed) for _ in range(16)]
    t = time.perf_counter()
    NetworkGroup(nets).fit(data.X_train, np.eye(10)[data.y_train], epochs=1,
                           eta=np.linspace(0.1, 1.6, 16), monitor=False)
    return time.perf_counter() - t


def part_c(n):
    from concurrent.futures import ProcessPoolExecutor

    print(f"(c) 2 processes, each training a group of 16 networks for one epoch of {n} images")
    for threads in (1, 2):
        with ProcessPoolExecutor(2) as pool:
            t = time.perf_counter()
            list(pool.map(_train_group, [n, n], [0, 1], [threads, threads]))
            wall = time.perf_counter() - t
        print(f"  {threads} BLAS thread(s) per process: {wall:.2f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="training images for (a)")
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-c", action="store_true", help="skip (c): with two BLAS threads it can be very slow")
    args = parser.parse_args()

    from costlab.data import load_data

    data = load_data("fashion-mnist").limit(args.n)
    part_a(data, args.k, args.repeat)
    part_b(args.repeat)
    if not args.skip_c:
        part_c(min(args.n, 10_000))


if __name__ == "__main__":
    main()
