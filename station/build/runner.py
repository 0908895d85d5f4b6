"""The runner: from the catalogue to finished episodes in site/, in one pass.

    the catalogue → withdrawals first → build_episode for each → the outputs
    (feeds, stream library, website) from the list of BuiltEpisodes → what is
    gone leaves site/ → the build report

It alone holds the build lock, clears what a killed run left half-written and
writes the report. Episodes are built independently of each other (each a
function of its hashed inputs, in build/episode.py). Their audio and model
work is found first (compute/tasks.py, reading only the cache) and submitted
as one task per episode to a pool on this machine or a Dask cluster
(compute/pool.py); each episode is then built from the cache in catalogue
order (so slugs are given out as in a build done one at a time), waiting for
its task where it has one. The outputs wait for all of them.

`check=True` runs the same validation but writes nothing at all.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from station.build import report as report_mod
from station.build import transcripts
from station.build.built import BUILT, CHECKED, HELD_BACK, NOT_PUBLIC_YET, UNCHANGED, BuiltEpisode
from station.build.episode import build_episode, given_again
from station.build.identity import guid_namespace
from station.build.ledger import Ledger
from station.build.outputs import Outputs, RenderFailed
from station.build.workshop import Events, NeedsWork, Workshop, detail, remove_own_files
from station.catalog import content as catalog_mod
from station.catalog.content import Catalog
from station.catalog.model import Episode
from station.compute import pool as pool_mod
from station.compute import store as store_mod
from station.compute.tasks import Planned, file_result, task_for
from station.config import Config
from station.errors import ComputeError, DiskFull, Problem, StoreError
from station.files import private_file, remove_empty_dirs, sweep
from station.records import Records, place_hash
from station.tools import ffmpeg, whisper_models

__all__ = ["BuildResult", "Events", "build", "build_lock", "building"]


@dataclass
class BuildResult:
    episodes: list[BuiltEpisode] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # every problem, catalogue and episodes
    waiting: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    work: Counter[str] = field(default_factory=Counter)  # audio, model and tag work actually done
    pages: int = 0  # web pages in site/
    # The audio and model work a build would do (`station check`) or did: episodes and seconds of audio.
    tasks: int = 0
    task_audio_s: float = 0.0
    workers: Counter[str] = field(default_factory=Counter)  # tasks done by each worker (host:pid)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def build(
    config: Config, *, check: bool = False, now: datetime | None = None, events: Events | None = None
) -> BuildResult:
    ffmpeg.executable()  # a missing tool stops the run before any work
    with contextlib.ExitStack() as stack:
        if not check:
            # Whoever watches hears that this build is waiting for another (`station build` says so).
            stack.enter_context(build_lock(config, on_wait=getattr(events, "waiting", None)))
            # What a killed run left half-written anywhere in the station's own folders (the stream's library
            # and nights, the report, the records), not only in site/ and the cache; never a live writer's.
            sweep(config.state_dir)
            sweep(config.records_dir)
            # The default store is this station's alone: what a killed build left in it goes.
            store_mod.clear_default(config)
        ledger = Ledger(config.state_dir / "state.sqlite", read_only=check)
        stack.callback(ledger.close)
        return Runner(config, ledger, check=check, now=now or datetime.now(UTC), events=events or Events()).run()


@contextlib.contextmanager
def build_lock(config: Config, wait: bool = True, on_wait: Callable[[Path], None] | None = None) -> Iterator[bool]:
    """One build at a time across processes (`station build`, `station run`, the desk): later ones wait.

    With wait=False it yields False at once when another build holds it; with wait=True, `on_wait` (given
    the lock's path) is told before waiting starts. The lock is the kernel's (flock), so a build that was
    killed holds nothing: a stale lock file never stops the next build."""
    lock = config.state_dir / "build.lock"
    with open(private_file(lock), "a+") as f:  # 0600 in a 0700 .station/
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
    def __init__(self, config: Config, ledger: Ledger, *, check: bool, now: datetime, events: Events):
        self.config, self.ledger, self.check, self.now, self.events = config, ledger, check, now, events
        t = config.settings.transcripts
        # A missing or damaged model stops the run here, before any work.
        model = (
            whisper_models.resolve(
                t.model, config.root, config.state_dir / "cache" / "models", ledger.sha256, join=not check
            )
            if t.enabled
            else None
        )
        self.shop = Workshop(
            config,
            check=check,
            now=now,
            events=events,
            ledger=ledger,
            records=Records.of(config, read_only=check),
            model=model,
            namespace=guid_namespace(config),
        )
        self.result = BuildResult()
        self.pool: pool_mod.Pool | None = None
        self._tasks = 1
        self._outcomes: dict[int, Counter[str] | BaseException] = {}  # each task's, once filed: work or why not

    def run(self) -> BuildResult:
        if not self.check:
            sweep(self.config.site_dir)
            sweep(self.shop.cache)
        cat = catalog_mod.load(self.config)
        self.result.problems += cat.problems
        self.result.waiting = cat.waiting
        self.shop.present_keys = {e.key for e in cat.episodes}
        withdrawn = [] if self.check else self._withdrawals_first(cat)
        self.events.begin(len(cat.episodes))
        built = self._check(cat.episodes) if self.check else self._build(cat.episodes)
        outputs = Outputs(self.shop, cat, withdrawn)
        try:
            outputs.make(built, final=False)
        except RenderFailed:  # find the episodes it fails on, hold them back, and make everything again
            built = outputs.screen(built)
            outputs.make(built, final=True)
        self.result.episodes = built
        self.result.pages = outputs.pages
        for b in built:
            self.result.work.update(b.work)
        self.result.work.update(outputs.job.work)
        self.result.work = +self.result.work  # no zero counts
        self.result.problems = list(
            dict.fromkeys([*self.result.problems, *(p for b in built for p in b.problems), *outputs.problems])
        )
        if not self.check:
            self._remove_stale(outputs.job.files.union(*(b.files for b in built)), built)
            report_mod.write(
                self.config, report_mod.BuildReport.of(self.now, built, self.result.problems, self.result.waiting)
            )
        return self.result

    def _check(self, episodes: list[Episode]) -> list[BuiltEpisode]:
        """Every episode checked, and what a build would do: its tasks and their minutes of audio."""
        built = []
        for episode in episodes:
            b = build_episode(self.shop, episode)
            built.append(b)
            self.events.done(b)
            planned = task_for(self.shop, episode) if b.state == CHECKED else None
            if planned is not None:
                self.result.tasks += 1
                self.result.task_audio_s += planned.task.audio_s
        return built

    def _build(self, episodes: list[Episode]) -> list[BuiltEpisode]:
        """Submit every episode's work at once; file each task's results in the cache as it finishes (Dask's
        as_completed), and build the episodes in catalogue order as far as their work is filed."""
        planned = {i: p for i, e in enumerate(episodes) if (p := task_for(self.shop, e)) is not None}
        # Episodes that share their work (one recording published twice) share one task.
        first: dict[str, int] = {}
        task_of = {i: first.setdefault(p.task.work_key, i) for i, p in planned.items()}
        self._tasks = len(first) or 1
        blobs: set[str] = set()
        built: list[BuiltEpisode] = []

        def build_ready() -> None:
            while len(built) < len(episodes) and task_of.get(len(built)) in (None, *self._outcomes):
                i = len(built)
                b = self._episode(episodes[i], task_of.get(i, i), i in planned, blobs)
                built.append(b)
                self.events.done(b)

        try:
            for i, p in planned.items():
                if task_of[i] == i:
                    self._submit(i, p, blobs)
            build_ready()
            if self.pool is not None:
                for index in self.pool.completed():
                    self._file(index, blobs)
                    build_ready()
            build_ready()
            return built
        finally:
            if self.pool is not None:
                self.pool.close()
                self.pool.store.remove(blobs)

    def _submit(self, index: int, planned: Planned, blobs: set[str]) -> None:
        if self.pool is None:  # started only for a build with work, and only once
            self.pool = pool_mod.open_pool(
                self.config, self._tasks, self.events.work, self.events.notice, self.shop.model
            )
        for sha, path in planned.uploads.items():
            self.pool.store.put_file(path, sha)
            blobs.add(sha)
        self.result.tasks += 1
        self.pool.submit(index, planned.task)

    def _episode(self, episode: Episode, index: int, has_task: bool, blobs: set[str]) -> BuiltEpisode:
        """One episode from the cache, once its task (if it has one) is back. Should the cache still lack a
        result (a file removed meanwhile), its work is done now, alone, and it is built again."""
        work: Counter[str] = Counter()
        for attempt in range(2):
            if has_task:
                got = self._result(episode, index, blobs)
                if isinstance(got, BuiltEpisode):
                    return got
                work += got
            try:
                b = build_episode(self.shop, episode, offload=True)
                return replace(b, work=b.work + work) if work else b
            except NeedsWork:
                planned = task_for(self.shop, episode)
                if planned is None:  # no task would do it (withdrawn, a recording known to be bad): built here,
                    b = build_episode(self.shop, episode)  # as one at a time, which finds and says which
                    return replace(b, work=b.work + work) if work else b
                if attempt:
                    break
                index, has_task = -1 - index, True  # a key of its own, apart from the catalogue's
                self._submit(index, planned, blobs)
        where = self.config.rel(episode.recording)
        problem = Problem(
            where,
            "the work on this recording came back without everything the build needs",
            "build again; if it keeps happening, run `station build -v` and send the output to whoever "
            "looks after the station",
        )
        return BuiltEpisode(episode, where, HELD_BACK, work=work, problems=(problem,))

    def _file(self, index: int, blobs: set[str]) -> None:
        """A finished task's results filed in the cache, or why it failed kept for its episode."""
        assert self.pool is not None
        if index in self._outcomes:
            return
        try:
            result = self.pool.result(index)
        except (StoreError, ComputeError, DiskFull):
            raise  # not this episode's fault: the build stops and says why
        except Exception as exc:  # a bug, or a worker lost more often than Dask allows: this episode's problem
            self._outcomes[index] = exc
            return
        blobs |= result.blobs
        self.result.task_audio_s += result.audio_s
        self.result.workers[result.worker] += 1
        self._outcomes[index] = file_result(self.shop, self.pool.store, result)

    def _result(self, episode: Episode, index: int, blobs: set[str]) -> Counter[str] | BuiltEpisode:
        """The work the task's results stand for (counted for the first episode that has them), or the
        episode held back."""
        self._file(index, blobs)  # a task submitted late is waited for here
        outcome = self._outcomes[index]
        if isinstance(outcome, Counter):
            self._outcomes[index] = Counter()  # counted once: another episode sharing the task did no work
            return outcome
        where = self.config.rel(episode.recording)
        problem = Problem(
            where,
            f"the work on this recording failed ({detail(outcome)})",
            "build again; if it keeps failing, run `station build -v` and send the output to whoever "
            "looks after the station",
        )
        return BuiltEpisode(episode, where, HELD_BACK, problems=(problem,))

    def _withdrawals_first(self, cat: Catalog) -> list[tuple[str, str, str]]:
        """Every withdrawn episode's own files leave site/ before any other work, so whatever goes wrong later
        in this run, its audio, transcripts and page are gone; the pages and feeds that listed it follow as
        they are rendered. Found by path as well as in the ledger: the ledger is a cache and may be gone."""
        records = self.shop.records
        guid_of = {
            records.identities[h]["guid"]: e for e in cat.episodes if (h := place_hash(e.key)) in records.identities
        }
        withdrawn = []
        for show, slug, guid in records.withdrawn_places():
            episode = guid_of.get(guid)
            if episode is not None and given_again(self.shop, episode, guid):
                continue
            withdrawn.append((show, slug, guid))
            self.result.removed += remove_own_files(self.config.site_dir, self.ledger, show, slug)
        return withdrawn

    def _remove_stale(self, produced: set[str], built: list[BuiltEpisode]) -> None:
        """site/ holds exactly what this run published: anything gone from the catalogue leaves it."""
        for rel in self.ledger.outputs():
            if rel in produced:
                continue
            (self.config.site_dir / rel).unlink(missing_ok=True)
            self.ledger.forget_output(rel)
            self.result.removed.append(rel)
        if self.config.site_dir.is_dir():
            for folder in ("media", "shows", "map", "topics", "static", "artwork"):
                remove_empty_dirs(self.config.site_dir / folder)
        # An episode gone from the catalogue, held back or withdrawn leaves `station transcript` too.
        transcripts.forget_all_but(
            self.config, {b.guid for b in built if b.guid and b.state in (BUILT, UNCHANGED, NOT_PUBLIC_YET)}
        )
