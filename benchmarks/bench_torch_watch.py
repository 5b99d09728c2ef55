"""What watching costs: a PyTorch training step with and without costlab.torch.watch, side by side.

Run:  python benchmarks/bench_torch_watch.py [--steps 300] [--repeats 7] [--threads 1] [--dtype float32]

A sigmoid MLP [784, 100, 100, 10] (nn.Linear + nn.Sigmoid) trained by torch.optim.SGD on
Fashion-MNIST with costlab.torch.Loss("cross-entropy"), batch 64: one training step is
zero_grad, forward, loss, backward and the optimizer's step. Contenders, each a block of
``--steps`` steps over the same batches from the same start, interleaved and repeated:
  plain      no watch
  every=1    inside watch(model, loss=loss_fn, every=1): every step recorded
  every=10   inside watch(model, loss=loss_fn, every=10): one step in ten recorded
Windows close every 50 recorded steps, as by default (their reading and diagnosis are
timed too). Ratios are per repeat against the plain block of the same repeat (median and
min-max). Times are the process's CPU time (time.process_time), which other processes on a busy
machine disturb less than the wall clock. Targets: every=1 at most 1.15, every=10 at most 1.03.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

from costlab.data import load_data
from costlab.torch import Loss, watch

SIZES = [784, 100, 100, 10]
BATCH = 64


def make_model(dtype):
    torch.manual_seed(0)
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers[:-1]).to(dtype)


def block(X, y, steps, dtype, every=None):
    """Seconds for ``steps`` training steps, watched one step in ``every`` (None: not watched)."""
    model = make_model(dtype)
    loss_fn = Loss("cross-entropy")
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    batches = len(X) // BATCH

    def train():
        for s in range(steps):
            i = (s % batches) * BATCH
            opt.zero_grad()
            loss_fn(model(X[i:i + BATCH]), y[i:i + BATCH]).backward()
            opt.step()

    t = time.process_time()
    if every is None:
        train()
    else:
        with watch(model, loss=loss_fn, every=every):
            train()
    return time.process_time() - t


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    config = torch.__config__.show()
    torch_blas = config.split("BLAS_INFO=", 1)[1].split(",", 1)[0] if "BLAS_INFO=" in config else "not reported"
    isa = torch.backends.cpu.get_cpu_capability()
    return (f"machine: {cpu}; torch {torch.__version__} (BLAS {torch_blas}, kernels {isa}), "
            f"threads {torch.get_num_threads()}; threadpoolctl BLAS: {', '.join(blas) or 'none loaded'}; "
            f"oneDNN: {torch.backends.mkldnn.is_available()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    data = load_data("fashion-mnist").limit(BATCH * 100)
    X = torch.from_numpy(data.X_train * np.float32(1 / 255)).to(dtype)
    y = torch.from_numpy(data.y_train)
    print(f"[784, 100, 100, 10] sigmoid, batch {BATCH}, {args.dtype}, {args.steps} SGD steps per block, "
          f"{args.repeats} repeats, interleaved")
    print(machine())
    contenders = {"plain": None, "every=1": 1, "every=10": 10}
    block(X, y, 50, dtype)                     # warm up: allocator, oneDNN primitives
    block(X, y, 50, dtype, every=1)
    times = {name: [] for name in contenders}
    for r in range(args.repeats):
        order = list(contenders.items())
        order = order[r % len(order):] + order[:r % len(order)]   # each contender first in turn
        for name, every in order:
            times[name].append(block(X, y, args.steps, dtype, every))
    for name, ts in times.items():
        per_step = [t / args.steps * 1e6 for t in ts]
        print(f"  {name:9s} median {statistics.median(per_step):7.1f} us/step  "
              f"(min {min(per_step):.1f}, max {max(per_step):.1f})")
    for name, target in (("every=1", 1.15), ("every=10", 1.03)):
        ratios = [p / q for p, q in zip(times[name], times["plain"])]
        print(f"{name} / plain: {statistics.median(ratios):.3f}  (min {min(ratios):.3f}, max {max(ratios):.3f}; "
              f"target <= {target})")


if __name__ == "__main__":
    main()
