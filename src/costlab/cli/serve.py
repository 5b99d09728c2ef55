"""``costlab serve``: the interactive page, served by uvicorn on this machine."""

from __future__ import annotations

import click

from costlab.cli._common import Command, CommandFailed, Count, InputError

__all__ = ["serve"]


@click.command(cls=Command, short_help="Serve the interactive page (learning slowdown, live).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (this machine only by default).")
@click.option("--port", type=Count(0, 65535), default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests for this host name (repeatable); by default only the loopback "
                   "names and the address listened on, so no other site's page can reach the server.")
def serve(host, port, allow_hosts):
    """Serve an interactive page: move the start of a sigmoid neuron and watch the
    quadratic cost stall where the cross-entropy learns; train two networks on the
    digits with two costs and watch their accuracy grow, epoch by epoch; and, in the
    playground, watch a network's decision boundary and every neuron form on points
    in the plane (open /?tab=playground).

    Everything is computed by costlab's engine through a JSON API; the page needs
    no network. Stop the server with Ctrl+C.
    """
    import socket

    from costlab.web.app import HOST_NAME
    from costlab.web.server import LOOPBACK, listening_socket, make_server

    for name in allow_hosts:
        if not HOST_NAME.fullmatch(name) or len(name) > 253:
            shown = name if len(name) <= 60 else name[:40] + "..."
            raise InputError(f"--allow-host must be a host name such as lab.example, got {shown!r}")
    if len(host) > 253 or not host.strip():
        shown = host if len(host) <= 60 else host[:40] + "..."
        raise InputError(f"--host {shown!r} is not an address of this machine")
    try:
        sock = listening_socket(host, port)
    except socket.gaierror as e:
        raise InputError(f"--host {host!r} is not an address of this machine ({e.strerror})") from None
    except (UnicodeError, ValueError) as e:
        shown = host if len(host) <= 60 else host[:40] + "..."
        raise InputError(f"--host {shown!r} is not an address of this machine ({e})") from None
    except OSError as e:
        raise CommandFailed(f"cannot listen on {host}:{port}: {e.strerror or e}") from None

    from costlab.web import create_app

    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"costlab serve: http://{shown}:{bound_port}/  (Ctrl+C to stop)")
    if host not in LOOPBACK:
        click.echo(f"note: listening on {host}, so other machines may reach this page; it answers requests "
                   "for this address and the names given with --allow-host", err=True)
    server = make_server(create_app(allowed_hosts=(host, bound_host, *allow_hosts)))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
