"""The fast path: the engine's steps in the order and memory layout that make them quick.

:mod:`costlab.engine` is the reference: the book's equations, one NumPy call
each. This module computes the same gradient-descent steps, and is tested
against the reference step by step (``tests/test_fast.py``). Its one entry
point for training is :func:`train_epoch`; :func:`evaluate` and
:func:`output` are the forward pass over a whole data set.

Two paths train: NumPy's steps over BLAS, and a compiled kernel
(:mod:`costlab._kernels`, C built with the package) that runs a whole epoch
in one call. :func:`path_for` chooses between them from the fit's shape
alone, so that the same fit gives the same numbers on every install; a
kernel that was not built (no C compiler at install time) falls back to
NumPy with one :class:`KernelWarning`.

The devices, each a measured gain at the sizes costlab trains (a batch of 10
is many tiny array operations, where the calls cost more than the arithmetic):

* **[w | b] in one matrix.** Each layer's weights and biases live in one
  matrix ``wb = [w | b]`` of shape (..., n_out, n_in + 1), and each layer's
  input carries a trailing column of ones, ``a1 = [a | 1]``. Then
  ``z = a w.T + b`` is the one product ``a1 wb.T``, and
  ``delta.T a1 = [nabla_w | nabla_b]`` one product too. ``Network.weights``
  and ``Network.biases`` are views of these matrices.
* **eta / m folded into delta^L.** back-propagation is linear in delta, so
  scaling the output error once scales every layer's gradient.
* **The update in place.** ``wb -= delta.T a1`` is one BLAS ``gemm`` with
  ``beta = 1``, updating each layer as soon as back-propagation has passed it:
  the matrix is read and written once.
* **Rows converted in cache-sized chunks.** Rows are gathered in batch order
  and converted to floats (uint8 images scaled to [0, 1]) a chunk of several
  batches at a time; the running record of cost and accuracy is computed per
  chunk, not per batch.
* **Groups in blocks.** A group of K networks that shares its inputs
  multiplies them by the stacked (K n_out, n_in + 1) matrix at once, and
  works through its widest layer a block of members at a time, taking this
  batch's update and the next batch's forward product while the block is in
  the processor's cache.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from costlab._kernel_codes import ACTIVATION_CODES, COST_CODES
from costlab.activations import Activation, hidden_at
from costlab.costs import COSTS, Cost

__all__ = ["EVAL_CHUNK", "PATHS", "SATURATED_BELOW", "KernelWarning", "LayerRecord", "all_finite", "evaluate",
           "layer_state", "output", "path_for",
           "stack", "train_epoch"]

#: Rows converted at a time when a whole data set is evaluated (bounds memory).
EVAL_CHUNK = 4096
#: Rows are gathered from the data and converted to floats in chunks of about
#: this many bytes: several mini-batches at once, small enough to stay in cache.
GATHER_BYTES = 1 << 19
#: A group trains blocks of members whose parameters take about this many bytes,
#: and at least this many members (measured best for [784, 30, 10] in float64 and float32).
GROUP_BLOCK_BYTES = 384 * 1024
GROUP_BLOCK_MEMBERS = 4
#: Weight matrices with at least this many entries are updated by one BLAS call.
GEMM_MIN_SIZE = 2048
#: Which path trains: "auto" chooses by the problem's shape (:func:`path_for`); "always" and "never"
#: force the compiled kernel (costlab._kernels) or the NumPy path, for tests and benchmarks.
KERNEL = "auto"
#: The kernel trains where it is faster than NumPy's BLAS: when the mini-batch size times the weights of
#: the largest layer is at most this. The kernel's cost per sample hardly depends on the batch size; the
#: NumPy path's falls as batches grow and BLAS's products get larger. Measured on one core of a 2-core
#: Intel Xeon (AVX-512, OpenBLAS SkylakeX), one epoch of each path interleaved: the kernel 1.2x as fast
#: at [784, 300, 10] with a batch of 100 (23.5 million), even at [784, 1000, 10] with a batch of 100
#: (78 million) and [784, 300, 300, 10] with a batch of 50 (11.8 million), BLAS faster at [784, 300, 10]
#: with a batch of 1000 (0.81x to 0.86x).
KERNEL_MAX_WORK = 30_000_000
#: The processor level the kernel runs at (a key of costlab._kernels.LEVELS); -1 is the best this
#: processor has. Lower levels are for the tests, which hold every level to the engine.
KERNEL_LEVEL = -1
#: The paths :func:`path_for` chooses from.
PATHS = ("kernel", "numpy, compiled gather", "numpy")


class KernelWarning(RuntimeWarning):
    """The compiled kernel could not be loaded or compiled: training goes on on the NumPy path."""


def all_finite(X):
    """True when no entry of X is NaN or infinite (integer arrays always are finite).

    Checked EVAL_CHUNK rows at a time into one reused buffer: about 1.7x
    quicker than ``np.isfinite(X).all()`` on a large data set, which first
    fills a boolean array as large as X.
    """
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.inexact):
        return True
    flat = X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(-1, 1)
    buf = np.empty((min(EVAL_CHUNK, len(flat)),) + flat.shape[1:], dtype=bool)
    for s in range(0, len(flat), EVAL_CHUNK):
        part = flat[s:s + EVAL_CHUNK]
        if not np.isfinite(part, out=buf[:len(part)]).all():
            return False
    return True


def stack(weights, biases):
    """[w | b] for each layer, from separate weights and biases."""
    return [np.concatenate([w, np.asarray(b)[..., None]], axis=-1) for w, b in zip(weights, biases)]


def rows(X, idx, dtype, out=None):
    """Rows ``idx`` of X as floats with a trailing column of ones, [x | 1].

    uint8 rows are images, scaled from [0, 255] to [0, 1]. ``out``, if given,
    is an array of that shape to fill: reusing one saves, for each chunk of
    rows, the page faults of writing a freshly mapped half megabyte.
    """
    xb = X[idx]
    x1 = np.empty(xb.shape[:-1] + (xb.shape[-1] + 1,), dtype=dtype) if out is None else out
    if xb.dtype == np.uint8:
        np.multiply(xb, dtype(1.0 / 255.0), out=x1[..., :-1])
    else:
        x1[..., :-1] = xb
    x1[..., -1] = 1.0
    return x1


def weighted_input(a1, wb):
    """z = a w.T + b = [a | 1] [w | b].T for a layer, over the rows of ``a``.

    Shapes: one network, ``a1`` (m, n_in + 1), ``wb`` (n_out, n_in + 1) ->
    (m, n_out). A group of K networks: ``wb`` (K, n_out, n_in + 1), and ``a1``
    either (K, m, n_in + 1), each network its own inputs, or (m, n_in + 1),
    the same inputs for all -> (K, m, n_out), where the K matrices act as one
    (K n_out, n_in + 1) matrix: one product instead of K small ones.
    """
    if wb.ndim == 3 and a1.ndim == 2 and wb.flags.c_contiguous:
        K, n_out, n_in1 = wb.shape
        return (a1 @ wb.reshape(K * n_out, n_in1).T).reshape(len(a1), K, n_out).transpose(1, 0, 2)
    return a1 @ wb.swapaxes(-1, -2)


def forward(wb, x1, hidden: Activation, out: Activation, scratch=None, z_first=None):
    """z^L, a^L and the inputs [a^{l-1} | 1] of every layer, from x1 = [x | 1].

    ``scratch[l]``, when given, is a reusable (..., m, n + 1) array with its
    last column set to 1, for the output of hidden layer l; ``z_first``, when
    given, is z of the first layer, already computed.
    """
    inputs = [x1]
    a1 = x1
    for l, w in enumerate(wb[:-1]):
        z = z_first if l == 0 and z_first is not None else weighted_input(a1, w)
        if scratch is None:
            a1 = np.empty(z.shape[:-1] + (z.shape[-1] + 1,), dtype=z.dtype)
            a1[..., -1] = 1.0
        else:
            a1 = scratch[l][..., :z.shape[-2], :]
        hidden_at(hidden, l).fn_into(z, a1[..., :-1])
        inputs.append(a1)
    z = z_first if len(wb) == 1 and z_first is not None else weighted_input(a1, wb[-1])
    return z, out.fn(z), inputs


def output(wb, X, hidden: Activation, out: Activation):
    """a^L for every row of X (evaluated EVAL_CHUNK rows at a time): shape (..., n, k)."""
    n = X.shape[0]
    result = np.empty(wb[0].shape[:-2] + (n, wb[-1].shape[-2]), dtype=wb[0].dtype)
    for s in range(0, n, EVAL_CHUNK):
        result[..., s:s + EVAL_CHUNK, :] = forward(wb, rows(X, slice(s, s + EVAL_CHUNK), wb[0].dtype.type), hidden, out)[1]
    return result


def is_multilabel(Y) -> bool:
    """Whether targets Y (n, k) are a multi-label indicator matrix: k > 1, only 0 and 1, some row sum not 1.

    Such targets are counted right by the subset accuracy (every label right,
    scikit-learn's ``accuracy_score``), not by the argmax of one-hot classes.
    """
    Y = np.asarray(Y)
    return bool(Y.ndim == 2 and Y.shape[1] > 1 and np.all((Y == 0) | (Y == 1)) and np.any(Y.sum(axis=1) != 1))


def _right(a, y, multilabel=False):
    """Which rows of output ``a`` are right: argmax against argmax; for a single output or
    ``multilabel`` targets, a_j > 0.5 against y_j > 0.5 for every j."""
    if multilabel or a.shape[-1] == 1:
        return np.all((a > 0.5) == (y > 0.5), axis=-1)
    return np.argmax(a, axis=-1) == np.argmax(y, axis=-1)


def _correct(a, y, multilabel=False):
    """How many rows of output ``a`` are right."""
    return np.sum(_right(a, y, multilabel), axis=-1)


def evaluate(wb, X, Y, hidden: Activation, out: Activation, cost: Cost, lmbda=0.0, sample_weight=None,
             multilabel=None):
    """(C, accuracy) over all rows of X with targets Y.

    ``C = 1/n sum_x C_x + lmbda/(2n) sum_w w^2`` and the fraction of rows whose
    output is right (argmax of a^L against argmax of y; for a single output
    neuron, a > 0.5 against y > 0.5; for ``multilabel`` targets, the subset
    accuracy, a_j > 0.5 against y_j > 0.5 for every j: by default
    :func:`is_multilabel` of Y). For a group of K networks both are
    arrays of K (``lmbda`` may be one per network). Rows are converted
    EVAL_CHUNK at a time, so the whole data set is never copied as floats.
    With ``sample_weight`` both are weighted means, ``1/n sum_x C_x`` becoming
    ``sum_x w_x C_x / sum_x w_x`` (the L2 term keeps n, the number of rows).
    """
    if multilabel is None:
        multilabel = is_multilabel(Y)
    lead = wb[0].shape[:-2]
    total = np.zeros(lead)
    correct = np.zeros(lead, dtype=np.int64 if sample_weight is None else float)
    n = X.shape[0]
    for s in range(0, n, EVAL_CHUNK):
        yb = Y[s:s + EVAL_CHUNK]
        z, a, _ = forward(wb, rows(X, slice(s, s + EVAL_CHUNK), wb[0].dtype.type), hidden, out)
        if sample_weight is None:
            total += np.sum(cost.fn(z, a, yb), axis=-1)
            correct += _correct(a, yb, multilabel)
        else:
            sw = sample_weight[s:s + EVAL_CHUNK]
            total += cost.fn(z, a, yb) @ sw
            correct += _right(a, yb, multilabel) @ sw
    squares = sum(np.sum(w[..., :-1] ** 2, axis=(-2, -1)) for w in wb)
    total_weight = n if sample_weight is None else float(np.sum(sample_weight))
    return total / total_weight + 0.5 * (np.asarray(lmbda) / n) * squares, correct / total_weight


# --------------------------------------------------------------------------- #
# The update
# --------------------------------------------------------------------------- #

@functools.cache
def _gemm(dtype):
    """BLAS gemm for float64 (dgemm) or float32 (sgemm) matrices; None for other types."""
    from scipy.linalg.blas import dgemm, sgemm

    return {np.dtype(np.float64): dgemm, np.dtype(np.float32): sgemm}.get(np.dtype(dtype))


def gemm_for(wb):
    """The BLAS routine that :func:`subtract_outer` may use on ``wb``, or None.

    Worth it for C-ordered float matrices of GEMM_MIN_SIZE entries or more.
    """
    if wb.size < GEMM_MIN_SIZE or not wb.flags.c_contiguous or wb.ndim not in (2, 3):
        return None
    return _gemm(wb.dtype)


def subtract_outer(wb, delta, a1, gemm=None):
    """wb -= delta.T @ a1, in place (for a group, each network's own product).

    With ``gemm`` this is one BLAS call with ``beta = 1`` on the Fortran-ordered
    view ``wb.T``: ``wb.T <- wb.T - a1.T @ delta``. It reads and writes the
    matrix once; computing the product into a temporary and subtracting it
    would pass over it three times, and at a batch of 10 the update of a
    784 x 30 matrix (or of a group's 784 x 30K) is bound by memory, not
    arithmetic. A group that shares its inputs is updated as one
    (K n_out, n_in + 1) matrix.
    """
    if gemm is None or a1.ndim != 2 or a1.dtype != wb.dtype or delta.dtype != wb.dtype:
        wb -= delta.swapaxes(-1, -2) @ a1
        return
    if delta.ndim == 3:  # (K, m, n_out) -> (m, K n_out), matching the rows of the stacked matrix
        delta = delta.transpose(1, 0, 2).reshape(delta.shape[1], -1)
    flat = wb if wb.ndim == 2 else wb.reshape(-1, wb.shape[-1])
    # c = flat.T is Fortran-ordered and of gemm's type, so gemm overwrites it in place
    gemm(-1.0, a1.T, delta.T, beta=1.0, c=flat.T, trans_b=1, overwrite_c=1)


def update_layer(wb, v, delta, a1, decay, mu, gemm):
    """[w | b] -> [decay w | b] - delta.T [a | 1], in place (delta already scaled by eta / m).

    With momentum ``mu``: ``v -> mu v - delta.T [a | 1]``, ``[w | b] -> [decay w | b] + v``.
    """
    if decay is not None:
        wb[..., :-1] *= decay
    if mu:
        v *= mu
        v -= delta.swapaxes(-1, -2) @ a1
        wb += v
    else:
        subtract_outer(wb, delta, a1, gemm)


# --------------------------------------------------------------------------- #
# One step, one epoch
# --------------------------------------------------------------------------- #

class _Step:
    """What every step of an epoch shares: the layers, their gemm routines and scratch arrays."""

    def __init__(self, wb, velocities, m, eta, decay, mu, hidden, out, cost, layers=None):
        dt = wb[0].dtype.type
        self.wb, self.velocities, self.layers = wb, velocities, layers
        self.eta, self.decay, self.mu = eta, decay, mu
        self.hidden, self.out, self.cost = hidden, out, cost
        self.gemms = [gemm_for(w) for w in wb]
        self.scratch = [np.ones(w.shape[:-2] + (m, w.shape[-2] + 1), dtype=dt) for w in wb[:-1]]

    def __call__(self, x1, y, z_first=None, update_first=None, sw=None):
        """One step on the batch (x1, y), in place; returns (z^L, a^L) before the step.

        Back-propagation computes delta^{l-1} from w^l before layer l is
        updated, and updates each layer as soon as it has passed it.
        ``update_first(delta, a1)``, if given, updates the first layer instead
        of :func:`update_layer`. ``sw``, the rows' sample weights ((m,), or
        (K, m) for a group in its own orders), scales row x of delta^L by
        eta w_x / sum_x w_x instead of eta / m.
        """
        wb, hidden, layers = self.wb, self.hidden, self.layers
        z, a, inputs = forward(wb, x1, hidden, self.out, self.scratch, z_first)
        delta = self.cost.delta(z, a, y, self.out)
        if sw is None:
            delta *= self.eta / x1.shape[-2]
        else:
            total = np.sum(sw, axis=-1, keepdims=True)
            # eta w_x / sum_x w_x, and 0 in a batch of total weight 0 (no step)
            share = np.divide(sw, total, out=np.zeros_like(sw), where=total != 0)
            delta *= self.eta * share[..., None]  # eta: a number, or (K, 1, 1) for a group
        if layers is not None:
            layers.keep(inputs, a, y)
        for l in range(len(wb) - 1, -1, -1):
            a1 = inputs[l]
            below = hidden_at(hidden, l - 1).backward(a1[..., :-1], delta @ wb[l][..., :-1]) if l else None
            if layers is not None:
                if sw is None:
                    layers.add_delta(l, delta, x1.shape[-2])
                else:
                    layers.add_delta(l, delta, 1, factor=total)
            if l == 0 and update_first is not None:
                update_first(delta, a1)
            else:
                update_layer(wb[l], None if self.velocities is None else self.velocities[l], delta, a1,
                             self.decay, self.mu, self.gemms[l])
            delta = below
        return z, a


def _blocks(wb, velocities):
    """Slices of a group's members: GROUP_BLOCK_BYTES of parameters, or GROUP_BLOCK_MEMBERS members."""
    K = wb[0].shape[0]
    per_member = sum(w[0].nbytes for w in wb) * (1 if velocities is None else 2)
    B = min(K, max(GROUP_BLOCK_MEMBERS, GROUP_BLOCK_BYTES // per_member))
    return [slice(i, i + B) for i in range(0, K, B)]


def _gathers_compiled(kernels, X, order):
    """Whether :func:`_chunks` gathers the rows in the compiled module."""
    return kernels is not None and order.ndim == 1 and X.ndim == 2 and X.dtype in (np.uint8, np.float32, np.float64)


def _chunks(X, Y, order, m, dtype, kernels=None, seen=None, sample_weight=None):
    """Yield (x1, y, sw) chunks of whole mini-batches in ``order``, gathered and converted.

    ``sw`` is the rows' sample weights, or None when ``sample_weight`` is.

    A chunk is about GATHER_BYTES of rows (of all members' rows when each
    network of a group has its own order). With ``kernels`` (the compiled
    module) rows are gathered and converted in one pass. ``seen[0]``, if
    given, is set to False if a value read may not be finite: the sum of
    each chunk is taken while it is in cache, cheaper than a pass over X.
    """
    n = order.shape[-1]
    row_bytes = (X.shape[-1] + 1) * np.dtype(dtype).itemsize * (order.shape[0] if order.ndim == 2 else 1)
    chunk = m * max(1, GATHER_BYTES // (m * row_bytes))
    compiled = _gathers_compiled(kernels, X, order)
    floats = np.issubdtype(X.dtype, np.inexact)
    if compiled:
        X = np.ascontiguousarray(X)
        to_float = dtype(1.0 / 255.0) if X.dtype == np.uint8 else dtype(1.0)
        order = np.ascontiguousarray(order, dtype=np.int64)
    buffer = np.empty(order.shape[:-1] + (min(chunk, n), X.shape[-1] + 1), dtype=dtype)  # whole chunks share it
    for s in range(0, n, chunk):
        idx = order[..., s:s + chunk]
        x1 = buffer if idx.shape[-1] == buffer.shape[-2] else None
        if compiled:
            x1 = np.empty((idx.shape[0], X.shape[1] + 1), dtype=dtype) if x1 is None else x1
            total = kernels.gather(X, idx, x1, to_float)
            if seen is not None and not np.isfinite(total):
                seen[0] = False
        else:
            x1 = rows(X, idx, dtype, x1)
            if seen is not None and floats and not np.isfinite(np.sum(x1)):
                seen[0] = False
        yield x1, Y[idx], None if sample_weight is None else sample_weight[idx]


class _Record:
    """The running record of an epoch: sum_x C_x and the right answers, from each batch's forward pass.

    ``first`` is the mean cost of the epoch's first mini-batch, taken before
    its step: the cost at the epoch's start, as one batch sees it.
    """

    def __init__(self, lead, m, weighted=False, multilabel=False):
        self.cost = np.zeros(lead)
        self.multilabel = multilabel  # the targets' rows are right by the subset accuracy (see :func:`is_multilabel`)
        # weighted training sums the weights of the right answers, sum_x w_x C_x and sum_x w_x C_x / sum_x w_x
        self.correct = np.zeros(lead, dtype=float if weighted else np.int64)
        self.first = None
        self.m = m
        self._pending = []  # (z, a, y, sw) not yet counted: counted EVAL_CHUNK rows at a time
        self._rows = 0

    def add(self, cost: Cost, z, a, y, sw=None):
        """Count the batches' outputs z, a against their targets y (arrays the record may keep), weighted by sw."""
        self._cost = cost
        self._pending.append((z, a, y, sw))
        self._rows += z.shape[-2]
        if self._rows >= EVAL_CHUNK:
            self.flush()

    def flush(self):
        """Count what :meth:`add` has kept: a few large NumPy calls instead of many small ones."""
        if not self._pending:
            return
        weighted = self._pending[0][3] is not None
        parts = list(zip(*self._pending))[:4 if weighted else 3]
        z, a, y, *sw = (np.concatenate(p, axis=-1 if i == 3 else -2) if len(p) > 1 else p[0] for i, p in enumerate(parts))
        self._pending, self._rows = [], 0
        C = self._cost.fn(z, a, y)
        if not weighted:
            if self.first is None:
                self.first = np.mean(C[..., :self.m], axis=-1)
            self.cost += np.sum(C, axis=-1)
            self.correct += _correct(a, y, self.multilabel)
            return
        sw = sw[0]
        if self.first is None:
            w = sw[..., :self.m]
            with np.errstate(invalid="ignore", divide="ignore"):  # a first batch of weight 0: NaN, no reference
                self.first = np.sum(C[..., :self.m] * w, axis=-1) / np.sum(w, axis=-1)
        self.cost += np.sum(C * sw, axis=-1)
        self.correct += np.sum(_right(a, y, self.multilabel) * sw, axis=-1)


#: A sigmoid or tanh neuron is saturated on a sample when sigma'(z) is below this fraction of its maximum
#: (sigmoid: a (1 - a) < 0.0025, so a < 0.0025 or a > 0.9975; tanh: 1 - a^2 < 0.01, so |a| > 0.995).
SATURATED_BELOW = 0.01
#: The maximum of sigma'(z) of the activations that saturate.
_PRIME_MAX = {"sigmoid": 0.25, "tanh": 1.0}


def saturated(act, a):
    """Where a sigmoid or tanh unit is saturated: sigma'(z) < SATURATED_BELOW times its maximum, read from a = sigma(z).

    Operators only, so that the same rule counts on other arrays than NumPy's
    (costlab.torch reads PyTorch models with it).
    """
    return act.prime_from_output(a) < SATURATED_BELOW * _PRIME_MAX[act.name]


def wrong_output(a, y):
    """Where an output is at the wrong value: |a - y| > 1/2."""
    return abs(a - y) > 0.5


def _saturating_parts(act):
    """[(activation, members)] of a layer's activation that saturate: members is ... for all of them.

    A group of mixed costs has one output activation per member (``act.pairs``);
    only the members whose output is a sigmoid or tanh are counted.
    """
    if isinstance(act, Activation):
        return [(act, ...)] if act.name in _PRIME_MAX else []
    return [(out, idx) for _, out, idx in getattr(act, "pairs", ()) if out.name in _PRIME_MAX]


class LayerRecord:
    """Per-layer records of an epoch (or of one pass over the data), for every layer with weights.

    Over the samples x it sees, for each layer l (first hidden layer to output):

    * ``speed``: ||nabla_b^l||, the length of the mean bias gradient
      ``(1/n) sum_x delta^l_x`` (Nielsen's "speed of learning" of the layer).
      In training each mini-batch's delta is taken at the weights before its
      step (the running analogue of the gradient over the training data);
    * ``saturated`` (sigmoid and tanh layers; None for others): the fraction of
      the layer's neurons that are saturated on more than half of the samples,
      saturated meaning sigma'(z) < SATURATED_BELOW times its maximum;
    * ``dead`` (ReLU layers; None for others): the fraction of the layer's
      units whose output a = max(0, z) is positive on no sample.

    ``slowed`` is the fraction of (sample, output neuron) pairs where the output
    neuron is saturated and wrong (|a - y| > 1/2): where a cost that carries
    sigma'(z) learns slowest (the blog post's slowdown). None when the output
    layer does not saturate.
    """

    def __init__(self, wb, hidden, out, eta=None):
        lead = wb[0].shape[:-2]
        L = len(wb)
        self.n = 0
        # in training: eta (a number, or (K, 1, 1)) and, per batch size m, the sums of (eta / m) delta
        self.eta = eta
        self.scaled = {}
        self.pending = []
        self.sum_b = [np.zeros(lead + (w.shape[-2],)) for w in wb]
        self.parts = [_saturating_parts(hidden_at(hidden, l)) for l in range(L - 1)] + [_saturating_parts(out)]
        self.relu = [hidden_at(hidden, l).name == "relu" for l in range(L - 1)] + [getattr(out, "name", None) == "relu"]
        self.saturated_count = [np.zeros(lead + (w.shape[-2],), dtype=np.int64) if parts else None
                                for w, parts in zip(wb, self.parts)]
        self.alive = [np.zeros(lead + (w.shape[-2],), dtype=bool) if r else None for w, r in zip(wb, self.relu)]
        self.slowed_count = np.zeros(lead, dtype=np.int64)
        # the total sample weight seen, when training is weighted: the speed is then a weighted mean
        self.weight = None
        # members whose output saturates (all of them, unless a group mixes outputs)
        self.output_saturates = np.zeros(lead, dtype=bool)
        for _, idx in self.parts[-1]:
            self.output_saturates[idx] = True

    def add_outputs(self, inputs, a, y):
        """Count saturated neurons and units that fired, from a forward pass over rows (..., m, ...)."""
        self._count([a1[..., :-1] for a1 in inputs[1:]] + [a], y)

    def _count(self, outs, y):
        """The counts of add_outputs from the outputs a^l of every layer."""
        a = outs[-1]
        self.n += a.shape[-2]
        for l, a_l in enumerate(outs):
            for act, idx in self.parts[l]:
                flat = saturated(act, a_l[idx])
                self.saturated_count[l][idx] += np.sum(flat, axis=-2)
                if l == len(outs) - 1:
                    wrong = wrong_output(a_l[idx], y[idx] if y.ndim == a.ndim else y)
                    self.slowed_count[idx] += np.sum(flat & wrong, axis=(-2, -1))
            if self.relu[l]:
                self.alive[l] |= np.any(a_l > 0, axis=-2)

    def keep(self, inputs, a, y):
        """Keep a batch's outputs, to be counted by :meth:`flush` a chunk of batches at a time."""
        self.pending.append(([a1[..., :-1].copy() for a1 in inputs[1:]] + [a], y))

    def flush(self):
        """Count the outputs kept since the last flush."""
        if not self.pending:
            return
        outs = [np.concatenate(parts, axis=-2) for parts in zip(*(p[0] for p in self.pending))]
        y = np.concatenate([p[1] for p in self.pending], axis=-2)
        self.pending = []
        self._count(outs, y)

    def add_delta(self, l, delta, m=None, factor=None):
        """nabla_b^l of a batch: sum_x delta^l_x.

        In training (``m`` given) ``delta`` is (eta / m) dC/dz: its sums are kept
        per batch size and divided by eta / m once, in :meth:`row`. A weighted
        batch passes m = 1 and its total weight as ``factor``: delta is then
        (eta w_x / sum_x w_x) dC/dz, and its sums times the factor are
        eta sum_x w_x dC/dz.
        """
        if m is None:
            self.sum_b[l] += np.sum(delta, axis=-2)
            return
        sums = self.scaled.get(m)
        if sums is None:
            sums = self.scaled[m] = [np.zeros_like(s) for s in self.sum_b]
        sums[l] += np.sum(delta, axis=-2) if factor is None else np.sum(delta, axis=-2) * factor

    def row(self):
        """(speed, saturated, dead, slowed): per layer, arrays over the lead axis.

        None for a layer where a figure does not apply; NaN for the members of
        a mixed group whose output does not saturate.
        """
        self.flush()
        if self.scaled:
            eta = np.asarray(self.eta, dtype=float)
            eta = eta.reshape(eta.shape[:-2] + (1,)) if eta.ndim else eta
            # (eta / m) sum_x delta, divided by eta / m; a frozen member (eta = 0) learned nothing
            for m, sums in self.scaled.items():
                for l, total in enumerate(sums):
                    self.sum_b[l] += np.divide(total * m, eta, out=np.zeros_like(total), where=eta != 0)
            self.scaled = {}
        n = max(self.n, 1)
        total = n if self.weight is None or self.weight == 0 else self.weight
        speed = [np.sqrt(np.sum((s / total) ** 2, axis=-1)) for s in self.sum_b]
        saturated = [None if c is None else np.mean(c > 0.5 * self.n, axis=-1) for c in self.saturated_count]
        if saturated[-1] is not None:
            saturated[-1] = np.where(self.output_saturates, saturated[-1], np.nan)
        dead = [None if a is None else np.mean(~a, axis=-1) for a in self.alive]
        slowed = None
        if self.parts[-1]:
            slowed = np.where(self.output_saturates, self.slowed_count / (n * self.sum_b[-1].shape[-1]), np.nan)
        return speed, saturated, dead, slowed


def layer_state(wb, X, Y, hidden: Activation, out: Activation, cost: Cost, sample_weight=None) -> LayerRecord:
    """The per-layer record of the current weights over all rows of (X, Y): no update.

    One forward and backward pass, EVAL_CHUNK rows at a time: ``speed`` is the
    length of the exact gradient (1/n) sum_x delta^l_x of the mean cost
    (with ``sample_weight``, of the weighted mean sum_x w_x delta^l_x / sum_x w_x).
    """
    record = LayerRecord(wb, hidden, out)
    if sample_weight is not None:
        record.weight = float(np.sum(sample_weight))
    for s in range(0, X.shape[0], EVAL_CHUNK):
        y = Y[s:s + EVAL_CHUNK]
        z, a, inputs = forward(wb, rows(X, slice(s, s + EVAL_CHUNK), wb[0].dtype.type), hidden, out)
        record.add_outputs(inputs, a, y)
        delta = cost.delta(z, a, y, out)
        if sample_weight is not None:
            delta *= sample_weight[s:s + EVAL_CHUNK, None]
        for l in range(len(wb) - 1, -1, -1):
            record.add_delta(l, delta)
            if l:
                delta = hidden_at(hidden, l - 1).backward(inputs[l][..., :-1], delta @ wb[l][..., :-1])
    return record


def train_epoch(wb, velocities, X, Y, order, m, eta, decay, mu, hidden: Activation, out: Activation,
                cost: Cost, record=None, on_batch=None, layers=None, inputs=None, sample_weight=None, path=None):
    """One epoch of mini-batch gradient descent on (X, Y), in place (the fast path's entry); returns its path.

    Parameters
    ----------
    wb : list of ndarray
        [w | b] per layer, (n_out, n_in + 1), or (K, n_out, n_in + 1) for a group.
    velocities : list of ndarray or None
        Momentum per layer, shaped like ``wb``.
    X, Y : ndarray
        Inputs (floats, or uint8 images) and targets, one row per sample.
    order : ndarray of int
        The batch order: a permutation of the rows, (n,), or one per network
        of a group, (K, n).
    m : int
        Mini-batch size (the last batch may be smaller).
    eta, decay, mu : float, or arrays (K, 1, 1) for a group (eta, decay)
        Learning rate, weight decay 1 - eta lmbda / n (None for 1), momentum.
    record, layers : _Record, LayerRecord, optional
        Receive each batch's cost and right answers, and per-layer figures,
        before its step.
    on_batch : callable, optional
        ``on_batch(batches_done, n_batches)`` after every chunk of batches.
    inputs : ndarray of one bool, optional
        Asks the epoch to watch X for NaN and infinity as it reads it:
        ``inputs[0]`` is set to False when a value read may not be finite
        (the caller then checks X with :func:`all_finite`). The kernel
        watches the first layer's z, the NumPy path the sum of its chunks of rows.
    sample_weight : ndarray, optional
        One weight w_x >= 0 per row, of the parameters' dtype: each step is
        then -(eta / sum_x w_x) sum_x w_x nabla C_x (see :mod:`costlab.engine`),
        and ``record`` (made with ``weighted=True``) sums w_x C_x and the
        weights of the right answers.
    path : str, optional
        One of PATHS, as :func:`path_for` chose it for the whole fit (by
        default, for this epoch alone). Where compiled code fails to load or
        compile, the epoch runs on the NumPy path with one
        :class:`KernelWarning`, and ``"numpy"`` is returned.
    """
    n_batches = -(-order.shape[-1] // m)
    if path is None:
        path = path_for(wb, X, Y, m, hidden, out, cost)
    # nothing to watch for (the kernel checks only while seen[0] is True) unless the caller asks
    seen = np.zeros(1, dtype=bool) if inputs is None else inputs
    kernels = _kernels() if path != "numpy" else None
    if kernels is None:
        path = "numpy"
    elif path == "kernel":
        if _kernel_path(kernels, wb, velocities, X, Y, order, m, n_batches, eta, decay, mu, hidden, out, cost,
                        record, on_batch, layers, seen, sample_weight):
            return path
        kernels, path = None, "numpy"  # it failed to compile: the NumPy path, from the same state
    _numpy_path(wb, velocities, X, Y, order, m, n_batches, eta, decay, mu, hidden, out, cost, record, on_batch,
                layers, inputs, seen, sample_weight, kernels)
    return path


def _kernel_path(kernels, wb, velocities, X, Y, order, m, n_batches, eta, decay, mu, hidden, out, cost, record,
                 on_batch, layers, seen, sample_weight):
    """The epoch in the compiled kernel: one network, or each member of a group in turn, in its own order.

    A frozen member (eta = 0, a diverged run) stays as it is. Returns False,
    having changed nothing, when the kernel fails to compile.
    """
    lead = wb[0].shape[:-2]
    etas = np.broadcast_to(eta, lead + (1, 1))[..., 0, 0]
    decays = np.broadcast_to(1.0 if decay is None else decay, lead + (1, 1))[..., 0, 0]
    members = [...] if not lead else range(lead[0])
    first = np.full(lead, np.nan)
    for done, k in enumerate(members, 1):
        if etas[k] != 0:
            try:
                stats = _kernel_epoch(kernels, [w[k] for w in wb], None if velocities is None else [v[k] for v in velocities],
                                      X, Y, order if order.ndim == 1 else order[k], m, etas[k], decays[k], mu,
                                      hidden, out, cost, record is not None, seen, layers, k, sample_weight)
            except Exception as error:  # compiling happens before the kernel runs: nothing has changed yet
                if done > 1:
                    raise
                _fall_back(error)
                return False
            if record is not None:
                record.cost[k] += stats[0]
                record.correct[k] += stats[1] if sample_weight is not None else int(stats[1])
                first[k] = stats[2]
        if on_batch is not None:
            on_batch(n_batches * done // len(members), n_batches)
    if record is not None:
        record.first = first
    if layers is not None:
        _count_rows(layers, order, sample_weight)
    return True


def _numpy_path(wb, velocities, X, Y, order, m, n_batches, eta, decay, mu, hidden, out, cost, record, on_batch,
                layers, inputs, seen, sample_weight, gather):
    """The epoch as NumPy steps (:class:`_Step`), its rows gathered a chunk at a time (in ``gather`` if given)."""
    step = _Step(wb, velocities, m, eta, decay, mu, hidden, out, cost, layers)
    grouped = wb[0].ndim == 3
    done = 0
    chunks = _chunks(X, Y, order, m, wb[0].dtype.type, gather, None if inputs is None else seen, sample_weight)
    if layers is not None and sample_weight is not None:
        layers.weight = (layers.weight or 0.0) + float(np.sum(sample_weight))
    for xs, ys, sws in chunks:
        c = xs.shape[-2]
        if record is not None:
            zs = np.empty(wb[-1].shape[:-2] + (c, wb[-1].shape[-2]), dtype=wb[0].dtype)
            as_ = np.empty_like(zs)
        batches = [(xs[..., t:t + m, :], ys[..., t:t + m, :], None if sws is None else sws[..., t:t + m])
                   for t in range(0, c, m)]
        outputs = (_group_steps if grouped else _steps)(step, batches)
        for t, (z, a) in zip(range(0, c, m), outputs):
            if record is not None:
                zs[..., t:t + m, :] = z
                as_[..., t:t + m, :] = a
        if record is not None:
            record.add(cost, zs, as_, ys, sws)
        if layers is not None:
            layers.flush()
        done += len(batches)
        if on_batch is not None:
            on_batch(done, n_batches)
    if record is not None:
        record.flush()


@functools.cache
def _kernels():
    """The compiled kernel module, or None (with one KernelWarning) where it cannot be loaded."""
    try:
        from costlab import _kernels
    except Exception as error:  # not built (no C compiler at install time), or failing to load
        _fall_back(error)
        return None
    return _kernels


def _fall_back(error):
    """Warn, once, that the compiled code failed, and keep to the NumPy path from now on."""
    if not _FAILED:
        warnings.warn(f"costlab's compiled kernel could not be loaded or run ({type(error).__name__}: {error}); "
                      "training on the NumPy path", KernelWarning, stacklevel=2)
    _FAILED.append(error)


#: The errors of the compiled code, once it has failed: from then on every fit takes the NumPy path.
_FAILED = []


def path_for(wb, X, Y, m, hidden, out, cost) -> str:
    """The path that trains a fit of mini-batches of m rows: one of PATHS.

    Chosen from the problem's shape alone, never from what happens to be
    installed, so that a fit gives the same numbers everywhere: ``"kernel"``,
    the compiled kernel, when m times the weights of the largest layer is at
    most KERNEL_MAX_WORK and the kernel knows the network (built-in
    activations and costs, float64 or float32 parameters, float or byte
    rows), on a processor with AVX2 at least (on others its baseline code is
    slower than NumPy's BLAS: ``python benchmarks/bench_kernel.py``); ``"numpy, compiled gather"``, NumPy's steps with the rows gathered
    in one compiled pass, for every other fit. The kernel has nothing to
    compile, so a fit's length does not matter. KERNEL "always" or "never" forces
    the kernel (where it knows the network) or NumPy. Once compiled code has
    failed (:class:`KernelWarning`), always ``"numpy"``. Multi-label targets
    (:func:`is_multilabel`) never take the kernel: their running record is
    the subset accuracy, which the NumPy path counts and the kernel does not.
    """
    if KERNEL == "never" or _FAILED:
        return "numpy"
    small = m * max(w.shape[-2] * (w.shape[-1] - 1) for w in wb) <= KERNEL_MAX_WORK
    if KERNEL == "auto" and small and _kernel_level() == 0:
        small = False  # the baseline level (no AVX2): slower than NumPy's BLAS at nearly every size measured
    return "kernel" if (KERNEL == "always" or small) and _kernel_knows(wb, X, Y, hidden, out, cost) else PATHS[1]


def _kernel_level():
    """The processor level the compiled kernel runs at here (costlab._kernels.LEVELS), or -1 where it is not built."""
    kernels = _kernels()
    return -1 if kernels is None else kernels.LEVEL if KERNEL_LEVEL < 0 else min(KERNEL_LEVEL, kernels.LEVEL)


#: The most layers the compiled kernel trains (MAX_LAYERS of costlab/_kernel.c).
_MAX_LAYERS = 64


def _kernel_knows(wb, X, Y, hidden, out, cost):
    """Whether the compiled kernel trains this network: its activations, cost, types, memory layout and targets."""
    name = getattr(cost, "name", None)
    return (wb[0].dtype in (np.float64, np.float32) and all(w.flags.c_contiguous for w in wb)
            and name in COSTS and COSTS[name] is cost and name in COST_CODES
            and len(wb) <= _MAX_LAYERS and X.dtype in (np.uint8, np.float64, np.float32) and Y.ndim == 2 and getattr(hidden, "name", None) in ACTIVATION_CODES
            and getattr(out, "name", None) in ACTIVATION_CODES and not is_multilabel(Y))


def _kernel_epoch(kernels, wb, velocities, X, Y, order, m, eta, decay, mu, hidden, out, cost, keep, seen,
                  layers=None, member=..., sample_weight=None):
    """One network's epoch in the compiled kernel; returns (sum_x C_x, right answers, the first batch's mean cost).

    The records are taken when ``keep`` (weighted by ``sample_weight`` when
    given); ``seen`` is ``inputs`` of :func:`train_epoch`; ``layers``, a
    :class:`LayerRecord`, receives the per-layer figures (of group member
    ``member``). Float rows of the
    network's type are read where they lie; other rows (bytes, the other float
    type) are converted a batch at a time.
    """
    dt = wb[0].dtype
    X = np.ascontiguousarray(X)
    stats = np.zeros(3) if keep else None
    slowed = np.zeros(1, dtype=np.int64)
    counts = {}
    if layers is not None:  # what the record counts in each layer, as it counts it on the NumPy path
        counts = dict(
            kinds=np.array([ACTIVATION_CODES[parts[0][0].name] if parts else ACTIVATION_CODES["relu"] if relu else -1
                            for parts, relu in zip(layers.parts, layers.relu)], dtype=np.int64),
            limits=np.array([SATURATED_BELOW * _PRIME_MAX[parts[0][0].name] if parts else 0.0 for parts in layers.parts]),
            sum_b=[b[member] for b in layers.sum_b],
            saturated=[None if c is None else c[member] for c in layers.saturated_count],
            alive=[None if a is None else a[member] for a in layers.alive], slowed=slowed)
    kernels.train_epoch(
        list(wb), None if velocities is None else list(velocities), X, np.ascontiguousarray(Y, dtype=dt),
        np.ascontiguousarray(order, dtype=np.int64),
        None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=dt), m,
        float(eta), float(decay), float(mu), 1.0 / 255.0 if X.dtype == np.uint8 else 1.0,
        ACTIVATION_CODES[hidden.name], ACTIVATION_CODES[out.name], COST_CODES[cost.name], stats, seen,
        level=KERNEL_LEVEL, **counts)
    if layers is not None:
        layers.slowed_count[member] += slowed[0]
    return stats


def _count_rows(layers, order, sample_weight):
    """The rows (and their total weight) that an epoch of the kernel showed to the per-layer record."""
    layers.n += order.shape[-1]
    if sample_weight is not None:
        layers.weight = (layers.weight or 0.0) + float(np.sum(sample_weight))


def _steps(step, batches):
    """A single network: one step per batch."""
    for x1, y, sw in batches:
        yield step(x1, y, sw=sw)


def _group_steps(step, batches):
    """A group: the first layer a block of members at a time, pipelined with the next batch.

    A group holds K times the weights (3 MB of float64 for 16 networks of
    [784, 30, 10]), too many to stay in the processor's cache; streaming them
    from memory for each batch's forward pass and again for its update would
    cost more than the arithmetic. So while a block of members is in the
    cache, it both takes the update of this batch and computes z of the next.
    The members are independent: this order of work does not change the result.
    """
    wb, velocities = step.wb, step.velocities
    K = wb[0].shape[0]
    w0, v0 = wb[0], None if velocities is None else velocities[0]
    blocks = _blocks(wb, velocities)
    gemm0 = gemm_for(w0[blocks[0]])
    decay = step.decay
    per_block = [(blk, decay[blk] if np.ndim(decay) else decay) for blk in blocks]
    if not batches:
        return
    z_next = weighted_input(batches[0][0], w0)
    for j, (x1, y, sw) in enumerate(batches):
        upcoming = batches[j + 1][0] if j + 1 < len(batches) else None
        z_first = z_next

        def update_first(delta, a1, x_next=upcoming):
            # for each block of members: this batch's update, then the next batch's z
            nonlocal z_next
            if x_next is not None:
                z_next = np.empty((K, x_next.shape[-2], w0.shape[-2]), dtype=w0.dtype)
            for blk, decay_b in per_block:
                update_layer(w0[blk], None if v0 is None else v0[blk], delta[blk],
                             a1 if a1.ndim == 2 else a1[blk], decay_b, step.mu, gemm0)
                if x_next is not None:
                    z_next[blk] = weighted_input(x_next if x_next.ndim == 2 else x_next[blk], w0[blk])

        yield step(x1, y, z_first=z_first, update_first=update_first, sw=sw)
