"""One sweep three ways: serial, local worker processes, and a 2-worker Dask cluster on this machine.

Run:  python benchmarks/bench_cluster.py [--seeds 8] [--epochs 5] [--limit 500] [--repeat 3] [--fashion 6000]

Needs ``pip install 'costlab[cluster]'``. The benchmark starts a Dask
scheduler and two worker processes (one thread each) on 127.0.0.1, measures

(a) the cluster's fixed costs: starting it, connecting a client, sending it
    Fashion-MNIST (with --fashion), and the overhead of one task (many tasks
    that do nothing, per task slot);
(b) a `costlab compare` sweep on the digits (seeds x 2 costs, one task per
    seed) serial, with 2 local worker processes, and on the cluster, the three
    interleaved and repeated; the three give the same results (checked). From
    it: the time of one task, and the overhead per task of each parallel way,
    in task-slot seconds: (parallel time x 2 - serial time) / tasks;
(c) with --fashion N: one task of the Fashion-MNIST sweep of docs/cluster.md
    (18 networks [784, 30, 10]: 3 costs x 6 learning rates, one seed) for one
    epoch on N and 2N images, to scale to 60,000 images and 30 epochs (the
    measures on the test images do not grow with N; the rest does).

and stops every process it started by its PID.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {len(os.sched_getaffinity(0))} cores, load {os.getloadavg()[0]:.1f}"


def start_cluster(directory: Path, workers: int):
    """A scheduler and ``workers`` worker processes of one thread each; (address, processes, seconds)."""
    t = time.perf_counter()
    file = directory / "scheduler.json"

    def dask(*args, log):
        with open(directory / log, "wb") as out:
            return subprocess.Popen([sys.executable, "-m", "dask", *map(str, args)], stdout=out,
                                    stderr=subprocess.STDOUT)

    processes = [dask("scheduler", "--host", "127.0.0.1", "--port", 0, "--no-dashboard", "--scheduler-file", file,
                      log="scheduler.log")]
    deadline = time.monotonic() + 120
    while not (file.is_file() and file.stat().st_size > 0):
        if time.monotonic() > deadline:
            raise RuntimeError("the scheduler did not start within 120 s")
        time.sleep(0.05)
    address = json.loads(file.read_text())["address"]
    for i in range(workers):
        processes.append(dask("worker", address, "--host", "127.0.0.1", "--nthreads", 1, "--no-dashboard",
                              "--death-timeout", 60, log=f"worker{i}.log"))
    import distributed

    with distributed.Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes, time.perf_counter() - t


def stop(processes):
    for p in reversed(processes):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=20)


def spread(times):
    return f"{statistics.median(times):7.2f} s (min {min(times):.2f}, max {max(times):.2f})"


def part_a(address, repeat, fashion=False, n_null=200):
    import distributed

    from costlab.parallel import run_all

    connect = []
    for _ in range(repeat):
        t = time.perf_counter()
        with distributed.Client(address, timeout=30, set_as_default=False):
            connect.append(time.perf_counter() - t)
    with distributed.Client(address, timeout=30, set_as_default=False) as client:
        slots = sum(client.nthreads().values())
        null = []
        for _ in range(repeat):
            t = time.perf_counter()
            run_all(operator.neg, [(i,) for i in range(n_null)], scheduler=client)
            null.append((time.perf_counter() - t) * slots / n_null)
    print(f"    connecting a client {spread(connect)}")
    if fashion:
        from costlab.data import load_data

        data = load_data("fashion-mnist")
        size = sum(a.nbytes for a in (data.X_train, data.y_train, data.X_test, data.y_test)) / 1e6
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            sent = []
            for _ in range(repeat):
                t = time.perf_counter()
                future = client.scatter(data, broadcast=True, hash=False)
                sent.append(time.perf_counter() - t)
                client.cancel(future)
        print(f"    sending Fashion-MNIST ({size:.0f} MB) to both workers {spread(sent)}")
    print(f"    overhead of one task (slot-seconds, {n_null} empty tasks on {slots} slots): "
          f"{1e3 * statistics.median(null):.1f} ms (min {1e3 * min(null):.1f}, max {1e3 * max(null):.1f})")
    return statistics.median(null)


def part_b(address, seeds, epochs, limit, repeat):
    import distributed

    from costlab.compare import compare

    kwargs = dict(costs=("quadratic", "cross-entropy"), etas=(0.5,), seeds=seeds, epochs=epochs, limit=limit,
                  inits=("default",))
    times = {"serial": [], "2 local processes": [], "2-worker cluster": [], "2-worker cluster, connecting": []}
    results = {}
    with distributed.Client(address, timeout=30, set_as_default=False) as client:
        runs = {
            "serial": lambda: compare("digits", workers=1, **kwargs),
            "2 local processes": lambda: compare("digits", workers=2, **kwargs),
            "2-worker cluster": lambda: compare("digits", scheduler=client, **kwargs),
            "2-worker cluster, connecting": lambda: compare("digits", scheduler=address, **kwargs),
        }
        names = list(runs)
        compare("digits", workers=1, **dict(kwargs, seeds=1, epochs=1))  # load the data once before timing
        for r in range(repeat):
            for name in names[r % len(names):] + names[:r % len(names)]:  # interleaved, order rotated
                t = time.perf_counter()
                results[name] = runs[name]().to_dict()
                times[name].append(time.perf_counter() - t)
    first = results["serial"]
    assert all(res == first for res in results.values()), "the parallel runs differ from the serial one"
    serial = statistics.median(times["serial"])
    per_task = serial / seeds
    print(f"(b) compare on the digits: {seeds} tasks (seeds) of 2 networks, {epochs} epochs, {limit} images; "
          f"the same results all ways")
    for name, ts in times.items():
        overhead = [(t * 2 - serial) / seeds for t in ts]
        extra = "" if name == "serial" else (f"  {serial / statistics.median(ts):.2f}x serial "
                                             f"({serial / max(ts):.2f}-{serial / min(ts):.2f}); overhead per task "
                                             f"{statistics.median(overhead):.3f} s")
        print(f"    {name:30s} {spread(ts)}{extra}")
    print(f"    one task: {per_task:.3f} s")
    return per_task


def part_c(n):
    from costlab.compare import _train_seed
    from costlab.data import load_data

    data = load_data("fashion-mnist")
    costs, etas = ["quadratic", "cross-entropy", "log-likelihood"], [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    times = {}
    for m in (n, 2 * n):
        t = time.perf_counter()
        _train_seed(data.limit(m), None, [784, 30, 10], costs, etas, "default", 0, 1, 10, 0.0, "float64")
        times[m] = time.perf_counter() - t
    # t(m) = a + b m: a, the measures on the 10,000 test images (before training and after the epoch);
    # b, an epoch and the measure on the training images, per image
    b = (times[2 * n] - times[n]) / n
    a = times[n] - b * n
    task = 31 / 2 * a + 30 * b * 60_000
    print(f"(c) one Fashion-MNIST task of `costlab compare` (18 networks of one seed), one epoch: {times[n]:.1f} s on "
          f"{n} images, {times[2 * n]:.1f} s on {2 * n}: {1e3 * b:.2f} ms per image and epoch, {a / 2:.1f} s per "
          f"measure on the test images -> about {task / 60:.0f} min for 60,000 images and 30 epochs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fashion", type=int, default=0, metavar="N")
    args = parser.parse_args()
    print(f"machine: {machine()}; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as directory:
        address, processes, seconds = start_cluster(Path(directory), 2)
        try:
            print(f"(a) starting a scheduler and 2 workers: {seconds:.1f} s")
            part_a(address, args.repeat, fashion=bool(args.fashion))
            part_b(address, args.seeds, args.epochs, args.limit, args.repeat)
        finally:
            stop(processes)
    if args.fashion:
        part_c(args.fashion)


if __name__ == "__main__":
    main()
