"""What only coordinators do at the desk: the overnight schedule, tonight's preview, problems, accounts."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime

from flask import Blueprint, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from station import text as text_mod
from station.build import report as report_mod
from station.build import runner as pipeline
from station.catalog import content as catalog_mod
from station.catalog import resources as resources_mod
from station.catalog.model import CONTENT_NOTES
from station.desk import schedule_edit
from station.desk.accounts import ROLES
from station.desk.i18n import N_, _, translated
from station.desk.numbers import decimal, whole_number
from station.desk.pages import coordinators_only, desk, page, today, user
from station.errors import AccountError, Problem, TextRefused
from station.radio import library as library_mod
from station.radio import nights
from station.radio import schedule as schedule_mod

bp = Blueprint("station", __name__)
log = logging.getLogger("station.desk")
SELECTION_KEYS = ("shows", "topics", "tags", "files")
RULE_NUMBERS = ("signpost_every_min", "no_repeat_nights", "presenter_max_percent", "newcomer_percent", "newcomer_days")
# A form says how many blocks and content-note hours it holds; nothing is made for more than a schedule may
# hold (schedule.py's limits), so `blocks=3000000` is a plain problem, not three million drafts in memory.
MAX_BLOCKS = schedule_mod.MAX_BLOCKS
MAX_NOTE_HOURS = schedule_mod.MAX_ITEMS
DAYS = {
    "mon": N_("Mon"),
    "tue": N_("Tue"),
    "wed": N_("Wed"),
    "thu": N_("Thu"),
    "fri": N_("Fri"),
    "sat": N_("Sat"),
    "sun": N_("Sun"),
}  # the schedule's nights, as its form shows them


# ---------------------------------------------------------------- the schedule
@bp.route("/schedule")
@coordinators_only
def schedules():
    files = schedule_edit.schedule_files(desk().config)
    if len(files) == 1:
        return redirect(url_for("station.schedule", file=files[0]))
    return page("schedules.html", title=_("The overnight schedule"), files=files)


@bp.route("/schedule/edit", methods=["GET", "POST"])
@coordinators_only
def schedule():
    config = desk().config
    file = request.values.get("file", "")
    if file not in schedule_edit.schedule_files(config):
        return page(
            "error.html", title=_("No such schedule"), message=_("That is not one of the schedule files in scheduler/.")
        ), 404
    problems: list[Problem] = []
    notice = None
    try:
        if request.method == "GET":
            draft = schedule_edit.read(config, file)
        else:
            draft, problems = _draft_from_form(file)
            if draft is None:
                return page("error.html", title=_("Nothing was saved"), message=f"{problems[0]}."), 400
            action = request.form.get("action", "save")
            if not problems and action != "save":
                notice = _rearrange(draft, action)
            elif not problems:
                problems = schedule_edit.save(config, draft)
                if not any(p.is_error for p in problems):
                    log.info("schedule saved at the desk: %s", file)
                    desk().changed()
                    return redirect(url_for("station.tonight", saved=file), 303)
        flagged = {schedule_edit.block_for(config, draft, p) for p in problems if p.is_error} - {None}
    except ValueError as exc:  # the file cannot be read as a schedule: it is fixed by hand, never written over
        return page(
            "error.html",
            title=_("This schedule needs fixing by hand"),
            message=_("%(why)s. Nothing was changed.", why=exc),
        ), 400
    days = {d: _(DAYS[d]) for d in schedule_mod.DAYS}
    return page(
        "schedule.html",
        title=_("Edit the schedule: %(name)s", name=draft.name),
        draft=draft,
        problems=problems,
        notice=notice,
        days=days,
        selection_keys=SELECTION_KEYS,
        flagged=flagged,
        notes=translated(CONTENT_NOTES),
    ), (400 if any(p.is_error for p in problems) else 200)


def _rearrange(draft, action: str) -> str:
    """Add, move or remove a block in the draft; nothing is saved until Save."""
    what, _dash, index = action.partition("-")
    if what == "add":
        schedule_edit.new_block(draft)
        return _("A new block was added at the end. Fill it in, then save.")
    i = whole_number(index)
    if i is None or i >= len(draft.blocks):
        return _("Nothing changed.")
    name = draft.blocks[i].name
    if what == "up":
        schedule_edit.move_block(draft, i, -1)
        return _("“%(name)s” moved up. Save to keep it.", name=name)
    if what == "down":
        schedule_edit.move_block(draft, i, +1)
        return _("“%(name)s” moved down. Save to keep it.", name=name)
    if what == "remove":
        del draft.blocks[i]
        return _("“%(name)s” was removed. Save to keep it, or reload the page to undo.", name=name)
    return _("Nothing changed.")


def _draft_from_form(file: str):
    """The form's fields as a Draft, and problems with fields that are not numbers or times.

    The draft is None when the form cannot be a schedule at all (more blocks than any schedule has):
    then the one problem says so."""
    where = file
    f, refused = _cleaned(request.form)
    if refused:
        what, _dash, fix = refused.partition(" — ")
        return None, [Problem(where, what, fix or _("retype that part, or paste it as plain text"))]
    problems: list[Problem] = []

    def number(key: str, label: str, cast=int, blank=False):
        text = f.get(key, "").strip()
        if blank and not text:
            return None
        value = whole_number(text, signed=True) if cast is int else decimal(text)
        if value is None:
            problems.append(
                Problem(
                    where,
                    _("%(label)s: “%(text)s” is not a number", label=label, text=text[:40]),
                    _("write a number, like 30"),
                )
            )
            return 0
        return value

    def words(key: str) -> list[str]:
        return [w.strip() for w in f.get(key, "").replace("\n", ",").split(",") if w.strip()]

    count = number("blocks", _("the number of blocks"))
    hours = number("notes_after", _("the number of content-note hours"))
    for value, most, said in (
        (count, MAX_BLOCKS, N_("a schedule can have from 0 to %(most)s blocks, and this form said %(value)s")),
        (
            hours,
            MAX_NOTE_HOURS,
            N_("a schedule can have from 0 to %(most)s content-note hours, and this form said %(value)s"),
        ),
    ):
        if value < 0 or value > most:
            return None, [Problem(where, _(said, most=most, value=value), _("reload the schedule and try again"))]
    blocks = []
    for i in range(count):
        p = f"block-{i}-"
        days = [d for d in schedule_mod.DAYS if d in f.getlist(p + "days")]
        if not days:
            problems.append(
                Problem(
                    where,
                    _(
                        "block %(number)s (%(name)s) is on no night",
                        number=i + 1,
                        name=f.get(p + "name", "").strip()[:60],
                    ),
                    _("tick at least one night, or remove the block"),
                )
            )
        blocks.append(
            schedule_edit.BlockDraft(
                name=f.get(p + "name", "").strip(),
                days=days,
                origin=whole_number(f.get(p + "origin", "")),
                start=f.get(p + "start", "").strip(),
                end=f.get(p + "end", "").strip(),
                fill=schedule_edit.SelectionDraft(*(words(f"{p}fill-{k}") for k in SELECTION_KEYS)),
                standby=schedule_edit.SelectionDraft(*(words(f"{p}standby-{k}") for k in SELECTION_KEYS)),
            )
        )
    notes_after = []
    for i in range(hours):
        chosen = f.getlist(f"notes_after-{i}-notes")
        if chosen:
            notes_after.append(schedule_edit.NoteHourDraft(chosen, f.get(f"notes_after-{i}-after", "").strip()))
    rules = schedule_edit.RulesDraft(
        ident_every_min=number("ident_every_min", _("Station ident every (minutes)"), blank=True),
        signpost_every_min=number("signpost_every_min", _("Crisis signposting at least every (minutes)")),
        signpost_after_content_notes=f.get("signpost_after_content_notes") == "yes",
        no_repeat_nights=number("no_repeat_nights", _("Nights before an episode repeats")),
        presenter_max_percent=number("presenter_max_percent", _("Most of a night one presenter may have (%%)"), float),
        newcomer_percent=number("newcomer_percent", _("Newcomers' share of episode time (%%)"), float),
        newcomer_days=number("newcomer_days", _("A newcomer is first heard within (days)")),
        notes_after=notes_after,
    )
    draft = schedule_edit.Draft(
        file=file,
        name=f.get("name", "").strip(),
        window_start=f.get("window_start", "").strip(),
        window_end=f.get("window_end", "").strip(),
        rules=rules,
        blocks=blocks,
        revision=f.get("revision", ""),
    )
    return draft, problems


def _cleaned(form) -> tuple[MultiDict, str | None]:
    """The form's values with harmless breaks cleaned, or the reason one cannot be used (naming its field)."""
    out: MultiDict[str, str] = MultiDict()
    for key, values in form.lists():
        for value in values:
            try:
                out.add(key, text_mod.clean(value, multiline=key.endswith(("-shows", "-topics", "-tags", "-files"))))
            except TextRefused as exc:
                label = _label(key)
                named = label[:1].upper() + label[1:]
                return out, _("%(field)s: %(why)s", field=named, why=exc)
    return out, None


def _label(key: str) -> str:
    """A form field's name as the page calls it."""
    block = re.match(r"^block-(\d{1,4})-(.*)$", key)
    if block:
        field = block.group(2)
        for prefix, said in (("fill-", N_("what fills it (%(field)s)")), ("standby-", N_("its standby (%(field)s)"))):
            if field.startswith(prefix):
                field = _(said, field=field[len(prefix) :])
        return _("block %(number)s, %(field)s", number=int(block.group(1)) + 1, field=field)
    named = {
        "name": N_("the schedule's name"),
        "window_start": N_("the window's start"),
        "window_end": N_("the window's end"),
    }
    return _(named[key]) if key in named else _("the field “%(name)s”", name=key[:40])


# ---------------------------------------------------------------- tonight
@bp.route("/tonight")
@coordinators_only
def tonight():
    config = desk().config
    shows = {s.slug for s in catalog_mod.shows(config)}
    schedules = schedule_mod.load(config, shows)
    lib = library_mod.load(config)
    order, why = None, None
    errors = [p for p in schedules.problems if p.is_error]
    night = nights.night_of(schedules, datetime.now(UTC)) if schedules.exists else None
    wanted = request.args.get("night", "")
    if wanted:
        try:
            night = date.fromisoformat(wanted)
        except ValueError:
            why = _("“%(given)s” is not a date: write it like 2026-12-24.", given=wanted[:40])
        else:
            if not date(1970, 1, 1) <= night <= date(2999, 12, 31):  # the clock arithmetic ends at year 9999
                why = _("Choose a night between 1970 and 2999.")
    if why:
        pass  # the night asked for is not a date: say so, not something else
    elif errors:
        why = _("The schedule needs fixing first.")
    elif lib is None:
        why = _(
            "Nothing has been built yet, so the stream does not know what it can play. It will once the build runs."
        )
    elif not schedules.exists:
        why = _("There is no schedule yet.")
    elif night is not None:
        # With the time, a night on air keeps what has aired: the preview is what will really go out.
        order = nights.running_order(config, night, schedules=schedules, library=lib, pin=False, now=datetime.now(UTC))
        if order is None:
            why = _("No schedule covers that night: the regular week needs a schedule file without dates.")
    rows = _rows(order) if order else []
    return page(
        "tonight.html",
        title=_("Tonight's running order"),
        order=order,
        rows=rows,
        why=why,
        problems=errors,
        night=night,
        saved=request.args.get("saved"),
    )


def _rows(order) -> list[dict]:
    """Running-order rows for people; a run of music beds is one row."""
    rows: list[dict] = []
    for slot in order.slots:
        if slot.kind == "bed" and rows and rows[-1]["kind"] == "bed":
            rows[-1]["length"] += slot.duration_s
            continue
        title = _("Music bed") if slot.kind == "bed" else slot.title
        rows.append(
            {
                "kind": slot.kind,
                "at": order.clock(slot.start_s),
                "length": slot.duration_s,
                "title": title,
                "show": slot.show_title,
                "block": slot.block,
                "standby": slot.standby,
                "notes": [_(CONTENT_NOTES[n]) for n in slot.content_notes],
            }
        )
    return rows


# ---------------------------------------------------------------- problems
@bp.route("/problems")
@coordinators_only
def problems():
    config = desk().config
    report = report_mod.read(config)
    shows = {s.slug for s in catalog_mod.shows(config)}
    schedule_problems = schedule_mod.load(config, shows).problems
    reviews = resources_mod.due_for_review(config, today())  # as of today, not as of the last build
    said = {(p.where, p.key) for _entry, p in reviews}
    return page(
        "problems.html",
        title=_("Problems across the station"),
        build=[p for p in report.problems if (p.where, p.key) not in said] if report else [],
        reviews=reviews,
        schedule=schedule_problems,
        waiting=list(report.waiting) if report else [],
        pending=report.transcripts_pending if report else [],
        built_at=datetime.fromtimestamp(report.written_at, UTC) if report else None,
        building=pipeline.building(config),
    )


# ---------------------------------------------------------------- accounts
@bp.route("/accounts", methods=["GET", "POST"])
@coordinators_only
def accounts():
    a = desk().accounts
    message, error = None, None
    if request.method == "POST":
        action = request.form.get("action", "")
        target = request.form.get("user", "")
        try:
            if action == "add":
                made = a.add(
                    request.form.get("username", ""),
                    request.form.get("password", ""),
                    request.form.get("role", "presenter"),
                    request.form.get("presenter_name", ""),
                )
                message = _(
                    "The account %(name)s was made. Give them the password in person or by phone.", name=made.username
                )
            elif (number := whole_number(target)) is not None and (who := a.get(number)) is not None:
                if action == "role":
                    a.update(
                        who.id, role=request.form.get("role", ""), presenter_name=request.form.get("presenter_name")
                    )
                    message = _("%(name)s's account was updated.", name=who.username)
                elif action == "password":
                    a.set_password(who.id, request.form.get("password", ""))
                    message = _(
                        "%(name)s's password was changed, and they were signed out everywhere.", name=who.username
                    )
                elif action == "remove":
                    if who.id == user().id:
                        raise AccountError(_("you cannot remove your own account while signed in to it"))
                    a.remove(who.id)
                    message = _(
                        "The account %(name)s was removed. Their episodes stay; give them to someone.",
                        name=who.username,
                    )
        except AccountError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:] + "."
    roles = {role: _(role) for role in ROLES}  # the words are marked in i18n.SHARED
    return page(
        "accounts.html", title=_("Desk accounts"), users=a.users(), roles=roles, message=message, error=error
    ), (400 if error else 200)
