"""Serving the desk: waitress, a production WSGI server in pure Python, on the station's own machine."""

from __future__ import annotations

from flask import Flask
from waitress.server import create_server

from ..config import Config
from .app import create_app


def make_server(config: Config, host: str, port: int, build: bool | None = None):
    """A server ready to `.run()` (port 0 picks a free one: see `.effective_port`), and its app."""
    app: Flask = create_app(config, build=build)
    # waitress spools request bodies over 1 MB to disk, never into memory. Its own limit is looser than the
    # desk's, so an upload a little too large gets the desk's plain answer; a huge one is cut off early.
    limit = config.settings.desk.max_upload_mb * 1024 * 1024
    server = create_server(app, host=host, port=port, threads=8, ident="desk",
                           max_request_body_size=2 * limit + (16 << 20), inbuf_overflow=1 << 20)
    return server, app
