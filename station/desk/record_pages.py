"""A contributor's own record: what they made, what aired, what they learnt, what they were offered.

Each presenter sees their own record at the desk and can take it away as a
one-page PDF or a text statement; coordinators see everyone's, log training
sessions and skills, and offer recognition or payment, which the presenter
accepts, declines or defers. Nothing here is ever published, and no other
presenter or responder can see it (404 / 403).

Where the figures come from: episodes are the ones the presenter's account
looks after at the desk; airtime is summed from the pinned nights
(`.station/stream/nights/`) that have ended, slot by slot, for those
episodes' GUIDs; live shows are counted as 0 until the station has live
shows. Training and recognition are in records/involvement.sqlite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue

from station.config import ASK_TEXT_MAX, Config
from station.desk import episodes as episodes_mod
from station.desk.accounts import ROLES, User
from station.desk.i18n import N_, _, day_text, ngettext, translated
from station.desk.numbers import whole_number
from station.desk.pages import coordinators_only, desk, involvement, page, today, user
from station.errors import TextRefused
from station.involvement import RECOGNITION_KINDS, RECOGNITION_STATES, SKILLS
from station.radio import nights as nights_mod
from station.radio.playlist import Night
from station.text import clean
from station.tools import pdf

bp = Blueprint("record", __name__)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
PRIVATE = N_("Private: for you and the station's coordinators only. None of it is ever published.")


@dataclass
class Aired:
    title: str
    seconds: float = 0.0
    nights: list[str] = field(default_factory=list)


@dataclass
class Record:
    who: User
    episodes: list[episodes_mod.EpisodeView]
    aired: list[Aired]
    nights: int  # nights on which any of their episodes aired
    live_shows: int
    training: list[tuple[str, str, list[str]]]
    recognition: list[tuple[int, str, str, str, str]]

    @property
    def airtime_s(self) -> float:
        return sum(a.seconds for a in self.aired)

    @property
    def skills(self) -> list[str]:
        return sorted({s for _day, _what, skills in self.training for s in skills})


def airtime(config: Config, guids: dict[str, str], now: datetime) -> tuple[list[Aired], int]:
    """Seconds each of these episodes (GUID → title) played on nights that have ended, from the pins."""
    found: dict[str, Aired] = {}
    nights_on: set[str] = set()
    folder = nights_mod.folder(config)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            night = Night.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a pin that cannot be read counts for nothing, as it does for the stream
        if night.end > now:
            continue  # not over yet: counted once it has aired
        for slot in night.slots:
            if slot.kind == "episode" and slot.guid in guids and not slot.standby:
                entry = found.setdefault(slot.guid, Aired(guids[slot.guid]))
                entry.seconds += slot.duration_s
                if night.night.isoformat() not in entry.nights:
                    entry.nights.append(night.night.isoformat())
                nights_on.add(night.night.isoformat())
    return sorted(found.values(), key=lambda a: a.title.lower()), len(nights_on)


def record_of(who: User) -> Record:
    d = desk()
    views = [v for v in episodes_mod.all_views(d.config, d.accounts.owners()) if v.owner == who.id]
    guids = {v.guid: v.title for v in views if v.guid}
    aired, nights = airtime(d.config, guids, datetime.now(UTC))
    store = involvement()
    return Record(who, views, aired, nights, 0, store.training(who.id), store.recognition(who.id))


def _minutes(seconds: float) -> str:
    return ngettext("%(num)s minute", "%(num)s minutes", round(seconds / 60))


def _skill(name: str) -> str:
    return _(name) if name in SKILLS else name  # the skills' words are marked in i18n.SHARED


def statement_sections(r: Record) -> list[tuple[str, list[str]]]:
    """The record in the request's language (the text and PDF statements, and the page)."""
    kinds, states = translated(RECOGNITION_KINDS), translated(RECOGNITION_STATES)
    episodes = [
        _(
            "%(title)s (%(show)s): %(state)s, published %(date)s",
            title=v.title,
            show=v.show_title,
            state=v.state_words,
            date=v.published_at[:10],
        )
        if v.published_at
        else _("%(title)s (%(show)s): %(state)s", title=v.title, show=v.show_title, state=v.state_words)
        for v in r.episodes
    ] or [_("None yet.")]
    aired = [
        _(
            "%(title)s: %(time)s, on the nights of %(nights)s",
            title=a.title,
            time=_minutes(a.seconds),
            nights=", ".join(a.nights),
        )
        for a in r.aired
    ]
    airtime = [
        ngettext(
            "In all: %(time)s over %(num)s night.",
            "In all: %(time)s over %(num)s nights.",
            r.nights,
            time=_minutes(r.airtime_s),
        ),
        *aired,
    ]
    training = [
        f"{d}: {what}" + (f" ({', '.join(_skill(s) for s in skills)})" if skills else "")
        for d, what, skills in r.training
    ]
    recognition = [
        f"{d}: {kinds.get(k, k)}: {what} ({states.get(s, s).lower()})" for _id, d, k, what, s in r.recognition
    ]
    return [
        (_("Episodes made (%(count)s)", count=len(r.episodes)), episodes),
        (_("Airtime on the night-owl stream"), airtime),
        (_("Live shows"), [f"{r.live_shows}"]),
        (_("Training sessions"), training or [_("None logged yet.")]),
        (_("Skills"), [", ".join(_skill(s) for s in r.skills)] if r.skills else [_("None logged yet.")]),
        (_("Recognition and payment"), recognition or [_("None offered yet.")]),
    ]


def statement_title(r: Record) -> str:
    return _(
        "%(station)s: the record of %(name)s", station=desk().config.settings.station.name, name=r.who.presenter_name
    )


def _as_of() -> str:
    return _("As of %(date)s.", date=day_text(today())) + " " + _(PRIVATE)


def statement_text(r: Record) -> str:
    lines = [statement_title(r), _as_of(), ""]
    for heading, items in statement_sections(r):
        lines += [heading, *(f"  - {i}" for i in items), ""]
    return "\n".join(lines)


def _contributor(user_id: int | None) -> User:
    """Whose record: your own, or for a coordinator anyone's; else not found."""
    me = user()
    if user_id is None or user_id == me.id:
        return me
    if not me.coordinator:
        abort(404)
    who = desk().accounts.get(user_id)
    if who is None:
        abort(404)
    return who


# ---------------------------------------------------------------- the record
@bp.route("/record", methods=["GET", "POST"])
@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
def record(user_id: int | None = None) -> ResponseReturnValue:
    who = _contributor(user_id)
    store = involvement()
    error = None
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "answer-offer":  # the contributor's own say on an offer
            state = request.form.get("state", "")
            number = whole_number(request.form.get("offer", ""))
            if who.id != user().id or state not in ("accepted", "declined", "deferred") or number is None:
                abort(403 if who.id != user().id else 400)
            if not store.set_recognition(number, who.id, state):
                abort(404)
            done = _("Marked %(state)s.", state=_(RECOGNITION_STATES[state]).lower())
            return redirect(url_for("record.record", done=done), 303)
        if not user().coordinator:
            abort(403)
        error = _coordinator_action(who, action)
        if error is None:
            return redirect(url_for("record.record", user_id=who.id, done=_("Saved.")), 303)
    r = record_of(who)
    return page(
        "record.html",
        title=_("Your record") if who.id == user().id else _("%(name)s's record", name=who.presenter_name),
        r=r,
        sections=statement_sections(r),
        mine=who.id == user().id,
        skills={s: _(s) for s in SKILLS},
        kinds=translated(RECOGNITION_KINDS),
        states=translated(RECOGNITION_STATES),
        private=_(PRIVATE),
        error=error,
        message=request.args.get("done", "")[:100] or None,
        today=today(),
    ), (400 if error else 200)


def _coordinator_action(who: User, action: str) -> str | None:
    form = request.form
    given = form.get("date", "").strip()
    try:
        when = date.fromisoformat(given) if _DATE.match(given) else None
    except ValueError:
        when = None
    try:
        what = clean(form.get("what", "")).strip()
    except TextRefused as exc:
        return _("What it was: %(why)s.", why=exc)
    if when is None:
        return _("The date: write it like 2026-12-01.")
    if not what or len(what) > ASK_TEXT_MAX:
        return _("Say in a few words what it was.")
    store = involvement()
    if action == "training":
        store.add_training(who.id, when, what, [s for s in form.getlist("skills") if s in SKILLS])
        return None
    if action == "offer":
        kind = form.get("kind", "")
        if kind not in RECOGNITION_KINDS:
            return _("Choose recognition or payment.")
        store.add_recognition(who.id, when, kind, what, "offered")
        return None
    return _("The desk does not do that here.")


@bp.route("/record/statement.<kind>")
@bp.route("/people/<int:user_id>/statement.<kind>")
def statement(kind: str, user_id: int | None = None) -> ResponseReturnValue:
    who = _contributor(user_id)
    r = record_of(who)
    name = f"record-{re.sub(r'[^a-z0-9]+', '-', who.username.lower()).strip('-') or 'contributor'}"
    if kind == "txt":
        body, mime = statement_text(r).encode("utf-8"), "text/plain"  # Flask adds the charset
    elif kind == "pdf":
        body = pdf.statement(statement_title(r), statement_sections(r), _as_of())
        mime = "application/pdf"
    else:
        abort(404)
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


@bp.route("/people")
@coordinators_only
def people() -> ResponseReturnValue:
    users = [u for u in desk().accounts.users() if u.role != "responder"]
    roles = {role: _(role) for role in ROLES}  # the words are marked in i18n.SHARED
    return page("people.html", title=_("Contributors' records"), users=users, roles=roles)
