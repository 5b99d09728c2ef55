"""costlab.sklearn: scikit-learn's estimator checks, pipelines, searches over costs."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from costlab import Network, load_data
from costlab.sklearn import NetworkClassifier, NetworkRegressor

# Small settings: the checks fit on a few hundred rows, many times.
ESTIMATORS = [NetworkClassifier(epochs=10, random_state=0), NetworkRegressor(epochs=20, random_state=0)]


#: Checks that fail for a reason scikit-learn gives itself, quoted from its own list of expected failures
#: (sklearn/utils/_test_common/instance_generator.py).
SKLEARNS_REASONS = {
    # scikit-learn's reason for SGDClassifier and Perceptron, trained as costlab trains, by mini-batches:
    # a weight of 2 is one sample in one batch, a repeated sample two in two batches. Full-batch descent
    # passes the check (test_sample_weight_equivalence_in_full_batch_descent).
    "check_sample_weight_equivalence_on_dense_data": "sample_weight is not equivalent to removing/repeating samples.",
}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: SKLEARNS_REASONS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_sample_weight_equivalence_in_full_batch_descent():
    # one step per epoch over the whole set: a weight of k is the sample k times, a weight of 0 none
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    for est in (NetworkClassifier(batch_size=200, epochs=20, random_state=0),
                NetworkRegressor(batch_size=200, epochs=20, random_state=0)):
        check_sample_weight_equivalence_on_dense_data(type(est).__name__, est)


@pytest.mark.parametrize("cost", ["cross-entropy", "quadratic", "log-likelihood"])
def test_class_weight_is_a_weight_per_sample_for_every_cost(cost):
    digits = load_data("digits")
    X, y = digits.X_train[:300], digits.y_train[:300]
    cw = {3: 4.0, 7: 0.5, 0: 0.0}
    clf = NetworkClassifier((10,), cost=cost, class_weight=cw, epochs=2, random_state=0).fit(X, y)
    assert clf.network_.cost == cost  # the cost as given: the weights are the samples'
    w = np.array([cw.get(int(c), 1.0) for c in y])
    net = Network([64, 10, 10], cost=cost, seed=0)
    net.fit(X, y, epochs=2, batch_size=10, eta=0.5, sample_weight=w)
    for a, b in zip(net.weights, clf.network_.weights):
        np.testing.assert_array_equal(a, b)
    # "balanced": n / (K n_k), times the samples' own weights
    sw = np.random.default_rng(0).random(300)
    bal = NetworkClassifier((10,), cost=cost, class_weight="balanced", epochs=1, random_state=0).fit(
        X, y, sample_weight=sw)
    counts = np.bincount(y, weights=sw)
    net = Network([64, 10, 10], cost=cost, seed=0)
    net.fit(X, y, epochs=1, batch_size=10, eta=0.5, sample_weight=sw * (sw.sum() / (10 * counts))[y])
    for a, b in zip(net.weights, bal.network_.weights):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_class_weight_errors_and_the_cost_specs_that_keep_their_own_weights():
    digits = load_data("digits")
    X, y = digits.X_train[:200], (digits.y_train[:200] == 0).astype(int)
    spec = NetworkClassifier(cost="cross-entropy(pos_weight=3)", epochs=1, random_state=0).fit(X, y)
    assert spec.network_.cost == "cross-entropy(pos_weight=3)"
    for bad, message in ((dict(class_weight={7: 2.0}), r"class_weight names classes not in y: \[7\]"),
                         (dict(class_weight={1: -1.0}), ">= 0"), (dict(class_weight={1: "x"}), "must be numbers"),
                         (dict(class_weight="heavy"), "'balanced' or a dict")):
        with pytest.raises(ValueError, match=message) as info:
            NetworkClassifier(epochs=1, **bad).fit(X, y)
        assert "\n" not in str(info.value)


def test_sample_weight_in_the_estimators_is_the_engines(digits):
    X, y = digits[0][:300], digits[1][:300]
    w = np.random.default_rng(4).random(300) * 3
    clf = NetworkClassifier((20,), epochs=3, random_state=7).fit(X, y, sample_weight=w)
    net = Network([64, 20, 10], seed=7)
    history = net.fit(X, y, epochs=3, batch_size=10, eta=0.5, sample_weight=w)
    for a, b in zip(clf.network_.weights, net.weights):
        np.testing.assert_array_equal(a, b)
    assert clf.loss_curve_ == history.train_cost[1:]
    right = clf.predict(X) == y
    assert clf.score(X, y, sample_weight=w) == pytest.approx(np.sum(w * right) / w.sum())
    reg = NetworkRegressor((5,), epochs=2, random_state=0).fit(X, y / 10.0, sample_weight=w)
    net = Network([64, 5, 1], cost="quadratic", output_activation="identity", seed=0)
    net.fit(X, y[:, None] / 10.0, epochs=2, batch_size=10, eta=0.05, sample_weight=w)
    np.testing.assert_array_equal(reg.network_.weights[0], net.weights[0])
    for bad, message in ((w[:-1], r"sample_weight.shape == \(299,\), expected \(300,\)"),
                         (-w, "Negative values in data passed to `sample_weight`")):
        with pytest.raises(ValueError, match=message):
            NetworkClassifier(epochs=1).fit(X, y, sample_weight=bad)


def test_array_api_dispatch_with_numpy():
    code = (
        "from sklearn.utils.estimator_checks import check_array_api_input\n"
        "from costlab.sklearn import NetworkClassifier, NetworkRegressor\n"
        "for est in (NetworkClassifier(epochs=5, random_state=0), NetworkRegressor(epochs=5, random_state=0)):\n"
        "    check_array_api_input(type(est).__name__, est, array_namespace='numpy', expect_only_array_outputs=False)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "SCIPY_ARRAY_API": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok")


@pytest.fixture(scope="module")
def digits():
    data = load_data("digits")
    return np.concatenate([data.X_train, data.X_test]), np.concatenate([data.y_train, data.y_test])


def test_the_estimator_trains_costlabs_network(digits):
    X, y = digits[0][:300], digits[1][:300]
    clf = NetworkClassifier((20,), cost="quadratic", eta=1.0, epochs=3, random_state=7).fit(X, y)
    net = Network([64, 20, 10], cost="quadratic", seed=7)
    history = net.fit(X, y, epochs=3, batch_size=10, eta=1.0)
    for w_est, w_net in zip(clf.network_.weights, net.weights):
        np.testing.assert_array_equal(w_est, w_net)
    assert clf.history_.train_cost == history.train_cost
    assert clf.n_iter_ == 3 and len(clf.history_) == 4
    np.testing.assert_array_equal(clf.predict(X), net.predict(X))


def test_grid_search_over_costs_prefers_the_cross_entropy(digits):
    # the blog post's point on real data: saturated hidden neurons ("large"
    # initial weights) and three epochs; the quadratic cost lags behind
    X, y = digits
    search = GridSearchCV(
        make_pipeline(MinMaxScaler(), NetworkClassifier(epochs=3, init="large", random_state=1)),
        {"networkclassifier__cost": ["quadratic", "cross-entropy", "log-likelihood"]}, cv=3,
    ).fit(X, y)
    scores = dict(zip([p["networkclassifier__cost"] for p in search.cv_results_["params"]],
                      search.cv_results_["mean_test_score"]))
    assert search.best_params_["networkclassifier__cost"] != "quadratic"
    assert scores["cross-entropy"] > scores["quadratic"] + 0.05, scores
    assert search.best_estimator_[-1].history_.config["eta"] == 0.5


def test_cross_val_score_on_the_digits(digits):
    X, y = digits
    scores = cross_val_score(make_pipeline(MinMaxScaler(), NetworkClassifier(epochs=5, random_state=0)), X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85, scores


def test_string_labels_probabilities_and_two_classes():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1, 0.5, (50, 2)), rng.normal(1, 0.5, (50, 2))])
    y = np.array(["cat"] * 50 + ["dog"] * 50)
    clf = NetworkClassifier((5,), epochs=20, random_state=0).fit(X, y)
    assert clf.network_.sizes == [2, 5, 1]  # one sigmoid neuron for two classes
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, y) > 0.95
    assert set(clf.predict(X)) == {"cat", "dog"}
    softmax = NetworkClassifier((5,), cost="log-likelihood", epochs=20, random_state=0).fit(X, y)
    assert softmax.network_.sizes == [2, 5, 2] and softmax.score(X, y) > 0.95


def test_partial_fit_continues_one_epoch_at_a_time(digits):
    X, y = digits[0][:200], digits[1][:200]
    clf = NetworkClassifier(random_state=3)
    with pytest.raises(ValueError, match="classes must be given"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=np.arange(10))
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.history_) == 3
    full = NetworkClassifier(epochs=2, random_state=3).fit(X, y)
    np.testing.assert_allclose(clf.network_.weights[0], full.network_.weights[0])
    with pytest.raises(ValueError, match="not in classes_"):
        NetworkClassifier().partial_fit(X, y, classes=np.arange(5))


def test_pickled_estimator_keeps_training_the_same_network(digits):
    X, y = digits[0][:200], digits[1][:200]
    clf = NetworkClassifier(epochs=1, random_state=0).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    copy.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(copy.network_.weights[0], clf.network_.weights[0])
    copy.network_.weights[0][...] = 0.0  # the views still act on the network
    assert not np.array_equal(copy.predict_proba(X), clf.predict_proba(X))


def test_regressor_fits_a_curve_and_several_outputs():
    x = np.linspace(-2, 2, 200)[:, None]
    y = np.sin(x[:, 0])
    reg = NetworkRegressor((20,), eta=0.1, epochs=200, random_state=0).fit(x, y)
    assert reg.predict(x).shape == (200,)
    assert reg.score(x, y) > 0.95
    Y = np.column_stack([y, 0.5 * x[:, 0]])
    two = NetworkRegressor((20,), eta=0.1, epochs=100, random_state=0).fit(x, Y)
    assert two.predict(x).shape == (200, 2) and two.score(x, Y) > 0.9
    # the cross-entropy needs a sigmoid output and targets in [0, 1]
    with pytest.raises(ValueError, match="output activation"):
        NetworkRegressor(cost="cross-entropy").fit(x, (y + 1) / 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        NetworkRegressor(cost="cross-entropy", output_activation="sigmoid").fit(x, y)


def test_bad_parameters_fail_in_fit_with_one_line():
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    NetworkClassifier(cost="no-such-cost")  # __init__ only stores
    with pytest.raises(ValueError, match="unknown cost 'no-such-cost'"):
        NetworkClassifier(cost="no-such-cost").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        NetworkClassifier(hidden_layer_sizes=(0,)).fit(X, y)
    with pytest.raises(ValueError, match="eta"):
        NetworkClassifier(eta=-1).fit(X, y)


def test_validation_curves_and_early_stopping(digits):
    X, y = digits[0][:400], digits[1][:400]
    clf = NetworkClassifier(epochs=4, validation_fraction=0.25, random_state=0).fit(X, y)
    assert clf.network_.training["n"] == 300  # 100 rows held out, the rest trained on
    assert len(clf.history_.eval_cost) == 5 and None not in clf.history_.eval_cost
    assert clf.history_.eval_accuracy[-1] > 0.6
    assert len(clf.validation_scores_) == 4 and clf.best_loss_ == min(clf.loss_curve_)
    # labels that are pure noise: the validation score soon stops rising
    noise = np.random.default_rng(0).integers(0, 10, len(y))
    stopped = NetworkClassifier((50,), eta=2.0, epochs=300, early_stopping=True, n_iter_no_change=3,
                                random_state=0).fit(X, noise)
    # MLPClassifier's rule: stop after more than n_iter_no_change epochs without a gain of tol (1e-4)
    scores, best, waited = stopped.validation_scores_, -np.inf, 0
    for epoch, score in enumerate(scores, 1):
        waited = waited + 1 if score < best + 1e-4 else 0
        best = max(best, score)
        if waited > 3:
            break
    assert stopped.n_iter_ == epoch == len(scores) < 300 and stopped.best_loss_ is None
    assert stopped.best_validation_score_ == max(scores) == scores[stopped.best_epoch_ - 1]
    with pytest.raises(ValueError, match="validation_fraction must lie in"):
        NetworkClassifier(validation_fraction=1.5).fit(X, y)


def _labels_of(digits_y):
    """Three labels per digit: even, at least 5, round (0, 6, 8, 9): a multi-label indicator matrix."""
    return np.column_stack([digits_y % 2 == 0, digits_y >= 5, np.isin(digits_y, [0, 6, 8, 9])]).astype(int)


def test_multi_label_indicator_y(digits):
    from sklearn.metrics import accuracy_score

    X, y = digits[0][:600], digits[1][:600]
    Y = _labels_of(y)
    clf = NetworkClassifier((30,), epochs=10, random_state=0).fit(X[:400], Y[:400])
    assert clf.network_.sizes == [64, 30, 3] and clf.network_.output_activation == "sigmoid"
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    pred, proba = clf.predict(X[400:]), clf.predict_proba(X[400:])
    assert pred.shape == proba.shape == (200, 3) and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    np.testing.assert_allclose(proba, clf.network_.feedforward(X[400:]))  # per label, not normalized
    # scored as scikit-learn scores multi-label classifiers: the subset accuracy
    assert clf.score(X[400:], Y[400:]) == accuracy_score(Y[400:], pred) > 0.6
    assert np.mean(pred == Y[400:]) > 0.85  # per label
    for bad, message in ((dict(cost="log-likelihood"), "cannot learn a multi-label y: its softmax output"),
                         (dict(class_weight="balanced"), "class_weight weighs one class per sample")):
        with pytest.raises(ValueError, match=message):
            NetworkClassifier(epochs=1, **bad).fit(X[:50], Y[:50])
    with pytest.raises(ValueError, match=r"may hold only 0 and 1, got 2") as info:
        NetworkClassifier(epochs=1).fit(X[:50], Y[:50] * 2)
    assert "\n" not in str(info.value)


def test_mlpclassifier_names(digits, capsys):
    X, y = digits[0][:300], digits[1][:300]
    clf = NetworkClassifier((20,), activation="logistic", epochs=3, random_state=0, verbose=True).fit(X, y)
    assert clf.network_.activation == "sigmoid"  # "logistic" is another name of it
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"Iteration {e}, loss = {c:.8f}" for e, c in zip((1, 2, 3), clf.loss_curve_)]
    assert clf.loss_curve_ == clf.history_.train_cost[1:] and clf.best_loss_ == min(clf.loss_curve_)
    assert [c.shape for c in clf.coefs_] == [(64, 20), (20, 10)] and [b.shape for b in clf.intercepts_] == [(20,), (10,)]
    assert clf.n_layers_ == 3 and clf.n_outputs_ == 10 and clf.out_activation_ == "logistic"
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))
    clf.coefs_[0][0, 0] = 7.0  # views of the network's weights, transposed
    assert clf.network_.weights[0][0, 0] == 7.0
    # warm_start: fit continues the fitted network, as fit of all the epochs at once
    warm = NetworkClassifier((20,), epochs=2, warm_start=True, random_state=0).fit(X, y).fit(X, y)
    once = NetworkClassifier((20,), epochs=4, random_state=0).fit(X, y)
    np.testing.assert_array_equal(warm.network_.weights[0], once.network_.weights[0])
    assert warm.loss_curve_ == once.loss_curve_ and warm.n_iter_ == 4
    with pytest.raises(ValueError, match="warm_start can only be used where y has the same classes"):
        warm.fit(X, y % 3)
    # tol and n_iter_no_change: the training loss of a network that cannot learn stalls, and fit stops
    stalled = NetworkClassifier((5,), eta=1e-7, epochs=100, tol=1e-4, n_iter_no_change=4, random_state=0).fit(X, y)
    # the first epoch sets best_loss_; then more than 4 epochs without a gain of tol
    assert stalled.n_iter_ == 6 and len(stalled.loss_curve_) == 6
    with pytest.raises(ValueError, match="tol must be None or a number >= 0"):
        NetworkClassifier(tol=-1.0).fit(X, y)


def test_the_mlpclassifier_script_of_the_docs_runs_on_both_estimators(capsys):
    # docs/guide/mlp_script.py is shown on "Coming from MLPClassifier": the same run() for both
    import importlib.util
    import warnings
    from pathlib import Path

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    path = Path(__file__).resolve().parents[1] / "docs" / "guide" / "mlp_script.py"
    spec = importlib.util.spec_from_file_location("mlp_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    common = dict(batch_size=10, tol=1e-4, n_iter_no_change=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = script.run(MLPClassifier((30,), activation="logistic", solver="sgd", learning_rate_init=0.5,
                                          momentum=0.0, alpha=0.0, max_iter=30, **common))
    ours = script.run(NetworkClassifier((30,), activation="logistic", cost="log-likelihood", eta=0.5, epochs=30,
                                        **common))
    printed = capsys.readouterr().out
    assert printed.count("layers: [(64, 30), (30, 10)] [(30,), (10,)]") == 2
    assert theirs["shapes"] == ours["shapes"]
    assert len(ours["loss_curve"]) == 60  # 30 epochs, and 30 more warm-started
    # the same problem learned as well, by the same kind of descent
    assert abs(theirs["accuracy"] - ours["accuracy"]) < 0.03 and ours["accuracy"] > 0.95
    assert abs(theirs["loss_curve"][29] - ours["loss_curve"][29]) < 0.05
    assert ours["log_proba"].shape == theirs["log_proba"].shape == (450, 10)
