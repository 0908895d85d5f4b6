"""The station's durable records: the promises that must outlive the cache.

Kept in `records/` beside `content/`, so a backup or a move of the station's
folder takes them along, and deleting `.station/` (the cache) or building on a
new machine never brings a withdrawn episode back or changes a GUID or slug:

  records/withdrawals.json  episodes their presenters took back: GUID → when; no name, no reason
  records/identities.json   each episode's GUID and slug, under a hash of its place in content/, with the
                            hash of its audio so a renamed recording keeps them
  records/desk.sqlite       the desk's accounts and who looks after which episode (desk/accounts.py)

Readable JSON, written atomically, 0600 in a 0700 folder. No person's name
and no file name from content/ is written here (a recording's name may be a
person's): places in content/ are kept only as hashes; slugs are public anyway.

Every change re-reads the file under a lock and writes it whole, so a build
recording a new episode and a withdrawal made at the same moment from the desk
never overwrite each other. Older stations kept these in `.station/state.sqlite`;
they are copied over once, the first time a station opens its records.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.config import Config
from station.errors import StateError
from station.files import private_dir, private_file, write_text

WITHDRAWALS = "withdrawals.json"
IDENTITIES = "identities.json"
ABOUT = {
    WITHDRAWALS: "Episodes their presenters withdrew: GUID -> when. Kept with the station; never delete it.",
    IDENTITIES: "Each episode's GUID and slug, by a hash of its place in content/. Kept with the station so "
    "GUIDs and slugs never change; never delete it.",
}


def place_hash(episode_key: str) -> str:
    return hashlib.sha256(episode_key.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    slug: str
    guid: str


class Records:
    """The withdrawals and identities of one station; `read_only` never writes (`station check`)."""

    def __init__(self, folder: Path, read_only: bool = False, legacy: Path | None = None):
        self.folder, self.read_only = folder, read_only
        if not read_only:
            private_dir(folder)
            if legacy is not None:
                self._adopt(legacy)
        self.withdrawals: dict[str, str] = self._read(WITHDRAWALS)
        self.identities: dict[str, dict[str, str]] = self._read(IDENTITIES)

    @classmethod
    def of(cls, config: Config, read_only: bool = False) -> Records:
        return cls(config.records_dir, read_only, legacy=config.state_dir / "state.sqlite")

    # ------------------------------------------------------------ withdrawals
    def withdrawn(self, guid: str) -> str | None:
        """When this episode was withdrawn (ISO time), or None."""
        return self.withdrawals.get(guid)

    def withdraw(self, guid: str, at: str) -> None:
        with self._changing(WITHDRAWALS) as data:
            data[guid] = at
        self.withdrawals = data

    def reconsented(self, guid: str) -> None:
        with self._changing(WITHDRAWALS) as data:
            data.pop(guid, None)
        self.withdrawals = data

    def withdrawn_places(self) -> list[tuple[str, str, str]]:
        """(show, slug, guid) of every episode withdrawn now whose identity is known."""
        by_guid = {i["guid"]: i for i in self.identities.values()}
        return sorted((by_guid[g]["show"], by_guid[g]["slug"], g) for g in self.withdrawals if g in by_guid)

    # ------------------------------------------------------------ identities
    def identity(
        self,
        episode_key: str,
        show: str,
        source_sha256: str,
        wanted_slug: str,
        present_keys: set[str],
        namespace: uuid.UUID,
    ) -> Identity:
        """The episode's slug and GUID, stable across rebuilds, renames, title edits and new machines.

        A new episode's GUID is derived from its place in content/, so the same
        content gives the same GUID anywhere; a renamed recording (same audio,
        old name gone) keeps its identity."""
        key = place_hash(episode_key)
        known = self.identities.get(key)
        if known is not None:
            if known["source_sha256"] != source_sha256:
                self._change_identity(key, source_sha256=source_sha256)
            return Identity(known["slug"], known["guid"])
        present = {place_hash(k) for k in present_keys}
        for old, entry in sorted(self.identities.items()):
            if entry["source_sha256"] == source_sha256 and entry["show"] == show and old not in present:
                with self._changing(IDENTITIES) as data:  # the old name is gone: this is a rename
                    data[key] = data.pop(old, entry)
                self.identities = data
                return Identity(entry["slug"], entry["guid"])
        guid = str(uuid.uuid5(namespace, episode_key))
        with self._changing(IDENTITIES) as data:
            taken = {e["slug"] for e in data.values() if e["show"] == show}
            slug, n = wanted_slug, 2
            while slug in taken:
                slug, n = f"{wanted_slug}-{n}", n + 1
            data[key] = {"show": show, "slug": slug, "guid": guid, "source_sha256": source_sha256}
        self.identities = data
        return Identity(data[key]["slug"], data[key]["guid"])

    def known(self, episode_key: str) -> bool:
        """This place in content/ has an identity already (a new one, or one renamed from elsewhere, has not)."""
        return place_hash(episode_key) in self.identities

    def set_slug(self, episode_key: str, slug: str) -> None:
        self._change_identity(place_hash(episode_key), slug=slug)

    def _change_identity(self, key: str, **values: str) -> None:
        with self._changing(IDENTITIES) as data:
            if key in data:
                data[key] = {**data[key], **values}
        self.identities = data

    # ------------------------------------------------------------ the files
    def _path(self, name: str) -> Path:
        return self.folder / name

    def _read(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateError(
                f"the station's record {path} cannot be read ({exc.strerror}) — restore it from the "
                "station's backup (`station restore`); it is not a cache and must not be deleted"
            ) from exc
        try:
            data = json.loads(text)["records"]
            if not isinstance(data, dict):
                raise TypeError
            return data
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(
                f"the station's record {path} is damaged — restore it from the station's backup "
                "(`station restore`); it is not a cache and must not be deleted"
            ) from exc

    def _write(self, name: str, data: dict[str, Any]) -> None:
        text = json.dumps({"about": ABOUT[name], "records": data}, indent=1, sort_keys=True, ensure_ascii=False)
        write_text(self._path(name), text + "\n")  # 0600: files.py makes whatever is written in records/ private

    @contextlib.contextmanager
    def _changing(self, name: str) -> Iterator[dict[str, Any]]:
        """Read the file afresh under the records' lock, let the caller change it, write it whole."""
        if self.read_only:  # a check changes nothing: work on a copy that is thrown away
            yield dict(self.withdrawals if name == WITHDRAWALS else self.identities)
            return
        with self._lock():
            data = self._read(name)
            yield data
            self._write(name, data)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with open(private_file(self.folder / ".lock"), "a+") as f:  # 0600, like the records
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _adopt(self, ledger: Path) -> None:
        """An older station kept withdrawals and identities in the state database: copy them over once."""
        if (self._path(WITHDRAWALS).exists() and self._path(IDENTITIES).exists()) or not ledger.exists():
            return
        try:
            db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
            try:
                withdrawals = dict(db.execute("SELECT guid, at FROM withdrawals"))
                identities = {
                    k: {"show": show, "slug": slug, "guid": guid, "source_sha256": sha}
                    for k, sha, slug, guid, show in db.execute(
                        "SELECT key_hash, source_sha256, slug, guid, show FROM identities"
                    )
                }
            finally:
                db.close()
        except sqlite3.Error:
            return  # no such tables (a newer cache) or no readable database: nothing to adopt
        with self._lock():
            for name, found in ((WITHDRAWALS, withdrawals), (IDENTITIES, identities)):
                if not self._path(name).exists():
                    self._write(name, found)
