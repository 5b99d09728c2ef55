"""One epoch of [784, 30, 10], batch 10, eta 0.5 on 50,000 Fashion-MNIST images:
costlab against an idiomatic PyTorch loop and scikit-learn's MLPClassifier.

Run:  python benchmarks/bench_train.py [--epochs 5] [--seeds 3] [--quick]

All three run in this one process, one after another, with one BLAS thread
each, so their times are comparable; ratios are printed beside the times. Per-epoch times are medians
over several epochs. Accuracy after 1 and 5 epochs is the mean over seeds.

The peers (what each one computes per mini-batch of m = 10):
  costlab   sigmoid hidden + sigmoid output, cross-entropy, plain SGD.
  PyTorch   nn.Linear + nn.Sigmoid twice, BCEWithLogitsLoss(reduction="sum") / m
            (the same cost and gradient as costlab), torch.optim.SGD(lr=0.5);
            torch.set_num_threads(1), its fastest setting on 2 cores. The same
            initial weights and the same batch order as costlab, so the two
            should reach the same accuracy up to rounding.
  sklearn   MLPClassifier(hidden_layer_sizes=(30,), activation="logistic",
            solver="sgd", batch_size=10, learning_rate_init=0.5, momentum=0,
            alpha=0): softmax output with log-loss, its only choice for classes.
Requires torch (pip install torch==2.13.0) and the Debian package
dataset-fashion-mnist.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from costlab import Network
from costlab.data import load_data

N_TRAIN = 50_000
SIZES = [784, 30, 10]
BATCH, ETA = 10, 0.5


def time_costlab(data, dtype, epochs, seed):
    net = Network(SIZES, cost="cross-entropy", seed=seed, dtype=dtype)
    times, accs = [], []
    for _ in range(epochs):
        t = time.perf_counter()
        net.fit(data.X_train, data.y_train, epochs=1, batch_size=BATCH, eta=ETA, monitor=False)
        times.append(time.perf_counter() - t)
        accs.append(net.accuracy(data.X_test, data.y_test))
    return times, accs


def time_torch(data, dtype, epochs, seed):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    X = torch.from_numpy(data.X_train.copy()).to(tdtype) / 255.0
    Y = torch.nn.functional.one_hot(torch.from_numpy(data.y_train), 10).to(tdtype)
    Xt = torch.from_numpy(data.X_test).to(tdtype) / 255.0
    yt = torch.from_numpy(data.y_test)
    ref = Network(SIZES, cost="cross-entropy", seed=seed, dtype=dtype)
    model = torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(), torch.nn.Linear(30, 10)).to(tdtype)
    with torch.no_grad():
        for layer, w, b in zip((model[0], model[2]), ref.weights, ref.biases):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    opt = torch.optim.SGD(model.parameters(), lr=ETA)
    n = X.shape[0]
    times, accs = [], []
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.from_numpy(ref.rng.permutation(n))  # costlab's own batch order for this seed
        for j in range(0, n, BATCH):
            idx = perm[j:j + BATCH]
            xb, yb = X[idx], Y[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb) / xb.shape[0]
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
        with torch.no_grad():
            accs.append(float((model(Xt).argmax(1) == yt).double().mean()))
    return times, accs


def time_sklearn(data, dtype, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X = (data.X_train / 255.0).astype(dtype)
    Xt = (data.X_test / 255.0).astype(dtype)
    clf = MLPClassifier(
        hidden_layer_sizes=(30,), activation="logistic", solver="sgd", batch_size=BATCH,
        learning_rate_init=ETA, learning_rate="constant", momentum=0.0, nesterovs_momentum=False,
        alpha=0.0, max_iter=1, shuffle=True, random_state=seed, warm_start=True, tol=0.0,
        n_iter_no_change=10**9,
    )
    times, accs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            t = time.perf_counter()
            clf.fit(X, data.y_train)
            times.append(time.perf_counter() - t)
            accs.append(clf.score(Xt, data.y_test))
    return times, accs


PEERS = {"costlab": time_costlab, "pytorch": time_torch, "sklearn": time_sklearn}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (accuracy reported after 1 and 5)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one seed, 2 epochs (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.seeds = 2, 1

    from threadpoolctl import threadpool_info, threadpool_limits

    data = load_data("fashion-mnist").limit(N_TRAIN)
    blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')} ({i['num_threads']} threads)" for i in threadpool_info())
    print(f"Fashion-MNIST, first {N_TRAIN} training images; [784, 30, 10], batch {BATCH}, eta {ETA}")
    print(f"NumPy {np.__version__}; BLAS: {blas}")
    results = {}
    # one BLAS thread for every peer (PyTorch: set_num_threads(1)): at these matrix sizes a
    # second thread only adds synchronization, and idle BLAS threads spinning on a busy
    # 2-core machine can slow a run down tenfold
    limits = threadpool_limits(1)
    for dtype in ("float64", "float32"):
        for name, fn in PEERS.items():
            times, accs = [], []
            for seed in range(args.seeds):
                t, a = fn(data, dtype, args.epochs, seed)
                times += t
                accs.append(a)
            results[dtype, name] = (statistics.median(times), accs)
            print(f"  {dtype} {name:8s} {statistics.median(times):7.3f} s/epoch (median of {len(times)})", flush=True)
    limits.restore_original_limits()

    print()
    print(f"{'':10s}{'s/epoch':>10s}{'x vs torch':>12s}{'x vs sklearn':>14s}"
          f"{'acc@1':>8s}{'acc@' + str(args.epochs):>8s}")
    for dtype in ("float64", "float32"):
        for name in PEERS:
            t, accs = results[dtype, name]
            acc1 = np.mean([a[0] for a in accs])
            accn = np.mean([a[-1] for a in accs])
            vs_t = results[dtype, "pytorch"][0] / t
            vs_s = results[dtype, "sklearn"][0] / t
            print(f"{dtype[5:] + ' ' + name:10s}{t:10.3f}{vs_t:12.2f}{vs_s:14.2f}{acc1:8.4f}{accn:8.4f}")
    print()
    for dtype in ("float64", "float32"):
        c = results[dtype, "costlab"][0]
        print(f"costlab {dtype}: {results[dtype, 'pytorch'][0] / c:.1f}x faster than PyTorch, "
              f"{results[dtype, 'sklearn'][0] / c:.1f}x faster than scikit-learn per epoch")


if __name__ == "__main__":
    main()
