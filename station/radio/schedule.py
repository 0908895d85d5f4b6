"""scheduler/*.yaml → the coordinators' schedules, checked, with every problem at once.

A schedule says the shape of a night: its window (it may cross midnight),
blocks by time and day, what fills each block and its standby, the rules
(idents, crisis signposting, repeats, presenter caps, newcomers, content
notes by the hour), announcements and the station's sound material.
docs/schedule.md documents every key; scheduler/night-owls.yaml is the
worked example.

- One file without `dates` is the regular week. A file with `dates` replaces
  it for the nights it covers (a holiday schedule).
- `scheduler/paused.yaml` lists presenters who are resting. Their episodes
  leave the nights they are paused for; nothing public says so.
- A night is named by the evening it starts: the blocks of "fri" run from
  Friday evening into Saturday morning.

Times are "HH:MM" clock times in the schedule's time zone. YAML reads an
unquoted 22:00 as the number 1320 (minutes, base 60), so numbers are taken
as minutes after midnight too.

The stream can only air what the podcast could. Episodes reach a night only
by show, topic or tag, through the stream library the build fills with the
episodes whose consent covers the stream, not withdrawn, with hidden words
covered and masked voices masked. Files a schedule names directly (material,
standby, announcements) are the stream's own sound and come only from
content/stream/: this module is the one place that decides what may be
material (`material_files`, `matches`), for the build, the checks and
assembly alike. A path into content/shows/, out of the content folder, or
through a link that leads out of content/stream/ is a problem at its line and
is never prepared or played.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date as Date
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from station.catalog.model import check_notes, check_topics
from station.config import Config, check_timezone
from station.errors import Key, Problem, Severity
from station.text import refused
from station.tools import yaml_file
from station.validation import Typed, did_you_mean, validate

PARTS = {"hold", "struggle", "recovery", "ctx", "rc"}
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEK: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYS: list[str] = list(_WEEK)
PAUSED_FILE = "paused.yaml"
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
EXAMPLE = "scheduler/night-owls.yaml (docs/schedule.md explains each key)"
STREAM_FOLDER = "stream"  # content/stream/: the stream's own sound, the only place files are named from
# How many of each a schedule may hold: far more than a night can use, and few enough that a pasted or
# generated list cannot make checking, the desk or assembly slow. docs/schedule.md says them.
MAX_BLOCKS = 200
MAX_ANNOUNCEMENTS = 100
MAX_ITEMS = 100  # shows, topics, tags, files or notes in one list
MAX_PAUSES = 1000
MAX_PATTERN = 300  # characters in one file name or pattern


def clock_minutes(value: object) -> int:
    """'22:00' (or YAML's 1320 for an unquoted 22:00) → minutes after midnight."""
    if isinstance(value, bool):
        raise ValueError(f'{value!r} is not a clock time — write it in quotes, like "22:00"')
    if isinstance(value, int):
        if 0 <= value < 24 * 60:
            return value
        raise ValueError(f'{value!r} is not a clock time — write it in quotes, like "22:00"')
    match = _CLOCK.match(str(value).strip())
    if not match:
        raise ValueError(f'{value!r} is not a clock time — write hours and minutes in quotes, like "22:00"')
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _at_most(limit: int, noun: str) -> classmethod[Any, [Any], Any]:
    """A before-validator: a list longer than `limit` is refused whole, before any item is looked at."""

    def check(cls: type, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) > limit:
            raise ValueError(
                f"there are {len(value):,} {noun} here, more than the {limit} a schedule may hold — "
                "keep the ones the night needs"
            )
        return value

    return classmethod(check)


def _short(limit: int) -> classmethod[Any, [Any], Any]:
    """An after-validator: text longer than `limit` characters, said without repeating it."""

    def check(cls: type, value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"this is {len(value):,} characters long — keep it under {limit}")
        if isinstance(value, list):
            for item in value:
                check(cls, item)
        return value

    return classmethod(check)


class Window(Typed):
    start: int
    end: int

    _clock = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: clock_minutes(v)))

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(
                "the window starts and ends at the same time — give the night a length, "
                'like start: "22:00" and end: "07:00"'
            )
        return self

    @property
    def length_min(self) -> int:
        return (self.end - self.start) % (24 * 60)


class Selection(Typed):
    """What may fill a block (or stand by for it): episodes by show, topic or tag, and files of the stream's own
    sound (under content/stream/; an episode is never named by its file, so its consent and withdrawal count)."""

    shows: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)  # nodes of the recovery systems map
    tags: list[str] = Field(default_factory=list)  # an episode's own `tags`
    files: list[str] = Field(default_factory=list)  # "stream/…"; * and ? match many, ** any folders

    _many = field_validator("shows", "topics", "tags", "files", mode="before")(_at_most(MAX_ITEMS, "entries"))
    _long = field_validator("shows", "topics", "tags", "files")(_short(MAX_PATTERN))

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        # A part of the map (hold, struggle, recovery) stands for every node inside it.
        check_topics([t for t in value if t not in PARTS])
        return value

    @property
    def empty(self) -> bool:
        return not (self.shows or self.topics or self.tags or self.files)

    @property
    def picks_episodes(self) -> bool:
        return bool(self.shows or self.topics or self.tags)


class Live(Typed):
    """A block a presenter (or a few, taking turns) presents live from their own source client."""

    presenters: list[str] = Field(min_length=1)  # desk user names: only they may connect in this block
    title: str | None = None  # what radio apps and the site show while they are on air; none: the block's name
    show: str | None = None  # the show a recording of it goes to (if the presenter asks for one)

    _many = field_validator("presenters", mode="before")(_at_most(MAX_ITEMS, "presenters"))
    _long = field_validator("presenters")(_short(60))
    _title = field_validator("title")(_short(120))


class Block(Typed):
    name: str = Field(min_length=1)
    days: list[Day] = Field(default_factory=lambda: list(_WEEK))
    start: int
    end: int
    fill: Selection
    standby: Selection
    crossfade_s: float | None = Field(default=None, ge=0, le=10)  # between music beds; none: [stream] crossfade_s
    live: Live | None = None  # presented live; fill and standby are what plays while the presenter is not there

    _clock = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: clock_minutes(v)))
    _name = field_validator("name")(_short(80))

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if value in ("every", "all", "every night"):
            return list(DAYS)
        if isinstance(value, list):
            if len(value) > MAX_ITEMS:
                raise ValueError(f"there are {len(value):,} days here — list each day once, like [mon, tue]")
            return [str(d).strip().lower()[:3] if str(d).strip().lower()[:3] in DAYS else d for d in value]
        return value

    @field_validator("standby")
    @classmethod
    def _standby(cls, value: Selection) -> Selection:
        if value.empty:
            raise ValueError(
                "standby is empty — every block needs standby material, so a paused presenter or a "
                "broken file never means dead air: list shows, topics, tags or files"
            )
        return value


class Announcement(Typed):
    title: str = Field(min_length=1)
    file: str = Field(min_length=1)  # "stream/…", like the material
    starts: Date
    expires: Date  # the last night it is played
    every_min: int = Field(default=120, ge=10, le=24 * 60)

    _title = field_validator("title")(_short(120))
    _file = field_validator("file")(_short(MAX_PATTERN))

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.expires < self.starts:
            raise ValueError("this announcement expires before it starts — check `starts` and `expires`")
        return self


class NoteHour(Typed):
    notes: list[str] = Field(min_length=1)
    after: int

    _clock = field_validator("after", mode="before")(classmethod(lambda cls, v: clock_minutes(v)))

    _many = field_validator("notes", mode="before")(_at_most(MAX_ITEMS, "content notes"))
    _notes = field_validator("notes")(classmethod(lambda cls, value: check_notes(value)))


class Rules(Typed):
    ident_every_min: int | None = Field(default=30, ge=1, le=24 * 60)  # null: no idents
    signpost_every_min: int = Field(default=60, ge=1, le=24 * 60)  # crisis signposting at least this often
    signpost_after_content_notes: bool = True
    no_repeat_nights: int = Field(default=3, ge=0, le=60)  # an episode rests this many nights
    presenter_max_percent: float = Field(default=25, gt=0, le=100)  # of the night's length, per presenter
    newcomer_percent: float = Field(default=15, ge=0, le=100)  # of the night's episode airtime
    newcomer_days: int = Field(default=90, ge=1, le=3650)  # first heard within this many days
    notes_after: list[NoteHour] = Field(default_factory=list)  # these notes only from this hour

    _many = field_validator("notes_after", mode="before")(_at_most(MAX_ITEMS, "entries"))


class Material(Typed):
    """The station's own sound: files under content/stream/ ("stream/idents/*.mp3"), * and ? match many."""

    idents: list[str] = Field(default_factory=list)
    signposts: list[str] = Field(default_factory=list)  # recorded announcements of the crisis lines
    beds: list[str] = Field(default_factory=list)  # music beds: cut to any length to fill to the second

    _many = field_validator("idents", "signposts", "beds", mode="before")(_at_most(MAX_ITEMS, "entries"))
    _long = field_validator("idents", "signposts", "beds")(_short(MAX_PATTERN))


class DateRange(Typed):
    start: Date
    end: Date

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end < self.start:
            raise ValueError("`dates` ends before it starts — check `start` and `end`")
        return self


class ScheduleFile(Typed):
    """One `scheduler/*.yaml`."""

    name: str = Field(min_length=1)
    timezone: str | None = None  # none: the station's own ([station] timezone)
    dates: DateRange | None = None  # none: the regular week
    window: Window
    rules: Rules = Rules()
    material: Material = Material()
    announcements: list[Announcement] = Field(default_factory=list)
    blocks: list[Block] = Field(min_length=1)

    _name = field_validator("name")(_short(80))
    _zone_length = field_validator("timezone")(_short(64))
    _timezone = field_validator("timezone")(classmethod(lambda cls, v: v if v is None else check_timezone(v)))
    _many_blocks = field_validator("blocks", mode="before")(_at_most(MAX_BLOCKS, "blocks"))
    _many_announcements = field_validator("announcements", mode="before")(_at_most(MAX_ANNOUNCEMENTS, "announcements"))


class Pause(Typed):
    presenter: str = Field(min_length=1)  # as named in their sidecars
    until: Date | None = None  # the last night they are paused for; none: until removed

    _name = field_validator("presenter")(_short(200))


class PausedFile(Typed):
    paused: list[Pause] = Field(default_factory=list)

    _many = field_validator("paused", mode="before")(_at_most(MAX_PAUSES, "pauses"))


@dataclass(frozen=True)
class Schedule:
    where: str  # the file, relative to the station root
    data: ScheduleFile
    lines: dict[Key, int]
    zone: ZoneInfo

    def line(self, *path: str | int | None) -> str:
        n = self.lines.get(tuple(path))
        return f"{self.where} line {n}" if n else self.where

    def problem(self, path: Key, what: str, fix: str, severity: Severity = Severity.ERROR) -> Problem:
        """A problem at `path` in this file: its line for people, the path itself for the desk."""
        return Problem(self.line(*path), what, fix, severity, file=self.where, key=path or None)

    def at(self, path: Key, problems: list[Problem]) -> list[Problem]:
        """`problems` found at `path` in this file, said to be there."""
        return [replace(p, file=self.where, key=path) for p in problems]

    def covers(self, night: Date) -> bool:
        d = self.data.dates
        return d is None or d.start <= night <= d.end

    def window(self, night: Date) -> tuple[datetime, datetime]:
        """The night's start and end as aware times (a window ending before it starts ends the next day)."""
        w = self.data.window
        start = datetime.combine(night, _time(w.start), self.zone)
        end_day = night if w.end > w.start else night + timedelta(days=1)
        return start, datetime.combine(end_day, _time(w.end), self.zone)

    def offset_s(self, night: Date, clock: int) -> float:
        """Seconds from the night's start to `clock` (as a wall-clock time, so a clock change is honoured)."""
        start, _ = self.window(night)
        day = night if clock >= self.data.window.start else night + timedelta(days=1)
        at = datetime.combine(day, _time(clock), self.zone)
        return (at.astimezone(ZoneInfo("UTC")) - start.astimezone(ZoneInfo("UTC"))).total_seconds()

    def blocks_for(self, night: Date) -> list[Block]:
        day = DAYS[night.weekday()]
        return [b for b in self.data.blocks if day in b.days]


@dataclass
class Schedules:
    """Every schedule file and the pause list, as loaded; problems carry file and line."""

    files: list[Schedule] = field(default_factory=list)
    paused: list[Pause] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file → its text, for the assembly key

    @property
    def exists(self) -> bool:
        return bool(self.files)

    def for_night(self, night: Date) -> Schedule | None:
        """The schedule in force: one whose `dates` cover the night, else the regular week."""
        special = [s for s in self.files if s.data.dates and s.covers(night)]
        if special:
            return special[0]
        return next((s for s in self.files if s.data.dates is None), None)

    def paused_on(self, night: Date) -> set[str]:
        return {p.presenter.casefold() for p in self.paused if p.until is None or night <= p.until}


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def folder(config: Config) -> Path:
    return config.root / "scheduler"


def load(config: Config, shows: set[str] | None = None, override: dict[Path, str] | None = None) -> Schedules:
    """Read scheduler/; `shows` (the catalogue's show folders) lets a misspelt show be named.

    `override` maps a file (`folder(config) / name`) to the text to check in its place, so an edit
    gets exactly the checks of `station schedule check` before it is written.
    """
    out = Schedules()
    where_dir = folder(config)
    if not where_dir.is_dir():
        return out
    default_zone = config.settings.station.timezone
    material = _Material(config)
    for path in sorted(where_dir.glob("*.yaml")) + sorted(where_dir.glob("*.yml")):
        if path.name.startswith("."):
            continue  # an editor's lock or backup file, not a schedule
        where = config.rel(path)
        if refused(path.name):
            out.problems.append(
                Problem(
                    _shown(where),
                    "this file's name holds an invisible control character",
                    "rename it, using letters, digits and dashes",
                )
            )
            continue
        text = (override or {}).get(path)
        if text is None:  # read once: what is checked is what the night's key is made of
            text, problem = yaml_file.load_text(path, where)
            if problem or text is None:
                if problem:
                    out.problems.append(problem)
                continue
        data, lines, problems = yaml_file.read(path, where, EXAMPLE, text)
        out.problems += problems
        if data is None:
            continue
        out.sources[where] = text
        if path.name == PAUSED_FILE:
            paused, problems = validate(PausedFile, data, where, lines)
            out.problems += problems
            if paused:
                out.paused = list(paused.paused)
            continue
        parsed, problems = validate(ScheduleFile, data, where, lines)
        out.problems += problems
        if parsed is None:
            continue
        schedule = Schedule(where, parsed, lines, ZoneInfo(parsed.timezone or default_zone))
        out.problems += _check(config, schedule, shows, material)
        out.files.append(schedule)
    out.problems += _check_set(out)
    return out


def _check(config: Config, s: Schedule, shows: set[str] | None, material: _Material) -> list[Problem]:
    """What pydantic cannot see: blocks against the window and each other, files that are not there or are
    not the stream's own sound."""
    problems: list[Problem] = []
    d = s.data
    w = d.window

    def inside(clock: int) -> float:
        return (clock - w.start) % (24 * 60)  # minutes into the night

    spans: list[tuple[int, float, float, Block]] = []
    for i, block in enumerate(d.blocks):
        b0, b1 = inside(block.start), inside(block.end)
        if block.end == w.end:
            b1 = w.length_min
        if b0 >= w.length_min or b1 > w.length_min or b1 <= b0:
            problems.append(
                s.problem(
                    ("blocks", i),
                    f"the block “{block.name}” runs {clock_text(block.start)}–"
                    f"{clock_text(block.end)}, which is not inside the night's window "
                    f"{clock_text(w.start)}–{clock_text(w.end)}",
                    "change its start or end so it lies inside the window",
                )
            )
            continue
        spans.append((i, b0, b1, block))
        for part, selection in (("fill", block.fill), ("standby", block.standby)):
            for j, show in enumerate(selection.shows):
                if shows is not None and show not in shows:
                    guess = did_you_mean(show, shows)
                    problems.append(
                        s.problem(
                            ("blocks", i, part, "shows", j),
                            f"the block “{block.name}” names the show “{show}”, which does not exist",
                            f"did you mean `{guess}`?"
                            if guess
                            else f"use a show folder's name: {', '.join(sorted(shows)) or 'none yet'}",
                        )
                    )
            for j, pattern in enumerate(selection.files):
                path: Key = ("blocks", i, part, "files", j)
                problems += s.at(path, material.problems(pattern, s.line(*path), "standby"))
        if block.live and block.live.show and shows is not None and block.live.show not in shows:
            guess = did_you_mean(block.live.show, shows)
            problems.append(
                s.problem(
                    ("blocks", i, "live", "show"),
                    f"the live block “{block.name}” records into the show “{block.live.show}”, which does not exist",
                    f"did you mean `{guess}`?"
                    if guess
                    else f"use a show folder's name: {', '.join(sorted(shows)) or 'none yet'}",
                )
            )
        if block.fill.empty:
            problems.append(
                s.problem(
                    ("blocks", i),
                    f"the block “{block.name}” says nothing about what fills it",
                    "add shows, topics, tags or files under `fill`",
                )
            )
    for day in DAYS:
        todays = sorted((b0, b1, i, b) for i, b0, b1, b in spans if day in b.days)
        for (_, a1, _, a), (c0, _, ci, c) in itertools.pairwise(todays):
            if c0 < a1:
                problems.append(
                    s.problem(
                        ("blocks", ci),
                        f"the blocks “{a.name}” and “{c.name}” overlap on "
                        f"{_day_name(day)} nights ({clock_text(c.start)}–"
                        f"{clock_text(a.end)})",
                        "change one's start or end, or its days",
                    )
                )
        covered = 0.0
        for b0, b1, _, _ in todays:
            if b0 > covered + 1e-9:
                problems.append(_gap(s, day, covered, b0))
            covered = max(covered, b1)
        if covered < w.length_min and todays:
            problems.append(_gap(s, day, covered, w.length_min))
    for kind, patterns in (
        ("idents", d.material.idents),
        ("signposts", d.material.signposts),
        ("beds", d.material.beds),
    ):
        for j, pattern in enumerate(patterns):
            problems += s.at(("material", kind, j), material.problems(pattern, s.line("material", kind, j), kind))
    for i, announcement in enumerate(d.announcements):
        path = ("announcements", i, "file")
        problems += s.at(path, material.problems(announcement.file, s.line(*path), "announcements"))
    if not d.material.signposts:
        problems.append(
            s.problem(
                ("material",),
                "there is no crisis signposting material, so the night cannot point people to help",
                "record the crisis lines being read out and list the file under material: signposts",
            )
        )
    if d.rules.ident_every_min and not d.material.idents:
        problems.append(
            s.problem(
                ("rules", "ident_every_min"),
                f"an ident is asked for every {d.rules.ident_every_min} minutes, but there is no ident to play",
                "list ident recordings under material: idents, or set ident_every_min: null",
            )
        )
    if not d.material.beds:
        problems.append(
            s.problem(
                ("material",),
                "there is no music bed, so the night cannot be filled to the second and may end in silence",
                "add a music bed under material: beds",
                Severity.WARNING,
            )
        )
    return problems


def _gap(s: Schedule, day: str, from_min: float, to_min: float) -> Problem:
    w = s.data.window
    a, b = clock_text(int((w.start + from_min) % 1440)), clock_text(int((w.start + to_min) % 1440))
    return s.problem(
        ("blocks",),
        f"on {_day_name(day)} nights no block covers {a}–{b}, so it is filled with music beds only",
        "add a block for that time, or widen one next to it",
        Severity.WARNING,
    )


def _day_name(day: str) -> str:
    return {
        "mon": "Monday",
        "tue": "Tuesday",
        "wed": "Wednesday",
        "thu": "Thursday",
        "fri": "Friday",
        "sat": "Saturday",
        "sun": "Sunday",
    }[day]


# ------------------------------------------------------------ the stream's own sound
_EPISODES = (
    "schedules play episodes by show (`fill: {{shows: [{show}]}}`), so consent, withdrawal and hidden "
    "words apply; put idents, signposts, beds and standby sound in content/stream/"
)
_LINK_FIX = {
    "shows": "remove the link: an episode is played by show (`fill: {shows: [...]}`), so consent, "
    "withdrawal and hidden words apply",
    "outside": "put the sound file itself in content/stream/ instead of a link to somewhere else",
}


def material_files(config: Config, pattern: str) -> list[Path]:
    """The files a pattern names, in a stable order: only the stream's own sound, under content/stream/.

    A pattern that reaches anywhere else names nothing (`schedule check` says why, with the line), and a
    file that is a link out of content/stream/ is never among them."""
    return _Material(config).files(pattern)


def matches(pattern: str, source: str) -> bool:
    """Whether `pattern` names `source` (a path under content/, like "stream/beds/low.mp3"), by the rules the
    build prepares material by: `*` and `?` within one name, `**` any folders, only under content/stream/."""
    parts, _ = _pattern(pattern)
    return parts is not None and not _reason_outside(parts) and _match(parts, source.split("/"))


def _pattern(pattern: str) -> tuple[list[str] | None, str]:
    """(the pattern's names, "") or (None, what is wrong with it as a path)."""
    if "\\" in pattern:
        return None, "backslash"
    if pattern.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", pattern):
        return None, "outside"
    parts = [p for p in pattern.strip().split("/") if p not in ("", ".")]
    if not parts:
        return None, "empty"
    if ".." in parts:
        return None, "outside"
    return parts, ""


def _reason_outside(parts: list[str]) -> str:
    """Why a well-formed pattern is not the stream's own sound ("" when it is)."""
    if parts[0] == STREAM_FOLDER:
        return ""
    if parts[0] == "**" or fnmatch.fnmatchcase("shows", parts[0]):
        return "shows"
    return "elsewhere"


def _match(pattern: list[str], path: list[str], folder: bool = False) -> bool:
    """Glob matching name by name (`**`: any number of folders). With `folder`, whether anything inside the
    folder `path` could match. Dynamic programming, so no pattern of stars takes long."""
    m, n = len(pattern), len(path)
    # row[j]: pattern[i:] matches path[j:], filled from the last pattern name back. With no pattern left only
    # the end of a path matches; inside a folder, any pattern left matches something.
    row = [False] * n + [not folder]
    for i in range(m - 1, -1, -1):
        name = pattern[i]
        new = [False] * (n + 1)
        new[n] = folder or (name == "**" and row[n])
        for j in range(n - 1, -1, -1):
            if name == "**":
                new[j] = row[j] or new[j + 1]
            else:
                new[j] = fnmatch.fnmatchcase(path[j], name) and row[j + 1]
        row = new
    return row[0]


class _Material:
    """What content/stream/ holds, walked once per `schedule.load` (or per `material_files`)."""

    def __init__(self, config: Config):
        self.config = config
        self._walked: tuple[dict[str, Path], dict[str, str], str] | None = None

    def files(self, pattern: str) -> list[Path]:
        parts, _ = _pattern(pattern)
        if parts is None or _reason_outside(parts):
            return []
        inside, _, root_problem = self._walk()
        if root_problem:
            return []
        return [path for source, path in sorted(inside.items()) if _match(parts, source.split("/"))]

    def problems(self, pattern: str, where: str, kind: str) -> list[Problem]:
        example = {
            "idents": "stream/idents/*.mp3",
            "signposts": "stream/signposts/*.mp3",
            "beds": "stream/beds/*.mp3",
            "announcements": "stream/announcements/winter-shelter.mp3",
        }.get(kind, "stream/standby/*.mp3")
        parts, wrong = _pattern(pattern)
        shown = _shown(pattern)
        if parts is None:
            if wrong == "backslash":
                return [Problem(where, f"“{shown}” has \\ between its folders", f"use / instead, like `{example}`")]
            if wrong == "empty":
                return [Problem(where, "a file name here is empty", f"name a file, like `{example}`")]
            return [
                Problem(
                    where,
                    f"“{shown}” is outside the content folder",
                    f"name the stream's own sound in content/stream/, like `{example}`",
                )
            ]
        reason = _reason_outside(parts)
        if reason == "shows":
            literal = not any(ch in pattern for ch in "*?[")
            show = parts[1] if literal and len(parts) > 2 and parts[0] == "shows" else "..."
            what = (
                f"“{shown}” is an episode's recording, not stream material"
                if literal
                else f"“{shown}” reaches into content/shows/, where the episodes' recordings are, and they are not "
                "stream material"
            )
            return [Problem(where, what, _EPISODES.format(show=show))]
        if reason:
            return [
                Problem(
                    where,
                    f"“{shown}” is not in content/stream/, the stream's own folder",
                    f"put idents, signposts, beds and standby sound in content/stream/ and name them from "
                    f"there, like `{example}`",
                )
            ]
        inside, outside, root_problem = self._walk()
        if root_problem:
            return [
                Problem(
                    where,
                    root_problem,
                    "make content/stream/ a folder of its own, holding only idents, signposts, beds and standby sound",
                )
            ]
        found: list[Problem] = []
        for source, why in sorted(outside.items()):
            if not _match(parts, source.split("/"), folder=why.endswith("/")) and not _match(parts, source.split("/")):
                continue
            what = why.rstrip("/")
            if what == "name":
                found.append(
                    Problem(
                        where,
                        f"“{shown}” takes in {_shown(source)}, whose name holds an invisible control character",
                        "rename the file, using letters, digits and dashes",
                    )
                )
                continue
            folder = why.endswith("/")
            whose = {
                ("shows", False): "an episode's recording",
                ("shows", True): "a folder of episodes' recordings",
                ("outside", False): "a file outside content/stream/",
                ("outside", True): "a folder outside content/stream/",
            }[what, folder]
            head = f"“{shown}” is" if source == pattern.strip().strip("/") else f"“{shown}” takes in {_shown(source)},"
            found.append(Problem(where, f"{head} a link to {whose}, which is not stream material", _LINK_FIX[what]))
        if not found and not any(_match(parts, source.split("/")) for source in inside):
            found.append(
                Problem(
                    where,
                    f"no file matches “{shown}” under {self.config.settings.build.content_dir}/",
                    "check the spelling, or put the recording there",
                )
            )
        return found

    def _walk(self) -> tuple[dict[str, Path], dict[str, str], str]:
        """(source → file for the stream's own sound, source → why another entry is not, a problem with the
        folder itself). Links are followed only to files inside content/stream/; a linked folder is not walked
        into (it could lead anywhere, or round in a circle)."""
        if self._walked is not None:
            return self._walked
        content = self.config.content_dir
        top = content / STREAM_FOLDER
        inside: dict[str, Path] = {}
        outside: dict[str, str] = {}
        self._walked = (inside, outside, "")
        if not top.is_dir():
            return self._walked
        real_top = top.resolve()
        shows = (content / "shows").resolve()
        if real_top == shows or real_top in shows.parents or shows in real_top.parents:
            self._walked = (
                inside,
                outside,
                "content/stream/ is a link to a folder that holds episodes' "
                "recordings (content/shows/), which are not stream material",
            )
            return self._walked
        for folder, dirs, names in os.walk(top):
            here = Path(folder)
            for name in list(dirs):
                if name.startswith(".") or not (here / name).is_symlink():
                    continue
                dirs.remove(name)  # never walk into a link
                target = (here / name).resolve()
                if not target.is_relative_to(real_top):
                    outside[_source(content, here / name)] = "shows/" if target.is_relative_to(shows) else "outside/"
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in names:
                if name.startswith("."):
                    continue
                path = here / name
                source = _source(content, path)
                if refused(source):
                    outside[source] = "name"
                    continue
                if path.is_symlink():
                    target = path.resolve()
                    if not target.is_relative_to(real_top):
                        outside[source] = "shows" if target.is_relative_to(shows) else "outside"
                        continue
                if path.is_file():
                    inside[source] = path
        return self._walked


def _source(content: Path, path: Path) -> str:
    return path.relative_to(content).as_posix()


def _shown(value: str) -> str:
    """`value` fit for a message: a character that cannot be seen is written as its escape."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in value)


def _check_set(out: Schedules) -> list[Problem]:
    problems: list[Problem] = []
    regular = [s for s in out.files if s.data.dates is None]
    if out.files and not regular:
        problems.append(
            Problem(
                "scheduler/",
                "every schedule has `dates`, so most nights have no schedule",
                "remove `dates` from the one that is the regular week",
            )
        )
    for extra in regular[1:]:
        problems.append(
            Problem(
                extra.where,
                f"this is a second regular schedule (no `dates`), as well as {regular[0].where}",
                "give it `dates` for the nights it is for, or merge the two",
                file=extra.where,
            )
        )
    special = [(s, s.data.dates) for s in out.files if s.data.dates]
    for i, (a, a_dates) in enumerate(special):
        for b, b_dates in special[i + 1 :]:
            if a_dates.start <= b_dates.end and b_dates.start <= a_dates.end:
                problems.append(
                    b.problem(
                        ("dates",),
                        f"its dates overlap those of {a.where}",
                        "change one so each night has one schedule",
                    )
                )
    return problems


def presenter_key(name: str) -> str:
    """How a presenter is told apart in the stream library: a hash, so their name is not stored again."""
    import hashlib

    return hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:16]
