"""Rendering derivations: text, LaTeX, Markdown, and plain data for JSON.

A :class:`Derivation` is data (a title, its steps, notes and definitions);
this module holds it with the views of it: :func:`to_text` for the terminal,
:func:`to_latex`, :func:`to_markdown`, :func:`to_dict` for JSON, and the
``_repr_latex_`` / ``_repr_markdown_`` hooks that Jupyter uses to typeset it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from costlab.derive.symbols import _is_product, _rebuild, b, bs, constant, sigma, y, ys

@dataclass(frozen=True)
class Step:
    """One equation ``lhs = rhs`` of a derivation, with what was done to get it."""

    label: str
    lhs: sp.Basic
    rhs: sp.Basic


@dataclass
class Derivation:
    """A titled list of steps; the last step is the result.

    Attributes
    ----------
    title : str
    steps : list of Step
    notes : list of str
        Plain-text remarks printed after the steps (the slowdown factor, the
        constant chosen, ...).
    where : dict
        What the symbols stand for, ``{Symbol: expression}`` (``z: w*x + b``,
        ``a: sigma(z)``, ``C: ...``, ``constant: ...``), and ``sigma`` itself
        as a ``Lambda``; the steps hold under these definitions.
    result : dict
        The results by name (``"dC/dz"``, ``"dC/dw"``, ``"dC/db"``,
        ``"slowdown_factor"``; ``"C"`` for a matching cost), SymPy expressions
        or None.
    assume : dict
        Substitutions the steps also rely on (the one-hot target of the
        softmax, ``y3 = 1 - y1 - y2``).
    """

    title: str
    steps: list[Step]
    notes: list[str] = field(default_factory=list)
    where: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    assume: dict = field(default_factory=dict)

    def __post_init__(self):
        # a step that prints exactly as the one before it adds nothing
        kept = []
        for step in self.steps:
            if kept and kept[-1].lhs == step.lhs and _text(kept[-1].rhs) == _text(step.rhs):
                continue
            kept.append(step)
        self.steps = kept

    def _repr_latex_(self) -> str:
        """The steps as one LaTeX ``aligned`` block, for Jupyter (MathJax typesets it)."""
        rows = []
        previous = None
        for step in self.steps:
            lhs = "" if previous is not None and step.lhs == previous else _latex(step.lhs)
            rows.append(f"{lhs} &= {_latex(step.rhs)} && \\text{{{_latex_label(step.label)}}}")
            previous = step.lhs
        return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$"

    def _repr_markdown_(self) -> str:
        """The derivation as Markdown with ``$$`` equations (:func:`to_markdown`), for Jupyter."""
        return to_markdown([self])



def _add_priority(term) -> int:
    """Sums read as in the blog post: w*x + b, a - y, sigma(z) - y, ... + constant."""
    if term.has(constant):
        return 2
    if term.free_symbols and term.free_symbols <= {y, b, *ys, *bs}:
        return 1
    return 0


class _OrderMixin:
    """Products built unevaluated print factor by factor (``dC/da * sigma'(z)``);
    sums print as in the blog post (``w*x + b``, ``a - y``, ``... + constant``)."""

    _times = " * "

    def _print_Mul(self, expr):
        if _is_product(expr) or any(isinstance(f, sp.Derivative) for f in expr.args):
            args = list(expr.args)
            sign = ""
            if args and args[0] == -1 and len(args) > 1:
                sign, args = "-", args[1:]
            parts = []
            for i, f in enumerate(args):
                p = self.parenthesize(f, PRECEDENCE["Mul"], strict=True)
                parts.append(self._paren(p) if p.startswith("-") and (i or sign) else p)
            return sign + self._times.join(parts)
        old = self._settings["order"]
        self._settings["order"] = "none"
        try:
            return super()._print_Mul(expr)
        finally:
            self._settings["order"] = old

    def _print_Add(self, expr, order=None):
        if _is_product(expr):
            terms = list(expr.args)
        else:
            terms = sorted(self._as_ordered_terms(expr, order=None), key=_add_priority)
        old = self._settings["order"]
        self._settings["order"] = "none"
        try:
            return super()._print_Add(sp.Add(*terms, evaluate=False))
        finally:
            self._settings["order"] = old

    def _paren(self, text):
        return f"({text})"


class _TextPrinter(_OrderMixin, StrPrinter):
    """One line of plain text: dC/dw, sigma'(z), e^-z, ln, ^, ∫ ... da."""

    def _print_Derivative(self, expr):
        f, variables = expr.expr, expr.variables
        if len(variables) == 1:
            v = self._print(variables[0])
            if isinstance(f, sp.Symbol):
                return f"d{self._print(f)}/d{v}"
            if isinstance(f, AppliedUndef) and f.args == variables:
                return f"{f.func.__name__}'({v})"
            return f"d/d{v} [{self._print(f)}]"
        return super()._print_Derivative(expr)

    def _print_exp(self, expr):
        arg = expr.args[0]
        if arg.is_Atom or (arg.could_extract_minus_sign() and (-arg).is_Atom):
            return f"e^{self._print(arg)}"
        return f"e^({self._print(arg)})"

    def _print_Pow(self, expr, rational=False):
        if isinstance(expr.base, sp.exp) and expr.exp.is_integer:
            return self._print_exp(sp.exp(expr.base.args[0] * expr.exp, evaluate=False))
        return super()._print_Pow(expr, rational)

    def _print_log(self, expr):
        return f"ln({self._print(expr.args[0])})"

    def _print_Integral(self, expr):
        (var, *_), = expr.limits
        return f"∫ {self._print(expr.function)} d{self._print(var)}"

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(arg) for arg in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(arg) for arg in expr.args) + ")"


class _LatexPrinter(_OrderMixin, LatexPrinter):
    _times = r" \cdot "

    def _paren(self, text):
        return rf"\left({text}\right)"

    def __init__(self):
        from costlab.i18n import current

        # "+ constant" as the blog post writes it; in Chinese the constant of integration is K (常数 K)
        name = r"\mathrm{constant}" if current() == "en" else "K"
        super().__init__({"ln_notation": True, "symbol_names": {constant: name}})

    def _print_Derivative(self, expr):
        f, variables = expr.expr, expr.variables
        if len(variables) == 1:
            v = self._print(variables[0])
            if isinstance(f, sp.Symbol):
                return rf"\frac{{\partial {self._print(f)}}}{{\partial {v}}}"
            if isinstance(f, AppliedUndef) and f.args == variables:
                return rf"{self._print(sp.Symbol(f.func.__name__))}'({v})"
        return super()._print_Derivative(expr)


def _text(expr) -> str:
    return _TextPrinter().doprint(expr).replace("**", "^")


def _latex(expr) -> str:
    return _LatexPrinter().doprint(expr)


def _explicit(expr, d: Derivation):
    """``expr`` with sigma(z) written out, for strings that SymPy's parser reads back."""
    lam = d.where.get(sigma)
    return expr.replace(sigma, lam) if lam is not None else expr


def _plain(expr, d: Derivation) -> str:
    return sp.sstr(_explicit(expr, d), order=None)


def to_dict(derivations: list[Derivation]) -> dict:
    """Plain data for JSON: ``{"steps": [...], "sections": [...]}``.

    Each step is ``{"section", "label", "lhs", "rhs", "latex", "text"}``: lhs
    and rhs in SymPy's plain syntax (``Derivative(C, w)``, ``exp(-z)``, with
    sigma(z) written out), which ``sympy.parse_expr`` reads back; ``latex``
    the whole equation; ``text`` as printed by ``costlab derive``. Each
    section has its title, notes, the definitions (``where``) and results.
    The last step of each section is its result.
    """
    steps, sections = [], []
    for i, d in enumerate(derivations):
        for step in d.steps:
            steps.append({
                "section": i,
                "label": step.label,
                "lhs": _plain(step.lhs, d),
                "rhs": _plain(step.rhs, d),
                "latex": f"{_latex(step.lhs)} = {_latex(step.rhs)}",
                "text": f"{_text(step.lhs)} = {_text(step.rhs)}",
            })
        sections.append({
            "title": d.title,
            "notes": list(d.notes),
            "where": {str(k) if isinstance(k, sp.Symbol) else f"{k}(z)": _plain(v if isinstance(k, sp.Symbol)
                                                                               else v.expr, d)
                      for k, v in d.where.items()},
            "assume": {str(k): _plain(v, d) for k, v in d.assume.items()},
            "result": {k: (None if v is None else _plain(_rebuild(v), d)) for k, v in d.result.items()},
        })
    return {"steps": steps, "sections": sections}


def _wrap(text: str, indent: str, width: int = 88) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=" " * len(indent))


def to_text(derivations: list[Derivation]) -> str:
    """The derivations as terminal text: a heading, then each step's label and equation."""
    out = []
    for n, d in enumerate(derivations, 1):
        title = f"{n}. {d.title}" if len(derivations) > 1 else d.title
        out += [title, "=" * len(title), ""]
        previous = None
        pad = 0
        for step in d.steps:
            out.append(f"  {step.label}:")
            if previous is not None and step.lhs == previous:
                out.append(f"      {' ' * pad} = {_text(step.rhs)}")
            else:
                lhs = _text(step.lhs)
                pad = len(lhs)
                out.append(f"      {lhs} = {_text(step.rhs)}")
            previous = step.lhs
        if d.notes:
            out.append("")
            for note in d.notes:
                out += _wrap(note, "  * ")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _latex_label(label: str) -> str:
    """A step's label for ``\\text{}``: words as text, each formula in it typeset as ``$...$``."""
    from costlab.mathlabel import latex_text

    return latex_text(label)


def to_latex(derivations: list[Derivation]) -> str:
    """The derivations as LaTeX: one ``align*`` environment per derivation (needs amsmath)."""
    out = ["% costlab derive: needs \\usepackage{amsmath}"]
    for d in derivations:
        out += ["", f"% {d.title}", r"\begin{align*}"]
        previous = None
        lines = []
        for step in d.steps:
            lhs = "" if previous is not None and step.lhs == previous else _latex(step.lhs)
            lines.append(f"  {lhs} &= {_latex(step.rhs)} && \\text{{{_latex_label(step.label)}}}")
            previous = step.lhs
        out.append(" \\\\\n".join(lines))
        out.append(r"\end{align*}")
        for note in d.notes:
            out.append(f"% {note}")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def to_markdown(derivations: list[Derivation]) -> str:
    """The derivations as Markdown: a heading each, label lines and ``$$`` blocks."""
    out = []
    for d in derivations:
        out += [f"## {_md_escape(d.title)}", ""]
        for step in d.steps:
            out += [f"{_md_escape(step.label)}:", "", f"$$ {_latex(step.lhs)} = {_latex(step.rhs)} $$", ""]
        for note in d.notes:
            out.append(f"- {_md_escape(note)}")
        if d.notes:
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
