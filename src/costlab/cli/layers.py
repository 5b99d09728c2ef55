"""``costlab layers``: each layer's speed of learning, saturated and dead units, per cost and activation."""

from __future__ import annotations

import json

import click

from costlab.cli._common import (
    Command, Count, InputError, Number, Registered, call_core, check_memory, check_network_size, data_files, distinct_paths, out_dir,
    stdout_console, write_or_fail,
)
from costlab.cli.compare import _names
from costlab.cli.train import parse_sizes

__all__ = ["layers_command"]


@click.command(cls=Command, short_help="Each layer's speed of learning, saturated and dead units.")
@click.option("--data", default="digits", show_default=True, metavar="SPEC",
              help="digits, fashion-mnist, mnist:DIR, fashion-mnist:DIR or a .npz file.")
@click.option("--sizes", default=None, metavar="N,N,...",
              help="Layer sizes [default: features,30,30,30,classes].")
@click.option("--costs", default="quadratic,cross-entropy", show_default=True, help="Costs, comma-separated.")
@click.option("--activations", default="sigmoid,relu", show_default=True,
              help="Hidden activations, comma-separated.")
@click.option("--epochs", type=Count(0, 10_000), default=30, show_default=True)
@click.option("--eta", type=Number(gt=0, le=1000), default=0.1, show_default=True, help="Learning rate eta.")
@click.option("--batch-size", type=Count(1, 1_000_000), default=10, show_default=True, help="Mini-batch size m.")
@click.option("--init", type=Registered("init"), default="default", show_default=True,
              help="default: w ~ N(0, 1/n_in); large: w ~ N(0, 1).")
@click.option("--seeds", type=Count(1, 1000), default=1, show_default=True,
              help="Seeds 0..N-1 (initial weights and batch order); figures are means over them.")
@click.option("--limit", type=Count(1, 100_000_000), default=None, help="Train on the first N training samples.")
@click.option("--out", default=None, metavar="DIR", help="Write layers.png, layers.svg and layers.json into DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with config and runs.")
def layers_command(data, sizes, costs, activations, epochs, eta, batch_size, init, seeds, limit, out, as_json):
    """Train every (cost, activation) from the same start and batch order; per layer and epoch,
    the speed of learning ||nabla_b^l||, the saturated and the dead fraction.

    \b
    ||nabla_b^l|| is the length of layer l's mean bias gradient over the epoch's
    samples, each mini-batch's taken before its step (epoch 0: the exact gradient
    at the initial weights). A sigmoid/tanh neuron is saturated when sigma'(z) < 1%
    of its maximum on most samples; a ReLU unit is dead when positive on no sample.

    \b
    Example (Nielsen's chapter 5: the first hidden layer learns slowest):
      costlab layers --data digits --sizes 64,30,30,30,10 --epochs 30 --out layers/
    """
    from costlab.activations import ACTIVATIONS
    from costlab.costs import COSTS

    cost_names = _names(costs, "--costs", list(COSTS))
    activation_names = _names(activations, "--activations", [a.name for a in ACTIVATIONS.values() if a.elementwise])
    if out is not None:
        names = ("layers.png", "layers.svg", "layers.json")
        out = out_dir(out, files=names)
        distinct_paths({"--data": data_files(data)}, {"--out": [out / name for name in names]})

    from costlab.data import DataError, load_data
    from costlab.layers import layer_speeds

    try:
        dataset = load_data(data).limit(limit)
    except DataError as e:
        raise InputError(str(e)) from None
    layer_sizes = parse_sizes(sizes) if sizes else [dataset.n_features, 30, 30, 30, dataset.n_classes]
    check_network_size(layer_sizes, "--sizes" if sizes else "the default sizes")
    if layer_sizes[0] != dataset.n_features or layer_sizes[-1] != dataset.n_classes:
        raise InputError(f"--sizes must start with {dataset.n_features} and end with {dataset.n_classes} "
                         f"(the features and classes of {dataset.name}), got {sizes}")
    check_memory(dataset, layer_sizes, networks=len(cost_names) * seeds, batch_size=batch_size, momentum=False)
    result = call_core(
        layer_speeds, dataset.X_train, dataset.y_train, sizes=layer_sizes, costs=cost_names,
        activations=activation_names, epochs=epochs, init=init, seeds=seeds, eta=eta, batch_size=batch_size,
        eval_data=(dataset.X_test, dataset.y_test),
    )
    result.config["data"] = data
    d = result.to_dict()
    if out is not None:
        from costlab.fileio import write_json
        from costlab.plots import layers_figure, save_figure

        fig = layers_figure(d)
        for suffix in (".png", ".svg"):
            write_or_fail(out / f"layers{suffix}", lambda p: save_figure(fig, p))
        write_or_fail(out / "layers.json", lambda p: write_json(p, d))
    if as_json:
        click.echo(json.dumps(d, allow_nan=False))
        return
    _print_table(result, dataset)
    if out is not None:
        stdout_console().print(f"wrote layers.png, layers.svg and layers.json into {out}")


def _print_table(result, dataset):
    from rich.table import Table

    L = len(result.runs[0].speed[0])
    names = [f"h{l + 1}" for l in range(L - 1)] + ["out"]
    console = stdout_console()
    console.print(dataset.describe())
    table = Table(title="Speed of learning ||nabla_b|| per layer (h1 = first hidden layer), "
                        "and neurons saturated (sat) or dead", title_justify="left")
    for col in ("cost", "activation", "epoch", *names, "h1 / last hidden", "sat/dead", "test acc"):
        table.add_column(col, justify="right", no_wrap=col in ("cost",))
    for run in result.runs:
        E = len(run.speed) - 1  # a run that diverged (every seed) ends early
        for e in sorted({0, E}):
            row = run.speed[e]
            ratio = run.ratio(e)
            shares = []
            for key in ("dead", "saturated"):
                values = [v for v in getattr(run, key)[e] if v is not None]
                if values:
                    shares.append(f"{'sat' if key == 'saturated' else 'dead'} "
                                  + "/".join(f"{100 * v:.0f}" for v in values) + "%")
            acc = run.eval_accuracy[e] if e < len(run.eval_accuracy) else None
            table.add_row(run.cost, run.activation, f"{e}" + (" (diverged)" if e == E and run.diverged else ""), *(f"{v:.2e}" for v in row),
                          "-" if ratio is None else f"{ratio:.3f}", ", ".join(shares) or "-",
                          "-" if acc is None else f"{acc:.1%}")
    console.print(table)
    console.print("sat/dead: per layer, first hidden to output, where it applies. ||nabla_b||: the length of the layer's mean bias gradient over the epoch's samples, each "
                  "mini-batch's taken before its step (epoch 0: exact, before training). sat: sigma'(z) < 1% of "
                  "its maximum on most samples; dead: a ReLU unit positive on no sample.")
