"""The fast path's compiled kernel: a whole epoch of one network in one call (Numba).

Imported by :mod:`costlab.fast` only when Numba is installed (``pip install
costlab[fast]``) and an epoch is large enough to pay for it; the NumPy path of
:mod:`costlab.fast` always works without it. The kernel computes the steps of
:mod:`costlab.engine` for the built-in activations and costs, and is tested
against it step by step like the rest of the fast path.

At a batch of 10 the arithmetic of a step is small and NumPy's cost per call
dominates: one call per epoch removes it. Per mini-batch of m rows::

    forward    z^l = a^{l-1} w^l.T + b^l, a^l = sigma(z^l)
    output     delta^L = (eta / m) dC/dz^L, and the running record of C and right answers
    backward   delta^{l-1} = (delta^l w^l) * sigma'(z^{l-1}), computed before w^l changes
    update     [w | b] -> [decay w | b] - delta^T [a | 1]

The three products are register tiles: a few rows of a (or of delta) against
a few rows of [w | b], their sums kept in registers along the input
dimension, which the compiler turns into vector instructions. The plain loop
loads two numbers per multiply-add; a tile loads under one. Float inputs of
the network's type are read where they lie, by row index, without a copy.

Compiled on first use for each number of layers, dtype and input type (about 13 s each on
this project's 2-core machine) and cached on disk (``cache=True``), so later processes load
it in about a second.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["ACTIVATION_CODES", "COST_CODES", "gather", "train_epoch"]

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
            if code == SIGMOID:  # as scipy's expit, without a branch: e = exp(-|z|) never overflows
                e = math.exp(-abs(v))
                a[i, j] = (1.0 if v >= 0 else e) / (1.0 + e)
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
def _output_error(z, a, y, d, i, scale, output, cost, keep):
    """Row i: d = scale dC/dz^L; returns C_x (computed from z where a stable form exists) if ``keep``, else 0."""
    k = z.shape[1]
    C = 0.0
    if cost == CROSS_ENTROPY:  # sigmoid output: delta = a - y
        for j in range(k):
            d[i, j] = scale * (a[i, j] - y[j])
        if keep:
            for j in range(k):
                v = z[i, j]
                C += y[j] * max(-v, 0.0) + (1.0 - y[j]) * max(v, 0.0) + math.log1p(math.exp(-abs(v)))
        return C
    if cost == LOG_LIKELIHOOD:  # softmax output: delta = a sum(y) - y
        top, arg = z[i, 0], 0
        for j in range(1, k):
            if z[i, j] > top:
                top, arg = z[i, j], j
        rest, ysum, ys = 0.0, 0.0, 0.0
        for j in range(k):
            if keep and j != arg:
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
def _forward_layer(a, rows, wb, z, mb):
    """z = [a | 1] [w | b].T for the rows ``rows[:mb]`` of a: tiles of 2 rows of a by 4 rows of w.

    Each tile keeps 8 sums in registers and reads 6 numbers per 8 multiply-adds,
    where a plain loop reads 2 per multiply-add. Sums start from the bias, in
    the matrix's own type (float32 stays float32). The rows and columns left
    over (an odd batch, n_out not a multiple of 4) take plain loops.
    """
    n_out = wb.shape[0]
    n_in = wb.shape[1] - 1
    i = 0
    while i + 2 <= mb:
        r0, r1 = rows[i], rows[i + 1]
        j = 0
        while j + 4 <= n_out:
            b0, b1, b2, b3 = wb[j, n_in], wb[j + 1, n_in], wb[j + 2, n_in], wb[j + 3, n_in]
            s00, s01, s02, s03, s10, s11, s12, s13 = b0, b1, b2, b3, b0, b1, b2, b3
            for c in range(n_in):
                x0, x1 = a[r0, c], a[r1, c]
                u0, u1, u2, u3 = wb[j, c], wb[j + 1, c], wb[j + 2, c], wb[j + 3, c]
                s00 += x0 * u0
                s01 += x0 * u1
                s02 += x0 * u2
                s03 += x0 * u3
                s10 += x1 * u0
                s11 += x1 * u1
                s12 += x1 * u2
                s13 += x1 * u3
            z[i, j], z[i, j + 1], z[i, j + 2], z[i, j + 3] = s00, s01, s02, s03
            z[i + 1, j], z[i + 1, j + 1], z[i + 1, j + 2], z[i + 1, j + 3] = s10, s11, s12, s13
            j += 4
        for j in range(j, n_out):
            s0 = s1 = wb[j, n_in]
            for c in range(n_in):
                u = wb[j, c]
                s0 += a[r0, c] * u
                s1 += a[r1, c] * u
            z[i, j], z[i + 1, j] = s0, s1
        i += 2
    if i < mb:
        r0 = rows[i]
        for j in range(n_out):
            s0 = wb[j, n_in]
            for c in range(n_in):
                s0 += a[r0, c] * wb[j, c]
            z[i, j] = s0


@nb.njit(cache=True, fastmath=_FLAGS)
def _subtract_outer(wb, d, a, rows, mb):
    """[w | b] -= d.T [a | 1] for the rows ``rows[:mb]`` of a: 2 rows of w by 5, 4, 2 or 1 rows of a per pass.

    Each pass reads and writes the two rows of w once: 5 rows of a at a time
    where that saves a pass (a batch of 10 in two passes, not three). A last
    row of w (odd n_out) takes a plain loop.
    """
    n_out = wb.shape[0]
    n_in = wb.shape[1] - 1
    j = 0
    while j + 2 <= n_out:
        i = 0
        while i < mb:
            left = mb - i
            if left >= 5 and left % 4 != 0:
                r0, r1, r2, r3, r4 = rows[i], rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4]
                p0, p1, p2, p3, p4 = d[i, j], d[i + 1, j], d[i + 2, j], d[i + 3, j], d[i + 4, j]
                q0, q1, q2, q3, q4 = d[i, j + 1], d[i + 1, j + 1], d[i + 2, j + 1], d[i + 3, j + 1], d[i + 4, j + 1]
                for c in range(n_in):
                    x0, x1, x2, x3, x4 = a[r0, c], a[r1, c], a[r2, c], a[r3, c], a[r4, c]
                    wb[j, c] -= p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3 + p4 * x4
                    wb[j + 1, c] -= q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3 + q4 * x4
                wb[j, n_in] -= p0 + p1 + p2 + p3 + p4
                wb[j + 1, n_in] -= q0 + q1 + q2 + q3 + q4
                i += 5
            elif left >= 4:
                r0, r1, r2, r3 = rows[i], rows[i + 1], rows[i + 2], rows[i + 3]
                p0, p1, p2, p3 = d[i, j], d[i + 1, j], d[i + 2, j], d[i + 3, j]
                q0, q1, q2, q3 = d[i, j + 1], d[i + 1, j + 1], d[i + 2, j + 1], d[i + 3, j + 1]
                for c in range(n_in):
                    x0, x1, x2, x3 = a[r0, c], a[r1, c], a[r2, c], a[r3, c]
                    wb[j, c] -= p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3
                    wb[j + 1, c] -= q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3
                wb[j, n_in] -= p0 + p1 + p2 + p3
                wb[j + 1, n_in] -= q0 + q1 + q2 + q3
                i += 4
            else:  # 1 to 3 rows of a left: one at a time
                r0, p0, q0 = rows[i], d[i, j], d[i, j + 1]
                for c in range(n_in):
                    x0 = a[r0, c]
                    wb[j, c] -= p0 * x0
                    wb[j + 1, c] -= q0 * x0
                wb[j, n_in] -= p0
                wb[j + 1, n_in] -= q0
                i += 1
        j += 2
    if j < n_out:
        for i in range(mb):
            r0, p0 = rows[i], d[i, j]
            for c in range(n_in):
                wb[j, c] -= p0 * a[r0, c]
            wb[j, n_in] -= p0


@nb.njit(cache=True, fastmath=_FLAGS)
def _backward_layer(below, d, wb, a, mb, hidden):
    """delta^{l-1} = (delta^l w^l) * sigma'(z^{l-1}) over the first mb rows: 2 rows of delta by 4 rows of w per pass."""
    n_out = wb.shape[0]
    n_in = wb.shape[1] - 1
    for i in range(mb):
        for c in range(n_in):
            below[i, c] = 0.0
    i = 0
    while i + 2 <= mb:
        j = 0
        while j + 4 <= n_out:
            p0, p1, p2, p3 = d[i, j], d[i, j + 1], d[i, j + 2], d[i, j + 3]
            q0, q1, q2, q3 = d[i + 1, j], d[i + 1, j + 1], d[i + 1, j + 2], d[i + 1, j + 3]
            for c in range(n_in):
                w0, w1, w2, w3 = wb[j, c], wb[j + 1, c], wb[j + 2, c], wb[j + 3, c]
                below[i, c] += p0 * w0 + p1 * w1 + p2 * w2 + p3 * w3
                below[i + 1, c] += q0 * w0 + q1 * w1 + q2 * w2 + q3 * w3
            j += 4
        for j in range(j, n_out):
            p0, q0 = d[i, j], d[i + 1, j]
            for c in range(n_in):
                below[i, c] += p0 * wb[j, c]
                below[i + 1, c] += q0 * wb[j, c]
        i += 2
    if i < mb:
        for j in range(n_out):
            p0 = d[i, j]
            for c in range(n_in):
                below[i, c] += p0 * wb[j, c]
    for i in range(mb):
        for c in range(n_in):
            below[i, c] *= _prime(a[i, c], hidden)


@nb.njit(cache=True, fastmath=_FLAGS)
def _update_layer(wb, v, d, a, rows, mb, decay, mu):
    """[w | b] -> [decay w | b] - d.T [a | 1]; with momentum, v -> mu v - d.T [a | 1], [w | b] -> [decay w | b] + v."""
    n_out = wb.shape[0]
    n_in = wb.shape[1] - 1
    if decay != 1.0:
        for j in range(n_out):
            for c in range(n_in):
                wb[j, c] *= decay
    if mu > 0.0:
        for j in range(n_out):
            for c in range(n_in + 1):
                v[j, c] *= mu
        _subtract_outer(v, d, a, rows, mb)
        for j in range(n_out):
            for c in range(n_in + 1):
                wb[j, c] += v[j, c]
    else:
        _subtract_outer(wb, d, a, rows, mb)


@nb.njit(cache=True, fastmath=_FLAGS)
def _count_layers(acts, Y, order, s, mb, kinds, limits, saturated, alive, slowed):
    """The per-layer counts of a batch's forward pass (see train_epoch)."""
    L = kinds.shape[0]
    for l in range(L):
        a, kind = acts[l + 1], kinds[l]
        if kind == RELU:
            alive_l = alive[l]
            for i in range(mb):
                for j in range(a.shape[1]):
                    if a[i, j] > 0:
                        alive_l[j] = True
        elif kind >= 0:
            sat = saturated[l]
            for i in range(mb):
                y = Y[order[s + i]]
                for j in range(a.shape[1]):
                    if _prime(a[i, j], kind) < limits[l]:
                        sat[j] += 1
                        if l == L - 1 and abs(a[i, j] - y[j]) > 0.5:
                            slowed[0] += 1


@nb.njit(cache=True, fastmath=_FLAGS)
def train_epoch(wbs, vs, acts, deltas, zL, X, a0, direct, Y, order, sw, m, eta, decay, mu, to_float, hidden, output,
                cost, record, seen, kinds, limits, sum_b, saturated, alive, slowed):
    """One epoch of mini-batch gradient descent on one network, in place.

    ``wbs``: [w | b] per layer; ``vs``: momentum per layer (used when mu > 0);
    ``acts[l]`` (m, n_l) and ``deltas[l]`` (m, n_{l+1}) scratch, ``zL`` (m, k)
    the output layer's z. ``a0`` is the first layer's input: X itself,
    read in place where ``direct`` (floats of the network's type), or
    ``acts[0]``, into which each batch's rows of X are converted, scaled by
    ``to_float`` (1/255 for bytes). ``decay`` is
    1 - eta lmbda / n. ``sw``, unless empty, holds each row's sample weight
    w_x: row x of a batch then scales its output error by eta w_x / sum_x w_x
    instead of eta / m (0 in a batch of total weight 0), and the record is
    weighted. ``record``, unless empty, gathers sum_x C_x (sum_x w_x C_x) in
    ``record[0]``, the right answers (their weights) in ``record[1]`` and the
    first batch's mean cost (weighted mean) in ``record[2]``. ``seen[0]`` is set to False when the first
    layer's z of a batch is not finite: a NaN or infinity in X (or weights
    that are no longer finite) gives one, so the caller need not read X twice.

    The per-layer records (:class:`costlab.fast.LayerRecord`), when ``kinds``
    is not empty: ``kinds[l]`` says what layer l counts (RELU: units that fire,
    in ``alive[l]``; another activation code: neurons with sigma'(z) below
    ``limits[l]``, in ``saturated[l]``; -1: nothing); each batch adds
    sum_x dC/dz^l to ``sum_b[l]`` and, at a saturating output, the saturated
    and wrong (|a - y| > 1/2) outputs to ``slowed[0]``. All from the weights
    before the batch's step.
    """
    L = len(wbs)
    n = order.shape[0]
    k = zL.shape[1]
    keep = record.shape[0] > 0
    weighted = sw.shape[0] > 0
    own = np.arange(m)  # rows of the scratch arrays
    rows0 = np.empty(m, dtype=np.int64)  # rows of the first layer's input
    for s in range(0, n, m):
        mb = min(m, n - s)
        for i in range(mb):
            r = order[s + i]
            if direct:
                rows0[i] = r
            else:
                rows0[i] = i
                for c in range(a0.shape[1]):
                    a0[i, c] = X[r, c] * to_float
        # forward pass
        for l in range(L):
            z = zL if l == L - 1 else acts[l + 1]
            if l == 0:
                _forward_layer(a0, rows0, wbs[0], z, mb)
                if seen[0]:
                    total = 0.0
                    for i in range(mb):
                        for j in range(z.shape[1]):
                            total += z[i, j]
                    if not math.isfinite(total):
                        seen[0] = False
            else:
                _forward_layer(acts[l], own, wbs[l], z, mb)
            if l < L - 1:
                _activate(z, z, mb, hidden)
            else:
                _activate(zL, acts[L], mb, output)
        if kinds.shape[0] > 0:
            _count_layers(acts, Y, order, s, mb, kinds, limits, saturated, alive, slowed)
        # output error and the running record
        aL, dL = acts[L], deltas[L - 1]
        first = 0.0
        total_w = 0.0  # sum_x w_x over the batch, when weighted
        if weighted:
            for i in range(mb):
                total_w += sw[order[s + i]]
        for i in range(mb):
            y = Y[order[s + i]]
            w_x = 1.0
            if weighted:
                w_x = sw[order[s + i]]
                C = _output_error(zL, aL, y, dL, i, eta * w_x / total_w if total_w != 0 else 0.0, output, cost, keep)
                C *= w_x
            else:
                C = _output_error(zL, aL, y, dL, i, eta / mb, output, cost, keep)
            if not keep:
                continue
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
                record[1] += w_x
        if keep and s == 0:
            if not weighted:
                record[2] = first / mb
            else:
                record[2] = first / total_w if total_w != 0 else math.nan
        # back-propagation, each layer updated once the error below it is computed
        for l in range(L - 1, -1, -1):
            if l > 0:
                _backward_layer(deltas[l - 1], deltas[l], wbs[l], acts[l], mb, hidden)
                _update_layer(wbs[l], vs[l], deltas[l], acts[l], own, mb, decay, mu)
            else:
                _update_layer(wbs[0], vs[0], deltas[0], a0, rows0, mb, decay, mu)
        if kinds.shape[0] > 0:  # nabla_b^l = sum_x dC/dz^l, from delta = (eta / mb) dC/dz
            unscale = (total_w if weighted else mb) / eta  # weighted: sum_x w_x dC/dz, from (eta w_x / sum w) dC/dz
            for l in range(L):
                d, total = deltas[l], sum_b[l]
                for i in range(mb):
                    for j in range(d.shape[1]):
                        total[j] += d[i, j] * unscale


@nb.njit(cache=True, fastmath=_FLAGS)
def gather(X, idx, out, to_float):
    """out = [X[idx] to_float | 1]: the rows idx of X, converted, with a column of ones, in one pass.

    Returns the sum of the rows' values, which is finite when they all are
    (or, rarely, overflows): the rows are checked as they are read.
    """
    n = X.shape[1]
    total = 0.0
    for i in range(idx.shape[0]):
        r = idx[i]
        for c in range(n):
            v = X[r, c] * to_float
            out[i, c] = v
            total += v
        out[i, n] = 1.0
    return total
