"""The formula worker: SymPy's work on users' formulas, in a process of bounded memory and time.

Started by :mod:`costlab.derive.budget` as ``python -m costlab.derive._worker
MEMORY_BYTES``. It limits its own address space to MEMORY_BYTES, says
``{"ready": true}``, then answers one JSON request a line,
``{"task": name, "args": [...], "seconds": s}`` (a task of
:data:`costlab.derive.budget.TASKS`), with ``{"ok": result}`` or
``{"error": kind, "message": text}``; before each request its processor time
is limited to what it has used plus ``s`` (the parent kills it at ``s`` of
wall time anyway). It runs at a lower priority (nice 10) than the process
that started it, so that a page answering other requests is not slowed. It exits when its stdin closes, and after running out of
memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def _limit(kind, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


def _answer(request) -> dict:
    from costlab.derive.symbols import DeriveError, NoClosedForm

    from costlab.derive.budget import TASKS

    task = TASKS.get(request.get("task")) if isinstance(request, dict) else None
    args = request.get("args") if isinstance(request, dict) else None
    if task is None or not isinstance(args, list):
        return {"error": "refused", "message": "unknown request"}
    seconds = request.get("seconds", 10)
    used = resource.getrusage(resource.RUSAGE_SELF)
    _limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime + float(seconds)) + 2)
    try:
        return {"ok": task(*args)}
    except DeriveError as e:
        return {"error": "refused", "message": str(e)}
    except NoClosedForm as e:
        return {"error": "no_closed_form", "message": str(e)}
    except MemoryError:
        return {"error": "memory"}
    except RecursionError:
        return {"error": "refused", "message": "the formula is nested too deeply for SymPy"}
    except Exception as e:  # noqa: BLE001 - SymPy gave up on the formula: one line, not a traceback
        text = " ".join(str(e).split())[:200]
        return {"error": "failed", "message": f"SymPy could not work with this formula ({type(e).__name__}: {text})"}


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 768 << 20
    _limit(resource.RLIMIT_AS, memory)
    _limit(resource.RLIMIT_CORE, 0)
    try:
        os.nice(10)  # the process that asked (a page answering others, say) comes first
    except OSError:
        pass
    import costlab.derive.budget as budget

    budget.IN_WORKER = True
    import sympy  # noqa: F401 - imported before saying ready, so the first budget is SymPy's work alone

    # the modules whose tasks a request may name register them when imported
    import costlab.derive.command  # noqa: F401
    import costlab.derive.numeric  # noqa: F401
    import costlab.derive.parse  # noqa: F401

    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
        except ValueError:
            request = None
        reply = _answer(request)
        try:
            text = json.dumps(reply, allow_nan=False)
        except (ValueError, MemoryError):
            reply, text = {"error": "memory"}, '{"error": "memory"}'
        out.write(text.encode() + b"\n")
        out.flush()
        if reply.get("error") == "memory":
            return  # a process that ran out of memory once is not trusted again


if __name__ == "__main__":
    main()
