"""Playout: a night's running order, in real time, as one stream that never goes silent.

One Python loop decodes each item of the running order (ffmpeg, the prepared
MP3 from the build's cache) to PCM and sends it, paced by the clock, to one
encoder per output: MP3 to an Icecast mount, AAC segments and a rolling
playlist for HLS under site/live/. Audio is encoded once per output, never
per listener; a listener is Icecast's or the web server's business.

- The clock is passed in, so a test or a rehearsal can play a night that
  "starts" whenever it likes, at real speed.
- Position is counted in samples from the night's start, so the stream stays
  on the running order's clock; a late start joins at the right point.
- A missing, unreadable or withdrawn file, one that ends early, or silence
  of `silence_max_s` or longer hands the rest of its slot to standby material
  (the night's beds and standby files; last of all a quiet tone), so the slot
  still ends on time and there is no dead air. Decoding runs `silence_max_s`
  ahead of what is sent, so a silent stretch goes to standby before any of it
  airs; an item's title goes out with its first audio. So does an episode whose
  withdrawal cannot be checked (the ledger locked or damaged): to be safe it
  is treated as withdrawn, and the night goes on.
- An output that drops (Icecast restarting) is reconnected after `retry_s`;
  the others go on.
- The running order is read again at each item, so a withdrawal, a pause or
  a schedule edit reaches the air at the next item.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as Date
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from station.catalog.model import CONTENT_NOTES
from station.config import (
    CHECK_EVERY_S,
    DECODER_EXIT_S,
    ENCODER_EXIT_S,
    ENCODER_REASON_S,
    LIVE_FADE_MS,
    LIVE_STALL_S,
    OUTPUT_BACKLOG_S,
    OUTPUT_CLOSE_S,
    OUTPUT_QUICK_S,
    OUTPUT_QUICK_TRIES,
    SHORT_END_S,
    STDERR_DRAIN_S,
    TITLE_ATTEMPTS,
    TITLE_RETRY_S,
    TITLE_TIMEOUT_S,
    Config,
    PublishSettings,
    StreamSettings,
)
from station.errors import IcecastError, StreamSetupError
from station.files import write_text
from station.radio import hls, hls_publish, live
from station.radio.playlist import LiveSpan, Night, Slot
from station.tools import ffmpeg, icecast

RATE = 44100
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS  # s16le
CHUNK_FRAMES = RATE // 10  # 100 ms: the pacing and silence-detection step
DUCK_S = 0.4  # a bed under an ident or signposting goes down, and out at its end, over this long
ENDED = "it ended before its slot did"
WITHDRAWN = "it was withdrawn after the night was put together"
UNCHECKED = "its withdrawal could not be checked"
LIVE = "the presenter came on air"

log = logging.getLogger("station.stream")


class Clock(Protocol):
    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class ShiftedClock(SystemClock):
    """The real clock's pace from a chosen starting time: for rehearsals and tests."""

    def __init__(self, starts_at: datetime):
        self.starts_at = starts_at
        self.origin = time.monotonic()

    def now(self) -> datetime:
        return self.starts_at + timedelta(seconds=time.monotonic() - self.origin)


# ---------------------------------------------------------------- outputs
class Output:
    """One encoder process, fed PCM by its own thread so a slow or dead output never holds the others."""

    name = "output"

    def __init__(self, settings: StreamSettings, backlog_s: float = OUTPUT_BACKLOG_S):
        self.settings = settings
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=max(1, int(backlog_s * 10)))
        self.process: ffmpeg.Process | None = None
        self.thread = threading.Thread(target=self._pump, name=f"{self.name}-writer", daemon=True)
        self.dropped_s = 0.0
        self.restarts = 0
        self.failure: str | None = None
        self.closing = False

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> Output:
        self.thread.start()
        return self

    def write(self, pcm: bytes) -> None:
        try:
            self.queue.put_nowait(pcm)
        except queue.Full:  # the encoder is stuck or down: this output loses the audio, the others do not
            self.dropped_s += len(pcm) / (RATE * FRAME_BYTES)

    def title(self, text: str) -> None:
        pass

    def close(self, ended: bool = False) -> None:
        """Finish: `ended` when the night is over (not when playout was stopped or failed)."""
        try:
            self.queue.put(None, timeout=self.settings.retry_s)
        except queue.Full:  # the encoder is stuck (a stalled server): stop it, or the night never ends
            self.closing = True
            if self.process is not None:
                self.process.kill()
        self.thread.join(timeout=OUTPUT_CLOSE_S)

    def _spawn(self) -> ffmpeg.Process:
        process = ffmpeg.encoder(RATE, CHANNELS, self.command())
        self.errors = _Tail(process.stderr)
        return process

    def _pump(self) -> None:
        retry_at = spawned_at = 0.0
        quick = 0
        while not self.closing:
            pcm = self.queue.get()
            if pcm is None:
                break
            if self.process is None:
                if time.monotonic() < retry_at:
                    self.dropped_s += len(pcm) / (RATE * FRAME_BYTES)
                    continue
                self.process = self._spawn()
                spawned_at = time.monotonic()
            process = self.process
            try:
                assert process.stdin is not None  # the encoder is made with a pipe to it
                process.stdin.write(pcm)
            except (BrokenPipeError, OSError, ValueError):
                reason = self._reason(process)
                self.failure = reason
                log.warning("%s dropped (%s); reconnecting in %.0f s", self.name, reason, self.settings.retry_s)
                self.process = None
                self.restarts += 1
                # Refused at once (a restarted stream whose old source has not quite left the mount): soon again.
                soon = time.monotonic() - spawned_at < OUTPUT_QUICK_S and quick < OUTPUT_QUICK_TRIES
                quick = quick + 1 if soon else 0
                retry_at = time.monotonic() + (
                    min(OUTPUT_QUICK_S / 4, self.settings.retry_s) if soon else self.settings.retry_s
                )
        if self.process is not None:
            ffmpeg.finish(self.process, timeout_s=ENCODER_EXIT_S)

    def _reason(self, p: ffmpeg.Process) -> str:
        try:
            p.wait(timeout=ENCODER_REASON_S)
        except ffmpeg.StillRunning:
            p.kill()
            p.wait()
        return self.errors.last() or f"the encoder stopped (exit {p.returncode})"


class IcecastOutput(Output):
    name = "Icecast"

    def __init__(self, settings: StreamSettings, password: str, station_name: str, description: str):
        super().__init__(settings)
        assert settings.icecast_url and settings.mount, "made only for a station with [stream] icecast_url"
        self.url, self.mount = settings.icecast_url, settings.mount
        self.password, self.station_name, self.description = password, station_name, description
        self.titles: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._send_titles, name="icecast-titles", daemon=True).start()

    def command(self) -> list[str]:
        s = self.settings
        # The source password is in ffmpeg's arguments: visible to this machine's own users only.
        return [
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{s.mp3_kbps}k",
            "-content_type",
            "audio/mpeg",
            "-ice_name",
            self.station_name,
            "-ice_description",
            self.description,
            "-ice_public",
            "0",
            "-f",
            "mp3",
            icecast.source_url(self.url, s.icecast_user, self.password),
        ]

    def title(self, text: str) -> None:
        self.titles.put(text)

    def _send_titles(self) -> None:
        s = self.settings
        checked = False
        while True:
            text = self.titles.get()
            while not self.titles.empty():  # only the latest matters
                text = self.titles.get()
            for _ in range(TITLE_ATTEMPTS):
                try:
                    icecast.set_title(self.url, self.mount, s.icecast_user, self.password, text, TITLE_TIMEOUT_S)
                except IcecastError as exc:
                    log.info("title not updated yet: %s", exc)
                    time.sleep(TITLE_RETRY_S)
                    continue
                if not checked and not text.isascii():
                    checked = self._check_charset(text)
                break

    def _check_charset(self, sent: str) -> bool:
        """Read the first non-ASCII title back: a mount left in ISO-8859-1 shows "&#8212;" or "â\x80\x94" for
        an em dash. True once it could be checked (said once, not at every title)."""
        shown = None
        for _ in range(TITLE_ATTEMPTS * 4):  # Icecast's status catches up with an update a moment later
            try:
                shown = icecast.mount_title(self.url, self.mount, TITLE_TIMEOUT_S)
            except IcecastError as exc:
                log.info("could not read back the title: %s", exc)
                return False
            if shown == sent or not self.titles.empty():
                return True
            time.sleep(TITLE_RETRY_S / 4)
        if shown is None:
            return False
        if shown != sent:
            log.warning(
                "Icecast shows the title “%s” as “%s”: the mount %s is not set to UTF-8, so radio apps garble "
                "titles — add <charset>UTF-8</charset> to its <mount> in icecast.xml (docs/deploy.md)",
                sent,
                shown,
                self.mount,
            )
        return True


class HlsOutput(Output):
    """AAC in MPEG-TS segments cut by ffmpeg; the playlist kept by radio/hls.py, closed only when the night ends."""

    name = "HLS"

    def __init__(self, settings: StreamSettings, folder: Path, publish: PublishSettings | None = None):
        super().__init__(settings)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / settings.hls_name
        self.stem = settings.hls_name[: -len(".m3u8")]
        window = max(2, settings.hls_window_s // settings.hls_segment_s)
        self.playlist = hls.load(self.path, settings.hls_segment_s, window)
        self.lock = threading.Lock()
        self.readers: list[threading.Thread] = []
        self.publisher: hls_publish.Publisher | None = None
        if settings.hls_publish and publish is not None:
            self.publisher = hls_publish.Publisher(settings, publish, folder)

    def command(self) -> list[str]:
        s = self.settings
        run = f"{time.time_ns() // 1_000_000}"  # rising across restarts and nights: a name is never reused
        return [
            "-c:a",
            "aac",
            "-b:a",
            f"{s.aac_kbps}k",
            "-f",
            "segment",
            "-segment_time",
            str(s.hls_segment_s),
            "-segment_format",
            "mpegts",
            "-segment_list",
            "pipe:1",
            "-segment_list_type",
            "csv",
            "-segment_list_flags",
            "live",
            str(self.folder / f"{self.stem}-{run}-%05d.ts"),
        ]

    def _spawn(self) -> ffmpeg.Process:
        with self.lock:
            self.playlist.new_run()
        process = ffmpeg.encoder(RATE, CHANNELS, self.command(), listing=True)
        self.errors = _Tail(process.stderr)
        reader = threading.Thread(target=self._list, args=(process, datetime.now(UTC)), name="hls-list", daemon=True)
        reader.start()
        self.readers.append(reader)
        return process

    def _list(self, process: ffmpeg.Process, started: datetime) -> None:
        """Each segment ffmpeg finishes ("night-1-00003.ts,6.013967,8.010889") goes into the playlist."""
        assert process.stdout is not None  # made with listing=True
        for raw in iter(process.stdout.readline, b""):
            try:
                name, start, end = raw.decode("utf-8", "replace").strip().rsplit(",", 2)
                duration = float(end) - float(start)
            except ValueError:
                continue
            segment = hls.Segment(Path(name).name, duration, date=started + timedelta(seconds=float(start)))
            self._add(segment)
        process.stdout.close()

    def _add(self, segment: hls.Segment) -> None:
        with self.lock:
            self.playlist.add(segment)
            hls.save(self.path, self.playlist)
            gone = self.playlist.to_delete()
            hls.sweep(self.folder, gone)
            if self.publisher is not None:  # the segment before the playlist that lists it
                self.publisher.put(segment.uri)
                self.publisher.put(self.path.name)
                for name in gone:
                    self.publisher.delete(name)

    def also_publish(self, name: str) -> None:
        """Another file of live/ (now.json) for the bucket, when HLS goes there."""
        if self.publisher is not None:
            self.publisher.put(name)

    def close(self, ended: bool = False) -> None:
        super().close(ended)
        for reader in self.readers:
            reader.join(timeout=OUTPUT_CLOSE_S)
        if ended:
            with self.lock:
                self.playlist.close()
                hls.save(self.path, self.playlist)
                if self.publisher is not None:
                    self.publisher.put(self.path.name)
        if self.publisher is not None:
            self.publisher.close()


def check_outputs(config: Config) -> str | None:
    """The Icecast source password, when there is an Icecast. Raises StreamSetupError when the outputs station.toml
    asks for cannot be made."""
    s = config.settings.stream
    password = None
    if s.icecast_url:
        password = os.environ.get(s.password_env)
        if not password:
            raise StreamSetupError(
                f"the Icecast source password is not set — put it in the environment variable "
                f"{s.password_env} (station.toml never holds it)"
            )
    if not s.icecast_url and not s.hls:
        raise StreamSetupError("there is nowhere to send the stream — set [stream] icecast_url, or hls = true")
    if s.hls_publish and (not s.hls or config.settings.publish is None):
        raise StreamSetupError(
            "[stream] hls_publish sends HLS to the bucket, so it needs hls = true and a [publish] table with the "
            "bucket — add them, or set hls_publish = false"
        )
    return password


def outputs_for(config: Config, site_dir: Path | None = None) -> list[Output]:
    """The outputs station.toml asks for. Raises StreamSetupError when one cannot be made."""
    s = config.settings.stream
    password = check_outputs(config)
    made: list[Output] = []
    if s.icecast_url and password:
        st = config.settings.station
        made.append(IcecastOutput(s, password, st.name, st.description or st.name))
    if s.hls:
        made.append(HlsOutput(s, (site_dir or config.site_dir) / "live", config.settings.publish))
    return made


# ---------------------------------------------------------------- the player
@dataclass
class Report:
    """What a night's playout did: for the log, the daemon and the tests."""

    night: Date | None = None
    played: list[tuple[str, str]] = field(default_factory=list)  # (clock time, title)
    standby: list[tuple[str, str]] = field(default_factory=list)  # (title, why standby took over)
    seconds: float = 0.0
    live: list[tuple[str, str]] = field(default_factory=list)  # (clock time, "on" | "off"): live hand-overs
    handovers_ms: list[float] = field(default_factory=list)  # live audio stopping → standby's first audio
    comebacks_ms: list[float] = field(default_factory=list)  # the presenter's audio arriving → on air
    recordings: list[Path] = field(default_factory=list)  # live shows recorded


class Player:
    def __init__(
        self,
        config: Config,
        outputs: list[Output],
        clock: Clock | None = None,
        running_order: Callable[[Date], Night | None] | None = None,
        is_withdrawn: Callable[[str], bool] | None = None,
    ):
        from station.radio import nights

        self.config, self.settings = config, config.settings.stream
        self.outputs = outputs
        self.clock = clock or SystemClock()
        self.running_order = running_order or nights.Follower(config, lambda: self.clock.now())
        self.is_withdrawn = is_withdrawn or self._withdrawn_in_records
        self.stopping = threading.Event()
        self.report = Report()
        self._turn = 0
        self._overlap: _Overlap | None = None
        self._crossfade = self.settings.crossfade_s
        self.live = config.site_dir / "live"
        self.station_name = config.settings.station.name
        self._source: live.Source | None = None
        self._recorder: live.Recorder | None = None
        self._left_live = 0.0  # when live audio last stopped (monotonic), for the hand-over time

    def stop(self) -> None:
        self.stopping.set()

    def _withdrawn_in_records(self, guid: str) -> bool:
        """Asked before each episode: a withdrawal made since the night was put together counts at once.
        Raises when the station's records cannot be read (damaged, unreadable); `_withdrawal` decides what
        that means. They are written whole and renamed into place, so reading never waits on a writer."""
        from station.records import Records

        return Records.of(self.config, read_only=True).withdrawn(guid) is not None

    def play(self, night: Date) -> Report:
        """Play `night` from where the clock says it is until its window ends (or `stop()`)."""
        order = self.running_order(night)
        if order is None:
            raise StreamSetupError(f"no schedule covers the night of {night}")
        self.report.night = night
        self.night_start = order.start
        if order.live and not live.listen_url(self.config):
            log.warning(
                "tonight has live blocks, but presenters connect to Icecast and there is none ([stream] icecast_url): "
                "the running order plays in their place"
            )
        for out in self.outputs:
            out.start()
        ended = False
        try:
            wait = (order.start - self.clock.now()).total_seconds()
            if wait > 0:
                log.info("the night of %s starts at %s; waiting %.0f s", night, f"{order.start:%H:%M}", wait)
                self._sleep_until(order.start)
            self.position = max(0.0, (self.clock.now() - order.start).total_seconds())
            self.frames = 0
            self.base = self.position
            if self.position > 0.5:
                log.info("joining the night %.0f s after it started", self.position)
            while not self.stopping.is_set():
                order = self.running_order(night) or order
                if self.position >= order.length_s - 0.001:
                    break
                index = order.at(self.position)
                if index is None:
                    break
                span = order.live_at(self.position)
                if span is not None and live.listen_url(self.config):
                    self._play_live(order, span)
                    continue
                slot = order.slots[index]
                self._play_slot(order, slot)
            if self.stopping.is_set():
                log.info("stopped at %s", f"{order.clock(self.position):%H:%M:%S}")
            else:
                log.info("the night of %s has ended", night)
                ended = True
                self._now(
                    {"on_air": False, "night": night.isoformat(), "ended": order.clock(order.length_s).isoformat()}
                )
        finally:
            self._drop_overlap()
            self._end_live()
            for out in self.outputs:
                out.close(ended)
        return self.report

    # ---------------------------------------------------------------- one slot
    def _play_slot(self, order: Night, slot: Slot, interrupt: Callable[[], bool] | None = None) -> None:
        """Play `slot` from where the night is; standby for what it cannot fill. `interrupt`: stop as soon as it
        says so (a presenter came on air) and leave the rest of the slot."""
        end = slot.end_s
        into = self.position - slot.start_s
        started = f"{order.clock(self.position):%H:%M:%S}"
        label = slot.title + (f" — {slot.show_title}" if slot.show_title else "")
        why = self._withdrawal(slot.guid, label) if slot.guid else None
        if why is None and (not slot.audio or not (self.config.root / slot.audio).is_file()):
            why = "its file is missing"
        if why is None:
            self.report.played.append((started, label))
            log.info("%s playing %s (%s, %.0f s)", started, label, slot.kind, end - self.position)
            why = self._decode(
                self.config.root / slot.audio,
                slot.from_s + into,
                end,
                watch=slot.guid is not None,
                on_air=lambda: self._on_air(order, label, slot, end),
                then=None if interrupt else self._under(order, slot),
                interrupt=interrupt,
            )
        if why == LIVE:
            return
        if why is not None and self.position < end - 0.001:
            log.warning("%s: %s — standby plays until %s", label, why, f"{order.clock(end):%H:%M:%S}")
            self.report.standby.append((label, why))
            self._standby(order, end, interrupt)

    def _under(self, order: Night, slot: Slot) -> Slot | None:
        """The next slot, when this one is a music bed that goes on into it: a crossfade into another bed, or
        ducked under an ident or signposting. Never into or out of speech (an episode, an announcement)."""
        if slot.kind != "bed" or self._crossfade_s(order, slot) <= 0:
            return None
        index = order.at(slot.end_s)
        after = order.slots[index] if index is not None else None
        if after is None or abs(after.start_s - slot.end_s) > 0.001 or after.kind not in ("bed", "ident", "signpost"):
            return None
        self._crossfade = self._crossfade_s(order, slot)
        return after

    def _crossfade_s(self, order: Night, slot: Slot) -> float:
        """The block's own `crossfade_s` (schedule), else [stream] crossfade_s."""
        return order.crossfades.get(slot.block, self.settings.crossfade_s)

    def _drop_overlap(self) -> None:
        if self._overlap is not None:
            self._overlap.close()
            self._overlap = None

    def _join(self, pcm: bytes, frames: int, start: int, end: int) -> bytes:
        """Fades and overlaps for audio about to be sent from frame `self.frames` on: the item (decoded from
        frame `start`, cut at frame `end`) fades in and out over `fade_ms`, and the bed before it (an
        `_Overlap`) is mixed in. Gains are worked out per frame of the night, so every join falls on the
        running order's clock to the sample."""
        f0 = self.frames
        fade = round(self.settings.fade_ms * RATE / 1000)
        overlap = self._overlap
        edges = fade and (f0 < start + fade or f0 + frames > end - fade)
        if overlap is None and not edges:
            return pcm
        at = np.arange(f0, f0 + frames, dtype=np.float64)
        gain = np.ones(frames)
        if fade:
            gain *= np.clip((at - start + 1) / fade, 0.0, 1.0) * np.clip((end - at) / fade, 0.0, 1.0)
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, CHANNELS)
        if overlap is not None:
            if overlap.crossfade:  # this bed comes in as the last goes out: equal power
                gain *= np.sin(np.pi / 2 * np.clip((at - overlap.start) / overlap.length, 0.0, 1.0))
            x = x * gain[:, None].astype(np.float32) + overlap.mix(at)
            if overlap.done(f0 + frames):
                self._drop_overlap()
        else:
            x = x * gain[:, None].astype(np.float32)
        return np.clip(x, -32768, 32767).astype("<i2").tobytes()

    def _withdrawal(self, guid: str, label: str) -> str | None:
        """Why this episode must not air, if it must not. When the check itself fails, the episode is kept off
        air to be safe: airing a withdrawn voice is the one thing worse than a slot of standby."""
        try:
            withdrawn = self.is_withdrawn(guid)
        except Exception as exc:  # a locked or damaged ledger, or a bug: the night goes on
            log.error(
                "%s: could not check whether it was withdrawn (%s: %s); to be safe it stays off air "
                "and standby plays its slot",
                label,
                type(exc).__name__,
                exc,
            )
            return UNCHECKED
        return WITHDRAWN if withdrawn else None

    def _standby(self, order: Night, end: float, interrupt: Callable[[], bool] | None = None) -> bool:
        """Fill to `end` from the night's standby sound, one file after another; a tone if none will play.
        False when `interrupt` cut it short."""
        files = [self.config.root / a for a in order.fallback if a]
        tries = 0
        while self.position < end - 0.001 and not self.stopping.is_set():
            if files and tries < len(files):
                path = files[self._turn % len(files)]
                self._turn += 1
                tries += 1
                if not path.is_file():
                    continue
                why = self._decode(
                    path,
                    0.0,
                    end,
                    watch=False,
                    on_air=lambda: self._on_air(order, self.station_name, None, end),
                    interrupt=interrupt,
                )
                if why == LIVE:
                    return False
                if why is None or why == ENDED:  # it played: the next file goes on where it stopped
                    tries = 0
                else:
                    log.warning("standby %s: %s", path.name, why)
                continue
            log.warning("no standby sound would play: a quiet tone until %s", f"{order.clock(end):%H:%M:%S}")
            if self._decode(None, 0.0, end, watch=False, interrupt=interrupt) == LIVE:
                return False
        return True

    def _decode(
        self,
        path: Path | None,
        seek_s: float,
        end: float,
        watch: bool,
        on_air: Callable[[], None] | None = None,
        then: Slot | None = None,
        interrupt: Callable[[], bool] | None = None,
    ) -> str | None:
        """Send `path` from `seek_s` until the night's position reaches `end`; None if it all played,
        else why it stopped early (the position is where it stopped). `on_air` is called with the first
        audio actually sent (the title, now.json), so an item that never airs never shows its title.

        Decoding runs `silence_max_s` (and a little) ahead of what is sent: a stretch of silence that long
        is seen whole before any of it airs, and standby takes over where it begins.

        `then`: the slot this one (a music bed) goes on into; when it played to its end, its decoder is kept
        as an `_Overlap` and mixed under that slot (`_join`). `interrupt`: asked before each 100 ms is sent;
        when it says so, LIVE is returned at once (a presenter is on air)."""
        want = self._frames_until(end)
        if want <= 0:
            return None
        start_frame, end_frame = self.frames, self.frames + want
        fade_to = end_frame if then is None else end_frame + 10 * RATE  # a bed going on under the next: no fade out
        # The last resort is a soft tone, well above what counts as silence (sine's own peak is -18 dBFS).
        tone_db = min(-12.0, self.settings.silence_db + 15 + 18)
        proc = (
            ffmpeg.decoder(path, seek_s, RATE, CHANNELS)
            if path is not None
            else ffmpeg.tone(220, tone_db, RATE, CHANNELS)
        )
        errors = _Tail(proc.stderr)
        threshold = 32768 * 10 ** (self.settings.silence_db / 20)
        too_long = round(self.settings.silence_max_s * RATE)  # frames of silence that make a gap
        lookahead = too_long + CHUNK_FRAMES
        ahead: collections.deque[tuple[bytes, bool]] = collections.deque()  # (pcm, silent), decoded, not sent
        buffered = 0
        checked = time.monotonic()
        why = None
        ended: str | None = None  # set when the decoder has no more: "" (all of it), ENDED or an error
        try:
            while not self.stopping.is_set():
                while ended is None and want > 0 and buffered < lookahead:
                    n = min(CHUNK_FRAMES, want)
                    pcm = _read(proc.stdout, n * FRAME_BYTES)
                    if not pcm:
                        proc.wait(timeout=DECODER_EXIT_S)
                        if proc.returncode:
                            error = errors.last()
                            ended = "it could not be read" + (f" ({error})" if error else "")
                        elif want <= SHORT_END_S * RATE:
                            # MP3 padding: a file a few frames shorter than measured is not worth standby.
                            ahead.append((bytes(want * FRAME_BYTES), False))
                            buffered += want
                            want = 0
                        else:
                            ended = ENDED
                        break
                    frames = len(pcm) // FRAME_BYTES
                    pcm = pcm[: frames * FRAME_BYTES]
                    samples = np.frombuffer(pcm, dtype="<i2")
                    silent = (
                        path is not None
                        and samples.size > 0
                        and int(np.abs(samples.astype(np.int32)).max()) < threshold
                    )
                    ahead.append((pcm, silent))
                    buffered += frames
                    want -= frames
                if path is not None and _silent_for(ahead, too_long):
                    why = f"it was silent for more than {self.settings.silence_max_s:g} seconds"
                    break
                if not ahead:
                    why = ended or None
                    break
                if interrupt is not None and interrupt():
                    why = LIVE
                    break
                pcm, _ = ahead.popleft()
                frames = len(pcm) // FRAME_BYTES
                buffered -= frames
                pcm = self._join(pcm, frames, start_frame, fade_to)
                if on_air is not None:
                    on_air()
                    on_air = None
                    if self._left_live:  # the first audio after a presenter dropped: how long the air waited
                        self.report.handovers_ms.append((time.monotonic() - self._left_live) * 1000)
                        self._left_live = 0.0
                self._send(pcm, frames)
                if watch and path is not None and time.monotonic() - checked > CHECK_EVERY_S:
                    checked = time.monotonic()
                    if not path.exists():
                        why = "it was withdrawn while playing"
                        break
        finally:
            if then is not None and why is None and not self.stopping.is_set() and self.frames == end_frame:
                self._drop_overlap()
                s = self.settings
                crossfade = then.kind == "bed"
                # Never longer than what follows: the overlap ends with it, before any speech.
                length = round((min(self._crossfade, then.duration_s) if crossfade else then.duration_s) * RATE)
                self._overlap = _Overlap(proc, self.frames, length, crossfade, 10 ** (s.duck_db / 20))
            else:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                if proc.stdout is not None:
                    proc.stdout.close()
        return why

    # ---------------------------------------------------------------- a live span
    def _play_live(self, order: Night, span: LiveSpan) -> None:
        """The presenter while their audio arrives; else standby and then the running order under the span
        (live.step), until the span ends. Back to the presenter as soon as their audio comes again."""
        s = self.settings
        url = live.listen_url(self.config)
        assert url is not None  # asked by play()
        if self._source is None or self._source.url != url:
            self._source = live.Source(url)
        source = self._source
        source.start()
        log.info(
            "live: %s, until %s; listening for the presenter on %s",
            span.title,
            f"{order.clock(span.end_s):%H:%M:%S}",
            s.live_mount,
        )
        away_since = time.monotonic()
        wait_s = s.live_grace_s
        while not self.stopping.is_set() and self.position < span.end_s - 0.001:
            order = self.running_order(order.night) or order
            absence = live.Absence(time.monotonic() - away_since, wait_s)
            index = order.at(self.position)
            slot = order.slots[index] if index is not None else None
            mid_item = slot is not None and self.position > slot.start_s + 0.05
            what = live.step(source.ready(), absence, mid_item)
            if what == "live":
                self._relay(order, span, source)
                away_since, wait_s = time.monotonic(), s.live_drop_s
                continue
            if what == "hold":
                if absence.away_s < absence.wait_s:  # waiting for them: standby until the wait is over
                    until = self.position + absence.wait_s - absence.away_s
                else:  # waited long enough, but an item is under way: standby to its end
                    until = slot.end_s if slot is not None else span.end_s
                until = min(max(until, self.position + 0.1), span.end_s)
                self._standby(order, until, interrupt=source.ready)
                continue
            assert slot is not None  # "order" only with an item to play
            self._play_slot(order, slot, interrupt=source.ready)
        self._end_live()

    def _relay(self, order: Night, span: LiveSpan, source: live.Source) -> None:
        """The presenter's audio to every output, as it comes, until it stops or the span ends."""
        self._drop_overlap()
        if source.came_at:
            self.report.comebacks_ms.append((time.monotonic() - source.came_at) * 1000)
        info = live.on_air(self.config, order.night, span.block) or {}
        label = span.label(info.get("presenter_name"))
        self.report.live.append((f"{order.clock(self.position):%H:%M:%S}", "on"))
        log.info("%s on air: %s", f"{order.clock(self.position):%H:%M:%S}", label)
        self._on_air_live(order, span, label, info)
        if info.get("record") and span.show and self._recorder is None:
            self._recorder = live.Recorder(self.config, info, span.title, span.show, order.clock(self.position))
        fade = round(LIVE_FADE_MS * RATE / 1000)
        sent = 0
        while not self.stopping.is_set():
            want = min(CHUNK_FRAMES, self._frames_until(span.end_s))
            if want <= 0:
                return
            pcm = source.take(want, LIVE_STALL_S)
            if not pcm:
                break
            frames = len(pcm) // FRAME_BYTES
            if sent < fade:
                gain = np.clip((np.arange(sent, sent + frames) + 1) / fade, 0.0, 1.0).astype(np.float32)
                x = np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, CHANNELS) * gain[:, None]
                pcm = x.astype("<i2").tobytes()
            sent += frames
            if self._recorder is not None:
                self._recorder.write(pcm)
            self._send(pcm, frames)
        self._left_live = time.monotonic()
        self.report.live.append((f"{order.clock(self.position):%H:%M:%S}", "off"))
        log.warning("%s the presenter's audio stopped: standby", f"{order.clock(self.position):%H:%M:%S}")

    def _on_air_live(self, order: Night, span: LiveSpan, label: str, info: dict[str, Any]) -> None:
        for out in self.outputs:
            out.title(label)
        self._now(
            {
                "on_air": True,
                "live": True,
                "night": order.night.isoformat(),
                "title": span.title,
                "show": None,
                "presenter": info.get("presenter_name"),
                "content_notes": [],
                "until": order.clock(span.end_s).isoformat(timespec="seconds"),
                "ends": order.clock(order.length_s).isoformat(timespec="seconds"),
                "next": _next_item(order, span.end_s),
            }
        )

    def _end_live(self) -> None:
        """A live span is over (or the night stopped): stop listening; a recording goes to the desk."""
        if self._source is not None:
            self._source.stop()
        if self._recorder is not None:
            done = self._recorder.close()
            self._recorder = None
            if done is not None:
                self.report.recordings.append(done)
                log.info("the live show was recorded: %s (the desk takes it in)", done.name)

    def _frames_until(self, end: float) -> int:
        return round((end - self.base) * RATE) - self.frames

    def _send(self, pcm: bytes, frames: int) -> None:
        # Sent no earlier than `lead_s` before it is due on the night's clock.
        due = self.night_start + timedelta(seconds=self.base + self.frames / RATE - self.settings.lead_s)
        self._sleep_until(due)
        for out in self.outputs:
            out.write(pcm)
        self.frames += frames
        self.position = self.base + self.frames / RATE
        self.report.seconds += frames / RATE

    def _sleep_until(self, when: datetime) -> None:
        while not self.stopping.is_set():
            left = (when - self.clock.now()).total_seconds()
            if left <= 0:
                return
            self.clock.sleep(min(left, 0.5))

    def _on_air(self, order: Night, label: str, slot: Slot | None, end: float) -> None:
        """What listeners see as an item's first audio goes out: its title in radio apps and `live/now.json`."""
        for out in self.outputs:
            out.title(label)
        now = {
            "on_air": True,
            "night": order.night.isoformat(),
            "title": slot.title if slot else label,
            "show": slot.show_title if slot else None,
            "content_notes": [CONTENT_NOTES[n] for n in slot.content_notes] if slot else [],
            "until": order.clock(end).isoformat(timespec="seconds"),
            "ends": order.clock(order.length_s).isoformat(timespec="seconds"),
            "next": _next_item(order, end),
        }
        self._now(now)

    def _now(self, now: dict[str, Any]) -> None:
        """live/now.json, beside the HLS playlist: the site's listen control reads it."""
        try:
            write_text(self.live / "now.json", json.dumps(now, ensure_ascii=False, indent=1), hls.PUBLIC_FILE_MODE)
        except OSError as exc:  # a full disk must not stop the night
            log.warning("could not write now.json: %s", exc)
            return
        for out in self.outputs:
            if isinstance(out, HlsOutput):
                out.also_publish("now.json")


def _next_item(order: Night, after_s: float) -> dict[str, Any] | None:
    """The next item listeners would name (an episode, an announcement, standby), from `after_s` on."""
    for slot in order.slots:
        if slot.start_s >= after_s - 0.001 and slot.kind not in ("ident", "signpost", "bed"):
            return {
                "title": slot.title,
                "show": slot.show_title,
                "start": order.clock(slot.start_s).isoformat(timespec="seconds"),
            }
    return None


class _Overlap:
    """A music bed going on past its slot, under what follows: its decoder, still running, read as the next
    item's audio is sent. `crossfade`: out over `length` frames (equal power) as the next bed comes in;
    else ducked under an ident or signposting (down to `duck` over DUCK_S, out over its last DUCK_S)."""

    def __init__(self, proc: ffmpeg.Process, start: int, length: int, crossfade: bool, duck: float):
        self.proc, self.start, self.length, self.crossfade, self.duck = proc, start, max(1, length), crossfade, duck
        self.ended = False

    def mix(self, at: np.ndarray) -> np.ndarray:
        """This bed's audio for the night's frames `at`, its gain applied, as float32 frames."""
        n = len(at)
        pcm = b"" if self.ended else _read(self.proc.stdout, n * FRAME_BYTES)
        if len(pcm) < n * FRAME_BYTES:
            self.ended = True  # the file ran out: the rest is quiet
            pcm = pcm[: len(pcm) // FRAME_BYTES * FRAME_BYTES] + bytes(
                n * FRAME_BYTES - len(pcm) // FRAME_BYTES * FRAME_BYTES
            )
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, CHANNELS)
        t = (at - self.start) / self.length
        if self.crossfade:
            gain = np.cos(np.pi / 2 * np.clip(t, 0.0, 1.0))
        else:
            ramp = DUCK_S * RATE / self.length
            down = self.duck + (1 - self.duck) * np.clip(1 - t / ramp, 0.0, 1.0)
            gain = down * np.clip((1 - t) / ramp, 0.0, 1.0)
        return x * gain[:, None].astype(np.float32)

    def done(self, frame: int) -> bool:
        return self.ended or frame >= self.start + self.length

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class _Tail:
    """Reads a process's stderr as it comes, keeping its last lines: a pipe nobody reads fills up
    (64 KB of "Header missing" from a damaged file) and then ffmpeg and the player wait on each other."""

    def __init__(self, pipe: IO[bytes] | None):
        self.lines: collections.deque[str] = collections.deque(maxlen=5)
        self.thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self.thread.start()

    def _drain(self, pipe: IO[bytes] | None) -> None:
        if pipe is None:  # never: every process here is made with its stderr piped
            return
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").strip()
            if line:
                self.lines.append(line)
        pipe.close()

    def last(self) -> str | None:
        self.thread.join(timeout=STDERR_DRAIN_S)
        return self.lines[-1] if self.lines else None


def _silent_for(ahead: collections.deque[tuple[bytes, bool]], frames: int) -> bool:
    """Does what is waiting to be sent begin with at least `frames` of silence?"""
    run = 0
    for pcm, silent in ahead:
        if not silent:
            return False
        run += len(pcm) // FRAME_BYTES
        if run >= frames:
            return True
    return False


def _read(pipe: IO[bytes] | None, size: int) -> bytes:
    """Exactly `size` bytes, or fewer only at the end of the stream."""
    parts, got = [], 0
    while pipe is not None and got < size:
        block = pipe.read(size - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)
