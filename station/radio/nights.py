"""Which night it is, and each night's running order, pinned.

A pin (`.station/stream/nights/<date>.json`) keeps the running order a night
was given, with the key of everything it was assembled from. It is both a
cache and the record of what was planned, which is how "no episode repeated
within N nights" knows what earlier nights played. When anything it was made
from changes (a schedule edit, a new or withdrawn episode, a pause), the night
is assembled again, until it has ended; a past night's pin never changes.
A night already on air keeps every slot that has started, exactly as pinned,
and only the rest is assembled again: playout never jumps to another running
order mid-night, and the pin stays the record of what aired. Only a
withdrawal (`forget`) reaches into what has aired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date as Date
from datetime import datetime, timedelta
from pathlib import Path

from station.config import Config
from station.files import sha256_json, write_text
from station.radio import library as library_mod
from station.radio import playlist
from station.radio import schedule as schedule_mod
from station.radio.library import Library
from station.radio.playlist import Night
from station.radio.schedule import Schedules

# Raise when assembly changes, so pinned nights still to come are made again.
# 3: only the stream's own sound (content/stream/) answers a schedule's files, whatever an older library holds.
# 4: live blocks (an ident, the live span with its running order under it, signposting after).
ASSEMBLY_VERSION = 4


def folder(config: Config) -> Path:
    return config.state_dir / "stream" / "nights"


def night_of(schedules: Schedules, now: datetime) -> Date | None:
    """The night on air at `now`, or else the next one to start; None without a schedule."""
    if not schedules.exists:
        return None
    today = now.astimezone(schedules.files[0].zone).date()
    for night in (today - timedelta(days=1), today, today + timedelta(days=1)):
        s = schedules.for_night(night)
        if s is None:
            continue
        _, end = s.window(night)
        if now < end:
            return night
    return None


def on_air(schedules: Schedules, now: datetime) -> Date | None:
    """The night whose window holds `now`; None between nights."""
    night = night_of(schedules, now)
    if night is None:
        return None
    s = schedules.for_night(night)
    if s is None:  # never: night_of gives only a night some schedule covers
        return None
    start, end = s.window(night)
    return night if start <= now < end else None


def history(config: Config, night: Date, nights: int) -> dict[Date, set[str]]:
    """The episodes pinned for each of the `nights` nights before `night`."""
    out: dict[Date, set[str]] = {}
    for back in range(1, nights + 1):
        d = night - timedelta(days=back)
        pinned = _pinned(folder(config) / f"{d.isoformat()}.json")
        if pinned is not None:
            out[d] = {s.guid for s in pinned.slots if s.guid}
    return out


def _pinned(path: Path) -> Night | None:
    """A pin as written, or None when there is none or it cannot be read (then the night is made again)."""
    try:
        return Night.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_order(
    config: Config,
    night: Date,
    *,
    schedules: Schedules | None = None,
    library: Library | None = None,
    now: datetime | None = None,
    pin: bool = True,
) -> Night | None:
    """The night's running order: the pin when nothing it was made from has changed, else assembled anew.

    `pin=False` (preview, check) never writes; `now` keeps a night that has ended as it was pinned, and
    what has aired of a night on air.
    """
    if schedules is None:
        schedules = schedule_mod.load(config)
    if library is None:
        library = library_mod.load(config) or Library()
    s = schedules.for_night(night)
    if s is None:
        return None
    past = history(config, night, s.data.rules.no_repeat_nights)
    key = sha256_json(
        [
            ASSEMBLY_VERSION,
            night.isoformat(),
            schedules.sources,
            library.digest,
            {d.isoformat(): sorted(g) for d, g in past.items()},
        ]
    )
    path = folder(config) / f"{night.isoformat()}.json"
    pinned = _pinned(path)
    if pinned is not None:
        ended = now is not None and now >= pinned.end
        if pinned.key == key or ended:
            return pinned
    made = playlist.assemble(schedules, library, night, past, aired=aired(config, pinned, now))
    if made is None:  # never: assemble finds the same schedule, `s`
        return None
    made.key = key
    if pin:
        write_text(path, made.to_json())
    return made


def aired(config: Config, pinned: Night | None, now: datetime | None) -> Night | None:
    """What of a pinned night has gone out by `now` (the slot playing included); None before it starts."""
    if pinned is None or now is None:
        return None
    # Playout sends audio `lead_s` ahead of the clock, so a slot starting that soon is already on its way.
    sent = now + timedelta(seconds=config.settings.stream.lead_s)
    return pinned.started_by(sent) if sent > pinned.start else None


def forget(config: Config, guid: str) -> list[Date]:
    """A withdrawn episode leaves every pinned running order, past nights included: its slots keep their
    times (so the record of the night still adds up) but no longer say what it was or where its audio is."""
    changed = []
    for path in sorted(folder(config).glob("*.json")):
        night = _pinned(path)
        if night is None:  # a pin that cannot be read cannot be cleaned: it goes, and is made again if needed
            path.unlink(missing_ok=True)
            continue
        if not any(s.guid == guid for s in night.slots):
            continue
        night.slots = [
            replace(
                s,
                title="Withdrawn",
                audio="",
                guid=None,
                show=None,
                show_title=None,
                slug=None,
                credits=(),
                content_notes=(),
            )
            if s.guid == guid
            else s
            for s in night.slots
        ]
        night.key = ""  # a night still to come is assembled again
        write_text(path, night.to_json())
        changed.append(night.night)
    return changed


class Follower:
    """The night's running order as playout needs it before every item: read again only when a file it is
    made from (a schedule, the pause list, the library, the night's pin) has changed since the last time.
    At 10,000 episodes reading everything costs about half a second, against a second of audio sent ahead."""

    def __init__(self, config: Config, clock_now: Callable[[], datetime]):
        self.config, self.now = config, clock_now
        self.stamp: tuple[tuple[object, ...], ...] | None = None
        self.order: Night | None = None

    def __call__(self, night: Date) -> Night | None:
        stamp = self._stamp(night)
        if self.order is None or stamp != self.stamp or self.order.night != night:
            self.order = running_order(self.config, night, now=self.now())
            self.stamp = self._stamp(night)  # after: making the order may have written its pin
        return self.order

    def _stamp(self, night: Date) -> tuple[tuple[object, ...], ...]:
        files = [library_mod.path(self.config), folder(self.config) / f"{night.isoformat()}.json"]
        sched = schedule_mod.folder(self.config)
        if sched.is_dir():
            files += sorted(sched.glob("*.y*ml"))
        stamp: list[tuple[object, ...]] = []
        for p in files:
            try:
                st = p.stat()
                stamp.append((str(p), st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                stamp.append((str(p), None))
        return tuple(stamp)
