"""costlab.torch: the costs as a PyTorch loss, held to costlab's NumPy costs, to PyTorch's own losses and to mpmath.

Every test that takes a device runs on "cpu" and on "cuda"; the CUDA runs are
skipped where torch.cuda.is_available() is False.
"""

from __future__ import annotations

import subprocess
import sys

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from clitools import run_main
from costlab.activations import ACTIVATIONS
from costlab.costs import get_cost
from costlab.torch import Loss

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device here (torch.cuda.is_available() is False)"))]

#: Every built-in cost, with each of its parameters.
BUILTIN = [
    "quadratic", "cross-entropy", "kl", "cross-entropy(pos_weight=3)", "cross-entropy(smoothing=0.1)",
    "cross-entropy(pos_weight=9, smoothing=0.2)", "focal", "focal(gamma=0.5, alpha=0.25)", "focal(gamma=0)",
    "log-likelihood", "log-likelihood(smoothing=0.1)", "log-likelihood(class_weight=[0.5, 2, 1, 3])",
    "log-likelihood(class_weight=[0.5, 2, 1, 3], smoothing=0.2)", "log-likelihood(gamma=2)",
    "log-likelihood(gamma=0.5, class_weight=[1, 2, 1, 1], smoothing=0.1)",
]
#: Typed formulas: a polynomial, the cross-entropy typed by hand (logs), the pseudo-Huber cost (a root),
#: the KL divergence (0 ln 0 = 0).
FORMULAS = ["(a - y)**4/4", "-(y*log(a) + (1 - y)*log(1 - a))", "sqrt(1 + (a - y)**2) - 1",
            "y*log(y/a) + (1 - y)*log((1 - y)/(1 - a))"]


def _data(spec, n, k=4, scale=3.0, seed=0):
    """Logits uniform in [-scale, scale] and targets suited to the spec (multi-label for the sigmoid costs)."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-scale, scale, (n, k))
    if get_cost(spec).default_activation == "softmax":
        return z, np.eye(k)[rng.integers(0, k, n)]
    return z, rng.integers(0, 2, (n, k)).astype(float)


def _numpy(spec, z, y):
    cost = get_cost(spec)
    act = ACTIVATIONS[cost.default_activation]
    with np.errstate(all="ignore"):
        a = act(z)
        return cost.fn(z, a, y), cost.delta(z, a, y, act)


def _torch(spec, z, y, device="cpu", dtype=torch.float64):
    zt = torch.tensor(z, dtype=dtype, device=device, requires_grad=True)
    C = Loss(spec, reduction="none")(zt, torch.tensor(y, dtype=dtype, device=device))
    C.sum().backward()
    return C.detach().cpu().numpy(), zt.grad.cpu().numpy()


def _close(got, want, rtol=1e-12, atol=0.0):
    err = np.abs(got - want)
    assert np.all(err <= rtol * np.abs(want) + atol), float(np.max(err - rtol * np.abs(want)))


# --------------------------------------------------------------------------- #
# The gradient is dC/dz: gradcheck, and costlab's NumPy costs
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("spec", BUILTIN + FORMULAS)
def test_gradcheck(spec, device):
    z, y = _data(spec, 5)
    zt = torch.tensor(z, device=device, requires_grad=True)
    yt = torch.tensor(y, device=device)
    w = torch.tensor([1.0, 0.0, 2.5, 0.5, 1.0], device=device)
    loss = Loss(spec, reduction="none")
    assert torch.autograd.gradcheck(lambda z: loss(z, yt), (zt,))
    assert torch.autograd.gradcheck(lambda z: Loss(spec)(z, yt, sample_weight=w), (zt,))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("spec", BUILTIN + ["(a - y)**4/4", "sqrt(1 + (a - y)**2) - 1"])
def test_equals_the_numpy_costs_for_logits_up_to_1e4(spec, device):
    rng = np.random.default_rng(1)
    z, y = _data(spec, 300)
    z[:100] = rng.uniform(-1e4, 1e4, (100, 4))
    z[100:200] *= 10
    want_C, want_d = _numpy(spec, z, y)
    C, d = _torch(spec, z, y, device)
    # a - y of a rounded a: where it cancels, only its absolute error (the rounding of a, an ulp of 1)
    # is defined, in the gradient and in the value of a formula such as sqrt(1 + (a - y)^2) - 1
    _close(C, want_C, atol=2.3e-16)
    _close(d, want_d, atol=4e-16 if device == "cpu" else 4e-15)


@pytest.mark.parametrize("spec", FORMULAS)
def test_formulas_equal_the_numpy_formulas_where_numpy_is_accurate(spec):
    z, y = _data(spec, 200)              # |z| <= 3: 1 - a keeps its digits
    want_C, want_d = _numpy(spec, z, y)
    C, d = _torch(spec, z, y)
    _close(C, want_C, rtol=1e-13)
    _close(d, want_d, atol=4e-16)


def _mp_ce(z, y):
    """-y ln sigma(z) - (1 - y) ln(1 - sigma(z)) to 50 digits."""
    with mpmath.workdps(50):
        z = mpmath.mpf(z)
        minus_log_a = mpmath.log1p(mpmath.exp(-z))        # -ln sigma(z); -ln(1 - sigma(z)) = z - ln sigma(z)
        return float(y * minus_log_a + (1 - y) * (z + minus_log_a))


def test_the_typed_cross_entropy_is_stable_where_the_numpy_formula_is_not():
    # NumPy's walk takes ln(1 - a) of a rounded a: inf at z = 40 (a = 1), digits lost from z = 10;
    # the torch walk computes ln a and ln(1 - a) from z: mpmath agrees to rounding
    z = np.array([[40.0], [-40.0], [1e4], [-1e4], [15.0], [-15.0], [0.5]])
    for y0 in (0.0, 1.0):
        y = np.full_like(z, y0)
        C, d = _torch(FORMULAS[1], z, y)
        want = np.array([_mp_ce(v, y0) for v in z[:, 0]])
        _close(C, want, rtol=1e-14)
        a = np.array([float(1 / (1 + mpmath.exp(-v))) for v in z[:, 0]])
        _close(d[:, 0], a - y0, atol=1e-16)     # dC/dz = a - y, as costlab derives it
    numpy_C, _ = _numpy(FORMULAS[1], np.array([[40.0], [30.0]]), np.zeros((2, 1)))
    assert np.isinf(numpy_C[0]) and abs(numpy_C[1] / _mp_ce(30.0, 0.0) - 1) > 1e-8


@pytest.mark.parametrize("device", DEVICES)
def test_float32_follows_float64(device):
    for spec in ("quadratic", "cross-entropy(pos_weight=3)", "focal", "log-likelihood(smoothing=0.1)", FORMULAS[0]):
        z, y = _data(spec, 50)
        C32, d32 = _torch(spec, z, y, device, torch.float32)
        C64, d64 = _torch(spec, z, y, device)
        assert C32.dtype == np.float32 and d32.dtype == np.float32
        _close(C32, C64, rtol=2e-6, atol=1e-6)
        _close(d32, d64, rtol=2e-6, atol=1e-6)


# --------------------------------------------------------------------------- #
# PyTorch's own losses, where they are exact; mpmath where they are not
# --------------------------------------------------------------------------- #

def _autograd(fn, z, *args):
    zt = torch.tensor(z, requires_grad=True)
    c = fn(zt, *args)
    c.backward()
    return c.item(), zt.grad.numpy()


def _ours(spec, z, y):
    return _autograd(lambda zt: Loss(spec)(zt, torch.as_tensor(y)), z)


def _torchvision_focal(z, y, gamma, alpha=None):
    """torchvision.ops.sigmoid_focal_loss (reduction "sum"), as torchvision writes it."""
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss.sum()


def test_equals_bce_with_logits_cross_entropy_and_the_focal_formula():
    z, y = _data("cross-entropy", 64, k=3, scale=8)
    n = len(z)
    for p, spec in ((1.0, "cross-entropy"), (3.0, "cross-entropy(pos_weight=3)")):
        bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(p, dtype=torch.float64), reduction="sum")
        want = _autograd(lambda zt: bce(zt, torch.tensor(y)) / n, z)
        got = _ours(spec, z, y)
        assert got[0] == pytest.approx(want[0], rel=1e-13)
        _close(got[1], want[1], rtol=1e-12, atol=1e-17)
    for gamma, alpha, spec in ((2.0, None, "focal"), (0.5, 0.25, "focal(gamma=0.5, alpha=0.25)")):
        want = _autograd(lambda zt: _torchvision_focal(zt, torch.tensor(y), gamma, alpha) / n, z)
        got = _ours(spec, z, y)
        assert got[0] == pytest.approx(want[0], rel=1e-12)
        _close(got[1], want[1], rtol=1e-9, atol=1e-17)
    zs, ys = _data("log-likelihood", 64, k=4, scale=8)
    labels = torch.tensor(ys.argmax(-1))
    for weight, eps in ((None, 0.0), ([0.5, 2.0, 1.0, 3.0], 0.0), ([0.5, 2.0, 1.0, 3.0], 0.2), (None, 0.1)):
        ce = torch.nn.CrossEntropyLoss(weight=None if weight is None else torch.tensor(weight, dtype=torch.float64),
                                       label_smoothing=eps, reduction="sum")
        want = _autograd(lambda zt: ce(zt, labels) / n, zs)
        params = ", ".join(([f"class_weight={weight}"] if weight else []) + ([f"smoothing={eps}"] if eps else []))
        spec = f"log-likelihood({params})" if params else "log-likelihood"
        for target in (labels, torch.tensor(ys)):   # class indices and one-hot rows alike
            got = _ours(spec, zs, target)
            assert got[0] == pytest.approx(want[0], rel=1e-13)
            _close(got[1], want[1], rtol=1e-12, atol=1e-17)


def _mp(fn, z, y):
    """(C, dC/dz) of one output to 50 digits, the derivative by mpmath.diff."""
    with mpmath.workdps(50):
        C = fn(mpmath.mpf(z), y)
        return float(C), float(mpmath.diff(lambda t: fn(t, y), mpmath.mpf(z)))


def _mp_focal(gamma):
    def fn(z, y):
        a = 1 / (1 + mpmath.exp(-z))
        p_t = a * y + (1 - a) * (1 - y)
        return -((1 - p_t) ** gamma) * mpmath.log(p_t)
    return fn


def _mp_bce(z, y):
    a = 1 / (1 + mpmath.exp(-z))
    return -(y * mpmath.log(a) + (1 - y) * mpmath.log(1 - a))


@pytest.mark.parametrize("what, z, y", [
    ("bce", -30.0, 0.0),          # BCEWithLogits: z(1 - y) + log1p(e^-|z|) + max(-z, 0) cancels: 30 + 9e-14 - 30
    ("focal", 50.0, 1.0),         # torchvision: (1 - p_t) = 0 exactly; its gradient 0 * inf = NaN at gamma = 0.5
    ("focal", -50.0, 0.0),
    ("focal", 20.0, 1.0),         # torchvision: 1 - p_t = 1 - sigma(20) keeps 8 digits
])
def test_where_pytorch_is_not_exact_mpmath_sides_with_costlab(what, z, y):
    zz, yy = np.array([[z]]), np.array([[y]])
    if what == "bce":
        theirs = _autograd(lambda zt: F.binary_cross_entropy_with_logits(zt, torch.tensor(yy), reduction="sum"), zz)
        ours, truth = _ours("cross-entropy", zz, yy), _mp(_mp_bce, z, y)
    else:
        theirs = _autograd(lambda zt: _torchvision_focal(zt, torch.tensor(yy), 0.5), zz)
        ours, truth = _ours("focal(gamma=0.5)", zz, yy), _mp(_mp_focal(0.5), z, y)
    assert ours[0] == pytest.approx(truth[0], rel=1e-13)
    # the gradient is costlab's closed form (a - y) ...: exact to the rounding of a, 1e-16 absolute
    assert ours[1][0, 0] == pytest.approx(truth[1], rel=1e-12, abs=2.3e-16)
    off = [not np.isfinite(t) or abs(t - w) > 1e-9 * abs(w) for t, w in ((theirs[0], truth[0]), (theirs[1][0, 0], truth[1]))]
    assert any(off), "PyTorch's formula is exact here: this point documents nothing"


def test_where_cross_entropy_loss_rounds_a_tiny_cost_to_zero_mpmath_sides_with_costlab():
    z = np.array([[40.0, 0.0, 0.0, 0.0]])
    theirs = F.cross_entropy(torch.tensor(z), torch.tensor([0])).item()
    ours = _ours("log-likelihood", z, np.array([[1.0, 0, 0, 0]]))[0]
    with mpmath.workdps(50):
        truth = float(mpmath.log(1 + 3 * mpmath.exp(-40)))
    assert theirs == 0.0 and ours == pytest.approx(truth, rel=1e-14)


# --------------------------------------------------------------------------- #
# Targets, reductions, weights, devices
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("device", DEVICES)
def test_reductions_sample_weights_and_class_indices(device):
    z, y = _data("quadratic", 8, k=3)
    zt, labels = torch.tensor(z, device=device), torch.tensor(y.argmax(-1), device=device)
    per = Loss("quadratic", "none")(zt, labels)
    assert per.shape == (8,) and per.device.type == device
    assert torch.allclose(Loss("quadratic", "sum")(zt, labels), per.sum())
    assert torch.allclose(Loss("quadratic")(zt, labels), per.mean())
    assert torch.equal(per, Loss("quadratic", "none")(zt, F.one_hot(labels, 3).double()))
    w = torch.arange(8.0, device=device)
    assert torch.allclose(Loss("quadratic")(zt, labels, sample_weight=w), (w * per).sum() / w.sum())
    assert torch.allclose(Loss("quadratic", "none")(zt, labels, sample_weight=w), w * per)
    # one output: z of shape (n,), labels 0/1 or floats
    z1 = torch.tensor(z[:, 0], device=device)
    b = torch.tensor([0, 1] * 4, device=device)
    assert torch.equal(Loss("cross-entropy", "none")(z1, b), Loss("cross-entropy", "none")(z1, b.double()))
    # balanced class weights counted on the training targets
    bal = Loss("log-likelihood(class_weight=balanced)", y_train=torch.tensor([0, 0, 0, 1, 2, 2]))
    manual = Loss("log-likelihood(class_weight=[0.6666666666666666, 2, 1])")
    assert torch.allclose(bal(zt, labels), manual(zt, labels))


@pytest.mark.parametrize("spec, target, message", [
    ("quadratic", torch.zeros(5, 3), r"target must be \(4,\) class indices in 0\.\.2 or float targets of shape \(4, 3\), got \(5, 3\)"),
    ("quadratic", torch.zeros(4, dtype=torch.complex64), r"expected|must be"),
    ("quadratic", torch.tensor([0, 1, 2, 3]), r"class indices must lie in 0\.\.2.*\(4,\)"),
    ("cross-entropy", torch.full((4, 3), 2.0), r"must lie in \[0, 1\] \(shape \(4, 3\)\)"),
    ("quadratic", torch.full((4, 3), float("nan")), r"finite.*\(4, 3\)"),
    ("log-likelihood", torch.ones(4, 3), r"multi-label.*\(4, 3\)"),
])
def test_bad_targets_get_one_line_naming_the_shape(spec, target, message):
    with pytest.raises(ValueError, match=message) as e:
        Loss(spec)(torch.zeros(4, 3), target)
    assert "\n" not in str(e.value)


def test_bad_specs_get_the_command_lines_message():
    for bad in ("cross-entrop", "focal(gamma=-1)", "(a - y", "__import__('os')", "a + z"):
        with pytest.raises(ValueError) as e:
            Loss(bad)
        message = str(e.value)
        assert "\n" not in message
        code, _, err = run_main("neuron", "--w", "1", "--b", "1", "--cost", bad)
        assert code == 2 and f"--cost: {message}" in err
    with pytest.raises(ValueError, match="reduction must be one of none, mean, sum"):
        Loss("quadratic", "average")
    with pytest.raises(ValueError, match="does not fit a tanh output"):
        Loss("cross-entropy", activation="tanh")
    with pytest.raises(ValueError, match="y_train"):
        Loss("log-likelihood(class_weight=balanced)")
    with pytest.raises(ValueError, match="sample_weight must have shape \\(4,\\)"):
        Loss("quadratic")(torch.zeros(4, 2), torch.zeros(4, 2), sample_weight=torch.ones(3))
    with pytest.raises(ValueError, match="floating-point"):
        Loss("quadratic")(torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 2))


def test_other_activations_take_the_engines_derivative():
    z, y = _data("quadratic", 20)
    for spec in ("quadratic", FORMULAS[0]):
        for name in ("tanh", "identity", "relu", "softmax"):
            cost, act = get_cost(spec), ACTIVATIONS[name]
            zt = torch.tensor(z, requires_grad=True)
            Loss(spec, "sum", activation=name)(zt, torch.tensor(y)).backward()
            _close(zt.grad.numpy(), cost.delta(z, act(z), y, act), rtol=1e-12, atol=1e-16)


def test_without_torch_the_import_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import costlab.torch\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert 'pip install "costlab[torch]"' in out
