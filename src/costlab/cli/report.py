"""``costlab report``: the blog post's argument and costlab's results as one self-contained HTML file."""

from __future__ import annotations

import sys
import time

import click

from costlab.cli._common import Command, Count, call_core, cost_specs, file_path, write_or_fail

__all__ = ["report"]

DATA_CHOICES = ("digits", "none")


@click.command(cls=Command, short_help="Write a self-contained HTML report of the blog post's experiments.")
@click.option("--out", "out", metavar="FILE", default="report.html", show_default=True,
              help="The HTML file to write (its directory must exist).")
@click.option("--data", type=click.Choice(DATA_CHOICES), default="digits", show_default=True,
              help="Real data to compare the costs on ('none' skips the comparison).")
@click.option("--map-points", type=Count(2, 1001), default=201, show_default=True,
              help="Values of w and of b in the map of the slowdown (a N x N grid).")
@click.option("--costs", default="quadratic, cross-entropy", show_default=True, metavar="SPECS",
              help="Costs compared on real data, comma-separated outside parentheses: names, names with "
                   "parameters (focal(gamma=2)) or formulas in a and y.")
@click.option("--lang", type=click.Choice(("en", "zh")), default="en", show_default=True,
              help="The report's language: en (English) or zh (Chinese; the mathematics unchanged).")
def report(out, data, map_points, costs, lang):
    """Write one HTML file that retells the argument of the blog post (Nielsen's experiment,
    Neural Networks and Deep Learning, chapter 3) with costlab's results:
    the two starts under both costs, the mechanism, the derivations typeset as
    mathematics, the map of the slowdown over all starts and a comparison on real data.

    Figures are inline SVG and the page makes no request: it opens offline and
    prints to PDF.
    """
    path = file_path(out, "--out", (".html", ".htm"))
    costs = cost_specs(costs, "--costs")

    from costlab.report import report_data, write_report

    t0 = time.perf_counter()
    progress = (lambda name: click.echo(f"computing {name}...", err=True)) if sys.stderr.isatty() else None
    d = call_core(report_data, data=None if data == "none" else data, map_points=map_points, on_step=progress,
                  costs=costs)
    sizes = []
    write_or_fail(path, lambda p: sizes.append(write_report(p, d, lang)))
    click.echo(f"wrote {path} ({sizes[0] / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
