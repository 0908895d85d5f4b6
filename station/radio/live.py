"""Live presenters: who may be on air when, the hand-over between them and the running order, the live source
playout listens to, and recordings of live shows.

A schedule's `live` block names its presenters by their desk user names. Each has a live password of
their own (the desk makes it, keeps only its hash, and can make a new one); their source client (BUTT,
Mixxx, Larix) connects to `[stream] live_mount` on the station's Icecast, and Icecast asks the desk
(URL authentication, `stream_auth`) whether to let them in: yes only for a presenter of a live block
whose slot is on now, or starts within `[stream] live_lead_in_min` (`booking`). When the desk says yes it
writes who is connecting (`on-air.json`), so playout can name them and knows whether to record.

Playout (radio/stream.py) listens to the live mount like any listener and relays it to every output while
the presenter is there. `step` decides, from moment to moment, what goes out in a live span:

    live       the presenter's audio is arriving
    hold       they are not (yet, or any more): standby, until the grace or drop time is over
    order      they have been away long enough: the running order under the span, from its next item

and the presenter is back on air the moment their audio arrives again, from any of these.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from station.config import LIVE_BACKLOG_S, LIVE_RETRY_S, Config
from station.files import private_dir, write_text
from station.radio.schedule import Schedules
from station.tools import ffmpeg, icecast

RATE = 44100
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS
ON_AIR_FILE = "on-air.json"


# ---------------------------------------------------------------- bookings
@dataclass(frozen=True)
class Booking:
    """A live block as one presenter sees it: when they may be on air."""

    night: Date
    block: str
    title: str
    show: str | None
    starts: datetime
    ends: datetime
    presenters: tuple[str, ...]


def bookings(schedules: Schedules, username: str, now: datetime, days: int = 7) -> list[Booking]:
    """`username`'s live slots that have not ended by `now`, from the night on air to `days` nights on."""
    found = []
    who = username.casefold()
    if not schedules.exists:
        return []
    today = now.astimezone(schedules.files[0].zone).date()
    for n in range(-1, days + 1):
        night = today + timedelta(days=n)
        s = schedules.for_night(night)
        if s is None:
            continue
        start, end = s.window(night)
        for block in s.blocks_for(night):
            if block.live is None or who not in {p.casefold() for p in block.live.presenters}:
                continue
            b0 = start + timedelta(seconds=max(0.0, s.offset_s(night, block.start)))
            b1 = end if block.end == s.data.window.end else start + timedelta(seconds=s.offset_s(night, block.end))
            b1 = min(b1, end)
            if b1 > now and b1 > b0:
                found.append(
                    Booking(
                        night,
                        block.name,
                        block.live.title or block.name,
                        block.live.show,
                        b0,
                        b1,
                        tuple(block.live.presenters),
                    )
                )
    return sorted(found, key=lambda b: b.starts)


def booking_now(schedules: Schedules, username: str, now: datetime, lead_in_min: int) -> Booking | None:
    """The slot `username` may connect for at `now`: on now, or starting within `lead_in_min` minutes."""
    for b in bookings(schedules, username, now, days=1):
        if b.starts - timedelta(minutes=lead_in_min) <= now < b.ends:
            return b
    return None


# ---------------------------------------------------------------- the hand-over
@dataclass(frozen=True)
class Absence:
    """How long the presenter has been away in this span, and how long they are waited for."""

    away_s: float
    wait_s: float  # [stream] live_grace_s before they first came, live_drop_s after a drop


def step(audio: bool, absence: Absence, mid_item: bool) -> str:
    """What goes out now in a live span: "live", "hold" (standby), or "order" (the running order's item)."""
    if audio:
        return "live"
    if absence.away_s < absence.wait_s or mid_item:  # never into the middle of an item: standby to its end
        return "hold"
    return "order"


# ---------------------------------------------------------------- who is on air (written by the desk)
def folder(config: Config) -> Path:
    return config.state_dir / "live"


def recordings_folder(config: Config) -> Path:
    return folder(config) / "recordings"


def mark_on_air(config: Config, booking: Booking, username: str, presenter_name: str, record: bool) -> None:
    """The desk let `username` in: say who it is, for playout's titles and whether to record."""
    data = {
        "username": username,
        "presenter_name": presenter_name,
        "record": record,
        "night": booking.night.isoformat(),
        "block": booking.block,
        "at": time.time(),
    }
    write_text(private_dir(folder(config)) / ON_AIR_FILE, json.dumps(data, ensure_ascii=False))


def on_air(config: Config, night: Date, block: str) -> dict[str, Any] | None:
    """Who the desk last let in for this block of this night, if anyone."""
    try:
        data = json.loads((folder(config) / ON_AIR_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("night") != night.isoformat() or data.get("block") != block:
        return None
    return data


# ---------------------------------------------------------------- Icecast
def source_host(config: Config) -> str | None:
    s = config.settings.stream
    if s.live_source_host:
        return s.live_source_host
    if s.icecast_url:
        return icecast.admin_base(s.icecast_url).split("://", 1)[1]
    return None


def listen_url(config: Config) -> str | None:
    """The live mount as playout hears it."""
    s = config.settings.stream
    return f"{icecast.admin_base(s.icecast_url)}{s.live_mount}" if s.icecast_url else None


def auth_url(config: Config) -> str:
    d = config.settings.desk
    host = "127.0.0.1" if d.host in ("0.0.0.0", "::", "") else d.host
    return f"http://{host}:{d.port}/live/auth"


def icecast_mount(config: Config) -> str:
    """The <mount> for icecast.xml that lets presenters in through the desk (docs/deploy.md)."""
    mount = config.settings.stream.live_mount
    return (
        '<mount type="normal">\n'
        f"  <mount-name>{escape(mount)}</mount-name>\n"
        "  <charset>UTF-8</charset>\n"
        "  <hidden>1</hidden>\n"
        '  <authentication type="url">\n'
        f'    <option name="stream_auth" value="{escape(auth_url(config))}"/>\n'
        "  </authentication>\n"
        "</mount>\n"
    )


# ---------------------------------------------------------------- playout's side
class Source:
    """The live mount, listened to in a thread: its audio as PCM, as it comes. Started for a live span and
    stopped after it, so the rest of the night nothing asks Icecast for it."""

    def __init__(self, url: str):
        self.url = url
        self.chunks: collections.deque[bytes] = collections.deque()
        self.frames = 0
        self.lock = threading.Condition()
        self.stopping = threading.Event()
        self.connected = False
        self.last_audio = 0.0
        self.came_at = 0.0  # when the presenter's audio began arriving this time (monotonic)
        self.connects = 0
        self.thread: threading.Thread | None = None
        self.process: ffmpeg.Process | None = None

    def start(self) -> None:
        if self.thread is None:
            self.stopping.clear()
            self.thread = threading.Thread(target=self._listen, name="live-source", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.thread = None
        with self.lock:
            self.chunks.clear()
            self.frames = 0

    def ready(self, at_least_s: float = 0.3) -> bool:
        """Is the presenter's audio arriving (enough of it waiting to start on)?"""
        with self.lock:
            return self.connected and self.frames >= at_least_s * RATE

    def take(self, frames: int, stall_s: float) -> bytes | None:
        """Up to `frames` of live audio, waiting at most `stall_s` for some; None when none came."""
        deadline = time.monotonic() + stall_s
        with self.lock:
            while not self.chunks:
                left = deadline - time.monotonic()
                if left <= 0 or self.stopping.is_set() or (not self.connected and not self.chunks):
                    return None
                self.lock.wait(min(left, 0.05))
            out, got = [], 0
            while self.chunks and got < frames:
                chunk = self.chunks.popleft()
                n = len(chunk) // FRAME_BYTES
                if got + n > frames:
                    keep = (frames - got) * FRAME_BYTES
                    self.chunks.appendleft(chunk[keep:])
                    chunk, n = chunk[:keep], frames - got
                out.append(chunk)
                got += n
            self.frames -= got
            return b"".join(out)

    def _listen(self) -> None:
        most = int(LIVE_BACKLOG_S * RATE)
        step = RATE // 10 * FRAME_BYTES
        while not self.stopping.is_set():
            if not icecast.has_source(self.url, LIVE_RETRY_S * 4):
                self.stopping.wait(LIVE_RETRY_S)
                continue
            process = self.process = ffmpeg.listener(self.url, RATE, CHANNELS)
            _drain(process)
            assert process.stdout is not None  # made with a pipe
            try:
                while not self.stopping.is_set():
                    pcm = process.stdout.read(step)
                    if not pcm:
                        break
                    pcm = pcm[: len(pcm) // FRAME_BYTES * FRAME_BYTES]
                    with self.lock:
                        if not self.connected:
                            self.connects += 1
                            self.came_at = time.monotonic()
                        self.connected = True
                        self.last_audio = time.monotonic()
                        self.chunks.append(pcm)
                        self.frames += len(pcm) // FRAME_BYTES
                        while self.frames > most and len(self.chunks) > 1:  # Icecast's burst on joining
                            self.frames -= len(self.chunks.popleft()) // FRAME_BYTES
                        self.lock.notify_all()
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                process.stdout.close()
                with self.lock:
                    self.connected = False
                    self.lock.notify_all()
            self.stopping.wait(LIVE_RETRY_S)


def _drain(process: ffmpeg.Process) -> None:
    """Read (and forget) a listener's stderr: "404 Not Found" every half second while nobody is live."""

    def run() -> None:
        if process.stderr is not None:
            for _ in iter(process.stderr.readline, b""):
                pass
            process.stderr.close()

    threading.Thread(target=run, daemon=True).start()


class Recorder:
    """A live show as MP3, for the desk (only when the presenter asked): `.station/live/recordings/`, with
    a note of who and what; the desk takes it in as a new recording waiting for details and consent."""

    def __init__(self, config: Config, info: dict[str, Any], title: str, show: str, started: datetime):
        self.folder = private_dir(recordings_folder(config))
        stamp = f"{started:%Y%m%d-%H%M%S}"
        self.stem = f"{stamp}-{info.get('username', 'live')}"
        self.part = self.folder / f".{self.stem}.part.mp3"
        self.note = {
            "username": info.get("username"),
            "presenter_name": info.get("presenter_name"),
            "title": title,
            "show": show,
            "started": started.isoformat(timespec="seconds"),
        }
        self.seconds = 0.0
        self.process = ffmpeg.encoder(
            RATE, CHANNELS, ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3", "-y", str(self.part)]
        )
        _drain(self.process)

    def write(self, pcm: bytes) -> None:
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(pcm)
            self.seconds += len(pcm) / (RATE * FRAME_BYTES)
        except (BrokenPipeError, OSError, ValueError):
            pass  # a recording that fails never touches the air

    def close(self) -> Path | None:
        ffmpeg.finish(self.process, timeout_s=30)
        if self.seconds < 1 or not self.part.exists():
            self.part.unlink(missing_ok=True)
            return None
        done = self.folder / f"{self.stem}.mp3"
        os.replace(self.part, done)
        write_text(done.with_suffix(".json"), json.dumps(self.note | {"seconds": round(self.seconds, 1)}))
        return done


def finished_recordings(config: Config) -> list[tuple[Path, dict[str, Any]]]:
    """Recordings playout has finished, with their notes, oldest first."""
    out = []
    where = recordings_folder(config)
    for mp3 in sorted(where.glob("*.mp3")) if where.is_dir() else []:
        try:
            note = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(note, dict):
            out.append((mp3, note))
    return out
