"""Limits on a user's formula, checked on its syntax tree before SymPy sees it.

A formula of 200 characters can ask SymPy for hours of work: a tower of
powers (``((z^99)^99)^99`` is z to the 970,299th), a product of high powers
(``(1+z)^99*(2+z)^99``, a polynomial of degree 198), functions nested deep
(``sin(sin(sin(sin(sin(z)))))``). :func:`check_formula` refuses such a formula
at once, before any symbolic work, with a message saying which limit it
breaks:

- :data:`MAX_DEPTH`: nesting of operations and calls (a chain such as
  ``1 + z + z^2 + ...`` counts once);
- :data:`MAX_CALL_NESTING`: functions applied to functions;
- :data:`MAX_TOWER`: powers of powers;
- :data:`MAX_EXPONENT`: the power of a variable a nesting of powers makes (``(z^9)^9`` is z^81);
- :data:`MAX_DEGREE`: the degree the formula would have as a polynomial in its
  variables (powers multiply it, products add it up).

Every variable counts (:data:`VARIABLES`: z in an activation, a and y in a
cost): ``(1+a+y)^99*(2+a-y)^99`` is a polynomial of degree 198 in a and y.

Only the standard library is used: the text is read with :func:`ast.parse`
(``^`` read as ``**``), which builds a tree and runs nothing.
"""

from __future__ import annotations

import ast
import math

__all__ = ["FormulaTooLarge", "MAX_CALL_NESTING", "MAX_DEGREE", "MAX_DEPTH", "MAX_EXPONENT", "MAX_TOWER",
           "check_formula", "is_small"]

MAX_DEPTH = 16
MAX_CALL_NESTING = 3
MAX_TOWER = 2
MAX_EXPONENT = 100
MAX_DEGREE = 120
#: The variables of formulas: z (activations), a and y (costs).
VARIABLES = frozenset({"z", "a", "y"})


class FormulaTooLarge(ValueError):
    """A formula that would take SymPy too long; the message names the limit."""


def check_formula(text: str, error: type[Exception] = FormulaTooLarge) -> None:
    """Raise ``error(message)`` if ``text`` breaks one of the limits; else return None.

    Text that is not a formula at all is left to the formula parser to refuse.
    """
    if not isinstance(text, str):
        return
    try:
        tree = ast.parse(text.replace("^", "**").strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    try:
        _Walk().visit(tree.body, depth=1, calls=0, tower=0)
    except FormulaTooLarge as e:
        if error is FormulaTooLarge:
            raise
        raise error(str(e)) from None


#: Limits of a small formula: SymPy's work on one is quick (see :func:`is_small`).
SMALL = {"length": 80, "depth": 8, "calls": 2, "tower": 1, "exponent": 8, "degree": 8, "magnitude": 1e6}


def is_small(text: str) -> bool:
    """Whether ``text`` is a small formula: at most 80 characters, nested at most 8 deep, functions at
    most 2 inside one another, no power of a power, degree and powers at most 8, numbers at most 1e6.

    Parsing, checking and differentiating such a formula takes SymPy a fraction of a second, so
    :mod:`costlab.derive.budget` may work on it in the calling process (under a timer) rather than
    in a worker process.
    """
    if not isinstance(text, str) or len(text) > SMALL["length"]:
        return False
    try:
        tree = ast.parse(text.replace("^", "**").strip(), mode="eval")
        _Walk(SMALL).visit(tree.body, depth=1, calls=0, tower=0)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(abs(n.value) <= SMALL["magnitude"] for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)))


class _Walk:
    """Depth, call nesting and towers, top-down; exponent and degree, bottom-up."""

    def __init__(self, limits: dict | None = None):
        self.limits = limits

    def _over(self, key: str, value: float, default: float) -> bool:
        return value > (self.limits[key] if self.limits is not None else default)

    def _degree(self, d: float) -> float:
        if self._over("degree", d, MAX_DEGREE):
            raise FormulaTooLarge(f"the formula would be a polynomial of degree {d:.4g} in its variables "
                                  f"(at most {MAX_DEGREE})")
        return d

    def visit(self, node, *, depth, calls, tower) -> tuple[float, float]:
        """(degree in the variables, effective exponent of a variable) of ``node``."""
        if self._over("depth", depth, MAX_DEPTH):
            raise FormulaTooLarge(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            return 0.0, 0.0
        if isinstance(node, ast.Name):
            return (1.0, 1.0) if node.id in VARIABLES else (0.0, 0.0)
        if isinstance(node, ast.UnaryOp):
            return self.visit(node.operand, depth=depth + 1, calls=calls, tower=tower)
        if isinstance(node, ast.Call):
            if self._over("calls", calls + 1, MAX_CALL_NESTING):
                raise FormulaTooLarge(f"functions are nested too deeply in the formula "
                                      f"(at most {MAX_CALL_NESTING} inside one another)")
            parts = [self.visit(a, depth=depth + 1, calls=calls + 1, tower=tower) for a in node.args]
            # f(z^9) is no polynomial: it counts as one variable more
            return (1.0, 1.0) if any(d or e for d, e in parts) else (0.0, 0.0)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                if self._over("tower", tower + 1, MAX_TOWER):
                    raise FormulaTooLarge(f"powers are stacked too high in the formula (at most {MAX_TOWER}, "
                                          "as in (z^2)^3)")
                base = self.visit(node.left, depth=depth + 1, calls=calls, tower=tower + 1)
                power = self.visit(node.right, depth=depth + 1, calls=calls, tower=tower + 1)
                n = _constant(node.right)
                if n is None:  # a variable in the exponent: no polynomial, but the base's size still counts
                    return max(base[0], power[0]), max(base[1], power[1])
                exponent = base[1] * abs(n)
                if self._over("exponent", exponent, MAX_EXPONENT):
                    raise FormulaTooLarge(f"the formula raises a variable to the power {exponent:.4g} "
                                          f"(at most {MAX_EXPONENT})")
                return self._degree(base[0] * abs(n)), exponent
            # a chain of the same kind of operation (1 + z + z^2 + ...) is one level, not many
            left = self.visit(node.left, depth=depth + _nests(node, node.left), calls=calls, tower=tower)
            right = self.visit(node.right, depth=depth + _nests(node, node.right), calls=calls, tower=tower)
            if isinstance(node.op, (ast.Mult, ast.Div)):
                return self._degree(left[0] + right[0]), max(left[1], right[1])
            return max(left[0], right[0]), max(left[1], right[1])
        # anything else (a tuple, a comparison, ...) is not a formula: the parser says so
        return 0.0, 0.0


_KINDS = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1}


def _nests(parent: ast.BinOp, child) -> int:
    """1 when ``child`` is a level deeper than ``parent``, 0 when it continues its chain."""
    if isinstance(child, ast.BinOp) and _KINDS.get(type(child.op), -1) == _KINDS.get(type(parent.op), -2):
        return 0
    return 1


def _constant(node) -> float | None:
    """The value of a small constant expression (numbers, signs, + - * /), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        v = float(node.value) if abs(node.value) < 1e300 else math.inf
        return v
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _constant(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        a, b = _constant(node.left), _constant(node.right)
        if a is None or b is None:
            return None
        try:
            if isinstance(node.op, ast.Pow):
                return math.inf if abs(b) > MAX_EXPONENT or abs(a) > 1e6 else abs(a) ** b
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(node.op)) if not isinstance(
                node.op, ast.Div) else a / b
        except (ZeroDivisionError, OverflowError):
            return math.inf
    return None
