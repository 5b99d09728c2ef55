"""The fast path (costlab.fast) computes the steps of the plain engine (costlab.engine).

The plain engine is the reference: the book's equations, one NumPy call each.
The fast path stores [w | b] in one matrix, folds eta / m into delta, updates
each layer in place as back-propagation passes it (BLAS gemm with beta = 1),
converts rows a chunk at a time and, for groups, works through the first layer
a block of members at a time, pipelined with the next batch. Here both run
from the same start over the same batches, and must agree after every step to
rounding: for every cost, hidden activation, dtype, group size, momentum,
regularization and a short last batch.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costlab
from costlab import engine, fast
from costlab.activations import ACTIVATIONS
from costlab.costs import COSTS
from costlab.engine import Settings
from costlab.network import initial_parameters

COST_OUTPUTS = [("quadratic", "sigmoid"), ("cross-entropy", "sigmoid"), ("log-likelihood", "softmax"),
                ("quadratic", "identity"), ("quadratic", "tanh")]
TOL = {np.float64: 1e-12, np.float32: 2e-5}


def problem(sizes, K, n, dtype, seed, labels=True):
    """K networks' initial parameters (stacked when K > 1), inputs X and one-hot targets Y."""
    rng = np.random.default_rng(seed)
    params = [initial_parameters(sizes, "default", rng, dtype) for _ in range(K)]
    W = [np.stack([p[0][l] for p in params]) for l in range(len(sizes) - 1)]
    B = [np.stack([p[1][l] for p in params]) for l in range(len(sizes) - 1)]
    X = rng.random((n, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], n)] if labels else rng.random((n, sizes[-1])).astype(dtype)
    return W, B, X, Y


def plain_epoch(W, B, X, Y, order, m, hidden, output, cost, settings, velocities=None, after_step=None,
                sample_weight=None):
    """The reference: engine.sgd_step on each mini-batch in ``order``; returns the running record.

    With ``sample_weight`` the record is weighted: sum_x w_x C_x and the weights of the right answers.
    """
    C, right = 0.0, 0
    for s in range(0, len(order), m):
        idx = order[s:s + m]
        sw = None if sample_weight is None else sample_weight[idx]
        z, a = engine.sgd_step(W, B, X[idx], Y[idx], hidden, output, cost, settings, velocities, sw)
        ok = np.argmax(a, axis=-1) == np.argmax(Y[idx], axis=-1)
        if sw is None:
            C = C + cost.fn(z, a, Y[idx]).sum(axis=-1)
            right = right + np.sum(ok, axis=-1)
        else:
            C = C + cost.fn(z, a, Y[idx]) @ sw
            right = right + ok @ sw
        if after_step is not None:
            after_step()
    return C, right


def squeeze(arrays, K):
    return [a[0] for a in arrays] if K == 1 else arrays


def sample_weights(n, dtype, seed):
    """Weights in [0, 3) with a few zeros, and one whole mini-batch of zeros among the first rows."""
    rng = np.random.default_rng(seed + 11)
    w = (rng.random(n) * 3).astype(dtype)
    w[rng.random(n) < 0.2] = 0.0
    return w


def run_both(sizes, K, n, m, dtype, cost_name, output_name, hidden_name, mu=0.0, lmbda=0.0, seed=0,
             monkeypatch=None, one_batch_per_chunk=False, weighted=False):
    """Train one epoch both ways from the same start; return (plain W, B, record, fast wb, record, steps)."""
    W, B, X, Y = problem(sizes, K, n, dtype, seed)
    sw = sample_weights(n, dtype, seed) if weighted else None
    hidden = (tuple(ACTIVATIONS[h] for h in hidden_name) if isinstance(hidden_name, tuple)
              else ACTIVATIONS[hidden_name])  # one per hidden layer, or one for all
    output, cost = ACTIVATIONS[output_name], COSTS[cost_name]
    etas = np.linspace(0.05, 0.3, K) if K > 1 else np.array([0.2])
    lmbdas = np.full(K, lmbda)
    order = np.random.default_rng(seed + 1).permutation(n)
    if weighted:
        sw[order[m:2 * m]] = 0.0  # the second mini-batch weighs nothing: no gradient step, only the decay
    wb = [np.ascontiguousarray(w) for w in fast.stack(W, B)]
    vel = [np.zeros_like(w) for w in wb] if mu else None

    # the fast path: the training loop's own call
    settings_ = Settings(eta=etas, lmbda=lmbdas, mu=mu, n=n)
    decay = settings_.decay()
    if K == 1:
        eta, dec = float(etas[0]), None if decay is None else float(decay[0])
    else:
        eta, dec = etas[:, None, None].astype(dtype), None if decay is None else decay[:, None, None].astype(dtype)
    snapshots = []
    if one_batch_per_chunk:
        monkeypatch.setattr(fast, "GATHER_BYTES", 1)
    record = fast._Record(wb[0].shape[:-2] if K > 1 else (), m, weighted)
    fw, fv = squeeze(wb, K), None if vel is None else squeeze(vel, K)
    fast.train_epoch(fw, fv, X, Y, order, m, eta, dec, mu, hidden, output, cost, record,
                     on_batch=lambda done, total: snapshots.append([w.copy() for w in fw]), sample_weight=sw)

    # the plain path
    Wp, Bp = squeeze(W, K), squeeze(B, K)
    vp = None if not mu else ([np.zeros_like(w) for w in Wp], [np.zeros_like(b) for b in Bp])
    plain_snapshots = []
    C, right = plain_epoch(Wp, Bp, X, Y, order, m, hidden, output, cost,
                           Settings(eta=etas[0] if K == 1 else etas, lmbda=lmbda, mu=mu, n=n), vp,
                           after_step=lambda: plain_snapshots.append([w.copy() for w in fast.stack(Wp, Bp)]),
                           sample_weight=sw)
    return plain_snapshots, (C, right), snapshots, record


CASES = [
    # sizes, K, n, m
    ([4, 5, 3], 1, 23, 5),        # short last batch
    ([6, 7, 4, 3], 1, 20, 4),
    ([70, 40, 10], 1, 30, 7),     # 40 x 71 > GEMM_MIN_SIZE: the in-place BLAS update
    ([4, 5, 3], 3, 23, 5),        # a group
    ([70, 40, 10], 5, 30, 7),     # a group in blocks, BLAS update of the stacked matrix
]


@pytest.fixture
def numpy_path(monkeypatch):
    """The NumPy path of the fast module (the kernel, the default at these sizes, has tests of its own)."""
    monkeypatch.setattr(fast, "KERNEL", "never")


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("cost_name, output_name", COST_OUTPUTS)
@pytest.mark.parametrize("hidden_name", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("sizes, K, n, m", CASES, ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else str(v))
def test_fast_epoch_equals_plain_steps(sizes, K, n, m, cost_name, output_name, hidden_name):
    plain, (C, right), fast_snaps, record = run_both(sizes, K, n, m, np.float64, cost_name, output_name, hidden_name)
    for p, f in zip(plain[-1], fast_snaps[-1]):
        np.testing.assert_allclose(f, p, rtol=TOL[np.float64], atol=TOL[np.float64])
    np.testing.assert_allclose(record.cost, C, rtol=1e-12)
    np.testing.assert_array_equal(record.correct, right)


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("hidden", [("tanh", "relu"), ("sigmoid", "identity")])
def test_one_activation_per_hidden_layer_fast_equals_plain(K, hidden):
    plain, (C, right), fast_snaps, record = run_both([4, 5, 6, 3], K, 23, 5, np.float64, "quadratic", "sigmoid", hidden)
    for p, f in zip(plain[-1], fast_snaps[-1]):
        np.testing.assert_allclose(f, p, rtol=TOL[np.float64], atol=TOL[np.float64])
    np.testing.assert_allclose(record.cost, C, rtol=1e-12)


@pytest.mark.usefixtures("numpy_path")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu, lmbda", [(0.0, 0.0), (0.5, 0.0), (0.0, 2.0), (0.5, 2.0)],
                         ids=["plain", "momentum", "l2", "both"])
@pytest.mark.parametrize("sizes, K, n, m", [CASES[0], CASES[2], CASES[4]],
                         ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else str(v))
def test_fast_path_agrees_after_every_step(monkeypatch, sizes, K, n, m, dtype, mu, lmbda):
    # one mini-batch per chunk: the fast path reports after each step
    plain, _, fast_snaps, _ = run_both(sizes, K, n, m, dtype, "cross-entropy", "sigmoid", "sigmoid", mu=mu,
                                       lmbda=lmbda, monkeypatch=monkeypatch, one_batch_per_chunk=True)
    assert len(plain) == len(fast_snaps) == -(-n // m)
    for step, (p, f) in enumerate(zip(plain, fast_snaps)):
        for l, (pl, fl) in enumerate(zip(p, f)):
            np.testing.assert_allclose(fl, pl, rtol=TOL[dtype], atol=TOL[dtype],
                                       err_msg=f"step {step + 1}, layer {l}")


@pytest.mark.usefixtures("numpy_path")
@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=2, max_size=4),
    K=st.integers(1, 4),
    n=st.integers(1, 25),
    m=st.integers(1, 8),
    seed=st.integers(0, 2**16),
)
def test_fast_equals_plain_for_any_shape(sizes, K, n, m, seed):
    if sizes[-1] < 2:
        sizes = sizes[:-1] + [2]
    plain, (C, right), fast_snaps, record = run_both(sizes, K, n, m, np.float64, "log-likelihood", "softmax",
                                                     "tanh", mu=0.3, lmbda=0.5, seed=seed)
    for p, f in zip(plain[-1], fast_snaps[-1]):
        np.testing.assert_allclose(f, p, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(record.cost, C, rtol=1e-11)


KERNEL_CASES = [([4, 5, 3], 1, 23, 5), ([6, 7, 4, 3], 1, 20, 4), ([13, 9, 5], 1, 31, 7),
                ([13, 9, 5], 3, 31, 7),  # a group: each member's epoch in the kernel in turn
                ([37, 70, 13], 1, 40, 11),  # tiles with rows and panels left over, at every vector width
                ([70, 45, 20, 3], 1, 30, 6)]

try:
    from costlab import _kernels
    LEVELS = list(range(_kernels.LEVEL + 1))  # every processor level this machine runs, the baseline included
except ImportError:
    LEVELS = [-1]


@pytest.mark.parametrize("cost_name, output_name", COST_OUTPUTS)
@pytest.mark.parametrize("hidden_name", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("sizes, K, n, m", KERNEL_CASES, ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else str(v))
@pytest.mark.parametrize("level", LEVELS)
def test_the_compiled_kernel_equals_plain_steps(monkeypatch, sizes, K, n, m, cost_name, output_name, hidden_name,
                                                level):
    monkeypatch.setattr(fast, "KERNEL", "always")
    monkeypatch.setattr(fast, "KERNEL_LEVEL", level)
    plain, (C, right), fast_snaps, record = run_both(sizes, K, n, m, np.float64, cost_name, output_name, hidden_name)
    assert len(fast_snaps) == K  # one call for each network's whole epoch
    for p, f in zip(plain[-1], fast_snaps[-1]):
        np.testing.assert_allclose(f, p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(record.cost, C, rtol=1e-12)
    np.testing.assert_array_equal(record.correct, right)


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu, lmbda", [(0.0, 0.0), (0.5, 2.0)], ids=["plain", "momentum-l2"])
@pytest.mark.parametrize("sizes", [[4, 5, 3], [37, 70, 13]], ids=str)
@pytest.mark.parametrize("level", LEVELS)
def test_the_compiled_kernel_with_momentum_regularization_and_float32(monkeypatch, dtype, mu, lmbda, K, sizes, level):
    monkeypatch.setattr(fast, "KERNEL", "always")
    monkeypatch.setattr(fast, "KERNEL_LEVEL", level)
    plain, _, fast_snaps, _ = run_both(sizes, K, 23, 5, dtype, "cross-entropy", "sigmoid", "sigmoid", mu=mu,
                                       lmbda=lmbda)
    for p, f in zip(plain[-1], fast_snaps[-1]):
        np.testing.assert_allclose(f, p, rtol=TOL[dtype], atol=TOL[dtype])


def test_the_kernel_is_the_default_and_trains_like_the_numpy_path(monkeypatch, digits):
    # bytes and floats, through Network.fit: the kernel ("auto" chooses it at this size) and NumPy agree
    from costlab import Network

    X8 = np.round(digits.X_train * 255 / 16).astype(np.uint8)
    results = {}
    for mode in ("auto", "never"):
        monkeypatch.setattr(fast, "KERNEL", mode)
        calls = []
        monkeypatch.setattr(fast, "_kernel_epoch", lambda *a, _f=fast._kernel_epoch: calls.append(1) or _f(*a))
        net = Network([64, 30, 10], seed=3)
        h = net.fit(X8, digits.y_train, epochs=2, batch_size=10, eta=0.5)
        results[mode] = (net, h, len(calls))
    (kn, kh, kcalls), (nn, nh, ncalls) = results["auto"], results["never"]
    assert kcalls == 2 and ncalls == 0
    assert kh.config["path"] == "kernel" and nh.config["path"] == "numpy"
    for a, b in zip(kn.weights + kn.biases, nn.weights + nn.biases):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kh.train_cost[1:], nh.train_cost[1:], rtol=1e-12)
    assert kh.train_accuracy == nh.train_accuracy


@pytest.mark.parametrize("Y, multilabel", [
    ([[1, 0, 1], [0, 0, 0]], True), ([[1, 0, 0], [0, 0, 1]], False),  # one-hot classes
    ([[0.2, 0.3, 0.5], [1, 0, 0]], False), ([[1], [0]], False), ([[0, 2, 0], [1, 1, 0]], False)])
def test_multi_label_targets_never_take_the_kernel(monkeypatch, Y, multilabel):
    # the NumPy path counts their subset accuracy; the kernel counts the argmax
    monkeypatch.setattr(fast, "KERNEL", "always")
    Y = np.array(Y, dtype=float)
    wb = [np.zeros((Y.shape[1], 3))]
    assert fast.is_multilabel(Y) == multilabel
    path = fast.path_for(wb, np.zeros((2, 2)), Y, 1, ACTIVATIONS["sigmoid"], ACTIVATIONS["sigmoid"],
                         COSTS["cross-entropy"])
    assert path == (fast.PATHS[1] if multilabel else "kernel")


def test_the_path_depends_on_the_fit_alone_and_a_failed_kernel_falls_back_with_one_warning(monkeypatch, digits):
    # the kernel for a fit of any length up to KERNEL_MAX_WORK, NumPy's BLAS beyond; a kernel that fails to
    # load or run: one KernelWarning, the NumPy path for this and every later fit, the same numbers
    from costlab import Network

    short = Network([64, 30, 10], seed=3)
    assert short.fit(digits.X_train[:20], digits.y_train[:20], epochs=1, batch_size=10).config["path"] == "kernel"
    monkeypatch.setattr(fast, "KERNEL_MAX_WORK", 10 * 64 * 30 - 1)
    wide = Network([64, 30, 10], seed=3)
    assert wide.fit(digits.X_train[:20], digits.y_train[:20], epochs=1, batch_size=10).config["path"] == fast.PATHS[1]
    monkeypatch.undo()

    class Unloadable:
        LEVEL = 2

        def train_epoch(*args, **kwargs):
            raise OSError("_kernel.so: cannot open shared object file")

    monkeypatch.setattr(fast, "_kernels", lambda: Unloadable)
    monkeypatch.setattr(fast, "_FAILED", [])
    net, plain = Network([64, 30, 10], seed=3), Network([64, 30, 10], seed=3)
    with pytest.warns(costlab.KernelWarning, match="could not be loaded or run") as caught:
        h = net.fit(digits.X_train, digits.y_train, epochs=2, layers=True)
        again = Network([64, 30, 10], seed=3).fit(digits.X_train, digits.y_train, epochs=2)
    assert len(caught) == 1 and h.config["path"] == again.config["path"] == "numpy"
    monkeypatch.setattr(fast, "KERNEL", "never")
    plain.fit(digits.X_train, digits.y_train, epochs=2, layers=True)
    for a, b in zip(net.weights + net.biases, plain.weights + plain.biases):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernel", ["never", "always"])
def test_a_group_with_its_own_orders_per_member_equals_its_members_alone(monkeypatch, kernel):
    # (K, n) orders: each member gathers its own rows; member 1 is frozen (eta 0, a diverged run) and stays
    monkeypatch.setattr(fast, "KERNEL", kernel)
    W, B, X, Y = problem([5, 6, 3], 3, 17, np.float64, 4)
    hidden = output = ACTIVATIONS["sigmoid"]
    cost = COSTS["cross-entropy"]
    orders = np.stack([np.random.default_rng(k).permutation(17) for k in range(3)])
    wb = fast.stack(W, B)
    etas = np.array([0.5, 0.0, 0.3])
    record = fast._Record((3,), 4)
    fast.train_epoch(wb, None, X, Y, orders, 4, etas[:, None, None], None, 0.0, hidden, output, cost, record)
    for k in range(3):
        Wk, Bk = [w[k].copy() for w in W], [b[k].copy() for b in B]
        C, right = plain_epoch(Wk, Bk, X, Y, orders[k], 4, hidden, output, cost, Settings(eta=etas[k], n=17))
        for l in range(2):
            np.testing.assert_allclose(wb[l][k], fast.stack(Wk, Bk)[l], rtol=1e-12, atol=1e-13)
        if etas[k]:
            np.testing.assert_allclose(record.cost[k], C, rtol=1e-12)
            assert record.correct[k] == right
    np.testing.assert_array_equal(wb[0][1], fast.stack(W, B)[0][1])


@pytest.mark.parametrize("x_dtype, dtype", [(np.uint8, np.float64), (np.uint8, np.float32), (np.float64, np.float64),
                                            (np.float32, np.float32), (np.float64, np.float32)])
def test_rows_gathered_in_the_compiled_module_equal_numpys(x_dtype, dtype):
    # a long epoch gathers and converts its rows in one compiled pass: the same chunks, bit for bit
    rng = np.random.default_rng(7)
    X = (rng.random((53, 9)) * 255).astype(x_dtype)
    Y = np.eye(3)[rng.integers(0, 3, 53)]
    order = rng.permutation(53)
    plain = list(fast._chunks(X, Y, order, 4, dtype))
    compiled = list(fast._chunks(X, Y, order, 4, dtype, fast._kernels()))
    assert len(plain) == len(compiled) > 0
    for (x1, y1, _), (x2, y2, _) in zip(plain, compiled):
        assert x2.dtype == x1.dtype == dtype
        np.testing.assert_array_equal(x2, x1)
        np.testing.assert_array_equal(y2, y1)


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("cost_name, output_name", [("cross-entropy", "sigmoid"), ("log-likelihood", "softmax"),
                                                    ("quadratic", "tanh")])
@pytest.mark.parametrize("hidden_name", ["sigmoid", "tanh", "relu", "identity"])
def test_the_kernel_keeps_the_per_layer_records_of_the_numpy_path(monkeypatch, K, cost_name, output_name,
                                                                   hidden_name):
    # fit(layers=True) in the kernel: the same speeds, saturated and dead fractions and slowed outputs
    W, B, X, Y = problem([13, 9, 7, 5], K, 41, np.float64, 3)
    X = X * 6 - 3  # wide inputs: some neurons saturate
    B[0][..., :2] = -100.0  # two units that never fire (dead ReLUs, saturated sigmoids)
    B[-1][..., 0] = 40.0  # an output neuron saturated and often wrong: the slowdown
    hidden, output, cost = ACTIVATIONS[hidden_name], ACTIVATIONS[output_name], COSTS[cost_name]
    if output_name == "tanh":
        Y = 2 * Y - 1
    order = np.random.default_rng(5).permutation(41)
    eta = 0.4 if K == 1 else np.array([0.4, 0.0, 0.2])[:, None, None]  # member 1 frozen
    rows = {}
    for mode in ("never", "always"):
        monkeypatch.setattr(fast, "KERNEL", mode)
        wb = [np.ascontiguousarray(w) for w in fast.stack(squeeze(W, K), squeeze(B, K))]
        record = fast.LayerRecord(wb, hidden, output, eta)
        fast.train_epoch(wb, None, X, Y, order, 6, eta, None, 0.0, hidden, output, cost, layers=record)
        rows[mode] = (record.row(), wb, record)
    (plain, wp, rp), (compiled, wk, rk) = rows["never"], rows["always"]
    for p, k in zip(wp, wk):
        np.testing.assert_allclose(k, p, rtol=1e-12, atol=1e-12)
    active = ... if K == 1 else [0, 2]
    for figure in range(3):  # speed, saturated, dead: per layer
        for p, k in zip(plain[figure], compiled[figure]):
            assert (p is None) == (k is None)
            if p is not None:
                np.testing.assert_allclose(np.asarray(k)[active], np.asarray(p)[active], rtol=1e-10, atol=1e-12)
    if plain[3] is None:
        assert compiled[3] is None
    else:
        np.testing.assert_allclose(np.asarray(compiled[3])[active], np.asarray(plain[3])[active], rtol=1e-12)
    # the raw counts, exactly: saturated neurons per unit, units that fired, slowed outputs, rows seen
    assert rk.n == rp.n == 41
    for p, k in zip(rp.saturated_count + rp.alive, rk.saturated_count + rk.alive):
        if p is not None:
            np.testing.assert_array_equal(k[active], p[active])
    np.testing.assert_array_equal(rk.slowed_count[active], rp.slowed_count[active])
    if hidden_name in ("sigmoid", "tanh"):  # the counts are not all zero: the comparison means something
        assert rp.saturated_count[0][active].sum() > 0
    if hidden_name == "relu":
        assert not rp.alive[0][active].all()
    if output_name != "softmax":
        assert np.all(rp.slowed_count[active] > 0)


# --------------------------------------------------------------------------- #
# Sample weights: each row's output error scaled by eta w_x / sum_x w_x
# --------------------------------------------------------------------------- #

WEIGHTED_COSTS = [("quadratic", "sigmoid"), ("cross-entropy", "sigmoid"), ("log-likelihood", "softmax")]


@pytest.mark.parametrize("kernel", ["never", "always"])
@pytest.mark.parametrize("cost_name, output_name", WEIGHTED_COSTS)
@pytest.mark.parametrize("sizes, K, n, m", CASES, ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else str(v))
def test_weighted_epoch_equals_plain_weighted_steps(monkeypatch, sizes, K, n, m, cost_name, output_name, kernel):
    # both paths of the fast engine (NumPy/BLAS and the compiled kernel), zeros and a batch of weight 0 included
    monkeypatch.setattr(fast, "KERNEL", kernel)
    plain, (C, right), fast_snaps, record = run_both(sizes, K, n, m, np.float64, cost_name, output_name, "tanh",
                                                     weighted=True)
    if kernel == "always":
        assert len(fast_snaps) == K  # each network's whole epoch in one kernel call
    for p, f in zip(plain[-1], fast_snaps[-1]):
        np.testing.assert_allclose(f, p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(record.cost, C, rtol=1e-12)
    np.testing.assert_allclose(record.correct, right, rtol=1e-12)
    assert record.correct.dtype == float and not np.all(record.correct == np.round(record.correct))


@pytest.mark.parametrize("kernel", ["never", "always"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mu, lmbda", [(0.0, 0.0), (0.5, 2.0)], ids=["plain", "momentum-l2"])
def test_weighted_steps_agree_after_every_step(monkeypatch, dtype, mu, lmbda, kernel):
    monkeypatch.setattr(fast, "KERNEL", kernel)
    plain, _, fast_snaps, _ = run_both([70, 40, 10], 1, 30, 7, dtype, "cross-entropy", "sigmoid", "sigmoid", mu=mu,
                                       lmbda=lmbda, monkeypatch=monkeypatch, one_batch_per_chunk=True, weighted=True)
    if kernel == "never":  # one snapshot per step; the kernel reports once, after the epoch
        assert len(plain) == len(fast_snaps) == 5
        pairs = zip(plain, fast_snaps)
    else:
        pairs = [(plain[-1], fast_snaps[-1])]
    for step, (p, f) in enumerate(pairs):
        for l, (pl, fl) in enumerate(zip(p, f)):
            np.testing.assert_allclose(fl, pl, rtol=TOL[dtype], atol=TOL[dtype], err_msg=f"step {step + 1}, layer {l}")


def test_a_batch_of_weight_zero_takes_no_step_and_weights_of_one_are_the_book(monkeypatch):
    W, B, X, Y = problem([4, 5, 3], 1, 12, np.float64, 2)
    hidden = output = ACTIVATIONS["sigmoid"]
    cost = COSTS["cross-entropy"]
    for kernel in ("never", "always"):
        monkeypatch.setattr(fast, "KERNEL", kernel)
        wb = fast.stack([w[0] for w in W], [b[0] for b in B])
        start = [w.copy() for w in wb]
        fast.train_epoch(wb, None, X, Y, np.arange(12), 4, 0.5, None, 0.0, hidden, output, cost,
                         sample_weight=np.zeros(12))
        for w, w0 in zip(wb, start):
            np.testing.assert_array_equal(w, w0)
        ones, plain = [w.copy() for w in start], [w.copy() for w in start]
        fast.train_epoch(ones, None, X, Y, np.arange(12), 4, 0.5, None, 0.0, hidden, output, cost,
                         sample_weight=np.ones(12))
        fast.train_epoch(plain, None, X, Y, np.arange(12), 4, 0.5, None, 0.0, hidden, output, cost)
        for a, b in zip(ones, plain):
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("K", [1, 3])
def test_weighted_per_layer_records_agree_between_paths_and_with_the_exact_pass(monkeypatch, K):
    # the speed of learning is ||sum_x w_x delta_x / sum_x w_x||; at eta ~ 0 the running record is the exact one
    W, B, X, Y = problem([13, 9, 5], K, 41, np.float64, 3)
    hidden, output, cost = ACTIVATIONS["sigmoid"], ACTIVATIONS["sigmoid"], COSTS["cross-entropy"]
    sw = sample_weights(41, np.float64, 3)
    eta = 1e-12 if K == 1 else np.full((K, 1, 1), 1e-12)
    speeds = {}
    for mode in ("never", "always"):
        monkeypatch.setattr(fast, "KERNEL", mode)
        wb = [np.ascontiguousarray(w) for w in fast.stack(squeeze(W, K), squeeze(B, K))]
        record = fast.LayerRecord(wb, hidden, output, eta)
        fast.train_epoch(wb, None, X, Y, np.arange(41), 6, eta, None, 0.0, hidden, output, cost, layers=record,
                         sample_weight=sw)
        speeds[mode] = record.row()[0]
        assert record.weight == pytest.approx(sw.sum())
    wb = fast.stack(squeeze(W, K), squeeze(B, K))
    exact = fast.layer_state(wb, X, Y, hidden, output, cost, sw).row()[0]
    unweighted = fast.layer_state(wb, X, Y, hidden, output, cost).row()[0]
    for e, u, p, k in zip(exact, unweighted, speeds["never"], speeds["always"]):
        np.testing.assert_allclose(p, e, rtol=1e-6)
        np.testing.assert_allclose(k, e, rtol=1e-6)
        assert not np.allclose(u, e, rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_kernel_takes_subnormal_numbers_as_zero_and_leaves_numpy_as_it_was(monkeypatch, dtype):
    # a saturating float32 network's numbers sink below the normal range, where the processor is many times
    # slower: the kernel flushes them to 0 for its epoch, and the calling thread's arithmetic is restored after
    from costlab import Network

    monkeypatch.setattr(fast, "KERNEL", "always")
    rng = np.random.default_rng(0)
    X = rng.random((40, 6)).astype(dtype)
    tiny = np.finfo(dtype).smallest_subnormal
    net = Network([6, 5, 2], seed=0, dtype=dtype)
    h = net.fit(X, np.arange(40) % 2, epochs=2, eta=0.5)
    assert h.config["path"] == "kernel"
    assert tiny * dtype(1.0) == tiny  # subnormal numbers live again in this thread
    assert np.float64(2.2250738585072014e-308) / 4 > 0


def test_the_kernel_at_the_baseline_level_leaves_fits_to_numpy(monkeypatch):
    # without AVX2 the kernel's baseline code is slower than NumPy's BLAS: "auto" takes the NumPy path there
    from costlab import _kernels

    wb = [np.zeros((30, 65)), np.zeros((10, 31))]
    args = (wb, np.zeros((20, 64)), np.eye(10)[np.arange(20) % 10], 10, ACTIVATIONS["sigmoid"],
            ACTIVATIONS["sigmoid"], COSTS["cross-entropy"])
    assert fast.path_for(*args) == ("kernel" if _kernels.LEVEL > 0 else fast.PATHS[1])
    monkeypatch.setattr(_kernels, "LEVEL", 0)
    assert fast.path_for(*args) == fast.PATHS[1]
    monkeypatch.setattr(fast, "KERNEL", "always")
    assert fast.path_for(*args) == "kernel"


def test_networks_deeper_than_the_kernel_takes_train_on_numpy():
    # the kernel holds at most 64 layers: a deeper network goes to NumPy's steps, never to an error
    Y = np.eye(2)[np.arange(4) % 2]
    for L, path in ((64, "kernel"), (65, fast.PATHS[1])):
        wb = [np.zeros((3, 4)) for _ in range(L - 1)] + [np.zeros((2, 4))]
        assert fast.path_for(wb, np.zeros((4, 3)), Y, 2, ACTIVATIONS["sigmoid"], ACTIVATIONS["sigmoid"],
                             COSTS["cross-entropy"]) == (path if fast._kernel_level() > 0 else fast.PATHS[1])
