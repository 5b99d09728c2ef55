"""Tests of costlab.network: back-propagation, the gradient-descent step, the Network API.

Gradients are checked against central finite differences of sum_x C_x; training
steps against hand-written update formulas; training runs against loops written
here from the documented update rules, with `backprop` (itself checked by finite
differences) as the only borrowed piece.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from costlab import History, Network, TrainingDiverged
from costlab.activations import ACTIVATIONS, softmax
from costlab.costs import COSTS
from costlab.network import backprop, feedforward, initial_parameters
from conftest import multilabels, subset_accuracy


# --------------------------------------------------------------------------- #
# Gradient checks
# --------------------------------------------------------------------------- #

def total_cost(weights, biases, x, y, hidden, output, cost):
    """sum_x C_x, straight from the cost's value."""
    zs, acts = feedforward(weights, biases, x, hidden, output)
    return float(np.sum(cost.fn(zs[-1], acts[-1], y)))


def finite_difference_gradients(weights, biases, x, y, hidden, output, cost, h=1e-6):
    args = (x, y, hidden, output, cost)
    grads = []
    for params in (weights, biases):
        g_list = []
        for p in params:
            g = np.empty_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                c_plus = total_cost(weights, biases, *args)
                p[idx] = old - h
                c_minus = total_cost(weights, biases, *args)
                p[idx] = old
                g[idx] = (c_plus - c_minus) / (2 * h)
            g_list.append(g)
        grads.append(g_list)
    return grads


def assert_gradients_match(analytic, numeric):
    for g, fd in zip(analytic, numeric):
        assert g.shape == fd.shape
        # elementwise relative error < 1e-6; the absolute floor covers the
        # rounding of the difference quotient (~1e-16 |C| / h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
        norm = max(np.linalg.norm(g), np.linalg.norm(fd))
        if norm > 1e-6:
            assert np.linalg.norm(g - fd) / norm < 1e-6


SIZES = [[1, 1], [3, 4, 2], [5, 7, 6, 3], [4, 3]]
COST_OUTPUTS = [
    ("quadratic", "sigmoid"),
    ("quadratic", "tanh"),
    ("quadratic", "identity"),
    ("quadratic", "relu"),
    ("quadratic", "softmax"),
    ("cross-entropy", "sigmoid"),
    ("log-likelihood", "softmax"),
]
HIDDEN = ["sigmoid", "tanh", "identity", "relu"]


def random_targets(cost, k, m, rng):
    if cost == "log-likelihood":
        return np.eye(k)[rng.integers(0, k, m)]
    if cost == "cross-entropy":
        return rng.uniform(0.0, 1.0, (m, k))
    return rng.uniform(-1.0, 1.5, (m, k))


def draw_problem(sizes, cost, hidden, output, seed, m=4):
    """Random parameters, inputs and targets, redrawn until no relu sits near its kink."""
    rng = np.random.default_rng(seed)
    H, O = ACTIVATIONS[hidden], ACTIVATIONS[output]
    for _ in range(1000):
        weights, biases = initial_parameters(sizes, "large", rng)
        x = rng.standard_normal((m, sizes[0]))
        y = random_targets(cost, sizes[-1], m, rng)
        zs, _ = feedforward(weights, biases, x, H, O)
        kinks = [z for z, act in zip(zs, [hidden] * (len(zs) - 1) + [output]) if act == "relu"]
        if all(np.min(np.abs(z)) > 1e-3 for z in kinks):
            return weights, biases, x, y
    raise AssertionError("no draw without relu kinks")  # pragma: no cover


@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("cost, output", COST_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_finite_differences(sizes, cost, output, hidden):
    if output == "softmax" and sizes[-1] == 1:
        sizes = sizes[:-1] + [2]  # a one-unit softmax is constant; give it two units
    weights, biases, x, y = draw_problem(sizes, cost, hidden, output, seed=len(sizes) * 100 + sum(sizes))
    H, O, C = ACTIVATIONS[hidden], ACTIVATIONS[output], COSTS[cost]
    nabla_w, nabla_b = backprop(weights, biases, x, y, H, O, C)
    fd_w, fd_b = finite_difference_gradients(weights, biases, x, y, H, O, C)
    assert [g.shape for g in nabla_w] == [(o, i) for i, o in zip(sizes[:-1], sizes[1:])]
    assert [g.shape for g in nabla_b] == [(o,) for o in sizes[1:]]
    assert_gradients_match(nabla_w, fd_w)
    assert_gradients_match(nabla_b, fd_b)


@pytest.mark.parametrize("hidden", [("tanh", "sigmoid"), ("relu", "identity")])
def test_one_activation_per_hidden_layer_matches_finite_differences(hidden):
    sizes = [3, 4, 5, 2]
    weights, biases, x, y = draw_problem(sizes, "cross-entropy", hidden[0], "sigmoid", seed=7)
    H, O, C = tuple(ACTIVATIONS[h] for h in hidden), ACTIVATIONS["sigmoid"], COSTS["cross-entropy"]
    nabla_w, nabla_b = backprop(weights, biases, x, y, H, O, C)
    fd_w, fd_b = finite_difference_gradients(weights, biases, x, y, H, O, C)
    assert_gradients_match(nabla_w, fd_w)
    assert_gradients_match(nabla_b, fd_b)
    net = Network(sizes, activation=list(hidden))
    assert net.activation == list(hidden)
    assert Network(sizes, activation=["tanh", "tanh"]).activation == "tanh"  # one for all: the kernel's case
    with pytest.raises(ValueError, match="one per hidden layer"):
        Network(sizes, activation=["tanh"])
    with pytest.raises(ValueError, match="output layer"):
        Network(sizes, activation=["tanh", "softmax"])



def test_one_activation_per_hidden_layer_is_saved_and_loaded(tmp_path):
    from costlab.saving import load, save

    net = Network([2, 3, 3, 1], activation=["relu", "tanh"], seed=3)
    save(net, tmp_path / "net.json")
    again = load(tmp_path / "net.json")
    assert again.activation == ["relu", "tanh"]
    X = np.random.default_rng(0).standard_normal((5, 2))
    np.testing.assert_array_equal(again.feedforward(X), net.feedforward(X))


def test_backprop_is_a_sum_over_samples():
    weights, biases, x, y = draw_problem([3, 4, 2], "cross-entropy", "tanh", "sigmoid", seed=5, m=6)
    H, O, C = ACTIVATIONS["tanh"], ACTIVATIONS["sigmoid"], COSTS["cross-entropy"]
    nw, nb = backprop(weights, biases, x, y, H, O, C)
    parts = [backprop(weights, biases, x[i:i + 1], y[i:i + 1], H, O, C) for i in range(6)]
    for l in range(2):
        np.testing.assert_allclose(nw[l], sum(p[0][l] for p in parts), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(nb[l], sum(p[1][l] for p in parts), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cost, output", COST_OUTPUTS)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_group_axis_equals_each_network_alone(cost, output, hidden):
    sizes, K, m = [4, 5, 3, 3], 3, 6
    problems = [draw_problem(sizes, cost, hidden, output, seed=40 + k, m=m) for k in range(K)]
    W = [np.stack([p[0][l] for p in problems]) for l in range(3)]
    B = [np.stack([p[1][l] for p in problems]) for l in range(3)]
    X = np.stack([p[2] for p in problems])
    Y = np.stack([p[3] for p in problems])
    assert W[0].shape == (K, 5, 4) and B[0].shape == (K, 5) and X.shape == (K, m, 4)
    H, O, C = ACTIVATIONS[hidden], ACTIVATIONS[output], COSTS[cost]
    gw, gb = backprop(W, B, X, Y, H, O, C)
    zs, acts = feedforward(W, B, X, H, O)
    for k, (w, b, x, y) in enumerate(problems):
        nw, nb = backprop(w, b, x, y, H, O, C)
        for l in range(3):
            assert gw[l].shape == W[l].shape and gb[l].shape == B[l].shape
            np.testing.assert_allclose(gw[l][k], nw[l], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(gb[l][k], nb[l], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(acts[-1][k], feedforward(w, b, x, H, O)[1][-1], rtol=1e-13, atol=1e-15)


def test_feedforward_by_hand():
    w1 = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    b1 = np.array([0.01, -0.02, 0.03])
    w2 = np.array([[1.0, -1.0, 0.5]])
    b2 = np.array([0.2])
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    zs, acts = feedforward([w1, w2], [b1, b2], x, ACTIVATIONS["tanh"], ACTIVATIONS["sigmoid"])
    for i in range(2):
        h = [math.tanh(sum(w1[j, k] * x[i, k] for k in range(2)) + b1[j]) for j in range(3)]
        z2 = sum(w2[0, j] * h[j] for j in range(3)) + b2[0]
        assert zs[1][i, 0] == pytest.approx(z2, rel=1e-14)
        assert acts[2][i, 0] == pytest.approx(1 / (1 + math.exp(-z2)), rel=1e-14)
        np.testing.assert_allclose(acts[1][i], h, rtol=1e-14)
    assert acts[0] is x


# --------------------------------------------------------------------------- #
# Network: construction and initial weights
# --------------------------------------------------------------------------- #

def test_parameter_shapes_and_configuration():
    net = Network([5, 7, 6, 3], seed=0)
    assert [w.shape for w in net.weights] == [(7, 5), (6, 7), (3, 6)]
    assert [b.shape for b in net.biases] == [(7,), (6,), (3,)]
    assert all(p.dtype == np.float64 for p in net.weights + net.biases)
    assert net.cost == "cross-entropy" and net.activation == "sigmoid"
    assert net.output_activation == "sigmoid"
    assert Network([2, 3], cost="log-likelihood").output_activation == "softmax"
    assert Network([2, 3], cost="quadratic").output_activation == "sigmoid"
    assert Network([2, 3], cost="quadratic", output_activation="identity").output_activation == "identity"


def test_same_seed_same_weights_different_seed_different_weights():
    a, b, c = Network([4, 6, 2], seed=7), Network([4, 6, 2], seed=7), Network([4, 6, 2], seed=8)
    for wa, wb, wc in zip(a.weights + a.biases, b.weights + b.biases, c.weights + c.biases):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)


@pytest.mark.parametrize("init, w_std", [("default", 1 / math.sqrt(400)), ("large", 1.0)])
def test_initial_weights_statistics(init, w_std):
    # weights of shape (2500, 400): a million draws; the std must follow n_in = 400,
    # not n_out = 2500
    net = Network([400, 2500], init=init, seed=123)
    w, b = net.weights[0], net.biases[0]
    assert w.shape == (2500, 400)
    assert w.std() == pytest.approx(w_std, rel=0.01)
    assert abs(w.mean()) < 5 * w_std / 1000
    # Gaussian: 68.27% within one standard deviation
    assert np.mean(np.abs(w) < w_std) == pytest.approx(0.6827, abs=0.005)
    # biases N(0, 1) for both schemes (2500 draws)
    assert b.std() == pytest.approx(1.0, rel=0.08)
    assert abs(b.mean()) < 0.1


def test_initial_parameters_function():
    w, b = initial_parameters([3, 2, 1], "default", np.random.default_rng(0), np.float32)
    assert [x.shape for x in w] == [(2, 3), (1, 2)] and [x.shape for x in b] == [(2,), (1,)]
    assert all(x.dtype == np.float32 for x in w + b)
    with pytest.raises(ValueError, match="unknown init"):
        initial_parameters([3, 2], "xavier")


# --------------------------------------------------------------------------- #
# Training: reproducibility, history, dtypes
# --------------------------------------------------------------------------- #

def blobs(n=60, d=3, k=3, seed=0):
    """k Gaussian clusters in d dimensions, labels 0..k-1."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-2, 2, (k, d))
    labels = rng.integers(0, k, n)
    return centers[labels] + 0.3 * rng.standard_normal((n, d)), labels


def params(net):
    return [p.copy() for p in net.weights + net.biases]


@pytest.mark.parametrize("mu", [0.0, 0.3])
def test_same_seed_trains_bit_for_bit(mu):
    X, y = blobs()
    runs = []
    for _ in range(2):
        net = Network([3, 5, 3], seed=11)
        h = net.fit(X, y, epochs=3, batch_size=7, eta=0.5, lmbda=0.1, mu=mu, eval_data=(X[:20], y[:20]))
        runs.append((params(net), h.to_dict()))
    for p, q in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(p, q)
    assert runs[0][1] == runs[1][1]


def test_shuffling_follows_the_seed():
    X, y = blobs()
    a, b = Network([3, 5, 3], seed=1), Network([3, 5, 3], seed=2)
    b.weights = [w.copy() for w in a.weights]
    b.biases = [x.copy() for x in a.biases]
    a.fit(X, y, epochs=2, batch_size=5, eta=0.5)
    b.fit(X, y, epochs=2, batch_size=5, eta=0.5)
    assert not np.allclose(a.weights[0], b.weights[0])  # different orders of the samples
    # without shuffling the seed no longer matters
    c, d = Network([3, 5, 3], seed=1), Network([3, 5, 3], seed=2)
    d.weights = [w.copy() for w in c.weights]
    d.biases = [x.copy() for x in c.biases]
    c.fit(X, y, epochs=2, batch_size=5, eta=0.5, shuffle=False)
    d.fit(X, y, epochs=2, batch_size=5, eta=0.5, shuffle=False)
    for p, q in zip(params(c), params(d)):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("epochs", [0, 1, 4])
def test_history_has_epochs_plus_one_entries(epochs):
    X, y = blobs()
    net = Network([3, 4, 3], seed=0)
    before = net.total_cost(X, y)
    h = net.fit(X, y, epochs=epochs, batch_size=10, eta=0.5, eval_data=(X[:15], y[:15]), monitor="exact")
    assert isinstance(h, History)
    assert len(h) == epochs + 1
    d = h.to_dict()
    assert set(d) == {"epoch", "train_cost", "train_accuracy", "eval_cost", "eval_accuracy"}
    for key, values in d.items():
        assert len(values) == epochs + 1, key
        assert all(isinstance(v, float) and math.isfinite(v) for v in values if key != "epoch")
    assert d["epoch"] == list(range(epochs + 1))
    assert all(0.0 <= v <= 1.0 for v in d["train_accuracy"] + d["eval_accuracy"])
    # entry 0 is the state before training; the last is the state after it
    assert d["train_cost"][0] == pytest.approx(before, rel=1e-14)
    assert d["train_cost"][-1] == pytest.approx(net.total_cost(X, y), rel=1e-14)
    assert d["eval_cost"][-1] == pytest.approx(net.total_cost(X[:15], y[:15]), rel=1e-14)
    assert d["train_accuracy"][-1] == net.accuracy(X, y)


def test_history_without_eval_data_or_monitoring():
    X, y = blobs()
    h = Network([3, 4, 3], seed=0).fit(X, y, epochs=2, eta=0.5)
    assert h.eval_cost == [None] * 3 and h.eval_accuracy == [None] * 3
    h = Network([3, 4, 3], seed=0).fit(X, y, epochs=2, eta=0.5, monitor=False)
    assert h.train_cost == [None] * 3 and len(h) == 3


def test_epochs_zero_leaves_the_parameters_alone():
    X, y = blobs()
    net = Network([3, 4, 3], seed=0)
    p0 = params(net)
    net.fit(X, y, epochs=0)
    for p, q in zip(p0, params(net)):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), ("f4", np.float32), (np.dtype("float32"), np.float32),
                                             (np.float64, np.float64), (float, np.float64)])
def test_dtype_taken_as_numpy_takes_it(dtype, expected):
    net = Network([3, 2], dtype=dtype, seed=0)
    assert net.dtype == expected and all(p.dtype == expected for p in net.weights + net.biases)
    by_name = Network([3, 2], dtype=np.dtype(expected).name, seed=0)
    assert all(np.array_equal(p, q) for p, q in zip(net.weights, by_name.weights))
    assert f"dtype={np.dtype(expected).name!r}" in repr(net)


@pytest.mark.parametrize("mu", [0.0, 0.5])
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_float32_networks_stay_float32(cost, mu):
    X, y = blobs()
    net32 = Network([3, 5, 3], cost=cost, dtype="float32", seed=4)
    net64 = Network([3, 5, 3], cost=cost, dtype="float64", seed=4)
    assert all(p.dtype == np.float32 for p in net32.weights + net32.biases)
    kw = dict(epochs=2, batch_size=8, eta=0.3, lmbda=0.2, mu=mu, eval_data=(X, y))
    net32.fit(X, y, **kw)
    net64.fit(X, y, **kw)
    assert all(p.dtype == np.float32 for p in net32.weights + net32.biases)
    if mu:
        assert all(v.dtype == np.float32 for v in net32.velocities)
    assert net32.feedforward(X).dtype == np.float32
    # the same computation, only rounded to float32
    for p32, p64 in zip(params(net32), params(net64)):
        np.testing.assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_integer_labels_and_one_hot_targets_train_identically(cost):
    X, y = blobs()
    a, b = Network([3, 4, 3], cost=cost, seed=9), Network([3, 4, 3], cost=cost, seed=9)
    ha = a.fit(X, y, epochs=2, batch_size=6, eta=0.4)
    hb = b.fit(X, np.eye(3)[y], epochs=2, batch_size=6, eta=0.4)
    for p, q in zip(params(a), params(b)):
        np.testing.assert_array_equal(p, q)
    assert ha.to_dict() == hb.to_dict()


def test_single_output_labels_and_column_targets_train_identically():
    X, y = blobs(k=2)
    a, b = Network([3, 4, 1], seed=9), Network([3, 4, 1], seed=9)
    a.fit(X, y, epochs=2, batch_size=6, eta=0.4)
    b.fit(X, y[:, None].astype(float), epochs=2, batch_size=6, eta=0.4)
    for p, q in zip(params(a), params(b)):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_training_learns_separable_blobs(cost):
    X, y = blobs(n=120, seed=3)
    net = Network([3, 8, 3], cost=cost, seed=0)
    h = net.fit(X, y, epochs=40, batch_size=10, eta=1.0 if cost != "quadratic" else 3.0, monitor="exact")
    assert h.train_cost[-1] < 0.5 * h.train_cost[0]
    assert net.accuracy(X, y) >= 0.95


# --------------------------------------------------------------------------- #
# The gradient-descent step, by hand
# --------------------------------------------------------------------------- #

def _sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def hand_step_2_2_1(W1, b1, W2, b2, X, Y, eta, cost):
    """One gradient-descent step of a [2, 2, 1] sigmoid network, scalar by scalar."""
    gW1, gb1 = np.zeros((2, 2)), np.zeros(2)
    gW2, gb2 = np.zeros((1, 2)), np.zeros(1)
    for x, y in zip(X, Y):
        a1 = [_sig(W1[j, 0] * x[0] + W1[j, 1] * x[1] + b1[j]) for j in range(2)]
        a2 = _sig(W2[0, 0] * a1[0] + W2[0, 1] * a1[1] + b2[0])
        if cost == "quadratic":
            d2 = (a2 - y[0]) * a2 * (1 - a2)
        else:
            d2 = a2 - y[0]
        for j in range(2):
            gW2[0, j] += d2 * a1[j]
            d1 = d2 * W2[0, j] * a1[j] * (1 - a1[j])
            gW1[j, 0] += d1 * x[0]
            gW1[j, 1] += d1 * x[1]
            gb1[j] += d1
        gb2[0] += d2
    m = len(X)
    return W1 - eta / m * gW1, b1 - eta / m * gb1, W2 - eta / m * gW2, b2 - eta / m * gb2


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_golden_gradient_step(cost):
    W1 = np.array([[0.1, -0.3], [0.4, 0.2]])
    b1 = np.array([0.05, -0.1])
    W2 = np.array([[0.7, -0.6]])
    b2 = np.array([0.25])
    X = np.array([[1.0, 0.5], [-0.4, 2.0], [0.3, -1.2]])
    Y = np.array([[1.0], [0.0], [1.0]])
    net = Network([2, 2, 1], cost=cost, seed=0)
    net.weights = [W1.copy(), W2.copy()]
    net.biases = [b1.copy(), b2.copy()]
    net.fit(X, Y, epochs=1, batch_size=3, eta=0.5, shuffle=False)
    eW1, eb1, eW2, eb2 = hand_step_2_2_1(W1, b1, W2, b2, X, Y, 0.5, cost)
    np.testing.assert_allclose(net.weights[0], eW1, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(net.biases[0], eb1, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(net.weights[1], eW2, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(net.biases[1], eb2, rtol=1e-13, atol=1e-16)
    assert not np.allclose(net.weights[1], W2)


def test_golden_softmax_log_likelihood_step():
    # [2, 2] softmax with log-likelihood: dC/dz = a - y, so
    # w_jk -= eta/m sum_x (a_j - y_j) x_k, b_j -= eta/m sum_x (a_j - y_j)
    W = np.array([[0.2, -0.1], [0.3, 0.5]])
    b = np.array([0.1, -0.2])
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    labels = np.array([1, 0])
    net = Network([2, 2], cost="log-likelihood", seed=0)
    net.weights, net.biases = [W.copy()], [b.copy()]
    net.fit(X, labels, epochs=1, batch_size=2, eta=0.8, shuffle=False)
    gW, gb = np.zeros((2, 2)), np.zeros(2)
    for x, label in zip(X, labels):
        z = [W[j, 0] * x[0] + W[j, 1] * x[1] + b[j] for j in range(2)]
        s = math.exp(z[0]) + math.exp(z[1])
        for j in range(2):
            d = math.exp(z[j]) / s - (1.0 if j == label else 0.0)
            gW[j] += d * x
            gb[j] += d
    np.testing.assert_allclose(net.weights[0], W - 0.8 / 2 * gW, rtol=1e-13)
    np.testing.assert_allclose(net.biases[0], b - 0.8 / 2 * gb, rtol=1e-13)


def manual_training(net, X, Y, *, epochs, batch_size, eta, lmbda=0.0, mu=0.0):
    """The documented update rules, batch by batch without shuffling."""
    H, O, C = ACTIVATIONS[net.activation], ACTIVATIONS[net.output_activation], COSTS[net.cost]
    w = [p.copy() for p in net.weights]
    b = [p.copy() for p in net.biases]
    v = [np.zeros_like(p) for p in w]
    vb = [np.zeros_like(p) for p in b]
    n = len(X)
    for _ in range(epochs):
        for s in range(0, n, batch_size):
            xb, yb = X[s:s + batch_size], Y[s:s + batch_size]
            m = len(xb)
            nw, nb = backprop(w, b, xb, yb, H, O, C)
            for l in range(len(w)):
                # momentum for weights and biases alike; L2 decay for weights only
                v[l] = mu * v[l] - eta / m * nw[l]
                vb[l] = mu * vb[l] - eta / m * nb[l]
                w[l] = (1 - eta * lmbda / n) * w[l] + v[l]
                b[l] = b[l] + vb[l]
    return w, b


@pytest.mark.parametrize("lmbda, mu", [(0.0, 0.0), (0.7, 0.0), (0.0, 0.6), (0.7, 0.6)])
def test_training_follows_the_update_rules(lmbda, mu):
    X, y = blobs(n=8, seed=2)
    Y = np.eye(3)[y]
    net = Network([3, 4, 3], cost="cross-entropy", activation="tanh", seed=3)
    # batches of 3, 3 and 2: the last step divides by its own size, decay by n = 8
    ew, eb = manual_training(net, X, Y, epochs=2, batch_size=3, eta=0.4, lmbda=lmbda, mu=mu)
    net.fit(X, y, epochs=2, batch_size=3, eta=0.4, lmbda=lmbda, mu=mu, shuffle=False)
    for got, want in zip(net.weights + net.biases, ew + eb):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_l2_decays_weights_not_biases_in_one_step():
    X, y = blobs(n=12, seed=4)
    eta, lmbda, n = 0.5, 3.0, 12
    plain, reg = Network([3, 4, 3], seed=5), Network([3, 4, 3], seed=5)
    w0 = [w.copy() for w in plain.weights]
    plain.fit(X, y, epochs=1, batch_size=n, eta=eta, shuffle=False)
    reg.fit(X, y, epochs=1, batch_size=n, eta=eta, lmbda=lmbda, shuffle=False)
    for wp, wr, w in zip(plain.weights, reg.weights, w0):
        # w' = (1 - eta lmbda / n) w - eta/n nabla_w  versus  w - eta/n nabla_w
        np.testing.assert_allclose(wr - wp, -(eta * lmbda / n) * w, rtol=1e-10, atol=1e-15)
    for bp, br in zip(plain.biases, reg.biases):
        np.testing.assert_array_equal(br, bp)


def test_momentum_accumulates_velocity():
    # two full-batch steps: v1 = -g1 eta, v2 = mu v1 - eta g2; w2 = w0 + v1 + v2 (biases alike)
    X, y = blobs(n=10, seed=6)
    Y = np.eye(3)[y]
    net = Network([3, 3], cost="log-likelihood", seed=1)
    w0, b0 = net.weights[0].copy(), net.biases[0].copy()
    eta, mu = 0.3, 0.9
    H, O, C = ACTIVATIONS["sigmoid"], ACTIVATIONS["softmax"], COSTS["log-likelihood"]
    g1w, g1b = backprop([w0], [b0], X, Y, H, O, C)
    w1 = w0 - eta / 10 * g1w[0]
    b1 = b0 - eta / 10 * g1b[0]
    g2w, g2b = backprop([w1], [b1], X, Y, H, O, C)
    w2 = w1 + mu * (w1 - w0) - eta / 10 * g2w[0]
    b2 = b1 + mu * (b1 - b0) - eta / 10 * g2b[0]
    net.fit(X, y, epochs=2, batch_size=10, eta=eta, mu=mu, shuffle=False)
    np.testing.assert_allclose(net.weights[0], w2, rtol=1e-12)
    np.testing.assert_allclose(net.biases[0], b2, rtol=1e-12)


# --------------------------------------------------------------------------- #
# predict, accuracy, total_cost
# --------------------------------------------------------------------------- #

def test_softmax_network_predict_accuracy_cost_by_hand():
    net = Network([2, 2], cost="log-likelihood", seed=0)
    net.weights[0][...] = np.eye(2)
    net.biases[0][...] = 0.0
    X = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 2.0], [0.0, 5.0]])
    labels = np.array([0, 1, 0, 0])
    np.testing.assert_array_equal(net.predict(X), [0, 1, 0, 1])
    assert net.accuracy(X, labels) == 0.75
    np.testing.assert_allclose(net.feedforward(X), softmax(X), rtol=1e-15)
    l1 = math.log1p(math.exp(-1.0))
    expected = (3 * l1 + 5.0 + math.log1p(math.exp(-5.0))) / 4
    assert net.total_cost(X, labels) == pytest.approx(expected, rel=1e-14)
    # + lmbda/(2n) sum w^2 = 2/(2*4) * 2
    assert net.total_cost(X, labels, lmbda=2.0) == pytest.approx(expected + 0.5, rel=1e-14)


def test_single_sigmoid_output_predict_accuracy_cost_by_hand():
    net = Network([1, 1], cost="cross-entropy", seed=0)
    net.weights[0][...] = 1.0
    net.biases[0][...] = 0.0
    X = np.array([[-2.0], [-0.5], [0.5], [3.0]])
    labels = np.array([0, 1, 0, 1])
    np.testing.assert_array_equal(net.predict(X), [0, 0, 1, 1])
    assert net.accuracy(X, labels) == 0.5
    np.testing.assert_allclose(net.feedforward(X)[:, 0], [_sig(-2.0), _sig(-0.5), _sig(0.5), _sig(3.0)], rtol=1e-15)
    # y = 0: -ln(1 - a) = ln(1 + e^z); y = 1: -ln a = ln(1 + e^-z)
    expected = (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(0.5)) + math.log1p(math.exp(0.5))
                + math.log1p(math.exp(-3.0))) / 4
    assert net.total_cost(X, labels) == pytest.approx(expected, rel=1e-14)


def test_quadratic_total_cost_with_targets():
    net = Network([2, 2], cost="quadratic", output_activation="identity", seed=0)
    net.weights[0][...] = [[1.0, 0.0], [0.0, 2.0]]
    net.biases[0][...] = [0.5, 0.0]
    X = np.array([[1.0, 1.0], [0.0, -1.0]])
    T = np.array([[1.0, 1.0], [0.0, 0.0]])
    # outputs [1.5, 2] and [0.5, -2]: C = (0.5^2 + 1^2 + 0.5^2 + 2^2) / (2 * 2)
    assert net.total_cost(X, T) == pytest.approx((0.25 + 1 + 0.25 + 4) / 4, rel=1e-15)


def test_feedforward_works_in_chunks():
    # more rows than one evaluation chunk
    net = Network([3, 4, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((10_000, 3))
    H = ACTIVATIONS["sigmoid"]
    expected = feedforward(net.weights, net.biases, X, H, H)[1][-1]
    np.testing.assert_allclose(net.feedforward(X), expected, rtol=1e-14)


def test_uint8_inputs_are_scaled_to_unit_interval():
    net = Network([3, 2], cost="log-likelihood", seed=0)
    X8 = np.array([[0, 128, 255], [10, 20, 30]], dtype=np.uint8)
    np.testing.assert_allclose(net.feedforward(X8), net.feedforward(X8 / 255.0), rtol=1e-15)


# --------------------------------------------------------------------------- #
# Bad arguments
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize(
    "sizes", [[], [3], [3, 0], [3, -1], [2.0, 3], [True, 2], ["2", "3"], [2, 3, None]]
)
def test_bad_sizes(sizes):
    with pytest.raises(ValueError):
        Network(sizes)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cost": "mse"},
        {"cost": "Cross-Entropy"},
        {"activation": "softplus"},
        {"activation": "softmax"},  # only for an output layer
        {"output_activation": "gelu"},
        {"init": "xavier"},
        {"dtype": "float16"},
        {"dtype": np.int64},
        {"dtype": "float128x"},
        {"cost": "cross-entropy", "output_activation": "tanh"},
        {"cost": "cross-entropy", "output_activation": "softmax"},
        {"cost": "cross-entropy", "output_activation": "identity"},
        {"cost": "log-likelihood", "output_activation": "sigmoid"},
    ],
)
def test_bad_network_options(kwargs):
    with pytest.raises(ValueError):
        Network([3, 2], **kwargs)


def test_unknown_names_are_listed():
    with pytest.raises(ValueError, match="quadratic"):
        Network([3, 2], cost="mse")
    with pytest.raises(ValueError, match="sigmoid"):
        Network([3, 2], cost="cross-entropy", output_activation="tanh")


GOOD_X = np.zeros((4, 3))
GOOD_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize(
    "X, y",
    [
        (np.zeros((4, 2)), GOOD_Y),               # wrong width
        (np.zeros(4), GOOD_Y),                     # not 2-D
        (np.zeros((4, 3, 1)), GOOD_Y),
        (np.array([[0, 0, np.nan]] * 4), GOOD_Y),  # NaN
        (np.array([[0, 0, np.inf]] * 4), GOOD_Y),
        (np.full((4, 3), "a"), GOOD_Y),            # not numbers
        (GOOD_X, np.array([0, 1, 2, 0])),          # label out of range
        (GOOD_X, np.array([0, 1, -1, 0])),
        (GOOD_X, np.array([0, 1, 1])),             # too few labels
        (GOOD_X, np.array([0.0, 0.5, 1.0, 0.0])),  # not integer labels
        (GOOD_X, np.zeros((4, 3))),                # wrong target width
        (GOOD_X, np.array([[0.0, 1.5]] * 4)),      # cross-entropy target outside [0, 1]
        (GOOD_X, np.array([[0.0, np.nan]] * 4)),
        (np.zeros((0, 3)), np.zeros(0, dtype=int)),  # no samples
    ],
)
def test_bad_training_data(X, y):
    net = Network([3, 2], seed=0)
    with pytest.raises(ValueError):
        net.fit(X, y, epochs=1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("path", ["kernel", "compiled gather", "numpy"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_nan_or_infinity_in_X_is_refused_and_the_network_left_as_it_was(monkeypatch, bad, path, dtype, activation):
    # fit reads X once: the first epoch watches for NaN and infinity as it reads the rows, and on finding
    # one puts the weights, biases and the shuffling generator back before raising
    from costlab import fast

    monkeypatch.setattr(fast, "KERNEL", {"kernel": "always", "compiled gather": "auto", "numpy": "never"}[path])
    if path == "compiled gather":
        monkeypatch.setattr(fast, "KERNEL_MAX_WORK", 0)  # the NumPy path, its rows gathered in one pass
    rng = np.random.default_rng(0)
    X = rng.random((60, 5)).astype(dtype)
    X[37, 2] = bad
    y = rng.integers(0, 3, 60)
    net = Network([5, 4, 3], activation=activation, seed=1, dtype=dtype)
    before = [p.copy() for p in net.weights + net.biases]
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        net.fit(X, y, epochs=2, batch_size=7)
    for p, q in zip(net.weights + net.biases, before):
        np.testing.assert_array_equal(p, q)
    # the same network then trains as a fresh one does on clean data, same shuffles included
    X[37, 2] = 0.5
    fresh = Network([5, 4, 3], activation=activation, seed=1, dtype=dtype)
    net.fit(X, y, epochs=1, batch_size=7)
    fresh.fit(X, y, epochs=1, batch_size=7)
    for p, q in zip(net.weights + net.biases, fresh.weights + fresh.biases):
        np.testing.assert_array_equal(p, q)


def test_labels_out_of_range_for_one_output_and_eval_data():
    with pytest.raises(ValueError):
        Network([3, 1]).fit(GOOD_X, np.array([0, 1, 2, 0]), epochs=1)
    with pytest.raises(ValueError):
        Network([3, 2]).fit(GOOD_X, GOOD_Y, epochs=1, eval_data=(GOOD_X, np.array([0, 5, 0, 0])))
    with pytest.raises(ValueError):
        Network([3, 2]).fit(GOOD_X, GOOD_Y, epochs=1, eval_data=(np.zeros((4, 2)), GOOD_Y))
    with pytest.raises(ValueError):
        Network([3, 2]).predict(np.zeros((2, 4)))
    with pytest.raises(ValueError):
        Network([3, 2]).accuracy(GOOD_X, np.array([0, 1, 9, 0]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": -1},
        {"epochs": 1.5},
        {"epochs": "3"},
        {"eta": 0.0},
        {"eta": -0.1},
        {"eta": float("nan")},
        {"eta": float("inf")},
        {"eta": "fast"},
        {"batch_size": 0},
        {"batch_size": -5},
        {"batch_size": 2.0},
        {"lmbda": -1.0},
        {"lmbda": float("nan")},
        {"mu": 1.0},
        {"mu": -0.1},
    ],
)
def test_bad_training_options(kwargs):
    net = Network([3, 2], seed=0)
    p0 = params(net)
    with pytest.raises(ValueError):
        net.fit(GOOD_X, GOOD_Y, **kwargs)
    for p, q in zip(p0, params(net)):
        np.testing.assert_array_equal(p, q)


# --------------------------------------------------------------------------- #
# Divergence
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("n", [20, 1000])
def test_too_large_eta_raises_training_diverged(n):
    # quadratic cost with an identity output and eta = 1e3 blows up; with n = 1000
    # and batches of 10 the weights overflow inside the first epoch. With
    # filterwarnings = error, an overflow RuntimeWarning leaking out of the
    # training loop fails this test instead of TrainingDiverged.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2))
    T = rng.standard_normal((n, 1))
    net = Network([2, 3, 1], cost="quadratic", output_activation="identity", seed=0)
    history = History()
    with pytest.raises(TrainingDiverged) as info:
        net.fit(X, T, epochs=5, batch_size=10, eta=1e3, history=history)
    err = info.value
    assert isinstance(err, ArithmeticError)
    assert err.epoch >= 1
    assert f"epoch {err.epoch}" in str(err)
    assert "eta" in str(err)
    # what was recorded before the failure holds no NaN or inf
    assert len(history) >= 1
    for values in history.to_dict().values():
        assert all(v is None or math.isfinite(v) for v in values)


def test_sensible_eta_does_not_diverge():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    T = X @ np.array([[0.5], [-0.25]])
    net = Network([2, 1], cost="quadratic", output_activation="identity", seed=0)
    h = net.fit(X, T, epochs=20, batch_size=10, eta=0.05, monitor="exact")
    assert h.train_cost[-1] < 1e-3 * h.train_cost[0]
    np.testing.assert_allclose(net.weights[0], [[0.5, -0.25]], atol=1e-3)


# --------------------------------------------------------------------------- #
# Parameters assigned by the user
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("assigned", [int, np.float64], ids=["int", "float64"])
def test_assigned_parameters_train_in_the_network_dtype(dtype, assigned):
    # Network documents weights and biases as lists "that users read and may
    # assign". Hand-set values such as np.array([[2]]) (integers) or float64
    # arrays in a float32 network must train like the same values given in the
    # network's dtype, and leave the parameters in that dtype.
    X = np.array([[1.0]])
    y = np.array([[0.0]])
    ref = Network([1, 1], cost="quadratic", dtype=dtype, seed=0)
    ref.weights[0][...] = 2.0
    ref.biases[0][...] = 2.0
    ref.fit(X, y, epochs=3, batch_size=1, eta=0.15, shuffle=False)
    net = Network([1, 1], cost="quadratic", dtype=dtype, seed=0)
    net.weights = [np.array([[2]], dtype=assigned)]
    net.biases = [np.array([2], dtype=assigned)]
    net.fit(X, y, epochs=3, batch_size=1, eta=0.15, shuffle=False)
    assert net.weights[0].dtype == net.biases[0].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(net.weights[0], ref.weights[0])
    np.testing.assert_array_equal(net.biases[0], ref.biases[0])


def test_assigned_parameters_in_any_memory_layout_train_alike():
    # C-ordered, Fortran-ordered and strided views of the same values
    X, y = blobs(n=12, seed=8)
    base = Network([3, 4, 3], seed=2)
    W = [w.copy() for w in base.weights]
    B = [b.copy() for b in base.biases]
    layouts = {
        "C": [w.copy() for w in W],
        "F": [np.asfortranarray(w) for w in W],
        "strided": [np.repeat(w, 2, axis=1)[:, ::2] for w in W],
    }
    results = {}
    for name, weights in layouts.items():
        net = Network([3, 4, 3], seed=2)
        net.weights = weights
        net.biases = [b.copy() for b in B]
        net.fit(X, y, epochs=2, batch_size=4, eta=0.5, shuffle=False)
        results[name] = [p.copy() for p in net.weights + net.biases]
    for name in ("F", "strided"):
        for p, q in zip(results[name], results["C"]):
            np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)
    assert not np.allclose(results["C"][0], W[0])


# --------------------------------------------------------------------------- #
# Sample weights
# --------------------------------------------------------------------------- #

def test_integer_sample_weights_equal_repeated_samples_in_full_batch_descent(digits):
    # one step per epoch over the whole set: weight 2 is the sample twice, weight 0 the sample left out
    X, y = digits.X_train[:60], digits.y_train[:60]
    w = np.random.default_rng(0).integers(0, 3, 60)
    weighted, repeated = Network([64, 12, 10], seed=4), Network([64, 12, 10], seed=4)
    hw = weighted.fit(X, y, epochs=3, batch_size=60, eta=0.5, shuffle=False, sample_weight=w, monitor="exact")
    idx = np.repeat(np.arange(60), w)
    hr = repeated.fit(X[idx], y[idx], epochs=3, batch_size=len(idx), eta=0.5, shuffle=False, monitor="exact")
    for a, b in zip(weighted.weights + weighted.biases, repeated.weights + repeated.biases):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(hw.train_cost, hr.train_cost, rtol=1e-12)
    np.testing.assert_allclose(hw.train_accuracy, hr.train_accuracy, rtol=1e-12)
    assert weighted.total_cost(X, y, sample_weight=w) == pytest.approx(repeated.total_cost(X[idx], y[idx]), rel=1e-12)
    assert weighted.accuracy(X, y, sample_weight=w) == pytest.approx(repeated.accuracy(X[idx], y[idx]), rel=1e-12)


def test_weighted_records_are_weighted_means(digits):
    X, y = digits.X_train[:200], digits.y_train[:200]
    w = np.random.default_rng(2).random(200)
    net = Network([64, 10, 10], seed=1)
    h = net.fit(X, y, epochs=2, batch_size=10, eta=0.3, lmbda=1.0, sample_weight=w, monitor="exact")
    assert h.train_cost[-1] == pytest.approx(net.total_cost(X, y, lmbda=1.0, sample_weight=w), rel=1e-12)
    assert h.train_accuracy[-1] == pytest.approx(net.accuracy(X, y, sample_weight=w), rel=1e-12)
    assert net.total_cost(X, y, sample_weight=w) != pytest.approx(net.total_cost(X, y), rel=1e-6)


def test_a_group_trains_with_sample_weights_as_its_members_alone(digits):
    from costlab import NetworkGroup

    X, y = digits.X_train[:100], digits.y_train[:100]
    w = np.random.default_rng(3).random(100)
    nets = [Network([64, 8, 10], seed=s) for s in range(3)]
    alone = [Network([64, 8, 10], seed=s) for s in range(3)]
    hs = NetworkGroup(nets).fit(X, y, epochs=2, batch_size=10, eta=0.4, sample_weight=w)
    for net, a, h in zip(nets, alone, hs):
        ha = a.fit(X, y, epochs=2, batch_size=10, eta=0.4, sample_weight=w)
        for p, q in zip(net.weights, a.weights):
            np.testing.assert_allclose(p, q, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(h.train_cost[1:], ha.train_cost[1:], rtol=1e-11)


@pytest.mark.parametrize("w, message", [
    (np.ones(9), r"sample_weight must have shape \(10,\), one weight per sample, got \(9,\)"),
    (np.ones((10, 1)), r"sample_weight must have shape \(10,\)"),
    (2.0, "one weight per sample, got a single number"),
    (np.r_[np.ones(9), -1.0], "sample_weight must be >= 0, got -1"),
    (np.r_[np.ones(9), np.nan], "sample_weight contains NaN or infinite values"),
    (np.zeros(10), "sample_weight is zero for every sample"),
    (np.array(["a"] * 10), "sample_weight must hold real numbers"),
])
def test_bad_sample_weights_are_refused_in_one_line(w, message):
    net = Network([2, 2], seed=0)
    X, y = np.zeros((10, 2)), np.zeros(10, dtype=int)
    before = [wb.copy() for wb in net.weights]
    with pytest.raises(ValueError, match=message) as info:
        net.fit(X, y, epochs=1, sample_weight=w)
    assert "\n" not in str(info.value)
    for a, b in zip(net.weights, before):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- #
# Multi-label targets: the subset accuracy
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_multi_label_records_are_the_subset_accuracy(digits, monkeypatch, weighted):
    # batch by batch, the running record equals scikit-learn's accuracy_score before each step, replayed
    from costlab import fast

    X, Y = digits.X_train[:60], multilabels(digits.y_train[:60])
    Xe, Ye = digits.X_test[:100], multilabels(digits.y_test[:100])
    w = np.random.default_rng(5).integers(0, 4, 60).astype(float) if weighted else None
    m, epochs = 10, 2
    net = Network([64, 12, 3], seed=2)
    h = net.fit(X, Y, epochs=epochs, batch_size=m, eta=1.0, shuffle=False, eval_data=(Xe, Ye), sample_weight=w)
    assert h.config["path"] == fast.PATHS[1]
    replay, running = Network([64, 12, 3], seed=2), []
    for _ in range(epochs):
        right = 0.0
        for s in range(0, 60, m):
            ws = None if w is None else w[s:s + m]
            right += subset_accuracy(replay, X[s:s + m], Y[s:s + m], ws) * (m if w is None else ws.sum())
            replay.fit(X[s:s + m], Y[s:s + m], epochs=1, batch_size=m, eta=1.0, shuffle=False, monitor="off",
                       sample_weight=ws)
        running.append(right / (60 if w is None else w.sum()))
    np.testing.assert_allclose(h.train_accuracy[1:], running, rtol=1e-12)
    assert h.eval_accuracy[-1] == pytest.approx(subset_accuracy(net, Xe, Ye))
    # the exact record, and Network.accuracy, of the trained network
    exact = Network([64, 12, 3], seed=2).fit(X, Y, epochs=epochs, batch_size=m, eta=1.0, shuffle=False,
                                            monitor="exact", sample_weight=w)
    assert exact.train_accuracy[-1] == pytest.approx(subset_accuracy(net, X, Y, w), rel=1e-12)
    assert net.accuracy(X, Y, sample_weight=w) == pytest.approx(subset_accuracy(net, X, Y, w), rel=1e-12)
    # not the argmax's count of one-hot classes
    argmax = np.average(np.argmax(net.feedforward(X), axis=1) == np.argmax(Y, axis=1), weights=w)
    assert exact.train_accuracy[-1] != pytest.approx(argmax)


def test_one_label_per_row_is_one_hot_classes_and_counted_by_the_argmax(digits):
    net = Network([64, 12, 10], seed=2)
    X, Y = digits.X_train[:50], np.eye(10, dtype=np.int64)[digits.y_train[:50]]
    h = net.fit(X, Y, epochs=1, batch_size=10, monitor="exact")
    y = digits.y_train[:50]
    assert h.train_accuracy[-1] == net.accuracy(X, y) == np.mean(net.predict(X) == y)
