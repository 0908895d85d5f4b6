"""The build report: what the last build did with each recording, and every problem with its fix.

Written at the end of every build to `.station/last-build.json` and read back
only through `read`: `station publish` (it refuses a failed build), the desk's
episode states and its problems page all see the same typed report. Like the
rest of `.station/`, it is a cache: without it the desk says "waiting" until
the next build, and `station publish` asks for one.

It holds no person's name and no word of a transcript: recordings by path,
problems as the messages the CLI prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from station.build.built import HELD_BACK, BuiltEpisode
from station.config import Config
from station.errors import Problem, Severity
from station.files import write_text

VERSION = 2  # 1: an untyped dict with strings for problems (read as "no report": the next build writes one)


@dataclass(frozen=True)
class Line:
    """What the report keeps of one recording."""

    where: str
    state: str
    slug: str | None = None
    guid: str | None = None
    audio: str | None = None
    transcript_state: str | None = None


@dataclass(frozen=True)
class BuildReport:
    finished_at: datetime
    episodes: tuple[Line, ...] = ()
    problems: tuple[Problem, ...] = ()  # every problem: the catalogue's, the episodes', the outputs'
    waiting: tuple[str, ...] = ()  # recordings still being copied in, left for the next build
    written_at: float = field(default=0.0, compare=False)  # when the file was written (its mtime)

    @classmethod
    def of(
        cls, finished_at: datetime, built: Iterable[BuiltEpisode], problems: Iterable[Problem], waiting: Iterable[str]
    ) -> BuildReport:
        lines = tuple(Line(b.where, b.state, b.slug, b.guid, b.audio, b.transcript_state) for b in built)
        return cls(finished_at, lines, tuple(problems), tuple(waiting))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def transcripts_pending(self) -> list[str]:
        return sorted(e.where for e in self.episodes if e.transcript_state == "pending" and e.state != HELD_BACK)

    def line(self, where: str) -> Line | None:
        return next((e for e in self.episodes if e.where == where), None)

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "version": VERSION,
                    "finished_at": self.finished_at.isoformat(),
                    "episodes": [vars(e) for e in self.episodes],
                    "problems": [
                        {"where": p.where, "what": p.what, "fix": p.fix, "severity": p.severity.value}
                        for p in self.problems
                    ],
                    "waiting": list(self.waiting),
                },
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str, written_at: float = 0.0) -> BuildReport | None:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        return cls(
            datetime.fromisoformat(data["finished_at"]),
            tuple(Line(**e) for e in data["episodes"]),
            tuple(Problem(p["where"], p["what"], p["fix"], Severity(p["severity"])) for p in data["problems"]),
            tuple(data["waiting"]),
            written_at,
        )


def path(config: Config):
    return config.state_dir / "last-build.json"


def write(config: Config, report: BuildReport) -> None:
    write_text(path(config), report.to_json())


def read(config: Config) -> BuildReport | None:
    """The last build's report; None when there has been no build (or its report is gone or unreadable)."""
    try:
        text, written_at = path(config).read_text(encoding="utf-8"), path(config).stat().st_mtime
        return BuildReport.from_json(text, written_at)
    except (OSError, ValueError, KeyError, TypeError):
        return None
