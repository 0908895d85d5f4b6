"""Real tiny media for tests, benchmarks and the demo station.

Speech comes from espeak-ng; tones, noise and silence from ffmpeg's own
sources; every encode goes through the station's bundled ffmpeg. Nothing
here is a fake: these are the files a presenter might drop in.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from station.tools import ffmpeg

ENCODE = {
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    ".wav": ["-c:a", "pcm_s16le"],
    ".flac": ["-c:a", "flac"],
    ".m4a": ["-c:a", "aac", "-b:a", "64k"],
    ".ogg": ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000"],
    ".opus": ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000"],
    ".webm": ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000"],
}


def _ff(*args: str) -> None:
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-v", "error", "-nostdin", "-y", *args], check=True)


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speech(
    text: str,
    out: Path,
    *,
    voice: str = "en-us",
    speed: int = 140,
    gap: int = 0,
    pad_s: float = 1.0,
    channels: int = 1,
    rate: int = 44100,
    gain_db: float = 0.0,
    extra: list[str] | None = None,
) -> Path:
    """Spoken `text`, with `pad_s` of digital silence at each end, encoded by the suffix of `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-g", str(gap), "-w", str(raw), text], check=True)
        pad = int(pad_s * 1000)
        _ff(
            "-i",
            str(raw),
            "-af",
            f"adelay={pad}:all=1,apad=pad_dur={pad_s},volume={gain_db}dB",
            "-ar",
            str(rate),
            "-ac",
            str(channels),
            *(extra or []),
            *ENCODE[out.suffix.lower()],
            "-f",
            {".m4a": "ipod", ".ogg": "ogg", ".opus": "ogg", ".webm": "webm"}.get(out.suffix.lower(), out.suffix[1:]),
            str(out),
        )
    return out


def tone(out: Path, seconds: float = 5.0, freq: int = 440, volume_db: float = -20.0, channels: int = 1) -> Path:
    _ff(
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={freq}:duration={seconds}:sample_rate=44100",
        "-af",
        f"volume={volume_db}dB",
        "-ac",
        str(channels),
        *ENCODE[out.suffix.lower()],
        str(out),
    )
    return out


def bed(out: Path, seconds: float = 60.0, root_hz: float = 196.0, volume_db: float = -18.0) -> Path:
    """A soft music bed: a slow major chord with a gentle swell, made by ffmpeg (nobody's rights in it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    notes = [root_hz, root_hz * 5 / 4, root_hz * 3 / 2, root_hz * 2]
    inputs = []
    for f in notes:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={f:.2f}:duration={seconds}:sample_rate=44100"]
    mix = "".join(f"[{i}]" for i in range(len(notes)))
    _ff(
        *inputs,
        "-filter_complex",
        f"{mix}amix=inputs={len(notes)},tremolo=f=0.2:d=0.5,afade=t=in:d=3,afade=t=out:st={seconds - 3}:d=3,"
        f"volume={volume_db}dB,aformat=channel_layouts=stereo",
        *ENCODE[out.suffix.lower()],
        str(out),
    )
    return out


def silence(out: Path, seconds: float = 5.0) -> Path:
    _ff("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", str(seconds), *ENCODE[out.suffix.lower()], str(out))
    return out


def clipped(out: Path, text: str = "This recording was made with the level far too high.") -> Path:
    """Speech driven 24 dB into the ceiling: heavily clipped, as from a phone held too close."""
    return speech(text, out, gain_db=24.0, pad_s=0.3)


def truncated(src: Path, out: Path, keep: float = 0.4) -> Path:
    """The first part of a real file, as when a copy or upload stops half-way."""
    data = src.read_bytes()
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def long_speech(out: Path, minutes: float, unit: Path | None = None) -> Path:
    """A long recording made by looping one real speech clip (streamed, never held in memory)."""
    with tempfile.TemporaryDirectory() as tmp:
        clip = unit or speech(
            "Some nights are long. We talk about what helped, and what did not, and about "
            "the people who sat with us when it was hard. You are not on your own.",
            Path(tmp) / "unit.wav",
            pad_s=0.5,
        )
        _ff(
            "-stream_loop",
            "-1",
            "-i",
            str(clip),
            "-t",
            str(minutes * 60),
            "-ac",
            "1",
            *ENCODE[out.suffix.lower()],
            str(out),
        )
    return out


def decoded_seconds(path: Path | str, strict: bool = True) -> float:
    """Decode with the bundled ffmpeg, which must succeed; the audio's length. `strict`: without a word of
    error either (a file or a stream recorded from its start); a capture that may begin mid-frame is not."""
    result = subprocess.run(
        [
            ffmpeg.executable(),
            *["-hide_banner", "-nostdin", "-v", "error", "-i", str(path)],
            *["-f", "s16le", "-ac", "1", "-ar", "44100", "-"],
        ],
        capture_output=True,
        timeout=120,
    )
    quiet = not result.stderr.strip() or not strict
    assert result.returncode == 0 and quiet, result.stderr.decode(errors="replace")
    return len(result.stdout) / (2 * 44100)
