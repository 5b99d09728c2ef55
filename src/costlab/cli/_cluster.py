"""The options that send a command's work to a Dask cluster: ``--scheduler``, ``--scheduler-timeout``."""

from __future__ import annotations

import click

from costlab.cli._common import InputError, Number, call_core

__all__ = ["call_on", "check_scheduler", "scheduler_options"]


def scheduler_options(command):
    """Add ``--scheduler ADDRESS`` and ``--scheduler-timeout SECONDS`` to a command."""
    command = click.option(
        "--scheduler-timeout", type=Number(gt=0, le=3600), default=10.0, show_default=True, metavar="SECONDS",
        help="Give up when the scheduler, or its first worker, does not answer within this time.",
    )(command)
    return click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help="Run the tasks on the Dask scheduler at ADDRESS (tcp://host:port, or host:port) instead of local "
             "processes; needs pip install 'costlab[cluster]'. See docs/cluster.md.",
    )(command)


def check_scheduler(address):
    """The ``--scheduler`` address, checked before any work (None stays None)."""
    if address is None:
        return None
    from costlab.cluster import check_address

    try:
        return check_address(address)
    except ValueError as e:
        text = str(e)
        raise InputError(f"--{text}" if text.startswith("scheduler ") else f"--scheduler: {text}") from None


def call_on(scheduler, fn, /, *args, **kwargs):
    """``call_core(fn, ...)``; with a scheduler, a scheduler that cannot be reached is one line, exit 2."""
    if scheduler is None:
        return call_core(fn, *args, **kwargs)
    from costlab.cluster import SchedulerUnreachable

    try:
        return call_core(fn, *args, **kwargs)
    except SchedulerUnreachable as e:
        raise InputError(str(e)) from None
