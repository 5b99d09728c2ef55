"""The page's playground: a network learns 2-D points while the page watches its decision boundary form.

The page sends its settings (:func:`check_playground_params`); a
:class:`PlaygroundJob` builds the data set and a :class:`costlab.network.Network`,
and trains it with ``Network.fit`` (costlab's one training loop) in a job
process (:mod:`costlab.web.jobs`). After every epoch the ``on_epoch`` callback streams an update: the
training and test cost and accuracy, the engine's per-layer record (speed of
learning, saturated and dead fractions) with the text of any
:class:`costlab.LayerWarning`; and, in at most :data:`PICTURES_PER_S` updates a
second (always the first, the last and any before a pause), the pictures: the
output over a :data:`GRID` x :data:`GRID` grid of the plane and each hidden
neuron's output over a :data:`THUMB` x :data:`THUMB` grid (quantised to bytes,
base64), the weights, and one sample's pass through the output neuron (for the
picture of the neuron). The grids come from
:func:`costlab.engine.feedforward`, the book's forward pass.

Play, pause and one epoch at a time are commands to the running job
(``POST /api/playground/{id}/control``, with the job's token), sent through a
pipe to the job's process; a paused job waits inside its epoch callback. Everything is bounded: at most
:data:`MAX_POINTS` points, 6 hidden layers of 8 neurons, :data:`MAX_EPOCHS`
epochs, :data:`MAX_SECONDS` seconds of life and :data:`MAX_IDLE_SECONDS`
seconds paused; at most two playgrounds run at once.
"""

from __future__ import annotations

import base64
import hmac
import math
import queue
import re
import threading
import time
import warnings
from typing import Mapping

import numpy as np

from costlab.checks import Bound
from costlab.web.api import ApiError, Trainer, TrainingJob, _Stop, _cost_specs, _number, _unknown

__all__ = [
    "DATASETS",
    "FEATURES",
    "PLAYGROUND_LIMITS",
    "PlaygroundJob",
    "check_playground_params",
    "make_points",
    "parse_csv",
    "routes",
]

#: The data sets drawn from a seed; "points" and "csv" come from the page (the ``csv`` field).
DATASETS = ("circle", "xor", "gauss", "spiral", "sin")
SOURCES = DATASETS + ("points", "csv")
#: Input features: the name in the URL, the label on the page.
FEATURES = {"x1": "x1", "x2": "x2", "x1sq": "x1^2", "x2sq": "x2^2", "x1x2": "x1*x2", "sinx1": "sin x1",
            "sinx2": "sin x2"}
HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
OUTPUTS = ("sigmoid", "softmax")
#: The plane the points lie in: [-EXTENT, EXTENT]^2.
EXTENT = 6.0
#: Cells per side of the boundary's grid, and of each hidden neuron's picture.
GRID = 64
THUMB = 32
MAX_LAYERS = 6
MAX_NEURONS = 8
MAX_POINTS = 1000
#: An uploaded (or clicked) data set: at most this many characters and rows.
MAX_CSV_CHARS = 7000
MAX_CSV_ROWS = 500
MIN_CSV_ROWS = 4
MAX_EPOCHS = 5000
MAX_SECONDS = 600.0
MAX_IDLE_SECONDS = 300.0
#: Updates waiting to be sent; the training waits when the page reads more slowly.
QUEUE_UPDATES = 3
#: At most this many updates a second carry the pictures (boundary, neurons, weights, the neuron's pass);
#: the others carry the epoch's figures alone. The first, the last and any before a pause carry them all.
PICTURES_PER_S = 30

PLAYGROUND_LIMITS: dict[str, Bound] = {
    "n": Bound(20, MAX_POINTS, 500, integer=True, help="points drawn for a generated data set"),
    "noise": Bound(0, 50, 0, integer=True, help="noise, in percent"),
    "ratio": Bound(10, 90, 50, integer=True, help="training points, in percent of all"),
    "seed": Bound(0, 2**31 - 1, 0, integer=True, help="seed of the data, the initial weights and the batch order"),
    "eta": Bound(0, 10, 0.1, lo_open=True, help="learning rate"),
    "batch": Bound(1, 100, 10, integer=True, help="points per gradient step"),
    "l2": Bound(0, 10, 0, help="L2 regularization lmbda"),
    "momentum": Bound(0, 0.99, 0, help="momentum coefficient mu"),
    "epochs": Bound(1, MAX_EPOCHS, 1000, integer=True, help="the most epochs this run may train"),
    "pace": Bound(0, 1000, 40, integer=True, help="shortest time per update in milliseconds (0: full speed)"),
    "probe": Bound(0, MAX_POINTS - 1, 0, integer=True, help="the training point shown in the picture of the neuron"),
}
DEFAULTS = {"data": "circle", "features": "x1,x2", "hidden": "4,2", "act": "tanh", "output": "sigmoid",
            "cost": "cross-entropy", "init": "default", "autoplay": "0"}


# --------------------------------------------------------------------------- #
# Checking the settings
# --------------------------------------------------------------------------- #

def _name(name: str, raw, allowed) -> str:
    value = str(raw).strip()
    if value not in allowed:
        raise ApiError(f"{name} must be one of: {', '.join(allowed)}; got {value[:40]!r}")
    return value


def _list(name: str, raw, *, limit: int = 120) -> list[str]:
    if not isinstance(raw, str):
        raise ApiError(f"{name} must be a comma-separated list; got {raw!r}"[:200])
    if len(raw) > limit:
        raise ApiError(f"{name} is too long ({len(raw)} characters)")
    return [v.strip() for v in raw.split(",") if v.strip()]


def check_playground_params(params: Mapping) -> dict:
    """The playground's settings, checked and with defaults filled in. Raises :class:`ApiError`.

    ``data``: one of :data:`SOURCES` ("points" and "csv" need ``csv``, the
    rows ``x1,x2,label``); ``features``: names of :data:`FEATURES`; ``hidden``:
    0 to 6 layer sizes of 1 to 8; ``act``: one hidden activation, or one per
    hidden layer; ``output``: sigmoid (one neuron) or softmax (two); ``cost``:
    any cost spec that fits the output; ``init``: default or large; ``autoplay``:
    0 or 1; and the numbers of :data:`PLAYGROUND_LIMITS`.
    """
    from costlab.network import INITIALIZERS

    _unknown(params, [*PLAYGROUND_LIMITS, *DEFAULTS, "csv"])
    p = {name: (_number(name, params[name], bound) if name in params else bound.default)
         for name, bound in PLAYGROUND_LIMITS.items()}
    raw = {**DEFAULTS, **{k: v for k, v in params.items() if k in DEFAULTS}}
    p["data"] = _name("data", raw["data"], SOURCES)
    features = _list("features", raw["features"])
    for f in features:
        if f not in FEATURES:
            raise ApiError(f"unknown feature {f[:20]!r}; choose from: {', '.join(FEATURES)}")
    if not features or len(set(features)) != len(features):
        raise ApiError("features must name one to seven different features of: " + ", ".join(FEATURES))
    p["features"] = [f for f in FEATURES if f in features]
    sizes = _list("hidden", raw["hidden"], limit=40)
    if len(sizes) > MAX_LAYERS:
        raise ApiError(f"hidden: at most {MAX_LAYERS} hidden layers; got {len(sizes)}")
    hidden = []
    for s in sizes:
        if not re.fullmatch(r"[0-9]{1,2}", s) or not 1 <= int(s) <= MAX_NEURONS:
            raise ApiError(f"hidden: each layer has 1 to {MAX_NEURONS} neurons; got {s[:20]!r}")
        hidden.append(int(s))
    p["hidden"] = hidden
    acts = _list("act", raw["act"], limit=80)
    for a in acts:
        if a not in HIDDEN_ACTIVATIONS:
            raise ApiError(f"act: unknown activation {a[:20]!r}; choose from: {', '.join(HIDDEN_ACTIVATIONS)}")
    if len(acts) == 1:
        acts = acts * len(hidden)
    elif len(acts) != len(hidden):
        raise ApiError(f"act: give one activation, or one per hidden layer ({len(hidden)}); got {len(acts)}")
    p["act"] = acts
    p["output"] = _name("output", raw["output"], OUTPUTS)
    p["cost"] = _cost_specs("cost", raw["cost"], count=(1, 1), activation=p["output"])[0]
    p["init"] = _name("init", raw["init"], tuple(INITIALIZERS))
    p["autoplay"] = _name("autoplay", raw["autoplay"], ("0", "1")) == "1"
    if p["data"] in ("points", "csv"):
        text = params.get("csv")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(f"data={p['data']} needs the points: csv, rows of x1,x2,label")
        p["csv"] = text
        parse_csv(text)  # refused here, before any job starts
    elif "csv" in params:
        raise ApiError(f"csv is only read with data=points or data=csv, not data={p['data']}")
    return p


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?\s*")


def parse_csv(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``x1,x2,label`` (an optional header line first): points (n, 2) in the plane and 0/1 labels.

    Refused with :class:`ApiError` naming the line at fault: more than
    :data:`MAX_CSV_CHARS` characters or :data:`MAX_CSV_ROWS` rows, fewer than
    :data:`MIN_CSV_ROWS`, a row that is not two numbers in [-6, 6] and a label 0 or 1.
    """
    if len(text) > MAX_CSV_CHARS:
        raise ApiError(f"the CSV file has {len(text)} characters, more than {MAX_CSV_CHARS}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    points, labels = [], []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        cells = line.split(",")
        if not points and i == 1 and not _NUMBER.fullmatch(cells[0]):
            if [c.strip().lower() for c in cells] != ["x1", "x2", "label"]:
                raise ApiError(f"CSV line 1: the header must be x1,x2,label; got {line[:40]!r}")
            continue
        if len(cells) != 3:
            raise ApiError(f"CSV line {i}: expected 3 values x1,x2,label, got {len(cells)}: {line[:40]!r}")
        if not all(_NUMBER.fullmatch(c) for c in cells):
            raise ApiError(f"CSV line {i}: not numbers: {line[:40]!r}")
        x1, x2, label = (float(c) for c in cells)
        if not (abs(x1) <= EXTENT and abs(x2) <= EXTENT):
            raise ApiError(f"CSV line {i}: x1 and x2 must lie in [-{EXTENT:g}, {EXTENT:g}]: {line[:40]!r}")
        if label not in (0.0, 1.0):
            raise ApiError(f"CSV line {i}: the label must be 0 or 1, got {cells[2].strip()[:20]!r}")
        if len(points) >= MAX_CSV_ROWS:
            raise ApiError(f"CSV line {i}: more than {MAX_CSV_ROWS} rows")
        points.append((x1, x2))
        labels.append(int(label))
    if len(points) < MIN_CSV_ROWS:
        raise ApiError(f"the CSV file has {len(points)} rows of points; at least {MIN_CSV_ROWS} are needed")
    return np.array(points, dtype=float), np.array(labels, dtype=np.int64)


# --------------------------------------------------------------------------- #
# Data sets
# --------------------------------------------------------------------------- #

def make_points(name: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points of the data set ``name`` in [-6, 6]^2 and their 0/1 labels; ``noise`` in [0, 0.5].

    circle: class 1 inside radius 2.5, class 0 in the ring 3.5 to 5; xor: the sign of x1 x2;
    gauss: two Gaussians about (2, 2) and (-2, -2); spiral: two interleaved spirals;
    sin: class 1 above the curve x2 = 3 sin(x1). Noise moves each point by up to ``noise`` x 6
    (circle, xor, sin, spiral) or widens the Gaussians.
    """
    half = n // 2
    labels = np.r_[np.ones(half, dtype=np.int64), np.zeros(n - half, dtype=np.int64)]
    if name == "circle":
        r = np.where(labels == 1, rng.uniform(0, 2.5, n), rng.uniform(3.5, 5.0, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        X = np.c_[r * np.cos(angle), r * np.sin(angle)]
    elif name == "xor":
        X = rng.uniform(-5, 5, (n, 2))
        X += np.sign(X) * 0.3
        labels = (X[:, 0] * X[:, 1] >= 0).astype(np.int64)
    elif name == "gauss":
        sd = 0.5 + 3.5 * noise
        centre = np.where(labels[:, None] == 1, 2.0, -2.0)
        return np.clip(centre + rng.normal(0, sd, (n, 2)), -EXTENT, EXTENT), labels
    elif name == "spiral":
        t = rng.uniform(0, 1, n) ** 0.8
        r = 5 * t
        angle = 1.75 * 2 * np.pi * t + np.where(labels == 1, 0, np.pi)
        X = np.c_[r * np.sin(angle), r * np.cos(angle)]
    elif name == "sin":
        X = rng.uniform(-5.5, 5.5, (n, 2))
        labels = (X[:, 1] > 3 * np.sin(X[:, 0])).astype(np.int64)
    else:
        raise ValueError(f"unknown data set {name!r}")
    X = X + rng.uniform(-1, 1, X.shape) * noise * EXTENT
    return np.clip(X, -EXTENT, EXTENT), labels


def features(P: np.ndarray, names) -> np.ndarray:
    """The network's input rows: the chosen features of points P (n, 2) in the plane."""
    x1, x2 = P[:, 0], P[:, 1]
    columns = {"x1": x1, "x2": x2, "x1sq": x1 * x1, "x2sq": x2 * x2, "x1x2": x1 * x2,
               "sinx1": np.sin(x1), "sinx2": np.sin(x2)}
    return np.ascontiguousarray(np.stack([columns[f] for f in names], axis=1))


def grid_points(cells: int) -> np.ndarray:
    """The centres of cells x cells squares covering the plane, row by row from the top (x2 = 6) down."""
    c = (np.arange(cells) + 0.5) / cells * 2 * EXTENT - EXTENT
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.c_[x1.ravel(), x2.ravel()]


def _bytes(values: np.ndarray, lo: float, hi: float) -> str:
    """values mapped from [lo, hi] to 0..255, as base64."""
    q = np.clip(np.rint((values - lo) / ((hi - lo) or 1.0) * 255.0), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _range(activation: str, a: np.ndarray) -> tuple[float, float]:
    """The range a neuron's picture spans: the activation's own, or +-max|a| for unbounded ones."""
    if activation == "sigmoid":
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    m = float(np.max(np.abs(a))) if a.size else 1.0
    m = m if m > 1e-12 and math.isfinite(m) else 1.0
    return (0.0, m) if activation == "relu" else (-m, m)


def _finite(v):
    return None if v is None or not math.isfinite(v) else float(v)


_WARNING = re.compile(r"(?:hidden layer (?P<layer>\d+) \((?P<act>\w+)\) is (?P<kind>dead|saturated)"
                      r"|the output layer is saturated at the wrong value on (?P<pct>\d+)%)"
                      r".*?(?:before training|in epoch (?P<epoch>\d+))")


def warning_fields(text: str) -> dict:
    """A LayerWarning's message and its parts (kind, layer, epoch, percent), for the page to say it in Chinese."""
    m = _WARNING.search(text)
    if m is None:
        return {"text": text, "kind": "other"}
    kind = m["kind"] or "slowed"
    return {"text": text, "kind": kind, "layer": int(m["layer"]) if m["layer"] else None,
            "epoch": int(m["epoch"]) if m["epoch"] else 0, "percent": int(m["pct"]) if m["pct"] else None}


# --------------------------------------------------------------------------- #
# The job
# --------------------------------------------------------------------------- #

class PlaygroundJob(TrainingJob):
    """One playground run: its data, its network, trained epoch by epoch in a job process, paused and resumed.

    Events on ``events``: ``data`` once (the points, for the page to draw),
    ``update`` after every epoch (epoch 0 first, before training), then one
    of ``done``, ``stopped`` or ``error``. :meth:`control` plays, pauses, steps
    one epoch, or picks the training point shown in the picture of the neuron.
    """

    max_seconds = MAX_SECONDS

    def __init__(self, params: dict):
        super().__init__(params)
        self.events = queue.Queue(maxsize=QUEUE_UPDATES)
        self._cv = threading.Condition()
        self._playing = bool(params["autoplay"])
        self._steps = 0
        self._probe = params["probe"]
        self._moved = False

    def control(self, action: str, probe: int | None = None) -> dict:
        """``play``, ``pause``, ``step`` (one epoch, then pause) or ``probe``; returns the state."""
        with self._cv:
            if action == "play":
                self._playing = True
            elif action == "pause":
                self._playing = False
            elif action == "step":
                self._playing = False
                self._steps = min(self._steps + 1, 100)
            elif action == "probe" and probe is not None:
                self._probe = probe
                self._moved = True  # a paused run sends its pictures again, with the new point
            self._cv.notify_all()
        return {"playing": self._playing}

    def stop(self, reason: str | None = None) -> None:
        super().stop(reason)
        with self._cv:
            self._cv.notify_all()

    def _put(self, kind: str, data) -> None:
        """Queue an event, waiting (stoppably) while the page has not read the earlier ones."""
        while True:
            self._check()
            try:
                self.events.put((kind, data), timeout=0.05)
                return
            except queue.Full:
                continue

    def _wait_for_turn(self, redraw=None) -> None:
        """Return when the next epoch may run: playing, or a step asked for; end the job when stopped.

        While paused, ``redraw()`` runs whenever the page picks another point for the neuron's picture
        (outside the lock: the page's requests take it)."""
        idle_since = time.monotonic()
        while True:
            with self._cv:
                if self._playing or self._steps:
                    if self._steps:
                        self._steps -= 1
                    return
                self._check()
                if time.monotonic() - idle_since > MAX_IDLE_SECONDS:
                    self._reason = f"paused for more than {MAX_IDLE_SECONDS:g} s"
                    raise _Stop()
                moved, self._moved = self._moved, False
                if not moved:
                    self._cv.wait(0.2)
                    continue
            if redraw is not None:
                redraw()

    def _check(self, *_):
        if self._stop.is_set():
            raise _Stop()
        if time.monotonic() > self._deadline:
            self._reason = f"time limit of {MAX_SECONDS:g} s reached"
            raise _Stop()

    def _train(self) -> None:
        from costlab.activations import get_activation
        from costlab.costs import get_cost
        from costlab.engine import feedforward
        from costlab.network import Network
        from costlab.training import LayerWarning

        p = self.params
        self._deadline = time.monotonic() + MAX_SECONDS
        rng = np.random.default_rng(p["seed"])
        if p["data"] in DATASETS:
            P, labels = make_points(p["data"], p["n"], p["noise"] / 100.0, rng)
        else:
            P, labels = parse_csv(p["csv"])
        order = rng.permutation(len(P))
        P, labels = P[order], labels[order]
        n_train = min(len(P) - 1, max(1, round(len(P) * p["ratio"] / 100)))
        X = features(P, p["features"])
        X_train, y_train, X_test, y_test = X[:n_train], labels[:n_train], X[n_train:], labels[n_train:]
        k = 2 if p["output"] == "softmax" else 1
        sizes = [X.shape[1], *p["hidden"], k]
        net = Network(sizes, cost=p["cost"], activation=p["act"] or "tanh", output_activation=p["output"],
                      init=p["init"], seed=p["seed"])
        G = features(grid_points(GRID), p["features"])
        self._points = np.round(P[:n_train], 3)
        hidden = tuple(get_activation(a) for a in p["act"])
        self._activations = (hidden, get_activation(p["output"]), get_cost(p["cost"]))
        self._put("data", {
            "train": np.round(P[:n_train], 3).tolist(), "train_label": y_train.tolist(),
            "test": np.round(P[n_train:], 3).tolist(), "test_label": y_test.tolist(),
            "sizes": sizes, "features": p["features"], "grid": GRID, "thumb": THUMB, "extent": EXTENT,
        })
        t0 = time.perf_counter()
        pace = p["pace"] / 1000.0
        next_time = [time.monotonic()]
        caught: list = []
        said = [0]
        last_pictures = [0.0]

        def update(network, epoch, history):
            self._check()
            if epoch > 0:
                # pace: at least `pace` seconds per update
                next_time[0] += pace
                delay = next_time[0] - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    raise _Stop()
                next_time[0] = max(next_time[0], time.monotonic())
            now = time.monotonic()
            pictures = (epoch == 0 or epoch >= p["epochs"] or not self._playing
                        or now - last_pictures[0] >= 1.0 / PICTURES_PER_S)
            if pictures:
                last_pictures[0] = now
            self._put("update", self._update(network, epoch, history, G, X_train, y_train, feedforward,
                                             [warning_fields(str(w.message)) for w in caught[said[0]:]],
                                             t0, pictures))
            said[0] = len(caught)
            if epoch >= p["epochs"]:
                return
            self._wait_for_turn(lambda: self._put("update", {
                **self._update(network, epoch, history, G, X_train, y_train, feedforward, [], t0), "again": True}))
            next_time[0] = max(next_time[0], time.monotonic())

        with warnings.catch_warnings(record=True) as caught_list:
            warnings.simplefilter("always", LayerWarning)
            caught = caught_list
            net.fit(X_train, y_train, epochs=p["epochs"], batch_size=p["batch"], eta=p["eta"], lmbda=p["l2"],
                    mu=p["momentum"], eval_data=(X_test, y_test), monitor="exact", layers=True,
                    on_epoch=update, on_batch=self._check)
        self._put("done", {"epochs": p["epochs"], "elapsed_s": round(time.perf_counter() - t0, 3)})

    def _update(self, net, epoch, h, G, X_train, y_train, feedforward, warned, t0, pictures=True) -> dict:
        """One update's payload: the figures of the epoch and, with ``pictures``, the grids, the weights and
        the probe's pass."""
        p = self.params
        layers = h.layers or {}

        def last(key):
            return [_finite(v) if v is not None else None for v in layers[key][-1]] if layers.get(key) else []

        figures = {
            "epoch": int(epoch),
            "train_cost": _finite(h.train_cost[-1]), "train_accuracy": _finite(h.train_accuracy[-1]),
            "test_cost": _finite(h.eval_cost[-1]), "test_accuracy": _finite(h.eval_accuracy[-1]),
            "speed": last("speed"), "saturated": last("saturated"), "dead": last("dead"),
            "warnings": warned,
            "elapsed_s": round(time.perf_counter() - t0, 3),
        }
        if not pictures:
            return figures
        weights = [np.asarray(w) for w in net.weights]
        biases = [np.asarray(b) for b in net.biases]
        hidden, output, cost = self._activations
        with np.errstate(all="ignore"):
            zs, acts = feedforward(weights, biases, G, hidden, output)
        out = acts[-1][:, -1]  # the output neuron, or the softmax's class 1
        cells = []
        for l, a in enumerate(acts[1:-1]):
            a = a.reshape(THUMB, GRID // THUMB, THUMB, GRID // THUMB, -1).mean(axis=(1, 3)).reshape(THUMB * THUMB, -1)
            layer = []
            for j in range(a.shape[1]):
                lo, hi = _range(p["act"][l], a[:, j])
                layer.append({"lo": lo, "hi": hi, "b64": _bytes(a[:, j], lo, hi)})
            cells.append(layer)
        i = min(self._probe, len(X_train) - 1)
        label = int(y_train[i])
        with np.errstate(all="ignore"):
            pz, pa = feedforward(weights, biases, X_train[i:i + 1], hidden, output)
            y = np.eye(2)[[label]] if net.sizes[-1] == 2 else np.array([[float(label)]])
            C = float(np.sum(cost.fn(pz[-1], pa[-1], y)))
        return {
            **figures,
            "boundary": _bytes(out, 0.0, 1.0),
            "neurons": cells,
            "weights": [np.round(w, 4).tolist() for w in weights],
            "biases": [np.round(b, 4).tolist() for b in biases],
            # the output neuron (of class 1, under softmax) on one training point: inputs, w, b, z, a, C
            "probe": {"index": i, "point": self._points[i].tolist(), "inputs": pa[-2][0].tolist(),
                      "w": weights[-1][-1].tolist(), "b": float(biases[-1][-1]), "z": float(pz[-1][0, -1]),
                      "a": float(pa[-1][0, -1]), "y": label, "C": _finite(C)},
        }


# --------------------------------------------------------------------------- #
# The routes
# --------------------------------------------------------------------------- #

def routes(trainer: Trainer, *, read_json, error, token_header: str, check_params, stream):
    """The playground's routes for :func:`costlab.web.app.create_app`, on their own ``trainer``.

    ``check_params(check, raw)`` is the page's checker: it runs ``check(raw)`` off the event loop,
    with a cost formula compiled under the page's formula budget; ``stream(request, job, params)`` answers
    the job's server-sent events.

    ``POST /api/playground`` (a JSON object of settings) answers server-sent
    events; ``POST /api/playground/check`` (``{"csv": text}``) checks a CSV file
    and answers its number of rows, or 400 naming the line at fault;
    ``POST /api/playground/{id}/control`` (``{"do": "play" | "pause" | "step" |
    "stop" | "probe", "probe": i}``, header X-Costlab-Token) steers the run.
    """
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def start(request: Request):
        try:
            raw = await read_json(request)
            if not isinstance(raw, dict):
                raise ApiError("the playground's settings must be a JSON object")
            params = await check_params(check_playground_params, {
                k: (v if isinstance(v, str) else str(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                    else v) for k, v in raw.items()})
            job = trainer.start(params, PlaygroundJob)
        except ApiError as e:
            return error(e.message, e.status)

        return stream(request, job, {k: v for k, v in params.items() if k != "csv"})

    async def control(request: Request):
        job = trainer.get(request.path_params["job_id"])
        token = request.headers.get(token_header, "")
        if job is None or not hmac.compare_digest(job.token.encode(), token.encode("utf-8", "replace")):
            return error(f"no playground {request.path_params['job_id'][:40]!r} of yours is running", 404)
        try:
            body = await read_json(request)
            _unknown(body, ["do", "probe"])
            action = _name("do", body.get("do", ""), ("play", "pause", "step", "probe", "stop"))
            probe = _number("probe", body["probe"], PLAYGROUND_LIMITS["probe"]) if "probe" in body else None
        except ApiError as e:
            return error(e.message, e.status)
        if action == "stop":
            job.stop()
            return JSONResponse({"stopped": job.id})
        return JSONResponse(job.control(action, probe))

    async def check(request: Request):
        try:
            body = await read_json(request)
            _unknown(body, ["csv"])
            if not isinstance(body.get("csv"), str):
                raise ApiError("csv must be the text of a CSV file, rows of x1,x2,label")
            P, labels = parse_csv(body["csv"])
        except ApiError as e:
            return error(e.message, e.status)
        return JSONResponse({"rows": len(P), "class_1": int(labels.sum())})

    return [
        Route("/api/playground", start, methods=["POST"]),
        Route("/api/playground/check", check, methods=["POST"]),
        Route("/api/playground/{job_id}/control", control, methods=["POST"]),
    ]
