"""How much of a request the desk will read, decided from its first line and headers alone.

The desk is bounded before it is authenticated. Whoever can reach the port can
send headers; only a signed-in session may make the desk read a body of any
size, and only an upload form, carrying the session's CSRF token in its
address, may send a recording:

    nobody signed in            the sign-in form and a small body (SMALL_BODY), nothing more
    anyone, listener feedback   at most FEEDBACK_BODY to POST /feedback, the one public form (feedback.py)
    Icecast, a live source      at most SMALL_BODY to POST /live/auth (live_pages.py)
    signed in                   a form of up to `[desk] max_form_kb`
    signed in, an upload form   up to `[desk] max_upload_mb` more, when `?csrf=` is the session's token
                                (the upload and details forms put it in their address)

A request that announces more is answered at once (401, 400 or 413) and its
body is never read: the server (server.py) asks `admit()` as soon as the
headers are in, before a byte of the body is buffered, and the app (app.py)
asks it again, for the test client and as a second lock. The session cookie is
`SameSite=Strict`, so a request that carries it came from the desk's own pages;
the token in the body is still checked by the app before anything is done.
"""

from __future__ import annotations

import hmac
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from werkzeug.http import parse_cookie

from station.config import FEEDBACK_BODY, DeskSettings

SESSION_COOKIE = "__Host-desk"  # __Host-: Secure, Path=/, no Domain — it cannot be set by another site
REFUSAL_KEY = "desk.refusal"  # set by the server (server.py) on a request whose body it did not read
SMALL_BODY = 16 * 1024  # the sign-in form is a few hundred bytes; before signing in, nothing larger
FEEDBACK_PATH = "/feedback"  # the desk's one public door (feedback.py)
LIVE_AUTH_PATH = "/live/auth"  # Icecast asks here whether a presenter's source may go live (live_pages.py)
UPLOAD_PATH = re.compile(r"^/(upload|episodes/[^/]+/details)/?\Z")

# Why a request is answered without its body being read.
SIGNED_OUT = "signed-out"  # 401: a body from someone not signed in
EXPIRED = "expired"  # 400: an upload without its session's token
TOO_LARGE = "too-large"  # 413: more than the route takes


@dataclass(frozen=True)
class Admission:
    limit: int  # the most body bytes the desk reads for this request
    over: str  # the answer when the body is larger (one of the reasons above)
    upload: bool = False  # an upload form (its limit is the recording's)

    def refusal(self, size: int | None) -> str | None:
        """Why a body of `size` bytes is not read (None: it is)."""
        return self.over if size is not None and size > self.limit else None


class Session(Protocol):
    """What the gate needs of a signed-in session (accounts.Session): its CSRF token."""

    @property
    def csrf(self) -> str: ...


def limits(settings: DeskSettings) -> tuple[int, int]:
    """(form, upload) limits in bytes from the [desk] settings."""
    form = settings.max_form_kb * 1024
    return form, form + settings.max_upload_mb * 1024 * 1024


def admit(
    settings: DeskSettings,
    session_of: Callable[[str], Session | None],
    method: str,
    path: str,
    query: str,
    cookie_header: str,
    announced: int | None,
) -> Admission:
    """What a request may send, before any of its body is read.

    `session_of(token)` is the live session for a cookie's token, or None; `announced` is the
    Content-Length (None when chunked: the limit is then enforced while reading)."""
    form, upload = limits(settings)
    if method in ("GET", "HEAD", "OPTIONS") or path.startswith("/static/") or path == "/sign-in":
        return Admission(SMALL_BODY, TOO_LARGE)  # nothing here takes more than the sign-in form
    if method == "POST" and path == FEEDBACK_PATH:
        return Admission(FEEDBACK_BODY, TOO_LARGE)  # public: held to a listener's message, whoever sends it
    if method == "POST" and path == LIVE_AUTH_PATH:
        return Admission(SMALL_BODY, TOO_LARGE)  # Icecast's few form fields
    if announced == 0:
        return Admission(SMALL_BODY, SIGNED_OUT)  # no body: the app checks the session as for any request
    token = parse_cookie(cookie_header or "").get(SESSION_COOKIE)
    session = session_of(token) if token else None
    if session is None:
        return Admission(SMALL_BODY, SIGNED_OUT)
    if method == "POST" and UPLOAD_PATH.match(path):
        given = urllib.parse.parse_qs(query or "").get("csrf", [""])[0]
        if given and hmac.compare_digest(given.encode("utf-8", "replace"), session.csrf.encode()):
            return Admission(upload, TOO_LARGE, upload=True)
        return Admission(form, EXPIRED, upload=True)
    return Admission(form, TOO_LARGE)
