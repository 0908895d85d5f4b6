"""The only module that imports faster-whisper (Whisper on CTranslate2, CPU, int8).

The model is always a local directory (see station.whisper_models); it is
loaded with `local_files_only=True`, so nothing can be fetched at run time.

Two things faster-whisper leaves to its caller:
- Memory. It computes the features of the whole input at once, about 60 MB
  a minute of audio; a long episode is therefore decoded once (16 kHz mono,
  4 MB a minute) and transcribed in windows of WINDOW_S, cut at the quietest
  moment near each boundary so no word is split.
- Repeatability. When a window decodes badly Whisper retries with sampling at
  a higher temperature, which is random. CTranslate2 seeds its generators
  once per worker thread, when the model is loaded, so each recording gets a
  freshly seeded model (0.2 s for tiny.en) and the same audio always gives
  the same words — and so the same bytes in site/. A worker that transcribes
  many recordings reads the model's files once (`model_files`) and makes each
  fresh model from those bytes in memory, never from the disk again.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

RATE = 16000
WINDOW_S = 600
SEARCH_S = 20  # how far either side of a window boundary to look for a quiet cut
SEED = 0
TEMPERATURES = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]  # faster-whisper's own fallback, named here to be seen


@dataclass(frozen=True)
class Options:
    """How to decode: part of every transcript's cache key."""

    language: str | None  # ISO 639-1, or None to let a multilingual model detect it
    beam_size: int
    vad_filter: bool
    condition_on_previous_text: bool
    no_speech_threshold: float = 0.6
    hotwords: str | None = None  # names Whisper should expect (station, show, credits, words to hide)
    task: str = "transcribe"  # or "translate": Whisper's English translation of speech in `language`


def model_files(model_dir: Path) -> dict[str, bytes]:
    """Every file of a model folder, read into memory (tiny.en: 78 MB; base: 145 MB)."""
    return {p.name: p.read_bytes() for p in sorted(model_dir.iterdir()) if p.is_file()}


class Whisper:
    def __init__(
        self,
        model_dir: Path,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        files: dict[str, bytes] | None = None,
    ):
        self.model_dir, self.compute_type, self.files = model_dir, compute_type, files
        self.cpu_threads = cpu_threads or os.cpu_count() or 1  # 0: one a core (faster-whisper's default is 4)

    def _fresh_model(self) -> Any:  # faster-whisper's WhisperModel, imported only here
        import ctranslate2
        from faster_whisper import WhisperModel  # heavy: imported only when something needs transcribing

        ctranslate2.set_random_seed(SEED)
        return WhisperModel(
            str(self.model_dir),
            device="cpu",
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            local_files_only=True,
            files=dict(self.files) if self.files else None,  # a copy: faster-whisper pops from it
        )

    def transcribe(
        self, audio: Path, o: Options, on_progress: Callable[[float], None] | None = None
    ) -> tuple[list[dict[str, Any]], str, float]:
        """Segments (with word timings) as plain dicts, their language, and the audio's duration.

        With `o.task == "translate"` the segments are Whisper's English translation (language "en")."""
        from faster_whisper import decode_audio

        model = self._fresh_model()
        samples = decode_audio(str(audio), sampling_rate=RATE)
        found: list[dict[str, Any]] = []
        language = o.language
        for start, end in windows(samples):
            segments, info = model.transcribe(
                samples[start:end],
                language=language,
                task=o.task,
                beam_size=o.beam_size,
                vad_filter=o.vad_filter,
                condition_on_previous_text=o.condition_on_previous_text,
                hotwords=o.hotwords,
                no_speech_threshold=o.no_speech_threshold,
                temperature=TEMPERATURES,
                word_timestamps=True,
            )
            offset = start / RATE
            for s in segments:  # a generator: decoding happens as we iterate
                found.append(
                    {
                        "start": offset + s.start,
                        "end": offset + s.end,
                        "text": s.text.strip(),
                        # Words keep their leading space: "mid" + "-night" is one word on the page.
                        "words": [
                            {"start": offset + w.start, "end": offset + w.end, "text": w.word}
                            for w in (s.words or [])
                            if w.word.strip()
                        ],
                    }
                )
                if on_progress:
                    on_progress(offset + s.end)
            language = language or info.language  # detected once, then kept for every window
        return found, "en" if o.task == "translate" else language or "en", len(samples) / RATE


def windows(samples: np.ndarray[Any, Any]) -> list[tuple[int, int]]:
    """Sample ranges of about WINDOW_S each, cut at the quietest tenth of a second near each boundary."""
    import numpy as np

    total, size, frame = len(samples), WINDOW_S * RATE, RATE // 10
    cuts, at = [0], size
    while at < total - SEARCH_S * RATE:
        lo, hi = at - SEARCH_S * RATE, min(total, at + SEARCH_S * RATE)
        frames = samples[lo:hi][: (hi - lo) // frame * frame].reshape(-1, frame)
        quietest = int(np.argmin((frames.astype(np.float64) ** 2).mean(axis=1)))
        cuts.append(lo + quietest * frame + frame // 2)
        at = cuts[-1] + size
    cuts.append(total)
    return list(itertools.pairwise(cuts))
