"""Asks and answers at the desk: coordinators raise asks of organisations on the map; responders answer.

A coordinator turns listeners' feedback, a presenter's proposal or a group's
request into an ask addressed to one organisation (a resource on the
Recovery Network Map): plain words, the map nodes it concerns, a scope and a
decision date. The site publishes it with its answers (web/asks.py).

A responder account answers for one organisation and does nothing else: it
sees its organisation's asks (never who raised them, never any feedback or
any contributor), answers them, and signs out. Every other page answers 403,
and an ask of another organisation 404, the same as one that is not there.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from station.catalog import recovery_map
from station.catalog import resources as resources_mod
from station.config import ASK_TEXT_MAX
from station.desk.i18n import N_, _, number, translated
from station.desk.numbers import whole_number
from station.desk.pages import coordinators_only, desk, involvement, page, today, user
from station.errors import TextRefused
from station.involvement import ANSWERS, SOURCES, Ask
from station.text import clean

bp = Blueprint("asks", __name__)
RESPONDER = "responder"
# What a responder may reach: their asks, the answer form, signing out, the desk's stylesheet and script.
RESPONDER_ENDPOINTS = {"asks.answers", "asks.answer", "sign_out", "static", "sign_in", "feedback.receive"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
EMPTY = N_("%(label)s: write it in plain words first.")


def responders_only_answer() -> ResponseReturnValue | None:
    """Run after the app's guard: a responder reaches its asks and nothing else."""
    session = g.get("session")
    if session is None or session.user.role != RESPONDER or request.endpoint in RESPONDER_ENDPOINTS:
        return None
    if request.endpoint == "presenter.episodes" and request.method == "GET":
        return redirect(url_for("asks.answers"))  # the desk's front page, and where signing in lands
    return page(
        "error.html",
        title=_("Not allowed"),
        message=_("A responder's account answers its organisation's asks, and does nothing else at the desk."),
    ), 403


def _places() -> dict[str, str]:
    places, _rest = resources_mod.load(desk().config, today())
    return {p.slug: p.meta.name for p in places}


def _text(field: str, label: str, required: bool = True) -> tuple[str, str | None]:
    try:
        value = clean(request.form.get(field, ""), multiline=True).strip()
    except TextRefused as exc:
        return "", _("%(label)s: %(why)s.", label=label, why=exc)
    if required and not value:
        return "", _(EMPTY, label=label)
    if len(value) > ASK_TEXT_MAX:
        return "", _(
            "%(label)s: up to %(most)s characters, and this has %(count)s.",
            label=label,
            most=number(ASK_TEXT_MAX),
            count=number(len(value)),
        )
    return value, None


# ---------------------------------------------------------------- coordinators
@bp.route("/asks")
@coordinators_only
def asks() -> ResponseReturnValue:
    store = involvement()
    names = {u.id: u.username for u in desk().accounts.users()}
    responders = [u for u in desk().accounts.users() if u.role == RESPONDER]
    return page(
        "asks.html",
        title=_("Asks and answers"),
        asks=store.asks(),
        places=_places(),
        names=names,
        today=today(),
        responders=responders,
        bound=store.responders(),
        message=request.args.get("done", "")[:200] or None,
    )


@bp.route("/asks/new", methods=["GET", "POST"])
@coordinators_only
def new() -> ResponseReturnValue:
    store = involvement()
    places = _places()
    nodes = recovery_map.nodes()
    feedback_id = whole_number(request.values.get("feedback", ""))
    from_feedback = store.one_feedback(feedback_id) if feedback_id is not None else None
    errors: list[str] = []
    form = request.form
    if request.method == "POST":
        organisation = form.get("organisation", "")
        if organisation not in places:
            errors.append(_("Choose the organisation the ask is for, from the map's places."))
        text, e1 = _text("text", _("What is asked"))
        scope, e2 = _text("scope", _("The scope"))
        errors += [e for e in (e1, e2) if e]
        chosen = [n for n in form.getlist("nodes") if n in nodes]
        given = form.get("decide_by", "").strip()
        decide_by: date | None = None
        if _DATE.match(given):
            try:
                decide_by = date.fromisoformat(given)
            except ValueError:
                decide_by = None
        if decide_by is None:
            errors.append(_("The decision date: write it like 2027-01-31."))
        source = form.get("source", "")
        if source not in SOURCES:
            errors.append(
                _("Say where the ask comes from: listeners' feedback, a presenter's proposal or a group's request.")
            )
        if not errors and decide_by is not None:
            ask_id = store.add_ask(organisation, text, chosen, scope, decide_by, source, user().id, today())
            if from_feedback is not None:
                store.mark_feedback(from_feedback.id, "ask", ask_id)
            desk().changed()  # the site publishes it at the next build
            done = _("The ask to %(organisation)s was raised.", organisation=places[organisation])
            return redirect(url_for("asks.asks", done=done), 303)
    return page(
        "ask_new.html",
        title=_("Raise an ask"),
        places=places,
        groups=[(_(name), [n for n in nodes.values() if n.part == part]) for part, name in _parts()],
        sources=translated(SOURCES),
        feedback=from_feedback,
        problems=errors,
        form=form,
    ), (400 if errors else 200)


def _parts() -> list[tuple[str, str]]:
    return [
        ("hold", N_("The Hold")),
        ("struggle", N_("The Struggle")),
        ("recovery", N_("The Recovery")),
        ("context", N_("Around the journey")),
        ("capital", N_("Recovery capital")),
    ]


@bp.route("/asks/<int:ask_id>")
@coordinators_only
def ask(ask_id: int) -> ResponseReturnValue:
    store = involvement()
    found = store.ask(ask_id)
    if found is None:
        abort(404)
    if found.raised_by == user().id and found.unseen_answer:
        store.seen(found.id)  # its raiser has now seen the answer
    names = {u.id: u.username for u in desk().accounts.users()}
    return page(
        "ask.html",
        title=_("Ask %(id)s", id=found.id),
        ask=found,
        places=_places(),
        nodes=recovery_map.nodes(),
        raised_by=names.get(found.raised_by or -1) or _("an account since removed"),
        today=today(),
        new_answer=found.unseen_answer and found.raised_by == user().id,
    )


@bp.route("/asks/responders", methods=["POST"])
@coordinators_only
def bind() -> ResponseReturnValue:
    number = whole_number(request.form.get("user", ""))
    who = desk().accounts.get(number) if number is not None else None
    organisation = request.form.get("organisation", "")
    places = _places()
    if who is None or who.role != RESPONDER:
        return page("error.html", title=_("No such responder"), message=_("Choose a responder account.")), 400
    if organisation and organisation not in places:
        return page("error.html", title=_("No such organisation"), message=_("Choose one of the map's places.")), 400
    involvement().set_responder(who.id, organisation or None)
    said = (
        _("%(name)s answers for %(organisation)s.", name=who.username, organisation=places[organisation])
        if organisation
        else _("%(name)s answers for nobody now.", name=who.username)
    )
    return redirect(url_for("asks.asks", done=said), 303)


# ---------------------------------------------------------------- responders
def _mine() -> str | None:
    return involvement().responder_of(user().id)


@bp.route("/answers")
def answers() -> ResponseReturnValue:
    if user().role != RESPONDER:
        abort(403)
    organisation = _mine()
    found = involvement().asks(organisation=organisation) if organisation else []
    return page(
        "answers.html",
        title=_("Asks of your organisation"),
        asks=found,
        organisation=_places().get(organisation or "", organisation),
        today=today(),
        answers_kinds=translated(ANSWERS),
        message=request.args.get("done", "")[:200] or None,
        problems=[],
        failed=None,
    )


@bp.route("/answers/<int:ask_id>", methods=["POST"])
def answer(ask_id: int) -> ResponseReturnValue:
    if user().role != RESPONDER:
        abort(403)
    store = involvement()
    organisation = _mine()
    found: Ask | None = store.ask(ask_id)
    if found is None or organisation is None or found.organisation != organisation:
        abort(404)  # another organisation's ask is "not found", the same as none
    state = request.form.get("state", "")
    label = _("Your answer's words")
    words, problem = _text("words", label, required=state in ("wont", "done"))
    problems = []
    if state not in ANSWERS:
        problems.append(_("Choose an answer: will do, won't do, or done."))
    elif problem:
        missing = {
            "wont": N_("Say why your organisation won't do it: the reason is published with the answer."),
            "done": N_("Say what was done and where to see it: the evidence is published with the answer."),
        }
        problems.append(_(missing[state]) if state in missing and problem == _(EMPTY, label=label) else problem)
    if problems:
        return page(
            "answers.html",
            title=_("Asks of your organisation"),
            asks=store.asks(organisation=organisation),
            organisation=_places().get(organisation, organisation),
            today=today(),
            answers_kinds=translated(ANSWERS),
            message=None,
            problems=problems,
            failed=ask_id,
        ), 400
    store.answer(found.id, state, words, today())
    desk().changed()
    done = _("Your answer to ask %(id)s was sent and will be published.", id=found.id)
    return redirect(url_for("asks.answers", done=done), 303)
