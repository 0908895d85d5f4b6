"""Going live at the desk: a presenter's live slots, where their app connects, their own live password, and
the door Icecast knocks on when a source connects to the live mount (radio/live.py says the whole of it).

- The live password is the presenter's own, never shared: made here, shown once, kept only as a hash,
  made again (and the old one dead) whenever they ask.
- POST /live/auth answers Icecast's URL authentication (`stream_auth`): yes (the header
  `icecast-auth-user: 1`) only for the live mount, right credentials, and a live slot of theirs that is
  on now or starts within `[stream] live_lead_in_min`. Nothing else is said to whoever asks.
- A live show recorded by playout (the presenter ticked "record") comes in as a new recording of the
  block's show, owned by the presenter, waiting for its details and consent like an upload.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

import yaml
from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from station.catalog.model import slugify
from station.config import Config
from station.desk import uploads
from station.desk.accounts import Accounts
from station.desk.i18n import _
from station.desk.pages import desk, page, user
from station.files import write_text
from station.radio import live
from station.radio import schedule as schedule_mod

bp = Blueprint("live", __name__)
log = logging.getLogger("station.desk")


@bp.route("/live")
def going_live() -> ResponseReturnValue:
    return _page(None)


@bp.route("/live/password", methods=["POST"])
def new_password() -> ResponseReturnValue:
    secret = desk().accounts.new_live_secret(user().id)
    log.info("a new live password for %s", user().username)
    response = Response(_page(secret))
    response.headers["Cache-Control"] = "no-store"  # shown once: never kept by a browser or a proxy
    return response


@bp.route("/live/record", methods=["POST"])
def record() -> ResponseReturnValue:
    d = desk()
    if d.accounts.has_live_secret(user().id):
        d.accounts.set_live_record(user().id, request.form.get("record") == "1")
    return redirect(url_for("live.going_live"), 303)


def _page(secret: str | None) -> str:
    d = desk()
    config = d.config
    adopt(config, d.accounts)
    me = user()
    schedules = schedule_mod.load(config)
    s = config.settings.stream
    host = live.source_host(config) or ""
    server, _colon, port = host.rpartition(":") if ":" in host else (host, "", "")
    return page(
        "live.html",
        title=_("Going live"),
        bookings=live.bookings(schedules, me.username, datetime.now(UTC)),
        server=server,
        port=port,
        mount=s.live_mount,
        secret=secret,
        has_secret=d.accounts.has_live_secret(me.id),
        recording=d.accounts.live_record(me.id),
        lead_in=s.live_lead_in_min,
        grace=round(s.live_grace_s),
        icecast_mount=live.icecast_mount(config) if me.coordinator else None,
        zone=config.settings.station.timezone,
    )


@bp.route("/live/auth", methods=["POST"])
def auth() -> ResponseReturnValue:
    """Icecast's question (action, mount, user, pass, ip), answered by a header."""
    d = desk()
    config = d.config
    form = request.form
    username, secret = form.get("user", ""), form.get("pass", "")
    why = _refusal(config, d.accounts, form.get("action", ""), form.get("mount", ""), username, secret)
    response = Response("", 200)
    if why is None:
        response.headers["icecast-auth-user"] = "1"
    else:
        response.headers["icecast-auth-message"] = why
        log.warning("live source refused (%s) for %r from %s", why, username[:60], form.get("ip", "?")[:60])
    return response


def _refusal(config: Config, accounts: Accounts, action: str, mount: str, username: str, secret: str) -> str | None:
    """Why a source may not go live now; None when it may (and who it is is written for playout)."""
    s = config.settings.stream
    if action != "stream_auth" or mount != s.live_mount:
        return "not a live mount"
    presenter = accounts.live_check(username, secret)
    if presenter is None:
        return "wrong user name or live password"
    booking = live.booking_now(schedule_mod.load(config), presenter.username, datetime.now(UTC), s.live_lead_in_min)
    if booking is None:
        return "no live slot now"
    live.mark_on_air(config, booking, presenter.username, presenter.presenter_name, accounts.live_record(presenter.id))
    log.info("live source let in: %s for %s", presenter.username, booking.title)
    return None


def adopt(config: Config, accounts: Accounts) -> list[str]:
    """Live shows playout recorded, taken into their show as new recordings waiting for details and consent;
    their presenter's account looks after them. The recordings' paths, relative to the station."""
    taken = []
    for mp3, note in live.finished_recordings(config):
        folder = uploads._show_folder(config, str(note.get("show") or ""))
        if folder is None:
            continue  # the show is gone: it waits until a coordinator makes it again
        started = str(note.get("started") or "")[:10]
        title = f"{note.get('title') or 'Live'} (live, {started})"
        target = uploads._free_name(folder, slugify(title) or "live", ".mp3")
        sidecar = {
            "title": title,
            "presenters": [{"name": str(note.get("presenter_name") or note.get("username")), "tier": "first-name"}],
        }
        write_text(target.with_suffix(".yaml"), yaml.safe_dump(sidecar, sort_keys=False, allow_unicode=True))
        os.replace(mp3, target)
        mp3.with_suffix(".json").unlink(missing_ok=True)
        rel = config.rel(target)
        owner = accounts.by_name(str(note.get("username") or ""))
        if owner is not None:
            accounts.set_owner(rel, owner.id)
        log.info("a live show came in as %s", rel)
        taken.append(rel)
    return taken
