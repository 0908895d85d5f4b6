"""The desk's Flask app: sign-in, sessions, CSRF, security headers, and the pages' shared frame.

Every route needs a signed-in session except the sign-in page and the static
files. Every POST carries the session's CSRF token (the sign-in form a token
bound to a pre-sign-in cookie). Pages are rendered on the server and work
without JavaScript; the one script only adds conveniences.

How much of a request is read is decided before any of it is (gate.py): a
request the server already refused arrives here marked, with no body, and
gets its plain page; any other is held to the same limits while Werkzeug
parses it (size, and fields in a form), so a request can never make the
desk grow, whichever server runs it.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import IO

from flask import Flask, Request, Response, abort, current_app, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from station.config import Config
from station.desk import asks_pages, feedback, gate, i18n, live_pages, presenter_pages, record_pages, station_pages
from station.desk.accounts import Accounts, database_path
from station.desk.builder import Builder
from station.desk.client import client_address
from station.desk.i18n import _, ngettext
from station.desk.pages import Desk, desk, page
from station.files import private_dir
from station.involvement import Involvement

SESSION_COOKIE = gate.SESSION_COOKIE
PRESIGN_COOKIE = "__Host-desk-signin"  # binds the sign-in form's CSRF token before there is a session
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HERE = Path(__file__).parent


class _Request(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        # An upload is received on the station's own disk (.station/uploads/), not in the temp folder (often
        # RAM): from there it is linked into its show folder, not copied again.
        folder = private_dir(current_app.extensions["desk"].config.state_dir / "uploads")
        return tempfile.NamedTemporaryFile("wb+", dir=folder, prefix=".upload-")


def create_app(config: Config, accounts: Accounts | None = None, build: bool | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.request_class = _Request
    shutil.rmtree(config.state_dir / "uploads", ignore_errors=True)  # what a killed desk left half-received
    settings = config.settings.desk
    # The limits each request is held to are set per request in _guard; these are the ceilings.
    app.config["MAX_CONTENT_LENGTH"] = gate.limits(settings)[1]
    app.config["MAX_FORM_MEMORY_SIZE"] = gate.limits(settings)[0]
    app.config["MAX_FORM_PARTS"] = settings.max_form_fields
    build = settings.build_after_change if build is None else build
    app.extensions["desk"] = Desk(
        config, accounts or Accounts(database_path(config)), Builder(config) if build else None
    )
    app.jinja_env.autoescape = True  # every template, whatever its name
    i18n.install(app, config)  # the desk in the station's language (i18n.py)
    app.extensions["involvement"] = Involvement.of(config)
    app.extensions["feedback-throttle"] = feedback.Throttle()
    app.before_request(_guard)
    app.before_request(asks_pages.responders_only_answer)
    app.after_request(_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(
        404,
        lambda e: (
            page("error.html", title=_("Not found"), message=_("There is nothing here, or it is not yours to see.")),
            404,
        ),
    )
    app.register_error_handler(
        403, lambda e: (page("error.html", title=_("Not allowed"), message=_("Only a coordinator can do that.")), 403)
    )
    app.register_error_handler(
        400,
        lambda e: (
            page(
                "error.html",
                title=_("That did not work"),
                message=getattr(e, "description", "") or _("Go back and try again."),
            ),
            400,
        ),
    )
    app.register_error_handler(HTTPException, _other_error)
    app.register_error_handler(
        500,
        lambda e: (
            page(
                "error.html",
                title=_("Something went wrong"),
                message=_(
                    "The desk could not finish that, and nothing more was changed. "
                    "Go back and try again; if it happens again, tell a "
                    "coordinator what you were doing."
                ),
            ),
            500,
        ),
    )
    app.register_blueprint(presenter_pages.bp)
    app.register_blueprint(station_pages.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(asks_pages.bp)
    app.register_blueprint(record_pages.bp)
    app.register_blueprint(live_pages.bp)
    _signin_routes(app)
    return app


def _guard() -> ResponseReturnValue | None:
    d = desk()
    settings = d.config.settings.desk
    refused = request.environ.get(gate.REFUSAL_KEY)
    if refused is None:
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        announced = None if chunked else (request.content_length or 0)
        admission = gate.admit(
            settings,
            d.accounts.live,
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            request.headers.get("Cookie", ""),
            announced,
        )
        refusal = admission.refusal(announced)
        if refusal is None and _too_many_fields(admission, settings.max_form_fields):
            refusal = gate.TOO_LARGE
        if refusal:
            refused = (refusal, admission)
        else:
            # Werkzeug stops reading (413) past what this request may send, whoever serves the desk.
            request.max_content_length = admission.limit
    if refused is not None:
        return _refused(*refused)
    if request.endpoint == "feedback.receive":
        return None  # the one public door: no session, no cookie, no token (feedback.py)
    if request.endpoint == "live.auth":
        return None  # Icecast, asking about a presenter's source: their live password is checked there
    if request.endpoint in ("static", "sign_in"):
        if request.endpoint == "sign_in":
            g.csrf = request.cookies.get(PRESIGN_COOKIE) or secrets.token_urlsafe(32)
            if request.method == "POST" and not d.accounts.csrf_ok(g.csrf, request.form.get("csrf")):
                abort(400, _("The sign-in form had expired. Sign in again."))
        return None
    g.session = d.accounts.session(request.cookies.get(SESSION_COOKIE))
    if g.session is None:
        here = request.full_path.rstrip("?") if request.method == "GET" else "/"
        return redirect(url_for("sign_in", next=_safe_next(here)))
    g.csrf = g.session.csrf
    if request.method == "POST" and not d.accounts.csrf_ok(g.csrf, request.form.get("csrf")):
        abort(400, _("This form had expired or did not come from the desk. Go back, reload the page and try again."))
    return None


def _too_many_fields(admission: gate.Admission, most: int) -> bool:
    """A plain form with more fields than any of the desk's (Werkzeug counts only multipart ones)."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return False
    request.max_content_length = admission.limit
    try:
        body = request.get_data(cache=True)  # within the limit; the form is then parsed from this copy
    except RequestEntityTooLarge:
        return True
    return body.count(b"&") >= most


def _refused(refusal: str, admission: gate.Admission) -> ResponseReturnValue:
    """The plain page for a request held to its limits: a body the server left unread (it then closes the
    connection), or one the app will not parse."""
    d = desk()
    if request.path == feedback.PATH:
        return feedback.too_large()
    g.session = None if refusal == gate.SIGNED_OUT else d.accounts.live(request.cookies.get(SESSION_COOKIE))
    g.csrf = g.session.csrf if g.session else ""
    if refusal == gate.SIGNED_OUT:
        response = (
            page(
                "error.html",
                title=_("Sign in first"),
                message=_(
                    "You are not signed in (or you were signed out), so the desk did not take what "
                    "you sent. Sign in, then send it again."
                ),
            ),
            401,
        )
    elif refusal == gate.EXPIRED:
        response = (
            page(
                "error.html",
                title=_("That did not work"),
                message=_(
                    "This form had expired or did not come from the desk. Go back, reload the page and try again."
                ),
            ),
            400,
        )
    elif admission.upload:
        response = _too_large_upload()
    else:
        response = _too_large_form()
    return response


def _other_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code >= 500:
        return error
    return page(
        "error.html",
        title=_("That did not work"),
        message=_("The desk does not do that here. Go back to the desk and try again."),
    ), error.code


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"  # private pages stay off shared machines' disks
    if request.endpoint == "sign_in" and not request.cookies.get(PRESIGN_COOKIE) and g.get("csrf"):
        response.set_cookie(PRESIGN_COOKIE, g.csrf, secure=True, httponly=True, samesite="Strict", path="/")
    return response


def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    if request.path == feedback.PATH:
        return feedback.too_large()
    upload = gate.UPLOAD_PATH.match(request.path) and request.method == "POST"
    return (
        _too_large_upload()
        if upload and (request.content_length or 0) > gate.limits(desk().config.settings.desk)[0]
        else _too_large_form()
    )


def _too_large_upload() -> tuple[str, int]:
    limit = desk().config.settings.desk.max_upload_mb
    return page(
        "error.html",
        title=_("That file is too large"),
        message=_(
            "A recording can be up to %(mb)s MB. Export it again as MP3 (a smaller file) "
            "and upload that; a coordinator can raise the limit in station.toml ([desk] max_upload_mb).",
            mb=limit,
        ),
    ), 413


def _too_large_form() -> tuple[str, int]:
    settings = desk().config.settings.desk
    return page(
        "error.html",
        title=_("That form is too large"),
        message=_(
            "A form can hold up to %(kb)s KB in %(fields)s fields, "
            "and this one held more, so nothing was read or changed. Go back and send less at once; "
            "a coordinator can raise the limit in station.toml ([desk] max_form_kb).",
            kb=settings.max_form_kb,
            fields=settings.max_form_fields,
        ),
    ), 413


# A path on the desk: printable ASCII, nothing a browser would read as another host or strip first.
_DESK_PATH = re.compile(r"^/(?![/\\])[!-~]*\Z")


def _safe_next(target: str | None) -> str:
    """Only a path on the desk itself, so the sign-in page cannot send anyone elsewhere (or break its header)."""
    if not target or not _DESK_PATH.match(target) or "\\" in target:
        return url_for("presenter.episodes")
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("presenter.episodes")
    return target


def _signin_routes(app: Flask) -> None:
    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> ResponseReturnValue:
        accounts = desk().accounts
        message, username, status = None, "", 200
        if request.method == "POST":
            username = request.form.get("username", "")[:200]
            tried = accounts.attempt(username, request.form.get("password", ""), client_address())
            if tried.wait_s:
                message, status = (
                    ngettext(
                        "Too many wrong passwords. Wait %(num)s minute and try again, or ask a coordinator "
                        "to reset your password.",
                        "Too many wrong passwords. Wait %(num)s minutes and try again, or ask a coordinator "
                        "to reset your password.",
                        max(1, round(tried.wait_s / 60)),
                    ),
                    429,
                )
            elif tried.token:
                response = redirect(_safe_next(request.args.get("next")))
                response.set_cookie(
                    SESSION_COOKIE, tried.token, secure=True, httponly=True, samesite="Strict", path="/"
                )
                response.delete_cookie(PRESIGN_COOKIE, secure=True, httponly=True, samesite="Strict", path="/")
                return response
            else:
                message, status = _("That user name and password do not match. Check them and try again."), 401
        return page("sign_in.html", title=_("Sign in"), message=message, username=username), status

    @app.route("/sign-out", methods=["POST"])
    def sign_out() -> ResponseReturnValue:
        desk().accounts.sign_out(request.cookies.get(SESSION_COOKIE, ""))
        response = redirect(url_for("sign_in"))
        response.delete_cookie(SESSION_COOKIE, secure=True, httponly=True, samesite="Strict", path="/")
        return response
