"""What the web page asks of costlab: checked parameters in, plain data out.

The page computes nothing itself: every number it draws comes from here, and
here from costlab's engine (:func:`costlab.neuron.train_neuron` for the single
neuron, :class:`costlab.group.NetworkGroup` for the networks on the digits).
Nothing in this module knows about HTTP; :mod:`costlab.web.app` turns
:class:`ApiError` into a 4xx answer.

Every parameter is checked and bounded (:data:`NEURON_LIMITS`,
:data:`TRAIN_LIMITS`), so that no request can ask for more than about a
second of computing (a neuron) or two minutes in a job process (a network; see
:mod:`costlab.web.jobs`).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from functools import lru_cache
from typing import Mapping

import numpy as np

from costlab.checks import Bound, check_number
from costlab.i18n import tr
from costlab.web.jobs import ProcessJob

__all__ = [
    "ApiError",
    "NEURON_LIMITS",
    "TRAIN_LIMITS",
    "Trainer",
    "TrainingJob",
    "check_neuron_params",
    "check_train_params",
    "neuron_curves",
    "presets",
    "presets_payload",
]

NEURON_COSTS = ("quadratic", "cross-entropy")


class ApiError(ValueError):
    """A request the API refuses: ``status`` (4xx) and a message for people."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status
        self.message = message


#: The single neuron's parameters: at most 5000 epochs (about half a second per cost).
NEURON_LIMITS: dict[str, Bound] = {
    "w": Bound(-50, 50, 2.0, help="initial weight"),
    "b": Bound(-50, 50, 2.0, help="initial bias"),
    "a0": Bound(0, 1, None, lo_open=True, hi_open=True,
                help="initial output sigma(w x + b), instead of b (b = logit(a0) - w x)"),
    "x": Bound(-10, 10, 1.0, help="the input"),
    "y": Bound(0, 1, 0.0, help="the target output"),
    "eta": Bound(0, 100, 0.15, lo_open=True, help="learning rate"),
    "epochs": Bound(0, 5000, 300, integer=True, help="gradient-descent steps"),
}

#: The network on the digits: at most 100 epochs, 100 hidden neurons, two minutes.
TRAIN_LIMITS: dict[str, Bound] = {
    "hidden": Bound(1, 100, 30, integer=True, help="hidden neurons"),
    "eta": Bound(0, 10, 0.5, lo_open=True, help="learning rate"),
    "epochs": Bound(1, 100, 30, integer=True, help="passes over the training images"),
    "batch_size": Bound(1, 100, 10, integer=True, help="images per gradient step"),
    "seed": Bound(0, 2**31 - 1, 0, integer=True, help="seed of the initial weights and batch order"),
    "pace": Bound(0, 1000, 80, integer=True,
                  help="shortest time per epoch in milliseconds, to watch the curves grow (0: full speed)"),
}
#: Deep networks on the digits, each layer's speed of learning (the page's third tab).
LAYERS_LIMITS: dict[str, Bound] = {
    "depth": Bound(1, 4, 3, integer=True, help="hidden layers"),
    "hidden": Bound(1, 60, 30, integer=True, help="neurons per hidden layer"),
    "eta": Bound(0, 10, 0.1, lo_open=True, help="learning rate"),
    "epochs": Bound(1, 60, 20, integer=True, help="passes over the training images"),
    "batch_size": Bound(1, 100, 10, integer=True, help="images per gradient step"),
    "seed": Bound(0, 2**31 - 1, 0, integer=True, help="seed of the initial weights and batch order"),
    "pace": Bound(0, 1000, 40, integer=True, help="shortest time per epoch in milliseconds"),
}
#: Longest a training may run, in seconds, whatever its parameters.
MAX_TRAINING_SECONDS = 120.0


# --------------------------------------------------------------------------- #
# Checking parameters
# --------------------------------------------------------------------------- #

def _number(name: str, raw, bound: Bound) -> float | int:
    if isinstance(raw, (list, dict)) or raw is None:
        raise ApiError(f"{name} must be {bound.describe()}, got {raw!r}")
    try:
        return check_number(name, raw if isinstance(raw, str) else str(raw), bound)
    except ValueError as e:
        raise ApiError(str(e)) from None


def _choices(name: str, raw, allowed, *, count: tuple[int, int]) -> list[str]:
    """A comma-separated list (or a JSON list) of names from ``allowed``."""
    if isinstance(raw, (list, tuple)):
        items = [str(v).strip() for v in raw]
    elif isinstance(raw, str):
        if len(raw) > 200:
            raise ApiError(f"{name} is too long ({len(raw)} characters)")
        items = [v.strip() for v in raw.split(",") if v.strip()]
    else:
        raise ApiError(f"{name} must be a comma-separated list of: {', '.join(allowed)}; got {raw!r}")
    for item in items:
        if item not in allowed:
            raise ApiError(f"unknown {name[:-1] if name.endswith('s') else name} {item!r} in {name}; "
                           f"choose from: {', '.join(allowed)}")
    if len(set(items)) != len(items):
        raise ApiError(f"{name} names the same one twice: {', '.join(items)}")
    lo, hi = count
    if not lo <= len(items) <= hi:
        want = f"exactly {lo}" if lo == hi else f"{lo} to {hi}"
        raise ApiError(f"{name} must name {want} of: {', '.join(allowed)}; got {len(items)}")
    return items


def _cost_specs(name: str, raw, *, count: tuple[int, int], activation: str | None = None) -> list[str]:
    """Cost specs (names, names with parameters, formulas in a and y), split on commas outside
    parentheses or given as a JSON list; each resolved by costlab.costs.get_cost (its canonical text)."""
    from costlab.costs import get_cost, split_specs

    if not isinstance(raw, (str, list, tuple)):
        raise ApiError(f"{name} must be a comma-separated list of costs (quadratic, cross-entropy, ...); got {raw!r}")
    if isinstance(raw, str) and len(raw) > 400:
        raise ApiError(f"{name} is too long ({len(raw)} characters)")
    try:
        items = ([str(v) for v in raw] if isinstance(raw, (list, tuple))
                 else split_specs(raw) if raw.strip() else [])
        costs = [get_cost(item) for item in items]
    except ValueError as e:
        raise ApiError(f"{name}: {e}") from None
    for cost in costs:
        if activation is not None and activation not in cost.activations:
            raise ApiError(f"{name}: the {cost.name} cost does not fit a {activation} output")
    names = [cost.name for cost in costs]
    if len(set(names)) != len(names):
        raise ApiError(f"{name} names the same one twice: {', '.join(names)}")
    lo, hi = count
    if not lo <= len(names) <= hi:
        want = f"exactly {lo}" if lo == hi else f"{lo} to {hi}"
        raise ApiError(f"{name} must name {want} costs; got {len(names)}")
    return names


def _unknown(params: Mapping, known) -> None:
    extra = sorted(set(params) - set(known))
    if extra:
        raise ApiError(f"unknown parameter {extra[0]!r}; known parameters: {', '.join(known)}")


def check_neuron_params(params: Mapping) -> dict:
    """The single neuron's parameters, checked and with defaults filled in.

    ``b`` or ``a0`` gives the start (not both); ``costs`` is one to three cost
    specs for a sigmoid output, comma-separated outside parentheses (``quadratic``,
    ``cross-entropy``, ``focal(gamma=2)``, a formula in a and y). Raises :class:`ApiError`.
    """
    _unknown(params, [*NEURON_LIMITS, "costs"])
    p = {}
    for name, bound in NEURON_LIMITS.items():
        if name in params:
            p[name] = _number(name, params[name], bound)
        elif bound.default is not None:
            p[name] = bound.default
    if "a0" in params:
        if "b" in params:
            raise ApiError("give the start as b or as a0, not both")
        a0 = p.pop("a0")
        b = math.log(a0) - math.log1p(-a0) - p["w"] * p["x"]
        if not -50 <= b <= 50:
            raise ApiError(f"a0 = {a0:g} with w = {p['w']:g} and x = {p['x']:g} needs b = {b:.4g}, "
                           "outside [-50, 50]")
        p["b"] = b
    p["costs"] = _cost_specs("costs", params.get("costs", ",".join(NEURON_COSTS)), count=(1, 3), activation="sigmoid")
    return p


def check_train_params(params: Mapping) -> dict:
    """The digits network's parameters, checked and with defaults filled in.

    ``costs``: two cost specs (names, names with parameters, formulas in a
    and y; default quadratic and cross-entropy); ``init``: ``default`` or ``large``. Raises :class:`ApiError`.
    """
    _unknown(params, [*TRAIN_LIMITS, "costs", "init"])
    p = {name: (_number(name, params[name], bound) if name in params else bound.default)
         for name, bound in TRAIN_LIMITS.items()}
    p["costs"] = _cost_specs("costs", params.get("costs", "quadratic,cross-entropy"), count=(2, 2))
    from costlab.network import INITIALIZERS

    init = str(params.get("init", "large"))
    if init not in INITIALIZERS:
        raise ApiError(f"init must be one of: {', '.join(INITIALIZERS)}; got {init[:40]!r}")
    p["init"] = init
    return p


def check_layers_params(params: Mapping) -> dict:
    """The deep networks' parameters, checked and with defaults filled in.

    ``costs``: one to three of the network costs; ``activations``: one to three
    hidden activations of the registry (sigmoid, tanh, relu); ``init``.
    Raises :class:`ApiError`.
    """
    from costlab.activations import ACTIVATIONS
    from costlab.network import INITIALIZERS

    _unknown(params, [*LAYERS_LIMITS, "costs", "activations", "init"])
    p = {name: (_number(name, params[name], bound) if name in params else bound.default)
         for name, bound in LAYERS_LIMITS.items()}
    p["costs"] = _cost_specs("costs", params.get("costs", "quadratic,cross-entropy"), count=(1, 3))
    hidden = [a.name for a in ACTIVATIONS.values() if a.elementwise and a.name != "identity"]
    p["activations"] = _choices("activations", params.get("activations", "sigmoid,relu"), hidden, count=(1, 3))
    init = str(params.get("init", "default"))
    if init not in INITIALIZERS:
        raise ApiError(f"init must be one of: {', '.join(INITIALIZERS)}; got {init[:40]!r}")
    p["init"] = init
    return p


# --------------------------------------------------------------------------- #
# The single neuron
# --------------------------------------------------------------------------- #

def presets() -> list[dict]:
    """The blog post's two starts, and its settings, as the page's one-click presets."""
    from costlab.neuron import SEED_EPOCHS, SEED_ETA, SEED_STARTS, SEED_X, SEED_Y, initial_output

    return [
        {"name": name, "label": f"blog post: a0 = {initial_output(w, b):.2f}", "a0": initial_output(w, b),
         "w": w, "b": b, "x": SEED_X, "y": SEED_Y, "eta": SEED_ETA, "epochs": SEED_EPOCHS}
        for name, (w, b) in SEED_STARTS.items()
    ]


def presets_payload() -> dict:
    """What the page loads first: the presets, costlab's palette and the Chinese catalogue of its words."""
    from costlab import i18n, palette

    return {"presets": presets(), "palette": palette.as_json(), "messages": {"zh": dict(i18n.ZH)}}


def neuron_curves(p: dict) -> dict:
    """Train the neuron from the start ``p`` under each cost in ``p["costs"]``.

    Returns, per cost, the trajectory of :func:`costlab.neuron.train_neuron`
    (``epoch``, ``w``, ``b``, ``a``, ``C``, each ``epochs + 1`` long) with, at
    each state, the weighted input ``z = w x + b``, the slope ``sigma'(z)``
    and the bias gradient ``dC_db = delta`` (the cost's own output error), and
    the first epoch with a < 0.5; and the sigmoid over a range of z that holds
    every state.
    """
    from costlab.activations import ACTIVATIONS, sigmoid, sigmoid_prime
    from costlab.costs import get_cost
    from costlab.network import TrainingDiverged
    from costlab.neuron import first_epoch_below, train_neuron

    t0 = time.perf_counter()
    sigma = ACTIVATIONS["sigmoid"]
    runs = {}
    z_all = [p["w"] * p["x"] + p["b"]]
    for cost in p["costs"]:
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                run = train_neuron(p["w"], p["b"], cost=cost, x=p["x"], y=p["y"], eta=p["eta"],
                                   epochs=p["epochs"])
        except TrainingDiverged as e:
            raise ApiError(f"{cost}: {e}", status=422) from None
        except (FloatingPointError, ValueError) as e:
            raise ApiError(f"{cost}: numbers too large to train with ({e}); try a smaller eta", 422) from None
        h = run.history
        w, b, a = (np.asarray(h[k]) for k in ("w", "b", "a"))
        z = w * p["x"] + b
        delta = get_cost(cost).delta(z[:, None], a[:, None], np.full((len(a), 1), p["y"]), sigma)[:, 0]
        runs[cost] = {
            **{k: list(v) for k, v in h.items()},
            "z": z.tolist(),
            "slope": sigmoid_prime(z).tolist(),
            "dC_db": delta.tolist(),
            "first_below_half": first_epoch_below(run, 0.5),
        }
        z_all += [float(z.min()), float(z.max())]
    lo = min(-8.0, math.floor(min(z_all)) - 1.0)
    hi = max(8.0, math.ceil(max(z_all)) + 1.0)
    zs = np.linspace(lo, hi, 241)
    p = dict(p)
    a0 = float(sigmoid(p["w"] * p["x"] + p["b"]))
    from costlab.checks import finite_json

    return finite_json({
        "params": p,
        "a0": a0,
        "z0": p["w"] * p["x"] + p["b"],
        "runs": runs,
        "sigmoid": {"z": zs.tolist(), "a": sigmoid(zs).tolist(), "slope": sigmoid_prime(zs).tolist()},
        "logit": logit_curves(p["y"]),
        "elapsed_ms": round((time.perf_counter() - t0) * 1000, 2),
    })


#: The logit view's grid: z from -10 to 10 in steps of 0.05.
LOGIT_Z = np.linspace(-10.0, 10.0, 401)


def logit_curves(y: float) -> dict:
    """One output's cost C and |dC/dz| against its weighted input z, for target ``y``, under both costs.

    Each from the cost's own ``fn`` and ``delta`` (the stable forms). Their
    ratio, cross-entropy over quadratic, is 1/sigma'(z) wherever a != y.
    """
    from costlab.activations import ACTIVATIONS, sigmoid_prime
    from costlab.costs import get_cost

    sigma = ACTIVATIONS["sigmoid"]
    z = LOGIT_Z[:, None]
    a = sigma.fn(z)
    t = np.full_like(z, y)
    out = {"z": LOGIT_Z.tolist(), "slope": sigmoid_prime(LOGIT_Z).tolist()}
    for name in NEURON_COSTS:
        cost = get_cost(name)
        out[name] = {"C": cost.fn(z, a, t).tolist(), "dC_dz": np.abs(cost.delta(z, a, t, sigma)[:, 0]).tolist()}
    return out


# --------------------------------------------------------------------------- #
# Networks on the digits, trained in a job process (costlab.web.jobs)
# --------------------------------------------------------------------------- #

@lru_cache(maxsize=1)
def digits():
    """scikit-learn's digits as costlab loads them, with one-hot float targets (loaded once)."""
    from costlab.data import load_data

    data = load_data("digits")
    eye = np.eye(data.n_classes)
    return data, eye[data.y_train], eye[data.y_test]


class _Stop(Exception):
    """Raised inside the training loop's callbacks to end it."""


class TrainingJob:
    """One training of two networks on the digits, side by side: the work of a job process.

    :meth:`run` (in the process of :class:`costlab.web.jobs.ProcessJob`) puts
    ``(event, data)`` pairs on ``events``: ``epoch`` for every epoch (0 is the
    state before training), then one of ``done``, ``stopped`` or ``error``.
    :meth:`stop` (from another thread) ends the training within one gradient step.
    """

    #: Longest the job may run, in seconds; its process is ended a grace second later (costlab.web.jobs).
    max_seconds = MAX_TRAINING_SECONDS

    def __init__(self, params: dict):
        self.params = params
        self.events: queue.Queue = queue.Queue()
        self._stop = threading.Event()

    def stop(self, reason: str | None = None) -> None:
        if reason is not None and not self._stop.is_set():
            self._reason = reason
        self._stop.set()

    def run(self) -> None:
        try:
            self._train()
        except _Stop:
            self.events.put(("stopped", {"reason": self._reason}))
        except Exception as e:  # reported to the page
            self.events.put(("error", {"error": f"{type(e).__name__}: {e}"}))

    _reason = "stopped"

    def _check(self, *_):
        if self._stop.is_set():
            raise _Stop()
        if time.monotonic() > self._deadline:
            self._reason = tr("the time limit of two minutes was reached")
            raise _Stop()

    def _train(self) -> None:
        from costlab.group import NetworkGroup
        from costlab.network import Network

        p = self.params
        self._deadline = time.monotonic() + MAX_TRAINING_SECONDS
        data, Y, Y_test = digits()
        sizes = [data.n_features, p["hidden"], data.n_classes]
        nets = [Network(sizes, cost=cost, init=p["init"], seed=p["seed"]) for cost in p["costs"]]
        t0 = time.perf_counter()
        pace = p["pace"] / 1000.0
        next_time = [time.monotonic()]

        def on_epoch(group, epoch, histories):
            self._check()
            runs = {
                cost: {k: getattr(h, k)[-1] for k in ("train_cost", "train_accuracy", "eval_cost", "eval_accuracy")}
                for cost, h in zip(p["costs"], histories)
            }
            for cost, h in zip(p["costs"], histories):
                if h.diverged is not None:
                    runs[cost]["diverged"] = h.diverged
            self.events.put(("epoch", {"epoch": int(epoch), "runs": runs,
                                       "elapsed_s": round(time.perf_counter() - t0, 3)}))
            # pace: wait (stoppably) so that each epoch shows for at least `pace` seconds
            next_time[0] += pace
            delay = next_time[0] - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                raise _Stop()
            next_time[0] = max(next_time[0], time.monotonic())

        NetworkGroup(nets).fit(
            data.X_train, Y, epochs=p["epochs"], batch_size=p["batch_size"], eta=p["eta"],
            eval_data=(data.X_test, Y_test), monitor="exact", on_epoch=on_epoch, on_batch=self._check,
        )
        self.events.put(("done", {"epochs": p["epochs"], "elapsed_s": round(time.perf_counter() - t0, 3)}))


class LayersJob(TrainingJob):
    """Deep networks on the digits, every (cost, activation) from the same start: each layer's speed, per epoch.

    Events: ``epoch`` with ``activation``, ``epoch`` and per cost the per-layer
    ``speed``, ``saturated`` and ``dead`` of :class:`costlab.fast.LayerRecord`
    (one :class:`NetworkGroup` per activation, trained one after another).
    """

    def _train(self) -> None:
        import warnings

        from costlab.group import NetworkGroup
        from costlab.network import Network
        from costlab.training import LayerWarning

        p = self.params
        self._deadline = time.monotonic() + MAX_TRAINING_SECONDS
        data, Y, _ = digits()
        sizes = [data.n_features, *[p["hidden"]] * p["depth"], data.n_classes]
        t0 = time.perf_counter()
        pace = p["pace"] / 1000.0
        for activation in p["activations"]:
            nets = [Network(sizes, cost=cost, activation=activation, init=p["init"], seed=p["seed"])
                    for cost in p["costs"]]
            next_time = [time.monotonic()]

            def on_epoch(group, epoch, histories, activation=activation):
                self._check()
                runs = {cost: {key: h.layers[key][-1] for key in ("speed", "saturated", "dead")}
                        for cost, h in zip(p["costs"], histories) if h.diverged is None}
                self.events.put(("epoch", {"activation": activation, "epoch": int(epoch), "runs": runs,
                                           "elapsed_s": round(time.perf_counter() - t0, 3)}))
                next_time[0] += pace
                delay = next_time[0] - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    raise _Stop()
                next_time[0] = max(next_time[0], time.monotonic())

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LayerWarning)  # the figures show what they would say
                NetworkGroup(nets).fit(data.X_train, Y, epochs=p["epochs"], batch_size=p["batch_size"],
                                       eta=p["eta"], layers=True, on_epoch=on_epoch, on_batch=self._check)
        self.events.put(("done", {"epochs": p["epochs"], "elapsed_s": round(time.perf_counter() - t0, 3)}))


class Trainer:
    """Starts training jobs, each in its own process, at most ``max_jobs`` at once, and finds them by id.

    A job holds its slot until its process is gone (see :mod:`costlab.web.jobs`).
    """

    def __init__(self, max_jobs: int = 2):
        self.max_jobs = max_jobs
        self._jobs: dict[str, ProcessJob] = {}
        self._lock = threading.Lock()

    def start(self, params: dict, job_class=TrainingJob) -> ProcessJob:
        with self._lock:
            if len(self._jobs) >= self.max_jobs:
                raise ApiError(f"{len(self._jobs)} trainings are running, the most this server runs at once; "
                               "stop one or wait for it to end", status=429)
            job = ProcessJob(job_class, params, on_end=self._ended)
            self._jobs[job.id] = job
        try:
            return job.start()
        except Exception as e:
            self._ended(job)
            raise ApiError(f"the training could not start: {type(e).__name__}: {e}", 503) from None

    def _ended(self, job: ProcessJob) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)

    def get(self, job_id: str) -> ProcessJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def jobs(self) -> list[ProcessJob]:
        with self._lock:
            return list(self._jobs.values())

    def stop_all(self, reason: str | None = None) -> None:
        for job in self.jobs():
            job.stop(reason)
