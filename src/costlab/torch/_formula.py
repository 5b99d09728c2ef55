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

import math
from functools import lru_cache

import sympy as sp
import torch

from costlab.derive.numeric import PRIME_IN_A, delta_expr, log_factor
from costlab.derive.parse import parse_cost
from costlab.derive.render import _text
from costlab.derive.symbols import DeriveError, a, y

__all__ = ["TORCH_UNARY", "formula_functions", "softplus", "to_torch"]


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


def to_torch(expr: sp.Expr, variables: tuple, *, logits=None):
    """A function ``f(*tensors)`` computing ``expr`` of ``variables`` elementwise, built from its tree.

    With ``logits`` (the SymPy symbol of the output a of a sigmoid), ``f``
    takes the logits z as one more tensor after ``variables``, and computes
    ``ln a = -softplus(-z)`` and ``ln(1 - a) = -softplus(z)`` from it.
    DeriveError for a node outside the table.
    """
    index = {v: i for i, v in enumerate(variables)}
    n = len(variables)

    def build(node):
        if node in index:
            i = index[node]
            return lambda args: args[i]
        if node.is_number:
            value = complex(sp.N(node, 17))
            if value.imag or not math.isfinite(value.real):
                raise DeriveError(f"the constant {_text(node)} is not a finite real number")
            c = value.real
            return lambda args: c
        if logits is not None and node.func == sp.log:
            if node.args[0] == logits:
                return lambda args: -softplus(-args[n])
            if node.args[0] == 1 - logits:
                return lambda args: -softplus(args[n])
        product = log_factor(node)
        if product is not None:  # u ln v, with 0 ln 0 = 0 as in the NumPy code
            u, log_v = build(product[0]), build(sp.log(product[1], evaluate=False))

            def xlogy(args):
                uu = _tensor(u(args), args[0])
                out = uu * log_v(args)
                return torch.where(uu == 0, torch.zeros_like(out), out)
            return xlogy
        kids = [build(arg) for arg in node.args]
        if isinstance(node, sp.Add):
            def add(args):
                total = kids[0](args)
                for k in kids[1:]:
                    total = total + k(args)
                return total
            return add
        if isinstance(node, sp.Mul):
            def mul(args):
                total = kids[0](args)
                for k in kids[1:]:
                    total = total * k(args)
                return total
            return mul
        if isinstance(node, sp.Pow):
            base, e = kids
            if node.exp == sp.Rational(1, 2):
                return lambda args: torch.sqrt(base(args))
            if node.exp == -1:
                return lambda args: 1.0 / base(args)
            if node.exp == 2:
                return lambda args: base(args) * base(args)
            return lambda args: torch.pow(_tensor(base(args), args[0]), e(args))
        if isinstance(node, (sp.Max, sp.Min)):
            pick = torch.maximum if isinstance(node, sp.Max) else torch.minimum

            def extreme(args):
                out = _tensor(kids[0](args), args[0])
                for k in kids[1:]:
                    out = pick(out, _tensor(k(args), args[0]))
                return out
            return extreme
        if isinstance(node, sp.Heaviside):
            def heaviside(args):
                u = _tensor(kids[0](args), args[0])
                return torch.heaviside(u, torch.full_like(u, 0.5))
            return heaviside
        if node.func in TORCH_UNARY and len(kids) == 1:
            f, (k,) = TORCH_UNARY[node.func], kids
            return lambda args: f(_tensor(k(args), args[0]))
        raise DeriveError(f"cannot compute {_text(node)} with PyTorch ({type(node).__name__})")

    f = build(sp.sympify(expr))

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
