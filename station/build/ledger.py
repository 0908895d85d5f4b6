"""What ran on which input: the SQLite state behind incremental builds.

It is a cache: deleting it costs work, never a promise. Withdrawals, GUIDs and
slugs are the station's durable records (station/records.py, `records/`).

  file_hashes  stat → sha256, so unchanged recordings are not read again
  memo         a stage's result under its key (input hashes + stage version + settings)
  outputs      every file the build put in site/, so what is gone can be removed
  published    what `station publish` last put in the bucket: key → content hash and ETag

Privacy: no presenter name and no file name from content/ is stored; content
paths are kept only as hashes. Slugs in `outputs` are public anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from station.errors import DiskFull, StateError
from station.files import disk_full, private_file, sha256_file

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS file_hashes (path_hash TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT);
CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, stage TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, key TEXT NOT NULL, size INTEGER, mtime_ns INTEGER);
CREATE TABLE IF NOT EXISTS published (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, etag TEXT NOT NULL,
                                      size INTEGER NOT NULL);
"""


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Ledger:
    def __init__(self, path: Path | None, read_only: bool = False, wait_s: float = 5.0):
        """`path=None` or a read-only ledger that does not exist yet: an empty one in memory. `wait_s`: how long
        to wait for another connection's lock before "database is locked" (5 s is sqlite3's own default)."""
        self.read_only, self.path = read_only, path
        self._batched = False
        try:
            if path is None or (read_only and not path.exists()):
                self.db = sqlite3.connect(":memory:")
            elif read_only:
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=wait_s)
            else:
                private_file(path)  # 0600 before SQLite opens it: its -journal and -wal files take its mode
                self.db = sqlite3.connect(path, timeout=wait_s)
            if not read_only or path is None or not path.exists():
                self.db.executescript(SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self.db.commit()  # else a ledger closed with nothing written has no schema row to read back
            version = int(self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if path is not None and disk_full(exc, path.parent):
                raise DiskFull(path.parent) from exc  # not broken: moving it aside would lose good work
            if "locked" not in str(exc):
                raise StateError(
                    f"the state database {path} cannot be read ({exc}) — move it aside and build "
                    "again; the next build redoes the work"
                ) from exc
            # Busy, not broken: moving it aside would throw away good work.
            raise StateError(
                f"the state database {path} is busy: another station command is writing to it — "
                "wait for it to finish (or stop it) and run this again"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"the state database {path} cannot be read ({exc}) — move it aside and build again; "
                "the next build redoes the work"
            ) from exc
        if version > SCHEMA_VERSION:
            raise StateError(
                f"the state database {path} was written by a newer version of the station — "
                "upgrade the station, or move the database aside to start afresh"
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes inside go in one transaction, committed at the end (also when it ends in an error: each
        row records something already done). A commit costs a few milliseconds of fsync: a site of a thousand
        pages, or a publish of a thousand files, would spend seconds on them. A crash in between loses only
        those rows: this is a cache, and the work they record is found again by its content."""
        if self._batched or self.read_only:
            yield
            return
        self._batched = True
        try:
            yield
        finally:
            self._batched = False
            self._guarded(self.db.commit)

    def commit(self) -> None:
        """Inside `batch`: commit what it wrote so far (outside one, every write is committed already)."""
        if self._batched:
            self._guarded(self.db.commit)

    def _write(self, sql: str, args: tuple) -> None:
        if self.read_only:
            return
        if self._batched:
            self._guarded(lambda: self.db.execute(sql, args))
            return

        def write() -> None:
            with self.db:
                self.db.execute(sql, args)

        self._guarded(write)

    def _guarded(self, action) -> None:
        try:
            action()
        except sqlite3.OperationalError as exc:  # "database or disk is full": the run stops, see DiskFull
            if self.path is not None and disk_full(exc, self.path.parent):
                raise DiskFull(self.path.parent) from exc
            raise

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

    def remember_sha256(self, real: Path, st: os.stat_result, digest: str) -> None:
        """A hash made elsewhere (publish hashes a file as it reads it to upload), under the stat taken before it
        was read: `sha256` then trusts it while the file keeps that size and mtime. `real`: the file's path with
        every link followed (`Path.resolve`), which the caller has already worked out."""
        key = _h(str(real))
        self._write("INSERT OR REPLACE INTO file_hashes VALUES (?,?,?,?)", (key, st.st_size, st.st_mtime_ns, digest))

    # ------------------------------------------------------------ memo
    def recall(self, key: str):
        row = self.db.execute("SELECT value FROM memo WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def remember(self, key: str, stage: str, value) -> None:
        self._write("INSERT OR REPLACE INTO memo VALUES (?,?,?)", (key, stage, json.dumps(value, sort_keys=True)))

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

    # ------------------------------------------------------------ the bucket
    def published(self) -> dict[str, tuple[str, str, int]]:
        return {k: (sha, etag, size) for k, sha, etag, size in self.db.execute("SELECT * FROM published")}

    def record_published(self, key: str, sha256: str, etag: str, size: int) -> None:
        self._write("INSERT OR REPLACE INTO published VALUES (?,?,?,?)", (key, sha256, etag, size))

    def forget_published(self, key: str) -> None:
        self._write("DELETE FROM published WHERE key=?", (key,))
