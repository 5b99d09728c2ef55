"""Tests of costlab.activations: sigma(z), sigma'(z) and the registry.

References are independent of the code under test: mpmath at high precision,
the naive textbook formula where it is finite, and central finite differences.
pytest runs with filterwarnings=error, so any overflow/underflow warning that
NumPy raises inside an activation fails the test that triggered it.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from costlab.activations import (
    ACTIVATIONS,
    get_activation,
    identity,
    identity_prime,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    tanh,
    tanh_prime,
)

FAST = settings(max_examples=200, deadline=None)
SOME = settings(max_examples=60, deadline=None)

finite64 = st.floats(allow_nan=False, allow_infinity=False)
finite32 = st.floats(allow_nan=False, allow_infinity=False, width=32)


def mp_sigmoid(z: float) -> float:
    """1 / (1 + e^-z) at 50 digits, rounded to the nearest double."""
    with mpmath.workdps(50):
        return float(1 / (1 + mpmath.exp(-mpmath.mpf(z))))


def mp_sigmoid_prime(z: float) -> float:
    """e^-z / (1 + e^-z)^2 at 50 digits."""
    with mpmath.workdps(50):
        e = mpmath.exp(-mpmath.mpf(z))
        return float(e / (1 + e) ** 2)


def central_difference(f, z, h):
    """Elementwise derivative of an elementwise function f by central differences."""
    return (f(z + h) - f(z - h)) / (2 * h)


# --------------------------------------------------------------------------- #
# sigmoid: stability and limits
# --------------------------------------------------------------------------- #

EXTREMES = [1000.0, 1e4, 1e300, np.finfo(np.float64).max]


@pytest.mark.parametrize("big", EXTREMES)
def test_sigmoid_limits_without_warning(big):
    out = sigmoid(np.array([-big, big]))
    assert out.dtype == np.float64
    assert out[0] == 0.0
    assert out[1] == 1.0


@pytest.mark.parametrize("big", [1000.0, 1e4, 1e30, float(np.finfo(np.float32).max)])
def test_sigmoid_float32_limits_keep_dtype(big):
    z = np.array([-big, -1.0, 0.0, 1.0, big], dtype=np.float32)
    out = sigmoid(z)
    assert out.dtype == np.float32
    assert out[0] == 0.0 and out[-1] == 1.0
    assert out[2] == np.float32(0.5)
    np.testing.assert_allclose(out[1:4], [1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-1))], rtol=1e-6)


def test_sigmoid_scalar_and_integer_input():
    assert sigmoid(0) == 0.5
    assert float(sigmoid(np.int64(2))) == pytest.approx(1 / (1 + math.exp(-2)), rel=1e-15)
    assert np.asarray(sigmoid(3)).dtype == np.float64


def test_sigmoid_tiny_tail_is_not_flushed_to_zero_early():
    # e^-700 ~ 9.86e-305 is a normal double: sigma(-700) must be that, not 0
    assert sigmoid(np.array(-700.0)) == pytest.approx(math.exp(-700), rel=1e-14)
    assert sigmoid(np.array(-40.0)) == pytest.approx(mp_sigmoid(-40.0), rel=1e-15)


@FAST
@given(z=finite64)
@example(z=0.0)
@example(z=-0.0)
@example(z=1000.0)
@example(z=-1000.0)
@example(z=1e4)
@example(z=-1e4)
@example(z=1e300)
@example(z=-1e300)
@example(z=-745.0)
@example(z=-708.0)
@example(z=36.7)
def test_sigmoid_matches_high_precision_reference(z):
    out = float(sigmoid(np.array(z)))
    ref = mp_sigmoid(z)
    assert 0.0 <= out <= 1.0
    if ref < 1e-300:
        assert abs(out - ref) <= 1e-300
    else:
        assert out == pytest.approx(ref, rel=1e-15, abs=0)


@FAST
@given(z=finite32)
@example(z=float(np.finfo(np.float32).max))
@example(z=-float(np.finfo(np.float32).max))
@example(z=-88.0)
@example(z=-104.0)
def test_sigmoid_float32_matches_reference(z):
    out = sigmoid(np.array(z, dtype=np.float32))
    assert out.dtype == np.float32
    ref = mp_sigmoid(z)
    # float32 relative precision where the true value is a normal float32
    if ref < np.finfo(np.float32).tiny:
        assert abs(float(out) - ref) <= 2 * np.finfo(np.float32).tiny
    else:
        assert float(out) == pytest.approx(ref, rel=1e-6)


@FAST
@given(z=st.floats(min_value=-709.0, max_value=1e308))
def test_sigmoid_equals_naive_formula_where_finite(z):
    # e^-z is finite for z >= -709, so the textbook formula is too
    naive = 1.0 / (1.0 + math.exp(-z))
    out = float(sigmoid(np.array(z)))
    assert out == pytest.approx(naive, rel=1e-15, abs=0)


@FAST
@given(z=finite64)
def test_sigmoid_symmetry(z):
    # sigma(-z) = 1 - sigma(z); the right side has an absolute error of ~1 ulp of 1
    s_pos = float(sigmoid(np.array(z)))
    s_neg = float(sigmoid(np.array(-z)))
    assert abs(s_neg - (1.0 - s_pos)) <= 2.3e-16
    assert abs((s_pos + s_neg) - 1.0) <= 2.3e-16


def test_sigmoid_is_monotone_on_a_grid():
    z = np.linspace(-50, 50, 20001)
    s = sigmoid(z)
    assert np.all(np.diff(s) >= 0)
    assert np.all(np.diff(s[(z > -30) & (z < 30)]) > 0)


# --------------------------------------------------------------------------- #
# sigmoid': the appendix of the seed
# --------------------------------------------------------------------------- #

@FAST
@given(z=finite64)
@example(z=0.0)
@example(z=700.0)
@example(z=-700.0)
@example(z=1e300)
def test_sigmoid_prime_matches_high_precision_reference(z):
    out = float(sigmoid_prime(np.array(z)))
    ref = mp_sigmoid_prime(z)
    if ref < 1e-300:
        assert 0.0 <= out <= 1e-300
    else:
        assert out == pytest.approx(ref, rel=1e-14, abs=0)


@FAST
@given(z=st.floats(min_value=-700, max_value=700))
def test_sigmoid_prime_is_sigma_times_one_minus_sigma(z):
    # the appendix: sigma'(z) = sigma(z)(1 - sigma(z)) = sigma(z) sigma(-z)
    s = sigmoid(np.array(z))
    sp = float(sigmoid_prime(np.array(z)))
    assert sp == pytest.approx(float(s * sigmoid(np.array(-z))), rel=1e-14)
    # at most 1/4 (at z = 0), up to one rounding of the last bit
    assert 0.0 <= sp <= 0.25 * (1 + 2.3e-16)
    if abs(z) <= 3:
        # well-conditioned there: 1 - sigma(z) has no cancellation to speak of
        assert sp == pytest.approx(float(s * (1.0 - s)), rel=1e-13)


def test_sigmoid_prime_peak_and_float32():
    assert sigmoid_prime(0.0) == 0.25
    out = sigmoid_prime(np.array([-1e30, 0.0, 3.0, 1e30], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.0, 0.25, mp_sigmoid_prime(3.0), 0.0], rtol=1e-6, atol=0)


# --------------------------------------------------------------------------- #
# Every activation's derivative against central finite differences
# --------------------------------------------------------------------------- #

ELEMENTWISE = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "identity": (identity, identity_prime),
}


def _grid_away_from_zero():
    rng = np.random.default_rng(1234)
    z = rng.uniform(-6, 6, size=400)
    return z[np.abs(z) > 1e-3]


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_prime_matches_central_difference(name):
    fn, prime = ELEMENTWISE[name]
    z = _grid_away_from_zero()
    fd = central_difference(fn, z, 1e-6)
    np.testing.assert_allclose(prime(z), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_registry_prime_and_prime_from_output_match_central_difference(name):
    act = ACTIVATIONS[name]
    z = _grid_away_from_zero()
    fd = central_difference(act.fn, z, 1e-6)
    a = act(z)
    np.testing.assert_allclose(act.prime(z), fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(act.prime_from_output(a), fd, rtol=1e-7, atol=1e-9)
    g = np.random.default_rng(7).standard_normal(z.shape)
    np.testing.assert_allclose(act.backward(a, g), g * fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_prime_keeps_shape_and_float32(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-2.05, 2.05, 12, dtype=np.float32).reshape(3, 4)
    for out in (act.fn(z), act.prime(z), act.prime_from_output(act.fn(z))):
        assert out.shape == (3, 4)
        assert out.dtype == np.float32


def test_relu_and_identity_values():
    z = np.array([-2.0, -0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(relu(z), [0.0, 0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(relu_prime(z), [0.0, 0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(identity(z), z)
    np.testing.assert_array_equal(identity_prime(z), np.ones(5))
    assert identity_prime(np.arange(3)).dtype == np.float64


def test_tanh_values():
    z = np.array([-1e4, -1.0, 0.0, 0.5, 1e4])
    np.testing.assert_allclose(tanh(z), [-1.0, math.tanh(-1.0), 0.0, math.tanh(0.5), 1.0], rtol=1e-15)
    np.testing.assert_allclose(tanh_prime(np.array([0.0, 1.0])), [1.0, 1 / math.cosh(1.0) ** 2], rtol=1e-14)


# --------------------------------------------------------------------------- #
# softmax
# --------------------------------------------------------------------------- #

logit_rows = hnp.arrays(
    np.float64,
    shape=st.tuples(st.integers(1, 4), st.integers(1, 6)),
    elements=st.floats(-1e4, 1e4),
)


@FAST
@given(z=logit_rows)
def test_softmax_is_a_distribution(z):
    a = softmax(z)
    assert a.shape == z.shape
    assert np.all(np.isfinite(a))
    assert np.all(a >= 0.0)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=0, atol=1e-14)
    # the largest logit gets the largest probability
    np.testing.assert_array_equal(a[np.arange(z.shape[0]), z.argmax(axis=-1)], a.max(axis=-1))


@FAST
@given(
    z=hnp.arrays(np.float64, shape=st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=st.floats(-500, 500)),
    c=st.floats(-1e3, 1e3),
)
def test_softmax_invariant_to_a_constant_shift(z, c):
    a = softmax(z)
    b = softmax(z + c)
    # z + c rounds each entry by at most ulp(1500)/2 ~ 1.1e-13, which moves a by
    # at most that much relative
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-300)


def test_softmax_of_huge_logits_is_finite_and_exact():
    z = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])
    a = softmax(z)
    np.testing.assert_array_equal(a, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    a32 = softmax(z.astype(np.float32))
    assert a32.dtype == np.float32
    assert np.all(np.isfinite(a32))


def test_softmax_known_values():
    z = np.array([1.0, 2.0, 3.0])
    e = np.exp(z)
    np.testing.assert_allclose(softmax(z), e / e.sum(), rtol=1e-15)
    # acts on the last axis only
    Z = np.array([[[0.0, math.log(3.0)]], [[math.log(2.0), math.log(2.0)]]])
    np.testing.assert_allclose(softmax(Z), [[[0.25, 0.75]], [[0.5, 0.5]]], rtol=1e-15)


@SOME
@given(
    z=hnp.arrays(np.float64, shape=st.integers(1, 6), elements=st.floats(-8, 8)),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_backward_is_jacobian_vector_product(z, seed):
    # backward(a, g)_k = d/dz_k [g . softmax(z)]: check it by central differences
    g = np.random.default_rng(seed).standard_normal(z.shape)
    act = ACTIVATIONS["softmax"]
    a = act(z)
    h = 1e-6
    fd = np.empty_like(z)
    for k in range(z.size):
        e = np.zeros_like(z)
        e[k] = h
        fd[k] = (g @ softmax(z + e) - g @ softmax(z - e)) / (2 * h)
    np.testing.assert_allclose(act.backward(a, g), fd, rtol=1e-6, atol=1e-9)


def test_softmax_backward_equals_explicit_jacobian_on_a_batch():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((5, 4))
    g = rng.standard_normal((5, 4))
    a = softmax(z)
    act = ACTIVATIONS["softmax"]
    for i in range(5):
        J = np.diag(a[i]) - np.outer(a[i], a[i])  # J_jk = da_j/dz_k
        np.testing.assert_allclose(act.backward(a, g)[i], J.T @ g[i], rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------- #
# The registry
# --------------------------------------------------------------------------- #

def test_registry_holds_the_documented_activations():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "identity", "softmax"}
    for name, act in ACTIVATIONS.items():
        assert act.name == name
        assert get_activation(name) is act
        assert act.formula
    assert ACTIVATIONS["softmax"].elementwise is False
    assert ACTIVATIONS["softmax"].prime is None
    assert all(ACTIVATIONS[n].elementwise for n in ELEMENTWISE)


@pytest.mark.parametrize("bad", ["Sigmoid", "softplus", "", "__class__", None, 3, ["sigmoid"]])
def test_unknown_activation_is_a_value_error_naming_the_known_ones(bad):
    with pytest.raises(ValueError) as info:
        get_activation(bad)
    message = str(info.value)
    for name in ACTIVATIONS:
        assert name in message


def test_registry_activation_is_callable():
    z = np.array([-1.0, 0.5])
    np.testing.assert_array_equal(get_activation("sigmoid")(z), sigmoid(z))
    np.testing.assert_array_equal(get_activation("tanh")(z), np.tanh(z))
