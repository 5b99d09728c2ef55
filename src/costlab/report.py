"""The report: one self-contained HTML file that retells the blog post's argument with costlab's results.

:func:`report_data` runs the experiments and returns plain data (the four
runs of the blog post's experiment, the derivations, the map of the slowdown, the comparison on the
digits); :func:`report_html` writes that data as one HTML page whose figures
are inline SVG (drawn by :mod:`costlab.plots`) and whose mathematics is
rendered to SVG by matplotlib's mathtext from the LaTeX of
:mod:`costlab.derive`: the page makes no request, needs no network and no
MathJax, and prints to PDF legibly (print CSS). :func:`write_report` writes it
atomically. ``lang="zh"`` writes it in Chinese (:mod:`costlab.i18n`), the
mathematics unchanged.
"""

from __future__ import annotations

import html
import io
import re
import time
from dataclasses import dataclass, field

import numpy as np

from costlab import __version__
from costlab.i18n import LANGUAGES, language, tr

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


def report_data(*, data: str | None = "digits", map_points: int = MAP_POINTS, on_step=None,
                costs=None) -> ReportData:
    """Run everything the report shows; ``data=None`` skips the comparison on real data.

    ``costs``: the cost specs compared on real data (default quadratic and cross-entropy).

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

    runs = step("the four runs of the blog post's experiment", lambda: [r.to_dict() for r in reproduce()])
    derivations = step("the derivations", derive.seed)
    grid = np.linspace(-6.0, 6.0, map_points)
    smap = step("the map of the slowdown", lambda: slowdown_map(w=grid, b=grid))
    comparison = None
    if data is not None:
        from costlab.compare import compare

        comparison = step(f"the comparison on {data}", lambda: compare(
            data, costs=tuple(costs or COMPARE["costs"]), etas=(COMPARE["eta"],), seeds=COMPARE["seeds"],
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


_TALL = ("\\frac", "\\dfrac", "\\sum", "\\int", "\\prod", "\\sqrt")


def plain_fences(latex: str) -> str:
    """``\\left( ... \\right)`` kept only around tall content (a fraction, a sum, an integral, a root).

    mathtext sizes a ``\\left(`` to its content, and around one line of text
    that makes it smaller than the text itself (σ₍z₎ instead of σ(z)); plain
    parentheses have the text's own height.
    """
    out, stack, i = [], [], 0
    while i < len(latex):
        for opener, closer in ((r"\left(", r"\right)"), (r"\left[", r"\right]"), (r"\left|", r"\right|")):
            if latex.startswith(opener, i):
                stack.append((len(out), opener))
                out.append(opener)
                i += len(opener)
                break
            if latex.startswith(closer, i) and stack and stack[-1][1] == opener:
                start, _ = stack.pop()
                inner = "".join(out[start + 1:])
                if not any(tall in inner for tall in _TALL):
                    out[start] = opener[-1]
                    out.append(closer[-1])
                else:
                    out.append(closer)
                i += len(closer)
                break
        else:
            out.append(latex[i])
            i += 1
    # a function's argument in braces, {(a)}, is spaced by mathtext as a group of its own: ln (a)
    return re.sub(r"\{(\([^{}()]*\))\}", r"\1", "".join(out))


def math_svg(latex: str, prefix: str, label: str = "", *, size: float = 15.0, fontset: str = "cm") -> str:
    """``latex`` (math mode, without $) typeset by matplotlib's mathtext, as inline SVG.

    The Computer Modern glyphs (whose prime sits on its letter: sigma'(z)) are
    drawn as paths, so the page needs no font; fractions
    are set in display style (``\\dfrac``); the SVG's baseline is moved to the
    text's baseline with ``vertical-align``.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    latex = plain_fences(latex)
    # d/dz set apart from what it differentiates: d/dz 1/(1 + e^-z), not one run of fractions
    latex = re.sub(r"(\\frac\{d\}\{d\s*\w+\})\s*(?=\\frac|\(|\\left)", r"\1\\,", latex)
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


class _Math:
    """Inline formulas of one report, each an SVG with its own id prefix."""

    def __init__(self):
        self.n = 0

    def __call__(self, latex: str, label: str = "", size: float = 14.0) -> str:
        self.n += 1
        return math_svg(latex, f"i{self.n}", label or latex, size=size)

    def label(self, text: str, size: float = 12.5) -> str:
        """A label of words and plain-text formulas (a derivation step, a note) as HTML: the words
        translated, each formula typeset, each command in ``<code>``."""
        from costlab.mathlabel import skeleton, to_latex

        template, pieces = skeleton(text)
        rendered = [self(to_latex(p), p, size) if kind == "math" else f"<code>{_e(p)}</code>" for kind, p in pieces]
        # punctuation after a formula stays on its line
        return re.sub(r"(</svg>)(?=[,.;:!?，。；：、）)])", "\\1\u2060", _e(tr(template)).format(*rendered))


def _first_below(a, threshold=0.5):
    hits = np.flatnonzero(np.asarray(a) < threshold)
    return int(hits[0]) if hits.size else None


def seed_table(runs) -> tuple[list[str], list[list[str]]]:
    """The blog post's table: start, cost, a at epochs 0, 50, 150 and the last, C at the ends,
    first epoch with a < 0.5."""
    from costlab.plots import cost_name

    E = runs[0]["epochs"]
    marks = sorted({e for e in (0, 50, 150) if e <= E} | {E})
    header = [tr("start a0"), "w, b", tr("cost"), *(f"a({e})" for e in marks), "C(0)", f"C({E})", tr("first a < 0.5")]
    rows = []
    for r in runs:
        h = r["history"]
        first = _first_below(h["a"])
        rows.append([f"{h['a'][0]:.2f}", f"{r['w0']:g}, {r['b0']:g}", cost_name(r["cost"]),
                     *(f"{h['a'][e]:.4f}" for e in marks), f"{h['C'][0]:.4f}", f"{h['C'][E]:.4f}",
                     tr("never") if first is None else str(first)])
    return header, rows


def _table(header, rows, *, numeric_from: int = 1, caption: str = "", css_class: str = "", raw_header=()) -> str:
    """A table; header cells whose index is in ``raw_header`` are HTML already."""
    out = [f'<table class="{css_class}">' if css_class else "<table>"]
    if caption:
        out.append(f"<caption>{caption}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{h if i in raw_header else _e(h)}</th>" for i, h in enumerate(header))
               + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="num"' if i >= numeric_from else ""
            cells.append(f"<td{cls}>{_e(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _figure(svg: str, caption: str, fig_id: str, css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    return f'<figure id="{fig_id}"{cls}>\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>'


def _run(runs, a0: str, cost: str) -> dict:
    for r in runs:
        if f"{r['history']['a'][0]:.2f}" == a0 and r["cost"] == cost:
            return r
    raise KeyError((a0, cost))


def _never(epoch) -> str:
    return tr("never") if epoch is None else str(epoch)


def _section_experiment(d: ReportData, figs, M) -> str:
    from costlab import plots

    runs = d.runs
    r = runs[0]
    E = r["epochs"]
    header, rows = seed_table(runs)
    slow_q, fast_q = _run(runs, "0.98", "quadratic"), _run(runs, "0.82", "quadratic")
    slow_ce, fast_ce = _run(runs, "0.98", "cross-entropy"), _run(runs, "0.82", "cross-entropy")
    fb = {k: _first_below(v["history"]["a"]) for k, v in
          {"sq": slow_q, "fq": fast_q, "sce": slow_ce, "fce": fast_ce}.items()}
    figs["output"] = figure_svg(plots.output_figure(runs), "f-output", tr("output a against epoch for all four runs"))
    figs["grid"] = figure_svg(plots.cost_grid_figure(runs), "f-grid",
                              tr("cost C against epoch, one panel per start and cost"))
    intro = tr(
        "One sigmoid neuron, <i>a</i> = &sigma;(<i>w x</i> + <i>b</i>), gets one input <i>x</i> = {x:g} and should "
        "output <i>y</i> = {y:g}. It is trained by plain gradient descent, learning rate &eta; = {eta:g}, for {E} "
        "epochs (one step each), from two starts: <i>w</i> = 0.6, <i>b</i> = 0.9 (output 0.82) and <i>w</i> = 2, "
        "<i>b</i> = 2 (output 0.98), once with the quadratic cost and once with the cross-entropy, both with their "
        "true gradients.", x=r["x"], y=r["y"], eta=r["eta"], E=E)
    claim = tr(
        "With the quadratic cost the neuron that starts <em>more</em> wrong learns <em>slower</em>: from 0.98 its "
        "output first falls below 0.5 at epoch {sq} and is still {slow_end:.2f} after {E} epochs, while from 0.82 it "
        "is below 0.5 after {fq} epochs and ends at {fast_end:.3f}. With the cross-entropy both starts learn fast: "
        "below 0.5 after {fce} and {sce} epochs, and about {ce_end:.3f} after {E}.",
        sq=_never(fb["sq"]), slow_end=slow_q["history"]["a"][E], E=E, fq=_never(fb["fq"]),
        fast_end=fast_q["history"]["a"][E], fce=_never(fb["fce"]), sce=_never(fb["sce"]),
        ce_end=slow_ce["history"]["a"][E])
    return f"""
<section id="experiment">
<h2><span class="n">1</span> {tr("The experiment: two starts, two costs")}</h2>
<p>{intro}</p>
{_table(header, rows, numeric_from=3, caption=tr("The four runs of the blog post's experiment, as costlab trains them."),
        css_class="runs")}
<p class="claim">{claim}</p>
{_figure(figs['output'], tr("Output <i>a</i> against epoch for the four runs: colour is the cost, line style the start."), "fig-output")}
{_figure(figs['grid'], tr("Cost against epoch, one panel per start (rows) and cost (columns), each on its own scale: the quadratic cost from 0.98 stays flat for about two hundred epochs."), "fig-grid")}
</section>"""


def _section_mechanism(d: ReportData, figs, M) -> str:
    from costlab import plots
    from costlab.activations import sigmoid, sigmoid_prime

    runs = d.runs
    figs["sigmoid"] = figure_svg(plots.sigmoid_figure(runs), "f-sigmoid", tr("the sigmoid with both starts and their slopes"))
    figs["gradient"] = figure_svg(plots.gradient_figure(runs), "f-gradient",
                                  tr("bias gradient against output for both costs"))
    rows = []
    for r in runs[::2]:
        z0 = r["w0"] * r["x"] + r["b0"]
        a0 = float(sigmoid(z0))
        slope = float(sigmoid_prime(z0))
        y = r["y"]
        rows.append([f"{a0:.2f}", f"{z0:g}", f"{slope:.4f}", f"{abs((a0 - y) * slope):.4f}", f"{abs(a0 - y):.4f}",
                     f"{abs(a0 - y) / abs((a0 - y) * slope):.0f}\u00d7"])
    header = [tr("start a0"), M(r"z_0 = w x + b", "z0 = w x + b", 11), tr("slope") + " " + M(r"\sigma'(z_0)", "sigma'(z0)", 11),
              M(r"|\partial C/\partial b|", "|dC/db|", 11) + " " + tr("quadratic"),
              M(r"|\partial C/\partial b|", "|dC/db|", 11) + " " + tr("cross-entropy"), tr("ratio")]
    header = [h if i in (1, 2, 3, 4) else _e(h) for i, h in enumerate(header)]
    quad = math_svg(r"\frac{\partial C}{\partial w} = (a - y)\,\sigma'(z)\,x, \qquad \frac{\partial C}{\partial b} = (a - y)\,\sigma'(z)",
                    "m-quad", "dC/dw = (a - y) sigma'(z) x, dC/db = (a - y) sigma'(z)")
    ce = math_svg(r"\frac{\partial C}{\partial w} = (a - y)\,x, \qquad \frac{\partial C}{\partial b} = a - y",
                  "m-ce", "dC/dw = (a - y) x, dC/db = a - y")
    prime = M(r"\sigma'(z) = a(1 - a)", "sigma'(z) = a(1 - a)")
    prime_z = M(r"\sigma'(z)", "sigma'(z)", 12)
    return f"""
<section id="mechanism">
<h2><span class="n">2</span> {tr("The mechanism: the slope of the sigmoid")}</h2>
<p>{tr("Both gradients of the quadratic cost carry the factor {prime}:", prime=prime)}</p>
<div class="display">{quad}</div>
<p>{tr("On the flat ends of the sigmoid that factor is tiny, so a neuron whose output is near 1 while its target is 0, the worst possible start, gets the smallest steps. The cross-entropy's gradients have no such factor:")}</p>
<div class="display">{ce}</div>
<p>{tr("The bigger the error, the faster the neuron learns.")}</p>
{_table(header, rows, caption=tr("At the two starts: the slope and the size of the bias gradient under each cost."),
        css_class="mech", raw_header=range(6))}
{_figure(figs['sigmoid'], tr("The sigmoid with each start and its tangent (top), and the slope {prime} (bottom): 0.149 at <i>z</i> = 1.5, 0.0177 at <i>z</i> = 4.", prime=prime_z), "fig-sigmoid")}
{_figure(figs['gradient'], tr("|&part;<i>C</i>/&part;<i>b</i>| against the output <i>a</i> for target <i>y</i> = 0 (log scale): the quadratic cost's gradient vanishes as <i>a</i> &rarr; 1, the cross-entropy's grows."), "fig-gradient")}
</section>"""


def _svg_width(html_text: str) -> float:
    """The width in points of the widest inline SVG formula in ``html_text`` (0 without one)."""
    return max([float(w) for w in re.findall(r'<svg[^>]*\swidth="([\d.]+)pt"', html_text)] or [0.0])


def _section_derivations(d: ReportData, M) -> str:
    from costlab.derive import _latex, _text

    parts = [f"""
<section id="derivations">
<h2><span class="n">3</span> {tr("The derivations")}</h2>
<p>{tr("Every step below is done by SymPy in <code>costlab derive</code> (and checked there); the equations are its LaTeX, typeset here by matplotlib's mathtext.")}</p>"""]
    k = 0
    for i, der in enumerate(d.derivations, 1):
        parts.append(f'<div class="derivation"><h3>3.{i} {M.label(der.title, size=14)}</h3><ol class="steps">')
        previous = None
        for step in der.steps:
            k += 1
            same = previous is not None and step.lhs == previous
            # the left side in a column of its own, right-aligned, so that every equals sign lines up
            lhs = "" if same else math_svg(_latex(step.lhs), f"m{k}l", _text(step.lhs))
            rhs = math_svg("= " + _latex(step.rhs), f"m{k}", f"{_text(step.lhs)} = {_text(step.rhs)}")
            label = M.label(step.label)
            wide = " wide" if _svg_width(label) > 150 else ""  # a long formula in the label: a row of its own
            parts.append(f'<li><span class="label{wide}">{label}</span><span class="lhs">{lhs}</span>'
                         f'<span class="eq">{rhs}</span></li>')
            previous = step.lhs
        parts.append("</ol>")
        for note in der.notes:
            parts.append(f'<p class="note">{M.label(note)}</p>')
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _section_map(d: ReportData, figs, M) -> str:
    from costlab.plots import cost_name, slowdown_a0_figure, slowdown_maps_figure

    smap = d.slowdown
    figs["map"] = figure_svg(slowdown_maps_figure(smap), "f-map", tr("first epoch at the target from every start, per cost"))
    figs["map-a0"] = figure_svg(slowdown_a0_figure(smap), "f-map-a0", tr("first epoch at the target against the initial output"))
    rows = []
    for s in smap.summary():
        ws = s["worst_start"]
        rows.append([cost_name(s["cost"]), f"{s['share_reached']:.1%}",
                     f"w = {ws['w']:g}, b = {ws['b']:g} (a0 = {ws['a0']:.6g})", _never(ws["first_epoch"])])
    n = len(smap.w) * len(smap.b)
    text = tr(
        "The blog post shows two starts. Here are {n:,} of them: <i>w</i> and <i>b</i> each from {lo:g} to {hi:g} "
        "({k} values), each trained for {epochs} epochs at &eta; = {eta:g}, all of one cost at once as one group of "
        "networks. The colour is the first epoch at which the output is within {tol:g} of the target <i>y</i> = {y:g}; "
        "grey means not within {epochs} epochs. With <i>x</i> = 1 the time depends on the start only through "
        "<i>a</i><sub>0</sub> = &sigma;(<i>w</i> + <i>b</i>): the diagonal bands, and the curve below.",
        n=n, lo=smap.w[0], hi=smap.w[-1], k=len(smap.w), epochs=smap.epochs, eta=smap.eta,
        tol=abs(smap.target - smap.y), y=smap.y)
    return f"""
<section id="map">
<h2><span class="n">4</span> {tr("The map of the slowdown: every start")}</h2>
<p>{text}</p>
{_table([tr("cost"), tr("starts that reach the target"), tr("slowest start"), tr("its first epoch at the target")], rows,
        numeric_from=1, caption=tr("Over all {n:,} starts.", n=n), css_class="map")}
{_figure(figs['map'], tr("First epoch at the target from each start (<i>w</i>, <i>b</i>), one panel per cost on one colour scale, the blog post's two starts marked."), "fig-map", "wide")}
{_figure(figs['map-a0'], tr("The same against the initial output <i>a</i><sub>0</sub> alone; the dotted lines are the blog post's two starts."), "fig-map-a0")}
</section>"""


def _section_data(d: ReportData, figs, M) -> str:
    from costlab.plots import comparison_figure, cost_name, data_name, init_name

    c = d.comparison
    if c is None:
        return ""
    cfg, summary = c.config, c.summary
    figs["compare"] = figure_svg(comparison_figure(summary, cfg), "f-compare", tr("test accuracy per epoch on real data"))
    marks = [e for e in (1, 3, 5, 10) if e < cfg["epochs"]] + [cfg["epochs"]]
    header = [tr("init"), tr("cost"), *(tr("epoch {e}", e=e) for e in marks), tr("best (any random seed)")]
    rows = []
    for r in summary:
        mean, std = r["eval_accuracy_mean"], r["eval_accuracy_std"]
        rows.append([init_name(r["init"]), cost_name(r["cost"]), *(f"{100 * mean[e]:.1f}% \u00b1 {100 * std[e]:.1f}" for e in marks),
                     f"{100 * r['best_accuracy']:.1f}%"])
    sizes = " x ".join(map(str, cfg["sizes"]))
    text = tr(
        "A sigmoid network [{sizes}] learns {data} ({n_train:,} training and {n_test:,} test images), batch {batch}, "
        "&eta; = {eta:g}, {epochs} epochs, with each cost from the same initial weights and the same batch order per "
        "random seed ({seeds} random seeds: mean &plusmn; standard deviation of the test accuracy).",
        sizes=sizes, data=_e(data_name(cfg["data"])), n_train=cfg["n_train"], n_test=cfg["n_test"], batch=cfg["batch_size"],
        eta=cfg["etas"][0], epochs=cfg["epochs"], seeds=len(cfg["seeds"]))
    return f"""
<section id="data">
<h2><span class="n">5</span> {tr("On real data: {data}", data=_e(data_name(cfg['data'])))}</h2>
<p>{_sentences(text, _data_claims(summary, cfg['epochs']))}</p>
{_table(header, rows, numeric_from=2, caption=tr("Test accuracy per epoch, mean &plusmn; standard deviation over random seeds."), css_class="data")}
{_figure(figs['compare'], tr("Test accuracy against epoch, mean (line) and one standard deviation (band) over the random seeds, per initializer; colour is the cost."), "fig-compare")}
</section>"""


def _section_layers(d: ReportData, figs, M) -> str:
    from costlab.plots import activation_name, cost_name, data_name, layers_figure

    r = d.layers
    if r is None:
        return ""
    cfg = r.config
    figs["layers"] = figure_svg(layers_figure(r.to_dict()), "f-layers", tr("speed of learning of each layer"))
    L = len(r.runs[0].speed[0])
    names = [tr("hidden {l}", l=l + 1) for l in range(L - 1)] + [tr("output")]
    header = [tr("cost"), tr("activation"), *names, tr("first / last hidden"),
              tr("test accuracy, epoch {epochs}", epochs=cfg["epochs"])]
    rows = [[cost_name(run.cost), activation_name(run.activation), *(f"{v:.2e}" for v in run.speed[0]),
             "-" if run.ratio(0) is None else f"{run.ratio(0):.3f}",
             "-" if run.eval_accuracy[-1] is None else f"{100 * run.eval_accuracy[-1]:.1f}%"] for run in r.runs]
    sig = [run.ratio(0) for run in r.runs if run.activation == "sigmoid" and run.ratio(0)]
    claim = (tr("In the sigmoid networks the first hidden layer learns {lo} to {hi} times slower than the last "
                "at the start.", lo=f"{1 / max(sig):.0f}", hi=f"{1 / min(sig):.0f}") if sig else "")
    sizes = " x ".join(map(str, cfg["sizes"]))
    intro = tr("The factor &sigma;'(z) at the output is, in a deep network, multiplied in once more at every layer "
               "on the way back. Nielsen's chapter 5 measures each layer's speed of learning as the length of its "
               "bias gradient ||&nabla;b<sup>l</sup>||. Here networks [{sizes}] on {data}, &eta; = {eta}, batch "
               "{batch}, every (cost, activation) from the same initial weights and batch order.",
               sizes=sizes, data=_e(data_name(cfg["data"])), eta=f"{cfg['eta']:g}", batch=cfg["batch_size"])
    outro = tr("The cross-entropy removes &sigma;'(z) at the output only, so it scales every layer up but leaves "
               "their ratio; ReLU, whose slope is 1 where it is active, narrows the gap.")
    return f"""
<section id="layers">
<h2><span class="n">6</span> {tr("Inside the network: each layer's speed of learning")}</h2>
<p>{_sentences(intro, claim, outro)}</p>
{_table(header, rows, numeric_from=2, caption=tr("||&nabla;b|| per layer before training (the exact gradient over the training data)."), css_class="data")}
{_figure(figs['layers'], tr("Speed of learning of each layer against epoch (log scale, top) and the saturated (sigmoid) or dead (ReLU) fraction of its neurons (below)."), "fig-layers")}
</section>"""


def _sentences(*parts: str) -> str:
    """Sentences one after another: a space between them in English, none after Chinese full stops."""
    from costlab.i18n import current

    return ("" if current() == "zh" else " ").join(p for p in parts if p)


def _data_claims(summary, epochs: int) -> str:
    """Sentences with the measured accuracies after one epoch and at the end, per initializer."""
    acc = {(r["init"], r["cost"]): r["eval_accuracy_mean"] for r in summary}
    what = {"large": tr("With the <b>large</b> initial weights (<i>w</i> ~ N(0, 1)), whose sigmoids start saturated,"),
            "default": tr("With the <b>default</b> initial weights (<i>w</i> ~ N(0, 1/<i>n</i><sub>in</sub>)),")}
    out = []
    for init in ("large", "default"):
        if (init, "quadratic") in acc and (init, "cross-entropy") in acc:
            q, c = acc[init, "quadratic"], acc[init, "cross-entropy"]
            out.append(tr("{what} the quadratic cost's network is at {q1:.1f}% after one epoch, the cross-entropy's at "
                          "{c1:.1f}%; after {epochs} epochs they stand at {qe:.1f}% and {ce:.1f}%.",
                          what=what[init], q1=100 * q[1], c1=100 * c[1], epochs=epochs, qe=100 * q[epochs],
                          ce=100 * c[epochs]))
    return _sentences(*out)


_CSS = """
:root { --ink: #1d2430; --muted: #5b6573; --line: #dde3ea; --accent: #1864ab; --bg: #ffffff; }
* { box-sizing: border-box; }
html { background: #f3f5f8; }
body { margin: 0 auto; max-width: 980px; background: var(--bg); color: var(--ink); padding: 36px 48px 48px;
  font: 16px/1.55 Georgia, "DejaVu Serif", "Times New Roman", serif; box-shadow: 0 0 24px rgba(0,0,0,.06); }
h1, h2, h3, table, figcaption, nav, .meta, .label, caption { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
html:lang(zh-CN) body, html:lang(zh-CN) h1, html:lang(zh-CN) h2, html:lang(zh-CN) h3, html:lang(zh-CN) table,
html:lang(zh-CN) figcaption, html:lang(zh-CN) nav, html:lang(zh-CN) .meta, html:lang(zh-CN) .label {
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif; }
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
/* a derivation: the step's words | the left side (right-aligned) | = the right side; the rows share their
   columns (subgrid), so every equals sign of a derivation stands in one vertical line */
ol.steps { display: grid; grid-template-columns: minmax(0, 14rem) max-content minmax(0, 1fr); column-gap: 6px; }
ol.steps li { grid-column: 1 / -1; display: grid; grid-template-columns: subgrid; row-gap: 4px; align-items: baseline;
  padding: 7px 0; border-bottom: 1px dotted var(--line); break-inside: avoid; page-break-inside: avoid; }
ol.steps .label { color: var(--muted); font-size: .85rem; line-height: 1.35; padding-right: 12px; align-self: center; }
ol.steps .label.wide { grid-column: 1 / -1; min-width: 0; overflow-x: auto; }
ol.steps .lhs { justify-self: end; white-space: nowrap; }
ol.steps .label.wide + .lhs { grid-column: 2; }
ol.steps .eq { overflow-x: auto; white-space: nowrap; }
h3 svg.math { max-width: 100%; height: auto; }
.note { font-size: .95rem; color: var(--muted); font-style: italic; }
html:lang(zh-CN) .note, html:lang(zh-CN) em, html:lang(zh-CN) cite { font-style: normal; }
html:lang(zh-CN) em { font-weight: 600; }
html:lang(zh-CN) p, html:lang(zh-CN) li, html:lang(zh-CN) figcaption, html:lang(zh-CN) caption, html:lang(zh-CN) h2,
html:lang(zh-CN) h3 { word-break: keep-all; line-break: strict; overflow-wrap: anywhere; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88em; background: #f3f5f8; padding: 1px 4px; border-radius: 3px; }
pre { background: #f3f5f8; padding: 10px 14px; border-radius: 6px; overflow-x: auto; font-size: .85rem; }
footer { margin-top: 40px; color: var(--muted); font-size: .82rem; border-top: 1px solid var(--line); padding-top: 12px; }
@media (max-width: 700px) {
  body { padding: 18px 14px 30px; font-size: 15px; }
  nav.toc ol { columns: 1; }
  ol.steps { grid-template-columns: max-content minmax(0, 1fr); }
  ol.steps .label { grid-column: 1 / -1; }
  ol.steps .label.wide + .lhs { grid-column: 1; }
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
  figure.wide svg.figure { max-height: none; width: 100%; }
}
"""


def report_html(d: ReportData, lang: str = "en") -> str:
    """The report as one HTML page (inline CSS and SVG, no external request), in ``lang`` ("en" or "zh")."""
    with language(lang):
        return _report_html(d, lang)


def _report_html(d: ReportData, lang: str) -> str:
    figs: dict = {}
    M = _Math()
    sections = [
        _section_experiment(d, figs, M),
        _section_mechanism(d, figs, M),
        _section_derivations(d, M),
        _section_map(d, figs, M),
        _section_data(d, figs, M),
        _section_layers(d, figs, M),
    ]
    toc = [("experiment", tr("The experiment: two starts, two costs")),
           ("mechanism", tr("The mechanism: the slope of the sigmoid")),
           ("derivations", tr("The derivations")), ("map", tr("The map of the slowdown: every start"))]
    if d.comparison is not None:
        from costlab.plots import data_name

        toc.append(("data", tr("On real data: {data}", data=_e(data_name(d.comparison.config["data"])))))
    if d.layers is not None:
        toc.append(("layers", tr("Inside the network: each layer's speed of learning")))
    data_cmd = f" --data {d.comparison.config['data']}" if d.comparison is not None else " --data none"
    lang_cmd = "" if lang == "en" else f" --lang {lang}"
    title = tr("Why cross-entropy: the learning slowdown of the quadratic cost")
    intro = tr(
        "A sigmoid neuron trained with the quadratic cost learns slowest when it is most wrong, because every gradient "
        "carries the slope of the sigmoid, which is tiny on its flat ends. The cross-entropy cost cancels that factor: "
        "its gradient is the error itself. This report retells that argument, from a blog post on the cross-entropy "
        "cost that follows Nielsen's experiment (<i>Neural Networks and Deep Learning</i>, chapter 3), with costlab's "
        "own runs, derivations and measurements.")
    return f"""<!doctype html>
<html lang="{LANGUAGES[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="costlab {__version__}">
<title>{title} ({tr("costlab report")})</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="meta">{tr("A costlab {version} report. Every number and figure below was computed by costlab on the machine that wrote this file; the page loads nothing from anywhere.", version=__version__)}</p>
<p>{intro}</p>
<nav class="toc"><b>{tr("Contents")}</b><ol>{''.join(f'<li><a href="#{i}">{t}</a></li>' for i, t in toc)}</ol></nav>
</header>
{''.join(sections)}
<footer>
<p>{tr("Made with {command}. The same results on the command line: {commands}; interactively: {serve}.",
       command=f"<code>costlab report{data_cmd}{lang_cmd}</code>",
       commands=("、" if lang == "zh" else ", ").join(
           f"<code>costlab {c}</code>" for c in ("reproduce", "derive", "map", "compare")),
       serve="<code>costlab serve</code>")}</p>
</footer>
</body>
</html>
"""


def write_report(path, d: ReportData, lang: str = "en") -> int:
    """Write the report to ``path`` atomically, in ``lang``; return its size in bytes."""
    from costlab.fileio import atomic_write

    text = report_html(d, lang)
    atomic_write(path, text)
    return len(text.encode())
