"""costlab's interactive page: a Starlette application served by ``costlab serve``.

:mod:`costlab.web.api` checks parameters and computes with costlab's engine;
:mod:`costlab.web.app` is the ASGI application (page, static files, JSON API,
server-sent events, and the checks of host, origin and size every request passes);
:mod:`costlab.web.server` serves it with uvicorn (``costlab serve`` uses it
too); ``static/`` holds the page, its JavaScript (with its own small SVG
chart drawing) and CSS, installed with the package, so the page needs no
network.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(**kwargs):
    """The ASGI application; see :func:`costlab.web.app.create_app`."""
    from costlab.web.app import create_app as _create_app

    return _create_app(**kwargs)
