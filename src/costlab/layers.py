"""Inside the network: each layer's speed of learning, saturated and dead units, per cost and activation.

Nielsen's chapter 5 measures the "speed of learning" of each hidden layer of a
deep sigmoid network as the length of its bias gradient ||nabla_b^l|| and finds
the first hidden layer several times slower than the last: back-propagation
multiplies delta by w^l sigma'(z^l) layer after layer, and sigma'(z) <= 1/4.
The blog post's factor sigma'(z) at the output is the same factor, once.
:func:`layer_speeds` trains every (cost, activation) pair from the same
initial weights and batch order and returns the per-layer records of
:class:`costlab.fast.LayerRecord` (entry 0 before training, exact).

An experiment: it returns data (:class:`LayersResult`), and never prints or
touches files; the CLI (``costlab layers``) and the figures read it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from costlab.group import NetworkGroup
from costlab.network import Network
from costlab.training import LayerWarning

__all__ = ["LayerRun", "LayersResult", "layer_speeds"]


@dataclass
class LayerRun:
    """One (cost, activation): per epoch, one value per layer (first hidden layer to output).

    With several seeds every figure is the mean over the seeds. ``speed`` is
    ||nabla_b^l||; ``saturated`` and ``dead`` are fractions of the layer's
    neurons (None where they do not apply); ``eval_accuracy`` the test
    accuracy per epoch (None without test data). ``diverged`` counts the seeds
    whose training diverged: the lists end where the shortest run ends.
    """

    cost: str
    activation: str
    speed: list
    saturated: list
    dead: list
    eval_accuracy: list = field(default_factory=list)
    diverged: int = 0

    def to_dict(self) -> dict:
        return {"cost": self.cost, "activation": self.activation, "speed": self.speed,
                "saturated": self.saturated, "dead": self.dead, "eval_accuracy": self.eval_accuracy,
                "diverged": self.diverged}

    def ratio(self, epoch: int = 0):
        """||nabla_b|| of the first hidden layer over that of the last hidden layer at ``epoch``."""
        row = self.speed[epoch]
        return None if len(row) < 3 or not row[-2] else row[0] / row[-2]


@dataclass
class LayersResult:
    """Every (cost, activation) run and the settings they share."""

    config: dict
    runs: list[LayerRun]

    def to_dict(self) -> dict:
        return {"config": dict(self.config), "runs": [run.to_dict() for run in self.runs]}


def _mean(rows_per_seed):
    """The mean over seeds of lists (epochs) of lists (layers) with None where not applicable."""
    E = min(len(rows) for rows in rows_per_seed)
    out = []
    for e in range(E):
        per_layer = zip(*(rows[e] for rows in rows_per_seed))
        out.append([None if any(v is None for v in vals) else float(np.mean(vals)) for vals in per_layer])
    return out


def layer_speeds(
    X,
    y,
    *,
    sizes: Sequence[int],
    costs: Sequence[str] = ("quadratic", "cross-entropy"),
    activations: Sequence[str] = ("sigmoid", "relu"),
    epochs: int = 30,
    init: str = "default",
    seeds: int = 1,
    eta: float = 0.1,
    batch_size: int = 10,
    eval_data=None,
    on_epoch: Callable | None = None,
) -> LayersResult:
    """Per-layer speed of learning, saturated and dead fractions of every (cost, activation).

    For each hidden activation one :class:`NetworkGroup` trains every cost
    and seed (seeds 0..N-1): networks with the same seed start from the same
    weights and see the same batch order, whatever their cost or activation.
    ``on_epoch(activation, epoch)`` after every epoch. Layer warnings are not
    raised here: the records hold what they would say.
    """
    sizes = [int(s) for s in sizes]
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    runs = []
    for activation in activations:
        members = [(cost, seed) for cost in costs for seed in range(seeds)]
        nets = [Network(sizes, cost=cost, activation=activation, init=init, seed=seed) for cost, seed in members]
        group = NetworkGroup(nets)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LayerWarning)
            histories = group.fit(
                X, y, epochs=epochs, batch_size=batch_size, eta=eta, layers=True,
                eval_data=eval_data,
                on_epoch=None if on_epoch is None else (lambda g, epoch, hs, a=activation: on_epoch(a, epoch)),
            )
        for cost in costs:
            hs = [h for (c, _), h in zip(members, histories) if c == cost]
            accuracy = [float(np.mean(v)) if None not in v else None
                        for v in zip(*(h.eval_accuracy for h in hs))]
            runs.append(LayerRun(
                cost, activation, *(_mean([h.layers[key] for h in hs]) for key in ("speed", "saturated", "dead")),
                eval_accuracy=accuracy, diverged=sum(h.diverged is not None for h in hs),
            ))
    config = {"sizes": sizes, "costs": list(costs), "activations": list(activations), "epochs": epochs,
              "init": init, "seeds": seeds, "eta": eta, "batch_size": batch_size}
    return LayersResult(config, runs)
