"""Peak resident memory of `costlab train` on the full Fashion-MNIST set.

Run:  python benchmarks/bench_memory.py [--epochs 1]

Starts `costlab train --data fashion-mnist` (60,000 training and 10,000 test
images, [784, 30, 10]) in a child process and reports the child's peak
resident set size (ru_maxrss), beside the size of the images as bytes and as a
float64 copy. The images stay uint8 in memory and are converted a batch at a
time; a float64 copy of the training images alone would take 376 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    cmd = [
        sys.executable, "-m", "costlab", "train", "--data", "fashion-mnist", "--sizes", "784,30,10",
        "--epochs", str(args.epochs), "--dtype", args.dtype, "--quiet", "--json",
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode:
        sys.exit(f"costlab train failed: {proc.stderr.strip()}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    history = json.loads(proc.stdout)["history"]
    n_train, n_test, pixels = 60_000, 10_000, 784
    print(f"costlab train --data fashion-mnist, {args.epochs} epoch(s), {args.dtype}: {wall:.1f} s")
    print(f"  test accuracy after epoch {history['epoch'][-1]}: {history['eval_accuracy'][-1]:.4f}")
    print(f"  peak resident memory: {peak_mb:.0f} MB (target: under 400 MB)")
    print(f"  the images as bytes: {(n_train + n_test) * pixels / 1e6:.0f} MB; "
          f"as float64: {(n_train + n_test) * pixels * 8 / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
