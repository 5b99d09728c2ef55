"""What the numerical core calls without importing it: the compiler of cost formulas, the model files.

``costlab.costs`` reads a cost spec's name and parameters itself, but a formula
in ``a`` and ``y`` (``Network([1, 1], cost="(a - y)**4/4")``) needs SymPy: its
allow-list parser, its derivative, and the walk of its tree into NumPy code,
all in ``costlab.derive``. The core must not import that layer (not even
inside a function), so the compiler is registered here from outside:
``costlab/__init__.py`` registers a function that imports ``costlab.derive``
only when a formula is first resolved. In the same way ``Network.save`` and
``Network.load`` reach the saving layer (``costlab.saving``, which imports the
network) through the functions registered here. This module imports nothing,
so ``import costlab`` stays fast.
"""

from __future__ import annotations

__all__ = ["compile_cost_formula", "load_model", "register_cost_formula_compiler", "register_model_files",
           "save_model"]

_cost_formula_compiler = None
_model_files = None


def register_cost_formula_compiler(compiler) -> None:
    """Make ``compiler(text) -> Cost`` the function that turns cost formulas into costs."""
    global _cost_formula_compiler
    _cost_formula_compiler = compiler


def compile_cost_formula(text: str):
    """The Cost of the formula ``text`` in a and y; ValueError when it is refused."""
    if _cost_formula_compiler is None:
        raise ValueError(f"cost formulas need costlab.derive, which is not registered (cost {text!r})")
    return _cost_formula_compiler(text)


def register_model_files(save, load) -> None:
    """Make ``save(net, path, training)`` and ``load(path) -> Network`` the functions that write and read models."""
    global _model_files
    _model_files = (save, load)


def save_model(net, path, training=None) -> None:
    """Write ``net`` to ``path`` with the registered saving layer."""
    if _model_files is None:
        raise ValueError("saving a network needs costlab.saving, which is not registered")
    _model_files[0](net, path, training)


def load_model(path):
    """Read a network from ``path`` with the registered saving layer."""
    if _model_files is None:
        raise ValueError("loading a network needs costlab.saving, which is not registered")
    return _model_files[1](path)
