"""``costlab compare``: costs and learning rates on real data, over several seeds."""

from __future__ import annotations

import csv
import io
import json

import click

from costlab.cli._common import (
    Command,
    Count,
    InputError,
    Number,
    call_core,
    cores,
    cost_specs,
    out_dir,
    MAX_LIST_ITEMS,
    data_files,
    distinct_paths,
    stdout_console,
    write_or_fail,
)
from costlab.cli._cluster import call_on, check_scheduler, scheduler_options
from costlab.cli.train import parse_sizes

__all__ = ["compare_command"]

COSTS = ("quadratic", "cross-entropy", "log-likelihood")


def _names(text, option, allowed):
    names = list(dict.fromkeys(c.strip() for c in str(text).split(",") if c.strip()))
    unknown = [c for c in names if c not in allowed]
    if not names or unknown:
        raise InputError(f"{option} must be a comma-separated list of {', '.join(allowed)}, "
                         f"got {_cut(str(text))!r}")
    return names


def _cut(text: str) -> str:
    return text if len(text) <= 80 else text[:60] + "..."


def _etas(text):
    items = [e for e in str(text).split(",") if e.strip()]
    if len(items) > MAX_LIST_ITEMS:
        raise InputError(f"--etas names {len(items)} learning rates; at most {MAX_LIST_ITEMS}")
    try:
        etas = [float(e) for e in items]
    except ValueError:
        raise InputError(f"--etas must be comma-separated numbers like 0.1,0.5,1.0, got {_cut(str(text))!r}") from None
    if not etas or not all(0 < e <= 1000 for e in etas):
        raise InputError(f"--etas must be numbers > 0 and at most 1000, got {_cut(str(text))!r}")
    return list(dict.fromkeys(etas))


@click.command(cls=Command, short_help="Compare costs and learning rates on real data over several seeds.")
@click.option("--data", default="digits", show_default=True, metavar="SPEC",
              help="digits, fashion-mnist, mnist:DIR, fashion-mnist:DIR or a .npz file.")
@click.option("--sizes", default=None, metavar="N,N,...", help="Layer sizes [default: features,30,classes].")
@click.option("--costs", default=",".join(COSTS), show_default=True, metavar="SPECS",
              help="Costs, comma-separated outside parentheses: names, names with parameters "
                   "(cross-entropy(pos_weight=9), focal(gamma=2)) or formulas in a and y.")
@click.option("--etas", default="0.5", show_default=True, help="Learning rates, comma-separated.")
@click.option("--seeds", type=Count(1, 1000), default=5, show_default=True, help="Seeds 0..N-1: initial weights and batch order.")
@click.option("--epochs", type=Count(1, 10_000), default=30, show_default=True)
@click.option("--batch-size", type=Count(1, 1_000_000), default=10, show_default=True)
@click.option("--init", "inits", default="default,large", show_default=True,
              help="Initializers, comma-separated: default (w ~ N(0, 1/n_in)), large (w ~ N(0, 1)).")
@click.option("--lmbda", type=Number(ge=0, le=1e6), default=0.0, show_default=True, help="L2 regularization.")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True)
@click.option("--limit", type=Count(1, 100_000_000), default=None, help="Train on the first N training samples.")
@click.option("--positive", type=Count(0, 9999), default=None, metavar="CLASS",
              help="Train class CLASS against all the others, with one sigmoid output (on the digits: "
                   "a rare class of about 10%); the table shows each class's precision and recall.")
@click.option("--target-accuracy", type=Number(gt=0, le=1), default=0.9, show_default=True,
              help="Report the first epoch at this test accuracy.")
@click.option("--workers", type=Count(1, cores()), default=None, help="Processes, at most the cores [default: the cores].")
@click.option("--out", default=None, metavar="DIR",
              help="Write figures (PNG, SVG), runs.csv and compare.json into DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with config, summary and every run.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@scheduler_options
def compare_command(data, sizes, costs, etas, seeds, epochs, batch_size, inits, lmbda, dtype, limit, positive,
                    target_accuracy, workers, out, as_json, quiet, scheduler, scheduler_timeout):
    """Train every (cost, eta, seed) from the same initial weights and batch order per seed.

    \b
    Example (the blog post's slowdown on real data):
      costlab compare --data digits --costs quadratic,cross-entropy --seeds 5 --epochs 30
    """
    costs = cost_specs(costs, "--costs")
    from costlab.network import INITIALIZERS

    inits = _names(inits, "--init", list(INITIALIZERS))
    etas = _etas(etas)
    layer_sizes = parse_sizes(sizes) if sizes else None
    scheduler = check_scheduler(scheduler)
    if out is not None:
        names = (*(f"compare-{m}{s}" for m in ("accuracy", "cost") for s in (".png", ".svg")), "runs.csv",
                 "compare.json")
        out = out_dir(out, files=names)
        distinct_paths({"--data": data_files(data)}, {"--out": [out / name for name in names]})

    from rich.console import Console

    from costlab.compare import compare
    from costlab.data import DataError
    from costlab.parallel import default_workers

    err = Console(stderr=True)
    n_tasks = len(inits) * seeds
    workers = workers or min(n_tasks, default_workers())
    progress = None
    if not quiet and err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err, transient=True)
        where = f"on {scheduler}" if scheduler else f"({workers} workers)"
        task = progress.add_task(f"seeds x inits {where}", total=n_tasks)
        progress.start()
    try:
        result = call_on(
            scheduler, compare, data, sizes=layer_sizes, costs=costs, etas=etas, seeds=seeds, epochs=epochs,
            batch_size=batch_size, inits=inits, lmbda=lmbda, dtype=dtype, limit=limit,
            target_accuracy=target_accuracy, workers=workers, positive=positive,
            on_done=None if progress is None else (lambda runs: progress.advance(task)),
            scheduler=scheduler, scheduler_timeout=scheduler_timeout,
        )
    except DataError as e:
        raise InputError(str(e)) from None
    finally:
        if progress is not None:
            progress.stop()

    summary = result.summary
    if out is not None:
        from costlab.fileio import atomic_write, write_json
        from costlab.plots import comparison_figure, save_figure

        for measure, stem in (("eval_accuracy", "compare-accuracy"), ("eval_cost", "compare-cost")):
            fig = comparison_figure(summary, result.config, measure)
            for suffix in (".png", ".svg"):
                write_or_fail(out / f"{stem}{suffix}", lambda p: save_figure(fig, p, {"figure": stem, **result.config}))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(result.csv_rows())
        write_or_fail(out / "runs.csv", lambda p: atomic_write(p, buf.getvalue()))
        write_or_fail(out / "compare.json", lambda p: write_json(p, result.to_dict()))
    if as_json:
        click.echo(json.dumps(result.to_dict(), allow_nan=False))
        return
    _print_table(summary, result.config)
    if out is not None:
        stdout_console().print(f"wrote compare-accuracy and compare-cost (.png, .svg), runs.csv and compare.json into {out}")


def _print_table(summary, config):
    from rich.table import Table

    E = config["epochs"]
    early = [e for e in (1, 3) if e <= E]
    what = "Test subset accuracy (%, every label of a sample right)" if config.get("multilabel") else "Test accuracy (%)"
    table = Table(title=f"{what} on {config['data']} ({config['n_test']} images), "
                        f"mean±std over {len(config['seeds'])} seeds", title_justify="left")
    for col in ("init", "cost", "eta", *(f"ep. {e}" for e in early), f"ep. {E}", "best",
                f"epochs to {config['target_accuracy']:.0%}"):
        table.add_column(col, justify="right", no_wrap=col in ("cost",))
    for r in summary:
        cells = [r["init"], r["cost"], f"{r['eta']:g}"]
        for e in (*early, E):
            # runs that all diverged before epoch e have no value there
            m = r["eval_accuracy_mean"][e] if e < len(r["eval_accuracy_mean"]) else None
            s = r["eval_accuracy_std"][e] if m is not None else None
            cells.append("-" if m is None else f"{100 * m:.1f}±{100 * s:.1f}")
        cells.append(f"{100 * r['best_accuracy']:.1f}")
        if r["reached_target"]:
            cells.append(f"{r['epochs_to_target_mean']:.1f} ({r['reached_target']}/{r['runs']})")
        else:
            cells.append("never")
        if r["diverged"]:
            cells[-1] += f", {r['diverged']} diverged"
        table.add_row(*cells)
    stdout_console().print(table)
    if summary and "classes" in summary[0]:
        _print_classes(summary, config)


def _print_classes(summary, config):
    """Balanced accuracy, and each class's precision and recall on the test set after the last epoch."""
    from rich.table import Table

    classes = [c["class"] for c in summary[0]["classes"]]
    if len(classes) > 4:   # ten classes of ten columns each would not fit: the balanced accuracy only
        classes = []
    per = "per label (balanced acc.: the mean over the labels)" if config.get("multilabel") else "per class"
    table = Table(title=f"{config.get('task') or config['data']}: {per} on the test set after epoch "
                        f"{config['epochs']}, mean over {len(config['seeds'])} seeds", title_justify="left")
    for col in ("init", "cost", "eta", "balanced acc.", *(f"{k} {m}" for k in classes for m in ("precision", "recall"))):
        table.add_column(col, justify="right", no_wrap=col == "cost")
    for r in summary:
        cells = [r["init"], r["cost"], f"{r['eta']:g}", f"{100 * r['balanced_accuracy_mean']:.1f}"]
        for c in r["classes"][:len(classes)]:
            cells += [f"{100 * c['precision_mean']:.1f}", f"{100 * c['recall_mean']:.1f}"]
        table.add_row(*cells)
    stdout_console().print(table)
