"""``costlab train``: train a network on real data and report cost and accuracy per epoch."""

from __future__ import annotations

import json
from pathlib import Path

import click

from costlab.cli._common import (
    COST_SPEC_HELP,
    cost_spec,
    Command,
    CommandFailed,
    Count,
    InputError,
    Number,
    Registered,
    check_memory,
    check_network_size,
    data_files,
    distinct_paths,
    figure_path,
    file_path,
    stdout_console,
    write_or_fail,
)

__all__ = ["train", "parse_sizes"]

#: The configuration keys a resumed run must share with its checkpoint.
RESUME_KEYS = (
    "data", "limit", "sizes", "cost", "activation", "output_activation", "init", "dtype",
    "seed", "batch_size", "eta", "lmbda", "mu", "class_weight",
)


def parse_sizes(text: str) -> list[int]:
    """'64,30,10' -> [64, 30, 10]; InputError for anything else."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        sizes = [int(p, 10) for p in parts]
    except ValueError:
        raise InputError(f"--sizes must be comma-separated whole numbers like 64,30,10, got {text!r}") from None
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise InputError(f"--sizes needs at least two layer sizes, each >= 1, got {text!r}")
    from costlab.network import MAX_LAYERS

    if len(sizes) > MAX_LAYERS:
        raise InputError(f"--sizes may name at most {MAX_LAYERS} layers (what saved models hold), got {len(sizes)}")
    if any(s > 100_000 for s in sizes):
        raise InputError(f"--sizes: a layer of more than 100000 neurons is not supported, got {text!r}")
    check_network_size(sizes)
    return sizes


def _layer_cells(layers, i, L):
    """Per layer: the speed of learning and the saturated (sigmoid, tanh) or dead (ReLU) fraction."""
    speed, sat, dead = (layers[key][i] or [None] * L for key in ("speed", "saturated", "dead"))
    cells = []
    for l in range(L):
        share = f"sat {sat[l]:.0%}" if sat[l] is not None else f"dead {dead[l]:.0%}" if dead[l] is not None else "-"
        cells += [_shown(speed[l], ".2e"), share]
    return cells


def _table(history, console, show_layers=False):
    from rich.table import Table

    table = Table(title="Cost C and accuracy per epoch", title_justify="left")
    table.add_column("epoch", justify="right")
    table.add_column("train C", justify="right")
    table.add_column("train acc", justify="right")
    has_eval = history.eval_cost and history.eval_cost[0] is not None
    if has_eval:
        table.add_column("test C", justify="right")
        table.add_column("test acc", justify="right")
    layers = history.layers if show_layers else None
    if layers is not None:
        L = len(next(row for row in layers["speed"] if row is not None))
        for l in range(L):
            name = "output" if l == L - 1 else f"hidden {l + 1}"
            table.add_column(f"{name} |nabla_b|", justify="right")
            table.add_column(f"{name} sat/dead", justify="right")
    for i, e in enumerate(history.epoch):
        row = [str(e), _shown(history.train_cost[i], ".4f"), _shown(history.train_accuracy[i], ".2%")]
        if has_eval:
            row += [_shown(history.eval_cost[i], ".4f"), _shown(history.eval_accuracy[i], ".2%")]
        if layers is not None:
            row += _layer_cells(layers, i, L)
        table.add_row(*row)
    console.print(table)
    if history.config.get("monitor") == "running":
        console.print("train C and acc: the mean over each epoch's mini-batches, each taken before its step "
                      "(--monitor exact evaluates the training set after every epoch)")
    if show_layers and history.layers is not None:
        console.print("|nabla_b|: the length of the layer's mean bias gradient over the epoch's samples "
                      "(epoch 0: exact, before training); sat: neurons with sigma'(z) < 1% of its maximum on most "
                      "samples; dead: ReLU units positive on no sample")


def _shown(value, spec: str) -> str:
    """A recorded figure, or '-' where none was recorded."""
    return "-" if value is None else format(value, spec)


@click.command(cls=Command, short_help="Train a network on real data; cost and accuracy per epoch.")
@click.option("--data", default="digits", show_default=True, metavar="SPEC",
              help="digits, fashion-mnist, mnist:DIR, fashion-mnist:DIR or a .npz file.")
@click.option("--sizes", default=None, metavar="N,N,...",
              help="Layer sizes, input first [default: features,30,classes].")
@click.option("--cost", default="cross-entropy", show_default=True, metavar="SPEC",
              help="The cost function C. " + COST_SPEC_HELP)
@click.option("--activation", type=Registered("hidden activation"),
              default="sigmoid", show_default=True, help="Activation of the hidden layers.")
@click.option("--output-activation", type=Registered("activation"),
              default=None, help="Activation of the output layer [default: the one the cost is made for].")
@click.option("--init", type=Registered("init"), default="default", show_default=True,
              help="default: w ~ N(0, 1/n_in); large: w ~ N(0, 1).")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True)
@click.option("--epochs", type=Count(0, 10_000), default=30, show_default=True)
@click.option("--batch-size", type=Count(1, 1_000_000), default=10, show_default=True, help="Mini-batch size m.")
@click.option("--eta", type=Number(gt=0, le=1000), default=0.5, show_default=True, help="Learning rate eta.")
@click.option("--lmbda", type=Number(ge=0, le=1e6), default=0.0, show_default=True,
              help="L2 regularization lambda.")
@click.option("--mu", type=Number(ge=0, le=1), default=0.0, show_default=True, help="Momentum in [0, 1).")
@click.option("--seed", type=Count(0, 2**32 - 1), default=0, show_default=True,
              help="Seed of the initial weights and the shuffling.")
@click.option("--limit", type=Count(1, 100_000_000), default=None, help="Train on the first N training samples only.")
@click.option("--save", "save_path", default=None, metavar="FILE", help="Write the trained model (JSON).")
@click.option("--checkpoint", default=None, metavar="FILE", help="Save a checkpoint after every epoch.")
@click.option("--resume", is_flag=True, help="Continue from --checkpoint up to --epochs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with config and history.")
@click.option("--plot", default=None, metavar="FILE", help="Write the cost and accuracy curves (.png or .svg).")
@click.option("--monitor", type=click.Choice(["running", "exact", "off"]), default="running", show_default=True,
              help="Training cost and accuracy: running (the mean over each epoch's mini-batches, free), "
                   "exact (the whole training set evaluated after every epoch), or off.")
@click.option("--positive", type=Count(0, 9999), default=None, metavar="CLASS",
              help="Train class CLASS against all the others, with one sigmoid output (on the digits: "
                   "a rare class of about 10%); reports each class's precision and recall.")
@click.option("--class-weight", "class_weight", default=None, metavar="WEIGHTS",
              help="Weigh each sample by its class, with any cost: 'balanced' (n / (K n_k)) or CLASS:WEIGHT,... "
                   "(classes not named weigh 1). Multiplies the .npz's w_train, a weight per sample, if it has one.")
@click.option("--layers", "show_layers", is_flag=True,
              help="Show each layer's speed of learning |nabla_b| and saturated or dead fraction per epoch.")
@click.option("--diagnose/--no-diagnose", default=True, show_default=True,
              help="Record each layer per epoch and warn as soon as a layer stops learning (dead, saturated, "
                   "or the output slowed down by sigma'(z)).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def train(data, sizes, cost, activation, output_activation, init, dtype, epochs, batch_size, eta,
          lmbda, mu, seed, limit, save_path, checkpoint, resume, as_json, plot, monitor, positive, class_weight,
          show_layers, diagnose, quiet):
    """Train a network by mini-batch gradient descent and report cost and accuracy per epoch.

    \b
    Example (digits, the blog post's comparison on real data):
      costlab train --data digits --sizes 64,30,10 --cost cross-entropy
      costlab train --data digits --sizes 64,30,10 --cost quadratic
    """
    if mu >= 1:
        raise InputError(f"--mu must be < 1, got {mu:g}")
    if resume and checkpoint is None:
        raise InputError("--resume needs --checkpoint FILE")
    if plot is not None:
        plot = figure_path(plot)
    for option, path in (("--save", save_path), ("--checkpoint", checkpoint)):
        if path is not None:
            file_path(path, option)
    # no output may replace the data or another output (a resumed --checkpoint replaces itself, as it should)
    distinct_paths({"--data": data_files(data)}, {"--save": save_path, "--checkpoint": checkpoint, "--plot": plot})

    parsed_sizes = parse_sizes(sizes) if sizes else None  # checked before the data is loaded
    cost = cost_spec(cost)

    from costlab.data import DataError, load_data

    try:
        dataset = load_data(data)
        if positive is not None:
            dataset = dataset.one_vs_rest(positive)
        dataset = dataset.limit(limit)
    except DataError as e:
        raise InputError(str(e)) from None
    layer_sizes = parsed_sizes or [dataset.n_features, 30, dataset.n_outputs]
    if layer_sizes[0] != dataset.n_features:
        raise InputError(f"--sizes must start with {dataset.n_features} (the features of {dataset.name}), got {layer_sizes[0]}")
    if layer_sizes[-1] != dataset.n_outputs:
        raise InputError(f"--sizes must end with {dataset.n_outputs} (the outputs of {dataset.name}), got {layer_sizes[-1]}")
    check_network_size(layer_sizes, "--sizes" if parsed_sizes else "the default sizes")
    check_memory(dataset, layer_sizes, itemsize=4 if dtype == "float32" else 8, batch_size=batch_size,
                 momentum=mu > 0, checkpoint=checkpoint is not None)

    config = {
        "data": data, "limit": limit, "sizes": layer_sizes, "cost": cost, "activation": activation,
        "output_activation": output_activation, "init": init, "dtype": dtype, "seed": seed,
        "batch_size": batch_size, "eta": eta, "lmbda": lmbda, "mu": mu, "epochs": epochs, "monitor": monitor,
    }
    if positive is not None:
        config["positive"] = positive
    sample_weight = _sample_weights(dataset, class_weight)
    config["class_weight"] = class_weight

    from costlab.network import Network, TrainingDiverged

    history = None
    if resume:
        net, history = _resume(checkpoint, config)
    else:
        try:
            net = Network(layer_sizes, cost=cost, activation=activation, output_activation=output_activation,
                          init=init, dtype=dtype, seed=seed)
        except ValueError as e:
            raise InputError(str(e)) from None
    config["output_activation"] = net.output_activation
    if dataset.multilabel and net.output_activation == "softmax":
        raise InputError(f"--cost {cost}: {dataset.name} is multi-label (y of shape (n, {dataset.n_classes})), but "
                         "a softmax output makes the labels share one unit of probability, one class per sample; "
                         "use a cost with one sigmoid per label, such as cross-entropy")
    remaining = max(epochs - net.epochs_trained, 0)

    from rich.console import Console

    err = Console(stderr=True)
    progress = None if quiet or not err.is_terminal else _progress(err)

    def on_epoch(network, epoch, hist):
        if dataset.multilabel:  # accuracy of an indicator matrix: every label of a sample right
            from costlab.metrics import subset_accuracy

            hist.eval_accuracy[-1] = subset_accuracy(dataset.y_test, network.feedforward(dataset.X_test))
            hist.train_accuracy[-1] = None
        if checkpoint is not None:
            from costlab.saving import save_checkpoint

            write_or_fail(checkpoint, lambda p: save_checkpoint(network, p, hist, config))
        if progress is not None and epoch > 0:
            progress.update(epochs_task, advance=1, description=_epoch_text(hist))

    def on_batch(j, n_batches):
        if j == n_batches or j % every == 0:
            progress.update(batches_task, completed=j, total=n_batches)

    n_batches = -(-len(dataset.X_train) // batch_size)
    every = max(1, n_batches // 100)

    def show_warning(message, category, *args, **kwargs):
        line = f"costlab train: warning: {message}"
        if progress is not None:
            progress.console.print(line, markup=False, highlight=False)
        else:
            click.echo(line, err=True)

    import warnings

    from costlab.training import LayerWarning

    catch = warnings.catch_warnings()
    catch.__enter__()
    warnings.simplefilter("always", LayerWarning)
    warnings.showwarning = show_warning
    try:
        if progress is not None:
            progress.start()
            epochs_task = progress.add_task("epochs", total=epochs, completed=net.epochs_trained)
            batches_task = progress.add_task("batches", total=n_batches)
        history = net.fit(
            dataset.X_train, dataset.y_train, epochs=remaining, batch_size=batch_size, eta=eta,
            lmbda=lmbda, mu=mu, eval_data=(dataset.X_test, dataset.y_test), history=history, monitor=monitor,
            on_epoch=on_epoch, on_batch=on_batch if progress is not None else None,
            layers=diagnose or show_layers, sample_weight=sample_weight,
        )
    except TrainingDiverged as e:
        raise CommandFailed(str(e)) from None
    except ValueError as e:
        raise InputError(str(e)) from None
    finally:
        catch.__exit__(None, None, None)
        if progress is not None:
            progress.stop()

    if save_path is not None:
        from costlab.saving import save

        write_or_fail(save_path, lambda p: save(net, p, config))
    if plot is not None:
        from costlab.plots import save_figure, training_figure

        title = f"{dataset.name}, {' x '.join(map(str, layer_sizes))}, {cost}, eta = {eta:g}"
        write_or_fail(plot, lambda p: save_figure(training_figure(history.to_dict(), title), p))
    from costlab.metrics import class_metrics, label_metrics

    if dataset.multilabel:
        classes = label_metrics(dataset.y_test, (net.feedforward(dataset.X_test) > 0.5).astype(int),
                                dataset.class_names)
    else:
        classes = class_metrics(dataset.y_test, net.predict(dataset.X_test), dataset.n_classes, dataset.class_names)
    if as_json:
        click.echo(json.dumps({"config": config, "history": history.to_dict(), "test_classes": classes},
                              allow_nan=False))
    else:
        out = stdout_console()
        out.print(dataset.describe())
        _table(history, out, show_layers)
        if dataset.multilabel:
            out.print("test acc: the subset accuracy, every label of a sample right (train acc is not recorded "
                      "for multi-label targets)")
        if positive is not None or dataset.multilabel:
            _class_table(classes, out)
        written = [p for p in (save_path, checkpoint, plot) if p is not None]
        if written:
            out.print("wrote " + ", ".join(str(p) for p in written))


def _sample_weights(dataset, class_weight):
    """Each training sample's weight: its class's (``--class-weight``) times its own (the .npz's w_train)."""
    if class_weight is None:
        return dataset.w_train
    import numpy as np

    if dataset.multilabel:
        raise InputError("--class-weight weighs one class per sample, but the data is multi-label; give a weight per "
                         "sample (w_train in the .npz) or a cost such as cross-entropy(pos_weight=3)")
    K, y = dataset.n_classes, dataset.y_train
    names = list(dataset.class_names) if dataset.class_names else [str(k) for k in range(K)]
    if class_weight.strip() == "balanced":
        counts = np.bincount(y, minlength=K)
        if np.any(counts == 0):
            raise InputError(f"--class-weight balanced needs every class among the training samples; "
                             f"{names[int(np.argmin(counts))]} has none")
        w = len(y) / (K * counts)
    else:
        w = np.ones(K)
        for item in class_weight.split(","):
            name, sep, value = item.strip().rpartition(":")
            if not sep or not name:
                raise InputError(f"--class-weight must be 'balanced' or CLASS:WEIGHT,..., got {item.strip()!r}")
            if name not in names:
                raise InputError(f"--class-weight names a class not in {dataset.name}: {name!r} (its classes: "
                                 f"{', '.join(names[:12])}{', ...' if K > 12 else ''})")
            try:
                weight = float(value)
            except ValueError:
                weight = float("nan")
            if not (np.isfinite(weight) and weight >= 0):
                raise InputError(f"--class-weight: the weight of class {name} must be a number >= 0, got {value!r}")
            w[names.index(name)] = weight
    weights = w[y]
    return weights if dataset.w_train is None else weights * dataset.w_train


def _class_table(classes, out):
    """Each class's precision and recall on the test set, and the balanced accuracy (their mean recall)."""
    from rich.table import Table

    if classes.get("multilabel"):
        table = Table(title="Test set, per label", title_justify="left", caption_justify="left",
                      caption=f"subset accuracy {classes['subset_accuracy']:.2%}, hamming loss "
                              f"{classes['hamming_loss']:.4f}, mean balanced accuracy {classes['balanced_accuracy']:.2%}")
    else:
        table = Table(title="Test set, per class", title_justify="left",
                      caption=f"balanced accuracy {classes['balanced_accuracy']:.2%}", caption_justify="left")
    for col in ("label" if classes.get("multilabel") else "class", "positives" if classes.get("multilabel")
                else "samples", "precision", "recall"):
        table.add_column(col, justify="right")
    for c in classes["classes"]:
        table.add_row(c["class"], str(c["support"]), f"{c['precision']:.2%}", f"{c['recall']:.2%}")
    out.print(table)


def _epoch_text(hist) -> str:
    acc = hist.eval_accuracy[-1] if hist.eval_accuracy[-1] is not None else hist.train_accuracy[-1]
    return f"epoch {hist.epoch[-1]}: C = {_shown(hist.train_cost[-1], '.4f')}, accuracy {_shown(acc, '.2%')}"


def _progress(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True,
    )


def _resume(checkpoint, config):
    from costlab.saving import ModelFileError, load_checkpoint

    if not Path(checkpoint).is_file():
        raise InputError(f"--resume: no checkpoint at {checkpoint}")
    try:
        net, history, saved = load_checkpoint(checkpoint)
    except ModelFileError as e:
        raise InputError(str(e)) from None
    for key in RESUME_KEYS:
        if key == "output_activation" and config[key] is None:
            continue
        if saved.get(key) != config[key]:
            raise InputError(
                f"--resume: the checkpoint was made with {key} = {saved.get(key)!r}, not {config[key]!r}; "
                "resume with the same options"
            )
    if net.epochs_trained > config["epochs"]:
        raise InputError(f"--resume: the checkpoint is at epoch {net.epochs_trained}, past --epochs {config['epochs']}")
    return net, history
