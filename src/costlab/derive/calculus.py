"""Calculus helpers: tidy signs, invert an activation, integrate, find limits, check steps."""

from __future__ import annotations

import random

import sympy as sp
from sympy.functions.elementary.hyperbolic import HyperbolicFunction
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from costlab.derive.render import Derivation, _text
from costlab.derive.symbols import As, _times, a, x, y, ys, z, zs

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
    """Rewrite factors like ``(a - 1)`` as ``-(1 - a)``, so results read as in the blog post."""
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
                elif s.is_positive:
                    vals[s] = sp.Float(rng.uniform(0.05, 1.5), 30)
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
# The output error of a cost formula
# --------------------------------------------------------------------------- #

#: sigma'(z) written with the output a, for the activations where that is exact.
PRIME_IN_A = {"sigmoid": a * (1 - a), "tanh": 1 - a ** 2, "identity": sp.Integer(1)}


def _simplest(expr):
    """``expr`` simplified (factored or expanded, whichever is shorter), for small expressions."""
    expr = sp.cancel(sp.together(expr)) if sp.count_ops(expr) <= 200 else expr
    if sp.count_ops(expr) <= 60:
        expr = min((sp.simplify(expr), sp.factor(expr), sp.expand(expr)), key=sp.count_ops)
    return expr


def delta_expr(C: sp.Expr, activation: str | None):
    """dC/dz as a function of a and y for ``activation`` (simplified), or dC/da when it has no form in a."""
    dCda = sp.diff(C, a)
    if activation in PRIME_IN_A:
        return _simplest(dCda * PRIME_IN_A[activation])
    return _simplest(dCda)
