"""``costlab map``: the learning slowdown of the blog post's neuron over all starts (w, b)."""

from __future__ import annotations

import json
import time

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
    distinct_paths,
    stdout_console,
    write_or_fail,
)
from costlab.cli._cluster import call_on, check_scheduler, scheduler_options

__all__ = ["map_command"]

SIGMOID_COSTS = ("quadratic", "cross-entropy")


def _costs(text: str) -> list[str]:
    """Cost specs for the sigmoid neuron, split on the commas outside parentheses."""
    return cost_specs(text, "--costs", activation="sigmoid")


def _grid(text: str, option: str):
    from costlab.slowdown import parse_range

    try:
        return parse_range(text, option)
    except ValueError as e:
        raise InputError(str(e)) from None


@click.command(cls=Command, short_help="Map the slowdown of the blog post's neuron over all starts (w, b).")
@click.option("--costs", default="quadratic,cross-entropy", show_default=True, metavar="SPECS",
              help="Costs to map, comma-separated: names, names with parameters (focal(gamma=2)) or formulas in a and y.")
@click.option("--w", "w_range", default="-6:6:401", show_default=True, metavar="LO:HI:N", help="Initial weights.")
@click.option("--b", "b_range", default="-6:6:401", show_default=True, metavar="LO:HI:N", help="Initial biases.")
@click.option("--x", type=Number(ge=-1e6, le=1e6), default=1.0, show_default=True, help="The input x.")
@click.option("--y", type=Number(ge=-1e6, le=1e6), default=0.0, show_default=True, help="The target output y.")
@click.option("--eta", type=Number(gt=0, le=1000), default=0.15, show_default=True, help="Learning rate eta.")
@click.option("--epochs", type=Count(0, 100_000), default=300, show_default=True)
@click.option("--target", type=Number(ge=0, le=1), default=0.1, show_default=True,
              help="The output has arrived when |a - y| <= |target - y|.")
@click.option("--workers", type=Count(1, cores()), default=1, show_default=True,
              help="Processes to spread the costs over, at most the cores (a map takes well under a second per cost).")
@click.option("--out", default=None, metavar="DIR", help="Write slowdown-map.png, .svg and .json into DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (with the whole grid).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@scheduler_options
def map_command(costs, w_range, b_range, x, y, eta, epochs, target, workers, out, as_json, quiet, scheduler,
                scheduler_timeout):
    """For every start (w, b), the first epoch at which the neuron's output reaches the target.

    \b
    Example (the blog post's neuron over 401 x 401 starts, both costs):
      costlab map --out map/
    """
    costs = _costs(costs)
    w, b = _grid(w_range, "--w"), _grid(b_range, "--b")
    if "cross-entropy" in costs and not 0.0 <= y <= 1.0:
        raise InputError(f"--y must lie in [0, 1] for the cross-entropy cost, got {y:g}")
    scheduler = check_scheduler(scheduler)
    if out is not None:
        names = ("slowdown-map.png", "slowdown-map.svg", "slowdown-map.json")
        out = out_dir(out, files=names)
        distinct_paths({}, {"--out": [out / name for name in names]})

    from rich.console import Console

    from costlab.slowdown import slowdown_map

    err = Console(stderr=True)
    progress = None
    if not quiet and err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err, transient=True)
        where = f"on {scheduler}" if scheduler else f"({workers} workers)"
        task = progress.add_task(f"starts {where}", total=len(costs) * len(w) * len(b))
        progress.start()
    t = time.perf_counter()
    try:
        smap = call_on(scheduler, slowdown_map, costs, w, b, x=x, y=y, eta=eta, epochs=epochs, target=target,
                       workers=workers, scheduler=scheduler, scheduler_timeout=scheduler_timeout,
                       on_done=None if progress is None else (lambda grid: progress.advance(task, grid.size)))
    finally:
        if progress is not None:
            progress.stop()
    seconds = time.perf_counter() - t

    if out is not None:
        from costlab.fileio import write_json
        from costlab.plots import save_figure, slowdown_figure

        fig = slowdown_figure(smap)
        for suffix in (".png", ".svg"):
            write_or_fail(out / f"slowdown-map{suffix}", lambda p: save_figure(
                fig, p, {"figure": "slowdown-map", "w": [float(smap.w[0]), float(smap.w[-1]), len(smap.w)],
                         "b": [float(smap.b[0]), float(smap.b[-1]), len(smap.b)], "x": smap.x, "y": smap.y,
                         "eta": smap.eta, "epochs": smap.epochs, "target": smap.target}))
        write_or_fail(out / "slowdown-map.json", lambda p: write_json(p, smap.to_dict()))
    if as_json:
        click.echo(json.dumps(smap.to_dict(), allow_nan=False))
        return
    from rich.table import Table

    table = Table(title=f"{len(b)} x {len(w)} starts, target |a - y| <= {abs(target - y):g}, "
                        f"eta = {eta:g}, {epochs} epochs", title_justify="left")
    for col in ("cost", "starts reaching it", "slowest start (w, b)", "its a0", "its epochs"):
        table.add_column(col, justify="right")
    for row in smap.summary():
        worst = row["worst_start"]
        table.add_row(row["cost"], f"{row['share_reached']:.1%}", f"({worst['w']:g}, {worst['b']:g})",
                      f"{worst['a0']:.6f}", "never" if worst["first_epoch"] is None else str(worst["first_epoch"]))
    console = stdout_console()
    console.print(table)
    console.print(f"computed in {seconds:.2f} s " + (f"on {scheduler}" if scheduler else f"with {workers} worker(s)"))
    if out is not None:
        console.print(f"wrote {out / 'slowdown-map.png'}, .svg and .json")
