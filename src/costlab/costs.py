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
``C = 1/n sum_x C_x`` (the blog post's ``1/(2n) sum_x ||y(x) - a(x)||^2`` for the
quadratic cost).

Costs are named by specs (:func:`get_cost`): a registered name, the name with
keyword parameters (``cross-entropy(pos_weight=3)``, ``focal(gamma=2)``), or a
formula in ``a`` and ``y`` (``(a - y)**4/4``). This module reads the names and
parameters itself; a formula is handed to the compiler registered in
:mod:`costlab.hooks` (``costlab.derive``, which parses it with its allow-list
parser and turns its SymPy tree into NumPy code), so the numerical core never
imports SymPy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Callable

import numpy as np
from scipy.special import expit, xlogy

from costlab.hooks import compile_cost_formula
from costlab.activations import Activation

__all__ = [
    "COSTS",
    "Cost",
    "PARAMETERS",
    "balanced_weights",
    "cross_entropy_weighted",
    "focal",
    "focal_delta",
    "focal_softmax",
    "focal_softmax_delta",
    "split_specs",
    "cross_entropy",
    "cross_entropy_delta",
    "get_cost",
    "kl",
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
        The canonical spec (a registry key, with its parameters, or a formula),
        as typed on the command line and stored in models.
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
    #: ``prepare(Y)``: the cost for the training targets Y (class weights
    #: ``balanced`` are counted from them), or None when it needs none.
    prepare: Callable | None = None

    @property
    def default_activation(self) -> str:
        return self.activations[0]


# --------------------------------------------------------------------------- #
# Weighted, smoothed and focal costs: the registered costs with parameters
# --------------------------------------------------------------------------- #

def _smooth(y, eps, K):
    """Label smoothing: y -> y (1 - eps) + eps / K."""
    return y if not eps else y * (1.0 - eps) + eps / K


def cross_entropy_weighted(z, a, y, *, pos_weight=1.0, smoothing=0.0):
    """C_x = -sum_j [p y_j ln a_j + (1 - y_j) ln(1 - a_j)], a = sigma(z), y -> y (1 - eps) + eps/2.

    Parameters
    ----------
    pos_weight : float
        p, the weight of the positive term: PyTorch's
        ``BCEWithLogitsLoss(pos_weight=p, reduction="sum")`` per sample (and
        TensorFlow's ``weighted_cross_entropy_with_logits``). p > 1 raises the
        recall of a rare positive class.
    smoothing : float
        eps: targets are smoothed towards 1/2 first (Keras's binary label
        smoothing, K = 2).

    Notes
    -----
    As for the cross-entropy, ``-ln a = softplus(-z)`` and ``-ln(1 - a) =
    softplus(z)``: ``C_x = p y softplus(-z) + (1 - y) softplus(z)``, finite and
    exact to float precision for every finite ``z``.
    """
    y = _smooth(y, smoothing, 2)
    z = np.asarray(z)
    return np.sum(pos_weight * y * softplus(-z) + (1.0 - y) * softplus(z), axis=-1)


def cross_entropy_weighted_delta(z, a, y, activation=None, *, pos_weight=1.0, smoothing=0.0):
    """delta = a (p y + 1 - y) - p y, the output error dC/dz of the weighted cross-entropy.

    dC/dz = p y (a - 1) + (1 - y) a: sigma'(z) cancels as for the plain
    cross-entropy (p = 1 gives a - y).
    """
    y = _smooth(y, smoothing, 2)
    if pos_weight == 1.0:
        return a - y
    return a * (pos_weight * y + 1.0 - y) - pos_weight * y


def focal(z, a, y, *, gamma=2.0, alpha=None):
    """FL_x = sum_j alpha_t (1 - p_t)^gamma CE_j, with p_t = a y + (1 - a)(1 - y), a = sigma(z).

    CE_j = -[y ln a + (1 - y) ln(1 - a)] is the cross-entropy of output j; for
    y = 1, p_t = a and FL = -(1 - a)^gamma ln a; for y = 0, p_t = 1 - a. With
    alpha, alpha_t = alpha y + (1 - alpha)(1 - y); without it no class
    weighting. This is torchvision's ``sigmoid_focal_loss`` (Lin et al. 2017)
    summed over outputs; gamma = 0 (and no alpha) is the cross-entropy.

    Notes
    -----
    ``1 - p_t = y sigma(-z) + (1 - y) sigma(z)`` is computed with
    ``sigma(-z)`` for ``1 - a`` (no cancellation where ``a`` is near 1), and
    CE from ``z`` by softplus as in :func:`cross_entropy`: finite for every
    finite ``z``.
    """
    z = np.asarray(z)
    ce = y * softplus(-z) + (1.0 - y) * softplus(z)
    q = y * expit(-z) + (1.0 - y) * expit(z)
    c = ce * q ** gamma
    if alpha is not None:
        c = c * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return np.sum(c, axis=-1)


def focal_delta(z, a, y, activation=None, *, gamma=2.0, alpha=None):
    """delta = alpha_t [(a - y) q^gamma + gamma CE q^(gamma - 1) dq/dz], q = 1 - p_t.

    With ``dq/dz = (1 - 2y) a (1 - a)``. Where q = 0 (the output is exactly
    right), the second term is 0, its limit.
    """
    z = np.asarray(z)
    q = y * expit(-z) + (1.0 - y) * expit(z)
    d = (a - y) * q ** gamma
    if gamma:
        ce = y * softplus(-z) + (1.0 - y) * softplus(z)
        dq = (1.0 - 2.0 * y) * (expit(z) * expit(-z))
        qg = np.power(q, gamma - 1.0, out=np.zeros_like(q), where=q > 0)
        d = d + gamma * ce * qg * dq
    if alpha is not None:
        d = d * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return d


def kl(z, a, y):
    """C_x = sum_j [y_j ln(y_j / a_j) + (1 - y_j) ln((1 - y_j) / (1 - a_j))], the KL divergence of a from y.

    The Kullback-Leibler divergence of the Bernoulli output ``a = sigma(z)``
    from the target ``y``, per output neuron, with 0 ln 0 = 0: it is the
    cross-entropy minus the entropy of y,
    ``C_KL = C_CE - H(y)``, ``H(y) = -[y ln y + (1 - y) ln(1 - y)]``, so it is 0
    where a = y and its gradient is the cross-entropy's, ``delta = a - y``
    (H(y) does not depend on the weights).

    Notes
    -----
    Computed as the cross-entropy from z (stable for every finite z, see
    :func:`cross_entropy`) plus ``y ln y + (1 - y) ln(1 - y)`` with
    ``scipy.special.xlogy`` (0 where y is 0 or 1).
    """
    y = np.asarray(y)
    return cross_entropy(z, a, y) + np.sum(xlogy(y, y) + xlogy(1.0 - y, 1.0 - y), axis=-1)


def _minus_log_softmax(z):
    """-ln a_j = ln sum_k e^{z_k} - z_j, over the last axis, as in :func:`log_likelihood`."""
    z = np.asarray(z)
    s = z - z.max(axis=-1, keepdims=True)
    e = np.exp(s)
    top = np.argmax(z, axis=-1)[..., None]
    np.put_along_axis(e, top, 0.0, axis=-1)
    return np.log1p(e.sum(axis=-1, keepdims=True)) - s


def balanced_weights(Y):
    """w_k = n / (K n_k), scikit-learn's ``class_weight="balanced"``, from targets Y of shape (..., n, K).

    n_k is the number of samples of class k (the column sums of one-hot
    targets); a class with no samples gets weight 0.
    """
    Y = np.asarray(Y, dtype=float)
    Y = Y.reshape(-1, Y.shape[-1])
    n, K = Y.shape
    counts = Y.sum(axis=0)
    return np.divide(n, K * counts, out=np.zeros(K), where=counts > 0)


def _class_weights(y, weights):
    if weights is None:
        return 1.0
    if isinstance(weights, str):  # "balanced", not yet counted on training targets
        return balanced_weights(y)
    if len(weights) != np.shape(y)[-1]:
        raise ValueError(f"class_weight has {len(weights)} weights for {np.shape(y)[-1]} classes")
    return np.asarray(weights)


def focal_softmax(z, a, y, *, gamma=0.0, class_weight=None, smoothing=0.0):
    """C_x = -sum_j w_j y_j (1 - a_j)^gamma ln a_j, a = softmax(z), y -> y (1 - eps) + eps/K.

    Every log-likelihood spec: with gamma = 0, the log-likelihood weighted by
    class (``class_weight``, PyTorch's ``CrossEntropyLoss(weight=w,
    reduction="sum")`` per sample) and smoothed (``smoothing``, PyTorch's
    ``label_smoothing``: K classes); with gamma > 0, the softmax form of the
    focal loss.

    Notes
    -----
    ``-ln a_j`` is computed as in :func:`log_likelihood` (log1p of the sum
    without its largest term), and ``1 - a_j = -expm1(ln a_j)`` from it, so
    neither loses precision when a_j is near 1.
    """
    y = _smooth(y, smoothing, np.shape(y)[-1]) * _class_weights(y, class_weight)
    L = _minus_log_softmax(z)
    if gamma:
        return np.sum(y * (-np.expm1(-L)) ** gamma * L, axis=-1)
    return np.sum(y * L, axis=-1)


def focal_softmax_delta(z, a, y, activation=None, *, gamma=0.0, class_weight=None, smoothing=0.0):
    """delta_k = a_k sum_j u_j - u_k, with u_j = w_j y_j [(1 - a_j)^gamma + gamma a_j (-ln a_j) (1 - a_j)^(gamma - 1)].

    From d(-ln a_j)/dz_k = a_k - [j = k] and d(1 - a_j)/dz_k = a_j (a_k - [j = k]);
    with gamma = 0, u = w y and this is the log-likelihood's a sum_j y_j - y.
    """
    u = _smooth(y, smoothing, np.shape(y)[-1]) * _class_weights(y, class_weight)
    if gamma:
        L = _minus_log_softmax(z)
        om = -np.expm1(-L)
        omg = np.power(om, gamma - 1.0, out=np.zeros_like(om), where=om > 0)
        u = u * (om ** gamma + gamma * a * L * omg)
    return a * np.sum(u, axis=-1, keepdims=True) - u


# --------------------------------------------------------------------------- #
# The registry, and specs
# --------------------------------------------------------------------------- #

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

#: The parameters each cost takes in a spec, ``name(key=value, ...)``, in the order of
#: the spec's canonical text, with what each accepts. ``focal`` is named only here: it is
#: always a parameterized cost (``focal`` alone is ``focal(gamma=2)``). So is ``kl``, the
#: Kullback-Leibler divergence (the cross-entropy less the entropy of y, :func:`kl`).
PARAMETERS: dict[str, dict[str, str]] = {
    "quadratic": {},
    "cross-entropy": {"pos_weight": "a number > 0", "smoothing": "a number in [0, 1)"},
    "log-likelihood": {
        "class_weight": "balanced or a list of numbers >= 0, [w1, ..., wK]",
        "smoothing": "a number in [0, 1)",
        "gamma": "a number in [0, 100]",
    },
    "focal": {"gamma": "a number in [0, 100]", "alpha": "a number in [0, 1]"},
    "kl": {},
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")
_SPEC = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*)\s*\((.*)\)\s*\Z", re.S)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_MAX_SPEC_LENGTH = 200


def split_specs(text: str) -> list[str]:
    """Split a list of cost specs on the commas outside parentheses and brackets.

    ``"quadratic, cross-entropy(pos_weight=3), focal(gamma=2, alpha=0.25)"``
    gives three specs; ValueError for unbalanced brackets or an empty item.
    """
    if not isinstance(text, str):
        raise ValueError("cost specs must be given as text")
    items, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced {c!r} in the cost list {text!r}")
        elif c == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"unclosed parenthesis in the cost list {text!r}")
    items.append(text[start:])
    items = [item.strip() for item in items]
    if not all(items):
        raise ValueError(f"empty cost in the list {text!r}")
    return items


def _num(v: float) -> str:
    """A number as the shortest text that reads back exactly: 3, 0.1, 1e-05."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _number(name, key, text, lo, hi, lo_open=False, hi_open=False):
    if not _NUMBER.match(text):
        raise ValueError(f"{name}: {key} must be a number, got {text!r}")
    v = float(text)
    if not (math.isfinite(v) and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)):
        raise ValueError(f"{name}: {key} must be {PARAMETERS[name][key]}, got {text}")
    return v


def _parameters(name: str, body: str) -> dict:
    """``key=value`` pairs of a spec's parentheses, checked against PARAMETERS[name]."""
    allowed = PARAMETERS[name]
    params: dict = {}
    for item in split_specs(body) if body.strip() else []:
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not value:
            raise ValueError(f"{name}: parameters are written key=value, got {item!r}")
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            raise ValueError(f"{name} has no parameter {key!r} (its parameters: {known})")
        if key in params:
            raise ValueError(f"{name}: {key} is given twice")
        if key == "class_weight":
            if value == "balanced":
                params[key] = "balanced"
                continue
            if not (value.startswith("[") and value.endswith("]")):
                raise ValueError(f"{name}: class_weight must be {allowed[key]}, got {value!r}")
            weights = [w.strip() for w in value[1:-1].split(",")]
            params[key] = tuple(_number(name, key, w, 0, math.inf, hi_open=True) for w in weights)
            if sum(params[key]) <= 0:
                raise ValueError(f"{name}: class_weight needs a weight > 0")
        elif key == "pos_weight":
            params[key] = _number(name, key, value, 0, math.inf, lo_open=True, hi_open=True)
        elif key == "smoothing":
            params[key] = _number(name, key, value, 0, 1, hi_open=True)
        elif key == "gamma":
            params[key] = _number(name, key, value, 0, 100)
        else:  # alpha
            params[key] = _number(name, key, value, 0, 1)
    return params


def _canonical(name: str, params: dict) -> str:
    if not params:
        return name
    parts = []
    for key in PARAMETERS[name]:
        if key in params:
            v = params[key]
            text = v if isinstance(v, str) else (
                "[" + ", ".join(map(_num, v)) + "]" if isinstance(v, tuple) else _num(v))
            parts.append(f"{key}={text}")
    return f"{name}({', '.join(parts)})"


def _prepare_balanced(cost_name, gamma, smoothing, formula):
    def prepare(Y):
        w = tuple(balanced_weights(Y))
        kw = {"gamma": gamma, "class_weight": w, "smoothing": smoothing}
        return Cost(cost_name, partial(focal_softmax, **kw), partial(focal_softmax_delta, **kw), ("softmax",),
                    formula)
    return prepare


def _with_parameters(name: str, params: dict) -> Cost:
    spec = _canonical(name, params)
    if name == "cross-entropy":
        kw = {"pos_weight": params.get("pos_weight", 1.0), "smoothing": params.get("smoothing", 0.0)}
        formula = "C = -1/n sum_x [p y ln a + (1 - y) ln(1 - a)], y -> y (1 - eps) + eps/2"
        return Cost(spec, partial(cross_entropy_weighted, **kw), partial(cross_entropy_weighted_delta, **kw),
                    ("sigmoid",), formula)
    if name == "log-likelihood":
        kw = {"gamma": params.get("gamma", 0.0), "class_weight": params.get("class_weight"),
              "smoothing": params.get("smoothing", 0.0)}
        formula = "C = -1/n sum_x sum_j w_j y_j (1 - a_j)^gamma ln a_j, y -> y (1 - eps) + eps/K"
        prepare = (_prepare_balanced(spec, kw["gamma"], kw["smoothing"], formula)
                   if kw["class_weight"] == "balanced" else None)
        return Cost(spec, partial(focal_softmax, **kw), partial(focal_softmax_delta, **kw), ("softmax",), formula,
                    prepare)
    if name == "focal":
        kw = {"gamma": params.get("gamma", 2.0), "alpha": params.get("alpha")}
        formula = "C = -1/n sum_x alpha_t (1 - p_t)^gamma ln p_t, p_t = a y + (1 - a)(1 - y)"
        return Cost(spec, partial(focal, **kw), partial(focal_delta, **kw), ("sigmoid",), formula)
    if name == "kl":
        return Cost("kl", kl, cross_entropy_delta, ("sigmoid",),
                    "C = 1/n sum_x [y ln(y/a) + (1 - y) ln((1 - y)/(1 - a))], 0 ln 0 = 0")
    return COSTS[name]  # quadratic() takes no parameters


@lru_cache(maxsize=256)
def _resolve(text: str) -> Cost:
    if text in COSTS:
        return COSTS[text]
    if text in PARAMETERS:
        return _with_parameters(text, {})
    m = _SPEC.match(text)
    if m and m.group(1) in PARAMETERS:
        return _with_parameters(m.group(1), _parameters(m.group(1), m.group(2)))
    head = m.group(1) if m else text
    if _NAME.fullmatch(head) and ("-" in head or "_" in head or (m is None and head not in ("a", "y"))
                                  or head.lower() in PARAMETERS or (m is not None and "=" in m.group(2))):
        raise ValueError(f"unknown cost {head!r}; choose one of: {', '.join(PARAMETERS)}, "
                         "with parameters in parentheses, or a formula in a and y")
    try:
        return compile_cost_formula(text)
    except ValueError as e:
        raise ValueError(f"cost {text!r} is neither one of {', '.join(PARAMETERS)} (with parameters in "
                         f"parentheses) nor a formula in a and y: {e}") from None


def get_cost(spec) -> Cost:
    """The cost named by ``spec``: a registered name, the name with parameters, or a formula in a and y.

    ``"cross-entropy"``, ``"cross-entropy(pos_weight=3)"``,
    ``"log-likelihood(class_weight=balanced, smoothing=0.1)"``,
    ``"focal(gamma=2, alpha=0.25)"``, ``"(a - y)**4/4"``. The cost's ``name``
    is the spec's canonical text, which reads back to the same cost (saved
    models store it). ValueError, with one line saying why, for anything else.
    """
    if isinstance(spec, Cost):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"a cost is named by text ({', '.join(PARAMETERS)}, ...), got {type(spec).__name__}")
    if spec in COSTS:
        return COSTS[spec]
    if not spec.isprintable():
        bad = next(c for c in spec if not c.isprintable())
        raise ValueError(f"the cost may not contain the control character {bad!r}")
    text = spec.strip()
    if not text:
        raise ValueError(f"the cost is empty; choose one of: {', '.join(PARAMETERS)}")
    if len(text) > _MAX_SPEC_LENGTH:
        raise ValueError(f"the cost is too long ({len(text)} characters; at most {_MAX_SPEC_LENGTH})")
    return _resolve(text)


#: Costs (by the name before any parameters) whose targets must lie in [0, 1].
UNIT_TARGETS = ("cross-entropy", "log-likelihood", "focal", "kl")


def check_targets(cost: Cost, Y, name: str = "y") -> None:
    """ValueError when targets Y (n, k) do not suit ``cost``: outside [0, 1], or multi-label for a softmax cost.

    The log-likelihood costs put one probability distribution over the
    classes (a softmax output): a row with several ones (multi-label targets)
    is not a distribution. Multi-label targets train with sigmoid outputs
    (cross-entropy, focal), one independent probability per label.
    """
    base = cost.name.partition("(")[0]
    if base not in UNIT_TARGETS:
        return
    Y = np.asarray(Y)
    if Y.size and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(f"{name}: targets of the {cost.name} cost must lie in [0, 1]")
    if base == "log-likelihood" and Y.size and np.any(Y.sum(axis=-1) > 1 + 1e-6):
        raise ValueError(
            f"{name}: rows with several targets of 1 are multi-label, but the {cost.name} cost needs one "
            "class per row (its softmax output is one distribution over the classes); for multi-label "
            "targets use a sigmoid output: cross-entropy or focal")


def parse_spec(text: str) -> tuple[str, dict] | None:
    """(name, parameters) of a spec of a registered cost, checked; None when the text is a formula.

    ``parse_spec("focal(gamma=2)") == ("focal", {"gamma": 2.0})``; ValueError
    for a bad parameter or an unknown hyphenated name.
    """
    text = text.strip()
    if text in PARAMETERS:
        return text, {}
    m = _SPEC.match(text)
    if m and m.group(1) in PARAMETERS:
        return m.group(1), _parameters(m.group(1), m.group(2))
    get_cost(text)   # an unknown name raises here; a formula resolves
    return None
