"""The desk's Flask app: sign-in, sessions, CSRF, security headers, and the pages' shared frame.

Every route needs a signed-in session except the sign-in page and the static
files. Every POST carries the session's CSRF token (the sign-in form a token
bound to a pre-sign-in cookie). Pages are rendered on the server and work
without JavaScript; the one script only adds conveniences.
"""

from __future__ import annotations

import functools
import secrets
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import Config
from .accounts import Accounts, database_path
from .builder import Builder

SESSION_COOKIE = "__Host-desk"        # __Host-: Secure, Path=/, no Domain — it cannot be set by another site
PRESIGN_COOKIE = "__Host-desk-signin"  # binds the sign-in form's CSRF token before there is a session
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HERE = Path(__file__).parent


@dataclass
class Desk:
    config: Config
    accounts: Accounts
    builder: Builder | None

    def changed(self) -> None:
        """Something in content/ or scheduler/ changed at the desk: build, if the station wants that."""
        if self.builder is not None:
            self.builder.request()


class _Request(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        # An upload is received on the station's own disk (.station/uploads/), not in the temp folder (often
        # RAM): from there it is linked into its show folder, not copied again.
        folder = current_app.extensions["desk"].config.state_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile("wb+", dir=folder, prefix=".upload-")


def create_app(config: Config, accounts: Accounts | None = None, build: bool | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.request_class = _Request
    shutil.rmtree(config.state_dir / "uploads", ignore_errors=True)   # what a killed desk left half-received
    settings = config.settings.desk
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_mb * 1024 * 1024
    build = settings.build_after_change if build is None else build
    app.extensions["desk"] = Desk(config, accounts or Accounts(database_path(config)),
                                  Builder(config) if build else None)
    app.jinja_env.autoescape = True   # every template, whatever its name
    app.before_request(_guard)
    app.after_request(_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(404, lambda e: (page("error.html", title="Not found", message=
                                                    "There is nothing here, or it is not yours to see."), 404))
    app.register_error_handler(403, lambda e: (page("error.html", title="Not allowed", message=
                                                    "Only a coordinator can do that."), 403))
    app.register_error_handler(400, lambda e: (page("error.html", title="That did not work", message=
                                                    getattr(e, "description", "") or "Go back and try again."),
                                                400))
    from . import presenter_pages, station_pages
    app.register_blueprint(presenter_pages.bp)
    app.register_blueprint(station_pages.bp)
    _signin_routes(app)
    return app


def desk() -> Desk:
    from flask import current_app
    return current_app.extensions["desk"]


def user():
    return g.session.user


def page(template: str, **values):
    """Render a desk page with what every page needs: who is signed in, the CSRF token, the nav."""
    session = getattr(g, "session", None)
    return render_template(template, me=session.user if session else None, csrf=g.get("csrf", ""),
                           station=desk().config.settings.station.name, **values)


def coordinators_only(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not user().coordinator:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _guard():
    if request.endpoint in ("static", "sign_in"):
        if request.endpoint == "sign_in":
            g.csrf = request.cookies.get(PRESIGN_COOKIE) or secrets.token_urlsafe(32)
            if request.method == "POST" and not desk().accounts.csrf_ok(g.csrf, request.form.get("csrf")):
                abort(400, "The sign-in form had expired. Sign in again.")
        return None
    g.session = desk().accounts.session(request.cookies.get(SESSION_COOKIE))
    if g.session is None:
        here = request.full_path.rstrip("?") if request.method == "GET" else "/"
        return redirect(url_for("sign_in", next=here))
    g.csrf = g.session.csrf
    if request.method == "POST" and not desk().accounts.csrf_ok(g.csrf, request.form.get("csrf")):
        abort(400, "This form had expired or did not come from the desk. Go back, reload the page and try again.")
    return None


def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"   # private pages stay off shared machines' disks
    if request.endpoint == "sign_in" and not request.cookies.get(PRESIGN_COOKIE):
        response.set_cookie(PRESIGN_COOKIE, g.csrf, secure=True, httponly=True, samesite="Strict", path="/")
    return response


def _too_large(error):
    limit = desk().config.settings.desk.max_upload_mb
    return page("error.html", title="That file is too large",
                message=f"A recording can be up to {limit} MB. Export it again as MP3 (a smaller file) "
                        "and upload that; a coordinator can raise the limit in station.toml ([desk] max_upload_mb)."), 413


def _safe_next(target: str | None) -> str:
    """Only a path on the desk itself, so the sign-in page cannot send anyone elsewhere."""
    if not target:
        return url_for("presenter.episodes")
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("presenter.episodes")
    return target


def _signin_routes(app: Flask) -> None:
    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in():
        accounts = desk().accounts
        message, username = None, ""
        if request.method == "POST":
            username = request.form.get("username", "")
            wait = accounts.wait_s(username, request.remote_addr or "")
            if wait:
                message = (f"Too many wrong passwords. Wait {max(1, round(wait / 60))} minute(s) and try again, "
                           "or ask a coordinator to reset your password.")
            else:
                found = accounts.sign_in(username, request.form.get("password", ""), request.remote_addr or "")
                if found:
                    token, _ = found
                    response = redirect(_safe_next(request.args.get("next")))
                    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, samesite="Strict",
                                        path="/")
                    response.delete_cookie(PRESIGN_COOKIE, secure=True, httponly=True, samesite="Strict", path="/")
                    return response
                message = "That user name and password do not match. Check them and try again."
        status = 200 if message is None else 401 if "match" in message else 429
        return page("sign_in.html", title="Sign in", message=message, username=username), status

    @app.route("/sign-out", methods=["POST"])
    def sign_out():
        desk().accounts.sign_out(request.cookies.get(SESSION_COOKIE, ""))
        response = redirect(url_for("sign_in"))
        response.delete_cookie(SESSION_COOKIE, secure=True, httponly=True, samesite="Strict", path="/")
        return response
