"""Tests of costlab.derive and ``costlab derive``: the algebra, its ties to the engine, safe formulas.

The algebra is checked three ways: every printed step is a true equation
(``failing_steps`` evaluates both sides at random points under the
derivation's definitions); each final result equals the expected formula
symbolically (``simplify(difference) == 0``); and the derived output error
dC/dz, turned into a NumPy function, equals the numeric engine's
``cost.delta`` (and the derived C its ``cost.fn``) at random points, with
mpmath as the exact reference.
"""

from __future__ import annotations

import re

import json
import subprocess
import sys
import time
from functools import lru_cache

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from costlab import derive as D
from costlab.activations import ACTIVATIONS, softmax
from costlab.costs import COSTS
from clitools import run_main as invoke, run_process

# plain symbols, as SymPy's parser reads them back from the JSON strings
pa, py, pz, pw, pb, px = sp.symbols("a y z w b x")
ENGINE_PAIRS = [(name, act) for name, cost in COSTS.items() for act in cost.activations]


@lru_cache(maxsize=None)
def gradient(cost, act):
    return D.gradient(cost, act)


@lru_cache(maxsize=None)
def matching(act):
    return D.matching(act)


def same(e1, e2) -> bool:
    return sp.simplify(e1 - e2) == 0


def sig(t):
    return 1 / (1 + sp.exp(-t))


# --------------------------------------------------------------------------- #
# costlab derive: the seed's four derivations
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def seed_text():
    code, out, err = invoke("derive")
    assert code == 0, err
    return out


def test_seed_prints_the_four_derivations_in_order(seed_text):
    titles = ["1. The sigmoid's derivative", "2. The quadratic cost's gradients",
              "3. The cross-entropy's gradients", "4. Where the cross-entropy comes from"]
    positions = [seed_text.index(t) for t in titles]
    assert positions == sorted(positions)


def test_seed_text_shows_each_step_of_the_appendix(seed_text):
    appendix = seed_text[:seed_text.index("2. The quadratic")]
    for line in ["sigma(z) = 1/(1 + e^-z)",
                 "sigma'(z) = d/dz [1/(1 + e^-z)]",
                 "= (-1/(1 + e^-z)^2) * (-e^-z)",
                 "= e^-z/(1 + e^-z)^2",
                 "= 1/(1 + e^-z) * e^-z/(1 + e^-z)",
                 "= 1/(1 + e^-z) * (1 - 1/(1 + e^-z))",
                 "= sigma(z) * (1 - sigma(z))",
                 "= a*(1 - a)"]:
        assert line in appendix, line
    assert "largest" in appendix and "z = 0, where it is 1/4" in appendix


def test_seed_text_shows_the_slowdown_and_the_cancellation(seed_text):
    quad = seed_text[seed_text.index("2. The quadratic"):seed_text.index("3. The cross-entropy")]
    ce = seed_text[seed_text.index("3. The cross-entropy"):seed_text.index("4. Where")]
    origin = seed_text[seed_text.index("4. Where"):]
    # the seed's quadratic gradients: dC/dw = (a - y) sigma'(z) x, with sigma'(z) = a(1 - a)
    assert "dC/dw = dC/dz * dz/dw" in quad
    assert "= (a - y) * sigma'(z) * x" in quad
    assert "= (a - y) * a*(1 - a) * x" in quad
    assert "= (a - y) * a*(1 - a)" in quad
    assert "Learning slowdown: dC/dz carries the factor sigma'(z) = a*(1 - a)" in quad
    # the cross-entropy's: the factor cancels, x (sigma(z) - y)
    assert "The factor sigma'(z) = a*(1 - a) cancels" in ce
    assert "= (a - y)/(a*(1 - a)) * a*(1 - a)" in ce
    assert "= x*(sigma(z) - y)" in ce and "= sigma(z) - y" in ce
    assert "No learning slowdown" in ce
    # section 3: from dC/db = a - y to the cross-entropy plus a constant
    for line in ["dC/da * a*(1 - a) = a - y", "dC/da = (a - y)/(a*(1 - a))",
                 "= (1 - y)/(1 - a) - y/a",
                 "C = -y*ln(a) - (1 - y)*ln(1 - a) + constant",
                 "= -(y*ln(a) + (1 - y)*ln(1 - a)) + constant"]:
        assert line in origin, line


def test_seed_every_step_is_a_true_equation():
    for d in D.seed():
        assert D.failing_steps(d) == [], d.title


def test_seed_results_are_the_seeds_formulas():
    appendix, quad, ce, origin = D.seed()
    a, y, x, z = D.a, D.y, D.x, D.z
    assert same(appendix.steps[-1].rhs, a * (1 - a))
    assert same(appendix.steps[-2].rhs.subs(D.sigma(z), sig(z)), sp.diff(sig(z), z))
    assert same(quad.result["dC/dw"], (a - y) * a * (1 - a) * x)
    assert same(quad.result["dC/db"], (a - y) * a * (1 - a))
    assert same(ce.result["dC/dw"], x * (a - y)) and same(ce.result["dC/db"], a - y)
    assert ce.steps[-1].rhs == D.sigma(z) - y
    cross_entropy = -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
    assert same(origin.result["C"], cross_entropy + D.constant)


def test_failing_steps_catches_a_wrong_step():
    d = D.Derivation("wrong", [D.Step("right", sp.Derivative(D.C, D.a), D.a - D.y),
                               D.Step("wrong", sp.Derivative(D.C, D.a), D.a + D.y)],
                     where={D.C: (D.y - D.a) ** 2 / 2})
    assert D.failing_steps(d) == [1]


def test_bare_derive_is_derive_seed():
    assert invoke("derive")[1] == invoke("derive", "seed")[1]
    assert invoke("derive", "--format", "latex")[1] == invoke("derive", "seed", "--format", "latex")[1]
    assert invoke("derive", "--json", "seed")[1] == invoke("derive", "seed", "--json")[1]


def test_seed_in_latex_is_four_align_blocks():
    code, out, _ = invoke("derive", "--format", "latex")
    assert code == 0
    assert out.count(r"\begin{align*}") == 4 == out.count(r"\end{align*}")
    assert r"\sigma'(z) &= \frac{e^{- z}}{\left(1 + e^{- z}\right)^{2}}" in out
    assert r"\frac{\partial C}{\partial w}" in out
    assert r"\ln{\left(1 - a \right)}" in out
    # every line inside a block is `lhs &= rhs && \text{label}`
    body = [ln for ln in out.splitlines() if "&=" in ln]
    assert body and all(r"&& \text{" in ln for ln in body)
    # the formulas inside a label are typeset, not ASCII
    assert r"\text{Chain rule: $\mathrm{d}/\mathrm{d}u\;u^{-1} = -u^{-2}$, with $u = 1 + e^{-z}$}" in out
    labels = "".join(ln.split("&&")[1] for ln in body)
    assert not re.search(r"(?<!\\)sigma'", labels)  # sigma' only as the typeset \sigma'


def test_seed_in_markdown_has_headings_labels_and_display_math():
    code, out, _ = invoke("derive", "--format", "markdown")
    assert code == 0
    assert [ln for ln in out.splitlines() if ln.startswith("## ")][0].startswith("## The sigmoid")
    assert sum(ln.startswith("## ") for ln in out.splitlines()) == 4
    blocks = [ln for ln in out.splitlines() if ln.startswith("$$")]
    assert blocks and all(ln.endswith("$$") for ln in blocks)
    assert "Definition of the sigmoid:" in out


@pytest.fixture(scope="module")
def seed_json():
    code, out, err = invoke("derive", "--json")
    assert code == 0, err
    return json.loads(out)


def test_seed_json_steps_parse_back_with_sympy(seed_json):
    assert seed_json["command"] == "derive"
    assert len(seed_json["sections"]) == 4
    for step in seed_json["steps"]:
        assert set(step) >= {"label", "lhs", "rhs", "latex", "section"}
        lhs, rhs = parse_expr(step["lhs"]), parse_expr(step["rhs"])
        assert isinstance(lhs, sp.Basic) and isinstance(rhs, sp.Basic)
        assert lhs.free_symbols | rhs.free_symbols <= {pa, py, pz, pw, pb, px, sp.Symbol("C"),
                                                        sp.Symbol("constant")}


def test_seed_json_last_steps_are_the_results(seed_json):
    last = {}
    for step in seed_json["steps"]:
        last[step["section"]] = step
    # appendix: sigma'(z) = a (1 - a); quadratic dC/db = (a - y) a (1 - a);
    # cross-entropy dC/db = sigma(z) - y, sigma written out; section 3: C = cross-entropy + constant
    assert same(parse_expr(last[0]["rhs"]), pa * (1 - pa))
    assert same(parse_expr(last[1]["rhs"]), (pa - py) * pa * (1 - pa))
    assert same(parse_expr(last[2]["rhs"]), sig(pz) - py)
    ce = -(py * sp.log(pa) + (1 - py) * sp.log(1 - pa)) + sp.Symbol("constant")
    assert same(parse_expr(last[3]["rhs"]), ce)
    # lhs read back: Derivative(C, b) for the last two gradients
    assert parse_expr(last[2]["lhs"]) == sp.Derivative(sp.Symbol("C"), pb)


def test_json_lhs_with_sigma_written_out_evaluates_to_the_rhs(seed_json):
    # the appendix's lhs is Derivative(1/(1 + exp(-z)), z): doit() gives each rhs,
    # with a as the section's `where` defines it
    a_is = parse_expr(seed_json["sections"][0]["where"]["a"])
    assert same(a_is, sig(pz))
    for step in seed_json["steps"]:
        if step["section"] == 0 and step["lhs"].startswith("Derivative("):
            lhs, rhs = parse_expr(step["lhs"]).doit(), parse_expr(step["rhs"]).doit().subs(pa, a_is)
            assert same(lhs, rhs), step["label"]


def test_seed_is_fast():
    D._seed_cached.cache_clear()
    t = time.perf_counter()
    D.seed()
    assert time.perf_counter() - t < 5


# --------------------------------------------------------------------------- #
# costlab derive gradient
# --------------------------------------------------------------------------- #

ALL_PAIRS = ENGINE_PAIRS + [("cross-entropy", "tanh"), ("cross-entropy", "identity"),
                            ("cross-entropy", "softmax"), ("quadratic", "atan(z)"),
                            ("cross-entropy", "1/(1+exp(-2*z))"), ("quadratic", "z/(1+abs(z))")]


@pytest.mark.parametrize("cost, act", ALL_PAIRS)
def test_gradient_every_step_is_a_true_equation(cost, act):
    assert D.failing_steps(gradient(cost, act)) == []


def test_gradient_names_the_slowdown_factor():
    a, y = D.a, D.y
    quad = gradient("quadratic", "sigmoid").result
    assert same(quad["slowdown_factor"], a * (1 - a))
    assert same(sp.cancel(quad["dC/dz"] / (a - y)), a * (1 - a))     # carries a(1 - a)
    assert same(gradient("quadratic", "tanh").result["slowdown_factor"], 1 - a ** 2)
    for cost, act in [("cross-entropy", "sigmoid"), ("quadratic", "identity")]:
        r = gradient(cost, act).result
        assert r["slowdown_factor"] is None
        assert r["dC/dz"] == a - y                                    # no a(1 - a) left at all
        assert not r["dC/dz"].has(a * (1 - a))
    ll = gradient("log-likelihood", "softmax").result
    assert ll["slowdown_factor"] is None
    assert [ll[f"dC/dz{j}"] for j in (1, 2, 3)] == [ak - yk for ak, yk in zip(D.As, D.ys)]
    assert gradient("quadratic", "softmax").result["slowdown_factor"] is not None


def test_gradient_text_for_people():
    code, out, _ = invoke("derive", "gradient", "--cost", "quadratic", "--activation", "tanh")
    assert code == 0
    assert "sigma'(z) = 1 - tanh(z)^2" in out and "= 1 - a^2" in out
    assert "Learning slowdown: dC/dz carries the factor sigma'(z) = 1 - a^2" in out
    assert "a -> -1" in out and "a -> 1" in out
    code, out, _ = invoke("derive", "gradient", "--cost", "log-likelihood")
    assert code == 0 and "softmax" in out and "dC/dz1 = a1 - y1" not in out
    assert "= a1 - y1" in out and "dC/dz2 = a2 - y2" in out and "One-hot target" in out


def test_gradient_defaults_to_the_costs_own_activation():
    assert invoke("derive", "gradient", "--cost", "cross-entropy")[1] == \
        invoke("derive", "gradient", "--cost", "cross-entropy", "--activation", "sigmoid")[1]


def test_log_likelihood_needs_the_softmax():
    code, out, err = invoke("derive", "gradient", "--cost", "log-likelihood", "--activation", "sigmoid")
    assert (code, out) == (2, "")
    assert "needs the softmax" in err


def test_cross_entropy_outside_0_1_is_derived_with_a_warning():
    d = gradient("cross-entropy", "tanh")
    assert any("needs 0 < a < 1" in n and "-1 to 1" in n for n in d.notes)
    assert any("does not train this pair" in n for n in d.notes)
    assert same(d.result["dC/dz"], (D.a - D.y) * (1 + D.a) / D.a)


def test_gradient_of_a_user_formula():
    d = gradient("cross-entropy", "1/(1+exp(-2*z))")
    assert same(d.result["dC/dz"], 2 * (D.a - D.y))
    assert d.result["slowdown_factor"] == 2
    assert any("does not tend to 0" in n for n in d.notes)
    d = gradient("quadratic", "atan(z)")
    assert same(d.result["slowdown_factor"], sp.cos(D.a) ** 2)


@pytest.mark.parametrize("cost, act", [("quadratic", "sigmoid"), ("cross-entropy", "sigmoid"),
                                       ("log-likelihood", "softmax"), ("quadratic", "atan(z)")])
def test_gradient_json_parses_back_and_ends_in_the_result(cost, act):
    code, out, err = invoke("derive", "gradient", "--cost", cost, "--activation", act, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["command"], data["cost"], data["activation"]) == ("gradient", cost, act)
    for step in data["steps"]:
        parse_expr(step["lhs"]), parse_expr(step["rhs"])
    section = data["sections"][0]
    key = "dC/db1" if act == "softmax" else "dC/db"
    final = parse_expr(data["steps"][-1]["rhs"])
    expected = parse_expr(section["result"][key])
    if act != "softmax":     # the last step may write a out as sigma(z): compare with a written out
        a_is = parse_expr(section["where"]["a"])
        final, expected = final.subs(pa, a_is), expected.subs(pa, a_is)
    assert same(final, expected)


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown"])
def test_gradient_in_every_format(fmt):
    code, out, err = invoke("derive", "gradient", "--cost", "quadratic", "--format", fmt)
    assert code == 0 and err == ""
    assert {"text": "dC/dw =", "latex": r"\frac{\partial C}{\partial w}", "markdown": "$$"}[fmt] in out


# --------------------------------------------------------------------------- #
# The algebra agrees with the numeric engine
# --------------------------------------------------------------------------- #

def _numeric_delta(d):
    """The derived dC/dz as f(z, a, y) for one output unit, with NumPy."""
    return sp.lambdify((D.z, D.a, D.y), d.result["dC/dz"], modules="numpy")


@pytest.mark.parametrize("cost, act", [p for p in ENGINE_PAIRS if p[1] != "softmax"])
def test_derived_delta_equals_the_engines_for_elementwise_outputs(cost, act):
    f = _numeric_delta(gradient(cost, act))
    activation = ACTIVATIONS[act]
    rng = np.random.default_rng(4)
    z = np.concatenate([rng.uniform(-30, 30, 400), rng.uniform(-4, 4, 400)])[:, None]
    y = rng.uniform(0, 1, z.shape)
    a = activation(z)
    engine = COSTS[cost].delta(z, a, y, activation)
    derived = np.broadcast_to(f(z, a, y), z.shape)
    # the same formula from the same rounded a: apart from the last bits of sigma'(z) written
    # with a (1 - a*a is accurate to about 2 eps in absolute terms), they agree
    eps = np.finfo(float).eps
    assert np.all(np.abs(derived - engine) <= 4 * eps * np.abs(a - y) + 1e-300)


@pytest.mark.parametrize("cost, act", [p for p in ENGINE_PAIRS if p[1] != "softmax"])
def test_engine_delta_equals_the_exact_derived_value(cost, act):
    # the derived dC/dz with a = sigma(z) written out, evaluated by mpmath at 50 digits
    d = gradient(cost, act)
    exact = d.result["dC/dz"].subs(D.a, d.where[D.sigma](D.z))
    f = sp.lambdify((D.z, D.y), exact, modules="mpmath")
    activation = ACTIVATIONS[act]
    rng = np.random.default_rng(5)
    for z0, y0 in zip(rng.uniform(-5, 5, 30), rng.uniform(0, 1, 30)):
        if act == "relu" and abs(z0) < 1e-9:
            continue
        with mpmath.workdps(50):
            want = float(f(mpmath.mpf(z0), mpmath.mpf(y0)))
        z = np.array([[z0]])
        got = COSTS[cost].delta(z, activation(z), np.array([[y0]]), activation)[0, 0]
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("cost", [c for c, act in ENGINE_PAIRS if act == "softmax"])
def test_derived_delta_equals_the_engines_for_the_softmax(cost):
    d = gradient(cost, "softmax")
    fs = [sp.lambdify((*D.As, *D.ys), d.result[f"dC/dz{j}"], modules="numpy") for j in (1, 2, 3)]
    rng = np.random.default_rng(6)
    z = np.concatenate([rng.uniform(-30, 30, (300, 3)), rng.uniform(-3, 3, (300, 3))])
    y = np.eye(3)[rng.integers(0, 3, len(z))]                   # one-hot targets
    a = softmax(z)
    engine = COSTS[cost].delta(z, a, y, ACTIVATIONS["softmax"])
    derived = np.stack([np.broadcast_to(f(*a.T, *y.T), len(z)) for f in fs], axis=1)
    np.testing.assert_allclose(derived, engine, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cost, act", [("cross-entropy", "sigmoid"), ("log-likelihood", "softmax"),
                                       ("quadratic", "identity")])
def test_exact_cancellation_holds_at_huge_logits(cost, act):
    # where the derived dC/dz simplifies to a - y, it is a - y exactly, even at |z| = 1e3
    d = gradient(cost, act)
    k = 3 if act == "softmax" else 1
    z = np.array([[1e3, -1e3, 0.0][:k], [-1e3, 1e3, 5.0][:k]])
    y = np.eye(k)[[0, 1 % k]] if k > 1 else np.array([[0.0], [1.0]])
    activation = ACTIVATIONS[act]
    a = activation(z)
    with np.errstate(all="raise"):
        engine = COSTS[cost].delta(z, a, y, activation)
    if k == 1:
        assert d.result["dC/dz"] == D.a - D.y
    else:
        assert all(d.result[f"dC/dz{j + 1}"] == D.As[j] - D.ys[j] for j in range(k))
    np.testing.assert_array_equal(engine, a - y)


@pytest.mark.parametrize("cost, act", ENGINE_PAIRS)
def test_derived_cost_equals_the_engines(cost, act):
    d = gradient(cost, act)
    rng = np.random.default_rng(7)
    if act == "softmax":
        z = rng.uniform(-4, 4, (50, 3))
        y = np.eye(3)[rng.integers(0, 3, 50)]
        a = softmax(z)
        f = sp.lambdify((*D.As, *D.ys), d.where[D.C], modules="numpy")
        derived = f(*a.T, *y.T)
    else:
        z = rng.uniform(-4, 4, (50, 1))
        y = rng.uniform(0.01, 0.99, (50, 1))
        a = ACTIVATIONS[act](z)
        f = sp.lambdify((D.a, D.y), d.where[D.C], modules="numpy")
        derived = f(a, y)[:, 0]
    np.testing.assert_allclose(derived, COSTS[cost].fn(z, a, y), rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------- #
# costlab derive matching
# --------------------------------------------------------------------------- #

MATCHING = ["identity", "sigmoid", "tanh", "softmax", "atan(z)", "asinh(z)", "1/(1+exp(-2*z))"]


@pytest.mark.parametrize("act", MATCHING)
def test_matching_every_step_is_a_true_equation(act):
    assert D.failing_steps(matching(act)) == []


@pytest.mark.parametrize("act", [m for m in MATCHING if m != "softmax"])
def test_matching_cost_differentiates_back_to_a_minus_y(act):
    d = matching(act)
    s = d.where[D.sigma](D.z)
    C_of_z = d.result["C"].subs(D.a, s)
    assert same(sp.diff(C_of_z, D.z), s - D.y)
    assert same(d.result["C"].subs(D.a, D.y), 0)                    # C = 0 when a = y


def test_softmax_matching_cost_differentiates_back_to_a_minus_y():
    d = matching("softmax")
    S = sum(sp.exp(t) for t in D.zs)
    soft = [sp.exp(t) / S for t in D.zs]
    C_of_z = d.result["C"].subs(dict(zip(D.As, soft))).subs(D.ys[-1], 1 - D.ys[0] - D.ys[1])
    for j in range(3):
        want = (soft[j] - D.ys[j]).subs(D.ys[-1], 1 - D.ys[0] - D.ys[1])
        assert same(sp.expand_log(sp.diff(C_of_z, D.zs[j]), force=True), want)


def test_matching_costs_are_the_known_ones():
    a, y = D.a, D.y
    assert same(matching("identity").result["C"], (a - y) ** 2 / 2)
    ce = -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
    C = matching("sigmoid").result["C"]
    assert same(C - ce, y * sp.log(y) + (1 - y) * sp.log(1 - y))    # the constant making C(a=y) = 0
    ll = -sum(yk * sp.log(ak) for yk, ak in zip(D.ys, D.As))
    assert same(matching("softmax").result["C"] - ll, sum(yk * sp.log(yk) for yk in D.ys))
    p, q = (1 + y) / 2, (1 + a) / 2
    tanh_ce = -(p * sp.log(q) + (1 - p) * sp.log(1 - q))
    assert same(sp.diff(matching("tanh").result["C"] - tanh_ce, a), 0)


def test_matching_text_for_people():
    code, out, _ = invoke("derive", "matching")
    assert code == 0
    assert "C = -y*ln(a) - (1 - y)*ln(1 - a) + constant" in out
    assert "constant = y*ln(y) + (1 - y)*ln(1 - y)" in out
    assert "This is the cross-entropy" in out and "C = 0 at a = y" in out
    code, out, _ = invoke("derive", "matching", "--activation", "identity")
    assert "= (a - y)^2/2" in out and "This is the quadratic cost" in out
    code, out, _ = invoke("derive", "matching", "--activation", "tanh")
    assert "(1 - y)*ln((1 - y)/(1 - a))/2 + (1 + y)*ln((1 + y)/(1 + a))/2" in out
    code, out, _ = invoke("derive", "matching", "--activation", "softmax")
    assert "-(y1*ln(a1) + y2*ln(a2) + y3*ln(a3))" in out and "log-likelihood" in out


def test_a_formula_that_is_not_one_to_one_gets_its_branch_noted():
    d = matching("sin(z)")
    assert d.result["C"].has(sp.asin(D.a))
    assert any("not one-to-one" in n and "branch" in n for n in d.notes)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "atan(z)"])
def test_matching_json_ends_in_the_cost(act):
    code, out, err = invoke("derive", "matching", "--activation", act, "--json")
    assert code == 0, err
    data = json.loads(out)
    final = parse_expr(data["steps"][-1]["rhs"])
    result = parse_expr(data["sections"][0]["result"]["C"])
    assert same(sp.expand_log(final, force=True), sp.expand_log(result, force=True))
    assert data["steps"][-1]["lhs"] == "C"


@pytest.mark.parametrize("act, why", [("relu", "no inverse"), ("erf(z)", "no antiderivative"),
                                      ("z/(1+abs(z))", "no inverse")])
def test_matching_without_a_closed_form_says_so(act, why):
    p = run_process("derive", "matching", "--activation", act)
    assert p.returncode == 1 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith("costlab derive matching: error: no closed form") and why in p.stderr


# --------------------------------------------------------------------------- #
# Formulas: mathematics only
# --------------------------------------------------------------------------- #

MALICIOUS = [
    "__import__('os').system('touch {marker}')",
    "__import__(\"os\").system(\"touch {marker}\")",
    "z.__class__",
    "().__class__.__bases__",
    "z.__class__.__mro__[1].__subclasses__()",
    "exec",
    "exec('open(\"{marker}\", \"w\")')",
    "eval(1)",
    "open('{marker}', 'w')",
    "lambda: 1",
    "z if 1 else 2",
    "[z]",
    "{{z}}",
    "'a'",
    "9**9**9**9",
    "z**(10**100)",
    "exp(10**100)*z",
    "z" * 10_000,
    "ｚ",                       # fullwidth z
    "еxp(z)",                   # Cyrillic e
    "z\u200b",                  # zero-width space
    "z;1",
    "z\n",
    "z.real",
    "z . real",
    "Integer(2)*z",
    "Symbol('q')",
    "sympify('z')",
    "getattr(z, 'args')",
    "globals()",
    "z @ z",
    "z % 2",
    "z // 2",
    "z == 1",
    "not z",
    "2z",
    "exp",
    "z, z",
    "z(2)",
    "1",
    "pi",
    "",
    "log(z)",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_malicious_or_bad_formulas_are_refused_with_exit_2(text, tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    text = text.format(marker=marker) if "{" in text else text
    monkeypatch.chdir(tmp_path)
    for command in (["gradient", "--cost", "quadratic"], ["matching"]):
        t = time.perf_counter()
        code, out, err = invoke("derive", *command, "--activation", text)
        assert time.perf_counter() - t < 5
        assert (code, out) == (2, ""), (text, err)
        assert len(err.strip().splitlines()) == 1 and "--activation" in err
    assert not marker.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["__import__('os')", "z.__class__", "exec", "open('x')", "lambda: 1",
                                  "[z]", "'a'", "z" * 10_000, "ｚ", "z.real", "Integer(2)*z"])
def test_text_refused_before_the_parser_sees_it(text, monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("parse_expr reached")

    monkeypatch.setattr(D.parse, "parse_expr", no_parse)
    with pytest.raises(D.DeriveError):
        D.parse_activation(text)


def test_the_parser_gets_only_allowed_names(monkeypatch):
    seen = {}
    real = D.parse.parse_expr

    def spy(text, local_dict, global_dict, **kwargs):
        seen.update(local=dict(local_dict), glob=dict(global_dict))
        return real(text, local_dict=local_dict, global_dict=global_dict, **kwargs)

    monkeypatch.setattr(D.parse, "parse_expr", spy)
    D.parse._parse_activation_here("1/(1+exp(-2*z))")  # what the formula worker runs
    assert seen["glob"]["__builtins__"] == {}
    assert set(seen["glob"]) == {"__builtins__", "Integer", "Float", "Rational", "Add", "Mul", "Pow"}
    assert set(seen["local"]) == set(D._FORMULA_NAMES)


def test_a_subprocess_with_a_malicious_formula_runs_nothing(tmp_path):
    marker = tmp_path / "marker"
    p = run_process("derive", "gradient", "--cost", "quadratic", "--activation",
                    f"__import__('os').system('touch {marker}')")
    assert p.returncode == 2 and p.stdout == "" and not marker.exists()
    assert len(p.stderr.splitlines()) == 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("text, expected", [
    ("1/(1+exp(-2*z))", 1 / (1 + sp.exp(-2 * D.z))),
    ("atan(z)", sp.atan(D.z)),
    ("z/(1+abs(z))", D.z / (1 + sp.Abs(D.z))),
    ("e^z / (1 + e^z)", sp.exp(D.z) / (1 + sp.exp(D.z))),
    ("2.5*tanh(z) + 0.1*z", sp.Float("2.5") * sp.tanh(D.z) + sp.Float("0.1") * D.z),
    ("max(z, 0.01*z)", sp.Max(D.z, sp.Float("0.01") * D.z)),
    ("z**3 + z", D.z ** 3 + D.z),
    ("sqrt(1 + z^2) - 1", sp.sqrt(1 + D.z ** 2) - 1),
])
def test_good_formulas_parse_to_mathematics(text, expected):
    assert same(D.parse_activation(text), expected)


def test_builtin_names_are_the_registrys_functions():
    rng = np.random.default_rng(8)
    z = rng.uniform(-5, 5, 20)
    for name in ("sigmoid", "tanh", "identity", "relu"):
        f = sp.lambdify(D.z, D.activation(name).expr, modules="numpy")
        np.testing.assert_allclose(np.broadcast_to(f(z), z.shape), ACTIVATIONS[name](z), rtol=1e-14)


# --------------------------------------------------------------------------- #
# The command line: errors, limits, imports
# --------------------------------------------------------------------------- #

def test_cli_cost_names_are_derives():
    from costlab.cli.derive import COST_NAMES

    assert COST_NAMES == D.COST_NAMES
    assert set(COST_NAMES) == set(COSTS)


def test_unknown_cost_is_a_usage_error():
    p = run_process("derive", "gradient", "--cost", "hinge")
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1


def test_time_limit_gives_up_in_one_line():
    p = run_process("derive", "matching", "--activation", "atan(z)", "--time-limit", "0.001")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.splitlines() == [p.stderr.strip()] and "gave up after 0.001 s" in p.stderr


HEAVY = "import sys, atexit; atexit.register(lambda: print('SYMPY', 'sympy' in sys.modules, file=sys.stderr)); "


@pytest.mark.parametrize("args", [["--help"], ["neuron", "--help"], ["derive", "--help"],
                                  ["derive", "gradient", "--help"], ["--version"]])
def test_help_does_not_import_sympy(args):
    code = HEAVY + f"from costlab.cli import main; main({args!r})"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "SYMPY False" in p.stderr


def test_importing_the_cli_does_not_import_sympy():
    p = subprocess.run([sys.executable, "-c", "import sys, costlab.cli; print('sympy' in sys.modules)"],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "False"


def test_derive_does_import_sympy():
    code = HEAVY + "from costlab.cli import main; main(['derive', 'gradient', '--cost', 'quadratic'])"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "SYMPY True" in p.stderr


def test_help_and_derive_times():
    """costlab --help stays fast; costlab derive finishes in a few seconds (times printed with -s)."""
    def best(*args, n=3):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            p = run_process(*args)
            times.append(time.perf_counter() - t)
            assert p.returncode == 0, p.stderr
        return min(times)

    help_time, derive_time = best("--help"), best("derive", n=1)
    print(f"\ncostlab --help: {help_time:.3f} s, costlab derive: {derive_time:.2f} s")
    assert help_time < 1.5
    assert derive_time < 30  # about 2 s on a quiet machine; a bound against a hang, not a benchmark
