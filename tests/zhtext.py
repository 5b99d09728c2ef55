"""What a Chinese text may keep in Latin letters, and a finder of the words it should not.

A Chinese page, report or figure keeps symbols (a, w, z, C(0)), units (ms, s),
formulas (ln, exp, log), file formats and the names that Chinese texts write in
Latin letters (ReLU, softmax, tanh, costlab, Nielsen, SymPy). Everything else in
Latin letters is a word left untranslated. The sigmoid is 「S 型」 everywhere.
"""

from __future__ import annotations

import re

#: Latin words a Chinese text keeps: names, symbols, units and formula functions.
KEPT = {
    # names
    "costlab", "Nielsen", "SymPy", "LaTeX", "matplotlib", "mathtext", "Python", "NumPy", "Chromium", "ReLU",
    "softmax", "tanh", "MNIST", "English", "KL",
    # file formats and units
    "SVG", "PNG", "PDF", "HTML", "JSON", "CSV", "ms", "KB", "MB",
    # functions in formulas, and subscripts
    "ln", "log", "exp", "max", "min", "sin", "cos",
}
#: Names of several words, kept whole.
PHRASES = ("Neural Networks and Deep Learning", "WenQuanYi Micro Hei", "Fashion-MNIST")
#: The names users type (cost specs, parameters, commands): kept where a message quotes them.
TYPED = {"quadratic", "cross", "entropy", "log", "likelihood", "focal", "kl", "gamma", "alpha", "pos_weight", "smoothing",
         "class_weight", "balanced", "sigmoid", "relu", "default", "large", "abs", "Abs", "arcsinh", "arctan", "asinh",
         "atan", "cosh", "erf", "pi", "sinh", "sqrt", "tan", "serve", "report", "derive", "reproduce", "layers",
         "lang", "zh", "digits", "data", "none", "matching", "gradient", "sigmoid_prime"}

WORD = re.compile(r"(?<![A-Za-z_])[A-Za-z][A-Za-z_]*[A-Za-z](?![A-Za-z_])")


def latin_words(text: str, kept=KEPT) -> list[str]:
    """The Latin words of ``text`` (two letters or more) that a Chinese text should not have."""
    for phrase in PHRASES:
        text = text.replace(phrase, " ")
    return [w for w in WORD.findall(text) if w not in kept]
