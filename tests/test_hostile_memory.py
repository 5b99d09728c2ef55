"""Hostile sizes: a small file that asks for gigabytes is refused before anything is allocated, with the
estimate and the limit in one line (each case in a child of 1 GiB and 15 s); one layer-count limit
for what trains, saves and loads.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bounded import one_line_exit_2, run_bounded


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile-memory")
    rng = np.random.default_rng(0)
    # 30 KB compressed; labels up to 9999 make one-hot targets of 10,000 columns
    np.savez_compressed(d / "classes.npz", X_train=rng.integers(0, 2, (5000, 16), dtype=np.uint8),
                        y_train=rng.integers(0, 10000, 5000), X_test=rng.integers(0, 2, (1000, 16), dtype=np.uint8),
                        y_test=rng.integers(0, 10000, 1000))
    # 3,000,000 features: the default sizes make a first layer of 90 million weights
    np.savez_compressed(d / "wide.npz", X_train=np.zeros((2, 3_000_000), np.uint8), y_train=np.array([0, 1]),
                        X_test=np.zeros((1, 3_000_000), np.uint8), y_test=np.array([0]))
    # IDX files of one image of 1 x 2,000,000 pixels
    idx = d / "idx"
    idx.mkdir()
    for name, dims in (("train-images-idx3-ubyte", (1, 1, 2_000_000)), ("t10k-images-idx3-ubyte", (1, 1, 2_000_000)),
                       ("train-labels-idx1-ubyte", (1,)), ("t10k-labels-idx1-ubyte", (1,))):
        header = bytes([0, 0, 8, len(dims)]) + b"".join(n.to_bytes(4, "big") for n in dims)
        (idx / name).write_bytes(header + bytes(int(np.prod(dims))))
    return d


@pytest.mark.parametrize("command", ["train", "layers", "compare"])
def test_one_hot_targets_of_ten_thousand_classes_are_refused_before_allocation(files, command):
    p, elapsed = run_bounded(command, "--data", files / "classes.npz", "--epochs", "1")
    one_line_exit_2(p, "would take about")
    assert "targets" in p.stderr and "over the budget of 2,048 MiB" in p.stderr
    assert elapsed < 15


@pytest.mark.parametrize("command, data", [("train", "wide.npz"), ("layers", "wide.npz"), ("compare", "wide.npz"),
                                           ("train", "mnist:{d}/idx")])
def test_default_sizes_are_bounded_too(files, command, data):
    spec = data.format(d=files) if "{d}" in data else files / data
    p, elapsed = run_bounded(command, "--data", spec, "--epochs", "1")
    one_line_exit_2(p, "the most costlab trains is 50,000,000")
    assert elapsed < 15


def test_a_checkpoint_of_empty_lists_is_refused_by_its_parse_cost(tmp_path):
    """Small on disk, huge once parsed: refused from a count of its brackets, before json.loads."""
    path = tmp_path / "padded.json"
    path.write_text('{"format": "costlab-checkpoint", "version": 1, "pad": [' + "[]," * 1_000_000 + "[]]}")
    p, elapsed = run_bounded("train", "--epochs", "2", "--resume", "--checkpoint", path,
                             env={"COSTLAB_MAX_DATA_BYTES": str(64 << 20)})
    one_line_exit_2(p, "reading this file would take about")
    assert "over the budget of 64 MiB" in p.stderr
    assert elapsed < 15


def test_layer_counts_agree_between_training_saving_and_loading(tmp_path):
    from costlab.network import MAX_LAYERS, Network
    from costlab.saving import load, save

    p, _ = run_bounded("train", "--sizes", ",".join(["64"] + ["2"] * (MAX_LAYERS - 2) + ["10"]), "--epochs", "0",
                       "-q", "--save", tmp_path / "deep.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert load(tmp_path / "deep.json").sizes == [64] + [2] * (MAX_LAYERS - 2) + [10]
    p, elapsed = run_bounded("train", "--sizes", ",".join(["64"] + ["2"] * (MAX_LAYERS - 1) + ["10"]),
                             "--epochs", "0")
    one_line_exit_2(p, f"at most {MAX_LAYERS} layers")
    assert elapsed < 15
    with pytest.raises(ValueError, match=f"at most {MAX_LAYERS} layers"):
        Network([2] * (MAX_LAYERS + 1))
    net = Network([2] * MAX_LAYERS, seed=0)
    save(net, tmp_path / "64.json")
    assert json.loads((tmp_path / "64.json").read_text())["sizes"] == [2] * MAX_LAYERS
    assert load(tmp_path / "64.json").sizes == [2] * MAX_LAYERS
