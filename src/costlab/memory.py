"""What a run takes in memory, estimated from its sizes before anything is allocated.

A 500 KB data file can ask for gigabytes: labels up to 9999 make one-hot
targets of 10,000 columns per sample; 3,000,000 features make a first layer
of 90 million weights at the default sizes. :func:`run_estimate` adds up, in
bytes, what a training holds at once:

- ``data``: the arrays as loaded (times the processes that each load them);
- ``targets``: the targets of the training and test samples as the engine
  holds them (one-hot rows of the output layer's width, or one column for a
  single output), with a shuffled copy and the outputs and errors of a pass
  over them (:data:`TARGET_COPIES` in all);
- ``network``: every weight and bias with its gradient, its velocity and a
  working copy (:data:`PARAMETER_COPIES`), for each network trained at once;
- ``batches``: the weighted inputs, activations and errors of one mini-batch;
- ``checkpoint``: the parameters (and velocities) as JSON numbers while a
  checkpoint is written (:data:`JSON_NUMBER_BYTES` each).

:func:`check_run_memory` refuses a run whose estimate exceeds the memory
budget of :func:`costlab.data.memory_budget`, with the estimate, its largest
parts and the limit in one line.
"""

from __future__ import annotations

__all__ = ["JSON_NUMBER_BYTES", "MAX_PARAMETERS", "PARAMETER_COPIES", "TARGET_COPIES", "check_run_memory", "parameter_count",
           "run_estimate"]

#: Most numbers a network may hold (weights and biases): at 8 bytes each, with its gradients,
#: momentum and working copies (about 4 copies), 50 million take about 1.5 GiB.
MAX_PARAMETERS = 50_000_000
#: Copies of the targets' size held at once: the targets, a shuffled copy, the outputs and errors of a
#: pass over them, and a margin (measured: 10,000 one-hot classes take about five).
TARGET_COPIES = 5
#: Copies of each parameter: the weight, its gradient, its velocity, a working copy.
PARAMETER_COPIES = 4
#: Bytes of one number in a checkpoint being written: a Python float in a list (32) and its JSON text (about 25).
JSON_NUMBER_BYTES = 60


def parameter_count(sizes) -> int:
    """sum_l (n_l + 1) n_{l+1}: the weights and biases of a network of layer ``sizes``."""
    return sum((int(a) + 1) * int(b) for a, b in zip(sizes, sizes[1:]))


def run_estimate(*, sizes, n_train: int, n_test: int = 0, data_bytes: int = 0, networks: int = 1,
                 processes: int = 1, itemsize: int = 8, batch_size: int = 10, momentum: bool = True,
                 checkpoint: bool = False) -> dict[str, int]:
    """The bytes a training holds at once, by part (see the module's documentation).

    ``networks``: networks trained together (a group) in each of ``processes``
    processes, each of which loads the data itself.
    """
    P = parameter_count(sizes)
    width = int(sizes[-1])
    per_process = {
        "data": int(data_bytes),
        "targets": (int(n_train) + int(n_test)) * width * itemsize * TARGET_COPIES,
        "network": P * itemsize * PARAMETER_COPIES * networks,
        "batches": max(1, min(int(batch_size), int(n_train))) * sum(map(int, sizes)) * itemsize * 4 * networks,
    }
    parts = {key: value * processes for key, value in per_process.items()}
    parts["checkpoint"] = P * (2 if momentum else 1) * JSON_NUMBER_BYTES if checkpoint else 0
    return parts


def check_run_memory(parts: dict[str, int], what: str = "this run") -> int:
    """The total of ``parts``; ValueError with the estimate and the limit when it exceeds the memory budget."""
    from costlab.data import memory_budget

    total = sum(parts.values())
    budget = memory_budget()
    if total > budget:
        shown = ", ".join(f"{key} {_mib(value)}" for key, value in sorted(parts.items(), key=lambda kv: -kv[1])
                          if value >= total / 100)
        raise ValueError(f"{what} would take about {_mib(total)} in memory ({shown}), over the budget of "
                         f"{_mib(budget)} (raise it with COSTLAB_MAX_DATA_BYTES=BYTES)")
    return total


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"
