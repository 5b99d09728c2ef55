"""Saving and loading models and training checkpoints.

File format (JSON, UTF-8), version 1::

    {
      "format": "costlab-model",          # or "costlab-checkpoint"
      "version": 1,
      "sizes": [784, 30, 10],
      "cost": "cross-entropy",            # a cost spec (costlab.costs.get_cost): name, parameters or formula
      "activation": "sigmoid",            # hidden layers; a key of ACTIVATIONS, or a list of one per hidden layer
      "output_activation": "sigmoid",
      "dtype": "float64",                 # or "float32"
      "epochs_trained": 30,
      "weights": [[[w_jk, ...], ...], ...],   # weights[l]: sizes[l+1] rows of sizes[l]
      "biases": [[b_j, ...], ...],            # biases[l]: sizes[l+1] numbers
      "training": {...}                   # the training configuration (free-form numbers/strings)
    }

A checkpoint adds what an interrupted run needs to continue exactly as if it
had never stopped: ``"rng"`` (the PCG64 state of the shuffling generator),
``"velocities"`` and ``"bias_velocities"`` (momentum, shaped like the weights
and the biases, or both null) and ``"history"``.

Numbers are written with Python's shortest round-trip representation, so
weights load back bit for bit. Loading checks every field, type, shape and
number; names are looked up only in costlab's own registries, and nothing from
the file is ever imported, evaluated or unpickled. Writes go to a temporary
file renamed into place.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from costlab.activations import ACTIVATIONS
from costlab.costs import get_cost
from costlab.fileio import read_regular_file, write_json
from costlab.network import MAX_LAYERS, History, Network

__all__ = ["ModelFileError", "load", "load_checkpoint", "save", "save_checkpoint", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MODEL_FORMAT = "costlab-model"
CHECKPOINT_FORMAT = "costlab-checkpoint"
#: Files larger than this are refused before parsing.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_LAYER_SIZE = 1 << 20
#: Bytes of memory a JSON value takes once parsed, as counted by :func:`_parse_cost`: a list or
#: an object (with its slot in its parent), and a number or other value (with its slot).
_CONTAINER_BYTES = 120
_VALUE_BYTES = 32
_HISTORY_KEYS = ("epoch", "train_cost", "train_accuracy", "eval_cost", "eval_accuracy")


class ModelFileError(ValueError):
    """A model or checkpoint file is unreadable, malformed or not costlab's."""


def _model_dict(net: Network, training: dict | None) -> dict:
    return {
        "format": MODEL_FORMAT,
        "version": FORMAT_VERSION,
        "sizes": list(net.sizes),
        "cost": net.cost,
        "activation": net.activation,
        "output_activation": net.output_activation,
        "dtype": net.dtype.name,
        "epochs_trained": int(net.epochs_trained),
        "weights": [w.tolist() for w in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "training": dict(training or {}),
    }


def save(net: Network, path, training: dict | None = None) -> None:
    """Write ``net`` (and its training configuration) to ``path`` as JSON, atomically.

    ``training`` adds to (and overrides) the settings of the network's last
    ``fit``, ``net.training``.
    """
    _check_finite_params(net)
    write_json(path, _model_dict(net, {**net.training, **(training or {})}))


def save_checkpoint(net: Network, path, history: History, training: dict) -> None:
    """Write a checkpoint: the model, the generator state, momentum and history."""
    _check_finite_params(net)
    d = _model_dict(net, {**net.training, **(training or {})})
    d["format"] = CHECKPOINT_FORMAT
    d["rng"] = net.rng.bit_generator.state
    # net.velocities holds the momentum of [w | b] per layer: stored as weights and biases
    d["velocities"] = None if net.velocities is None else [v[:, :-1].tolist() for v in net.velocities]
    d["bias_velocities"] = None if net.velocities is None else [v[:, -1].tolist() for v in net.velocities]
    d["history"] = history.to_dict()
    write_json(path, d)


def _check_finite_params(net):
    if not all(np.all(np.isfinite(p)) for p in (*net.weights, *net.biases)):
        raise ValueError("refusing to save a network with non-finite weights or biases")


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #

def _reject_constant(name):
    raise ValueError(f"{name} is not a valid number")


def _read(path, expected_format) -> dict:
    path = Path(path)
    raw = read_regular_file(path, MAX_FILE_BYTES, ModelFileError)
    _check_parse_cost(raw, path)
    try:
        d = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{path}: not a costlab model file (invalid JSON: {e})") from None
    if not isinstance(d, dict) or d.get("format") not in (MODEL_FORMAT, CHECKPOINT_FORMAT):
        raise ModelFileError(f"{path}: not a costlab model file (no 'format': '{MODEL_FORMAT}')")
    if d["format"] != expected_format and expected_format == CHECKPOINT_FORMAT:
        raise ModelFileError(f"{path}: a model file, not a checkpoint")
    if type(d.get("version")) is not int or d["version"] != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: unsupported format version {d.get('version')!r} (this costlab reads {FORMAT_VERSION})"
        )
    return d


def _parse_cost(raw: bytes) -> int:
    """The bytes of memory ``raw`` takes once parsed as JSON, counted before parsing it (an upper bound).

    Every ``[`` and ``{`` is a container, every ``,`` (and the first value) one
    more value; brackets and commas inside strings count too, which only
    overestimates. So a file of empty lists (``[],[],...``), small on disk and
    huge in memory, is refused before the parser builds it.
    """
    containers = raw.count(b"[") + raw.count(b"{")
    values = raw.count(b",") + 1
    return containers * _CONTAINER_BYTES + values * _VALUE_BYTES


def _check_parse_cost(raw: bytes, path) -> None:
    from costlab.data import memory_budget

    needed, budget = _parse_cost(raw), memory_budget()
    if needed > budget:
        raise ModelFileError(f"{path}: reading this file would take about {needed / 2**20:,.0f} MiB in memory "
                             f"({raw.count(b'[') + raw.count(b'{'):,} lists and objects), over the budget of "
                             f"{budget / 2**20:,.0f} MiB (raise it with COSTLAB_MAX_DATA_BYTES=BYTES)")


def _field(d, key, path, kinds):
    if key not in d:
        raise ModelFileError(f"{path}: missing field {key!r}")
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, kinds):
        raise ModelFileError(f"{path}: field {key!r} has the wrong type")
    return v


def _name(d, key, path, table):
    v = _field(d, key, path, str)
    if v not in table:
        raise ModelFileError(f"{path}: unknown {key} {v!r}; known: {', '.join(table)}")
    return v


def _cost_spec(d, path) -> str:
    """The cost spec stored in the file, read again by costlab.costs.get_cost (a formula by the allow-list parser)."""
    v = _field(d, "cost", path, str)
    try:
        return get_cost(v).name
    except ValueError as e:
        raise ModelFileError(f"{path}: cost {v!r} refused: {e}") from None


def _is_number(v) -> bool:
    return type(v) is float or type(v) is int  # not bool, not str


def _array(value, shape, what, path, dtype):
    """A nested list of JSON numbers of exactly ``shape`` as a finite array of ``dtype``."""
    if not isinstance(value, list):
        raise ModelFileError(f"{path}: {what} must be a list")
    rows = value if len(shape) == 2 else [value]
    if len(rows) != (shape[0] if len(shape) == 2 else 1):
        raise ModelFileError(f"{path}: {what} must have shape {shape}")
    width = shape[-1]
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise ModelFileError(f"{path}: {what} must have shape {shape}")
        if not all(map(_is_number, row)):
            raise ModelFileError(f"{path}: {what} must hold only numbers")
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ModelFileError(f"{path}: {what} holds a number out of range") from None
    if a.shape != shape:
        raise ModelFileError(f"{path}: {what} has shape {a.shape}, expected {shape}")
    if not np.all(np.isfinite(a)):
        raise ModelFileError(f"{path}: {what} contains non-finite numbers")
    return np.ascontiguousarray(a, dtype=dtype)


def _network_from(d: dict, path) -> Network:
    sizes = _field(d, "sizes", path, list)
    if not 2 <= len(sizes) <= MAX_LAYERS or not all(
        isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= MAX_LAYER_SIZE for s in sizes
    ):
        raise ModelFileError(f"{path}: 'sizes' must be 2 to {MAX_LAYERS} integers in 1..{MAX_LAYER_SIZE}")
    cost = _cost_spec(d, path)
    if isinstance(d.get("activation"), list) and len(d["activation"]) == len(sizes) - 2:  # one per hidden layer
        activation = [_name({"activation": a}, "activation", path, ACTIVATIONS) for a in d["activation"]]
    else:
        activation = _name(d, "activation", path, ACTIVATIONS)
    output_activation = _name(d, "output_activation", path, ACTIVATIONS)
    dtype = _field(d, "dtype", path, str)
    if dtype not in ("float64", "float32"):
        raise ModelFileError(f"{path}: unsupported dtype {dtype!r}")
    epochs_trained = _field(d, "epochs_trained", path, int)
    if epochs_trained < 0:
        raise ModelFileError(f"{path}: 'epochs_trained' must be >= 0")
    training = _field(d, "training", path, dict)
    weights = _field(d, "weights", path, list)
    biases = _field(d, "biases", path, list)
    if len(weights) != len(sizes) - 1 or len(biases) != len(sizes) - 1:
        raise ModelFileError(f"{path}: expected {len(sizes) - 1} weight and bias arrays")
    # the arrays are checked against the sizes before a network of those sizes is built
    weights = [
        _array(w, (n_out, n_in), f"weights[{l}]", path, dtype)
        for l, (w, n_in, n_out) in enumerate(zip(weights, sizes[:-1], sizes[1:]))
    ]
    biases = [_array(b, (n_out,), f"biases[{l}]", path, dtype) for l, (b, n_out) in enumerate(zip(biases, sizes[1:]))]
    try:
        net = Network(sizes, cost=cost, activation=activation, output_activation=output_activation, dtype=dtype)
    except ValueError as e:
        raise ModelFileError(f"{path}: {e}") from None
    net.weights, net.biases = weights, biases
    net.epochs_trained = epochs_trained
    net.training = _plain(training, path)
    return net


def _plain(obj, path, depth=0):
    """Check that a free-form field holds only plain JSON values (and not too deep)."""
    if depth > 8:
        raise ModelFileError(f"{path}: 'training' is nested too deeply")
    if isinstance(obj, dict):
        return {str(k): _plain(v, path, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v, path, depth + 1) for v in obj]
    if obj is None or isinstance(obj, (str, bool, int)) or (isinstance(obj, float) and math.isfinite(obj)):
        return obj
    raise ModelFileError(f"{path}: 'training' holds a value that is not plain JSON")


def load(path) -> Network:
    """Read a model (or checkpoint) file written by :func:`save`; ModelFileError if invalid."""
    return _network_from(_read(path, MODEL_FORMAT), path)


def _is_history_value(v) -> bool:
    """None, a finite float, or an integer that a float holds exactly."""
    return v is None or (type(v) is float and math.isfinite(v)) or (type(v) is int and abs(v) <= 2**53)


def _rng_from(state, path) -> np.random.Generator:
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ModelFileError(f"{path}: 'rng' must be a PCG64 generator state")
    inner = state.get("state")
    ints = [
        inner.get("state") if isinstance(inner, dict) else None,
        inner.get("inc") if isinstance(inner, dict) else None,
        state.get("has_uint32"), state.get("uinteger"),
    ]
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 128 for v in ints):
        raise ModelFileError(f"{path}: 'rng' state must hold non-negative 128-bit integers")
    bitgen = np.random.PCG64()
    try:
        bitgen.state = {
            "bit_generator": "PCG64",
            "state": {"state": ints[0], "inc": ints[1]},
            "has_uint32": ints[2],
            "uinteger": ints[3],
        }
    except (ValueError, TypeError, OverflowError) as e:
        raise ModelFileError(f"{path}: invalid 'rng' state: {e}") from None
    return np.random.Generator(bitgen)


def _model_agrees_with_training(d: dict, net: Network, path) -> None:
    """The checkpoint's model block (sizes, cost, ...) and its training block must say the same."""
    training = net.training if isinstance(net.training, dict) else {}
    model = {"sizes": list(net.sizes), "cost": net.cost, "activation": net.activation,
             "output_activation": net.output_activation, "dtype": net.dtype.name}
    for key, value in model.items():
        if key not in training or (key == "output_activation" and training[key] is None):
            continue
        if training[key] != value:
            raise ModelFileError(f"{path}: the model has {key} = {value!r} but its training settings say "
                                 f"{training[key]!r}; the checkpoint is inconsistent")


def _check_history(cols, path, monitor=None) -> None:
    """Epochs: increasing whole numbers; costs: finite, >= 0; accuracies: in [0, 1]; training
    cost and accuracy present where ``monitor`` records them (evaluation entries may be null).

    ``monitor`` is the training's record: "exact" (or None, files written before it was
    named) at every epoch, "running" at every epoch after the first entry, "off" nowhere.
    """
    epoch, train_cost, train_acc, eval_cost, eval_acc = cols
    first_required = {None: 0, "exact": 0, "running": 1}.get(monitor, len(epoch))
    if any(type(e) is not int or e < 0 for e in epoch) or any(b <= a for a, b in zip(epoch, epoch[1:])):
        raise ModelFileError(f"{path}: history 'epoch' must be increasing whole numbers")
    for name, col, required in (("train_cost", train_cost, True), ("train_accuracy", train_acc, True),
                                ("eval_cost", eval_cost, False), ("eval_accuracy", eval_acc, False)):
        for i, v in enumerate(col):
            if v is None:
                if required and i >= first_required:
                    raise ModelFileError(f"{path}: history {name!r} has no value at entry {i}")
                continue
            if v < 0 or (name.endswith("accuracy") and v > 1):
                raise ModelFileError(f"{path}: history {name!r} holds {v!r} at entry {i}, out of range")


def load_checkpoint(path) -> tuple[Network, History, dict]:
    """Read a checkpoint: the network (with its generator and momentum), history and training config."""
    d = _read(path, CHECKPOINT_FORMAT)
    net = _network_from(d, path)
    net.rng = _rng_from(d.get("rng"), path)
    velocities, bias_velocities = d.get("velocities"), d.get("bias_velocities")
    if (velocities is None) != (bias_velocities is None):
        raise ModelFileError(f"{path}: 'velocities' and 'bias_velocities' must both be given or both null")
    if velocities is not None:
        L = len(net.weights)
        if not isinstance(velocities, list) or len(velocities) != L:
            raise ModelFileError(f"{path}: 'velocities' must match the weights")
        if not isinstance(bias_velocities, list) or len(bias_velocities) != L:
            raise ModelFileError(f"{path}: 'bias_velocities' must match the biases")
        net.velocities = [
            np.concatenate([
                _array(v, w.shape, f"velocities[{l}]", path, net.dtype),
                _array(vb, b.shape, f"bias_velocities[{l}]", path, net.dtype)[:, None],
            ], axis=1)
            for l, (v, vb, w, b) in enumerate(zip(velocities, bias_velocities, net.weights, net.biases))
        ]
    _model_agrees_with_training(d, net, path)
    h = _field(d, "history", path, dict)
    cols = []
    for key in _HISTORY_KEYS:
        col = h.get(key)
        if not isinstance(col, list) or not all(map(_is_history_value, col)):
            raise ModelFileError(f"{path}: history field {key!r} must be a list of numbers")
        cols.append(col)
    if len({len(c) for c in cols}) != 1 or not cols[0] or cols[0][-1] != net.epochs_trained:
        raise ModelFileError(f"{path}: history does not match 'epochs_trained'")
    _check_history(cols, path, net.training.get("monitor") if isinstance(net.training, dict) else None)
    history = History(*[list(c) for c in cols])
    if h.get("layers") is not None:
        history.layers = _layers_from(h["layers"], len(history), path)
    return net, history, net.training


def _layers_from(layers, epochs: int, path) -> dict:
    """A history's per-layer records: {"speed", "saturated", "dead"}, each one row (or null) per epoch."""
    keys = ("speed", "saturated", "dead")
    if not isinstance(layers, dict) or set(layers) != set(keys):
        raise ModelFileError(f"{path}: history field 'layers' must hold speed, saturated and dead")
    for key in keys:
        rows = layers[key]
        if not isinstance(rows, list) or len(rows) != epochs or not all(
                row is None or (isinstance(row, list) and all(map(_is_history_value, row))) for row in rows):
            raise ModelFileError(f"{path}: history field 'layers' {key!r} must hold one list of numbers per epoch")
    return {key: [None if row is None else list(row) for row in layers[key]] for key in keys}
