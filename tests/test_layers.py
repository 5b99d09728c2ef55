"""Per-layer records: the speed of learning ||nabla_b^l||, saturated and dead units, and the warnings.

The speed is checked against central finite differences of the mean cost (entry
0, the exact gradient) and against the plain engine stepping batch by batch (an
epoch's running gradient); dead and saturated fractions on networks built to be
dead or saturated; a group's members against their solo runs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import costlab
from costlab import engine
from costlab.engine import Settings
from costlab.group import NetworkGroup
from costlab.network import Network


def small(seed=0, n=23, sizes=(5, 4, 3, 2)):
    rng = np.random.default_rng(seed)
    X = rng.random((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return X, y


@pytest.mark.parametrize("activation,cost", [("sigmoid", "quadratic"), ("tanh", "cross-entropy"),
                                             ("relu", "log-likelihood")])
def test_speed_at_the_start_is_the_length_of_the_finite_difference_gradient(activation, cost):
    X, y = small()
    net = Network([5, 4, 3, 2], activation=activation, cost=cost, seed=1)
    h = net.fit(X, y, epochs=0, layers=True)
    eps = 1e-6
    for l, b in enumerate(net.biases):
        grad = np.empty_like(b)
        for j in range(b.size):
            b[j] += eps
            up = net.total_cost(X, y)
            b[j] -= 2 * eps
            down = net.total_cost(X, y)
            b[j] += eps
            grad[j] = (up - down) / (2 * eps)
        assert h.layers["speed"][0][l] == pytest.approx(np.linalg.norm(grad), rel=1e-6)


def test_speed_of_an_epoch_is_the_mean_gradient_each_batch_takes_before_its_step():
    X, y = small(n=23)
    Y = np.eye(2)[y]
    net = Network([5, 4, 3, 2], activation="sigmoid", cost="cross-entropy", seed=2)
    W = [w.copy() for w in net.weights]
    B = [b.copy() for b in net.biases]
    h = net.fit(X, y, epochs=2, batch_size=5, eta=0.7, shuffle=False, layers=True)
    act, cost = costlab.activations.ACTIVATIONS["sigmoid"], costlab.costs.COSTS["cross-entropy"]
    settings = Settings(eta=0.7, n=23)
    for epoch in (1, 2):
        total = [np.zeros_like(b) for b in B]
        for s in range(0, 23, 5):
            nw, nb = engine.backprop(W, B, X[s:s + 5], Y[s:s + 5], act, act, cost)
            total = [t + g for t, g in zip(total, nb)]
            engine.update(W, B, nw, nb, len(X[s:s + 5]), settings)
        expected = [np.linalg.norm(t / 23) for t in total]
        np.testing.assert_allclose(h.layers["speed"][epoch], expected, rtol=1e-12)
    # the records change nothing in the training itself
    for w, w_ref in zip(net.weights, W):
        np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-15)


def test_records_leave_training_unchanged_and_appear_in_to_dict(digits):
    runs = []
    for layers in (False, True):
        net = Network([64, 20, 10], activation="relu", seed=3)
        h = net.fit(digits.X_train[:300], digits.y_train[:300], epochs=2, eta=0.1, layers=layers)
        runs.append((net, h))
    (a, ha), (b, hb) = runs
    for wa, wb in zip(a.weights, b.weights):  # bit for bit
        np.testing.assert_array_equal(wa, wb)
    assert ha.train_cost == hb.train_cost
    assert "layers" not in ha.to_dict()
    d = hb.to_dict()["layers"]
    assert len(d["speed"]) == 3 and all(len(row) == 2 for row in d["speed"])
    # relu hidden layer: dead, no saturated; sigmoid output: saturated, no dead
    assert d["saturated"][0][0] is None and d["dead"][0][1] is None
    assert d["dead"][0][0] is not None and d["saturated"][0][1] is not None


def test_huge_negative_relu_biases_are_dead_and_named(digits):
    net = Network([64, 20, 15, 10], activation="relu", seed=0)
    net.biases[1] = np.full(15, -1e3)
    with pytest.warns(costlab.LayerWarning, match="hidden layer 2 \\(relu\\) is dead before training"):
        h = net.fit(digits.X_train[:200], digits.y_train[:200], epochs=1, layers=True)
    assert h.layers["dead"][0][1] == 1.0 and h.layers["dead"][1][1] == 1.0
    assert h.layers["dead"][0][0] < 0.5
    # nothing flows back through a dead layer: the layers below it get no gradient
    assert h.layers["speed"][0][0] == 0.0 and h.layers["speed"][0][1] == 0.0


def test_large_sigmoid_weights_are_saturated_and_named(digits):
    net = Network([64, 20, 10], activation="sigmoid", seed=0)
    net.weights[0] = net.weights[0] * 300
    with pytest.warns(costlab.LayerWarning, match="hidden layer 1 \\(sigmoid\\) is saturated"):
        h = net.fit(digits.X_train[:200], digits.y_train[:200], epochs=1, layers=True)
    assert h.layers["saturated"][0][0] == 1.0
    assert h.layers["dead"][0] == [None, None]


def test_a_saturated_quadratic_output_names_the_slowdown_and_cross_entropy_does_not(digits):
    for cost, expect in (("quadratic", True), ("cross-entropy", False)):
        net = Network([64, 20, 10], cost=cost, seed=0)
        net.biases[1] = np.full(10, -12.0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = net.fit(digits.X_train[:200], digits.y_train[:200], epochs=1, eta=0.1, layers=True)
        messages = [str(w.message) for w in caught if issubclass(w.category, costlab.LayerWarning)]
        assert h.layers["saturated"][0][1] == 1.0
        if expect:
            assert len(messages) == 1 and "slowdown of the blog post" in messages[0]
            assert "cross-entropy" in messages[0]
        else:
            assert messages == []


def test_a_healthy_run_warns_of_nothing(digits):
    # pytest turns every warning into an error: a LayerWarning would fail this test
    for cost in ("quadratic", "cross-entropy"):
        net = Network([64, 30, 10], cost=cost, seed=0)
        net.fit(digits.X_train, digits.y_train, epochs=3, layers=True)


def test_group_members_equal_their_solo_runs(digits):
    X, y = digits.X_train[:400], digits.y_train[:400]
    costs = ["quadratic", "cross-entropy", "log-likelihood"]
    # two different outputs (sigmoid, softmax): the saturated fraction of the output only where it applies
    group = NetworkGroup([Network([64, 12, 11, 10], cost=c, activation="tanh", seed=5) for c in costs])
    hs = group.fit(X, y, epochs=2, eta=0.3, layers=True)
    for c, hg in zip(costs, hs):
        solo = Network([64, 12, 11, 10], cost=c, activation="tanh", seed=5)
        h = solo.fit(X, y, epochs=2, eta=0.3, layers=True)
        np.testing.assert_allclose(hg.layers["speed"], h.layers["speed"], rtol=1e-9)
        assert hg.layers["saturated"][:2] == h.layers["saturated"][:2]
        assert hg.layers["dead"] == h.layers["dead"]


# --------------------------------------------------------------------------- #
# costlab train: the live diagnosis
# --------------------------------------------------------------------------- #

def test_costlab_train_names_the_dead_relu_layer_and_trains_on():
    from clitools import invoke

    code, out, err = invoke("train", "--data", "digits", "--activation", "relu", "--eta", "5", "--epochs", "5",
                            "--layers")
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costlab train: warning: hidden layer 1 (relu) is dead")
    assert "hidden 1 |nabla_b|" in out and "dead 100%" in out
    assert len([line for line in out.splitlines() if line.startswith("│")]) == 6  # every epoch trained


def test_costlab_train_names_the_slowdown_of_a_saturated_quadratic_output():
    from clitools import invoke

    code, out, err = invoke("train", "--data", "digits", "--cost", "quadratic", "--eta", "20", "--epochs", "2",
                            "--json")
    assert code == 0
    [line] = err.strip().splitlines()
    assert "slowdown of the blog post" in line and "try the cross-entropy cost" in line
    import json

    layers = json.loads(out)["history"]["layers"]
    assert len(layers["speed"]) == 3 and len(layers["speed"][0]) == 2


def test_costlab_train_is_silent_on_a_healthy_run():
    from clitools import invoke

    for cost in ("quadratic", "cross-entropy"):
        code, out, err = invoke("train", "--data", "digits", "--cost", cost, "--epochs", "3")
        assert code == 0 and err == ""


# --------------------------------------------------------------------------- #
# costlab layers: Nielsen's chapter 5, and what ReLU and the cross-entropy change
# --------------------------------------------------------------------------- #

def test_costlab_layers_reproduces_chapter_5_and_writes_its_figure(tmp_path):
    import json

    from clitools import PNG_MAGIC, invoke

    code, out, err = invoke("layers", "--data", "digits", "--sizes", "64,30,30,30,10", "--epochs", "3",
                            "--limit", "500", "--out", tmp_path, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert [(r["cost"], r["activation"]) for r in d["runs"]] == [
        ("quadratic", "sigmoid"), ("cross-entropy", "sigmoid"), ("quadratic", "relu"), ("cross-entropy", "relu")]
    runs = {(r["cost"], r["activation"]): r for r in d["runs"]}
    for r in d["runs"]:
        assert len(r["speed"]) == 4 and all(len(row) == 4 for row in r["speed"])
    for cost in ("quadratic", "cross-entropy"):
        sig, relu = runs[cost, "sigmoid"]["speed"][0], runs[cost, "relu"]["speed"][0]
        # chapter 5: in the sigmoid network the first hidden layer learns several times slower than the last
        assert sig[0] < sig[1] < sig[2] and sig[2] / sig[0] > 5
        # ReLU carries no factor sigma'(z) <= 1/4: the first layer is far less behind
        assert relu[2] / relu[0] < sig[2] / sig[0] / 3
    # the same start: the cross-entropy's output error is the quadratic's without sigma'(z), so it is larger
    assert runs["cross-entropy", "sigmoid"]["speed"][0][3] > runs["quadratic", "sigmoid"]["speed"][0][3]
    assert runs["quadratic", "relu"]["saturated"][0][:3] == [None] * 3
    assert runs["quadratic", "sigmoid"]["dead"][0] == [None] * 4
    assert (tmp_path / "layers.png").read_bytes().startswith(PNG_MAGIC)
    assert json.loads((tmp_path / "layers.json").read_text()) == d


def test_costlab_layers_rejects_unknown_names_in_one_line():
    from clitools import run_main

    code, out, err = run_main("layers", "--activations", "sigmoid,swish")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--activations" in err


def test_costlab_layers_shows_a_diverged_run_where_it_ends():
    import json

    from clitools import invoke

    args = ("layers", "--init", "large", "--activations", "relu", "--costs", "cross-entropy", "--epochs", "2",
            "--limit", "300", "--sizes", "64,30,30,30,10")
    code, out, err = invoke(*args)
    assert code == 0, err
    assert "0 (diverged)" in out
    code, out, err = invoke(*args, "--json")
    [run] = json.loads(out)["runs"]
    assert run["diverged"] == 1 and len(run["speed"]) == 1  # only the state before training


def test_group_of_own_batch_orders_with_momentum_equals_its_solo_runs(digits):
    X, y = digits.X_train[:300], digits.y_train[:300]
    group = NetworkGroup([Network([64, 16, 10], activation="relu", seed=s) for s in (1, 2)])
    hs = group.fit(X, y, epochs=2, eta=0.2, mu=0.5, layers=True)
    for s, hg in zip((1, 2), hs):
        h = Network([64, 16, 10], activation="relu", seed=s).fit(X, y, epochs=2, eta=0.2, mu=0.5, layers=True)
        np.testing.assert_allclose(hg.layers["speed"], h.layers["speed"], rtol=1e-9)
        assert hg.layers["dead"] == h.layers["dead"] and hg.layers["saturated"] == h.layers["saturated"]
