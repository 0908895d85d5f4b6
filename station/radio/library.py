"""The stream library: what a build leaves for the night-owl stream.

`station build` writes it to `.station/stream/library.json`: every episode
whose consent covers the stream (with its normalised, redacted audio in the
build's cache, its notes, topics, tags and when its presenters were first
heard) and every sound file the schedules name (idents, crisis signposting,
announcements, beds, standby), prepared to the same loudness.

It is private: presenters appear only as their published credits and as
hashes (to tell voices apart for caps and newcomers), never by their names.
A withdrawn episode is not in it, and its audio has left the cache.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import Any

from station.build.built import BuiltEpisode
from station.catalog.model import Episode
from station.config import Config
from station.files import write_text
from station.radio.schedule import presenter_key

VERSION = 1


@dataclass(frozen=True)
class Track:
    """An episode the stream may play."""

    guid: str
    show: str  # the show's folder name
    show_title: str
    slug: str
    title: str
    credits: tuple[str, ...]  # as published
    voices: tuple[str, ...]  # presenter hashes (schedule.presenter_key)
    first_heard: tuple[str, ...]  # per voice: the ISO date of their earliest episode in the catalogue
    content_notes: tuple[str, ...]
    topics: tuple[str, ...]
    tags: tuple[str, ...]
    duration_s: float
    audio: str  # relative to the station root
    published_at: str | None  # ISO; none: from its consent date
    consent_date: str
    consent_expires: str | None  # ISO date: the stream may play it before this day

    def on_air(self, start: datetime, end: datetime) -> bool:
        """Its time has come by the night's start and its consent lasts the whole night."""
        if self.published_at and datetime.fromisoformat(self.published_at) > start:
            return False
        if not self.published_at and Date.fromisoformat(self.consent_date) > start.date():
            return False
        return not (self.consent_expires and Date.fromisoformat(self.consent_expires) <= end.date())

    def newcomer(self, night: Date, days: int) -> bool:
        """A first-time voice: one of its presenters was first heard within `days` of the night."""
        return any(0 <= (night - Date.fromisoformat(d)).days <= days for d in self.first_heard)


def tracks_of(catalogue: list[Episode], built: list[BuiltEpisode]) -> list[Track]:
    """The stream's view of the built episodes: every one whose consent covers the stream and whose audio is
    ready, published or not yet (the night checks its time). `catalogue` is every episode, for when each
    presenter was first heard."""
    first_heard: dict[str, str] = {}
    for e in catalogue:
        for p in e.meta.presenters:
            k = presenter_key(p.name)
            first_heard[k] = min(first_heard.get(k, e.date.isoformat()), e.date.isoformat())
    tracks = []
    for b in built:
        if b.stream_audio is None or b.guid is None or b.slug is None:
            continue
        meta = b.episode.meta
        voices = tuple(presenter_key(p.name) for p in meta.presenters)
        tracks.append(
            Track(
                guid=b.guid,
                show=b.episode.show.slug,
                show_title=b.episode.show.meta.title,
                slug=b.slug,
                title=meta.title,
                credits=tuple(b.episode.credits),
                voices=voices,
                first_heard=tuple(first_heard[v] for v in voices),
                content_notes=tuple(meta.content_notes),
                topics=tuple(meta.topics),
                tags=tuple(meta.tags),
                duration_s=b.duration_s,
                audio=b.stream_audio,
                published_at=meta.published_at.isoformat() if meta.published_at else None,
                consent_date=meta.consent.date.isoformat(),
                consent_expires=meta.consent.expires.isoformat() if meta.consent.expires else None,
            )
        )
    return tracks


@dataclass(frozen=True)
class Sound:
    """A sound file a schedule names, prepared for air."""

    source: str  # under content/, as the schedule matches it
    audio: str  # relative to the station root
    duration_s: float
    title: str  # what the running order calls it, from its file name


@dataclass
class Library:
    tracks: list[Track] = field(default_factory=list)
    sounds: dict[str, Sound] = field(default_factory=dict)  # by source
    saved_digest: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        # Compact, so json uses its C encoder: 10,000 tracks in a fraction of the time `indent` takes.
        return json.dumps(
            {
                "version": VERSION,
                "tracks": [asdict(t) for t in self.tracks],
                "sounds": {k: asdict(v) for k, v in sorted(self.sounds.items())},
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @property
    def digest(self) -> str:
        """What a night's key is made of: the hash of the library's text, taken as it was read or written."""
        if self.saved_digest is None:
            self.saved_digest = _sha256(self.to_json())
        return self.saved_digest

    @classmethod
    def from_json(cls, text: str) -> Library:
        data = json.loads(text)
        if data.get("version") != VERSION:
            return cls()
        return cls(
            [Track(**_tuples(t)) for t in data["tracks"]],
            {k: Sound(**v) for k, v in data["sounds"].items()},
            _sha256(text),
        )


def path(config: Config) -> Path:
    return config.state_dir / "stream" / "library.json"


def load(config: Config) -> Library | None:
    """The library the last build left; None when nothing has been built yet."""
    try:
        return Library.from_json(path(config).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def save(config: Config, library: Library) -> bool:
    text = library.to_json()
    library.saved_digest = _sha256(text)
    target = path(config)
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    write_text(target, text)
    return True


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sound_title(source: str) -> str:
    """'stream/standby/night-thoughts.mp3' → 'Night thoughts'. A file name is not typed into a form, but it
    reaches radio apps and tonight's page all the same: anything unseen in it becomes a space."""
    stem = Path(source).stem.replace("-", " ").replace("_", " ")
    stem = " ".join("".join(c if c.isprintable() else " " for c in stem).split())
    return stem[:1].upper() + stem[1:] if stem else "Standby"


def _tuples(fields: dict[str, Any]) -> dict[str, Any]:
    """A track's fields read from JSON, its lists made the tuples they were written from."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
