"""The station's side of a task: what an episode's work needs (`task_for`) and filing what it made (`file_result`).

`task_for` reads only the cache, the ledger and the records, changes nothing,
and says None when the cache already holds every result the episode's build
will ask for, so a build with nothing new submits nothing, and starts no pool
and no cluster. Its inputs go to the store only when the task is submitted
(`Planned.uploads`), and only those the work will read.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from station.build import episode as episode_mod
from station.build.code import digest
from station.build.stages import inspect, normalise, transcribe
from station.build.workshop import Workshop
from station.catalog.model import Episode
from station.catalog.transcript import Transcript
from station.compute.store import Store
from station.compute.work import EpisodeResult, EpisodeTask, SourceIn, TranscribeIn
from station.config import Settings
from station.files import atomic_path, sha256_file
from station.records import place_hash


@dataclass(frozen=True)
class Planned:
    task: EpisodeTask
    uploads: dict[str, Path] = field(default_factory=dict)  # blob sha256 → the station's file to put there


def task_for(shop: Workshop, episode: Episode) -> Planned | None:
    """The work this episode still needs, or None: all done, or nothing to do (withdrawn, a bad recording)."""
    config, settings, ledger = shop.config, shop.settings, shop.ledger
    identity = shop.records.identities.get(place_hash(episode.key))
    if (
        identity
        and shop.records.withdrawn(identity["guid"])
        and not episode_mod.given_again(shop, episode, identity["guid"])
    ):
        return None
    show = episode.show
    found: list[tuple[Path, str, bool, bool]] = []  # path, where, trim, allow clipping: intro, recording, outro
    for path, main in (
        (show.path(show.meta.intro) if show.meta.intro else None, False),
        (episode.recording, True),
        (show.path(show.meta.outro) if show.meta.outro else None, False),
    ):
        if path is not None:
            found.append((path, config.rel(path), main, episode.meta.allow_clipping if main else True))
    sources: list[SourceIn] = []
    for path, where, trim, allow in found:
        try:
            sha = ledger.sha256(path)
        except OSError:
            return None  # the build says why, for this episode alone
        key = inspect.key(sha, settings)
        if key in shop.failed:
            return None
        analysis = shop.recall(key)
        if analysis is not None:
            problems = inspect.judge(analysis, path, where, settings, allow, is_part=not trim)
            if any(p.is_error for p in problems):
                return None  # held back by what is known already: no work would change that
        sources.append(SourceIn(sha, where, path.suffix.lower(), trim, allow, analysis))
    plain = [normalise.Source(Path(s.sha256), s.sha256, s.analysis or {}, s.trim) for s in sources]
    audio_key = normalise.key(plain, episode.masked, settings)
    if audio_key in shop.failed:
        return None
    cached_audio = shop.cache / "audio" / f"{audio_key}.mp3"
    measured = ledger.recall(audio_key)
    have_audio = measured is not None and cached_audio.exists()
    wanted, have_transcript, hidden_missing, tkey = None, True, False, ""
    terms = tuple(episode.meta.redact)
    if settings.transcripts.enabled and shop.model is not None:
        plan = episode_mod.transcript_plan(shop, episode)
        if plan.model is not None and plan.options is not None:
            model = plan.model
            tkey = transcribe.key(audio_key, model, plan.options, settings)
            cached_t = shop.cache / "transcripts" / f"{tkey}.json"
            have_transcript = cached_t.exists() or tkey in shop.transcript_failed
            translate = None
            if plan.translate is not None and tkey not in shop.transcript_failed:
                xkey = transcribe.key(audio_key, model, plan.translate, settings)
                if not (shop.cache / "transcripts" / f"{xkey}.json").exists() and xkey not in shop.transcript_failed:
                    translate = plan.translate  # asked for, and not made yet: the task makes it
            correction = _correction(episode)
            wanted = TranscribeIn(
                str(model.path) if model.name not in ("tiny.en", "base") else model.name,
                model.sha256,
                plan.options,
                terms=terms,
                correction=correction,
                margin_s=settings.transcripts.redact_margin_s,
                translate=translate,
            )
            if cached_t.exists():
                hidden_missing = _hidden_missing(shop, episode, plain, cached_t, wanted)
    known = all(s.analysis is not None for s in sources)
    translation_missing = wanted is not None and wanted.translate is not None
    if known and have_audio and have_transcript and not hidden_missing and not translation_missing:
        return None
    # Work to do: what the station has already goes with it (hashed only now: a build with nothing new
    # reads no cached audio).
    uploads: dict[str, Path] = {}
    audio = None
    if have_audio:
        blob = sha256_file(cached_audio)
        uploads[blob] = cached_audio
        audio = (blob, measured)
    if wanted is not None and (cached_t := shop.cache / "transcripts" / f"{tkey}.json").is_file():
        blob = sha256_file(cached_t)
        uploads[blob] = cached_t
        wanted = replace(wanted, transcript=blob)
    if not known or not have_audio or hidden_missing or (terms and not have_transcript):
        uploads.update({s.sha256: path for s, (path, *_) in zip(sources, found, strict=True)})
    audio_s = 0.0
    if known:
        audio_s = sum(_length(s.analysis or {}, s.trim, settings) for s in sources)
    task = EpisodeTask(
        config.rel(episode.recording), tuple(sources), episode.masked, settings, wanted, audio, audio_s, digest()
    )
    return Planned(task, uploads)


def _length(analysis: dict, trim: bool, settings: Settings) -> float:
    return inspect.trimmed_length(analysis, settings) if trim else float(analysis["duration_s"])


def _correction(episode: Episode) -> tuple[str, str] | None:
    path = transcribe.correction_for(episode.recording)
    if path is None:
        return None
    try:
        return path.suffix, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # the build says so; the machine transcript is used meanwhile


def _hidden_missing(
    shop: Workshop, episode: Episode, plain: list[normalise.Source], cached_t: Path, wanted: TranscribeIn
) -> bool:
    """Whether the audio with this episode's hidden words covered is still to be made."""
    if not wanted.terms:
        return False
    machine_t = Transcript.from_dict(json.loads(cached_t.read_text(encoding="utf-8")))
    corrected = None
    if wanted.correction is not None:
        corrected, _ = transcribe.parse_correction(wanted.correction[1], wanted.correction[0], "", machine_t)
    hide = transcribe.publishable(machine_t, corrected, list(wanted.terms), wanted.margin_s).hide
    if not hide:
        return False
    key = normalise.key(plain, episode.masked, shop.settings, hide)
    return key not in shop.failed and (
        shop.ledger.recall(key) is None or not (shop.cache / "audio" / f"{key}.mp3").exists()
    )


def file_result(shop: Workshop, store: Store, result: EpisodeResult) -> Counter[str]:
    """Put a task's results in the station's cache and ledger, as if the work had been done here."""
    work: Counter[str] = Counter()
    for key, analysis in result.analyses.items():
        shop.ledger.remember(key, "inspect", analysis)
        shop.analysed[key] = analysis
        work["analyse"] += 1
    for key, (blob, measured) in result.audio.items():
        _fetch(store, blob, shop.cache / "audio" / f"{key}.mp3")
        shop.ledger.remember(key, "normalise", measured)
        work["render"] += 1
    for key, blob in result.transcripts.items():
        _fetch(store, blob, shop.cache / "transcripts" / f"{key}.json")
        work["transcribe"] += 1
    shop.failed.update(result.failed)
    shop.transcript_failed.update(result.transcript_failed)
    return work


def _fetch(store: Store, blob: str, dest: Path) -> None:
    with atomic_path(dest) as tmp:
        store.fetch(blob, tmp)
