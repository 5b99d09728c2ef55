"""Running independent pieces of work in parallel worker processes, or on a Dask cluster.

Each worker limits BLAS to one thread: several BLAS thread pools busy-waiting
for each other on a 2-core machine can make a run ten times slower than the
serial one. The work is split so that every piece is deterministic on its
own, so a parallel run gives exactly the results of a serial one.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterable

__all__ = ["default_workers", "run_all"]


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run_all(fn: Callable, tasks: Iterable[tuple], workers: int = 1, on_done: Callable | None = None, *,
            shared: tuple = (), scheduler=None, scheduler_timeout: float = 10.0) -> list:
    """[fn(*shared, *task) for task in tasks], in ``workers`` processes when more than one.

    Results come back in the order of ``tasks``; ``on_done(result)`` is called
    as each one finishes. ``fn`` must be a module-level function and the tasks
    picklable. With ``scheduler`` (``"tcp://host:port"`` or a
    ``distributed.Client``) the tasks run on that Dask cluster instead and
    ``shared`` is sent to its workers once; see :mod:`costlab.cluster`.
    """
    if scheduler is not None:
        from costlab.cluster import run_on_cluster

        return run_on_cluster(fn, list(tasks), scheduler, shared=tuple(shared), on_done=on_done,
                              timeout=scheduler_timeout)
    tasks = [(*shared, *task) for task in tasks]
    if workers <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(fn(*task))
            if on_done is not None:
                on_done(results[-1])
        return results
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_one_blas_thread)
    try:
        futures = [pool.submit(fn, *task) for task in tasks]
        if on_done is not None:
            for f in as_completed(futures):
                on_done(f.result())
        results = [f.result() for f in futures]
    except BaseException:
        _stop_now(pool)  # Ctrl+C or a failure: queued work is dropped and the workers end at once
        raise
    pool.shutdown()
    return results


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the worker processes without waiting for their work."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:  # tasks still in the pipe to dead workers: do not wait to flush them at exit
        call_queue.cancel_join_thread()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    for p in processes:
        p.join(1)
