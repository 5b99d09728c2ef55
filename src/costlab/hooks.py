"""What the numerical core calls without importing it: the compiler of cost formulas.

``costlab.costs`` reads a cost spec's name and parameters itself, but a formula
in ``a`` and ``y`` (``Network([1, 1], cost="(a - y)**4/4")``) needs SymPy: its
allow-list parser, its derivative, and the walk of its tree into NumPy code,
all in ``costlab.derive``. The core must not import that layer (not even
inside a function), so the compiler is registered here from outside:
``costlab/__init__.py`` registers a function that imports ``costlab.derive``
only when a formula is first resolved. This module imports nothing, so
``import costlab`` stays fast.
"""

from __future__ import annotations

__all__ = ["compile_cost_formula", "register_cost_formula_compiler"]

_cost_formula_compiler = None


def register_cost_formula_compiler(compiler) -> None:
    """Make ``compiler(text) -> Cost`` the function that turns cost formulas into costs."""
    global _cost_formula_compiler
    _cost_formula_compiler = compiler


def compile_cost_formula(text: str):
    """The Cost of the formula ``text`` in a and y; ValueError when it is refused."""
    if _cost_formula_compiler is None:
        raise ValueError(f"cost formulas need costlab.derive, which is not registered (cost {text!r})")
    return _cost_formula_compiler(text)
