"""Tests of costlab.costs: values, stability from the logits, deltas, registry.

References are independent of the code under test: mpmath with enough digits
that the textbook formula loses nothing to cancellation, the naive NumPy
formula where it is finite and well-conditioned, explicit sums, and central
finite differences of the cost's value.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from costlab.activations import ACTIVATIONS, sigmoid, softmax
from costlab.costs import (
    COSTS,
    cross_entropy,
    cross_entropy_delta,
    get_cost,
    log_likelihood,
    log_likelihood_delta,
    quadratic,
    quadratic_delta,
    softplus,
)

FAST = settings(max_examples=150, deadline=None)
SOME = settings(max_examples=50, deadline=None)

unit = st.floats(0.0, 1.0)


# --------------------------------------------------------------------------- #
# High-precision references
# --------------------------------------------------------------------------- #

def _dps_for(spread: float) -> int:
    # 1 - a with a = 1/(1 + e^-z) keeps 50 significant digits when the working
    # precision exceeds 50 digits by the number of digits of e^|z|
    return 60 + int(math.ceil(abs(spread) / math.log(10)))


def mp_cross_entropy(z: float, y: float) -> float:
    """-[y ln a + (1 - y) ln(1 - a)], a = 1/(1 + e^-z), the textbook formula."""
    with mpmath.workdps(_dps_for(z)):
        Z, Y = mpmath.mpf(z), mpmath.mpf(y)
        a = 1 / (1 + mpmath.exp(-Z))
        terms = []
        if Y != 0:
            terms.append(Y * mpmath.log(a))
        if Y != 1:
            terms.append((1 - Y) * mpmath.log(1 - a))
        return float(-mpmath.fsum(terms))


def mp_log_likelihood(z, y) -> float:
    """-sum_j y_j ln a_j, a = e^{z_j} / sum_k e^{z_k}, the textbook formula."""
    z = [float(v) for v in z]
    with mpmath.workdps(_dps_for(max(z) - min(z))):
        Z = [mpmath.mpf(v) for v in z]
        norm = mpmath.fsum(mpmath.exp(v) for v in Z)
        return float(-mpmath.fsum(mpmath.mpf(yj) * mpmath.log(mpmath.exp(zj) / norm)
                                  for zj, yj in zip(Z, y) if yj != 0))


def assert_close_to_reference(out, ref, rel=1e-14):
    assert math.isfinite(out)
    if ref < 1e-300:
        assert abs(out - ref) <= 1e-300
    else:
        assert out == pytest.approx(ref, rel=rel, abs=0)


# --------------------------------------------------------------------------- #
# Cross-entropy from the logits
# --------------------------------------------------------------------------- #

@FAST
@given(z=st.floats(-1e4, 1e4), y=unit)
@example(z=1e4, y=0.0)
@example(z=1e4, y=1.0)
@example(z=1e4, y=0.5)
@example(z=-1e4, y=0.0)
@example(z=-1e4, y=1.0)
@example(z=-1e4, y=0.3)
@example(z=1000.0, y=0.0)
@example(z=-1000.0, y=1e-300)
@example(z=40.0, y=1.0)       # a rounds to 1: the true cost is e^-40
@example(z=-745.0, y=0.0)     # a rounds to 0: the true cost is e^-745 < 1e-300
@example(z=-700.0, y=0.0)     # true cost e^-700 ~ 1e-304: kept, not flushed
@example(z=0.0, y=0.0)
def test_cross_entropy_is_exact_for_every_finite_logit(z, y):
    out = cross_entropy(np.array([[z]]), sigmoid(np.array([[z]])), np.array([[y]]))
    assert out.shape == (1,)
    assert_close_to_reference(float(out[0]), mp_cross_entropy(z, y))


@FAST
@given(z=st.floats(allow_nan=False, allow_infinity=False), y=unit)
@example(z=float(np.finfo(np.float64).max), y=0.0)
@example(z=-float(np.finfo(np.float64).max), y=1.0)
@example(z=1e300, y=0.5)
def test_cross_entropy_is_finite_and_nonnegative_for_any_finite_logit(z, y):
    out = float(cross_entropy(np.array([z]), sigmoid(np.array([z])), np.array([y]))[()])
    assert math.isfinite(out)
    assert out >= 0.0
    # beyond |z| = 40 the cost is the linear part of the softplus to float precision
    if z > 40:
        assert out == pytest.approx((1 - y) * z + math.exp(-z), rel=1e-15)
    elif z < -40:
        assert out == pytest.approx(y * -z + math.exp(z), rel=1e-15)


@pytest.mark.parametrize("z", [37.0, 40.0, 100.0, 1e3, 1e4, -746.0, -800.0, -1e3, -1e4])
@pytest.mark.parametrize("y", [0.0, 0.25, 1.0])
def test_cross_entropy_where_sigmoid_rounds_to_zero_or_one(z, y):
    z_arr = np.array([[z]])
    a = sigmoid(z_arr)
    assert a[0, 0] in (0.0, 1.0)  # the naive log(a) or log(1 - a) would be -inf here
    out = float(cross_entropy(z_arr, a, np.array([[y]]))[0])
    assert math.isfinite(out)
    assert_close_to_reference(out, mp_cross_entropy(z, y))


@FAST
@given(z=st.floats(-8.0, 8.0), y=unit)
def test_cross_entropy_equals_naive_formula_where_well_conditioned(z, y):
    a = 1.0 / (1.0 + math.exp(-z))
    naive = -(y * math.log(a) + (1 - y) * math.log(1 - a))
    out = float(cross_entropy(np.array([z]), np.array([a]), np.array([y]))[()])
    # 1 - a with a >= sigma(-8) carries a relative error <= 2e-16 / 3.4e-4
    assert out == pytest.approx(naive, rel=1e-12, abs=1e-300)


def test_cross_entropy_known_values():
    z = np.array([[0.0, 0.0], [2.0, -1.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.5]])
    expected = [
        2 * math.log(2.0),
        math.log1p(math.exp(-2.0)) + 0.5 * math.log1p(math.exp(-1.0)) + 0.5 * math.log1p(math.exp(1.0)),
    ]
    np.testing.assert_allclose(cross_entropy(z, sigmoid(z), y), expected, rtol=1e-15)


@FAST
@given(
    z=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-1e4, 1e4)),
    data=st.data(),
)
def test_cross_entropy_sums_over_units_per_sample(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=unit))
    out = cross_entropy(z, sigmoid(z), y)
    assert out.shape == (z.shape[0],)
    per_unit = np.array([[cross_entropy(np.array([v]), None, np.array([t]))[()] for v, t in zip(zr, yr)]
                         for zr, yr in zip(z, y)])
    np.testing.assert_allclose(out, per_unit.sum(axis=1), rtol=1e-14)
    assert np.all(out >= 0)


def test_softplus_is_exact():
    z = np.array([1e4, 40.0, 0.0, -40.0, -1e4, -700.0])
    out = softplus(z)
    assert np.all(np.isfinite(out))
    assert out[0] == 1e4
    assert out[1] == pytest.approx(40.0 + math.exp(-40.0), rel=1e-16)
    assert out[2] == math.log(2.0)
    assert out[3] == pytest.approx(math.exp(-40.0), rel=1e-15)  # 4.25e-18, not 0
    assert out[4] == 0.0
    assert out[5] == pytest.approx(math.exp(-700.0), rel=1e-14)


# --------------------------------------------------------------------------- #
# Log-likelihood from the logits
# --------------------------------------------------------------------------- #

logit_vectors = hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e4, 1e4))


def one_hot(k, j):
    y = np.zeros(k)
    y[j] = 1.0
    return y


def log_likelihood_rel_tolerance(z):
    """1e-14, plus what rounding the shifted logits z_k - max(z) can cost.

    The code works with s_k = z_k - max(z), rounded to within |s_k| 2^-53; where
    the cost is e^{s_k}-sized (the right class, the others far below it), that
    rounding becomes a relative error of up to |s_k| 2^-53 in the cost.
    """
    z = np.asarray(z, dtype=float)
    spread = float(z.max() - z.min())
    return 1e-14 + min(spread, 750.0) * 2.0**-53


@FAST
@given(z=logit_vectors, j=st.integers(0, 5))
@example(z=np.array([1e4, -1e4]), j=0)
@example(z=np.array([1e4, -1e4]), j=1)
@example(z=np.array([-1e4, 1e4, 0.0]), j=2)
@example(z=np.array([1e4, 1e4, -1e4]), j=0)
@example(z=np.array([40.0, 0.0]), j=0)
@example(z=np.array([800.0, 0.0]), j=0)
@example(z=np.array([130.0, 1.02]), j=0)
def test_log_likelihood_is_exact_for_huge_logits(z, j):
    y = one_hot(z.size, j % z.size)
    out = float(log_likelihood(z[None], softmax(z[None]), y[None])[0])
    assert_close_to_reference(out, mp_log_likelihood(z, y), rel=log_likelihood_rel_tolerance(z))


@pytest.mark.parametrize(
    "z",
    [
        [40.0, 0.0],
        [130.0, 1.02],      # C = log1p(e^{1.02 - 130}) ~ 9.65e-57
        [600.0, 0.1],
        [-3.3, -700.0],
    ],
)
def test_log_likelihood_keeps_relative_precision_when_tiny(z):
    # For the right class, C = log1p(sum_{k != j} e^{s_k}) with s = z - max(z):
    # the naive ln(sum e^z) - z_j cancels to 0, while the stable form is off by
    # no more than the rounding of s itself, about |s| ulp (its docstring).
    z = np.array(z)
    y = one_hot(z.size, int(np.argmax(z)))
    out = float(log_likelihood(z[None], None, y[None])[0])
    ref = mp_log_likelihood(z, y)
    assert 0.0 < ref < 1e-15
    s_max = float(np.max(np.abs(z - z.max())))
    assert out == pytest.approx(ref, rel=(s_max + 4) * np.finfo(float).eps, abs=0)


@SOME
@given(z=hnp.arrays(np.float64, st.integers(2, 5), elements=st.floats(-1e3, 1e3)), data=st.data())
def test_log_likelihood_is_exact_for_probability_targets(z, data):
    w = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 1.0)))
    if w.sum() == 0:
        w[0] = 1.0
    y = w / w.sum()
    out = float(log_likelihood(z, softmax(z), y))
    assert_close_to_reference(out, mp_log_likelihood(z, y), rel=log_likelihood_rel_tolerance(z))


def test_log_likelihood_exact_small_value():
    # logits [40, 0], class 0: C = ln(1 + e^-40) ~ 4.25e-18, not 0
    out = float(log_likelihood(np.array([[40.0, 0.0]]), None, np.array([[1.0, 0.0]]))[0])
    assert out > 0.0
    assert out == pytest.approx(math.log1p(math.exp(-40.0)), rel=1e-15)
    assert out == pytest.approx(4.248354255291589e-18, rel=1e-12)
    # the wrong class: 40 + ln(1 + e^-40)
    other = float(log_likelihood(np.array([[40.0, 0.0]]), None, np.array([[0.0, 1.0]]))[0])
    assert other == pytest.approx(40.0, rel=1e-15)


@pytest.mark.parametrize(
    "z, j, expected",
    [
        ([1e4, -1e4], 0, 0.0),
        ([1e4, -1e4], 1, 2e4),
        ([1e4, 1e4], 1, math.log(2.0)),
        ([-1e4, -1e4, -1e4], 2, math.log(3.0)),
        ([0.0, 0.0, 0.0, 0.0], 3, math.log(4.0)),
    ],
)
def test_log_likelihood_known_values(z, j, expected):
    z = np.array([z])
    out = log_likelihood(z, softmax(z), one_hot(z.shape[1], j)[None])
    assert np.all(np.isfinite(out))
    assert float(out[0]) == pytest.approx(expected, rel=1e-15, abs=1e-300)


@FAST
@given(
    z=hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=st.floats(-1e3, 1e3)),
    c=st.floats(-1e3, 1e3),
    data=st.data(),
)
def test_log_likelihood_invariant_to_a_constant_shift(z, c, data):
    labels = data.draw(hnp.arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    y = np.eye(z.shape[1])[labels]
    before = log_likelihood(z, softmax(z), y)
    after = log_likelihood(z + c, softmax(z + c), y)
    # z + c rounds each logit by <= ulp(2000)/2 ~ 2.3e-13; C moves by at most twice that
    np.testing.assert_allclose(after, before, rtol=1e-13, atol=1e-12)
    assert np.all(before >= 0)


@SOME
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(2, 5)), elements=st.floats(-30, 30)))
def test_log_likelihood_equals_naive_formula_where_finite(z):
    a = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    for j in range(z.shape[1]):
        y = np.zeros_like(z)
        y[:, j] = 1.0
        # -ln a_j is well-conditioned where a_j is not close to 1
        ok = a[:, j] <= 0.5
        naive = -np.log(a[ok, j])
        np.testing.assert_allclose(log_likelihood(z, a, y)[ok], naive, rtol=1e-12)


# --------------------------------------------------------------------------- #
# Quadratic
# --------------------------------------------------------------------------- #

@FAST
@given(
    a=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-1e3, 1e3)),
    data=st.data(),
)
def test_quadratic_is_half_squared_distance(a, data):
    y = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-1e3, 1e3)))
    out = quadratic(None, a, y)
    assert out.shape == (a.shape[0],)
    for i in range(a.shape[0]):
        expected = 0.5 * math.fsum((ai - yi) ** 2 for ai, yi in zip(a[i], y[i]))
        assert out[i] == pytest.approx(expected, rel=1e-13, abs=1e-300)
    assert np.all(out >= 0)


def test_quadratic_seed_values():
    # the seed's neuron: C = (y - a)^2 / 2
    a = np.array([[0.82], [0.98], [0.0]])
    np.testing.assert_allclose(quadratic(None, a, np.zeros_like(a)), [0.3362, 0.4802, 0.0], rtol=1e-15)


# --------------------------------------------------------------------------- #
# Every cost is non-negative, with any leading axes
# --------------------------------------------------------------------------- #

@FAST
@given(
    z=hnp.arrays(np.float64, st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4)),
                 elements=st.floats(-1e4, 1e4)),
    data=st.data(),
)
def test_every_cost_is_nonnegative_and_finite(z, data):
    y01 = data.draw(hnp.arrays(np.float64, z.shape, elements=unit))
    labels = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, z.shape[-1] - 1)))
    cases = [
        ("quadratic", sigmoid(z), y01),
        ("cross-entropy", sigmoid(z), y01),
        ("log-likelihood", softmax(z), np.eye(z.shape[-1])[labels]),
    ]
    for name, a, y in cases:
        out = COSTS[name].fn(z, a, y)
        assert out.shape == z.shape[:-1]
        assert np.all(np.isfinite(out)), name
        assert np.all(out >= 0.0), name


# --------------------------------------------------------------------------- #
# Deltas: exact forms, and dC/dz by central finite differences
# --------------------------------------------------------------------------- #

@FAST
@given(
    z=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-1e4, 1e4)),
    data=st.data(),
)
def test_sigmoid_cross_entropy_delta_is_exactly_a_minus_y(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=unit))
    a = sigmoid(z)
    cost = COSTS["cross-entropy"]
    np.testing.assert_array_equal(cost.delta(z, a, y, ACTIVATIONS["sigmoid"]), a - y)
    np.testing.assert_array_equal(cross_entropy_delta(z, a, y), a - y)


@FAST
@given(
    z=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-1e4, 1e4)),
    data=st.data(),
)
def test_softmax_log_likelihood_delta_is_exactly_a_minus_y(z, data):
    labels = data.draw(hnp.arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    y = np.eye(z.shape[1])[labels]
    a = softmax(z)
    cost = COSTS["log-likelihood"]
    np.testing.assert_array_equal(cost.delta(z, a, y, ACTIVATIONS["softmax"]), a - y)
    np.testing.assert_array_equal(log_likelihood_delta(z, a, y), a - y)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "identity", "relu"])
def test_quadratic_delta_is_error_times_sigma_prime(name):
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(11)
    z = rng.uniform(-4, 4, (6, 3))
    z[np.abs(z) < 1e-3] = 0.5
    y = rng.uniform(0, 1, (6, 3))
    a = act(z)
    np.testing.assert_allclose(quadratic_delta(z, a, y, act), (a - y) * act.prime(z), rtol=1e-13, atol=1e-16)


def test_quadratic_delta_with_softmax_is_jacobian_times_error():
    act = ACTIVATIONS["softmax"]
    rng = np.random.default_rng(12)
    z = rng.standard_normal((4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    a = act(z)
    out = quadratic_delta(z, a, y, act)
    for i in range(4):
        J = np.diag(a[i]) - np.outer(a[i], a[i])  # da_j/dz_k
        np.testing.assert_allclose(out[i], J.T @ (a[i] - y[i]), rtol=1e-13, atol=1e-16)


def test_quadratic_delta_shows_the_slowdown():
    # the seed's two starts: the 0.98 start has a far smaller |delta| than the 0.82 start
    act = ACTIVATIONS["sigmoid"]
    z = np.array([[1.5], [4.0]])
    a = act(z)
    d_quad = np.abs(quadratic_delta(z, a, np.zeros_like(a), act))[:, 0]
    d_ce = np.abs(cross_entropy_delta(z, a, np.zeros_like(a)))[:, 0]
    assert d_quad[1] < d_quad[0] / 6
    assert d_ce[1] > d_ce[0]


COMPATIBLE = [
    ("quadratic", "sigmoid"),
    ("quadratic", "tanh"),
    ("quadratic", "identity"),
    ("quadratic", "relu"),
    ("quadratic", "softmax"),
    ("cross-entropy", "sigmoid"),
    ("log-likelihood", "softmax"),
]


def _targets(cost_name, shape, rng):
    if cost_name == "log-likelihood":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    if cost_name == "cross-entropy":
        return rng.uniform(0, 1, shape)
    return rng.uniform(-1, 2, shape)


def _fd_delta(cost, act, z, y, h=1e-6):
    """dC/dz for each sample by central differences of the cost's own value."""
    def C(zz):
        return cost.fn(zz, act(zz), y)
    fd = np.empty_like(z)
    for idx in np.ndindex(z.shape[-1]):
        e = np.zeros_like(z)
        e[..., idx[0]] = h
        fd[..., idx[0]] = (C(z + e) - C(z - e)) / (2 * h)
    return fd


@pytest.mark.parametrize("cost_name, act_name", COMPATIBLE)
@pytest.mark.parametrize("seed", range(4))
def test_delta_is_the_gradient_of_the_cost(cost_name, act_name, seed):
    cost, act = COSTS[cost_name], ACTIVATIONS[act_name]
    assert act_name in cost.activations
    rng = np.random.default_rng(seed)
    z = rng.uniform(-4, 4, (2, 5, 3))  # a leading group axis, 5 samples, 3 units
    if act_name == "relu":
        z[np.abs(z) < 1e-3] = 0.7
    y = _targets(cost_name, z.shape, rng)
    delta = cost.delta(z, act(z), y, act)
    assert delta.shape == z.shape
    np.testing.assert_allclose(delta, _fd_delta(cost, act, z, y), rtol=1e-6, atol=1e-9)


@SOME
@given(
    z=hnp.arrays(np.float64, st.integers(1, 4), elements=st.floats(-6, 6)),
    data=st.data(),
)
def test_sigmoid_cross_entropy_delta_is_gradient_for_any_soft_target(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=unit))
    cost, act = COSTS["cross-entropy"], ACTIVATIONS["sigmoid"]
    np.testing.assert_allclose(
        cost.delta(z[None], act(z[None]), y[None], act), _fd_delta(cost, act, z[None], y[None]),
        rtol=1e-6, atol=1e-9,
    )


@SOME
@given(
    z=hnp.arrays(np.float64, st.integers(2, 4), elements=st.floats(-6, 6)),
    data=st.data(),
)
def test_log_likelihood_delta_is_gradient_for_any_nonnegative_target(z, data):
    # log_likelihood() documents y as "non-negative (one-hot for class labels)",
    # and Network.fit accepts (n, k) targets in [0, 1] for this cost. For such y
    # dC/dz_j = (sum_k y_k) a_j - y_j, which is a_j - y_j only when sum_k y_k = 1.
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=unit))
    cost, act = COSTS["log-likelihood"], ACTIVATIONS["softmax"]
    np.testing.assert_allclose(
        cost.delta(z[None], act(z[None]), y[None], act), _fd_delta(cost, act, z[None], y[None]),
        rtol=1e-6, atol=1e-9,
    )


# --------------------------------------------------------------------------- #
# The registry
# --------------------------------------------------------------------------- #

def test_cost_registry():
    assert set(COSTS) == {"quadratic", "cross-entropy", "log-likelihood"}
    for name, cost in COSTS.items():
        assert cost.name == name
        assert get_cost(name) is cost
        assert cost.formula
        assert all(a in ACTIVATIONS for a in cost.activations)
    assert COSTS["quadratic"].default_activation == "sigmoid"
    assert COSTS["cross-entropy"].activations == ("sigmoid",)
    assert COSTS["log-likelihood"].activations == ("softmax",)


@pytest.mark.parametrize("bad", ["Quadratic", "cross_entropy", "mse", "", None, 1, ("quadratic",)])
def test_unknown_cost_is_a_value_error_naming_the_known_ones(bad):
    with pytest.raises(ValueError) as info:
        get_cost(bad)
    for name in COSTS:
        assert name in str(info.value)
