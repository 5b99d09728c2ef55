"""Many networks trained at once: the engine with a leading axis of K networks.

A :class:`NetworkGroup` holds K networks of the same layer sizes, their
parameters stacked as ``wb[l]`` of shape (K, n_out, n_in + 1). Each network
keeps its own initial weights, cost (with its output activation), learning
rate ``eta``, regularization ``lmbda`` and shuffling generator. The group is
trained by the same loop as a lone network (:func:`costlab.training.train`),
each step one batched step of the engine. When the members draw the same batch
order (the same seed), they share their inputs, and each layer of the group is
one matrix product with the stacked (K n_out, n_in + 1) matrix: that is where
the group is faster than its members trained one after another. A network
trained in a group ends with the weights it would have reached alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from costlab import fast
from costlab.activations import Activation
from costlab.costs import Cost
from costlab.history import History
from costlab.network import Network
from costlab.training import Members, as_sample_weight, as_targets, train

__all__ = ["NetworkGroup"]

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


def _per_member_pairs(K, costs, outputs):
    """(output, cost) for the training loop: the members' own pair, or one that computes each with its own."""
    pairs = {}
    members = range(K) if len(costs) > 1 else [slice(None)]
    for k, cost, out in zip(members, costs, outputs):
        pairs.setdefault((cost.name, out.name), (cost, out, []))[2].append(k)
    if len(pairs) == 1:
        (cost, out, _), = pairs.values()
        return out, cost
    per_member = _PerMember(tuple((c, o, np.array(idx)) for c, o, idx in pairs.values()))
    return per_member, _CostView(per_member)


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
    groups of many thousands of small networks (the map of the blog post's neuron
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
            self._members.velocities = [stack([net.velocities[l] for net in networks])
                                        for l in range(len(self._wb))]
        self._members.epochs_trained = np.array([net.epochs_trained for net in networks])

    @classmethod
    def of_arrays(cls, sizes, wb, *, cost: Cost, hidden: Activation, output: Activation, rngs=None):
        """A group from stacked parameters ``wb[l]`` of shape (K, n_out, n_in + 1), all with one cost."""
        group = cls.__new__(cls)
        group.networks = None
        group._setup(list(sizes), hidden, [cost], [output], list(wb), rngs)
        return group

    def _setup(self, sizes, hidden, costs, outputs, wb, rngs):
        # costs and outputs: one per member, or a single pair for all
        self.sizes = sizes
        self.K = wb[0].shape[0]
        self._wb = wb
        self._costs, self._outputs = list(costs), list(outputs)
        out, cost = _per_member_pairs(self.K, costs, outputs)
        self._members = Members(wb, hidden, out, cost, rngs, sync=self._write_back,
                                cost_names=[c.name for c in self._costs])

    # -- state ------------------------------------------------------------------
    @property
    def epochs_trained(self) -> np.ndarray:
        """Epochs each member has been trained, an array of K."""
        return self._members.epochs_trained

    @property
    def diverged_at(self) -> np.ndarray:
        """The epoch in which each member diverged, or -1, an array of K."""
        return self._members.diverged_at

    @property
    def velocities(self):
        """Momentum of [w | b] per layer, (K, n_out, n_in + 1), or None."""
        return self._members.velocities

    @property
    def weights(self):
        """weights[l] of shape (K, n_out, n_in): views of the group's parameters."""
        return [w[..., :-1] for w in self._wb]

    @property
    def biases(self):
        """biases[l] of shape (K, n_out): views of the group's parameters."""
        return [w[..., -1] for w in self._wb]

    # -- the networks as functions ----------------------------------------------
    def evaluate(self, X, Y, lmbda=0.0, sample_weight=None):
        """Per member: (C, accuracy) over the rows of X with targets Y, arrays of K (weighted with ``sample_weight``)."""
        n = np.asarray(X).shape[0]
        return self._members.evaluate(X, self._targets(Y, n), lmbda,
                                      as_sample_weight(sample_weight, n, self._wb[0].dtype))

    def feedforward(self, X):
        """a^L of every member for the rows of X: shape (K, n, sizes[-1])."""
        m = self._members
        return fast.output(self._wb, np.asarray(X), m.hidden, m.output)

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
        monitor: str = "running",
        histories: Sequence[History] | None = None,
        record: bool = True,
        on_epoch: Callable | None = None,
        on_batch: Callable | None = None,
        on_diverge: str = "freeze",
        layers: bool = False,
        sample_weight=None,
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
        monitor : {"running", "exact", "off"}
            How the training cost and accuracy are recorded, as in
            :meth:`costlab.Network.fit`.
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
        layers : bool
            Per-layer records and warnings, as in :meth:`costlab.Network.fit`.
        sample_weight : ndarray, shape (n,), optional
            A weight per sample, the same for every member: each step is the
            weighted mean over its mini-batch, as in :meth:`costlab.Network.fit`
            (scikit-learn's MLP normalisation, by the batch's total weight).

        Returns
        -------
        list of History, or None when ``record`` is False
            ``self.diverged_at[k]`` is the epoch in which member k diverged, or -1.
        """
        n = np.asarray(X).shape[0]
        Y = self._targets(Y, n)
        sample_weight = as_sample_weight(sample_weight, n, self._wb[0].dtype)
        self._prepare_costs(Y)
        if eval_data is not None:
            eval_data = (eval_data[0], self._targets(eval_data[1], len(eval_data[0]), "Y_eval"))
        return train(
            self._members, X, Y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, mu=mu,
            eval_data=eval_data, shuffle=shuffle, monitor=monitor, histories=histories, record=record,
            on_epoch=None if on_epoch is None else (lambda epoch, histories: on_epoch(self, epoch, histories)),
            on_batch=on_batch, on_diverge=on_diverge, layers=layers, sample_weight=sample_weight,
        )

    def _targets(self, Y, n, name="targets"):
        """Targets as floats of the group's dtype: one-hot rows for class labels."""
        return as_targets(Y, n, self.sizes[-1], self._wb[0].dtype, costs=self._costs, name=name)

    def _prepare_costs(self, Y):
        """Costs that depend on the training targets (class_weight=balanced) take their weights from Y."""
        if not any(cost.prepare is not None for cost in self._costs):
            return
        costs = [cost.prepare(Y) if cost.prepare is not None else cost for cost in self._costs]
        self._costs = costs
        self._members.output, self._members.cost = _per_member_pairs(self.K, costs, self._outputs)
        for net, cost in zip(self.networks or [], costs):
            net._cost = cost

    def _write_back(self):
        """Copy the trained parameters into the member networks (a lone one trains in place)."""
        if self.networks is None:
            return
        velocities = self._members.velocities
        for k, net in enumerate(self.networks):
            if self.K > 1:
                for l, w in enumerate(self._wb):
                    net._wb[l][...] = w[k]
            net.velocities = None if velocities is None else [v[k] for v in velocities]
            net.epochs_trained = int(self.epochs_trained[k])
