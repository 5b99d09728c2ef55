"""Hostile and careless output paths: writes replace only regular files of ours.

Directories, devices, FIFOs and sockets at an output path are refused with one
line and exit 2; a symbolic link is followed (its target is written
atomically, the link stays), a dangling one refused; temporary files of a
killed write are removed by the next write to the same place.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from clitools import run_main
from costlab.fileio import NotARegularFile, atomic_write, write_json

NEURON = ("neuron", "--w", "1", "--b", "1", "--epochs", "3")


def special(tmp_path, kind):
    """A path of the given kind under tmp_path (or a real device)."""
    path = tmp_path / f"target-{kind}.png"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()
    elif kind == "device":
        return "/dev/null"
    elif kind == "link-to-device":
        path.symlink_to("/dev/null")
    elif kind == "link-to-fifo":
        os.mkfifo(tmp_path / "fifo")
        path.symlink_to(tmp_path / "fifo")
    elif kind == "dangling-link":
        path.symlink_to(tmp_path / "nowhere.png")
    return path


KINDS = ["fifo", "dir", "socket", "device", "link-to-device", "link-to-fifo", "dangling-link"]


@pytest.mark.parametrize("kind", KINDS)
def test_atomic_write_refuses_what_is_not_a_regular_file(tmp_path, kind):
    path = special(tmp_path, kind)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(NotARegularFile):
        atomic_write(path, "x")
    assert sorted(os.listdir(tmp_path)) == before
    if kind == "device":
        assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", ["--save", "--checkpoint", "--plot"])
def test_train_output_options_refuse_special_files(tmp_path, kind, option):
    path = special(tmp_path, kind)
    if kind == "device" and option == "--plot":
        path = "/dev/zero/../null.png"  # not a directory on the way: refused as well
    code, out, err = run_main("train", "--data", "digits", "--epochs", "1", "--limit", "50", option, path)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and ("replaces only regular files" in lines[0] or "not a directory" in lines[0])
    assert not os.path.isfile(path)


@pytest.mark.parametrize("kind", ["fifo", "dir", "socket"])
def test_out_directories_refuse_special_files_inside(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    name = out / "table.md"
    if kind == "fifo":
        os.mkfifo(name)
    elif kind == "dir":
        name.mkdir()
    else:
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(name))
        s.close()
    code, _, err = run_main("reproduce", "--out", out, "--epochs", "2")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "table.md" in err and os.listdir(out) == ["table.md"]


def test_a_link_is_followed_and_its_target_written(tmp_path):
    real = tmp_path / "real.png"
    real.write_bytes(b"old")
    link = tmp_path / "link.png"
    link.symlink_to(real)
    code, _, err = run_main(*NEURON, "--plot", link)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.png", "real.png"]


def test_a_killed_write_leaves_a_temp_file_that_the_next_write_removes(tmp_path):
    target = tmp_path / "model.json"
    script = (
        "import sys, costlab.fileio as f\n"
        "with f.atomic_open(sys.argv[1]) as fh:\n"
        "    fh.write('partial'); fh.flush(); print('writing', flush=True); sys.stdin.read()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temps) == 1 and f".{proc.pid}." in temps[0].name
        # a write while the other is still running leaves its temporary file alone
        write_json(tmp_path / "model.json", {"a": 1})
        assert temps[0].exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdin.close()
        proc.stdout.close()
    assert not target.exists() or target.read_text() != "partial"
    assert temps[0].exists()                       # the killed write left it behind
    other = tmp_path / ".other.json.1.abcdefgh.tmp"  # another file's temporary: not ours to remove
    other.write_text("x")
    write_json(target, {"a": 2})
    assert not temps[0].exists()
    assert other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.1.abcdefgh.tmp", "model.json"]


def test_a_write_replaced_meanwhile_by_a_fifo_is_refused(tmp_path):
    """The check is repeated just before the rename."""
    from costlab import fileio

    path = tmp_path / "x.json"
    with pytest.raises(NotARegularFile):
        with fileio.atomic_open(path) as f:
            f.write("{}")
            os.mkfifo(path)
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"] and not path.is_file()
