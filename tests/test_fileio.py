"""Tests of costlab.fileio: every write goes to a temporary file renamed into place.

What must hold: the target ends with exactly the new contents, or (on any
failure) exactly the old ones; no temporary file is ever left behind; the
rename is ``os.replace`` from a file in the same directory.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from costlab import fileio
from costlab.fileio import atomic_open, atomic_write, check_writable_dir, write_json


def listing(directory):
    """Names in ``directory`` (temporary files start with '.', so list everything)."""
    return sorted(os.listdir(directory))


# --------------------------------------------------------------------------- #
# atomic_write
# --------------------------------------------------------------------------- #

def test_atomic_write_str_is_utf8(tmp_path):
    path = tmp_path / "out.txt"
    text = "C = -[y ln a + (1 - y) ln(1 - a)]  \u03c3'(z) \u2264 1/4\n"
    atomic_write(path, text)
    assert path.read_bytes() == text.encode("utf-8")
    assert listing(tmp_path) == ["out.txt"]


@pytest.mark.parametrize("data", [b"\x00\x01\xffbinary\n", bytearray(b"\x08\x03bytes"), b""])
def test_atomic_write_bytes(tmp_path, data):
    path = tmp_path / "out.bin"
    atomic_write(path, data)
    assert path.read_bytes() == bytes(data)
    assert listing(tmp_path) == ["out.bin"]


def test_atomic_write_accepts_str_path(tmp_path):
    path = str(tmp_path / "p.txt")
    atomic_write(path, "abc")
    with open(path) as f:
        assert f.read() == "abc"


def test_atomic_write_replaces_an_existing_file_with_os_replace(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text("old contents, longer than the new ones\n")
    calls = []
    real_replace = os.replace

    def spy(src, dst, *args, **kwargs):
        calls.append((os.fspath(src), os.fspath(dst)))
        # at the moment of the rename the new data is complete in the temporary file
        with open(src, "rb") as f:
            calls.append(f.read())
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(fileio.os, "replace", spy)
    with open(path, "rb") as reader:  # a reader that opened the old file keeps seeing it
        atomic_write(path, b"new\n")
        assert reader.read() == b"old contents, longer than the new ones\n"
    assert path.read_bytes() == b"new\n"
    (src, dst), written = calls
    assert written == b"new\n"
    assert os.path.dirname(src) == str(tmp_path)  # same directory: a rename, not a copy
    assert dst == str(path)
    assert not os.path.exists(src)
    assert listing(tmp_path) == ["model.json"]


@pytest.mark.parametrize("existing_mode", [None, 0o644, 0o640])
def test_atomic_write_leaves_the_permissions_a_plain_write_would(tmp_path, existing_mode):
    """A saved model must be as readable as any file the user writes.

    A plain ``open(path, 'w')`` gives a new file 0o666 & ~umask and keeps the
    mode of an existing one. ``tempfile.mkstemp`` creates files 0o600; renamed
    into place unchanged, they would make every saved model private.
    """
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "out.json"
        if existing_mode is None:
            expected = 0o644
        else:
            path.write_text("old")
            os.chmod(path, existing_mode)
            expected = existing_mode
        atomic_write(path, "{}\n")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == expected


def test_atomic_write_crash_mid_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_bytes(b"OLD")
    real_fdopen = os.fdopen

    class DiskFull:
        """Writes half of what it is given, then fails like a full disk."""

        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()
            return False

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.f, name)

    monkeypatch.setattr(fileio.os, "fdopen", lambda *a, **k: DiskFull(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, b"NEW CONTENTS THAT NEVER FULLY ARRIVE")
    assert path.read_bytes() == b"OLD"
    assert listing(tmp_path) == ["model.json"]


def test_atomic_write_failed_rename_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_bytes(b"OLD")

    def fail(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fileio.os, "replace", fail)
    with pytest.raises(PermissionError):
        atomic_write(path, b"NEW")
    assert path.read_bytes() == b"OLD"
    assert listing(tmp_path) == ["model.json"]


def test_atomic_write_into_missing_directory_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no" / "such" / "dir" / "x.txt", "x")
    assert listing(tmp_path) == []


# --------------------------------------------------------------------------- #
# atomic_open
# --------------------------------------------------------------------------- #

def test_atomic_open_writes_only_on_success(tmp_path):
    path = tmp_path / "out.txt"
    with atomic_open(path) as f:
        f.write("part 1, ")
        # nothing is visible at the target before the block ends
        assert not path.exists()
        f.write("part 2")
    assert path.read_text() == "part 1, part 2"
    assert listing(tmp_path) == ["out.txt"]


def test_atomic_open_binary_mode(tmp_path):
    path = tmp_path / "out.bin"
    with atomic_open(path, "wb") as f:
        f.write(b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_atomic_open_removes_temp_on_exception_new_file(tmp_path, exc):
    path = tmp_path / "out.txt"
    with pytest.raises(type(exc)):
        with atomic_open(path) as f:
            f.write("half")
            raise exc
    assert listing(tmp_path) == []


def test_atomic_open_removes_temp_on_exception_existing_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("OLD")
    with pytest.raises(ValueError, match="inside"):
        with atomic_open(path) as f:
            f.write("NEW")
            temps = [n for n in listing(tmp_path) if n != "out.txt"]
            assert len(temps) == 1 and temps[0].startswith(".out.txt.")  # the temp is beside the target
            raise ValueError("inside")
    assert path.read_text() == "OLD"
    assert listing(tmp_path) == ["out.txt"]


# --------------------------------------------------------------------------- #
# write_json
# --------------------------------------------------------------------------- #

def test_write_json_round_trip(tmp_path):
    path = tmp_path / "h.json"
    obj = {"epoch": [0, 1], "cost": [0.5, 0.1 + 0.2], "name": "cross-entropy", "none": None}
    write_json(path, obj)
    text = path.read_text()
    assert text.endswith("\n")
    assert json.loads(text) == obj
    assert json.loads(text)["cost"][1] == 0.1 + 0.2  # shortest repr round-trips exactly


def test_write_json_indent(tmp_path):
    path = tmp_path / "h.json"
    write_json(path, {"a": [1, 2]}, indent=2)
    assert path.read_text() == '{\n  "a": [\n    1,\n    2\n  ]\n}\n'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_write_json_refuses_non_finite_and_leaves_target(tmp_path, bad):
    path = tmp_path / "h.json"
    path.write_text('{"old": true}\n')
    with pytest.raises(ValueError):
        write_json(path, {"w": [[1.0, bad]]})
    assert path.read_text() == '{"old": true}\n'
    assert listing(tmp_path) == ["h.json"]


def test_write_json_refuses_nan_for_a_new_file(tmp_path):
    with pytest.raises(ValueError):
        write_json(tmp_path / "h.json", [float("nan")])
    assert listing(tmp_path) == []


# --------------------------------------------------------------------------- #
# check_writable_dir
# --------------------------------------------------------------------------- #

def test_check_writable_dir_creates_and_leaves_nothing(tmp_path):
    target = tmp_path / "a" / "b"
    assert check_writable_dir(target) == target
    assert target.is_dir()
    assert listing(target) == []
    assert check_writable_dir(str(target)) == target  # existing directory: fine


def test_check_writable_dir_refuses_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OSError):
        check_writable_dir(f)
