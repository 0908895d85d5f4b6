"""Involvement: what listeners tell the station, what the station asks of services and what they answer,
and what each contributor has given. A durable record, `records/involvement.sqlite`.

    feedback     what a listener sent from the site's form, or a coordinator typed in from a call or
                 a text: the words, when, how it came, what it is about (an episode, a place, a map
                 node). No address, no cookie, no name: nothing that says who sent it.
    asks         what a coordinator asks of an organisation on the Recovery Network Map, in plain
                 words, with the map nodes it concerns, its scope and the date a decision is due.
                 Published on the site with its answers (web/asks.py); who raised it is kept for the
                 desk only (the answer's arrival is shown to them) and never published or shown to
                 the organisation.
    answers      an organisation's answers to an ask, in order: will do, won't do (with the reason),
                 done (with the evidence).
    responders   which organisation (a resource's slug) each responder account answers for.
    training     sessions and skills a coordinator logs for a contributor.
    recognition  recognition or payment offered to a contributor, and what they made of it.

Like `records/desk.sqlite`: beside `content/`, 0600 in a 0700 folder, in every backup (`station backup`
copies it with SQLite's own backup), never in the cache. The build opens it read-only to publish the asks.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from station.config import ACCOUNTS_BUSY_S, Config
from station.errors import StateError
from station.files import private_dir, private_file

NAME = "involvement.sqlite"
CHANNELS = {"site": "the website's form", "phone": "a phone call", "text": "a text message", "in-person": "in person"}
SOURCES = {
    "feedback": "listeners' feedback",
    "proposal": "a presenter's proposal",
    "request": "a group's request",
}
ANSWERS = {"will": "Will do", "wont": "Won't do", "done": "Done"}
FEEDBACK_STATES = {"new": "New", "read": "Read", "ask": "Turned into an ask", "aside": "Set aside"}
SKILLS = ("presenting", "interviewing", "editing", "producing", "scheduling", "peer support")
RECOGNITION_KINDS = {"recognition": "Recognition", "payment": "Payment"}
RECOGNITION_STATES = {"offered": "Offered", "accepted": "Accepted", "declined": "Declined", "deferred": "Deferred"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, received TEXT NOT NULL, channel TEXT NOT NULL,
                                     about TEXT, message TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new',
                                     ask_id INTEGER);
CREATE TABLE IF NOT EXISTS asks (id INTEGER PRIMARY KEY, organisation TEXT NOT NULL, text TEXT NOT NULL,
                                 nodes TEXT NOT NULL, scope TEXT NOT NULL, decide_by TEXT NOT NULL,
                                 source TEXT NOT NULL, raised_by INTEGER, raised TEXT NOT NULL,
                                 unseen_answer INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, ask_id INTEGER NOT NULL, state TEXT NOT NULL,
                                    words TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responders (user_id INTEGER PRIMARY KEY, organisation TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS training (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, on_date TEXT NOT NULL,
                                     what TEXT NOT NULL, skills TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recognition (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, on_date TEXT NOT NULL,
                                        kind TEXT NOT NULL, what TEXT NOT NULL, state TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Feedback:
    id: int
    received: str  # ISO date and time, UTC, to the minute
    channel: str
    about: str | None  # "episode:<show>/<slug>", "place:<slug>" or "node:<id>"
    message: str
    state: str
    ask_id: int | None


@dataclass(frozen=True)
class Answer:
    state: str  # will | wont | done
    words: str  # the reason (won't do), the evidence (done), or what will be done
    at: str  # ISO date

    @property
    def label(self) -> str:
        return ANSWERS[self.state]


@dataclass(frozen=True)
class Ask:
    id: int
    organisation: str  # the resource's slug
    text: str
    nodes: tuple[str, ...]
    scope: str
    decide_by: date
    source: str
    raised: str  # ISO date
    raised_by: int | None = None  # a desk account; never published, never shown to a responder
    answers: tuple[Answer, ...] = field(default=())
    unseen_answer: bool = False

    @property
    def answer(self) -> Answer | None:
        return self.answers[-1] if self.answers else None

    def overdue_days(self, today: date) -> int:
        """Days past the decision date with no answer yet (0: answered, or not due yet)."""
        return 0 if self.answers else max(0, (today - self.decide_by).days)

    def public(self, today: date) -> dict[str, Any]:
        """What the site shows: nothing about who raised it or where it came from but the kind of source."""
        return {
            "id": self.id,
            "organisation": self.organisation,
            "text": self.text,
            "nodes": list(self.nodes),
            "scope": self.scope,
            "decide_by": self.decide_by.isoformat(),
            "raised": self.raised,
            "source": SOURCES.get(self.source, ""),
            "answers": [{"state": a.state, "label": a.label, "words": a.words, "at": a.at} for a in self.answers],
            "overdue_days": self.overdue_days(today),
        }


def path_of(config: Config) -> Path:
    return config.records_dir / NAME


class Involvement:
    """The store. One connection shared by the desk's threads, every write under one lock."""

    def __init__(self, path: Path, read_only: bool = False):
        self.read_only = read_only
        if read_only:
            # Waits, like the desk's writers, for a write in progress: a busy moment never unpublishes the asks.
            self.db = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=ACCOUNTS_BUSY_S
            )
        else:
            private_dir(path.parent)
            private_file(path)  # 0600 before SQLite opens it: its journal files take its mode
            self.db = sqlite3.connect(path, check_same_thread=False, timeout=ACCOUNTS_BUSY_S)
        self.lock = threading.Lock()
        if not read_only:
            with self.lock, self.db:
                self.db.executescript(SCHEMA)

    @classmethod
    def of(cls, config: Config) -> Involvement:
        return cls(path_of(config))

    def close(self) -> None:
        self.db.close()

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self.lock, self.db:
            cur = self.db.execute(sql, args)
        return cur.lastrowid or 0

    # ------------------------------------------------------------ feedback
    def add_feedback(self, message: str, channel: str, about: str | None, now: float | None = None) -> int:
        received = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(now if now is not None else time.time()))
        return self._write(
            "INSERT INTO feedback (received, channel, about, message) VALUES (?, ?, ?, ?)",
            (received, channel, about, message),
        )

    def feedback(self, state: str | None = None) -> list[Feedback]:
        sql = "SELECT id, received, channel, about, message, state, ask_id FROM feedback"
        rows = (
            self._read(sql + " WHERE state = ? ORDER BY id DESC", (state,))
            if state
            else self._read(sql + " ORDER BY id DESC")
        )
        return [Feedback(*r) for r in rows]

    def one_feedback(self, feedback_id: int) -> Feedback | None:
        rows = self._read(
            "SELECT id, received, channel, about, message, state, ask_id FROM feedback WHERE id = ?", (feedback_id,)
        )
        return Feedback(*rows[0]) if rows else None

    def mark_feedback(self, feedback_id: int, state: str, ask_id: int | None = None) -> None:
        self._write("UPDATE feedback SET state = ?, ask_id = ? WHERE id = ?", (state, ask_id, feedback_id))

    def new_feedback(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM feedback WHERE state = 'new'")[0][0])

    # ------------------------------------------------------------ asks and answers
    def add_ask(
        self,
        organisation: str,
        text: str,
        nodes: Iterable[str],
        scope: str,
        decide_by: date,
        source: str,
        raised_by: int | None,
        today: date,
    ) -> int:
        return self._write(
            "INSERT INTO asks (organisation, text, nodes, scope, decide_by, source, raised_by, raised) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                organisation,
                text,
                json.dumps(list(nodes)),
                scope,
                decide_by.isoformat(),
                source,
                raised_by,
                today.isoformat(),
            ),
        )

    def asks(self, organisation: str | None = None, raised_by: int | None = None) -> list[Ask]:
        sql = (
            "SELECT id, organisation, text, nodes, scope, decide_by, source, raised, raised_by, unseen_answer FROM asks"
        )
        where: list[str] = []
        args: list[Any] = []
        if organisation is not None:
            where.append("organisation = ?")
            args.append(organisation)
        if raised_by is not None:
            where.append("raised_by = ?")
            args.append(raised_by)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._read(sql + " ORDER BY decide_by, id", tuple(args))
        answers: dict[int, list[Answer]] = {}
        for ask_id, state, words, at in self._read("SELECT ask_id, state, words, at FROM answers ORDER BY id"):
            answers.setdefault(ask_id, []).append(Answer(state, words, at))
        return [
            Ask(
                r[0],
                r[1],
                r[2],
                tuple(json.loads(r[3])),
                r[4],
                date.fromisoformat(r[5]),
                r[6],
                r[7],
                r[8],
                tuple(answers.get(r[0], [])),
                bool(r[9]),
            )
            for r in rows
        ]

    def ask(self, ask_id: int) -> Ask | None:
        return next((a for a in self.asks() if a.id == ask_id), None)

    def answer(self, ask_id: int, state: str, words: str, today: date) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT INTO answers (ask_id, state, words, at) VALUES (?, ?, ?, ?)",
                (ask_id, state, words, today.isoformat()),
            )
            self.db.execute("UPDATE asks SET unseen_answer = 1 WHERE id = ?", (ask_id,))

    def seen(self, ask_id: int) -> None:
        self._write("UPDATE asks SET unseen_answer = 0 WHERE id = ?", (ask_id,))

    # ------------------------------------------------------------ responders
    def responder_of(self, user_id: int) -> str | None:
        rows = self._read("SELECT organisation FROM responders WHERE user_id = ?", (user_id,))
        return rows[0][0] if rows else None

    def responders(self) -> dict[int, str]:
        return dict(self._read("SELECT user_id, organisation FROM responders"))

    def set_responder(self, user_id: int, organisation: str | None) -> None:
        if organisation is None:
            self._write("DELETE FROM responders WHERE user_id = ?", (user_id,))
        else:
            self._write(
                "INSERT INTO responders (user_id, organisation) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET organisation = excluded.organisation",
                (user_id, organisation),
            )

    # ------------------------------------------------------------ a contributor's record
    def add_training(self, user_id: int, on: date, what: str, skills: Iterable[str]) -> int:
        return self._write(
            "INSERT INTO training (user_id, on_date, what, skills) VALUES (?, ?, ?, ?)",
            (user_id, on.isoformat(), what, json.dumps(list(skills))),
        )

    def training(self, user_id: int) -> list[tuple[str, str, list[str]]]:
        rows = self._read(
            "SELECT on_date, what, skills FROM training WHERE user_id = ? ORDER BY on_date, id", (user_id,)
        )
        return [(d, w, json.loads(s)) for d, w, s in rows]

    def add_recognition(self, user_id: int, on: date, kind: str, what: str, state: str) -> int:
        return self._write(
            "INSERT INTO recognition (user_id, on_date, kind, what, state) VALUES (?, ?, ?, ?, ?)",
            (user_id, on.isoformat(), kind, what, state),
        )

    def set_recognition(self, recognition_id: int, user_id: int, state: str) -> bool:
        with self.lock, self.db:
            cur = self.db.execute(
                "UPDATE recognition SET state = ? WHERE id = ? AND user_id = ?", (state, recognition_id, user_id)
            )
        return cur.rowcount == 1

    def recognition(self, user_id: int) -> list[tuple[int, str, str, str, str]]:
        return [
            (i, d, k, w, s)
            for i, d, k, w, s in self._read(
                "SELECT id, on_date, kind, what, state FROM recognition WHERE user_id = ? ORDER BY on_date, id",
                (user_id,),
            )
        ]


def public_asks(config: Config, today: date) -> list[dict[str, Any]]:
    """The asks as the site shows them, read-only (none yet: an empty list)."""
    path = path_of(config)
    if not path.exists():
        return []
    store = Involvement(path, read_only=True)
    try:
        return [a.public(today) for a in store.asks()]
    except sqlite3.DatabaseError as exc:
        if "no such table" in str(exc):  # a store the desk has not yet set up
            return []
        raise StateError(
            f"the station's record {path} cannot be read ({exc}) — restore it from the station's backup "
            "(`station restore`); it is not a cache and must not be deleted"
        ) from exc
    finally:
        store.close()
