"""``costlab reproduce``: Nielsen's experiment's four runs, their table, figures and results.json."""

from __future__ import annotations

from pathlib import Path

import click

from costlab.cli._common import (
    Command, Count, Number, call_core, checkpoints, cost_specs, distinct_paths, out_dir, write_or_fail,
)

__all__ = ["reproduce", "table_rows", "table_text", "write_figures", "write_results"]

#: The figures' file names (costlab.plots.reproduce_figures), checked before any work.
FIGURE_STEMS = ("cost-vs-epoch", "cost-vs-epoch-all", "output-vs-epoch", "sigmoid-slopes", "gradient-vs-output")


def table_rows(runs) -> list[dict]:
    """One row of numbers per run: its start, the output a at epochs 0, 50, 150 and the
    last, the cost C at the first and last epoch, and the first epoch with a < 0.5."""
    from costlab.neuron import first_epoch_below

    rows = []
    for run in runs:
        h = run.history
        rows.append({
            "a0": h["a"][0],
            "w0": run.w0,
            "b0": run.b0,
            "cost": run.cost,
            "a": {str(e): h["a"][e] for e in checkpoints(run.epochs)},
            "C0": h["C"][0],
            "C_final": h["C"][-1],
            "first_below_half": first_epoch_below(run, 0.5),
        })
    return rows


def table_text(rows, epochs: int) -> list[list[str]]:
    """The table as strings: a header row, then one row per run."""
    marks = checkpoints(epochs)
    ends = sorted({0, epochs})
    header = ["start a0", "cost", *(f"a({e})" for e in marks), *(f"C({e})" for e in ends), "first a<0.5"]
    body = [
        [
            f"{row['a0']:.2f}",
            row["cost"],
            *(f"{row['a'][str(e)]:.4f}" for e in marks),
            *(f"{row['C0' if e == 0 else 'C_final']:.4f}" for e in ends),
            "never" if row["first_below_half"] is None else str(row["first_below_half"]),
        ]
        for row in rows
    ]
    return [header, *body]


def table_caption(rows) -> str:
    """What the table's columns and starts mean."""
    starts = dict.fromkeys(f"a0 = {r['a0']:.2f} is w = {r['w0']:g}, b = {r['b0']:g}" for r in rows)
    return (
        "Start " + "; ".join(starts) + ". a(e) and C(e): output and cost at epoch e; "
        "first a<0.5: the first epoch at which the output is below 0.5."
    )


def markdown_table(text: list[list[str]], caption: str = "") -> str:
    """GitHub-flavoured Markdown of a table given as rows of strings."""
    header, *body = text
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + ("\n\n" + caption if caption else "") + "\n"


def print_table(text: list[list[str]], title: str, caption: str) -> None:
    """Print the table with rich (fits 80 columns)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    header, *body = text
    # the first and last headings break onto two lines so that the table fits 80 columns
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left",
                  box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), show_edge=False)
    for i, name in enumerate(header):
        table.add_column(name.replace(" ", "\n", 1) if i in (0, len(header) - 1) else name,
                         justify="left" if i < 2 else "right", no_wrap=True)
    for r in body:
        table.add_row(*r)
    Console(soft_wrap=False).print(table)


def write_results(directory: Path, runs, rows, text, caption) -> list[Path]:
    """Write results.json and table.md into ``directory``; return their paths."""
    from costlab.fileio import atomic_write, write_json

    results = {
        "experiment": "one sigmoid neuron, x -> y, gradient descent from each of the blog post's starts under each cost",
        "runs": [run.to_dict() for run in runs],
        "table": {"rows": rows, "text": text, "caption": caption},
    }
    paths = [directory / "results.json", directory / "table.md"]
    write_or_fail(paths[0], lambda p: write_json(p, results))
    write_or_fail(paths[1], lambda p: atomic_write(p, markdown_table(text, caption)))
    return paths


def write_figures(directory: Path, runs) -> list[Path]:
    """Write every figure of the experiment into ``directory`` as PNG and SVG."""
    from costlab.plots import FORMATS, reproduce_figures, save_figure

    data = [run.to_dict() for run in runs]
    paths = []
    params = {"figure": None, "eta": data[0]["eta"], "epochs": data[0]["epochs"], "x": data[0]["x"], "y": data[0]["y"]}
    for stem, fig in reproduce_figures(data).items():
        for suffix in FORMATS:
            path = directory / f"{stem}{suffix}"
            write_or_fail(path, lambda p: save_figure(fig, p, {**params, "figure": stem}))
            paths.append(path)
    return paths


@click.command(cls=Command, short_help="Reproduce the blog post's experiment: table, figures, results.json.")
@click.option("--out", "out", metavar="DIR", default="costlab-out", show_default=True,
              help="Directory for the figures, results.json and table.md (created if needed).")
@click.option("--eta", type=Number(gt=0, le=1000), default=0.15, show_default=True, help="Learning rate eta.")
@click.option("--epochs", type=Count(0, 100_000), default=300, show_default=True,
              help="Gradient-descent steps.")
@click.option("--costs", default="quadratic, cross-entropy", show_default=True, metavar="SPECS",
              help="Costs for the sigmoid neuron, comma-separated outside parentheses: names, names with "
                   "parameters (focal(gamma=2)) or formulas in a and y.")
def reproduce(out, eta, epochs, costs):
    """Run the blog post's experiment (Nielsen's, Neural Networks and Deep Learning,
    chapter 3): its table, its lost figures, results.json.

    One sigmoid neuron learns to output y = 0 from x = 1, started at output
    0.82 (w = 0.6, b = 0.9) and at 0.98 (w = 2, b = 2), under the quadratic
    and the cross-entropy cost.
    """
    costs = cost_specs(costs, "--costs", activation="sigmoid")
    names = ("results.json", "table.md", *(f"{stem}{suffix}" for stem in FIGURE_STEMS for suffix in (".png", ".svg")))
    directory = out_dir(out, files=names)
    distinct_paths({}, {"--out": [directory / name for name in names]})

    from costlab.neuron import reproduce as run_seed

    runs = call_core(run_seed, eta=eta, epochs=epochs, costs=costs)
    rows = table_rows(runs)
    text = table_text(rows, epochs)
    caption = table_caption(rows)
    print_table(
        text, f"One sigmoid neuron, x = {runs[0].x:g} -> y = {runs[0].y:g}, eta = {eta:g}, "
        f"{epochs} epochs", caption,
    )
    results = write_results(directory, runs, rows, text, caption)
    figures = write_figures(directory, runs)
    stems = dict.fromkeys(p.stem for p in figures)
    click.echo(f"wrote {len(results) + len(figures)} files to {directory.resolve()}:")
    click.echo("  " + ", ".join(p.name for p in results))
    click.echo("  " + ", ".join(stems) + " (each .png and .svg)")
