"""The runner: from the catalogue to finished episodes in site/.

It alone does caching (each stage's result is kept under a key made of its
input hashes, its version and the settings it reads), atomic writes,
skipping, and isolation of a failed episode: one bad episode is reported and
the others carry on. Stages never print and never touch the ledger, so each
stays a function of its hashed inputs and could run on another worker.

`check=True` runs the same validation but writes nothing at all.
"""

from __future__ import annotations

import json
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import catalog as catalog_mod
from .config import Config
from .errors import EpisodeFailed, Problem
from .files import atomic_path, remove_empty_dirs, sweep, write_text
from .ledger import Ledger
from .model import Episode, slugify
from .stages import inspect, normalise, tag
from .tools import ffmpeg

COVER_PX = 600  # the artwork inside each MP3; the full-size image is for feeds and pages


class Events:
    """What the runner tells whoever watches (the CLI draws progress bars from it)."""

    def begin(self, total: int) -> None: ...
    def step(self, where: str, label: str, total_s: float | None) -> Callable[[float], None]:
        return lambda seconds: None
    def done(self, outcome: "Outcome") -> None: ...


@dataclass
class Outcome:
    where: str                  # the recording, relative to the station root
    state: str                  # built | unchanged | held back | not public yet | checked
    slug: str | None = None
    guid: str | None = None
    audio: str | None = None    # site-relative path of the published MP3
    measured: dict | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class BuildResult:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)   # every problem, catalogue and episodes
    waiting: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    work: Counter = field(default_factory=Counter)          # audio and tag work actually done

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def build(config: Config, *, check: bool = False, now: datetime | None = None,
          events: Events | None = None) -> BuildResult:
    ffmpeg.executable()  # a missing tool stops the run before any work
    runner = Runner(config, check=check, now=now or datetime.now(timezone.utc), events=events or Events())
    try:
        return runner.run()
    finally:
        runner.ledger.close()


class Runner:
    def __init__(self, config: Config, check: bool, now: datetime, events: Events):
        self.config, self.check, self.now, self.events = config, check, now, events
        self.settings = config.settings
        self.ledger = Ledger(config.state_dir / "state.sqlite", read_only=check)
        self.cache = config.state_dir / "cache"
        self.result = BuildResult()
        self.produced: set[str] = set()
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.settings.station.base_url)

    def run(self) -> BuildResult:
        if not self.check:
            sweep(self.config.site_dir)
            sweep(self.cache)
        cat = catalog_mod.load(self.config)
        self.result.problems += cat.problems
        self.result.waiting = cat.waiting
        self.present_keys = {e.key for e in cat.episodes}
        self.events.begin(len(cat.episodes))
        for episode in cat.episodes:
            outcome = self._isolated(episode)
            self.result.outcomes.append(outcome)
            self.result.problems += [p for p in outcome.problems if p not in self.result.problems]
            self.events.done(outcome)
        if not self.check:
            self._remove_stale()
            self._write_report()
        return self.result

    # ------------------------------------------------------------ one episode
    def _isolated(self, episode: Episode) -> Outcome:
        where = self.config.rel(episode.recording)
        try:
            return self._episode(episode, where)
        except EpisodeFailed as failed:
            return Outcome(where, "held back", problems=failed.problems)
        except Exception as exc:  # a bug must not stop the other episodes
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return Outcome(where, "held back", problems=[Problem(
                where, f"something went wrong while building this episode ({detail})",
                "run `station build -v` and send the output to whoever looks after the station")])

    def _episode(self, episode: Episode, where: str) -> Outcome:
        main = self._source(episode.recording, where, episode.meta.allow_clipping)
        warnings = main.warnings
        show = episode.show
        parts = [self._part(show, show.meta.intro), main.source, self._part(show, show.meta.outro)]
        sources = [s for s in parts if s is not None]
        identity = self._identity(episode, main.source.sha256)
        if self.check:
            return Outcome(where, "checked", slug=identity.slug, guid=identity.guid, problems=warnings)
        audio_key = normalise.key(sources, episode.masked, self.settings)
        cached = self.cache / "audio" / f"{audio_key}.mp3"
        measured = self.ledger.recall(audio_key)
        if measured is None or not cached.exists():
            length = sum(inspect.trimmed_length(s.analysis, self.settings) if s.trim else s.analysis["duration_s"]
                         for s in sources)
            progress = self.events.step(where, "normalising", length)
            with atomic_path(cached) as tmp:
                measured = normalise.render(sources, episode.masked, tmp, where, self.settings, progress)
            self.ledger.remember(audio_key, "normalise", measured)
            self.result.work["render"] += 1
        public = episode.published_now("podcast", self.now) or episode.published_now("site", self.now)
        if not public:
            return Outcome(where, "not public yet", slug=identity.slug, guid=identity.guid, measured=measured, problems=warnings)
        rel = f"media/{show.slug}/{identity.slug}.mp3"
        dest = self.config.site_dir / rel
        page = f"{self.settings.station.base_url}shows/{show.slug}/{identity.slug}/"
        tags = tag.tagset(episode, self.config, page, measured["duration_s"], self._cover(episode, where))
        tag_key = tag.key(audio_key, tags)
        self.produced.add(rel)
        known = self.ledger.output(rel)
        if known and dest.exists() and known == (tag_key, dest.stat().st_size, dest.stat().st_mtime_ns):
            return Outcome(where, "unchanged", slug=identity.slug, guid=identity.guid, audio=rel, measured=measured, problems=warnings)
        with atomic_path(dest) as tmp:
            tag.write(cached, tags, tmp)
        self.ledger.record_output(rel, tag_key, dest)
        self.result.work["tag"] += 1
        return Outcome(where, "built", slug=identity.slug, guid=identity.guid, audio=rel, measured=measured, problems=warnings)

    def _part(self, show, name: str | None) -> normalise.Source | None:
        """A show's intro or outro: checked like a recording, never trimmed."""
        if not name:
            return None
        path = show.path(name)
        return self._source(path, self.config.rel(path), allow_clipping=True, trim=False).source

    def _source(self, path: Path, where: str, allow_clipping: bool, trim: bool = True) -> "_Checked":
        try:
            sha = self.ledger.sha256(path)
        except OSError as exc:
            raise EpisodeFailed(Problem(where, f"this file cannot be read ({exc.strerror})",
                                        "check it is still there and the station may read it")) from None
        key = inspect.key(sha, self.settings)
        analysis = self.ledger.recall(key)
        if analysis is None:
            progress = self.events.step(where, "checking", None)
            analysis = inspect.analyse(path, where, self.settings, progress)
            self.ledger.remember(key, "inspect", analysis)
            self.result.work["analyse"] += 1
        problems = inspect.judge(analysis, path, where, self.settings, allow_clipping, is_part=not trim)
        if any(p.is_error for p in problems):
            raise EpisodeFailed(*problems)
        return _Checked(normalise.Source(path, sha, analysis, trim), problems)

    def _identity(self, episode: Episode, sha: str):
        wanted = episode.meta.slug or slugify(episode.meta.title)
        identity = self.ledger.identity(episode.key, episode.show.slug, sha, wanted, self.present_keys, self.namespace)
        if episode.meta.slug and identity.slug != episode.meta.slug:  # an explicit slug always wins
            self.ledger.set_slug(episode.key, episode.meta.slug)
            identity = type(identity)(episode.meta.slug, identity.guid)
        return identity

    def _cover(self, episode: Episode, where: str) -> bytes | None:
        art_path = self.settings.station.artwork
        art = episode.artwork(self.config.root / art_path if art_path else None)
        if art is None:
            return None
        sha = self.ledger.sha256(art)
        cover = self.cache / "covers" / f"{sha}-{COVER_PX}.jpg"
        if not cover.exists():
            try:
                with atomic_path(cover) as tmp:
                    ffmpeg.cover(art, tmp, COVER_PX, self.settings.build.tool_timeout_s)
            except ffmpeg.FfmpegFailed:
                raise EpisodeFailed(Problem(self.config.rel(art), "this artwork is not an image we can read",
                                            "save it again as a JPEG or PNG")) from None
            self.result.work["cover"] += 1
        return cover.read_bytes()

    # ------------------------------------------------------------ the end of a run
    def _remove_stale(self) -> None:
        """site/ holds exactly what this run published: anything gone from the catalogue leaves it."""
        for rel in self.ledger.outputs():
            if rel in self.produced:
                continue
            path = self.config.site_dir / rel
            path.unlink(missing_ok=True)
            self.ledger.forget_output(rel)
            self.result.removed.append(rel)
        if self.config.site_dir.is_dir():
            remove_empty_dirs(self.config.site_dir / "media")

    def _write_report(self) -> None:
        report = {
            "finished_at": self.now.isoformat(),
            "errors": [str(p) for p in self.result.errors],
            "warnings": [str(p) for p in self.result.warnings],
            "waiting": self.result.waiting,
            "episodes": {state: sum(1 for o in self.result.outcomes if o.state == state)
                         for state in sorted({o.state for o in self.result.outcomes})},
        }
        write_text(self.config.state_dir / "last-build.json", json.dumps(report, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class _Checked:
    source: normalise.Source
    warnings: list[Problem]

