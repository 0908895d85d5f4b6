"""The stream's HLS playlist, written by the station itself, never by ffmpeg.

ffmpeg's own HLS muxer closes the playlist (`#EXT-X-ENDLIST`) whenever its
input ends, including when the process feeding it is killed, and players that
see that stop for good. So ffmpeg only cuts segments (its segment muxer lists
each one on stdout as it is finished) and this module keeps the playlist:

- it is rewritten whole and renamed into place after every segment, so a
  player never reads half of one;
- it is closed only when the night has ended (`close()`), never because the
  encoder or the process stopped;
- a new encoder run (an output reconnected, the stream restarted after a
  crash) goes on in the same playlist: its first segment carries
  `#EXT-X-DISCONTINUITY` (its timestamps start again), and media sequence
  numbers go on from the last one, so players that follow the playlist carry
  on after a short gap;
- a playlist the previous night closed starts afresh, its sequence numbers
  still going up, so a player never sees one reused;
- a segment that leaves the window is deleted one window later (players
  that read the playlist just before may still ask for it).

Pure apart from `load`/`save`/`sweep`: the rest is text in, text out, so it is
tested without audio.
"""

from __future__ import annotations

import collections
import contextlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from station.files import write_text

PUBLIC_FILE_MODE = 0o644


@dataclass(frozen=True)
class Segment:
    uri: str
    duration_s: float
    discontinuity: bool = False
    date: datetime | None = None  # EXT-X-PROGRAM-DATE-TIME: when its first sample went out


@dataclass
class Playlist:
    target_s: int
    window: int  # how many segments it lists
    sequence: int = 0  # the media sequence number of the first listed segment
    discontinuities: int = 0  # EXT-X-DISCONTINUITY-SEQUENCE
    segments: list[Segment] = field(default_factory=list)
    ended: bool = False
    expired: collections.deque[str] = field(default_factory=collections.deque)  # out of the window, not yet deleted
    fresh_run: bool = True  # the next segment starts a new encoder run

    @property
    def next_sequence(self) -> int:
        return self.sequence + len(self.segments)

    def new_run(self) -> None:
        """An encoder (re)started: its first segment is a discontinuity, unless it opens the playlist."""
        self.fresh_run = True

    def add(self, segment: Segment) -> None:
        if self.ended:  # the night's playlist was closed: a new one, numbers still rising
            self.expired.extend(s.uri for s in self.segments)
            self.sequence, self.segments, self.ended, self.discontinuities = self.next_sequence, [], False, 0
        if self.fresh_run and self.segments:
            segment = Segment(segment.uri, segment.duration_s, True, segment.date)
        self.fresh_run = False
        self.segments.append(segment)
        while len(self.segments) > self.window:
            gone = self.segments.pop(0)
            self.sequence += 1
            if gone.discontinuity:
                self.discontinuities += 1
            self.expired.append(gone.uri)

    def to_delete(self) -> list[str]:
        """Segments gone from the window for a window's length: safe to delete now."""
        out = []
        while len(self.expired) > self.window:
            out.append(self.expired.popleft())
        return out

    def close(self) -> None:
        self.ended = True

    def render(self) -> str:
        target = max([self.target_s] + [round(s.duration_s) for s in self.segments])
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{target}",
            f"#EXT-X-MEDIA-SEQUENCE:{self.sequence}",
        ]
        if self.discontinuities:
            lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{self.discontinuities}")
        for s in self.segments:
            if s.discontinuity:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f"#EXTINF:{s.duration_s:.6f},")
            if s.date is not None:
                lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{s.date.isoformat(timespec='milliseconds')}")
            lines.append(s.uri)
        if self.ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str, target_s: int, window: int) -> Playlist:
        """A playlist this module wrote (a restart goes on from it). Anything else it cannot read is left
        out: the worst a damaged playlist costs is a fresh one."""
        playlist = cls(target_s, window)
        duration: float | None = None
        discontinuity = False
        date: datetime | None = None
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            tag, _, value = line.partition(":")
            try:
                if tag == "#EXT-X-MEDIA-SEQUENCE":
                    playlist.sequence = int(value)
                elif tag == "#EXT-X-DISCONTINUITY-SEQUENCE":
                    playlist.discontinuities = int(value)
                elif tag == "#EXT-X-DISCONTINUITY":
                    discontinuity = True
                elif tag == "#EXTINF":
                    duration = float(value.split(",", 1)[0])
                elif tag == "#EXT-X-PROGRAM-DATE-TIME":
                    date = datetime.fromisoformat(value.strip())
                elif tag == "#EXT-X-ENDLIST":
                    playlist.ended = True
                elif not line.startswith("#") and duration is not None and math.isfinite(duration):
                    playlist.segments.append(Segment(line, duration, discontinuity, date))
                    duration, discontinuity, date = None, False, None
            except ValueError:
                continue
        playlist.fresh_run = True
        return playlist


def load(path: Path, target_s: int, window: int) -> Playlist:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Playlist(target_s, window)
    return Playlist.parse(text, target_s, window)


def save(path: Path, playlist: Playlist) -> None:
    write_text(path, playlist.render(), PUBLIC_FILE_MODE)


def sweep(folder: Path, names: list[str]) -> None:
    for name in names:
        if "/" not in name and name.endswith(".ts"):
            with contextlib.suppress(OSError):
                (folder / name).unlink()
