"""How results draw themselves in a notebook: plots on one matplotlib axes.

The result types (:class:`costlab.History`, :class:`costlab.NeuronRun`,
:class:`costlab.SlowdownMap`, :class:`costlab.Comparison`) have a
``_repr_html_`` method, which Jupyter calls to show them as a table, and a
``.plot(ax=None)`` method, which draws them and returns the matplotlib axes.
The tables are made by the result types themselves, with the standard
library (:func:`costlab.history.html_table`); the plots are made here,
imported on first use, so that ``import costlab`` never loads matplotlib.
Figures drawn without an ``ax`` are made with ``matplotlib.pyplot``, which
notebooks display inline.

This module reads the result objects; it imports none of their modules, and
matplotlib only inside the plotting functions.
"""

from __future__ import annotations

__all__ = [
    "plot_comparison",
    "plot_history",
    "plot_map",
    "plot_neuron",
    "plot_runs",
    "plot_watch",
]

def _axes(ax, figsize=(6.4, 4.2)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# --------------------------------------------------------------------------- #
# History
# --------------------------------------------------------------------------- #

def plot_history(history, ax=None, *, measure: str = "cost"):
    """The training and test cost (``measure="cost"``) or accuracy per epoch on one axes."""
    if measure not in ("cost", "accuracy"):
        raise ValueError(f"measure must be 'cost' or 'accuracy', got {measure!r}")
    ax = _axes(ax)
    scale = 100 if measure == "accuracy" else 1
    drawn = False
    for prefix, style, name in (("train", "-", "training"), ("eval", "--", "test")):
        values = getattr(history, f"{prefix}_{measure}")
        points = [(e, v * scale) for e, v in zip(history.epoch, values) if v is not None]
        if points:
            ax.plot(*zip(*points), linestyle=style, label=name)
            drawn = True
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost C" if measure == "cost" else "accuracy (%)")
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend()
    return ax


# --------------------------------------------------------------------------- #
# The single neuron
# --------------------------------------------------------------------------- #

def plot_neuron(run, ax=None, *, measure: str = "a"):
    """The neuron's output a (``measure="a"``) or cost C against epoch."""
    return plot_runs([run], ax, measure=measure)


def plot_runs(runs, ax=None, *, measure: str = "a"):
    """Several neuron runs on one axes (colour: the start, line style: the cost), like ``costlab reproduce``.

    >>> from costlab.neuron import reproduce
    >>> ax = plot_runs(reproduce())  # doctest: +SKIP
    """
    from costlab import plots

    if measure not in ("a", "C"):
        raise ValueError(f"measure must be 'a' or 'C', got {measure!r}")
    ax = _axes(ax)
    runs = [run.to_dict() for run in runs]
    if measure == "a":
        plots.plot_output(ax, runs)
    else:
        plots.plot_cost(ax, runs)
    return ax


# --------------------------------------------------------------------------- #
# The map of the slowdown
# --------------------------------------------------------------------------- #

def plot_map(smap, ax=None, *, cost: str | None = None):
    """The first epoch at the target: over the starts (w, b) for one ``cost``, or against a0 for all."""
    from costlab import plots

    if cost is not None and cost not in smap.first_epoch:
        raise ValueError(f"the map has no cost {cost!r}; it has: {', '.join(smap.costs)}")
    ax = _axes(ax)
    if cost is None:
        plots.plot_slowdown_by_a0(ax, smap)
    else:
        image = plots.plot_slowdown_map(ax, smap, cost)
        ax.figure.colorbar(image, ax=ax, label="first epoch at the target (grey: never)")
    return ax


# --------------------------------------------------------------------------- #
# Comparisons
# --------------------------------------------------------------------------- #

def plot_comparison(comparison, ax=None, *, init: str | None = None, measure: str = "eval_accuracy"):
    """Mean and spread over seeds of the test accuracy (or ``measure="eval_cost"``) per epoch, for one init."""
    from costlab import plots

    inits = comparison.config["inits"]
    init = inits[0] if init is None else init
    if init not in inits:
        raise ValueError(f"the comparison has no init {init!r}; it has: {', '.join(inits)}")
    if measure not in ("eval_accuracy", "eval_cost"):
        raise ValueError(f"measure must be 'eval_accuracy' or 'eval_cost', got {measure!r}")
    ax = _axes(ax)
    plots.plot_comparison(ax, comparison.summary, init, measure)
    ax.legend()
    return ax


# --------------------------------------------------------------------------- #
# A PyTorch model watched by costlab.torch.watch
# --------------------------------------------------------------------------- #

_WATCH_MEASURES = {"speed": "||nabla_b|| (speed of learning)", "weight_speed": "||nabla_w|| / ||w||",
                   "saturated": "saturated units (%)", "dead": "dead units (%)"}


def plot_watch(record, ax=None, *, measure: str = "speed"):
    """One line per layer of a watched model: ``measure`` against the window (log scale for the speeds)."""
    if measure not in _WATCH_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(_WATCH_MEASURES)}, got {measure!r}")
    ax = _axes(ax)
    windows = list(range(1, len(record.windows) + 1))
    scale = 100 if measure in ("saturated", "dead") else 1
    L = len(record.layers)
    for l, layer in enumerate(record.layers):
        points = [(i, w[measure][l] * scale) for i, w in zip(windows, record.windows)
                  if l < len(w[measure]) and w[measure][l] is not None]
        if points:
            role = "output" if l == L - 1 else f"hidden {l + 1}"
            ax.plot(*zip(*points), marker="o", markersize=3, label=f"{role} (module {layer['name']})")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("window of training steps")
    ax.set_ylabel(_WATCH_MEASURES[measure])
    if measure in ("speed", "weight_speed") and any(line.get_ydata().size and min(line.get_ydata()) > 0
                                                     for line in ax.get_lines()):
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if ax.get_lines():
        ax.legend()
    return ax
