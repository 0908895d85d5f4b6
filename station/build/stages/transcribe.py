"""Transcribe: the machine transcript of an episode's normalised audio, and the one we publish.

The machine transcript is a function of (normalised audio, model, options)
and is cached under `key()`. The published transcript is the presenter's
correction when there is one (`<recording stem>.transcript.vtt|.srt|.txt`
beside the recording), otherwise the machine's; either way the words the
sidecar asks to hide become [redacted].

Redaction never moves time: hidden words are covered by a tone or silence of
the same length, so transcripts timed against the normalised audio are timed
against the published audio too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from station.catalog.transcript import (
    Transcript,
    from_segments,
    merge_spans,
    parse_timed,
    redact,
    redact_text_only,
    retime,
)
from station.config import Settings
from station.errors import CorrectionError, Problem, Severity
from station.files import sha256_json
from station.tools.whisper import Options, Whisper
from station.tools.whisper_models import ModelDir

VERSION = 2
CORRECTION_SUFFIXES = (".transcript.vtt", ".transcript.srt", ".transcript.txt")


def options(settings: Settings, language: str | None, names: Sequence[str] = ()) -> Options:
    """Decoding options. `names` (station, show, credits, words to hide) are given to Whisper as
    hotwords: it then spells them right, and a name to hide that is heard right is a name hidden."""
    t = settings.transcripts
    hotwords = ", ".join(dict.fromkeys(n for n in names if n)) or None
    return Options(
        language=language,
        beam_size=t.beam_size,
        vad_filter=t.vad_filter,
        condition_on_previous_text=t.condition_on_previous_text,
        no_speech_threshold=t.no_speech_threshold,
        hotwords=hotwords,
    )


def key(audio_key: str, model: ModelDir, opts: Options, settings: Settings) -> str:
    """The cache key of a machine transcript, or of its English translation (`opts.task == "translate"`).

    A transcription's key leaves the task out, so the transcripts made before translations existed are
    still found: adding `translate:` to a sidecar later runs the translation alone."""
    decoding = {k: v for k, v in opts.__dict__.items() if not (k == "task" and v == "transcribe")}
    return sha256_json(["transcribe", VERSION, audio_key, model.sha256, decoding, settings.transcripts.compute_type])


def machine(whisper: Whisper, audio: Path, opts: Options, on_progress=None) -> Transcript:
    """The machine transcript, or with `opts.task == "translate"` its English translation."""
    segments, language, _ = whisper.transcribe(audio, opts, on_progress)
    return from_segments(segments, language)


def translate_options(opts: Options) -> Options:
    """Whisper's translate task on the same audio and settings: English from speech in `opts.language`."""
    return replace(opts, task="translate")


def correction_for(recording: Path) -> Path | None:
    for suffix in CORRECTION_SUFFIXES:
        path = recording.with_name(recording.stem + suffix)
        if path.is_file():
            return path
    return None


def read_correction(path: Path, where: str, machine_t: Transcript | None) -> tuple[Transcript | None, list[Problem]]:
    """A presenter's correction, or a problem saying why it cannot be used (the machine's is used instead)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [
            Problem(
                where,
                "this corrected transcript is not plain text; the machine transcript is used for now",
                "save it as UTF-8 text",
                Severity.WARNING,
            )
        ]
    return parse_correction(text, path.suffix, where, machine_t)


def parse_correction(
    text: str, suffix: str, where: str, machine_t: Transcript | None
) -> tuple[Transcript | None, list[Problem]]:
    """`read_correction` on a correction's text (a worker gets the text, never the station's file)."""
    try:
        if suffix == ".txt":
            if machine_t is None:
                raise CorrectionError(
                    "a plain-text correction is timed against the machine transcript, which is not ready yet"
                )
            cues = retime(text, machine_t)
        else:
            cues = parse_timed(text)
    except CorrectionError as exc:
        return None, [
            Problem(
                where,
                f"this corrected transcript cannot be used ({exc}); the machine transcript is used for now",
                "fix it and build again (README: Transcripts)",
                Severity.WARNING,
            )
        ]
    language = machine_t.language if machine_t else "en"
    return Transcript(tuple(cues), language, source="presenter"), []


@dataclass(frozen=True)
class Published:
    transcript: Transcript
    hide: tuple[tuple[float, float], ...]
    found: dict[str, int]
    translation: Transcript | None = None  # the English translation, when the sidecar asks for one


def publishable(machine_t: Transcript, corrected: Transcript | None, terms: list[str], margin_s: float) -> Published:
    """The transcript to publish and the audio spans to hide.

    Spans come from the machine's word timings and, when a correction has
    words (a re-timed plain-text one), from those too: hiding a near miss
    is better than missing a name.
    """
    hidden = redact(machine_t, terms, margin_s)
    if corrected is None:
        return Published(hidden.transcript, hidden.spans, hidden.found)
    if corrected.words:
        fixed = redact(corrected, terms, margin_s)
        spans = tuple(sorted(set(hidden.spans) | set(fixed.spans)))
        found = {t: max(hidden.found[t], fixed.found[t]) for t in terms}
        return Published(fixed.transcript, tuple(merge_spans(spans)), found)
    return Published(redact_text_only(corrected, terms), hidden.spans, hidden.found)


def published_translation(translation: Transcript, terms: list[str], margin_s: float) -> Transcript:
    """The English translation as published: the words listed in `redact` hidden in it too (names are
    usually kept as they are by the translation). The audio is covered by the original's timings alone."""
    return redact(translation, terms, margin_s).transcript
