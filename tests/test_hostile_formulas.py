"""Hostile formulas: time bombs (towers of powers, huge degrees, deep nesting)
are refused from their syntax tree in well under two seconds, with exit 2,
before SymPy does any work; ordinary formulas pass the limits.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clitools import run_main
from costlab.formula_limits import MAX_CALL_NESTING, FormulaTooLarge, check_formula

BOMBS = {
    "((z^99)^99)^99": "stacked too high",
    "z^9^9^9": "stacked too high",
    "(1+z)^99*(2+z)^99": "degree 198",
    "tanh(z)^99/(1+z^2)^99": "power 198",
    "(z^20)^20": "power 400",
    "sin(sin(sin(sin(sin(sin(z))))))": "nested too deeply",
    "exp(exp(exp(exp(exp(z)))))": "nested too deeply",
    "z" + "*(1+z)^9" * 14: "degree 127",
    "z*(1+" * 10 + "z" + ")" * 10: "nested too deeply",
}

FINE = ["+".join(f"z^{k}" for k in range(40)), "*".join(["(1+z)"] * 40), "1/(1+exp(-z))", "1/(1+exp(-2*z))", "atan(z)", "tanh(z)", "z^99", "(z^9)^9", "exp(exp(exp(z)))",
        "max(0, z)", "z/(1+abs(z))", "2^z", "erf(z)", "(1+z^2)^(1/2)", "((((z))))+1", "z^-3"]


@pytest.mark.parametrize("formula, needle", list(BOMBS.items()))
def test_time_bombs_are_refused_at_once(formula, needle):
    t = time.perf_counter()
    with pytest.raises(FormulaTooLarge, match=needle):
        check_formula(formula)
    assert time.perf_counter() - t < 0.1


@pytest.mark.parametrize("formula", FINE)
def test_ordinary_formulas_pass(formula):
    check_formula(formula)


@pytest.mark.parametrize("command", ["matching", "gradient"])
@pytest.mark.parametrize("formula", ["((z^99)^99)^99", "sin(sin(sin(sin(sin(sin(z))))))", "(1+z)^99*(2+z)^99"])
def test_the_command_refuses_a_time_bomb_in_under_two_seconds(command, formula):
    args = ["derive", command, "--activation", formula] + (["--cost", "quadratic"] if command == "gradient" else [])
    t = time.perf_counter()
    code, out, err = run_main(*args)
    elapsed = time.perf_counter() - t
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--activation" in err
    assert elapsed < 2, f"{elapsed:.1f} s"


def test_the_parser_refuses_a_time_bomb_too():
    """The limits hold in costlab.derive itself (the Python API), not only on the command line."""
    from costlab.derive import DeriveError, parse_activation

    with pytest.raises(DeriveError, match="stacked too high"):
        parse_activation("((z^99)^99)^99")


names = st.sampled_from(["z", "2", "3", "0.5", "pi", "e"])
formulas = st.recursive(
    names,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(["exp", "sin", "tanh", "log"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(formulas)
def test_any_formula_is_judged_quickly_and_consistently(formula):
    t = time.perf_counter()
    try:
        check_formula(formula)
        refused = None
    except FormulaTooLarge as e:
        refused = str(e)
    assert time.perf_counter() - t < 0.5
    calls = max_nesting(formula)
    if calls > MAX_CALL_NESTING:
        assert refused is not None


def max_nesting(formula: str) -> int:
    """How many function calls are nested at the deepest point of ``formula``."""
    depth = deepest = 0
    stack = []
    for i, c in enumerate(formula):
        if c == "(":
            is_call = i > 0 and formula[i - 1].isalpha()
            stack.append(is_call)
            depth += is_call
            deepest = max(deepest, depth)
        elif c == ")":
            depth -= stack.pop()
    return deepest
