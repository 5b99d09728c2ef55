"""The ASGI application of ``costlab serve``: the page, its static files and the JSON API.

Routes::

    GET  /                       the page (static/index.html)
    GET  /static/...             its JavaScript and CSS (shipped in the package)
    GET  /api/presets            the blog post's two starts, the palette, the Chinese catalogue
    GET  /api/neuron?w=..&b=..   the neuron trained under each cost (POST: a JSON object)
    GET  /api/train?costs=..     two networks trained on the digits: server-sent events
    POST /api/train/{id}/stop    stop a training (header X-Costlab-Token: its token)
    GET  /api/train/status       how many trainings run now, and which of them are yours
    GET  /api/layers?depth=..    deep networks' per-layer speeds of learning: server-sent events
                                 (stopped like a training, with its token)
    POST /api/playground         the playground: a network on 2-D points, server-sent events
    POST /api/playground/{id}/control   play, pause, one epoch, stop (with its token);
                                 see costlab.web.playground

Every refusal is a JSON object ``{"error": message}`` with a 4xx status (503 when busy).

The page answers only its own origin: a request whose Host header is not one
of :data:`ALLOWED_HOSTS` (loopback names) or the names given to
:func:`create_app` gets 421, so a page elsewhere cannot reach it through DNS
rebinding; an API request sent by a page of another origin (``Origin``,
``Referer`` or ``Sec-Fetch-Site`` say so) gets 403. Only the page that
started a training holds its token (``X-Costlab-Token``), needed to stop it;
the status lists only the trainings whose token a request presents.

Requests are bounded before any work: a query string over 2 KiB gets 414, a
body over 8 KiB gets 413 (nested deeper than :data:`MAX_JSON_DEPTH`: 400), a
body not sent within :data:`BODY_TIMEOUT_S` seconds gets 408; neuron
computations run in their own pool of :data:`NEURON_SLOTS` threads with at
most :data:`NEURON_QUEUE` waiting (503 at once beyond that), so the page and
its static files stay fast; at most two trainings run at once (429).

Trainings, layers jobs and playground runs each run in a process of their own
(:mod:`costlab.web.jobs`): their stop and their time limit are asked for
first, and a job that has not ended a second later is terminated, then
killed; it holds its slot until its process is gone, and its stream always
ends with a final event.

The event loop runs no user work: every request's parameters are checked in
a pool of :data:`CHECK_SLOTS` threads, where a cost formula is compiled
under the budget of :mod:`costlab.derive.budget` (at most
:data:`FORMULA_SECONDS` seconds, in a worker process killed at the bound;
503 when every formula worker is busy). When the server is asked to stop
(Ctrl+C, SIGTERM), every training ends with its ``stopped`` event (its process ended), and every
request still waiting for a computation gets a 503 saying why.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import queue
import re
import threading
import time
from concurrent.futures import CancelledError, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from costlab.i18n import language, tr, tr_refusal
from costlab.web.api import ApiError, Trainer, check_neuron_params, check_train_params, neuron_curves, presets_payload
from costlab.web.api import LayersJob, TrainingJob, check_layers_params

__all__ = ["ALLOWED_HOSTS", "MAX_BODY_BYTES", "MAX_QUERY_BYTES", "STATIC_DIR", "background_server", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
MAX_QUERY_BYTES = 2048
MAX_BODY_BYTES = 8192
#: Neuron computations at once, and how many more may wait for a turn (503 beyond that).
NEURON_SLOTS = 2
NEURON_QUEUE = 8
#: Threads that check requests (and compile their formulas), and how many more checks may wait.
CHECK_SLOTS = 4
CHECK_QUEUE = 16
#: Seconds SymPy may spend on one formula sent by the page (less if COSTLAB_FORMULA_SECONDS says so).
FORMULA_SECONDS = 5.0
#: Deepest nesting of a JSON body (an object holding a list is 2).
MAX_JSON_DEPTH = 3
#: Seconds a client has to send a request's body.
BODY_TIMEOUT_S = 10.0
#: Host names always answered: this machine's loopback names.
ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")
#: The header that carries a training's token.
TOKEN_HEADER = "x-costlab-token"

#: The page loads nothing from anywhere but this server.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def _error(message: str, status: int) -> JSONResponse:
    """A refusal, in the language of the request (set by :class:`_Limits` from its Accept-Language)."""
    return JSONResponse({"error": tr_refusal(message)}, status_code=status)


#: A Host header as RFC 9110 has it: a DNS name, an IPv4 address or an IPv6 address in brackets, then
#: an optional port. Anything else (``localhost:80@evil.com``, spaces, two ports) is malformed: 400.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_HEADER = re.compile(rf"(?:\[(?P<v6>[0-9A-Fa-f:.]{{2,45}})\]|(?P<name>{_LABEL}(?:\.{_LABEL})*\.?))"
                          r"(?::(?P<port>[0-9]{1,5}))?")
#: A host name given to ``--allow-host``: the same, without a port.
HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?|\[?[0-9A-Fa-f:.]{{2,45}}\]?")


def host_of(header: str) -> str | None:
    """The host name of a Host header, lower case, without its port or brackets; None if malformed."""
    if len(header) > 255:
        return None
    m = _HOST_HEADER.fullmatch(header)
    if m is None:
        return None
    return (m.group("v6") or m.group("name")).lower().rstrip(".")


def _host_name(host: str) -> str:
    """The name in a Host header (or an origin's netloc), without the port: ``[::1]:80`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":")[0]
    return host.rstrip(".")


def _foreign_origin(headers: dict, host: str) -> str | None:
    """Why a request comes from a page of another origin, or None."""
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
    if site and site not in ("same-origin", "none"):
        return f"a {site} request"
    for name in (b"origin", b"referer"):
        value = headers.get(name)
        if value is None:
            continue
        value = value.decode("latin-1")
        try:
            netloc = urlsplit(value).netloc.lower()
        except ValueError:
            netloc = ""
        if netloc != host.lower():
            return f"{name.decode().capitalize()} {value[:80]!r}"
        return None
    return None


class _Limits:
    """ASGI middleware: refuse foreign hosts and origins, long query strings and large
    bodies before routing, and add the security headers to every answer."""

    def __init__(self, app, allowed_hosts=ALLOWED_HOSTS):
        self.app = app
        self.allowed_hosts = frozenset(_host_name(h) for h in allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # every answer in the language the page asks in (its Accept-Language), refusals included
        accept = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
        with language("zh" if accept.strip().lower().startswith("zh") else "en"):
            return await self._call(scope, receive, send)

    async def _call(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if not host:
            return await _error("a Host header is required", 400)(scope, receive, send)
        name = host_of(host)
        if name is None:
            return await _error(f"malformed Host header {host[:80]!r}", 400)(scope, receive, send)
        if name not in self.allowed_hosts:
            message = (f"this server answers only {', '.join(sorted(self.allowed_hosts))}, not Host {host[:80]!r} "
                       "(costlab serve --allow-host NAME adds a name)")
            return await _error(message, 421)(scope, receive, send)
        if scope["path"].startswith("/api/"):
            why = _foreign_origin(headers, host)
            if why is not None:
                return await _error(f"refused: {why} from another origin", 403)(scope, receive, send)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return await _error(f"query string longer than {MAX_QUERY_BYTES} bytes", 414)(scope, receive, send)
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > MAX_BODY_BYTES
            except ValueError:
                return await _error("bad Content-Length", 400)(scope, receive, send)
            if too_big:
                return await _error(f"request body larger than {MAX_BODY_BYTES} bytes", 413)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer")]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


async def _read_json(request: Request) -> dict:
    """The request's JSON object: at most MAX_BODY_BYTES (chunked bodies too), sent within
    BODY_TIMEOUT_S seconds, nested at most MAX_JSON_DEPTH deep."""
    body = bytearray()

    async def read():
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                raise ApiError(f"request body larger than {MAX_BODY_BYTES} bytes", 413)

    try:
        await asyncio.wait_for(read(), BODY_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise ApiError(f"the request body did not arrive within {BODY_TIMEOUT_S:g} s", 408) from None
    if _depth(body) > MAX_JSON_DEPTH:
        raise ApiError(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError("the request body must be a JSON object")
    return data


def _depth(body: bytes) -> int:
    """The deepest nesting of brackets in a JSON text, strings skipped (before parsing it)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in body.decode("utf-8", "replace"):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def _language(request: Request) -> str:
    """The language the page asks in (its Accept-Language: zh... or anything else, English)."""
    return "zh" if request.headers.get("accept-language", "").strip().lower().startswith("zh") else "en"


def create_app(*, max_trainings: int = 2, max_playgrounds: int = 2, allowed_hosts=()) -> Starlette:
    """The web application (Starlette), with its own trainer of digits networks.

    ``max_playgrounds``: playground runs at once (each one held while its page is open, even paused).
    ``allowed_hosts``: Host names answered besides :data:`ALLOWED_HOSTS`.
    """
    from costlab.web import jobs, playground

    jobs.warm_up()  # the fork server imports the training code now, not when the first job starts
    trainer = Trainer(max_trainings)
    playgrounds = Trainer(max_playgrounds)
    pool = ThreadPoolExecutor(NEURON_SLOTS, thread_name_prefix="costlab-neuron")
    checker = ThreadPoolExecutor(CHECK_SLOTS, thread_name_prefix="costlab-check")
    pending = [0]  # neuron computations running or waiting; touched only by the event loop
    checks = [0]  # checks running or waiting; likewise
    stopping = threading.Event()  # set when the server is asked to exit

    def shut_down() -> None:
        """Stop every training (each stream sends its ``stopped`` event), end the formula workers' calls
        and drop the computations not yet started; requests still waiting are answered 503."""
        stopping.set()

        def stop_work():
            for runs in (trainer, playgrounds):
                runs.stop_all(tr("the server is shutting down"))
            for executor in (pool, checker):
                executor.shutdown(wait=False, cancel_futures=True)

        # in a thread of its own: called from a signal handler, which may have interrupted the event
        # loop while it held one of the locks these take
        threading.Thread(target=stop_work, name="costlab-shutdown", daemon=True).start()

    async def in_thread(executor, fn, *args):
        """``fn(*args)`` in ``executor``'s threads; 503 with the reason if the server stops meanwhile."""
        if stopping.is_set():
            raise ApiError(tr("The server is shutting down; the computation was not finished."), 503)
        try:
            future = executor.submit(fn, *args)
        except RuntimeError:  # the executor was shut down
            raise ApiError(tr("The server is shutting down; the computation was not finished."), 503) from None
        waiting = asyncio.wrap_future(future)
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=0.1)
            if done:
                try:
                    return waiting.result()
                except (asyncio.CancelledError, CancelledError):
                    raise ApiError(tr("The server is shutting down; the computation was not finished."),
                                   503) from None
            if stopping.is_set():
                waiting.cancel()  # its result, when it comes, is dropped
                raise ApiError(tr("The server is shutting down; the computation was not finished."), 503)

    def checked(check, raw):
        """``check(raw)`` with any cost formula compiled under the page's budget, never waiting for a worker."""
        from costlab.derive.budget import WorkersBusy, current, limits

        try:
            with limits(seconds=min(FORMULA_SECONDS, current().seconds), wait=False, cancel=stopping):
                return check(raw)
        except WorkersBusy:
            raise ApiError(tr("The server is busy checking other formulas; try again in a moment."), 503) from None

    async def check_params(check, raw):
        """The checked parameters: in the checking threads, at most CHECK_SLOTS + CHECK_QUEUE at once."""
        if checks[0] >= CHECK_SLOTS + CHECK_QUEUE:
            raise ApiError(tr("The server is busy checking other formulas; try again in a moment."), 503)
        checks[0] += 1
        try:
            return await in_thread(checker, checked, check, raw)
        finally:
            checks[0] -= 1

    async def index(request):
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def get_presets(request):
        return JSONResponse(presets_payload())

    async def neuron(request: Request):
        with language(_language(request)):
            return await _neuron(request)

    async def _neuron(request: Request):
        try:
            raw = dict(request.query_params) if request.method == "GET" else await _read_json(request)
            params = await check_params(check_neuron_params, raw)
            if pending[0] >= NEURON_SLOTS + NEURON_QUEUE:
                raise ApiError("the server is busy with other computations; try again", 503)
            pending[0] += 1
            try:
                result = await in_thread(pool, neuron_curves, params)
            finally:
                pending[0] -= 1
            return JSONResponse(result)
        except ApiError as e:
            return _error(tr_refusal(e.message), e.status)

    async def train(request: Request, check=None, job_class=None):
        lang = _language(request)
        try:
            params = await check_params(check or check_train_params, dict(request.query_params))
            if stopping.is_set():
                raise ApiError(tr("The server is shutting down; the computation was not finished."), 503)
            job = trainer.start(params, job_class or TrainingJob)
        except ApiError as e:
            with language(lang):
                return _error(tr_refusal(e.message), e.status)

        return _stream(job, params, lang, poll=0.02)

    def token_of(request: Request) -> str:
        return request.headers.get(TOKEN_HEADER, "")

    async def layers(request: Request):
        return await train(request, check_layers_params, LayersJob)

    async def stop(request: Request):
        job = trainer.get(request.path_params["job_id"])
        if job is None or not hmac.compare_digest(job.token.encode(), token_of(request).encode("utf-8", "replace")):
            # the same answer whether the job does not exist or the token is not its own
            with language(_language(request)):
                return _error(tr_refusal(f"no training {request.path_params['job_id'][:40]!r} of yours is running"), 404)
        job.stop()
        return JSONResponse({"stopped": job.id})

    async def running(request):
        token = token_of(request)
        return JSONResponse({"running": len(trainer.running()), "max": trainer.max_jobs,
                             "yours": [job.id for job in trainer.jobs() if token and
                                       hmac.compare_digest(job.token.encode(), token.encode("utf-8", "replace"))]})

    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 405:
            message = f"method {request.method} not allowed for {request.url.path}"
        elif exc.status_code == 404:
            message = f"not found: {request.url.path[:200]}"
        else:
            message = str(exc.detail)
        return _error(message, exc.status_code)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/presets", get_presets),
            Route("/api/neuron", neuron, methods=["GET", "POST"]),
            Route("/api/train/status", running),
            Route("/api/train", train),
            Route("/api/layers", layers),
            Route("/api/train/{job_id}/stop", stop, methods=["POST"]),
            *playground.routes(playgrounds, read_json=_read_json, error=_error, token_header=TOKEN_HEADER,
                               stream=lambda request, job, params: _stream(job, params, _language(request), poll=0.005),
                                check_params=check_params),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.trainer = trainer
    app.state.shut_down = shut_down
    app.state.playgrounds = playgrounds
    app.add_middleware(_Limits, allowed_hosts=(*ALLOWED_HOSTS, *allowed_hosts))
    return app


def _sse(event: str, data) -> str:
    """One server-sent event: its name and one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


def _stream(job, params: dict, lang: str, *, poll: float) -> StreamingResponse:
    """The job's server-sent events: ``start`` (its id, token and ``params``), then each event it sends.

    The stream ends with the job's final ``done``, ``stopped`` or ``error``
    (whose reason is given in the page's language ``lang``); a final event
    always comes, at the latest when the job's process is gone. The job is
    stopped when the client goes away.
    """
    async def events():
        try:
            yield _sse("start", {"id": job.id, "token": job.token, "params": params})
            while True:
                try:
                    kind, data = job.events.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(poll)
                    continue
                if kind in ("stopped", "error"):  # the reason, in the page's language
                    with language(lang):
                        data = {k: tr_refusal(v) if k in ("reason", "error") and isinstance(v, str) else v
                                for k, v in data.items()}
                yield _sse(kind, data)
                if kind in ("done", "stopped", "error"):
                    break
        finally:
            job.stop()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@contextmanager
def background_server(app=None, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0):
    """Serve ``app`` (default: a new :func:`create_app`) with uvicorn in a thread.

    Yields the base URL (``http://127.0.0.1:PORT``); the server stops when the
    block ends. For tests and notebooks; ``costlab serve`` is the command. The page's
    jobs run in child processes (:mod:`costlab.web.jobs`), so a script that calls this
    does so under ``if __name__ == "__main__":``.
    """
    from costlab.web.server import listening_socket, make_server

    sock = listening_socket(host, port)
    server = make_server(app or create_app(allowed_hosts=(host,)), graceful_s=1)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
