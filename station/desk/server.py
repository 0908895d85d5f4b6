"""Serving the desk: waitress, a production WSGI server in pure Python, on the station's own machine.

waitress reads a whole request before it calls the app, so left alone it
would take in any body anyone sends, signed in or not (12 stalled connections
with no cookie held 288 MB of the station's disk, and could each hold a
gigabyte). Here its parser asks the desk's gate (gate.py) as soon as a
request's headers are in: a body larger than that request may send is not
read at all; the request goes to the app marked as refused, the app answers
with a plain page (401, 400 or 413) and the connection is closed. What is
read is bounded while it is read (a chunked body too), and spooled past 1 MB
to `.station/uploads/`, readable by the station's user only, never to a temp
folder that may be RAM.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from flask import Flask
from waitress.buffers import OverflowableBuffer, TempfileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.task import WSGITask

from station.config import Config
from station.desk import gate
from station.desk.app import create_app
from station.files import private_dir

HEADER_LIMIT = 64 * 1024  # request line and headers: a cookie and a few headers need a few KB


def make_server(config: Config, host: str, port: int, build: bool | None = None) -> tuple[Any, Flask]:
    """A server ready to `.run()` (port 0 picks a free one: see `.effective_port`), and its app."""
    app: Flask = create_app(config, build=build)
    desk = app.extensions["desk"]
    settings = config.settings.desk
    spool = private_dir(config.state_dir / "uploads")

    def admit(method: str, path: str, query: str, cookie: str, announced: int | None) -> gate.Admission:
        return gate.admit(settings, desk.accounts.live, method, path, query, cookie, announced)

    parser = type("DeskParser", (_GatedParser,), {"admit": staticmethod(admit), "spool": spool})
    channel = type("DeskChannel", (HTTPChannel,), {"parser_class": parser, "task_class": _Task})
    _, largest = gate.limits(settings)
    servers: dict[int, Any] = {}
    server = create_server(
        app,
        map=servers,
        host=host,
        port=port,
        threads=8,
        ident="desk",
        # Never reached by what the gate admits; a last line should it ever be bypassed.
        max_request_body_size=largest + 1,
        max_request_header_size=HEADER_LIMIT,
        channel_timeout=settings.idle_s,
        connection_limit=settings.max_connections,
        inbuf_overflow=1 << 20,
        asyncore_use_poll=True,  # select() cannot watch more than 1,024 sockets
        # X-Forwarded-For reaches the app, which believes it only from `[desk]
        # trusted_proxies` (app.client_address); nothing else reads these headers.
        clear_untrusted_proxy_headers=False,
    )
    for listener in list(servers.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server, app


# waitress has no type hints, so its classes are Any to mypy; these subclasses say what they rely on.


class _SpoolFile(TempfileBasedBuffer):
    folder: Path

    def newfile(self) -> IO[bytes]:
        return tempfile.TemporaryFile("w+b", dir=self.folder, prefix=".body-")


class _Spool(OverflowableBuffer):
    """waitress's body buffer, spilling to the station's disk instead of the system's temp folder."""

    buf: Any
    overflowed: bool

    def __init__(self, overflow: int, folder: Path):
        super().__init__(overflow)
        self.file_class = type("SpoolFile", (_SpoolFile,), {"folder": folder})

    def _set_large_buffer(self) -> None:
        old = self.buf
        self.buf = self.file_class(old)
        if hasattr(old, "close"):
            old.close()
        self.overflowed = True


class _GatedParser(HTTPRequestParser):
    """waitress's request parser, asking the gate before it reads a body."""

    admit: Callable[[str, str, str, str, int | None], gate.Admission]  # set per server (make_server)
    spool: Path
    admission: gate.Admission | None = None
    refusal: str | None = None
    completed: bool
    body_rcv: Any  # the body's receiver while one is read, else None

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        if self.body_rcv is not None:
            self.body_rcv.buf = _Spool(self.adj.inbuf_overflow, self.spool)
        announced = None if self.chunked else self.content_length
        self.admission = self.admit(
            self.command.upper(), self.path, self.query, self.headers.get("COOKIE", ""), announced
        )
        refusal = self.admission.refusal(announced)
        if refusal:
            self._refuse(refusal)

    def received(self, data: bytes) -> int:
        if self.completed:
            return 0
        reading = self.body_rcv is not None
        consumed: int = super().received(data)
        if self.refusal:
            return len(data)  # the rest of what arrived with the headers is the unread body: dropped
        if reading and self.admission and self.body_bytes_received > self.admission.limit:
            self._refuse(self.admission.over)  # a chunked body that went on too long
            self.error = None
            self.completed = True
            return len(data)
        return consumed

    def _refuse(self, refusal: str) -> None:
        if self.body_rcv is not None:
            self.body_rcv.getbuf().close()
        self.refusal = refusal
        self.body_rcv = None
        self.chunked = False
        self.content_length = 0
        self.expect_continue = False
        self.headers["CONTENT_LENGTH"] = "0"
        self.headers["CONNECTION"] = "close"  # what follows on this connection is the unread body
        self.connection_close = True


class _Task(WSGITask):
    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        refusal = getattr(self.request, "refusal", None)
        if refusal:
            environ[gate.REFUSAL_KEY] = (refusal, self.request.admission)  # no header can make this key (HTTP_…)
        return environ
