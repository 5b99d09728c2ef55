"""The record of a training run: cost and accuracy per epoch.

Part of the numerical core: plain data, no printing, no files. Its HTML
table (for notebooks) is made with the standard library; its plot is drawn by
:mod:`costlab.display`, imported only when ``plot`` is called.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

__all__ = ["History", "html_table"]

#: Longest table shown in full; longer ones show their first and last rows.
MAX_ROWS = 12


def html_table(headers, rows, caption: str = "") -> str:
    """An HTML table of ``rows`` (lists of cells, shown with ``str``), text escaped.

    Longer than MAX_ROWS rows: the first and last few, with a row of dots
    between. Notebooks show results with it (``_repr_html_``).
    """
    rows = [list(r) for r in rows]
    if len(rows) > MAX_ROWS:
        half = MAX_ROWS // 2
        rows = rows[:half] + [["…"] * len(headers)] + rows[-half:]
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="costlab">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def fmt(v, spec: str = ".4g") -> str:
    """A number for a table: ``spec`` for floats, '–' for None and non-finite values."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def pct(v) -> str:
    """A fraction as a percentage with one decimal, '–' for None."""
    return "–" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%"


_COLUMNS = (("train_cost", "training cost C", fmt), ("train_accuracy", "training accuracy", pct),
            ("eval_cost", "test cost C", fmt), ("eval_accuracy", "test accuracy", pct))


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

    # -- notebooks --------------------------------------------------------------
    def _repr_html_(self) -> str:
        """Cost and accuracy per epoch as an HTML table, the training settings as its caption."""
        columns = [(key, name, f) for key, name, f in _COLUMNS if any(v is not None for v in getattr(self, key))]
        rows = [[e] + [f(getattr(self, key)[i]) for key, _, f in columns] for i, e in enumerate(self.epoch)]
        settings = ", ".join(f"{k} = {fmt(v)}" for k, v in self.config.items())
        caption = f"History: {max(len(self) - 1, 0)} epochs" + (f" ({settings})" if settings else "")
        if self.diverged is not None:
            caption += f"; diverged in epoch {self.diverged['epoch']}: {self.diverged.get('reason', '')}"
        return html_table(["epoch"] + [name for _, name, _ in columns], rows, caption)

    def plot(self, ax=None, *, measure: str = "cost"):
        """Training and test ``measure`` ("cost" or "accuracy") against epoch; returns the matplotlib axes.

        Drawn by :func:`costlab.display.plot_history` (imported here, on first
        use, so that the core does not load matplotlib).
        """
        from costlab.display import plot_history

        return plot_history(self, ax, measure=measure)
