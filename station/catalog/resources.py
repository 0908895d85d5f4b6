"""The Recovery Network Map's entries: `content/resources/<slug>.yaml`, one place each.

The schema records what the alliance's research found decides whether someone
actually walks in (station/data/resource-kinds.yaml): hours, above all in the
evening and overnight; how to get in; whether people still using are welcome;
discreet entry; who runs it. docs/resources.md documents every key.

Opening hours are kept as weekly intervals in the station's time zone, split at
midnight, so the build (gaps, the pocket guide) and the browser ("open now")
answer from the same numbers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta
from functools import cache
from importlib import resources as package_files
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, Self

import yaml
from pydantic import Field, field_validator, model_validator

from station.catalog.model import NAME_MAX, SLUG, check_topics, slugify
from station.config import Config
from station.errors import Problem, Severity
from station.files import sha256_json
from station.text import shown
from station.tools import yaml_file
from station.validation import MULTILINE, Typed, brief, one_of, validate

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVENING = (18 * 60, 22 * 60)  # minutes of the day
OVERNIGHT = ((22 * 60, 24 * 60), (0, 7 * 60))
STALE_DAYS = 365  # an entry not checked for a year is flagged to the station
EXAMPLE = "docs/resources.md"
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
# How long an entry's texts may be (docs/resources.md: Limits): the pocket guide prints every entry,
# so a summary is a few lines, not a page.
SUMMARY_MAX = 2_000
NOTE_MAX = 500
LINE_MAX = 200  # a locality, a cost, a phone number, an address …


@dataclass(frozen=True)
class Kind:
    id: str
    name: str
    examples: tuple[str, ...]


@cache
def kinds() -> dict[str, Kind]:
    text = package_files.files("station").joinpath("data/resource-kinds.yaml").read_text(encoding="utf-8")
    found = {}
    for k in yaml.safe_load(text)["kinds"]:
        # The shared file writes "name: Work, learning and volunteering" unquoted inside a flow mapping,
        # where YAML splits it at the commas into empty keys; they are joined back into the name.
        name = ", ".join([k["name"], *(key for key, value in k.items() if value is None)])
        found[k["id"]] = Kind(k["id"], name, tuple(k.get("examples", ())))
    return found


def _minutes(value: str) -> int:
    match = _CLOCK.match(str(value).strip())
    if not match or (match[1] == "24" and match[2] != "00"):
        raise ValueError(f"{brief(value)} is not a time of day — write it on the 24-hour clock, like `18:30`")
    return int(match[1]) * 60 + int(match[2])


class Opening(Typed):
    """Open on these days from `open` to `close`; a close at or before the open runs past midnight."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1, max_length=7)
    open: str = Field(max_length=20)
    close: str = Field(max_length=20)

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if isinstance(value, str):  # "mon-fri" or "sat"
            value = value.strip().lower()
            if "-" in value:
                first, _, last = value.partition("-")
                if first in DAYS and last in DAYS:
                    a, b = DAYS.index(first), DAYS.index(last)
                    return [DAYS[(a + i) % 7] for i in range((b - a) % 7 + 1)]
            return [value]
        if isinstance(value, (list, tuple)):
            return [v.strip().lower()[:3] if isinstance(v, str) else v for v in value]
        return value  # not a list: pydantic says so, in the same words as any other key

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        _minutes(value)
        return value


class Contact(Typed):
    phone: str | None = Field(default=None, max_length=LINE_MAX)
    text: str | None = Field(default=None, max_length=LINE_MAX)  # a number to text, or how
    email: str | None = Field(default=None, max_length=254)  # RFC 5321's longest address
    web: str | None = Field(default=None, pattern=r"^https?://", max_length=2_000)
    address: str | None = Field(default=None, max_length=LINE_MAX)


class Principles(Typed):
    """Whether the organisation has signed the recovery alliance's principles, and when."""

    signed: bool
    date: Date | None = None  # when it signed

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.signed and self.date is None:
            raise ValueError("say when it signed the principles, like `principles: {signed: true, date: 2026-03-01}`")
        return self


CHECKS = {"peer": "peer-checked", "self-reported": "self-reported"}


class ResourceMeta(Typed):
    """One entry of the Recovery Network Map (`content/resources/<slug>.yaml`)."""

    name: str = Field(min_length=1, max_length=120)
    kind: str
    summary: Annotated[str, MULTILINE] = Field(min_length=1, max_length=SUMMARY_MAX)
    locality: str = Field(min_length=1, max_length=LINE_MAX)
    hours: list[Opening] | Literal["always"] = Field(default_factory=list)
    hours_note: Annotated[str, MULTILINE] | None = Field(None, max_length=NOTE_MAX)
    access: list[Literal["drop-in", "self-referral", "referral", "appointment", "online", "phone"]] = Field(
        min_length=1
    )
    cost: str = Field("free", max_length=LINE_MAX)
    accepts_using: bool | None = None  # welcomes people who are still using or have relapsed
    orientation: Literal["harm-reduction", "abstinence", "both"] | None = None
    discreet_entry: bool | None = None
    women_only: bool = False
    parents: bool = False  # support for parents, or children welcome
    lived_experience: bool = False  # staff or volunteers with lived experience
    user_led: bool = False  # run by the people who use it
    languages: list[Annotated[str, Field(min_length=1, max_length=NAME_MAX)]] = Field(
        default_factory=lambda: ["English"], max_length=50
    )
    accessibility: Annotated[str, MULTILINE] | None = Field(
        None, max_length=NOTE_MAX
    )  # step-free, hearing loop, transport
    contact: Contact = Contact()
    last_checked: Date
    # The listing rules (docs/resources.md: Listing rules): who checked the entry, how, and when it is due again.
    check: Literal["peer", "self-reported"] | None = None  # checked by peers, or as the organisation said
    checked_by: str | None = Field(None, min_length=1, max_length=LINE_MAX)  # a team or role, not a person's name
    review_by: Date | None = None  # when the entry must be checked again (default: a year after last_checked)
    principles: Principles | None = None  # the alliance's principles: signed or not, and when
    topics: list[str] = Field(default_factory=list, max_length=50)  # recovery systems map nodes it supports

    @field_validator("hours", mode="before")
    @classmethod
    def _always(cls, value: Any) -> Any:
        # One plain message, where the union of a list and the word `always` would give two odd ones.
        if (isinstance(value, str) and value.strip().lower() != "always") or not isinstance(value, (str, list, tuple)):
            raise ValueError(
                f"{brief(value)} is not opening hours — write `hours: always` for a place that never "
                'closes, or list them, like `- {days: mon-fri, open: "10:00", close: "16:00"}`'
            )
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return one_of(value, kinds(), "a kind of support")

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        return check_topics(value)

    @model_validator(mode="after")
    def _hours_or_note(self) -> Self:
        if not self.hours and not self.hours_note:
            raise ValueError(
                "there are no opening hours — add `hours` (or `hours: always`), or say how to reach "
                'it in `hours_note`, like "by appointment"'
            )
        return self


@dataclass(frozen=True)
class Resource:
    slug: str
    source: Path
    meta: ResourceMeta
    intervals: tuple[tuple[int, int, int], ...] = field(default=())  # (day 0=Mon, from minute, to minute)

    @property
    def kind(self) -> Kind:
        return kinds()[self.meta.kind]

    @property
    def peer_led(self) -> bool:
        return self.meta.user_led or self.meta.lived_experience

    @property
    def evening(self) -> bool:
        return any(a < EVENING[1] and b > EVENING[0] for _, a, b in self.intervals)

    @property
    def overnight(self) -> bool:
        return any(a < hi and b > lo for _, a, b in self.intervals for lo, hi in OVERNIGHT)

    @property
    def review_due(self) -> Date:
        """When the entry is due to be checked again."""
        return self.meta.review_by or self.meta.last_checked + timedelta(days=STALE_DAYS)

    @property
    def check_words(self) -> str | None:
        return CHECKS[self.meta.check] if self.meta.check else None

    def hours_text(self) -> list[str]:
        """Opening hours in words, a line per group of days."""
        if isinstance(self.meta.hours, str):  # "always", the one word it may be
            return ["Open 24 hours, every day"]
        lines = []
        for opening in self.meta.hours:
            days = _day_span(opening.days)
            lines.append(f"{days}: {opening.open}–{opening.close}")
        return lines


def intervals(hours: list[Opening] | Literal["always"]) -> tuple[tuple[int, int, int], ...]:
    if isinstance(hours, str):
        return tuple((d, 0, 1440) for d in range(7))
    out: list[tuple[int, int, int]] = []
    for opening in hours:
        start, end = _minutes(opening.open), _minutes(opening.close)
        for name in opening.days:
            day = DAYS.index(name)
            if end > start:
                out.append((day, start, end))
            else:  # past midnight: the rest of this day, then the early hours of the next
                out.append((day, start, 1440))
                if end:
                    out.append(((day + 1) % 7, 0, end))
    return tuple(sorted(set(out)))


def _day_span(days: Iterable[str]) -> str:
    idx = sorted(DAYS.index(d) for d in set(days))
    if len(idx) == 7:
        return "Every day"
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{DAY_NAMES[idx[0]]} to {DAY_NAMES[idx[-1]]}"
    return ", ".join(DAY_NAMES[i] for i in idx)


class Store(Protocol):
    """Where parsed entries are kept between builds: the build's ledger."""

    def recall(self, key: str) -> Any: ...

    def remember(self, key: str, stage: str, value: Any) -> None: ...


@dataclass(frozen=True)
class Memo:
    """Entries kept by the hash of their text and the code's version (`build.code.digest`): an entry whose
    file is unchanged is not parsed again. Only an entry that had nothing to say is kept, so every problem
    and warning an entry has is found by reading it, as before."""

    store: Store
    version: str

    def key(self, text: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return sha256_json(["resource", self.version, digest])


def load(config: Config, today: Date, memo: Memo | None = None) -> tuple[list[Resource], list[Problem]]:
    """Every entry in content/resources/, and a problem for each one that cannot be used."""
    folder = config.content_dir / "resources"
    found: list[Resource] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        where = shown(config.rel(path))
        if path.suffix.lower() not in (".yaml", ".yml"):
            problems.append(
                Problem(
                    where,
                    "the resources folder holds only .yaml entries, so this file is not used",
                    "move it elsewhere, or write it as an entry (docs/resources.md)",
                    Severity.WARNING,
                )
            )
            continue
        if not SLUG.match(path.stem):
            problems.append(
                Problem(
                    where,
                    "this file's name is used in web addresses, but it has capitals, spaces "
                    "or other characters that do not work there",
                    f"rename it to `{slugify(path.stem)}{path.suffix}`",
                )
            )
            continue
        meta = _entry(path, where, memo, problems)
        if meta is None:
            continue
        resource = Resource(path.stem, path, meta, intervals(meta.hours) if meta.hours else ())
        overdue = review_problem(resource, where, today)
        if overdue:
            problems.append(overdue)
        found.append(resource)
    return found, problems


def _entry(path: Path, where: str, memo: Memo | None, problems: list[Problem]) -> ResourceMeta | None:
    """One entry's meta (from the memo when its text is known), its problems added to `problems`."""
    text, unreadable = yaml_file.load_text(path, where)
    if text is None:
        problems += [unreadable] if unreadable else []
        return None
    key = memo.key(text) if memo is not None else ""
    if memo is not None and (kept := memo.store.recall(key)) is not None:
        return ResourceMeta.model_validate(kept)
    data, lines, trouble = yaml_file.read(path, where, EXAMPLE, text=text)
    if data is None:
        problems += trouble
        return None
    meta, invalid = validate(ResourceMeta, data, where, lines=lines)
    problems += invalid
    if meta is not None and memo is not None and not trouble and not invalid:
        memo.store.remember(key, "resource", meta.model_dump(mode="json"))
    return meta


def review_problem(resource: Resource, where: str, today: Date) -> Problem | None:
    """A warning for an entry past its review date (`review_by`, or a year after `last_checked`)."""
    meta = resource.meta
    if today <= resource.review_due:
        return None
    if meta.review_by is None:
        return Problem(
            where,
            f"this entry was last checked on {meta.last_checked:%-d %B %Y}, over a year ago; hours and contacts change",
            "check it with the service and update `last_checked`",
            Severity.WARNING,
            file=where,
            key=("last_checked",),
        )
    return Problem(
        where,
        f"this entry was due to be checked again by {meta.review_by:%-d %B %Y}",
        "check it with the service, then update `last_checked` and set a new `review_by`",
        Severity.WARNING,
        file=where,
        key=("review_by",),
    )


def due_for_review(config: Config, today: Date) -> list[tuple[Resource, Problem]]:
    """The map's entries past their review date, for the coordinators' problems page."""
    found, _ = load(config, today)
    out = []
    for resource in found:
        problem = review_problem(resource, shown(config.rel(resource.source)), today)
        if problem is not None:
            out.append((resource, problem))
    return out
