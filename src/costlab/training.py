"""The training loop: epochs of mini-batch gradient descent, records, divergence.

This is costlab's one training loop. ``Network.fit`` runs it on one network,
``NetworkGroup.fit`` on K networks stacked along a leading axis; each epoch is
one call of the fast path (:func:`costlab.fast.train_epoch`), which computes
the steps of :mod:`costlab.engine`.

Per epoch it records, as Nielsen's ``monitor_*`` flags do:

* the training cost and accuracy, ``monitor="running"`` (the default): the
  mean of each mini-batch's cost and right answers, taken from the forward
  pass that the step makes anyway, *before* that batch's update. It costs no
  pass over the data, and it lags the end-of-epoch state (Keras reports the
  same figure as ``loss``). With ``monitor="exact"`` the whole training set
  is evaluated after every epoch (and before the first), one more forward
  pass each; with ``monitor="off"`` nothing is recorded;
* the cost and accuracy on evaluation data, when given: always exact;
* with ``layers=True``, per layer with weights: the speed of learning
  ||nabla_b^l||, the saturated and the dead fractions
  (:class:`costlab.fast.LayerRecord`; entry 0 exact, at the initial weights).
  A hidden layer that is entirely dead or saturated, or an output layer
  saturated at wrong values under a cost that carries sigma'(z), is named
  by a :class:`LayerWarning` as soon as it is seen; training goes on.

A network whose weights stop being finite, or whose training cost grows
tenfold, has diverged: it goes back to its last good epoch and is frozen (a
group trains on without it), or TrainingDiverged is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import warnings
from typing import Callable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from costlab import fast
from costlab.activations import Activation, hidden_at
from costlab.checks import Bound, check_int, check_number
from costlab.costs import Cost, check_targets
from costlab.engine import Settings
from costlab.history import History

__all__ = ["EXPLODE_FACTOR", "MONITORS", "LayerWarning", "Members", "TrainingDiverged", "as_sample_weight", "as_targets",
           "train"]

#: The training cost may grow to this many times its first value before
#: training is declared to have exploded.
EXPLODE_FACTOR = 10.0
#: BLAS threads while training: one, since at these matrix sizes a second only
#: waits, and on a busy machine threads spinning for each other can slow
#: training down fiftyfold (benchmarks/bench_group.py measures it).
TRAINING_BLAS_THREADS = 1
#: How the training cost and accuracy are recorded each epoch.
MONITORS = ("running", "exact", "off")


class TrainingDiverged(ArithmeticError):
    """Training produced non-finite parameters or an exploding cost."""

    def __init__(self, epoch: int, reason: str, eta):
        self.epoch = epoch
        self.reason = reason
        super().__init__(
            f"training diverged in epoch {epoch}: {reason}; "
            f"try a smaller learning rate than eta = {eta:g}"
        )


class LayerWarning(UserWarning):
    """A layer that has stopped learning: entirely dead or saturated, or an output slowed down by sigma'(z).

    Filter it as any warning: ``warnings.simplefilter("ignore", costlab.LayerWarning)``.
    """


#: The output layer is named slowed down when it is saturated at a wrong value (|a - y| > 1/2) on more
#: than this fraction of (sample, output neuron) pairs, under a cost whose gradient carries sigma'(z).
SLOWED_WARN = 0.05


class _Diagnosis:
    """Warns once per member and finding, from each row of per-layer records."""

    def __init__(self, members):
        self.members = members
        self.said = set()
        # one name per hidden layer: a network's own (one activation, or one per layer), or those of a
        # PyTorch model read by costlab.torch.watch
        hidden = members.hidden
        self.hidden = getattr(members, "hidden_names", None) or (
            [h.name for h in hidden] if isinstance(hidden, tuple) else hidden.name)
        self.carries = [self._carries_prime(k) for k in range(members.K)]

    def _carries_prime(self, k):
        """The cost's name when its output error carries sigma'(z) (quadratic on a saturating output), else None."""
        out, cost = self.members.output, self.members.cost
        for c, o, idx in getattr(out, "pairs", ()):
            if k in np.arange(self.members.K)[idx]:
                cost, out = c, o
        if getattr(cost, "name", None) == "quadratic" and getattr(out, "name", None) in ("sigmoid", "tanh"):
            return cost.name
        return None

    def _warn(self, k, key, message):
        if (k, key) in self.said:
            return
        self.said.add((k, key))
        who = f"network {k}: " if self.members.K > 1 else ""
        # stacklevel: _warn, check, layer_rows, first_records or records, train, fit, and the caller of fit
        warnings.warn(who + message, LayerWarning, stacklevel=7)

    def check(self, k, epoch, speed, saturated, dead, slowed, when=None):
        L = len(speed)
        when = when or ("before training" if epoch == 0 else f"in epoch {epoch}")
        for l in range(L - 1):
            hidden = self.hidden[l] if isinstance(self.hidden, list) else self.hidden
            if dead[l] == 1.0:
                cure = "check its initial biases" if epoch == 0 else "try a smaller learning rate eta"
                self._warn(k, ("dead", l), f"hidden layer {l + 1} ({hidden}) is dead {when}: no unit was "
                           f"positive on any sample, so it no longer learns; {cure}")
            if saturated[l] == 1.0:
                self._warn(k, ("saturated", l), f"hidden layer {l + 1} ({hidden}) is saturated {when}: every "
                           "neuron has sigma'(z) < 1% of its maximum on most samples, so it barely learns; "
                           "try --init default or a smaller learning rate eta")
        if self.carries[k] is not None and slowed is not None and slowed > SLOWED_WARN:  # NaN: not applicable
            self._warn(k, "slowed", f"the output layer is saturated at the wrong value on {slowed:.0%} of its "
                       f"outputs {when}: with the {self.carries[k]} cost every gradient carries sigma'(z), the "
                       "learning slowdown of the blog post; try the cross-entropy cost")


def as_targets(y, n: int, k: int, dtype, *, costs=(), name: str = "y"):
    """Targets as an (n, k) float array: one-hot rows for class labels, y[:, None] for 0/1 labels.

    ``y`` is either n class labels (integers, or floats with integer values)
    or an (n, k) array of target outputs, finite, and suited to each of
    ``costs`` (:func:`costlab.costs.check_targets`: in [0, 1] for the costs
    that take logs of a and 1 - a, one class per row for the softmax ones).
    """
    y = np.asarray(y)
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            if np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
                y = y.astype(np.int64)
            else:
                raise ValueError(f"{name} of shape (n,) must hold integer class labels")
        if y.shape[0] != n:
            raise ValueError(f"{name} has {y.shape[0]} labels for {n} samples")
        if k == 1:
            if np.any((y != 0) & (y != 1)):
                raise ValueError(f"{name}: a network with one output takes labels 0 or 1")
            return y.astype(dtype)[:, None]
        if y.size and (y.min() < 0 or y.max() >= k):
            raise ValueError(f"{name}: class labels must lie in 0..{k - 1}")
        Y = np.zeros((n, k), dtype=dtype)
        Y[np.arange(n), y] = 1.0
        return Y
    if y.shape != (n, k):
        raise ValueError(f"{name} must have shape ({n},) or ({n}, {k}), got {y.shape}")
    if y.dtype == bool or not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating) \
            or not np.all(np.isfinite(y)):
        raise ValueError(f"{name} must hold finite numbers")
    Y = y.astype(dtype)
    for cost in costs:
        check_targets(cost, Y, name)
    return Y


def as_sample_weight(sample_weight, n: int, dtype, *, name: str = "sample_weight"):
    """Sample weights as an (n,) array of ``dtype``, or None for None: finite, >= 0, not all zero."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.ndim == 0:
        raise ValueError(f"{name} must be one weight per sample, got a single number")
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), one weight per sample, got {w.shape}")
    if w.dtype == bool or not np.issubdtype(w.dtype, np.number) or np.issubdtype(w.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {w.dtype}")
    w = w.astype(dtype)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(w < 0):
        raise ValueError(f"{name} must be >= 0, got {float(w.min()):g}")
    if n and not np.any(w > 0):
        raise ValueError(f"{name} is zero for every sample: nothing to learn from")
    return w


@dataclass
class Members:
    """What the loop trains: K networks' parameters, stacked, and what each one needs.

    ``wb[l]`` is [w | b] of layer l, shape (K, n_out, n_in + 1) (views of a
    lone network's own arrays when K = 1). ``output`` and ``cost`` may differ
    per member (a group of mixed costs passes one object that computes each
    member with its own). ``rngs`` shuffle each member's batches. ``sync()``,
    if given, is called after every epoch, before ``on_epoch``.
    """

    wb: list
    hidden: Activation
    output: Activation
    cost: Cost
    rngs: Sequence | None
    velocities: list | None = None
    epochs_trained: np.ndarray = None
    diverged_at: np.ndarray = None
    sync: Callable | None = None
    #: each member's cost, named in the message of a divergence
    cost_names: list | None = None
    K: int = field(init=False)

    def __post_init__(self):
        self.K = self.wb[0].shape[0]
        if self.epochs_trained is None:
            self.epochs_trained = np.zeros(self.K, dtype=int)
        if self.diverged_at is None:
            self.diverged_at = np.full(self.K, -1)

    def views(self):
        """The arrays to train: the K-stacked ones, or a lone network's 2-D ones."""
        if self.K == 1:
            return [w[0] for w in self.wb], None if self.velocities is None else [v[0] for v in self.velocities]
        return self.wb, self.velocities

    def snapshot(self, rngs=False):
        """A copy of the parameters, the velocities and, if asked, the generators' states, for :meth:`restore`."""
        return ([w.copy() for w in self.wb], None if self.velocities is None else [v.copy() for v in self.velocities],
                None if not rngs or self.rngs is None else [r.bit_generator.state for r in self.rngs])

    def restore(self, snapshot, ks=..., velocities=True, rngs=False):
        """Members ``ks`` back to a :meth:`snapshot`: parameters, velocities (else zeroed), and with ``rngs``
        every generator (kept by ``snapshot(rngs=True)``)."""
        wb, vs, states = snapshot
        for w, saved in zip(self.wb, wb):
            w[ks] = saved[ks]
        if self.velocities is not None:
            for v, saved in zip(self.velocities, vs):
                v[ks] = saved[ks] if velocities else 0.0
        if rngs and states is not None:
            for r, state in zip(self.rngs, states):
                r.bit_generator.state = state

    def evaluate(self, X, Y, lmbda=0.0, sample_weight=None, multilabel=None):
        """Per member: exact (C, accuracy) over the rows of X, arrays of K (weighted means with ``sample_weight``;
        the subset accuracy for ``multilabel`` targets, by default :func:`costlab.fast.is_multilabel` of Y)."""
        return fast.evaluate(self.wb, X, Y, self.hidden, self.output, self.cost, lmbda, sample_weight, multilabel)

    def orders(self, n: int, shuffle: bool):
        """This epoch's batch order: (n,) when all members draw the same, else (K, n)."""
        if not shuffle:
            return np.arange(n)
        orders = np.stack([rng.permutation(n) for rng in self.rngs])
        return orders[0] if (orders == orders[0]).all() else orders

    def finite(self):
        """Which members' parameters are all finite, a bool array of K."""
        with np.errstate(over="ignore", invalid="ignore"):
            if all(np.isfinite(np.sum(w)) for w in self.wb):  # a finite sum: no inf or NaN anywhere
                return np.ones(self.K, dtype=bool)
        return np.all([np.isfinite(w).all(axis=(1, 2)) for w in self.wb], axis=0)

    def squares(self):
        """sum_w w^2 per member (biases excluded), for the L2 term of the cost."""
        return sum(np.sum(w[..., :-1] ** 2, axis=(-2, -1)) for w in self.wb)


class _StepSettings:
    """eta and the weight decay 1 - eta lmbda / n as the fast path takes them.

    Numbers for one network; arrays (K, 1, 1) of the parameters' dtype for a
    group, where a frozen (diverged) member gets eta = 0 and no decay.
    """

    def __init__(self, settings: Settings, dtype, K: int):
        self.settings, self.dtype, self.K = settings, dtype, K

    def freeze(self, frozen):
        s = self.settings
        frozen_s = Settings(eta=np.where(frozen, 0.0, s.eta), lmbda=s.lmbda, mu=s.mu, n=s.n)
        decay = frozen_s.decay()
        if self.K == 1:
            self.eta, self.decay = float(frozen_s.eta[0]), None if decay is None else float(decay[0])
        else:
            self.eta = frozen_s.eta[:, None, None].astype(self.dtype)
            self.decay = None if decay is None else decay[:, None, None].astype(self.dtype)


def _per_member(name, value, K, bound):
    """A number, or one per member, checked: an array of K floats."""
    if np.ndim(value) == 0:
        return np.full(K, float(check_number(name, value, bound)))
    values = list(value)
    if len(values) != K:
        raise ValueError(f"{name} must be a number or {K} numbers, got {len(values)}")
    return np.array([float(check_number(name, v, bound)) for v in values])


@dataclass(frozen=True)
class _Arguments:
    """The checked arguments of :func:`train`: the book's epochs, m (the batch size, at most n), eta, lmbda, mu."""

    epochs: int
    batch_size: int
    m: int
    eta: np.ndarray
    lmbda: np.ndarray
    mu: float
    monitor: str
    on_diverge: str


def _check_arguments(members: Members, X, *, epochs, batch_size, eta, lmbda, mu, shuffle, monitor, on_diverge,
                     layers, finite_X) -> _Arguments:
    """Step 1, check the arguments: numbers in range, names known, X non-empty (and finite if read before training)."""
    n = X.shape[0]
    epochs = check_int("epochs", epochs, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    etas = _per_member("eta", eta, members.K, Bound(0, None, lo_open=True))
    lmbdas = _per_member("lmbda", lmbda, members.K, Bound(0, None))
    mu = float(check_number("mu", mu, Bound(0, 1, hi_open=True)))
    monitor = {True: "exact", False: "off"}.get(monitor, monitor) if isinstance(monitor, bool) else monitor
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {', '.join(MONITORS)}, got {monitor!r}")
    if on_diverge not in ("freeze", "raise"):
        raise ValueError(f"on_diverge must be 'freeze' or 'raise', got {on_diverge!r}")
    if shuffle and members.rngs is None:
        raise ValueError("networks built from arrays have no generators to shuffle with")
    if n == 0:
        raise ValueError("X has no samples")
    if not finite_X and (epochs == 0 or monitor == "exact" or layers) and not fast.all_finite(X):
        # these read X before the first epoch: check it now
        raise ValueError("X contains NaN or infinite values")
    return _Arguments(epochs, batch_size, min(batch_size, n), etas, lmbdas, mu, monitor, on_diverge)


class _Training:
    """One call of :func:`train`: the members, the data, and what the epochs record, in named steps.

    Nielsen's ``SGD`` in the book's names: ``n`` training rows, mini-batches
    of ``m``, ``eta``, ``lmbda``, ``mu``; ``evaluation_data``; per member a
    History of the training and evaluation cost and accuracy. ``active``
    marks the members still training (not diverged); ``limit`` is the
    training cost at which each one counts as exploded.
    """

    def __init__(self, members: Members, X, Y, args: _Arguments, *, evaluation_data, shuffle, histories, record,
                 on_epoch, on_batch, layers, finite_X, sample_weight):
        self.members, self.X, self.Y, self.args = members, X, Y, args
        self.n = X.shape[0]
        self.evaluation_data, self.shuffle, self.on_epoch, self.on_batch = evaluation_data, shuffle, on_epoch, on_batch
        self.layers, self.finite_X, self.sample_weight = layers, finite_X, sample_weight
        # what the running record's sums are divided by: the number of rows, or their total weight
        self.n_weighted = self.n if sample_weight is None else float(np.sum(sample_weight))
        # decided once from the training targets, for the training and the evaluation data alike
        self.multilabel = fast.is_multilabel(Y)
        self.diagnosis = _Diagnosis(members) if layers else None
        self.histories = None if not record else histories if histories is not None else [
            History() for _ in range(members.K)]
        self.path = fast.path_for(members.wb, X, Y, args.m, members.hidden, members.output, members.cost)

    # -- records ----------------------------------------------------------------
    def exact_row(self, training: bool):
        """(C, accuracy) on the training data (when ``training``) and on the evaluation data, exact, per member."""
        members, a = self.members, self.args
        C, accuracy = (members.evaluate(self.X, self.Y, a.lmbda, self.sample_weight, self.multilabel) if training
                       else (None, None))
        Ce, accuracy_e = (members.evaluate(*self.evaluation_data, a.lmbda, multilabel=self.multilabel)
                          if self.evaluation_data is not None else (None, None))
        return C, accuracy, Ce, accuracy_e

    def running_row(self, running):
        """(C, accuracy) as the epoch's mini-batches saw them, with the L2 term, and the evaluation data's."""
        K, a = self.members.K, self.args
        C = running.cost / self.n_weighted + 0.5 * (a.lmbda / self.n) * self.members.squares()
        return (C.reshape(K), (running.correct / self.n_weighted).reshape(K), *self.exact_row(False)[2:])

    def layer_rows(self, record, ks, epochs_of):
        """Append the per-layer figures of members ``ks`` to their histories, and diagnose them."""
        speed, saturated, dead, slowed = record.row()
        K = self.members.K
        pick = lambda values, k: [None if v is None else np.reshape(v, K)[k] for v in values]  # noqa: E731
        for k in ks:
            row = pick(speed, k), pick(saturated, k), pick(dead, k)
            if self.histories is not None:
                self.histories[k].append_layers(*row)
            self.diagnosis.check(k, int(epochs_of[k]), *row, None if slowed is None else np.reshape(slowed, K)[k])

    def tell(self):
        """Hand the members' state to their owner (``sync``) and call ``on_epoch``."""
        if self.members.sync is not None:
            self.members.sync()
        if self.on_epoch is not None:
            self.on_epoch(int(self.members.epochs_trained.max()), self.histories)

    # -- step 2: the first records ----------------------------------------------
    def first_records(self):
        """Entry 0 of each new history (the state before training), and the cost each explosion is measured by."""
        members, a, histories = self.members, self.args, self.histories
        config = {"mu": a.mu, "batch_size": a.batch_size, "n": self.n, "monitor": a.monitor, "path": self.path}
        if histories is not None:
            for k, h in enumerate(histories):
                h.config = {"eta": float(a.eta[k]), "lmbda": float(a.lmbda[k]), **config}
            members.diverged_at = np.array([-1 if h.diverged is None else h.diverged["epoch"] for h in histories])
            new = [k for k in range(members.K) if len(histories[k]) == 0]
            # the cost an exploding run is measured against: its first recorded one
            C_first = np.array([next((c for c in h.train_cost if c is not None), np.nan) for h in histories])
        else:
            new, C_first = list(range(members.K)), np.full(members.K, np.nan)
        if new:
            row = self.exact_row(a.monitor == "exact")
            if row[0] is not None:
                C_first[new] = row[0][new]
            for k in new if histories is not None else ():
                histories[k].append(members.epochs_trained[k], *(None if v is None else v[k] for v in row))
            if self.layers:
                self.layer_rows(fast.layer_state(members.wb, self.X, self.Y, members.hidden, members.output,
                                                 members.cost, self.sample_weight), new, members.epochs_trained)
            self.tell()
        self.active = members.diverged_at < 0
        # the cost an exploding run is measured against: its first one, at least 1
        self.limit = EXPLODE_FACTOR * np.maximum(np.where(np.isnan(C_first), np.inf, C_first), 1.0)
        if a.mu and members.velocities is None:
            members.velocities = [np.zeros_like(w) for w in members.wb]
        self.steps = _StepSettings(Settings(eta=a.eta, lmbda=a.lmbda, mu=a.mu, n=self.n), members.wb[0].dtype,
                                   members.K)
        self.steps.freeze(~self.active)

    # -- step 3: one epoch ------------------------------------------------------
    def one_epoch(self):
        """One epoch of every active member, in place; returns (last good state, running record, layer record).

        The first epoch of an unchecked X watches it for NaN and infinity: if
        it finds any, the members go back to where they were and ValueError
        is raised.
        """
        members, a = self.members, self.args
        wb, velocities = members.views()
        last_good = members.snapshot(rngs=not self.finite_X)
        running = (fast._Record(wb[0].shape[:-2], a.m, self.sample_weight is not None, self.multilabel)
                   if a.monitor == "running" else None)
        by_layer = fast.LayerRecord(wb, members.hidden, members.output, self.steps.eta) if self.layers else None
        watch = None if self.finite_X else np.ones(1, dtype=bool)
        with np.errstate(over="ignore", invalid="ignore"):
            # a diverging member overflows; it is caught by the divergence check, once per epoch
            self.path = fast.train_epoch(
                wb, velocities, self.X, self.Y, members.orders(self.n, self.shuffle), a.m, self.steps.eta,
                self.steps.decay, a.mu, members.hidden, members.output, members.cost, running, self.on_batch,
                by_layer, watch, self.sample_weight, self.path)
        if watch is not None:  # the first epoch has read every row of X
            if not watch[0] and not fast.all_finite(self.X):
                members.restore(last_good, rngs=True)
                if members.sync is not None:
                    members.sync()
                raise ValueError("X contains NaN or infinite values")
            self.finite_X = True
        return last_good, running, by_layer

    # -- step 4: the divergence check -------------------------------------------
    def divergence_check(self, running, last_good):
        """This epoch's row of records, and the members that diverged in it, put back and frozen (or raised).

        A member diverged when its weights are no longer finite or its
        training cost passed ``limit`` (NaN included): it goes back to its
        last good epoch, and TrainingDiverged is raised (``on_diverge="raise"``)
        or it is frozen while the others train on.
        """
        members, K = self.members, self.members.K
        with np.errstate(over="ignore", invalid="ignore"):
            if running is not None:
                row = self.running_row(running)
                if np.isinf(self.limit).any():  # a run's first cost is the one its first mini-batch saw
                    first = EXPLODE_FACTOR * np.maximum(np.reshape(running.first, K), 1.0)
                    self.limit = np.where(np.isinf(self.limit) & np.isfinite(first), first, self.limit)
            else:
                row = self.exact_row(self.args.monitor == "exact")
            finite = members.finite()
            reasons = {k: "the weights are no longer finite" for k in np.flatnonzero(self.active & ~finite)}
            C = row[0]
            if C is not None:
                for k in np.flatnonzero(self.active & finite & ~(C <= self.limit)):  # NaN explodes too
                    reasons[k] = f"the training cost exploded to {C[k]:.3g}"
                self.limit = np.where(np.isinf(self.limit) & np.isfinite(C), EXPLODE_FACTOR * np.maximum(C, 1.0),
                                      self.limit)
        epoch_of = members.epochs_trained + self.active
        if reasons:
            self.freeze(reasons, last_good, epoch_of)
        return row, epoch_of

    def freeze(self, reasons, last_good, epoch_of):
        """Diverged members back to their last good epoch; then raise, or freeze them and train on."""
        members = self.members
        members.restore(last_good, list(reasons), velocities=self.args.on_diverge == "raise")
        if self.args.on_diverge == "raise":
            k = min(reasons)
            if members.sync is not None:
                members.sync()
            names = members.cost_names or [getattr(members.cost, "name", None)]
            cost = names[k if len(names) > 1 else 0]
            raise TrainingDiverged(int(epoch_of[k]), reasons[k] + (f" (cost {cost})" if cost else ""),
                                   float(self.args.eta[k]))
        for k, reason in reasons.items():
            members.diverged_at[k] = epoch_of[k]
            if self.histories is not None:
                self.histories[k].diverged = {"epoch": int(epoch_of[k]), "reason": reason}
        self.active &= members.diverged_at < 0
        self.steps.freeze(~self.active)

    # -- step 5: the records ----------------------------------------------------
    def records(self, row, epoch_of, by_layer):
        """Append the epoch's row (and per-layer figures) to the active members' histories; count the epoch."""
        members = self.members
        for k in np.flatnonzero(self.active) if self.histories is not None else ():
            self.histories[k].append(epoch_of[k], *(None if v is None else v[k] for v in row))
            self.histories[k].config["path"] = self.path
        if by_layer is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                self.layer_rows(by_layer, np.flatnonzero(self.active), epoch_of)
        members.epochs_trained = np.where(self.active, epoch_of, members.epochs_trained)
        self.tell()


def train(
    members: Members,
    X,
    Y,
    *,
    epochs: int,
    batch_size: int,
    eta,
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
    finite_X: bool = True,
    sample_weight=None,
) -> list[History] | None:
    """Train every member by mini-batch gradient descent on (X, Y); the loop behind every fit.

    ``X`` (n rows, floats or uint8 images) and ``Y`` ((n, k) targets) are
    checked by the caller; with ``finite_X=False`` not yet for NaN and
    infinity: the first epoch watches for them as it reads X, and if it finds
    any, puts the members back and raises ValueError. ``eta`` and ``lmbda``
    are numbers or one per member. ``histories`` continue earlier ones;
    ``record=False`` keeps none (for groups of many thousands of networks)
    and returns None. ``on_epoch(epoch, histories)`` runs after every epoch,
    and once with epoch 0 for new histories; ``on_batch(done, n_batches)``
    every few steps. ``on_diverge`` is ``"freeze"`` or ``"raise"``.
    ``layers=True`` records the per-layer figures in ``history.layers`` and
    warns (LayerWarning) of layers that stopped learning. ``sample_weight``
    (checked by :func:`as_sample_weight`) makes every step the weighted mean
    over its mini-batch (scikit-learn's MLP normalisation, see
    :mod:`costlab.engine`) and the recorded training cost and accuracy
    weighted means (the L2 term keeps n). The recorded accuracy is the
    subset accuracy for a multi-label Y (:func:`costlab.fast.is_multilabel`),
    else the argmax's. ``history.config["path"]`` names the path that trained
    (:func:`costlab.fast.path_for`).
    """
    args = _check_arguments(members, X, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, mu=mu,
                            shuffle=shuffle, monitor=monitor, on_diverge=on_diverge, layers=layers, finite_X=finite_X)
    run = _Training(members, X, Y, args, evaluation_data=eval_data, shuffle=shuffle, histories=histories,
                    record=record, on_epoch=on_epoch, on_batch=on_batch, layers=layers, finite_X=finite_X,
                    sample_weight=sample_weight)
    run.first_records()
    blas = threadpool_limits(TRAINING_BLAS_THREADS, user_api="blas")
    try:
        for _ in range(args.epochs):
            if not run.active.any():
                break
            last_good, running, by_layer = run.one_epoch()
            row, epoch_of = run.divergence_check(running, last_good)
            run.records(row, epoch_of, by_layer)
    finally:
        blas.restore_original_limits()
    return run.histories
