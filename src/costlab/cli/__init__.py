"""The ``costlab`` command line: a thin layer over functions that return data.

Each command lives in its own module of this package and is registered by one
line in ``COMMANDS``. Command modules import only click at the top; NumPy's
heavier companions (matplotlib, rich, sympy) are imported inside the functions
that use them, so ``costlab --help`` and ``costlab --version`` answer fast.

Errors in the input are reported as exactly one line on stderr, such as
``costlab neuron: error: --eta must be > 0, got -1``, with exit status 2.
"""

from __future__ import annotations

import gc
import sys
from importlib import import_module

import click

from costlab import __version__
from costlab.cli._common import WRITTEN, Group

__all__ = ["COMMANDS", "cli", "main"]

#: Command name -> "module:attribute" of its click command. Add a command here.
COMMANDS: dict[str, str] = {
    "neuron": "costlab.cli.neuron:neuron",
    "derive": "costlab.cli.derive:derive",
    "reproduce": "costlab.cli.reproduce:reproduce",
    "train": "costlab.cli.train:train",
    "map": "costlab.cli.map:map_command",
    "compare": "costlab.cli.compare:compare_command",
    "layers": "costlab.cli.layers:layers_command",
    "serve": "costlab.cli.serve:serve",
    "report": "costlab.cli.report:report",
}

#: Exit status for bad input (click's convention) and for an interrupt (128 + SIGINT).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="costlab", message="%(prog)s %(version)s")
def cli():
    """costlab: why the cost function decides how fast a sigmoid neuron learns.

    Started far from its target, a sigmoid neuron trained with the quadratic
    cost barely moves, because every gradient carries the factor sigma'(z);
    the cross-entropy cost cancels that factor and learns fast from any start.
    """


for _name, _target in COMMANDS.items():
    _module, _attr = _target.split(":")
    cli.add_command(getattr(import_module(_module), _attr), _name)


def _error_line(command_path: str, message: str, args=None) -> str:
    """``<command path>: error: <message>`` folded onto one line; in Chinese (``错误``, the message
    translated by :func:`costlab.i18n.tr_refusal`) when the command was asked for Chinese (``--lang zh``)."""
    message = " ".join(str(message).split())
    if _asks_for_chinese(sys.argv[1:] if args is None else args):
        from costlab.i18n import language, tr_refusal

        with language("zh"):
            return f"{command_path}：错误：{tr_refusal(message)}"
    return f"{command_path}: error: {message}"


def _asks_for_chinese(args) -> bool:
    args = [str(a) for a in args]
    return "--lang=zh" in args or any(a == "--lang" and b == "zh" for a, b in zip(args, args[1:]))


def main(args=None) -> None:
    """Run the ``costlab`` command line and exit with its status.

    Usage errors (click's own and costlab's input checks) print one line on
    stderr and exit 2; other click errors print one line and exit with their
    own status (1); an interrupt prints one line and exits 130. Anything else
    is a bug and keeps its traceback.

    Warnings of the libraries underneath (NumPy, scikit-learn, matplotlib)
    are held back while the command runs: after an error only its one line
    is printed; after success each distinct warning follows as one line,
    ``costlab: warning: <message>``. Warnings a command reports itself
    (training's layer warnings) are printed by the command as they come.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        status = _run(args)
    if status == 0:
        for message in dict.fromkeys(" ".join(str(w.message).split()) for w in caught):
            click.echo(f"costlab: warning: {message}", err=True)
    if status == EXIT_INTERRUPTED:
        gc.freeze()  # exit at once: no final sweep through every object the interrupted work made
    sys.exit(status)


def _run(args) -> int:
    """The command's exit status, its error (if any) printed as one line."""
    try:
        rv = cli.main(args, prog_name="costlab", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        # `costlab` alone: the help text is what the user wants to see
        click.echo(e.ctx.get_help())
        return 0
    except click.exceptions.UsageError as e:
        path = e.ctx.command_path if e.ctx is not None else "costlab"
        click.echo(_error_line(path, e.format_message(), args), err=True)
        return EXIT_USAGE
    except click.exceptions.ClickException as e:
        ctx = getattr(e, "ctx", None)
        path = ctx.command_path if ctx is not None else "costlab"
        click.echo(_error_line(path, e.format_message(), args), err=True)
        return e.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        done = f" after writing {', '.join(map(str, WRITTEN))}" if WRITTEN else ""
        click.echo(f"costlab: interrupted{done}", err=True)
        return EXIT_INTERRUPTED
    return rv if isinstance(rv, int) else 0
