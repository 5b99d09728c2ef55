"""The seed's symbols, the errors of costlab.derive, and sums and products kept for display.

Symbols are real, so that SymPy may simplify log(exp(z)) = z.
"""

from __future__ import annotations

import sympy as sp

z, a, y, w, b, x = sp.symbols("z a y w b x", real=True)
C = sp.Symbol("C")
constant = sp.Symbol("constant")
sigma = sp.Function("sigma")

#: The softmax is worked with this many classes, written out.
K_CLASSES = 3
zs = sp.symbols(f"z1:{K_CLASSES + 1}", real=True)
As = sp.symbols(f"a1:{K_CLASSES + 1}", real=True)
ys = sp.symbols(f"y1:{K_CLASSES + 1}", real=True)
ws = sp.symbols(f"w1:{K_CLASSES + 1}", real=True)
bs = sp.symbols(f"b1:{K_CLASSES + 1}", real=True)

COST_NAMES = ("quadratic", "cross-entropy", "log-likelihood")


class DeriveError(ValueError):
    """The input cannot be derived: a refused formula or a pair that makes no sense."""


class NoClosedForm(Exception):
    """The input is fine but SymPy finds no closed form (no inverse, no antiderivative)."""


def _rebuild(expr):
    """The tree parsed with ``evaluate=False``, evaluated now that it is known to be small."""
    if not expr.args:
        return expr
    return expr.func(*(_rebuild(arg) for arg in expr.args))


#: Products built for display, printed factor by factor (``x * (a - y) * a*(1 - a)``),
#: by identity: an equal product built elsewhere prints as usual.
_PRODUCTS: dict = {}


def _is_product(expr) -> bool:
    return _PRODUCTS.get(id(expr)) is expr


def _plus(*terms):
    """The sum of ``terms``, kept unevaluated and printed in this order."""
    total = sp.Add(*terms, evaluate=False)
    _PRODUCTS[id(total)] = total
    return total


def _times(*factors):
    """The product of ``factors``, kept unevaluated and printed factor by factor."""
    flat = []
    for f in factors:
        flat.extend(f.args if isinstance(f, sp.Mul) and _is_product(f) else [f])
    product = sp.Mul(*flat, evaluate=False)
    _PRODUCTS[id(product)] = product
    return product
