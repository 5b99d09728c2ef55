"""Figures of the single-neuron experiment, drawn without pyplot and never shown.

The ``plot_*`` functions draw on a given matplotlib ``ax`` from plain data:
runs are dictionaries as written by :meth:`costlab.neuron.NeuronRun.to_dict`
(the form stored in ``results.json``), so a figure can be redrawn from the
file. ``*_figure`` functions assemble figures; :func:`save_figure` writes one
atomically as PNG or SVG, chosen by the file's suffix.

Colour means the cost and line style the start (or the initializer), in every
figure, by :mod:`costlab.palette`; legends name each colour and each style once.
Words go through :func:`costlab.i18n.tr`, so the same figures are drawn in
Chinese inside ``costlab.i18n.language("zh")``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from costlab import __version__
from costlab.activations import get_activation, sigmoid, sigmoid_prime
from costlab.costs import get_cost
from costlab.fileio import atomic_write
from costlab.i18n import current as current_language
from costlab.i18n import tr
from costlab.palette import INK, MUTED, cost_color, dash_mpl, start_dash

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
    "slowdown_a0_figure",
    "slowdown_maps_figure",
    "start_label",
]

#: Suffix -> matplotlib format of the files costlab writes.
FORMATS = {".png": "png", ".svg": "svg"}
PNG_DPI = 150

#: Fonts tried in order for each character: DejaVu Sans, then a CJK font for Chinese
#: (Debian's fonts-wqy-microhei; scripts/test.sh installs it).
FONTS = ["DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC"]
#: Where Debian puts those CJK fonts, for a matplotlib whose font cache predates them.
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _fonts() -> list[str]:
    """:data:`FONTS` that matplotlib knows, after adding the CJK font files it has not seen."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if not known & set(FONTS[1:]):
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        known = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in FONTS if f in known] or ["DejaVu Sans"]


def _math(latex: str, plain: str) -> str:
    """``$latex$`` for mathtext in English; ``plain`` (Unicode) in Chinese, whose characters mathtext cannot set."""
    return plain if current_language() == "zh" else f"${latex}$"


def _z0(run) -> float:
    return run["w0"] * run["x"] + run["b0"]


def start_label(run) -> str:
    """'start a = 0.98 (w = 2, b = 2)': the initial output and parameters of a run."""
    a0 = float(sigmoid(_z0(run)))
    return tr("start a = {a0:.2f} (w = {w:g}, b = {b:g})", a0=a0, w=run["w0"], b=run["b0"])


def cost_name(cost: str) -> str:
    """The cost's name in the current language (a formula stays as typed)."""
    names = {"quadratic": tr("quadratic"), "cross-entropy": tr("cross-entropy"), "log-likelihood": tr("log-likelihood"),
             "kl": tr("KL divergence")}
    return names.get(cost, cost)


_PARAMETER_NAMES = {"gamma": ("γ", r"$\gamma$"), "alpha": ("α", r"$\alpha$")}


def spec_label(spec: str) -> str:
    """A cost spec as a reader reads it: ``focal(gamma=2)`` -> "focal (γ = 2)", in the current language;
    a formula in a and y stays as typed."""
    import re

    base, _, rest = spec.partition("(")
    base = base.strip()
    if base not in ("quadratic", "cross-entropy", "log-likelihood", "focal", "kl") or (rest and not rest.endswith(")")):
        return spec
    words = {"pos_weight": tr("positive weight"), "smoothing": tr("smoothing"), "class_weight": tr("class weights"),
             "balanced": tr("balanced")}
    parts = []
    for name, value in re.findall(r"(\w+)\s*=\s*([^,()]+)", rest):
        shown = _PARAMETER_NAMES.get(name)
        label = (shown[0] if current_language() == "zh" else shown[1]) if shown else words.get(name, name)
        parts.append(f"{label} = {words.get(value.strip(), value.strip())}")
    name = {"focal": tr("focal")}.get(base) or cost_name(base)
    if not parts:
        return name
    return tr("{name} ({parameters})", name=name, parameters=tr(", ").join(parts))


def activation_name(activation: str) -> str:
    """The activation's name in the current language (the sigmoid is 「S 型」 in Chinese; ReLU and tanh stay)."""
    names = {"sigmoid": tr("sigmoid"), "tanh": tr("tanh"), "relu": tr("ReLU"), "softmax": "softmax"}
    return names.get(activation, activation)


def init_name(init: str) -> str:
    """The initializer's name in the current language."""
    return {"default": tr("default"), "large": tr("large")}.get(init, init)


def data_name(data: str) -> str:
    """A data set's name in the current language (a file's name stays as given)."""
    names = {"digits": tr("the 8×8 digits"), "fashion-mnist": tr("Fashion-MNIST"), "mnist": tr("MNIST")}
    return names.get(data, data)


def _starts(runs) -> list[dict]:
    """One run per distinct start (w0, b0, x), in order of appearance."""
    seen = {}
    for run in runs:
        seen.setdefault((run["w0"], run["b0"], run["x"]), run)
    return list(seen.values())


def _start_index(run, runs) -> int:
    keys = [(r["w0"], r["b0"], r["x"]) for r in _starts(runs)]
    return keys.index((run["w0"], run["b0"], run["x"]))


def _style(run, runs) -> dict:
    """Colour by the cost, line style by the start."""
    return {"color": cost_color(run["cost"]), "linestyle": dash_mpl(start_dash(_start_index(run, runs)))}


def key_handles(costs=(), starts=(), *, extra=()):
    """Legend entries that name each colour once (a cost) and each line style once (a start).

    ``starts`` are runs (one per start, as from :func:`_starts`); ``extra`` are
    further (handle, label) pairs. Returns (handles, labels).
    """
    handles, labels = [], []
    for cost in costs:
        handles.append(Line2D([], [], color=cost_color(cost), linewidth=2.2))
        labels.append(tr("{cost} cost", cost=cost_name(cost)))
    if len(starts) > 1 or not costs:
        for i, run in enumerate(starts):
            handles.append(Line2D([], [], color=INK, linewidth=1.6, linestyle=dash_mpl(start_dash(i))))
            labels.append(start_label(run))
    for h, label in extra:
        handles.append(h)
        labels.append(label)
    return handles, labels


def _costs(runs) -> list[str]:
    return list(dict.fromkeys(run["cost"] for run in runs))


# --------------------------------------------------------------------------- #
# Drawing on one ax
# --------------------------------------------------------------------------- #

def _run_label(run, label_start: bool) -> str:
    name = cost_name(run["cost"])
    return f"{start_label(run)}, {name}" if label_start else tr("{cost} cost", cost=name)


def plot_cost(ax, runs, *, relative: bool = False, label_start: bool = True, legend: bool = True):
    """Cost C against epoch for each run; ``relative`` divides by C at epoch 0."""
    for run in runs:
        h = run["history"]
        C = np.asarray(h["C"], dtype=float)
        if relative:
            C = C / C[0]
        ax.plot(h["epoch"], C, label=_run_label(run, label_start), **_style(run, runs))
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("cost relative to epoch 0, C / C(0)") if relative else tr("cost C"))
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
        ax.axhline(y, color="black", linewidth=0.8, label=tr("target y = {y:g}", y=y))
    ax.axhline(threshold, color="gray", linewidth=0.8, linestyle=":", label=f"a = {threshold:g}")
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("output a"))
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
        dz = np.array([-1.0, 1.0])
        ax.plot(z0 + dz, a0 + slope * dz, color=MUTED, linewidth=2.5, linestyle=dash_mpl(start_dash(i)),
                label=tr("tangent at {start}", start=start_label(run)))
        ax.plot([z0], [a0], "o", color=INK, markersize=7)
        ax.annotate(
            f"z = {z0:g}: " + rf"$\sigma'({z0:g}) = {slope:.3g}$",
            (z0, a0), xytext=(20, -40 - 22 * i), textcoords="offset points",
            ha="left", color=INK, fontsize=10,
            arrowprops={"arrowstyle": "-", "color": INK, "linewidth": 0.8},
        )
    ax.set_xlabel(tr("weighted input z = w x + b"))
    ax.set_ylabel(tr("output a = $\\sigma(z)$"))
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
        ax.vlines(z0, 0, slope, color=MUTED, linewidth=2, linestyle=dash_mpl(start_dash(i)))
        ax.plot([z0], [slope], "o", color=INK, markersize=7)
        ax.annotate(f"{slope:.3g}", (z0, slope), xytext=(6, 4), textcoords="offset points",
                    color=INK, fontsize=10)
    ax.set_xlabel(tr("weighted input z = w x + b"))
    ax.set_ylabel(tr("slope $\\sigma'(z)$"))
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
        ax.plot(a, g, color=cost_color(name), linewidth=2,
                label={"quadratic": cost_name("quadratic") + ": " + _math(r"(a - y)\,\sigma'(z)", "(a − y) σ′(z)"),
                       "cross-entropy": cost_name("cross-entropy") + ": " + _math("a - y", "a − y")}[name])
    for i, run in enumerate(starts):
        a0 = float(sigmoid(_z0(run)))
        ax.axvline(a0, color=MUTED, linewidth=1, linestyle=dash_mpl(start_dash(i)), label=start_label(run))
        for name, g0 in gradient_curves([a0], y).items():
            g0 = float(g0[0])
            ax.plot([a0], [g0], "o", color=cost_color(name), markersize=7)
            ax.annotate(f"{g0:.3g}", (a0, g0), xytext=(-6, 6 if name == "cross-entropy" else -14),
                        textcoords="offset points", ha="right", color=cost_color(name), fontsize=10)
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 2)
    ax.set_xlim(0, 1)
    ax.set_xlabel(tr("output a (target y = {y:g})", y=y))
    ax.set_ylabel(tr("gradient size $|\\partial C/\\partial b|$"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower center")
    return ax


# --------------------------------------------------------------------------- #
# Whole figures
# --------------------------------------------------------------------------- #

def _settings(run) -> str:
    sep = tr(", ")  # a full-width comma in Chinese
    return sep.join([f"x = {run['x']:g}", f"y = {run['y']:g}", _math(r"\eta", "η") + f" = {run['eta']:g}"])


def neuron_figure(run) -> Figure:
    """Output a and cost C against epoch for one run of the neuron."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_a, ax_C = fig.subplots(1, 2)
    plot_output(ax_a, [run], label_start=False)
    ax_a.set_title(tr("output a against epoch"))
    plot_cost(ax_C, [run], label_start=False, legend=False)
    ax_C.set_title(tr("{cost} cost C against epoch", cost=cost_name(run["cost"])))
    fig.suptitle(tr("Sigmoid neuron, {cost} cost, {start}; {settings}", cost=cost_name(run["cost"]),
                    start=start_label(run), settings=_settings(run)))
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
                ax.plot(h["epoch"], h["C"], label=cost, **_style(run, runs))
            ax.set_title(tr("{start}, {cost} cost", start=start_label(start), cost=cost_name(cost)))
            if i == len(starts) - 1:
                ax.set_xlabel(tr("epoch"))
            ax.set_ylabel(tr("cost C"))
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
    fig.suptitle(tr("Cost against epoch for each start and cost ({settings})", settings=_settings(runs[0])))
    return fig


def cost_figure(runs) -> Figure:
    """All runs on one axes: cost relative to its starting value against epoch."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    plot_cost(ax, runs, relative=True, legend=False)
    fig.legend(*key_handles(_costs(runs), _starts(runs)), loc="outside lower center", ncols=2)
    ax.set_title(tr("How fast each run learns: C / C(0) against epoch ({settings})", settings=_settings(runs[0])))
    return fig


def output_figure(runs) -> Figure:
    """All runs on one axes: output a against epoch."""
    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    plot_output(ax, runs, legend=False)
    runs_labels = {_run_label(r, True) for r in runs}
    extra = [(h, lab) for h, lab in zip(*ax.get_legend_handles_labels()) if lab not in runs_labels]
    fig.legend(*key_handles(_costs(runs), _starts(runs), extra=extra), loc="outside lower center", ncols=2)
    ax.set_title(tr("Output a against epoch ({settings})", settings=_settings(runs[0])))
    return fig


def sigmoid_figure(runs) -> Figure:
    """The sigmoid with each start and its slope, above sigma'(z)."""
    starts = _starts(runs)
    fig = Figure(figsize=(8, 7), layout="constrained")
    ax_s, ax_p = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    plot_sigmoid(ax_s, starts)
    ax_s.set_xlabel("")
    ax_s.set_title(tr("Each start on the sigmoid, with its tangent"))
    plot_sigmoid_prime(ax_p, starts)
    ax_p.set_title(tr("The slope $\\sigma'(z)$: the factor in every quadratic-cost gradient"))
    return fig


def gradient_figure(runs) -> Figure:
    """|dC/db| against output a for both costs, with each start marked."""
    starts = _starts(runs)
    y = starts[0]["y"]
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    plot_gradient(ax, starts, y=y)
    ax.set_title(tr("Why the quadratic cost stalls: the bias gradient against the output"))
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
    series = (("train_cost", "train_accuracy", "-", tr("training")), ("eval_cost", "eval_accuracy", "--", tr("test")))
    for cost_key, acc_key, style, name in series:
        if not history.get(cost_key) or all(v is None for v in history[cost_key]):
            continue
        # None (not recorded: the state before training under the running record) is left out
        cost = np.array([np.nan if v is None else v for v in history[cost_key]])
        acc = np.array([np.nan if v is None else v for v in history[acc_key]])
        line, = ax_cost.plot(epochs, cost, linestyle=style, color=color, label=prefix + name)
        color = line.get_color()
        ax_acc.plot(epochs, acc * 100, linestyle=style, color=color, label=prefix + name)
    ax_cost.set_xlabel(tr("epoch"))
    ax_cost.set_ylabel(tr("cost C"))
    ax_cost.set_ylim(bottom=0)
    ax_acc.set_xlabel(tr("epoch"))
    ax_acc.set_ylabel(tr("accuracy (%)"))
    for ax in (ax_cost, ax_acc):
        ax.set_xlim(left=0)
        ax.grid(True, alpha=0.3)
        ax.legend()


def training_figure(history, title: str) -> Figure:
    """Cost and accuracy per epoch of one training run, side by side."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_cost, ax_acc = fig.subplots(1, 2)
    plot_training(ax_cost, ax_acc, history)
    ax_cost.set_title(tr("cost C against epoch"))
    ax_acc.set_title(tr("accuracy against epoch"))
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
    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.55", over="0.55")  # grey: never there
    w, b = smap.w, smap.b
    dw = (w[-1] - w[0]) / max(len(w) - 1, 1) / 2
    db = (b[-1] - b[0]) / max(len(b) - 1, 1) / 2
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=vmax or smap.epochs,
                      extent=(w[0] - dw, w[-1] + dw, b[0] - db, b[-1] + db), interpolation="nearest")
    for w0, b0, label in marks:
        if w[0] <= w0 <= w[-1] and b[0] <= b0 <= b[-1]:
            ax.plot([w0], [b0], "o", markersize=7, markerfacecolor="white", markeredgecolor="black")
            # dark text on a white box: readable on viridis's yellow as on its purple
            ax.annotate(label, (w0, b0), xytext=(7, 7), textcoords="offset points", color=INK, fontsize=9.5,
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    share = smap.share_reached(cost)
    ax.set_title(tr("{cost}: {share:.0%} of starts reach the target", cost=cost_name(cost), share=share),
                 color=cost_color(cost))
    ax.set_xlabel(tr("initial weight w"))
    ax.set_ylabel(tr("initial bias b"))
    return image


def plot_slowdown_by_a0(ax, smap):
    """First epoch at the target against the initial output a0, every start, per cost."""
    a0 = smap.a0.ravel()
    order = np.argsort(a0)
    for cost in smap.costs:
        epochs = smap.first_epoch[cost].ravel()[order].astype(float)
        epochs[epochs < 0] = np.nan
        ax.plot(a0[order], epochs, color=cost_color(cost), linewidth=2, label=tr("{cost} cost", cost=cost_name(cost)))
    for i, (w0, b0, label) in enumerate(SEED_MARKS):
        a_mark = float(sigmoid(w0 * smap.x + b0))
        ax.axvline(a_mark, color=MUTED, linestyle=dash_mpl(start_dash(i)), linewidth=1)
        ax.annotate(label, (a_mark, 1.0), xycoords=("data", "axes fraction"), xytext=(-3, -4), textcoords="offset points",
                    rotation=90, ha="right", va="top", color=INK, fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, smap.epochs)
    ax.set_xlabel(tr("initial output a0 (target: |a - y| ≤ {tol:g}, y = {y:g})", tol=abs(smap.target - smap.y), y=smap.y))
    ax.set_ylabel(tr("first epoch at the target"))
    ax.set_title(tr("The same against a0 alone (gaps: never)"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center left")


def _map_colorbar(fig, image, axes, smap):
    """The colour bar under the maps, and a grey swatch for the starts that never get there."""
    bar = fig.colorbar(image, ax=axes, orientation="horizontal", location="bottom", shrink=0.6, aspect=40, pad=0.02,
                       extend="max", extendfrac=0.06, extendrect=True)
    bar.set_label(tr("first epoch at the target"))
    # the grey of "never" sits at the bar's end, with its name beside it
    bar.ax.text(1.08, 0.5, tr("grey: not within {epochs} epochs", epochs=smap.epochs), transform=bar.ax.transAxes,
                ha="left", va="center", fontsize=9, color=INK)


def _map_title(smap) -> str:
    settings = tr(", ").join([f"x = {smap.x:g}", f"y = {smap.y:g}", _math(r"\eta", "η") + f" = {smap.eta:g}",
                              tr("{epochs} epochs", epochs=smap.epochs)])
    return tr("How long the sigmoid neuron takes to reach a = {target:g} from each start ({settings})",
              target=smap.target, settings=settings)


def slowdown_figure(smap) -> Figure:
    """The maps of every cost side by side on one colour scale, and the curve against a0."""
    n = len(smap.costs)
    fig = Figure(figsize=(5.2 * n + 5.5, 5.6), layout="constrained")
    axes = fig.subplots(1, n + 1, width_ratios=[1] * n + [1.1])
    image = None
    for ax, cost in zip(axes, smap.costs):
        image = plot_slowdown_map(ax, smap, cost)
    _map_colorbar(fig, image, list(axes[:n]), smap)
    plot_slowdown_by_a0(axes[n], smap)
    fig.suptitle(_map_title(smap))
    return fig


def slowdown_maps_figure(smap) -> Figure:
    """The maps alone, one panel per cost on one colour scale: sized to be read at a page's full width."""
    n = len(smap.costs)
    fig = Figure(figsize=(5.6 * n, 5.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)[0])
    image = None
    for ax, cost in zip(axes, smap.costs):
        image = plot_slowdown_map(ax, smap, cost)
        # legible at print size: the figure spans a page's width
        ax.tick_params(labelsize=13)
        ax.xaxis.label.set_fontsize(14)
        ax.yaxis.label.set_fontsize(14)
        ax.title.set_fontsize(14)
        for text in ax.texts:
            text.set_fontsize(13)
    _map_colorbar(fig, image, list(axes), smap)
    fig.axes[-1].tick_params(labelsize=13)
    fig.axes[-1].xaxis.label.set_fontsize(14)
    for legend in fig.legends:
        for text in legend.get_texts():
            text.set_fontsize(13)
    title = _map_title(smap)
    for paren in (" (", "（"):  # the settings on a line of their own
        if paren in title:
            title = title.replace(paren, "\n" + paren.strip(), 1)
            break
    fig.suptitle(title, fontsize=15)
    return fig


def slowdown_a0_figure(smap) -> Figure:
    """The first epoch at the target against the initial output a0 alone."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    plot_slowdown_by_a0(fig.subplots(), smap)
    return fig


# --------------------------------------------------------------------------- #
# Comparisons on data
# --------------------------------------------------------------------------- #

_ETA_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def plot_comparison(ax, summary, init: str, measure: str = "eval_accuracy"):
    """Mean (line) and spread (band: one standard deviation) of a measure per epoch, per (cost, eta).

    Costs are not on one scale, so a cost measure is drawn relative to its
    mean at epoch 0, C / C(0).
    """
    rows = [r for r in summary if r["init"] == init]
    etas = sorted({r["eta"] for r in rows})
    costs = list(dict.fromkeys(r["cost"] for r in rows))
    accuracy = measure.endswith("accuracy")
    for r in rows:
        mean = np.array([np.nan if v is None else v for v in r[f"{measure}_mean"]], dtype=float)
        std = np.array([np.nan if v is None else v for v in r[f"{measure}_std"]], dtype=float)
        scale = 100.0 if accuracy else (1.0 / mean[0] if np.isfinite(mean[0]) and mean[0] > 0 else 1.0)
        mean, std = mean * scale, std * scale
        epochs = np.arange(len(mean))
        color = cost_color(r["cost"])
        label = tr("{cost} cost", cost=spec_label(r["cost"])) + (tr(", ") + _math(r"\eta", "η") + f" = {r['eta']:g}" if len(etas) > 1 else "")
        # a marker per cost every few epochs, so that curves lying on one another stay told apart
        marker = _MARKERS[costs.index(r["cost"]) % len(_MARKERS)]
        ax.plot(epochs, mean, color=color, linestyle=_ETA_STYLES[etas.index(r["eta"]) % len(_ETA_STYLES)], label=label,
                linewidth=2, marker=marker, markevery=(costs.index(r["cost"]), max(1, len(mean) // 8)), markersize=6,
                markerfacecolor="white", markeredgewidth=1.5)
        ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.15, linewidth=0)
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("test accuracy (%)") if accuracy else tr("test cost C / C(0) (each cost on its own scale)"))
    ax.set_xlim(left=0)
    if accuracy:
        ax.set_ylim(0, 100)
    else:
        ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(tr("{init} initial weights, w ~ N(0, 1): saturated sigmoids", init=init_name(init)) if init == "large"
                 else tr("{init} initial weights, w ~ N(0, {var})", init=init_name(init),
                         var=_math(r"1/n_\mathrm{in}", "1/nᵢₙ")))


def comparison_figure(summary, config, measure: str = "eval_accuracy") -> Figure:
    """One panel per initializer: the measure per epoch for every (cost, eta), mean and spread over seeds."""
    inits = config["inits"]
    fig = Figure(figsize=(6.4 * len(inits), 4.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(inits), squeeze=False)[0])
    for ax, init in zip(axes, inits):
        plot_comparison(ax, summary, init, measure)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    what = tr("Test accuracy") if measure.endswith("accuracy") else tr("Test cost relative to epoch 0")
    fig.suptitle(tr("{what} per epoch on {data}, {sizes} network, batch {batch}\nmean (line) and one standard "
                    "deviation either side (band) over {n} random seeds",
                    what=what, data=data_name(config["data"]), sizes=" × ".join(map(str, config["sizes"])),
                    batch=config["batch_size"], n=len(config["seeds"])))
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


def figure_metadata(fmt: str, parameters: dict | None = None) -> dict:
    """What a figure file says about itself: costlab's version and, as JSON, the parameters it was drawn with.

    PNG: text chunks ``Software`` ("costlab 0.1.0") and ``costlab`` (the JSON);
    SVG: Dublin Core ``Creator`` and ``Description``. No date, so that the same
    figure drawn twice gives the same bytes.
    """
    info = json.dumps({"costlab": __version__, "parameters": parameters or {}}, sort_keys=True)
    if fmt == "svg":
        return {"Date": None, "Creator": f"costlab {__version__}", "Description": info}
    return {"Software": f"costlab {__version__}", "costlab": info}


def figure_bytes(fig: Figure, fmt: str, parameters: dict | None = None) -> bytes:
    """The figure rendered as ``fmt`` ("png" or "svg"), stamped by :func:`figure_metadata`."""
    from matplotlib.text import Text

    buf = io.BytesIO()
    fonts = _fonts()
    for text in fig.findobj(Text):  # each character from the first of the fonts that has it
        if text.get_fontfamily() == ["sans-serif"]:
            text.set_fontfamily(fonts)
    with rc_context({"svg.hashsalt": "costlab", "font.family": fonts}):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=figure_metadata(fmt, parameters))
    return buf.getvalue()


def save_figure(fig: Figure, path, parameters: dict | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically, as PNG or SVG by the suffix, with ``parameters`` in its metadata."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"figure file must end in {' or '.join(FORMATS)}, got {str(path)!r}")
    atomic_write(path, figure_bytes(fig, fmt, parameters))
    return path


# --------------------------------------------------------------------------- #
# Inside the network: each layer's speed of learning
# --------------------------------------------------------------------------- #

# --------------------------------------------------------------------------- #
# Costs against the weighted input
# --------------------------------------------------------------------------- #

def cost_curves_figure(specs, z=None) -> Figure:
    """Each cost's C and output error dC/dz against the weighted input z of one sigmoid output, for a
    positive sample (y = 1, left) and a negative one (y = 0, right).

    Colour is the cost (a cost and its weighted forms share it, as everywhere); line style tells the
    forms of one cost apart."""
    from costlab.palette import START_DASHES

    z = np.linspace(-6, 6, 241)[:, None] if z is None else np.asarray(z, float).reshape(-1, 1)
    a = sigmoid(z)
    fig = Figure(figsize=(10, 6.6), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    seen: dict[str, int] = {}
    for spec in specs:
        cost = get_cost(spec)
        base = spec.split("(", 1)[0].strip()
        dash = START_DASHES[seen.setdefault(base, 0) % len(START_DASHES)]
        seen[base] += 1
        style = {"color": cost_color(spec), "linestyle": dash_mpl(dash), "linewidth": 2}
        for col, target in enumerate((1.0, 0.0)):
            y = np.full_like(z, target)
            axes[0, col].plot(z[:, 0], cost.fn(z, a, y), label=spec_label(spec), **style)
            axes[1, col].plot(z[:, 0], cost.delta(z, a, y, None)[:, 0], label=spec_label(spec), **style)
    for col, target in enumerate((1.0, 0.0)):
        kind = tr("a positive sample") if target else tr("a negative sample")
        axes[0, col].set_title(f"{kind}, y = {target:g}")
        axes[1, col].set_xlabel(tr("weighted input z = w x + b"))
        for ax in axes[:, col]:
            ax.grid(True, alpha=0.3)
            ax.axhline(0, color=MUTED, linewidth=0.8)
    axes[0, 0].set_ylabel(tr("cost C"))
    axes[1, 0].set_ylabel(tr("output error") + " " + _math(r"\partial C/\partial z", "∂C/∂z"))
    axes[0, 0].legend(frameon=False)
    fig.suptitle(tr("Weighted and focal costs against the cross-entropy: the cost and its output error for one "
                    "sigmoid output"))
    return fig


def _layer_names(L: int) -> list[str]:
    return [tr("hidden {l}", l=l + 1) for l in range(L - 1)] + [tr("output")]


def plot_layer_speeds(ax, run):
    """||nabla_b^l|| of every layer against the epoch, on a log scale; ``run`` as LayerRun.to_dict() writes it."""
    speed = np.array([[np.nan if v is None or v <= 0 else v for v in row] for row in run["speed"]])
    L = speed.shape[1]
    for l, name in enumerate(_layer_names(L)):
        ax.plot(np.arange(len(speed)), speed[:, l], color=_layer_color(l, L), linewidth=2, label=name)
    ax.set_yscale("log")
    _log_ticks(ax.yaxis)
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(_math(r"\|\nabla b\|", "‖∇b‖"))
    ax.set_xlim(left=0)
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(tr("{cost} cost, {activation} hidden layers", cost=cost_name(run["cost"]),
                    activation=activation_name(run["activation"])), fontsize=11)


def _log_ticks(axis):
    """Every tick of a log axis a power of ten written as one (10⁻⁴, 10⁰, 10²), never 0.001 beside 1e-4."""
    from matplotlib.ticker import LogFormatterMathtext, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, numticks=8))
    axis.set_major_formatter(LogFormatterMathtext())
    axis.set_minor_formatter(NullFormatter())


def plot_layer_fractions(ax, run):
    """The saturated (sigmoid, tanh: solid) or dead (ReLU: dotted) fraction of every layer's neurons against
    the epoch. A panel with nothing to show (no neuron saturated or dead in any epoch) says so instead of a
    flat line."""
    L = len(run["speed"][0])
    drawn, kinds = False, []
    for key, style in (("saturated", "-"), ("dead", ":")):
        for l, name in enumerate(_layer_names(L)):
            values = [row[l] if row is not None else None for row in run[key]]
            if all(v is None for v in values):
                continue
            if key not in kinds:
                kinds.append(key)
            y = [np.nan if v is None else 100 * v for v in values]
            drawn = drawn or np.nanmax(y) > 0
            ax.plot(np.arange(len(values)), y, color=_layer_color(l, L), linewidth=1.8, linestyle=style, label=name)
    if kinds == ["saturated", "dead"]:
        ax.set_ylabel(tr("saturated (solid)\ndead (dotted), %"), fontsize=9)
    else:
        ax.set_ylabel(tr("{kind} (%)", kind=tr("dead") if kinds == ["dead"] else tr("saturated")))
    ax.set_xlabel(tr("epoch"))
    ax.set_xlim(left=0)
    ax.grid(True, alpha=0.3)
    if not drawn:
        for line in list(ax.lines):
            line.remove()
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.text(0.5, 0.5, tr("no neuron saturated or dead in any epoch"), transform=ax.transAxes,
                ha="center", va="center", color=MUTED, fontsize=10)
    else:
        ax.set_ylim(-3, 103)
        ax.set_yticks([0, 50, 100])


def _layer_color(l: int, L: int):
    from costlab.palette import layer_color

    return layer_color(l, L)


def layers_figure(result) -> Figure:
    """Per (cost, activation): each layer's speed of learning (log scale) above the fraction of its neurons
    saturated (sigmoid, tanh) or dead (ReLU); a row per cost, a column per activation.

    ``result`` as :meth:`costlab.layers.LayersResult.to_dict` writes it.
    """
    runs, config = result["runs"], result["config"]
    costs = list(dict.fromkeys(r["cost"] for r in runs))
    acts = list(dict.fromkeys(r["activation"] for r in runs))
    fig = Figure(figsize=(4.7 * len(acts) + 0.4, 4.3 * len(costs) + 1.0), layout="constrained")
    grid = fig.add_gridspec(2 * len(costs), len(acts), height_ratios=[3, 1.25] * len(costs))
    speed_axes = []
    for run in runs:
        i, j = costs.index(run["cost"]), acts.index(run["activation"])
        ax = fig.add_subplot(grid[2 * i, j], sharey=speed_axes[0] if speed_axes else None)
        speed_axes.append(ax)
        plot_layer_speeds(ax, run)
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)
        plot_layer_fractions(fig.add_subplot(grid[2 * i + 1, j], sharex=ax), run)
    handles, labels = speed_axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=10)
    seeds = config["seeds"]
    title = tr("How fast each layer learns: {sizes} network, {settings}, batch {batch}, {init} initial weights",
               sizes=" × ".join(map(str, config["sizes"])),
               settings=_math(r"\eta", "η") + f" = {config['eta']:g}", batch=config["batch_size"],
               init=init_name(config["init"]))
    if seeds > 1:
        title += tr(", mean over {n} random seeds", n=seeds)
    fig.suptitle(title, fontsize=12)
    return fig
