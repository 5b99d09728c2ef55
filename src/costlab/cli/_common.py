"""What the commands share: checked option types, path checks, error reporting.

A check that fails raises :class:`InputError`, which ``costlab.cli.main``
prints as one line, ``costlab <command>: error: <message>``, with exit status 2.
"""

from __future__ import annotations

import errno
import math
import os
import tempfile
from pathlib import Path

import click

__all__ = [
    "FIGURE_SUFFIXES",
    "Command",
    "Group",
    "CommandFailed",
    "Count",
    "InputError",
    "MAX_LIST_ITEMS",
    "Number",
    "Registered",
    "call_core",
    "check_memory",
    "check_network_size",
    "cores",
    "checkpoints",
    "data_files",
    "distinct_paths",
    "figure_path",
    "file_path",
    "out_dir",
    "stdout_console",
    "write_or_fail",
]

#: Figure formats, chosen by the file's suffix.
FIGURE_SUFFIXES = (".png", ".svg")


class InputError(click.UsageError):
    """Bad input: one line on stderr, exit status 2."""

    def __init__(self, message: str):
        super().__init__(message, ctx=click.get_current_context(silent=True))


class CommandFailed(click.ClickException):
    """The input was accepted but the work could not be done: one line, exit status 1."""

    def __init__(self, message: str):
        super().__init__(message)
        self.ctx = click.get_current_context(silent=True)


class _KnowsItsContext:
    """Attach the context to usage errors raised while parsing the arguments.

    click raises some of them (``Option '--w' requires an argument.``) without
    a context, which would lose the command's name in the error line.
    """

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            if e.ctx is None:
                e.ctx = ctx
            raise


class Command(_KnowsItsContext, click.Command):
    """A costlab command: ``@click.command(cls=Command)``."""


class Group(_KnowsItsContext, click.Group):
    """The costlab command group."""

    def invoke(self, ctx):
        WRITTEN.clear()  # each command names only the files it wrote itself
        return super().invoke(ctx)


def _option(param) -> str:
    return param.opts[0] if param is not None and param.opts else "value"


class Number(click.ParamType):
    """A finite float, optionally bounded: ``--eta must be > 0, got -1``.

    The check is :func:`costlab.checks.check_number`, the one the API and the
    page use too.
    """

    name = "number"

    def __init__(self, *, gt: float | None = None, ge: float | None = None, le: float | None = None):
        from costlab.checks import Bound

        lo = gt if gt is not None else ge
        self.bound = Bound(lo, le, lo_open=gt is not None)

    def get_metavar(self, param, ctx=None):
        """``NUMBER in (0, 1000]``: the bounds show in --help."""
        limits = self.bound.limits()
        return f"NUMBER {limits}" if limits else "NUMBER"

    def convert(self, value, param, ctx):
        from costlab.checks import check_number

        try:
            return float(check_number(_option(param), value, self.bound))
        except ValueError as e:
            raise InputError(str(e)) from None


class Count(click.ParamType):
    """A whole number in [minimum, maximum]: ``--epochs must be >= 0, got -1``."""

    name = "integer"

    def __init__(self, minimum: int = 0, maximum: int | None = None):
        from costlab.checks import Bound

        self.minimum, self.maximum = minimum, maximum
        self.bound = Bound(minimum, maximum, integer=True)

    def get_metavar(self, param, ctx=None):
        """``INTEGER in [1, 10000]``: the bounds show in --help."""
        return f"INTEGER {self.bound.limits()}"

    def convert(self, value, param, ctx):
        from costlab.checks import check_number

        opt = _option(param)
        text = value if isinstance(value, str) else None
        if isinstance(value, bool) or (text is not None and not text.strip().lstrip("+-").isdigit()):
            raise InputError(f"{opt} must be {self.bound.describe()}, got {value!r}")
        try:
            return check_number(opt, value, self.bound)
        except ValueError as e:
            raise InputError(str(e)) from None


class Registered(click.ParamType):
    """A name from one of the core's registries, as users type it and saved models store it.

    ``kind`` is ``"activation"``, ``"hidden activation"`` (those that work
    inside a network: elementwise) or ``"init"``. The names come from
    :data:`costlab.activations.ACTIVATIONS` and
    :data:`costlab.network.INITIALIZERS`, read when a command's help is shown
    or its value is checked, so that ``costlab --help`` imports no NumPy.
    """

    name = "name"

    def __init__(self, kind: str):
        self.kind = kind

    def names(self) -> list[str]:
        if self.kind == "init":
            from costlab.network import INITIALIZERS

            return list(INITIALIZERS)
        from costlab.activations import ACTIVATIONS, ALIASES

        names = [name for name, a in ACTIVATIONS.items() if a.elementwise or self.kind == "activation"]
        return names + [alias for alias, name in ALIASES.items() if name in names]

    def get_metavar(self, param, ctx=None):
        return "[" + "|".join(self.names()) + "]"

    def convert(self, value, param, ctx):
        names = self.names()
        if value not in names:
            raise InputError(f"{_option(param)} must be one of {', '.join(names)}; got {value!r}")
        return value


def cores() -> int:
    """The cores this process may use: the most worker processes a command starts."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


from costlab.memory import MAX_PARAMETERS  # noqa: E402 - the one limit, kept where runs are measured


def check_network_size(sizes, option: str = "--sizes") -> int:
    """The number of weights and biases of a network of layer ``sizes``; InputError beyond MAX_PARAMETERS."""
    n = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if n > MAX_PARAMETERS:
        gib = n * 8 * 4 / 2**30
        raise InputError(f"{option} {','.join(map(str, sizes))} make a network of {n:,} weights and biases, "
                         f"which would take about {gib:,.1f} GiB in memory (weights, gradients, momentum, "
                         f"working copies); the most costlab trains is {MAX_PARAMETERS:,}")
    return n


def check_memory(dataset, sizes, *, networks: int = 1, **options) -> int:
    """The memory a training of ``sizes`` on ``dataset`` takes (:func:`costlab.memory.run_estimate`);
    one line and exit 2 when it exceeds the budget, before anything is allocated."""
    from costlab.memory import check_run_memory, run_estimate

    data_bytes = sum(a.nbytes for a in (dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test))
    parts = run_estimate(sizes=sizes, n_train=len(dataset.X_train), n_test=len(dataset.X_test),
                         data_bytes=data_bytes, networks=networks, **options)
    try:
        return check_run_memory(parts, f"training {' x '.join(map(str, sizes))} on {dataset.name}")
    except ValueError as e:
        raise InputError(str(e)) from None


def _why_unwritable(path: Path, err: OSError) -> str:
    """The reason a write under ``path`` failed, naming a file that blocks the way."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                return f"{p} is not a directory"
            break
    return err.strerror or str(err)


def _probe(directory: Path) -> None:
    """Create and remove a file in ``directory``; OSError if that is impossible."""
    fd, tmp = tempfile.mkstemp(prefix=".costlab-write-test.", dir=directory)
    os.close(fd)
    os.unlink(tmp)


def _replaceable(path: Path, option: str) -> Path:
    """The file a write to ``path`` replaces (see :mod:`costlab.fileio`), or one line and exit 2."""
    from costlab.fileio import NotARegularFile, write_target

    try:
        return write_target(path)
    except NotARegularFile as e:
        raise InputError(f"{option} cannot be written: {e}; costlab replaces only regular files") from None


#: Longest name of one file or directory, in bytes, where the file system does not say.
NAME_MAX = 255
#: Longest path, in bytes.
PATH_MAX = 4096


def _name_max(directory: Path) -> int:
    for d in (directory, *directory.parents):
        try:
            return os.pathconf(d, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return NAME_MAX


def check_path_text(path, option: str, *, directory: bool = False) -> Path:
    """The path as given, checked as text: not empty, not too long in bytes, no name over the file
    system's limit, and (for a file) no trailing slash; one line and exit 2 otherwise."""
    text = os.fspath(path)
    if not text:
        raise InputError(f"{option} needs a path, got ''")
    if "\0" in text:
        raise InputError(f"{option}: a path cannot contain a NUL character")
    raw = os.fsencode(text)
    if len(raw) > PATH_MAX:
        raise InputError(f"{option}: the path is {len(raw):,} bytes long, over the limit of {PATH_MAX}")
    if not directory and text.endswith(("/", os.sep)):
        raise InputError(f"{option} {_short(text)} ends in '/', so it names a directory; give a file name")
    p = Path(text)
    limit = _name_max(p.parent if not directory else p)
    for part in p.parts:
        if len(os.fsencode(part)) > limit:
            raise InputError(f"{option}: the name {_short(part)} is {len(os.fsencode(part))} bytes long, "
                             f"over the file system's limit of {limit}")
    return p


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:40] + "..." + text[-12:])


def resolved(path, option: str) -> Path:
    """``path`` with every symbolic link followed (a missing end stays as written); one line for a loop."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        return Path(os.path.realpath(path))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError(f"{option} {_short(os.fspath(path))}: its symbolic links loop") from None
        if e.errno == errno.ENOTDIR:
            return Path(os.path.realpath(path))
        raise InputError(f"{option} {_short(os.fspath(path))}: {e.strerror or e}") from None


def _identity(path: Path):
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", str(path))


def data_files(spec) -> list[Path]:
    """The files a ``--data`` spec reads: a .npz, or the IDX files of ``mnist:DIR`` (none for digits)."""
    if not isinstance(spec, str):
        return []
    kind, sep, rest = spec.partition(":")
    if sep and kind in ("mnist", "fashion-mnist") and rest:
        from costlab.data import IDX_FILES

        directory = Path(rest).expanduser()
        names = [n for stem in IDX_FILES.values() for alt in (stem, stem.replace("-idx", ".idx"))
                 for n in (alt, alt + ".gz")]
        return [directory / n for n in names]
    if spec.endswith(".npz"):
        return [Path(spec)]
    return []


def distinct_paths(inputs: dict, outputs: dict) -> None:
    """Refuse, with one line, an output that is one of the inputs or another output.

    ``inputs`` and ``outputs`` map an option (``--data``) to a path or a list
    of paths (None: not given). Paths are compared with their links followed,
    and by device and inode where they exist (hard links).
    """
    def items(d):
        for option, paths in d.items():
            if paths is None:
                continue
            for p in (paths if isinstance(paths, (list, tuple)) else [paths]):
                if p is not None:
                    yield option, p, _identity(resolved(p, option))

    ins = list(items(inputs))
    seen: dict = {}
    for option, path, ident in items(outputs):
        for in_option, in_path, in_ident in ins:
            if ident == in_ident:
                raise InputError(f"{option} {path} would replace the input {in_option} {in_path}; "
                                 "choose another name")
        if ident in seen and seen[ident] != (option, path):
            other, other_path = seen[ident]
            raise InputError(f"{other} {other_path} and {option} {path} are the same file; "
                             "give each its own name")
        seen.setdefault(ident, (option, path))


def out_dir(path, option: str = "--out", files: tuple[str, ...] = ()) -> Path:
    """Create directory ``path`` if needed and check that files can be written in it,
    and that none of ``files`` in it is something a write must not replace."""
    path = check_path_text(path, option, directory=True)
    resolved(path, option)
    for name in files:
        check_path_text(path / name, option)
    try:
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(0, f"{path} is not a directory")
        path.mkdir(parents=True, exist_ok=True)
        _probe(path)
    except OSError as e:
        raise InputError(f"{option} cannot be written: {path} ({_why_unwritable(path, e)})") from None
    for name in files:
        _replaceable(path / name, option)
    return path


def file_path(path, option: str, suffixes: tuple[str, ...] | None = None) -> Path:
    """Check that a file can be written at ``path`` (its directory must exist) before any work.

    A directory, device, FIFO or socket at ``path`` is refused; a symbolic link
    is followed (its target is written, see :mod:`costlab.fileio`).
    """
    path = check_path_text(path, option)
    resolved(path, option)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InputError(f"{option} must end in {' or '.join(suffixes)}, got {str(path)!r}")
    parent = _replaceable(path, option).parent
    try:
        if not parent.is_dir():
            raise FileNotFoundError(0, f"no directory {parent}")
        _probe(parent)
    except OSError as e:
        raise InputError(f"{option} cannot be written: {path} ({_why_unwritable(parent, e)})") from None
    return path


def figure_path(path, option: str = "--plot") -> Path:
    """Check that a figure can be written at ``path`` (.png or .svg; its directory must exist)."""
    return file_path(path, option, FIGURE_SUFFIXES)


#: The files this command has written so far, named when it fails or is interrupted midway.
WRITTEN: list[Path] = []


def write_or_fail(path, write) -> None:
    """``write(path)``, turning an OSError (disk full, ...) into one line and exit status 1
    that names the files already written."""
    try:
        write(path)
    except OSError as e:
        done = f"; already written: {', '.join(map(str, WRITTEN))}" if WRITTEN else "; no file was written"
        raise CommandFailed(f"cannot write {path}: {e.strerror or e}{done}") from None
    WRITTEN.append(Path(path))


def stdout_console():
    """A Rich console for results: terminal width, or 160 columns when output is piped."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def call_core(fn, *args, **kwargs):
    """Call a core function, reporting its argument errors as input errors.

    ValueError (the core's answer to bad arguments), a floating-point overflow
    and a diverging run (numbers too large to train with) become one line
    with exit status 2. Anything else is a bug and keeps its traceback.
    """
    import numpy as np

    from costlab.network import TrainingDiverged

    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return fn(*args, **kwargs)
    except ValueError as e:
        raise InputError(str(e)) from None
    except FloatingPointError as e:
        raise InputError(f"numbers too large to train with ({e}); try smaller ones") from None
    except TrainingDiverged as e:
        raise InputError(str(e)) from None


def checkpoints(epochs: int) -> list[int]:
    """The epochs a summary reports: 0, 50, 150 and the last, as far as training went."""
    return sorted({e for e in (0, 50, 150) if e <= epochs} | {epochs})


#: What --cost accepts, for --help (kept here as text so that --help imports no NumPy).
COST_SPEC_HELP = (
    "A cost spec: quadratic, cross-entropy, log-likelihood, focal or kl, with optional parameters "
    "(cross-entropy(pos_weight=3), cross-entropy(smoothing=0.1), log-likelihood(class_weight=balanced), "
    "focal(gamma=2, alpha=0.25)), or a formula in a and y such as \"(a - y)**4/4\" "
    "(0 ln 0 = 0: \"y*ln(y/a) + (1-y)*ln((1-y)/(1-a))\" is the KL divergence)."
)


def cost_spec(text: str, option: str = "--cost", activation: str | None = None) -> str:
    """The canonical text of one cost spec; InputError (exit 2) naming ``option`` if it is refused.

    With ``activation``, the cost must also train that output activation.
    """
    from costlab.costs import get_cost

    try:
        cost = get_cost(text)
    except ValueError as e:
        raise InputError(f"{option}: {e}") from None
    if activation is not None and activation not in cost.activations:
        raise InputError(f"{option}: the {cost.name} cost does not fit a {activation} output "
                         f"(it takes: {', '.join(cost.activations)})")
    return cost.name


#: Most items of a list option (--costs, --etas): each is a run or a curve.
MAX_LIST_ITEMS = 16


def cost_specs(text: str, option: str = "--costs", activation: str | None = None) -> list[str]:
    """Cost specs split on the commas outside parentheses, each checked; duplicates dropped;
    at most MAX_LIST_ITEMS."""
    from costlab.costs import split_specs

    try:
        items = split_specs(text)
    except ValueError as e:
        raise InputError(f"{option}: {e}") from None
    if len(items) > MAX_LIST_ITEMS:
        raise InputError(f"{option} names {len(items)} costs; at most {MAX_LIST_ITEMS}")
    return list(dict.fromkeys(cost_spec(item, option, activation) for item in items))
