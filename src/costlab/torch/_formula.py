"""Cost formulas as PyTorch operations: the SymPy tree of C(a, y) and of dC/dz walked into torch functions.

The same formula, parsed by the same allow-list parser and differentiated by
the same :func:`costlab.derive.numeric.delta_expr` as the NumPy path
(:func:`costlab.derive.numeric.to_numpy`), becomes torch code the same way: each
node of the tree is mapped, through a fixed table, to a torch function of its
children. No text is evaluated and nothing is looked up by a name taken from
the formula.

One thing differs from the NumPy walk, for the value only: with a sigmoid
output, ``ln a`` and ``ln(1 - a)`` are computed from the logits
(``-softplus(-z)`` and ``-softplus(z)``), so a formula such as the
cross-entropy typed by hand stays finite where ``a`` rounds to 0 or 1.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
import torch

from costlab.derive.numeric import PRIME_IN_A, Ops, delta_expr, walk
from costlab.derive.parse import parse_cost
from costlab.derive.symbols import a, y

__all__ = ["TORCH", "TORCH_UNARY", "formula_functions", "softplus", "to_torch"]


def softplus(z):
    """softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|), exact for every finite z (as costlab.costs.softplus)."""
    return torch.clamp_min(z, 0.0) + torch.log1p(torch.exp(-torch.abs(z)))


#: SymPy functions of one argument and the torch function that computes each (numeric.py's table, in torch).
TORCH_UNARY = {
    sp.exp: torch.exp, sp.log: torch.log, sp.sin: torch.sin, sp.cos: torch.cos, sp.tan: torch.tan,
    sp.atan: torch.atan, sp.sinh: torch.sinh, sp.cosh: torch.cosh, sp.tanh: torch.tanh, sp.asinh: torch.asinh,
    sp.erf: torch.special.erf, sp.Abs: torch.abs, sp.sign: torch.sign, sp.sec: lambda u: 1 / torch.cos(u),
    sp.csc: lambda u: 1 / torch.sin(u), sp.cot: lambda u: 1 / torch.tan(u),
    sp.sech: lambda u: 1 / torch.cosh(u), sp.csch: lambda u: 1 / torch.sinh(u),
    sp.coth: lambda u: 1 / torch.tanh(u),
}


def _tensor(v, like):
    return v if isinstance(v, torch.Tensor) else torch.full_like(like, v)


def _xlogy(u, ln_v):
    """u ln v, and 0 wherever u is 0 (even where ln v is infinite or NaN)."""
    out = u * ln_v
    return torch.where(u == 0, torch.zeros_like(out), out)


#: The torch functions a formula's tree is computed with.
TORCH = Ops(unary=TORCH_UNARY, sqrt=torch.sqrt, power=torch.pow, maximum=torch.maximum, minimum=torch.minimum,
            heaviside=lambda u: torch.heaviside(u, torch.full_like(u, 0.5)), xlogy=_xlogy, lift=_tensor)


def to_torch(expr: sp.Expr, variables: tuple, *, logits=None):
    """A function ``f(*tensors)`` computing ``expr`` of ``variables`` elementwise, built from its tree.

    The walk is NumPy's (:func:`costlab.derive.numeric.walk`) with torch's
    functions. With ``logits`` (the SymPy symbol of the output a of a
    sigmoid), ``f`` takes the logits z as one more tensor after ``variables``,
    and computes ``ln a = -softplus(-z)`` and ``ln(1 - a) = -softplus(z)``
    from it. DeriveError for a node outside the table.
    """
    n = len(variables)

    def from_logits(node):
        if logits is not None and node.func == sp.log:
            if node.args[0] == logits:
                return lambda args: -softplus(-args[n])
            if node.args[0] == 1 - logits:
                return lambda args: -softplus(args[n])
        return None

    f = walk(expr, variables, TORCH, from_logits)

    def compute(*tensors):
        out = f(tensors)
        like = tensors[0]
        return out.expand_as(like) if isinstance(out, torch.Tensor) else torch.full_like(like, out)

    return compute


@lru_cache(maxsize=128)
def formula_functions(text: str, activation: str):
    """(value(a, y, z), dC/dz or dC/da (a, y)) of the cost formula ``text`` for an output ``activation``.

    The second is dC/dz when ``activation`` is one of PRIME_IN_A (sigmoid,
    tanh, identity: simplified symbolically, as the NumPy path does), else
    dC/da, to which the caller applies the activation's derivative.
    """
    C = parse_cost(text.strip())
    value = to_torch(C, (a, y), logits=a if activation == "sigmoid" else None)
    key = activation if activation in PRIME_IN_A else None
    delta = to_torch(delta_expr(C, key), (a, y))
    return value, delta, key is not None
