"""The report: one self-contained HTML file that retells the seed's argument with costlab's results.

:func:`report_data` runs the experiments and returns plain data (the seed's
four runs, the derivations, the map of the slowdown, the comparison on the
digits); :func:`report_html` writes that data as one HTML page whose figures
are inline SVG (drawn by :mod:`costlab.plots`) and whose mathematics is
rendered to SVG by matplotlib's mathtext from the LaTeX of
:mod:`costlab.derive`: the page makes no request, needs no network and no
MathJax, and prints to PDF legibly (print CSS). :func:`write_report` writes it
atomically.
"""

from __future__ import annotations

import html
import io
import re
import time
from dataclasses import dataclass, field

import numpy as np

from costlab import __version__

__all__ = ["ReportData", "math_svg", "report_data", "report_html", "svg_inline", "write_report"]

#: The map's grid of starts (w and b each from -6 to 6) and the comparison's settings.
MAP_POINTS = 201
COMPARE = {"seeds": 3, "epochs": 15, "inits": ("default", "large"), "costs": ("quadratic", "cross-entropy"),
           "eta": 0.5, "batch_size": 10}


@dataclass
class ReportData:
    """What the report shows, as data: runs are dicts of :meth:`NeuronRun.to_dict`."""

    runs: list
    derivations: list
    slowdown: object  # costlab.slowdown.SlowdownMap
    comparison: object | None  # costlab.compare.Comparison, or None
    timings: dict = field(default_factory=dict)
    layers: object | None = None  # costlab.layers.LayersResult, or None


def report_data(*, data: str | None = "digits", map_points: int = MAP_POINTS, on_step=None) -> ReportData:
    """Run everything the report shows; ``data=None`` skips the comparison on real data.

    ``on_step(name)`` is called before each part (for progress).
    """
    from costlab import derive
    from costlab.neuron import reproduce
    from costlab.slowdown import slowdown_map

    timings = {}

    def step(name, fn):
        if on_step is not None:
            on_step(name)
        t = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - t
        return value

    runs = step("the seed's four runs", lambda: [r.to_dict() for r in reproduce()])
    derivations = step("the derivations", derive.seed)
    grid = np.linspace(-6.0, 6.0, map_points)
    smap = step("the map of the slowdown", lambda: slowdown_map(w=grid, b=grid))
    comparison = None
    if data is not None:
        from costlab.compare import compare

        comparison = step(f"the comparison on {data}", lambda: compare(
            data, costs=COMPARE["costs"], etas=(COMPARE["eta"],), seeds=COMPARE["seeds"],
            epochs=COMPARE["epochs"], inits=COMPARE["inits"], batch_size=COMPARE["batch_size"]))
    layers = None
    if data is not None:
        layers = step(f"each layer's speed on {data}", lambda: _layers(data))
    return ReportData(runs, derivations, smap, comparison, timings, layers)


#: The deep networks of the per-layer section: hidden layers of the sizes below, Nielsen's chapter 5.
LAYERS = {"hidden": (30, 30, 30), "epochs": 10, "eta": 0.1, "batch_size": 10}


def _layers(data: str):
    from costlab.data import load_data
    from costlab.layers import layer_speeds

    ds = load_data(data)
    result = layer_speeds(ds.X_train, ds.y_train, sizes=[ds.n_features, *LAYERS["hidden"], ds.n_classes],
                          epochs=LAYERS["epochs"], eta=LAYERS["eta"], batch_size=LAYERS["batch_size"],
                          eval_data=(ds.X_test, ds.y_test))
    result.config["data"] = data
    return result


# --------------------------------------------------------------------------- #
# SVG pieces
# --------------------------------------------------------------------------- #

_XML_HEAD = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')


def svg_inline(svg: bytes | str, prefix: str, *, css_class: str = "", label: str = "", keep_size: bool = False) -> str:
    """Matplotlib's SVG made fit to sit inside HTML.

    Drops the XML declaration, doctype and metadata; prefixes every id (and
    every reference to one) with ``prefix``, so that several SVGs on one page
    never share an id; without ``keep_size`` removes the fixed width and height
    so that the figure scales with the page (its viewBox keeps the shape).
    """
    text = svg.decode() if isinstance(svg, bytes) else svg
    text = _XML_HEAD.sub("", text).strip()
    ids = set(_ID.findall(text))
    if ids:
        pattern = re.compile(r'(id="|href="#|url\(#)(' + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r')(?=["\)])')
        text = pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    attrs = f' class="{css_class}"' if css_class else ""
    if label:
        attrs += f' role="img" aria-label="{html.escape(label)}"'
    head_end = text.index(">")
    head = text[:head_end]
    if not keep_size:
        # scale with the page, but no larger than the figure was drawn
        width = re.search(r'\swidth="([^"]*)"', head)
        head = re.sub(r'\s(width|height)="[^"]*"', "", head)
        if width:
            head += f' style="max-width: {width.group(1)}"'
    text = head + attrs + text[head_end:]
    if label:
        text = text.replace(">", f"><title>{html.escape(label)}</title>", 1)
    return text


def figure_svg(fig, prefix: str, label: str) -> str:
    """A matplotlib figure as inline SVG."""
    from costlab.plots import figure_bytes

    return svg_inline(figure_bytes(fig, "svg"), prefix, css_class="figure", label=label)


def math_svg(latex: str, prefix: str, label: str = "", *, size: float = 15.0, fontset: str = "stix") -> str:
    """``latex`` (math mode, without $) typeset by matplotlib's mathtext, as inline SVG.

    The STIX glyphs are drawn as paths, so the page needs no font; fractions
    are set in display style (``\\dfrac``); the SVG's baseline is moved to the
    text's baseline with ``vertical-align``.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    text = "$" + latex.replace(r"\frac", r"\dfrac") + "$"
    with rc_context({"mathtext.fontset": fontset, "svg.hashsalt": "costlab"}):
        prop = FontProperties(size=size)
        width, height, depth, _, _ = MathTextParser("path").parse(text, dpi=72, prop=prop)
        fig = Figure(figsize=(width / 72.0, height / 72.0))
        fig.text(0, depth / height, text, fontproperties=prop)
        buf = io.BytesIO()
        fig.savefig(buf, dpi=72, format="svg", transparent=True, metadata={"Date": None})
    svg = svg_inline(buf.getvalue(), prefix, css_class="math", label=label, keep_size=True)
    return svg.replace("<svg ", f'<svg style="vertical-align: -{depth:.2f}pt" ', 1)


# --------------------------------------------------------------------------- #
# HTML
# --------------------------------------------------------------------------- #

def _e(text) -> str:
    """Text for an element's content (not an attribute)."""
    return html.escape(str(text), quote=False)


def _first_below(a, threshold=0.5):
    hits = np.flatnonzero(np.asarray(a) < threshold)
    return int(hits[0]) if hits.size else None


def seed_table(runs) -> tuple[list[str], list[list[str]]]:
    """The seed's table: start, cost, a at epochs 0, 50, 150 and the last, C at the ends,
    first epoch with a < 0.5."""
    E = runs[0]["epochs"]
    marks = sorted({e for e in (0, 50, 150) if e <= E} | {E})
    header = ["start a0", "w, b", "cost", *(f"a({e})" for e in marks), "C(0)", f"C({E})", "first a < 0.5"]
    rows = []
    for r in runs:
        h = r["history"]
        first = _first_below(h["a"])
        rows.append([f"{h['a'][0]:.2f}", f"{r['w0']:g}, {r['b0']:g}", r["cost"], *(f"{h['a'][e]:.4f}" for e in marks),
                     f"{h['C'][0]:.4f}", f"{h['C'][E]:.4f}", "never" if first is None else str(first)])
    return header, rows


def _table(header, rows, *, numeric_from: int = 1, caption: str = "", css_class: str = "") -> str:
    out = [f'<table class="{css_class}">' if css_class else "<table>"]
    if caption:
        out.append(f"<caption>{caption}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="num"' if i >= numeric_from else ""
            cells.append(f"<td{cls}>{_e(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(svg: str, caption: str, fig_id: str) -> str:
    return f'<figure id="{fig_id}">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>'


def _run(runs, a0: str, cost: str) -> dict:
    for r in runs:
        if f"{r['history']['a'][0]:.2f}" == a0 and r["cost"] == cost:
            return r
    raise KeyError((a0, cost))


def _section_experiment(d: ReportData, figs) -> str:
    from costlab import plots

    runs = d.runs
    r = runs[0]
    E = r["epochs"]
    header, rows = seed_table(runs)
    slow_q, fast_q = _run(runs, "0.98", "quadratic"), _run(runs, "0.82", "quadratic")
    slow_ce, fast_ce = _run(runs, "0.98", "cross-entropy"), _run(runs, "0.82", "cross-entropy")
    fb = {k: _first_below(v["history"]["a"]) for k, v in
          {"sq": slow_q, "fq": fast_q, "sce": slow_ce, "fce": fast_ce}.items()}
    figs["output"] = figure_svg(plots.output_figure(runs), "f-output", "output a against epoch for all four runs")
    figs["grid"] = figure_svg(plots.cost_grid_figure(runs), "f-grid", "cost C against epoch, one panel per start and cost")
    return f"""
<section id="experiment">
<h2><span class="n">1</span> The experiment: two starts, two costs</h2>
<p>One sigmoid neuron, <i>a</i> = &sigma;(<i>w x</i> + <i>b</i>), gets one input <i>x</i> = {r['x']:g} and should
output <i>y</i> = {r['y']:g}. It is trained by plain gradient descent, learning rate &eta; = {r['eta']:g}, for {E}
epochs (one step each), from two starts: <i>w</i> = 0.6, <i>b</i> = 0.9 (output 0.82) and <i>w</i> = 2, <i>b</i> = 2
(output 0.98), once with the quadratic cost and once with the cross-entropy, both with their true gradients.</p>
{_table(header, rows, numeric_from=3, caption="The seed's four runs, as costlab trains them.", css_class="runs")}
<p class="claim">With the quadratic cost the neuron that starts <em>more</em> wrong learns <em>slower</em>: from 0.98 its
output first falls below 0.5 at epoch {fb['sq'] if fb['sq'] is not None else 'never'} and is still
{slow_q['history']['a'][E]:.2f} after {E} epochs, while from 0.82 it is below 0.5 after {fb['fq']} epochs and ends at
{fast_q['history']['a'][E]:.3f}. With the cross-entropy both starts learn fast: below 0.5 after {fb['fce']} and
{fb['sce']} epochs, and about {slow_ce['history']['a'][E]:.3f} after {E}.</p>
{_figure(figs['output'], "Output <i>a</i> against epoch for the four runs: colour is the start, line style the cost.", "fig-output")}
{_figure(figs['grid'], "Cost against epoch, one panel per start (rows) and cost (columns), each on its own scale: the quadratic cost from 0.98 stays flat for about two hundred epochs.", "fig-grid")}
</section>"""


def _section_mechanism(d: ReportData, figs) -> str:
    from costlab import plots
    from costlab.activations import sigmoid, sigmoid_prime

    runs = d.runs
    figs["sigmoid"] = figure_svg(plots.sigmoid_figure(runs), "f-sigmoid", "the sigmoid with both starts and their slopes")
    figs["gradient"] = figure_svg(plots.gradient_figure(runs), "f-gradient", "bias gradient against output for both costs")
    rows = []
    for r in runs[::2]:
        z0 = r["w0"] * r["x"] + r["b0"]
        a0 = float(sigmoid(z0))
        slope = float(sigmoid_prime(z0))
        y = r["y"]
        rows.append([f"{a0:.2f}", f"{z0:g}", f"{slope:.4f}", f"{abs((a0 - y) * slope):.4f}", f"{abs(a0 - y):.4f}",
                     f"{abs(a0 - y) / abs((a0 - y) * slope):.0f}x"])
    header = ["start a0", "z0 = w x + b", "slope \u03c3'(z0)", "|dC/db| quadratic", "|dC/db| cross-entropy", "ratio"]
    quad = math_svg(r"\frac{\partial C}{\partial w} = (a - y)\,\sigma'(z)\,x, \qquad \frac{\partial C}{\partial b} = (a - y)\,\sigma'(z)",
                    "m-quad", "dC/dw = (a - y) sigma'(z) x, dC/db = (a - y) sigma'(z)")
    ce = math_svg(r"\frac{\partial C}{\partial w} = (a - y)\,x, \qquad \frac{\partial C}{\partial b} = a - y",
                  "m-ce", "dC/dw = (a - y) x, dC/db = a - y")
    return f"""
<section id="mechanism">
<h2><span class="n">2</span> The mechanism: the slope of the sigmoid</h2>
<p>Both gradients of the quadratic cost carry the factor &sigma;&prime;(<i>z</i>) = <i>a</i>(1 &minus; <i>a</i>):</p>
<div class="display">{quad}</div>
<p>On the flat ends of the sigmoid that factor is tiny, so a neuron whose output is near 1 while its target is 0, the
worst possible start, gets the smallest steps. The cross-entropy's gradients have no such factor:</p>
<div class="display">{ce}</div>
<p>The bigger the error, the faster the neuron learns.</p>
{_table(header, rows, caption="At the two starts: the slope and the size of the bias gradient under each cost.", css_class="mech")}
{_figure(figs['sigmoid'], "The sigmoid with each start and its tangent (top), and the slope &sigma;&prime;(<i>z</i>) (bottom): 0.149 at <i>z</i> = 1.5, 0.0177 at <i>z</i> = 4.", "fig-sigmoid")}
{_figure(figs['gradient'], "|&part;<i>C</i>/&part;<i>b</i>| against the output <i>a</i> for target <i>y</i> = 0 (log scale): the quadratic cost's gradient vanishes as <i>a</i> &rarr; 1, the cross-entropy's grows.", "fig-gradient")}
</section>"""


def _section_derivations(d: ReportData) -> str:
    from costlab.derive import _latex, _text

    parts = ["""
<section id="derivations">
<h2><span class="n">3</span> The derivations</h2>
<p>Every step below is done by SymPy in <code>costlab derive</code> (and checked there); the equations are its LaTeX,
typeset here by matplotlib's mathtext.</p>"""]
    k = 0
    for i, der in enumerate(d.derivations, 1):
        parts.append(f'<div class="derivation"><h3>3.{i} {_e(der.title)}</h3><ol class="steps">')
        previous = None
        for step in der.steps:
            k += 1
            same = previous is not None and step.lhs == previous
            latex = ("" if same else _latex(step.lhs)) + " = " + _latex(step.rhs)
            label = f"{_text(step.lhs)} = {_text(step.rhs)}"
            eq = math_svg(latex.strip(), f"m{k}", label)
            parts.append(f'<li><span class="label">{_e(step.label)}</span><span class="eq{" cont" if same else ""}">{eq}</span></li>')
            previous = step.lhs
        parts.append("</ol>")
        for note in der.notes:
            parts.append(f'<p class="note">{_e(note)}</p>')
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _section_map(d: ReportData, figs) -> str:
    from costlab.plots import slowdown_figure

    smap = d.slowdown
    figs["map"] = figure_svg(slowdown_figure(smap), "f-map", "first epoch at the target from every start, per cost")
    rows = []
    for s in smap.summary():
        ws = s["worst_start"]
        rows.append([s["cost"], f"{s['share_reached']:.1%}",
                     f"w = {ws['w']:g}, b = {ws['b']:g} (a0 = {ws['a0']:.6g})",
                     "never" if ws["first_epoch"] is None else str(ws["first_epoch"])])
    n = len(smap.w) * len(smap.b)
    return f"""
<section id="map">
<h2><span class="n">4</span> The map of the slowdown: every start</h2>
<p>The seed shows two starts. Here are {n:,} of them: <i>w</i> and <i>b</i> each from {smap.w[0]:g} to {smap.w[-1]:g}
({len(smap.w)} values), each trained for {smap.epochs} epochs at &eta; = {smap.eta:g}, all of one cost at once as one
group of networks. The colour is the first epoch at which the output is within {abs(smap.target - smap.y):g} of the
target <i>y</i> = {smap.y:g}; grey means not within {smap.epochs} epochs. With <i>x</i> = 1 the time depends on the start
only through <i>a</i><sub>0</sub> = &sigma;(<i>w</i> + <i>b</i>): the diagonal bands, and the curve on the right.</p>
{_table(["cost", "starts that reach the target", "slowest start", "its first epoch at the target"], rows, numeric_from=1,
        caption=f"Over all {n:,} starts.", css_class="map")}
{_figure(figs['map'], "First epoch at the target from each start (<i>w</i>, <i>b</i>), one panel per cost on one colour scale, the seed's two starts marked; right: the same against the initial output <i>a</i><sub>0</sub>.", "fig-map")}
</section>"""


def _section_data(d: ReportData, figs) -> str:
    from costlab.plots import comparison_figure

    c = d.comparison
    if c is None:
        return ""
    cfg, summary = c.config, c.summary
    figs["compare"] = figure_svg(comparison_figure(summary, cfg), "f-compare", "test accuracy per epoch on real data")
    marks = [e for e in (1, 3, 5, 10) if e < cfg["epochs"]] + [cfg["epochs"]]
    header = ["init", "cost", *(f"epoch {e}" for e in marks), "best (any seed)"]
    rows = []
    for r in summary:
        mean, std = r["eval_accuracy_mean"], r["eval_accuracy_std"]
        rows.append([r["init"], r["cost"], *(f"{100 * mean[e]:.1f}% \u00b1 {100 * std[e]:.1f}" for e in marks),
                     f"{100 * r['best_accuracy']:.1f}%"])
    sizes = " x ".join(map(str, cfg["sizes"]))
    return f"""
<section id="data">
<h2><span class="n">5</span> On real data: {_e(cfg['data'])}</h2>
<p>A sigmoid network [{sizes}] learns {_e(cfg['data'])} ({cfg['n_train']:,} training and {cfg['n_test']:,} test
images), batch {cfg['batch_size']}, &eta; = {cfg['etas'][0]:g}, {cfg['epochs']} epochs, with each cost from the same
initial weights and the same batch order per seed ({len(cfg['seeds'])} seeds: mean &plusmn; standard deviation of the
test accuracy). {_data_claims(summary, cfg['epochs'])}</p>
{_table(header, rows, numeric_from=2, caption="Test accuracy per epoch, mean &plusmn; standard deviation over seeds.", css_class="data")}
{_figure(figs['compare'], "Test accuracy against epoch, mean (line) and one standard deviation (band) over the seeds, per initializer.", "fig-compare")}
</section>"""


def _section_layers(d: ReportData, figs) -> str:
    from costlab.plots import layers_figure

    r = d.layers
    if r is None:
        return ""
    cfg = r.config
    figs["layers"] = figure_svg(layers_figure(r.to_dict()), "f-layers", "speed of learning of each layer")
    L = len(r.runs[0].speed[0])
    names = [f"hidden {l + 1}" for l in range(L - 1)] + ["output"]
    header = ["cost", "activation", *names, "first / last hidden", f"test accuracy, epoch {cfg['epochs']}"]
    rows = [[run.cost, run.activation, *(f"{v:.2e}" for v in run.speed[0]),
             "-" if run.ratio(0) is None else f"{run.ratio(0):.3f}",
             "-" if run.eval_accuracy[-1] is None else f"{100 * run.eval_accuracy[-1]:.1f}%"] for run in r.runs]
    sig = [run.ratio(0) for run in r.runs if run.activation == "sigmoid" and run.ratio(0)]
    claim = (f"In the sigmoid networks the first hidden layer learns {1 / max(sig):.0f} to {1 / min(sig):.0f} times "
             "slower than the last at the start. " if sig else "")
    sizes = " x ".join(map(str, cfg["sizes"]))
    return f"""
<section id="layers">
<h2><span class="n">6</span> Inside the network: each layer's speed of learning</h2>
<p>The factor &sigma;'(z) at the output is, in a deep network, multiplied in once more at every layer on the way
back. Nielsen's chapter 5 measures each layer's speed of learning as the length of its bias gradient
||&nabla;b<sup>l</sup>||. Here networks [{sizes}] on {_e(cfg['data'])}, &eta; = {cfg['eta']:g}, batch
{cfg['batch_size']}, every (cost, activation) from the same initial weights and batch order. {claim}The
cross-entropy removes &sigma;'(z) at the output only, so it scales every layer up but leaves their ratio; ReLU,
whose slope is 1 where it is active, narrows the gap.</p>
{_table(header, rows, numeric_from=2, caption="||&nabla;b|| per layer before training (the exact gradient over the training data).", css_class="data")}
{_figure(figs['layers'], "Speed of learning of each layer against epoch (log scale, top) and the saturated (sigmoid) or dead (ReLU) fraction of its neurons (below).", "fig-layers")}
</section>"""


def _data_claims(summary, epochs: int) -> str:
    """Sentences with the measured accuracies after one epoch and at the end, per initializer."""
    acc = {(r["init"], r["cost"]): r["eval_accuracy_mean"] for r in summary}
    what = {"large": "With the <b>large</b> initial weights (<i>w</i> ~ N(0, 1)), whose sigmoids start saturated,",
            "default": "With the <b>default</b> initial weights (<i>w</i> ~ N(0, 1/<i>n</i><sub>in</sub>)),"}
    out = []
    for init in ("large", "default"):
        if (init, "quadratic") in acc and (init, "cross-entropy") in acc:
            q, c = acc[init, "quadratic"], acc[init, "cross-entropy"]
            out.append(f"{what[init]} the quadratic cost's network is at {100 * q[1]:.1f}% after one epoch, the "
                       f"cross-entropy's at {100 * c[1]:.1f}%; after {epochs} epochs they stand at {100 * q[epochs]:.1f}% "
                       f"and {100 * c[epochs]:.1f}%.")
    return " ".join(out)


_CSS = """
:root { --ink: #1d2430; --muted: #5b6573; --line: #dde3ea; --accent: #1864ab; --bg: #ffffff; }
* { box-sizing: border-box; }
html { background: #f3f5f8; }
body { margin: 0 auto; max-width: 980px; background: var(--bg); color: var(--ink); padding: 36px 48px 48px;
  font: 16px/1.55 Georgia, "DejaVu Serif", "Times New Roman", serif; box-shadow: 0 0 24px rgba(0,0,0,.06); }
h1, h2, h3, table, figcaption, nav, .meta, .label, caption { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 6px; letter-spacing: -.01em; }
.meta { color: var(--muted); font-size: .85rem; margin: 0 0 18px; }
h2 { font-size: 1.35rem; margin: 40px 0 10px; padding-top: 10px; border-top: 2px solid var(--line); }
h2 .n { display: inline-block; min-width: 1.6em; color: var(--accent); }
h3 { font-size: 1.05rem; margin: 26px 0 8px; }
p { margin: 10px 0; }
.claim { background: #f1f6fd; border-left: 4px solid var(--accent); padding: 10px 14px; border-radius: 4px; }
nav.toc { background: #f7f9fb; border: 1px solid var(--line); border-radius: 8px; padding: 10px 18px; font-size: .92rem; }
nav.toc ol { margin: 4px 0; padding-left: 22px; columns: 2; column-gap: 28px; }
nav.toc a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; margin: 14px 0; font-size: .86rem; width: 100%; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: .8rem; padding-top: 6px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: #f3f6f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
figure { margin: 20px 0; break-inside: avoid; page-break-inside: avoid; }
figure svg.figure { display: block; width: 100%; height: auto; margin: 0 auto; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: 4px; }
svg.math { display: inline-block; overflow: visible; }
.display { text-align: center; margin: 12px 0; overflow-x: auto; }
.derivation { break-inside: auto; }
ol.steps { list-style: none; padding: 0; margin: 8px 0; counter-reset: step; }
ol.steps li { display: grid; grid-template-columns: minmax(0, 15rem) minmax(0, 1fr); gap: 4px 18px; align-items: center;
  padding: 7px 0; border-bottom: 1px dotted var(--line); break-inside: avoid; page-break-inside: avoid; }
ol.steps .label { color: var(--muted); font-size: .8rem; line-height: 1.3; }
ol.steps .eq { overflow-x: auto; }
ol.steps .eq.cont { padding-left: 2.2em; }
.note { font-size: .9rem; color: var(--muted); font-style: italic; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88em; background: #f3f5f8; padding: 1px 4px; border-radius: 3px; }
pre { background: #f3f5f8; padding: 10px 14px; border-radius: 6px; overflow-x: auto; font-size: .85rem; }
footer { margin-top: 40px; color: var(--muted); font-size: .82rem; border-top: 1px solid var(--line); padding-top: 12px; }
@media (max-width: 700px) {
  body { padding: 18px 14px 30px; font-size: 15px; }
  nav.toc ol { columns: 1; }
  ol.steps li { grid-template-columns: minmax(0, 1fr); }
  table { display: block; overflow-x: auto; }
}
@media print {
  @page { size: A4; margin: 16mm 14mm 16mm 14mm; }
  html { background: none; }
  body { max-width: none; padding: 0; box-shadow: none; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 22px; }
  h3 { break-after: avoid; page-break-after: avoid; }
  nav.toc { display: none; }
  table { font-size: 8.5pt; break-inside: avoid; page-break-inside: avoid; }
  th, td { padding: 3px 5px; }
  .claim { background: none; }
  a { color: inherit; text-decoration: none; }
  figure svg.figure { max-height: 120mm; }
}
"""


def report_html(d: ReportData) -> str:
    """The report as one HTML page (inline CSS and SVG, no external request)."""
    figs: dict = {}
    sections = [
        _section_experiment(d, figs),
        _section_mechanism(d, figs),
        _section_derivations(d),
        _section_map(d, figs),
        _section_data(d, figs),
        _section_layers(d, figs),
    ]
    toc = [("experiment", "The experiment: two starts, two costs"), ("mechanism", "The mechanism: the slope of the sigmoid"),
           ("derivations", "The derivations"), ("map", "The map of the slowdown")]
    if d.comparison is not None:
        toc.append(("data", f"On real data: {d.comparison.config['data']}"))
    if d.layers is not None:
        toc.append(("layers", "Inside the network: each layer's speed of learning"))
    data_cmd = f" --data {d.comparison.config['data']}" if d.comparison is not None else " --data none"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="costlab {__version__}">
<title>Why cross-entropy: the learning slowdown of the quadratic cost (costlab report)</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>Why cross-entropy: the learning slowdown of the quadratic cost</h1>
<p class="meta">A costlab {__version__} report. Every number and figure below was computed by costlab on the machine
that wrote this file; the page loads nothing from anywhere.</p>
<p>A sigmoid neuron trained with the quadratic cost learns slowest when it is most wrong, because every gradient
carries the slope of the sigmoid, which is tiny on its flat ends. The cross-entropy cost cancels that factor: its
gradient is the error itself. This report retells that argument (the seed's blog post, after chapter 3 of Michael
Nielsen's <i>Neural Networks and Deep Learning</i>) with costlab's own runs, derivations and measurements.</p>
<nav class="toc"><b>Contents</b><ol>{''.join(f'<li><a href="#{i}">{_e(t)}</a></li>' for i, t in toc)}</ol></nav>
</header>
{''.join(sections)}
<footer>
<p>Made with <code>costlab report{data_cmd}</code>. The same results on the command line:
<code>costlab reproduce</code>, <code>costlab derive</code>, <code>costlab map</code>, <code>costlab compare</code>;
interactively: <code>costlab serve</code>.</p>
</footer>
</body>
</html>
"""


def write_report(path, d: ReportData) -> int:
    """Write the report to ``path`` atomically; return its size in bytes."""
    from costlab.fileio import atomic_write

    text = report_html(d)
    atomic_write(path, text)
    return len(text.encode())
