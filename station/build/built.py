"""One record per built episode: what the per-episode build found and made, and nothing else.

`build_episode` returns a BuiltEpisode; the feeds, the website, the search
index and the stream library are all made from the catalogue plus the list of
them, so a field is kept once (the publication time, the duration, the audio)
and every output reads the same value. It is plain, picklable data: the
episode's work can run in another process and come back whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from station.catalog.model import Episode
from station.catalog.transcript import Transcript
from station.errors import Problem

# What became of a recording in this run.
BUILT = "built"  # something of it was written to site/
UNCHANGED = "unchanged"  # published, and every file of it was already there
HELD_BACK = "held back"  # a problem stops it; the others carry on
NOT_PUBLIC_YET = "not public yet"  # built into the cache; its publication time has not come
WITHDRAWN = "withdrawn"  # taken back by its presenter
CHECKED = "checked"  # `station check`: validated, nothing written
STATES = (BUILT, UNCHANGED, HELD_BACK, NOT_PUBLIC_YET, WITHDRAWN, CHECKED)
TRANSLATION_STEM = ".en"  # media/<show>/<slug>.en.vtt …: the English translation's files beside the transcript's


@dataclass(frozen=True)
class BuiltEpisode:
    episode: Episode
    where: str  # the recording, relative to the station root
    state: str  # one of STATES
    slug: str | None = None
    guid: str | None = None
    measured: dict[str, Any] | None = None  # the loudness pass's measurement of the published audio
    audio: str | None = None  # site path of the published MP3; None unless podcast or site may have it
    size: int = 0  # bytes of that MP3
    transcript: Transcript | None = None  # as pages show it (cue times and text; no word timings)
    transcript_state: str | None = None  # machine | presenter | pending; None when transcripts are off
    translation: Transcript | None = None  # its English translation (sidecar `translate: en`), as pages show it
    hidden: tuple[int, ...] | None = None  # occurrences hidden, for each entry of `redact` in order
    chapters: str | None = None  # site path of the JSON chapters file
    on_site: bool = False  # the website shows it now
    in_podcast: bool = False  # the feeds list it now
    stream_audio: str | None = None  # the normalised audio in the cache, relative to the station root,
    # when its consent covers the stream (the stream may play it before its pages go up)
    files: frozenset[str] = frozenset()  # its own files in site/, as this run published them
    copies: tuple[str, ...] = ()  # its files in the cache, relative to the station root
    work: Counter[str] = field(default_factory=Counter)  # audio, model and tag work actually done
    problems: tuple[Problem, ...] = ()

    @property
    def duration_s(self) -> float:
        return float(self.measured["duration_s"]) if self.measured else 0.0

    @property
    def published_at(self) -> datetime:
        meta = self.episode.meta
        return meta.published_at or datetime.combine(meta.consent.date, time(0), UTC)

    @property
    def url(self) -> str:
        """Its web page, relative to the site's root."""
        return f"shows/{self.episode.show.slug}/{self.slug}/"

    @property
    def page(self) -> str | None:
        """Its web page when the site shows it (feeds link to it)."""
        return self.url if self.on_site else None

    @property
    def stem(self) -> str:
        """The site path its published files share: the MP3's without `.mp3`."""
        assert self.audio is not None
        return self.audio[: -len(".mp3")]

    @property
    def translation_stem(self) -> str:
        """The site path the English translation's files share."""
        return self.stem + TRANSLATION_STEM
