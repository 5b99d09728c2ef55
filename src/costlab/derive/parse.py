"""The allow-list formula parser: text typed by a user becomes a SymPy expression, or is refused.

Activations are formulas in z (``--activation "1/(1+exp(-2*z))"``), costs are
formulas in a and y (``--cost "(a - y)**4/4"``). Nothing typed is ever run as
Python: see :func:`parse_activation` for how the text is checked before
SymPy's parser sees it, and what that parser may reach.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sympy as sp
from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr

from costlab.derive.budget import decode, encode, run, task
from costlab.derive.calculus import PRIME_IN_A, delta_expr
from costlab.derive.render import _text
from costlab.formula_limits import check_formula, is_small
from costlab.derive.symbols import DeriveError, _rebuild, a, y, z

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
_FUNCTION_NAMES = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan, "arctan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh, "arcsinh": sp.asinh,
    "erf": sp.erf, "abs": sp.Abs, "Abs": sp.Abs, "max": sp.Max, "min": sp.Min,
    "pi": sp.pi, "E": sp.E, "e": sp.E,
}
_FORMULA_NAMES = {"z": z, **_FUNCTION_NAMES}
#: Names a cost formula may use: the output a, the target y, and the same functions.
_COST_FORMULA_NAMES = {"a": a, "y": y, **_FUNCTION_NAMES}
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

    The work is done under the time and memory budget of
    :mod:`costlab.derive.budget` (in a worker process), and its result is
    cached by the text.
    """
    if not isinstance(text, str):
        raise DeriveError("the activation must be a formula in z given as text")
    _syntax(text)
    return decode(run("activation", text, small=is_small(text)))


@task("activation")
def _activation_task(text: str) -> list:
    """The formula worker's part of :func:`parse_activation`: the parsed tree, as JSON."""
    return encode(_parse_activation_here(text))


def _parse_activation_here(text) -> sp.Expr:
    """:func:`parse_activation`, in this process and without a budget (the formula worker calls it)."""
    if not isinstance(text, str):
        raise DeriveError("the activation must be a formula in z given as text")
    expr = _parse(text, _FORMULA_NAMES, "z")
    if not expr.has(z):
        raise DeriveError(f"the formula must depend on z, got {text.strip()!r}")
    if expr.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise DeriveError(f"sigma(z) must be real and finite for real z, got {_text(expr)}")
    for z0 in (sp.Rational(3, 10), sp.Rational(-7, 10)):
        if not math.isfinite(_float_value(expr, {z: float(z0)})):
            raise DeriveError(f"sigma(z) must be real and finite for real z; at z = {z0} it is not")
    return expr


def parse_cost(text) -> sp.Expr:
    """C(a, y), the cost of one output neuron from the user's formula in a and y; DeriveError if refused.

    Read exactly as :func:`parse_activation` reads sigma(z) (the same checks,
    the same allowed functions, the same budget), with the names a and y in
    place of z. The formula must depend on a, and be real and finite at a few
    points with 0 < a < 1 and 0 <= y <= 1, where a product with a logarithm is
    0 when its other factor is (0 ln 0 = 0, the convention of the entropy and
    the KL divergence; the numeric code follows it too).
    """
    if not isinstance(text, str):
        raise DeriveError("the cost formula must be text in a and y")
    return decode(compiled_cost(text)["C"])


def _parse_cost_here(text) -> sp.Expr:
    """:func:`parse_cost`, in this process and without a budget (the formula worker calls it)."""
    if not isinstance(text, str):
        raise DeriveError("the cost formula must be text in a and y")
    expr = _parse(text, _COST_FORMULA_NAMES, "a and y")
    if not expr.has(a):
        raise DeriveError(f"the cost formula must depend on the output a, got {text.strip()!r}")
    if expr.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise DeriveError(f"the cost must be real and finite, got {_text(expr)}")
    for a0, y0 in ((sp.Rational(3, 10), 1), (sp.Rational(7, 10), 0), (sp.Rational(2, 5), sp.Rational(1, 4))):
        if not math.isfinite(_float_value(expr, {a: float(a0), y: float(y0)})):
            raise DeriveError(f"the cost must be real and finite for 0 < a < 1, even with 0 ln 0 = 0; "
                              f"at a = {a0}, y = {y0} it is not")
    return expr


#: The functions of a parsed formula, computed in floating point.
_FLOAT_FUNCTIONS = {
    sp.exp: math.exp, sp.log: math.log, sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan,
    sp.atan: math.atan, sp.sinh: math.sinh, sp.cosh: math.cosh, sp.tanh: math.tanh, sp.asinh: math.asinh,
    sp.erf: math.erf, sp.Abs: abs,
}


def _float_value(expr, values: dict) -> float:
    """``expr`` at ``values`` in floating point; NaN where it is no finite real number.

    A product u ln v whose u is 0 is 0 (0 ln 0 = 0). Overflow, division by
    zero and a function outside its domain give NaN
    rather than an exception, and no SymPy evaluation at high precision is
    ever asked for (``sin(exp(1e9))`` costs nothing).
    """
    def walk(node):
        if node in values:
            return values[node]
        if node is sp.pi:
            return math.pi
        if node is sp.E:
            return math.e
        if node.is_Number:
            return float(node)
        if isinstance(node, sp.Mul):
            logs = [f for f in node.args if isinstance(f, sp.log)]
            if len(logs) == 1:  # 0 ln 0 = 0: u ln v is 0 where u is, whatever v
                u = math.prod(walk(f) for f in node.args if f is not logs[0])
                return 0.0 if u == 0 else u * walk(logs[0])
        kids = [walk(arg) for arg in node.args]
        if isinstance(node, sp.Add):
            return math.fsum(kids)
        if isinstance(node, sp.Mul):
            return math.prod(kids)
        if isinstance(node, sp.Pow):
            v = kids[0] ** kids[1]
            if isinstance(v, complex):
                raise ValueError("not real")
            return v
        if isinstance(node, sp.Max):
            return max(kids)
        if isinstance(node, sp.Min):
            return min(kids)
        f = _FLOAT_FUNCTIONS.get(node.func)
        if f is None or len(kids) != 1:
            raise ValueError(f"no float form of {type(node).__name__}")
        return f(kids[0])

    try:
        v = float(walk(expr))
    except (ArithmeticError, ValueError, TypeError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _syntax(text: str) -> None:
    """The checks on the text alone (length, characters, limits of :mod:`costlab.formula_limits`)."""
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


def _parse(text: str, names: dict, what: str) -> sp.Expr:
    """The formula ``text`` in the variables ``what``, parsed with only ``names`` in reach."""
    _syntax(text)
    previous = None
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise DeriveError(f"cannot read the formula at {text[pos:pos + 10]!r}")
        kind = m.lastgroup
        token = m.group(kind)
        if kind == "name" and token not in names:
            allowed = ", ".join(sorted(names, key=str.lower))
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
    local_dict = dict(names)
    try:
        expr = parse_expr(
            text, local_dict=local_dict, global_dict=global_dict,
            transformations=(auto_number, convert_xor), evaluate=False,
        )
    except Exception as e:  # SyntaxError, TypeError (z(2)), ...: the text is not a formula
        raise DeriveError(f"not a formula in {what}: {text.strip()!r} ({type(e).__name__})") from None
    if not isinstance(expr, sp.Expr):
        raise DeriveError(f"not a formula in {what}: {text.strip()!r}")
    _check_sizes(expr)
    try:
        expr = _rebuild(expr)
    except Exception as e:
        raise DeriveError(f"not a formula in {what}: {text.strip()!r} ({type(e).__name__})") from None
    if not isinstance(expr, sp.Expr):
        raise DeriveError(f"not a formula in {what}: {text.strip()!r}")
    return expr


def _check_sizes(expr):
    """Refuse huge trees, huge constants and huge constant exponents (before evaluating)."""
    nodes = list(sp.postorder_traversal(expr))
    if len(nodes) > _MAX_NODES:
        raise DeriveError(f"the formula is too large ({len(nodes)} terms; at most {_MAX_NODES})")
    for node in nodes:  # children before parents: each value below is of checked parts only
        if not isinstance(node, sp.Expr) or node.free_symbols:
            continue
        if isinstance(node, sp.Pow):
            e = _constant_value(node.exp)
            if not abs(e) <= _MAX_EXPONENT:
                raise DeriveError(f"exponent too large in the formula (|exponent| at most {_MAX_EXPONENT})")
        v = _constant_value(node)
        if math.isnan(v):
            raise DeriveError(f"{_text(node)} in the formula is not a finite real number "
                              "(a division by zero, or a function outside its domain)")
        if not abs(v) <= _MAX_CONSTANT:
            raise DeriveError(f"number too large in the formula (at most {_MAX_CONSTANT:.0e})")
    for node in nodes:
        if isinstance(node, sp.Pow) and node.free_symbols and not node.exp.free_symbols:
            if not abs(_constant_value(node.exp)) <= _MAX_EXPONENT:
                raise DeriveError(f"exponent too large in the formula (|exponent| at most {_MAX_EXPONENT})")


def _constant_value(expr) -> float:
    """|value| of a constant sub-formula whose parts are already bounded (NaN if it is no real number)."""
    v = _float_value(expr, {})
    if math.isnan(v):
        return math.inf if _float_overflows(expr) else math.nan
    return abs(v)


def _float_overflows(expr) -> bool:
    """Whether ``expr`` fails in floating point only because a value is too large."""
    try:
        return math.isfinite(complex(sp.N(expr, 15)).real) is False
    except (ArithmeticError, TypeError, ValueError):
        return False


def compiled_cost(text: str) -> dict:
    """C(a, y) and its dC/dz for each output activation (dC/da where sigma' has no form in a), as the
    JSON trees of :func:`costlab.derive.budget.encode`, worked out at once under the formula budget
    (:func:`costlab.derive.numeric.cost_formula` turns them into NumPy code)."""
    if not isinstance(text, str):
        raise DeriveError("the cost formula must be text in a and y")
    text = text.strip()
    _syntax(text)
    return run("cost", text, small=is_small(text))


@task("cost")
def _cost_task(text: str) -> dict:
    """The formula worker's part of :func:`compiled_cost`: parse, check and differentiate."""
    C = _parse_cost_here(text)
    deltas = {str(key): encode(delta_expr(C, key)) for key in (*PRIME_IN_A, None)}
    return {"C": encode(C), "deltas": deltas}
