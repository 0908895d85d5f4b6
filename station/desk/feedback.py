"""Listener feedback: the desk's one public door, and the coordinators' queue it fills.

`POST /feedback` is the only route served without signing in, besides the
sign-in page. The website's episode pages and tonight page carry a plain HTML
form that posts here (`[desk] public_url`); it works without JavaScript. The
door keeps nothing that says who wrote:

- no account and no cookie: it sets none and reads none;
- no address: the per-address limit (`FEEDBACK_PER_MINUTE` in a minute) is
  counted in this process's memory only, under a keyed hash whose key is
  made at start and never written, and forgotten after a minute;
- nothing is logged about the request, and waitress logs no requests;
- bounded before it is read: the gate (gate.py) lets at most `FEEDBACK_BODY`
  bytes in, a message is at most `FEEDBACK_MAX_CHARS` characters, a
  honeypot field that people never see (and bots fill) makes a post be
  thanked and thrown away; no captcha from anywhere else.

There is no CSRF token: there is no session to ride on, and the form is
served by the static site, not the desk. What arrives is a coordinator's to
read, in the queue; it is never published as it was typed.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import re
import secrets
import threading
import time
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from station.catalog import recovery_map
from station.catalog import resources as resources_mod
from station.config import (
    FEEDBACK_ADDRESSES,
    FEEDBACK_MAX_CHARS,
    FEEDBACK_PER_MINUTE,
    FEEDBACK_WINDOW_S,
)
from station.desk import episodes as episodes_mod
from station.desk import gate
from station.desk.client import client_address  # the same address rules as the sign-in throttle
from station.desk.i18n import _, number, translated
from station.desk.numbers import whole_number
from station.desk.pages import coordinators_only, desk, involvement, page, today
from station.errors import TextRefused
from station.involvement import CHANNELS, FEEDBACK_STATES
from station.text import clean

bp = Blueprint("feedback", __name__)
PATH = gate.FEEDBACK_PATH
HONEYPOT = "website"  # a field people never see; a bot that fills every field fills it
ABOUT = re.compile(r"^(episode:[a-z0-9-]{1,100}/[a-z0-9-]{1,200}|place:[a-z0-9-]{1,200}|node:[a-z0-9_.]{1,100})\Z")
BACK = re.compile(r"^(?:[a-z0-9_-]{1,200}/){0,4}\Z")  # a page of the site, as its path from the top


class Throttle:
    """At most `limit` posts a `window` from one address, counted in memory only.

    Addresses are held as keyed hashes with a key made at start, so even this
    process's memory does not hold them as written; an address is forgotten a
    window after its last post, and no more than `most` are held at once."""

    def __init__(
        self, limit: int = FEEDBACK_PER_MINUTE, window: float = FEEDBACK_WINDOW_S, most: int = FEEDBACK_ADDRESSES
    ):
        self.limit, self.window, self.most = limit, window, most
        self.key = secrets.token_bytes(32)
        self.seen: collections.OrderedDict[bytes, collections.deque[float]] = collections.OrderedDict()
        self.lock = threading.Lock()

    def allow(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        who = hmac.new(self.key, address.encode("utf-8", "replace"), hashlib.sha256).digest()
        with self.lock:
            while self.seen:  # forget whoever has been quiet for a window (the oldest come first)
                oldest, times = next(iter(self.seen.items()))
                if times and now - times[-1] < self.window and len(self.seen) <= self.most:
                    break
                del self.seen[oldest]
            times = self.seen.pop(who, collections.deque())
            while times and now - times[0] >= self.window:
                times.popleft()
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            self.seen[who] = times  # to the end: the most recently heard from
            return allowed


def throttle() -> Throttle:
    found: Throttle = current_app.extensions["feedback-throttle"]
    return found


def _answer(title: str, message: str, status: int, back: str | None = None) -> ResponseReturnValue:
    base = desk().config.settings.station.base_url
    return (
        render_template(
            "feedback_sent.html",
            title=title,
            message=message,
            station=desk().config.settings.station.name,
            back=base + (back or ""),
        ),
        status,
    )


def too_large() -> ResponseReturnValue:
    return _answer(
        _("That message is too long"),
        _(
            "A message can be up to %(most)s characters, and this was longer, so it was not kept. "
            "Go back, make it shorter (or send it in two), and send it again.",
            most=number(FEEDBACK_MAX_CHARS),
        ),
        413,
    )


@bp.route(PATH, methods=["POST"])
def receive() -> ResponseReturnValue:
    """A listener's message. Nothing about the sender is kept or logged."""
    if not throttle().allow(client_address()):
        return _answer(
            _("Please wait a minute"),
            _(
                "A lot of messages came from your connection in the last minute, so this one was not kept. "
                "Wait a minute, then send it again: we do want to hear it."
            ),
            429,
        )
    if request.mimetype != "application/x-www-form-urlencoded":
        return _answer(_("That did not work"), _("Send your message from the form on the station's website."), 400)
    form = request.form
    back = form.get("back", "")
    back = back if BACK.match(back) else ""
    if form.get(HONEYPOT, ""):
        return _thanks(back)  # thanked like anyone, and thrown away
    try:
        message = clean(form.get("message", ""), multiline=True).strip()
    except TextRefused:
        return _answer(
            _("That did not work"),
            _(
                "Your message holds an invisible control character that the station cannot keep. "
                "Go back, retype it (or paste it as plain text) and send it again."
            ),
            400,
            back,
        )
    if not message:
        return _answer(
            _("Nothing was sent"), _("The message was empty. Go back, write something and send it."), 400, back
        )
    if len(message) > FEEDBACK_MAX_CHARS:
        return too_large()
    about = form.get("about", "")
    involvement().add_feedback(message, "site", about if ABOUT.match(about) else None)
    return _thanks(back)


def _thanks(back: str) -> ResponseReturnValue:
    return _answer(
        _("Thank you"),
        _(
            "Your message reached the station's coordinators. They read every one; nobody can tell who sent it. "
            "What the station asks of local services, and what they answer, is on the website's Asks page."
        ),
        200,
        back,
    )


# ---------------------------------------------------------------- the coordinators' queue
@bp.route("/feedback/queue", methods=["GET", "POST"])
@coordinators_only
def queue() -> ResponseReturnValue:
    store = involvement()
    message, error = None, None
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "add":
            channel = request.form.get("channel", "")
            about = request.form.get("about", "")
            try:
                words = clean(request.form.get("message", ""), multiline=True).strip()
            except TextRefused as exc:
                words, error = "", _("The message: %(why)s.", why=exc)
            if not error and channel not in CHANNELS:
                error = _("Choose how the message came: a phone call, a text or in person.")
            elif not error and not words:
                error = _("Write the message down first.")
            elif not error and len(words) > FEEDBACK_MAX_CHARS:
                error = _(
                    "A message can be up to %(most)s characters; this one has %(count)s.",
                    most=number(FEEDBACK_MAX_CHARS),
                    count=number(len(words)),
                )
            if not error:
                store.add_feedback(words, channel, about if ABOUT.match(about) else None)
                message = _("The message was added to the queue.")
        else:
            chosen = whole_number(request.form.get("feedback", ""))
            found = store.one_feedback(chosen) if chosen is not None else None
            if found is None or action not in ("read", "aside", "new"):
                error = _("That message is not in the queue any more. Reload the page.")
            else:
                store.mark_feedback(found.id, action, found.ask_id)
                message = _(
                    "Message %(id)s is marked “%(state)s”.", id=found.id, state=_(FEEDBACK_STATES[action]).lower()
                )
        if not error:
            return redirect(url_for("feedback.queue", done=message), 303)
    return page(
        "feedback_queue.html",
        title=_("Listener feedback"),
        items=store.feedback(),
        states=translated(FEEDBACK_STATES),
        channels=translated(CHANNELS),
        message=request.args.get("done", "")[:200] or None,
        error=error,
        about_of=lambda about: about_label(about),
        choices=about_choices(),
        public_url=desk().config.settings.desk.feedback_url,
    ), (400 if error else 200)


def about_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What a message typed in can be about: the published episodes, the map's places and nodes."""
    config = desk().config
    places, _rest = resources_mod.load(config, today())
    views = episodes_mod.all_views(config, desk().accounts.owners())
    episodes = sorted((f"episode:{v.show}/{v.slug}", f"{v.title} ({v.show_title})") for v in views if v.page and v.slug)
    return [
        (_("Episodes"), episodes),
        (_("Places on the Recovery Network Map"), [(f"place:{p.slug}", p.meta.name) for p in places]),
        (
            _("Where I am: the recovery systems map"),
            [(f"node:{n.id}", n.name) for n in recovery_map.nodes().values()],
        ),
    ]


def about_label(about: str | None) -> dict[str, Any] | None:
    """What a message is about, for the queue: words and the site's page for it."""
    if not about:
        return None
    kind, _colon, what = about.partition(":")
    base = desk().config.settings.station.base_url
    if kind == "episode":
        return {"words": _("the episode %(name)s", name=what), "url": f"{base}shows/{what}/"}
    if kind == "place":
        return {"words": _("the place %(name)s", name=what), "url": f"{base}map/{what}/"}
    node = recovery_map.nodes().get(what)
    return {"words": _("“%(name)s” on the map", name=node.name if node else what), "url": f"{base}topics/{what}/"}
