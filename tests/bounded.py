"""Running costlab in a child process bounded in memory (RLIMIT_AS) and in time, as hostile tests do."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

#: What anything a user can type or upload may cost: 15 s and 1 GiB of address space.
SECONDS = 15
MEMORY = 1 << 30


def _limits(memory: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_bounded(*args, seconds: float = SECONDS, memory: int = MEMORY, env: dict | None = None, cwd=None):
    """``python -m costlab ARGS`` with at most ``memory`` bytes of address space, killed after ``seconds``.

    Returns (CompletedProcess, elapsed seconds); the caller asserts both.
    """
    t = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "costlab", *map(str, args)], capture_output=True, text=True, timeout=seconds,
        preexec_fn=_limits(memory), env={**os.environ, **(env or {})}, cwd=cwd,
    )
    return p, time.monotonic() - t


def one_line_exit_2(p, needle: str = "") -> None:
    """The costlab way of refusing: nothing on stdout, one line on stderr, exit status 2."""
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:])
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr[-2000:]
    assert "Traceback" not in p.stderr
    assert needle in lines[0], lines[0]
