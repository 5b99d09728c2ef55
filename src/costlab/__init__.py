"""costlab: understand, derive and measure neural-network cost functions.

A sigmoid neuron trained with the quadratic cost learns slowest when it is most
wrong, because every gradient carries the factor sigma'(z); the cross-entropy
cost removes that factor. costlab makes that argument runnable.

    >>> import costlab
    >>> net = costlab.Network([64, 30, 10], cost="cross-entropy", seed=0)

The public names are imported on first use, so that ``import costlab`` (and
``costlab --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module

from costlab.hooks import register_cost_formula_compiler, register_model_files

__version__ = "0.1.0"


def _compile_cost_formula(text):
    """A cost formula in a and y, as a Cost: SymPy (costlab.derive) is imported on the first one."""
    from costlab.derive.numeric import cost_formula

    return cost_formula(text)


# the numerical core resolves cost formulas through this hook, never importing costlab.derive itself
register_cost_formula_compiler(_compile_cost_formula)


def _save_model(net, path, training=None):
    """Network.save: the saving layer (costlab.saving), imported on first use."""
    from costlab.saving import save

    save(net, path, training)


def _load_model(path):
    """Network.load: the saving layer (costlab.saving), imported on first use."""
    from costlab.saving import load

    return load(path)


# Network.save and Network.load reach the saving layer through this hook: the core never imports it
register_model_files(_save_model, _load_model)

_LAZY = {
    "History": "costlab.history",
    "Comparison": "costlab.compare",
    "NeuronRun": "costlab.neuron",
    "SlowdownMap": "costlab.slowdown",
    "Network": "costlab.network",
    "NetworkGroup": "costlab.group",
    "TrainingDiverged": "costlab.training",
    "LayerWarning": "costlab.training",
    "load": "costlab.saving",
    "save": "costlab.saving",
    "load_data": "costlab.data",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'costlab' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
