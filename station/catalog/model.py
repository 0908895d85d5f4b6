"""The nouns: Show, Episode, Presenter, Consent, Chapter.

The pydantic classes are the schemas of `show.toml` and of an episode's
sidecar (`<recording stem>.yaml`); README “Episode sidecar” documents them.
`Show` and `Episode` are the catalogue's frozen records built from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, Field, field_validator, model_validator

from station.catalog.recovery_map import nodes
from station.config import Language
from station.podcast.apple_categories import APPLE_CATEGORIES
from station.validation import MULTILINE, Typed, brief, did_you_mean, one_of

Tier = Literal["full-name", "first-name", "pseudonym", "pseudonym-masked"]
Scope = Literal["podcast", "site", "stream"]

# Labels are what a listener reads before choosing to go on; ids are what a
# sidecar says. Kept short and descriptive, never judging.
CONTENT_NOTES: dict[str, str] = {
    "drug-use": "detailed descriptions of drug or alcohol use",
    "overdose": "overdose",
    "self-harm": "self-harm",
    "suicide": "suicide and suicidal thoughts",
    "bereavement": "bereavement and loss",
    "abuse": "abuse, including domestic abuse",
    "sexual-violence": "sexual violence",
    "violence": "violence",
    "mental-health-crisis": "mental health crisis",
    "prison": "prison and the justice system",
    "strong-language": "strong language",
}

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z: `$` would let a name ending in a line break through

# How long a person's text may be (docs/episodes.md: Limits). Apple Podcasts shows at most 4,000
# characters of a show's description and 10,000 of an episode's, so longer would be cut off
# unseen in the apps; a title is read at a glance. Past these a paste has usually gone wrong.
TITLE_MAX = 200
EPISODE_DESCRIPTION_MAX = 10_000
SHOW_DESCRIPTION_MAX = 4_000
NAME_MAX = 100  # a presenter's name, a consent's `by`
WORD_MAX = 100  # a tag, a word to hide


def slugify(text: str, limit: int = 60) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug[:limit].rstrip("-") or "episode"


def parse_clock(value: str | int | float) -> float:
    """'1:02:03', '2:03' or seconds → seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    parts = str(value).strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{brief(value)} is not a time — write minutes:seconds, like `12:30`") from None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


def check_notes(value: list[str]) -> list[str]:
    for note in value:
        one_of(note, CONTENT_NOTES, "a content note")
    return value


def check_topics(value: list[str]) -> list[str]:
    """Topics are node ids of the recovery systems map; a near miss gets the node it was probably meant to be."""
    known = nodes()
    unknown = [t for t in value if t not in known]
    if unknown:
        hints = []
        for topic in unknown:
            guess = did_you_mean(topic, set(known))
            hints.append(
                f"for {brief(topic)} did you mean `{guess}` ({known[guess].name})?"
                if guess
                else f"{brief(topic)} is not close to any"
            )
        raise ValueError(
            f"{', '.join(map(brief, unknown))} {'is not a node' if len(unknown) == 1 else 'are not nodes'} "
            f"of the recovery systems map — {'; '.join(hints)} (README: Topics lists them all)"
        )
    return value


class Presenter(Typed):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    tier: Tier
    role: Literal["host", "guest"] = "host"

    @property
    def credit(self) -> str:
        """The name this presenter is credited under, as their tier allows and never more."""
        if self.tier == "first-name":
            return self.name.split()[0]
        return self.name

    @property
    def masked(self) -> bool:
        return self.tier == "pseudonym-masked"


class Consent(Typed):
    by: str = Field(min_length=1, max_length=NAME_MAX)  # never published, never logged
    date: Date
    scope: list[Scope]
    expires: Date | None = None

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(
                "consent has no scope, so it covers nothing — list where it may go: [podcast, site, stream]"
            )
        return sorted(set(value), key=["podcast", "site", "stream"].index)


class Chapter(Typed):
    start: float = Field(ge=0, allow_inf_nan=False)
    title: str = Field(min_length=1, max_length=TITLE_MAX)

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> float:
        return parse_clock(value)


class EpisodeMeta(Typed):
    """An episode's sidecar, `<recording stem>.yaml`."""

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: Annotated[str, MULTILINE] = Field(min_length=1, max_length=EPISODE_DESCRIPTION_MAX)
    presenters: list[Presenter] = Field(min_length=1, max_length=20)
    consent: Consent
    content_notes: list[str] = Field(default_factory=list, max_length=len(CONTENT_NOTES))
    topics: list[str] = Field(default_factory=list, max_length=50)
    redact: list[Annotated[str, Field(min_length=1, max_length=WORD_MAX)]] = Field(default_factory=list, max_length=500)
    # the station's own labels, for the overnight schedule
    tags: list[Annotated[str, Field(max_length=WORD_MAX)]] = Field(default_factory=list, max_length=50)
    published_at: AwareDatetime | None = None
    chapters: list[Chapter] = Field(default_factory=list, max_length=500)
    episode: int | None = Field(None, ge=1, le=1_000_000)
    season: int | None = Field(None, ge=1, le=1_000_000)
    explicit: bool | None = None
    artwork: str | None = Field(None, max_length=255)
    artwork_alt: str | None = Field(None, max_length=300)  # what the artwork shows, read in its place
    language: Language | None = None
    # An English translation published beside the transcript (Whisper translates into English only).
    translate: str | None = None
    slug: str | None = Field(None, max_length=80)
    allow_clipping: bool = False

    _notes = field_validator("content_notes")(classmethod(lambda cls, value: check_notes(value)))

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        return check_topics(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not SLUG.match(tag):
                raise ValueError(
                    f"{brief(tag)} is not a tag — use lower-case words joined by dashes, like `late-night`"
                )
        return value

    @field_validator("translate")
    @classmethod
    def _translate(cls, value: str | None) -> str | None:
        if value is not None and value.split("-")[0].lower() != "en":
            raise ValueError(
                f"{brief(value)} is not a language the transcript can be translated into — "
                "Whisper translates into English only: write `translate: en`, or remove it"
            )
        return None if value is None else "en"

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG.match(value):
            raise ValueError(
                f"{brief(value)} is not a slug — use lower-case letters, digits and dashes, like `night-bus-home`"
            )
        return value

    @model_validator(mode="after")
    def _chapters_in_order(self) -> Self:
        starts = [c.start for c in self.chapters]
        if starts and (starts != sorted(starts) or len(set(starts)) != len(starts)):
            raise ValueError(
                "chapters are not in time order — list them from the start, each later than the one before"
            )
        return self


class ShowMeta(Typed):
    """A show's `show.toml`."""

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: Annotated[str, MULTILINE] = Field(min_length=1, max_length=SHOW_DESCRIPTION_MAX)
    artwork: str | None = Field(None, max_length=255)
    artwork_alt: str | None = Field(None, max_length=300)  # what the artwork shows, read in its place
    language: Language | None = None
    category: str = "Health & Fitness"
    subcategory: str | None = None
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    intro: str | None = Field(None, max_length=255)
    outro: str | None = Field(None, max_length=255)

    @field_validator("category")
    @classmethod
    def _apple_category(cls, value: str) -> str:
        if value not in APPLE_CATEGORIES:
            guess = did_you_mean(value, set(APPLE_CATEGORIES))
            hint = f"did you mean `{guess}`?" if guess else "use one of Apple's (docs/episodes.md: show.toml)"
            raise ValueError(f"category {brief(value)} is not an Apple Podcasts category — {hint}")
        return value

    @model_validator(mode="after")
    def _apple_subcategory(self) -> Self:
        subs = APPLE_CATEGORIES[self.category]
        if self.subcategory is not None and self.subcategory not in subs:
            guess = did_you_mean(self.subcategory, subs)
            hint = (
                f"did you mean `{guess}`?"
                if guess
                else f"use one of: {', '.join(sorted(subs))}"
                if subs
                else "remove `subcategory`: it has none"
            )
            raise ValueError(
                f"subcategory {brief(self.subcategory)} is not one of Apple's under {self.category!r} — {hint}"
            )
        return self


@dataclass(frozen=True)
class Show:
    slug: str  # the show's folder name
    folder: Path
    meta: ShowMeta

    def path(self, name: str | None) -> Path | None:
        return self.folder / name if name else None


@dataclass(frozen=True)
class Episode:
    show: Show
    key: str  # "<show>/<recording file name>": identity inside content/, never published
    recording: Path
    sidecar: Path
    meta: EpisodeMeta

    @property
    def credits(self) -> list[str]:
        return [p.credit for p in self.meta.presenters]

    @property
    def masked(self) -> bool:
        return any(p.masked for p in self.meta.presenters)

    @property
    def date(self) -> Date:
        # The earliest day it may be published; used for the ID3 date.
        return self.meta.published_at.date() if self.meta.published_at else self.meta.consent.date

    def artwork(self, station_artwork: Path | None) -> Path | None:
        if self.meta.artwork:
            return self.recording.parent / self.meta.artwork
        return self.show.path(self.show.meta.artwork) or station_artwork

    def published_now(self, scope: str, now: datetime) -> bool:
        """Consent covers `scope`, has not expired, and the publish time has come."""
        consent = self.meta.consent
        if scope not in consent.scope:
            return False
        if consent.expires and now.date() >= consent.expires:
            return False
        return self.meta.published_at is None or self.meta.published_at <= now
