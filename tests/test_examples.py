"""The examples run and print what they promise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from costlab import Network, load_data
from costlab.group import NetworkGroup

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name):
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_slowdown_in_numbers_prints_the_seeds_numbers():
    out = run_example("slowdown_in_numbers.py")
    # sigma'(z) at the two starts, and the seed's golden outputs after 300 epochs
    assert "0.1491" in out and "0.0177" in out
    assert "a0=0.98, quadratic    : a(300) = 0.2028, first below 0.5 at epoch 232" in out
    assert "a0=0.98, cross-entropy: a(300) = 0.0120, first below 0.5 at epoch 17" in out


def test_costs_on_digits_shows_the_quadratic_behind():
    lines = run_example("costs_on_digits.py").strip().splitlines()
    assert lines[0].split() == ["epoch", "quadratic", "cross-entropy"]
    rows = [line.split() for line in lines[1:]]
    assert [int(r[0]) for r in rows] == list(range(11))
    quadratic, cross_entropy = ([float(r[i].rstrip("%")) for r in rows] for i in (1, 2))
    assert quadratic[0] == cross_entropy[0]  # the same start
    assert all(c > q + 20 for q, c in zip(quadratic[1:4], cross_entropy[1:4]))


@pytest.mark.parametrize("k", [10, 1])
def test_group_takes_labels_as_one_hot_targets(k):
    data = load_data("digits").limit(200)
    y = data.y_train if k == 10 else (data.y_train % 2)
    Y = np.eye(10)[y] if k == 10 else y[:, None].astype(float)
    make = lambda: [Network([64, 8, k], cost="cross-entropy", seed=s) for s in (0, 1)]  # noqa: E731
    by_labels, by_targets = make(), make()
    NetworkGroup(by_labels).fit(data.X_train, y, epochs=2)
    NetworkGroup(by_targets).fit(data.X_train, Y, epochs=2)
    for a, b in zip(by_labels, by_targets):
        for wa, wb in zip(a.weights, b.weights):
            np.testing.assert_array_equal(wa, wb)
    with pytest.raises(ValueError, match="labels"):
        NetworkGroup(make()).fit(data.X_train, y + k + 1, epochs=1)


def test_kl_and_cross_entropy_train_alike_and_differ_by_the_entropy(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "plot_kl_and_cross_entropy.py")], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "MPLBACKEND": "Agg"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    H = float(lines[0].split(":")[1].split()[0])
    low, high = (float(v) for v in lines[1].split(":")[1].split(" to "))
    assert H > 1 and low == high == H  # C_CE - C_KL is the entropy of y at every record
    # the same steps: the cross-entropy in the compiled kernel, kl and the typed formula on the NumPy path
    gaps = re.search(r"cross-entropy vs kl (\S+), kl vs typed (\S+)$", lines[2])
    assert float(gaps.group(1)) <= 1e-12 and float(gaps.group(2)) == 0


def test_diagnose_pytorch_model_names_the_layers_and_the_cross_entropy_recovers():
    out = run_example("diagnose_pytorch_model.py")
    mse, ce = out.split("cross-entropy on the logits: what costlab.torch.watch says")
    assert "LayerWarning: hidden layer 1 (sigmoid, module 0) is saturated in window 1" in mse
    assert "the output layer is saturated at the wrong value" in mse and "quadratic cost" in mse
    assert "the output layer" not in ce.split("output slowdown factor")[0]
    assert "cross-entropy 1.0000" in out
    rows = [line.split() for line in out.strip().splitlines()[-4:]]
    mse_acc, ce_acc = ([float(r[i].rstrip("%")) for r in rows] for i in (1, 2))
    assert mse_acc[-1] < 30 and all(c > m + 25 for m, c in zip(mse_acc, ce_acc))


def test_an_example_without_a_display_saves_its_figure(tmp_path):
    """In a terminal with no display, an example's figure goes to a file it names."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("DISPLAY", None)
    proc = subprocess.run([sys.executable, str(EXAMPLES / "plot_grid_search_costs.py")], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "figure: grid-search-costs.png" in proc.stdout
    assert (tmp_path / "grid-search-costs.png").stat().st_size > 10_000
