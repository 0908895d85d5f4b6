"""The runner: from the catalogue to finished episodes in site/.

It alone does caching (each stage's result is kept under a key made of its
input hashes, its version and the settings it reads), atomic writes,
skipping, and isolation of a failed episode: one bad episode is reported and
the others carry on. Stages never print and never touch the ledger, so each
stays a function of its hashed inputs and could run on another worker.

`check=True` runs the same validation but writes nothing at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from station.catalog import content as catalog_mod
from station.podcast import feed
from station.radio import library as library_mod
from station.radio import nights
from station.radio import schedule as schedule_mod
from station.catalog import resources as resources_mod
from station.web import site as site_mod
from station.catalog import transcript as transcript_mod
from station.tools import whisper_models
from station.config import Config
from station.errors import DiskFull, EpisodeFailed, FfmpegFailed, Problem, Severity, TemplateProblem
from station.files import atomic_path, private_file, remove_empty_dirs, sha256_json, sweep, write_text
from station.build.ledger import Ledger
from station.catalog.model import Episode, slugify
from station.records import Records, place_hash
from station.build.stages import inspect, normalise, tag, transcribe
from station.tools import ffmpeg
from station.tools.whisper import Whisper
from station.catalog.transcript import Transcript

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
    state: str                  # built | unchanged | held back | not public yet | withdrawn | checked
    slug: str | None = None
    guid: str | None = None
    audio: str | None = None    # site-relative path of the published MP3
    measured: dict | None = None
    transcript: str | None = None   # machine | presenter | pending; None when transcripts are off
    hidden: list[int] | None = None  # redaction: occurrences hidden, for each entry of `redact` in order
    problems: list[Problem] = field(default_factory=list)


@dataclass
class BuildResult:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)   # every problem, catalogue and episodes
    waiting: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    work: Counter = field(default_factory=Counter)          # audio and tag work actually done
    pages: int = 0                                          # web pages in site/

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def build(config: Config, *, check: bool = False, now: datetime | None = None,
          events: Events | None = None) -> BuildResult:
    ffmpeg.executable()  # a missing tool stops the run before any work
    with contextlib.ExitStack() as stack:
        if not check:
            # Whoever watches hears that this build is waiting for another (`station build` says so).
            stack.enter_context(build_lock(config, on_wait=getattr(events, "waiting", None)))
            # What a killed run left half-written anywhere in the station's own folders (the stream's library
            # and nights, the report, the records), not only in site/ and the cache; never a live writer's.
            sweep(config.state_dir)
            sweep(config.records_dir)
        runner = Runner(config, check=check, now=now or datetime.now(timezone.utc), events=events or Events())
        try:
            return runner.run()
        finally:
            runner.ledger.close()


@contextlib.contextmanager
def build_lock(config: Config, wait: bool = True,
               on_wait: Callable[[Path], None] | None = None) -> Iterator[bool]:
    """One build at a time across processes (`station build`, `station run`, the desk): later ones wait.

    With wait=False it yields False at once when another build holds it; with wait=True, `on_wait` (given
    the lock's path) is told before waiting starts. The lock is the kernel's (flock), so a build that was
    killed holds nothing: a stale lock file never stops the next build."""
    lock = config.state_dir / "build.lock"
    with open(private_file(lock), "a+") as f:   # 0600 in a 0700 .station/
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            if on_wait is not None:
                on_wait(lock)
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def building(config: Config) -> bool:
    """Whether a build is running now (in any process)."""
    with build_lock(config, wait=False) as got:
        return not got


class Runner:
    def __init__(self, config: Config, check: bool, now: datetime, events: Events):
        self.config, self.check, self.now, self.events = config, check, now, events
        self.settings = config.settings
        self.ledger = Ledger(config.state_dir / "state.sqlite", read_only=check)
        self.records = Records.of(config, read_only=check)
        self.cache = config.state_dir / "cache"
        self.result = BuildResult()
        self.produced: set[str] = set()
        self.namespace = guid_namespace(config)
        self.whisper: Whisper | None = None
        self.items: list[feed.Item] = []  # what the podcast feeds list
        self.pages: list[site_mod.EpisodePage] = []  # what the website shows
        self.remembered: set[str] = set()  # transcript records kept for `station transcript`
        self.tracks: list[library_mod.Track] = []  # what the overnight stream may play
        self.first_heard: dict[str, str] = {}  # presenter hash → the date of their earliest episode
        self.withdrawn_places: list[tuple[str, str, str]] = []  # (show, slug, guid) withdrawn now
        t = self.settings.transcripts
        # A missing or damaged model stops the run here, before any work.
        self.model = (whisper_models.resolve(t.model, config.root, self.cache / "models", self.ledger.sha256,
                                             join=not check) if t.enabled else None)

    def run(self) -> BuildResult:
        if not self.check:
            sweep(self.config.site_dir)
            sweep(self.cache)
        cat = catalog_mod.load(self.config)
        self.result.problems += cat.problems
        self.result.waiting = cat.waiting
        self.present_keys = {e.key for e in cat.episodes}
        if not self.check:
            self._withdrawals_first(cat)
        for e in cat.episodes:
            for p in e.meta.presenters:
                k = schedule_mod.presenter_key(p.name)
                self.first_heard[k] = min(self.first_heard.get(k, e.date.isoformat()), e.date.isoformat())
        self.events.begin(len(cat.episodes))
        for episode in cat.episodes:
            outcome = self._isolated(episode)
            self.result.outcomes.append(outcome)
            self.result.problems += [p for p in outcome.problems if p not in self.result.problems]
            self.events.done(outcome)
        try:
            self._outputs(cat, final=False)
        except _RenderFailed:  # find the episodes it fails on, hold them back, and make everything again
            self._screen(cat)
            self._outputs(cat, final=True)
        self.result.problems = list(dict.fromkeys(self.result.problems))
        if not self.check:
            self._remove_stale()
            self._write_report()
        return self.result

    # ------------------------------------------------------------ withdrawals, before anything else
    def _withdrawals_first(self, cat) -> None:
        """Every withdrawn episode's own files leave site/ before any other work, so whatever goes wrong later
        in this run, its audio, transcripts and page are gone; the pages and feeds that listed it follow as
        they are rendered. Found by path as well as in the ledger: the ledger is a cache and may be gone."""
        guid_of = {self.records.identities[h]["guid"]: e for e in cat.episodes
                   if (h := place_hash(e.key)) in self.records.identities}
        for show, slug, guid in self.records.withdrawn_places():
            episode = guid_of.get(guid)
            if episode is not None and self._given_again(episode, guid):
                continue
            self.withdrawn_places.append((show, slug, guid))
            self.result.removed += remove_own_files(self.config.site_dir, self.ledger, show, slug)

    def _safe_to_keep(self, rel: str) -> bool:
        """An output from an earlier build that this run could not make again: kept only while it names no
        withdrawn episode, so a failure never holds a withdrawal back."""
        path = self.config.site_dir / rel
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        return not any(g in text or any(o in text for o in own_files(show, slug))
                       for show, slug, g in self.withdrawn_places)

    # ------------------------------------------------------------ one bad episode holds back only itself
    def _outputs(self, cat, final: bool) -> None:
        """The feeds, the stream library and the website. Not `final`: a feed or the site that fails raises
        `_RenderFailed` before writing, so the run can find the episodes at fault and try again without them."""
        self._feeds(cat, final)
        tonight = self._stream(cat)
        self._site(cat, tonight, final)

    def _screen(self, cat) -> None:
        """Each episode's feed item and page rendered on its own, after the whole failed: one that cannot be
        rendered is held back alone, so it never stops the feeds, pages, stream and withdrawals of the rest.
        When every page fails alike, the template is at fault, not the episodes: `_site` reports it and keeps
        the pages of the last good build."""
        failed: dict[str, str] = {}
        for item in self.items:
            try:
                feed.show_feed(self.config, item.episode.show, [item], None)
            except Exception as exc:
                failed[item.episode.key] = f"the podcast feed ({_detail(exc)})"
        probe = site_mod.Site(self.config, cat.shows, self.pages, [], None)
        page_failed: dict[str, str] = {}
        for page in self.pages:
            try:
                probe.episode(page)
            except TemplateProblem as exc:
                if not exc.whole:
                    page_failed[page.episode.key] = f"its web page ({_detail(exc.__cause__ or exc)})"
            except Exception as exc:
                page_failed[page.episode.key] = f"its web page ({_detail(exc)})"
        if len(self.pages) < 2 or len(page_failed) < len(self.pages):
            failed = {**page_failed, **failed}
        if not failed:
            return
        by_where = {o.where: o for o in self.result.outcomes}
        for episode in cat.episodes:
            if episode.key not in failed:
                continue
            outcome = by_where[self.config.rel(episode.recording)]
            problem = Problem(outcome.where, f"this episode could not be put into {failed[episode.key]}, so it is "
                              "held back; every other episode is published", "check its sidecar for unusual "
                              "characters; if it looks right, run `station build -v` and send the output to "
                              "whoever looks after the station")
            outcome.state, outcome.audio = "held back", None
            outcome.problems.append(problem)
            self.result.problems.append(problem)
            self.produced -= {rel for rel in self.produced if rel.startswith(own_files(episode.show.slug, outcome.slug))}
        self.items = [i for i in self.items if i.episode.key not in failed]
        self.pages = [p for p in self.pages if p.episode.key not in failed]
        self.tracks = [t for t in self.tracks if t.guid not in {o.guid for o in self.result.outcomes
                                                                if o.state == "held back"}]

    # ------------------------------------------------------------ feeds
    def _feeds(self, cat, final: bool = True) -> None:
        """The station feed and one per show, with their artwork; each checked against Apple's rules."""
        station_art = self._artwork(self.settings.station.artwork and self.config.root / self.settings.station.artwork,
                                    "station.toml")
        wanted = [("feed.xml", "station.toml", lambda: feed.station_feed(self.config, self.items, station_art))]
        for show in cat.shows:
            art = self._artwork(show.path(show.meta.artwork), self.config.rel(show.folder / "show.toml")) or station_art
            items = [i for i in self.items if i.episode.show.slug == show.slug]
            wanted.append((f"shows/{show.slug}/feed.xml", self.config.rel(show.folder / "show.toml"),
                           lambda show=show, items=items, art=art: feed.show_feed(self.config, show, items, art)))
        made = []
        for rel, source, render in wanted:
            try:
                made.append((rel, source, render()))
            except Exception as exc:  # never expected once text is checked at the boundary; one feed only
                if not final:
                    raise _RenderFailed from exc
                self.result.problems.append(Problem(source, f"the feed site/{rel} could not be made ({_detail(exc)})",
                                                    "check this file for unusual characters; if it looks right, run "
                                                    "`station build -v` and send the output to whoever looks after "
                                                    "the station"))
                if not self.check and self._safe_to_keep(rel):
                    self.produced.add(rel)
        for rel, _, xml in made:
            self.result.problems += feed.apple_problems(xml, f"site/{rel}")
            if not self.check:
                self._publish(rel, sha256_json(xml.decode()), lambda tmp, xml=xml: tmp.write_bytes(xml))

    # ------------------------------------------------------------ the website
    def _site(self, cat, tonight: list[dict] | None, final: bool = True) -> None:
        """Every page, the maps and the search index; a broken resource entry leaves out only itself."""
        today = site_mod.local_today(self.config, self.now)
        places, problems = resources_mod.load(self.config, today)
        self.result.problems += problems
        if self.check:
            return
        key = f"site:{site_mod.render_key(self.config, cat.shows, self.pages, places, tonight)}"
        made = self.ledger.recall(key)
        if made and all(self._intact(rel, content) for rel, content in made.items()):
            self.produced |= set(made)  # nothing the pages are made from has changed: nor have they
            self.result.pages = sum(rel.endswith(".html") for rel in made)
            return
        try:
            files = site_mod.Site(self.config, cat.shows, self.pages, places, tonight).render()
        except Exception as exc:  # a station's own template: the pages already there stay, unless they name
            if not final and not (isinstance(exc, TemplateProblem) and exc.whole):
                raise _RenderFailed from exc
            self.result.problems.append(exc.problem if isinstance(exc, TemplateProblem) else Problem(
                "the website", f"it could not be rebuilt ({_detail(exc)})", "run `station build -v` and send the "
                "output to whoever looks after the station; the pages from the last good build are still there"))
            self.produced |= {rel for rel in self.ledger.outputs() if not rel.startswith(("media/", "artwork/"))
                              and not rel.endswith(".xml") and self._safe_to_keep(rel)}
            return
        self.result.pages = sum(rel.endswith(".html") for rel in files)
        made = {}
        for rel, data in files.items():
            made[rel] = sha256_json([rel, hashlib.sha256(data).hexdigest()])
            self._publish(rel, made[rel], lambda tmp, data=data: tmp.write_bytes(data))
        self.ledger.remember(key, "site", made)

    # ------------------------------------------------------------ the overnight stream
    def _stream(self, cat) -> list[dict] | None:
        """The stream library (episodes cleared for the stream, the schedules' sound prepared) and tonight's
        running order for the website; None when there is no schedule."""
        schedules = schedule_mod.load(self.config, {s.slug for s in cat.shows})
        # A schedule's mistakes never stop episodes or the website; `station schedule check` fails on them.
        self.result.problems += [replace(p, severity=Severity.WARNING) for p in schedules.problems]
        if not schedules.exists or self.check:
            return None
        lib = library_mod.Library(sorted(self.tracks, key=lambda t: t.guid))
        self.copies = set()
        for pattern in sorted(_patterns(schedules)):
            for path in schedule_mod.material_files(self.config, pattern):
                source = path.relative_to(self.config.content_dir).as_posix()
                if source in lib.sounds:
                    continue
                where = self.config.rel(path)
                try:
                    checked = self._source(path, where, allow_clipping=True, trim=False)
                    _, audio, measured = self._normalised([checked.source], False, where)
                except EpisodeFailed as failed:
                    self.result.problems += [replace(p, severity=Severity.WARNING) for p in failed.problems]
                    continue
                lib.sounds[source] = library_mod.Sound(source, self.config.rel(audio), measured["duration_s"],
                                                       library_mod.sound_title(source))
        library_mod.save(self.config, lib)
        night = nights.night_of(schedules, self.now)
        if night is None:
            return None
        order = nights.running_order(self.config, night, schedules=schedules, library=lib, now=self.now)
        if order is None:
            return None
        pages = {p.url for p in self.pages}

        def page_url(slot) -> str | None:
            url = f"shows/{slot.show}/{slot.slug}/"
            return url if slot.guid and url in pages else None
        return [{**item, "night": order.night.isoformat()} for item in order.public(page_url)]

    def _track(self, episode: Episode, identity, audio: Path, duration_s: float) -> None:
        meta = episode.meta
        voices = tuple(schedule_mod.presenter_key(p.name) for p in meta.presenters)
        self.tracks.append(library_mod.Track(
            guid=identity.guid, show=episode.show.slug, show_title=episode.show.meta.title, slug=identity.slug,
            title=meta.title, credits=tuple(episode.credits), voices=voices,
            first_heard=tuple(self.first_heard[v] for v in voices), content_notes=tuple(meta.content_notes),
            topics=tuple(meta.topics), tags=tuple(meta.tags), duration_s=duration_s, audio=self.config.rel(audio),
            published_at=meta.published_at.isoformat() if meta.published_at else None,
            consent_date=meta.consent.date.isoformat(),
            consent_expires=meta.consent.expires.isoformat() if meta.consent.expires else None))

    def _artwork(self, path: Path | None, where: str) -> str | None:
        if not path:
            return None
        problems = feed.artwork_problems(path, where)
        self.result.problems += problems
        if problems:
            return None
        rel = feed.artwork_rel(path)
        if not self.check:
            self._publish(rel, rel, lambda tmp: shutil.copyfile(path, tmp))
        return rel

    # ------------------------------------------------------------ one episode
    def _isolated(self, episode: Episode) -> Outcome:
        where = self.config.rel(episode.recording)
        warnings: list[Problem] = []  # found on the way; kept when the episode is held back later
        try:
            return self._episode(episode, where, warnings)
        except EpisodeFailed as failed:
            return Outcome(where, "held back", problems=warnings + failed.problems)
        except DiskFull:   # not this episode's fault: held back, it would leave the feeds for want of space
            raise
        except Exception as exc:  # a bug must not stop the other episodes
            return Outcome(where, "held back", problems=[Problem(
                where, f"something went wrong while building this episode ({_detail(exc)})",
                "run `station build -v` and send the output to whoever looks after the station")])

    def _episode(self, episode: Episode, where: str, warnings: list[Problem]) -> Outcome:
        self.copies: set[str] = set()  # this episode's files in the cache, as _normalised and _transcript use them
        main = self._source(episode.recording, where, episode.meta.allow_clipping)
        warnings += main.warnings
        show = episode.show
        parts = [self._part(show, show.meta.intro), main.source, self._part(show, show.meta.outro)]
        sources = [s for s in parts if s is not None]
        identity = self._identity(episode, main.source.sha256)
        outcome = Outcome(where, "checked", slug=identity.slug, guid=identity.guid, problems=warnings)
        if self._withdrawn(episode, identity.guid):
            outcome.state = "withdrawn"
            return outcome
        if self.check:
            return outcome
        audio_key, audio, outcome.measured = self._normalised(sources, episode.masked, where)
        published = self._transcript(episode, where, audio_key, audio, warnings)
        outcome.transcript = published.transcript.source if published else (
            "pending" if self.settings.transcripts.enabled else None)
        if published and published.hide:  # the published audio has the hidden words covered
            audio_key, audio, outcome.measured = self._normalised(sources, episode.masked, where, published.hide)
        if published:
            outcome.hidden = list(published.found.values())
        self._remember_transcript(episode, identity, published)
        # The copies the cache holds of it, so a withdrawal can remove them too.
        if self.ledger.recall(f"copies:{identity.guid}") != sorted(self.copies):
            self.ledger.remember(f"copies:{identity.guid}", "copies", sorted(self.copies))
        if "stream" in episode.meta.consent.scope:
            self._track(episode, identity, audio, outcome.measured["duration_s"])
        if not (episode.published_now("podcast", self.now) or episode.published_now("site", self.now)):
            outcome.state = "not public yet"
            return outcome
        base = f"media/{show.slug}/{identity.slug}"
        page = f"{self.settings.station.base_url}shows/{show.slug}/{identity.slug}/"
        tags = tag.tagset(episode, self.config, page, outcome.measured["duration_s"], self._cover(episode, where))
        wrote = self._publish(f"{base}.mp3", tag.key(audio_key, tags), lambda tmp: tag.write(audio, tags, tmp))
        if published:
            for suffix, render in transcript_mod.FORMATS.items():
                text = render(published.transcript)
                wrote |= self._publish(f"{base}{suffix}", sha256_json([suffix, text]),
                                       lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
        chapters = None
        if episode.meta.chapters:
            chapters = f"{base}.chapters.json"
            text = feed.chapters_json(episode, outcome.measured["duration_s"])
            wrote |= self._publish(chapters, sha256_json(text), lambda tmp: tmp.write_text(text, encoding="utf-8"))
        outcome.audio = f"{base}.mp3"
        outcome.state = "built" if wrote else "unchanged"
        size = (self.config.site_dir / outcome.audio).stat().st_size
        page = None
        if episode.published_now("site", self.now):
            page = site_mod.EpisodePage(
                episode, identity.slug, outcome.audio, size, outcome.measured["duration_s"],
                site_mod.page_transcript(published.transcript) if published else None, outcome.transcript, chapters)
            self.pages.append(page)
        if episode.published_now("podcast", self.now):
            self.items.append(feed.Item(episode, identity.slug, identity.guid, outcome.audio, size,
                                        outcome.measured["duration_s"], published is not None, chapters,
                                        page.url if page else None))
        return outcome

    def _withdrawn(self, episode: Episode, guid: str) -> bool:
        """Taken back by its presenter, and not given again since: a consent record dated after the withdrawal."""
        if self.records.withdrawn(guid) is None:
            return False
        if self._given_again(episode, guid):
            if not self.check:
                self.records.reconsented(guid)
            return False
        return True

    def _given_again(self, episode: Episode, guid: str) -> bool:
        at = self.records.withdrawn(guid)
        return at is not None and episode.meta.consent.date > datetime.fromisoformat(at).date()

    def _normalised(self, sources: list[normalise.Source], masked: bool, where: str,
                    hide: tuple[tuple[float, float], ...] = ()) -> tuple[str, Path, dict]:
        """The normalised MP3 in the cache (rendered only if missing) and its measurement."""
        audio_key = normalise.key(sources, masked, self.settings, hide)
        cached = self.cache / "audio" / f"{audio_key}.mp3"
        self.copies.add(self.config.rel(cached))
        measured = self.ledger.recall(audio_key)
        if measured is None or not cached.exists():
            length = sum(inspect.trimmed_length(s.analysis, self.settings) if s.trim else s.analysis["duration_s"]
                         for s in sources)
            progress = self.events.step(where, "hiding words in" if hide else "normalising", length)
            with atomic_path(cached) as tmp:
                measured = normalise.render(sources, masked, tmp, where, self.settings, hide, progress)
            self.ledger.remember(audio_key, "normalise", measured)
            self.result.work["render"] += 1
        return audio_key, cached, measured

    def _intact(self, rel: str, key: str) -> bool:
        """This file of site/ is still there exactly as `key` made it."""
        dest = self.config.site_dir / rel
        known = self.ledger.output(rel)
        return bool(known) and dest.exists() and known == (key, dest.stat().st_size, dest.stat().st_mtime_ns)

    def _publish(self, rel: str, key: str, write: Callable[[Path], None]) -> bool:
        """Write one file of site/ atomically unless it is already there as `key` made it; True if written."""
        self.produced.add(rel)
        dest = self.config.site_dir / rel
        if self._intact(rel, key):
            return False
        with atomic_path(dest) as tmp:
            write(tmp)
        self.ledger.record_output(rel, key, dest)
        kind = {"mp3": "tag", "xml": "feeds", "html": "pages"}.get(rel.rsplit(".", 1)[-1], "files")
        self.result.work[kind] += 1
        return True

    # ------------------------------------------------------------ transcripts
    def _transcript(self, episode: Episode, where: str, audio_key: str, audio: Path,
                    warnings: list[Problem]) -> transcribe.Published | None:
        """The transcript to publish, with the audio spans to hide; None while it is pending."""
        terms = episode.meta.redact
        sidecar = self.config.rel(episode.sidecar)
        if not self.settings.transcripts.enabled:
            if terms:
                raise EpisodeFailed(Problem(sidecar, "words to hide are listed, but transcripts are turned off, so "
                                            "they cannot be found and this episode is held back",
                                            "turn transcripts on (`[transcripts] enabled = true`) or remove `redact`"))
            return None
        machine_t = self._machine_transcript(episode, where, audio_key, audio, warnings)
        corrected = None
        correction = transcribe.correction_for(episode.recording)
        if correction is not None:
            corrected, problems = transcribe.read_correction(correction, self.config.rel(correction), machine_t)
            warnings += problems
        speaker = episode.credits[0] if len(episode.credits) == 1 else None
        if machine_t is None:
            if terms:
                raise EpisodeFailed(Problem(where, "there is no transcript yet, so the words to hide cannot be found; "
                                            "this episode is held back until there is",
                                            "build again; if the transcript keeps failing, see the message above"))
            if corrected is None:
                return None
            return transcribe.Published(replace(corrected, speaker=speaker), (), {})
        published = transcribe.publishable(machine_t, corrected, terms, self.settings.transcripts.redact_margin_s)
        # Words to hide are often names: messages give their place in the list, never the word itself.
        for number, count in enumerate(published.found.values(), 1):
            if count == 0:
                warnings.append(Problem(sidecar, f"redact entry {number} was not heard in the recording, so nothing "
                                        "was hidden for it", "listen to the episode to check; if it is said, add a "
                                        "corrected transcript with the word where it is said (docs/episodes.md: "
                                        "Transcripts)", Severity.WARNING))
        return replace(published, transcript=replace(published.transcript, speaker=speaker))

    def _machine_transcript(self, episode: Episode, where: str, audio_key: str, audio: Path,
                            warnings: list[Problem]) -> Transcript | None:
        model = self.model
        language = (episode.meta.language or episode.show.meta.language or self.settings.station.language).split("-")[0]
        if model.english_only and language != "en":
            warnings.append(Problem(where, f"this episode's language is “{language}”, but the Whisper model "
                                    f"{model.name} knows only English, so its transcript is pending",
                                    "set `[transcripts] model = \"base\"` in station.toml", Severity.WARNING))
            return None
        names = [self.settings.station.name, episode.show.meta.title, *episode.credits, *episode.meta.redact]
        opts = transcribe.options(self.settings, language, names)
        key = transcribe.key(audio_key, model, opts, self.settings)
        cached = self.cache / "transcripts" / f"{key}.json"
        self.copies.add(self.config.rel(cached))
        if cached.exists():
            return Transcript.from_dict(json.loads(cached.read_text(encoding="utf-8")))
        duration = self.ledger.recall(audio_key)["duration_s"]
        try:
            machine_t = transcribe.machine(self._whisper(), audio, opts, self.events.step(where, "transcribing", duration))
        except Exception as exc:  # one episode's failure leaves the others and this one's audio alone
            warnings.append(Problem(where, f"the transcript could not be made ({type(exc).__name__}: {exc}); "
                                    "it shows as pending", "build again; if it keeps failing, run `station build -v` "
                                    "and send the output to whoever looks after the station", Severity.WARNING))
            return None
        write_text(cached, json.dumps(machine_t.to_dict(), sort_keys=True))
        self.result.work["transcribe"] += 1
        return machine_t

    def _remember_transcript(self, episode: Episode, identity, published: transcribe.Published | None) -> None:
        """What `station transcript` shows: the episode's current published transcript, kept privately."""
        record = {"show": episode.show.slug, "slug": identity.slug, "title": episode.meta.title,
                  "recording": self.config.rel(episode.recording),
                  "transcript": published.transcript.to_dict() if published else None}
        text = json.dumps(record, sort_keys=True, ensure_ascii=False)
        path = self.cache / "episodes" / f"{identity.guid}.json"
        self.remembered.add(path.name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_text(path, text)

    def _whisper(self) -> Whisper:
        if self.whisper is None:
            t = self.settings.transcripts
            self.whisper = Whisper(self.model.path, t.compute_type, t.cpu_threads)
        return self.whisper

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
        return identity_of(self.records, episode, sha, self.present_keys, self.namespace)

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
            except FfmpegFailed:
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
            for folder in ("media", "shows", "map", "topics", "static", "artwork"):
                remove_empty_dirs(self.config.site_dir / folder)
        # An episode gone from the catalogue (or held back) leaves `station transcript` too.
        for record in (self.cache / "episodes").glob("*.json"):
            if record.name not in self.remembered:
                record.unlink()

    def _write_report(self) -> None:
        report = {
            "finished_at": self.now.isoformat(),
            "errors": [str(p) for p in self.result.errors],
            "warnings": [str(p) for p in self.result.warnings],
            "waiting": self.result.waiting,
            "transcripts_pending": sorted(o.where for o in self.result.outcomes
                                          if o.transcript == "pending" and o.state != "held back"),
            "episodes": {state: sum(1 for o in self.result.outcomes if o.state == state)
                         for state in sorted({o.state for o in self.result.outcomes})},
            # Each recording's outcome and every problem with its fix, for the desk's plain-word states.
            "outcomes": [{"where": o.where, "state": o.state, "slug": o.slug, "guid": o.guid, "audio": o.audio,
                          "transcript": o.transcript} for o in self.result.outcomes],
            "problems": [{"where": p.where, "what": p.what, "fix": p.fix, "severity": p.severity.value}
                         for p in self.result.problems],
        }
        write_text(self.config.state_dir / "last-build.json", json.dumps(report, indent=2, sort_keys=True) + "\n")


class _RenderFailed(Exception):
    """A feed or the website could not be made; nothing of it was written."""


@dataclass(frozen=True)
class _Checked:
    source: normalise.Source
    warnings: list[Problem]



def _patterns(schedules: schedule_mod.Schedules) -> set[str]:
    """Every sound file pattern the schedules name."""
    found: set[str] = set()
    for s in schedules.files:
        d = s.data
        found |= {*d.material.idents, *d.material.signposts, *d.material.beds, *(a.file for a in d.announcements)}
        for block in d.blocks:
            found |= {*block.fill.files, *block.standby.files}
    return found


def identity_of(records: Records, episode: Episode, sha: str, present_keys: set[str], namespace: uuid.UUID):
    """The episode's slug and GUID: kept in the station's records from its first build on."""
    wanted = episode.meta.slug or slugify(episode.meta.title)
    identity = records.identity(episode.key, episode.show.slug, sha, wanted, present_keys, namespace)
    if episode.meta.slug and identity.slug != episode.meta.slug:  # an explicit slug always wins
        records.set_slug(episode.key, episode.meta.slug)
        identity = type(identity)(episode.meta.slug, identity.guid)
    return identity


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


def _detail(exc: BaseException) -> str:
    """An exception in one line, its class named without its module: "UndefinedError: 'x' is undefined"."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def guid_namespace(config: Config) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, config.settings.station.base_url)


def transcript_record(config: Config, guid: str) -> dict | None:
    """One episode's current transcript record as the last build left it, by GUID (None: none yet)."""
    path = config.state_dir / "cache" / "episodes" / f"{guid}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def transcript_records(config: Config) -> list[dict]:
    """Every episode's current transcript as the last build left it (for `station transcript`)."""
    folder = config.state_dir / "cache" / "episodes"
    if not folder.is_dir():
        return []
    return sorted((json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")),
                  key=lambda r: (r["show"], r["slug"]))
