"""The seed's algebra done by SymPy: gradients of costs, and the cost that matches an activation.

Every function here returns data: a :class:`Derivation` is a title, a list of
:class:`Step` (an equation ``lhs = rhs`` with a label saying what was done),
notes, and the definitions the steps live under (``z = w x + b``,
``a = sigma(z)``, ``C = ...``). Nothing is printed; :func:`to_text`,
:func:`to_latex`, :func:`to_markdown` and :func:`to_dict` render a list of
derivations for the command line (``costlab derive``).

Each right-hand side is computed by SymPy (``diff``, ``simplify``, ``factor``,
``apart``, ``integrate``, ``solve``, ``subs``); the intermediate forms shown for
teaching (a product before it is multiplied out, a fraction split in two) are
built from those results with ``evaluate=False``, and the tests check every
step of every derivation (:func:`failing_steps`).

Notation (the seed's): ``z = w x + b`` is the weighted input of one neuron,
``a = sigma(z)`` its output, ``y`` the target, ``C`` the cost of one sample,
``delta = dC/dz`` the output error. ``Derivative(C, w)`` is dC/dw; ``sigma`` is
an undefined function whose derivative ``Derivative(sigma(z), z)`` is
sigma'(z). The softmax is treated with three classes, written out
(``z1, z2, z3``, ``a1, a2, a3``, ``y1, y2, y3``); the sums over classes have
the same shape for any number of classes.

This module imports SymPy at the top; import it only where a derivation is
wanted (the command line imports it inside ``costlab derive``), because SymPy
takes a noticeable time to import.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.functions.elementary.hyperbolic import HyperbolicFunction
from sympy.functions.elementary.trigonometric import TrigonometricFunction
from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from costlab.formula_limits import check_formula

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
    "gradient",
    "matching",
    "parse_activation",
    "seed",
    "to_dict",
    "to_latex",
    "to_markdown",
    "to_text",
]

# --------------------------------------------------------------------------- #
# Symbols: the seed's names. Real, so that SymPy may simplify log(exp(z)) = z.
# --------------------------------------------------------------------------- #

z, a, y, w, b, x = sp.symbols("z a y w b x", real=True)
C = sp.Symbol("C")
constant = sp.Symbol("constant")
sigma = sp.Function("sigma")

#: The softmax is worked with this many classes, written out.
K_CLASSES = 3
zs = sp.symbols(f"z1:{K_CLASSES + 1}", real=True)
As = sp.symbols(f"a1:{K_CLASSES + 1}", real=True)
ys = sp.symbols(f"y1:{K_CLASSES + 1}", real=True)
ws = sp.symbols(f"w1:{K_CLASSES + 1}", real=True)
bs = sp.symbols(f"b1:{K_CLASSES + 1}", real=True)

COST_NAMES = ("quadratic", "cross-entropy", "log-likelihood")


class DeriveError(ValueError):
    """The input cannot be derived: a refused formula or a pair that makes no sense."""


class NoClosedForm(Exception):
    """The input is fine but SymPy finds no closed form (no inverse, no antiderivative)."""


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


@dataclass(frozen=True)
class ActivationFormula:
    """An output activation as SymPy knows it: ``sigma(z) = expr``, or the softmax.

    ``name`` is a built-in name (``sigmoid``) or the user's formula as typed;
    ``expr`` is None for the softmax, which acts on a vector of logits.
    """

    name: str
    expr: sp.Expr | None
    builtin: bool

    @property
    def softmax(self) -> bool:
        return self.expr is None

    @property
    def title(self) -> str:
        return self.name if self.builtin else f"sigma(z) = {_text(self.expr)}"


# --------------------------------------------------------------------------- #
# Activations: the built-ins and the user's formulas
# --------------------------------------------------------------------------- #

_BUILTIN = {
    "sigmoid": 1 / (1 + sp.exp(-z)),
    "tanh": sp.tanh(z),
    "identity": z,
    "relu": sp.Max(0, z),
}

#: The longest formula accepted for --activation.
MAX_FORMULA_LENGTH = 200

#: Names a formula may use, and what they mean. Nothing else is ever looked up.
_FORMULA_NAMES = {
    "z": z,
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan, "arctan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh, "arcsinh": sp.asinh,
    "erf": sp.erf, "abs": sp.Abs, "Abs": sp.Abs, "max": sp.Max, "min": sp.Min,
    "pi": sp.pi, "E": sp.E, "e": sp.E,
}
_FORMULA_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-*/^().,")
_TOKEN = re.compile(
    r" *(?:(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9]*)|(?P<op>\*\*|[-+*/^(),]))"
)
#: Largest |constant| and |constant exponent| in a formula, and its largest number of nodes.
_MAX_CONSTANT = 1e100
_MAX_EXPONENT = 100
_MAX_NODES = 300


def activation(spec: str) -> ActivationFormula:
    """The activation named ``spec`` (sigmoid, tanh, identity, relu, softmax), or a formula in z."""
    if spec == "softmax":
        return ActivationFormula("softmax", None, True)
    if spec in _BUILTIN:
        return ActivationFormula(spec, _BUILTIN[spec], True)
    return ActivationFormula(spec.strip() if isinstance(spec, str) else spec, parse_activation(spec), False)


def parse_activation(text) -> sp.Expr:
    """sigma(z) from the user's formula, parsed as mathematics only; DeriveError if refused.

    Notes
    -----
    SymPy's ``parse_expr`` turns the text into Python code and runs ``eval``
    on it; it must never see arbitrary text. So the text is checked first:
    ASCII only, at most ``MAX_FORMULA_LENGTH`` characters, only letters,
    digits, spaces and ``+ - * / ^ ( ) . ,``; it is split into numbers,
    names and operators by a regular expression, and every name must be one
    of ``_FORMULA_NAMES`` (z, the functions, pi and e). With no quotes,
    brackets, colons, underscores or attribute access (a dot occurs only
    inside a number), the only code that can reach ``eval`` is arithmetic and
    calls of the allowed functions. ``eval`` then runs with a global namespace
    holding only the few SymPy classes the parser emits (Integer, Float,
    Rational, Add, Mul, Pow) and an empty ``__builtins__``, and a local
    namespace holding only the allowed names. The expression is parsed with
    ``evaluate=False``, so ``9**9**9**9`` is not computed: exponents and
    constants are bounded (``_MAX_EXPONENT``, ``_MAX_CONSTANT``) before the
    tree is evaluated. This module never calls ``eval`` itself.
    """
    if not isinstance(text, str):
        raise DeriveError("the activation must be a formula in z given as text")
    if len(text) > MAX_FORMULA_LENGTH:
        raise DeriveError(f"the formula is too long ({len(text)} characters; at most {MAX_FORMULA_LENGTH})")
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise DeriveError(f"the formula may use ASCII characters only, not {bad!r} (U+{ord(bad):04X})")
    bad = sorted(set(text) - _FORMULA_CHARS)
    if bad:
        raise DeriveError(
            f"character {bad[0]!r} is not allowed in a formula "
            "(use letters, digits, spaces and + - * / ^ ( ) . ,)"
        )
    if "//" in text:
        raise DeriveError("'//' (floor division) is not allowed in a formula; use /")
    if "__" in text:
        raise DeriveError("'__' is not allowed in a formula")
    if re.search(r"\.\s*[A-Za-z_]", text):
        raise DeriveError("attribute access ('.name') is not allowed in a formula")
    if not text.strip():
        raise DeriveError("the formula is empty")
    check_formula(text, DeriveError)  # time bombs (towers, huge degrees, deep nesting) refused before SymPy

    previous = None
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise DeriveError(f"cannot read the formula at {text[pos:pos + 10]!r}")
        kind = m.lastgroup
        token = m.group(kind)
        if kind == "name" and token not in _FORMULA_NAMES:
            allowed = ", ".join(sorted(_FORMULA_NAMES, key=str.lower))
            raise DeriveError(f"unknown name {token!r} in the formula; allowed: {allowed}")
        if kind in ("name", "number") and previous in ("name", "number"):
            raise DeriveError(f"write products with '*' (at {token!r})")
        previous = kind if kind != "op" else token
        pos = m.end()

    global_dict = {
        "__builtins__": {},
        "Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
        "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow,
    }
    local_dict = dict(_FORMULA_NAMES)
    try:
        expr = parse_expr(
            text, local_dict=local_dict, global_dict=global_dict,
            transformations=(auto_number, convert_xor), evaluate=False,
        )
    except Exception as e:  # SyntaxError, TypeError (z(2)), ...: the text is not a formula
        raise DeriveError(f"not a formula in z: {text.strip()!r} ({type(e).__name__})") from None
    if not isinstance(expr, sp.Expr):
        raise DeriveError(f"not a formula in z: {text.strip()!r}")
    _check_sizes(expr)
    try:
        expr = _rebuild(expr)
    except Exception as e:
        raise DeriveError(f"not a formula in z: {text.strip()!r} ({type(e).__name__})") from None
    if not isinstance(expr, sp.Expr) or not expr.has(z):
        raise DeriveError(f"the formula must depend on z, got {text.strip()!r}")
    if expr.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise DeriveError(f"sigma(z) must be real and finite for real z, got {_text(expr)}")
    for z0 in (sp.Rational(3, 10), sp.Rational(-7, 10)):
        v = sp.N(expr.subs(z, z0), 15)
        if not (v.is_real and v.is_finite):
            raise DeriveError(f"sigma(z) must be real and finite for real z; at z = {z0} it is {v}")
    return expr


def _check_sizes(expr):
    """Refuse huge trees, huge constants and huge constant exponents (before evaluating)."""
    nodes = list(sp.postorder_traversal(expr))
    if len(nodes) > _MAX_NODES:
        raise DeriveError(f"the formula is too large ({len(nodes)} terms; at most {_MAX_NODES})")
    for node in nodes:  # children before parents: each value below is of checked parts only
        if not isinstance(node, sp.Expr) or node.has(z):
            continue
        if isinstance(node, sp.Pow):
            e = _constant_value(node.exp)
            if not abs(e) <= _MAX_EXPONENT:
                raise DeriveError(f"exponent too large in the formula (|exponent| at most {_MAX_EXPONENT})")
        v = _constant_value(node)
        if not abs(v) <= _MAX_CONSTANT:
            raise DeriveError(f"number too large in the formula (at most {_MAX_CONSTANT:.0e})")
    for node in nodes:
        if isinstance(node, sp.Pow) and node.has(z) and not node.exp.has(z):
            if not abs(_constant_value(node.exp)) <= _MAX_EXPONENT:
                raise DeriveError(f"exponent too large in the formula (|exponent| at most {_MAX_EXPONENT})")


def _constant_value(expr) -> float:
    """|value| of a constant sub-formula whose parts are already bounded (inf if not a number)."""
    try:
        v = complex(sp.N(expr, 15))
    except (TypeError, ValueError, OverflowError):
        return math.inf
    return abs(v) if math.isfinite(abs(v)) else math.inf


def _rebuild(expr):
    """The tree parsed with ``evaluate=False``, evaluated now that it is known to be small."""
    if not expr.args:
        return expr
    return expr.func(*(_rebuild(arg) for arg in expr.args))


# --------------------------------------------------------------------------- #
# Helpers: tidy signs, invert an activation, integrate
# --------------------------------------------------------------------------- #

_SYMBOL_ORDER = (a, *As, z, *zs, x, y, *ys)


def _leading_negative(add: sp.Add) -> bool:
    """Whether ``add`` reads better negated: ``a - 1`` -> ``1 - a``, ``y - a`` -> ``a - y``."""
    const, rest = add.as_coeff_Add()
    if const != 0:
        return bool(const < 0)
    for s in _SYMBOL_ORDER:
        for term in sp.Add.make_args(add):
            if term.has(s):
                return bool(term.as_coeff_Mul()[0] < 0)
    return False


def _tidy(expr):
    """Rewrite factors like ``(a - 1)`` as ``-(1 - a)``, so results read as in the seed."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    if isinstance(expr, sp.Mul):
        sign = 1
        factors = []
        for f in expr.args:
            f = _tidy(f)
            base, n = (f.base, f.exp) if isinstance(f, sp.Pow) else (f, sp.Integer(1))
            if isinstance(base, sp.Add) and n.is_integer and _leading_negative(base):
                base = -base
                sign = -sign if int(n) % 2 else sign
                f = base ** n
            factors.append(f)
        return sp.Mul(sign, *factors)
    if isinstance(expr, sp.Add):
        return sp.Add(*(_tidy(t) for t in expr.args))
    return expr.func(*(_tidy(arg) for arg in expr.args))


#: Products built for display, printed factor by factor (``x * (a - y) * a*(1 - a)``),
#: by identity: an equal product built elsewhere prints as usual.
_PRODUCTS: dict = {}


def _is_product(expr) -> bool:
    return _PRODUCTS.get(id(expr)) is expr


def _plus(*terms):
    """The sum of ``terms``, kept unevaluated and printed in this order."""
    total = sp.Add(*terms, evaluate=False)
    _PRODUCTS[id(total)] = total
    return total


def _times(*factors):
    """The product of ``factors``, kept unevaluated and printed factor by factor."""
    flat = []
    for f in factors:
        flat.extend(f.args if isinstance(f, sp.Mul) and _is_product(f) else [f])
    product = sp.Mul(*flat, evaluate=False)
    _PRODUCTS[id(product)] = product
    return product


def _an(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _same(e1, e2) -> bool:
    return sp.simplify(e1 - e2) == 0


def _real_logs(expr, var, sample):
    """Replace ``log(u)`` by ``log(-u)`` where ``u < 0`` at ``var = sample`` (a constant shift)."""
    def fix(node):
        u = node.args[0]
        v = u.subs(var, sample)
        if v.free_symbols:
            v = v.subs({s: sp.Rational(1, 3) for s in v.free_symbols})
        v = sp.N(v)
        if v.is_real and v < 0:
            return sp.log(_tidy(-u))
        return node
    return expr.replace(lambda n: isinstance(n, sp.log), fix)


def _samples(expr):
    """Two sample inputs z and their outputs a = sigma(z)."""
    return [(z0, expr.subs(z, z0)) for z0 in (sp.Rational(37, 100), sp.Rational(-81, 100))]


def _inverse(expr):
    """z as a function of a = expr(z), the branch that inverts it at sample points; None if none."""
    try:
        candidates = sp.solve(sp.Eq(expr, a), z)
    except (NotImplementedError, ValueError, TypeError):
        return None
    for g in candidates:
        if g.has(sp.Piecewise) or not g.has(a):
            continue
        ok = True
        for z0, a0 in _samples(expr):
            v = sp.N(g.subs(a, a0), 20)
            if not (v.is_real and abs(float(v) - float(z0)) < 1e-12):
                ok = False
                break
        if ok:
            return _tidy(sp.simplify(g))
    return None


def _prime_in_a(expr):
    """(sigma'(z) in z, sigma'(z) in a or None, the inverse z(a) used or None)."""
    d = sp.diff(expr, z)
    direct = d.subs(expr, a)
    if not direct.has(z):
        return d, _shortest(direct), None
    g = _inverse(expr)
    if g is None:
        return d, None, None
    at_g = d.subs(z, g)
    forms = [sp.simplify(at_g)]
    if at_g.has(HyperbolicFunction, TrigonometricFunction):
        # cosh(ln(a + sqrt(1 + a^2))) is sqrt(1 + a^2): seen once written with exp
        with_exp = sp.simplify(at_g.rewrite(sp.exp))
        forms += [with_exp, sp.simplify(sp.radsimp(with_exp))]
    forms = [f for f in forms if not f.has(z)]
    if not forms:
        return d, None, g
    return d, _shortest(min(forms, key=sp.count_ops)), g


def _shortest(expr):
    """The factored or the expanded form of ``expr``, whichever is shorter (factored on a tie)."""
    forms = [_tidy(sp.factor(expr)), sp.expand(expr)]
    return min(forms, key=sp.count_ops)


def _integrate(f, var):
    """The shortest antiderivative of ``f`` by ``var`` that SymPy finds term by term, or None.

    Tried: partial fractions (rational ``f``), the expanded sum, and the sum with
    sec written for 1/cos (SymPy's manual integration then finds a tan(a) +
    ln(cos(a)) rather than a page of tan(a/2)); each term by manual
    integration first, then by the full algorithm.
    """
    forms = []
    if f.is_rational_function(var):
        forms.append(sp.apart(sp.together(f), var))
    expanded = sp.expand(f)
    forms.append(expanded)
    if expanded.has(sp.cos):
        forms.append(expanded.rewrite(sp.sec))
    found = []
    for form in forms:
        total = sp.Integer(0)
        for term in sp.Add.make_args(form):
            F = sp.integrate(term, var, manual=True)
            if F.has(sp.Integral):
                F = sp.integrate(term, var)
            if F.has(sp.Integral):
                break
            total += F
        else:
            found.append(total)
    return min(found, key=sp.count_ops) if found else None


def _clean_antiderivative(F, var):
    """ln(2 - 2a) -> ln(1 - a): numeric factors in logs and terms free of ``var`` go into the constant."""
    F = F.replace(lambda n: isinstance(n, sp.log), lambda n: sp.expand_log(sp.log(sp.factor_terms(n.args[0])), force=True))
    F = sp.expand(F)
    F = sp.Add(*(t for t in sp.Add.make_args(F) if t.has(var)))
    return _collect_logs(F)


def _collect_logs(expr):
    """``expr`` expanded, then collected by its logarithms, each coefficient factored and tidied."""
    logs = sorted(expr.atoms(sp.log), key=sp.default_sort_key)
    if not logs:
        return sp.expand(expr)
    collected = sp.collect(sp.expand(expr), logs, evaluate=False)
    terms = []
    for key, coeff in collected.items():
        # one product of all factors at once: (1 - y)/2 * ln(1 - a) stays, not (1/2 - y/2) ln(1 - a)
        terms.append(_tidy(sp.factor(coeff) * key) if key != 1 else _tidy(sp.factor(coeff)))
    return sp.Add(*terms)


def _log_ratios(expr):
    """c ln(u) - c ln(v) -> c ln(u/v) for each coefficient c, or None if there is nothing to combine."""
    logs = sorted(expr.atoms(sp.log), key=sp.default_sort_key)
    if len(logs) < 2:
        return None
    collected = sp.collect(sp.expand(expr), logs, evaluate=False)
    by_coeff: dict = {}
    for key, coeff in collected.items():
        if key == 1:
            return None
        c = _tidy(sp.factor(coeff))
        sign = 1
        if _leading_negative(c) if isinstance(c, sp.Add) else c.could_extract_minus_sign():
            c, sign = _tidy(sp.factor(-coeff)), -1
        by_coeff.setdefault(c, []).append((sign, key))
    if all(len(v) < 2 for v in by_coeff.values()):
        return None
    terms = []
    for c in sorted(by_coeff, key=lambda c: (sp.count_ops(c), _text(c))):
        pairs = by_coeff[c]
        num = sp.Mul(*(k.args[0] for s_, k in pairs if s_ > 0))
        den = sp.Mul(*(k.args[0] for s_, k in pairs if s_ < 0))
        if num == 1 or den == 1:   # nothing to combine: c ln(u) or -c ln(u) as it was
            terms.extend(_tidy(s_ * c * k) for s_, k in pairs)
        else:
            content, primitive = c.as_content_primitive()
            terms.append(sp.Mul(content, primitive, sp.log(num / den)))   # (1 - y)*ln(...)/2
    return sp.Add(*terms, evaluate=False)


def _minus_outside(expr):
    """``-(u + v)`` written with the minus outside when every term is negative; else None."""
    terms = sp.Add.make_args(expr)
    if len(terms) > 1 and all(t.could_extract_minus_sign() for t in terms):
        return _times(-1, sp.Add(*(-t for t in terms)))
    return None


def _limits(expr):
    """sigma(z) as z -> -oo and z -> +oo (None where SymPy cannot tell)."""
    out = []
    for end in (-sp.oo, sp.oo):
        try:
            v = sp.limit(expr, z, end)
        except Exception:  # noqa: BLE001 - limit() raises many kinds; unknown is fine
            v = None
        if v is not None and (v.has(sp.AccumBounds) or v.has(sp.Limit) or v is sp.nan):
            v = None
        out.append(v)
    return out


def _engine_pairs():
    """The (cost, activation) pairs that costlab's numeric engine trains."""
    from costlab.costs import COSTS

    return {(name, act) for name, cost in COSTS.items() for act in cost.activations}


# --------------------------------------------------------------------------- #
# Costs, as functions of the output a (one unit) or a1..a3 (softmax)
# --------------------------------------------------------------------------- #

def _cost_expr(cost: str, outputs, targets):
    if cost == "quadratic":
        return sp.Add(*((t - o) ** 2 for o, t in zip(outputs, targets))) / 2
    if cost == "cross-entropy":
        return -sp.Add(*(t * sp.log(o) + (1 - t) * sp.log(1 - o) for o, t in zip(outputs, targets)))
    if cost == "log-likelihood":
        return -sp.Add(*(t * sp.log(o) for o, t in zip(outputs, targets)))
    raise DeriveError(f"unknown cost {cost!r}; choose one of: {', '.join(COST_NAMES)}")


_COST_TITLES = {
    "quadratic": "quadratic cost",
    "cross-entropy": "cross-entropy cost",
    "log-likelihood": "log-likelihood cost",
}


# --------------------------------------------------------------------------- #
# The gradient of a cost for one output activation
# --------------------------------------------------------------------------- #

def gradient(cost: str, act: str | ActivationFormula | None = None) -> Derivation:
    """dC/dz, dC/dw and dC/db of ``cost`` for a neuron with output activation ``act``.

    The log-likelihood needs the softmax (it is a cost on a probability
    distribution over classes): any other activation raises DeriveError. The
    cross-entropy with an output outside (0, 1) (tanh, identity) is derived,
    with a note that C is not real there. ``act`` defaults to the activation
    the cost is made for (sigmoid; softmax for the log-likelihood).
    """
    if cost not in COST_NAMES:
        raise DeriveError(f"unknown cost {cost!r}; choose one of: {', '.join(COST_NAMES)}")
    if act is None:
        act = "softmax" if cost == "log-likelihood" else "sigmoid"
    if not isinstance(act, ActivationFormula):
        act = activation(act)
    if cost == "log-likelihood" and not act.softmax:
        raise DeriveError(
            "the log-likelihood cost needs the softmax output (a probability distribution "
            f"over classes), not {act.title}; use --activation softmax, or the cross-entropy"
        )
    if act.softmax:
        d = _softmax_gradient(cost)
    else:
        d = _elementwise_gradient(cost, act)
    if act.builtin:
        if (cost, act.name) in _engine_pairs():
            d.notes.append(f"costlab's numeric engine trains this pair ({cost} with {_an(act.name)} output).")
        else:
            d.notes.append(f"costlab's numeric engine does not train this pair ({cost} with {_an(act.name)} "
                           "output); the algebra is shown for comparison.")
    return d


def _elementwise_gradient(cost: str, act: ActivationFormula) -> Derivation:
    e = act.expr
    cost_a = _tidy(_cost_expr(cost, [a], [y]))
    dsig = sp.Derivative(sigma(z), z)
    steps = [
        Step("The neuron's weighted input", z, _plus(w * x, b)),
        Step("Its output", a, sigma(z)),
        Step(f"The activation ({act.name})" if act.builtin else "The activation (your formula)", sigma(z), e),
        Step(f"The {_COST_TITLES[cost]} of one sample", C, cost_a),
    ]
    notes = []

    # dC/da
    dCda = sp.diff(cost_a, a)
    steps.append(Step("Differentiate the cost with respect to the output a", sp.Derivative(C, a), dCda))
    dCda_tidy = _tidy(sp.factor(sp.together(dCda)))
    if dCda_tidy != dCda:
        steps.append(Step("Over a common denominator", sp.Derivative(C, a), dCda_tidy))
        dCda = dCda_tidy

    # sigma'(z)
    dz_expr, s_a, inverse = _prime_in_a(e)
    steps.append(Step("Differentiate the activation", dsig, dz_expr))
    if s_a is not None:
        if inverse is not None:
            steps.append(Step("Invert a = sigma(z)", z, inverse))
        label = "Written with a = sigma(z)" if inverse is None else "Put z = sigma^-1(a) into sigma'(z): written with a"
        if s_a != dz_expr:
            steps.append(Step(label, dsig, s_a))
        prime = s_a
    else:
        prime = dz_expr
        notes.append("SymPy finds no way to write sigma'(z) with a = sigma(z) alone; it stays a function of z.")

    # dC/dz, the output error
    dCdz = sp.Derivative(C, z)
    steps.append(Step("Chain rule: the output error delta", dCdz,
                      _times(sp.Derivative(C, a), sp.Derivative(a, z))))
    steps.append(Step("Put in dC/da, and da/dz = sigma'(z)", dCdz, _times(dCda, dsig)))
    if prime != 1:
        steps.append(Step(f"sigma'(z) = {_text(prime)}", dCdz, _times(dCda, prime)))
    delta = _tidy(sp.factor(sp.simplify(dCda * prime)))
    if delta.has(z) and s_a is None:
        delta = _tidy(sp.factor(dCda * prime))
    ratio = _shortest(sp.cancel(delta / (a - y)))
    if ratio != 1 and not ratio.has(y):
        delta = _times(a - y, ratio)   # the error times the factor: (a - y) * a*(1 - a)
    cancels = ratio == 1 and prime != 1
    if cancels:
        label = f"The factor sigma'(z) = {_text(prime)} cancels"
    elif ratio == 1:
        label = "Nothing to cancel: sigma'(z) = 1"
    elif prime != 1:
        label = f"sigma'(z) = {_text(prime)}"
    else:
        label = "Simplify"
    steps.append(Step(label, dCdz, delta))

    # dC/dw, dC/db
    plain = ratio == 1
    dCdw, dCdb = sp.Derivative(C, w), sp.Derivative(C, b)
    steps.append(Step("Chain rule for the weight: dz/dw = x", dCdw,
                      _times(sp.Derivative(C, z), sp.Derivative(z, w))))
    steps.append(Step("The output error times x", dCdw, _times(dCda, dsig, x)))
    dCdw_value = _times(delta, x) if _is_product(delta) else sp.Mul(x, delta)
    steps.append(Step(label, dCdw, dCdw_value))
    if plain:
        steps.append(Step("With a = sigma(z)", dCdw, sp.Mul(x, delta.subs(a, sigma(z)))))
    steps.append(Step("Chain rule for the bias: dz/db = 1", dCdb,
                      _times(sp.Derivative(C, z), sp.Derivative(z, b))))
    steps.append(Step("The output error itself", dCdb, _times(dCda, dsig)))
    steps.append(Step(label, dCdb, delta))
    if plain:
        steps.append(Step("With a = sigma(z)", dCdb, delta.subs(a, sigma(z))))

    # What slows learning down
    slowdown = None
    lo, hi = _limits(e)
    if ratio.has(y):
        notes.append(f"dC/dz = {_text(delta)} is not the error a - y times a factor of a alone.")
    elif ratio == 1:
        how = f"the factor sigma'(z) = {_text(prime)} cancels" if cancels else "sigma'(z) = 1"
        notes.append(f"No learning slowdown: {how}, so dC/dz = a - y: the gradient is proportional "
                     "to the error, and the further the output is from y, the faster the neuron learns.")
    else:
        slowdown = ratio
        ratio_z = ratio.subs(a, e)
        ends = []
        for end, lim_a in ((-sp.oo, lo), (sp.oo, hi)):
            try:
                lim = sp.limit(ratio_z, z, end)
            except Exception:  # noqa: BLE001
                lim = None
            if lim == 0:
                where = f"z -> {'-' if end == -sp.oo else '+'}oo" + (f" (a -> {_text(lim_a)})" if lim_a is not None else "")
                ends.append(where)
        factor_name = (f"sigma'(z) = {_text(ratio)}" if _same(ratio, prime)
                       else f"{_text(ratio)} (from sigma'(z) = {_text(prime)})")
        if ends:
            notes.append(f"Learning slowdown: dC/dz carries the factor {factor_name}, which tends to 0 as "
                         f"{' and as '.join(ends)}: when the output saturates, the gradient is tiny "
                         "however wrong the output is.")
        else:
            notes.append(f"dC/dz carries the factor {factor_name}; it does not tend to 0 as |z| grows, "
                         "so it causes no saturation slowdown.")

    if cost == "cross-entropy":
        rng = [v for v in (lo, hi) if v is not None]
        if len(rng) < 2:
            notes.append("The cross-entropy needs 0 < a < 1; SymPy could not find the range of this activation.")
        elif any(v.is_number and (v < 0 or v > 1) for v in rng) or any(v.is_infinite for v in rng):
            notes.append(f"The cross-entropy needs 0 < a < 1, but sigma(z) runs from {_text(lo)} to {_text(hi)}: "
                         "C is not real where a <= 0 or a >= 1; the formulas hold only where 0 < a < 1.")

    where = {z: w * x + b, a: sigma(z), sigma: sp.Lambda(z, e), C: cost_a}
    result = {"dC/dz": delta, "dC/dw": dCdw_value, "dC/db": delta, "slowdown_factor": slowdown}
    title = f"Gradient of the {_COST_TITLES[cost]} for a neuron with {_an(act.name)} output" if act.builtin \
        else f"Gradient of the {_COST_TITLES[cost]} for sigma(z) = {_text(e)}"
    return Derivation(title, steps, notes, where, result)


def _softmax_jacobian():
    """da_k/dz_j written with the outputs: J[k][j] = a_k (delta_kj - a_j), from diff."""
    S = sp.Add(*(sp.exp(t) for t in zs))
    soft = [sp.exp(t) / S for t in zs]
    # softmax is unchanged by scaling every e^{z_k}: put e^{z_k} = a_k, then sum_k a_k = 1
    to_a = {sp.exp(t): ak for t, ak in zip(zs, As)}
    total = sp.Add(*As)
    def others_to_one_minus(expr):
        # a2 + a3 = 1 - a1, and so on: the outputs sum to 1
        return expr.replace(
            lambda n: isinstance(n, sp.Add) and set(n.args) <= set(As) and len(n.args) == K_CLASSES - 1,
            lambda n: 1 - (set(As) - set(n.args)).pop())

    J = [[_tidy(others_to_one_minus(sp.factor(sp.together(sp.diff(soft[k], zs[j]).subs(to_a)).xreplace({total: 1}))))
          for j in range(K_CLASSES)] for k in range(K_CLASSES)]
    return soft, J


def _softmax_gradient(cost: str) -> Derivation:
    soft, J = _softmax_jacobian()
    cost_a = _tidy(_cost_expr(cost, As, ys))
    g = [sp.diff(cost_a, ak) for ak in As]
    g = [_tidy(sp.factor(sp.together(gk))) for gk in g]
    one_hot = {ys[-1]: 1 - sp.Add(*ys[:-1])}
    k = K_CLASSES
    steps = [
        Step(f"Softmax output, {k} classes written out (a2, a3 alike)", As[0], soft[0]),
        Step(f"The {_COST_TITLES[cost]} of one sample", C, cost_a),
    ]
    for kk in range(k):
        label = ("Softmax derivatives, written with the outputs: da_k/dz_1 = a_k (delta_k1 - a_1)"
                 if kk == 0 else f"... for k = {kk + 1}")
        steps.append(Step(label, sp.Derivative(As[kk], zs[0]), J[kk][0]))
    for kk in range(k):
        steps.append(Step("Differentiate the cost" if kk == 0 else f"... with respect to a{kk + 1}",
                          sp.Derivative(C, As[kk]), g[kk]))

    deltas = []
    for j in range(k):
        chain = _plus(*(_times(sp.Derivative(C, As[kk]), sp.Derivative(As[kk], zs[j])) for kk in range(k)))
        substituted = _plus(*(_times(g[kk], J[kk][j]) for kk in range(k)))
        # the engine's formula: dC/dz_j = a_j (dC/da_j - sum_k a_k dC/da_k)
        collected = _times(As[j], _plus(g[j], _times(-1, sp.Add(*(As[kk] * g[kk] for kk in range(k))))))
        simple = sp.collect(sp.expand(sp.Add(*(g[kk] * J[kk][j] for kk in range(k)))), As[j])
        constrained = _tidy(sp.factor(sp.simplify(simple.subs(one_hot))))
        # write y_k back for the symmetric look when the one-hot target simplified it
        constrained = constrained.subs(1 - sp.Add(*ys[:-1]), ys[-1])
        lhs = sp.Derivative(C, zs[j])
        if j == 0:
            steps.append(Step(f"Chain rule through all {k} outputs", lhs, chain))
            steps.append(Step("Substitute", lhs, substituted))
            steps.append(Step(f"Collect a{j + 1}: a1 (dC/da1 - sum_k a_k dC/da_k)", lhs, collected))
        final = collected
        if sp.count_ops(simple) < sp.count_ops(final):
            if j == 0:
                steps.append(Step("Multiply out", lhs, simple))
            final = simple
        if sp.count_ops(constrained) < sp.count_ops(final):
            if j == 0:
                steps.append(Step(f"One-hot target: {' + '.join(map(str, ys))} = 1", lhs, constrained))
            final = constrained
        if j > 0:
            steps.append(Step(f"The same steps for class {j + 1}", lhs, final))
        deltas.append(final)
    dCdw1 = _times(deltas[0], x) if _is_product(deltas[0]) else sp.Mul(x, deltas[0])
    steps.append(Step("Chain rule for the weight: z_j = w_j*x + b_j, dz1/dw1 = x", sp.Derivative(C, ws[0]), dCdw1))
    steps.append(Step("Chain rule for the bias: dz1/db1 = 1", sp.Derivative(C, bs[0]), deltas[0]))

    notes = []
    plain = all(sp.simplify(d - (ak - yk)) == 0 for d, ak, yk in zip(deltas, As, ys))
    slowdown = None
    if plain:
        notes.append("No learning slowdown: the softmax's derivatives cancel, dC/dz_j = a_j - y_j for a "
                     "one-hot target (sum_k y_k = 1); with k classes the sums run over k terms and the "
                     "result is the same.")
    else:
        slowdown = sp.Mul(As[0], 1 - As[0])
        notes.append("Learning slowdown: every term of dC/dz_j carries a softmax derivative "
                     "a_k (delta_kj - a_j), as a1*(1 - a1) above; they all tend to 0 when the softmax "
                     "saturates (one output near 1), as sigma'(z) does for a sigmoid.")
    notes.append(f"Worked with {k} classes written out; the same steps hold for any number of classes.")
    S = sp.Add(*(sp.exp(t) for t in zs))
    where = {C: cost_a}
    where.update({ak: sp.exp(t) / S for ak, t in zip(As, zs)})
    where.update({t: wk * x + bk for t, wk, bk in zip(zs, ws, bs)})
    result = {f"dC/dz{j + 1}": d for j, d in enumerate(deltas)}
    result.update({"dC/dw1": dCdw1, "dC/db1": deltas[0], "slowdown_factor": slowdown})
    title = f"Gradient of the {_COST_TITLES[cost]} for a softmax output ({k} classes)"
    return Derivation(title, steps, notes, where, result, assume=one_hot)


# --------------------------------------------------------------------------- #
# The matching cost of an activation: dC/dz = a - y
# --------------------------------------------------------------------------- #

def _cross_entropy(p, q):
    return -(p * sp.log(q) + (1 - p) * sp.log(1 - q))


_KNOWN_COSTS = {
    "the quadratic cost (y - a)^2/2": (y - a) ** 2 / 2,
    "the cross-entropy -[y ln a + (1 - y) ln(1 - a)]": _cross_entropy(y, a),
    "the cross-entropy of the output and target mapped from (-1, 1) to (0, 1), "
    "q = (1 + a)/2 against p = (1 + y)/2: -[p ln q + (1 - p) ln(1 - q)]":
        _cross_entropy((1 + y) / 2, (1 + a) / 2),
}


def matching(act: str | ActivationFormula = "sigmoid") -> Derivation:
    """The cost whose output error is exactly dC/dz = a - y for ``act`` (its matching loss).

    For one output, dC/dz = dC/da * sigma'(z) = a - y gives
    dC/da = (a - y) / sigma'(z), with sigma'(z) written in terms of a
    through the inverse z = sigma^-1(a); integrating over a gives C, and the
    constant is chosen so that C = 0 when a = y. Raises NoClosedForm when
    SymPy finds no inverse or no antiderivative.
    """
    if not isinstance(act, ActivationFormula):
        act = activation(act)
    if act.softmax:
        return _softmax_matching()
    e = act.expr
    dsig = sp.Derivative(sigma(z), z)
    steps = [
        Step(f"The activation ({act.name})" if act.builtin else "The activation (your formula)", sigma(z), e),
        Step("Ask for a cost whose output error is just the error", sp.Derivative(C, z), a - y),
        Step("Chain rule: dC/dz = dC/da * sigma'(z), so", _times(sp.Derivative(C, a), dsig),
             a - y),
    ]
    d, s_a, g = _prime_in_a(e)
    steps.append(Step("Differentiate the activation", dsig, d))
    if s_a is None:
        raise NoClosedForm(
            f"no closed form: SymPy finds no inverse z = sigma^-1(a) of sigma(z) = {_text(e)} "
            "on all real z, so sigma'(z) cannot be written with a, and there is no matching cost to integrate"
        )
    if g is not None:
        steps.append(Step("Invert a = sigma(z)", z, g))
        if not act.builtin:
            notes_inverse = [f"The inverse z = {_text(g)} was checked at z = 0.37 and z = -0.81; if sigma(z) "
                             "is not one-to-one, the result holds on the branch through those points."]
        else:
            notes_inverse = []
    else:
        notes_inverse = []
    if s_a != d:
        steps.append(Step("Written with a = sigma(z)", dsig, s_a))
    if s_a == 0 or sp.simplify(s_a) == 0:  # pragma: no cover - excluded by the inverse
        raise NoClosedForm(f"no closed form: sigma'(z) = 0 for sigma(z) = {_text(e)}")
    dCda = _tidy(sp.factor(sp.together((a - y) / s_a)))
    steps.append(Step(f"Divide by sigma'(z) = {_text(s_a)}", sp.Derivative(C, a), dCda))
    integrand = dCda
    if dCda.is_rational_function(a):
        split = sp.apart(dCda, a)
        split = sp.Add(*(_tidy(t) for t in sp.Add.make_args(split)))
        if split != dCda:
            steps.append(Step("Partial fractions", sp.Derivative(C, a), split))
            integrand = split
    F = _integrate(integrand, a)
    if F is None:
        raise NoClosedForm(
            f"no closed form: SymPy finds no antiderivative of dC/da = {_text(dCda)} "
            f"for sigma(z) = {_text(e)}"
        )
    a0 = _samples(e)[0][1]
    F = _clean_antiderivative(_real_logs(F, a, a0), a)
    steps.append(Step("Integrate over a", C, sp.Add(F, constant)))

    K = -F.subs(a, y)
    where = {z: w * x + b, a: sigma(z), sigma: sp.Lambda(z, e)}
    notes = notes_inverse
    if K.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        Cfinal = sp.Add(F, constant)
        notes.append("No constant makes C = 0 at a = y: the constant is left free.")
        where[C] = Cfinal
    else:
        K = _collect_logs(K)
        steps.append(Step("Choose the constant so that C = 0 when a = y", constant, K))
        Cfinal = sp.Add(F, K)
        steps.append(Step("The matching cost", C, Cfinal))
        where[constant] = K
        where[C] = Cfinal
        if K != 0:
            zero_log = any(arg.subs(y, end) == 0 for arg in (n.args[0] for n in K.atoms(sp.log)) for end in (0, 1))
            notes.append(f"The constant {_text(K)} only makes C = 0 at a = y; it does not change the "
                         "gradient" + (" (take 0 ln 0 = 0, its limit, when y is 0 or 1)." if zero_log else "."))
    for name, known in _KNOWN_COSTS.items():
        if sp.simplify(sp.diff(Cfinal - known, a)) == 0:
            notes.append(f"This is {name}" + (", plus the constant." if not _same(Cfinal, known) else "."))
            break
    if K != 0 and not K.has(sp.zoo, sp.nan):
        minus = _minus_outside(F)
        combined = _log_ratios(Cfinal)
        if combined is not None:
            steps.append(Step("Combine the logarithms", C, combined))
        elif minus is not None:
            steps.append(Step("Minus sign outside", C, _plus(minus, K)))
        elif _same(Cfinal, sp.factor(Cfinal)) and sp.count_ops(sp.factor(Cfinal)) < sp.count_ops(Cfinal):
            steps.append(Step("Factor", C, _tidy(sp.factor(Cfinal))))
    if _same(sp.diff(Cfinal, a) * s_a, a - y):
        notes.append("Check (SymPy): dC/da * sigma'(z) simplifies back to a - y.")
    else:  # pragma: no cover - the tests find none
        notes.append("SymPy could not simplify dC/da * sigma'(z) back to a - y; check this result.")
    title = (f"The matching cost of the {act.name} output: dC/dz = a - y" if act.builtin
             else f"The matching cost of sigma(z) = {_text(e)}: dC/dz = a - y")
    return Derivation(title, steps, notes, where, {"C": Cfinal, "dC/da": dCda})


def _softmax_matching() -> Derivation:
    k = K_CLASSES
    S = sp.Add(*(sp.exp(t) for t in zs))
    soft = [sp.exp(t) / S for t in zs]
    one_hot = {ys[-1]: 1 - sp.Add(*ys[:-1])}
    steps = [
        Step(f"Softmax output, {k} classes written out (a2, a3 alike)", As[0], soft[0]),
    ]
    for j in range(k):
        steps.append(Step("Ask for a cost whose output errors are just the errors" if j == 0 else "...",
                          sp.Derivative(C, zs[j]), As[j] - ys[j]))
    # integrate the gradient field a_j - y_j over the logits, one logit at a time
    potential = sp.Integer(0)
    for j in range(k):
        remainder = sp.simplify(soft[j] - ys[j] - sp.diff(potential, zs[j]))
        potential += sp.integrate(remainder, zs[j])
    steps.append(Step("Integrate a_j - y_j = e^z_j/sum_k e^z_k - y_j over z1, z2, z3 in turn", C,
                      sp.Add(potential, constant)))
    # write it with the outputs: z_j = ln a_j + ln sum_k e^{z_k}
    L = sp.Symbol("L", real=True)
    in_a = sp.expand(potential.subs(sp.log(S), L).subs({t: sp.log(ak) + L for t, ak in zip(zs, As)}))
    in_a = sp.collect(in_a, L)
    steps.append(Step("Write z_j = ln a_j + L, with L = ln(e^z1 + e^z2 + e^z3)", C, sp.Add(in_a, constant)))
    F = sp.expand(in_a.subs(one_hot)).subs(L, 0)
    F = sp.expand(F).subs(1 - sp.Add(*ys[:-1]), ys[-1])
    F = sp.collect(sp.expand(sp.expand(sp.Add(*(-ys[j] * sp.log(As[j]) for j in range(k - 1))))
                             + sp.expand(F - sp.Add(*(-ys[j] * sp.log(As[j]) for j in range(k - 1))))),
                   sp.log(As[-1]))
    F = F.subs(1 - sp.Add(*ys[:-1]), ys[-1])
    steps.append(Step(f"One-hot target: {' + '.join(map(str, ys))} = 1, so L drops out", C, sp.Add(F, constant)))
    K = sp.Add(*(ys[j] * sp.log(ys[j]) for j in range(k)))
    steps.append(Step("Choose the constant so that C = 0 when a = y", constant, K))
    Cfinal = sp.Add(F, K)
    steps.append(Step("The matching cost", C, Cfinal))
    minus = _minus_outside(F)
    if minus is not None:
        steps.append(Step("Minus sign outside", C, _plus(minus, K)))
    notes = [
        "This is the log-likelihood -sum_j y_j ln a_j, plus the constant sum_j y_j ln y_j, which is 0 "
        "for a one-hot target (1 ln 1 = 0, 0 ln 0 = 0): C = -ln a_y, the log-likelihood.",
        f"Worked with {k} classes written out; the same steps hold for any number of classes.",
    ]
    where = {C: Cfinal, constant: K}
    where.update({ak: sp.exp(t) / S for ak, t in zip(As, zs)})
    where.update({t: wk * x + bk for t, wk, bk in zip(zs, ws, bs)})
    return Derivation("The matching cost of the softmax output: dC/dz_j = a_j - y_j",
                      steps, notes, where, {"C": Cfinal}, assume=one_hot)


# --------------------------------------------------------------------------- #
# The seed's derivations, in order
# --------------------------------------------------------------------------- #

def _sigmoid_prime_steps() -> Derivation:
    """The appendix: sigma'(z) = sigma(z) (1 - sigma(z)), step by step."""
    u = 1 + sp.exp(-z)
    s = 1 / u
    dsig = sp.Derivative(sigma(z), z)
    U = sp.Symbol("u")
    outer = sp.diff(U ** -1, U).subs(U, u)              # d/du u^-1 = -u^-2
    inner = sp.diff(u, z)                                # d/dz (1 + e^-z) = -e^-z
    full = sp.diff(s, z)                                 # e^-z / (1 + e^-z)^2
    first = sp.Integer(1) / u
    rest = full / first                                  # e^-z / (1 + e^-z)
    T = sp.Symbol("T")                                  # T = e^-z: T/(1 + T) = 1 - 1/(1 + T)
    rest_rewritten = sp.apart(rest.subs(sp.exp(-z), T), T).subs(T, sp.exp(-z))
    product = _times(first, rest_rewritten)
    with_sigma = _times(*(f.subs(first, sigma(z)) for f in product.args))
    with_a = sp.Mul(*(f.subs(first, a) for f in product.args))
    steps = [
        Step("Definition of the sigmoid", sigma(z), s),
        Step("Differentiate", dsig, sp.Derivative(s, z)),
        Step("Chain rule: d/du u^-1 = -u^-2, with u = 1 + e^-z", dsig,
             _times(outer, sp.Derivative(u, z))),
        Step("d/dz (1 + e^-z) = -e^-z", dsig, _times(outer, inner)),
        Step("The two minus signs cancel", dsig, full),
        Step("Split into two fractions", dsig, _times(first, rest)),
        Step("In the second, e^-z/(1 + e^-z) = ((1 + e^-z) - 1)/(1 + e^-z) = 1 - 1/(1 + e^-z)", dsig, product),
        Step("Recognise sigma(z) = 1/(1 + e^-z)", dsig, with_sigma),
        Step("With a = sigma(z)", dsig, with_a),
    ]
    (z_peak,) = sp.solve(sp.diff(full, z), z)
    ends = [sp.limit(full, z, end) for end in (-sp.oo, sp.oo)]
    notes = [
        f"sigma'(z) is largest where sigma''(z) = 0, at z = {_text(z_peak)}, where it is "
        f"{_text(sp.simplify(full.subs(z, z_peak)))}; it tends to {_text(ends[0])} as z -> -oo and to "
        f"{_text(ends[1])} as z -> +oo: the flat ends of the sigmoid, where it learns slowly.",
    ]
    where = {sigma: sp.Lambda(z, s), a: sigma(z)}
    return Derivation("The sigmoid's derivative (the blog post's appendix)", steps, notes, where,
                      {"sigma'(z)": sp.Mul(a, 1 - a)})


def _seed_origin() -> Derivation:
    """Section 3: from dC/db = a - y to the cross-entropy, plus a constant."""
    dsig = sp.Derivative(sigma(z), z)
    _, s_a, _ = _prime_in_a(_BUILTIN["sigmoid"])      # a (1 - a)
    dCda_sym = sp.Derivative(C, a)
    dCda = _tidy(sp.factor(sp.together((a - y) / s_a)))
    split = sp.Add(*(_tidy(t) for t in sp.Add.make_args(sp.apart(dCda, a))))
    F = _integrate(split, a)
    F = _clean_antiderivative(_real_logs(F, a, sp.Rational(1, 2)), a)
    ce = _minus_outside(F)
    steps = [
        Step("Chain rule for the bias (dz/db = 1)", sp.Derivative(C, b),
             _times(dCda_sym, dsig)),
        Step(f"sigma'(z) = {_text(s_a)}", sp.Derivative(C, b), _times(dCda_sym, s_a)),
        Step("Ask for dC/db = a - y, so", _times(dCda_sym, s_a), a - y),
        Step(f"Divide by {_text(s_a)}", dCda_sym, dCda),
        Step("Partial fractions", dCda_sym, split),
        Step("Integrate over a", C, sp.Add(F, constant)),
        Step("Minus sign outside: the cross-entropy", C, _plus(ce, constant)),
    ]
    notes = [
        "Asking for a bias gradient that is just the error a - y forces the cross-entropy; "
        "the constant does not change any gradient. `costlab derive matching --activation sigmoid` "
        "chooses it so that C = 0 when a = y.",
    ]
    where = {z: w * x + b, a: sigma(z), sigma: sp.Lambda(z, _BUILTIN["sigmoid"]), C: sp.Add(F, constant)}
    return Derivation("Where the cross-entropy comes from (the blog post's section 3)", steps, notes, where,
                      {"C": sp.Add(F, constant)})


@lru_cache(maxsize=None)
def _seed_cached() -> tuple[Derivation, ...]:
    quad = gradient("quadratic", "sigmoid")
    quad.title = "The quadratic cost's gradients: the factor sigma'(z) (the blog post's section 1)"
    ce = gradient("cross-entropy", "sigmoid")
    ce.title = "The cross-entropy's gradients: sigma'(z) cancels (the blog post's section 2)"
    return (_sigmoid_prime_steps(), quad, ce, _seed_origin())


def seed() -> list[Derivation]:
    """The seed's derivations in order: sigma'(z); the quadratic cost's and the
    cross-entropy's gradients for a sigmoid neuron; the cross-entropy from dC/db = a - y."""
    return list(_seed_cached())


# --------------------------------------------------------------------------- #
# Checking steps
# --------------------------------------------------------------------------- #

def _expand(expr, d: Derivation, keep=()):
    """Substitute the definitions of ``d`` into ``expr`` (not those of ``keep``), derivatives done."""
    subs = {s: v for s, v in d.where.items() if isinstance(s, sp.Symbol) and s not in keep}
    funcs = {f: v for f, v in d.where.items() if not isinstance(f, sp.Symbol)}

    def derivative(node):
        inner = _expand(node.expr, d, keep=node.variables)
        return sp.diff(inner, *node.variable_count)

    for _ in range(8):
        new = expr
        for f, lam in funcs.items():
            new = new.replace(f, lam)
        new = new.replace(lambda n: isinstance(n, sp.Derivative), derivative)
        new = new.xreplace(subs)
        if new == expr:
            break
        expr = new
    return expr


def failing_steps(d: Derivation, points: int = 3, seed_: int = 0) -> list[int]:
    """Indices of the steps of ``d`` that do not hold, checked at random points.

    Each side is expanded under ``d.where`` (and ``d.assume``), derivatives are
    taken, and both sides are compared at ``points`` random values of the free
    symbols, to 25 digits. An empty list means every step is a true equation.
    """
    rng = random.Random(seed_)
    bad = []
    for i, step in enumerate(d.steps):
        lhs = _expand(step.lhs, d).xreplace(d.assume)
        rhs = _expand(step.rhs, d).xreplace(d.assume)
        lhs, rhs = lhs.doit(), rhs.doit()
        free = sorted((lhs.free_symbols | rhs.free_symbols), key=str)
        ok = True
        for _ in range(points):
            vals = {}
            for s in free:
                if s.name.startswith("y"):
                    vals[s] = sp.Float(rng.uniform(0.05, 0.45), 30)
                else:
                    vals[s] = sp.Float(rng.uniform(-1.5, 1.5), 30)
            lv = complex(sp.N(lhs.subs(vals), 25))
            rv = complex(sp.N(rhs.subs(vals), 25))
            if not abs(lv - rv) <= 1e-15 * (1 + abs(lv)):
                ok = False
                break
        if not ok:
            bad.append(i)
    return bad


# --------------------------------------------------------------------------- #
# Rendering: text, LaTeX, Markdown, and plain data for JSON
# --------------------------------------------------------------------------- #

def _add_priority(term) -> int:
    """Sums read as in the seed: w*x + b, a - y, sigma(z) - y, ... + constant."""
    if term.has(constant):
        return 2
    if term.free_symbols and term.free_symbols <= {y, b, *ys, *bs}:
        return 1
    return 0


class _OrderMixin:
    """Products built unevaluated print factor by factor (``dC/da * sigma'(z)``);
    sums print as in the seed (``w*x + b``, ``a - y``, ``... + constant``)."""

    _times = " * "

    def _print_Mul(self, expr):
        if _is_product(expr) or any(isinstance(f, sp.Derivative) for f in expr.args):
            from sympy.printing.precedence import PRECEDENCE

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
        super().__init__({"ln_notation": True, "symbol_names": {constant: r"\mathrm{constant}"}})

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
    import textwrap

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
