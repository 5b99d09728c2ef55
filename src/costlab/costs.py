"""Cost functions C, their per-sample values and output errors delta = dC/dz.

A cost is two small functions, as in Nielsen's network2.py: its value for each
sample, and the error ``delta^L = dC/dz^L`` of the output layer, which
back-propagation carries back through the network. Both are computed from the
output layer's weighted input ``z`` (the logits) as well as its output
``a = sigma(z)``, so that the log of a rounded ``a`` is never taken.

The whole learning slowdown is in the two deltas of a sigmoid output layer::

    quadratic       delta = (a - y) * sigma'(z)
    cross-entropy   delta =  a - y

Over ``n`` samples the reported cost is the mean of the per-sample values,
``C = 1/n sum_x C_x`` (the seed's ``1/(2n) sum_x ||y(x) - a(x)||^2`` for the
quadratic cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from costlab.activations import Activation

__all__ = [
    "COSTS",
    "Cost",
    "cross_entropy",
    "cross_entropy_delta",
    "get_cost",
    "log_likelihood",
    "log_likelihood_delta",
    "quadratic",
    "quadratic_delta",
    "softplus",
]


def softplus(z):
    """softplus(z) = ln(1 + e^z), elementwise, without overflow.

    Notes
    -----
    ``ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|)``; the second term is computed
    with ``log1p`` and lies in [0, ln 2], so the result is exact to float
    precision for every finite ``z``: ``softplus(1e4) == 1e4`` and
    ``softplus(-40) == 4.25e-18`` (not 0).
    """
    z = np.asarray(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def quadratic(z, a, y):
    """C_x = 1/2 ||y - a||^2 for each sample (row), summed over output units.

    Parameters
    ----------
    z : ndarray, shape (..., n, k)
        Weighted inputs of the output layer (unused; kept for a common signature).
    a : ndarray, shape (..., n, k)
        Outputs ``a = sigma(z)``.
    y : ndarray, shape (..., n, k)
        Targets.

    Returns
    -------
    ndarray, shape (..., n)
        The cost of each sample; average over the last axis for
        ``C = 1/(2n) sum_x ||y(x) - a(x)||^2``.
    """
    d = a - y
    return 0.5 * np.sum(d * d, axis=-1)


def quadratic_delta(z, a, y, activation: Activation):
    """delta = (a - y) * sigma'(z), the output error dC/dz of the quadratic cost.

    The factor ``sigma'(z)`` is the cause of the learning slowdown: for a
    sigmoid output it is at most 1/4 and nearly 0 when ``a`` is near 0 or 1.
    For a softmax output it is the softmax's Jacobian applied to ``a - y``.
    """
    return activation.backward(a, a - y)


def cross_entropy(z, a, y):
    """C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)], with a = sigma(z).

    Parameters
    ----------
    z : ndarray, shape (..., n, k)
        Weighted inputs (logits) of the sigmoid output layer.
    a : ndarray, shape (..., n, k)
        Outputs ``a = sigma(z)`` (unused: the value is computed from ``z``).
    y : ndarray, shape (..., n, k)
        Targets in [0, 1].

    Returns
    -------
    ndarray, shape (..., n)
        The cost of each sample; average over the last axis for
        ``C = -1/n sum_x [y ln a + (1 - y) ln(1 - a)]``.

    Notes
    -----
    With ``a = sigma(z)``, ``-ln a = softplus(-z)`` and ``-ln(1 - a) = softplus(z)``,
    so ``C_x = y softplus(-z) + (1 - y) softplus(z)``
    ``= y max(-z, 0) + (1 - y) max(z, 0) + ln(1 + e^-|z|)``.
    This is the form of TensorFlow's ``sigmoid_cross_entropy_with_logits``:
    finite and exact to float precision for every finite ``z``, also where
    ``a`` itself rounds to exactly 0 or 1 (there ``ln a`` would be -inf).
    """
    z = np.asarray(z)
    return np.sum(
        y * np.maximum(-z, 0.0) + (1.0 - y) * np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
        axis=-1,
    )


def cross_entropy_delta(z, a, y, activation: Activation | None = None):
    """delta = a - y, the output error dC/dz of sigmoid + cross-entropy.

    dC/da = (a - y) / (a (1 - a)) and sigma'(z) = a (1 - a): the sigmoid's
    derivative cancels, and the error alone drives learning.
    """
    return a - y


def log_likelihood(z, a, y):
    """C_x = -sum_j y_j ln a_j, with a = softmax(z) (for one-hot y: -ln a_y).

    Parameters
    ----------
    z : ndarray, shape (..., n, k)
        Weighted inputs (logits) of the softmax output layer.
    a : ndarray, shape (..., n, k)
        Outputs ``a = softmax(z)`` (unused: the value is computed from ``z``).
    y : ndarray, shape (..., n, k)
        Targets, non-negative (one-hot for class labels).

    Returns
    -------
    ndarray, shape (..., n)
        The cost of each sample.

    Notes
    -----
    ``-ln a_j = ln sum_k e^{z_k} - z_j``. With ``s = z - max_k z_k`` (the
    softmax is unchanged by a constant shift) the largest term of
    ``sum_k e^{s_k}`` is exactly 1, and
    ``ln sum_k e^{s_k} = log1p(sum_{k != argmax} e^{s_k})``,
    so ``C_x = (sum_j y_j) log1p(...) - sum_j y_j s_j`` is finite for logits of
    +-1e4 and keeps its relative precision when the cost is tiny (to about
    ``|s|`` units in the last place, the rounding of ``s`` itself), where
    ``ln sum_k e^{z_k} - z_j`` would cancel to 0.
    """
    z = np.asarray(z)
    s = z - z.max(axis=-1, keepdims=True)
    e = np.exp(s)
    top = np.argmax(z, axis=-1)[..., None]
    np.put_along_axis(e, top, 0.0, axis=-1)
    lse = np.log1p(e.sum(axis=-1))
    return np.sum(y, axis=-1) * lse - np.sum(y * s, axis=-1)


def log_likelihood_delta(z, a, y, activation: Activation | None = None):
    """delta = a sum_j y_j - y, the output error dC/dz of softmax + log-likelihood.

    For one-hot y (sum_j y_j = 1) this is a - y: the softmax's Jacobian
    cancels just as the sigmoid's derivative does for cross-entropy.
    """
    return a * np.sum(y, axis=-1, keepdims=True) - y


@dataclass(frozen=True)
class Cost:
    """A cost function: its per-sample value and its output error.

    Attributes
    ----------
    name : str
        The registry key, as typed on the command line and stored in models.
    fn : callable
        ``fn(z, a, y)``: the cost of each sample, shape (..., n).
    delta : callable
        ``delta(z, a, y, activation)``: dC/dz of the output layer, shape (..., n, k).
    activations : tuple of str
        The output activations this cost can be used with; the first is the
        one it is made for (its default).
    formula : str
        The formula in plain text.
    """

    name: str
    fn: Callable
    delta: Callable
    activations: tuple[str, ...]
    formula: str

    @property
    def default_activation(self) -> str:
        return self.activations[0]


COSTS: dict[str, Cost] = {
    cost.name: cost
    for cost in (
        Cost(
            "quadratic", quadratic, quadratic_delta,
            ("sigmoid", "tanh", "identity", "relu", "softmax"),
            "C = 1/(2n) sum_x ||y(x) - a(x)||^2",
        ),
        Cost(
            "cross-entropy", cross_entropy, cross_entropy_delta,
            ("sigmoid",),
            "C = -1/n sum_x [y ln a + (1 - y) ln(1 - a)]",
        ),
        Cost(
            "log-likelihood", log_likelihood, log_likelihood_delta,
            ("softmax",),
            "C = -1/n sum_x ln a_y(x)",
        ),
    )
}


def get_cost(name: str) -> Cost:
    """Return the cost registered under ``name``; ValueError if none is."""
    try:
        return COSTS[name]
    except (KeyError, TypeError):
        known = ", ".join(COSTS)
        raise ValueError(f"unknown cost {name!r}; choose one of: {known}") from None

