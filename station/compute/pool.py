"""Where the tasks run: a pool on this machine, or a Dask cluster. One way to submit, two places.

  LocalPool    threads of this process, one task each, as many as there are
               cores (`[compute] workers`); the work is ffmpeg (other
               processes) and CTranslate2 (which lets go of Python's lock), so
               threads keep every core busy. Whisper's threads are shared out
               (cores ÷ tasks at once), so the machine is used fully and never
               oversubscribed.
  ClusterPool  a Dask cluster (`[compute] scheduler`, `station build --scheduler`):
               Dask's futures, retries, resources, and its own rerun of a lost
               worker's tasks elsewhere.

Both take the same `episode_work` and the same store; progress comes back as
events (tasks started, stage by stage), and every result or failure is a
future's. `open_pool` is called only when a build has work, so a build with
nothing new starts neither.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future as LocalFuture
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from station.compute.store import Store, StoreSpec
from station.compute.work import EpisodeResult, EpisodeTask, episode_work
from station.config import Config
from station.errors import ComputeError
from station.tools.whisper_models import ModelDir

TOPIC = "peerwave-progress"  # the Dask event topic workers tell their progress on


@dataclass
class WorkState:
    """The tasks of a build, as whoever watches sees them."""

    total: int = 0
    done: int = 0
    running: set[int] = field(default_factory=set)
    stage: dict[int, str] = field(default_factory=dict)  # what each running task is doing now
    where: str = "this machine"

    @property
    def waiting(self) -> int:
        return self.total - self.done - len(self.running)


class Pool(Protocol):
    store: Store
    state: WorkState

    def submit(self, index: int, task: EpisodeTask) -> None: ...

    def result(self, index: int) -> EpisodeResult: ...  # waits; raises what the task raised

    def completed(self) -> Iterator[int]: ...  # the tasks submitted so far, each as it finishes

    def close(self) -> None: ...


class _Watched:
    """Progress bookkeeping both pools share: events in, WorkState out to whoever watches."""

    def __init__(self, on_change: Callable[[WorkState], None], where: str):
        self.state = WorkState(where=where)
        self._on_change, self._lock = on_change, threading.Lock()

    def _submitted(self) -> None:
        with self._lock:
            self.state.total += 1
            self._on_change(self.state)

    def _event(self, index: int, event: dict[str, Any]) -> None:
        with self._lock:
            if index in self.state.running or event.get("stage") == "started":
                self.state.running.add(index)
                self.state.stage[index] = str(event.get("stage"))
            self._on_change(self.state)

    def _finished(self, index: int) -> None:
        with self._lock:
            self.state.running.discard(index)
            self.state.stage.pop(index, None)
            self.state.done += 1
            self._on_change(self.state)


def local_slots(config: Config) -> int:
    return config.settings.compute.workers or os.cpu_count() or 1


class LocalPool(_Watched):
    def __init__(
        self, config: Config, on_change: Callable[[WorkState], None], tasks: int, model: ModelDir | None = None
    ):
        slots = max(1, min(local_slots(config), tasks))
        super().__init__(on_change, f"this machine ({slots} at once)")
        self.store = StoreSpec.of(config).open()
        self.threads = max(1, (os.cpu_count() or 1) // slots)
        self.model_cache = config.state_dir / "cache" / "models"
        self.scratch = config.state_dir / "cache" / "work"
        self.model = model
        self._executor = ThreadPoolExecutor(slots, thread_name_prefix="episode-work")
        self._futures: dict[int, LocalFuture[EpisodeResult]] = {}

    def submit(self, index: int, task: EpisodeTask) -> None:
        future = self._executor.submit(
            episode_work,
            task,
            self.store,
            threads=self.threads,
            model_cache=self.model_cache,
            scratch=self.scratch,
            progress=lambda event: self._event(index, event),
            model=self.model,
        )
        self._futures[index] = future
        self._submitted()
        future.add_done_callback(lambda _: self._finished(index))

    def result(self, index: int) -> EpisodeResult:
        return self._futures[index].result()

    def completed(self) -> Iterator[int]:
        index_of = {future: index for index, future in self._futures.items()}
        for future in as_completed(list(index_of)):
            yield index_of[future]

    def close(self) -> None:
        # Not waiting: after a build every task is done; after Ctrl-C the process is ending, and its ffmpegs
        # with it (tools/ffmpeg.py ties them to it).
        self._executor.shutdown(wait=False, cancel_futures=True)


class ClusterPool(_Watched):
    def __init__(self, config: Config, address: str, on_change: Callable[[WorkState], None]):
        from station.tools import dask

        super().__init__(on_change, f"the Dask cluster at {address}")
        self.dask, c = dask, config.settings.compute
        self.spec = StoreSpec.of(config)
        self.store = self.spec.open()
        self.retries = c.retries
        self.client = dask.connect(address, c.connect_timeout_s)
        self.dashboard = dask.dashboard(self.client)
        self.resources = dask.slots_asked(self.client)
        self.slots = dask.slots_by_host(self.client)
        self._run = uuid.uuid4().hex[:8]
        self._futures: dict[int, Any] = {}
        self._index: dict[str, int] = {}
        dask.listen(self.client, TOPIC, self._heard)

    def _heard(self, message: dict[str, Any]) -> None:
        index = self._index.get(str(message.get("task")))
        if index is not None:
            self._event(index, message)

    def submit(self, index: int, task: EpisodeTask) -> None:
        key = f"episode-{self._run}-{index}"
        self._index[key] = index
        future = self.dask.submit(
            self.client,
            run_on_worker,
            task,
            self.spec,
            self.slots,
            key=key,
            retries=self.retries,
            resources=self.resources,
        )
        self._futures[index] = future
        self._submitted()
        future.add_done_callback(lambda _: self._finished(index))

    def result(self, index: int) -> EpisodeResult:
        result: EpisodeResult = self._futures[index].result()
        return result

    def completed(self) -> Iterator[int]:
        index_of = {future.key: index for index, future in self._futures.items()}
        for future in self.dask.completed(self.client, list(self._futures.values())):
            yield index_of[future.key]

    def close(self) -> None:
        self.client.cancel(list(self._futures.values()))
        self.client.close()


def open_pool(
    config: Config,
    tasks: int,
    on_change: Callable[[WorkState], None],
    notice: Callable[[str], None],
    model: ModelDir | None = None,
) -> Pool:
    """The pool the settings ask for; a cluster that cannot be reached is the local pool only if they say so."""
    c = config.settings.compute
    if c.scheduler:
        try:
            pool = ClusterPool(config, c.scheduler, on_change)
        except ComputeError as exc:
            if c.fallback != "local":
                raise
            notice(f"{exc}. Working on this machine instead, as `[compute] fallback` says.")
        else:
            notice(
                f"Working on the Dask cluster at {c.scheduler}"
                + (f"; its dashboard: {pool.dashboard}" if pool.dashboard else "")
            )
            return pool
    return LocalPool(config, on_change, tasks, model)


# ------------------------------------------------------------ on a Dask worker
_stores: dict[StoreSpec, Store] = {}


def run_on_worker(task: EpisodeTask, spec: StoreSpec, slots_by_host: dict[str, int]) -> EpisodeResult:
    """A task as a Dask worker runs it: its share of the machine's cores (shared with every worker there), its
    own folder, progress told back."""
    from station.tools import dask

    here = dask.here()
    assert here is not None
    store = _stores.get(spec) or _stores.setdefault(spec, spec.open())
    return episode_work(
        task,
        store,
        threads=max(1, (os.cpu_count() or 1) // max(here.slots, slots_by_host.get(here.host, 0))),
        scratch=Path(here.local_directory),
        progress=lambda event: dask.tell(TOPIC, {**event, "task": here.key}),
    )
