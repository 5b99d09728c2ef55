"""Serving the page: a listening socket and a uvicorn server that ends its streams cleanly.

``costlab serve`` and :func:`costlab.web.app.background_server` both use
:func:`make_server`: on Ctrl+C or SIGTERM the application's ``shut_down`` is
called first (every training stopped, so each open stream sends its final
``stopped`` event and closes before the server exits; every request waiting
for a computation answered 503); a connection that sends no complete request within
:data:`HEADER_TIMEOUT_S` seconds is closed.
"""

from __future__ import annotations

import socket

__all__ = ["HEADER_TIMEOUT_S", "LOOPBACK", "listening_socket", "make_server"]

#: Names and addresses that reach this machine only.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: Seconds a client has to send a request's headers (and to keep an idle connection open).
HEADER_TIMEOUT_S = 5


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening; OSError when that is impossible."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(app, *, graceful_s: float = 3):
    """A uvicorn server for ``app`` that stops its trainings as soon as it is asked to exit."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            shut_down = getattr(getattr(app, "state", None), "shut_down", None)
            if shut_down is not None:
                shut_down()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=graceful_s, http=_protocol(),
                            timeout_keep_alive=HEADER_TIMEOUT_S, h11_max_incomplete_event_size=16 * 1024)
    return Server(config)


def _protocol():
    """uvicorn's HTTP/1.1 protocol, closing connections whose headers do not arrive in time."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        _header_timer = None

        def _arm(self):
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_late)

        def _headers_late(self):
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport):
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self):
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc):
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

    return Protocol
