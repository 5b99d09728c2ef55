"""Labels that mix words and plain-text mathematics, split so that the mathematics can be typeset.

A derivation step's label reads like ``Chain rule: d/du u^-1 = -u^-2, with u = 1 + e^-z``.
:func:`split` cuts it into words and formulas; :func:`to_latex` writes a formula
in LaTeX (``\\frac{d}{du} u^{-1} = -u^{-2}``); :func:`latex_text` writes a whole
label for LaTeX's ``\\text{...}``, each formula in ``$...$``; :func:`skeleton`
replaces the formulas by ``{0}``, ``{1}``, ... so that only the words are
translated. Words between backticks are code (a command), kept as they are.
"""

from __future__ import annotations

import re

__all__ = ["latex_text", "skeleton", "split", "to_latex"]

_MATH_WORDS = {"sigma", "delta", "ln", "exp", "log", "oo", "d", "e", "dC", "da", "dz", "dw", "db", "du", "atan", "tanh"}
_OPERATOR = re.compile(r"[=^/()'*+\-<>0-9|]")
_TOKEN = re.compile(r"`[^`]*`|\S+")


def _mathy(token: str) -> bool:
    core = token.rstrip(",.;:")
    if not core:
        return False
    if not re.fullmatch(r"[A-Za-z0-9=^/()'*+\-<>.|_]+", core):
        return False
    words = re.findall(r"[A-Za-z]{2,}", core)
    if any(w not in _MATH_WORDS for w in words):
        return False
    return bool(_OPERATOR.search(core)) or len(core) == 1 or core in _MATH_WORDS


def split(label: str) -> list[tuple[str, str]]:
    """``label`` as a list of ("text" | "math" | "code", piece), in order."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(label)]
    out: list[tuple[str, str]] = []
    i, pos = 0, 0
    while i < len(tokens):
        tok, start, end = tokens[i]
        if tok.startswith("`") and tok.endswith("`") and len(tok) > 1:
            out.append(("text", label[pos:start]))
            out.append(("code", tok[1:-1]))
            pos, i = end, i + 1
            continue
        j = i
        while j < len(tokens) and _mathy(tokens[j][0]) and not tokens[j][0].startswith("`"):
            j += 1
            if tokens[j - 1][0][-1] in ",;:" and tokens[j - 1][0] not in ("=",):
                break
        run = tokens[i:j]
        last_is_end = j == len(tokens)
        has_op = any(_OPERATOR.search(t.rstrip(",.;:")) for t, _, _ in run)
        number = len(run) == 1 and re.fullmatch(r"[0-9.]+[,.;:)]*", run[0][0]) is not None
        if run and not number and (has_op or last_is_end or (len(run) == 1 and run[0][0].rstrip(",.;:") in _MATH_WORDS - {"d", "e"})):
            a, b = run[0][1], run[-1][2]
            text = label[a:b]
            trail = len(text) - len(text.rstrip(",.;:"))
            while text[: len(text) - trail].endswith(")") and text.count(")") > text.count("("):
                trail += 1
            if text.startswith("(") and text.count("(") > text.count(")"):
                a, text = a + 1, text[1:]
            out.append(("text", label[pos:a]))
            out.append(("math", text[: len(text) - trail] if trail else text))
            pos = b - trail
            i = j
        else:
            i += 1
    out.append(("text", label[pos:]))
    merged: list[tuple[str, str]] = []
    for kind, piece in out:
        if not piece:
            continue
        if merged and merged[-1][0] == kind == "text":
            merged[-1] = ("text", merged[-1][1] + piece)
        else:
            merged.append((kind, piece))
    return merged


def to_latex(math: str) -> str:
    """A plain-text formula (``sigma'(z) = a*(1 - a)``) in LaTeX (``\\sigma'(z) = a(1 - a)``)."""
    s = math
    s = re.sub(r"\bd([A-Za-z])/d([A-Za-z])\b", r"\\partial \1/\\partial \2", s)
    s = re.sub(r"\bd/d([a-z])\b\s*", r"\\mathrm{d}/\\mathrm{d}\1\\;", s)
    s = re.sub(r"\^(-?[A-Za-z0-9.]+)", r"^{\1}", s)
    s = re.sub(r"\*(?=\()", "", s)
    s = s.replace("*", r"\,")
    s = s.replace("->", r"\to ").replace("<=", r"\leq ").replace(">=", r"\geq ")
    s = re.sub(r"\+oo\b", r"+\\infty", s)
    s = re.sub(r"-oo\b", r"-\\infty", s)
    s = re.sub(r"\b(sigma|delta)\b", r"\\\1", s)
    s = re.sub(r"\b(ln|exp|log|tanh)\b", r"\\\1", s)
    return s


def _escape_text(text: str) -> str:
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
    return "".join(table.get(c, c) for c in text)


def latex_text(label: str) -> str:
    """``label`` for the inside of LaTeX's ``\\text{}``: words escaped, formulas in ``$...$``, code in ``\\texttt``."""
    out = []
    for kind, piece in split(label):
        if kind == "math":
            out.append(f"${to_latex(piece)}$")
        elif kind == "code":
            out.append(r"\texttt{" + _escape_text(piece) + "}")
        else:
            out.append(_escape_text(piece))
    return "".join(out)


def skeleton(label: str) -> tuple[str, list[str]]:
    """The words of ``label`` with each formula or command replaced by ``{0}``, ``{1}``, ...; and those pieces."""
    parts, pieces = [], []
    for kind, piece in split(label):
        if kind == "text":
            parts.append(piece.replace("{", "{{").replace("}", "}}"))
        else:
            parts.append("{" + str(len(pieces)) + "}")
            pieces.append((kind, piece))
    return "".join(parts), pieces
