"""What every piece of a build shares: the settings, the cache, the ledger, the records, the model.

The workshop does the caching the stages never do: a stage's result is kept
under a key made of its input hashes, its version and the settings it reads,
and a file of site/ is written (atomically) only when its key has changed.
Each piece of work counts what it did in its own `Job`, so the pieces stay
independent of each other and of the order they run in.

An episode's audio and model work is not done here but as a task
(station/compute/): an episode's Job is `offload`ed, and where a result it
needs is not in the cache, the workshop raises NeedsWork instead of doing the
work; the runner has the task done and files its results in the cache (and,
in `failed`, what could not be done and why), and the episode is built again
from there. The stream's own sounds (short idents and beds) are still
prepared here, in this process.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from station.build.ledger import Ledger
from station.build.stages import inspect, normalise
from station.catalog.model import Episode, Show
from station.config import Config
from station.errors import EpisodeFailed, FfmpegFailed, Problem, ToolError
from station.files import atomic_path
from station.records import Records
from station.tools import ffmpeg, whisper_models
from station.tools.whisper_models import ModelDir

COVER_PX = 600  # the artwork inside each MP3; the full-size image is for feeds and pages


class Events:
    """What the build tells whoever watches (the CLI draws progress bars from it)."""

    def begin(self, total: int) -> None: ...

    def step(self, where: str, label: str, total_s: float | None) -> Callable[[float], None]:
        return lambda seconds: None

    def done(self, built: Any) -> None: ...  # a BuiltEpisode

    def work(self, state: Any) -> None: ...  # a compute.pool.WorkState: tasks done, running and waiting

    def notice(self, text: str) -> None: ...  # where the work runs (a cluster's dashboard, a fallback)


class NeedsWork(Exception):
    """An offloaded episode needs a result the cache does not have: its work must be done as a task first."""


@dataclass
class Job:
    """What one piece of work did: the work counted, the files of site/ it published, its copies in the cache."""

    work: Counter[str] = field(default_factory=Counter)
    files: set[str] = field(default_factory=set)
    copies: set[str] = field(default_factory=set)
    offload: bool = False  # audio and model work is a task's (NeedsWork), not done here


@dataclass(frozen=True)
class Checked:
    source: normalise.Source
    warnings: list[Problem]


class Workshop:
    def __init__(
        self,
        config: Config,
        *,
        check: bool,
        now: datetime,
        events: Events,
        ledger: Ledger,
        records: Records,
        model: ModelDir | None,
        namespace: uuid.UUID,
    ):
        self.config, self.settings = config, config.settings
        self.check, self.now, self.events = check, now, events
        self.ledger, self.records, self.model, self.namespace = ledger, records, model, namespace
        self.cache = config.state_dir / "cache"
        self.present_keys: set[str] = set()  # every episode of the catalogue, by key (slugs stay unique)
        # What a task could not do in this run, by the key of the stage: its problems, or (a transcript) why.
        self.failed: dict[str, list[Problem]] = {}
        self.transcript_failed: dict[str, str] = {}
        self.analysed: dict[str, Any] = {}  # `station check` writes no ledger: its analyses, for this run
        self._multilingual: ModelDir | ToolError | None = None

    def multilingual(self) -> ModelDir:
        """The multilingual base model, for an episode the station's English-only model cannot do (another
        language, or a translation); found, joined and verified once a run. ToolError when not installed."""
        if self._multilingual is None:
            try:
                self._multilingual = whisper_models.resolve(
                    "base", self.config.root, self.cache / "models", self.ledger.sha256, join=not self.check
                )
            except ToolError as exc:
                self._multilingual = exc
        if isinstance(self._multilingual, ToolError):
            raise self._multilingual
        return self._multilingual

    def recall(self, key: str) -> Any:
        """A stage's result from the ledger (or, in a check, from this run)."""
        found = self.ledger.recall(key)
        return found if found is not None else self.analysed.get(key)

    # ------------------------------------------------------------ site/
    def intact(self, rel: str, key: str) -> bool:
        """This file of site/ is still there exactly as `key` made it."""
        dest = self.config.site_dir / rel
        known = self.ledger.output(rel)
        return bool(known) and dest.exists() and known == (key, dest.stat().st_size, dest.stat().st_mtime_ns)

    def publish(self, job: Job, rel: str, key: str, write: Callable[[Path], object]) -> bool:
        """Write one file of site/ atomically unless it is already there as `key` made it; True if written."""
        job.files.add(rel)
        dest = self.config.site_dir / rel
        if self.intact(rel, key):
            return False
        with atomic_path(dest) as tmp:
            write(tmp)
        self.ledger.record_output(rel, key, dest)
        kind = {"mp3": "tag", "xml": "feeds", "html": "pages"}.get(rel.rsplit(".", 1)[-1], "files")
        job.work[kind] += 1
        return True

    # ------------------------------------------------------------ audio
    def source(self, job: Job, path: Path, where: str, allow_clipping: bool, trim: bool = True) -> Checked:
        """A recording (or a show's intro, outro, a schedule's sound) checked; its analysis cached by content."""
        sha = self.sha256(path, where)
        key = inspect.key(sha, self.settings)
        analysis = self.recall(key)
        if analysis is None and key in self.failed:
            raise EpisodeFailed(*self.failed[key])
        if analysis is None and job.offload:
            raise NeedsWork(where)
        if analysis is None:
            analysis = inspect.analyse(path, where, self.settings, self.events.step(where, "checking", None))
            self.ledger.remember(key, "inspect", analysis)
            self.analysed[key] = analysis
            job.work["analyse"] += 1
        problems = inspect.judge(analysis, path, where, self.settings, allow_clipping, is_part=not trim)
        if any(p.is_error for p in problems):
            raise EpisodeFailed(*problems)
        return Checked(normalise.Source(path, sha, analysis, trim), problems)

    def sha256(self, path: Path, where: str) -> str:
        """The file's content hash (the ledger's memo of it); EpisodeFailed, in plain words, if it cannot be read."""
        try:
            return self.ledger.sha256(path)
        except OSError as exc:
            raise EpisodeFailed(
                Problem(
                    where,
                    f"this file cannot be read ({exc.strerror})",
                    "check it is still there and the station may read it",
                )
            ) from None

    def part(self, job: Job, show: Show, name: str | None) -> normalise.Source | None:
        """A show's intro or outro: checked like a recording, never trimmed."""
        if not name:
            return None
        path = show.path(name)
        assert path is not None
        return self.source(job, path, self.config.rel(path), allow_clipping=True, trim=False).source

    def normalised(
        self,
        job: Job,
        sources: list[normalise.Source],
        masked: bool,
        where: str,
        hide: tuple[tuple[float, float], ...] = (),
    ) -> tuple[str, Path, dict[str, Any]]:
        """The normalised MP3 in the cache (rendered only if missing), its key and its measurement."""
        audio_key = normalise.key(sources, masked, self.settings, hide)
        cached = self.cache / "audio" / f"{audio_key}.mp3"
        job.copies.add(self.config.rel(cached))
        measured = self.ledger.recall(audio_key)
        if measured is None or not cached.exists():
            if audio_key in self.failed:
                raise EpisodeFailed(*self.failed[audio_key])
            if job.offload:
                raise NeedsWork(where)
            length = sum(
                inspect.trimmed_length(s.analysis, self.settings) if s.trim else s.analysis["duration_s"]
                for s in sources
            )
            progress = self.events.step(where, "hiding words in" if hide else "normalising", length)
            with atomic_path(cached) as tmp:
                measured = normalise.render(sources, masked, tmp, where, self.settings, hide, progress)
            self.ledger.remember(audio_key, "normalise", measured)
            job.work["render"] += 1
        return audio_key, cached, measured

    def cover(self, job: Job, episode: Episode) -> bytes | None:
        """The episode's artwork as the MP3 carries it, made once per image."""
        art_path = self.settings.station.artwork
        art = episode.artwork(self.config.root / art_path if art_path else None)
        if art is None:
            return None
        cover = self.cache / "covers" / f"{self.ledger.sha256(art)}-{COVER_PX}.jpg"
        if not cover.exists():
            try:
                with atomic_path(cover) as tmp:
                    ffmpeg.cover(art, tmp, COVER_PX, self.settings.build.tool_timeout_s)
            except FfmpegFailed:
                raise EpisodeFailed(
                    Problem(
                        self.config.rel(art),
                        "this artwork is not an image we can read",
                        "save it again as a JPEG or PNG",
                    )
                ) from None
            job.work["cover"] += 1
        return cover.read_bytes()


def own_files(show: str, slug: str) -> tuple[str, str]:
    """The starts of the site/ paths that are an episode's own: its page folder and its media."""
    return f"shows/{show}/{slug}/", f"media/{show}/{slug}."


def remove_own_files(site: Path, ledger: Ledger, show: str, slug: str) -> list[str]:
    """Remove the episode's own files from site/ and the ledger's list; return them. Found on disk as well as
    in the ledger: the ledger is a cache and may be gone or behind."""
    found = {p for p in (site / "shows" / show / slug).rglob("*") if p.is_file()}
    media = site / "media" / show
    if media.is_dir():
        found |= {p for p in media.iterdir() if p.is_file() and p.name.startswith(f"{slug}.")}
    rels = {p.relative_to(site).as_posix() for p in found}
    rels |= {r for r in ledger.outputs() if r.startswith(own_files(show, slug))}
    for rel in sorted(rels):
        (site / rel).unlink(missing_ok=True)
        ledger.forget_output(rel)
    return sorted(rels)


def detail(exc: BaseException) -> str:
    """An exception in one line, its class named without its module: "UndefinedError: 'x' is undefined"."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def contents(data: bytes | str) -> Callable[[Path], object]:
    """A `write` for Workshop.publish that puts `data` (text as UTF-8) into the temporary file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return lambda tmp: tmp.write_bytes(raw)
