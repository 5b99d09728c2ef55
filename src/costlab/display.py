"""How results show themselves in a notebook: HTML summary tables and plots on one axes.

The result types (:class:`costlab.History`, :class:`costlab.NeuronRun`,
:class:`costlab.SlowdownMap`, :class:`costlab.Comparison`) have a
``_repr_html_`` method, which Jupyter calls to show them as a table, and a
``.plot(ax=None)`` method, which draws them and returns the matplotlib axes.
Both call the functions here, imported on first use, so that the numerical
core never imports matplotlib. Figures drawn without an ``ax`` are made with
``matplotlib.pyplot``, which notebooks display inline.

This module reads the result objects; it imports neither them nor the
engine, and matplotlib only inside the plotting functions.
"""

from __future__ import annotations

import html
import math

__all__ = [
    "comparison_html",
    "history_html",
    "html_table",
    "map_html",
    "neuron_html",
    "plot_comparison",
    "plot_history",
    "plot_map",
    "plot_neuron",
    "plot_runs",
]

#: Longest table shown in full; longer ones show their first and last rows.
MAX_ROWS = 12


def _fmt(v, spec: str = ".4g") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool) or isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def _pct(v) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%"


def html_table(headers, rows, caption: str = "") -> str:
    """An HTML table of ``rows`` (lists of already formatted cells), text escaped.

    Longer than MAX_ROWS rows: the first and last few, with a row of dots between.
    """
    rows = [list(r) for r in rows]
    if len(rows) > MAX_ROWS:
        half = MAX_ROWS // 2
        rows = rows[:half] + [["…"] * len(headers)] + rows[-half:]
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="costlab">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _axes(ax, figsize=(6.4, 4.2)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# --------------------------------------------------------------------------- #
# History
# --------------------------------------------------------------------------- #

_HISTORY_COLUMNS = (("train_cost", "training cost C", _fmt), ("train_accuracy", "training accuracy", _pct),
                    ("eval_cost", "test cost C", _fmt), ("eval_accuracy", "test accuracy", _pct))


def history_html(history) -> str:
    """A History as a table: cost and accuracy per epoch, with the training settings as caption."""
    columns = [(key, name, f) for key, name, f in _HISTORY_COLUMNS if any(v is not None for v in getattr(history, key))]
    rows = [[e] + [f(getattr(history, key)[i]) for key, _, f in columns] for i, e in enumerate(history.epoch)]
    settings = ", ".join(f"{k} = {_fmt(v)}" for k, v in history.config.items())
    caption = f"History: {max(len(history) - 1, 0)} epochs" + (f" ({settings})" if settings else "")
    if history.diverged is not None:
        caption += f"; diverged in epoch {history.diverged['epoch']}: {history.diverged.get('reason', '')}"
    return html_table(["epoch"] + [name for _, name, _ in columns], rows, caption)


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

def _neuron_epochs(n: int) -> list[int]:
    """Epochs shown in a neuron's table: 0, 1, 2, 5, 10, 20, 50, ..., and the last."""
    shown, step = [], 1
    while step <= n:
        shown += [e for e in (step, 2 * step, 5 * step) if e <= n]
        step *= 10
    return sorted({0, n, *shown})


def neuron_html(run) -> str:
    """A neuron run as a table of w, b, a and C at a few epochs."""
    h = run.history
    n = len(h.get("epoch", [])) - 1
    rows = [[h["epoch"][i], _fmt(h["w"][i]), _fmt(h["b"][i]), _fmt(h["a"][i]), _fmt(h["C"][i])]
            for i in _neuron_epochs(n)] if n >= 0 else []
    caption = (f"Neuron run: {run.cost} cost, eta = {run.eta:g}, x = {run.x:g}, y = {run.y:g}, "
               f"start w = {run.w0:g}, b = {run.b0:g}")
    return html_table(["epoch", "w", "b", "output a", "cost C"], rows, caption)


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

def map_html(smap) -> str:
    """A slowdown map's summary: per cost, the share of starts at the target and the slowest start."""
    rows = []
    for row in smap.summary():
        worst = row["worst_start"]
        rows.append([row["cost"], _pct(row["share_reached"]), _fmt(worst["w"]), _fmt(worst["b"]),
                     _fmt(worst["a0"], ".3f"), "never" if worst["first_epoch"] is None else worst["first_epoch"]])
    caption = (f"Slowdown map: {len(smap.w)} x {len(smap.b)} starts (w, b), x = {smap.x:g}, y = {smap.y:g}, "
               f"eta = {smap.eta:g}, {smap.epochs} epochs, target |a - y| <= {abs(smap.target - smap.y):g}")
    return html_table(["cost", "starts at the target", "slowest start w", "b", "a0", "its first epoch"],
                      rows, caption)


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

def comparison_html(comparison) -> str:
    """A comparison's summary: final and best test accuracy, and epochs to the target, per (init, cost, eta)."""
    c = comparison.config
    target = c.get("target_accuracy")
    rows = []
    for r in comparison.summary:
        rows.append([r["init"], r["cost"], _fmt(r["eta"]), r["runs"],
                     f"{_pct(r['final_accuracy_mean'])} ± {_pct(r['final_accuracy_std'])}", _pct(r["best_accuracy"]),
                     _fmt(r["epochs_to_target_mean"], ".1f"), f"{r['reached_target']}/{r['runs']}", r["diverged"]])
    caption = (f"Comparison on {c.get('data')}: sizes {c.get('sizes')}, {c.get('epochs')} epochs, "
               f"batch {c.get('batch_size')}, {len(c.get('seeds', []))} seeds")
    return html_table(["init", "cost", "eta", "runs", "final test accuracy", "best", "epochs to target",
                       f"reached {_pct(target)}" if target is not None else "reached", "diverged"], rows, caption)


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
