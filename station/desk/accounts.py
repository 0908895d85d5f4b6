"""Desk accounts, sessions, sign-in throttling and who looks after which episode.

Kept in `records/desk.sqlite`, among the station's durable records (backed
up with `station backup`, never in the cache), readable by the station's own
user only, never published. Passwords are stored only as argon2id hashes; a session
cookie holds a random token and the database only that token's hash, so a
copy of the database cannot be used to sign in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from station.config import (
    ACCOUNTS_BUSY_S,
    FAILURE_WINDOW_S,
    FAILURES_PER_ADDRESS,
    FAILURES_PER_NAME,
    LIVE_SECRET_BYTES,
    MAX_PASSWORD,
    MIN_PASSWORD,
    SESSION_IDLE_S,
    SESSION_MAX_S,
    Config,
)
from station.desk.i18n import _
from station.errors import AccountError, TextRefused
from station.files import private_dir, private_file
from station.text import clean

ROLES = ("presenter", "coordinator", "responder")  # a responder answers asks for one organisation (asks_pages.py)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                                  role TEXT NOT NULL, presenter_name TEXT NOT NULL, password TEXT NOT NULL,
                                  created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf TEXT NOT NULL,
                                     created REAL NOT NULL, seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS owners (recording TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS live (user_id INTEGER PRIMARY KEY, secret TEXT NOT NULL, record INTEGER NOT NULL,
                                 made REAL NOT NULL);
"""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    presenter_name: str  # as the presenter is named in their sidecars (pauses and new uploads use it)

    @property
    def coordinator(self) -> bool:
        return self.role == "coordinator"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: a new session, a wrong password, or a wait (nothing was checked)."""

    token: str | None = None
    session: Session | None = None
    wait_s: int = 0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def database_path(config: Config) -> Path:
    """Where a station's accounts live; an older station's `.station/desk.sqlite` is moved there once."""
    path = config.records_dir / "desk.sqlite"
    old = config.state_dir / "desk.sqlite"
    if old.exists() and not path.exists():
        private_dir(path.parent)
        shutil.move(old, path)
    return path


class Accounts:
    def __init__(self, path: Path):
        private_file(path)  # 0600 before SQLite opens it: its journal files take its mode
        # One connection shared by the server's threads, so every write goes through this lock.
        self.db = sqlite3.connect(path, check_same_thread=False, timeout=ACCOUNTS_BUSY_S)
        self.lock = threading.Lock()
        self.hasher = PasswordHasher()
        # Checked against when the name is unknown, so a wrong name takes as long as a wrong password.
        self._decoy = self.hasher.hash(secrets.token_hex(16))
        with self.lock, self.db:
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    # ------------------------------------------------------------ users
    def add(self, username: str, password: str, role: str, presenter_name: str) -> User:
        username = _typed(_("the user name"), username)
        if not username or len(username) > 60 or any(c.isspace() for c in username):
            raise AccountError(_("a user name is one word of up to 60 characters, like `sam` or `jo.bright`"))
        if role not in ROLES:
            raise AccountError(_roles_only(role))
        self._check_password(password)
        presenter_name = _presenter_name(presenter_name) or username
        try:
            with self.lock, self.db:
                cur = self.db.execute(
                    "INSERT INTO users (username, role, presenter_name, password, created) VALUES (?, ?, ?, ?, ?)",
                    (username, role, presenter_name, self.hasher.hash(password), time.time()),
                )
        except sqlite3.IntegrityError:
            raise AccountError(_("there is already an account called %(name)s", name=repr(username))) from None
        assert cur.lastrowid is not None  # set by every INSERT
        return User(cur.lastrowid, username, role, presenter_name)

    def users(self) -> list[User]:
        rows = self._read("SELECT id, username, role, presenter_name FROM users ORDER BY username")
        return [User(*r) for r in rows]

    def get(self, user_id: int) -> User | None:
        row = next(
            iter(self._read("SELECT id, username, role, presenter_name FROM users WHERE id = ?", (user_id,))), None
        )
        return User(*row) if row else None

    def by_name(self, username: str) -> User | None:
        row = next(
            iter(
                self._read(
                    "SELECT id, username, role, presenter_name FROM users WHERE username = ?", (username.strip(),)
                )
            ),
            None,
        )
        return User(*row) if row else None

    def update(self, user_id: int, *, role: str | None = None, presenter_name: str | None = None) -> None:
        if role is not None and role not in ROLES:
            raise AccountError(_roles_only(role))
        if presenter_name is not None:
            presenter_name = _presenter_name(presenter_name)
        if role == "presenter" and self._last_coordinator(user_id):
            raise AccountError(_("this is the last coordinator account — make someone else a coordinator first"))
        with self.lock, self.db:
            if role is not None:
                self.db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
            if presenter_name:
                self.db.execute("UPDATE users SET presenter_name = ? WHERE id = ?", (presenter_name, user_id))

    def set_password(self, user_id: int, password: str) -> None:
        self._check_password(password)
        with self.lock, self.db:
            self.db.execute("UPDATE users SET password = ? WHERE id = ?", (self.hasher.hash(password), user_id))
            self.db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))  # signed out everywhere

    def remove(self, user_id: int) -> None:
        if self._last_coordinator(user_id):
            raise AccountError(_("this is the last coordinator account — make someone else a coordinator first"))
        with self.lock, self.db:
            self.db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            self.db.execute("DELETE FROM owners WHERE user_id = ?", (user_id,))
            self.db.execute("DELETE FROM live WHERE user_id = ?", (user_id,))
            self.db.execute("DELETE FROM users WHERE id = ?", (user_id,))

    def _last_coordinator(self, user_id: int) -> bool:
        user = self.get(user_id)
        if user is None or not user.coordinator:
            return False
        coordinators: int = self._read("SELECT COUNT(*) FROM users WHERE role = 'coordinator'")[0][0]
        return coordinators == 1

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(
                _(
                    "a password needs at least %(most)s characters — a few words together "
                    "are easy to remember and hard to guess",
                    most=MIN_PASSWORD,
                )
            )
        if len(password) > MAX_PASSWORD:
            raise AccountError(_("a password can be up to %(most)s characters", most=MAX_PASSWORD))

    # ------------------------------------------------------------ going live
    def new_live_secret(self, user_id: int) -> str:
        """A new live password for this presenter's source client (the old one stops working); only its
        hash is kept, so it is shown once, now."""
        secret = secrets.token_urlsafe(LIVE_SECRET_BYTES)
        with self.lock, self.db:
            self.db.execute(
                "INSERT INTO live (user_id, secret, record, made) VALUES (?, ?, 0, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, made = excluded.made",
                (user_id, self.hasher.hash(secret), time.time()),
            )
        return secret

    def has_live_secret(self, user_id: int) -> bool:
        return bool(self._read("SELECT 1 FROM live WHERE user_id = ?", (user_id,)))

    def live_record(self, user_id: int) -> bool:
        rows = self._read("SELECT record FROM live WHERE user_id = ?", (user_id,))
        return bool(rows and rows[0][0])

    def set_live_record(self, user_id: int, record: bool) -> None:
        with self.lock, self.db:
            self.db.execute("UPDATE live SET record = ? WHERE user_id = ?", (int(record), user_id))

    def live_check(self, username: str, secret: str) -> User | None:
        """The presenter these live credentials belong to; None for a wrong name or password (which take as
        long as each other)."""
        user = self.by_name(username) if username and len(username) <= 60 else None
        rows = self._read("SELECT secret FROM live WHERE user_id = ?", (user.id,)) if user else []
        stored = rows[0][0] if rows else self._decoy
        try:
            ok: bool = self.hasher.verify(stored, secret[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            ok = False
        return user if ok and rows else None

    # ------------------------------------------------------------ signing in
    def wait_s(self, username: str, address: str) -> int:
        """Seconds before this name or address may try again (0: now)."""
        with self.lock:
            return self._wait(_name_key(username), _address_key(address), time.time())

    def _wait(self, name: str, address: str, now: float) -> int:
        since = now - FAILURE_WINDOW_S
        waits = []
        for key, limit in ((name, FAILURES_PER_NAME), (address, FAILURES_PER_ADDRESS)):
            rows = self.db.execute(
                "SELECT at FROM failures WHERE key = ? AND at > ? ORDER BY at", (key, since)
            ).fetchall()
            if len(rows) >= limit:
                waits.append(int(rows[-limit][0] + FAILURE_WINDOW_S - now) + 1)
        return max(waits, default=0)

    def attempt(self, username: str, password: str, address: str) -> SignIn:
        """Try a name and password from an address: a session, a wrong password (counted), or a wait.

        Checking the count and counting this try are one transaction, done before the (slow) hash is
        verified, so tries sent in parallel see each other: no more than the limit are ever checked."""
        name, where = _name_key(username), _address_key(address)
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")  # and across processes: the desk and `station desk …`
            try:
                now = time.time()
                wait = self._wait(name, where, now)
                if not wait:
                    counted = [
                        self.db.execute("INSERT INTO failures (key, at) VALUES (?, ?)", (key, now)).lastrowid
                        for key in (name, where)
                    ]
                    self.db.execute("DELETE FROM failures WHERE at < ?", (now - FAILURE_WINDOW_S,))
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
        if wait:
            return SignIn(wait_s=wait)
        row = next(iter(self._read("SELECT id, password FROM users WHERE username = ?", (username.strip(),))), None)
        try:
            ok = self.hasher.verify(row[1] if row else self._decoy, password) and row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            return SignIn()  # already counted
        user_id, stored = row
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
        with self.lock, self.db:
            if self.hasher.check_needs_rehash(stored):
                self.db.execute("UPDATE users SET password = ? WHERE id = ?", (self.hasher.hash(password), user_id))
            # A right password clears the name's wrong ones, and this try no longer counts for the address.
            self.db.execute("DELETE FROM failures WHERE key = ?", (name,))
            self.db.execute("DELETE FROM failures WHERE rowid = ?", (counted[1],))
            self.db.execute(
                "INSERT INTO sessions (token, user_id, csrf, created, seen) VALUES (?, ?, ?, ?, ?)",
                (_digest(token), user_id, csrf, now, now),
            )
        user = self.get(user_id)
        if user is None:  # removed by a coordinator a moment ago
            return SignIn()
        return SignIn(token, Session(user, csrf))

    def sign_in(self, username: str, password: str, address: str) -> tuple[str, Session] | None:
        """A new session token and its session, or None (a wrong password, counted, or a wait)."""
        found = self.attempt(username, password, address)
        return (found.token, found.session) if found.token and found.session else None

    def live(self, token: str | None) -> Session | None:
        """The session a token belongs to while it lasts, read only (the server's gate asks this)."""
        if not token:
            return None
        row = next(
            iter(self._read("SELECT user_id, csrf, created, seen FROM sessions WHERE token = ?", (_digest(token),))),
            None,
        )
        if row is None:
            return None
        user_id, csrf, created, seen = row
        now = time.time()
        user = self.get(user_id)
        if user is None or now - seen > SESSION_IDLE_S or now - created > SESSION_MAX_S:
            return None
        return Session(user, csrf)

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        row = next(
            iter(self._read("SELECT user_id, csrf, created, seen FROM sessions WHERE token = ?", (_digest(token),))),
            None,
        )
        now = time.time()
        if row is None:
            return None
        user_id, csrf, created, seen = row
        user = self.get(user_id)
        if user is None or now - seen > SESSION_IDLE_S or now - created > SESSION_MAX_S:
            self.sign_out(token)
            return None
        if now - seen > 60:  # no write on every request
            with self.lock, self.db:
                self.db.execute("UPDATE sessions SET seen = ? WHERE token = ?", (now, _digest(token)))
        return Session(user, csrf)

    def sign_out(self, token: str) -> None:
        with self.lock, self.db:
            self.db.execute("DELETE FROM sessions WHERE token = ?", (_digest(token),))

    @staticmethod
    def csrf_ok(expected: str, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))

    # ------------------------------------------------------------ who looks after which episode
    def owner(self, recording: str) -> int | None:
        row = next(iter(self._read("SELECT user_id FROM owners WHERE recording = ?", (recording,))), None)
        return row[0] if row else None

    def owners(self) -> dict[str, int]:
        return dict(self._read("SELECT recording, user_id FROM owners"))

    def set_owner(self, recording: str, user_id: int | None) -> None:
        with self.lock, self.db:
            if user_id is None:
                self.db.execute("DELETE FROM owners WHERE recording = ?", (recording,))
            else:
                self.db.execute(
                    "INSERT INTO owners (recording, user_id) VALUES (?, ?) "
                    "ON CONFLICT(recording) DO UPDATE SET user_id = excluded.user_id",
                    (recording, user_id),
                )


def _name_key(username: str) -> str:
    return f"name:{username.strip().casefold()[:200]}"


def _address_key(address: str) -> str:
    return f"address:{address[:100]}"


def _roles_only(role: str) -> str:
    return _(
        "the role is %(roles)s or %(last)s, not %(given)s",
        roles=", ".join(ROLES[:-1]),
        last=ROLES[-1],
        given=_shown(role),
    )


def _shown(value: str) -> str:
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def _typed(what: str, value: str) -> str:
    """A name as typed, with harmless breaks cleaned; AccountError naming the field for a control character."""
    try:
        return clean(value).strip()
    except TextRefused as exc:
        raise AccountError(_("%(field)s: %(why)s", field=what, why=exc)) from None


def _presenter_name(value: str) -> str:
    name = " ".join(_typed(_("the presenter name"), value).split())
    if len(name) > 100:
        raise AccountError(_("the presenter name can be up to 100 characters"))
    return name
