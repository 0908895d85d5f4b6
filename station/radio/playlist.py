"""Assembling a night: (schedules, stream library, night, recent nights) → its running order.

Pure and deterministic: the same inputs give the same running order, so it
can be previewed, pinned and tested on fixed dates. It reads no files and no
clock. How it fills a night, block by block, from the start:

1. owed material first: an ident when one is due, crisis signposting when it
   is due or straight after an episode with content notes, an announcement
   whose turn has come;
2. then an episode from the block's fill (a newcomer's first when new voices
   are behind their share), one that fits before the block ends, has not been
   heard in the last `no_repeat_nights`, keeps its presenters under their cap
   and whose content notes are allowed at that hour;
3. else the block's standby (episodes, then standby files); then, with a
   note, an episode heard recently;
4. else a music bed, cut to the second, so the night ends exactly on time.

A night already on air is assembled again from what has aired (`aired`: the
slots that have started, passed in by the caller): those are kept exactly and
counted, and only the rest of the night is filled, from the end of the last
of them, by the same rules.

Signposting is never further apart than `signpost_every_min` plus the one
item that was already playing. Every rule that could not be kept becomes a
note saying what was done instead.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date as Date
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from station.catalog.model import CONTENT_NOTES
from station.errors import Problem, Severity
from station.radio.library import Library, Sound, Track
from station.radio.schedule import Block, Schedule, Schedules, Selection, matches, presenter_key

_UTC = ZoneInfo("UTC")
_EPS = 0.001  # seconds: floating error, not a gap
MIN_BED_S = 0.05  # a bed shorter than this cannot fill anything
SIGNPOST_TITLE = "Where to find help tonight"
STANDBY_REST_S = 20 * 60  # a standby file is not played again within this time


@dataclass(frozen=True)
class Slot:
    start_s: float  # from the night's start
    duration_s: float
    kind: str  # episode | ident | signpost | announcement | standby | bed
    title: str
    audio: str  # relative to the station root; never published
    block: str
    from_s: float = 0.0  # where in the file it starts playing
    guid: str | None = None
    show: str | None = None
    show_title: str | None = None
    slug: str | None = None
    credits: tuple[str, ...] = ()
    content_notes: tuple[str, ...] = ()
    standby: bool = False  # private: it stands in (paused presenter, nothing else fits)

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class LiveSpan:
    """Where a presenter may be on air live (a schedule's `live` block, less the ident before it and the
    signposting after it). The slots under it are what plays while they are not there."""

    start_s: float
    end_s: float
    block: str
    title: str  # what radio apps and the site show while they are on air
    presenters: tuple[str, ...]  # desk user names
    show: str | None = None  # where a recording goes

    def label(self, presenter: str | None = None) -> str:
        return f"{self.title} — live with {presenter}" if presenter else f"{self.title} — live"


@dataclass
class Night:
    night: Date
    schedule: str  # the schedule file in force
    start: datetime
    end: datetime
    slots: list[Slot] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # rules not kept tonight, and what was done instead
    fallback: list[str] = field(default_factory=list)  # standby sound for playout when a file fails
    key: str = ""
    crossfades: dict[str, float] = field(default_factory=dict)  # block name → its own crossfade_s between beds
    live: list[LiveSpan] = field(default_factory=list)  # live blocks tonight, in order

    @property
    def length_s(self) -> float:
        return (self.end.astimezone(_UTC) - self.start.astimezone(_UTC)).total_seconds()

    def at(self, offset_s: float) -> int | None:
        """The index of the slot playing `offset_s` into the night."""
        for i, slot in enumerate(self.slots):
            if slot.start_s - _EPS <= offset_s < slot.end_s - _EPS:
                return i
        return None

    def live_at(self, offset_s: float) -> LiveSpan | None:
        """The live span `offset_s` into the night falls in, if any."""
        for span in self.live:
            if span.start_s - _EPS <= offset_s < span.end_s - _EPS:
                return span
        return None

    def started_by(self, when: datetime) -> Night:
        """The part of the night that has begun by `when`: every slot that has started, the one playing included."""
        offset_s = (when.astimezone(_UTC) - self.start.astimezone(_UTC)).total_seconds()
        return Night(
            self.night, self.schedule, self.start, self.end, [s for s in self.slots if s.start_s <= offset_s + _EPS]
        )

    def clock(self, offset_s: float) -> datetime:
        return (self.start.astimezone(_UTC) + timedelta(seconds=offset_s)).astimezone(self.start.tzinfo)

    def to_json(self) -> str:
        return json.dumps(
            {
                "night": self.night.isoformat(),
                "schedule": self.schedule,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "zone": str(self.start.tzinfo),
                "key": self.key,
                "slots": [asdict(s) for s in self.slots],
                "notes": [asdict(n) | {"severity": n.severity.value} for n in self.notes],
                "fallback": self.fallback,
                "crossfades": self.crossfades,
                "live": [asdict(span) for span in self.live],
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Night:
        d = json.loads(text)
        zone = ZoneInfo(d["zone"])
        return cls(
            Date.fromisoformat(d["night"]),
            d["schedule"],
            datetime.fromisoformat(d["start"]).astimezone(zone),
            datetime.fromisoformat(d["end"]).astimezone(zone),
            [_slot_from(s) for s in d["slots"]],
            [Problem(n["where"], n["what"], n["fix"], Severity(n["severity"])) for n in d["notes"]],
            d["fallback"],
            d["key"],
            {str(k): float(v) for k, v in d.get("crossfades", {}).items()},  # a pin from before has none
            [
                LiveSpan(
                    float(x["start_s"]), float(x["end_s"]), x["block"], x["title"], tuple(x["presenters"]), x["show"]
                )
                for x in d.get("live", [])
            ],
        )

    def public(self, page_url: Callable[[Slot], str | None] = lambda slot: None) -> list[dict[str, Any]]:
        """What listeners may see: no file, no block, nothing that says who is resting. Idents and
        signposting are left out of the list (the page says how often the crisis lines come round), and
        music between items is one entry."""
        out: list[dict[str, Any]] = []
        shown: set[LiveSpan] = set()
        for s in self.slots:
            span = self.live_at(s.start_s)
            if span is not None:  # what plays under a live show only stands in for it: the show is listed
                if span not in shown:
                    shown.add(span)
                    out.append(
                        {
                            "start": self.clock(span.start_s).isoformat(timespec="seconds"),
                            "end": self.clock(span.end_s).isoformat(timespec="seconds"),
                            "clock": f"{self.clock(span.start_s):%H:%M}",
                            "kind": "live",
                            "title": span.title,
                            "show": None,
                            "credits": [],
                            "content_notes": [],
                            "url": None,
                        }
                    )
                continue
            if s.kind in ("ident", "signpost"):
                continue
            if s.kind == "bed" and out and out[-1]["kind"] == "music":
                out[-1]["end"] = self.clock(s.end_s).isoformat(timespec="seconds")
                continue
            out.append(
                {
                    "start": self.clock(s.start_s).isoformat(timespec="seconds"),
                    "end": self.clock(s.end_s).isoformat(timespec="seconds"),
                    "clock": f"{self.clock(s.start_s):%H:%M}",
                    "kind": "episode" if s.guid else {"bed": "music", "standby": "interlude"}.get(s.kind, s.kind),
                    "title": s.title,
                    "show": s.show_title,
                    "credits": list(s.credits),
                    "content_notes": [CONTENT_NOTES[n] for n in s.content_notes],
                    "url": page_url(s),
                }
            )
        for item in out:  # music between two items stays out of the list when it is short
            item["_short"] = (
                item["kind"] == "music"
                and (datetime.fromisoformat(item["end"]) - datetime.fromisoformat(item["start"])).total_seconds() < 60
            )
        return [{k: v for k, v in item.items() if k != "_short"} for item in out if not item["_short"]]


def assemble(
    schedules: Schedules,
    library: Library,
    night: Date,
    history: dict[Date, set[str]] | None = None,
    aired: Night | None = None,
) -> Night | None:
    """The running order of `night` (named by the evening it starts); None when no schedule covers it.

    `aired`, for a night already on air, is what has gone out (`Night.started_by`): it is kept as it is,
    and the night goes on from its end."""
    schedule = schedules.for_night(night)
    if schedule is None:
        return None
    return _Assembly(schedule, schedules, library, night, history or {}, aired).run()


def _slot_from(data: dict[str, Any]) -> Slot:
    """A slot as Night.to_json wrote it: JSON has lists where the slot keeps tuples."""
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return Slot(**fields)


class _Assembly:
    def __init__(
        self,
        s: Schedule,
        schedules: Schedules,
        library: Library,
        night: Date,
        history: dict[Date, set[str]],
        aired: Night | None = None,
    ):
        self.s, self.rules, self.library, self.night = s, s.data.rules, library, night
        self.aired = aired.slots if aired else []
        window_start, end = s.window(night)
        # A night that has begun keeps its start even if the window has since moved: what aired is timed from it.
        start = aired.start if aired and aired.slots else window_start
        self.shift_s = (window_start.astimezone(_UTC) - start.astimezone(_UTC)).total_seconds()
        self.out = Night(night, s.where, start, end)
        self.length = self.out.length_s
        paused = {presenter_key(name) for name in schedules.paused_on(night)}
        on_air = [t for t in library.tracks if t.on_air(start, end)]
        self.tracks = [t for t in on_air if not set(t.voices) & paused]
        self.resting = len(on_air) - len(self.tracks)
        rest = self.rules.no_repeat_nights
        self.recent = {g for d, guids in history.items() if 0 < (night - d).days <= rest for g in guids}
        last: dict[str, Date] = {}
        for d, guids in history.items():
            for g in guids:
                if d < night and (g not in last or d > last[g]):
                    last[g] = d
        self.order = {t.guid: (last.get(t.guid, Date.min), _mix(t.guid, night)) for t in self.tracks}
        self.by_guid = {t.guid: t for t in self.tracks}
        self.known = {t.guid: t for t in library.tracks}  # a resting presenter's episode may have aired already
        self.used: set[str] = set()
        self.airtime: dict[str, float] = {}
        self.episode_air = 0.0
        self.newcomer_air = 0.0
        self.cap_s = self.rules.presenter_max_percent / 100 * self.length
        self.capped = 0
        self.repeats: dict[str, int] = {}
        self.note_hours = [(set(n.notes), self._offset(n.after)) for n in self.rules.notes_after]
        m = s.data.material
        self.idents, self.signposts, self.beds = self._sounds(m.idents), self._sounds(m.signposts), self._sounds(m.beds)
        self.beds = [b for b in self.beds if b.duration_s >= MIN_BED_S]
        self.announcements = [
            (a, self._sounds([a.file])) for a in s.data.announcements if a.starts <= night <= a.expires
        ]
        self.turns: dict[str, int] = {}
        self.file_uses: dict[str, int] = {}
        self.file_last: dict[str, float] = {}

    # ------------------------------------------------------------ the night
    def run(self) -> Night:
        self.last_ident = -1e12
        self.last_signpost = -1e12  # when the last signposting ended
        self.signpost_owed = False
        self.last_announced = dict.fromkeys(range(len(self.announcements)), 0.0)
        t = self._keep()
        for block, b0, b1 in self._spans():
            if b1 <= t + _EPS:
                continue  # over before what has aired ends
            if b0 > t + _EPS:
                self._block(None, t, b0)  # a gap between blocks: material and beds only
            if block.live:
                self._live(block, b0, max(t, b0), b1)
            else:
                self._block(block, max(t, b0), b1)
            t = b1
        if self.length > t + _EPS:
            self._block(None, t, self.length)
        self._notes()
        standby = [x for b in self.s.data.blocks for x in self._sounds(b.standby.files)]
        self.out.fallback = list(dict.fromkeys(x.audio for x in self.beds + standby))
        self.out.crossfades = {b.name: b.crossfade_s for b in self.s.data.blocks if b.crossfade_s is not None}
        return self.out

    def _live(self, block: Block, b0: float, t: float, end: float) -> None:
        """A live block: an ident as the presenter comes on, the live span, crisis signposting straight after
        it. Under the span, the block's own running order, for whenever the presenter is not on air. A night
        assembled again part-way through keeps the span where it began (what aired before it is kept)."""
        assert block.live is not None
        resumed = t > b0 + _EPS
        if not resumed and self.idents:
            ident = self._peek(self.idents, "ident")
            if ident.duration_s <= (end - t) / 4:
                self._next(self.idents, "ident")
                t = self._place(self._slot(ident, "ident", "Station ident", t, block), t)
        signpost = self._peek(self.signposts, "signpost") if self.signposts else None
        tail = signpost.duration_s if signpost and signpost.duration_s <= (end - t) / 4 else 0.0
        live_end = end - tail
        self._block(block, t, live_end)
        span_start = b0 if resumed else t
        self.out.live.append(
            LiveSpan(
                span_start,
                live_end,
                block.name,
                block.live.title or block.name,
                tuple(block.live.presenters),
                block.live.show,
            )
        )
        if signpost is not None and tail:
            self._next(self.signposts, "signpost")
            self._place(self._slot(signpost, "signpost", SIGNPOST_TITLE, live_end, block), live_end)

    def _keep(self) -> float:
        """Put back what has aired, as it aired, and count it as if it had just been placed, so that repeats,
        shares and the spacing of idents, signposting and announcements carry on across it. Only a window
        that now ends sooner cuts it. Returns where the rest of the night starts."""
        t = 0.0
        for slot in self.aired:
            if slot.start_s >= self.length - _EPS:
                break
            slot = replace(slot, duration_s=min(slot.duration_s, self.length - slot.start_s))
            kind = self._announcement_kind(slot) if slot.kind == "announcement" else slot.kind
            if kind in ("ident", "signpost") or (kind == "bed" and slot.audio):
                self.turns[kind] = self.turns.get(kind, 0) + 1  # the rotation goes on from the next one
            t = self._place(replace(slot, kind=kind), slot.start_s)
        return t

    def _announcement_kind(self, slot: Slot) -> str:
        """Which of tonight's announcements an aired one was (the running order keeps only its title and file)."""
        for i, (a, sounds) in enumerate(self.announcements):
            if sounds and (a.title, sounds[0].audio) == (slot.title, slot.audio):
                return f"announcement:{i}"
        return slot.kind  # no longer scheduled: kept, and it owes nothing

    def _offset(self, clock: int) -> float:
        return self.s.offset_s(self.night, clock) + self.shift_s

    def _spans(self) -> list[tuple[Block, float, float]]:
        spans = []
        for block in self.s.blocks_for(self.night):
            b0 = self._offset(block.start)
            b1 = self.length if block.end == self.s.data.window.end else self._offset(block.end)
            b0, b1 = max(0.0, b0), min(self.length, b1)
            if b1 > b0:
                spans.append((block, b0, b1))
        spans.sort(key=lambda x: x[1])
        kept, end = [], 0.0
        for block, b0, b1 in spans:  # `schedule check` reports overlaps; here the earlier block wins
            if b0 >= end - _EPS:
                kept.append((block, b0, b1))
                end = b1
        return kept

    def _block(self, block: Block | None, t: float, end: float) -> None:
        fill = self._pool(block.fill) if block else []
        standby = self._pool(block.standby) if block else []
        files = self._sounds(block.fill.files + block.standby.files) if block else []
        if block and not fill and not standby and not files:
            self.out.notes.append(
                Problem(
                    self.s.line("blocks", self.s.data.blocks.index(block)),
                    f"the block “{block.name}” has nothing it can play on the night of "
                    f"{self.night:%A %-d %B}: no episode in its fill or standby is cleared "
                    "for the stream, and it has no standby files; it was filled with music beds",
                    "add standby files, or episodes whose consent covers the stream",
                )
            )
        while end - t > _EPS:
            room = end - t
            owed = self._owed(t, room, block)
            if owed:
                t = self._place(owed, t)
                continue
            track, why = self._choose(t, room, fill, standby)
            if track is not None:
                t = self._signposted(t, room, block, track.duration_s) or self._place(
                    self._episode_slot(track, t, block, standby=why == "standby"), t
                )
                continue
            sound = self._standby_file(files, room, t)
            if sound is not None:
                t = self._signposted(t, room, block, sound.duration_s) or self._place(
                    self._slot(sound, "standby", sound.title, t, block), t
                )
                continue
            track = self._repeat(block, t, room, fill, standby) if block else None
            if track is not None:
                t = self._signposted(t, room, block, track.duration_s) or self._place(
                    self._episode_slot(track, t, block, standby=False), t
                )
                continue
            t = self._bed(t, end, block)

    # ------------------------------------------------------------ choosing
    def _choose(self, t: float, room: float, fill: list[Track], standby: list[Track]) -> tuple[Track | None, str]:
        behind = self.rules.newcomer_percent > 0 and self.newcomer_air < self.rules.newcomer_percent / 100 * (
            self.episode_air + 1
        )
        if behind:
            track = self._first(fill, t, room, fresh=True, newcomer=True)
            if track:
                return track, "fill"
        for pool, why in ((fill, "fill"), (standby, "standby")):
            track = self._first(pool, t, room, fresh=True)
            if track:
                return track, why
        return None, ""

    def _repeat(self, block: Block, t: float, room: float, fill: list[Track], standby: list[Track]) -> Track | None:
        for pool in (fill, standby):
            track = self._first(pool, t, room, fresh=False)
            if track:
                return track
        return None

    def _first(self, pool: list[Track], t: float, room: float, fresh: bool, newcomer: bool = False) -> Track | None:
        for track in pool:
            if track.guid in self.used or track.duration_s > room + _EPS:
                continue
            if fresh == (track.guid in self.recent):
                continue
            if newcomer and not track.newcomer(self.night, self.rules.newcomer_days):
                continue
            if any(notes & set(track.content_notes) and t < after for notes, after in self.note_hours):
                continue
            if any(self.airtime.get(v, 0) + track.duration_s > self.cap_s + _EPS for v in track.voices):
                self.capped += 1
                continue
            return track
        return None

    def _standby_file(self, files: list[Sound], room: float, t: float) -> Sound | None:
        """The least played standby file that fits and has rested: the same piece over and over is no company."""
        fitting = [
            f for f in files if f.duration_s <= room + _EPS and t - self.file_last.get(f.audio, -1e12) >= STANDBY_REST_S
        ]
        if not fitting:
            return None
        return min(fitting, key=lambda f: (self.file_uses.get(f.audio, 0), files.index(f)))

    def _signposted(self, t: float, room: float, block: Block | None, length: float) -> float | None:
        """Signposting first, when an item of `length` starting now would keep help waiting too long."""
        if (
            self.signposts
            and t > self.last_signpost + _EPS
            and t + length - self.last_signpost > self.rules.signpost_every_min * 60 + _EPS
        ):
            signpost = self._peek(self.signposts, "signpost")
            if signpost.duration_s <= room + _EPS:
                self._next(self.signposts, "signpost")
                return self._place(self._slot(signpost, "signpost", SIGNPOST_TITLE, t, block), t)
        return None

    def _pool(self, selection: Selection) -> list[Track]:
        if not selection.picks_episodes:
            return []
        shows, tags = set(selection.shows), set(selection.tags)
        pool = [
            t
            for t in self.tracks
            if t.show in shows
            or tags & set(t.tags)
            or any(_within(node, topic) for node in t.topics for topic in selection.topics)
        ]
        return sorted(pool, key=lambda t: self.order[t.guid])

    def _sounds(self, patterns: list[str]) -> list[Sound]:
        # By the rules the build prepared them by (schedule.matches), so only the stream's own sound answers a
        # pattern, even from a library an older build left with something else in it.
        found: dict[str, Sound] = {}
        for pattern in patterns:
            for source, sound in sorted(self.library.sounds.items()):
                if matches(pattern, source):
                    found[source] = sound
        return list(found.values())

    # ------------------------------------------------------------ placing
    def _owed(self, t: float, room: float, block: Block | None) -> Slot | None:
        r = self.rules
        wanted: list[tuple[Sound, str, str]] = []
        if self.signposts and (self.signpost_owed or t - self.last_signpost >= r.signpost_every_min * 60 - _EPS):
            wanted.append((self._peek(self.signposts, "signpost"), "signpost", SIGNPOST_TITLE))
        if self.idents and r.ident_every_min and t - self.last_ident >= r.ident_every_min * 60 - _EPS:
            wanted.append((self._peek(self.idents, "ident"), "ident", "Station ident"))
        for i, (a, sounds) in enumerate(self.announcements):
            if sounds and t - self.last_announced[i] >= a.every_min * 60 - _EPS:
                wanted.append((sounds[0], f"announcement:{i}", a.title))
        for sound, kind, title in wanted:
            if sound.duration_s <= room + _EPS:
                if kind in ("signpost", "ident"):
                    self._next(self.signposts if kind == "signpost" else self.idents, kind)
                return self._slot(sound, kind, title, t, block)
        return None

    def _peek(self, sounds: list[Sound], kind: str) -> Sound:
        return sounds[self.turns.get(kind, 0) % len(sounds)]

    def _next(self, sounds: list[Sound], kind: str) -> Sound:
        sound = self._peek(sounds, kind)
        self.turns[kind] = self.turns.get(kind, 0) + 1
        return sound

    def _slot(self, sound: Sound, kind: str, title: str, t: float, block: Block | None) -> Slot:
        return Slot(t, sound.duration_s, kind, title, sound.audio, block.name if block else "")

    def _episode_slot(self, track: Track, t: float, block: Block | None, standby: bool) -> Slot:
        return Slot(
            t,
            track.duration_s,
            "episode",
            track.title,
            track.audio,
            block.name if block else "",
            guid=track.guid,
            show=track.show,
            show_title=track.show_title,
            slug=track.slug,
            credits=track.credits,
            content_notes=track.content_notes,
            standby=standby,
        )

    def _place(self, slot: Slot, t: float) -> float:
        kind = slot.kind
        if kind.startswith("announcement:"):
            self.last_announced[int(kind.split(":")[1])] = t
            slot = Slot(**{**asdict(slot), "kind": "announcement"})
        elif kind == "signpost":
            self.last_signpost = t + slot.duration_s
            self.signpost_owed = False
        elif kind == "ident":
            self.last_ident = t
        elif kind == "standby":
            self.file_uses[slot.audio] = self.file_uses.get(slot.audio, 0) + 1
            self.file_last[slot.audio] = t
        elif kind == "episode" and slot.guid:  # no guid: withdrawn since it aired
            self.used.add(slot.guid)
            self.episode_air += slot.duration_s
            if slot.guid in self.recent:
                self.repeats[slot.block] = self.repeats.get(slot.block, 0) + 1
            if slot.content_notes and self.rules.signpost_after_content_notes:
                self.signpost_owed = True
            track = self.known.get(slot.guid)  # None: it aired, then left the library
            if track is not None:
                for v in track.voices:
                    self.airtime[v] = self.airtime.get(v, 0) + slot.duration_s
                if track.newcomer(self.night, self.rules.newcomer_days):
                    self.newcomer_air += slot.duration_s
        self.out.slots.append(slot)
        return t + slot.duration_s

    def _bed(self, t: float, end: float, block: Block | None) -> float:
        """One music bed, cut if the time left is shorter: how a night ends exactly on the second."""
        name = block.name if block else ""
        if not self.beds:
            self.out.notes.append(
                Problem(
                    self.s.line("material"),
                    f"{end - t:.0f} seconds from "
                    f"{self.out.clock(t):%H:%M} have nothing to play (there is no music bed); "
                    "the stream plays its own quiet tone there",
                    "add a music bed under material: beds",
                )
            )
            self.out.slots.append(Slot(t, end - t, "bed", "Music", "", name))
            return end
        bed = self._next(self.beds, "bed")
        length = min(bed.duration_s, end - t, max(self._next_due(t) - t, MIN_BED_S))
        self.out.slots.append(Slot(t, length, "bed", "Music", bed.audio, name))
        return t + length

    def _next_due(self, t: float) -> float:
        """When the next ident, signposting or announcement falls due (a bed is cut there)."""
        r = self.rules
        due = [self.last_signpost + r.signpost_every_min * 60] if self.signposts else []
        if self.idents and r.ident_every_min:
            due.append(self.last_ident + r.ident_every_min * 60)
        due += [self.last_announced[i] + a.every_min * 60 for i, (a, sounds) in enumerate(self.announcements) if sounds]
        later = [d for d in due if d > t + _EPS]
        return min(later) if later else float("inf")

    # ------------------------------------------------------------ what could not be kept
    def _notes(self) -> None:
        r, s, out = self.rules, self.s, self.out
        if self.resting:
            out.notes.append(
                Problem(
                    s.where,
                    f"{self.resting} episode{'s' if self.resting != 1 else ''} by resting "
                    "presenters stay out of this night; their time went to other episodes and "
                    "standby",
                    "nothing to do: they return when their pause ends",
                    Severity.WARNING,
                )
            )
        if r.newcomer_percent and self.episode_air:
            share = 100 * self.newcomer_air / self.episode_air
            if share + 0.5 < r.newcomer_percent:
                out.notes.append(
                    Problem(
                        s.line("rules", "newcomer_percent"),
                        f"new voices have {share:.0f}% of tonight's episode time, short of "
                        f"{r.newcomer_percent:g}%: there are not enough episodes by people first "
                        f"heard in the last {r.newcomer_days} days; other episodes filled the time",
                        "schedule more newcomers' episodes, or lower newcomer_percent",
                        Severity.WARNING,
                    )
                )
        if self.capped:
            out.notes.append(
                Problem(
                    s.line("rules", "presenter_max_percent"),
                    f"some episodes were passed over so that no presenter has more than "
                    f"{r.presenter_max_percent:g}% of the night; other episodes and standby "
                    "filled their time",
                    "nothing to do, or raise presenter_max_percent",
                    Severity.WARNING,
                )
            )
        for name, n in self.repeats.items():
            out.notes.append(
                Problem(
                    s.line("rules", "no_repeat_nights"),
                    f"“{name}” repeats {n} episode{'s' if n != 1 else ''} heard in the last "
                    f"{r.no_repeat_nights} nights: there were not enough others to fill it",
                    "add episodes or standby for that block",
                    Severity.WARNING,
                )
            )
        spacing = [later.start_s - earlier.end_s for earlier, later in itertools.pairwise(self._of("signpost"))]
        if self.signposts and spacing and max(spacing) > r.signpost_every_min * 60 + 1:
            out.notes.append(
                Problem(
                    s.line("rules", "signpost_every_min"),
                    f"crisis signposting is {max(spacing) / 60:.0f} minutes apart at most tonight, "
                    f"not {r.signpost_every_min}: an episode was longer than that",
                    "nothing to do, or raise signpost_every_min",
                    Severity.WARNING,
                )
            )
        if not self.signposts:
            out.notes.append(Problem(s.where, "tonight has no crisis signposting", "add material: signposts"))

    def _of(self, kind: str) -> list[Slot]:
        return [x for x in self.out.slots if x.kind == kind]


def _within(node: str, topic: str) -> bool:
    return node == topic or node.startswith(topic + ".")


def _mix(guid: str, night: Date) -> str:
    """A stable shuffle, different each night, the same on every machine."""
    return hashlib.sha256(f"{guid}{night.isoformat()}".encode()).hexdigest()


def describe(slot: Slot, night: Night) -> str:
    """One running-order line for people: clock time, length, what."""
    start = night.clock(slot.start_s)
    minutes, seconds = divmod(round(slot.duration_s), 60)
    what = {"episode": slot.title + (f" — {slot.show_title}" if slot.show_title else ""), "bed": "Music bed"}.get(
        slot.kind, slot.title
    )
    extra = ""
    if slot.credits:
        extra += f" (with {', '.join(slot.credits)})"
    if slot.content_notes:
        extra += f" [content notes: {', '.join(CONTENT_NOTES[n] for n in slot.content_notes)}]"
    if slot.standby:
        extra += " [standby]"
    return f"{start:%H:%M:%S}  {minutes:3d}:{seconds:02d}  {what}{extra}"
