"""The training engine: feedforward, back-propagation and gradient descent.

One engine serves every network costlab trains, from the seed's single neuron
(layer sizes ``[1, 1]``) to ``[784, 30, 10]`` on images. Samples are rows;
``weights[l]`` has shape ``(n_out, n_in)`` so that ``w_jk`` connects neuron
``k`` of layer ``l`` to neuron ``j`` of layer ``l + 1``, as in the book::

    z^l = a^{l-1} w^l.T + b^l          a^l = sigma(z^l)
    delta^L = dC/dz^L                  (the cost's output error)
    delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l)
    dC/dw^l = delta^l.T a^{l-1}        dC/db^l = sum over the batch of delta^l

Gradient descent with L2 regularization and optional momentum ``mu``, over a
mini-batch of ``m`` samples out of ``n``::

    v -> mu v - (eta / m) nabla_w          (v = -(eta / m) nabla_w when mu = 0)
    w -> (1 - eta lmbda / n) w + v
    b -> b + v_b,  v_b -> mu v_b - (eta / m) nabla_b   (no decay for biases)

The functions below also accept parameters with a leading axis of ``K``
networks trained side by side (``weights[l]`` of shape ``(K, n_out, n_in)``):
every product is a ``matmul`` over the last two axes, so a single network and a
group of them run through the same code.

This module computes with NumPy, and with SciPy for two things NumPy lacks:
the sigmoid as one stable ufunc (``scipy.special.expit``) and BLAS ``gemm``
for the in-place weight update. It never prints, reads or writes files, or
touches the global random generator.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from costlab.activations import Activation, get_activation
from costlab.costs import Cost, check_targets, get_cost
from costlab.history import History

__all__ = [
    "History",
    "Network",
    "TrainingDiverged",
    "backprop",
    "evaluate",
    "feedforward",
    "sgd_epoch",
    "sgd_step",
    "initial_parameters",
    "INITIALIZERS",
]

#: Rows converted at a time when a whole data set is evaluated (bounds memory).
EVAL_CHUNK = 4096
#: Rows are gathered from the data and converted to floats in blocks of about
#: this many bytes: several mini-batches at once, yet small enough to stay in
#: the processor's cache until they are used.
GATHER_BYTES = 1 << 19
#: A group trains blocks of members whose parameters take about this many bytes,
#: and at least this many members (measured best for [784, 30, 10] in float64 and float32).
GROUP_BLOCK_BYTES = 384 * 1024
GROUP_BLOCK_MEMBERS = 4
#: Weight matrices with at least this many entries are updated by one BLAS call.
GEMM_MIN_SIZE = 2048
#: The training cost may grow to this many times its starting value before
#: training is declared to have exploded.
EXPLODE_FACTOR = 10.0


class TrainingDiverged(ArithmeticError):
    """Training produced non-finite parameters or an exploding cost."""

    def __init__(self, epoch: int, reason: str, eta):
        self.epoch = epoch
        self.reason = reason
        super().__init__(
            f"training diverged in epoch {epoch}: {reason}; "
            f"try a smaller learning rate than eta = {eta:g}"
        )


# --------------------------------------------------------------------------- #
# Initial weights
# --------------------------------------------------------------------------- #

def _init_default(rng, n_out, n_in, dtype):
    # w ~ N(0, 1/n_in): the weighted input z starts with unit variance
    return rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), rng.standard_normal(n_out)


def _init_large(rng, n_out, n_in, dtype):
    # w ~ N(0, 1), b ~ N(0, 1): the seed's era; hidden sigmoids start saturated
    return rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)


INITIALIZERS: dict[str, Callable] = {"default": _init_default, "large": _init_large}


def initial_parameters(sizes, init="default", rng=None, dtype=np.float64):
    """Gaussian initial weights and biases for layer sizes ``sizes``.

    ``"default"``: w ~ N(0, 1/n_in), b ~ N(0, 1). ``"large"``: w, b ~ N(0, 1).
    Draws layer by layer, weights before biases, from ``rng``.
    """
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; choose one of: {', '.join(INITIALIZERS)}")
    rng = np.random.default_rng(rng)
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w, b = INITIALIZERS[init](rng, n_out, n_in, dtype)
        weights.append(np.ascontiguousarray(w, dtype=dtype))
        biases.append(np.ascontiguousarray(b, dtype=dtype))
    return weights, biases


# --------------------------------------------------------------------------- #
# The engine
# --------------------------------------------------------------------------- #
#
# Each layer's weights and biases live in one matrix wb = [w | b] of shape
# (..., n_out, n_in + 1), and each layer's input carries a trailing column of
# ones, a1 = [a | 1]. Then z = a w.T + b is the one product a1 wb.T, and the
# gradient delta.T a1 = [nabla_w | nabla_b] comes from one product too: at a
# batch of 10 the work is many tiny array operations, and this halves the
# number of them per layer. ``Network.weights`` and ``Network.biases`` are
# views of these matrices.

def _append_ones(a):
    """[a | 1]: the rows of ``a`` with a trailing 1, shape (..., m, n + 1)."""
    a1 = np.empty(a.shape[:-1] + (a.shape[-1] + 1,), dtype=a.dtype)
    a1[..., :-1] = a
    a1[..., -1] = 1.0
    return a1


def _stack(weights, biases):
    """[w | b] for each layer, from separate weights and biases."""
    return [np.concatenate([w, np.asarray(b)[..., None]], axis=-1) for w, b in zip(weights, biases)]


def weighted_input(a1, wb):
    """z = a w.T + b = [a | 1] [w | b].T for a layer, over the rows of ``a``.

    Shapes: one network, ``a1`` (m, n_in + 1), ``wb`` (n_out, n_in + 1) ->
    (m, n_out). A group of K networks: ``wb`` (K, n_out, n_in + 1), and ``a1``
    either (K, m, n_in + 1), each network its own inputs, or (m, n_in + 1),
    the same inputs for all -> (K, m, n_out).

    Notes
    -----
    When a group shares its inputs, its K matrices are one
    (K n_out, n_in + 1) matrix, and z is one matrix product instead of K small
    ones.
    """
    if wb.ndim == 3 and a1.ndim == 2 and wb.flags.c_contiguous:
        K, n_out, n_in1 = wb.shape
        return (a1 @ wb.reshape(K * n_out, n_in1).T).reshape(len(a1), K, n_out).transpose(1, 0, 2)
    return a1 @ wb.swapaxes(-1, -2)


def _forward(wb, x1, hidden: Activation, output: Activation, scratch=None, z_first=None):
    """z^l and [a^l | 1] for every layer, from inputs x1 = [x | 1].

    Returns (zs, activations): ``activations[l]`` is the input of layer l with
    its column of ones (``activations[0] = x1``), ``activations[-1] = a^L``
    without one. ``scratch[l]``, when given, is a reusable (..., m, n + 1)
    array with its last column set to 1, for the output of hidden layer l.
    ``z_first``, when given, is z of the first layer, already computed.
    """
    zs, activations = [], [x1]
    a1 = x1
    last = len(wb) - 1
    for l, w in enumerate(wb):
        z = z_first if l == 0 and z_first is not None else weighted_input(a1, w)
        zs.append(z)
        if l == last:
            activations.append(output.fn(z))
        else:
            if scratch is None:
                a1 = np.empty(z.shape[:-1] + (z.shape[-1] + 1,), dtype=z.dtype)
                a1[..., -1] = 1.0
            else:
                a1 = scratch[l][..., :z.shape[-2], :]
            hidden.fn_into(z, a1[..., :-1])
            activations.append(a1)
    return zs, activations


def feedforward(weights, biases, x, hidden: Activation, output: Activation):
    """a^L for inputs ``x``: z^l = a^{l-1} w^l.T + b^l, a^l = sigma(z^l).

    Returns
    -------
    zs, activations : lists of ndarray
        ``zs[l]`` is the weighted input of layer ``l + 1`` and
        ``activations[l]`` its input (``activations[0] = x``,
        ``activations[-1] = a^L``).
    """
    zs, activations = _forward(_stack(weights, biases), _append_ones(np.asarray(x)), hidden, output)
    return zs, [x] + [a[..., :-1] for a in activations[1:-1]] + [activations[-1]]


def _errors(wb, x1, y, hidden: Activation, output: Activation, cost: Cost, scale=None, scratch=None,
            z_first=None):
    """Yield (l, delta^l, [a^{l-1} | 1]) for each layer, from the output layer back to the first.

    ``delta^L = scale * dC/dz^L`` comes from the cost, and
    ``delta^{l-1} = (delta^l w^l) * sigma'(z^{l-1})``. Each ``delta^{l-1}`` is
    computed from ``w^l`` *before* layer l is yielded, so the consumer may
    update ``wb[l]`` in place as soon as it receives it; the gradient of
    ``[w^l | b^l]`` is ``delta^l.T [a^{l-1} | 1]``.
    """
    zs, activations = _forward(wb, x1, hidden, output, scratch, z_first)
    delta = cost.delta(zs[-1], activations[-1], y, output)
    if scale is not None:
        delta *= scale
    for l in range(len(wb) - 1, -1, -1):
        below = hidden.backward(activations[l][..., :-1], delta @ wb[l][..., :-1]) if l else None
        yield l, delta, activations[l]
        delta = below


def backprop(weights, biases, x, y, hidden: Activation, output: Activation, cost: Cost, scale=None):
    """The gradients (nabla_w, nabla_b) of scale * sum_x C_x over the rows of ``x``.

    ``nabla_w[l] = delta^l.T a^{l-1}`` and ``nabla_b[l] = sum_x delta^l``: sums,
    not means, over the batch. ``scale`` (None: 1) may be an array of shape
    (K, 1, 1) for a group of K networks.
    """
    nabla_w = [None] * len(weights)
    nabla_b = [None] * len(weights)
    wb, x1 = _stack(weights, biases), _append_ones(np.asarray(x))
    for l, delta, a1 in _errors(wb, x1, y, hidden, output, cost, scale):
        nabla = delta.swapaxes(-1, -2) @ a1
        nabla_w[l], nabla_b[l] = nabla[..., :-1], nabla[..., -1]
    return nabla_w, nabla_b


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

    Parameters
    ----------
    wb : ndarray, (n_out, n_in + 1) or (K, n_out, n_in + 1)
    delta : ndarray, (m, n_out) or (K, m, n_out)
    a1 : ndarray, (m, n_in + 1), or (K, m, n_in + 1) when each network of a
        group has its own inputs
    gemm : BLAS gemm from :func:`gemm_for`, or None for NumPy's matmul

    Notes
    -----
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


def update_layer(w, v, delta, a1, decay, mu, gemm):
    """[w | b] -> [decay w | b] - delta^T [a | 1] (delta already scaled by eta / m), in place.

    With momentum ``mu``: ``v -> mu v - delta^T [a | 1]``, ``[w | b] -> [decay w | b] + v``.
    """
    if decay is not None:
        w[..., :-1] *= decay
    if mu:
        v *= mu
        v -= delta.swapaxes(-1, -2) @ a1
        w += v
    else:
        subtract_outer(w, delta, a1, gemm)


def sgd_step(wb, velocities, x1, y, hidden, output, cost, eta_m, decay, mu, gemms, scratch=None,
             z_first=None, update_first=None):
    """One gradient-descent step on the mini-batch (x, y), in place.

    With ``eta_m = eta / m``, for each layer as back-propagation reaches it::

        w -> decay w - eta_m delta^T a     (decay = 1 - eta lmbda / n; None for 1)
        b -> b - eta_m sum_x delta

    and with momentum ``mu`` (for weights and biases alike):
    ``v -> mu v - eta_m delta^T [a | 1]``, ``[w | b] -> [decay w | b] + v``.
    ``eta_m`` and ``decay`` may be arrays of shape (K, 1, 1) for a group.
    ``gemms[l]`` is :func:`gemm_for` of ``wb[l]``. ``z_first`` is the first
    layer's z if already computed, and ``update_first(delta, x1)``, if given,
    updates the first layer in place of :func:`update_layer`.
    """
    for l, delta, a1 in _errors(wb, x1, y, hidden, output, cost, eta_m, scratch, z_first):
        if l == 0 and update_first is not None:
            update_first(delta, a1)
        else:
            update_layer(wb[l], None if velocities is None else velocities[l], delta, a1, decay, mu, gemms[l])


def _blocks(wb, velocities):
    """Slices of a group's members: GROUP_BLOCK_BYTES of parameters, or GROUP_BLOCK_MEMBERS members."""
    K = wb[0].shape[0]
    per_member = sum(w[0].nbytes for w in wb) * (1 if velocities is None else 2)
    B = min(K, max(GROUP_BLOCK_MEMBERS, GROUP_BLOCK_BYTES // per_member))
    return [slice(i, i + B) for i in range(0, K, B)]


def _batches(X, Y, order, m, dtype, on_batch=None):
    """Yield the mini-batches (x1, y) in ``order``, gathered and converted a chunk at a time.

    A chunk is about GATHER_BYTES of rows (of all members' rows when each
    network of a group has its own order); the batches are views into it.
    ``on_batch(j, n_batches)`` is called after each chunk.
    """
    n = order.shape[-1]
    n_batches = -(-n // m)
    row_bytes = (X.shape[-1] + 1) * np.dtype(dtype).itemsize * (order.shape[0] if order.ndim == 2 else 1)
    chunk = m * max(1, GATHER_BYTES // (m * row_bytes))
    for s in range(0, n, chunk):
        idx = order[..., s:s + chunk]
        xs, ys = _rows(X, idx, dtype), Y[idx]
        for t in range(0, idx.shape[-1], m):
            yield xs[..., t:t + m, :], ys[..., t:t + m, :]
        if on_batch is not None:
            on_batch(min(n_batches, -(-(s + chunk) // m)), n_batches)


def sgd_epoch(wb, velocities, X, Y, order, m, eta, decay, mu, hidden, output, cost, on_batch=None):
    """One pass of mini-batch gradient descent over (X, Y), visiting rows in ``order``.

    ``order`` is a permutation of the n rows, shape (n,), or one per network of a
    group, shape (K, n). ``eta`` and ``decay`` are numbers, or arrays of shape
    (K, 1, 1) for a group.

    Notes
    -----
    A single network takes one :func:`sgd_step` per mini-batch. A group of K
    networks holds K times the weights (3 MB of float64 for 16 networks of
    [784, 30, 10]), too many to stay in the processor's cache, and streaming
    them from memory for each batch's forward pass and again for its update
    would cost more than the arithmetic. So a group works through its first
    (widest) layer a block of members at a time (GROUP_BLOCK_BYTES), and while
    a block is in the cache it both takes the update of this batch and computes
    z of the next: the weights pass through the cache once per batch. The
    members are independent, so this order of work does not change the result.
    """
    dt = wb[0].dtype.type
    batches = _batches(X, Y, order, m, dt, on_batch)
    if wb[0].ndim == 2:
        gemms = [gemm_for(w) for w in wb]
        scratch = [np.ones((m, w.shape[-2] + 1), dtype=dt) for w in wb[:-1]]
        for x1, y in batches:
            sgd_step(wb, velocities, x1, y, hidden, output, cost, eta / x1.shape[-2], decay, mu, gemms, scratch)
        return
    _group_epoch(wb, velocities, batches, m, eta, decay, mu, hidden, output, cost)


def _group_epoch(wb, velocities, batches, m, eta, decay, mu, hidden, output, cost):
    """sgd_epoch for a group: the first layer a block of members at a time, pipelined."""
    K = wb[0].shape[0]
    dt = wb[0].dtype.type
    w0, v0 = wb[0], None if velocities is None else velocities[0]
    blocks = _blocks(wb, velocities)
    gemms = [gemm_for(w) for w in wb]
    gemm0 = gemm_for(w0[blocks[0]])
    per_block = [(blk, decay[blk] if np.ndim(decay) else decay) for blk in blocks]
    scratch = [np.ones((K, m, w.shape[-2] + 1), dtype=dt) for w in wb[:-1]]
    batches = iter(batches)
    current = next(batches, None)
    z_next = None if current is None else weighted_input(current[0], w0)
    while current is not None:
        x1, y = current
        upcoming = next(batches, None)
        z_first = z_next

        def update_first(delta, a1):
            # for each block of members: this batch's update, then the next batch's z
            nonlocal z_next
            x_next = None if upcoming is None else upcoming[0]
            if x_next is not None:
                z_next = np.empty((K, x_next.shape[-2], w0.shape[-2]), dtype=dt)
            for blk, decay_b in per_block:
                update_layer(w0[blk], None if v0 is None else v0[blk], delta[blk],
                             a1 if a1.ndim == 2 else a1[blk], decay_b, mu, gemm0)
                if x_next is not None:
                    z_next[blk] = weighted_input(x_next if x_next.ndim == 2 else x_next[blk], w0[blk])

        sgd_step(wb, velocities, x1, y, hidden, output, cost, eta / x1.shape[-2], decay, mu, gemms,
                 scratch, z_first=z_first, update_first=update_first)
        current = upcoming


def evaluate(wb, X, Y, hidden, output, cost, lmbda=0.0):
    """(C, accuracy) over all rows of X with targets Y.

    ``C = 1/n sum_x C_x + lmbda/(2n) sum_w w^2`` and the fraction of rows whose
    output is right (argmax of a^L against argmax of y; for a single output
    neuron, a > 0.5 against y > 0.5). For a group of K networks both are
    arrays of K (``lmbda`` may be one per network). Rows are converted
    EVAL_CHUNK at a time, so the whole data set is never copied as floats.
    """
    lead = wb[0].shape[:-2]
    total = np.zeros(lead)
    correct = np.zeros(lead, dtype=np.int64)
    n = X.shape[0]
    for s in range(0, n, EVAL_CHUNK):
        x1 = _rows(X, slice(s, s + EVAL_CHUNK), wb[0].dtype.type)
        yb = Y[s:s + EVAL_CHUNK]
        zs, activations = _forward(wb, x1, hidden, output)
        a = activations[-1]
        total += np.sum(cost.fn(zs[-1], a, yb), axis=-1)
        if a.shape[-1] == 1:
            correct += np.sum((a[..., 0] > 0.5) == (yb[:, 0] > 0.5), axis=-1)
        else:
            correct += np.sum(np.argmax(a, axis=-1) == np.argmax(yb, axis=-1), axis=-1)
    squares = sum(np.sum(w[..., :-1] ** 2, axis=(-2, -1)) for w in wb)
    return total / n + 0.5 * (np.asarray(lmbda) / n) * squares, correct / n


def _rows(X, idx, dtype):
    """Rows ``idx`` of X as floats with a trailing column of ones, [x | 1].

    uint8 rows are images, scaled from [0, 255] to [0, 1].
    """
    xb = X[idx]
    x1 = np.empty(xb.shape[:-1] + (xb.shape[-1] + 1,), dtype=dtype)
    if xb.dtype == np.uint8:
        np.multiply(xb, dtype(1.0 / 255.0), out=x1[..., :-1])
    else:
        x1[..., :-1] = xb
    x1[..., -1] = 1.0
    return x1


_DTYPES = {"float64": np.float64, "float32": np.float32}


class Parameters(list):
    """Views of a network's weights (or biases), one array per layer.

    ``net.weights[l] = array`` and ``net.weights = [...]`` check each array's
    shape and copy it, converted to the network's dtype, into the network's
    own storage, so that training never meets an integer or wrongly shaped
    array. In-place changes (``net.weights[0] *= 2``) act on the network.
    """

    def __init__(self, views, name):
        super().__init__(views)
        self._name = name

    def __setitem__(self, l, a):
        if isinstance(l, slice):
            raise TypeError(f"assign {self._name} one array at a time, or the whole list")
        view = list.__getitem__(self, l)
        a = np.asarray(a)
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise ValueError(f"{self._name}[{l}] must hold real numbers, got dtype {a.dtype}")
        if a.shape != view.shape:
            raise ValueError(f"{self._name}[{l}] must have shape {view.shape}, got {a.shape}")
        view[...] = a

    def assign(self, arrays):
        arrays = list(arrays)
        if len(arrays) != len(self):
            raise ValueError(f"{self._name} must be a list of {len(self)} arrays, got {len(arrays)}")
        for l, a in enumerate(arrays):
            self[l] = a


class Network:
    """A feed-forward network trained by mini-batch gradient descent.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first: ``[1, 1]`` is the seed's single
        neuron, ``[784, 30, 10]`` a digit classifier.
    cost : str
        The cost function C, as a spec: ``"quadratic"``, ``"cross-entropy"``,
        ``"log-likelihood"``, ``"focal"``, one of them with parameters
        (``"cross-entropy(pos_weight=3)"``, ``"focal(gamma=2, alpha=0.25)"``,
        ``"log-likelihood(class_weight=balanced, smoothing=0.1)"``), or a
        formula in a and y (``"(a - y)**4/4"``); see :func:`costlab.costs.get_cost`.
    activation : {"sigmoid", "tanh", "relu", "identity"}
        Activation of the hidden layers.
    output_activation : str, optional
        Activation of the output layer; by default the one the cost is made
        for (sigmoid for quadratic and cross-entropy, softmax for
        log-likelihood).
    init : {"default", "large"}
        ``"default"``: w ~ N(0, 1/n_in), b ~ N(0, 1); ``"large"``: w, b ~ N(0, 1).
    dtype : {"float64", "float32"}
        Floating-point type of the parameters and of the arithmetic.
    seed : int or None
        Seed of the generator used for the initial weights and for shuffling.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l]`` of shape ``(sizes[l + 1], sizes[l])``.
    biases : list of ndarray
        ``biases[l]`` of shape ``(sizes[l + 1],)``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        cost: str = "cross-entropy",
        activation: str = "sigmoid",
        output_activation: str | None = None,
        init: str = "default",
        dtype: str = "float64",
        seed: int | None = None,
    ):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ValueError(f"sizes must be two or more positive integers, got {sizes!r}")
        self.sizes = [int(s) for s in sizes]
        self._cost = get_cost(cost)
        self._hidden = get_activation(activation)
        if not self._hidden.elementwise:
            raise ValueError(f"activation {activation!r} can only be used for the output layer")
        output_activation = output_activation or self._cost.default_activation
        self._output = get_activation(output_activation)
        if output_activation not in self._cost.activations:
            raise ValueError(
                f"cost {cost!r} needs an output activation of: {', '.join(self._cost.activations)}"
                f" (got {output_activation!r})"
            )
        if not self._output.elementwise and self.sizes[-1] < 2:
            raise ValueError(f"a {output_activation} output layer needs at least 2 neurons, got {self.sizes[-1]}")
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
        self.dtype = np.dtype(_DTYPES[dtype])
        self.init = init
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        # [w | b] of each layer; weights and biases are views of them
        self._wb = [np.zeros((n_out, n_in + 1), dtype=self.dtype) for n_in, n_out in zip(self.sizes, self.sizes[1:])]
        self._weights = Parameters([wb[:, :-1] for wb in self._wb], "weights")
        self._biases = Parameters([wb[:, -1] for wb in self._wb], "biases")
        self.weights, self.biases = initial_parameters(self.sizes, init, self.rng, self.dtype.type)
        #: momentum of [w | b] per layer, or None
        self.velocities = None
        self.epochs_trained = 0
        self.training: dict = {}

    # -- parameters -------------------------------------------------------------
    @property
    def weights(self) -> Parameters:
        """weights[l] of shape (sizes[l + 1], sizes[l]): w_jk joins neuron k to neuron j."""
        return self._weights

    @weights.setter
    def weights(self, arrays):
        self._weights.assign(arrays)

    @property
    def biases(self) -> Parameters:
        """biases[l] of shape (sizes[l + 1],)."""
        return self._biases

    @biases.setter
    def biases(self, arrays):
        self._biases.assign(arrays)

    # -- configuration --------------------------------------------------------
    @property
    def cost(self) -> str:
        return self._cost.name

    @property
    def activation(self) -> str:
        return self._hidden.name

    @property
    def output_activation(self) -> str:
        return self._output.name

    def __repr__(self):
        return (
            f"Network({self.sizes}, cost={self.cost!r}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, dtype={self.dtype.name!r})"
        )

    # -- inputs ---------------------------------------------------------------
    def _check_X(self, X, name="X"):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{name} must have shape (n_samples, {self.sizes[0]}), got {X.shape}"
            )
        if X.dtype != np.uint8:
            if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
                raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
            if not np.all(np.isfinite(X)):
                raise ValueError(f"{name} contains NaN or infinite values")
        return X

    def _targets(self, X, y, name="y"):
        """Targets as an (n, k) float array: one-hot rows for integer labels."""
        y = np.asarray(y)
        k = self.sizes[-1]
        n = X.shape[0]
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
                return y.astype(self.dtype)[:, None]
            if y.size and (y.min() < 0 or y.max() >= k):
                raise ValueError(f"{name}: class labels must lie in 0..{k - 1}")
            Y = np.zeros((n, k), dtype=self.dtype)
            Y[np.arange(n), y] = 1.0
            return Y
        if y.ndim != 2 or y.shape != (n, k):
            raise ValueError(f"{name} must have shape ({n},) or ({n}, {k}), got {y.shape}")
        if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
            raise ValueError(f"{name} must hold finite numbers")
        Y = y.astype(self.dtype)
        check_targets(self._cost, Y, name)
        return Y

    # -- the network as a function --------------------------------------------
    def feedforward(self, X):
        """a^L, the output for each row of ``X``: shape (n_samples, sizes[-1])."""
        X = self._check_X(X)
        out = np.empty((X.shape[0], self.sizes[-1]), dtype=self.dtype)
        for s in range(0, X.shape[0], EVAL_CHUNK):
            x1 = _rows(X, slice(s, s + EVAL_CHUNK), self.dtype.type)
            out[s:s + EVAL_CHUNK] = _forward(self._wb, x1, self._hidden, self._output)[1][-1]
        return out

    def predict(self, X):
        """Class labels: argmax of a^L, or [a > 0.5] for a single output neuron."""
        a = self.feedforward(X)
        if a.shape[1] == 1:
            return (a[:, 0] > 0.5).astype(np.int64)
        return np.argmax(a, axis=1)

    def _evaluate(self, X, Y, lmbda=0.0):
        """(C, accuracy) over all rows, evaluated in chunks."""
        C, accuracy = evaluate(self._wb, X, Y, self._hidden, self._output, self._cost, lmbda)
        return float(C), float(accuracy)

    def total_cost(self, X, y, lmbda=0.0):
        """C = 1/n sum_x C_x + lmbda/(2n) sum_w w^2 over the rows of ``X``."""
        X = self._check_X(X)
        return self._evaluate(X, self._targets(X, y), lmbda)[0]

    def accuracy(self, X, y):
        """Fraction of rows whose predicted class equals the label (or target's argmax)."""
        X = self._check_X(X)
        return self._evaluate(X, self._targets(X, y))[1]

    # -- files ------------------------------------------------------------------
    def save(self, path, training: dict | None = None) -> None:
        """Write the network to ``path`` (JSON, see :mod:`costlab.saving`), atomically."""
        from costlab.saving import save

        save(self, path, {**self.training, **(training or {})})

    # -- training -------------------------------------------------------------
    def fit(
        self,
        X,
        y,
        *,
        epochs: int = 30,
        batch_size: int = 10,
        eta: float = 0.5,
        lmbda: float = 0.0,
        mu: float = 0.0,
        eval_data=None,
        shuffle: bool = True,
        monitor: bool = True,
        on_epoch: Callable | None = None,
        on_batch: Callable | None = None,
        history: History | None = None,
    ) -> History:
        """Train by mini-batch stochastic gradient descent.

        Parameters
        ----------
        X : ndarray, shape (n, sizes[0])
            Training inputs, one sample per row (uint8 rows are images, scaled
            from [0, 255] to [0, 1] a batch at a time).
        y : ndarray, shape (n,) or (n, sizes[-1])
            Integer class labels, or target outputs.
        epochs, batch_size : int
            Passes over the data, and samples m per gradient step.
        eta : float
            Learning rate.
        lmbda : float
            L2 regularization: weights decay by (1 - eta lmbda / n) each step.
        mu : float
            Momentum coefficient in [0, 1).
        eval_data : (X_eval, y_eval), optional
            Evaluated after every epoch.
        shuffle : bool
            Shuffle the samples each epoch with the network's seeded generator.
        monitor : bool
            Evaluate cost and accuracy on the training data every epoch.
        on_epoch : callable, optional
            ``on_epoch(network, epoch, history)`` after every epoch (and once
            with epoch 0 before training when the history is new).
        on_batch : callable, optional
            ``on_batch(batches_done, n_batches)`` after every few gradient steps.
        history : History, optional
            A history to continue (when resuming).

        Returns
        -------
        History
            Entry 0 is the state before training; one more entry per epoch.

        Raises
        ------
        TrainingDiverged
            When the parameters turn non-finite or the cost explodes.
        """
        from costlab.group import NetworkGroup

        X = self._check_X(X)
        Y = self._targets(X, y)
        if X.shape[0] == 0:
            raise ValueError("X has no samples")
        if eval_data is not None:
            Xe = self._check_X(eval_data[0], "X_eval")
            eval_data = (Xe, self._targets(Xe, eval_data[1], "y_eval"))
        # the one training loop: this network as a group of one
        def group_on_epoch(group, epoch, histories):
            self.training.update(histories[0].config)
            if on_epoch is not None:
                on_epoch(self, epoch, histories[0])

        [history] = NetworkGroup([self]).fit(
            X, Y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, mu=mu,
            eval_data=eval_data, shuffle=shuffle, monitor=monitor,
            histories=None if history is None else [history],
            on_epoch=group_on_epoch, on_batch=on_batch, on_diverge="raise",
        )
        self.training.update(history.config)
        return history
