"""Comparing costs on real data: ``compare``, ``summarize`` and ``costlab compare``.

A comparison is fair when every (cost, eta) of a seed starts from the same
weights and sees the same batches in the same order: checked directly on the
networks, and by training every run of a comparison again alone with
Network.fit. Then the summary against NumPy and a hand-made history, the
seed's point on digits (the quadratic cost behind with large initial
weights), parallel workers, diverged runs, the command's JSON, CSV, figures
and bad input.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from costlab.compare import Comparison, compare, summarize
from costlab.data import load_data
from conftest import floats
from costlab.network import Network
from clitools import PNG_MAGIC, invoke, run_main, strict_json

COSTS = ("quadratic", "cross-entropy", "log-likelihood")
HISTORY_KEYS = ("epoch", "train_cost", "train_accuracy", "eval_cost", "eval_accuracy")
LIMIT = 300


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


@pytest.fixture(scope="module")
def small():
    """Every cost, two etas, two seeds, both initializers, on 300 digits."""
    return compare("digits", costs=COSTS, etas=(0.5, 1.0), seeds=2, epochs=3, inits=("large", "default"),
                   limit=LIMIT)


def solo_history(digits, run, sizes, epochs, limit=LIMIT, batch_size=10):
    net = Network(sizes, cost=run["cost"], init=run["init"], seed=run["seed"])
    X, y = digits.X_train[:limit], digits.y_train[:limit]
    return net.fit(X, y, epochs=epochs, batch_size=batch_size, eta=run["eta"],
                   eval_data=(digits.X_test, digits.y_test)).to_dict()


# --------------------------------------------------------------------------- #
# Fair: the same start and batch order per seed
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("init", ["default", "large"])
@pytest.mark.parametrize("seed", [0, 3])
def test_every_cost_of_a_seed_starts_from_the_same_weights_and_batch_order(init, seed):
    nets = [Network([64, 30, 10], cost=c, init=init, seed=seed) for c in COSTS]
    for net in nets[1:]:
        for l in range(2):
            np.testing.assert_array_equal(net.weights[l], nets[0].weights[l])
            np.testing.assert_array_equal(net.biases[l], nets[0].biases[l])
        assert net.rng.bit_generator.state == nets[0].rng.bit_generator.state
    orders = [net.rng.permutation(100) for net in nets]
    assert all((o == orders[0]).all() for o in orders)
    # and different seeds start differently
    other = Network([64, 30, 10], init=init, seed=seed + 1)
    assert not np.array_equal(other.weights[0], nets[0].weights[0])


def test_the_runs_of_a_seed_share_their_start(small):
    by_start = {}
    for r in small.runs:
        by_start.setdefault((r["init"], r["seed"]), []).append(r)
    assert len(by_start) == 4
    for runs in by_start.values():
        assert len(runs) == len(COSTS) * 2
        # sigmoid and softmax outputs rank the classes alike: the same start, the same accuracy
        assert len({r["history"]["eval_accuracy"][0] for r in runs}) == 1
        assert len({r["history"]["train_accuracy"][0] for r in runs}) == 1
        for cost in COSTS:
            assert len({r["history"]["eval_cost"][0] for r in runs if r["cost"] == cost}) == 1
    # the seeds start differently
    starts = {(r["init"], r["seed"]): r["history"]["eval_cost"][0] for r in small.runs if r["cost"] == "quadratic"}
    assert starts[("large", 0)] != starts[("large", 1)] and starts[("default", 0)] != starts[("default", 1)]


def test_every_run_equals_the_same_network_trained_alone(small, digits):
    assert len(small.runs) == 2 * len(COSTS) * 2 * 2
    for run in small.runs:
        h = solo_history(digits, run, [64, 30, 10], epochs=3)
        assert run["history"]["epoch"] == h["epoch"] == [0, 1, 2, 3]
        np.testing.assert_allclose(run["history"]["eval_cost"], h["eval_cost"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(floats(run["history"]["train_cost"]), floats(h["train_cost"]), rtol=0, atol=1e-12)
        assert run["history"]["eval_accuracy"] == h["eval_accuracy"]
        assert "diverged" not in run["history"]


def test_float32_runs_equal_float32_networks_trained_alone(digits):
    c = compare("digits", costs=COSTS, etas=(0.5,), seeds=1, epochs=2, inits=("default",), limit=LIMIT,
                dtype="float32")
    assert c.config["dtype"] == "float32"
    for run in c.runs:
        net = Network([64, 30, 10], cost=run["cost"], init="default", seed=0, dtype="float32")
        h = net.fit(digits.X_train[:LIMIT], digits.y_train[:LIMIT], epochs=2, eta=0.5,
                    eval_data=(digits.X_test, digits.y_test))
        np.testing.assert_allclose(run["history"]["eval_cost"], h.eval_cost, rtol=1e-5)


def test_two_workers_give_exactly_the_json_of_one(small):
    parallel = compare("digits", costs=COSTS, etas=(0.5, 1.0), seeds=2, epochs=3, inits=("large", "default"),
                       limit=LIMIT, workers=2)
    assert json.dumps(parallel.to_dict(), allow_nan=False) == json.dumps(small.to_dict(), allow_nan=False)


def test_runs_come_in_a_fixed_order_and_on_done_sees_each_group(small):
    seen = []
    c = compare("digits", costs=("quadratic", "cross-entropy"), etas=(0.5,), seeds=[4, 2], epochs=1,
                inits=("default",), limit=100, on_done=seen.append)
    assert [(r["seed"], r["cost"]) for r in c.runs] == [(4, "quadratic"), (4, "cross-entropy"),
                                                         (2, "quadratic"), (2, "cross-entropy")]
    assert [[r["seed"] for r in runs] for runs in seen] == [[4, 4], [2, 2]]
    assert c.config["seeds"] == [4, 2]
    keys = [(r["init"], r["cost"], r["eta"], r["seed"]) for r in small.runs]
    assert len(set(keys)) == len(keys)


def test_config_records_the_settings(small):
    cfg = small.config
    assert cfg["sizes"] == [64, 30, 10]
    assert cfg["costs"] == list(COSTS) and cfg["etas"] == [0.5, 1.0]
    assert cfg["seeds"] == [0, 1] and cfg["inits"] == ["large", "default"]
    assert (cfg["epochs"], cfg["batch_size"], cfg["limit"], cfg["n_train"], cfg["n_test"]) == (3, 10, LIMIT, LIMIT, 450)
    assert cfg["target_accuracy"] == 0.9


# --------------------------------------------------------------------------- #
# The summary
# --------------------------------------------------------------------------- #

def test_summary_means_and_stds_are_numpys(small):
    rows = small.summary
    assert len(rows) == 2 * len(COSTS) * 2
    for row in rows:
        runs = [r for r in small.runs if (r["init"], r["cost"], r["eta"]) == (row["init"], row["cost"], row["eta"])]
        assert row["runs"] == len(runs) == 2 and row["diverged"] == 0
        for measure in ("eval_accuracy", "eval_cost"):
            values = np.array([r["history"][measure] for r in runs])
            np.testing.assert_allclose(row[f"{measure}_mean"], values.mean(axis=0), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(row[f"{measure}_std"], values.std(axis=0), rtol=1e-9, atol=1e-15)
        finals = [r["history"]["eval_accuracy"][-1] for r in runs]
        assert row["final_accuracy_mean"] == pytest.approx(np.mean(finals), rel=1e-15)
        assert row["final_accuracy_std"] == pytest.approx(np.std(finals), rel=1e-12, abs=1e-15)
        assert row["best_accuracy"] == max(max(r["history"]["eval_accuracy"]) for r in runs)


def run_of(accuracies, cost="quadratic", eta=0.5, seed=0, init="large", epochs=None, diverged=None):
    """A hand-made run with the given test accuracies per epoch."""
    n = len(accuracies)
    h = {
        "epoch": list(range(n)) if epochs is None else epochs,
        "train_cost": [1.0] * n, "train_accuracy": [0.5] * n,
        "eval_cost": [2.0 - a for a in accuracies], "eval_accuracy": list(accuracies),
    }
    if diverged is not None:
        h["diverged"] = {"epoch": diverged, "reason": "the training cost exploded to 1e+03"}
    return {"init": init, "seed": seed, "cost": cost, "eta": eta, "history": h}


def test_epochs_to_target_on_hand_made_histories():
    runs = [
        run_of([0.1, 0.5, 0.92, 0.95], seed=0),      # first at epoch 2
        run_of([0.1, 0.9, 0.8, 0.95], seed=1),       # 0.9 counts: epoch 1
        run_of([0.1, 0.3, 0.5, 0.89], seed=2),       # never
        run_of([0.1, 0.2, 0.3, 0.95], cost="cross-entropy", seed=0, epochs=[5, 6, 7, 8]),   # resumed: epoch 8
    ]
    rows = {r["cost"]: r for r in summarize(runs, 0.9)}
    q = rows["quadratic"]
    assert q["epochs_to_target"] == [2, 1, None]
    assert q["reached_target"] == 2
    assert q["epochs_to_target_mean"] == 1.5
    assert q["best_accuracy"] == 0.95
    assert q["final_accuracy_mean"] == pytest.approx((0.95 + 0.95 + 0.89) / 3)
    assert q["eval_accuracy_mean"] == pytest.approx([0.1, (0.5 + 0.9 + 0.3) / 3, (0.92 + 0.8 + 0.5) / 3,
                                                     (0.95 + 0.95 + 0.89) / 3])
    assert q["eval_accuracy_std"][0] == pytest.approx(0.0, abs=1e-15)
    assert q["eval_accuracy_std"][1] == pytest.approx(np.std([0.5, 0.9, 0.3]))
    assert rows["cross-entropy"]["epochs_to_target"] == [8]
    assert rows["cross-entropy"]["runs"] == 1
    # nobody arrives
    [row] = summarize([run_of([0.1, 0.2])], 0.9)
    assert (row["epochs_to_target"], row["epochs_to_target_mean"], row["reached_target"]) == ([None], None, 0)


def test_summary_keeps_inits_costs_and_etas_apart():
    runs = [run_of([0.1, 0.2], init=i, cost=c, eta=e) for i in ("default", "large")
            for c in ("quadratic", "cross-entropy") for e in (0.5, 1.0)]
    rows = summarize(runs, 0.9)
    assert [(r["init"], r["cost"], r["eta"]) for r in rows] == [
        (r["init"], r["cost"], r["eta"]) for r in runs]
    assert all(r["runs"] == 1 for r in rows)


def test_a_diverged_run_counts_and_shortens_only_its_own_history():
    runs = [
        run_of([0.1, 0.5, 0.7, 0.8], seed=0),
        run_of([0.1, 0.4], seed=1, diverged=2),      # frozen after epoch 1
    ]
    [row] = summarize(runs, 0.75)
    assert row["diverged"] == 1
    assert row["eval_accuracy_mean"] == pytest.approx([0.1, 0.45, 0.7, 0.8])
    assert row["eval_accuracy_std"][2:] == [0.0, 0.0]
    assert row["epochs_to_target"] == [3, None]
    assert all(v is not None for v in row["eval_accuracy_mean"])
    json.dumps(row, allow_nan=False)


def test_none_accuracies_are_skipped():
    runs = [run_of([0.1, 0.95]), run_of([0.1, 0.95], seed=1)]
    runs[1]["history"]["eval_accuracy"][0] = None
    [row] = summarize(runs, 0.9)
    assert row["eval_accuracy_mean"][0] == 0.1 and row["epochs_to_target"] == [1, 1]


# --------------------------------------------------------------------------- #
# The seed's point on real data
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def large_init():
    return compare("digits", costs=("quadratic", "cross-entropy"), etas=(0.5,), seeds=3, epochs=3,
                   inits=("large",))


def test_with_large_weights_the_quadratic_cost_is_behind_at_epoch_3(large_init):
    rows = {r["cost"]: r for r in large_init.summary}
    q, ce = rows["quadratic"]["eval_accuracy_mean"], rows["cross-entropy"]["eval_accuracy_mean"]
    assert q[0] == ce[0]                       # the same start
    assert ce[3] - q[3] > 0.2, (q, ce)         # measured: about 0.49 against 0.92
    assert ce[1] > q[1] and ce[2] > q[2]
    assert rows["cross-entropy"]["eval_accuracy_std"][3] < 0.05


def test_full_digits_runs_equal_solo_runs(large_init, digits):
    for run in large_init.runs:
        h = solo_history(digits, run, [64, 30, 10], epochs=3, limit=None)
        np.testing.assert_allclose(run["history"]["eval_cost"], h["eval_cost"], rtol=0, atol=1e-12)
        assert run["history"]["eval_accuracy"] == h["eval_accuracy"]


# --------------------------------------------------------------------------- #
# Diverged runs
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def with_divergence():
    return compare("digits", costs=("cross-entropy",), etas=(0.5, 500.0), seeds=2, epochs=3,
                   inits=("default",), limit=LIMIT)


def test_a_diverged_run_is_reported_and_the_others_finish(with_divergence, digits):
    rows = {r["eta"]: r for r in with_divergence.summary}
    assert rows[500.0]["diverged"] == 2 and rows[0.5]["diverged"] == 0
    for run in with_divergence.runs:
        h = run["history"]
        if run["eta"] == 500.0:
            assert h["diverged"]["epoch"] == 1 and "exploded" in h["diverged"]["reason"]
            assert h["epoch"] == [0]
        else:
            assert "diverged" not in h and h["epoch"] == [0, 1, 2, 3]
            # its neighbour's divergence did not touch it
            solo = solo_history(digits, run, [64, 30, 10], epochs=3)
            np.testing.assert_allclose(h["eval_cost"], solo["eval_cost"], rtol=0, atol=1e-12)
    strict_json(json.dumps(with_divergence.to_dict(), allow_nan=False))


def test_diverged_runs_in_csv(with_divergence):
    rows = list(with_divergence.csv_rows())
    header, body = rows[0], rows[1:]
    assert header[-1] == "diverged_in_epoch"
    assert {r[-1] for r in body if r[2] == 500.0} == {1}
    assert {r[-1] for r in body if r[2] == 0.5} == {""}


def test_compare_command_reports_a_diverged_learning_rate(tmp_path):
    code, out, err = invoke("compare", "--data", "digits", "--limit", LIMIT, "--seeds", 2, "--epochs", 3,
                            "--costs", "cross-entropy", "--etas", "0.5,500", "--init", "default", "--workers", 1,
                            "--json", "--out", tmp_path)
    assert code == 0, err
    d = strict_json(out)
    rows = {r["eta"]: r for r in d["summary"]}
    assert rows[500.0]["diverged"] == 2
    assert all("diverged" in r["history"] for r in d["runs"] if r["eta"] == 500.0)
    assert strict_json((tmp_path / "compare.json").read_text()) == d
    assert (tmp_path / "compare-accuracy.png").read_bytes()[:8] == PNG_MAGIC


def test_compare_table_with_a_learning_rate_where_every_run_diverged():
    # the table reads epochs 1 and 3 of every row: the diverged row stops at epoch 0
    code, out, err = invoke("compare", "--data", "digits", "--limit", LIMIT, "--seeds", 1, "--epochs", 3,
                            "--costs", "cross-entropy", "--etas", "0.5,500", "--init", "default", "--workers", 1)
    assert code == 0, err
    assert "1 diverged" in out
    assert "500" in out


# --------------------------------------------------------------------------- #
# Arguments of compare()
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(seeds=0), "at least one seed"),
        (dict(seeds=[]), "at least one seed"),
        (dict(costs=()), "at least one"),
        (dict(etas=()), "at least one"),
        (dict(inits=()), "at least one"),
        (dict(costs=("hinge",)), "hinge"),
        (dict(inits=("huge",)), "huge"),
        (dict(sizes=[64, 30, 9]), "end with 10"),
        (dict(sizes=[63, 30, 10]), "start with 64"),
        (dict(target_accuracy=0.0), "target_accuracy"),
        (dict(target_accuracy=1.5), "target_accuracy"),
        (dict(data="nothing"), "unknown data set"),
        (dict(limit=0), "limit"),
    ],
)
def test_compare_refuses_bad_arguments(kwargs, message):
    kw = dict(costs=("quadratic",), seeds=1, epochs=1, limit=50)
    kw.update(kwargs)
    with pytest.raises(ValueError) as exc:
        compare(kw.pop("data", "digits"), **kw)
    assert message in str(exc.value)


# --------------------------------------------------------------------------- #
# costlab compare
# --------------------------------------------------------------------------- #

def test_compare_json_has_config_summary_and_runs():
    code, out, err = invoke("compare", "--data", "digits", "--seeds", 2, "--epochs", 3,
                            "--costs", "quadratic,cross-entropy", "--json")
    assert code == 0, err
    d = strict_json(out)
    assert set(d) == {"config", "summary", "runs"}
    cfg = d["config"]
    assert cfg["costs"] == ["quadratic", "cross-entropy"] and cfg["seeds"] == [0, 1]
    assert cfg["inits"] == ["default", "large"] and cfg["etas"] == [0.5] and cfg["epochs"] == 3
    assert cfg["sizes"] == [64, 30, 10] and cfg["n_train"] == 1347
    assert len(d["runs"]) == 2 * 2 * 2
    assert len(d["summary"]) == 2 * 2
    for r in d["runs"]:
        assert set(r) == {"init", "seed", "cost", "eta", "history", "test_classes"}
        assert all(len(r["history"][k]) == 4 for k in HISTORY_KEYS)
    for row in d["summary"]:
        assert len(row["eval_accuracy_mean"]) == 4 and row["runs"] == 2


@pytest.fixture(scope="module")
def compare_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    code, stdout, err = invoke("compare", "--data", "digits", "--limit", LIMIT, "--seeds", 2, "--epochs", 2,
                               "--costs", "quadratic,log-likelihood", "--etas", "0.5,1", "--init", "large",
                               "--workers", 1, "--out", out)
    assert code == 0, err
    return out, stdout


def test_compare_out_writes_figures_csv_and_json(compare_out):
    out, stdout = compare_out
    for stem in ("compare-accuracy", "compare-cost"):
        assert (out / f"{stem}.png").read_bytes()[:8] == PNG_MAGIC
        assert ET.parse(out / f"{stem}.svg").getroot().tag.endswith("svg")
    d = strict_json((out / "compare.json").read_text())
    assert set(d) == {"config", "summary", "runs"}
    assert "wrote" in stdout and "Test accuracy" in stdout


def test_compare_csv_has_one_row_per_run_and_epoch(compare_out):
    out, _ = compare_out
    d = strict_json((out / "compare.json").read_text())
    with open(out / "runs.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["init", "cost", "eta", "seed", *HISTORY_KEYS, "diverged_in_epoch"]
    body = rows[1:]
    assert len(d["runs"]) == 2 * 2 * 2
    assert len(body) == sum(len(r["history"]["epoch"]) for r in d["runs"]) == 8 * 3
    for r in d["runs"]:
        mine = [row for row in body
                if (row[0], row[1], float(row[2]), int(row[3])) == (r["init"], r["cost"], r["eta"], r["seed"])]
        assert [int(row[4]) for row in mine] == r["history"]["epoch"]
        for i, row in enumerate(mine):
            assert float(row[7]) == r["history"]["eval_cost"][i]      # written in full precision
            assert float(row[8]) == r["history"]["eval_accuracy"][i]
            assert row[9] == ""


def test_compare_table_for_people():
    code, out, err = invoke("compare", "--data", "digits", "--limit", LIMIT, "--seeds", 2, "--epochs", 3,
                            "--costs", "quadratic,cross-entropy", "--init", "large", "--workers", 1,
                            "--target-accuracy", "0.5")
    assert code == 0 and err == ""
    assert "mean±std over 2 seeds" in out
    assert "quadratic" in out and "cross-entropy" in out
    assert "ep. 1" in out and "ep. 3" in out and "epochs to 50%" in out


BAD_COMPARE = [
    (["--costs", "foo"], "--costs: unknown cost 'foo'; choose one of: quadratic, cross-entropy, log-likelihood"),
    (["--etas", "0"], "--etas must be numbers > 0"),
    (["--etas", "0.5,-1"], "--etas must be numbers > 0"),
    (["--etas", "x"], "--etas must be comma-separated numbers"),
    (["--etas", "nan"], "--etas must be numbers > 0"),
    (["--init", "huge"], "--init must be a comma-separated list of default, large"),
    (["--seeds", "0"], "--seeds must be a whole number in [1, 1000], got 0"),
    (["--epochs", "0"], "--epochs must be a whole number in [1, 10000], got 0"),
    (["--batch-size", "0"], "--batch-size must be a whole number in [1, 1000000]"),
    (["--data", "nothing"], "unknown data set 'nothing'"),
    (["--data", "missing.npz"], "no such file"),
    (["--sizes", "64,30,9"], "sizes must start with 64 and end with 10"),
    (["--sizes", "64,x,10"], "--sizes"),
    (["--target-accuracy", "2"], "--target-accuracy must be a number in (0, 1], got 2"),
    (["--target-accuracy", "0"], "--target-accuracy must be a number in (0, 1]"),
    (["--limit", "0"], "--limit must be a whole number in [1, 100000000]"),
    (["--lmbda", "-1"], "--lmbda must be a number in [0, 1000000]"),
    (["--out", "/proc/costlab-compare"], "--out cannot be written"),
]


@pytest.mark.parametrize("args, expected", BAD_COMPARE, ids=[" ".join(a) for a, _ in BAD_COMPARE])
def test_compare_bad_input_is_one_line_and_exit_2(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main("compare", "--limit", 50, "--seeds", 1, "--epochs", 1, "--workers", 1, "-q", *args)
    assert code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("costlab compare: error: "), err
    assert expected in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_compare_out_under_a_regular_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x\n")
    code, _, err = run_main("compare", "--limit", 50, "--seeds", 1, "--epochs", 1, "--out", blocker / "sub")
    assert code == 2 and len(err.splitlines()) == 1
    assert "--out cannot be written" in err and "is not a directory" in err


@pytest.mark.parametrize("args", [["--costs", "foo"], ["--seeds", "0"], ["--data", "nothing"]])
def test_compare_process_bad_input_exit_2_one_line(args):
    p = subprocess.run([sys.executable, "-m", "costlab", "compare", *args], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2, p.stderr[-2000:]
    assert p.stdout == ""
    assert len(p.stderr.splitlines()) == 1, p.stderr
    assert p.stderr.startswith("costlab compare: error: ")


def test_compare_on_image_sized_data_with_two_costs(tmp_path):
    # 784 inputs: the group of [784, 30, 10] networks is trained in blocks of members
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(path, X_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), y_train=rng.integers(0, 10, 30),
             X_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), y_test=np.arange(20) % 10)
    code, out, err = invoke("compare", "--data", path, "--seeds", 1, "--epochs", 1,
                            "--costs", "quadratic,cross-entropy", "--etas", "0.5,1", "--init", "default",
                            "--workers", 1, "--json")
    assert code == 0, err
    d = strict_json(out)
    assert d["config"]["sizes"] == [784, 30, 10]
    assert len(d["runs"]) == 4


def test_comparison_to_dict_round_trips_through_json(small):
    d = small.to_dict()
    again = Comparison(d["config"], d["runs"])
    assert json.loads(json.dumps(again.to_dict())) == json.loads(json.dumps(d))
