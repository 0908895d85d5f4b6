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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator, model_validator

from . import yaml_file
from .config import Config, check_timezone
from .errors import Problem, Severity
from .model import check_notes, check_topics
from .validation import Frozen, did_you_mean, validate

PARTS = {"hold", "struggle", "recovery", "ctx", "rc"}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PAUSED_FILE = "paused.yaml"
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
EXAMPLE = "scheduler/night-owls.yaml (docs/schedule.md explains each key)"


def clock_minutes(value) -> int:
    """'22:00' (or YAML's 1320 for an unquoted 22:00) → minutes after midnight."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a clock time — write it in quotes, like \"22:00\"")
    if isinstance(value, int):
        if 0 <= value < 24 * 60:
            return value
        raise ValueError(f"{value!r} is not a clock time — write it in quotes, like \"22:00\"")
    match = _CLOCK.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a clock time — write hours and minutes in quotes, like \"22:00\"")
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class Window(BaseModel):
    model_config = Frozen
    start: int
    end: int

    _clock = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: clock_minutes(v)))

    @model_validator(mode="after")
    def _not_empty(self):
        if self.start == self.end:
            raise ValueError("the window starts and ends at the same time — give the night a length, "
                             "like start: \"22:00\" and end: \"07:00\"")
        return self

    @property
    def length_min(self) -> int:
        return (self.end - self.start) % (24 * 60)


class Selection(BaseModel):
    """What may fill a block (or stand by for it): episodes by show, topic or tag, and material files."""
    model_config = Frozen
    shows: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)   # nodes of the recovery systems map
    tags: list[str] = Field(default_factory=list)     # an episode's own `tags`
    files: list[str] = Field(default_factory=list)    # under content/; * and ? match many

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


class Block(BaseModel):
    model_config = Frozen
    name: str = Field(min_length=1, max_length=80)
    days: list[Day] = Field(default_factory=lambda: list(DAYS))
    start: int
    end: int
    fill: Selection
    standby: Selection

    _clock = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: clock_minutes(v)))

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value):
        if value in ("every", "all", "every night"):
            return list(DAYS)
        if isinstance(value, list):
            return [str(d).strip().lower()[:3] if str(d).strip().lower()[:3] in DAYS else d for d in value]
        return value

    @field_validator("standby")
    @classmethod
    def _standby(cls, value: Selection) -> Selection:
        if value.empty:
            raise ValueError("standby is empty — every block needs standby material, so a paused presenter or a "
                             "broken file never means dead air: list shows, topics, tags or files")
        return value


class Announcement(BaseModel):
    model_config = Frozen
    title: str = Field(min_length=1, max_length=120)
    file: str = Field(min_length=1)
    starts: Date
    expires: Date        # the last night it is played
    every_min: int = Field(120, ge=10, le=24 * 60)

    @model_validator(mode="after")
    def _order(self):
        if self.expires < self.starts:
            raise ValueError("this announcement expires before it starts — check `starts` and `expires`")
        return self


class NoteHour(BaseModel):
    model_config = Frozen
    notes: list[str] = Field(min_length=1)
    after: int

    _clock = field_validator("after", mode="before")(classmethod(lambda cls, v: clock_minutes(v)))

    _notes = field_validator("notes")(classmethod(lambda cls, value: check_notes(value)))


class Rules(BaseModel):
    model_config = Frozen
    ident_every_min: int | None = Field(30, ge=1, le=24 * 60)      # null: no idents
    signpost_every_min: int = Field(60, ge=1, le=24 * 60)          # crisis signposting at least this often
    signpost_after_content_notes: bool = True
    no_repeat_nights: int = Field(3, ge=0, le=60)                  # an episode rests this many nights
    presenter_max_percent: float = Field(25, gt=0, le=100)         # of the night's length, per presenter
    newcomer_percent: float = Field(15, ge=0, le=100)              # of the night's episode airtime
    newcomer_days: int = Field(90, ge=1, le=3650)                  # first heard within this many days
    notes_after: list[NoteHour] = Field(default_factory=list)      # these notes only from this hour


class Material(BaseModel):
    """The station's own sound: files under content/, * and ? match many."""
    model_config = Frozen
    idents: list[str] = Field(default_factory=list)
    signposts: list[str] = Field(default_factory=list)   # recorded announcements of the crisis lines
    beds: list[str] = Field(default_factory=list)        # music beds: cut to any length to fill to the second


class DateRange(BaseModel):
    model_config = Frozen
    start: Date
    end: Date

    @model_validator(mode="after")
    def _order(self):
        if self.end < self.start:
            raise ValueError("`dates` ends before it starts — check `start` and `end`")
        return self


class ScheduleFile(BaseModel):
    """One `scheduler/*.yaml`."""
    model_config = Frozen
    name: str = Field(min_length=1, max_length=80)
    timezone: str | None = None      # none: the station's own ([station] timezone)
    dates: DateRange | None = None   # none: the regular week
    window: Window
    rules: Rules = Rules()
    material: Material = Material()
    announcements: list[Announcement] = Field(default_factory=list)
    blocks: list[Block] = Field(min_length=1)

    _timezone = field_validator("timezone")(classmethod(lambda cls, v: v if v is None else check_timezone(v)))


class Pause(BaseModel):
    model_config = Frozen
    presenter: str = Field(min_length=1)   # as named in their sidecars
    until: Date | None = None              # the last night they are paused for; none: until removed


class PausedFile(BaseModel):
    model_config = Frozen
    paused: list[Pause] = Field(default_factory=list)


@dataclass(frozen=True)
class Schedule:
    where: str            # the file, relative to the station root
    data: ScheduleFile
    lines: dict
    zone: ZoneInfo

    def line(self, *path) -> str:
        n = self.lines.get(tuple(path))
        return f"{self.where} line {n}" if n else self.where

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
    sources: dict[str, str] = field(default_factory=dict)   # file → its text, for the assembly key

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
    for path in sorted(where_dir.glob("*.yaml")) + sorted(where_dir.glob("*.yml")):
        where = config.rel(path)
        text = (override or {}).get(path)
        data, lines, problems = yaml_file.read(path, where, EXAMPLE, text)
        out.problems += problems
        if data is None:
            continue
        out.sources[where] = text if text is not None else path.read_text(encoding="utf-8")
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
        out.problems += _check(config, schedule, shows)
        out.files.append(schedule)
    out.problems += _check_set(out)
    return out


def _check(config: Config, s: Schedule, shows: set[str] | None) -> list[Problem]:
    """What pydantic cannot see: blocks against the window and each other, files that are not there."""
    problems: list[Problem] = []
    d = s.data
    w = d.window

    def inside(clock: int) -> float:
        return (clock - w.start) % (24 * 60)   # minutes into the night

    spans: list[tuple[int, float, float, Block]] = []
    for i, block in enumerate(d.blocks):
        at = s.line("blocks", i)
        b0, b1 = inside(block.start), inside(block.end)
        if block.end == w.end:
            b1 = w.length_min
        if b0 >= w.length_min or b1 > w.length_min or b1 <= b0:
            problems.append(Problem(at, f"the block “{block.name}” runs {clock_text(block.start)}–"
                                    f"{clock_text(block.end)}, which is not inside the night's window "
                                    f"{clock_text(w.start)}–{clock_text(w.end)}",
                                    "change its start or end so it lies inside the window"))
            continue
        spans.append((i, b0, b1, block))
        for part, selection in (("fill", block.fill), ("standby", block.standby)):
            for j, show in enumerate(selection.shows):
                if shows is not None and show not in shows:
                    guess = did_you_mean(show, shows)
                    problems.append(Problem(s.line("blocks", i, part, "shows", j),
                                            f"the block “{block.name}” names the show “{show}”, which does not exist",
                                            f"did you mean `{guess}`?" if guess else
                                            f"use a show folder's name: {', '.join(sorted(shows)) or 'none yet'}"))
            for j, pattern in enumerate(selection.files):
                problems += _files_problems(config, pattern, s.line("blocks", i, part, "files", j))
        if block.fill.empty:
            problems.append(Problem(at, f"the block “{block.name}” says nothing about what fills it",
                                    "add shows, topics, tags or files under `fill`"))
    for day in DAYS:
        todays = sorted((b0, b1, i, b) for i, b0, b1, b in spans if day in b.days)
        for (a0, a1, ai, a), (c0, c1, ci, c) in zip(todays, todays[1:]):
            if c0 < a1:
                problems.append(Problem(s.line("blocks", ci), f"the blocks “{a.name}” and “{c.name}” overlap on "
                                        f"{_day_name(day)} nights ({clock_text(c.start)}–"
                                        f"{clock_text(a.end)})", "change one's start or end, or its days"))
        covered = 0.0
        for b0, b1, _, _ in todays:
            if b0 > covered + 1e-9:
                problems.append(_gap(s, day, covered, b0))
            covered = max(covered, b1)
        if covered < w.length_min and todays:
            problems.append(_gap(s, day, covered, w.length_min))
    for kind, patterns in (("idents", d.material.idents), ("signposts", d.material.signposts),
                           ("beds", d.material.beds)):
        for j, pattern in enumerate(patterns):
            problems += _files_problems(config, pattern, s.line("material", kind, j))
    for i, a in enumerate(d.announcements):
        problems += _files_problems(config, a.file, s.line("announcements", i, "file"))
    if not d.material.signposts:
        problems.append(Problem(s.line("material") if ("material",) in s.lines else s.where,
                                "there is no crisis signposting material, so the night cannot point people to help",
                                "record the crisis lines being read out and list the file under material: signposts"))
    if d.rules.ident_every_min and not d.material.idents:
        problems.append(Problem(s.line("rules", "ident_every_min"), "an ident is asked for every "
                                f"{d.rules.ident_every_min} minutes, but there is no ident to play",
                                "list ident recordings under material: idents, or set ident_every_min: null"))
    if not d.material.beds:
        problems.append(Problem(s.line("material") if ("material",) in s.lines else s.where,
                                "there is no music bed, so the night cannot be filled to the second and may end in "
                                "silence", "add a music bed under material: beds", Severity.WARNING))
    return problems


def _gap(s: Schedule, day: str, from_min: float, to_min: float) -> Problem:
    w = s.data.window
    a, b = clock_text(int((w.start + from_min) % 1440)), clock_text(int((w.start + to_min) % 1440))
    return Problem(s.line("blocks"), f"on {_day_name(day)} nights no block covers {a}–{b}, so it is filled "
                   "with music beds only", "add a block for that time, or widen one next to it", Severity.WARNING)


def _day_name(day: str) -> str:
    return {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
            "sat": "Saturday", "sun": "Sunday"}[day]


def _files_problems(config: Config, pattern: str, where: str) -> list[Problem]:
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return [Problem(where, f"“{pattern}” is outside the content folder",
                        "give a path under content/, like `stream/idents/*.mp3`")]
    if not material_files(config, pattern):
        return [Problem(where, f"no file matches “{pattern}” under {config.settings.build.content_dir}/",
                        "check the spelling, or put the recording there")]
    return []


def material_files(config: Config, pattern: str) -> list[Path]:
    """The files a pattern names, under content/, in a stable order."""
    base = config.content_dir
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return []
    return sorted(p for p in base.glob(pattern) if p.is_file() and not p.name.startswith("."))


def _check_set(out: Schedules) -> list[Problem]:
    problems = []
    regular = [s for s in out.files if s.data.dates is None]
    if out.files and not regular:
        problems.append(Problem("scheduler/", "every schedule has `dates`, so most nights have no schedule",
                                "remove `dates` from the one that is the regular week"))
    for extra in regular[1:]:
        problems.append(Problem(extra.where, f"this is a second regular schedule (no `dates`), as well as "
                                f"{regular[0].where}", "give it `dates` for the nights it is for, or merge the two"))
    special = [s for s in out.files if s.data.dates]
    for i, a in enumerate(special):
        for b in special[i + 1:]:
            if a.data.dates.start <= b.data.dates.end and b.data.dates.start <= a.data.dates.end:
                problems.append(Problem(b.line("dates"), f"its dates overlap those of {a.where}",
                                        "change one so each night has one schedule"))
    return problems


def presenter_key(name: str) -> str:
    """How a presenter is told apart in the stream library: a hash, so their name is not stored again."""
    import hashlib
    return hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:16]


