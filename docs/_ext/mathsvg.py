"""Math typeset at build time, as inline SVG drawn by matplotlib's mathtext.

The pages need no script and no font to show their formulas, and open offline,
like the report of ``costlab report``. A formula mathtext cannot read is a
build error. Display math is centred on its own line; inline math sits on the
text's baseline.
"""

from __future__ import annotations

import hashlib
import io
import re

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

_XML_HEAD = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')


def render(latex: str, *, size: float) -> str:
    """``latex`` (math mode, without $) as an inline SVG element; ValueError if mathtext cannot read it."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    text = "$" + " ".join(latex.split()) + "$"
    with rc_context({"mathtext.fontset": "stix", "svg.hashsalt": "costlab-docs", "svg.fonttype": "path"}):
        prop = FontProperties(size=size)
        width, height, depth, _, _ = MathTextParser("path").parse(text, dpi=72, prop=prop)
        fig = Figure(figsize=(width / 72.0, height / 72.0))
        fig.text(0, depth / height, text, fontproperties=prop)
        buf = io.BytesIO()
        fig.savefig(buf, dpi=72, format="svg", transparent=True, metadata={"Date": None})
    svg = _XML_HEAD.sub("", buf.getvalue().decode()).strip()
    # ids unique on the page: prefixed with a hash of the formula
    prefix = "m" + hashlib.sha1(latex.encode()).hexdigest()[:10]
    for i in sorted(set(_ID.findall(svg)), key=len, reverse=True):
        svg = re.sub(r'(id="|href="#|url\(#)' + re.escape(i) + r'(?=["\)])', lambda m: f"{m.group(1)}{prefix}-{i}", svg)
    label = latex.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" style="vertical-align: -{depth:.2f}pt" ', 1)


def _typeset(self, node, latex: str, size: float) -> str:
    try:
        return render(latex, size=size)
    except ValueError as e:
        logger.warning("mathtext cannot typeset %r: %s", latex, " ".join(str(e).split()), location=node)
        return f"<code>{latex}</code>"


def visit_math(self, node):
    self.body.append(f'<span class="math">{_typeset(self, node, node.astext(), 13.0)}</span>')
    raise nodes.SkipNode


def visit_displaymath(self, node):
    # fractions in display style, as in typeset displays
    latex = node.astext().replace(r"\frac", r"\dfrac")
    self.body.append(f'<div class="math" style="text-align: center; margin: 1em 0">{_typeset(self, node, latex, 15.0)}</div>')
    raise nodes.SkipNode


def setup(app):
    try:
        app.add_html_math_renderer("mathsvg", (visit_math, None), (visit_displaymath, None))
    except ExtensionError:  # pragma: no cover - registered twice
        pass
    return {"parallel_read_safe": True, "parallel_write_safe": True}
