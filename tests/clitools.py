"""Running the costlab command in tests: in-process, through main(), or as a real process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from click.testing import CliRunner

from costlab.cli import cli, main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    """Run ``costlab ARGS`` in-process; return (exit status, stdout, stderr)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], prog_name="costlab")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def run_main(*args):
    """Run ``main(ARGS)`` in-process, with costlab's own one-line errors; (exit status, stdout, stderr)."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = e.code
    return code, out.getvalue().decode(), err.getvalue().decode()


def run_process(*args, cwd=None, timeout=120):
    """Run ``python -m costlab ARGS`` as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "costlab", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=cwd,
    )


def strict_json(text):
    """Parse JSON that must not contain NaN or Infinity."""
    def refuse(name):
        raise AssertionError(f"{name} in JSON")
    return json.loads(text, parse_constant=refuse)


def interruptible():
    """In the child before it starts: Ctrl-C (SIGINT) delivered and handled as by a terminal's shell.

    A test process may have SIGINT blocked or ignored by what ran before it (browsers, servers), and a
    child inherits both; Python installs its KeyboardInterrupt handler only where SIGINT is not ignored.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGINT, signal.SIG_DFL)
