"""SymPy on a user's formula, bounded: every parse, check, derivative and simplification runs here.

A formula of a few dozen characters can ask SymPy for unbounded time or memory
(an expansion of high powers, an evaluation needing a billion digits). The
syntax checks of :mod:`costlab.formula_limits` refuse the known shapes at
once; what they let through is still computed under a budget: in a worker
process (``python -m costlab.derive._worker``) that limits its own address
space (``RLIMIT_AS``) and processor time (``RLIMIT_CPU``), and that this
process kills when its wall-clock time is up or when the caller cancels. A
refusal, a timeout or an exhausted memory is one :class:`DeriveError` line.

Workers are kept between calls (at most :data:`MAX_WORKERS`, each serving one
call at a time), so an ordinary formula costs one round trip; every result,
refusals included, is cached by its text, so a budget is paid once per
formula. Inside a worker, calls run directly. A small formula
(:func:`costlab.formula_limits.is_small`: short, of low degree, shallow) is
worked on in the calling process when that is the main thread of a command,
under a timer of the same budget (``SIGALRM``), so that a command with an
ordinary formula starts no worker.

The callers: :func:`costlab.derive.parse.parse_activation` and
:func:`~costlab.derive.parse.parse_cost` (so ``get_cost``, the command line,
the page and ``costlab.derive`` all pass here), :func:`costlab.derive.numeric.cost_formula`
(the cost with its derivatives) and ``costlab derive`` (a whole derivation of a
user's formula). Results cross the pipe as JSON; an expression as the tree of
:func:`encode`, rebuilt by :func:`decode` from a fixed table of SymPy classes,
so nothing read from the pipe is evaluated or unpickled.

The budget of a call is :func:`current`: :data:`DEFAULT_SECONDS` and
:data:`DEFAULT_MEMORY_BYTES`, or the environment's ``COSTLAB_FORMULA_SECONDS``
and ``COSTLAB_FORMULA_MEMORY_MB``, or what a :func:`limits` block says.
"""

from __future__ import annotations

import atexit
import contextvars
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from costlab.derive.symbols import DeriveError

__all__ = ["Budget", "FormulaTooCostly", "SymPyFailed", "task", "timer", "MAX_WORKERS", "WorkersBusy", "current", "decode", "encode", "limits", "run"]

#: Wall-clock seconds SymPy may spend on one formula (its parse, checks and derivatives together).
DEFAULT_SECONDS = 10.0
#: Address space of a worker process, in bytes.
DEFAULT_MEMORY_BYTES = 768 << 20
#: Worker processes at once.
MAX_WORKERS = 2
#: Seconds a worker may take to start (import SymPy), not counted in the budget.
START_SECONDS = 30.0
#: Longest answer a worker may send, in bytes.
MAX_ANSWER_BYTES = 4 << 20
#: Most nodes of an expression sent back (a derivative that large is no formula to train with).
MAX_NODES = 5000


class FormulaTooCostly(DeriveError):
    """SymPy needed more time or memory than the budget allows for a formula.

    ``limit`` says which: ``"time"``, ``"memory"`` or ``"cancelled"``.
    """

    def __init__(self, message: str, limit: str = "time"):
        super().__init__(message)
        self.limit = limit


class SymPyFailed(DeriveError):
    """SymPy raised an error of its own on a formula (one line says which)."""


class WorkersBusy(RuntimeError):
    """Every worker is busy and the caller asked not to wait (the page answers 503)."""


@dataclass(frozen=True)
class Budget:
    """What one call may spend: ``seconds`` of wall time, ``memory`` bytes of address space.

    ``wait``: whether to wait for a free worker (else :class:`WorkersBusy`);
    ``cancel``: an event that, once set, ends the call (its worker killed).
    """

    seconds: float = DEFAULT_SECONDS
    memory: int = DEFAULT_MEMORY_BYTES
    wait: bool = True
    cancel: threading.Event | None = None


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("costlab_formula_budget", default=None)


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise DeriveError(f"{name} must be a positive number, got {raw[:40]!r}")
    return value


def current() -> Budget:
    """The budget in force: a :func:`limits` block's, else the environment's, else the defaults."""
    budget = _BUDGET.get()
    if budget is not None:
        return budget
    return Budget(seconds=_env_number("COSTLAB_FORMULA_SECONDS", DEFAULT_SECONDS),
                  memory=int(_env_number("COSTLAB_FORMULA_MEMORY_MB", DEFAULT_MEMORY_BYTES / 2**20) * 2**20))


@contextmanager
def limits(**changes):
    """Inside the block, formulas are worked on under ``current()`` with ``changes`` (seconds, memory, wait, cancel)."""
    token = _BUDGET.set(replace(current(), **changes))
    try:
        yield
    finally:
        _BUDGET.reset(token)


# --------------------------------------------------------------------------- #
# Expressions as JSON trees
# --------------------------------------------------------------------------- #

def _classes():
    import sympy as sp

    return {
        "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow, "Max": sp.Max, "Min": sp.Min,
        "exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan,
        "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "asinh": sp.asinh, "erf": sp.erf, "Abs": sp.Abs,
        "sign": sp.sign, "Heaviside": sp.Heaviside, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
        "sech": sp.sech, "csch": sp.csch, "coth": sp.coth,
    }


def encode(expr) -> list:
    """``expr`` as a JSON tree: ``["s", name]``, ``["i", digits]``, ``["q", p, q]``, ``["f", text]``,
    ``["c", "pi" | "E"]``, ``[class name, child, ...]``; DeriveError for a node outside the table."""
    import sympy as sp

    from costlab.derive.render import _text

    table = {cls: name for name, cls in _classes().items()}
    count = [0]

    def walk(node):
        count[0] += 1
        if count[0] > MAX_NODES:
            raise DeriveError(f"the formula's derivatives are too large to compute with (over {MAX_NODES} terms)")
        if isinstance(node, sp.Symbol):
            return ["s", node.name]
        if isinstance(node, sp.Integer):
            return ["i", str(int(node))]
        if isinstance(node, sp.Rational):
            return ["q", str(node.p), str(node.q)]
        if isinstance(node, sp.Float):
            return ["f", repr(float(node))]
        if node is sp.pi or node is sp.E:
            return ["c", "pi" if node is sp.pi else "E"]
        name = table.get(node.func)
        if name is None:
            raise DeriveError(f"cannot compute {_text(node)} numerically ({type(node).__name__})")
        return [name, *(walk(arg) for arg in node.args)]

    return walk(expr)


def decode(tree):
    """The SymPy expression of a tree made by :func:`encode` (built unevaluated, as it was)."""
    import sympy as sp

    from costlab.derive.symbols import a, y, z

    symbols = {"a": a, "y": y, "z": z}
    classes = _classes()

    def build(node):
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise DeriveError("a malformed expression came back from the formula worker")
        kind, *args = node
        if kind == "s" and args[0] in symbols:
            return symbols[args[0]]
        if kind == "i":
            return sp.Integer(int(args[0]))
        if kind == "q":
            return sp.Rational(int(args[0]), int(args[1]))
        if kind == "f":
            return sp.Float(float(args[0]))
        if kind == "c":
            return sp.pi if args[0] == "pi" else sp.E
        if kind in classes:
            return classes[kind](*(build(arg) for arg in args), evaluate=False)
        raise DeriveError("a malformed expression came back from the formula worker")

    return build(tree)


# --------------------------------------------------------------------------- #
# Workers
# --------------------------------------------------------------------------- #

#: The work that may be asked for, by name: registered by the modules that do it (:func:`task`).
TASKS: dict = {}
#: Set by the worker process itself: there, calls run directly.
IN_WORKER = False


def task(name: str):
    """Register the decorated function as the task ``name`` (its arguments and result: JSON values)."""
    def register(fn):
        TASKS[name] = fn
        return fn
    return register


class _Dead(Exception):
    """The worker ended (killed by its memory or processor limit, or crashed) without answering."""


class _Worker:
    """One worker process, talking JSON lines over its stdin and stdout."""

    def __init__(self, memory: int):
        import costlab

        self.memory = memory
        root = str(Path(costlab.__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "costlab.derive._worker", str(memory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
        )
        self._buffer = b""
        try:
            if self._line(time.monotonic() + START_SECONDS, None) != {"ready": True}:
                raise _Dead()
        except BaseException:
            self.kill()
            raise

    def call(self, request: dict, budget: Budget) -> dict:
        self.proc.stdin.write(json.dumps({**request, "seconds": budget.seconds}).encode() + b"\n")
        self.proc.stdin.flush()
        return self._line(time.monotonic() + budget.seconds, budget.cancel)

    def _line(self, deadline: float, cancel) -> dict:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            if cancel is not None and cancel.is_set():
                raise _Cancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError()
            ready, _, _ = select.select([fd], [], [], min(left, 0.05))
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise _Dead()
                self._buffer += chunk
                if len(self._buffer) > MAX_ANSWER_BYTES:
                    raise DeriveError("the formula's result is too large")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


class _Cancelled(Exception):
    pass


class _Pool:
    """At most MAX_WORKERS workers of this process, each lent to one call at a time."""

    def __init__(self):
        self.pid = os.getpid()
        self.idle: list[_Worker] = []
        self.count = 0
        self.cond = threading.Condition()

    def take(self, budget: Budget) -> _Worker | None:
        """An idle worker (None: start one), waiting for one if all are busy and ``budget.wait``."""
        deadline = time.monotonic() + budget.seconds
        with self.cond:
            while True:
                for w in self.idle:
                    if w.memory == budget.memory and w.alive():
                        self.idle.remove(w)
                        return w
                if self.idle:  # workers of another memory limit, or dead ones: make room
                    self.idle.pop().kill()
                    self.count -= 1
                if self.count < MAX_WORKERS:
                    self.count += 1
                    return None
                if not budget.wait:
                    raise WorkersBusy("every formula worker is busy")
                left = deadline - time.monotonic()
                if left <= 0 or (budget.cancel is not None and budget.cancel.is_set()):
                    raise FormulaTooCostly("no formula worker became free in time")
                self.cond.wait(min(left, 0.05))

    def give_back(self, worker: _Worker | None) -> None:
        with self.cond:
            if worker is not None and worker.alive():
                self.idle.append(worker)
            else:
                if worker is not None:
                    worker.kill()
                self.count -= 1
            self.cond.notify()

    def close(self) -> None:
        with self.cond:
            for w in self.idle:
                w.kill()
            self.count -= len(self.idle)
            self.idle.clear()


_pool: _Pool | None = None
_pool_lock = threading.Lock()
#: Pools a forked child inherited: its parent's workers, kept referenced and never touched.
_inherited: list = []


def _the_pool() -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():  # a forked child starts its own
            if _pool is not None:
                _inherited.append(_pool)
            _pool = _Pool()
        return _pool


@atexit.register
def _close_workers() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()


# --------------------------------------------------------------------------- #
# Calls, and their cache
# --------------------------------------------------------------------------- #

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 512
_cache_lock = threading.Lock()


def run(task: str, *args, small: bool = False):
    """``TASKS[task](*args)`` (see :mod:`costlab.derive._worker`) under the :func:`current` budget.

    The answer is cached by (task, args). Raises DeriveError (the formula is
    refused), :class:`FormulaTooCostly` (over the budget), :class:`SymPyFailed`,
    NoClosedForm, or :class:`WorkersBusy`. ``small``: the caller vouches that
    the work is small (see the module's documentation).
    """
    if IN_WORKER:
        return TASKS[task](*args)
    budget = current()
    key = json.dumps([task, *args])
    with _cache_lock:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    if hit is not None and (hit[0] != "costly" or hit[3] >= budget.seconds):
        return _answer(hit)
    if small and budget.cancel is None and _may_time_here():
        answer = _call_here(task, args, budget)
    else:
        answer = _call({"task": task, "args": list(args)}, budget)
    if answer[0] != "cancelled":
        with _cache_lock:
            _CACHE[key] = answer
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return _answer(answer)


def _answer(answer):
    from costlab.derive.symbols import NoClosedForm

    kind, value = answer[0], answer[1]
    if kind == "ok":
        return value
    if kind == "no_closed_form":
        raise NoClosedForm(value)
    if kind == "costly":
        raise FormulaTooCostly(value, answer[2])
    if kind == "cancelled":
        raise FormulaTooCostly(value, "cancelled")
    if kind == "failed":
        raise SymPyFailed(value)
    raise DeriveError(value)


def _may_time_here() -> bool:
    import signal

    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))


class _TimeUp(BaseException):
    """Raised by the timer; a BaseException, so that no ``except Exception`` in SymPy swallows it."""


@contextmanager
def timer():
    """Inside the block, SymPy's work in this process is given up after the budget's seconds
    (:class:`FormulaTooCostly`), where this is the main thread; elsewhere (and in a worker, which
    the parent bounds) the block runs as it is.

    For the derivations of :mod:`costlab.derive` called from Python on a
    user's formula: ``costlab derive`` sends those to a worker instead.
    """
    import signal

    if IN_WORKER or not _may_time_here():
        yield
        return
    seconds = current().seconds

    def on_alarm(signum, frame):
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _TimeUp:
        raise FormulaTooCostly(f"SymPy needed more than {seconds:g} s for this formula; write it more simply",
                               "time") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call_here(task: str, args: tuple, budget: Budget):
    """The task in this process (the main thread), given up by a timer after ``budget.seconds``."""
    import signal

    from costlab.derive.symbols import NoClosedForm

    def on_alarm(signum, frame):
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, budget.seconds)
    try:
        return ("ok", TASKS[task](*args))
    except _TimeUp:
        return ("costly", f"SymPy needed more than {budget.seconds:g} s for this formula; write it more simply",
                "time", budget.seconds)
    except NoClosedForm as e:
        return ("no_closed_form", str(e))
    except DeriveError as e:
        return ("refused", str(e))
    except RecursionError:
        return ("refused", "the formula is nested too deeply for SymPy")
    except Exception as e:  # noqa: BLE001 - SymPy gave up on the formula: one line, not a traceback
        text = " ".join(str(e).split())[:200]
        return ("failed", f"SymPy could not work with this formula ({type(e).__name__}: {text})")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _call(request: dict, budget: Budget):
    pool = _the_pool()
    worker = pool.take(budget)
    try:
        if worker is None:
            worker = _Worker(budget.memory)
        reply = worker.call(request, budget)
    except TimeoutError:
        if worker is not None:
            worker.kill()
        return ("costly", f"SymPy needed more than {budget.seconds:g} s for this formula; write it more simply",
                "time", budget.seconds)
    except _Cancelled:
        if worker is not None:
            worker.kill()
        return ("cancelled", "stopped while SymPy worked on the formula")
    except DeriveError as e:  # an answer too large to read: the worker is not reused
        if worker is not None:
            worker.kill()
        return ("refused", str(e))
    except (_Dead, OSError, ValueError):
        if worker is not None:
            worker.kill()
        return ("costly", f"SymPy needed more than {budget.memory / 2**20:,.0f} MiB of memory for this formula; "
                          "write it more simply", "memory", float("inf"))
    finally:
        pool.give_back(worker)
    if "ok" in reply:
        return ("ok", reply["ok"])
    kind = reply.get("error")
    if kind == "memory":
        return ("costly", f"SymPy needed more than {budget.memory / 2**20:,.0f} MiB of memory for this formula; "
                          "write it more simply", "memory", float("inf"))
    return (kind if kind in ("refused", "no_closed_form", "failed") else "refused", str(reply.get("message", "refused")))
