"""What watching costs: a PyTorch training step with and without costlab.torch.watch, side by side.

Run:  python benchmarks/bench_torch_watch.py [--steps 200] [--repeats 15] [--threads 1] [--dtype float32]

A sigmoid MLP [784, 100, 100, 10] (nn.Linear + nn.Sigmoid) trained by torch.optim.SGD on
Fashion-MNIST with costlab.torch.Loss("cross-entropy"), batch 64: one training step is
zero_grad, forward, loss, backward and the optimizer's step. Contenders, each a block of
``--steps`` steps, interleaved and repeated; each contender is one model trained from the
same start on the same batches throughout, its watch open from the first step to the last:
  plain      no watch
  every=1    inside watch(model, loss=loss_fn, every=1): every step recorded
  every=10   inside watch(model, loss=loss_fn, every=10): one step in ten recorded
Windows close every 50 recorded steps, as by default (their counting, reading and
diagnosis are timed with the steps in which they happen). Ratios are per repeat against
the plain block of the same repeat (median and min-max). Times are the process's CPU time
(time.process_time), which other processes on a busy machine disturb less than the wall clock. Targets: every=1 at most 1.15, every=10 at most 1.03.
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


class Contender:
    """A model, its optimizer and loss, watched one step in ``every`` (None: not watched) from start to end."""

    def __init__(self, X, y, dtype, every=None):
        self.X, self.y = X, y
        self.model = make_model(dtype)
        self.loss_fn = Loss("cross-entropy")
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.5)
        self.watch = None if every is None else watch(self.model, loss=self.loss_fn, every=every)
        self.s = 0

    def block(self, steps):
        """CPU seconds of ``steps`` training steps."""
        batches = len(self.X) // BATCH
        t = time.process_time()
        for _ in range(steps):
            i = (self.s % batches) * BATCH
            self.s += 1
            self.opt.zero_grad()
            self.loss_fn(self.model(self.X[i:i + BATCH]), self.y[i:i + BATCH]).backward()
            self.opt.step()
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
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=15)
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
    contenders = {"plain": Contender(X, y, dtype), "every=1": Contender(X, y, dtype, 1),
                  "every=10": Contender(X, y, dtype, 10)}
    for c in contenders.values():          # warm up: allocator, oneDNN primitives, a first window
        c.block(100)
    times = {name: [] for name in contenders}
    for r in range(args.repeats):
        order = list(contenders.items())
        order = order[r % len(order):] + order[:r % len(order)]   # each contender first in turn
        for name, c in order:
            times[name].append(c.block(args.steps))
    windows = {name: len(c.watch.close().windows) for name, c in contenders.items() if c.watch is not None}
    for name, ts in times.items():
        per_step = [t / args.steps * 1e6 for t in ts]
        print(f"  {name:9s} median {statistics.median(per_step):7.1f} us/step  "
              f"(min {min(per_step):.1f}, max {max(per_step):.1f})")
    for name, target in (("every=1", 1.15), ("every=10", 1.03)):
        ratios = [p / q for p, q in zip(times[name], times["plain"])]
        print(f"{name} / plain: {statistics.median(ratios):.3f}  (min {min(ratios):.3f}, max {max(ratios):.3f}; "
              f"target <= {target}; {windows[name]} windows recorded)")


if __name__ == "__main__":
    main()
