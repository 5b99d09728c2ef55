"""Figures of the single-neuron experiment, drawn without pyplot and never shown.

The ``plot_*`` functions draw on a given matplotlib ``ax`` from plain data:
runs are dictionaries as written by :meth:`costlab.neuron.NeuronRun.to_dict`
(the form stored in ``results.json``), so a figure can be redrawn from the
file. ``*_figure`` functions assemble figures; :func:`save_figure` writes one
atomically as PNG or SVG, chosen by the file's suffix.

Colour follows the start (w, b) and line style the cost, in every figure.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from costlab.activations import get_activation, sigmoid, sigmoid_prime
from costlab.costs import get_cost
from costlab.fileio import atomic_write

__all__ = [
    "FORMATS",
    "cost_grid_figure",
    "cost_figure",
    "gradient_figure",
    "layers_figure",
    "neuron_figure",
    "output_figure",
    "plot_cost",
    "plot_gradient",
    "plot_output",
    "plot_sigmoid",
    "plot_sigmoid_prime",
    "plot_training",
    "training_figure",
    "reproduce_figures",
    "save_figure",
    "start_label",
]

#: Suffix -> matplotlib format of the files costlab writes.
FORMATS = {".png": "png", ".svg": "svg"}
PNG_DPI = 150

_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")
_LINESTYLES = {"quadratic": "-", "cross-entropy": "--"}


def _z0(run) -> float:
    return run["w0"] * run["x"] + run["b0"]


def start_label(run) -> str:
    """'start a = 0.98 (w = 2, b = 2)': the initial output and parameters of a run."""
    a0 = float(sigmoid(_z0(run)))
    return f"start a = {a0:.2f} (w = {run['w0']:g}, b = {run['b0']:g})"


def _starts(runs) -> list[dict]:
    """One run per distinct start (w0, b0, x), in order of appearance."""
    seen = {}
    for run in runs:
        seen.setdefault((run["w0"], run["b0"], run["x"]), run)
    return list(seen.values())


def _color(run, runs) -> str:
    keys = [(r["w0"], r["b0"], r["x"]) for r in _starts(runs)]
    return _COLORS[keys.index((run["w0"], run["b0"], run["x"])) % len(_COLORS)]


def _style(run, runs) -> dict:
    return {"color": _color(run, runs), "linestyle": _LINESTYLES.get(run["cost"], ":")}


# --------------------------------------------------------------------------- #
# Drawing on one ax
# --------------------------------------------------------------------------- #

def _run_label(run, label_start: bool) -> str:
    return f"{start_label(run)}, {run['cost']}" if label_start else f"{run['cost']} cost"


def plot_cost(ax, runs, *, relative: bool = False, label_start: bool = True, legend: bool = True):
    """Cost C against epoch for each run; ``relative`` divides by C at epoch 0."""
    for run in runs:
        h = run["history"]
        C = np.asarray(h["C"], dtype=float)
        if relative:
            C = C / C[0]
        ax.plot(h["epoch"], C, label=_run_label(run, label_start), **_style(run, runs))
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost relative to epoch 0, C / C(0)" if relative else "cost C")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend()
    return ax


def plot_output(ax, runs, *, threshold: float = 0.5, label_start: bool = True, legend: bool = True):
    """Output a against epoch for each run, with the target y and a = ``threshold``."""
    for run in runs:
        h = run["history"]
        ax.plot(h["epoch"], h["a"], label=_run_label(run, label_start), **_style(run, runs))
    for y in sorted({run["y"] for run in runs}):
        ax.axhline(y, color="black", linewidth=0.8, label=f"target y = {y:g}")
    ax.axhline(threshold, color="gray", linewidth=0.8, linestyle=":", label=f"a = {threshold:g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("output a")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    if legend:
        ax.legend()
    return ax


def plot_sigmoid(ax, starts, *, z=None):
    """The sigmoid sigma(z) with each start's z0 = w x + b and its tangent of slope sigma'(z0)."""
    z = np.linspace(-6.0, 8.0, 400) if z is None else np.asarray(z)
    ax.plot(z, sigmoid(z), color="black", linewidth=1.5, label=r"$\sigma(z) = 1/(1+e^{-z})$")
    for i, run in enumerate(starts):
        z0 = _z0(run)
        a0, slope = float(sigmoid(z0)), float(sigmoid_prime(z0))
        color = _COLORS[i % len(_COLORS)]
        dz = np.array([-1.0, 1.0])
        ax.plot(z0 + dz, a0 + slope * dz, color=color, linewidth=2.5, alpha=0.8,
                label=f"tangent at {start_label(run)}")
        ax.plot([z0], [a0], "o", color=color, markersize=7)
        ax.annotate(
            f"z = {z0:g}, slope " + r"$\sigma'$" + f"({z0:g}) = {slope:.3g}",
            (z0, a0), xytext=(20, -40), textcoords="offset points",
            ha="left", color=color, fontsize=10,
            arrowprops={"arrowstyle": "-", "color": color, "linewidth": 0.8},
        )
    ax.set_xlabel("weighted input z = w x + b")
    ax.set_ylabel(r"output a = $\sigma(z)$")
    ax.set_ylim(-0.05, 1.1)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return ax


def plot_sigmoid_prime(ax, starts, *, z=None):
    """sigma'(z) = sigma(z)(1 - sigma(z)), with each start's value marked."""
    z = np.linspace(-6.0, 8.0, 400) if z is None else np.asarray(z)
    ax.plot(z, sigmoid_prime(z), color="black", linewidth=1.5,
            label=r"$\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$")
    for i, run in enumerate(starts):
        z0 = _z0(run)
        slope = float(sigmoid_prime(z0))
        color = _COLORS[i % len(_COLORS)]
        ax.vlines(z0, 0, slope, color=color, linewidth=2)
        ax.plot([z0], [slope], "o", color=color, markersize=7)
        ax.annotate(f"{slope:.3g}", (z0, slope), xytext=(6, 4), textcoords="offset points",
                    color=color, fontsize=10)
    ax.set_xlabel("weighted input z = w x + b")
    ax.set_ylabel(r"slope $\sigma'(z)$")
    ax.set_ylim(0, 0.3)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    return ax


def gradient_curves(a, y: float = 0.0) -> dict[str, np.ndarray]:
    """|dC/db| of one sigmoid neuron with output a and target y, for each seed cost.

    dC/db = dC/dz = delta, the cost's output error: (a - y) a (1 - a) for the
    quadratic cost, a - y for the cross-entropy. Computed by the costs' own
    ``delta`` functions.
    """
    a = np.asarray(a, dtype=float)
    z = np.log(a) - np.log1p(-a)  # the z with sigma(z) = a
    y = np.full_like(a, y)
    sigma = get_activation("sigmoid")
    return {
        name: np.abs(get_cost(name).delta(z, a, y, sigma))
        for name in ("quadratic", "cross-entropy")
    }


def plot_gradient(ax, starts, *, y: float = 0.0):
    """|dC/db| against the output a for both costs (log scale), each start marked."""
    a = np.linspace(0.005, 0.995, 400)
    for name, g in gradient_curves(a, y).items():
        ax.plot(a, g, color="black", linestyle=_LINESTYLES[name], linewidth=1.5,
                label={"quadratic": r"quadratic: $(a - y)\,\sigma'(z)$",
                       "cross-entropy": r"cross-entropy: $a - y$"}[name])
    for i, run in enumerate(starts):
        a0 = float(sigmoid(_z0(run)))
        color = _COLORS[i % len(_COLORS)]
        ax.axvline(a0, color=color, linewidth=0.8, linestyle=":")
        for name, g0 in gradient_curves([a0], y).items():
            g0 = float(g0[0])
            ax.plot([a0], [g0], "o", color=color, markersize=7)
            ax.annotate(f"{g0:.3g}", (a0, g0), xytext=(-6, 6 if name == "cross-entropy" else -14),
                        textcoords="offset points", ha="right", color=color, fontsize=10)
        ax.plot([], [], "o", color=color, label=start_label(run))
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 2)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"output a (target y = {y:g})")
    ax.set_ylabel(r"gradient size $|\partial C/\partial b|$")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower center")
    return ax


# --------------------------------------------------------------------------- #
# Whole figures
# --------------------------------------------------------------------------- #

def _settings(run) -> str:
    return f"x = {run['x']:g}, y = {run['y']:g}, " + r"$\eta$" + f" = {run['eta']:g}"


def neuron_figure(run) -> Figure:
    """Output a and cost C against epoch for one run of the neuron."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_a, ax_C = fig.subplots(1, 2)
    plot_output(ax_a, [run], label_start=False)
    ax_a.set_title("output a against epoch")
    plot_cost(ax_C, [run], label_start=False, legend=False)
    ax_C.set_title(f"{run['cost']} cost C against epoch")
    fig.suptitle(f"Sigmoid neuron, {run['cost']} cost, {start_label(run)}; {_settings(run)}")
    return fig


def cost_grid_figure(runs) -> Figure:
    """One panel per start (rows) and cost (columns): C against epoch, each on its own scale."""
    starts = _starts(runs)
    costs = list(dict.fromkeys(run["cost"] for run in runs))
    fig = Figure(figsize=(5.2 * len(costs), 3.6 * len(starts)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(starts), len(costs), sharex=True, squeeze=False))
    for i, start in enumerate(starts):
        for j, cost in enumerate(costs):
            ax = axes[i, j]
            chosen = [r for r in runs if r["cost"] == cost and (r["w0"], r["b0"], r["x"]) == (start["w0"], start["b0"], start["x"])]
            for run in chosen:
                h = run["history"]
                ax.plot(h["epoch"], h["C"], color=_color(run, runs),
                        linestyle=_LINESTYLES.get(cost, ":"), label=cost)
            ax.set_title(f"{start_label(start)}, {cost} cost")
            if i == len(starts) - 1:
                ax.set_xlabel("epoch")
            ax.set_ylabel("cost C")
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
    fig.suptitle(f"Cost against epoch for each start and cost ({_settings(runs[0])})")
    return fig


def cost_figure(runs) -> Figure:
    """All runs on one axes: cost relative to its starting value against epoch."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    plot_cost(ax, runs, relative=True, legend=False)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    ax.set_title(f"How fast each run learns: C / C(0) against epoch ({_settings(runs[0])})")
    return fig


def output_figure(runs) -> Figure:
    """All runs on one axes: output a against epoch."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    plot_output(ax, runs, legend=False)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    ax.set_title(f"Output a against epoch ({_settings(runs[0])})")
    return fig


def sigmoid_figure(runs) -> Figure:
    """The sigmoid with each start and its slope, above sigma'(z)."""
    starts = _starts(runs)
    fig = Figure(figsize=(8, 7), layout="constrained")
    ax_s, ax_p = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    plot_sigmoid(ax_s, starts)
    ax_s.set_xlabel("")
    ax_s.set_title("Each start on the sigmoid, with its tangent")
    plot_sigmoid_prime(ax_p, starts)
    ax_p.set_title(r"The slope $\sigma'(z)$: the factor in every quadratic-cost gradient")
    return fig


def gradient_figure(runs) -> Figure:
    """|dC/db| against output a for both costs, with each start marked."""
    starts = _starts(runs)
    y = starts[0]["y"]
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    plot_gradient(ax, starts, y=y)
    ax.set_title("Why the quadratic cost stalls: the bias gradient against the output")
    return fig


# --------------------------------------------------------------------------- #
# Networks on data
# --------------------------------------------------------------------------- #

def plot_training(ax_cost, ax_acc, history, *, label: str = "", color=None):
    """Cost C and accuracy against epoch, training (solid) and test (dashed).

    ``history`` is a dict of lists as written by :meth:`costlab.History.to_dict`.
    """
    epochs = history["epoch"]
    prefix = f"{label}, " if label else ""
    series = (("train_cost", "train_accuracy", "-", "training"), ("eval_cost", "eval_accuracy", "--", "test"))
    for cost_key, acc_key, style, name in series:
        if not history.get(cost_key) or all(v is None for v in history[cost_key]):
            continue
        # None (not recorded: the state before training under the running record) is left out
        cost = np.array([np.nan if v is None else v for v in history[cost_key]])
        acc = np.array([np.nan if v is None else v for v in history[acc_key]])
        line, = ax_cost.plot(epochs, cost, linestyle=style, color=color, label=prefix + name)
        color = line.get_color()
        ax_acc.plot(epochs, acc * 100, linestyle=style, color=color, label=prefix + name)
    ax_cost.set_xlabel("epoch")
    ax_cost.set_ylabel("cost C")
    ax_cost.set_ylim(bottom=0)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    for ax in (ax_cost, ax_acc):
        ax.set_xlim(left=0)
        ax.grid(True, alpha=0.3)
        ax.legend()


def training_figure(history, title: str) -> Figure:
    """Cost and accuracy per epoch of one training run, side by side."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_cost, ax_acc = fig.subplots(1, 2)
    plot_training(ax_cost, ax_acc, history)
    ax_cost.set_title("cost C against epoch")
    ax_acc.set_title("accuracy against epoch")
    fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- #
# The map of the slowdown
# --------------------------------------------------------------------------- #

#: The seed's two starts (w, b), marked on maps.
SEED_MARKS = ((0.6, 0.9, "a0 = 0.82"), (2.0, 2.0, "a0 = 0.98"))


def plot_slowdown_map(ax, smap, cost: str, *, vmax=None, marks=SEED_MARKS):
    """Heatmap of the first epoch at the target over the starts (w, b); grey: never.

    ``smap`` is a :class:`costlab.slowdown.SlowdownMap`. Returns the image, for
    a colour bar.
    """
    import matplotlib as mpl

    grid = np.ma.masked_less(smap.first_epoch[cost], 0)
    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.55")
    w, b = smap.w, smap.b
    dw = (w[-1] - w[0]) / max(len(w) - 1, 1) / 2
    db = (b[-1] - b[0]) / max(len(b) - 1, 1) / 2
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=vmax or smap.epochs,
                      extent=(w[0] - dw, w[-1] + dw, b[0] - db, b[-1] + db), interpolation="nearest")
    for w0, b0, label in marks:
        if w[0] <= w0 <= w[-1] and b[0] <= b0 <= b[-1]:
            ax.plot([w0], [b0], "o", markersize=7, markerfacecolor="white", markeredgecolor="black")
            ax.annotate(label, (w0, b0), xytext=(6, 6), textcoords="offset points", color="white",
                        fontsize=9, fontweight="bold")
    share = smap.share_reached(cost)
    ax.set_title(f"{cost}: {share:.0%} of starts reach the target")
    ax.set_xlabel("initial weight w")
    ax.set_ylabel("initial bias b")
    return image


def plot_slowdown_by_a0(ax, smap):
    """First epoch at the target against the initial output a0, every start, per cost."""
    a0 = smap.a0.ravel()
    order = np.argsort(a0)
    for cost in smap.costs:
        epochs = smap.first_epoch[cost].ravel()[order].astype(float)
        epochs[epochs < 0] = np.nan
        ax.plot(a0[order], epochs, linestyle=_LINESTYLES.get(cost, ":"), color="black" if cost == "quadratic" else "tab:blue",
                label=cost)
    for w0, b0, label in SEED_MARKS:
        ax.axvline(float(sigmoid(w0 * smap.x + b0)), color="0.5", linestyle=":", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, smap.epochs)
    ax.set_xlabel(f"initial output a0 (target: |a - y| <= {abs(smap.target - smap.y):g}, y = {smap.y:g})")
    ax.set_ylabel("first epoch at the target")
    ax.set_title("The same against a0 alone (gaps: never)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")


def slowdown_figure(smap) -> Figure:
    """The maps of every cost side by side on one colour scale, and the curve against a0."""
    n = len(smap.costs)
    fig = Figure(figsize=(5.2 * n + 5.5, 4.8), layout="constrained")
    axes = fig.subplots(1, n + 1, width_ratios=[1] * n + [1.1])
    image = None
    for ax, cost in zip(axes, smap.costs):
        image = plot_slowdown_map(ax, smap, cost)
    fig.colorbar(image, ax=list(axes[:n]), shrink=0.9,
                 label=f"first epoch with the output at the target (grey: not within {smap.epochs})")
    plot_slowdown_by_a0(axes[n], smap)
    fig.suptitle(
        f"How long the sigmoid neuron takes to reach a = {smap.target:g} from each start "
        f"(x = {smap.x:g}, y = {smap.y:g}, " + r"$\eta$" + f" = {smap.eta:g}, {smap.epochs} epochs)"
    )
    return fig


# --------------------------------------------------------------------------- #
# Comparisons on data
# --------------------------------------------------------------------------- #

_COST_COLORS = {"quadratic": "tab:red", "cross-entropy": "tab:blue", "log-likelihood": "tab:green"}
_ETA_STYLES = ("-", "--", ":", "-.")


def plot_comparison(ax, summary, init: str, measure: str = "eval_accuracy"):
    """Mean (line) and spread (band: one standard deviation) of a measure per epoch, per (cost, eta)."""
    rows = [r for r in summary if r["init"] == init]
    etas = sorted({r["eta"] for r in rows})
    scale = 100 if measure.endswith("accuracy") else 1
    for r in rows:
        mean = np.array([np.nan if v is None else v for v in r[f"{measure}_mean"]]) * scale
        std = np.array([np.nan if v is None else v for v in r[f"{measure}_std"]]) * scale
        epochs = np.arange(len(mean))
        color = _COST_COLORS.get(r["cost"], "black")
        label = r["cost"] + (f", eta = {r['eta']:g}" if len(etas) > 1 else "")
        ax.plot(epochs, mean, color=color, linestyle=_ETA_STYLES[etas.index(r["eta"]) % len(_ETA_STYLES)], label=label)
        ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.15, linewidth=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)" if scale == 100 else "test cost C")
    ax.set_xlim(left=0)
    if scale == 100:
        ax.set_ylim(0, 100)
    else:
        ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"init = {init}" + (" (w ~ N(0, 1): saturated sigmoids)" if init == "large" else " (w ~ N(0, 1/n_in))"))


def comparison_figure(summary, config, measure: str = "eval_accuracy") -> Figure:
    """One panel per initializer: the measure per epoch for every (cost, eta), mean and spread over seeds."""
    inits = config["inits"]
    fig = Figure(figsize=(6.4 * len(inits), 4.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(inits), squeeze=False)[0])
    for ax, init in zip(axes, inits):
        plot_comparison(ax, summary, init, measure)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    what = "Test accuracy" if measure.endswith("accuracy") else "Test cost"
    fig.suptitle(
        f"{what} per epoch on {config['data']}, {' x '.join(map(str, config['sizes']))}, batch "
        f"{config['batch_size']}: mean and spread over {len(config['seeds'])} seeds"
    )
    return fig


def reproduce_figures(runs) -> dict[str, Figure]:
    """The figures of ``costlab reproduce``, by file stem."""
    return {
        "cost-vs-epoch": cost_grid_figure(runs),
        "cost-vs-epoch-all": cost_figure(runs),
        "output-vs-epoch": output_figure(runs),
        "sigmoid-slopes": sigmoid_figure(runs),
        "gradient-vs-output": gradient_figure(runs),
    }


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure rendered as ``fmt`` ("png" or "svg"), without a date stamp."""
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with rc_context({"svg.hashsalt": "costlab"}):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=metadata)
    return buf.getvalue()


def save_figure(fig: Figure, path) -> Path:
    """Write ``fig`` to ``path`` atomically, as PNG or SVG by the suffix."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"figure file must end in {' or '.join(FORMATS)}, got {str(path)!r}")
    atomic_write(path, figure_bytes(fig, fmt))
    return path


# --------------------------------------------------------------------------- #
# Inside the network: each layer's speed of learning
# --------------------------------------------------------------------------- #

def _layer_names(L: int) -> list[str]:
    return [f"hidden layer {l + 1}" for l in range(L - 1)] + ["output layer"]


def plot_layer_speeds(ax, run):
    """||nabla_b^l|| of every layer against the epoch, on a log scale; ``run`` as LayerRun.to_dict() writes it."""
    speed = np.array([[np.nan if v is None or v <= 0 else v for v in row] for row in run["speed"]])
    L = speed.shape[1]
    colors = [_layer_color(l, L) for l in range(L)]
    for l, name in enumerate(_layer_names(L)):
        ax.plot(np.arange(len(speed)), speed[:, l], color=colors[l], label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("speed of learning ||nabla_b||")
    ax.set_xlim(left=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(f"{run['cost']}, {run['activation']}")


def plot_layer_fractions(ax, run):
    """The saturated (sigmoid, tanh) or dead (ReLU) fraction of every layer's neurons against the epoch."""
    L = len(run["speed"][0])
    for l, name in enumerate(_layer_names(L)):
        for key, style in (("saturated", "-"), ("dead", ":")):
            values = [row[l] if row is not None else None for row in run[key]]
            if all(v is None for v in values):
                continue
            ax.plot(np.arange(len(values)), [np.nan if v is None else 100 * v for v in values],
                    color=_layer_color(l, L), linestyle=style, label=f"{name} {key}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("neurons saturated (solid) / dead (dotted), %")
    ax.set_ylim(-3, 103)
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)


def _layer_color(l: int, L: int):
    from matplotlib import colormaps

    return colormaps["viridis"](0.85 * l / max(L - 1, 1))


def layers_figure(result) -> Figure:
    """Per (cost, activation): each layer's speed of learning (top, log scale) and saturated/dead neurons (below).

    ``result`` as :meth:`costlab.layers.LayersResult.to_dict` writes it.
    """
    runs, config = result["runs"], result["config"]
    fig = Figure(figsize=(4.2 * len(runs), 7.4), layout="constrained")
    axes = fig.subplots(2, len(runs), squeeze=False, sharex=True, sharey="row")
    for j, run in enumerate(runs):
        plot_layer_speeds(axes[0, j], run)
        plot_layer_fractions(axes[1, j], run)
        axes[0, j].set_xlabel("")
        if j:
            axes[0, j].set_ylabel("")
            axes[1, j].set_ylabel("")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
    seeds = config["seeds"]
    fig.suptitle(
        f"Speed of learning of each layer: {' x '.join(map(str, config['sizes']))}, eta = {config['eta']:g}, "
        f"batch {config['batch_size']}, init {config['init']}"
        + (f", mean over {seeds} seeds" if seeds > 1 else "")
    )
    return fig
