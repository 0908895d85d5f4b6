"""What every desk page needs, whichever blueprint it is in: the desk itself, who is signed in, the frame.

The app (app.py) puts a `Desk` in `app.extensions`; the page modules
(presenter_pages.py, station_pages.py) reach it through `desk()`. Both
import this module and neither imports the other, so the app can register
the pages without the pages importing the app back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from flask import abort, current_app, g, render_template

from station.config import Config
from station.desk.accounts import Accounts, User
from station.desk.builder import Builder
from station.involvement import Involvement

Params = ParamSpec("Params")
Returned = TypeVar("Returned")


@dataclass
class Desk:
    config: Config
    accounts: Accounts
    builder: Builder | None

    def changed(self) -> None:
        """Something in content/ or scheduler/ changed at the desk: build, if the station wants that."""
        if self.builder is not None:
            self.builder.request()


def desk() -> Desk:
    found: Desk = current_app.extensions["desk"]
    return found


def involvement() -> Involvement:
    """Feedback, asks and answers, and contributors' records (records/involvement.sqlite)."""
    found: Involvement = current_app.extensions["involvement"]
    return found


def today() -> date:
    """Today in the station's time zone (decision dates and overdue asks are counted in it)."""
    return datetime.now(UTC).astimezone(ZoneInfo(desk().config.settings.station.timezone)).date()


def user() -> User:
    found: User = g.session.user
    return found


def page(template: str, **values: Any) -> str:
    """Render a desk page with what every page needs: who is signed in, the CSRF token, the nav."""
    session = getattr(g, "session", None)
    counts = {"feedback": 0, "answers": 0}
    if session and session.user.coordinator:  # what is waiting for this coordinator, shown in the nav
        store = involvement()
        counts = {
            "feedback": store.new_feedback(),
            "answers": sum(a.unseen_answer for a in store.asks(raised_by=session.user.id)),
        }
    return render_template(
        template,
        me=session.user if session else None,
        queued=counts,
        csrf=g.get("csrf", ""),
        station=desk().config.settings.station.name,
        **values,
    )


def coordinators_only(view: Callable[Params, Returned]) -> Callable[Params, Returned]:
    @functools.wraps(view)
    def wrapped(*args: Params.args, **kwargs: Params.kwargs) -> Returned:
        if not user().coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
