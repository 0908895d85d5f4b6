"""Normalise: trimmed, loudness-normalised, encoded MP3 of one episode.

Loudness follows the podcast norm (AES TD1008): integrated loudness to the
target for the channel count, true peak at or below the ceiling, both
**measured on the encoded file**. Gain is linear, so the loudness range is
kept; a limiter catches only the peaks the gain would push over the ceiling.
If the encoded file misses, the gain or ceiling is corrected and it is
rendered again, up to `build.loudness_attempts` times.

A function of its inputs only: the runner caches the result under `key()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from station.build.stages import inspect
from station.config import Settings
from station.errors import EpisodeFailed, Problem
from station.files import sha256_json
from station.tools import ffmpeg
from station.tools.sniff import KINDS

VERSION = 2


@dataclass(frozen=True)
class Source:
    """A recording to be rendered (the episode, an intro or outro) with its analysis."""

    path: Path
    sha256: str
    analysis: dict
    trim: bool = True


def key(sources: list[Source], masked: bool, settings: Settings, hide: tuple[tuple[float, float], ...] = ()) -> str:
    redaction = [[round(a, 3), round(b, 3)] for a, b in hide]
    return sha256_json(
        [
            "normalise",
            VERSION,
            [(s.sha256, s.trim) for s in sources],
            masked,
            settings.loudness.model_dump(),
            settings.audio.model_dump(exclude={"min_duration_s", "max_clipped_share"}),
            [redaction, settings.transcripts.redact_with] if hide else None,
        ]
    )


def target_lufs(channels: int, settings: Settings) -> float:
    return settings.loudness.mono_lufs if channels == 1 else settings.loudness.stereo_lufs


def render(
    sources: list[Source],
    masked: bool,
    out: Path,
    where: str,
    settings: Settings,
    hide: tuple[tuple[float, float], ...] = (),
    on_progress=None,
) -> dict:
    """Render into `out` (a temporary path the runner renames); return the measurement of the encoded file."""
    main = sources[len(sources) // 2] if len(sources) > 1 else sources[0]
    channels = 1 if main.analysis["channels"] == 1 else 2
    target = target_lufs(channels, settings)
    ceiling = settings.loudness.true_peak_db
    timeout = settings.build.tool_timeout_s
    correction = 0.0
    pieces, predicted_peak = [], -math.inf
    for s in sources:
        a = s.analysis
        start, end = inspect.trim_points(a, settings) if s.trim else (0.0, a["duration_s"])
        gain = target - a["integrated_lufs"]
        # Speech rarely has inter-sample peaks more than half a dB over its sample peak.
        predicted_peak = max(predicted_peak, a["peak_db"] + 0.5 + gain)
        pieces.append((s, start, end, gain))
    # Limit only when the gain would push peaks near the ceiling; 1 dB of headroom for the MP3 encoder.
    limit_db = ceiling - 1.0 if predicted_peak > ceiling - 1.0 or masked else None
    attempts = settings.build.loudness_attempts
    for attempt in range(1, attempts + 1):
        plan = ffmpeg.RenderPlan(
            pieces=tuple(
                ffmpeg.Piece(
                    path=s.path,
                    input_format=KINDS[s.analysis["kind"]][0] if s.analysis["kind"] else None,
                    start_s=start,
                    end_s=end,
                    gain_db=gain + correction,
                    mask_pitch=settings.audio.mask_pitch if masked and s is main else None,
                )
                for s, start, end, gain in pieces
            ),
            channels=channels,
            sample_rate_hz=settings.audio.sample_rate_hz,
            bitrate_kbps=settings.audio.mono_kbps if channels == 1 else settings.audio.stereo_kbps,
            limit_db=limit_db,
            compress=settings.loudness.compress,
            hide=hide,
            hide_with=settings.transcripts.redact_with,
        )
        got = ffmpeg.render(plan, out, timeout, on_progress)  # measured on the encoded frames
        off = target - got.integrated_lufs
        peak_ok = got.true_peak_db <= ceiling
        # Keep a quarter of the tolerance in hand while attempts remain: other meters may read a little differently.
        aim = settings.loudness.tolerance_lu * (0.75 if attempt < attempts else 1)
        if abs(off) <= aim and peak_ok:
            return {
                "integrated_lufs": got.integrated_lufs,
                "true_peak_db": got.true_peak_db,
                "loudness_range_lu": got.loudness_range_lu,
                "duration_s": got.duration_s,
                "target_lufs": target,
                "channels": channels,
                "limited": limit_db is not None,
                "attempts": attempt,
            }
        correction += off
        if not peak_ok or (limit_db is None and predicted_peak + correction > ceiling - 1.0):
            limit_db = (
                (limit_db if limit_db is not None else ceiling - 1.0) - max(0.0, got.true_peak_db - ceiling) - 0.3
            )
    raise EpisodeFailed(
        Problem(
            where,
            f"the loudness could not be brought to {target:g} LUFS with peaks under "
            f"{ceiling:g} dBTP (last try: {got.integrated_lufs:.1f} LUFS, {got.true_peak_db:.1f} dBTP)",
            "this is rare; check the recording for very loud bursts, or ask for help with the "
            "loudness settings in station.toml",
        )
    )
