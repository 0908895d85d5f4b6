"""The exception tree, and the one shape every reported problem takes.

Every exception the station raises on purpose is defined here, so the whole
tree can be read in one screen; the modules that raise them import them.

    StationError                 stops the run before any work; the CLI prints it
    ├── ConfigError              station.toml (or a show.toml) is broken: every problem at once
    ├── ToolError                a tool we need (ffmpeg) is missing or failed outside any episode
    ├── StateError               the state database cannot be opened or is from a newer version
    ├── DiskFull                 a write failed because the disk is full: the run stops where it is
    │                            (never one episode held back for it), and what is published stays
    ├── PublishError             `station publish`: the bucket refused, or a request kept failing
    ├── BackupError              `station backup` / `restore`: the archive or the folder will not do
    ├── ComputeError             `station build`: the Dask scheduler cannot be reached, or has no workers
    ├── StoreError               the artefact store the workers share refused a read or a write
    ├── CatalogueError           `station i18n`: a language code or a .po file that will not do
    └── NotFound                 `station withdraw`: no episode is the one asked for

    EpisodeFailed                one episode cannot go on; carries its Problems.
                                 The runner catches it, reports it and carries on with the rest.
    TemplateProblem              a site template could not be rendered; carries its Problem
    FfmpegFailed                 one ffmpeg run failed; carries its log (the caller says what it means)
    ImageUnreadable              Pillow cannot read an image (the caller names the file and what to do)
    IcecastError                 Icecast refused, or could not be reached for, a title update
    StreamSetupError             `station stream`: nowhere to send the night, or no schedule for it
    UploadRefused                the desk's upload or details form: carries a FieldProblem per field
    Unsatisfiable                the preview server: a Range only past the end of the file (→ 416)

    ValueError                   (a value a person gave cannot be used; the message says why)
    ├── TextRefused              a text holds a character no feed or page can carry
    ├── AccountError             the desk's accounts: a name, role or password that will not do
    └── CorrectionError          a presenter's transcript correction cannot be read or timed

A Problem is not an exception: it is what a presenter or coordinator reads.
`where` is a path relative to the station root, `what` says what is wrong and
`fix` says what to do, both in plain words. For a program reading it (the
desk), `file` is the file it is about and `key` the place inside that file;
neither is ever parsed out of the words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

# A key path as the data has it: ("presenters", 0, "name") is the first presenter's name, ("redact", 2) the
# third entry of `redact`. Indices count from 0 here; messages count from one. None is a key left empty.
Key = tuple[str | int | None, ...]


class Severity(StrEnum):
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
    # Not part of what a problem is (two problems that read the same are the same, wherever they were
    # found), so they take no part in equality: the problems of a file edited at the desk and by hand
    # compare equal, and a list is deduplicated by its words.
    file: str | None = field(default=None, compare=False)  # relative to the station root, no line
    key: Key | None = field(default=None, compare=False)  # the field (and entry) inside `file`, if one

    def __str__(self) -> str:
        return f"{self.where}: {self.what} — {self.fix}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class FieldProblem:
    """A problem with one field of a desk form, said the way the form names it."""

    field: str  # the form field's name, so the page can point at it
    message: str


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

    def __init__(self, folder: Path | str):
        self.folder = folder
        super().__init__(f"the disk holding {folder} is full — free some space and build again")

    def __reduce__(self) -> tuple[type[DiskFull], tuple[Path | str]]:  # raised on a worker, it comes back whole
        return (DiskFull, (self.folder,))


class PublishError(StationError):
    pass


class BackupError(StationError):
    """Said to whoever backs up or restores, in plain words."""


class ComputeError(StationError):
    """Where the episodes' work was to run cannot take it (the message names the address and what to check)."""


class StoreError(StationError):
    """The artefact store refused: not one episode's fault, so the build stops (it is raised on a worker too,
    and comes back to the station whole: its one argument is its message)."""


class CatalogueError(StationError):
    """`station i18n` cannot read or make a catalogue; the message names the file or the code, and what to do."""


class NotFound(StationError):
    """No episode is the one a withdrawal asked for; the message lists those there are."""


class EpisodeFailed(Exception):
    """One episode cannot go on. Never escapes the pipeline runner."""

    def __init__(self, *problems: Problem):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in problems))


class TemplateProblem(Exception):
    """A template could not be rendered; the site is left as it was. `whole`: the template itself is broken
    (a syntax mistake), whatever it is filled with."""

    def __init__(self, problem: Problem, whole: bool = False):
        super().__init__(str(problem))
        self.problem, self.whole = problem, whole


class FfmpegFailed(Exception):
    def __init__(self, log: str):
        self.log = log
        super().__init__(log[-2000:])


class ImageUnreadable(Exception):
    """An artwork or logo is not an image Pillow can read; the message is Pillow's own."""


class IcecastError(Exception):
    pass


class StreamSetupError(Exception):
    pass


class UploadRefused(Exception):
    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class Unsatisfiable(Exception):
    """The Range asks only for bytes past the end of the file (→ 416)."""


class TextRefused(ValueError):
    """A text holds a character it cannot keep; the message says which and where."""


class AccountError(ValueError):
    """Said to whoever manages accounts, in plain words."""


class CorrectionError(ValueError):
    pass
