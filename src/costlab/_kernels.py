"""The fast path's compiled kernel: a whole epoch of one network in one call (Numba).

Imported by :mod:`costlab.fast` only when Numba is installed (``pip install
costlab[fast]``) and an epoch is large enough to pay for it; the NumPy path of
:mod:`costlab.fast` always works without it. The kernel computes the steps of
:mod:`costlab.engine` for the built-in activations and costs, and is tested
against it step by step like the rest of the fast path.

At a batch of 10 the arithmetic of a step is small and NumPy's cost per call
dominates: one call per epoch removes it. Per mini-batch of m rows::

    forward    z^l = a^{l-1} w^l.T + b^l, a^l = sigma(z^l)   (dot products over rows of [w | b])
    output     delta^L = (eta / m) dC/dz^L, and the running record of C and right answers
    backward   delta^{l-1} = (delta^l w^l) * sigma'(z^{l-1}), computed before w^l changes
    update     [w | b] -> [decay w | b] - delta^T [a | 1], row by row while the row is in cache

Compiled on first use for each number of layers and dtype (a few seconds each) and cached
on disk (``cache=True``), so later processes load it at once.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["ACTIVATION_CODES", "COST_CODES", "train_epoch"]

SIGMOID, TANH, RELU, IDENTITY, SOFTMAX = 0, 1, 2, 3, 4
ACTIVATION_CODES = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "identity": IDENTITY, "softmax": SOFTMAX}
QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD = 0, 1, 2
COST_CODES = {"quadratic": QUADRATIC, "cross-entropy": CROSS_ENTROPY, "log-likelihood": LOG_LIKELIHOOD}

# reassociation lets sums vectorize; NaN and infinity keep their meaning (divergence is detected)
_FLAGS = {"reassoc", "contract"}


@nb.njit(cache=True, fastmath=_FLAGS)
def _activate(z, a, mb, code):
    """a = sigma(z) over the first mb rows (softmax: per row)."""
    n = z.shape[1]
    for i in range(mb):
        if code == SOFTMAX:
            top = z[i, 0]
            for j in range(1, n):
                top = max(top, z[i, j])
            total = 0.0
            for j in range(n):
                a[i, j] = math.exp(z[i, j] - top)
                total += a[i, j]
            for j in range(n):
                a[i, j] /= total
            continue
        for j in range(n):
            v = z[i, j]
            if code == SIGMOID:  # as scipy's expit: no exponential overflows
                if v >= 0:
                    a[i, j] = 1.0 / (1.0 + math.exp(-v))
                else:
                    e = math.exp(v)
                    a[i, j] = e / (1.0 + e)
            elif code == TANH:
                a[i, j] = math.tanh(v)
            elif code == RELU:
                a[i, j] = v if v > 0 else 0.0
            else:
                a[i, j] = v


@nb.njit(cache=True, fastmath=_FLAGS)
def _prime(a, code):
    """sigma'(z) written from a = sigma(z), for the elementwise activations."""
    if code == SIGMOID:
        return a * (1.0 - a)
    if code == TANH:
        return 1.0 - a * a
    if code == RELU:
        return 1.0 if a > 0 else 0.0
    return 1.0


@nb.njit(cache=True, fastmath=_FLAGS)
def _output_error(z, a, y, d, i, scale, output, cost):
    """Row i: d = scale dC/dz^L; returns C_x (computed from z where a stable form exists)."""
    k = z.shape[1]
    C = 0.0
    if cost == CROSS_ENTROPY:  # sigmoid output: delta = a - y
        for j in range(k):
            v = z[i, j]
            C += y[j] * max(-v, 0.0) + (1.0 - y[j]) * max(v, 0.0) + math.log1p(math.exp(-abs(v)))
            d[i, j] = scale * (a[i, j] - y[j])
        return C
    if cost == LOG_LIKELIHOOD:  # softmax output: delta = a sum(y) - y
        top, arg = z[i, 0], 0
        for j in range(1, k):
            if z[i, j] > top:
                top, arg = z[i, j], j
        rest, ysum, ys = 0.0, 0.0, 0.0
        for j in range(k):
            if j != arg:
                rest += math.exp(z[i, j] - top)
            ysum += y[j]
            ys += y[j] * (z[i, j] - top)
        for j in range(k):
            d[i, j] = scale * (a[i, j] * ysum - y[j])
        return ysum * math.log1p(rest) - ys
    # quadratic: delta = (a - y) sigma'(z)
    if output == SOFTMAX:
        ag = 0.0
        for j in range(k):
            ag += a[i, j] * (a[i, j] - y[j])
        for j in range(k):
            C += 0.5 * (a[i, j] - y[j]) ** 2
            d[i, j] = scale * a[i, j] * ((a[i, j] - y[j]) - ag)
        return C
    for j in range(k):
        g = a[i, j] - y[j]
        C += 0.5 * g * g
        d[i, j] = scale * g * _prime(a[i, j], output)
    return C


@nb.njit(cache=True, fastmath=_FLAGS)
def train_epoch(wbs, vs, acts, deltas, zL, X, Y, order, m, eta, decay, mu, to_float, hidden, output, cost,
                record):
    """One epoch of mini-batch gradient descent on one network, in place.

    ``wbs``: [w | b] per layer; ``vs``: momentum per layer (used when mu > 0);
    ``acts[l]`` (m, n_l) and ``deltas[l]`` (m, n_{l+1}) scratch, ``zL`` (m, k)
    the output layer's z; ``to_float`` scales X's values (1/255 for bytes);
    ``decay`` is 1 - eta lmbda / n; ``record[0]`` gathers sum_x C_x,
    ``record[1]`` the right answers, ``record[2]`` the first batch's mean cost.
    """
    L = len(wbs)
    n = order.shape[0]
    k = zL.shape[1]
    for s in range(0, n, m):
        mb = min(m, n - s)
        a0 = acts[0]
        for i in range(mb):
            r = order[s + i]
            for c in range(a0.shape[1]):
                a0[i, c] = X[r, c] * to_float
        # forward pass
        for l in range(L):
            wb, a = wbs[l], acts[l]
            n_in, n_out = wb.shape[1] - 1, wb.shape[0]
            z = zL if l == L - 1 else acts[l + 1]
            for i in range(mb):
                for j in range(n_out):
                    acc = wb[j, n_in]
                    for c in range(n_in):
                        acc += a[i, c] * wb[j, c]
                    z[i, j] = acc
            if l < L - 1:
                _activate(z, z, mb, hidden)
            else:
                _activate(zL, acts[L], mb, output)
        # output error and the running record
        aL, dL = acts[L], deltas[L - 1]
        first = 0.0
        for i in range(mb):
            y = Y[order[s + i]]
            C = _output_error(zL, aL, y, dL, i, eta / mb, output, cost)
            record[0] += C
            first += C
            if k == 1:
                right = (aL[i, 0] > 0.5) == (y[0] > 0.5)
            else:
                best, arg_a = aL[i, 0], 0
                top, arg_y = y[0], 0
                for j in range(1, k):
                    if aL[i, j] > best:
                        best, arg_a = aL[i, j], j
                    if y[j] > top:
                        top, arg_y = y[j], j
                right = arg_a == arg_y
            if right:
                record[1] += 1.0
        if s == 0:
            record[2] = first / mb
        # back-propagation, each layer updated once the error below it is computed
        for l in range(L - 1, -1, -1):
            wb, a, d = wbs[l], acts[l], deltas[l]
            n_in, n_out = wb.shape[1] - 1, wb.shape[0]
            if l > 0:
                below = deltas[l - 1]
                for i in range(mb):
                    for c in range(n_in):
                        below[i, c] = 0.0
                    for j in range(n_out):
                        dij = d[i, j]
                        for c in range(n_in):
                            below[i, c] += dij * wb[j, c]
                    for c in range(n_in):
                        below[i, c] *= _prime(a[i, c], hidden)
            for j in range(n_out):
                if decay != 1.0:
                    for c in range(n_in):
                        wb[j, c] *= decay
                if mu > 0.0:
                    v = vs[l]
                    for c in range(n_in + 1):
                        v[j, c] *= mu
                    for i in range(mb):
                        dij = d[i, j]
                        for c in range(n_in):
                            v[j, c] -= dij * a[i, c]
                        v[j, n_in] -= dij
                    for c in range(n_in + 1):
                        wb[j, c] += v[j, c]
                else:
                    for i in range(mb):
                        dij = d[i, j]
                        for c in range(n_in):
                            wb[j, c] -= dij * a[i, c]
                        wb[j, n_in] -= dij
