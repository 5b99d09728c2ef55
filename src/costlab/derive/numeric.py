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

from functools import lru_cache

import numpy as np
import scipy.special
import sympy as sp

from costlab.costs import COSTS, Cost
from costlab.derive.budget import decode
from costlab.derive.calculus import PRIME_IN_A, delta_expr  # noqa: F401 - part of this module's interface
from costlab.derive.parse import compiled_cost
from costlab.derive.render import _text
from costlab.derive.symbols import DeriveError, a, y

__all__ = ["cost_formula", "delta_expr", "log_factor", "to_numpy"]


#: SymPy functions of one argument and the NumPy (or SciPy) ufunc that computes each.
_UNARY = {
    sp.exp: np.exp, sp.log: np.log, sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan,
    sp.atan: np.arctan, sp.sinh: np.sinh, sp.cosh: np.cosh, sp.tanh: np.tanh, sp.asinh: np.arcsinh,
    sp.erf: scipy.special.erf, sp.Abs: np.abs, sp.sign: np.sign, sp.sec: lambda u: 1 / np.cos(u),
    sp.csc: lambda u: 1 / np.sin(u), sp.cot: lambda u: 1 / np.tan(u),
    sp.sech: lambda u: 1 / np.cosh(u), sp.csch: lambda u: 1 / np.sinh(u), sp.coth: lambda u: 1 / np.tanh(u),
}


def _heaviside(u, at_zero=0.5):
    return np.heaviside(u, at_zero)


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


def _xlogy(u, v):
    """u ln v, and 0 wherever u is 0 (even where ln v is infinite or NaN)."""
    u = np.asarray(u, dtype=float) if np.ndim(u) == 0 else u
    out = u * np.log(v)
    return np.where(u == 0, 0.0, out)


def to_numpy(expr: sp.Expr, variables: tuple):
    """A function ``f(*arrays)`` computing ``expr`` of ``variables`` elementwise, built from its tree.

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
        product = log_factor(node)
        if product is not None:  # u ln v, with 0 ln 0 = 0
            u, v = build(product[0]), build(product[1])
            return lambda args: _xlogy(u(args), v(args))
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
                return lambda args: np.sqrt(base(args))
            if node.exp == -1:
                return lambda args: 1.0 / base(args)
            if node.exp == 2:
                return lambda args: base(args) * base(args)
            return lambda args: np.power(base(args), e(args))
        if isinstance(node, (sp.Max, sp.Min)):
            pick = np.maximum if isinstance(node, sp.Max) else np.minimum

            def extreme(args):
                out = kids[0](args)
                for k in kids[1:]:
                    out = pick(out, k(args))
                return out
            return extreme
        if isinstance(node, sp.Heaviside):
            return lambda args: _heaviside(kids[0](args))
        if node.func in _UNARY and len(kids) == 1:
            f, (k,) = _UNARY[node.func], kids
            return lambda args: f(k(args))
        raise DeriveError(f"cannot compute {_text(node)} numerically ({type(node).__name__})")

    f = build(sp.sympify(expr))

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
