"""The seed's algebra done by SymPy: gradients of costs, and the cost that matches an activation.

Every function here returns data: a :class:`Derivation` is a title, a list of
:class:`Step` (an equation ``lhs = rhs`` with a label saying what was done),
notes, and the definitions the steps live under (``z = w x + b``,
``a = sigma(z)``, ``C = ...``). Nothing is printed; :func:`to_text`,
:func:`to_latex`, :func:`to_markdown` and :func:`to_dict` render a list of
derivations for the command line (``costlab derive``), and a Derivation
typesets itself in Jupyter.

Each right-hand side is computed by SymPy (``diff``, ``simplify``, ``factor``,
``apart``, ``integrate``, ``solve``, ``subs``); the intermediate forms shown for
teaching (a product before it is multiplied out, a fraction split in two) are
built from those results with ``evaluate=False``, and the tests check every
step of every derivation (:func:`failing_steps`).

Notation (the blog post's): ``z = w x + b`` is the weighted input of one neuron,
``a = sigma(z)`` its output, ``y`` the target, ``C`` the cost of one sample,
``delta = dC/dz`` the output error. ``Derivative(C, w)`` is dC/dw; ``sigma`` is
an undefined function whose derivative ``Derivative(sigma(z), z)`` is
sigma'(z). The softmax is treated with three classes, written out
(``z1, z2, z3``, ``a1, a2, a3``, ``y1, y2, y3``); the sums over classes have
the same shape for any number of classes.

The package, by job:

- :mod:`costlab.derive.symbols`: the symbols, the errors, sums and products kept for display;
- :mod:`costlab.derive.parse`: the allow-list parser for formulas typed by users;
- :mod:`costlab.derive.calculus`: tidying, inverting, integrating, checking steps;
- :mod:`costlab.derive.derivations`: the derivations themselves;
- :mod:`costlab.derive.render`: :class:`Derivation` and its text, LaTeX, Markdown and JSON views.

It imports SymPy; import it only where a derivation is wanted (the command
line imports it inside ``costlab derive``), because SymPy takes a noticeable
time to import. The numerical core never imports it.
"""

from __future__ import annotations

from costlab.derive.calculus import failing_steps
from costlab.derive.derivations import _seed_cached, entropy, gradient, likelihood, matching, seed
from costlab.derive.parse import (
    _FORMULA_NAMES, MAX_FORMULA_LENGTH, ActivationFormula, activation, parse_activation, parse_expr,
)
from costlab.derive.render import Derivation, Step, _latex, _text, to_dict, to_latex, to_markdown, to_text
from costlab.derive.symbols import (
    COST_NAMES, K_CLASSES, As, C, DeriveError, NoClosedForm, a, b, bs, constant, sigma, w, ws, x, y, ys,
    z, zs,
)

__all__ = [
    "ActivationFormula",
    "COST_NAMES",
    "Derivation",
    "DeriveError",
    "MAX_FORMULA_LENGTH",
    "NoClosedForm",
    "Step",
    "activation",
    "failing_steps",
    "entropy",
    "gradient",
    "likelihood",
    "matching",
    "parse_activation",
    "seed",
    "to_dict",
    "to_latex",
    "to_markdown",
    "to_text",
]
