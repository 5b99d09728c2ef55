"""The map of the learning slowdown: how long the blog post's neuron takes from every start.

For each start (w, b) on a grid, the single sigmoid neuron a = sigma(w x + b)
is trained towards y, and the map records the first epoch at which its output
is within the target distance of y: ``|a - y| <= |target - y|`` (for y = 0
and target 0.1: a <= 0.1). The neurons of one cost are one
:class:`~costlab.group.NetworkGroup` of networks of sizes [1, 1], trained by
the same engine as every other network in costlab: one neuron per distinct
starting z0 = w x + b, since the trajectory depends on the start through z0
alone (see :func:`_first_epochs`).

With x = 1 the weighted input z = w + b moves by -eta delta (x^2 + 1) each
epoch, so the time to the target depends on the start only through
a0 = sigma(w + b): the map's diagonal bands, and why it is also shown against
a0 alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from costlab.activations import ACTIVATIONS, sigmoid
from costlab.costs import get_cost

__all__ = ["SlowdownMap", "parse_range", "slowdown_map"]

#: Most starts a map may have (a 1001 x 1001 grid).
MAX_STARTS = 1001 * 1001


def parse_range(text: str, name: str) -> np.ndarray:
    """'LO:HI:N' -> N evenly spaced values from LO to HI (a single number -> one value)."""
    parts = str(text).split(":")
    try:
        if len(parts) == 1:
            values = np.array([float(parts[0])])
        elif len(parts) == 3:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
            if not (np.isfinite(lo) and np.isfinite(hi)):
                raise ValueError(f"{name} must be finite, got {text!r}")
            if n < 1:
                raise ValueError(f"{name}: N must be >= 1 in LO:HI:N, got {text!r}")
            if n > MAX_STARTS:
                raise ValueError(f"{name}: at most {MAX_STARTS} starts, got {text!r}")
            if n > 1 and not lo < hi:
                raise ValueError(f"{name}: LO must be below HI in LO:HI:N, got {text!r}")
            values = np.linspace(lo, hi, n)
        else:
            raise ValueError(f"{name} must be a number or LO:HI:N (like -6:6:401), got {text!r}")
    except ValueError as e:
        if str(e).startswith(name):
            raise
        raise ValueError(f"{name} must be a number or LO:HI:N (like -6:6:401), got {text!r}") from None
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite, got {text!r}")
    return values


@dataclass
class SlowdownMap:
    """First epoch at which the output reaches the target, for every start and cost.

    ``first_epoch[cost]`` has shape (len(b), len(w)): row i is b[i], column j
    is w[j]; -1 means the target was not reached within ``epochs``.
    """

    w: np.ndarray
    b: np.ndarray
    x: float
    y: float
    eta: float
    epochs: int
    target: float
    first_epoch: dict = field(default_factory=dict)

    @property
    def costs(self) -> list[str]:
        return list(self.first_epoch)

    @property
    def a0(self) -> np.ndarray:
        """Initial outputs sigma(w x + b), shape (len(b), len(w))."""
        return sigmoid(self.w[None, :] * self.x + self.b[:, None])

    def share_reached(self, cost: str) -> float:
        """Fraction of starts that reach the target within the epochs."""
        return float(np.mean(self.first_epoch[cost] >= 0))

    def worst_start(self, cost: str) -> dict:
        """The slowest start: never reaching the target counts as slowest, ties go to the largest initial error."""
        epochs = self.first_epoch[cost]
        key = np.where(epochs < 0, self.epochs + 1, epochs).astype(float)
        error = np.abs(self.a0 - self.y)
        i, j = np.unravel_index(np.lexsort((error.ravel(), key.ravel()))[-1], key.shape)
        e = int(epochs[i, j])
        return {"w": float(self.w[j]), "b": float(self.b[i]), "a0": float(self.a0[i, j]),
                "first_epoch": None if e < 0 else e}

    def summary(self) -> list[dict]:
        return [
            {"cost": cost, "share_reached": self.share_reached(cost), "worst_start": self.worst_start(cost)}
            for cost in self.costs
        ]

    def to_dict(self) -> dict:
        return {
            "x": self.x, "y": self.y, "eta": self.eta, "epochs": self.epochs, "target": self.target,
            "w": self.w.tolist(), "b": self.b.tolist(),
            "summary": self.summary(),
            # rows are b, columns w; null: the target was not reached
            "first_epoch": {
                cost: [[None if v < 0 else int(v) for v in row] for row in grid.tolist()]
                for cost, grid in self.first_epoch.items()
            },
        }

    def _repr_html_(self) -> str:
        """The summary as an HTML table: per cost, the share of starts at the target and the slowest start."""
        from costlab.history import fmt, html_table, pct

        rows = []
        for row in self.summary():
            worst = row["worst_start"]
            rows.append([row["cost"], pct(row["share_reached"]), fmt(worst["w"]), fmt(worst["b"]),
                         fmt(worst["a0"], ".3f"), "never" if worst["first_epoch"] is None else worst["first_epoch"]])
        caption = (f"Slowdown map: {len(self.w)} x {len(self.b)} starts (w, b), x = {self.x:g}, y = {self.y:g}, "
                   f"eta = {self.eta:g}, {self.epochs} epochs, target |a - y| <= {abs(self.target - self.y):g}")
        return html_table(["cost", "starts at the target", "slowest start w", "b", "a0", "its first epoch"],
                          rows, caption)

    def plot(self, ax=None, *, cost: str | None = None):
        """The first epoch at the target against a0 for every cost, or over (w, b) for one ``cost``; returns the axes."""
        from costlab.display import plot_map

        return plot_map(self, ax, cost=cost)


def _first_epochs(cost: str, w, b, x, y, eta, epochs, target) -> np.ndarray:
    """The first epoch at the target from every start (w, b): one neuron trained per distinct z0.

    Each update moves the weighted input z = w x + b by -eta delta(z) (x^2 + 1),
    where delta = dC/dz is a function of z alone: two starts with the same
    z0 = w x + b follow the same trajectory of z, and of a = sigma(z). So the
    starts are grouped by z0 (to 12 decimals), and the first start of each
    group is trained, all of them as one NetworkGroup; every start takes the
    result of its group. On a grid of n x n starts with x = 1 that is about
    2n neurons instead of n^2.
    """
    from costlab.group import NetworkGroup

    W, B = np.meshgrid(w, b)  # (len(b), len(w))
    z0 = W.ravel() * x + B.ravel()
    _, first_of, group_of = np.unique(np.round(z0, 12), return_index=True, return_inverse=True)
    K = first_of.size
    wb = np.empty((K, 1, 2))
    wb[:, 0, 0], wb[:, 0, 1] = W.ravel()[first_of], B.ravel()[first_of]
    sigma = ACTIVATIONS["sigmoid"]
    group = NetworkGroup.of_arrays([1, 1], [wb], cost=get_cost(cost), hidden=sigma, output=sigma)
    X, Y = np.array([[x]]), np.array([[y]])
    tolerance = abs(target - y)
    first = np.full(K, -1, dtype=np.int64)

    def on_epoch(group, epoch, histories):
        a = group.feedforward(X)[:, 0, 0]
        reached = (np.abs(a - y) <= tolerance) & (first < 0)
        first[reached] = epoch

    group.fit(X, Y, epochs=epochs, batch_size=1, eta=eta, shuffle=False, monitor="off",
              record=False, on_epoch=on_epoch)
    return first[group_of.ravel()].reshape(W.shape)


def slowdown_map(
    costs=("quadratic", "cross-entropy"),
    w=np.linspace(-6, 6, 401),
    b=np.linspace(-6, 6, 401),
    *,
    x: float = 1.0,
    y: float = 0.0,
    eta: float = 0.15,
    epochs: int = 300,
    target: float = 0.1,
    workers: int = 1,
    on_done=None,
    scheduler=None,
    scheduler_timeout: float = 10.0,
) -> SlowdownMap:
    """The first epoch at which the blog post's neuron reaches ``target`` from every start (w, b).

    Parameters
    ----------
    costs : sequence of {"quadratic", "cross-entropy"}
    w, b : 1-D arrays of the starting weights and biases
    x, y : the input and the target output (y in [0, 1] for cross-entropy)
    eta : learning rate
    epochs : gradient steps per start
    target : the output counts as arrived when |a - y| <= |target - y|
    workers : processes to spread the costs (and blocks of starts) over; the
        results are the same
    on_done : called with each finished block's first epochs (a progress hook)
    scheduler : run the costs and blocks of starts as tasks on this Dask
        scheduler ("tcp://host:port", or a ``distributed.Client``) instead of
        ``workers`` local processes; the results are the same
    scheduler_timeout : seconds to wait for the scheduler and its first worker

    Returns
    -------
    SlowdownMap
    """
    w, b = np.asarray(w, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if w.size * b.size > MAX_STARTS:
        raise ValueError(f"at most {MAX_STARTS} starts, got {w.size} x {b.size}")
    for name, v in (("x", x), ("y", y), ("target", target), ("eta", eta)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target must lie in [0, 1] (an output of the sigmoid), got {target}")
    costs = list(dict.fromkeys(costs))
    for cost in costs:
        if "sigmoid" not in get_cost(cost).activations:
            raise ValueError(f"the neuron is a sigmoid neuron; cost {cost!r} does not fit it")
        if cost != "quadratic" and not 0.0 <= y <= 1.0:
            raise ValueError(f"y must lie in [0, 1] for the {cost} cost, got {y}")
    from costlab.parallel import run_all

    def run(slots, scheduler):
        blocks = np.array_split(b, _n_blocks(len(costs), w.size * b.size, len(b), slots))
        tasks = [(cost, w, rows, x, y, eta, epochs, target) for cost in costs for rows in blocks]
        parts = run_all(_first_epochs, tasks, workers, on_done=on_done, scheduler=scheduler,
                        scheduler_timeout=scheduler_timeout)
        return [np.vstack(parts[i * len(blocks):(i + 1) * len(blocks)]) for i in range(len(costs))]

    result = SlowdownMap(w, b, float(x), float(y), float(eta), int(epochs), float(target))
    if scheduler is None:
        grids = run(workers, None)
    else:
        from costlab.cluster import connected, task_slots

        with connected(scheduler, scheduler_timeout) as client:
            grids = run(task_slots(client), client)
    result.first_epoch = dict(zip(costs, grids))
    return result


#: Fewest starts worth a task of their own: a block pays a fixed cost per epoch.
MIN_BLOCK_STARTS = 20_000


def _n_blocks(n_costs: int, starts: int, rows: int, slots: int) -> int:
    """Blocks of rows (biases) per cost: enough to keep ``slots`` busy, none under MIN_BLOCK_STARTS.

    Each start is trained on its own, so the first epochs do not depend on
    the blocks: any split gives the same map.
    """
    wanted = -(-max(1, slots) // n_costs)  # ceil(slots / costs)
    return max(1, min(wanted, starts // MIN_BLOCK_STARTS, rows))
