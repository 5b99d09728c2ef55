"""Cost specs: weighted, smoothed and focal costs, and cost formulas, with PyTorch as the outside oracle."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

import costlab
from costlab.activations import ACTIVATIONS
from costlab.costs import balanced_weights, focal_softmax, get_cost, split_specs
from costlab.neuron import train_neuron
from clitools import run_main
from test_derive import MALICIOUS

torch.set_default_dtype(torch.float64)
SIGMOID, SOFTMAX = ACTIVATIONS["sigmoid"], ACTIVATIONS["softmax"]


# --------------------------------------------------------------------------- #
# The oracle: each spec written with PyTorch's own losses (or torchvision's formula)
# --------------------------------------------------------------------------- #

def _focal_torch(z, y, gamma, alpha=None):
    """torchvision.ops.sigmoid_focal_loss, reduction "none", summed over outputs."""
    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss.sum(-1)


def _smooth(y, eps, K):
    return y * (1 - eps) + eps / K


SIGMOID_SPECS = {
    "cross-entropy": lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(-1),
    "cross-entropy(pos_weight=3)": lambda z, y: F.binary_cross_entropy_with_logits(
        z, y, pos_weight=torch.tensor(3.0), reduction="none").sum(-1),
    "cross-entropy(smoothing=0.1)": lambda z, y: F.binary_cross_entropy_with_logits(
        z, _smooth(y, 0.1, 2), reduction="none").sum(-1),
    "cross-entropy(pos_weight=9, smoothing=0.2)": lambda z, y: F.binary_cross_entropy_with_logits(
        z, _smooth(y, 0.2, 2), pos_weight=torch.tensor(9.0), reduction="none").sum(-1),
    "focal(gamma=2)": lambda z, y: _focal_torch(z, y, 2.0),
    "focal(gamma=2, alpha=0.25)": lambda z, y: _focal_torch(z, y, 2.0, 0.25),
    "focal(gamma=0.5)": lambda z, y: _focal_torch(z, y, 0.5),
    "focal(gamma=0)": lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(-1),
}

W = [0.5, 2.0, 1.0, 3.0]
SOFTMAX_SPECS = {
    "log-likelihood": lambda z, y: F.cross_entropy(z, y.argmax(-1), reduction="none"),
    "log-likelihood(smoothing=0.1)": lambda z, y: F.cross_entropy(
        z, y.argmax(-1), label_smoothing=0.1, reduction="none"),
    "log-likelihood(class_weight=[0.5, 2, 1, 3])": lambda z, y: F.cross_entropy(
        z, y.argmax(-1), weight=torch.tensor(W), reduction="none"),
    "log-likelihood(class_weight=[0.5, 2, 1, 3], smoothing=0.2)": lambda z, y: F.cross_entropy(
        z, y.argmax(-1), weight=torch.tensor(W), label_smoothing=0.2, reduction="none"),
    "log-likelihood(gamma=2)": lambda z, y: -(y * (1 - torch.softmax(z, -1)) ** 2
                                              * torch.log_softmax(z, -1)).sum(-1),
}


def _oracle(torch_loss, z, y):
    """Per-sample cost and dC/dz (autograd of the summed cost) from PyTorch."""
    zt = torch.tensor(z, requires_grad=True)
    c = torch_loss(zt, torch.tensor(y))
    c.sum().backward()
    return c.detach().numpy(), zt.grad.numpy()


def _close(got, want, rtol=1e-11):
    # PyTorch's max(z, 0) - z y + log1p(e^-|z|) loses its relative precision where the cost is
    # tiny (it cancels terms of size |z| <= 30): an absolute error of a few eps |z| is allowed there
    err = np.abs(got - want)
    assert np.all(err <= rtol * np.abs(want) + 1e-13), np.max(err - rtol * np.abs(want))


@pytest.mark.parametrize("spec", SIGMOID_SPECS)
def test_sigmoid_specs_equal_pytorch_in_value_and_gradient(spec):
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.uniform(-30, 30, (200, 3)), rng.uniform(-3, 3, (200, 3))])
    y = rng.integers(0, 2, z.shape).astype(float)            # multi-label targets: several ones per row
    cost = get_cost(spec)
    want_c, want_d = _oracle(SIGMOID_SPECS[spec], z, y)
    _close(cost.fn(z, SIGMOID(z), y), want_c)
    _close(cost.delta(z, SIGMOID(z), y, SIGMOID), want_d, rtol=1e-9)


@pytest.mark.parametrize("spec", SOFTMAX_SPECS)
def test_softmax_specs_equal_pytorch_in_value_and_gradient(spec):
    rng = np.random.default_rng(2)
    z = np.concatenate([rng.uniform(-30, 30, (200, 4)), rng.uniform(-3, 3, (200, 4))])
    y = np.eye(4)[rng.integers(0, 4, len(z))]
    cost = get_cost(spec)
    want_c, want_d = _oracle(SOFTMAX_SPECS[spec], z, y)
    _close(cost.fn(z, SOFTMAX(z), y), want_c)
    _close(cost.delta(z, SOFTMAX(z), y, SOFTMAX), want_d, rtol=1e-9)


@pytest.mark.parametrize("spec, z, y, C, delta", [
    ("cross-entropy(pos_weight=3)", -1e4, 1.0, 3e4, -3.0),
    ("cross-entropy(pos_weight=3)", 1e4, 0.0, 1e4, 1.0),
    ("cross-entropy(pos_weight=3)", 1e4, 1.0, 0.0, 0.0),
    ("cross-entropy(smoothing=0.1)", 1e4, 0.0, 0.95e4, 0.95),
    ("focal(gamma=2)", 1e4, 0.0, 1e4, 1.0),
    ("focal(gamma=2)", -1e4, 1.0, 1e4, -1.0),
    ("focal(gamma=2)", 1e4, 1.0, 0.0, 0.0),
    ("focal(gamma=0.5, alpha=0.25)", -1e4, 0.0, 0.0, 0.0),
    ("focal(gamma=2, alpha=0.25)", -1e4, 1.0, 0.25e4, -0.25),
])
def test_sigmoid_specs_are_exact_at_the_ends(spec, z, y, C, delta):
    z, y = np.array([[z]]), np.array([[y]])
    cost = get_cost(spec)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert cost.fn(z, SIGMOID(z), y)[0] == pytest.approx(C, rel=1e-15, abs=0)
        assert cost.delta(z, SIGMOID(z), y, SIGMOID)[0, 0] == pytest.approx(delta, rel=1e-15, abs=0)


@pytest.mark.parametrize("spec", SOFTMAX_SPECS)
def test_softmax_specs_are_finite_for_huge_logits(spec):
    z = np.array([[1e4, -1e4, 0.0, 5e3], [-1e4, 1e4, 1e4, -1e4]])
    y = np.eye(4)[[1, 0]]
    cost = get_cost(spec)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        c = cost.fn(z, SOFTMAX(z), y)
        d = cost.delta(z, SOFTMAX(z), y, SOFTMAX)
    assert np.all(np.isfinite(c)) and np.all(np.isfinite(d))
    assert c[0] == pytest.approx(2e4 * (1 if "class_weight" not in spec else 2.0), rel=0.2)


# --------------------------------------------------------------------------- #
# The post's neuron: 300 epochs, each spec against an autograd loop
# --------------------------------------------------------------------------- #

def _autograd_neuron(torch_loss, w, b, x, y, eta, epochs):
    w, b = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ws, bs = [w.item()], [b.item()]
    for _ in range(epochs):
        loss = torch_loss((w * x + b).reshape(1, 1), torch.tensor([[y]])).sum()
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= eta * gw
            b -= eta * gb
        ws.append(w.item())
        bs.append(b.item())
    return np.array(ws), np.array(bs)


@pytest.mark.parametrize("spec", [*SIGMOID_SPECS, "(a - y)**4/4", "-(y*log(a) + (1 - y)*log(1 - a))"])
def test_the_neurons_trajectory_equals_an_autograd_loop(spec):
    loss = SIGMOID_SPECS.get(spec) or {
        "(a - y)**4/4": lambda z, y: ((torch.sigmoid(z) - y) ** 4 / 4).sum(-1),
        "-(y*log(a) + (1 - y)*log(1 - a))": SIGMOID_SPECS["cross-entropy"],
    }[spec]
    run = train_neuron(2.0, 2.0, cost=spec, x=1.0, y=0.0, eta=0.15, epochs=300)
    ws, bs = _autograd_neuron(loss, 2.0, 2.0, 1.0, 0.0, 0.15, 300)
    np.testing.assert_allclose(run.history["w"], ws, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run.history["b"], bs, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- #
# Formulas
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("formula, twin", [
    ("-(y*log(a) + (1 - y)*log(1 - a))", "cross-entropy"),
    ("(a - y)^2/2", "quadratic"),
    ("-(3*y*ln(a) + (1 - y)*ln(1 - a))", "cross-entropy(pos_weight=3)"),
])
def test_a_formula_trains_exactly_like_its_built_in_twin(formula, twin):
    a_run = train_neuron(0.6, 0.9, cost=formula, x=1.0, y=0.0, eta=0.15, epochs=300)
    b_run = train_neuron(0.6, 0.9, cost=twin, x=1.0, y=0.0, eta=0.15, epochs=300)
    np.testing.assert_allclose(a_run.history["a"], b_run.history["a"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a_run.history["C"], b_run.history["C"], rtol=1e-9)


def test_the_hand_typed_cross_entropy_simplifies_to_the_error():
    from costlab.derive import a, y
    from costlab.derive.numeric import delta_expr
    from costlab.derive.parse import parse_cost

    C = parse_cost("-(y*log(a) + (1 - y)*log(1 - a))")
    assert delta_expr(C, "sigmoid") == a - y
    assert sp.simplify(delta_expr(parse_cost("(a - y)**2/2"), "sigmoid") - (a - y) * a * (1 - a)) == 0


def test_formulas_train_a_digits_network_on_any_output():
    d = costlab.load_data("digits").limit(200)
    for spec, out in (("abs(a - y)", "sigmoid"), ("(a - y)**4/4", "softmax"), ("(a - y)^2/2", "tanh")):
        net = costlab.Network([64, 10, 10], cost=spec, output_activation=out, seed=0)
        h = net.fit(d.X_train, d.y_train, epochs=2, batch_size=20, monitor="exact")
        assert np.all(np.isfinite(h.train_cost)) and h.train_cost[-1] < h.train_cost[0]


def test_a_formula_that_turns_non_finite_stops_training_naming_it():
    code, out, err = run_main("neuron", "--w", "2", "--b", "2", "--y", "0", "--eta", "50",
                              "--cost", "exp(800*a)", "--epochs", "50")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "exp(800*a)" in err and "epoch" in err


@pytest.mark.parametrize("text", [t.replace("z", "a") for t in MALICIOUS if t != "log(z)"]
                         + ["a + b", "x*a", "y", "cross-entrop(pos_weight=1)", "focal(gamma=-1)", "focal(beta=1)",
                            "cross-entropy(pos_weight=__import__('os'))", "log-likelihood(class_weight=[1,, 2])",
                            "focal(gamma=2", "cross-entropy(pos_weight=inf)", "cross-entropy(smoothing=1)"])
def test_hostile_or_bad_cost_text_is_refused_with_exit_2(text, tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    text = text.format(marker=marker) if "{" in text else text
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main("neuron", "--w", "1", "--b", "1", "--epochs", "1", "--cost", text)
    assert (code, out) == (2, ""), (text, err)
    assert len(err.strip().splitlines()) == 1 and "--cost" in err and "Traceback" not in err
    assert not marker.exists() and list(tmp_path.iterdir()) == []


def test_the_core_resolves_formulas_without_importing_sympy_itself():
    code = ("import sys, costlab\n"
            "from costlab.network import Network\n"
            "Network([1, 1], cost='focal(gamma=2, alpha=0.25)')\n"
            "assert 'sympy' not in sys.modules and 'costlab.derive' not in sys.modules\n"
            "net = Network([1, 1], cost='(a - y)**4/4')\n"
            "assert net.cost == '(a - y)**4/4' and 'costlab.derive' in sys.modules\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


# --------------------------------------------------------------------------- #
# Specs: lists, names, class weights, multi-label, saving
# --------------------------------------------------------------------------- #

def test_lists_split_on_commas_outside_parentheses():
    assert split_specs("quadratic, cross-entropy(pos_weight=3), focal(gamma=2, alpha=0.25), max(a, y) - y") == [
        "quadratic", "cross-entropy(pos_weight=3)", "focal(gamma=2, alpha=0.25)", "max(a, y) - y"]
    for bad in ("quadratic,", "focal(gamma=2", "a)", ""):
        with pytest.raises(ValueError):
            split_specs(bad)


def test_a_spec_has_one_canonical_name():
    assert get_cost(" cross-entropy( pos_weight = 3.0 ,smoothing=.1)").name == "cross-entropy(pos_weight=3, smoothing=0.1)"
    assert get_cost("log-likelihood(smoothing=0.1, class_weight=[1, 2.50])").name == \
        "log-likelihood(class_weight=[1, 2.5], smoothing=0.1)"
    assert get_cost("focal").name == "focal" and get_cost("focal").fn is not None
    assert get_cost("cross-entropy(pos_weight=3)") is get_cost("cross-entropy(pos_weight=3)")


def test_balanced_class_weights_are_scikit_learns_and_counted_on_the_training_targets():
    from sklearn.utils.class_weight import compute_class_weight

    d = costlab.load_data("digits").limit(300)
    want = compute_class_weight("balanced", classes=np.arange(10), y=d.y_train)
    np.testing.assert_allclose(balanced_weights(np.eye(10)[d.y_train]), want, rtol=1e-15)
    net = costlab.Network([64, 10, 10], cost="log-likelihood(class_weight=balanced)", seed=0)
    net.fit(d.X_train, d.y_train, epochs=1)
    z = np.random.default_rng(0).normal(size=(5, 10))
    y = np.eye(10)[[0, 1, 2, 3, 4]]
    weighted = focal_softmax(z, SOFTMAX(z), y, class_weight=tuple(want))
    np.testing.assert_allclose(net._cost.fn(z, SOFTMAX(z), y), weighted, rtol=1e-14)
    assert net.cost == "log-likelihood(class_weight=balanced)"


def test_multi_label_targets_train_with_sigmoid_outputs_and_the_softmax_refuses_them():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    Y = (X[:, :3] > 0).astype(float)                      # three labels, often several per row
    assert np.any(Y.sum(axis=1) > 1)
    for spec in ("cross-entropy", "focal(gamma=2)", "cross-entropy(pos_weight=2)"):
        net = costlab.Network([6, 8, 3], cost=spec, seed=0)
        h = net.fit(X, Y, epochs=20, batch_size=10, eta=0.5, monitor="exact")
        assert h.train_accuracy[-1] > 0.8 or h.train_cost[-1] < 0.5 * h.train_cost[0]
    net = costlab.Network([6, 8, 3], cost="log-likelihood", seed=0)
    with pytest.raises(ValueError, match="multi-label.*one class per row"):
        net.fit(X, Y, epochs=1)


@pytest.mark.parametrize("spec", ["(a - y)**4/4", "focal(gamma=2, alpha=0.25)", "cross-entropy(smoothing=0.1)"])
def test_saved_models_keep_the_spec_and_read_it_again(spec, tmp_path):
    d = costlab.load_data("digits").limit(100)
    net = costlab.Network([64, 10, 10], cost=spec, seed=0)
    net.fit(d.X_train, d.y_train, epochs=1)
    path = tmp_path / "m.json"
    costlab.save(net, path)
    loaded = costlab.load(path)
    assert loaded.cost == get_cost(spec).name
    np.testing.assert_array_equal(loaded.feedforward(d.X_test[:10]), net.feedforward(d.X_test[:10]))


def test_a_model_file_with_a_hostile_cost_is_refused(tmp_path):
    from costlab.saving import ModelFileError

    net = costlab.Network([2, 1], cost="cross-entropy", seed=0)
    path = tmp_path / "m.json"
    costlab.save(net, path)
    d = json.loads(path.read_text())
    d["cost"] = "__import__('os').system('touch x')"
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="cost"):
        costlab.load(path)
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- #
# costlab derive: specs, the KL divergence, maximum likelihood
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("spec", ["cross-entropy(pos_weight=3)", "cross-entropy(smoothing=0.1)",
                                  "focal(gamma=2, alpha=0.25)", "(a - y)**4/4", "abs(a - y)"])
def test_the_derived_gradient_of_a_spec_is_the_engines(spec):
    from costlab import derive as D

    d = D.gradient(spec)
    f = sp.lambdify((D.a, D.y), d.result["dC/dz"], modules="numpy")
    rng = np.random.default_rng(3)
    z = rng.uniform(-6, 6, (300, 1))
    y = rng.integers(0, 2, z.shape).astype(float)
    a = SIGMOID(z)
    np.testing.assert_allclose(np.broadcast_to(f(a, y), z.shape), get_cost(spec).delta(z, a, y, SIGMOID),
                               rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("spec", ["log-likelihood(smoothing=0.1)", "log-likelihood(class_weight=[1, 2, 3])",
                                  "log-likelihood(gamma=2)"])
def test_the_derived_softmax_gradient_of_a_spec_is_the_engines(spec):
    from costlab import derive as D

    d = D.gradient(spec)
    fs = [sp.lambdify((*D.As, *D.ys), d.result[f"dC/dz{j}"].subs(d.assume), modules="numpy") for j in (1, 2, 3)]
    rng = np.random.default_rng(6)
    z = rng.uniform(-4, 4, (200, 3))
    y = np.eye(3)[rng.integers(0, 3, len(z))]
    a = SOFTMAX(z)
    derived = np.stack([np.broadcast_to(f(*a.T, *y.T), len(z)) for f in fs], axis=1)
    np.testing.assert_allclose(derived, get_cost(spec).delta(z, a, y, SOFTMAX), rtol=1e-9, atol=1e-13)


def test_the_entropy_and_likelihood_derivations_hold_step_by_step():
    from costlab import derive as D

    for d in (D.entropy(), D.likelihood()):
        assert D.failing_steps(d) == []
        assert d._repr_latex_().startswith("$$\\begin{aligned}") and d._repr_markdown_().startswith("## ")
    code, out, err = run_main("derive", "entropy", "--json")
    assert code == 0 and "KL(y || a)" in json.loads(out)["steps"][-1]["text"]
    code, out, err = run_main("derive", "gradient", "--cost", "-(y*log(a) + (1 - y)*log(1 - a))", "--json")
    assert code == 0 and json.loads(out)["sections"][0]["result"]["dC/dz"] == "a - y"
    code, out, err = run_main("derive", "gradient", "--cost", "focl(gamma=2)")
    assert code == 2 and "unknown cost 'focl'" in err


# --------------------------------------------------------------------------- #
# The rare-class task: one digit against the rest, per-class figures
# --------------------------------------------------------------------------- #

def test_one_digit_against_the_rest_is_a_rare_binary_task():
    d = costlab.load_data("digits").one_vs_rest(0)
    assert d.binary and d.n_outputs == 1 and set(np.unique(d.y_train)) == {0, 1}
    assert 0.08 < d.y_train.mean() < 0.12 and d.class_names == ("not 0", "0")
    with pytest.raises(ValueError, match="0..9"):
        costlab.load_data("digits").one_vs_rest(10)


def test_compare_on_the_rare_class_prints_per_class_figures():
    code, out, err = run_main("compare", "--data", "digits", "--positive", "0", "--limit", "400", "--seeds", "1",
                              "--epochs", "2", "--init", "default", "--workers", "1", "-q", "--json",
                              "--costs", "cross-entropy, cross-entropy(pos_weight=9), focal(gamma=2)")
    assert code == 0, err
    result = json.loads(out)
    assert [r["cost"] for r in result["summary"]] == ["cross-entropy", "cross-entropy(pos_weight=9)", "focal(gamma=2)"]
    for r in result["summary"]:
        assert 0.5 <= r["balanced_accuracy_mean"] <= 1 and [c["class"] for c in r["classes"]] == ["not 0", "0"]
        assert r["classes"][1]["support"] == 45
    weighted = result["summary"][1]["classes"][1]
    plain = result["summary"][0]["classes"][1]
    assert weighted["recall_mean"] >= plain["recall_mean"]       # the weight raises the rare class's recall
    code, out, err = run_main("compare", "--data", "digits", "--positive", "0", "--limit", "200", "--seeds", "1",
                              "--epochs", "1", "--init", "default", "--workers", "1", "-q",
                              "--costs", "cross-entropy(pos_weight=9)")
    assert code == 0 and "balanced acc." in out and "0 recall" in out


def test_train_reports_precision_and_recall_per_class():
    code, out, err = run_main("train", "--data", "digits", "--positive", "0", "--limit", "300", "--epochs", "1",
                              "--cost", "focal(gamma=2, alpha=0.25)", "-q", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["config"]["sizes"] == [64, 30, 1] and d["config"]["cost"] == "focal(gamma=2, alpha=0.25)"
    assert [c["class"] for c in d["test_classes"]["classes"]] == ["not 0", "0"]
    code, out, err = run_main("train", "--data", "digits", "--limit", "300", "--epochs", "1", "-q", "--json",
                              "--cost", "log-likelihood(class_weight=balanced)")
    assert code == 0 and len(json.loads(out)["test_classes"]["classes"]) == 10
    code, out, err = run_main("train", "--data", "digits", "--positive", "0", "--limit", "300", "--epochs", "1", "-q",
                              "--cost", "cross-entropy(pos_weight=9)")
    assert code == 0 and "balanced accuracy" in out and "precision" in out


def test_the_weighted_and_focal_costs_example_prints_its_numbers():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "weighted_and_focal_costs.py"
    p = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in p.stdout.splitlines()[1:]}
    assert rows[("cross-entropy", "1")][:3] == ["4.0181", "0.6931", "0.0181"]
    assert rows[("cross-entropy(pos_weight=3)", "1")][:3] == ["12.0544", "2.0794", "0.0544"]   # three times
    assert rows[("cross-entropy(pos_weight=3)", "0")] == rows[("cross-entropy", "0")]


def test_reproduce_takes_cost_specs(tmp_path):
    code, out, err = run_main("reproduce", "--out", tmp_path, "--epochs", "10",
                              "--costs", "quadratic, focal(gamma=2)")
    assert code == 0, err
    results = json.loads((tmp_path / "results.json").read_text())
    assert "focal(gamma=2)" in json.dumps(results)
    code, out, err = run_main("reproduce", "--out", tmp_path / "x", "--costs", "log-likelihood")
    assert code == 2 and "sigmoid" in err and not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", [["report", "--out", "r.html"], ["map", "--w", "0:1:3", "--b", "0:1:3"],
                                     ["compare", "--epochs", "1", "--seeds", "1"]])
def test_every_costs_option_refuses_a_bad_list_with_exit_2(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(*command, "--costs", "quadratic, focal(gamma=2")
    assert (code, out) == (2, "") and "--costs" in err and "unclosed parenthesis" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spec", [*SIGMOID_SPECS, *SOFTMAX_SPECS, "log-likelihood(class_weight=balanced)",
                                  "(a - y)**4/4"])
def test_every_spec_trains_a_digits_network_and_saves_and_loads(spec, tmp_path):
    d = costlab.load_data("digits").limit(200)
    if "[" in spec:   # the oracle's four class weights, for the digits' ten classes
        spec = "log-likelihood(class_weight=[0.5, 2, 1, 3, 1, 1, 1, 1, 1, 1])"
    net = costlab.Network([64, 10, 10], cost=spec, seed=0)
    h = net.fit(d.X_train, d.y_train, epochs=2, batch_size=10, eta=0.5, monitor="exact")
    assert np.all(np.isfinite(h.train_cost)) and h.train_cost[-1] < h.train_cost[0]
    costlab.save(net, tmp_path / "m.json")
    loaded = costlab.load(tmp_path / "m.json")
    assert loaded.cost == net.cost
    np.testing.assert_array_equal(loaded.predict(d.X_test), net.predict(d.X_test))


# --------------------------------------------------------------------------- #
# Entropy and KL divergence: 0 ln 0 = 0
# --------------------------------------------------------------------------- #

KL_FORMULA = "y*ln(y/a) + (1-y)*ln((1-y)/(1-a))"


def _binary_entropy(Y):
    """H(y) = -[y ln y + (1 - y) ln(1 - y)] per sample, summed over the outputs, 0 ln 0 = 0."""
    from scipy.special import xlogy

    return -np.sum(xlogy(Y, Y) + xlogy(1 - Y, 1 - Y), axis=-1)


@pytest.mark.parametrize("spec", ["kl", KL_FORMULA])
def test_kl_is_the_cross_entropy_less_the_entropy_of_y_with_the_same_gradient(spec):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, (50, 4))
    a = 1 / (1 + np.exp(-z))
    Y = rng.random((50, 4))
    Y[:10] = np.round(Y[:10])  # targets of exactly 0 and 1: 0 ln 0 = 0
    kl, ce = get_cost(spec), get_cost("cross-entropy")
    np.testing.assert_allclose(kl.fn(z, a, Y), ce.fn(z, a, Y) - _binary_entropy(Y), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(kl.delta(z, a, Y, SIGMOID), ce.delta(z, a, Y, SIGMOID))  # a - y, exactly
    assert np.all(kl.fn(z, a, Y) >= -1e-12) and np.all(np.isfinite(kl.fn(z, a, Y)))
    # at a = y the divergence is 0 (where a = sigma(z) can equal y)
    np.testing.assert_allclose(kl.fn(z, a, a), 0.0, atol=1e-12)
    # PyTorch: its KL loss of the Bernoulli distributions (a, 1 - a) against (y, 1 - y)
    P = torch.stack([torch.tensor(Y), 1 - torch.tensor(Y)], dim=-1)
    logQ = torch.stack([F.logsigmoid(torch.tensor(z)), F.logsigmoid(-torch.tensor(z))], dim=-1)
    want = F.kl_div(logQ, P, reduction="none").sum(dim=(-1, -2)).numpy()
    np.testing.assert_allclose(kl.fn(z, a, Y), want, rtol=1e-9, atol=1e-12)


def test_kl_and_the_cross_entropy_train_alike_their_costs_apart_by_the_entropy_of_y():
    d = costlab.load_data("digits").limit(300)
    teacher = costlab.Network([64, 10, 10], seed=1)
    teacher.fit(d.X_train, d.y_train, epochs=1)
    Y = teacher.feedforward(d.X_train)  # soft targets: each output's probability, entropy > 0
    runs = {}
    for spec in ("cross-entropy", "kl", KL_FORMULA):
        net = costlab.Network([64, 10, 10], cost=spec, seed=0)
        runs[spec] = (net, net.fit(d.X_train, Y, epochs=3, monitor="exact"))
    (ce, hce), (kl, hkl), (typed, htyped) = runs.values()
    assert (hce.config["path"], hkl.config["path"]) == ("kernel", "numpy, compiled gather")
    for p, q, r in zip(ce.weights, kl.weights, typed.weights):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-13)  # the same gradient a - y, on two paths
        np.testing.assert_array_equal(q, r)
    H = float(np.mean(_binary_entropy(Y)))
    assert H > 0.5
    np.testing.assert_allclose(np.array(hce.train_cost) - np.array(hkl.train_cost), H, rtol=1e-10)
    np.testing.assert_allclose(htyped.train_cost, hkl.train_cost, rtol=1e-9)


@pytest.mark.parametrize("text", ["ln(a - y)", "y*ln(a)*ln(y)", "ln(y)*a", "a*ln(y - 1)"])
def test_a_formula_undefined_even_with_0_ln_0_is_refused_in_one_line(text):
    with pytest.raises(ValueError, match="even with 0 ln 0 = 0") as info:
        get_cost(text)
    assert "\n" not in str(info.value)
    code, out, err = run_main("neuron", "--w", "1", "--b", "1", "--epochs", "1", "--cost", text)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "0 ln 0 = 0" in err


def test_the_kl_spec_takes_no_parameters_and_saves(tmp_path):
    with pytest.raises(ValueError, match="kl has no parameter 'gamma'"):
        get_cost("kl(gamma=2)")
    assert get_cost("kl").name == "kl" and get_cost("kl").default_activation == "sigmoid"
    for spec in ("kl", KL_FORMULA):
        net = costlab.Network([3, 2], cost=spec, seed=0)
        costlab.save(net, tmp_path / "m.json")
        assert costlab.load(tmp_path / "m.json").cost == spec
