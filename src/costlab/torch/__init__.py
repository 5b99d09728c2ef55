"""costlab for PyTorch models: its costs as a loss, and its diagnosis of the learning slowdown.

Install with ``pip install "costlab[torch]"``.

* :class:`Loss` (``costlab.torch.Loss("cross-entropy")``): any cost spec costlab
  accepts, as a ``torch.nn.Module`` of the logits z, with costlab's
  ``delta = dC/dz`` as its gradient;
* :func:`watch` (``with costlab.torch.watch(model, loss=loss_fn) as w: ...``): the
  per-layer record of costlab's engine (speed of learning, saturated and dead
  units, the output's slowdown) read from any ``torch.nn.Module`` through
  module hooks, with the same :class:`costlab.LayerWarning` messages.

This package imports torch; costlab's numerical core never imports it.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised in a subprocess without torch
    raise ImportError('costlab.torch needs PyTorch; install it with: pip install "costlab[torch]"') from e

from costlab.torch.loss import REDUCTIONS, Loss, TorchCost, torch_cost
from costlab.torch._watch import Watch, WatchRecord, watch

__all__ = ["Loss", "REDUCTIONS", "TorchCost", "Watch", "WatchRecord", "torch_cost", "watch"]
