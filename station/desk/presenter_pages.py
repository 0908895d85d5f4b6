"""What a presenter does at the desk: their episodes, uploads, transcripts, pausing and withdrawing.

A presenter sees only the episodes their account looks after (the ones they
uploaded, or that a coordinator gave them); anything else answers "not
found", so nobody learns what else is there. Coordinators see every episode.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Blueprint, abort, g, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue

from station.build import withdraw as withdraw_mod
from station.catalog import content as catalog_mod
from station.catalog.model import CONTENT_NOTES
from station.desk import episodes as episodes_mod
from station.desk import live_pages, schedule_edit, uploads
from station.desk.i18n import _, night_text, translated
from station.desk.numbers import whole_number
from station.desk.pages import desk, page, user
from station.errors import FieldProblem, StationError, TextRefused, UploadRefused
from station.files import write_text
from station.text import clean

bp = Blueprint("presenter", __name__)
log = logging.getLogger("station.desk")


def _views() -> list[episodes_mod.EpisodeView]:
    d = desk()
    views = episodes_mod.all_views(d.config, d.accounts.owners())
    me = user()
    return views if me.coordinator else [v for v in views if v.owner == me.id]


def _episode(eid: str) -> episodes_mod.EpisodeView:
    """The episode, if it is this user's to see; else "not found", the same as for one that is not there."""
    d = desk()
    found = episodes_mod.view_of(d.config, d.accounts.owners(), eid)
    if found is None or not (user().coordinator or found.owner == user().id):
        abort(404)
    return found


@bp.route("/")
def episodes() -> ResponseReturnValue:
    live_pages.adopt(desk().config, desk().accounts)  # a live show recorded since: a new recording here
    views = _views()
    names = {u.id: u.username for u in desk().accounts.users()} if user().coordinator else {}
    return page(
        "episodes.html",
        title=_("All episodes") if user().coordinator else _("Your episodes"),
        episodes=views,
        names=names,
        states=translated(episodes_mod.STATES),
    )


@bp.route("/upload", methods=["GET", "POST"])
def upload() -> ResponseReturnValue:
    d = desk()
    form = uploads.Form(presenter_name=user().presenter_name)
    problems: list[FieldProblem] = []
    if request.method == "POST":
        form = uploads.Form.from_request(request.form)
        sent = request.files.get("recording")
        try:
            recording = uploads.accept(
                d.config,
                form,
                sent.stream if sent else None,
                (sent.filename or "") if sent else "",
                date.today(),
                names=_own_names(),
            )
        except UploadRefused as refused:
            problems = refused.problems
        else:
            rel = d.config.rel(recording)
            d.accounts.set_owner(rel, user().id)
            log.info("uploaded at the desk: %s", rel)
            d.changed()
            return redirect(url_for("presenter.episode", eid=episodes_mod.episode_id(rel), uploaded=1), 303)
    shows = [s.slug for s in catalog_mod.shows(d.config)]
    return page(
        "upload.html",
        title=_("Upload a recording"),
        form=form,
        problems=problems,
        shows=shows,
        action=url_for("presenter.upload", csrf=g.csrf),
        tiers=translated(uploads.TIERS),
        scopes=translated(uploads.SCOPES),
        notes=translated(CONTENT_NOTES),
        groups=uploads.topic_groups(),
        max_mb=d.config.settings.desk.max_upload_mb,
        zone=d.config.settings.station.timezone,
    ), (400 if problems else 200)


@bp.route("/episodes/<eid>")
def episode(eid: str) -> ResponseReturnValue:
    view = _episode(eid)
    d = desk()
    transcript = episodes_mod.transcript_of(d.config, view) if view.state != "withdrawn" else None
    correction = episodes_mod.correction_path(d.config, view.recording)
    text = (
        correction.read_text(encoding="utf-8")
        if correction.exists()
        else "\n".join(c.text for c in transcript.cues)
        if transcript
        else ""
    )
    users = d.accounts.users() if user().coordinator else []
    return page(
        "episode.html",
        title=view.title,
        ep=view,
        transcript=transcript,
        correction=text,
        uploaded=request.args.get("uploaded"),
        saved=request.args.get("saved"),
        users=users,
        has_audio=_audio_path(view) is not None,
    )


@bp.route("/episodes/<eid>/details", methods=["GET", "POST"])
def details(eid: str) -> ResponseReturnValue:
    view = _episode(eid)
    if view.state == "withdrawn":
        abort(404)  # agreeing again is a conversation with a coordinator, not a form
    d = desk()
    recording = d.config.root / view.recording
    problems: list[FieldProblem] = []
    if request.method == "POST":
        form = uploads.Form.from_request(request.form)
        form.show = view.show
        sent = request.files.get("recording")
        try:
            uploads.update(
                d.config,
                recording,
                form,
                sent.stream if sent else None,
                (sent.filename or "") if sent else "",
                date.today(),
                names=_own_names(),
            )
        except UploadRefused as refused:
            problems = refused.problems
        else:
            log.info("details changed at the desk: %s", view.recording)
            d.changed()
            return redirect(url_for("presenter.episode", eid=eid, saved="details"), 303)
    else:
        form = uploads.form_of(episodes_mod.sidecar_of(recording), view.show)
    return page(
        "upload.html",
        title=_("Details: %(title)s", title=view.title),
        form=form,
        problems=problems,
        shows=[view.show],
        action=url_for("presenter.details", eid=eid, csrf=g.csrf),
        tiers=translated(uploads.TIERS),
        scopes=translated(uploads.SCOPES),
        notes=translated(CONTENT_NOTES),
        groups=uploads.topic_groups(),
        max_mb=d.config.settings.desk.max_upload_mb,
        zone=d.config.settings.station.timezone,
        editing=view,
    ), (400 if problems else 200)


@bp.route("/episodes/<eid>/audio")
def audio(eid: str) -> ResponseReturnValue:
    path = _audio_path(_episode(eid))
    if path is None:
        abort(404)
    return send_file(path, mimetype="audio/mpeg", conditional=True, max_age=0)


def _audio_path(view: episodes_mod.EpisodeView) -> Path | None:
    """The episode as listeners hear it (normalised, redacted), once a build has made it."""
    if view.state == "withdrawn" or not view.audio:
        return None
    path = desk().config.site_dir / view.audio
    return path if path.is_file() else None


@bp.route("/episodes/<eid>/transcript", methods=["POST"])
def transcript(eid: str) -> ResponseReturnValue:
    view = _episode(eid)
    if view.state == "withdrawn":
        abort(404)
    try:
        text = clean(request.form.get("correction", ""), multiline=True).strip()
    except TextRefused as exc:
        return page(
            "error.html",
            title=_("The correction was not saved"),
            message=_("Nothing was saved. The corrected transcript cannot be kept as it is: %(why)s.", why=exc),
        ), 400
    if not text:
        return page(
            "error.html",
            title=_("The correction is empty"),
            message=_(
                "Nothing was saved: the corrected transcript needs the words of the whole "
                "episode. Go back and try again."
            ),
        ), 400
    d = desk()
    write_text(episodes_mod.correction_path(d.config, view.recording), text + "\n")
    log.info("transcript corrected at the desk: %s", view.recording)
    d.changed()
    return redirect(url_for("presenter.episode", eid=eid, saved="transcript"), 303)


@bp.route("/episodes/<eid>/withdraw", methods=["POST"])
def withdraw(eid: str) -> ResponseReturnValue:
    view = _episode(eid)
    if request.form.get("confirm") != "yes":
        return page(
            "error.html",
            title=_("Nothing was withdrawn"),
            message=_("Tick “Yes, take this episode back” to confirm, then press Withdraw."),
        ), 400
    d = desk()
    try:
        report = withdraw_mod.withdraw(
            d.config, view.recording, datetime.now(UTC), delete_recording=request.form.get("delete") == "yes"
        )
    except StationError as exc:
        return page("error.html", title=_("The withdrawal did not finish"), message=str(exc)), 500
    log.info("withdrawn at the desk: %s", view.recording)
    if not report.complete:  # recorded and its own files gone, but say plainly what is not done yet
        return page("withdrawn.html", title=_("Withdrawn, but not everywhere yet"), report=report), 200
    if report.recording_deleted:
        d.accounts.set_owner(view.recording, None)
        return page("withdrawn.html", title=_("Withdrawn and deleted"), report=report), 200
    return redirect(url_for("presenter.episode", eid=eid, saved="withdrawn"), 303)


@bp.route("/episodes/<eid>/owner", methods=["POST"])
def owner(eid: str) -> ResponseReturnValue:
    if not user().coordinator:
        abort(403)
    view = _episode(eid)
    d = desk()
    chosen = whole_number(request.form.get("owner", ""))
    target = d.accounts.get(chosen) if chosen is not None else None
    if target is None and request.form.get("owner", "").strip():
        return page(
            "error.html",
            title=_("Nobody was given the episode"),
            message=_("Choose one of the desk's accounts from the list, or nobody."),
        ), 400
    d.accounts.set_owner(view.recording, target.id if target else None)
    return redirect(url_for("presenter.episode", eid=eid, saved="owner"), 303)


@bp.route("/pause", methods=["GET", "POST"])
def pause() -> ResponseReturnValue:
    d = desk()
    me = user()
    name = me.presenter_name
    if me.coordinator and request.values.get("presenter", "").strip():
        try:
            name = " ".join(clean(request.values["presenter"]).split())
        except TextRefused as exc:
            return page(
                "error.html",
                title=_("Nobody was paused"),
                message=_("The presenter's name cannot be used as it is: %(why)s.", why=exc),
            ), 400
    message = None
    try:
        if request.method == "POST":
            if request.form.get("action") == "resume":
                schedule_edit.clear_paused(d.config, name)
                message = _("%(name)s is back on the overnight schedule from the next running order.", name=name)
            else:
                until = request.form.get("until", "").strip()
                try:
                    if not until.isascii():
                        raise ValueError(until)
                    last = date.fromisoformat(until) if until else None
                except ValueError:
                    return page(
                        "error.html",
                        title=_("That date did not work"),
                        message=_(
                            "Give the last night of the pause as a date, like 2026-12-31, or leave it "
                            "empty to pause until you come back."
                        ),
                    ), 400
                schedule_edit.set_paused(d.config, name, last)
                message = (
                    _(
                        "%(name)s is paused from the overnight stream up to and including the night of %(night)s.",
                        name=name,
                        night=night_text(last),
                    )
                    if last
                    else _("%(name)s is paused from the overnight stream until resumed.", name=name)
                )
            d.changed()
        paused = schedule_edit.paused(d.config, name)
    except ValueError as exc:  # a pause list broken by hand: fixed by hand, never written over
        return page(
            "error.html",
            title=_("The pause list needs fixing first"),
            message=_("%(why)s. Nothing was changed; a coordinator can fix the file by hand.", why=exc),
        ), 400
    return page("pause.html", title=_("Pause from the overnight stream"), name=name, paused=paused, message=message)


def _own_names() -> list[str] | None:
    """The names this user may credit an episode to: their own presenter name (None: anyone, a coordinator)."""
    me = user()
    return None if me.coordinator else [me.presenter_name]
