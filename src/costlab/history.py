"""The record of a training run: cost and accuracy per epoch.

Part of the numerical core: plain data, no printing, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["History"]


@dataclass
class History:
    """Per-epoch training record; entry 0 is the state before the first update.

    Accuracies are fractions in [0, 1]; evaluation entries are None when no
    evaluation data was given.
    """

    epoch: list = field(default_factory=list)
    train_cost: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    eval_cost: list = field(default_factory=list)
    eval_accuracy: list = field(default_factory=list)
    #: {"epoch": e, "reason": ...} when training diverged in epoch e, else None
    diverged: dict | None = None
    #: the training settings: eta, lmbda, mu, batch_size, n
    config: dict = field(default_factory=dict)
    #: per-layer records when trained with ``layers=True``, else None: {"speed", "saturated", "dead"},
    #: each a list over epochs of one value per layer with weights (first hidden layer to output),
    #: None where a figure does not apply (see costlab.fast.LayerRecord)
    layers: dict | None = None

    def append(self, epoch, train_cost, train_accuracy, eval_cost=None, eval_accuracy=None):
        self.epoch.append(int(epoch))
        self.train_cost.append(None if train_cost is None else float(train_cost))
        self.train_accuracy.append(None if train_accuracy is None else float(train_accuracy))
        self.eval_cost.append(None if eval_cost is None else float(eval_cost))
        self.eval_accuracy.append(None if eval_accuracy is None else float(eval_accuracy))

    def append_layers(self, speed, saturated, dead):
        """Add one epoch's per-layer figures (lists over layers; None where not applicable)."""
        if self.layers is None:
            # epochs recorded before per-layer records were asked for have none
            self.layers = {key: [None] * (len(self.epoch) - 1) for key in ("speed", "saturated", "dead")}
        for key, values in (("speed", speed), ("saturated", saturated), ("dead", dead)):
            # None (or NaN) where a figure does not apply
            self.layers[key].append([None if v is None or v != v else float(v) for v in values])

    def to_dict(self) -> dict:
        d = {
            "epoch": list(self.epoch),
            "train_cost": list(self.train_cost),
            "train_accuracy": list(self.train_accuracy),
            "eval_cost": list(self.eval_cost),
            "eval_accuracy": list(self.eval_accuracy),
        }
        if self.diverged is not None:
            d["diverged"] = dict(self.diverged)
        if self.layers is not None:
            d["layers"] = {key: [None if row is None else list(row) for row in rows] for key, rows in self.layers.items()}
        return d

    def __len__(self):
        return len(self.epoch)
