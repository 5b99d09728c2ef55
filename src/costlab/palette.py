"""costlab's visual language, defined once: a colour per cost, a line style per start or initializer.

The figures (:mod:`costlab.plots`), the report (:mod:`costlab.report`) and the
page (``costlab serve``, which reads :func:`as_json` from ``/api/presets``) all
take their colours and dashes from here, so that a colour always means a cost
and a line style always means a start (or an initializer).

- A built-in cost and its parameterized forms share one colour
  (``focal(gamma=2)`` is coloured as ``focal``); a cost given as a formula gets
  one of :data:`FORMULA_COLORS`, the same one for the same text every time.
- Starts are told apart by line style in order of appearance
  (:data:`START_DASHES`: solid, dashed, dotted, dash-dot); initializers by
  :data:`INIT_DASHES`.

Dashes are given as on-off lengths in units of the line width, which both
matplotlib (``(0, (4, 2))``) and SVG (``stroke-dasharray``) understand.
"""

from __future__ import annotations

import zlib

__all__ = ["COST_COLORS", "FORMULA_COLORS", "INIT_DASHES", "INK", "LAYER_COLORS", "MUTED", "START_DASHES",
           "as_json", "cost_color", "dash_mpl", "dash_svg", "init_dash", "layer_color", "start_dash"]

#: A colour per built-in cost (Open Color 9: red-orange, blue, green, violet, grape, teal).
COST_COLORS = {
    "quadratic": "#d9480f",
    "cross-entropy": "#1971c2",
    "log-likelihood": "#2f9e44",
    "focal": "#7048e8",
    "hinge": "#ae3ec9",
    "huber": "#0c8599",
}
#: Colours for costs typed as formulas, distinct from the built-ins'.
FORMULA_COLORS = ("#e67700", "#c2255c", "#5c940d", "#862e9c", "#364fc7", "#495057")
#: Text, axes and curves that belong to no cost (the sigmoid, targets).
INK = "#343a40"
MUTED = "#868e96"

#: A colour per layer of a network, from the first hidden layer (dark) to the output (light): viridis,
#: stopped before its yellow end so that every line stays visible on white.
LAYER_COLORS = ("#440154", "#3b528b", "#21918c", "#3fbc73", "#8fc31f")

#: Line style per start, in order of appearance: solid, dashed, dotted, dash-dot.
START_DASHES = ((), (5, 2.5), (1, 1.6), (5, 2, 1, 2))
#: Line style per initializer.
INIT_DASHES = {"default": (), "large": (5, 2.5)}


def _base(spec: str) -> str:
    return spec.split("(", 1)[0].strip()


def cost_color(spec: str) -> str:
    """The colour of the cost ``spec``: its base name's for a built-in (``focal(gamma=2)`` -> focal's),
    else one of :data:`FORMULA_COLORS` chosen by the text (the same text, the same colour)."""
    base = _base(spec)
    if base in COST_COLORS:
        return COST_COLORS[base]
    return FORMULA_COLORS[zlib.crc32(spec.encode()) % len(FORMULA_COLORS)]


def layer_color(l: int, L: int) -> str:
    """The colour of layer ``l`` (0: the first hidden layer) of ``L`` layers: the first and the last
    layer always at the ends of :data:`LAYER_COLORS`, the page and the figures alike."""
    n = len(LAYER_COLORS) - 1
    return LAYER_COLORS[int(l * n / max(L - 1, 1) + 0.5)]


def start_dash(i: int) -> tuple:
    """The dashes of the ``i``-th start (0: solid)."""
    return START_DASHES[i % len(START_DASHES)]


def init_dash(init: str) -> tuple:
    """The dashes of an initializer (``default`` solid, ``large`` dashed; others dotted)."""
    return INIT_DASHES.get(init, START_DASHES[2])


def dash_mpl(dashes: tuple):
    """Dashes as a matplotlib ``linestyle``."""
    return "-" if not dashes else (0, tuple(dashes))


def dash_svg(dashes: tuple, width: float = 1.0) -> str:
    """Dashes as an SVG ``stroke-dasharray`` for a line ``width`` wide ("none" when solid)."""
    return "none" if not dashes else " ".join(f"{d * width:g}" for d in dashes)


def as_json() -> dict:
    """The palette as plain data, for the page."""
    return {"costs": dict(COST_COLORS), "formulas": list(FORMULA_COLORS), "ink": INK, "muted": MUTED,
            "layers": list(LAYER_COLORS), "starts": [list(d) for d in START_DASHES], "inits": {k: list(v) for k, v in INIT_DASHES.items()}}
