"""One episode's audio and model work, as a pure function: `episode_work(task, store) -> EpisodeResult`.

    fetch the recordings from the store → inspect each (unless the station
    knows it already) → normalise → transcribe → hide the words listed in
    `redact` (normalise again with them covered) → put the results in the store

It reads nothing but its task and the store, writes nothing but the store
(and a scratch folder it removes), and returns plain data keyed exactly as
the station's cache keys the same work (build/stages/: input hashes, stage
version, the settings each stage reads). The station then files the results
in its cache and builds the episode from there (build/episode.py), so a task
run here, in a pool on the station's machine or on a Dask worker elsewhere
gives the same bytes as the same work done in one process, one at a time.

The Whisper model is found, verified by its sha256 and read into memory once
per worker process (`_whisper`); each recording still gets a freshly seeded
model made from those bytes (tools/whisper.py says why).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from station.build.code import digest
from station.build.stages import inspect, normalise, transcribe
from station.catalog.transcript import Transcript
from station.compute.store import Store
from station.config import Settings
from station.errors import DiskFull, EpisodeFailed, Problem, ToolError
from station.files import TMP_PREFIX, disk_full, make_parent
from station.tools import whisper_models
from station.tools.whisper import Options, Whisper, model_files
from station.tools.whisper_models import ModelDir

Progress = Callable[[dict[str, Any]], None]  # {"stage": "transcribing", "done_s": …, "total_s": …, "pid": …}


@dataclass(frozen=True)
class SourceIn:
    """One recording of the episode (its intro, the recording itself, its outro), by the sha256 of its bytes."""

    sha256: str
    where: str  # as the station names it (relative to its root), for the problems found
    suffix: str  # kept on the scratch copy: ffmpeg reads some files by their name
    trim: bool
    allow_clipping: bool
    analysis: dict[str, Any] | None = None  # the station has it already: not inspected again


@dataclass(frozen=True)
class TranscribeIn:
    model: str  # "tiny.en", "base", or the model folder's absolute path (the same on every worker)
    model_sha256: str  # of model.bin, as the station verified it: a worker with another model refuses
    options: Options
    transcript: str | None = None  # blob of the machine transcript's JSON, when the station has it already
    terms: tuple[str, ...] = ()  # the words to hide (sidecar `redact`)
    correction: tuple[str, str] | None = None  # (suffix, text) of the presenter's corrected transcript
    margin_s: float = 0.15
    translate: Options | None = None  # Whisper's translate task, when the English translation is still to make


@dataclass(frozen=True)
class EpisodeTask:
    where: str
    sources: tuple[SourceIn, ...]
    masked: bool
    settings: Settings
    transcribe: TranscribeIn | None  # None: no machine transcript is wanted
    audio: tuple[str, dict[str, Any]] | None = None  # (blob, measurement) of the normalised audio, if known
    audio_s: float = 0.0  # how much audio there is to work on (for progress and `--dry-run`); 0: unknown yet
    code: str = ""  # the station's code digest: a worker running other code would not give the same bytes

    @property
    def work_key(self) -> str:
        """The same for two tasks that would do the same work (one recording published twice)."""
        same = replace(self, where="", sources=tuple(replace(s, where="") for s in self.sources), audio_s=0.0)
        return hashlib.sha256(repr(same).encode()).hexdigest()


@dataclass
class EpisodeResult:
    """What the work found and made, each under the key the station's cache files it by."""

    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)  # inspect key → analysis
    audio: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # normalise key → (blob, measured)
    transcripts: dict[str, str] = field(default_factory=dict)  # transcribe key → blob of its JSON
    failed: dict[str, list[Problem]] = field(default_factory=dict)  # inspect or normalise key → why not
    transcript_failed: dict[str, str] = field(default_factory=dict)  # transcribe key → what went wrong
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per stage
    audio_s: float = 0.0  # the episode's audio, as long as it plays once trimmed
    worker: str = ""  # host:pid that did it

    @property
    def blobs(self) -> set[str]:
        return {b for b, _ in self.audio.values()} | set(self.transcripts.values())


def episode_work(
    task: EpisodeTask,
    store: Store,
    *,
    threads: int = 0,
    model_cache: Path | None = None,
    scratch: Path | None = None,
    progress: Progress | None = None,
    model: ModelDir | None = None,
) -> EpisodeResult:
    """Do the task's work; EpisodeFailed-like outcomes are results (in `failed`), anything else raises.

    `threads`: Whisper's share of this machine's cores (0: all of them). `model_cache`: where the
    multilingual model's two halves are joined (once). `scratch`: where recordings are fetched to. `model`: the
    station's model, already verified (the local pool)."""
    if task.code and task.code != digest():
        raise ToolError(
            f"the worker {socket.gethostname()} runs a different version of the station than the station "
            "machine — install the same version on every worker (docs/scale.md)"
        )
    result = EpisodeResult(worker=f"{socket.gethostname()}:{os.getpid()}")
    tell = progress or (lambda event: None)
    tell({"stage": "started", "total_s": task.audio_s, "pid": os.getpid()})
    with _scratch(scratch) as tmp:
        _work(task, store, result, tmp, threads, model_cache, model, tell)
    return result


def _work(
    task: EpisodeTask,
    store: Store,
    result: EpisodeResult,
    tmp: Path,
    threads: int,
    model_cache: Path | None,
    known: ModelDir | None,
    tell: Progress,
) -> None:
    settings = task.settings

    def step(stage: str, total_s: float | None) -> Callable[[float], None]:
        tell({"stage": stage, "done_s": 0.0, "total_s": total_s})
        return lambda s: tell({"stage": stage, "done_s": float(s), "total_s": total_s})

    def fetched(s: SourceIn) -> Path:
        path = tmp / f"{s.sha256}{s.suffix}"
        return path if path.exists() else store.fetch(s.sha256, path)

    sources = []
    for s in task.sources:
        analysis = s.analysis
        if analysis is None:
            started, key = time.monotonic(), inspect.key(s.sha256, settings)
            try:
                analysis = inspect.analyse(fetched(s), s.where, settings, step("checking", None))
            except EpisodeFailed as failed:
                result.failed[key] = failed.problems
                return
            result.analyses[key] = analysis
            _spent(result, "inspect", started)
        problems = inspect.judge(analysis, Path(s.where), s.where, settings, s.allow_clipping, is_part=not s.trim)
        if any(p.is_error for p in problems):
            return  # the station judges the same analysis, and holds the episode back
        sources.append((s, analysis))

    result.audio_s = sum(inspect.trimmed_length(a, settings) if s.trim else a["duration_s"] for s, a in sources)

    def rendered(hide: tuple[tuple[float, float], ...] = ()) -> tuple[str, Path, dict[str, Any]] | None:
        plain = [normalise.Source(Path(s.sha256), s.sha256, a, s.trim) for s, a in sources]
        key = normalise.key(plain, task.masked, settings, hide)
        if not hide and task.audio is not None:
            blob, measured = task.audio
            return key, store.fetch(blob, tmp / f"{blob}.mp3"), measured
        started = time.monotonic()
        ready = [normalise.Source(fetched(s), s.sha256, a, s.trim) for s, a in sources]
        length = sum(inspect.trimmed_length(a, settings) if s.trim else a["duration_s"] for s, a in sources)
        out = tmp / f"{TMP_PREFIX}{key}.mp3"
        try:
            label = "hiding words in" if hide else "normalising"
            measured = normalise.render(ready, task.masked, out, task.where, settings, hide, step(label, length))
        except EpisodeFailed as failed:
            result.failed[key] = failed.problems
            return None
        except Exception as exc:
            if disk_full(exc, out.parent):  # the worker's disk: the build stops, as it would here
                raise DiskFull(out.parent) from exc
            raise
        result.audio[key] = (store.put_file(out), measured)
        _spent(result, "normalise", started)
        return key, out, measured

    done = rendered()
    if done is None or task.transcribe is None:
        return
    audio_key, audio, measured = done
    t = task.transcribe
    whisper, model = _whisper(t.model, t.model_sha256, settings, threads, model_cache, known)
    tkey = transcribe.key(audio_key, model, t.options, settings)
    if t.transcript is not None:
        blob = store.fetch(t.transcript, tmp / f"{t.transcript}.json")
        machine_t = Transcript.from_dict(json.loads(blob.read_text(encoding="utf-8")))
    else:
        started = time.monotonic()
        try:
            machine_t = transcribe.machine(whisper, audio, t.options, step("transcribing", measured["duration_s"]))
        except Exception as exc:  # that transcript's failure, said by the station as today: pending
            result.transcript_failed[tkey] = f"{type(exc).__name__}: {exc}"
            return
        text = json.dumps(machine_t.to_dict(), sort_keys=True)  # the cache's bytes, exactly
        result.transcripts[tkey] = store.put_bytes(text.encode("utf-8"))
        _spent(result, "transcribe", started)
    if t.translate is not None:  # from the same audio as the transcript: hidden words are hidden in its text
        started, xkey = time.monotonic(), transcribe.key(audio_key, model, t.translate, settings)
        try:
            translation = transcribe.machine(whisper, audio, t.translate, step("translating", measured["duration_s"]))
        except Exception as exc:
            result.transcript_failed[xkey] = f"{type(exc).__name__}: {exc}"
        else:
            text = json.dumps(translation.to_dict(), sort_keys=True)
            result.transcripts[xkey] = store.put_bytes(text.encode("utf-8"))
            _spent(result, "translate", started)
    corrected = None
    if t.correction is not None:
        corrected, _ = transcribe.parse_correction(t.correction[1], t.correction[0], task.where, machine_t)
    published = transcribe.publishable(machine_t, corrected, list(t.terms), t.margin_s)
    if published.hide:
        rendered(published.hide)


def _spent(result: EpisodeResult, stage: str, started: float) -> None:
    result.seconds[stage] = result.seconds.get(stage, 0.0) + time.monotonic() - started


@contextlib.contextmanager
def _scratch(folder: Path | None) -> Iterator[Path]:
    """A private folder for this task's copies, removed after it (a killed worker's is swept by name)."""
    if folder is not None:
        make_parent(folder / "-")  # 0700 inside .station/
    with tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}{os.getpid()}-work-", dir=folder) as tmp:
        yield Path(tmp)


# ------------------------------------------------------------ the model, once per process
_lock = threading.Lock()
_models: dict[tuple[str, str], tuple[ModelDir, dict[str, bytes]]] = {}
_reads: list[str] = []  # each model read from disk in this process, by name


def _whisper(
    name: str, expected: str, settings: Settings, threads: int, cache: Path | None, known: ModelDir | None
) -> tuple[Whisper, ModelDir]:
    """The model `name`, found on this machine, verified by its sha256 and read into memory on first use in this
    process. `known`: the station's own, verified by the runner already (the local pool, in the same process)."""
    with _lock:
        if (name, expected) not in _models:
            if known is not None and known.sha256 == expected:
                model = known
            else:
                folder = cache or Path.home() / ".cache" / "peerwave" / "models"
                model = whisper_models.resolve(name, Path("/"), folder)
            if model.sha256 != expected:
                raise ToolError(
                    f"the Whisper model {name} on worker {socket.gethostname()} is not the station's (model.bin "
                    f"has sha256 {model.sha256[:12]}…, the station's {expected[:12]}…) — install the same "
                    "model on every worker (docs/scale.md)"
                )
            _models[(name, expected)] = (model, model_files(model.path))
            _reads.append(name)
        model, files = _models[(name, expected)]
    t = settings.transcripts
    return Whisper(model.path, t.compute_type, t.cpu_threads or threads, files=files), model


def model_reads() -> list[str]:
    """The models this process has read from disk, once each (a test asks each worker)."""
    return list(_reads)
