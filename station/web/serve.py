"""The local preview server (`station serve`): the built site over HTTP.

The only module that runs a web server (stdlib `http.server`). It serves the
files of one folder and nothing else, answers byte ranges so the episode
player can seek in a long MP3, sends text gzip-encoded to a client that
accepts it (encoding.py says which files and why), and sends the same
security headers the built pages carry in their <meta> (both from security.py).

It never tracks anyone, even in a preview: no cookies, and the request log
holds the method, path and status only — never an address, a user agent or a
referrer.
"""

from __future__ import annotations

import email.utils
import http.server
import os
import re
import socket
import sys
import traceback
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO

from station.errors import Unsatisfiable
from station.web.encoding import accepts_gzip, compressible, gzipped
from station.web.security import CONTENT_TYPES, SECURITY_HEADERS, content_type, headers

CHUNK_BYTES = 64 * 1024  # files are streamed, never read whole: an MP3 can be hundreds of MB
IDLE_TIMEOUT_S = 60  # a kept-alive connection the browser forgot is closed after this
# No page of a built site has an address anywhere near this long (Linux allows 4096 bytes in a whole path);
# a longer one is answered 414 at once, before it is decoded or looked for on disk.
MAX_TARGET_CHARS = 8 * 1024
# What is read and thrown away of a request being refused mid-way (an address past the stdlib's 64 KiB
# line limit, say) before the connection is closed: closing with unread bytes makes the kernel send a
# reset, and the client then loses the answer it was sent. Bounded, so nobody can keep a thread busy.
DRAIN_BYTES, DRAIN_S = 4 * 1024 * 1024, 2.0
LOG_PATH_CHARS = 200  # a log line names the address asked for, cut short and with control characters escaped


def _plain_page(title: str, text: str) -> bytes:
    return (
        f'<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>{title}</title>\n'
        f"<h1>{title}</h1>\n<p>{text}</p>\n</html>\n"
    ).encode()


PLAIN_404 = _plain_page("Not found", "There is no page at this address.")
# The pages for what http.server itself refuses: plain words, never its default page (which names Python).
ERROR_PAGES: dict[int, tuple[str, str]] = {
    HTTPStatus.BAD_REQUEST: ("Bad request", "This request could not be read. Check the address and try again."),
    HTTPStatus.REQUEST_URI_TOO_LONG: (
        "Address too long",
        "This address is longer than any page of the site. Check the link, or start again from the home page.",
    ),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: (
        "Request too large",
        "This request carries more than a web page needs. Try again in a fresh browser window.",
    ),
    HTTPStatus.NOT_IMPLEMENTED: ("Not supported", "The preview only shows pages: it answers GET and HEAD."),
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: ("Not supported", "The preview speaks HTTP/1.1 and HTTP/1.0."),
}

Log = Callable[[str], None]


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def make_server(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log: Log | None = _to_stderr,
    listen_url: str | None = None,
    form_to: str | None = None,
) -> http.server.ThreadingHTTPServer:
    """A server for `directory`, bound but not yet serving (port 0 picks a free port).

    `log` receives one line per request ("GET /shows/ 200"); None keeps quiet. `listen_url`: the station's
    Icecast mount, which the pages' policy lets <audio> play (`[stream] listen_url`); `form_to`: the desk's
    feedback address, which the policy lets forms post to (`[desk] feedback_url`).
    """
    root = Path(directory).resolve(strict=True)
    if not root.is_dir():
        raise NotADirectoryError(f"{directory} is not a folder")
    server = PreviewServer((host, port), root, log)
    server.security_headers = headers(listen_url, form_to)
    return server


def serve(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log: Log | None = _to_stderr,
    listen_url: str | None = None,
    form_to: str | None = None,
) -> None:
    """Serve `directory` until interrupted (Ctrl-C raises KeyboardInterrupt to the caller)."""
    with make_server(directory, host, port, log=log, listen_url=listen_url, form_to=form_to) as server:
        server.serve_forever()


class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, log: Log | None):
        self.root, self.log = root, log
        self.security_headers = SECURITY_HEADERS
        if ":" in address[0]:  # "::1", "::"
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser drops media connections whenever the listener seeks: that is
        # normal, not worth a traceback. Anything else is a bug and is shown,
        # without the client's address.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        traceback.print_exc()


class PreviewHandler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer

    protocol_version = "HTTP/1.1"  # keep-alive: the player makes many small range requests
    # A request line too broken to name its version is answered as HTTP/1.0, with a status line and the
    # security headers, rather than as HTTP/0.9 (a bare body); nothing has spoken 0.9 for decades.
    default_request_version = "HTTP/1.0"
    timeout = IDLE_TIMEOUT_S
    server_version = "station-preview"

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    # -- requests ---------------------------------------------------------

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        if len(self.path) > MAX_TARGET_CHARS:
            return self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
        segments = request_segments(self.path)
        path = None if segments is None else self._inside_root(segments)
        if segments is None or path is None:
            return self._not_found(body)
        if path.is_dir():
            if not _url_path(self.path).endswith("/"):
                # Relative links in an index page only work under a trailing slash.
                return self._redirect("/" + "/".join(urllib.parse.quote(s) for s in segments) + "/")
            path = path / "index.html"
        if not path.is_file():
            return self._not_found(body)
        self._send_file(path, body)

    def _inside_root(self, segments: list[str]) -> Path | None:
        """The real file a URL names, or None when it would leave the root (a symlink out, say)."""
        try:
            real = self.server.root.joinpath(*segments).resolve()
            if real != self.server.root and self.server.root not in real.parents:
                return None
            # exists() raises for a name longer than the file system allows (ENAMETOOLONG): no such page
            return real if real.exists() else None
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long, a NUL
            return None

    # -- responses --------------------------------------------------------

    def _send_file(self, path: Path, body: bool) -> None:
        try:
            f = path.open("rb")
        except OSError:
            return self._not_found(body)
        with f:
            stat = os.fstat(f.fileno())
            size = stat.st_size
            modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
            wanted = self.headers.get("Range")
            # RFC 9110 §13.1.5: a range is only for the version the client saw.
            if self.headers.get("If-Range") not in (None, modified):
                wanted = None
            compress = compressible(path.name)
            if compress and wanted is None and accepts_gzip(self.headers.get("Accept-Encoding")):
                packed = gzipped(f.read())  # text: pages, transcripts, stylesheets; a few hundred KB at most
                if packed is not None:
                    return self._send_gzipped(path, packed, modified, body)
                f.seek(0)
            try:
                span = byte_range(wanted, size)
            except Unsatisfiable:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self._common_headers()
                self.end_headers()
                return
            if span is None:
                start, length = 0, size
                self.send_response(HTTPStatus.OK)
            else:
                start, end = span
                length = end - start + 1
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Type", content_type(path))
            self.send_header("Content-Length", str(length))
            self.send_header("Last-Modified", modified)
            if compress:
                self.send_header("Vary", "Accept-Encoding")  # the same address is sent gzipped to others
            self._common_headers()
            self.end_headers()
            if body:
                f.seek(start)
                self._copy(f, length)

    def _send_gzipped(self, path: Path, packed: bytes, modified: str, body: bool) -> None:
        """The whole file, gzip-encoded (a range is always answered from the plain file)."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(packed)))
        self.send_header("Last-Modified", modified)
        self.send_header("Vary", "Accept-Encoding")
        self._common_headers()
        self.end_headers()
        if body:
            self.wfile.write(packed)

    def _copy(self, f: BinaryIO, length: int) -> None:
        while length > 0:
            chunk = f.read(min(CHUNK_BYTES, length))
            if not chunk:
                # The file shrank while we sent it. We cannot send the length
                # we promised; closing tells the client its copy is short.
                self.close_connection = True
                return
            self.wfile.write(chunk)
            length -= len(chunk)

    def _not_found(self, body: bool) -> None:
        page = self.server.root / "404.html"
        content = page.read_bytes() if page.is_file() else PLAIN_404
        self.send_response(HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", CONTENT_TYPES[".html"])
        self.send_header("Content-Length", str(len(content)))
        self._common_headers()
        self.end_headers()
        if body:
            self.wfile.write(content)

    def _redirect(self, location: str) -> None:
        _, mark, query = self.path.partition("?")
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location + mark + query)
        self.send_header("Content-Length", "0")
        self._common_headers()
        self.end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server refuses (a bad request line, an address too long, POST …): a plain page, then close."""
        title, text = ERROR_PAGES.get(
            code, (self.responses.get(code, ("Error",))[0], "This request could not be answered.")
        )
        content = _plain_page(title, text)
        self.send_response(code)  # the standard reason phrase: http.server's own `message` may quote the request
        self.send_header("Connection", "close")
        self.send_header("Content-Type", CONTENT_TYPES[".html"])
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(content)
        self.close_connection = True
        if code == HTTPStatus.REQUEST_URI_TOO_LONG:
            self._drain()

    def _drain(self) -> None:
        """Send what was written, then read and drop the rest of the refused request (bounded) so the client
        reads our answer instead of a reset."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(DRAIN_S)
            left = DRAIN_BYTES
            while left > 0:
                chunk = self.connection.recv(min(CHUNK_BYTES, left))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def _common_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        # A preview must show the latest build, not what the browser kept.
        self.send_header("Cache-Control", "no-cache")

    def end_headers(self) -> None:
        # Here rather than in each response so error pages from http.server
        # itself (400, 501) carry them too.
        for name, value in self.server.security_headers.items():
            self.send_header(name, value)
        super().end_headers()

    # -- the log: method, path, status; nothing about who asked -----------

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.log:
            # command and path are unset when the request line itself was unreadable
            method = getattr(self, "command", None) or "-"
            path = _log_safe(_url_path(getattr(self, "path", ""))) or "-"
            self.server.log(f"{method} {path} {int(code)}")

    def log_error(self, format: str, *args: Any) -> None:
        pass  # the status line from log_request says enough

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            self.server.log(format % args)  # the base class would prefix the client's address


# One range only; ASCII digits only (str.isdigit would let "²" through to int()).
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE | re.ASCII)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The single (first, last) byte span a Range header asks for, or None for the whole file.

    RFC 9110 §14.2: a header we cannot parse is ignored, and so (our choice,
    which §14.2 allows) is a request for several ranges. Raises Unsatisfiable
    when the one range asked for starts past the end.
    """
    match = _RANGE.fullmatch(header or "")
    if not match or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if not first_text:  # bytes=-n: the last n bytes
        n = int(last_text)
        if n == 0 or size == 0:
            raise Unsatisfiable
        return max(size - n, 0), size - 1
    first, last = int(first_text), int(last_text) if last_text else None
    if last is not None and last < first:
        return None  # "bytes=9-3" is not a range at all
    if first >= size:
        raise Unsatisfiable
    return first, size - 1 if last is None else min(last, size - 1)


def request_segments(target: str) -> list[str] | None:
    """The path segments a request target names, decoded; None if it tries to climb out.

    `..` is refused however it is spelled (%2e%2e, ..%2f, %2F..), and a
    decoded slash or NUL never becomes part of a file name.
    """
    path = _url_path(target)
    if not path.startswith("/"):
        return None  # "*", or an absolute URL meant for a proxy
    try:
        decoded = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded:
        return None
    segments = [s for s in decoded.split("/") if s not in ("", ".")]
    if ".." in segments:
        return None
    return segments


def _log_safe(path: str) -> str:
    """An address as a log line may show it: control characters (a terminal's escape codes) written as %XX,
    and cut short, so a hostile request can neither redraw the coordinator's terminal nor flood the log."""
    shown = "".join(f"%{ord(c):02X}" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in path[:LOG_PATH_CHARS])
    return shown + ("…" if len(path) > LOG_PATH_CHARS else "")


def _url_path(target: str) -> str:
    # Split off query and fragment by hand: urlsplit would read "//host/x" as
    # a host name and hide part of the path.
    return target.split("?", 1)[0].split("#", 1)[0]
