"""costlab's costs as a PyTorch loss: the value from the logits z, the gradient costlab's dC/dz.

Every cost spec costlab accepts (:func:`costlab.costs.get_cost`) is computed
here with torch operations written as the NumPy costs of
:mod:`costlab.costs` are: the same stable forms from the logits (softplus,
log1p of the softmax's sum without its largest term, sigma(-z) for 1 - a), and
the same output errors ``delta = dC/dz``, which :class:`_CostFunction` hands to
autograd as the gradient. Formulas in a and y are walked from their SymPy tree
(:mod:`costlab.torch._formula`). Nothing here leaves the tensors' device.
"""

from __future__ import annotations

import math
from functools import partial

import torch

from costlab import costs
from costlab.costs import UNIT_TARGETS, Cost, get_cost
from costlab.torch._formula import formula_functions, softplus

__all__ = ["Loss", "REDUCTIONS", "TorchCost", "torch_cost"]

#: What ``reduction`` may be, as in PyTorch's losses.
REDUCTIONS = ("none", "mean", "sum")


# --------------------------------------------------------------------------- #
# Activations: a = sigma(z) and dC/dz = sigma'(z) * dC/da, as costlab.activations computes them
# --------------------------------------------------------------------------- #

def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z): 0 at z = -inf (e^-z = inf), never NaN."""
    return 1.0 / (1.0 + torch.exp(-z))


def softmax(z):
    """a_j = e^{z_j - max z} / sum_k e^{z_k - max z}, over the last axis."""
    e = torch.exp(z - z.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda a, g: g * (a * (1.0 - a))),
    "tanh": (torch.tanh, lambda a, g: g * (1.0 - a * a)),
    "identity": (lambda z: z, lambda a, g: g),
    "relu": (torch.relu, lambda a, g: g * (a > 0).to(a.dtype)),
    "softmax": (softmax, lambda a, g: a * (g - torch.sum(a * g, dim=-1, keepdim=True))),
}


# --------------------------------------------------------------------------- #
# The costs: per-sample value C_x (n,) and delta = dC_x/dz (n, k), from z, a and the targets y
# --------------------------------------------------------------------------- #

def _smooth(y, eps, K):
    return y if not eps else y * (1.0 - eps) + eps / K


def quadratic(z, a, y):
    """C_x = 1/2 ||y - a||^2."""
    d = a - y
    return 0.5 * torch.sum(d * d, dim=-1)


def cross_entropy(z, a, y):
    """C_x = sum_j [y_j max(-z_j, 0) + (1 - y_j) max(z_j, 0) + ln(1 + e^-|z_j|)]."""
    return torch.sum(y * torch.clamp_min(-z, 0.0) + (1.0 - y) * torch.clamp_min(z, 0.0)
                     + torch.log1p(torch.exp(-torch.abs(z))), dim=-1)


def cross_entropy_delta(z, a, y):
    """delta = a - y: sigma'(z) cancels."""
    return a - y


def kl(z, a, y):
    """C_x = sum_j [y_j ln(y_j / a_j) + (1 - y_j) ln((1 - y_j) / (1 - a_j))]: the cross-entropy minus H(y).

    With 0 ln 0 = 0 (``torch.xlogy``); its delta is the cross-entropy's, a - y.
    """
    return cross_entropy(z, a, y) + torch.sum(torch.xlogy(y, y) + torch.xlogy(1.0 - y, 1.0 - y), dim=-1)


def cross_entropy_weighted(z, a, y, *, pos_weight=1.0, smoothing=0.0):
    """C_x = sum_j [p y_j softplus(-z_j) + (1 - y_j) softplus(z_j)], y -> y (1 - eps) + eps/2."""
    y = _smooth(y, smoothing, 2)
    return torch.sum(pos_weight * y * softplus(-z) + (1.0 - y) * softplus(z), dim=-1)


def cross_entropy_weighted_delta(z, a, y, *, pos_weight=1.0, smoothing=0.0):
    """delta = a (p y + 1 - y) - p y (a - y for p = 1)."""
    y = _smooth(y, smoothing, 2)
    if pos_weight == 1.0:
        return a - y
    return a * (pos_weight * y + 1.0 - y) - pos_weight * y


def _focal_parts(z, y):
    ce = y * softplus(-z) + (1.0 - y) * softplus(z)
    q = y * sigmoid(-z) + (1.0 - y) * sigmoid(z)
    return ce, q


def focal(z, a, y, *, gamma=2.0, alpha=None):
    """FL_x = sum_j alpha_t q^gamma CE_j, q = 1 - p_t = y sigma(-z) + (1 - y) sigma(z)."""
    ce, q = _focal_parts(z, y)
    c = ce * q ** gamma
    if alpha is not None:
        c = c * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return torch.sum(c, dim=-1)


def focal_delta(z, a, y, *, gamma=2.0, alpha=None):
    """delta = alpha_t [(a - y) q^gamma + gamma CE q^(gamma - 1) dq/dz], dq/dz = (1 - 2y) a (1 - a); 0 where q = 0."""
    ce, q = _focal_parts(z, y)
    d = (a - y) * q ** gamma
    if gamma:
        dq = (1.0 - 2.0 * y) * (sigmoid(z) * sigmoid(-z))
        qg = torch.where(q > 0, torch.pow(torch.where(q > 0, q, 1.0), gamma - 1.0), 0.0)
        d = d + gamma * ce * qg * dq
    if alpha is not None:
        d = d * (alpha * y + (1.0 - alpha) * (1.0 - y))
    return d


def _shifted(z):
    """(s, ln sum_k e^{s_k}) with s = z - max z: log1p of the sum without its largest term (exactly 1)."""
    s = z - z.amax(dim=-1, keepdim=True)
    e = torch.exp(s)
    top = torch.argmax(z, dim=-1, keepdim=True)
    e = e.scatter(-1, top, 0.0)
    return s, torch.log1p(e.sum(dim=-1, keepdim=True))


def log_likelihood(z, a, y):
    """C_x = (sum_j y_j) ln sum_k e^{s_k} - sum_j y_j s_j (for one-hot y: -ln a_y)."""
    s, lse = _shifted(z)
    return torch.sum(y, dim=-1) * lse[..., 0] - torch.sum(y * s, dim=-1)


def log_likelihood_delta(z, a, y):
    """delta = a sum_j y_j - y."""
    return a * torch.sum(y, dim=-1, keepdim=True) - y


def _weighted_targets(y, class_weight, smoothing):
    u = _smooth(y, smoothing, y.shape[-1])
    if class_weight is not None:
        u = u * torch.as_tensor(class_weight, dtype=y.dtype, device=y.device)
    return u


def focal_softmax(z, a, y, *, gamma=0.0, class_weight=None, smoothing=0.0):
    """C_x = -sum_j w_j y_j (1 - a_j)^gamma ln a_j, a = softmax(z), y -> y (1 - eps) + eps/K."""
    u = _weighted_targets(y, class_weight, smoothing)
    s, lse = _shifted(z)
    L = lse - s
    if gamma:
        return torch.sum(u * (-torch.expm1(-L)) ** gamma * L, dim=-1)
    return torch.sum(u * L, dim=-1)


def focal_softmax_delta(z, a, y, *, gamma=0.0, class_weight=None, smoothing=0.0):
    """delta_k = a_k sum_j u_j - u_k, u_j = w_j y_j [(1 - a_j)^gamma + gamma a_j (-ln a_j) (1 - a_j)^(gamma - 1)]."""
    u = _weighted_targets(y, class_weight, smoothing)
    if gamma:
        s, lse = _shifted(z)
        L = lse - s
        om = -torch.expm1(-L)
        omg = torch.where(om > 0, torch.pow(torch.where(om > 0, om, 1.0), gamma - 1.0), 0.0)
        u = u * (om ** gamma + gamma * a * L * omg)
    return a * torch.sum(u, dim=-1, keepdim=True) - u


class TorchCost:
    """A cost in torch: ``value(z, y)`` per sample (n,) and ``delta(z, y)`` = dC_x/dz (n, k), for one output activation.

    Built by :func:`torch_cost` from a :class:`costlab.costs.Cost`; ``name``
    is its canonical spec.
    """

    def __init__(self, name, activation, fn, delta):
        self.name = name
        self.activation = activation
        self._sigma, self._backward = ACTIVATIONS[activation]
        self._fn = fn
        self._delta = delta

    def output(self, z):
        """a = sigma(z)."""
        return self._sigma(z)

    def value(self, z, y, a=None):
        return self._fn(z, self._sigma(z) if a is None else a, y)

    def delta(self, z, y, a=None):
        return self._delta(z, self._sigma(z) if a is None else a, y)


def _formula_cost(cost: Cost, activation: str) -> TorchCost:
    value, dexpr, is_dz = formula_functions(cost.name, activation)
    backward = ACTIVATIONS[activation][1]

    def fn(z, a, y):
        return torch.sum(value(a, y, z) if activation == "sigmoid" else value(a, y), dim=-1)

    def delta(z, a, y):
        d = dexpr(a, y)
        return d if is_dz else backward(a, d)

    return TorchCost(cost.name, activation, fn, delta)


def torch_cost(spec, activation: str | None = None, *, y_train=None) -> TorchCost:
    """The cost ``spec`` in torch, for the output ``activation`` (the cost's own by default).

    ``y_train`` (targets (n, k) or class labels) is needed by
    ``class_weight=balanced``, whose weights are counted on the training
    targets (scikit-learn's n / (K n_k)). ValueError, one line, for a bad spec
    or an activation the cost does not take.
    """
    cost = get_cost(spec)
    activation = cost.default_activation if activation is None else activation
    if activation not in cost.activations:
        raise ValueError(f"the {cost.name} cost does not fit a {activation} output "
                         f"(it takes: {', '.join(cost.activations)})")
    if cost.prepare is not None:
        if y_train is None:
            raise ValueError(f"the {cost.name} cost counts its class weights on the training targets: "
                             "pass them as y_train=")
        Y = torch.as_tensor(y_train)
        if Y.ndim == 1:
            Y = torch.nn.functional.one_hot(Y.long())
        cost = cost.prepare(Y.detach().cpu().double().numpy())
    numpy_fn = getattr(cost.fn, "func", cost.fn)            # a registered cost, or its partial with parameters
    if numpy_fn not in TWINS:
        if costs.parse_spec(cost.name) is not None:   # a registered cost written in NumPy only
            raise ValueError(f"the {cost.name} cost has no PyTorch form in costlab.torch; "
                             "write it as a formula in a and y")
        return _formula_cost(cost, activation)
    fn, delta = TWINS[numpy_fn]
    keywords = getattr(cost.fn, "keywords", None) or {}
    if delta is None:   # the quadratic cost: dC/da = a - y through the output activation
        backward = ACTIVATIONS[activation][1]
        return TorchCost(cost.name, activation, fn, lambda z, a, y: backward(a, a - y))
    return TorchCost(cost.name, activation, partial(fn, **keywords), partial(delta, **keywords))


#: Each cost function of costlab.costs and its torch twin here: (value, delta); the quadratic
#: cost's delta is its activation's derivative applied to a - y.
TWINS = {
    costs.quadratic: (quadratic, None),
    costs.cross_entropy: (cross_entropy, cross_entropy_delta),
    costs.kl: (kl, cross_entropy_delta),
    costs.cross_entropy_weighted: (cross_entropy_weighted, cross_entropy_weighted_delta),
    costs.focal: (focal, focal_delta),
    costs.log_likelihood: (log_likelihood, log_likelihood_delta),
    costs.focal_softmax: (focal_softmax, focal_softmax_delta),
}


class _CostFunction(torch.autograd.Function):
    """C_x of every sample from the logits, with costlab's delta = dC_x/dz as its gradient."""

    @staticmethod
    def forward(ctx, z, y, cost):
        a = cost.output(z)
        ctx.save_for_backward(z, a, y)
        ctx.cost = cost
        return cost.value(z, y, a)

    @staticmethod
    def backward(ctx, grad):
        z, a, y = ctx.saved_tensors
        dz = None
        if ctx.needs_input_grad[0]:
            dz = grad.unsqueeze(-1) * ctx.cost.delta(z, y, a)
        return dz, None, None


# --------------------------------------------------------------------------- #
# The module
# --------------------------------------------------------------------------- #

class Loss(torch.nn.Module):
    r"""C = 1/n sum_x C_x(z_x, y_x): a costlab cost of the logits z as a PyTorch loss.

    Parameters
    ----------
    spec : str
        A cost spec as costlab reads it: ``"quadratic"``, ``"cross-entropy"``,
        ``"cross-entropy(pos_weight=3, smoothing=0.1)"``,
        ``"log-likelihood(class_weight=[1, 2, 1], smoothing=0.1)"``,
        ``"focal(gamma=2, alpha=0.25)"``, or a formula in ``a`` and ``y``
        such as ``"(a - y)**4/4"``. A bad spec raises the same one-line
        ValueError as the command line's ``--cost``.
    reduction : {"none", "mean", "sum"}
        ``"none"``: the cost of each sample, shape (n,); ``"mean"``: their
        mean (with ``sample_weight``, sum_x w_x C_x / sum_x w_x); ``"sum"``:
        their sum (sum_x w_x C_x).
    activation : str, optional
        The output activation a = sigma(z) that the cost reads: the cost's own
        by default (sigmoid; softmax for log-likelihood). The quadratic cost
        and formulas also take tanh, identity, relu and softmax.
    y_train : tensor, optional
        The training targets, for ``class_weight=balanced``.

    Notes
    -----
    Shapes: ``z``, (n, k) logits (or (n,) for one output). ``target``: class
    indices (n,) of an integer dtype, turned into one-hot rows; or float
    targets of the shape of ``z``: one-hot, soft (label probabilities) or
    multi-label (several ones per row, for the sigmoid costs).
    ``sample_weight``: (n,), >= 0.

    C_x sums over the k outputs, as costlab's costs do (the blog post's
    ``C = 1/(2n) sum_x ||y(x) - a(x)||^2`` for the quadratic cost), so
    ``reduction="mean"`` is PyTorch's ``reduction="sum"`` divided by n, not
    PyTorch's mean over all n k elements. The value is computed from z by the
    stable forms of :mod:`costlab.costs` (no log of a rounded probability);
    the gradient is the cost's output error ``delta = dC/dz`` written in
    closed form (for the cross-entropy ``a - y``: sigma'(z) cancels), not
    autograd's derivative of the value. Targets get no gradient.
    """

    def __init__(self, spec: str = "cross-entropy", reduction: str = "mean", *, activation: str | None = None,
                 y_train=None):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self.cost = torch_cost(spec, activation, y_train=y_train)
        self.spec = self.cost.name
        self.activation = self.cost.activation
        self.reduction = reduction
        self._unit = self.spec.partition("(")[0] in UNIT_TARGETS
        self._softmax_cost = self.spec.partition("(")[0] == "log-likelihood"

    def extra_repr(self) -> str:
        return f"spec={self.spec!r}, activation={self.activation!r}, reduction={self.reduction!r}"

    def targets(self, z, target, *, check: bool = True):
        """The targets as floats of the shape of ``z`` (one-hot rows for class indices); ValueError if unsuited.

        With ``check=False`` only the shapes are checked, not the values (for
        targets already read once).
        """
        if not isinstance(z, torch.Tensor) or not z.is_floating_point():
            raise ValueError(f"z must be a floating-point tensor of logits (n, k), got "
                             f"{getattr(z, 'dtype', type(z).__name__)}")
        if z.ndim not in (1, 2) or z.shape[0] == 0:
            raise ValueError(f"z must have shape (n, k) or (n,) with n >= 1, got {tuple(z.shape)}")
        n = z.shape[0]
        k = z.shape[1] if z.ndim == 2 else 1
        if not isinstance(target, torch.Tensor):
            target = torch.as_tensor(target, device=z.device)
        want = f"({n},) class indices in 0..{max(k - 1, 1)} or float targets of shape {tuple(z.shape)}"
        if target.device != z.device:
            raise ValueError(f"target is on {target.device} and z on {z.device}; move them to one device")
        if target.dtype == torch.bool:
            target = target.to(z.dtype)
        if not target.is_floating_point():
            if target.is_complex() or target.shape != (n,):
                raise ValueError(f"target must be {want}, got {tuple(target.shape)} of {target.dtype}")
            top = max(k - 1, 1)
            if check:
                lo, hi = (int(v) for v in torch.aminmax(target))
                if lo < 0 or hi > top:
                    raise ValueError(f"target: class indices must lie in 0..{top} for {k} output(s); expected {want}")
            if k == 1:
                return target.to(z.dtype).reshape(z.shape)
            return torch.nn.functional.one_hot(target.long(), k).to(z.dtype)
        if target.shape != z.shape:
            raise ValueError(f"target must be {want}, got {tuple(target.shape)} of {target.dtype}")
        Y = target.to(z.dtype)
        if not check:
            return Y
        lo, hi = (float(v) for v in torch.aminmax(Y))   # NaN and infinity show in the extremes
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"target must hold finite numbers; expected {want}")
        if self._unit and (lo < 0 or hi > 1):
            raise ValueError(f"target: targets of the {self.spec} cost must lie in [0, 1] (shape {tuple(z.shape)})")
        if self._softmax_cost and Y.ndim == 2 and float(Y.sum(dim=-1).amax()) > 1 + 1e-6:
            raise ValueError(f"target: rows with several targets of 1 are multi-label, but the {self.spec} cost "
                             f"needs one class per row of shape {tuple(z.shape)}; for multi-label targets use "
                             "cross-entropy or focal")
        return Y

    def _logits(self, z, Y):
        """z and Y as (n, k), two-dimensional."""
        return (z, Y) if z.ndim == 2 else (z.unsqueeze(-1), Y.unsqueeze(-1))

    def delta(self, z, target):
        """dC_x/dz of every sample, shape of ``z``: the output error costlab's engine back-propagates (no grad)."""
        with torch.no_grad():
            Y = self.targets(z, target)
            z2, Y2 = self._logits(z.detach(), Y)
            return self.cost.delta(z2, Y2).reshape(z.shape)

    def forward(self, z, target, sample_weight=None):
        Y = self.targets(z, target)
        z2, Y2 = self._logits(z, Y)
        C = _CostFunction.apply(z2, Y2, self.cost)
        if sample_weight is None:
            if self.reduction == "mean":
                return C.mean()
            return C.sum() if self.reduction == "sum" else C
        w = torch.as_tensor(sample_weight, dtype=z.dtype, device=z.device)
        if w.shape != (z.shape[0],):
            raise ValueError(f"sample_weight must have shape ({z.shape[0]},), got {tuple(w.shape)}")
        if not bool((torch.isfinite(w) & (w >= 0)).all()):
            raise ValueError("sample_weight must hold finite numbers >= 0")
        C = C * w
        if self.reduction == "mean":
            return C.sum() / torch.clamp_min(w.sum(), torch.finfo(w.dtype).tiny)
        return C.sum() if self.reduction == "sum" else C
