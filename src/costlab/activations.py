"""Activation functions sigma(z), their derivatives, and the registry of them.

Every activation maps the weighted input ``z`` of a layer to its output
``a = sigma(z)``. Back-propagation needs ``dC/dz = dC/da * sigma'(z)``; here it
is written from the output ``a`` (as scikit-learn does), because the forward
pass has already computed it:

    sigmoid   sigma'(z) = a (1 - a)
    tanh      sigma'(z) = 1 - a^2
    relu      sigma'(z) = [a > 0]
    identity  sigma'(z) = 1
    softmax   dC/dz_j = a_j (dC/da_j - sum_k a_k dC/da_k)   (not elementwise)

The registry ``ACTIVATIONS`` is keyed by the names users type and that saved
models store; nothing else is ever looked up by name. ``ALIASES`` holds the
other names users coming from other libraries type for the same functions
(``"logistic"``, scikit-learn's name of the sigmoid); a network stores and
reports the registry's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit as _expit

__all__ = [
    "ACTIVATIONS",
    "ALIASES",
    "Activation",
    "get_activation",
    "hidden_at",
    "identity",
    "identity_prime",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "tanh",
    "tanh_prime",
]


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), elementwise.

    Notes
    -----
    SciPy's ``expit`` ufunc, which evaluates ``1 / (1 + e^-z)`` for ``z >= 0``
    and ``e^z / (1 + e^z)`` for ``z < 0``: no exponential overflows, both
    branches are exact to float precision, ``sigmoid(-1000)`` is 0 (the true
    value underflows), ``sigmoid(1000)`` is 1, and no warning is raised for
    any finite ``z``. It is one pass over the data, which matters in the
    training loop.
    """
    return _expit(z)


def sigmoid_prime(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)), elementwise.

    Notes
    -----
    The appendix of the blog post: d/dz (1 + e^-z)^-1 = e^-z / (1 + e^-z)^2
    = sigma(z) * (1 - sigma(z)). It is at most 1/4 (at z = 0) and tends to 0
    on both flat ends of the sigmoid: the factor behind the learning slowdown.
    Written as ``e / (1 + e)^2`` with ``e = exp(-|z|)`` so that it stays
    accurate (not just 0) far out on the flat ends.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def tanh(z):
    """sigma(z) = tanh(z) = (e^z - e^-z) / (e^z + e^-z), elementwise."""
    return np.tanh(z)


def tanh_prime(z):
    """sigma'(z) = 1 - tanh(z)^2, elementwise."""
    t = np.tanh(z)
    return 1.0 - t * t


def relu(z):
    """sigma(z) = max(0, z), elementwise."""
    return np.maximum(z, 0.0)


def relu_prime(z):
    """sigma'(z) = 1 if z > 0 else 0, elementwise (0 at z = 0 by convention)."""
    z = np.asarray(z)
    return (z > 0).astype(z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64)


def identity(z):
    """sigma(z) = z."""
    return np.asarray(z)


def identity_prime(z):
    """sigma'(z) = 1."""
    z = np.asarray(z)
    return np.ones_like(z, dtype=z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64)


def softmax(z):
    """a_j = e^{z_j} / sum_k e^{z_k}, over the last axis.

    Notes
    -----
    The largest logit is subtracted first: softmax(z) = softmax(z - c) for any
    constant c, and with ``c = max_k z_k`` every exponent is <= 0, so nothing
    overflows and at least one term of the sum is exactly 1.
    """
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_backward(a, g):
    # (J^T g)_j = a_j (g_j - sum_k a_k g_k), with J_jk = da_j/dz_k = a_j (delta_jk - a_k)
    return a * (g - np.sum(a * g, axis=-1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """An activation function with what back-propagation needs of it.

    Attributes
    ----------
    name : str
        The registry key, as typed on the command line and stored in models.
    fn : callable
        ``a = sigma(z)``.
    prime : callable or None
        ``sigma'(z)`` elementwise; None for softmax, whose derivative is a
        Jacobian.
    prime_from_output : callable or None
        ``sigma'(z)`` written in terms of ``a = sigma(z)``.
    formula : str
        The formula in plain text.
    """

    name: str
    fn: Callable
    prime: Callable | None
    prime_from_output: Callable | None
    formula: str
    elementwise: bool = True
    into: Callable | None = None

    def __call__(self, z):
        return self.fn(z)

    def fn_into(self, z, out):
        """out[...] = sigma(z), without a temporary where the function allows it."""
        if self.into is not None:
            self.into(z, out)
        else:
            out[...] = self.fn(z)

    def backward(self, a, g):
        """dC/dz = sigma'(z) * dC/da, given the output ``a`` and ``g = dC/da``.

        For elementwise activations this is ``g * sigma'(z)``; for softmax it
        is the Jacobian-vector product ``a * (g - sum(a * g))``.
        """
        if self.elementwise:
            return g * self.prime_from_output(a)
        return _softmax_backward(a, g)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation(
            "sigmoid", sigmoid, sigmoid_prime, lambda a: a * (1.0 - a),
            "sigma(z) = 1 / (1 + exp(-z))", into=lambda z, out: _expit(z, out=out),
        ),
        Activation(
            "tanh", tanh, tanh_prime, lambda a: 1.0 - a * a,
            "sigma(z) = tanh(z)", into=lambda z, out: np.tanh(z, out=out),
        ),
        Activation(
            "relu", relu, relu_prime, lambda a: (a > 0).astype(a.dtype),
            "sigma(z) = max(0, z)", into=lambda z, out: np.maximum(z, 0.0, out=out),
        ),
        Activation(
            "identity", identity, identity_prime, lambda a: np.ones_like(a),
            "sigma(z) = z", into=lambda z, out: np.copyto(out, z),
        ),
        Activation(
            "softmax", softmax, None, None,
            "a_j = exp(z_j) / sum_k exp(z_k)", elementwise=False,
        ),
    )
}


#: Other names of registered activations: scikit-learn's MLP calls the sigmoid "logistic".
ALIASES: dict[str, str] = {"logistic": "sigmoid"}


def hidden_at(hidden, l: int) -> Activation:
    """The activation of hidden layer ``l`` (0: the first): ``hidden`` is one Activation for every hidden
    layer, or a tuple of one per hidden layer."""
    return hidden[l] if isinstance(hidden, tuple) else hidden


def get_activation(name: str) -> Activation:
    """Return the activation registered under ``name`` (or an alias of it); ValueError if none is."""
    try:
        return ACTIVATIONS[ALIASES.get(name, name)]
    except (KeyError, TypeError):
        known = ", ".join([*ACTIVATIONS, *ALIASES])
        raise ValueError(f"unknown activation {name!r}; choose one of: {known}") from None
