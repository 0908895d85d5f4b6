"""The exception tree, and the one shape every reported problem takes.

    StationError                 stops the run before any work; the CLI prints it
    ├── ConfigError              station.toml (or a show.toml) is broken: every problem at once
    ├── ToolError                a tool we need (ffmpeg) is missing or failed outside any episode
    ├── StateError               the state database cannot be opened or is from a newer version
    └── DiskFull                 a write failed because the disk is full: the run stops where it is
                                 (never one episode held back for it), and what is published stays

    EpisodeFailed                one episode cannot go on; carries its Problems.
                                 The runner catches it, reports it and carries on with the rest.

A Problem is not an exception: it is what a presenter or coordinator reads.
`where` is a path relative to the station root, `what` says what is wrong and
`fix` says what to do, both in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    # An error holds the episode back; a warning lets it through but is shown
    # (and fails the run under --strict).
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    where: str
    what: str
    fix: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.where}: {self.what} — {self.fix}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class StationError(Exception):
    """Stops the whole run. The message is already in plain words."""


class ConfigError(StationError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ToolError(StationError):
    pass


class StateError(StationError):
    pass


class DiskFull(StationError):
    """The disk holding `folder` is full. Not an episode's fault: the runner never isolates it, because
    carrying on would drop the episode it hit from the feeds and pages, unpublishing it for want of space."""

    def __init__(self, folder):
        self.folder = folder
        super().__init__(f"the disk holding {folder} is full — free some space and build again")


class EpisodeFailed(Exception):
    """One episode cannot go on. Never escapes the pipeline runner."""

    def __init__(self, *problems: Problem):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in problems))
