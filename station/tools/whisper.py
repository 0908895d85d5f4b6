"""The only module that imports faster-whisper (Whisper on CTranslate2, CPU, int8).

The model is always a local directory (see station.whisper_models); it is
loaded with `local_files_only=True`, so nothing can be fetched at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Options:
    """How to decode: part of every transcript's cache key."""
    language: str | None           # ISO 639-1, or None to let a multilingual model detect it
    beam_size: int
    vad_filter: bool
    condition_on_previous_text: bool
    no_speech_threshold: float = 0.6
    hotwords: str | None = None    # names Whisper should expect (station, show, credits, words to hide)


class Whisper:
    def __init__(self, model_dir: Path, compute_type: str = "int8", cpu_threads: int = 0):
        from faster_whisper import WhisperModel  # heavy: imported only when something needs transcribing
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type,
                                  cpu_threads=cpu_threads, local_files_only=True)

    def transcribe(self, audio: Path, o: Options,
                   on_progress: Callable[[float], None] | None = None) -> tuple[list[dict], str, float]:
        """Segments (with word timings) as plain dicts, the language, and the audio's duration."""
        segments, info = self.model.transcribe(
            str(audio), language=o.language, beam_size=o.beam_size, vad_filter=o.vad_filter,
            condition_on_previous_text=o.condition_on_previous_text, hotwords=o.hotwords,
            no_speech_threshold=o.no_speech_threshold, word_timestamps=True)
        found = []
        for s in segments:  # a generator: decoding happens as we iterate
            found.append({"start": float(s.start), "end": float(s.end), "text": s.text.strip(),
                          # Words keep their leading space: "mid" + "-night" is one word on the page.
                          "words": [{"start": float(w.start), "end": float(w.end), "text": w.word}
                                    for w in (s.words or []) if w.word.strip()]})
            if on_progress:
                on_progress(float(s.end))
        return found, info.language, float(info.duration)
