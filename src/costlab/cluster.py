"""Running independent pieces of work on a Dask distributed cluster.

:func:`costlab.parallel.run_all` sends its tasks here when it is given a
scheduler: ``scheduler="tcp://host:port"`` (or a ``distributed.Client``).
Each task is one Dask task; the data every task shares is sent to the workers
once (scattered to all of them, so that losing a worker loses no data), and
each task limits BLAS to one thread in its worker process, so that a
worker uses one core per task slot. A task whose
worker is lost is run again on another worker by the scheduler; since every
task is deterministic on its own, the results are those of a serial run.

Dask (``pip install 'costlab[cluster]'``) is imported only here, and this
module only when a scheduler is given.
"""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import CancelledError
import uuid
from contextlib import contextmanager
from typing import Callable

__all__ = ["SchedulerUnreachable", "check_address", "check_timeout", "connected", "run_on_cluster", "task_slots"]

#: Seconds to wait for the scheduler, and for its first worker, unless told otherwise.
DEFAULT_TIMEOUT = 10.0

_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$|^(tcp|tls)://\[[0-9a-fA-F:.]+\]:\d{1,5}$")


class SchedulerUnreachable(ConnectionError):
    """The scheduler did not answer, or has no workers, within the timeout; or the run lost its workers."""


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SchedulerUnreachable(
            "running on a scheduler needs Dask distributed: pip install 'costlab[cluster]'"
        ) from None
    return distributed


def check_address(address) -> str:
    """``tcp://host:port``, or ``tls://host:port`` where Dask's configuration holds TLS settings; else ValueError.

    ``host:port`` is read as Dask reads it, over tcp. A ``tls://`` address
    needs the client's certificates from Dask's configuration
    (``distributed.comm.tls.ca-file``, ``.client.cert``, ``.client.key``);
    without them it is refused at once, before any work.
    """
    if not isinstance(address, str) or len(address) > 300:
        shown = address if not isinstance(address, str) else address[:60] + "..."
        raise ValueError(f"scheduler must be an address like tcp://10.0.0.5:8786 (or 10.0.0.5:8786), got {shown!r}")
    text = address.strip()
    if "://" not in text:
        text = "tcp://" + text  # Dask's default scheme (distributed.comm.default-scheme)
    if not _ADDRESS.match(text):
        shown = address if len(address) <= 80 else address[:60] + "..."
        raise ValueError(f"scheduler must be an address like tcp://10.0.0.5:8786 (or 10.0.0.5:8786), got {shown!r}")
    if text.startswith("tls://") and _tls_context() is None:
        raise ValueError("a tls:// scheduler needs Dask's TLS settings (distributed.comm.tls.ca-file, "
                         ".client.cert and .client.key in Dask's configuration), and none are set; "
                         "set them, or use a tcp:// address (through an SSH tunnel, say)")
    return text


def _tls_context():
    """The client's SSL context from Dask's configuration, or None when it has none."""
    distributed = _import_distributed()
    try:
        return distributed.security.Security().get_connection_args("client").get("ssl_context")
    except (OSError, ValueError, TypeError):
        return None


#: Seconds to wait for the scheduler's port to accept a connection before handing over to Dask.
PROBE_SECONDS = 1.0


def _probe(address: str, timeout: float) -> None:
    """Raise SchedulerUnreachable at once when nothing listens at ``address`` (refused, or no such host).

    Dask's client retries a refused connection until its timeout; a plain
    socket learns in milliseconds that the port is closed. A host that does
    not answer within PROBE_SECONDS is left to Dask's own timeout.
    """
    hostport = address.split("://", 1)[1]
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]")
    try:
        with socket.create_connection((host, int(port)), timeout=min(timeout, PROBE_SECONDS)):
            pass
    except (socket.timeout, TimeoutError):
        return
    except ConnectionRefusedError:
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {address}: the connection was refused (is a scheduler running "
            "there? start one with 'dask scheduler')"
        ) from None
    except OSError as e:
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address} ({_reason(e)})") from None


def check_timeout(timeout) -> float:
    """A number of seconds > 0, else ValueError."""
    from costlab.checks import Bound, check_number

    return float(check_number("scheduler_timeout", timeout, Bound(0, None, lo_open=True)))


def _in_one_blas_thread(fn, *args):
    """fn(*args) with BLAS limited to one thread in this worker process, so that each task slot uses one core.

    The limit is set before every task, not once, because a task may load a
    BLAS library (SciPy's own, say) that the process had not loaded before.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    return fn(*args)


def _connect(address: str, timeout: float):
    distributed = _import_distributed()
    _probe(address, timeout)
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, TypeError, ValueError) as e:
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({_reason(e)})"
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise SchedulerUnreachable(
            f"the Dask scheduler at {address} has no workers (waited {timeout:g} s); start some with "
            f"'dask worker {address}'"
        ) from None
    return client


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] if text else type(error).__name__


@contextmanager
def connected(scheduler, timeout: float = DEFAULT_TIMEOUT):
    """A ``distributed.Client`` for ``scheduler``: an address (closed at the end) or a Client (left open).

    Raises :class:`SchedulerUnreachable` when the scheduler does not answer,
    or has no worker, within ``timeout`` seconds.
    """
    distributed = _import_distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    client = _connect(check_address(scheduler), check_timeout(timeout))
    try:
        yield client
    finally:
        client.close()


def task_slots(client) -> int:
    """How many tasks the cluster runs at once: the threads of all its workers."""
    return max(1, sum(client.nthreads().values()))


def run_on_cluster(fn: Callable, tasks: list[tuple], scheduler, *, shared: tuple = (),
                   on_done: Callable | None = None, timeout: float = DEFAULT_TIMEOUT) -> list:
    """[fn(*shared, *task) for task in tasks], each task a Dask task on ``scheduler``.

    ``shared`` is sent to the workers once; results come back in the order of
    ``tasks``; ``on_done(result)`` is called as each one finishes. On any
    exception, Ctrl-C included, the run's tasks are cancelled on the cluster
    (a task already running finishes on its worker, and its result is
    dropped).
    """
    distributed = _import_distributed()
    with connected(scheduler, timeout) as client:
        futures = []
        try:
            # to every worker, so that a lost worker takes no data with it
            shared_futures = client.scatter(list(shared), broadcast=True, hash=False) if shared else []
            name = getattr(fn, "__name__", "task").strip("_")
            futures = [client.submit(_in_one_blas_thread, fn, *shared_futures, *task, key=f"{name}-{uuid.uuid4().hex}")
                       for task in tasks]
            results = {}
            finished = distributed.as_completed(futures, loop=client.loop)
            checked = alone_since = time.monotonic()
            while not finished.is_empty():
                batch = finished.next_batch(block=False)
                if batch:
                    try:
                        gathered = client.gather(batch)  # raises a task's own error
                    except CancelledError as e:
                        # the scheduler drops tasks whose data went with the last worker that held it
                        raise SchedulerUnreachable(
                            f"the Dask scheduler at {client.scheduler.address} dropped the run's tasks; "
                            f"were its workers lost? ({_reason(e)})"
                        ) from None
                    for future, result in zip(batch, gathered):
                        results[future.key] = result
                        if on_done is not None:
                            on_done(result)
                    continue
                now = time.monotonic()
                if now - checked >= 1.0:  # is anyone left to do the work?
                    checked = now
                    if client.nthreads():
                        alone_since = now
                    elif now - alone_since > timeout:
                        raise SchedulerUnreachable(
                            f"the Dask scheduler at {client.scheduler.address} has had no workers for "
                            f"{timeout:g} s (workers that stop at once may run another version of costlab)"
                        )
                time.sleep(0.05)
            return [results[future.key] for future in futures]
        except BaseException:
            if futures:
                client.cancel(futures, force=True)
            raise
