"""Safe writes: every file costlab writes goes to a temporary file renamed into place.

A crash or a full disk in the middle of a write leaves the old file (or no
file), never a truncated one. A write replaces only a regular file: a
directory, a device, a FIFO or a socket at the path is refused
(:class:`NotARegularFile`). A symbolic link is followed: its target is
written atomically (a temporary file beside the target, renamed onto it) and
the link stays; a link whose target does not exist is refused.

The temporary file is named ``.NAME.PID.XXXXXXXX.tmp``; one left behind by a
write that was killed (its process no longer exists) is removed by the next
write to the same place.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "NotARegularFile", "atomic_open", "atomic_write", "check_writable_dir", "open_regular", "read_regular_file",
    "write_json", "write_target",
]


class NotARegularFile(OSError):
    """The path names something that a write must not replace (a directory, a device, ...)."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def write_target(path) -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or the target of the link at ``path``.

    Raises :class:`NotARegularFile` when that is anything but a regular file
    or nothing, or when ``path`` is a link to nothing.
    """
    path = Path(path)
    target = path
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not os.path.lexists(target):
            raise NotARegularFile(f"{path} is a symbolic link to {target}, which does not exist")
    try:
        mode = os.stat(target).st_mode
    except OSError:  # nothing there (or no way there): the write itself reports why it fails
        return target
    if not stat.S_ISREG(mode):
        what = _kind(mode)
        raise NotARegularFile(f"{path} is {what}" if target == path else f"{path} links to {target}, {what}")
    return target


def _clean_stale(directory: Path, name: str) -> None:
    """Remove temporary files of earlier writes to ``directory/name`` whose process has ended."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp")
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or _alive(pid):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


@contextmanager
def atomic_open(path, mode="w", encoding="utf-8"):
    """Open a temporary file beside ``path``; on success rename it onto ``path``.

    On an exception the temporary file is removed and ``path`` is untouched.
    ``path`` must be a regular file, nothing, or a link to a regular file (see
    the module's documentation); :class:`NotARegularFile` otherwise.
    """
    path = write_target(path)
    _clean_stale(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        write_target(path)  # nothing else took its place meanwhile
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _mode_for(path: Path) -> int:
    """The permission bits of the file at ``path`` if it exists, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path, data) -> None:
    """Write ``data`` (str or bytes) to ``path`` atomically."""
    with atomic_open(path, "wb" if isinstance(data, (bytes, bytearray)) else "w") as f:
        f.write(data)


def write_json(path, obj, *, indent=None) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (NaN and infinity are refused)."""
    atomic_write(path, json.dumps(obj, indent=indent, allow_nan=False) + "\n")


def check_writable_dir(path) -> Path:
    """Create directory ``path`` if needed and check it can be written; OSError otherwise."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a directory")
    fd, tmp = tempfile.mkstemp(prefix=".costlab-write-test.", dir=path)
    os.close(fd)
    os.unlink(tmp)
    return path


# --------------------------------------------------------------------------- #
# Reading: regular files only, sizes checked before reading
# --------------------------------------------------------------------------- #

def open_regular(path, error=ValueError):
    """Open the regular file at ``path`` (a link to one is followed) for binary reading.

    A FIFO (opened without waiting for a writer), a device, a directory or a
    socket is refused with ``error(message)``, and so is a missing file.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{path} is {_kind(mode)}; costlab reads only regular files")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular_file(path, max_bytes: int, error=ValueError) -> bytes:
    """The bytes of the regular file at ``path`` (see :func:`open_regular`), refused with
    ``error(message)`` when larger than ``max_bytes``, before it is read."""
    with open_regular(path, error) as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise error(f"{path}: file too large ({size} bytes; the limit is {max_bytes})")
        try:
            raw = f.read(max_bytes + 1)
        except OSError as e:
            raise error(f"{path}: cannot read: {e.strerror or e}") from None
    if len(raw) > max_bytes:
        raise error(f"{path}: file too large (over {max_bytes} bytes)")
    return raw
