"""Many networks trained at once: the engine with a leading axis of K networks.

A :class:`NetworkGroup` holds K networks of the same layer sizes, their
parameters stacked as ``wb[l]`` of shape (K, n_out, n_in + 1). Each network
keeps its own initial weights, cost (with its output activation), learning
rate ``eta``, regularization ``lmbda`` and shuffling generator; one gradient
step of the group is one batched step of :func:`costlab.network.sgd_step`.
When the members draw the same batch order (the same seed), they share their
inputs, and each layer of the group is one matrix product with the stacked
(K n_out, n_in + 1) matrix: that is where the group is faster than its members
trained one after another.

This is the only training loop in costlab: ``Network.fit`` trains a group of
one, which runs on the network's own two-dimensional arrays. A network trained
in a group ends with the weights it would have reached alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from costlab.activations import Activation
from costlab.checks import Bound, check_int, check_number
from costlab.costs import Cost
from costlab.network import (
    EXPLODE_FACTOR,
    History,
    Network,
    TrainingDiverged,
    _forward,
    _rows,
    evaluate,
    sgd_epoch,
)

__all__ = ["NetworkGroup"]

#: BLAS threads while training: one, since at these matrix sizes a second only
#: waits, and on a busy machine threads spinning for each other can slow
#: training down fiftyfold (benchmarks/bench_group.py measures it).
TRAINING_BLAS_THREADS = 1


@dataclass(frozen=True)
class _PerMember:
    """Several (cost, output activation) pairs across the K members of a group.

    Serves as the group's output activation (``fn``) and as its cost (``fn``
    for values via :meth:`cost_fn`, ``delta``): each member is computed with its
    own pair, on its own slice of the leading axis.
    """

    pairs: tuple  # ((Cost, Activation, index array), ...)

    def fn(self, z):
        a = np.empty_like(z)
        for _, output, idx in self.pairs:
            a[idx] = output.fn(z[idx])
        return a

    def delta(self, z, a, y, output=None):
        d = np.empty_like(a)
        for cost, out, idx in self.pairs:
            d[idx] = cost.delta(z[idx], a[idx], y[idx] if y.ndim == z.ndim else y, out)
        return d

    def cost_fn(self, z, a, y):
        c = np.empty(z.shape[:-1], dtype=z.dtype)
        for cost, _, idx in self.pairs:
            c[idx] = cost.fn(z[idx], a[idx], y[idx] if y.ndim == z.ndim else y)
        return c


def _per_member(name, value, K, positive=False):
    """A number, or one per member, checked: an array of K floats."""
    bound = Bound(0, None, lo_open=positive)
    values = np.asarray(value, dtype=object if np.ndim(value) else None)
    if values.ndim == 0:
        return np.full(K, float(check_number(name, value, bound)))
    if values.shape != (K,):
        raise ValueError(f"{name} must be a number or {K} numbers, got {values.shape[0]}")
    return np.array([float(check_number(name, v, bound)) for v in values])


def _finite_members(wb):
    """Which members' parameters are all finite, a bool array of K."""
    with np.errstate(over="ignore", invalid="ignore"):
        if all(np.isfinite(np.sum(w)) for w in wb):  # a finite sum: no inf or NaN anywhere
            return np.ones(wb[0].shape[0], dtype=bool)
    return np.all([np.isfinite(w).all(axis=(1, 2)) for w in wb], axis=0)


class _CostView:
    """A per-member cost seen through the Cost interface (fn, delta)."""

    def __init__(self, per_member: _PerMember):
        self.fn, self.delta = per_member.cost_fn, per_member.delta


class NetworkGroup:
    """K networks of the same layer sizes, trained side by side.

    Parameters
    ----------
    networks : sequence of Network
        The members: the same ``sizes``, hidden activation and dtype; their
        costs and output activations may differ. The group trains copies of
        their parameters and writes the results back into them after every
        epoch.

    Notes
    -----
    ``NetworkGroup.of_arrays`` builds a group without Network objects, for
    groups of many thousands of small networks (the map of the seed's neuron
    over all starts).
    """

    def __init__(self, networks: Sequence[Network]):
        networks = list(networks)
        if not networks:
            raise ValueError("a group needs at least one network")
        first = networks[0]
        for net in networks[1:]:
            if net.sizes != first.sizes or net.activation != first.activation or net.dtype != first.dtype:
                raise ValueError("the networks of a group must share sizes, hidden activation and dtype")
        self.networks = networks
        # a group of one trains the network's own arrays (views); a larger group, stacked copies
        stack = (lambda arrays: arrays[0][None]) if len(networks) == 1 else np.stack
        self._setup(
            first.sizes, first._hidden, [net._cost for net in networks], [net._output for net in networks],
            [stack([net._wb[l] for net in networks]) for l in range(len(first.sizes) - 1)],
            [net.rng for net in networks],
        )
        if all(net.velocities is not None for net in networks):
            self.velocities = [stack([net.velocities[l] for net in networks]) for l in range(len(self._wb))]
        self.epochs_trained = np.array([net.epochs_trained for net in networks])

    @classmethod
    def of_arrays(cls, sizes, wb, *, cost: Cost, hidden: Activation, output: Activation, rngs=None):
        """A group from stacked parameters ``wb[l]`` of shape (K, n_out, n_in + 1), all with one cost."""
        group = cls.__new__(cls)
        group.networks = None
        K = wb[0].shape[0]
        group._setup(list(sizes), hidden, [cost], [output], list(wb), rngs)
        group.epochs_trained = np.zeros(K, dtype=int)
        return group

    def _setup(self, sizes, hidden, costs, outputs, wb, rngs):
        # costs and outputs: one per member, or a single pair for all
        self.sizes = sizes
        self.K = wb[0].shape[0]
        self._hidden = hidden
        self._wb = wb
        self.velocities = None
        self.rngs = rngs
        self._costs, self._outputs = list(costs), list(outputs)
        pairs = {}
        members = range(self.K) if len(costs) > 1 else [slice(None)]
        for k, cost, out in zip(members, costs, outputs):
            pairs.setdefault((cost.name, out.name), (cost, out, []))[2].append(k)
        if len(pairs) == 1:
            (cost, out, _), = pairs.values()
            self._output, self._cost = out, cost
        else:
            per_member = _PerMember(tuple((c, o, np.array(idx)) for c, o, idx in pairs.values()))
            self._output, self._cost = per_member, _CostView(per_member)

    # -- evaluation -----------------------------------------------------------
    def _views(self):
        """The parameters to train: the K-stacked arrays, or a lone network's 2-D ones."""
        if self.K == 1:
            return [w[0] for w in self._wb], None if self.velocities is None else [v[0] for v in self.velocities]
        return self._wb, self.velocities

    def evaluate(self, X, Y, lmbda=0.0):
        """Per member: (C, accuracy) over the rows of X with targets Y, arrays of K."""
        return evaluate(self._wb, X, Y, self._hidden, self._output, self._cost, lmbda)

    def feedforward(self, X):
        """a^L of every member for the rows of X: shape (K, n, sizes[-1])."""
        X = np.asarray(X)
        return _forward(self._wb, _rows(X, slice(None), self._wb[0].dtype.type), self._hidden, self._output)[1][-1]

    @property
    def weights(self):
        """weights[l] of shape (K, n_out, n_in): views of the group's parameters."""
        return [w[..., :-1] for w in self._wb]

    @property
    def biases(self):
        """biases[l] of shape (K, n_out): views of the group's parameters."""
        return [w[..., -1] for w in self._wb]

    # -- training -------------------------------------------------------------
    def fit(
        self,
        X,
        Y,
        *,
        epochs: int = 30,
        batch_size: int = 10,
        eta=0.5,
        lmbda=0.0,
        mu: float = 0.0,
        eval_data=None,
        shuffle: bool = True,
        monitor: bool = True,
        histories: Sequence[History] | None = None,
        record: bool = True,
        on_epoch: Callable | None = None,
        on_batch: Callable | None = None,
        on_diverge: str = "freeze",
    ) -> list[History] | None:
        """Train every member by mini-batch gradient descent on (X, Y).

        Parameters
        ----------
        X : ndarray, shape (n, sizes[0])
            Inputs, checked by the caller (uint8 rows are images).
        Y : ndarray, shape (n, sizes[-1]) or (n,)
            Targets, or integer class labels (turned into one-hot rows).
        eta, lmbda : float or sequence of K floats
            Each member's learning rate and L2 regularization.
        mu : float
            Momentum, the same for all.
        eval_data : (X_eval, Y_eval), optional
        histories : list of K History, optional
            Histories to continue.
        record : bool
            Keep a History per member; False (for groups of many thousands of
            networks) returns None, and ``on_epoch`` receives None too.
        on_epoch : callable, optional
            ``on_epoch(group, epoch, histories)`` after every epoch (and once
            with epoch 0 for new histories); the members' networks are up to
            date when it is called.
        on_diverge : {"freeze", "raise"}
            What to do with a member whose weights stop being finite or whose
            training cost grows tenfold: leave it at its last good epoch and
            stop training it (its History gets ``diverged``), or raise
            TrainingDiverged.

        Returns
        -------
        list of History, or None when ``record`` is False
            ``self.diverged_at[k]`` is the epoch in which member k diverged, or -1.
        """
        K = self.K
        n = X.shape[0]
        Y = self._targets(Y, n)
        self._prepare_costs(Y)
        if eval_data is not None:
            eval_data = (eval_data[0], self._targets(eval_data[1], len(eval_data[0])))
        epochs = check_int("epochs", epochs, 0)
        batch_size = check_int("batch_size", batch_size, 1)
        etas = _per_member("eta", eta, K, positive=True)
        lmbdas = _per_member("lmbda", lmbda, K)
        mu = float(check_number("mu", mu, Bound(0, 1, hi_open=True)))
        if on_diverge not in ("freeze", "raise"):
            raise ValueError(f"on_diverge must be 'freeze' or 'raise', got {on_diverge!r}")
        if shuffle and self.rngs is None:
            raise ValueError("a group built from arrays has no generators to shuffle with")

        def measure():
            C, acc = self.evaluate(X, Y, lmbdas) if monitor else (None, None)
            Ce, acce = self.evaluate(*eval_data, lmbdas) if eval_data is not None else (None, None)
            return C, acc, Ce, acce

        def append_row(k, epoch, row):
            C, acc, Ce, acce = row
            histories[k].append(epoch, *(None if v is None else v[k] for v in (C, acc, Ce, acce)))

        if not record:
            histories = None
        elif histories is None:
            histories = [History() for _ in range(K)]
        if histories is not None:
            for k, h in enumerate(histories):
                h.config = {"eta": float(etas[k]), "lmbda": float(lmbdas[k]), "mu": mu, "batch_size": batch_size, "n": n}
            self.diverged_at = np.array([-1 if h.diverged is None else h.diverged["epoch"] for h in histories])
            new = [k for k in range(K) if len(histories[k]) == 0]
            C0 = np.array([h.train_cost[0] if h.train_cost and h.train_cost[0] is not None else np.nan for h in histories])
        else:
            self.diverged_at = getattr(self, "diverged_at", np.full(K, -1))
            new = list(range(K))
            C0 = np.full(K, np.nan)
        if new:
            row = measure()
            if monitor:
                C0[new] = row[0][new]
            if histories is not None:
                for k in new:
                    append_row(k, self.epochs_trained[k], row)
            if on_epoch is not None:
                self._write_back()
                on_epoch(self, int(self.epochs_trained.max()), histories)
        C0 = np.where(np.isnan(C0), np.inf, C0)

        m = min(batch_size, n)
        active = self.diverged_at < 0
        if mu and self.velocities is None:
            self.velocities = [np.zeros_like(w) for w in self._wb]
        limits = threadpool_limits(TRAINING_BLAS_THREADS, user_api="blas")
        try:
            for _ in range(epochs):
                if not active.any():
                    break
                last_good = [w.copy() for w in self._wb], None if self.velocities is None else [v.copy() for v in self.velocities]
                eta_k = np.where(active, etas, 0.0)
                decay_k = 1.0 - eta_k * lmbdas / n
                if K == 1:
                    step_eta, step_decay = float(eta_k[0]), float(decay_k[0]) if lmbdas[0] else None
                else:
                    step_eta = eta_k[:, None, None].astype(self._wb[0].dtype)
                    step_decay = decay_k[:, None, None].astype(self._wb[0].dtype) if lmbdas.any() else None
                order = self._orders(n, shuffle)
                wb, velocities = self._views()
                with np.errstate(over="ignore", invalid="ignore"):
                    # a diverging member overflows; it is caught below, once per epoch
                    sgd_epoch(wb, velocities, X, Y, order, m, step_eta, step_decay, mu,
                              self._hidden, self._output, self._cost, on_batch)
                epoch_of = self.epochs_trained + active
                finite = _finite_members(self._wb)
                reasons = {k: "the weights are no longer finite" for k in np.flatnonzero(active & ~finite)}
                with np.errstate(over="ignore", invalid="ignore"):
                    row = measure()
                if monitor:
                    C = row[0]
                    for k in np.flatnonzero(active & finite & ((~np.isfinite(C)) | (C > EXPLODE_FACTOR * np.maximum(C0, 1.0)))):
                        reasons[k] = f"the training cost exploded to {C[k]:.3g}"
                if reasons:
                    # diverged members go back to their last good epoch
                    for l, w in enumerate(self._wb):
                        w[list(reasons)] = last_good[0][l][list(reasons)]
                    if self.velocities is not None:
                        for l, v in enumerate(self.velocities):
                            v[list(reasons)] = last_good[1][l][list(reasons)] if on_diverge == "raise" else 0.0
                    if on_diverge == "raise":
                        k = min(reasons)
                        self._write_back()
                        cost = self._costs[k if len(self._costs) > 1 else 0].name
                        raise TrainingDiverged(int(epoch_of[k]), f"{reasons[k]} (cost {cost})", float(etas[k]))
                for k, reason in reasons.items():
                    self.diverged_at[k] = epoch_of[k]
                    if histories is not None:
                        histories[k].diverged = {"epoch": int(epoch_of[k]), "reason": reason}
                active &= self.diverged_at < 0
                if histories is not None:
                    for k in np.flatnonzero(active):
                        append_row(k, epoch_of[k], row)
                self.epochs_trained = np.where(active, epoch_of, self.epochs_trained)
                self._write_back()
                if on_epoch is not None:
                    on_epoch(self, int(self.epochs_trained.max()), histories)
        finally:
            limits.restore_original_limits()
        return histories

    def _prepare_costs(self, Y):
        """Costs that depend on the training targets (class_weight=balanced) take their weights from Y."""
        if not any(cost.prepare is not None for cost in self._costs):
            return
        costs = [cost.prepare(Y) if cost.prepare is not None else cost for cost in self._costs]
        velocities = self.velocities
        self._setup(self.sizes, self._hidden, costs, self._outputs, self._wb, self.rngs)
        self.velocities = velocities
        for net, cost in zip(self.networks or [], costs):
            net._cost = cost

    def _targets(self, Y, n):
        """Targets as floats of the group's dtype: one-hot rows for integer labels."""
        Y = np.asarray(Y)
        k = self.sizes[-1]
        if Y.ndim == 1 and np.issubdtype(Y.dtype, np.integer):
            if Y.size and (Y.min() < 0 or Y.max() >= max(k, 2)):
                raise ValueError(f"class labels must lie in 0..{max(k, 2) - 1}")
            Y = Y[:, None] if k == 1 else np.eye(k, dtype=self._wb[0].dtype)[Y]
        if Y.shape != (n, k):
            raise ValueError(f"targets must have shape ({n},) or ({n}, {k}), got {Y.shape}")
        return np.asarray(Y, dtype=self._wb[0].dtype)

    def _orders(self, n, shuffle):
        """This epoch's batch order: (n,) when all members draw the same, else (K, n)."""
        if not shuffle:
            return np.arange(n)
        orders = np.stack([rng.permutation(n) for rng in self.rngs])
        return orders[0] if (orders == orders[0]).all() else orders

    def _write_back(self):
        """Copy the trained parameters into the member networks (a lone one trains in place)."""
        if self.networks is None:
            return
        for k, net in enumerate(self.networks):
            if self.K > 1:
                for l, w in enumerate(self._wb):
                    net._wb[l][...] = w[k]
            net.velocities = None if self.velocities is None else [v[k] for v in self.velocities]
            net.epochs_trained = int(self.epochs_trained[k])
