"""Watching a PyTorch model learn: costlab's per-layer record, read through module hooks.

``with costlab.torch.watch(model, loss=loss_fn) as w:`` around an ordinary
training loop records, for every Linear and Conv layer of any
``torch.nn.Module``, what :class:`costlab.fast.LayerRecord` records for
costlab's own networks, window after window of training steps:

* the speed of learning ``||nabla_b||``, the length of the mean bias gradient
  over the window (Nielsen's measure), and ``||nabla_w|| / ||w||``;
* the share of its sigmoid or tanh units that are saturated (sigma'(z) below
  1% of its maximum on most samples: the engine's rule,
  :func:`costlab.fast.saturated`), and of its ReLU units that are dead
  (positive on no sample of the window);
* for the output layer, the share of outputs saturated at the wrong value
  and the mean slowdown factor that the cost leaves in the gradient,
  ``sum |delta| / sum |a - y|`` over the window's outputs (the factor
  ``delta / (a - y)`` weighted by how wrong each output is): the mean of
  sigma'(z) <= 1/4 for the quadratic cost on a sigmoid output, exactly 1 for
  the cross-entropy, where sigma'(z) cancels.

A layer that stops learning is named by the same :class:`costlab.LayerWarning`
as ``Network.fit(layers=True)`` gives. The outputs of recorded steps are
kept (on the model's device) and counted a chunk of steps at a time, as
costlab's engine counts its own; the counts are read once per window. A step
that is not recorded costs one call of the model's forward pre-hook: the
other hooks are added for a recorded step and removed after it, and none goes
on the parameters (their gradients are read when the backward pass ends).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from costlab.activations import ACTIVATIONS
from costlab.costs import COSTS, get_cost
from costlab.fast import _PRIME_MAX, SATURATED_BELOW, LayerRecord
from costlab.history import fmt, html_table, pct
from costlab.torch.loss import Loss
from costlab.training import _Diagnosis

__all__ = ["Watch", "WatchRecord", "watch"]

#: The layers watched: those with weights, whose bias gradient is their speed of learning.
LAYERS = (nn.Linear, nn.modules.conv._ConvNd)
#: Activation modules, by the name costlab's registry gives them.
ACTIVATION_MODULES = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu", nn.Softmax: "softmax"}
#: The layers' outputs kept for counting are counted when they take this many bytes (and at each window's
#: end): chunks of about ten mini-batches, whose temporaries stay in the processor's cache, and few torch
#: calls. The output's figures (a few dozen small torch calls, whatever the chunk) are counted once the
#: logits kept take as many bytes, or at the window's end.
FLUSH_BYTES = 1 << 19
#: PyTorch's own losses read as costlab's costs, for the output's figures.
TORCH_LOSSES = {nn.MSELoss: "quadratic", nn.BCEWithLogitsLoss: "cross-entropy",
                nn.CrossEntropyLoss: "log-likelihood"}


@dataclass
class WatchRecord:
    """What :func:`watch` saw: per window of training steps, one value per layer (first to output).

    ``layers``: per watched layer its module name, type, activation and
    number of units. Each entry of ``windows`` holds ``steps`` (first and
    last training step of the window), ``observed`` (steps recorded: one in
    ``every``), ``samples``, and per layer ``speed`` (||nabla_b||, None for a
    layer without bias), ``weight_speed`` (the mean over the recorded steps of
    ||nabla_w||, over ||w|| at the window's end),
    ``saturated`` and ``dead`` (fractions of units, None where they do not
    apply), and for the output ``slowed`` and ``slowdown`` (None without a
    known cost).
    """

    layers: list = field(default_factory=list)
    windows: list = field(default_factory=list)
    every: int = 1
    cost: str | None = None

    def to_dict(self) -> dict:
        return {"layers": [dict(layer) for layer in self.layers], "every": self.every, "cost": self.cost,
                "windows": [{key: (list(v) if isinstance(v, list) else v) for key, v in w.items()}
                            for w in self.windows]}

    def series(self, key: str) -> list:
        """``key`` ("speed", "weight_speed", "saturated", "dead") per window: a list of per-layer lists."""
        return [w[key] for w in self.windows]

    def _repr_html_(self) -> str:
        """The last window's figures per layer as an HTML table."""
        if not self.windows:
            return html_table(["layer"], [], "Watch: no training step seen yet")
        w = self.windows[-1]
        rows = [[l + 1, layer["name"], layer["type"], layer["activation"] or "–", fmt(w["speed"][l]),
                 fmt(w["weight_speed"][l]), pct(w["saturated"][l]), pct(w["dead"][l])]
                for l, layer in enumerate(self.layers)]
        caption = (f"Watch: window {len(self.windows)}, steps {w['steps'][0]} to {w['steps'][1]} "
                   f"(every {self.every})")
        if w.get("slowdown") is not None:
            caption += (f"; output: slowdown factor {w['slowdown']:.3g} ({self.cost} cost), "
                        f"{pct(w['slowed'])} of outputs saturated at the wrong value")
        return html_table(["layer", "module", "type", "activation", "||nabla_b||", "||nabla_w||/||w||",
                           "saturated", "dead"], rows, caption)

    def plot(self, ax=None, *, measure: str = "speed"):
        """``measure`` ("speed", "weight_speed", "saturated", "dead") per layer against the window; returns the axes.

        Drawn by :func:`costlab.display.plot_watch` (matplotlib is imported on first use).
        """
        from costlab.display import plot_watch

        return plot_watch(self, ax, measure=measure)


class _Layer:
    """One watched layer and its counts over the current window (tensors on the layer's device)."""

    def __init__(self, name, module):
        self.name, self.module = name, module
        self.activation = None
        # the parameters whose gradients are read (None: absent, or frozen)
        self.weight, self.bias = _param(module, "weight"), _param(module, "bias")
        self.reset()

    def reset(self):
        # sum_x delta_x; per unit the samples where it is saturated, and its largest sign(a) (> 0: it fired)
        self.sum_b = self.saturated = self.fired = None
        self.norms = []    # ||nabla_w|| of each recorded step (0-d tensors), added up when the window closes
        self.pending = []  # activation outputs a of recorded steps, counted a chunk at a time

    def add(self, attr, value):
        """Add ``value`` (a fresh tensor) to the count ``attr``."""
        old = getattr(self, attr)
        if old is None:
            setattr(self, attr, value)
        else:
            old.add_(value)

    @property
    def units(self):
        counts = self.saturated if self.saturated is not None else self.fired
        return None if counts is None else int(counts.numel())


class _Plan:
    """The gradients of the layers one recorded step runs, read in two torch calls per step; one per window.

    ``sum_b``: per bias, sum over the steps of m nabla_b (m: the step's batch
    size); ``norms``: per step, ||nabla_w|| of each weight (0-d tensors).
    """

    def __init__(self, layers):
        self.biases = [layer for layer in layers if layer.bias is not None]
        self.weights = [layer for layer in layers if layer.weight is not None]
        self.bias_params = [layer.bias for layer in self.biases]
        self.weight_params = [layer.weight for layer in self.weights]
        self.params = self.bias_params + self.weight_params
        self.sum_b = None
        self.norms = []

    def read(self, m):
        """Add a backward pass's gradients (called when it ends); False if one is missing (read layer by layer)."""
        gb = [p.grad for p in self.bias_params]
        gw = [p.grad for p in self.weight_params]
        try:
            if gw and gw[0].requires_grad or gb and gb[0].requires_grad:   # backward(create_graph=True)
                return False
            norms = torch._foreach_norm(gw) if gw else None
            if gb:
                if self.sum_b is None:
                    self.sum_b = torch._foreach_mul(gb, m)
                else:
                    torch._foreach_add_(self.sum_b, gb, alpha=m)
        except (TypeError, AttributeError):   # a parameter without gradient (None) in this pass: nothing added
            if any(g is None for g in gb + gw):
                return False
            raise
        if norms is not None:
            self.norms.append(norms)
        return True

    def add_to(self, layers):
        """Add the window's sums to ``layers``' own (those read layer by layer)."""
        if self.sum_b is not None:
            for layer, s in zip(self.biases, self.sum_b):
                layer.sum_b = s if layer.sum_b is None else layer.sum_b + s
        for k, layer in enumerate(self.weights):
            layer.norms += [step[k] for step in self.norms]


def _rows(t):
    """One row per sample, one column per unit (a Conv layer's units: its channels at every position)."""
    return t.reshape(t.shape[0], -1) if t.ndim != 2 else t


def _saturated(act, a):
    """1 where a sigmoid or tanh output is saturated, else 0, in a's dtype: :func:`costlab.fast.saturated`.

    The engine's rule sigma'(z) < limit, compared in place (comparisons into
    a floating-point tensor run several times faster than into a boolean one).
    """
    return act.prime_from_output(a).lt_(SATURATED_BELOW * _PRIME_MAX[act.name])


def _wrong(a, y):
    """1 where an output is at the wrong value, else 0: :func:`costlab.fast.wrong_output`, |a - y| > 1/2."""
    return (a - y).abs_().gt_(0.5)


def _per_unit(flags):
    """The number of rows where each unit's flag is 1 (integers; sums in at least single precision, exact)."""
    flags = _rows(flags)
    return flags.sum(dim=0, dtype=torch.float32 if flags.element_size() < 4 else None).to(torch.int64)


def _param(module, name):
    """The module's parameter ``name`` if it takes a gradient, else None."""
    p = getattr(module, name, None)
    return p if isinstance(p, torch.Tensor) and p.requires_grad else None


def _grad(p, before):
    """What the last backward pass added to ``p.grad`` (``before``: the gradients already there, by id)."""
    if p is None or p.grad is None:
        return None
    old = before.get(id(p))
    return p.grad if old is None else p.grad.detach() - old


def _accumulate(pairs, attr, values, alpha):
    """Add ``alpha`` times ``values`` to each layer's sum ``attr`` (one torch call for all the layers of a step)."""
    sums = [getattr(layer, attr) for layer, _ in pairs]
    if all(t is not None for t in sums):
        torch._foreach_add_(sums, values, alpha=alpha)
        return
    for (layer, _), v in zip(pairs, values):   # a window's first step: fresh sums
        old = getattr(layer, attr)
        if old is None:
            setattr(layer, attr, v * alpha)
        else:
            old.add_(v, alpha=alpha)


def _host(tensors):
    """Tensors (or None) as float64 NumPy arrays: one copy to the host per device, when a window closes."""
    out = [None] * len(tensors)
    groups = {}
    for i, t in enumerate(tensors):
        if t is not None:
            groups.setdefault((t.device, t.dtype), []).append(i)
    for idx in groups.values():
        flat = torch.cat([tensors[i].reshape(-1) for i in idx]).cpu().double().numpy()
        start = 0
        for i in idx:
            n = tensors[i].numel()
            out[i] = flat[start:start + n].reshape(tensors[i].shape)
            start += n
    return out


def _check_int(name, value, lo, allow_none=False):
    if allow_none and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


class Watch:
    """Module hooks on a model that fill costlab's per-layer record; see :func:`watch`.

    Use it as a context manager, or call :meth:`close` when done: every hook
    is removed then (also when the block ends by an exception).
    """

    def __init__(self, model, *, loss=None, every: int = 1, window: int | None = 50):
        if not isinstance(model, nn.Module):
            raise ValueError(f"watch needs a torch.nn.Module, got {type(model).__name__}")
        self.every = _check_int("every", every, 1)
        self.window = _check_int("window", window, 1, allow_none=True)
        self.model = model
        self._layers = [_Layer(name or type(module).__name__, module)
                        for name, module in model.named_modules() if isinstance(module, LAYERS)]
        if not self._layers:
            raise ValueError(f"watch needs a model with Linear or Conv layers; {type(model).__name__} has none")
        self._activations = [(module, ACTIVATION_MODULES[type(module)]) for module in model.modules()
                             if type(module) in ACTIVATION_MODULES]
        self._loss, self._cost = self._read_loss(loss)
        self.record = WatchRecord(every=self.every, cost=None if self._cost is None else self._cost.name)
        self._order: list[int] = []         # layers in the order the forward pass runs them
        self._step = 0                      # training forward passes seen
        self._observing = False
        self._owner: dict = {}              # id(output tensor) -> (layer, tensor) in this forward pass
        self._ran: list[int] = []           # layers run by the recorded step
        self._order_seen: list[int] = []
        self._last_output = None            # the output of the step's last layer
        self._last = None
        self._m = None
        self._window_start = 1
        self._reset_window()
        self._said: set = set()
        self._grads_queued = False          # the reading of this backward pass's gradients is queued
        self._step_handles: list = []       # the hooks of a recorded step (every > 1)
        self._handles = [model.register_forward_pre_hook(self._on_forward)]
        if self.every == 1:
            self._handles += self._attach()
        self.closed = False

    # -- what the loss says about the output ----------------------------------------------------------
    def _read_loss(self, loss):
        if loss is None:
            return None, None
        if isinstance(loss, Loss):
            return loss, get_cost(loss.spec)
        if type(loss) in TORCH_LOSSES:
            # BCEWithLogitsLoss and CrossEntropyLoss: the output's figures as costlab's cost of the same logits
            self._proxy = Loss(TORCH_LOSSES[type(loss)])
            return loss, COSTS[TORCH_LOSSES[type(loss)]]
        known = ", ".join(["costlab.torch.Loss"] + [f"torch.nn.{t.__name__}" for t in TORCH_LOSSES])
        raise ValueError(f"watch reads the loss of {known}; got {type(loss).__name__} (pass loss=None to leave "
                         "out the output's figures)")

    # -- hooks --------------------------------------------------------------------------------------------
    def _attach(self):
        """The hooks of a recorded step: on the model's output, each layer, each activation module, the loss.

        With ``every > 1`` they are added when a recorded step begins and
        removed when it ends, so that the steps in between pay only the
        model's pre-hook. No hook goes on the parameters: a hook on a leaf
        tensor stays in PyTorch's backward pass once registered (removing it
        leaves a call into Python per parameter and step); the gradients are
        read once the backward pass is over (:meth:`_on_backward`).
        """
        handles = [self.model.register_forward_hook(self._on_model_output)]
        handles += [layer.module.register_forward_hook(partial(self._on_layer, l))
                    for l, layer in enumerate(self._layers)]
        handles += [module.register_forward_hook(partial(self._on_activation, kind))
                    for module, kind in self._activations]
        if self._loss is not None:
            handles.append(self._loss.register_forward_hook(self._on_loss, with_kwargs=True))
        return handles

    def _on_forward(self, module, inputs):
        """A forward pass of the model begins: a training step if gradients are enabled."""
        if self._observing:
            self._end_step()
        if not torch.is_grad_enabled():
            return
        self._step += 1
        if (self._step - 1) % self.every:
            return  # a step in between: this call is all it costs
        if self.every > 1:
            self._step_handles = self._attach()
        self._observing = True
        self._observed += 1
        self._last_step = self._step
        self._ran = []
        self._last_output = None
        self._grads_queued = False  # (a backward pass that failed leaves it set)

    def _end_step(self):
        """The recorded step is over (its backward pass with it): remove its hooks, count or close the window."""
        self._observing = False
        for h in self._step_handles:
            h.remove()
        self._step_handles = []
        self._owner.clear()
        self._note_order()
        self._last = self._m = None
        if self.window is not None and self._observed >= self.window:
            self.end_window()
        elif self._pending_bytes > FLUSH_BYTES or self._output_bytes > FLUSH_BYTES:
            self._flush(outputs=self._output_bytes > FLUSH_BYTES)

    def _note_order(self):
        """Layers in the order the forward passes run them (read once per new order, not per step)."""
        if self._ran != self._order_seen:
            self._order_seen = self._ran
            for l in self._ran:
                if l not in self._order:
                    self._order.append(l)

    def _on_layer(self, l, module, inputs, output):
        if self._observing:
            if self._m is None:           # the step's batch size: the first layer's rows
                self._m = output.shape[0] if output.ndim else 1
                self._n += self._m
            self._ran.append(l)
            self._last_output = output
            self._owner[id(output)] = (l, output)
            self._last = l

    def _layer_of(self, x):
        owner = self._owner.get(id(x))
        return owner[0] if owner is not None and owner[1] is x else self._last

    def _on_activation(self, kind, module, inputs, output):
        if not self._observing or not inputs or not isinstance(output, torch.Tensor):
            return
        l = self._layer_of(inputs[0])
        if l is None:
            return
        self._last = None  # one activation per layer output
        self._owner[id(output)] = (l, output)  # what a loss of the outputs a reads (MSELoss)
        layer = self._layers[l]
        if layer.activation is None:
            layer.activation = kind
        if layer.activation == kind and kind in ("sigmoid", "tanh", "relu"):
            layer.pending.append(output.detach())
            self._pending_bytes += output.numel() * output.element_size()

    def _count(self, layer):
        """Count the saturated or firing units of the outputs a that ``layer`` has kept."""
        if not layer.pending:
            return
        a = _rows(torch.cat(layer.pending))  # a copy: compared in place
        layer.pending = []
        if layer.activation in ("sigmoid", "tanh"):
            layer.add("saturated", _per_unit(_saturated(ACTIVATIONS[layer.activation], a)))
        else:
            fired = a.gt_(0).amax(dim=0)  # 1 where the unit was positive on a sample
            layer.fired = fired if layer.fired is None else torch.maximum(layer.fired, fired, out=layer.fired)

    def _flush(self, outputs=True):
        """Count what the recorded steps have kept (and the output's figures): a few large torch calls, not many small."""
        with torch.no_grad():
            for layer in self._layers:
                self._count(layer)
            self._pending_bytes = 0
            if outputs and self._pending_out:
                self._output_bytes = 0
                l, module = self._pending_out[0][:2]
                z = torch.cat([p[2] for p in self._pending_out])
                target = torch.cat([p[3] for p in self._pending_out])
                self._pending_out = []
                if isinstance(module, nn.MSELoss):
                    self._output_from_outputs(l, z, target.to(z.dtype))
                else:
                    self._output_from_logits(l, module if isinstance(module, Loss) else self._proxy, z, target)

    def _on_model_output(self, module, inputs, output):
        """The recorded step's forward pass is over: the backward pass will reach its last layer's output first."""
        z = self._last_output
        self._last_output = None
        if z is not None and z.grad_fn is not None:
            # a pre-hook of the node that made z: it goes with the step's graph (no handle, nothing to remove)
            z.grad_fn.register_prehook(self._on_backward)

    def _on_backward(self, grad):
        """The backward pass of a recorded step has reached its last layer's output: read the gradients when it ends.

        No watched parameter's gradient is accumulated yet: the gradients
        already there (None after ``zero_grad()``) are noted, so that a
        gradient accumulated over several backward passes is read as what
        this one adds.
        """
        if not self._grads_queued and self._m is not None:
            self._grads_queued = True
            ran = tuple(self._ran)
            plan = self._plans.get(ran)
            if plan is None:
                plan = self._plans[ran] = _Plan([self._layers[l] for l in dict.fromkeys(ran)])
            before = {id(p): p.grad.clone() for p in plan.params if p.grad is not None}
            torch.autograd.Variable._execution_engine.queue_callback(
                partial(self._read_grads, plan, before, self._m))

    def _read_grads(self, plan, before, m):
        """The step's gradients, read after its backward pass: sum_x delta_x (m nabla_b) and ||nabla_w||.

        Two torch calls for all the layers at once (:meth:`_Plan.read`); layer
        by layer where a gradient was already there (accumulated over several
        passes), is missing, or carries a graph (``create_graph=True``). The
        sums stay tensors on the layers' devices until the window closes.
        """
        self._grads_queued = False
        if not before and plan.read(m):
            return
        layers = plan.biases + [layer for layer in plan.weights if layer not in plan.biases]
        biases = [(layer, _grad(layer.bias, before)) for layer in layers]
        biases = [(layer, g) for layer, g in biases if g is not None]
        weights = [(layer, _grad(layer.weight, before)) for layer in layers]
        weights = [(layer, g) for layer, g in weights if g is not None]
        if any(g.requires_grad for _, g in biases + weights):   # backward(create_graph=True)
            with torch.no_grad():
                return self._add_grads(biases, weights, m)
        self._add_grads(biases, weights, m)

    @staticmethod
    def _add_grads(biases, weights, m):
        if biases:
            _accumulate(biases, "sum_b", [g for _, g in biases], m)
        if weights:
            for (layer, _), norm in zip(weights, torch._foreach_norm([g for _, g in weights])):
                layer.norms.append(norm)

    def _on_loss(self, module, args, kwargs, output):
        if not self._observing or self._cost is None:
            return
        z = args[0] if args else kwargs.get("input", kwargs.get("z"))
        target = args[1] if len(args) > 1 else kwargs.get("target")
        if not isinstance(z, torch.Tensor) or target is None:
            return
        l = self._layer_of(z)
        if l is None or not isinstance(target, torch.Tensor) or z.ndim == 0 or z.shape[0] != target.shape[0]:
            return
        if not isinstance(module, nn.MSELoss) and z.ndim > 2:
            return  # logits of several positions per sample (segmentation): no output figures
        self._pending_out.append((l, module, z.detach(), target.detach()))
        self._output_bytes += z.numel() * z.element_size()

    def _output_from_logits(self, l, loss, z, target):
        Y = loss.targets(z, target, check=False)   # the loss itself has read them
        z2, Y2 = loss._logits(z, Y)
        a = loss.cost.output(z2)
        kind = loss.activation
        if self._layers[l].activation is None:
            self._layers[l].activation = kind
        if kind in ("sigmoid", "tanh"):
            flat = _saturated(ACTIVATIONS[kind], a)
            self._layers[l].add("saturated", _per_unit(flat))
            self._slowed = self._slowed + flat.mul_(_wrong(a, Y2)).sum()
        self._slowdown(loss.cost.delta(z2, Y2, a), a - Y2)

    def _output_from_outputs(self, l, a, Y):
        kind = self._layers[l].activation or "identity"
        a2, Y2 = _rows(a), _rows(Y)
        if kind in ("sigmoid", "tanh"):
            self._slowed = self._slowed + _saturated(ACTIVATIONS[kind], a2).mul_(_wrong(a2, Y2)).sum()
        prime = ACTIVATIONS[kind].prime_from_output
        err = a2 - Y2
        self._slowdown(err * prime(a2) if prime is not None else err, err)

    def _slowdown(self, delta, err):
        """Add sum |delta| and sum |a - y|: their ratio is the factor the cost leaves, weighted by the error."""
        self._delta_sum = self._delta_sum + delta.abs().sum()
        self._error_sum = self._error_sum + err.abs().sum()

    # -- windows --------------------------------------------------------------------------------------------
    def _reset_window(self):
        self._observed = 0
        self._n = 0
        self._last_step = None
        self._slowed = 0
        self._delta_sum = self._error_sum = 0.0
        self._pending_out = []
        self._pending_bytes = self._output_bytes = 0
        self._plans = {}
        for layer in self._layers:
            layer.reset()

    def end_window(self):
        """Close the current window (an epoch, say): its figures become a row of the record, and are diagnosed.

        Windows also close by themselves every ``window`` recorded steps, and
        when the watch is closed. A window with no recorded step adds nothing.
        """
        self._flush()
        self._note_order()
        for plan in self._plans.values():
            plan.add_to(self._layers)
        self._plans = {}
        if self._observed == 0 or not self._order:
            self._window_start = self._step + 1
            self._reset_window()
            return None
        order = list(self._order)
        layers = [self._layers[l] for l in order]
        if not self.record.layers or len(self.record.layers) != len(layers):
            self.record.layers = [{"name": layer.name, "type": type(layer.module).__name__,
                                   "activation": layer.activation,
                                   "units": layer.units}
                                  for layer in layers]
        row = self._row(layers)
        row["steps"] = [self._window_start, self._last_step]
        row["observed"], row["samples"] = self._observed, self._n
        self.record.windows.append(row)
        self._diagnose(layers, row)
        self._window_start = self._step + 1
        self._reset_window()
        return row

    def _row(self, layers):
        """The window's figures, counted by costlab's LayerRecord from the per-unit counts."""
        L = len(layers)
        with torch.no_grad():
            weights = [getattr(layer.module, "weight", None) for layer in layers]
            weights = [w.detach() if isinstance(w, torch.Tensor) else None for w in weights]
            norms = iter(torch._foreach_norm([w for w in weights if w is not None]))
            tensors = ([layer.saturated for layer in layers] + [layer.fired for layer in layers]
                       + [layer.sum_b for layer in layers]
                       + [torch.stack(layer.norms).sum() if layer.norms else None for layer in layers]
                       + [None if w is None else next(norms) for w in weights]
                       + [v if isinstance(v, torch.Tensor) else torch.tensor(float(v))
                          for v in (self._slowed, self._delta_sum, self._error_sum)])
            host = _host(tensors)  # the counts were made on the model's device
        saturated_count, fired, sum_b, sum_w, w_norm = (host[i * L:(i + 1) * L] for i in range(5))
        slowed_count, delta_sum, error_sum = (float(v) for v in host[5 * L:])
        # the record turns the counts into fractions as the engine does
        record = LayerRecord([np.empty((0 if layer.units is None else layer.units, 0)) for layer in layers],
                             ACTIVATIONS["identity"], ACTIVATIONS["identity"])
        record.n = self._n
        record.parts = [[(ACTIVATIONS[layer.activation], ...)] if layer.saturated is not None else []
                        for layer in layers]
        record.relu = [f is not None for f in fired]
        record.saturated_count = saturated_count
        record.alive = [None if f is None else f > 0 for f in fired]
        record.sum_b = [np.zeros(1) if b is None else b for b in sum_b]
        record.output_saturates = np.array(bool(record.parts[-1]))
        record.slowed_count = np.array(int(slowed_count))
        speed, sat, dead, slowed = record.row()
        weight_speed = [None if s_w is None or n_w is None or not n_w else float(s_w) / self._observed / float(n_w)
                        for s_w, n_w in zip(sum_w, w_norm)]

        def num(v):
            return None if v is None or not math.isfinite(float(v)) else float(v)

        has_cost = self._cost is not None
        return {
            "speed": [None if b is None else float(v) for b, v in zip(sum_b, speed)],
            "weight_speed": weight_speed,
            "saturated": [num(v) for v in sat],
            "dead": [num(v) for v in dead],
            "slowed": num(slowed) if has_cost and self._loss is not None else None,
            "slowdown": delta_sum / error_sum if has_cost and error_sum > 0 else None,
        }

    def _diagnose(self, layers, row):
        out = layers[-1].activation
        members = SimpleNamespace(
            K=1, hidden=ACTIVATIONS["identity"], output=ACTIVATIONS.get(out or "identity"),
            cost=self._cost if self._cost is not None else COSTS["cross-entropy"],
            hidden_names=[f"{layer.activation or 'no activation'}, module {layer.name}" for layer in layers[:-1]]
            or ["-"],
        )
        diagnosis = _Diagnosis(members)
        diagnosis.said = self._said  # each finding is named once
        w = len(self.record.windows)
        when = f"in window {w} (steps {row['steps'][0]} to {row['steps'][1]})"
        diagnosis.check(0, w, row["speed"], row["saturated"], row["dead"], row["slowed"], when=when)

    # -- closing --------------------------------------------------------------------------------------------
    def close(self, *, flush: bool = True):
        """Close the last window (unless ``flush=False``) and remove every hook; returns the record."""
        if not self.closed:
            self.closed = True
            try:
                if flush:
                    self.end_window()
            finally:
                for h in self._handles + self._step_handles:
                    h.remove()
                self._handles, self._step_handles = [], []
                self._owner.clear()
        return self.record

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(flush=exc_type is None)
        return False

    def __repr__(self):
        state = "closed" if self.closed else f"step {self._step}"
        return f"<costlab.torch.watch of {len(self._layers)} layers, every {self.every}, {state}>"


def watch(model, *, loss=None, every: int = 1, window: int | None = 50) -> Watch:
    """Record costlab's per-layer figures of ``model`` while it trains: a context manager.

    Parameters
    ----------
    model : torch.nn.Module
        Any module with Linear or Conv layers (ValueError if it has none). A
        layer's activation is the ``nn.Sigmoid``, ``nn.Tanh`` or ``nn.ReLU``
        module applied to its output; a layer whose activation is a function
        call inside ``forward`` gets no saturated or dead figure.
    loss : costlab.torch.Loss or torch.nn.MSELoss, BCEWithLogitsLoss, CrossEntropyLoss, optional
        The loss the training calls: its targets give the output layer's
        figures (the output's activation, outputs saturated at the wrong
        value, the slowdown factor) and its cost the warning of the slowdown.
    every : int
        Record one training step in ``every`` (a training step is a forward
        pass of ``model`` with gradients enabled); the others cost one hook call.
    window : int or None
        Recorded steps per row of the record; None: rows only at
        :meth:`Watch.end_window` (call it at the end of each epoch) and at the end.

    Returns
    -------
    Watch
        Its ``record`` (:class:`WatchRecord`) fills as windows close.

    Examples
    --------
    >>> with costlab.torch.watch(model, loss=loss_fn, window=None) as w:  # doctest: +SKIP
    ...     for epoch in range(3):
    ...         for x, y in batches:
    ...             opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    ...         w.end_window()
    >>> w.record  # one row per epoch  # doctest: +SKIP

    Notes
    -----
    ``speed`` is ``||(1/n) sum_x delta_x||`` over the window's n samples,
    each step's bias gradient weighted by its batch size: costlab's
    ``Network.fit(layers=True)`` figure when the loss is a mean over the
    batch. The gradients are read when the backward pass ends, before the
    optimizer's step, as the engine reads its deltas (a gradient accumulated
    over several backward passes: what each one adds).
    """
    return Watch(model, loss=loss, every=every, window=window)
