"""Hostile paths: no output replaces an input or another output of the same command, whatever the links;
loops, names over the file system's limit and trailing slashes are one line and exit 2; nothing on disk
changes. Each case runs in a child of 1 GiB and 15 s.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from bounded import one_line_exit_2, run_bounded
from clitools import run_main


@pytest.fixture()
def place(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X_train=rng.random((20, 4)), y_train=rng.integers(0, 3, 20),
             X_test=rng.random((6, 4)), y_test=rng.integers(0, 3, 6))
    os.symlink("d.npz", tmp_path / "link.npz")
    os.link(tmp_path / "d.npz", tmp_path / "hard.json")
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    (tmp_path / "out").mkdir()
    os.symlink("../d.npz", tmp_path / "out" / "compare.json")
    return tmp_path


def _snapshot(directory):
    return {p.relative_to(directory): (p.is_symlink(), p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(directory.rglob("*"))}


CASES = {
    "save onto the data": (["train", "--save", "d.npz"], "would replace the input --data"),
    "checkpoint onto a link to the data": (["train", "--checkpoint", "link.npz"], "would replace the input --data"),
    "save onto a hard link of the data": (["train", "--save", "hard.json"], "would replace the input --data"),
    "save and checkpoint one file": (["train", "--save", "x.json", "--checkpoint", "x.json"], "are the same file"),
    "plot and checkpoint one file": (["train", "--plot", "x.png", "--checkpoint", "x.png"], "are the same file"),
    "save onto a link loop": (["train", "--save", "loop-a"], "links loop"),
    "save into a new directory": (["train", "--save", "newdir/"], "ends in '/'"),
    "a name over 255 bytes": (["train", "--save", "n" * 300 + ".json"], "over the file system's limit"),
    "plot named over 255 bytes": (["neuron", "--w", "1", "--b", "1", "--plot", "p" * 300 + ".png"], "over the"),
    "compare output linked to the data": (["compare", "--epochs", "1", "--seeds", "1", "--out", "out"],
                                          "would replace the input --data"),
    "data named over 255 bytes": (["train", "--data", "q" * 300 + ".npz"], "--data"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_outputs_never_replace_inputs_or_each_other(place, case):
    args, needle = CASES[case]
    if args[0] in ("train", "compare") and "--data" not in args:
        args = [*args, "--data", "d.npz"]
    before = _snapshot(place)
    p, elapsed = run_bounded(*args, cwd=place)
    one_line_exit_2(p, needle)
    assert elapsed < 15
    assert _snapshot(place) == before


def test_distinct_outputs_are_written(place):
    code, out, err = run_main("train", "--data", str(place / "d.npz"), "--epochs", "1", "-q",
                              "--save", str(place / "m.json"), "--checkpoint", str(place / "c.json"))
    assert code == 0, err
    assert (place / "m.json").is_file() and (place / "c.json").is_file()
    # resuming rewrites its own checkpoint, as it should
    code, out, err = run_main("train", "--data", str(place / "d.npz"), "--epochs", "2", "-q", "--resume",
                              "--checkpoint", str(place / "c.json"))
    assert code == 0, err
