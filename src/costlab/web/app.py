"""The ASGI application of ``costlab serve``: the page, its static files and the JSON API.

Routes::

    GET  /                       the page (static/index.html)
    GET  /static/...             its JavaScript and CSS (shipped in the package)
    GET  /api/presets            the seed's two starts
    GET  /api/neuron?w=..&b=..   the neuron trained under each cost (POST: a JSON object)
    GET  /api/train?costs=..     two networks trained on the digits: server-sent events
    POST /api/train/{id}/stop    stop a training
    GET  /api/train/status       the trainings running now
    GET  /api/layers?depth=..    deep networks' per-layer speeds of learning: server-sent events
                                 (stopped like a training, at /api/train/{id}/stop)

Every refusal is a JSON object ``{"error": message}`` with a 4xx status.
Requests are bounded before any work: a query string over 2 KiB gets 414, a
body over 8 KiB gets 413, and at most two neuron computations and two
trainings run at once (429 or 503 beyond that).
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from costlab.web.api import ApiError, Trainer, check_neuron_params, check_train_params, neuron_curves, presets
from costlab.web.api import LayersJob, TrainingJob, check_layers_params

__all__ = ["MAX_BODY_BYTES", "MAX_QUERY_BYTES", "STATIC_DIR", "background_server", "create_app"]

STATIC_DIR = Path(__file__).parent / "static"
MAX_QUERY_BYTES = 2048
MAX_BODY_BYTES = 8192
#: Neuron computations at once; a request waits this long for a turn, then gets 503.
NEURON_SLOTS = 2
NEURON_WAIT_S = 10.0

#: The page loads nothing from anywhere but this server.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _Limits:
    """ASGI middleware: refuse long query strings and large bodies before routing, and
    add the security headers to every answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return await _error(f"query string longer than {MAX_QUERY_BYTES} bytes", 414)(scope, receive, send)
        headers = dict(scope.get("headers") or [])
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
    """The request's JSON object, read at most MAX_BODY_BYTES (chunked bodies too)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(f"request body larger than {MAX_BODY_BYTES} bytes", 413)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError("the request body must be a JSON object")
    return data


def create_app(*, max_trainings: int = 2) -> Starlette:
    """The web application (Starlette), with its own trainer of digits networks."""
    trainer = Trainer(max_trainings)
    neuron_slots = threading.BoundedSemaphore(NEURON_SLOTS)

    async def index(request):
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def get_presets(request):
        return JSONResponse({"presets": presets()})

    async def neuron(request: Request):
        try:
            raw = dict(request.query_params) if request.method == "GET" else await _read_json(request)
            params = check_neuron_params(raw)

            def compute():
                if not neuron_slots.acquire(timeout=NEURON_WAIT_S):
                    raise ApiError("the server is busy with other computations; try again", 503)
                try:
                    return neuron_curves(params)
                finally:
                    neuron_slots.release()

            return JSONResponse(await run_in_threadpool(compute))
        except ApiError as e:
            return _error(e.message, e.status)

    async def train(request: Request, check=None, job_class=None):
        try:
            params = (check or check_train_params)(dict(request.query_params))
            job = trainer.start(params, job_class or TrainingJob)
        except ApiError as e:
            return _error(e.message, e.status)

        async def events():
            try:
                yield _sse("start", {"id": job.id, "params": params})
                while True:
                    try:
                        kind, data = job.events.get_nowait()
                    except queue.Empty:
                        await asyncio.sleep(0.02)
                        continue
                    yield _sse(kind, data)
                    if kind in ("done", "stopped", "error"):
                        break
            finally:
                # the client went away (or the training ended): stop the worker
                job.stop()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def layers(request: Request):
        return await train(request, check_layers_params, LayersJob)

    async def stop(request: Request):
        job = trainer.get(request.path_params["job_id"])
        if job is None:
            return _error(f"no training {request.path_params['job_id'][:40]!r} is running", 404)
        job.stop()
        return JSONResponse({"stopped": job.id})

    async def running(request):
        return JSONResponse({"running": trainer.running(), "max": trainer.max_jobs})

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
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.trainer = trainer
    app.add_middleware(_Limits)
    return app


def _sse(event: str, data) -> str:
    """One server-sent event: its name and one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


@contextmanager
def background_server(app=None, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0):
    """Serve ``app`` (default: a new :func:`create_app`) with uvicorn in a thread.

    Yields the base URL (``http://127.0.0.1:PORT``); the server stops when the
    block ends. For tests and notebooks; ``costlab serve`` is the command.
    """
    import uvicorn

    from costlab.cli.serve import listening_socket

    sock = listening_socket(host, port)
    server = uvicorn.Server(uvicorn.Config(app or create_app(), log_level="warning",
                                           timeout_graceful_shutdown=1))
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
