"""Hostile and careless model and checkpoint files: read only regular files, sizes
checked before reading, inconsistent checkpoints refused before resuming.
"""

from __future__ import annotations

import json
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clitools import run_main
from costlab import saving
from costlab.network import Network
from costlab.saving import ModelFileError, load, load_checkpoint


def in_time(fn, seconds=5.0):
    """fn() in a thread; fails (rather than hangs) when it takes longer than ``seconds``."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the test
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still reading after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.parametrize("kind", ["fifo", "link-to-zero", "link-to-urandom", "dir"])
def test_load_refuses_what_is_not_a_regular_file_at_once(tmp_path, kind):
    path = tmp_path / "model.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    else:
        path.symlink_to("/dev/" + kind.split("-")[-1])
    for reader in (load, load_checkpoint):
        with pytest.raises(ModelFileError, match="regular file|cannot read"):
            in_time(lambda: reader(path))


def test_load_refuses_a_file_over_the_size_cap_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1000)
    monkeypatch.setattr(saving, "MAX_FILE_BYTES", 999)
    with pytest.raises(ModelFileError, match="too large"):
        load(path)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ck") / "ck.json"
    code, _, err = run_main("train", "--data", "digits", "--epochs", "2", "--limit", "100", "--quiet",
                            "--checkpoint", path)
    assert code == 0, err
    return json.loads(path.read_text())


def resume(tmp_path, doc, epochs=3):
    path = tmp_path / "ck.json"
    path.write_text(json.dumps(doc))
    return run_main("train", "--data", "digits", "--epochs", epochs, "--limit", "100", "--quiet",
                    "--checkpoint", path, "--resume")


def test_a_good_checkpoint_resumes(tmp_path, checkpoint):
    code, _, err = resume(tmp_path, checkpoint)
    assert code == 0, err


@pytest.mark.parametrize("key, value", [("cost", "quadratic"), ("activation", "tanh"), ("sizes", [64, 31, 10]),
                                        ("dtype", "float32"), ("output_activation", "softmax")])
def test_model_and_training_blocks_must_agree(tmp_path, checkpoint, key, value):
    doc = json.loads(json.dumps(checkpoint))
    doc["training"][key] = value
    code, _, err = resume(tmp_path, doc)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "inconsistent" in err


@pytest.mark.parametrize("damage", [
    lambda h: h["train_cost"].__setitem__(1, None),
    lambda h: h["train_accuracy"].__setitem__(1, None),  # entry 0 of a running record is null
    lambda h: h["epoch"].__setitem__(0, None),
    lambda h: h["epoch"].__setitem__(1, 0),
    lambda h: h["train_accuracy"].__setitem__(1, 7.5),
    lambda h: h["eval_cost"].__setitem__(1, -1.0),
    lambda h: h["epoch"].__setitem__(0, -1),
])
def test_invalid_history_entries_are_refused(tmp_path, checkpoint, damage):
    doc = json.loads(json.dumps(checkpoint))
    damage(doc["history"])
    code, _, err = resume(tmp_path, doc)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "history" in err


history_values = st.none() | st.integers(-5, 5) | st.floats(-2, 2) | st.text(max_size=3) | st.booleans()


@settings(max_examples=60, deadline=None)
@given(st.lists(history_values, min_size=3, max_size=3), st.sampled_from(saving._HISTORY_KEYS))
def test_any_history_column_loads_or_is_refused_cleanly(tmp_path_factory, column, key):
    net = Network([2, 2], seed=0)
    net.epochs_trained = 2
    doc = saving._model_dict(net, {"sizes": [2, 2]})
    doc.update(format=saving.CHECKPOINT_FORMAT, rng=net.rng.bit_generator.state, velocities=None,
               bias_velocities=None,
               history={"epoch": [0, 1, 2], "train_cost": [1.0, 0.5, 0.25], "train_accuracy": [0.1, 0.5, 0.9],
                        "eval_cost": [None, None, None], "eval_accuracy": [None, None, None]})
    doc["history"][key] = column
    path = tmp_path_factory.mktemp("h") / "ck.json"
    path.write_text(json.dumps(doc))
    try:
        _, history, _ = load_checkpoint(path)
    except ModelFileError:
        return
    assert history.epoch == sorted(set(history.epoch)) and history.epoch[-1] == 2
    assert all(v is not None and v >= 0 for v in history.train_cost + history.train_accuracy)
    assert all(v is None or 0 <= v <= 1 for v in history.train_accuracy + history.eval_accuracy)
