"""What ran on which input: the SQLite state behind incremental builds.

Four tables:
  file_hashes  stat → sha256, so unchanged recordings are not read again
  memo         a stage's result under its key (input hashes + stage version + settings)
  identities   each episode's slug and GUID, kept across renames and title edits
  outputs      every file the build put in site/, so what is gone can be removed
  withdrawals  episodes their presenters took back, by GUID, and when
  published    what `station publish` last put in the bucket: key → content hash and ETag

Privacy: no presenter name and no file name from content/ is stored; content
paths are kept only as hashes. Slugs in `outputs` are public anyway.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import StateError
from .files import private_file, sha256_file

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS file_hashes (path_hash TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT);
CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, stage TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identities (key_hash TEXT PRIMARY KEY, source_sha256 TEXT NOT NULL,
                                       slug TEXT NOT NULL, guid TEXT NOT NULL, show TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, key TEXT NOT NULL, size INTEGER, mtime_ns INTEGER);
CREATE TABLE IF NOT EXISTS withdrawals (guid TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS published (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, etag TEXT NOT NULL,
                                      size INTEGER NOT NULL);
"""


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    slug: str
    guid: str


class Ledger:
    def __init__(self, path: Path | None, read_only: bool = False, wait_s: float = 5.0):
        """`path=None` or a read-only ledger that does not exist yet: an empty one in memory. `wait_s`: how long
        to wait for another connection's lock before "database is locked" (5 s is sqlite3's own default)."""
        self.read_only = read_only
        try:
            if path is None or (read_only and not path.exists()):
                self.db = sqlite3.connect(":memory:")
            elif read_only:
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=wait_s)
            else:
                private_file(path)   # 0600 before SQLite opens it: its -journal and -wal files take its mode
                self.db = sqlite3.connect(path, timeout=wait_s)
            if not read_only or path is None or not path.exists():
                self.db.executescript(SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self.db.commit()   # else a ledger closed with nothing written has no schema row to read back
            version = int(self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise StateError(f"the state database {path} cannot be read ({exc}) — move it aside and build "
                                 "again; the next build redoes the work") from exc
            # Busy, not broken: moving it aside would throw away good work.
            raise StateError(f"the state database {path} is busy: another station command is writing to it — "
                             "wait for it to finish (or stop it) and run this again") from exc
        except sqlite3.DatabaseError as exc:
            raise StateError(f"the state database {path} cannot be read ({exc}) — move it aside and build again; "
                             "the next build redoes the work") from exc
        if version > SCHEMA_VERSION:
            raise StateError(f"the state database {path} was written by a newer version of the station — "
                             "upgrade the station, or move the database aside to start afresh")

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, args: tuple) -> None:
        if not self.read_only:
            with self.db:
                self.db.execute(sql, args)

    # ------------------------------------------------------------ file hashes
    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = _h(str(path.resolve()))
        row = self.db.execute("SELECT size, mtime_ns, sha256 FROM file_hashes WHERE path_hash=?", (key,)).fetchone()
        if row and row[0] == st.st_size and row[1] == st.st_mtime_ns:
            return row[2]
        digest = sha256_file(path)
        self._write("INSERT OR REPLACE INTO file_hashes VALUES (?,?,?,?)", (key, st.st_size, st.st_mtime_ns, digest))
        return digest

    # ------------------------------------------------------------ memo
    def recall(self, key: str):
        row = self.db.execute("SELECT value FROM memo WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def remember(self, key: str, stage: str, value) -> None:
        self._write("INSERT OR REPLACE INTO memo VALUES (?,?,?)", (key, stage, json.dumps(value, sort_keys=True)))

    # ------------------------------------------------------------ identities
    def identity(self, episode_key: str, show: str, source_sha256: str, wanted_slug: str,
                 present_keys: set[str], namespace: uuid.UUID) -> Identity:
        """The episode's slug and GUID, stable across rebuilds, renames and title edits.

        Without history (a fresh clone) the GUID is derived from the episode's
        place in content/, so the same content gives the same GUID anywhere.
        A renamed recording (same audio, old name gone) keeps its identity.
        """
        key_hash = _h(episode_key)
        row = self.db.execute("SELECT slug, guid, source_sha256 FROM identities WHERE key_hash=?", (key_hash,)).fetchone()
        if row is None:
            present = {_h(k) for k in present_keys}
            for old_hash, slug, guid in self.db.execute(
                    "SELECT key_hash, slug, guid FROM identities WHERE source_sha256=? AND show=?", (source_sha256, show)):
                if old_hash not in present:  # the old name is gone: this is a rename
                    self._write("UPDATE identities SET key_hash=? WHERE key_hash=?", (key_hash, old_hash))
                    return Identity(slug, guid)
            guid = str(uuid.uuid5(namespace, episode_key))
            slug = self._free_slug(show, wanted_slug)
            self._write("INSERT INTO identities VALUES (?,?,?,?,?)", (key_hash, source_sha256, slug, guid, show))
            return Identity(slug, guid)
        slug, guid, known_sha = row
        if known_sha != source_sha256:
            self._write("UPDATE identities SET source_sha256=? WHERE key_hash=?", (source_sha256, key_hash))
        return Identity(slug, guid)

    def set_slug(self, episode_key: str, slug: str) -> None:
        self._write("UPDATE identities SET slug=? WHERE key_hash=?", (slug, _h(episode_key)))

    def _free_slug(self, show: str, wanted: str) -> str:
        taken = {r[0] for r in self.db.execute("SELECT slug FROM identities WHERE show=?", (show,))}
        slug, n = wanted, 2
        while slug in taken:
            slug, n = f"{wanted}-{n}", n + 1
        return slug

    # ------------------------------------------------------------ outputs
    def output(self, rel_path: str) -> tuple[str, int, int] | None:
        return self.db.execute("SELECT key, size, mtime_ns FROM outputs WHERE path=?", (rel_path,)).fetchone()

    def record_output(self, rel_path: str, key: str, path: Path) -> None:
        st = path.stat()
        self._write("INSERT OR REPLACE INTO outputs VALUES (?,?,?,?)", (rel_path, key, st.st_size, st.st_mtime_ns))

    def outputs(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT path FROM outputs ORDER BY path")]

    def forget_output(self, rel_path: str) -> None:
        self._write("DELETE FROM outputs WHERE path=?", (rel_path,))

    # ------------------------------------------------------------ withdrawals
    def withdraw(self, guid: str, at: str) -> None:
        self._write("INSERT OR REPLACE INTO withdrawals VALUES (?,?)", (guid, at))

    def withdrawn(self, guid: str) -> str | None:
        """When this episode was withdrawn (ISO time), or None."""
        row = self.db.execute("SELECT at FROM withdrawals WHERE guid=?", (guid,)).fetchone()
        return row[0] if row else None

    def reconsented(self, guid: str) -> None:
        self._write("DELETE FROM withdrawals WHERE guid=?", (guid,))

    def identities(self) -> list[tuple[str, str, str]]:
        """(show, slug, guid) of every episode ever built."""
        return list(self.db.execute("SELECT show, slug, guid FROM identities ORDER BY show, slug"))

    # ------------------------------------------------------------ the bucket
    def published(self) -> dict[str, tuple[str, str, int]]:
        return {k: (sha, etag, size) for k, sha, etag, size in self.db.execute("SELECT * FROM published")}

    def record_published(self, key: str, sha256: str, etag: str, size: int) -> None:
        self._write("INSERT OR REPLACE INTO published VALUES (?,?,?,?)", (key, sha256, etag, size))

    def forget_published(self, key: str) -> None:
        self._write("DELETE FROM published WHERE key=?", (key,))
