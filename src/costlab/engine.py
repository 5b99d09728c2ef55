"""The engine as the book writes it: feedforward, back-propagation, gradient descent.

One network, or a group of K networks trained side by side, with samples as
rows. ``weights[l]`` has shape ``(n_out, n_in)`` so that ``w_jk`` joins neuron
``k`` of one layer to neuron ``j`` of the next (``(K, n_out, n_in)`` for a
group, every product a ``matmul`` over the last two axes)::

    z^l = a^{l-1} w^l.T + b^l,   a^l = sigma(z^l)           feedforward
    delta^L = dC/dz^L                                        (BP1) the cost's output error
    delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l)            (BP2)
    nabla_b^l = sum_x delta^l                                (BP3)
    nabla_w^l = delta^l.T a^{l-1}                            (BP4)

    w -> (1 - eta lmbda / n) w - (eta / m) nabla_w           gradient descent on a
    b -> b - (eta / m) nabla_b                               mini-batch of m out of n

With sample weights ``w_x`` (``sample_weight``) each sample's output error,
and so its cost and gradient, is scaled by its weight, and the batch's sum is
divided by the batch's total weight instead of m, as scikit-learn's
``MLPClassifier`` does: ``nabla = sum_x w_x nabla C_x`` and the step
``-(eta / sum_x w_x) nabla``, a weighted mean over the mini-batch. Weights of
one reduce to the book's update. A mini-batch whose weights are all zero
takes no gradient step (the weight decay still applies).

With momentum ``mu`` the step goes through a velocity ``v`` (for w and b
alike): ``v -> mu v - (eta / m) nabla``, ``w -> (1 - eta lmbda / n) w + v``.

This is the reference: short, in the book's names (``zs``, ``activations``,
``delta``, ``nabla_w``, ``nabla_b``), and as slow as NumPy makes it. The
training loop (:mod:`costlab.training`) runs the fast path of
:mod:`costlab.fast`, which computes the same steps in another order and is
tested against this module step by step. The core: NumPy only, no printing, no
files, no global random generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costlab.activations import Activation, hidden_at
from costlab.costs import Cost

__all__ = ["Settings", "backprop", "backward", "feedforward", "sgd_step", "update"]


@dataclass(frozen=True)
class Settings:
    """The hyper-parameters of gradient descent: eta, lmbda, mu and n.

    ``eta`` (learning rate) and ``lmbda`` (L2 regularization) are numbers, or
    arrays of K numbers for a group, one per network. ``mu`` is the momentum
    (0: plain gradient descent) and ``n`` the size of the training set, which
    scales the weight decay ``1 - eta lmbda / n``.
    """

    eta: float | np.ndarray
    lmbda: float | np.ndarray = 0.0
    mu: float = 0.0
    n: int = 1

    def decay(self):
        """1 - eta lmbda / n, the factor that shrinks the weights each step (None when lmbda = 0)."""
        if not np.any(self.lmbda):
            return None
        return 1.0 - np.asarray(self.eta) * np.asarray(self.lmbda) / self.n


def _per_network(value, like):
    """A number, or one number per network of a group shaped (K, 1, ...), to scale arrays like ``like``."""
    value = np.asarray(value, dtype=like.dtype)
    return value if value.ndim == 0 else value.reshape(value.shape + (1,) * (like.ndim - 1))


def feedforward(weights, biases, x, hidden: Activation, output: Activation):
    """z^l = a^{l-1} w^l.T + b^l and a^l = sigma(z^l), layer by layer from a^0 = x.

    Returns
    -------
    zs, activations : lists of ndarray
        ``zs[l]`` is the weighted input of layer l + 1, ``activations[l]`` its
        input: ``activations[0] = x`` and ``activations[-1] = a^L``, the
        output (``output`` is the activation of the last layer, ``hidden``
        of the others: one Activation, or a tuple of one per hidden layer).
    """
    zs, activations = [], [x]
    a = x
    for l, (w, b) in enumerate(zip(weights, biases)):
        z = a @ w.swapaxes(-1, -2) + b[..., None, :]
        a = (output if l == len(weights) - 1 else hidden_at(hidden, l)).fn(z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def backward(weights, zs, activations, y, hidden: Activation, output: Activation, cost: Cost,
             sample_weight=None):
    """(nabla_w, nabla_b) from a forward pass: the equations BP1 to BP4.

    ``nabla_w[l] = delta^l.T a^{l-1}`` and ``nabla_b[l] = sum_x delta^l``:
    sums, not means, over the rows of the batch. With ``sample_weight`` (one
    weight per row) the sums are weighted: delta^L_x -> w_x delta^L_x.
    """
    L = len(weights)
    nabla_w, nabla_b = [None] * L, [None] * L
    delta = cost.delta(zs[-1], activations[-1], y, output)  # BP1: delta^L = dC/dz^L
    if sample_weight is not None:
        delta = delta * np.asarray(sample_weight, dtype=delta.dtype)[..., None]  # w_x dC_x/dz^L
    for l in range(L - 1, -1, -1):
        nabla_b[l] = delta.sum(axis=-2)  # BP3
        nabla_w[l] = delta.swapaxes(-1, -2) @ activations[l]  # BP4
        if l > 0:
            # BP2: delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l), with sigma' written from a^l
            delta = hidden_at(hidden, l - 1).backward(activations[l], delta @ weights[l])
    return nabla_w, nabla_b


def backprop(weights, biases, x, y, hidden: Activation, output: Activation, cost: Cost, sample_weight=None):
    """The gradient (nabla_w, nabla_b) of sum_x C_x (sum_x w_x C_x with ``sample_weight``) over the rows of ``x``."""
    zs, activations = feedforward(weights, biases, x, hidden, output)
    return backward(weights, zs, activations, y, hidden, output, cost, sample_weight)


def update(weights, biases, nabla_w, nabla_b, m: int, settings: Settings, velocities=None):
    """w -> (1 - eta lmbda / n) w - (eta / m) nabla_w and b -> b - (eta / m) nabla_b, in place.

    With momentum (``settings.mu`` > 0) the steps go through the velocities
    ``(v_w, v_b)``, two lists shaped like the weights and the biases::

        v -> mu v - (eta / m) nabla,   w -> (1 - eta lmbda / n) w + v_w,   b -> b + v_b

    ``m`` is the batch size, or its total weight sum_x w_x for a weighted
    gradient (a number, or one per network of a group); 0 takes no gradient step.
    """
    m = np.where(np.asarray(m) == 0, np.inf, m)  # a batch of total weight 0 has nabla = 0: no step
    decay = settings.decay()
    for l, (w, b) in enumerate(zip(weights, biases)):
        eta_m_w = _per_network(settings.eta, w) / _per_network(m, w)
        eta_m_b = _per_network(settings.eta, b) / _per_network(m, b)
        if decay is not None:
            w *= _per_network(decay, w)
        if settings.mu:
            v_w, v_b = velocities[0][l], velocities[1][l]
            v_w *= settings.mu
            v_w -= eta_m_w * nabla_w[l]
            v_b *= settings.mu
            v_b -= eta_m_b * nabla_b[l]
            w += v_w
            b += v_b
        else:
            w -= eta_m_w * nabla_w[l]
            b -= eta_m_b * nabla_b[l]


def sgd_step(weights, biases, x, y, hidden: Activation, output: Activation, cost: Cost,
             settings: Settings, velocities=None, sample_weight=None):
    """One step of gradient descent on the mini-batch (x, y), in place; returns (z^L, a^L).

    The output layer's weighted input and output are those of the forward
    pass before the step: the training loop's running record of the cost and
    the accuracy comes from them. With ``sample_weight`` (the batch's rows'
    weights, (m,) or (K, m)) the step is the weighted mean
    ``-(eta / sum_x w_x) sum_x w_x nabla C_x``.
    """
    zs, activations = feedforward(weights, biases, x, hidden, output)
    nabla_w, nabla_b = backward(weights, zs, activations, y, hidden, output, cost, sample_weight)
    m = x.shape[-2] if sample_weight is None else np.sum(sample_weight, axis=-1)
    update(weights, biases, nabla_w, nabla_b, m, settings, velocities)
    return zs[-1], activations[-1]
