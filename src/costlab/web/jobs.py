"""The page's trainings in child processes, so that a job that ignores its stop still ends.

A training (``/api/train``), a layers job (``/api/layers``) and a playground run
each run in a process of their own, forked from multiprocessing's
*forkserver* (started once, with costlab, NumPy and the training loop already
imported, so a job inherits none of the server's threads, locks or sockets).
:data:`SPARES` such processes are started ahead and wait for their job, so a
job starts without waiting for a fork; each serves one job and exits, and a
new spare is started in its place. :class:`ProcessJob` is the server's handle
on one: it has the ``id``, ``token``, ``params`` and ``events`` queue that the
routes use, and relays between the two processes through two one-way pipes:

- events, child to server: the job puts ``(event, data)`` on its own queue in
  the child, a thread there sends each one down the pipe, and a thread here
  (:meth:`ProcessJob._watch`) puts them on :attr:`ProcessJob.events` for the
  stream to read. The queues are small, and the child sends an event only once
  the server has taken the one before (``ack``), so a job runs at most a few
  events ahead of its page, and a page that reads slowly slows its job rather
  than filling memory;
- commands, server to child: ``stop`` (with its reason) and the playground's
  ``play``, ``pause``, ``step`` and ``probe``, applied in the child by a thread
  that listens on the pipe (the job itself checks its stop between gradient
  steps).

A stop (or the job's time limit, :attr:`TrainingJob.max_seconds`) is first
asked for; a job that has not ended :data:`STOP_GRACE_S` seconds later is
terminated (SIGTERM), and one second after that killed (SIGKILL). The job
holds its slot in the :class:`~costlab.web.api.Trainer` until its process is
gone; its stream always ends with a final event: the job's own ``done``,
``stopped`` or ``error``, or, when it was killed, ``stopped`` with the
reason (``error`` if the process died by itself). A process left running
when the server exits is terminated then (the processes are daemons), and a
job whose server goes away (its command pipe closes) stops itself.

``COSTLAB_TEST_DEAF_JOBS=1`` in the server's environment is a hook for the
test suite only: job processes then ignore the ``stop`` command (their time
limit too), like a job stuck in work that never checks for it, so the tests
can see such a job killed.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import secrets
import signal
import threading
import time
import uuid

from costlab.i18n import tr

__all__ = ["FINAL_EVENTS", "ProcessJob", "STOP_GRACE_S"]

#: Seconds a job has to end once stopped (or past its time limit) before its process is terminated.
STOP_GRACE_S = 1.0
#: Seconds a terminated process has to exit before it is killed.
KILL_AFTER_S = 1.0
#: Events that end a stream.
FINAL_EVENTS = ("done", "stopped", "error")
#: Events waiting in the server for the stream to read them, and events sent by the job and not yet
#: taken by the server: a job runs at most this far ahead of its page.
QUEUE_EVENTS = 2
IN_FLIGHT = 1
#: Job processes started ahead, each waiting for its job, so that a job does not wait for a fork.
SPARES = 1
#: Imported once by the fork server, so that no job imports them again (the command line too: a
#: job's process imports the server's main module, ``costlab.__main__`` under ``costlab serve``).
PRELOAD = ["numpy", "sklearn.datasets", "costlab.data", "costlab.network", "costlab.group", "costlab.engine",
           "costlab.web.playground", "costlab.cli"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def warm_up() -> None:
    """Start the fork server (it imports :data:`PRELOAD`) and the spare processes now, in the background,
    so that the first job starts promptly."""
    threading.Thread(target=_refill, name="costlab-job-spares", daemon=True).start()


def _new_process():
    """A job process, waiting for its job: ``(process, events pipe, commands pipe)``."""
    events_in, events_out = _context.Pipe(duplex=False)
    commands_in, commands_out = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(events_out, commands_in), name="costlab-job", daemon=True)
    try:
        process.start()
    finally:
        events_out.close()  # so that the events pipe reads end-of-file once the child is gone
        commands_in.close()
    return process, events_in, commands_out


_spares: list = []
_spares_lock = threading.Lock()
_refill_lock = threading.Lock()


def _take():
    """A spare job process (a new one if none is ready), and another spare started in the background."""
    spare = None
    with _spares_lock:
        while _spares and spare is None:
            spare = _spares.pop()
            if not spare[0].is_alive():
                spare[1].close()
                spare[2].close()
                spare = None
    if spare is None:
        spare = _new_process()
    threading.Thread(target=_refill, name="costlab-job-spares", daemon=True).start()
    return spare


def _refill() -> None:
    """Start spare job processes until :data:`SPARES` wait."""
    with _refill_lock:
        while True:
            with _spares_lock:
                if len(_spares) >= SPARES:
                    return
            try:
                spare = _new_process()
            except Exception:  # the server is exiting, or out of processes: a job starts its own
                return
            with _spares_lock:
                _spares.append(spare)


class ProcessJob:
    """One job of class ``job_class`` (a :class:`costlab.web.api.TrainingJob`) running in its own process.

    ``on_end(job)`` is called once the process is gone.
    """

    def __init__(self, job_class, params: dict, on_end=None):
        self.id = uuid.uuid4().hex[:12]
        #: Held only by the client that started the job: needed to stop or steer it.
        self.token = secrets.token_urlsafe(24)
        self.params = params
        self.events: queue.Queue = queue.Queue(maxsize=QUEUE_EVENTS)
        self.started = time.monotonic()
        self._max_seconds = job_class.max_seconds
        self._on_end = on_end
        self._reason = "stopped"
        self._stopped_at: float | None = None
        self._playing = bool(params.get("autoplay"))
        self._lock = threading.Lock()
        self._job = (job_class, params)
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()  # commands for the watcher to send
        self._watcher = threading.Thread(target=self._watch, name=f"costlab-job-{self.id}", daemon=True)

    def start(self) -> "ProcessJob":
        self.process, self._events_in, self._commands = _take()
        #: The job's process.
        self.pid = self.process.pid
        self.started = time.monotonic()
        self._send(("job", *self._job))
        self._watcher.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job's process is gone and its slot freed; whether it is."""
        self._watcher.join(timeout)
        return not self._watcher.is_alive()

    def _send(self, message) -> None:
        """Send a command to the child (from the watcher, so that a child that does not read never
        blocks the server's event loop)."""
        try:
            self._commands.send(message)
        except (OSError, ValueError):  # the process has ended
            pass

    def stop(self, reason: str | None = None) -> None:
        """Ask the job to stop; its process is terminated if it has not ended :data:`STOP_GRACE_S` later."""
        with self._lock:
            if self._stopped_at is not None:
                return
            if reason is not None:
                self._reason = reason
            self._stopped_at = time.monotonic()
        self._outbox.put(("stop", reason))

    def control(self, action: str, probe: int | None = None) -> dict:
        """A playground's ``play``, ``pause``, ``step`` or ``probe``; returns the state."""
        if action == "play":
            self._playing = True
        elif action in ("pause", "step"):
            self._playing = False
        self._outbox.put(("control", action, probe))
        return {"playing": self._playing}

    def _put(self, item) -> None:
        """Queue an event for the stream; once the job is stopped, drop the oldest rather than wait."""
        while True:
            try:
                if self._stopped_at is None:
                    self.events.put(item, timeout=0.02)
                else:
                    self.events.put_nowait(item)
                return
            except queue.Full:
                if self._stopped_at is not None:
                    try:
                        self.events.get_nowait()
                    except queue.Empty:
                        pass

    def _watch(self) -> None:
        """Relay the child's events, end its process when it outlives its stop, its time limit or its
        final event, and once it is gone free the slot, then pass on the final event."""
        final = None
        ended_at = None  # when the final event came
        killed_at = None
        try:
            while True:
                while not self._outbox.empty():
                    self._send(self._outbox.get())
                if self._events_in.poll(0.02):
                    try:
                        kind, data = self._events_in.recv()
                    except (EOFError, OSError):
                        break
                    except Exception as e:  # an event that cannot be read ends the job
                        kind, data = "error", {"error": f"{type(e).__name__}: {e}"}
                    if final is None:
                        if kind in FINAL_EVENTS:
                            final, ended_at = (kind, data), time.monotonic()
                        else:
                            self._put((kind, data))
                            self._send(("ack",))  # the job may send its next event
                    continue
                now = time.monotonic()
                if self._stopped_at is None and now > self.started + self._max_seconds:
                    self.stop(tr("the time limit of two minutes was reached") if self._max_seconds == 120
                              else f"time limit of {self._max_seconds:g} s reached")
                due = ended_at if ended_at is not None else self._stopped_at
                if due is not None and now > due + STOP_GRACE_S:
                    if killed_at is None:
                        killed_at = now
                        self.process.terminate()
                    elif now > killed_at + KILL_AFTER_S:
                        self.process.kill()
                if not self.process.is_alive() and not self._events_in.poll(0.05):
                    break
        finally:
            self.process.join(STOP_GRACE_S)  # it has sent its last event, or closed its pipe: it is ending
            if self.process.exitcode is None:
                self.process.terminate()
                self.process.join(KILL_AFTER_S)
            if self.process.exitcode is None:
                self.process.kill()
                self.process.join()
            self._events_in.close()
            self._commands.close()
            self.process.close()
            if self._on_end is not None:
                self._on_end(self)  # the slot is free once the process is gone, before the stream ends
            if final is None:
                final = ("stopped", {"reason": self._reason}) if self._stopped_at is not None else \
                    ("error", {"error": "the job's process ended unexpectedly"})
            self._put(final)


def _child(events, commands) -> None:
    """A job's process: wait for the job, run it, apply the commands from the server, send its events."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the server stops the job
    try:
        _, job_class, params = commands.recv()
    except (EOFError, OSError):  # the server has gone away
        return
    deaf = os.environ.get("COSTLAB_TEST_DEAF_JOBS") == "1"  # test hook: see the module's docstring
    job = job_class(params)
    if deaf:
        job.max_seconds = float("inf")
        job._check = lambda *_: None

    credit = threading.Semaphore(IN_FLIGHT)

    def listen():
        while True:
            try:
                message = commands.recv()
            except (EOFError, OSError):  # the server has gone away
                job.stop(tr("the server is shutting down"))
                return
            if message[0] == "stop" and not deaf:
                job.stop(message[1])
            elif message[0] == "control":
                job.control(message[1], message[2])
            elif message[0] == "ack":
                credit.release()

    def relay():
        while True:
            kind, data = job.events.get()
            credit.acquire()  # the server has taken the earlier events
            try:
                events.send((kind, data))
            except (OSError, ValueError):
                return
            if kind in FINAL_EVENTS:
                return

    threading.Thread(target=listen, daemon=True).start()
    sender = threading.Thread(target=relay, daemon=True)
    sender.start()
    job.run()
    sender.join()
    events.close()
