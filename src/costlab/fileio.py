"""Safe writes: every file costlab writes goes to a temporary file renamed into place.

A crash or a full disk in the middle of a write leaves the old file (or no
file), never a truncated one.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_open", "atomic_write", "write_json", "check_writable_dir"]


@contextmanager
def atomic_open(path, mode="w", encoding="utf-8"):
    """Open a temporary file beside ``path``; on success rename it onto ``path``.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
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
