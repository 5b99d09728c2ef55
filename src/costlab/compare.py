"""Comparing costs on real data, fairly: same initial weights and batch order per seed.

For every initializer and seed, one :class:`~costlab.group.NetworkGroup` holds
a network for each (cost, eta): all of them start from the same weights (drawn
from the seed) and see the same mini-batches in the same order (shuffled by
generators with that seed), so any difference between them is the cost's and
the learning rate's. Several seeds give the spread, not one lucky run. The
(initializer, seed) groups are independent and can run in parallel processes
with exactly the results of a serial run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Comparison", "compare", "summarize"]

HISTORY_KEYS = ("epoch", "train_cost", "train_accuracy", "eval_cost", "eval_accuracy")


def _dataset(data, limit, positive=None):
    """The data set of a comparison: ``data`` a spec (loaded here; class ``positive`` against the rest
    when given), or a :class:`~costlab.data.Dataset` already made (sent once to a cluster's workers)."""
    from costlab.data import Dataset, load_data

    if isinstance(data, Dataset):
        return data.limit(limit)
    dataset = load_data(data)
    if positive is not None:
        dataset = dataset.one_vs_rest(positive)
    return dataset.limit(limit)


def _train_seed(data, limit, sizes, costs, etas, init, seed, epochs, batch_size, lmbda, dtype, positive=None):
    """Train every (cost, eta) from one seed's weights and batch order, as one group.

    ``data`` and ``limit`` are as :func:`_dataset` takes them.
    """
    from costlab.group import NetworkGroup
    from costlab.metrics import class_metrics, label_metrics, subset_accuracy
    from costlab.network import Network

    dataset = _dataset(data, limit, positive)
    pairs = [(cost, eta) for cost in costs for eta in etas]
    networks = [Network(sizes, cost=cost, init=init, seed=seed, dtype=dtype) for cost, _ in pairs]

    def multilabel_accuracy(group, epoch, histories):
        # an indicator matrix is right when every label of a sample is: the subset accuracy on the test set
        for net, h in zip(networks, histories):
            if h.epoch and h.epoch[-1] == epoch:
                h.eval_accuracy[-1] = subset_accuracy(dataset.y_test, net.feedforward(dataset.X_test))
                h.train_accuracy[-1] = None

    histories = NetworkGroup(networks).fit(
        dataset.X_train, dataset.y_train, epochs=epochs, batch_size=batch_size,
        eta=[eta for _, eta in pairs], lmbda=lmbda, eval_data=(dataset.X_test, dataset.y_test),
        on_epoch=multilabel_accuracy if dataset.multilabel else None, sample_weight=dataset.w_train,
    )

    def test_classes(net):
        if dataset.multilabel:
            return label_metrics(dataset.y_test, (net.feedforward(dataset.X_test) > 0.5).astype(np.int64),
                                 dataset.class_names)
        return class_metrics(dataset.y_test, net.predict(dataset.X_test), dataset.n_classes, dataset.class_names)

    return [
        {"init": init, "seed": seed, "cost": cost, "eta": eta, "history": h.to_dict(), "test_classes": test_classes(net)}
        for (cost, eta), h, net in zip(pairs, histories, networks)
    ]


def _mean_std(rows):
    """Mean and standard deviation over runs, epoch by epoch (NaN where no run has a value)."""
    length = max(len(r) for r in rows)
    arr = np.full((len(rows), length), np.nan)
    for i, r in enumerate(rows):
        arr[i, :len(r)] = [np.nan if v is None else v for v in r]
    valid = ~np.isnan(arr)
    count = valid.sum(axis=0)
    mean = np.divide(np.where(valid, arr, 0.0).sum(axis=0), count, out=np.full(length, np.nan), where=count > 0)
    squares = np.where(valid, arr - mean, 0.0) ** 2
    std = np.sqrt(np.divide(squares.sum(axis=0), count, out=np.full(length, np.nan), where=count > 0))
    return mean, std


def summarize(runs, target_accuracy: float) -> list[dict]:
    """Per (init, cost, eta): test accuracy and cost per epoch (mean, std), epochs to the target, best."""
    groups: dict = {}
    for run in runs:
        groups.setdefault((run["init"], run["cost"], run["eta"]), []).append(run)
    out = []
    for (init, cost, eta), rs in groups.items():
        acc_mean, acc_std = _mean_std([r["history"]["eval_accuracy"] for r in rs])
        cost_mean, cost_std = _mean_std([r["history"]["eval_cost"] for r in rs])
        to_target = []
        for r in rs:
            hits = [e for e, a in zip(r["history"]["epoch"], r["history"]["eval_accuracy"]) if a is not None and a >= target_accuracy]
            to_target.append(hits[0] if hits else None)
        reached = [e for e in to_target if e is not None]
        finals = [r["history"]["eval_accuracy"][-1] for r in rs]
        out.append({
            "init": init, "cost": cost, "eta": eta, "runs": len(rs),
            "diverged": sum("diverged" in r["history"] for r in rs),
            "eval_accuracy_mean": _plain(acc_mean), "eval_accuracy_std": _plain(acc_std),
            "eval_cost_mean": _plain(cost_mean), "eval_cost_std": _plain(cost_std),
            "final_accuracy_mean": float(np.mean(finals)), "final_accuracy_std": float(np.std(finals)),
            "best_accuracy": float(max(max(a for a in r["history"]["eval_accuracy"] if a is not None) for r in rs)),
            "epochs_to_target": to_target,
            "epochs_to_target_mean": float(np.mean(reached)) if reached else None,
            "reached_target": len(reached),
            **_class_summary(rs),
        })
    return out


def _class_summary(runs) -> dict:
    """Mean over runs of the final test balanced accuracy and of each class's precision and recall."""
    if not all("test_classes" in r for r in runs):
        return {}
    first = runs[0]["test_classes"]["classes"]
    return {
        "balanced_accuracy_mean": float(np.mean([r["test_classes"]["balanced_accuracy"] for r in runs])),
        "classes": [
            {"class": c["class"], "support": c["support"],
             "precision_mean": float(np.mean([r["test_classes"]["classes"][k]["precision"] for r in runs])),
             "recall_mean": float(np.mean([r["test_classes"]["classes"][k]["recall"] for r in runs]))}
            for k, c in enumerate(first)
        ],
    }


def _plain(values):
    return [None if not math.isfinite(v) else float(v) for v in values]


@dataclass
class Comparison:
    """Every run of a comparison, and their summary."""

    config: dict
    runs: list = field(default_factory=list)

    @property
    def summary(self) -> list[dict]:
        return summarize(self.runs, self.config["target_accuracy"])

    def to_dict(self) -> dict:
        return {"config": self.config, "summary": self.summary, "runs": self.runs}

    def csv_rows(self):
        """One row per run and epoch: init, cost, eta, seed, epoch and the four measures."""
        yield ("init", "cost", "eta", "seed", *HISTORY_KEYS, "diverged_in_epoch")
        for r in self.runs:
            h = r["history"]
            diverged = h.get("diverged", {}).get("epoch", "")
            for i in range(len(h["epoch"])):
                yield (r["init"], r["cost"], r["eta"], r["seed"], *(h[k][i] for k in HISTORY_KEYS), diverged)

    def _repr_html_(self) -> str:
        """The summary as an HTML table: final and best test accuracy, epochs to the target, per (init, cost, eta)."""
        from costlab.history import fmt, html_table, pct

        c = self.config
        target = c.get("target_accuracy")
        rows = [[r["init"], r["cost"], fmt(r["eta"]), r["runs"],
                 f"{pct(r['final_accuracy_mean'])} ± {pct(r['final_accuracy_std'])}", pct(r["best_accuracy"]),
                 fmt(r["epochs_to_target_mean"], ".1f"), f"{r['reached_target']}/{r['runs']}", r["diverged"]]
                for r in self.summary]
        caption = (f"Comparison on {c.get('data')}: sizes {c.get('sizes')}, {c.get('epochs')} epochs, "
                   f"batch {c.get('batch_size')}, {len(c.get('seeds', []))} seeds")
        return html_table(["init", "cost", "eta", "runs", "final test accuracy", "best", "epochs to target",
                           f"reached {pct(target)}" if target is not None else "reached", "diverged"], rows, caption)

    def plot(self, ax=None, *, init: str | None = None, measure: str = "eval_accuracy"):
        """Test accuracy (or ``measure="eval_cost"``) per epoch, mean and spread over seeds, for one ``init``; returns the axes."""
        from costlab.display import plot_comparison

        return plot_comparison(self, ax, init=init, measure=measure)


def compare(
    data: str = "digits",
    *,
    sizes=None,
    costs=("quadratic", "cross-entropy", "log-likelihood"),
    etas=(0.5,),
    seeds=5,
    epochs: int = 30,
    batch_size: int = 10,
    inits=("large",),
    lmbda: float = 0.0,
    dtype: str = "float64",
    limit: int | None = None,
    target_accuracy: float = 0.9,
    workers: int = 1,
    on_done=None,
    scheduler=None,
    scheduler_timeout: float = 10.0,
    positive: int | None = None,
) -> Comparison:
    """Train every (init, cost, eta, seed) and collect their histories.

    Parameters
    ----------
    data : data set spec for :func:`costlab.data.load_data`
    sizes : layer sizes [default: features, 30, classes]
    costs, etas : the costs and learning rates to compare
    seeds : number of seeds (0..seeds-1), or a list of seeds
    inits : initializers, "default" and/or "large"
    target_accuracy : the test accuracy whose first epoch is reported
    workers : processes over the (init, seed) groups; the results are identical
    on_done : called with each (init, seed) group's runs as it finishes
    scheduler : run the (init, seed) groups as tasks on this Dask scheduler
        ("tcp://host:port", or a ``distributed.Client``) instead of ``workers``
        local processes; the data is sent to the workers once, and the results
        are identical
    scheduler_timeout : seconds to wait for the scheduler and its first worker
    positive : a class to train against all the others (one sigmoid output; the digits'
        ``positive=0`` is a rare class of about 10%); each run also reports the test set's
        per-class precision and recall and its balanced accuracy

    Returns
    -------
    Comparison
    """
    from costlab.parallel import run_all

    if isinstance(scheduler, str):
        # connect first: an unreachable scheduler fails before the data is loaded
        from costlab.cluster import connected

        with connected(scheduler, scheduler_timeout) as client:
            return compare(
                data, sizes=sizes, costs=costs, etas=etas, seeds=seeds, epochs=epochs, batch_size=batch_size,
                inits=inits, lmbda=lmbda, dtype=dtype, limit=limit, target_accuracy=target_accuracy,
                workers=workers, on_done=on_done, scheduler=client, scheduler_timeout=scheduler_timeout,
                positive=positive,
            )
    seeds = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if not seeds or not costs or not etas or not inits:
        raise ValueError("give at least one seed, cost, eta and init")
    if not 0.0 < target_accuracy <= 1.0:
        raise ValueError(f"target_accuracy must lie in (0, 1], got {target_accuracy}")
    dataset = _dataset(data, limit, positive)
    sizes = list(sizes) if sizes else [dataset.n_features, 30, dataset.n_outputs]
    if sizes[0] != dataset.n_features or sizes[-1] != dataset.n_outputs:
        raise ValueError(
            f"sizes must start with {dataset.n_features} and end with {dataset.n_outputs} for {dataset.name}, got {sizes}"
        )
    from costlab.memory import MAX_PARAMETERS, check_run_memory, parameter_count, run_estimate

    if parameter_count(sizes) > MAX_PARAMETERS:
        raise ValueError(f"sizes {','.join(map(str, sizes))} make a network of {parameter_count(sizes):,} weights "
                         f"and biases; the most costlab trains is {MAX_PARAMETERS:,}")
    data_bytes = sum(a.nbytes for a in (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test))
    check_run_memory(run_estimate(
        sizes=sizes, n_train=len(dataset.X_train), n_test=len(dataset.X_test), data_bytes=data_bytes,
        networks=len(costs) * len(etas), processes=1 if scheduler is not None else max(1, min(workers, len(seeds) * len(inits))),
        itemsize=np.dtype(dtype).itemsize if dtype in ("float32", "float64") else 8, batch_size=batch_size,
        momentum=False), f"comparing {' x '.join(map(str, sizes))} on {dataset.name}")
    # build one network per cost now, so that bad settings fail before any work
    from costlab.network import Network

    for cost in costs:
        net = Network(sizes, cost=cost, init=inits[0], dtype=dtype)
        if dataset.multilabel and net.output_activation == "softmax":
            raise ValueError(f"cost {cost}: {dataset.name} is multi-label (y of shape (n, {dataset.n_classes})), but "
                             "a softmax output makes the labels share one unit of probability, one class per sample; "
                             "use a cost with one sigmoid per label, such as cross-entropy")
    config = {
        "data": data, "limit": limit, "sizes": sizes, "costs": list(costs), "etas": [float(e) for e in etas],
        "seeds": seeds, "epochs": epochs, "batch_size": batch_size, "inits": list(inits), "lmbda": lmbda,
        "dtype": dtype, "target_accuracy": target_accuracy, "n_train": len(dataset.X_train),
        "n_test": len(dataset.X_test), "positive": positive, "task": dataset.name,
        "multilabel": dataset.multilabel,
    }
    tasks = [
        (sizes, list(costs), [float(e) for e in etas], init, seed, epochs, batch_size, lmbda, dtype, positive)
        for init in inits for seed in seeds
    ]
    # local workers load the data themselves; a cluster's workers get it sent once
    shared = (data, limit) if scheduler is None else (dataset, None)
    results = run_all(_train_seed, tasks, workers, on_done=on_done, shared=shared, scheduler=scheduler,
                      scheduler_timeout=scheduler_timeout)
    return Comparison(config, [run for runs in results for run in runs])
