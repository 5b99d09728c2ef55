"""``costlab neuron``: train the single sigmoid neuron once and report its trajectory."""

from __future__ import annotations

import json

import click

from costlab.cli._common import (
    COST_SPEC_HELP,
    cost_spec,
    Command,
    Count,
    InputError,
    Number,
    call_core,
    checkpoints,
    figure_path,
    write_or_fail,
)

__all__ = ["NEURON_COSTS", "neuron", "summary_lines"]

#: The costs of costlab.costs.COSTS that a sigmoid output neuron can be trained with.
#: Spelled out rather than read from the registry so that this module, and so
#: `costlab --help`, does not import NumPy; a test checks that the two agree.
NEURON_COSTS = ("quadratic", "cross-entropy")


def summary_lines(run) -> list[str]:
    """A short human summary of a :class:`costlab.neuron.NeuronRun`."""
    from costlab.neuron import first_epoch_below

    h = run.history
    last = run.epochs
    below = first_epoch_below(run, 0.5)
    outputs = "   ".join(f"epoch {e}: {h['a'][e]:.4f}" for e in checkpoints(last))
    return [
        f"Sigmoid neuron, {run.cost} cost: x = {run.x:g}, y = {run.y:g}, "
        f"eta = {run.eta:g}, {run.epochs} epochs",
        f"start      w = {run.w0:g}, b = {run.b0:g}, output a = {h['a'][0]:.4f}",
        f"output a   {outputs}",
        "cost C     " + "   ".join(f"epoch {e}: {h['C'][e]:.4g}" for e in sorted({0, last})),
        f"first epoch with a < 0.5: {'never' if below is None else below}",
    ]


@click.command(cls=Command, short_help="Train one sigmoid neuron and report how fast it learns.")
@click.option("--w", "w", type=Number(ge=-1e6, le=1e6), required=True, help="Initial weight w.")
@click.option("--b", "b", type=Number(ge=-1e6, le=1e6), required=True, help="Initial bias b.")
@click.option("--x", "x", type=Number(ge=-1e6, le=1e6), default=1.0, show_default=True, help="The input x.")
@click.option("--y", "y", type=Number(ge=-1e6, le=1e6), default=0.0, show_default=True,
              help="The target output y (in [0, 1] for cross-entropy).")
@click.option("--eta", type=Number(gt=0, le=1000), default=0.15, show_default=True, help="Learning rate eta.")
@click.option("--epochs", type=Count(0, 100_000), default=300, show_default=True,
              help="Gradient-descent steps.")
@click.option("--cost", default="quadratic", show_default=True, metavar="SPEC",
              help="The cost function C (for a sigmoid output). " + COST_SPEC_HELP)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object instead of a summary (a cost that is not finite is null).")
@click.option("--plot", "plot", metavar="FILE", default=None,
              help="Write output a and cost C against epoch to FILE (.png or .svg).")
def neuron(w, b, x, y, eta, epochs, cost, as_json, plot):
    """Train one sigmoid neuron towards y and report how fast it learns.

    The neuron a = sigma(w x + b) starts from weight w and bias b and is trained
    by gradient descent on the one sample (x, y), one step per epoch.

    \b
    Example (the blog post's slow start):
      costlab neuron --w 2 --b 2 --cost quadratic
    """
    cost = cost_spec(cost, activation="sigmoid")
    if cost != "quadratic" and cost.partition("(")[0] in NEURON_COSTS + ("focal",) and not 0.0 <= y <= 1.0:
        raise InputError(f"--y must lie in [0, 1] for the {cost} cost, got {y:g}")
    if plot is not None:
        plot = figure_path(plot)

    from costlab.neuron import train_neuron

    run = call_core(train_neuron, w, b, cost=cost, x=x, y=y, eta=eta, epochs=epochs)

    if plot is not None:
        from costlab.plots import neuron_figure, save_figure

        write_or_fail(plot, lambda p: save_figure(neuron_figure(run.to_dict()), p))
    if as_json:
        from costlab.checks import finite_json

        # an infinite cost (a formula at an output rounded to 0 or 1) is written as null
        click.echo(json.dumps(finite_json(run.to_dict()), allow_nan=False))
    else:
        for line in summary_lines(run):
            click.echo(line)
        if plot is not None:
            click.echo(f"figure: {plot}")
