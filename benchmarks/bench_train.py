"""costlab's default fit() against an idiomatic PyTorch loop (and scikit-learn's MLPClassifier),
one epoch on Fashion-MNIST, at hidden 30/100/300 x batch 10/100, float64 and float32.

Run:  python benchmarks/bench_train.py [--n 50000] [--repeats 3] [--quick]

Every contender runs in this one process with one BLAS thread, and the contenders of a
point are interleaved and repeated (costlab, PyTorch, costlab, PyTorch, ...), so that a
busy machine slows them alike; the table gives medians, the spread (min-max over the
repeats) and the ratio PyTorch time / costlab time (median of the per-repeat ratios, with
its min-max). It also measures the machine's peak single-thread GEMM rate and from it the
arithmetic floor of each training epoch: the floating-point operations of the forward
pass, back-propagation and update (2 n_in n_out per sample and layer for each product,
the first layer's delta w product excepted) divided by that peak. The peak is measured
again in every repeat, beside the contenders, since a shared machine's speed drifts: each
contender's time / floor is the median of the per-repeat ratios (with their min-max). The
header names the CPU and the BLAS library and kernel of NumPy and of PyTorch; the last
column, the path costlab's default fit took (the compiled kernel or NumPy's BLAS), as
``history.config["path"]`` reports it.

The contenders, one epoch each from the same initial weights:
  costlab   Network([784, h, 10], cost="cross-entropy", dtype=...).fit(X, y, epochs=1,
            batch_size=m, eta=0.5), X a float array of the network's dtype: the default
            fit, with its per-epoch records (the running training cost and accuracy).
  costlab-train  the same with monitor="off": training alone, against the floor.
  pytorch   nn.Linear + nn.Sigmoid + nn.Linear, BCEWithLogitsLoss(reduction="sum") / m
            (the same cost and gradient), torch.optim.SGD(lr=0.5), batches by indexing a
            tensor with a random permutation; torch.set_num_threads(1).
  sklearn   MLPClassifier(hidden_layer_sizes=(h,), activation="logistic", solver="sgd",
            batch_size=m, learning_rate_init=0.5, momentum=0, alpha=0), max_iter=1
            (its softmax output with log-loss, its only choice for classes); at the
            reference point only.
Requires torch (pip install torch==2.13.0) and the Debian package dataset-fashion-mnist.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np

from costlab import Network
from costlab.data import load_data

ETA = 0.5
REFERENCE = (30, 10)
POINTS = [(30, 10), (30, 100), (100, 10), (100, 100), (300, 10), (300, 100)]


def epoch_flops(sizes, n):
    """Floating-point operations of one training epoch: forward, back-propagation, update."""
    per_sample = 0
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        per_sample += 2 * n_in * n_out          # z = a w.T + b
        per_sample += 2 * (n_in + 1) * n_out    # nabla_w = delta.T a, applied to w
        if l > 0:
            per_sample += 2 * n_in * n_out      # delta w, back to the layer below
    return per_sample * n


def peak_gflops(dtype, size=1024, repeats=10):
    """The best single-thread GEMM rate of this machine, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size)).astype(dtype)
    b = rng.random((size, size)).astype(dtype)
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


#: the path each point's default fit took: (dtype, hidden, batch) -> "kernel" or "numpy"
PATHS = {}


def run_costlab(data, h, m, dtype, seed, monitor="running"):
    X = data["X"][dtype]
    net = Network([784, h, 10], cost="cross-entropy", seed=seed, dtype=dtype)
    t = time.perf_counter()
    history = net.fit(X, data["y"], epochs=1, batch_size=m, eta=ETA, monitor=monitor)
    elapsed = time.perf_counter() - t
    PATHS[dtype, h, m] = history.config.get("path", "?")
    return elapsed


def run_costlab_train(data, h, m, dtype, seed):
    return run_costlab(data, h, m, dtype, seed, monitor="off")


def run_torch(data, h, m, dtype, seed):
    import torch

    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    X = torch.from_numpy(data["X"][dtype])
    Y = torch.nn.functional.one_hot(torch.from_numpy(data["y"]), 10).to(tdtype)
    ref = Network([784, h, 10], cost="cross-entropy", seed=seed, dtype=dtype)
    model = torch.nn.Sequential(torch.nn.Linear(784, h), torch.nn.Sigmoid(), torch.nn.Linear(h, 10)).to(tdtype)
    with torch.no_grad():
        for layer, w, b in zip((model[0], model[2]), ref.weights, ref.biases):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    opt = torch.optim.SGD(model.parameters(), lr=ETA)
    n = X.shape[0]
    t = time.perf_counter()
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    for j in range(0, n, m):
        idx = perm[j:j + m]
        xb, yb = X[idx], Y[idx]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb) / xb.shape[0]
        loss.backward()
        opt.step()
    return time.perf_counter() - t


def run_sklearn(data, h, m, dtype, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(h,), activation="logistic", solver="sgd", batch_size=m,
        learning_rate_init=ETA, learning_rate="constant", momentum=0.0, nesterovs_momentum=False,
        alpha=0.0, max_iter=1, shuffle=True, random_state=seed, tol=0.0, n_iter_no_change=10**9,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        clf.fit(data["X"][dtype], data["y"])
        return time.perf_counter() - t


CONTENDERS = {"costlab": run_costlab, "costlab-train": run_costlab_train, "pytorch": run_torch,
              "sklearn": run_sklearn}


def spread(values):
    return f"{min(values):.2f}-{max(values):.2f}"


def machine():
    """The CPU model, and the BLAS libraries NumPy and PyTorch call, with the kernel each runs."""
    import torch
    from threadpoolctl import threadpool_info

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    blas = "; ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} ({i['filepath'].split('/')[-1]})"
                     for i in threadpool_info() if i["user_api"] == "blas")
    torch_blas = next((line.split("=", 1)[1].strip() for line in torch.__config__.show().splitlines()
                       if "BLAS_INFO" in line), "?").split(",")[0]
    return cpu, blas, f"PyTorch {torch.__version__} (BLAS {torch_blas}, CPU capability {torch.backends.cpu.get_cpu_capability()})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="training images")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--points", default=None, help="hidden:batch,... (default: all six)")
    parser.add_argument("--quick", action="store_true", help="10,000 images, 2 repeats, the reference only")
    args = parser.parse_args()
    points = POINTS if args.points is None else [tuple(map(int, p.split(":"))) for p in args.points.split(",")]
    if args.quick:
        args.n, args.repeats, points = 10_000, 2, [REFERENCE]
    dtypes = args.dtypes.split(",")

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    limits = threadpool_limits(1)
    raw = load_data("fashion-mnist").limit(args.n)
    data = {"X": {dt: (raw.X_train / 255.0).astype(dt) for dt in dtypes}, "y": raw.y_train}
    cpu, blas, torch_info = machine()
    print(f"Fashion-MNIST, {args.n} training images, one epoch, eta {ETA}; {args.repeats} repeats, interleaved; "
          f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f}")
    print(f"CPU: {cpu}\nNumPy {np.__version__}, BLAS: {blas}\n{torch_info}; one thread each")
    peaks = {dt: peak_gflops(dt) for dt in dtypes}
    print("peak single-thread GEMM: " + ", ".join(f"{dt} {p:.1f} GFLOP/s" for dt, p in peaks.items())
          + " (measured again in every repeat for the floor)")
    print("each contender: median time in s, then time / floor, the median of the per-repeat ratios (min-max)",
          flush=True)
    print()
    names = ["costlab", "costlab-train", "pytorch", "sklearn"]
    print(f"{'dtype':8s}{'hidden':>7s}{'batch':>6s}{'floor s':>9s}"
          + "".join(f"{name:>24s}" for name in names) + f"{'torch/costlab':>20s}  path")
    for dt in dtypes:
        for h, m in points:
            run = names[:3] + (["sklearn"] if (h, m) == REFERENCE else [])
            times = {name: [] for name in run}
            floors = []
            for r in range(args.repeats):
                for name in run:  # interleaved: each repeat runs every contender once
                    times[name].append(CONTENDERS[name](data, h, m, dt, seed=r))
                floors.append(epoch_flops([784, h, 10], args.n) / (peak_gflops(dt, repeats=3) * 1e9))
            cells = []
            for name in names:
                if name not in times:
                    cells.append(f"{'':>24s}")
                    continue
                to_floor = [t / f for t, f in zip(times[name], floors)]
                cells.append(f"{statistics.median(times[name]):8.3f}{statistics.median(to_floor):6.2f}"
                             f"{f' ({spread(to_floor)})':>12s}")
            ratios = [p / q for p, q in zip(times["pytorch"], times["costlab"])]
            print(f"{dt:8s}{h:7d}{m:6d}{statistics.median(floors):9.3f}" + "".join(cells)
                  + f"{statistics.median(ratios):8.2f}{f' ({spread(ratios)})':>12s}  {PATHS.get((dt, h, m), '?')}",
                  flush=True)
    limits.restore_original_limits()


if __name__ == "__main__":
    main()
