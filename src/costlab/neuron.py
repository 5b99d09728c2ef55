"""The seed's experiment: one sigmoid neuron learning to output y = 0 from x = 1.

The neuron is the network of layer sizes ``[1, 1]`` with a given initial
weight ``w`` and bias ``b``, trained by the one engine in
:mod:`costlab.network` with gradient descent on its single sample (a batch of
one, so each epoch is one step)::

    z = w x + b,  a = sigma(z)
    quadratic:      dC/dw = (a - y) sigma'(z) x,   dC/db = (a - y) sigma'(z)
    cross-entropy:  dC/dw = (a - y) x,             dC/db = a - y

The functions return data; printing, plotting and files are the CLI's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from costlab.activations import sigmoid
from costlab.history import fmt, html_table
from costlab.network import Network

__all__ = [
    "SEED_COSTS",
    "SEED_STARTS",
    "NeuronRun",
    "first_epoch_below",
    "reproduce",
    "train_neuron",
]

#: The seed's two starts (w, b), named by their initial output a = sigma(w + b).
SEED_STARTS: dict[str, tuple[float, float]] = {"a0=0.82": (0.6, 0.9), "a0=0.98": (2.0, 2.0)}
SEED_COSTS = ("quadratic", "cross-entropy")
SEED_X, SEED_Y, SEED_ETA, SEED_EPOCHS = 1.0, 0.0, 0.15, 300


@dataclass
class NeuronRun:
    """One training run of the single neuron and its trajectory.

    ``history`` holds the lists ``epoch``, ``w``, ``b``, ``a``, ``C``, each with
    ``epochs + 1`` entries: entry 0 is the state before the first update, and
    ``C`` is the cost at each state.
    """

    cost: str
    eta: float
    epochs: int
    x: float
    y: float
    w0: float
    b0: float
    history: dict = field(default_factory=dict)

    @property
    def a0(self) -> float:
        return self.history["a"][0]

    def a_at(self, epoch: int) -> float:
        return self.history["a"][epoch]

    def to_dict(self) -> dict:
        return {
            "cost": self.cost,
            "eta": self.eta,
            "epochs": self.epochs,
            "x": self.x,
            "y": self.y,
            "w0": self.w0,
            "b0": self.b0,
            "history": {k: list(v) for k, v in self.history.items()},
        }

    # -- notebooks --------------------------------------------------------------
    def _repr_html_(self) -> str:
        """w, b, a and C at epochs 0, 1, 2, 5, 10, 20, 50, ... and the last, as an HTML table."""
        h = self.history
        n = len(h.get("epoch", [])) - 1
        shown, step = {0, n}, 1
        while step <= n:
            shown.update(e for e in (step, 2 * step, 5 * step) if e <= n)
            step *= 10
        rows = [[h["epoch"][i], fmt(h["w"][i]), fmt(h["b"][i]), fmt(h["a"][i]), fmt(h["C"][i])]
                for i in sorted(shown)] if n >= 0 else []
        caption = (f"Neuron run: {self.cost} cost, eta = {self.eta:g}, x = {self.x:g}, y = {self.y:g}, "
                   f"start w = {self.w0:g}, b = {self.b0:g}")
        return html_table(["epoch", "w", "b", "output a", "cost C"], rows, caption)

    def plot(self, ax=None, *, measure: str = "a"):
        """The output a (``measure="a"``) or the cost C (``"C"``) against epoch; returns the matplotlib axes.

        Drawn by :func:`costlab.display.plot_neuron` (imported here, on first
        use, so that the core does not load matplotlib); several runs on one
        axes: :func:`costlab.display.plot_runs`.
        """
        from costlab.display import plot_neuron

        return plot_neuron(self, ax, measure=measure)


def train_neuron(
    w: float,
    b: float,
    *,
    cost: str = "quadratic",
    x: float = SEED_X,
    y: float = SEED_Y,
    eta: float = SEED_ETA,
    epochs: int = SEED_EPOCHS,
) -> NeuronRun:
    """Train the neuron a = sigma(w x + b) towards y by gradient descent, and record it.

    Parameters
    ----------
    w, b : float
        Initial weight and bias.
    cost : {"quadratic", "cross-entropy"}
    x, y : float
        The single input and its target output (y in [0, 1] for cross-entropy).
    eta : float
        Learning rate (> 0).
    epochs : int
        Gradient steps (>= 0).

    Returns
    -------
    NeuronRun
    """
    for name, v in (("w", w), ("b", b), ("x", x), ("y", y)):
        if not np.isfinite(float(v)):
            raise ValueError(f"{name} must be finite, got {v!r}")
    net = Network([1, 1], cost=cost, output_activation="sigmoid")
    net.weights[0][...] = w
    net.biases[0][...] = b
    X = np.array([[x]], dtype=float)
    Y = np.array([[y]], dtype=float)
    hist = {"epoch": [], "w": [], "b": [], "a": [], "C": []}

    def on_epoch(network, epoch, history):
        hist["epoch"].append(epoch)
        hist["w"].append(float(network.weights[0][0, 0]))
        hist["b"].append(float(network.biases[0][0]))
        hist["a"].append(float(network.feedforward(X)[0, 0]))
        hist["C"].append(history.train_cost[-1])

    net.fit(X, Y, epochs=epochs, batch_size=1, eta=eta, shuffle=False, monitor="exact", on_epoch=on_epoch)
    return NeuronRun(cost, float(eta), int(epochs), float(x), float(y), float(w), float(b), hist)


def first_epoch_below(run: NeuronRun, threshold: float = 0.5) -> int | None:
    """The first epoch at which the output a is below ``threshold``, or None."""
    a = np.asarray(run.history["a"])
    hits = np.flatnonzero(a < threshold)
    return int(hits[0]) if hits.size else None


def reproduce(*, eta: float = SEED_ETA, epochs: int = SEED_EPOCHS, costs=SEED_COSTS) -> list[NeuronRun]:
    """The seed's four runs: both starts (0.82 and 0.98) under both costs (or under ``costs``, specs)."""
    return [
        train_neuron(w, b, cost=cost, x=SEED_X, y=SEED_Y, eta=eta, epochs=epochs)
        for (w, b) in SEED_STARTS.values()
        for cost in costs
    ]


def initial_output(w: float, b: float, x: float = SEED_X) -> float:
    """a0 = sigma(w x + b)."""
    return float(sigmoid(w * x + b))
