"""``costlab serve``: the interactive page, served by uvicorn on this machine."""

from __future__ import annotations

import click

from costlab.cli._common import Command, CommandFailed, Count, InputError

__all__ = ["serve", "listening_socket"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def listening_socket(host: str, port: int):
    """A socket bound to (host, port) and listening; OSError when that is impossible."""
    import socket

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


@click.command(cls=Command, short_help="Serve the interactive page (learning slowdown, live).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (this machine only by default).")
@click.option("--port", type=Count(0), default=8765, show_default=True, help="Port (0: any free port).")
def serve(host, port):
    """Serve an interactive page: move the start of a sigmoid neuron and watch the
    quadratic cost stall where the cross-entropy learns; train two networks on the
    digits with two costs and watch their accuracy grow, epoch by epoch.

    Everything is computed by costlab's engine through a JSON API; the page needs
    no network. Stop the server with Ctrl+C.
    """
    import socket

    if port > 65535:
        raise InputError(f"--port must be <= 65535, got {port}")
    try:
        sock = listening_socket(host, port)
    except socket.gaierror as e:
        raise InputError(f"--host {host!r} is not an address of this machine ({e.strerror})") from None
    except OSError as e:
        raise CommandFailed(f"cannot listen on {host}:{port}: {e.strerror or e}") from None

    import uvicorn

    from costlab.web import create_app

    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"costlab serve: http://{shown}:{bound_port}/  (Ctrl+C to stop)")
    if host not in LOOPBACK:
        click.echo(f"note: listening on {host}, so other machines may reach this page", err=True)
    config = uvicorn.Config(create_app(), log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
