"""Networks trained side by side: a NetworkGroup equals its members trained alone.

The issue's requirement: a network trained in a group ends with the weights it
would have reached alone, within 1e-12 in float64. Checked for members with
their own seeds (each its own batch order), for members sharing one seed (the
shared-input path through one stacked matrix), for mixed costs, learning
rates, regularization and momentum, several layer shapes, batch sizes that
leave a short last batch, float32, and members split into blocks and batches
gathered in chunks. Then divergence (one member frozen, the others unaffected)
and the checks of the group's arguments.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import costlab.fast
from costlab.data import load_data
from costlab.group import NetworkGroup
from costlab.network import History, Network, TrainingDiverged
from conftest import floats, multilabels, onehot, subset_accuracy

N_TRAIN = 250          # 250 = 35 * 7 + 5 = 20 * 12 + 10: the last batch is short
EPOCHS = 3
TOL64 = 1e-12


@pytest.fixture(scope="module")
def data():
    d = load_data("digits")
    return d.X_train[:N_TRAIN], d.y_train[:N_TRAIN], d.X_test, d.y_test


#: (cost, eta, lmbda): every cost, different learning rates and regularization
MEMBERS = [
    ("quadratic", 3.0, 0.0),
    ("cross-entropy", 0.5, 1.0),
    ("log-likelihood", 0.2, 0.5),
    ("cross-entropy", 0.1, 0.0),
]


def solo(data, sizes, cost, seed, eta, lmbda=0.0, mu=0.0, dtype="float64", batch_size=7, epochs=EPOCHS,
         monitor="running"):
    """One network trained alone with Network.fit; returns (network, history)."""
    X, y, Xe, ye = data
    net = Network(sizes, cost=cost, seed=seed, dtype=dtype)
    h = net.fit(X, y, epochs=epochs, batch_size=batch_size, eta=eta, lmbda=lmbda, mu=mu, eval_data=(Xe, ye),
                monitor=monitor)
    return net, h


def grouped(data, sizes, specs, mu=0.0, dtype="float64", batch_size=7, epochs=EPOCHS, **kwargs):
    """specs: (cost, seed, eta, lmbda) per member; returns (networks, group, histories)."""
    X, y, Xe, ye = data
    nets = [Network(sizes, cost=c, seed=s, dtype=dtype) for c, s, _, _ in specs]
    group = NetworkGroup(nets)
    hs = group.fit(
        X, onehot(y), epochs=epochs, batch_size=batch_size, eta=[e for _, _, e, _ in specs],
        lmbda=[lm for _, _, _, lm in specs], mu=mu, eval_data=(Xe, onehot(ye)), **kwargs,
    )
    return nets, group, hs


def max_diff(a: Network, b: Network) -> float:
    return max(
        max(np.max(np.abs(np.asarray(wa, float) - np.asarray(wb, float))) for wa, wb in zip(a.weights, b.weights)),
        max(np.max(np.abs(np.asarray(ba, float) - np.asarray(bb, float))) for ba, bb in zip(a.biases, b.biases)),
    )


def assert_group_equals_solo(data, sizes, specs, *, mu=0.0, dtype="float64", batch_size=7, tol=TOL64):
    nets, group, hs = grouped(data, sizes, specs, mu=mu, dtype=dtype, batch_size=batch_size)
    n_eval = len(data[2])
    for k, (cost, seed, eta, lmbda) in enumerate(specs):
        alone, h = solo(data, sizes, cost, seed, eta, lmbda, mu, dtype, batch_size)
        assert nets[k].dtype == np.dtype(dtype)
        d = max_diff(nets[k], alone)
        assert d <= tol, f"member {k} ({cost}, eta {eta}) differs from its solo run by {d:g}"
        assert hs[k].epoch == h.epoch == list(range(EPOCHS + 1))
        if dtype == "float64":
            assert hs[k].eval_accuracy == h.eval_accuracy
            assert hs[k].train_accuracy == h.train_accuracy
        else:  # float32: a sample on the edge may flip
            assert np.max(np.abs(np.subtract(hs[k].eval_accuracy, h.eval_accuracy))) <= 1.5 / n_eval
        np.testing.assert_allclose(hs[k].eval_cost, h.eval_cost, rtol=1e3 * tol, atol=1e3 * tol)
        np.testing.assert_allclose(floats(hs[k].train_cost), floats(h.train_cost), rtol=1e3 * tol, atol=1e3 * tol)
        # the same settings; the path may differ (a group of mixed costs trains on the NumPy path, each
        # member alone in the compiled kernel)
        assert {**hs[k].config, "path": None} == {**h.config, "path": None}
        assert hs[k].diverged is None
    # the members hold the group's results
    for k, net in enumerate(nets):
        assert net.epochs_trained == EPOCHS
        for l in range(len(sizes) - 1):
            np.testing.assert_array_equal(net.weights[l], group.weights[l][k])
            np.testing.assert_array_equal(net.biases[l], group.biases[l][k])
    assert list(group.diverged_at) == [-1] * len(specs)
    return nets, group, hs


SHAPES = [[64, 30, 10], [64, 20, 15, 10], [64, 10], [64, 40, 10]]  # 40 x 65 > GEMM_MIN_SIZE: BLAS alone too


# --------------------------------------------------------------------------- #
# 1. A group equals its members trained alone
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("mu", [0.0, 0.5], ids=["plain", "momentum"])
@pytest.mark.parametrize("sizes, batch_size", [(s, b) for s, b in zip(SHAPES, (7, 12, 7, 12))],
                         ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else f"m{v}")
def test_members_with_their_own_seeds_equal_their_solo_runs(data, sizes, batch_size, mu):
    specs = [(c, seed, eta, lmbda) for seed, (c, eta, lmbda) in zip((11, 12, 13, 14), MEMBERS)]
    assert_group_equals_solo(data, sizes, specs, mu=mu, batch_size=batch_size)


@pytest.mark.parametrize("mu", [0.0, 0.5], ids=["plain", "momentum"])
@pytest.mark.parametrize("sizes, batch_size", [(s, b) for s, b in zip(SHAPES, (12, 7, 12, 7))],
                         ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else f"m{v}")
def test_members_sharing_a_seed_equal_their_solo_runs(data, sizes, batch_size, mu):
    # one seed: the same initial weights and batch order, one stacked matrix per layer
    specs = [(c, 5, eta, lmbda) for c, eta, lmbda in MEMBERS]
    nets, _, hs = assert_group_equals_solo(data, sizes, specs, mu=mu, batch_size=batch_size)
    # and the group really trained different networks from the same start
    assert max_diff(nets[1], nets[3]) > 0.01
    assert hs[0].eval_accuracy[0] == hs[1].eval_accuracy[0] == hs[2].eval_accuracy[0]


@pytest.mark.parametrize("shared", [False, True], ids=["own-seeds", "shared-seed"])
@pytest.mark.parametrize("mu", [0.0, 0.5], ids=["plain", "momentum"])
def test_float32_group_equals_solo_within_float32_precision(data, shared, mu):
    specs = [(c, 5 if shared else 20 + i, eta, lmbda) for i, (c, eta, lmbda) in enumerate(MEMBERS)]
    nets, _, _ = assert_group_equals_solo(data, [64, 30, 10], specs, mu=mu, dtype="float32", tol=2e-5)
    assert all(w.dtype == np.float32 for net in nets for w in net.weights)


@pytest.mark.parametrize("shared", [False, True], ids=["own-seeds", "shared-seed"])
def test_group_in_blocks_of_members_and_chunks_of_batches_equals_solo(data, shared, monkeypatch):
    # tiny blocks and chunks: each member its own block, a few batches per chunk
    monkeypatch.setattr(costlab.fast, "GROUP_BLOCK_BYTES", 1)
    monkeypatch.setattr(costlab.fast, "GATHER_BYTES", 3 * 7 * 65 * 8)
    specs = [(c, 3 if shared else 30 + i, eta, lmbda) for i, (c, eta, lmbda) in enumerate(MEMBERS)]
    assert_group_equals_solo(data, [64, 30, 10], specs, mu=0.5)


def test_a_group_of_image_sized_networks_with_mixed_costs_equals_solo():
    # [784, 30, 10] members are large enough to be trained in several blocks of members;
    # each block must use its own members' costs
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 784)), rng.integers(0, 10, 40)
    costs = ["quadratic", "cross-entropy", "log-likelihood", "cross-entropy", "quadratic"]
    nets = [Network([784, 30, 10], cost=c, seed=0) for c in costs]
    hs = NetworkGroup(nets).fit(X, onehot(y), epochs=2, eta=[0.5, 0.4, 0.3, 0.2, 0.1])
    for k, c in enumerate(costs):
        alone = Network([784, 30, 10], cost=c, seed=0)
        h = alone.fit(X, y, epochs=2, eta=[0.5, 0.4, 0.3, 0.2, 0.1][k])
        assert max_diff(nets[k], alone) <= TOL64
        assert hs[k].train_cost[0] is h.train_cost[0] is None
        assert hs[k].train_cost[1:] == pytest.approx(h.train_cost[1:], rel=1e-12, abs=1e-12)


def test_a_batch_larger_than_the_data_is_one_batch(data):
    specs = [("cross-entropy", 1, 0.5, 0.0), ("quadratic", 2, 3.0, 0.0)]
    assert_group_equals_solo(data, [64, 30, 10], specs, batch_size=1000)


def test_a_group_of_one_is_network_fit_bit_for_bit(data):
    X, y, Xe, ye = data
    for cost, eta, lmbda in MEMBERS:
        alone, h = solo(data, [64, 20, 15, 10], cost, 9, eta, lmbda, mu=0.3)
        net = Network([64, 20, 15, 10], cost=cost, seed=9)
        group = NetworkGroup([net])
        [hg] = group.fit(X, onehot(y), epochs=EPOCHS, batch_size=7, eta=eta, lmbda=lmbda, mu=0.3,
                         eval_data=(Xe, onehot(ye)))
        for l in range(3):
            assert np.array_equal(net.weights[l], alone.weights[l])
            assert np.array_equal(net.biases[l], alone.biases[l])
            assert np.array_equal(group.weights[l][0], alone.weights[l])
        assert hg.to_dict() == h.to_dict()
        assert net.epochs_trained == alone.epochs_trained == EPOCHS


def test_members_are_written_back_after_every_epoch(data):
    X, y, Xe, ye = data
    nets = [Network([64, 30, 10], cost=c, seed=s) for c, s in (("quadratic", 1), ("log-likelihood", 2))]
    start = [w.copy() for w in nets[0].weights]
    group = NetworkGroup(nets)
    seen = []

    def on_epoch(g, epoch, histories):
        # the networks are up to date whenever on_epoch is called
        for k, net in enumerate(nets):
            for l in range(2):
                np.testing.assert_array_equal(net.weights[l], g.weights[l][k])
                np.testing.assert_array_equal(net.biases[l], g.biases[l][k])
        seen.append((epoch, [len(h) for h in histories]))

    group.fit(X, onehot(y), epochs=2, eta=[1.0, 0.1], on_epoch=on_epoch)
    assert seen == [(0, [1, 1]), (1, [2, 2]), (2, [3, 3])]
    assert not np.array_equal(nets[0].weights[0], start[0])
    # the group trains copies: changing a network afterwards leaves the group alone
    before = group.weights[0][0].copy()
    nets[0].weights[0] *= 2
    np.testing.assert_array_equal(group.weights[0][0], before)


def test_continuing_a_group_equals_training_in_one_go(data):
    X, y, Xe, ye = data
    specs = [("quadratic", 1, 3.0, 0.0), ("cross-entropy", 2, 0.5, 0.0)]
    once, _, h_once = grouped(data, [64, 30, 10], specs, epochs=4)
    nets = [Network([64, 30, 10], cost=c, seed=s) for c, s, _, _ in specs]
    group = NetworkGroup(nets)
    hs = group.fit(X, onehot(y), epochs=2, batch_size=7, eta=[3.0, 0.5], eval_data=(Xe, onehot(ye)))
    hs = group.fit(X, onehot(y), epochs=2, batch_size=7, eta=[3.0, 0.5], eval_data=(Xe, onehot(ye)), histories=hs)
    for k in range(2):
        assert max_diff(nets[k], once[k]) <= TOL64
        assert hs[k].epoch == [0, 1, 2, 3, 4]
        assert hs[k].eval_accuracy == h_once[k].eval_accuracy


# --------------------------------------------------------------------------- #
# 2. Divergence
# --------------------------------------------------------------------------- #

#: per momentum, (cost, seed, eta, lmbda) of a network that diverges after some good epochs
DIVERGERS = {0.0: ("log-likelihood", 1, 25.0, 0.0), 0.5: ("cross-entropy", 2, 12.0, 0.0)}
DIV_EPOCHS = 6


def solo_divergence_epoch(data, mu):
    X, y, _, _ = data
    cost, seed, eta, lmbda = DIVERGERS[mu]
    net = Network([64, 30, 10], cost=cost, seed=seed)
    with pytest.raises(TrainingDiverged) as exc:
        net.fit(X, y, epochs=DIV_EPOCHS, batch_size=7, eta=eta, mu=mu, monitor="exact")
    return exc.value.epoch, net


@pytest.fixture
def numpy_path(monkeypatch):
    """Solo runs on the NumPy path, as the group of mixed costs trains: a learning rate this close to
    divergence amplifies the last-bit differences between the paths (1e-15 to 1e-4 in a few epochs)."""
    from costlab import fast

    monkeypatch.setattr(fast, "KERNEL", "never")


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("shared", [False, True], ids=["own-seeds", "shared-seed"])
@pytest.mark.parametrize("mu", [0.0, 0.5], ids=["plain", "momentum"])
def test_a_diverging_member_is_frozen_and_the_others_train_on(data, shared, mu):
    e, _ = solo_divergence_epoch(data, mu)
    assert 2 <= e <= DIV_EPOCHS, "the diverging member should have some good epochs"
    diverger = DIVERGERS[mu]
    seed = diverger[1]
    others = [("cross-entropy", seed if shared else 11, 0.5, 0.0), ("quadratic", seed if shared else 12, 3.0, 0.1)]
    specs = [others[0], diverger, others[1]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nets, group, hs = grouped(data, [64, 30, 10], specs, mu=mu, epochs=DIV_EPOCHS, monitor="exact")

    h = hs[1]
    assert h.diverged["epoch"] == e
    assert "exploded" in h.diverged["reason"] or "finite" in h.diverged["reason"]
    assert set(h.diverged) == {"epoch", "reason"}
    assert h.to_dict()["diverged"] == h.diverged
    assert h.epoch == list(range(e)), "the history stops at the last good epoch"
    assert list(group.diverged_at) == [-1, e, -1]
    assert nets[1].epochs_trained == e - 1
    # frozen at its last good weights: those of a solo run of e - 1 epochs
    last_good, h_good = solo(data, [64, 30, 10], *diverger[:3], mu=mu, epochs=e - 1, monitor="exact")
    assert all(np.all(np.isfinite(w)) for w in nets[1].weights + nets[1].biases)
    # with its own seed the member computes exactly as alone; sharing the others' inputs, it
    # goes through the stacked product, whose last-bit differences a learning rate this close
    # to divergence amplifies (1e-15 -> 1e-9 in three epochs)
    assert max_diff(nets[1], last_good) <= (1e-6 if shared else TOL64)
    if not shared:
        assert h.eval_accuracy == h_good.eval_accuracy
    for l in range(2):
        np.testing.assert_array_equal(group.weights[l][1], nets[1].weights[l])
    # the others equal their solo runs over all the epochs
    for k in (0, 2):
        c, s, eta, lmbda = specs[k]
        alone, h_alone = solo(data, [64, 30, 10], c, s, eta, lmbda, mu, epochs=DIV_EPOCHS, monitor="exact")
        assert max_diff(nets[k], alone) <= TOL64
        assert hs[k].eval_accuracy == h_alone.eval_accuracy
        assert hs[k].diverged is None
        assert nets[k].epochs_trained == DIV_EPOCHS


@pytest.mark.usefixtures("numpy_path")
def test_on_diverge_raise_raises_with_the_epoch(data):
    X, y, Xe, ye = data
    e, net = solo_divergence_epoch(data, 0.0)
    # Network.fit raises and leaves the network at its last good epoch
    cost, seed, eta, _ = DIVERGERS[0.0]
    last_good, _ = solo(data, [64, 30, 10], cost, seed, eta, epochs=e - 1, monitor="exact")
    assert max_diff(net, last_good) <= TOL64
    assert net.epochs_trained == e - 1
    nets = [Network([64, 30, 10], cost="cross-entropy", seed=seed + 10), Network([64, 30, 10], cost=cost, seed=seed)]
    with pytest.raises(TrainingDiverged) as exc:
        NetworkGroup(nets).fit(X, onehot(y), epochs=DIV_EPOCHS, batch_size=7, eta=[0.5, eta], on_diverge="raise",
                               monitor="exact")
    assert exc.value.epoch == e
    assert f"eta = {eta:g}" in str(exc.value)
    assert max_diff(nets[1], last_good) <= TOL64


def test_a_member_whose_weights_overflow_is_frozen_at_its_start(data):
    X, y, _, _ = data
    nets = [Network([64, 30, 10], cost="cross-entropy", seed=1), Network([64, 30, 10], cost="cross-entropy", seed=1)]
    start = [w.copy() for w in nets[1].weights]
    group = NetworkGroup(nets)
    hs = group.fit(X, onehot(y), epochs=2, eta=[0.5, 1e300])
    assert hs[1].diverged == {"epoch": 1, "reason": "the weights are no longer finite"}
    assert list(group.diverged_at) == [-1, 1]
    for l in range(2):
        np.testing.assert_array_equal(nets[1].weights[l], start[l])
    assert len(hs[0]) == 3 and len(hs[1]) == 1


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy", "log-likelihood"])
def test_an_absurd_learning_rate_diverges_without_warnings(data, cost):
    # weights of about 1e308 are finite, but their sum is not: the check must not warn
    X, y, _, _ = data
    net = Network([64, 30, 10], cost=cost, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDiverged) as exc:
            net.fit(X, y, epochs=2, eta=1.7e308)
    assert exc.value.epoch == 1
    assert all(np.all(np.isfinite(w)) for w in net.weights)


def test_a_group_of_only_diverging_members_stops(data):
    X, y, _, _ = data
    nets = [Network([64, 30, 10], cost="cross-entropy", seed=s) for s in (1, 2)]
    calls = []
    group = NetworkGroup(nets)
    hs = group.fit(X, onehot(y), epochs=5, eta=1e6, on_epoch=lambda g, e, h: calls.append(e))
    assert [h.diverged["epoch"] for h in hs] == [1, 1]
    assert len(calls) == 2   # before training and after the epoch in which both diverged; no more
    assert list(group.diverged_at) == [1, 1]
    assert list(group.epochs_trained) == [0, 0]


# --------------------------------------------------------------------------- #
# 3. Checked arguments
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize(
    "other",
    [
        dict(sizes=[64, 20, 10]),
        dict(activation="tanh"),
        dict(dtype="float32"),
    ],
    ids=["sizes", "activation", "dtype"],
)
def test_members_must_share_sizes_activation_and_dtype(other):
    kwargs = dict(sizes=[64, 30, 10], activation="sigmoid", dtype="float64")
    kwargs.update(other)
    sizes = kwargs.pop("sizes")
    with pytest.raises(ValueError, match="sizes, hidden activation and dtype"):
        NetworkGroup([Network([64, 30, 10], seed=1), Network(sizes, seed=2, **kwargs)])


def test_members_may_differ_in_cost_and_output_activation():
    group = NetworkGroup([
        Network([4, 3, 2], cost="quadratic", seed=1),
        Network([4, 3, 2], cost="log-likelihood", seed=2),
        Network([4, 3, 2], cost="quadratic", output_activation="identity", seed=3),
    ])
    assert group.K == 3


def test_an_empty_group_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        NetworkGroup([])


@pytest.mark.parametrize(
    "eta, match",
    [
        ([0.5, 0.5, 0.5], "2 numbers"),
        ([0.5], "2 numbers"),
        (0.0, "> 0"),
        (-0.5, "> 0"),
        ([0.5, 0.0], "> 0"),
        ([0.5, -1.0], "> 0"),
        (float("nan"), "finite"),
        ([0.5, float("nan")], "finite"),
        ([0.5, float("inf")], "finite"),
        ("fast", "number"),
    ],
)
def test_bad_learning_rates_are_refused_before_training(data, eta, match):
    X, y, _, _ = data
    nets = [Network([64, 30, 10], seed=1), Network([64, 30, 10], seed=2)]
    start = [w.copy() for w in nets[0].weights]
    group = NetworkGroup(nets)
    with pytest.raises(ValueError, match=match):
        group.fit(X, onehot(y), epochs=1, eta=eta)
    np.testing.assert_array_equal(group.weights[0][0], start[0])
    np.testing.assert_array_equal(nets[0].weights[0], start[0])


@pytest.mark.parametrize("lmbda", [[0.1, 0.1, 0.1], -1.0, [0.0, float("nan")]])
def test_bad_lmbda_is_refused(data, lmbda):
    X, y, _, _ = data
    group = NetworkGroup([Network([64, 30, 10], seed=1), Network([64, 30, 10], seed=2)])
    with pytest.raises(ValueError, match="lmbda"):
        group.fit(X, onehot(y), epochs=1, lmbda=lmbda)


@pytest.mark.parametrize("kwargs", [dict(mu=1.0), dict(mu=-0.1), dict(on_diverge="ignore"), dict(epochs=-1),
                                    dict(batch_size=0)])
def test_other_bad_settings_are_refused(data, kwargs):
    X, y, _, _ = data
    group = NetworkGroup([Network([64, 30, 10], seed=1), Network([64, 30, 10], seed=2)])
    with pytest.raises(ValueError):
        group.fit(X, onehot(y), **kwargs)


def test_a_group_from_arrays_cannot_shuffle():
    from costlab.activations import ACTIVATIONS
    from costlab.costs import get_cost

    sigma = ACTIVATIONS["sigmoid"]
    wb = np.zeros((3, 1, 2))
    wb[:, 0, 0] = [1.0, 2.0, 3.0]
    group = NetworkGroup.of_arrays([1, 1], [wb], cost=get_cost("quadratic"), hidden=sigma, output=sigma)
    X, Y = np.array([[1.0]]), np.array([[0.0]])
    with pytest.raises(ValueError, match="shuffle"):
        group.fit(X, Y, epochs=1)
    np.testing.assert_array_equal(group.weights[0][:, 0, 0], [1.0, 2.0, 3.0])
    # without shuffling it trains, every member as the seed's neuron alone would
    assert group.fit(X, Y, epochs=3, batch_size=1, eta=0.15, shuffle=False, record=False) is None
    for k, w0 in enumerate([1.0, 2.0, 3.0]):
        net = Network([1, 1], cost="quadratic", output_activation="sigmoid")
        net.weights[0][...] = w0
        net.biases[0][...] = 0.0
        net.fit(X, Y, epochs=3, batch_size=1, eta=0.15, shuffle=False)
        assert abs(group.weights[0][k, 0, 0] - net.weights[0][0, 0]) <= TOL64
        assert abs(group.biases[0][k, 0] - net.biases[0][0]) <= TOL64


def test_new_histories_given_start_at_epoch_0(data):
    X, y, _, _ = data
    group = NetworkGroup([Network([64, 30, 10], seed=1), Network([64, 30, 10], seed=2)])
    hs = group.fit(X, onehot(y), epochs=1, histories=[History(), History()])
    assert [h.epoch for h in hs] == [[0, 1], [0, 1]]


@pytest.mark.parametrize("monitor", ["running", "exact"])
def test_a_group_records_the_subset_accuracy_of_multi_label_targets(digits, monitor):
    X, Y = digits.X_train[:60], multilabels(digits.y_train[:60])
    Xe, Ye = digits.X_test[:100], multilabels(digits.y_test[:100])
    w = np.random.default_rng(6).integers(0, 4, 60).astype(float)
    fit = dict(epochs=2, batch_size=10, eval_data=(Xe, Ye), sample_weight=w, monitor=monitor)
    nets = [Network([64, 12, 3], seed=s) for s in (1, 2)]
    histories = NetworkGroup(nets).fit(X, Y, eta=[0.5, 2.0], **fit)
    for seed, eta, net, hg in zip((1, 2), (0.5, 2.0), nets, histories):
        h = Network([64, 12, 3], seed=seed).fit(X, Y, eta=eta, **fit)  # its running record: see test_network
        np.testing.assert_allclose(floats(hg.train_accuracy), floats(h.train_accuracy), rtol=1e-12)
        assert hg.eval_accuracy[-1] == pytest.approx(subset_accuracy(net, Xe, Ye), rel=1e-12)
        if monitor == "exact":
            assert hg.train_accuracy[-1] == pytest.approx(subset_accuracy(net, X, Y, w), rel=1e-12)
