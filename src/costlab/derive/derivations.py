"""The derivations: gradients of costs, the cost that matches an activation, the blog post's steps."""

from __future__ import annotations

from contextlib import nullcontext
from functools import lru_cache

import sympy as sp

from costlab.derive.budget import timer
from costlab.derive.calculus import (
    _an, _clean_antiderivative, _collect_logs, _integrate, _limits, _log_ratios, _minus_outside,
    _prime_in_a, _real_logs, _same, _samples, _shortest, _tidy,
)
from costlab.derive.parse import _BUILTIN, ActivationFormula, activation, parse_cost
from costlab.derive.render import Derivation, Step, _text
from costlab.derive.symbols import (
    COST_NAMES, K_CLASSES, As, C, DeriveError, NoClosedForm, _is_product, _plus, _times,
    a, b, bs, constant, sigma, w, ws, x, y, ys, z, zs,
)

def _spec(cost: str):
    """(canonical spec, name, parameters) of a cost spec; parameters None for a formula. DeriveError if refused."""
    from costlab.costs import get_cost, parse_spec  # NumPy and SciPy: only when a spec is derived

    if not isinstance(cost, str):
        raise DeriveError(f"unknown cost {cost!r}; choose one of: {', '.join(COST_NAMES)}")
    try:
        parsed = parse_spec(cost)
        canonical = get_cost(cost).name
    except ValueError as e:
        raise DeriveError(str(e)) from None
    if parsed is None:
        return canonical, None, None
    return canonical, parsed[0], parsed[1]


def _exact(v):
    """A parameter as SymPy shows it: 3 for 3.0, 1/10 for 0.1."""
    return sp.nsimplify(v, rational=True) if isinstance(v, float) else v


# --------------------------------------------------------------------------- #
# Costs, as functions of the output a (one unit) or a1..a3 (softmax)
# --------------------------------------------------------------------------- #

def _cost_expr(cost: str, outputs, targets):
    if cost not in COST_NAMES:
        return _spec_expr(cost, outputs, targets)
    if cost == "quadratic":
        return sp.Add(*((t - o) ** 2 for o, t in zip(outputs, targets))) / 2
    if cost == "cross-entropy":
        return -sp.Add(*(t * sp.log(o) + (1 - t) * sp.log(1 - o) for o, t in zip(outputs, targets)))
    if cost == "log-likelihood":
        return -sp.Add(*(t * sp.log(o) for o, t in zip(outputs, targets)))
    raise DeriveError(f"unknown cost {cost!r}; choose one of: {', '.join(COST_NAMES)}")


def _spec_expr(cost: str, outputs, targets):
    """C of a cost spec: a registered cost with parameters, or the user's formula in a and y."""
    canonical, name, params = _spec(cost)
    if name is None:
        C = parse_cost(canonical)
        return sp.Add(*(C.subs({a: o, y: t}, simultaneous=True) for o, t in zip(outputs, targets)))
    k = len(outputs)
    eps = _exact(params.get("smoothing", 0.0))
    if name == "quadratic":
        return _cost_expr("quadratic", outputs, targets)
    if name == "cross-entropy":
        p = _exact(params.get("pos_weight", 1.0))
        ts = [t * (1 - eps) + eps / 2 for t in targets]
        return -sp.Add(*(p * t * sp.log(o) + (1 - t) * sp.log(1 - o) for o, t in zip(outputs, ts)))
    if name == "focal":
        g, alpha = _exact(params.get("gamma", 2.0)), params.get("alpha")
        terms = []
        for o, t in zip(outputs, targets):
            term = (t * (1 - o) + (1 - t) * o) ** g * -(t * sp.log(o) + (1 - t) * sp.log(1 - o))
            if alpha is not None:
                term = (_exact(alpha) * t + (1 - _exact(alpha)) * (1 - t)) * term
            terms.append(term)
        return sp.Add(*terms)
    # log-likelihood: class weights, smoothing, focusing
    weights = params.get("class_weight")
    if weights is None:
        ws_ = [1] * k
    elif weights == "balanced":
        ws_ = list(sp.symbols(f"omega1:{k + 1}", positive=True))
    elif len(weights) != k:
        raise DeriveError(f"the derivation works with {k} classes written out: give {k} class weights "
                          "or class_weight=balanced")
    else:
        ws_ = [_exact(w_) for w_ in weights]
    g = _exact(params.get("gamma", 0.0))
    ts = [t * (1 - eps) + eps / k for t in targets]
    return -sp.Add(*(w_ * t * (1 - o) ** g * sp.log(o) for w_, o, t in zip(ws_, outputs, ts)))


def _title(cost: str) -> str:
    return _COST_TITLES.get(cost) or f"cost {_spec(cost)[0]}"


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
    from costlab.costs import get_cost

    canonical, base, _ = _spec(cost) if cost not in COST_NAMES else (cost, cost, {})
    if act is None:
        act = get_cost(canonical).default_activation
    if not isinstance(act, ActivationFormula):
        act = activation(act)
    if base == "log-likelihood" and not act.softmax:
        raise DeriveError(
            "the log-likelihood cost needs the softmax output (a probability distribution "
            f"over classes), not {act.title}; use --activation softmax, or the cross-entropy"
        )
    with timer() if not act.builtin or base is None else nullcontext():  # a user's formula: bounded
        d = _softmax_gradient(cost) if act.softmax else _elementwise_gradient(cost, act)
    if act.builtin:
        if act.name in get_cost(canonical).activations:
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
        Step(f"The {_title(cost)} of one sample", C, cost_a),
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

    if cost.partition("(")[0].strip() in ("cross-entropy", "focal"):
        rng = [v for v in (lo, hi) if v is not None]
        if len(rng) < 2:
            notes.append("The cross-entropy needs 0 < a < 1; SymPy could not find the range of this activation.")
        elif any(v.is_number and (v < 0 or v > 1) for v in rng) or any(v.is_infinite for v in rng):
            notes.append(f"The cross-entropy needs 0 < a < 1, but sigma(z) runs from {_text(lo)} to {_text(hi)}: "
                         "C is not real where a <= 0 or a >= 1; the formulas hold only where 0 < a < 1.")

    where = {z: w * x + b, a: sigma(z), sigma: sp.Lambda(z, e), C: cost_a}
    result = {"dC/dz": delta, "dC/dw": dCdw_value, "dC/db": delta, "slowdown_factor": slowdown}
    title = f"Gradient of the {_title(cost)} for a neuron with {_an(act.name)} output" if act.builtin \
        else f"Gradient of the {_title(cost)} for sigma(z) = {_text(e)}"
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
        Step(f"The {_title(cost)} of one sample", C, cost_a),
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
    if not plain and cost not in COST_NAMES:
        # a weighted or smoothed log-likelihood: the error is still linear in the outputs, no softmax derivative
        linear = all(not d.has(sp.log) and sp.Poly(sp.expand(d), *As).total_degree() <= 1
                     if sp.expand(d).is_polynomial(*As) else False for d in deltas)
        if linear:
            notes.append(f"No learning slowdown: each dC/dz_j ({_text(deltas[0])} for j = 1) is linear in the "
                         "outputs, with no softmax derivative left in it: the gradient grows with the error.")
            plain = None
    slowdown = None
    if plain is None:
        pass
    elif plain:
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
    title = f"Gradient of the {_title(cost)} for a softmax output ({k} classes)"
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
    if not act.builtin:  # a user's formula: SymPy's work on it bounded in time
        with timer():
            return _matching(act)
    return _matching(act)


def _matching(act: ActivationFormula) -> Derivation:
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
# Information: cross-entropy = entropy + KL divergence; log-likelihood = maximum likelihood
# --------------------------------------------------------------------------- #

#: H(y, a), H(y), KL(y || a): the cross-entropy of the target distribution y and the output a, ...
H_ya, H_y, KL = sp.Symbol("H(y, a)"), sp.Symbol("H(y)"), sp.Symbol("KL(y || a)")


def entropy() -> Derivation:
    """H(y, a) = H(y) + KL(y || a): the cross-entropy is the entropy of the target plus the KL divergence.

    y is the target distribution over K classes (written out with K = 3), a
    the network's output distribution (a softmax). Every step is an identity
    of SymPy expressions (:func:`costlab.derive.failing_steps` checks them).
    """
    k = K_CLASSES
    # probabilities: positive, so that ln(y/a) = ln y - ln a
    pairs = list(zip(sp.symbols(f"y1:{k + 1}", positive=True), sp.symbols(f"a1:{k + 1}", positive=True)))
    cross = -sp.Add(*(t * sp.log(o) for t, o in pairs))
    ent = -sp.Add(*(t * sp.log(t) for t, _ in pairs))
    kl = sp.Add(*(t * sp.log(t / o) for t, o in pairs))
    steps = [
        Step(f"The cross-entropy of the target y and the output a ({k} classes written out)", H_ya, cross),
        Step("Add and take away sum_j y_j ln y_j", H_ya,
             _plus(ent, sp.Add(*(t * sp.log(t) for t, _ in pairs)), cross)),
        Step("ln y_j - ln a_j = ln(y_j/a_j)", H_ya, _plus(ent, kl)),
        Step("The entropy of y, and the Kullback-Leibler divergence of a from y", H_ya, _plus(H_y, KL)),
    ]
    notes = [
        "KL(y || a) >= 0, and it is 0 only when a = y (Gibbs' inequality): the cross-entropy is never below "
        "the entropy H(y), and reaches it only when the output is the target distribution.",
        "H(y) does not depend on the network, so minimizing the cross-entropy over the weights minimizes "
        "KL(y || a): it pulls the output distribution towards the target.",
        "For a one-hot target (one class y = 1), H(y) = 0 (1 ln 1 = 0, and 0 ln 0 = 0 in the limit), and the "
        "cross-entropy is the KL divergence itself: -ln a_y, the log-likelihood cost.",
    ]
    where = {H_ya: cross, H_y: ent, KL: kl}
    return Derivation("The cross-entropy is the entropy plus the Kullback-Leibler divergence", steps, notes,
                      where, {"H(y, a)": _plus(H_y, KL)})


def likelihood() -> Derivation:
    """Minimizing the log-likelihood cost is maximum-likelihood estimation (n = 3 samples written out).

    The network gives sample x the probability a_{y(x)} of its label; the
    likelihood of the labels is the product of those probabilities, and the
    log-likelihood cost is -1/n times its logarithm.
    """
    n = 3
    p = sp.symbols(f"p1:{n + 1}", positive=True)       # p_i = a_{y(x_i)}: the probability of the right label
    L, lnL = sp.Symbol("L"), sp.Symbol("ln L")
    product = sp.Mul(*p)
    log_sum = sp.Add(*(sp.log(q) for q in p))
    cost = -log_sum / n
    t, o = y, a
    bernoulli = o ** t * (1 - o) ** (1 - t)
    steps = [
        Step("The likelihood of the labels: the product over the samples of p_i = a_y(x_i), the probability "
             "the network gives each its label", L, product),
        Step("Its logarithm (ln is increasing: the same weights maximize both)", lnL, sp.expand_log(sp.log(product))),
        Step(f"The log-likelihood cost averages -ln a_y(x) over the n = {n} samples", C, cost),
        Step("So the cost is -1/n times the log-likelihood", C, -lnL / n),
        Step("For a sigmoid output and a label y in {0, 1}, the probability of the label is "
             "a^y (1 - a)^(1 - y); minus its logarithm", sp.Symbol("-ln P(y)"),
             sp.expand_log(-sp.log(bernoulli), force=True)),
    ]
    notes = [
        "Minimizing C = -1/n ln L over the weights maximizes the likelihood L of the training labels: "
        "gradient descent on the log-likelihood cost is maximum-likelihood estimation.",
        "The last step is the cross-entropy -[y ln a + (1 - y) ln(1 - a)]: for a sigmoid output the "
        "cross-entropy cost is the log-likelihood of a Bernoulli (yes/no) label, and maximum likelihood too.",
        f"Worked with n = {n} samples written out; the same steps hold for any n.",
    ]
    where = {L: product, lnL: sp.log(product), C: cost, sp.Symbol("-ln P(y)"): -sp.log(bernoulli)}
    return Derivation("Minimizing the log-likelihood cost is maximum-likelihood estimation", steps, notes, where,
                      {"C": -lnL / n})
