"""Inspect a recording: is it audio we can read, and is it fit to publish?

`analyse` is a function of (file bytes, silence threshold) and is cached by
the runner under that key; `judge` turns an analysis into plain-words
problems. Neither changes anything.
"""

from __future__ import annotations

import errno
import math
from dataclasses import asdict
from pathlib import Path

from station.config import Settings
from station.errors import EpisodeFailed, FfmpegFailed, Problem, Severity
from station.files import sha256_json
from station.tools import ffmpeg
from station.tools import sniff as sniff_mod
from station.tools.sniff import EXPECTED, KINDS, sniff

VERSION = 3
RE_EXPORT = "export it again from the original (as MP3 or WAV) and drop it in"


def key(source_sha256: str, settings: Settings) -> str:
    return sha256_json(["inspect", VERSION, source_sha256, settings.audio.trim_below_db])


def analyse(path: Path, where: str, settings: Settings, on_progress=None) -> dict:
    """Decode the whole file once. Raises EpisodeFailed for what cannot be read at all."""
    try:
        size = path.stat().st_size
        kind = sniff(path) if size else None
    except PermissionError:
        raise EpisodeFailed(
            Problem(
                where,
                "this file cannot be read (permission denied)",
                "ask whoever looks after the station's computer to let the station read it",
            )
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise EpisodeFailed(
                Problem(
                    where,
                    "this file disappeared while the build was reading it",
                    "drop it in again; the next build will pick it up",
                )
            ) from None
        raise EpisodeFailed(Problem(where, f"this file cannot be read ({exc.strerror})", RE_EXPORT)) from None
    if size == 0:
        raise EpisodeFailed(
            Problem(
                where, "this file is empty (0 bytes): the copy or upload did not finish", "drop the recording in again"
            )
        )
    demuxer = KINDS[kind][0] if kind else None
    try:
        result = ffmpeg.analyse(
            path,
            demuxer,
            silence_db=settings.audio.trim_below_db,
            timeout_s=settings.build.tool_timeout_s,
            on_progress=on_progress,
        )
    except FfmpegFailed as exc:
        if kind:
            raise EpisodeFailed(
                Problem(where, f"this {kind.upper()} file is damaged and cannot be played", RE_EXPORT)
            ) from exc
        raise EpisodeFailed(
            Problem(where, "this file is not audio we can read", "export it again as MP3 or WAV and drop it in")
        ) from exc
    found = asdict(result)
    if kind == "ogg" and sniff_mod.ogg_cut_short(path):
        found["damage"] = [*found["damage"], "the last Ogg page is incomplete"]
    return {"kind": kind, **found}


def judge(
    analysis: dict, recording: Path, where: str, settings: Settings, allow_clipping: bool, is_part: bool = False
) -> list[Problem]:
    """Every problem with an analysed recording, at once. Warnings let it through.

    A show's intro or outro (`is_part`) may be as short as it likes.
    """
    problems = []
    a = analysis
    kind = a["kind"]
    suffix = recording.suffix.lower()
    if kind and kind not in EXPECTED.get(suffix, {kind}):
        right = KINDS[kind][1]
        problems.append(
            Problem(
                where,
                f"this is really a {kind.upper()} file, but its name ends in {suffix}",
                f"rename it to {recording.stem}{right} (it was built anyway)",
                Severity.WARNING,
            )
        )
    header, decoded = a["header_duration_s"], a["duration_s"]
    if a["damage"] or (header and decoded < header - max(0.5, 0.02 * header)):
        at = (
            f" (it stops at {clock(decoded)} but says it is {clock(header)} long)"
            if header and decoded < header - 0.5
            else ""
        )
        problems.append(Problem(where, f"this file is damaged or cut short{at}", RE_EXPORT))
        return problems
    if decoded <= 0 or a["peak_db"] == -math.inf or a["integrated_lufs"] == -math.inf or a["speech_end_s"] <= 0:
        problems.append(
            Problem(
                where,
                "there is no sound in this recording (it is silent all the way through)",
                "check the microphone was on and record again, or drop in the right file",
            )
        )
        return problems
    kept = trimmed_length(a, settings)
    if kept < settings.audio.min_duration_s and not is_part:
        problems.append(
            Problem(
                where,
                f"this recording is too short: {kept:.1f} s of sound after trimming silence",
                f"episodes need at least {settings.audio.min_duration_s:g} s; drop in the full recording",
            )
        )
    if a["peak_share"] > settings.audio.max_clipped_share and not allow_clipping:
        problems.append(
            Problem(
                where,
                f"this recording is heavily clipped ({a['peak_share']:.1%} of it is cut off at "
                "full volume), so it sounds distorted",
                "record again with the input level lower, or add `allow_clipping: true` to the "
                "metadata file to publish it as it is",
            )
        )
    return problems


def trim_points(a: dict, settings: Settings) -> tuple[float, float]:
    keep = settings.audio.trim_keep_s
    return max(0.0, a["speech_start_s"] - keep), min(a["duration_s"], a["speech_end_s"] + keep)


def trimmed_length(a: dict, settings: Settings) -> float:
    start, end = trim_points(a, settings)
    return max(0.0, end - start)


def clock(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02}:{s:02}" if h else f"{m}:{s:02}"
