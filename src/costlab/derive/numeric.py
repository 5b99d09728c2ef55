"""Cost formulas as numbers: C(a, y) typed by a user, differentiated by SymPy, computed by NumPy.

``cost_formula("(a - y)**4/4")`` parses the text with the allow-list parser
(:func:`costlab.derive.parse.parse_cost`), takes dC/da with SymPy (all of it
under the budget of :mod:`costlab.derive.budget`) and, for the
elementwise output activations whose derivative is a function of their output
(sigmoid: sigma'(z) = a (1 - a); tanh: 1 - a^2; identity: 1), simplifies
dC/dz = dC/da * sigma'(z) symbolically, so that the cross-entropy typed by
hand gives exactly ``a - y`` and trains exactly like the built-in. For other
outputs (relu, softmax) the numeric engine applies the activation's
derivative to dC/da.

The expressions become NumPy code by walking their SymPy tree (:func:`to_numpy`):
each node is mapped, through a fixed table, to a NumPy function of its
children. No text is evaluated, and nothing is looked up by a name taken from
the formula (no ``eval``, ``exec`` or ``lambdify``).

Products with a logarithm follow the convention of information theory,
0 ln 0 = 0: ``u * ln(v)`` is 0 wherever u is 0, whatever v (as
``scipy.special.xlogy``), in the cost and in its derivative alike, so that the
entropy and the KL divergence typed as formulas,
``y*ln(y/a) + (1-y)*ln((1-y)/(1-a))``, are defined at y = 0 and y = 1.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import scipy.special
import sympy as sp

from costlab.costs import COSTS, Cost
from costlab.derive.budget import decode
from costlab.derive.calculus import PRIME_IN_A, delta_expr  # noqa: F401 - part of this module's interface
from costlab.derive.parse import compiled_cost
from costlab.derive.render import _text
from costlab.derive.symbols import DeriveError, a, y

__all__ = ["NUMPY", "Ops", "cost_formula", "delta_expr", "log_factor", "to_numpy", "walk"]


#: SymPy functions of one argument and the NumPy (or SciPy) ufunc that computes each.
_UNARY = {
    sp.exp: np.exp, sp.log: np.log, sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan,
    sp.atan: np.arctan, sp.sinh: np.sinh, sp.cosh: np.cosh, sp.tanh: np.tanh, sp.asinh: np.arcsinh,
    sp.erf: scipy.special.erf, sp.Abs: np.abs, sp.sign: np.sign, sp.sec: lambda u: 1 / np.cos(u),
    sp.csc: lambda u: 1 / np.sin(u), sp.cot: lambda u: 1 / np.tan(u),
    sp.sech: lambda u: 1 / np.cosh(u), sp.csch: lambda u: 1 / np.sinh(u), sp.coth: lambda u: 1 / np.tanh(u),
}


def log_factor(node):
    """(u, v) when ``node`` is a product u * ln(v) with one logarithm among its factors, else None.

    Such a product is 0 where u is 0 (0 ln 0 = 0, and 0 ln v = 0 for any v).
    """
    if not isinstance(node, sp.Mul):
        return None
    logs = [f for f in node.args if isinstance(f, sp.log)]
    if len(logs) != 1:
        return None
    rest = [f for f in node.args if f is not logs[0]]
    return sp.Mul(*rest), logs[0].args[0]


@dataclass(frozen=True)
class Ops:
    """The functions of one array library that a formula's tree is computed with (NumPy here; torch in costlab.torch).

    ``lift(v, like)`` turns a plain number into an array shaped as ``like``
    where the library's function needs an array; ``xlogy(u, ln_v)`` is u ln v,
    0 wherever u is 0.
    """

    unary: dict
    sqrt: Callable
    power: Callable
    maximum: Callable
    minimum: Callable
    heaviside: Callable
    xlogy: Callable
    lift: Callable = staticmethod(lambda v, like: v)


def _xlogy(u, ln_v):
    """u ln v, and 0 wherever u is 0 (even where ln v is infinite or NaN)."""
    u = np.asarray(u, dtype=float) if np.ndim(u) == 0 else u
    return np.where(u == 0, 0.0, u * ln_v)


NUMPY = Ops(unary=_UNARY, sqrt=np.sqrt, power=np.power, maximum=np.maximum, minimum=np.minimum,
            heaviside=lambda u: np.heaviside(u, 0.5), xlogy=_xlogy)


def walk(expr: sp.Expr, variables: tuple, ops: Ops, special: Callable | None = None):
    """A function ``f(args)`` computing ``expr`` of ``variables`` (``args[i]`` for ``variables[i]``) with ``ops``.

    Each node of the tree is mapped, through the fixed table of ``ops``, to a
    function of its children's values; ``special(node)``, when given, may
    return a function of ``args`` for a node it computes its own way (or None).
    Raises DeriveError for a node outside the table (the formulas the parser
    accepts, and their derivatives, stay inside it).
    """
    index = {v: i for i, v in enumerate(variables)}

    def build(node):
        if node in index:
            i = index[node]
            return lambda args: args[i]
        if node.is_number:
            value = complex(sp.N(node, 17))
            if value.imag or not np.isfinite(value.real):
                raise DeriveError(f"the constant {_text(node)} is not a finite real number")
            c = value.real
            return lambda args: c
        own = special(node) if special is not None else None
        if own is not None:
            return own
        product = log_factor(node)
        if product is not None:  # u ln v, with 0 ln 0 = 0
            u, ln_v = build(product[0]), build(sp.log(product[1], evaluate=False))
            return lambda args: ops.xlogy(ops.lift(u(args), args[0]), ln_v(args))
        kids = [build(arg) for arg in node.args]
        if isinstance(node, (sp.Add, sp.Mul)):
            return _fold(kids, operator.add if isinstance(node, sp.Add) else operator.mul)
        if isinstance(node, sp.Pow):
            return _power(node.exp, *kids, ops)
        if isinstance(node, (sp.Max, sp.Min)):
            pick = ops.maximum if isinstance(node, sp.Max) else ops.minimum
            return _fold([lambda args, k=k: ops.lift(k(args), args[0]) for k in kids], pick)
        if isinstance(node, sp.Heaviside):
            return lambda args: ops.heaviside(ops.lift(kids[0](args), args[0]))
        if node.func in ops.unary and len(kids) == 1:
            f, (k,) = ops.unary[node.func], kids
            return lambda args: f(ops.lift(k(args), args[0]))
        raise DeriveError(f"cannot compute {_text(node)} numerically ({type(node).__name__})")

    return build(sp.sympify(expr))


def _fold(kids, op):
    """op(...op(op(k0, k1), k2)..., kn) of the children's values."""
    def fold(args):
        total = kids[0](args)
        for k in kids[1:]:
            total = op(total, k(args))
        return total
    return fold


def _power(exponent, base, e, ops):
    """base ** e, with the square root, the reciprocal and the square written out."""
    if exponent == sp.Rational(1, 2):
        return lambda args: ops.sqrt(base(args))
    if exponent == -1:
        return lambda args: 1.0 / base(args)
    if exponent == 2:
        return lambda args: base(args) * base(args)
    return lambda args: ops.power(ops.lift(base(args), args[0]), e(args))


def to_numpy(expr: sp.Expr, variables: tuple):
    """A function ``f(*arrays)`` computing ``expr`` of ``variables`` elementwise, built from its tree (:func:`walk`).

    Raises DeriveError for a node outside the table.
    """
    f = walk(expr, variables, NUMPY)

    def compute(*arrays):
        with np.errstate(all="ignore"):  # a non-finite value is caught by the training loop
            out = f(arrays)
        dtype = np.result_type(*arrays, np.float32)
        shape = np.broadcast_shapes(*(np.shape(x) for x in arrays))
        out = np.asarray(out, dtype=dtype)
        return out if out.shape == shape else np.broadcast_to(out, shape).copy()

    return compute


@lru_cache(maxsize=128)
def cost_formula(text: str) -> Cost:
    """The Cost of the formula ``text`` in a and y (one output neuron; summed over the outputs).

    Its ``name`` is the formula as typed (stripped), which saved models store
    and read back through the same parser. Any output activation is allowed
    (sigmoid first, the default); dC/dz is simplified symbolically for
    sigmoid, tanh and identity outputs. The parse, the checks and every
    derivative are computed at once, under the budget of
    :mod:`costlab.derive.budget` (a refusal is a DeriveError); training then
    runs no SymPy.
    """
    text = text.strip()
    trees = compiled_cost(text)
    C = decode(trees["C"])
    value = to_numpy(C, (a, y))
    deltas = {None if key == "None" else key: to_numpy(decode(tree), (a, y)) for key, tree in trees["deltas"].items()}

    def fn(z, a_, y_):
        return np.sum(value(a_, y_), axis=-1)

    def delta(z, a_, y_, activation):
        name = getattr(activation, "name", None)
        key = name if name in PRIME_IN_A else None
        d = deltas[key](a_, y_)
        return d if key is not None else activation.backward(a_, d)

    activations = COSTS["quadratic"].activations
    return Cost(text, fn, delta, activations, f"C = 1/n sum_x sum_j {_text(C)}")
