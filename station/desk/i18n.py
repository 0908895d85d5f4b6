"""The desk in the station's language: gettext through station.i18n (domain `desk`), dates and numbers by Babel.

Which language: `[desk] language`, or `[station] language` when that is not set (config.py). The desk
speaks it when there is a desk catalogue for it (shipped in station/data/locale/, or the station's own in
locale/<language>/LC_MESSAGES/desk.po); otherwise it speaks English as written, and says so in `<html lang>`.
The one public door, the feedback form's answers (feedback.py), speaks `[station] language` instead: the
listener who sent it reads the website in that one.

Python marks a string with `_("…")` (or `ngettext` for a count) and gets it back in the request's
language; a word defined once at import time (a dict of labels) is marked with `N_("…")` and translated
where it is shown, with `_()` or `translated()`. Templates use the same `_()` and `ngettext()` (Jinja2's
i18n extension, new style: `_("%(name)s is paused", name=name)` escapes `name` and nothing else) or
`{% trans %}`. As in Jinja2's new style, `_()` always fills `%(name)s` placeholders, so a literal
percent sign is written `%%` in every marked string.

Outside a request (the command line, a test calling a function directly), every string stays English.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, request

from station.config import Config
from station.i18n import translations
from station.tools.locale import NullTranslations, Translations, date_text, datetime_text, number_text

DOMAIN = "desk"
# What `pybabel extract -F` reads for the desk's catalogue (and `station i18n extract` with it): a mapping
# in Babel's own format, paths from the repository's root, read with Babel's default keywords (`_`, `N_`,
# `ngettext` among them). README "Translating the desk" shows its use.
DESK_SOURCES = """\
[jinja2: station/desk/templates/**.html]
extensions = jinja2.ext.i18n
trimmed = true

[python: station/desk/**.py]
"""
# A night, as the desk says it ("Thursday 31 December 2026"; in Polish "czwartek 31 grudnia 2026").
NIGHT_PATTERN = "EEEE d MMMM y"


def N_(message: str) -> str:
    """Mark a string for the catalogue where it is defined; it is translated where it is shown."""
    return message


class Speech:
    """One language the desk speaks: its catalogue, and the tag that names it (for `lang` and Babel)."""

    def __init__(self, language: str, root: Path | None) -> None:
        own = (root / "locale",) if root is not None else ()
        found = translations(language, DOMAIN, own)
        self.catalogue = found
        # A language with a catalogue is spoken as configured ("pl", "pl-PL"); without one, the desk speaks
        # the English it is written in, and says so.
        self.tag = language if isinstance(found, Translations) else "en"


def desk_language(config: Config) -> str:
    return config.settings.desk.language or config.settings.station.language


def install(app: Flask, config: Config) -> None:
    """Put the desk's languages in the app and gettext in its templates."""
    app.extensions["desk-speech"] = {
        "desk": Speech(desk_language(config), config.root),
        "public": Speech(config.settings.station.language, config.root),
    }
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    app.jinja_env.filters["night"] = night_text
    app.jinja_env.filters["day"] = day_text
    app.jinja_env.filters["slot"] = slot_text
    app.jinja_env.filters["number"] = number
    app.jinja_env.globals["lang"] = language_tag


def speech() -> Speech | None:
    """The language of this request: the feedback door's is the website's, every other page's the desk's."""
    if not has_app_context():
        return None
    found: dict[str, Speech] | None = current_app.extensions.get("desk-speech")
    if found is None:
        return None
    if has_request_context():
        chosen = g.get("desk_speech")
        if chosen is None:
            chosen = found["public"] if request.endpoint == "feedback.receive" else found["desk"]
            g.desk_speech = chosen
        result: Speech = chosen
        return result
    return found["desk"]


def _catalogue() -> NullTranslations:
    spoken = speech()
    return spoken.catalogue if spoken is not None else NullTranslations()


def _gettext(message: str) -> str:
    return _catalogue().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue().ngettext(singular, plural, n)


def _(message: str, /, **values: Any) -> str:
    """`message` in the request's language, its `%(name)s` placeholders filled from `values` (and, as in
    the templates, `%%` written as one percent sign)."""
    return _gettext(message) % values


def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """The form for `n` (Polish has three), with `%(num)s` (n, written for the language) and `values` filled."""
    return _ngettext(singular, plural, n) % {"num": number(n), **values}


def translated(labels: dict[str, str]) -> dict[str, str]:
    """A dict of labels marked with N_(), each in the request's language (its keys unchanged)."""
    return {key: _(words) for key, words in labels.items()}


def language_tag() -> str:
    spoken = speech()
    return spoken.tag if spoken is not None else "en"


def night_text(day: dt.date) -> str:
    """A night named by its date, as the desk's language writes it."""
    return date_text(day, language_tag(), NIGHT_PATTERN)


def day_text(day: dt.date) -> str:
    """A date in words ("1 December 2026"; "1 grudnia 2026")."""
    return date_text(day, language_tag(), "d MMMM y")


def slot_text(moment: dt.datetime, with_day: bool = True) -> str:
    """A live slot's start ("Friday 4 December, 23:00"; "piątek 4 grudnia, 23:00") or, without the day, its
    end ("00:00"), in the slot's own time zone."""
    return datetime_text(moment, language_tag(), "EEEE d MMMM, HH:mm" if with_day else "HH:mm")


def number(value: float) -> str:
    """A number as the desk's language writes it ("2,000"; in Polish "2000", and "10 000" from five digits)."""
    return number_text(value, language_tag())


# Words the desk shows that are defined outside it (the catalogue's content notes, involvement's kinds and
# states, the map's checks, the accounts' roles), marked here so the desk's catalogue holds them;
# tests/test_desk_i18n.py checks that this list and their sources say the same.
SHARED = (
    # station.catalog.model.CONTENT_NOTES
    N_("detailed descriptions of drug or alcohol use"),
    N_("overdose"),
    N_("self-harm"),
    N_("suicide and suicidal thoughts"),
    N_("bereavement and loss"),
    N_("abuse, including domestic abuse"),
    N_("sexual violence"),
    N_("violence"),
    N_("mental health crisis"),
    N_("prison and the justice system"),
    N_("strong language"),
    # station.involvement
    N_("the website's form"),
    N_("a phone call"),
    N_("a text message"),
    N_("in person"),
    N_("listeners' feedback"),
    N_("a presenter's proposal"),
    N_("a group's request"),
    N_("Will do"),
    N_("Won't do"),
    N_("Done"),
    N_("New"),
    N_("Read"),
    N_("Turned into an ask"),
    N_("Set aside"),
    N_("presenting"),
    N_("interviewing"),
    N_("editing"),
    N_("producing"),
    N_("scheduling"),
    N_("peer support"),
    N_("Recognition"),
    N_("Payment"),
    N_("Offered"),
    N_("Accepted"),
    N_("Declined"),
    N_("Deferred"),
    # station.catalog.resources.CHECKS
    N_("peer-checked"),
    N_("self-reported"),
    # station.desk.accounts.ROLES
    N_("presenter"),
    N_("coordinator"),
    N_("responder"),
)
