"""Tests of costlab.saving: model files and checkpoints.

Round trips are bit for bit (weights, biases, momentum, the generator state),
a run resumed from a checkpoint ends exactly where an uninterrupted one does,
and every crafted or corrupt file raises ModelFileError (a ValueError): never
another exception, never an import, an evaluation or an unpickling. Hypothesis
mutates a valid file at random places to look for any other outcome.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys
import textwrap
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import costlab
from costlab import History, Network, fileio
from costlab import saving
from costlab.saving import ModelFileError, load, load_checkpoint, save, save_checkpoint

REQUIRED = ("format", "version", "sizes", "cost", "activation", "output_activation",
            "dtype", "epochs_trained", "weights", "biases", "training")
CHECKPOINT_ONLY = ("rng", "history")


def blobs(n, seed, k=3, d=4):
    """k separated Gaussian clusters in d dimensions: (X, y)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    return np.eye(k, d)[y] * 4.0 + rng.standard_normal((n, d)), y


X_TRAIN, Y_TRAIN = blobs(60, 0)
X_TEST, Y_TEST = blobs(30, 1)


def trained(dtype="float64", cost="cross-entropy", activation="sigmoid", output_activation=None, mu=0.0, epochs=2):
    net = Network([4, 5, 3], cost=cost, activation=activation, output_activation=output_activation,
                  dtype=dtype, seed=0)
    history = net.fit(X_TRAIN, Y_TRAIN, epochs=epochs, batch_size=7, eta=0.1, lmbda=0.1, mu=mu,
                      eval_data=(X_TEST, Y_TEST))
    return net, history


def same_bits(a, b):
    """Same dtype, shape and bytes (so -0.0 and 0.0 differ, and NaN payloads count)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_network(a: Network, b: Network):
    assert b.sizes == a.sizes
    assert (b.cost, b.activation, b.output_activation) == (a.cost, a.activation, a.output_activation)
    assert b.dtype == a.dtype
    assert b.epochs_trained == a.epochs_trained
    assert len(b.weights) == len(a.weights) and len(b.biases) == len(a.biases)
    for pa, pb in zip(a.weights + a.biases, b.weights + b.biases):
        assert same_bits(pa, pb)


def rng_state(net):
    return net.rng.bit_generator.state


def listing(directory):
    return sorted(os.listdir(directory))


# --------------------------------------------------------------------------- #
# Model files: round trip and format
# --------------------------------------------------------------------------- #

NETWORK_KINDS = [
    ("quadratic", "sigmoid", None),
    ("cross-entropy", "tanh", None),
    ("log-likelihood", "relu", None),
    ("quadratic", "identity", "identity"),
    ("quadratic", "sigmoid", "softmax"),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cost,activation,output_activation", NETWORK_KINDS)
def test_save_load_round_trip(tmp_path, dtype, cost, activation, output_activation):
    net, _ = trained(dtype, cost, activation, output_activation)
    path = tmp_path / "model.json"
    save(net, path)
    back = costlab.load(path)
    assert isinstance(back, Network)
    assert_same_network(net, back)
    assert back.weights[0].dtype == np.dtype(dtype) and back.biases[-1].dtype == np.dtype(dtype)
    assert same_bits(net.feedforward(X_TEST), back.feedforward(X_TEST))
    np.testing.assert_array_equal(net.predict(X_TEST), back.predict(X_TEST))
    assert back.accuracy(X_TEST, Y_TEST) == net.accuracy(X_TEST, Y_TEST)
    assert back.training == net.training
    assert listing(tmp_path) == ["model.json"]


def test_file_is_documented_json(tmp_path):
    net, _ = trained()
    path = tmp_path / "model.json"
    save(net, path, training={"data": "blobs", "epochs": 2})
    d = json.loads(path.read_text(encoding="utf-8"))
    assert d["format"] == "costlab-model" and d["version"] == 1
    assert d["version"] is not True and type(d["version"]) is int
    assert set(REQUIRED) <= set(d)
    assert d["sizes"] == [4, 5, 3]
    assert (d["cost"], d["activation"], d["output_activation"], d["dtype"]) == (
        "cross-entropy", "sigmoid", "sigmoid", "float64")
    assert d["epochs_trained"] == 2
    assert [np.shape(w) for w in d["weights"]] == [(5, 4), (3, 5)]
    assert [np.shape(b) for b in d["biases"]] == [(5,), (3,)]
    # the training configuration of fit, and what the caller added
    assert d["training"] == {"batch_size": 7, "eta": 0.1, "lmbda": 0.1, "mu": 0.0, "n": 60, "monitor": "running",
                             "path": "kernel", "data": "blobs", "epochs": 2}
    assert costlab.load(path).training == d["training"]


def test_untrained_network_round_trip(tmp_path):
    net = Network([2, 1], cost="quadratic", seed=3)
    save(net, tmp_path / "n.json")
    back = load(tmp_path / "n.json")
    assert_same_network(net, back)
    assert back.epochs_trained == 0 and back.training == {}


def test_awkward_numbers_round_trip_bit_for_bit(tmp_path):
    net = Network([3, 2], cost="quadratic", seed=0)
    net.weights[0][...] = [[-0.0, 5e-324, 1.7976931348623157e308], [-1e-310, 0.1, 2.0 / 3.0]]
    net.biases[0][...] = [-0.0, np.nextafter(1.0, 2.0)]
    save(net, tmp_path / "n.json")
    assert_same_network(net, load(tmp_path / "n.json"))

    net32 = Network([2, 2], cost="quadratic", dtype="float32", seed=0)
    tiny = np.float32(1e-45)  # the smallest float32 subnormal
    net32.weights[0][...] = np.array([[-0.0, tiny], [np.finfo(np.float32).max, np.float32(0.1)]], np.float32)
    save(net32, tmp_path / "n32.json")
    assert_same_network(net32, load(tmp_path / "n32.json"))


def test_loaded_network_trains_further(tmp_path):
    net, _ = trained(epochs=1)
    save(net, tmp_path / "m.json")
    back = load(tmp_path / "m.json")
    back.fit(X_TRAIN, Y_TRAIN, epochs=1, batch_size=7, eta=0.3)
    assert back.epochs_trained == 2


def test_load_reads_a_checkpoint_as_a_model(tmp_path):
    net, history = trained(mu=0.5)
    save_checkpoint(net, tmp_path / "c.json", history, net.training)
    assert_same_network(net, load(tmp_path / "c.json"))


# --------------------------------------------------------------------------- #
# Checkpoints
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("mu", [0.0, 0.6])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_checkpoint_round_trip(tmp_path, mu, dtype):
    net, history = trained(dtype, mu=mu)
    path = tmp_path / "ckpt.json"
    save_checkpoint(net, path, history, {**net.training, "data": "blobs"})
    d = json.loads(path.read_text())
    assert d["format"] == "costlab-checkpoint" and d["version"] == 1

    back, back_history, training = load_checkpoint(path)
    assert_same_network(net, back)
    assert training == {**net.training, "data": "blobs"}
    assert back_history.to_dict() == history.to_dict()
    assert isinstance(back_history, History)
    if mu:
        assert len(back.velocities) == len(net.velocities)
        for v, u in zip(net.velocities, back.velocities):
            assert same_bits(v, u)
    else:
        assert net.velocities is None and back.velocities is None
    assert rng_state(back) == rng_state(net)
    # the generator continues with the same numbers
    np.testing.assert_array_equal(back.rng.random(8), net.rng.random(8))
    np.testing.assert_array_equal(back.rng.permutation(50), net.rng.permutation(50))


def test_checkpoint_restores_generator_with_buffered_uint32(tmp_path):
    net, history = trained()
    net.rng.integers(0, 2**32, dtype=np.uint32)  # leaves half a 64-bit draw buffered
    assert rng_state(net)["has_uint32"] == 1
    save_checkpoint(net, tmp_path / "c.json", history, {})
    back, _, _ = load_checkpoint(tmp_path / "c.json")
    assert rng_state(back) == rng_state(net)
    assert back.rng.integers(0, 2**32, size=5, dtype=np.uint32).tolist() == \
        net.rng.integers(0, 2**32, size=5, dtype=np.uint32).tolist()


class Killed(Exception):
    """Stands for the process being killed."""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path, dtype):
    from costlab.data import load_data

    d = load_data("digits").limit(400)
    options = dict(batch_size=10, eta=0.5, lmbda=0.5, mu=0.7, shuffle=True)

    straight = Network([64, 20, 10], dtype=dtype, seed=11)
    h_straight = straight.fit(d.X_train, d.y_train, epochs=5, eval_data=(d.X_test, d.y_test), **options)

    # a run that saves a checkpoint after every epoch and is killed after epoch 3
    path = tmp_path / "run.ckpt"

    def checkpoint(net, epoch, history):
        if epoch >= 1:
            save_checkpoint(net, path, history, net.training)
        if epoch == 3:
            raise Killed

    victim = Network([64, 20, 10], dtype=dtype, seed=11)
    with pytest.raises(Killed):
        victim.fit(d.X_train, d.y_train, epochs=5, eval_data=(d.X_test, d.y_test), on_epoch=checkpoint, **options)
    del victim

    net, history, training = load_checkpoint(path)
    assert net.epochs_trained == 3 and len(history) == 4
    resumed_options = {k: training[k] for k in ("batch_size", "eta", "lmbda", "mu")}
    assert resumed_options == {k: options[k] for k in resumed_options}
    h = net.fit(d.X_train, d.y_train, epochs=2, eval_data=(d.X_test, d.y_test), history=history,
                shuffle=True, **resumed_options)

    assert net.epochs_trained == straight.epochs_trained == 5
    for a, b in zip(straight.weights + straight.biases + straight.velocities,
                    net.weights + net.biases + net.velocities):
        assert same_bits(a, b)
    assert h.to_dict() == h_straight.to_dict()
    assert rng_state(net) == rng_state(straight)


# --------------------------------------------------------------------------- #
# Saving refuses broken networks; writes are atomic
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("where", ["weight", "bias"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_saving_non_finite_parameters_refused_and_old_file_kept(tmp_path, where, bad):
    path = tmp_path / "model.json"
    good, history = trained()
    save(good, path)
    before = path.read_bytes()
    broken = copy.deepcopy(good)
    (broken.weights[1] if where == "weight" else broken.biases[0])[0, ...] = bad
    with pytest.raises(ValueError):
        save(broken, path)
    with pytest.raises(ValueError):
        save_checkpoint(broken, path, history, {})
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["model.json"]


def test_checkpoint_with_non_finite_momentum_refused_and_old_file_kept(tmp_path):
    path = tmp_path / "c.json"
    net, history = trained(mu=0.5)
    save_checkpoint(net, path, history, {})
    before = path.read_bytes()
    net.velocities[0][0, 0] = np.nan
    with pytest.raises(ValueError):
        save_checkpoint(net, path, history, {})
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["c.json"]


def test_failure_while_encoding_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    net, _ = trained()
    save(net, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise MemoryError("out of memory while encoding")

    monkeypatch.setattr(fileio.json, "dumps", boom)
    with pytest.raises(MemoryError):
        save(Network([4, 5, 3], seed=9), path)
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["model.json"]


@pytest.mark.parametrize("fail_at", ["write", "fsync", "replace"])
def test_failure_while_writing_keeps_old_file_and_no_temp(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "model.json"
    net, history = trained(mu=0.5)
    save(net, path)
    before = path.read_bytes()
    other = Network([4, 5, 3], seed=9)

    if fail_at == "write":
        real_fdopen = os.fdopen

        class HalfWrite:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()
                return False

            def write(self, data):
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                raise OSError(28, "No space left on device")

            def __getattr__(self, name):
                return getattr(self.f, name)

        monkeypatch.setattr(fileio.os, "fdopen", lambda *a, **k: HalfWrite(real_fdopen(*a, **k)))
    else:
        def fail(*args, **kwargs):
            raise OSError(5, f"I/O error in {fail_at}")

        monkeypatch.setattr(fileio.os, fail_at, fail)

    with pytest.raises(OSError):
        save(other, path)
    with pytest.raises(OSError):
        save_checkpoint(net, path, history, {})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["model.json"]
    assert_same_network(net, load(path))


# --------------------------------------------------------------------------- #
# Crafted and corrupt files
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """A valid checkpoint dict (momentum on) and the model dict made from it."""
    path = tmp_path_factory.mktemp("valid") / "c.json"
    net = Network([3, 4, 2], seed=0)
    history = net.fit(X_TRAIN[:, :3], Y_TRAIN % 2, epochs=2, batch_size=5, eta=0.5, mu=0.5)
    save_checkpoint(net, path, history, net.training)
    ckpt = json.loads(path.read_text())
    model = {k: v for k, v in ckpt.items() if k not in ("rng", "velocities", "history")}
    model["format"] = "costlab-model"
    return {"model": model, "checkpoint": ckpt}


def write_raw(path, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    elif not isinstance(payload, bytes):
        payload = json.dumps(payload).encode("utf-8")
    path.write_bytes(payload)
    return path


def refused(loader, path, *words):
    """``loader(path)`` raises ModelFileError (a ValueError) that names the file and ``words``."""
    with pytest.raises(ModelFileError) as info:
        loader(path)
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert str(path) in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_valid_fixture_loads(tmp_path, valid):
    assert isinstance(load(write_raw(tmp_path / "m.json", valid["model"])), Network)
    net, history, _ = load_checkpoint(write_raw(tmp_path / "c.json", valid["checkpoint"]))
    assert net.velocities is not None and len(history) == 3


RAW = {
    "empty": b"",
    "not json": b"this is not a model\n",
    "binary garbage": bytes(range(256)) * 4,
    "not utf-8": b'{"format": "costlab-model\xff\xfe"}',
    "truncated json": b'{"format": "costlab-model", "version": 1, "sizes": [3,',
    "trailing garbage": b'{"format": "costlab-model", "version": 1} x',
    "list at top level": b'[{"format": "costlab-model", "version": 1}]',
    "string at top level": b'"costlab-model"',
    "number at top level": b"1",
    "null": b"null",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "pickle": b"\x80\x04\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94.",
    "npz/zip": b"PK\x03\x04" + bytes(60),
}


@pytest.mark.parametrize("name", list(RAW))
@pytest.mark.parametrize("loader", [load, load_checkpoint], ids=["load", "load_checkpoint"])
def test_unreadable_files(tmp_path, name, loader):
    path = write_raw(tmp_path / "bad.json", RAW[name])
    refused(loader, path)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
@pytest.mark.parametrize("field", ["weights", "biases", "training"])
def test_non_finite_numbers(tmp_path, valid, literal, field):
    text = json.dumps(valid["model"])
    if field == "weights":
        w = valid["model"]["weights"][0][0][0]
        assert text.count(json.dumps(w)) == 1
        text = text.replace(json.dumps(w), literal)
    elif field == "biases":
        b = valid["model"]["biases"][1][0]
        assert text.count(json.dumps(b)) == 1
        text = text.replace(json.dumps(b), literal)
    else:
        text = text.replace('"training": {', f'"training": {{"x": {literal}, ')
    refused(load, write_raw(tmp_path / "m.json", text))


def test_file_too_large_refused_before_parsing(tmp_path, valid, monkeypatch):
    path = write_raw(tmp_path / "m.json", valid["model"])
    monkeypatch.setattr(saving, "MAX_FILE_BYTES", 100)
    refused(load, path, "too large")


def test_missing_path_and_directory(tmp_path):
    refused(load, tmp_path / "absent.json")
    refused(load, tmp_path)


def mutated(d, path_, value=None, delete=False):
    """A deep copy of d with the item at ``path_`` (a tuple of keys/indices) replaced or deleted."""
    d = copy.deepcopy(d)
    target = d
    for k in path_[:-1]:
        target = target[k]
    if delete:
        del target[path_[-1]]
    else:
        target[path_[-1]] = value
    return d


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("kind", ["model", "checkpoint"])
def test_missing_required_field(tmp_path, valid, field, kind):
    d = mutated(valid[kind], (field,), delete=True)
    loader = load if kind == "model" else load_checkpoint
    refused(loader, write_raw(tmp_path / "m.json", d))


@pytest.mark.parametrize("field", CHECKPOINT_ONLY)
def test_checkpoint_missing_field(tmp_path, valid, field):
    d = mutated(valid["checkpoint"], (field,), delete=True)
    refused(load_checkpoint, write_raw(tmp_path / "c.json", d))


BAD_MODEL_FIELDS = {
    # format and version
    "format misspelt": (("format",), "costlab-modell"),
    "format null": (("format",), None),
    "format list": (("format",), ["costlab-model"]),
    "version 2": (("version",), 2),
    "version 0": (("version",), 0),
    "version true": (("version",), True),
    "version string": (("version",), "1"),
    "version null": (("version",), None),
    # sizes
    "sizes bool": (("sizes",), [3, True, 2]),
    "sizes float": (("sizes",), [3, 4.0, 2]),
    "sizes negative": (("sizes",), [3, -4, 2]),
    "sizes zero": (("sizes",), [3, 0, 2]),
    "sizes huge": (("sizes",), [3, 10**12, 2]),
    "sizes beyond 64 bits": (("sizes",), [3, 2**80, 2]),
    "sizes string": (("sizes",), "3,4,2"),
    "sizes string item": (("sizes",), [3, "4", 2]),
    "sizes single layer": (("sizes",), [3]),
    "sizes empty": (("sizes",), []),
    "sizes dict": (("sizes",), {"0": 3}),
    "sizes disagree with weights": (("sizes",), [3, 5, 2]),
    "sizes one layer more": (("sizes",), [3, 4, 2, 2]),
    # names are looked up in the registries only
    "cost import": (("cost",), "__import__('os')"),
    "cost eval": (("cost",), "eval"),
    "cost module attribute": (("cost",), "get_cost"),
    "cost dunder": (("cost",), "__class__"),
    "cost case": (("cost",), "Cross-Entropy"),
    "cost underscore": (("cost",), "cross_entropy"),
    "cost empty": (("cost",), ""),
    "cost null": (("cost",), None),
    "cost list": (("cost",), ["cross-entropy"]),
    "cost dict": (("cost",), {"name": "cross-entropy"}),
    "activation trailing space": (("activation",), "sigmoid "),
    "activation eval": (("activation",), "eval"),
    "activation import": (("activation",), "__import__('os').system('true')"),
    "activation numpy path": (("activation",), "numpy.tanh"),
    "activation softmax in hidden layers": (("activation",), "softmax"),
    "output activation unknown": (("output_activation",), "exp"),
    "output activation the cost cannot take": (("output_activation",), "relu"),
    "output activation number": (("output_activation",), 1),
    # dtype
    "dtype object": (("dtype",), "object"),
    "dtype float16": (("dtype",), "float16"),
    "dtype int64": (("dtype",), "int64"),
    "dtype numpy spelling": (("dtype",), "<f8"),
    "dtype null": (("dtype",), None),
    # epochs_trained
    "epochs negative": (("epochs_trained",), -1),
    "epochs float": (("epochs_trained",), 2.5),
    "epochs bool": (("epochs_trained",), True),
    "epochs string": (("epochs_trained",), "2"),
    # weights and biases
    "weights transposed": (("weights", 0), [[0.1] * 4] * 3),
    "weights ragged": (("weights", 0), [[0.1, 0.2, 0.3], [0.1, 0.2], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]),
    "weights ragged depth": (("weights", 1), [[0.1, 0.2, [0.3], 0.4], [0.1, 0.2, 0.3, 0.4]]),
    "weights word": (("weights", 0, 1, 2), "abc"),
    "weights numeric string": (("weights", 0, 1, 2), "0.5"),
    "weights code string": (("weights", 0, 1, 2), "__import__('os')"),
    "weights bool": (("weights", 0, 1, 2), True),
    "weights null": (("weights", 0, 1, 2), None),
    "weights dict": (("weights", 0, 1, 2), {"re": 1.0}),
    "weights nested deeper": (("weights", 0, 1, 2), [0.5]),
    "weights integer beyond float": (("weights", 0, 1, 2), 10**400),
    "weights one layer missing": (("weights",), [[[0.1] * 3] * 4]),
    "weights one layer extra": (("weights",), [[[0.1] * 3] * 4, [[0.1] * 4] * 2, [[0.1] * 2] * 2]),
    "weights not a list": (("weights",), {"0": 1}),
    "weights flat": (("weights", 1), [0.1] * 8),
    "weights scalar": (("weights", 1), 0.5),
    "biases wrong length": (("biases", 0), [0.0] * 5),
    "biases 2-D": (("biases", 1), [[0.0, 0.0]]),
    "biases string": (("biases", 1, 0), "0"),
    "biases integer beyond float": (("biases", 1, 0), -(10**400)),
    "biases missing a layer": (("biases",), [[0.0] * 4]),
    # training
    "training list": (("training",), [1, 2]),
    "training null": (("training",), None),
    "training nested too deeply": (("training",), {"a": [[[[[[[[[[[1]]]]]]]]]]]}),
}


@pytest.mark.parametrize("case", list(BAD_MODEL_FIELDS))
@pytest.mark.parametrize("kind", ["model", "checkpoint"])
def test_bad_model_field(tmp_path, valid, case, kind):
    where, value = BAD_MODEL_FIELDS[case]
    d = mutated(valid[kind], where, value)
    loader = load if kind == "model" else load_checkpoint
    refused(loader, write_raw(tmp_path / "m.json", d))


def test_too_many_layers(tmp_path, valid):
    n = saving.MAX_LAYERS + 1
    sizes = [1] * (n + 1)
    d = dict(valid["model"], sizes=sizes, weights=[[[0.5]]] * n, biases=[[0.0]] * n)
    refused(load, write_raw(tmp_path / "m.json", d), "sizes")
    # the most layers allowed still load
    n = saving.MAX_LAYERS - 1
    d = dict(valid["model"], sizes=[1] * (n + 1), weights=[[[0.5]]] * n, biases=[[0.0]] * n,
             cost="quadratic", output_activation="sigmoid")
    assert len(load(write_raw(tmp_path / "ok.json", d)).weights) == n


def test_names_from_the_file_are_never_evaluated(tmp_path, valid):
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    for field in ("cost", "activation", "output_activation", "dtype", "format"):
        d = mutated(valid["model"], (field,), code)
        refused(load, write_raw(tmp_path / "m.json", d))
    d = mutated(valid["model"], ("weights", 0, 0, 0), code)
    refused(load, write_raw(tmp_path / "m.json", d))
    d = mutated(valid["model"], ("training",), {"callback": code})
    net = load(write_raw(tmp_path / "m.json", d))  # free-form strings are data, kept as data
    assert net.training == {"callback": code}
    assert not marker.exists()


def test_huge_layer_sizes_in_a_tiny_file_are_refused_without_allocating(tmp_path, valid):
    """Layer sizes inside the per-layer limit whose product is terabytes.

    A file of a few hundred bytes that claims sizes [2**20, 2**20] cannot hold
    the 2**40 weights it implies; the loader must say so (ModelFileError) rather
    than build a network of that size first. Run in a child process whose
    address space is capped at 2 GiB, so the test is safe on any machine.
    """
    d = mutated(valid["model"], ("sizes",), [2**20, 2**20])
    d["weights"], d["biases"] = [[[0.0]]], [[0.0]]
    path = write_raw(tmp_path / "m.json", d)
    child = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
        from costlab.saving import ModelFileError, load
        try:
            load({str(path)!r})
        except ModelFileError as e:
            print("ModelFileError")
        except BaseException as e:
            print(type(e).__name__, e)
        else:
            print("loaded")
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60, env=env)
    assert out.stdout.strip() == "ModelFileError", out.stdout + out.stderr


# --------------------------------------------------------------------------- #
# Crafted checkpoints
# --------------------------------------------------------------------------- #

BAD_CHECKPOINT_FIELDS = {
    "rng null": (("rng",), None),
    "rng list": (("rng",), [1, 2]),
    "rng MT19937": (("rng", "bit_generator"), "MT19937"),
    "rng Philox": (("rng", "bit_generator"), "Philox"),
    "rng generator name missing": (("rng", "bit_generator"), None),
    "rng state not a dict": (("rng", "state"), 5),
    "rng negative state": (("rng", "state", "state"), -1),
    "rng negative inc": (("rng", "state", "inc"), -5),
    "rng huge state": (("rng", "state", "state"), 2**128),
    "rng enormous inc": (("rng", "state", "inc"), 10**100),
    "rng float state": (("rng", "state", "state"), 1.5),
    "rng string state": (("rng", "state", "state"), "123"),
    "rng bool has_uint32": (("rng", "has_uint32"), True),
    "rng negative uinteger": (("rng", "uinteger"), -1),
    "velocities wrong shape": (("velocities", 0), [[0.0] * 4] * 3),
    "velocities too few": (("velocities",), [[[0.0] * 3] * 4]),
    "velocities too many": (("velocities",), [[[0.0] * 3] * 4, [[0.0] * 4] * 2, [[0.0]]]),
    "velocities not a list": (("velocities",), {"0": 0}),
    "velocities string": (("velocities", 1, 0, 0), "x"),
    "velocities beyond float": (("velocities", 1, 0, 0), 10**400),
    "history not a dict": (("history",), [0, 1, 2]),
    "history null": (("history",), None),
    "history ends before epochs_trained": (("history", "epoch"), [0, 1, 1]),
    "history ends after epochs_trained": (("history", "epoch"), [0, 1, 2, 3]),
    "history columns of different lengths": (("history", "train_cost"), [1.0, 0.5]),
    "history empty": (("history",), {k: [] for k in
                                     ("epoch", "train_cost", "train_accuracy", "eval_cost", "eval_accuracy")}),
    "history string": (("history", "train_cost", 1), "0.5"),
    "history bool": (("history", "train_accuracy", 0), True),
    "history nested": (("history", "eval_cost"), [[None], [None], [None]]),
    "history column not a list": (("history", "epoch"), 2),
}


@pytest.mark.parametrize("case", list(BAD_CHECKPOINT_FIELDS))
def test_bad_checkpoint_field(tmp_path, valid, case):
    where, value = BAD_CHECKPOINT_FIELDS[case]
    d = mutated(valid["checkpoint"], where, value)
    refused(load_checkpoint, write_raw(tmp_path / "c.json", d))


@pytest.mark.parametrize("key", ["state", "inc"])
def test_checkpoint_rng_inner_key_missing(tmp_path, valid, key):
    d = mutated(valid["checkpoint"], ("rng", "state", key), delete=True)
    refused(load_checkpoint, write_raw(tmp_path / "c.json", d), "rng")


@pytest.mark.parametrize("key", ["bit_generator", "state", "has_uint32", "uinteger"])
def test_checkpoint_rng_key_missing(tmp_path, valid, key):
    d = mutated(valid["checkpoint"], ("rng", key), delete=True)
    refused(load_checkpoint, write_raw(tmp_path / "c.json", d), "rng")


@pytest.mark.parametrize("key", ["epoch", "train_cost", "train_accuracy", "eval_cost", "eval_accuracy"])
def test_checkpoint_history_column_missing(tmp_path, valid, key):
    d = mutated(valid["checkpoint"], ("history", key), delete=True)
    refused(load_checkpoint, write_raw(tmp_path / "c.json", d), "history")


def test_checkpoint_history_must_match_epochs_trained(tmp_path, valid):
    d = mutated(valid["checkpoint"], ("epochs_trained",), 7)
    refused(load_checkpoint, write_raw(tmp_path / "c.json", d), "epochs_trained")


def test_load_checkpoint_refuses_a_model_file(tmp_path):
    net, _ = trained()
    save(net, tmp_path / "m.json")
    refused(load_checkpoint, tmp_path / "m.json", "not a checkpoint")


def test_checkpoint_without_momentum_loads(tmp_path, valid):
    d = mutated(mutated(valid["checkpoint"], ("velocities",), None), ("bias_velocities",), None)
    net, _, _ = load_checkpoint(write_raw(tmp_path / "c.json", d))
    assert net.velocities is None
    # one without the other is refused
    with pytest.raises(ModelFileError, match="bias_velocities"):
        load_checkpoint(write_raw(tmp_path / "c1.json", mutated(valid["checkpoint"], ("velocities",), None)))


# --------------------------------------------------------------------------- #
# Random mutations: ModelFileError or a valid network, nothing else
# --------------------------------------------------------------------------- #

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.sampled_from([0, 1, 2, 3, 4, -1, 2**64, 2**128, 0.5, -0.0, 1e308])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["sigmoid", "softmax", "quadratic", "float32", "PCG64", "costlab-model",
                       "costlab-checkpoint", "eval", "__import__('os')", "1", "NaN"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


#: Fields that hold numbers and structure: most mutations go there, the rest anywhere.
DATA_FIELDS = ("sizes", "weights", "biases", "epochs_trained", "training", "rng", "velocities", "history")


def random_path(draw, d):
    """A path to an existing item of d: a field, then (usually) deeper down into it."""
    keys = [k for k in DATA_FIELDS if k in d] if draw(st.booleans()) else list(d)
    if not keys:
        return ()
    path = [draw(st.sampled_from(keys))]
    node = d[path[0]]
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)) != 0:
        k = draw(st.sampled_from(list(node) if isinstance(node, dict) else list(range(len(node)))))
        path.append(k)
        node = node[k]
    return tuple(path)


def numbers_only(obj):
    """True when every leaf of the nested lists is a JSON number (not a bool, a string or null)."""
    if isinstance(obj, list):
        return all(numbers_only(x) for x in obj)
    return isinstance(obj, (int, float)) and not isinstance(obj, bool)


def check_loaded(result, d):
    """A loaded network is usable, and is what the file ``d`` says."""
    net = result[0] if isinstance(result, tuple) else result
    assert isinstance(net, Network)
    assert net.sizes == d["sizes"] and 2 <= len(net.sizes) <= saving.MAX_LAYERS
    assert (net.cost, net.activation, net.output_activation, net.dtype.name, net.epochs_trained) == (
        d["cost"], d["activation"], d["output_activation"], d["dtype"], d["epochs_trained"])
    assert numbers_only(d["weights"]) and numbers_only(d["biases"])
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        assert w.shape == (net.sizes[l + 1], net.sizes[l]) and b.shape == (net.sizes[l + 1],)
        assert w.dtype == b.dtype == net.dtype
        assert np.all(np.isfinite(w)) and np.all(np.isfinite(b))
        assert np.array_equal(w, np.array(d["weights"][l], dtype=np.float64).astype(net.dtype))
        assert np.array_equal(b, np.array(d["biases"][l], dtype=np.float64).astype(net.dtype))
    out = net.feedforward(np.zeros((2, net.sizes[0])))
    assert out.shape == (2, net.sizes[-1])
    if isinstance(result, tuple):
        _, history, training = result
        assert isinstance(history, History) and isinstance(training, dict)
        assert history.epoch[-1] == net.epochs_trained
        if net.velocities is not None:
            # momentum of [w | b] per layer
            assert [v.shape for v in net.velocities] == [(w.shape[0], w.shape[1] + 1) for w in net.weights]
            assert numbers_only(d["velocities"])
        net.rng.random()


@contextmanager
def address_space_limit(extra=2 << 30):
    """Cap this process's address space at its current size + ``extra`` bytes.

    A loader that believes a crafted file's layer sizes could otherwise try to
    fill gigabytes with random numbers; capped, the attempt fails at once with
    a MemoryError (which the test then reports).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    cap = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(["model", "checkpoint"]))
def test_random_mutations_load_or_raise_model_file_error(tmp_path, valid, data, kind):
    d = copy.deepcopy(valid[kind])
    for _ in range(data.draw(st.sampled_from([1, 1, 1, 2, 3]), label="mutations")):
        path_ = random_path(data.draw, d)
        if not path_:
            break
        action = data.draw(st.sampled_from(["replace", "replace", "replace", "delete"]), label="action")
        value = data.draw(json_scalars | json_values, label=f"value at {path_}")
        d = mutated(d, path_, value, delete=action == "delete")
    file = write_raw(tmp_path / "fuzz.json", json.dumps(d))
    loader = load if kind == "model" else load_checkpoint
    try:
        with address_space_limit():
            result = loader(file)
    except ModelFileError as e:
        assert str(file) in str(e)
        return
    check_loaded(result, d)


def test_a_network_saves_and_loads_itself_through_the_saving_layer(tmp_path):
    # net.save and Network.load are costlab.save and costlab.load, reached from the core through a hook
    net = Network([4, 5, 3], cost="kl", seed=2)
    net.save(tmp_path / "m.json", {"note": 1})
    loaded = Network.load(tmp_path / "m.json")
    assert isinstance(loaded, Network) and loaded.cost == "kl" and loaded.training["note"] == 1
    for a, b in zip(loaded.weights + loaded.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)
    assert costlab.load(tmp_path / "m.json").sizes == [4, 5, 3]
    with pytest.raises(ValueError, match="cannot read"):
        Network.load(tmp_path / "missing.json")
