"""Transcripts: one shape, read from and written to every format we publish.

A Transcript is a list of cues, each with its words where we know their
timings. It is written as WebVTT (cues of at most two lines of about 42
characters and about 7 seconds, per common captioning practice), SRT, the
Podcasting 2.0 JSON format (a segment per word where word timings exist, as
apps use it for word highlighting; a segment per cue otherwise) and plain
text. Presenter corrections are read from VTT, SRT or plain text; plain text
is re-timed against the machine transcript's words.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from station.errors import CorrectionError

LINE_CHARS = 42
CUE_CHARS = 2 * LINE_CHARS
CUE_SECONDS = 7.0
REDACTED = "[redacted]"


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str  # with its leading space when it starts a new word, as Whisper gives it


def join(words: Iterable[Word]) -> str:
    return "".join(w.text for w in words).strip()


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    cues: tuple[Cue, ...]
    language: str
    source: str = "machine"  # machine | presenter
    speaker: str | None = None  # the credited name when one presenter speaks
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def words(self) -> list[Word]:
        return [w for c in self.cues for w in c.words]

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cues)

    # ------------------------------------------------------------ to and from the cache
    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "source": self.source,
            "speaker": self.speaker,
            "cues": [
                {"start": c.start, "end": c.end, "text": c.text, "words": [[w.start, w.end, w.text] for w in c.words]}
                for c in self.cues
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            tuple(Cue(c["start"], c["end"], c["text"], tuple(Word(*w) for w in c["words"])) for c in data["cues"]),
            data["language"],
            data.get("source", "machine"),
            data.get("speaker"),
        )


# ---------------------------------------------------------------- building cues


def from_segments(segments: list[dict[str, Any]], language: str) -> Transcript:
    """Machine segments (faster-whisper) → cues sized for reading."""
    words = [Word(w["start"], w["end"], w["text"]) for s in segments for w in s["words"]]
    if not words:  # no word timings: keep the segments as they are
        return Transcript(tuple(Cue(s["start"], s["end"], s["text"]) for s in segments if s["text"]), language)
    return Transcript(tuple(cues_from_words(words)), language)


def cues_from_words(words: list[Word]) -> list[Cue]:
    cues: list[Cue] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            cues.append(Cue(current[0].start, current[-1].end, join(current), tuple(current)))
            current.clear()

    for word in words:
        if current:
            text = join(current)
            too_long = len(text) + 1 + len(word.text) > CUE_CHARS
            too_slow = word.end - current[0].start > CUE_SECONDS
            pause = word.start - current[-1].end > 1.2
            sentence_done = current[-1].text.rstrip().endswith((".", "?", "!")) and len(text) > LINE_CHARS / 2
            if too_long or too_slow or pause or sentence_done:
                flush()
        current.append(word)
    flush()
    return cues


def wrap(text: str) -> list[str]:
    """At most two balanced lines of about LINE_CHARS."""
    if len(text) <= LINE_CHARS:
        return [text]
    words = text.split()
    best, best_score = [text], None
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        score = (max(len(a), len(b)) > LINE_CHARS, abs(len(a) - len(b)))
        if best_score is None or score < best_score:
            best, best_score = [a, b], score
    return best


# ---------------------------------------------------------------- writing


def _clock(seconds: float, sep: str) -> str:
    ms = round(max(0.0, seconds) * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02}:{m:02}:{s:02}{sep}{ms:03}"


def to_vtt(t: Transcript) -> str:
    out = ["WEBVTT", ""]
    for cue in t.cues:
        lines = wrap(cue.text)
        if t.speaker:
            lines[0] = f"<v {html.escape(t.speaker, quote=False)}>{html.escape(lines[0], quote=False)}"
            lines[1:] = [html.escape(line, quote=False) for line in lines[1:]]
        else:
            lines = [html.escape(line, quote=False) for line in lines]
        out += [f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}", *lines, ""]
    return "\n".join(out)


def to_srt(t: Transcript) -> str:
    out: list[str] = []
    for i, cue in enumerate(t.cues, 1):
        out += [str(i), f"{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}", *wrap(cue.text), ""]
    return "\n".join(out)


def to_json(t: Transcript) -> str:
    """Podcasting 2.0 JSON transcript (version 1.0.0)."""
    segments = []
    for cue in t.cues:
        for unit in cue.words or (Word(cue.start, cue.end, cue.text),):
            seg = {"startTime": round(unit.start, 3), "endTime": round(unit.end, 3), "body": unit.text.strip()}
            if t.speaker:
                seg = {"speaker": t.speaker, **seg}
            segments.append(seg)
    # One segment a line: readable, and far smaller than indented JSON.
    lines = ",\n".join(json.dumps(seg, ensure_ascii=False, separators=(",", ":")) for seg in segments)
    return f'{{"version":"1.0.0","segments":[\n{lines}\n]}}\n'


def to_text(t: Transcript) -> str:
    """Plain text in paragraphs, a new one at each long pause."""
    paragraphs: list[str] = []
    current: list[str] = []
    last_end: float | None = None
    for cue in t.cues:
        if current and last_end is not None and cue.start - last_end > 2.0:
            paragraphs.append(" ".join(current))
            current = []
        current.append(cue.text)
        last_end = cue.end
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) + "\n"


FORMATS = {".vtt": to_vtt, ".srt": to_srt, ".json": to_json, ".txt": to_text}


# ---------------------------------------------------------------- reading corrections


_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE_TIMES = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def parse_timed(text: str) -> list[Cue]:
    """Cues from WebVTT or SRT text; tags such as <v Name> are removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        for i, line in enumerate(lines):
            m = _CUE_TIMES.match(line)
            if m:
                start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
                body = " ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in lines[i + 1 :])
                if end < start:
                    raise CorrectionError(f"a cue ends before it starts ({line.strip()})")
                if body:
                    cues.append(Cue(start, end, re.sub(r"\s+", " ", body)))
                break
    if not cues:
        raise CorrectionError("no timed cues were found in it")
    return cues


def _norm(token: str) -> str:
    return re.sub(r"[^\w']+", "", token.lower())


def retime(text: str, machine: Transcript) -> list[Cue]:
    """A plain-text correction, timed by aligning its words with the machine transcript's."""
    words = text.split()
    if not words:
        raise CorrectionError("it is empty")
    known = machine.words
    if not known:
        raise CorrectionError("there is no machine transcript with word timings to time it against")
    matcher = difflib.SequenceMatcher(a=[_norm(w.text) for w in known], b=[_norm(w) for w in words], autojunk=False)
    times: list[tuple[float, float] | None] = [None] * len(words)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(b1 - b0):
                times[b0 + k] = (known[a0 + k].start, known[a0 + k].end)
        elif tag == "replace" and a1 > a0:
            # Spread the corrected words over the time the machine's words took.
            start, end = known[a0].start, known[a1 - 1].end
            step = (end - start) / (b1 - b0)
            for k in range(b1 - b0):
                times[b0 + k] = (start + k * step, start + (k + 1) * step)
    filled = _fill_gaps(times)
    return cues_from_words([Word(s, e, " " + w) for (s, e), w in zip(filled, words, strict=True)])


def _fill_gaps(times: list[tuple[float, float] | None]) -> list[tuple[float, float]]:
    """Words the machine never heard get the time between their neighbours."""
    filled: list[tuple[float, float]] = []
    i, n = 0, len(times)
    while i < n:
        here = times[i]
        if here is not None:
            filled.append(here)
            i += 1
            continue
        j = i
        while j < n and times[j] is None:
            j += 1
        following = times[j] if j < n else None
        before = filled[-1][1] if filled else (following[0] if following is not None else 0.0)
        after = following[0] if following is not None else before + 0.3 * (j - i)
        step = max(0.0, after - before) / (j - i)
        filled += [(before + k * step, before + (k + 1) * step) for k in range(j - i)]
        i = j
    return filled


# ---------------------------------------------------------------- redaction


@dataclass(frozen=True)
class Redaction:
    transcript: Transcript  # with every occurrence shown as [redacted]
    spans: tuple[tuple[float, float], ...]  # audio to hide, in seconds
    found: dict[str, int]  # term → occurrences hidden


def _similar(a: str, b: str) -> bool:
    # A name misheard by one letter ("Crawly") is still that name: better to hide a near miss.
    if a == b:
        return True
    return len(a) >= 5 and difflib.SequenceMatcher(a=a, b=b).ratio() >= 0.8


def redact(t: Transcript, terms: list[str], margin_s: float) -> Redaction:
    found = dict.fromkeys(terms, 0)
    spans: list[tuple[float, float]] = []
    cues = list(t.cues)
    for term in terms:
        parts = [_norm(p) for p in term.split() if _norm(p)]
        if not parts:
            continue
        new_cues: list[Cue] = []
        for cue in cues:
            words = list(cue.words)
            i = 0
            hits: list[tuple[int, int]] = []
            while i + len(parts) <= len(words):
                if all(_similar(_norm(words[i + k].text), parts[k]) for k in range(len(parts))):
                    hits.append((i, i + len(parts)))
                    i += len(parts)
                else:
                    i += 1
            for a, b in reversed(hits):
                lead = words[a].text[: len(words[a].text) - len(words[a].text.lstrip())]
                trail = re.sub(r"^.*?([^\w']*)$", r"\1", words[b - 1].text.rstrip())  # keep the punctuation after it
                spans.append((max(0.0, words[a].start - margin_s), words[b - 1].end + margin_s))
                words[a:b] = [Word(words[a].start, words[b - 1].end, lead + REDACTED + trail)]
            found[term] += len(hits)
            text = join(words) if words else _redact_text(cue.text, term, found)
            new_cues.append(replace(cue, text=text, words=tuple(words)))
        cues = new_cues
    return Redaction(replace(t, cues=tuple(cues)), tuple(merge_spans(spans)), found)


def _redact_text(text: str, term: str, found: dict[str, int]) -> str:
    pattern = re.compile(r"(?<![\w'])" + r"\s+".join(map(re.escape, term.split())) + r"(?![\w'])", re.IGNORECASE)
    text, n = pattern.subn(REDACTED, text)
    found[term] += n
    return text


def redact_text_only(t: Transcript, terms: list[str]) -> Transcript:
    """A presenter's correction has no word timings: hide the terms in its text (the audio uses the machine's)."""
    counts = dict.fromkeys(terms, 0)
    cues = t.cues
    for term in terms:
        cues = tuple(replace(c, text=_redact_text(c.text, term, counts), words=()) for c in cues)
    return replace(t, cues=cues)


def merge_spans(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
