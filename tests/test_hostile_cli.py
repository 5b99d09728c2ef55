"""Hostile and careless command lines: every numeric option is bounded, networks
are capped by the memory they would take, Ctrl+C ends parallel commands and
their workers promptly, and a command that stops midway names what it wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
import pytest

from clitools import interruptible, run_main
from costlab.cli import cli
from costlab.cli._common import MAX_PARAMETERS, Count, Number


def all_commands():
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            sub = click.Context(command)
            for subname in command.list_commands(sub):
                yield f"{name} {subname}", command.get_command(sub, subname)
        yield name, command


def test_every_numeric_option_has_a_documented_upper_bound():
    seen = 0
    for name, command in all_commands():
        for param in command.params:
            if isinstance(param.type, (Number, Count)):
                seen += 1
                assert param.type.bound.hi is not None, f"costlab {name} {param.opts[0]} has no upper bound"
                metavar = param.type.get_metavar(param, None)
                assert metavar.endswith(param.type.bound.limits()) and "]" in metavar, metavar
            assert not isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)), \
                f"costlab {name} {param.opts[0]}: a bare number type"
    assert seen >= 30


@pytest.mark.parametrize("args, needle", [
    (["derive", "matching", "--time-limit", "1e10"], "--time-limit"),
    (["neuron", "--w", "1", "--b", "1", "--epochs", "1000000000"], "--epochs"),
    (["reproduce", "--epochs", "10000000"], "--epochs"),
    (["neuron", "--w", "1e300", "--b", "1"], "--w"),
    (["train", "--epochs", "99999999"], "--epochs"),
    (["train", "--seed", str(2**64)], "--seed"),
    (["compare", "--workers", "999"], "--workers"),
    (["map", "--workers", "999"], "--workers"),
    (["compare", "--seeds", "100000"], "--seeds"),
    (["report", "--map-points", "100000"], "--map-points"),
])
def test_values_beyond_the_bounds_are_one_line_and_exit_2(args, needle):
    t = time.perf_counter()
    code, out, err = run_main(*args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert time.perf_counter() - t < 5


@pytest.mark.parametrize("command", ["train", "compare"])
def test_the_size_of_a_network_is_capped_by_its_memory(command):
    code, _, err = run_main(command, "--sizes", "64,20000,20000,10", "--epochs", "1")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "401,520,010" in err and "GiB in memory" in err and f"{MAX_PARAMETERS:,}" in err


def children_of(pid):
    """The process ids of ``pid``'s children (Linux /proc)."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out



def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("args", [
    ["compare", "--seeds", "12", "--epochs", "30", "--workers", "2", "--init", "large", "-q"],
    # two step sizes: almost every start has a z0 = w + b of its own, so no two share a neuron
    ["map", "--w", "-6:6:301", "--b", "-6:6:297", "--epochs", "3000", "--workers", "2"],
])
def test_ctrl_c_ends_a_parallel_command_and_its_workers_within_two_seconds(args):
    if os.cpu_count() < 2 or len(os.sched_getaffinity(0)) < 2:
        pytest.fail("this test needs two cores")
    proc = subprocess.Popen([sys.executable, "-m", "costlab", *args], stdout=subprocess.DEVNULL, preexec_fn=interruptible,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        workers = []
        while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
            time.sleep(0.2)
            workers = children_of(proc.pid)
        assert len(workers) >= 2, "the workers did not start"
        time.sleep(1.0)  # let them take work
        t = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        took = time.monotonic() - t
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()
    assert took < 2, f"took {took:.1f} s to stop"
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    end = time.monotonic() + 2
    while time.monotonic() < end and any(map(alive, workers)):
        time.sleep(0.05)
    assert not any(map(alive, workers)), "a worker outlived the command"


def test_a_command_that_fails_midway_names_the_files_it_wrote(tmp_path, monkeypatch):
    import costlab.cli.reproduce as reproduce

    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "cost-vs-epoch.svg")
    code, _, err = run_main("reproduce", "--out", out, "--epochs", "3")
    assert code == 2 and "cost-vs-epoch.svg is a FIFO" in err       # refused before any work
    assert os.listdir(out) == ["cost-vs-epoch.svg"]
    # a FIFO that appears where the command did not look: it stops midway and says what it wrote
    monkeypatch.setattr(reproduce, "FIGURE_STEMS", ())
    code, _, err = run_main("reproduce", "--out", out, "--epochs", "3")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "cost-vs-epoch.svg" in err and "already written:" in err and "results.json" in err
