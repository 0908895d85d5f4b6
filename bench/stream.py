"""Benchmark: the overnight stream: assembling a night's running order, and the CPU playout costs.

The issue's asks: assembling "8 hours from 10,000 items well under a second", and "CPU seconds per
hour of playout". Two parts, each against a baseline run in the same process:

1. assembly. A station in a temporary folder: station.toml, dummy material files under content/stream/
   (idents, crisis signposting, beds, standby, an announcement: assembly never reads audio), and
   scheduler/week.yaml, loaded with `station.schedule.load` as `schedule check` and the daemon load it:
   a --hours night from 22:00 (default 8: 22:00-06:00) in four blocks picked by show, by topic (a part of
   the recovery map and some nodes), by tag, and by show + topic; idents every 30 minutes, signposting
   every 45 and after content notes, no repeats within 3 nights, presenter cap 10 %, newcomers 15 % of
   episode time (first heard within 90 days), overdose/suicide/self-harm only after 00:00, an
   announcement every 2 hours, and scheduler/paused.yaml resting one prolific presenter. The library is
   made in memory: --items tracks over 12 shows, 3-60 minutes (most 10-30), ~400 voices (40 of them
   newcomers, with fewer episodes; one in five episodes has two voices), content notes on about one in
   seven, 1-3 topics from `station.recovery_map.nodes()`, 0-2 tags, publish dates over five years (a
   few not yet published, a few whose consent ends during the night), and the sounds the schedule
   names. History: the three earlier nights are assembled and pinned first with `nights.running_order`
   (untimed), and `nights.history` reads the played guids back from the pins, as the daemon does.
   * ours: `station.playlist.assemble(schedules, library, night, history)`, --repeat times;
   * baseline: one pass that reads what assembly must read at least once: every track sorted by the
     SHA-256 of (guid, night), the stable per-night shuffle assembly does.
   Sides alternate; best and median count. Also: the night's shape (slots by kind, episodes, that it
   fills its window to the second with no gap or overlap) and its rules checked on the result; the peak
   of what assembly allocates (tracemalloc, one more run); `Night.to_json()` (the pin) and
   `Library.to_json()` / `from_json()` with their sizes; `schedule.load`; and what the player pays in
   production before each item: its default `running_order`, a `nights.Follower`, with nothing changed
   (it stats the files the night is made from) and after library.json was rewritten (it reads everything
   again with `nights.running_order`: schedules and library loaded, the key, the pin).

2. playout. Real audio, made once and cached in bench/out/stream/: four espeak-ng speech episodes
   looped to 4-11 minutes (`tests.media.long_speech`, MP3 mono 64 kb/s as the build prepares them), two
   idents, a crisis signposting clip and a two-minute music bed (`tests.media.bed`). A `Night` is built
   by hand for --play-minutes: signposting every 45 minutes, an ident every 30, the episodes back to
   back (the next in turn that fits), a bed cut to 40 s after every third, and a bed cut to end the
   night on the second (60 minutes: 17 slots, 9 episodes, 4 cut beds). It is played by the real
   `station.stream.Player` (with its default withdrawal check, the station's ledger asked before each
   episode) into the real `HlsOutput` (AAC 96 kb/s, 6 s segments, in a temporary folder) and a second
   real encoder output, an `Output` whose `command()` writes MP3 128 kb/s to a file (as `IcecastOutput`
   encodes, without the network). Only the clock is virtual: `now()` is a virtual time, and `sleep(s)`
   advances it without sleeping, so the hour plays as fast as the machine allows; it blocks only while an
   output's queue is more than half full (the pacing a real clock gives encoders that keep up, without
   which `Output.write` would drop audio: the bench checks none was).
   * ours: CPU seconds (user + sys) of this process plus its children (`getrusage` RUSAGE_SELF and
     RUSAGE_CHILDREN deltas, taken after `play` returns, when every ffmpeg has been waited for), and the
     wall time;
   * baseline: one plain ffmpeg run (the same binary, `station.tools.ffmpeg.executable()`) that decodes
     the same pieces in the same order (`-ss`/`-t` per input, `aresample` + `aformat` to 44.1 kHz s16
     stereo, `concat`) and encodes them to the same two outputs with the same arguments (`asplit`, then
     the MP3 output's `command()` and `HlsOutput.command()`): what any playout must at least do.
   Sides alternate; the best counts. Reported as CPU seconds per hour of audio, as a fraction of real
   time, and ours/baseline. The outputs are checked: no audio dropped, no standby; the MP3's decoded
   length equals the played length (within 1.5 s); the HLS playlist is closed, decodes without an error
   and lists its window. Where the CPU goes: this process's own share is exact (RUSAGE_SELF); the
   children's is split with separate runs whose every process is reaped with `os.wait4`: one decoder per
   slot as the player spawns them, and each encoder fed by a pipe. Peak memory: one more playout in a
   fresh Python process (run first, while this process is small: on Linux ru_maxrss carries a parent's
   peak across fork + exec), with its ru_maxrss (self and children) and VmHWM, and each ffmpeg's VmHWM
   sampled from /proc by this process; the baseline ffmpeg's likewise.

    .venv/bin/python -m bench.stream [--items 10000] [--hours 8] [--play-minutes 60] [--repeat 3]
    .venv/bin/python -m bench.stream --items 2000 --play-minutes 5 --repeat 2    # quick check, ~1 minute
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from datetime import date as Date
from pathlib import Path

from bench import timing
from station import config as config_mod
from station.build.ledger import Ledger
from station.catalog.model import CONTENT_NOTES
from station.catalog.recovery_map import nodes
from station.radio import library as library_mod
from station.radio import nights
from station.radio import schedule as schedule_mod
from station.radio.library import Library, Sound, Track
from station.radio.playlist import Night, Slot, assemble
from station.radio.schedule import presenter_key
from station.radio.stream import HlsOutput, Output, Player
from station.tools import ffmpeg

OUT = Path(__file__).resolve().parent / "out" / "stream"
NIGHT = Date(2026, 11, 23)  # a Monday
AIM_S = 1.0
STATION_TOML = """\
[station]
name = "Night Owls Radio"
base_url = "https://night-owls.example.org/"
contact_email = "hello@night-owls.example.org"
timezone = "Europe/London"

[transcripts]
enabled = false
"""
SHOWS = {
    "night-talk": "Night Talk",
    "small-steps": "Small Steps",
    "late-bus": "Late Bus",
    "kitchen-table": "Kitchen Table",
    "open-door": "Open Door",
    "second-chances": "Second Chances",
    "the-long-walk": "The Long Walk",
    "common-ground": "Common Ground",
    "after-hours": "After Hours",
    "quiet-hour": "Quiet Hour",
    "step-by-step": "Step by Step",
    "first-light": "First Light",
}
TAGS = ["calm", "music", "poetry", "phone-in", "interview", "story", "family", "work", "housing", "faith"]
FIRST = [
    "Sam",
    "Jo",
    "Alex",
    "Priya",
    "Dee",
    "Chris",
    "Robin",
    "Kim",
    "Lee",
    "Ash",
    "Mo",
    "Nia",
    "Tom",
    "Ola",
    "Ravi",
    "Bea",
    "Cal",
    "Dan",
    "Eve",
    "Fin",
    "Gail",
    "Hal",
    "Ife",
    "Jas",
    "Kit",
    "Liv",
    "Max",
    "Ned",
    "Oona",
    "Pat",
    "Quin",
    "Ros",
    "Sid",
    "Tess",
    "Uma",
    "Vic",
    "Wes",
    "Xan",
    "Yas",
    "Zed",
]
WORDS = [
    "night",
    "bus",
    "kettle",
    "door",
    "walk",
    "meeting",
    "letter",
    "garden",
    "phone",
    "sister",
    "morning",
    "rain",
    "bridge",
    "kitchen",
    "promise",
    "shop",
    "river",
    "light",
    "chair",
    "friend",
    "step",
    "road",
]
VOICES = 400
NEWCOMERS = 40  # the last 40 voices were first heard within newcomer_days of the night
PAUSED = "Robin A."  # voice 6: rests tonight
MATERIAL = {  # source under content/ → seconds
    "stream/idents/night-owls.mp3": 6.2,
    "stream/idents/through-the-night.mp3": 8.4,
    "stream/idents/you-are-not-alone.mp3": 9.7,
    "stream/signposts/crisis-lines.mp3": 38.5,
    "stream/signposts/crisis-lines-short.mp3": 24.0,
    "stream/beds/slow-chord.mp3": 240.0,
    "stream/beds/warm-pad.mp3": 300.0,
    "stream/beds/piano.mp3": 180.0,
    "stream/standby/breathing-space.mp3": 312.0,
    "stream/standby/night-thoughts.mp3": 245.0,
    "stream/standby/rain.mp3": 360.0,
    "stream/standby/the-sea.mp3": 198.0,
    "stream/announcements/winter-shelter.mp3": 32.0,
}


# ================================================================ 1. assembly: the station


def clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def schedule_yaml(hours: int) -> str:
    """The week: a window from 22:00 in four blocks, rules as a station would set them."""
    start, length = 22 * 60, hours * 60
    cuts = [start + round(length * i / 4) for i in range(5)]
    fills = [
        (
            "Late talk",
            "{shows: [night-talk, late-bus, kitchen-table, open-door]}",
            "{shows: [small-steps], files: [stream/standby/*.mp3]}",
        ),
        (
            "Small hours",
            "{topics: [struggle, rc.social.peer_support, rc.community.stigma]}",
            "{tags: [calm], files: [stream/standby/*.mp3]}",
        ),
        ("Quiet hours", "{tags: [calm, music, poetry]}", "{files: [stream/standby/*.mp3]}"),
        (
            "First light",
            "{shows: [first-light, step-by-step], topics: [recovery]}",
            "{shows: [night-talk], files: [stream/standby/breathing-space.mp3]}",
        ),
    ]
    blocks = []
    for (name, fill, standby), (b0, b1) in zip(fills, itertools.pairwise(cuts), strict=False):
        blocks += [
            f"  - name: {name}",
            f'    start: "{clock(b0)}"',
            f'    end: "{clock(b1)}"',
            f"    fill: {fill}",
            f"    standby: {standby}",
        ]
    return "\n".join(
        [
            "name: The regular week",
            f'window: {{start: "{clock(start)}", end: "{clock(start + length)}"}}',
            "rules:",
            "  ident_every_min: 30",
            "  signpost_every_min: 45",
            "  signpost_after_content_notes: true",
            "  no_repeat_nights: 3",
            "  presenter_max_percent: 10",
            "  newcomer_percent: 15",
            "  newcomer_days: 90",
            "  notes_after:",
            "    - notes: [overdose, suicide, self-harm]",
            '      after: "00:00"',
            "material:",
            "  idents: [stream/idents/*.mp3]",
            "  signposts: [stream/signposts/*.mp3]",
            "  beds: [stream/beds/*.mp3]",
            "announcements:",
            "  - title: Winter night shelter",
            "    file: stream/announcements/winter-shelter.mp3",
            "    starts: 2026-11-01",
            "    expires: 2027-02-28",
            "    every_min: 120",
            "blocks:",
            *blocks,
            "",
        ]
    )


def write_station(root: Path, hours: int):
    (root / "content" / "shows").mkdir(parents=True)
    for source in MATERIAL:
        path = root / "content" / source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not read by assembly")
    (root / "station.toml").write_text(STATION_TOML, encoding="utf-8")
    (root / "scheduler").mkdir()
    (root / "scheduler" / "week.yaml").write_text(schedule_yaml(hours), encoding="utf-8")
    (root / "scheduler" / "paused.yaml").write_text(
        f"paused:\n  - presenter: {PAUSED.lower()}   # any capitals\n    until: 2026-12-31\n", encoding="utf-8"
    )
    return config_mod.load(root)


def voice_names() -> list[str]:
    return [f"{FIRST[i % len(FIRST)]} {chr(65 + i // len(FIRST))}." for i in range(VOICES)]


def make_library(items: int, seed: int = 1) -> Library:
    """--items tracks and the schedule's sounds, the same for the same seed."""
    rnd = random.Random(seed)
    names = voice_names()
    night0 = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    first_heard = {}
    for i, name in enumerate(names):
        if i >= VOICES - NEWCOMERS:
            first_heard[name] = Date(2026, 8, 30) + timedelta(days=rnd.randrange(80))  # within 90 days
        else:
            first_heard[name] = Date(2021, 1, 1) + timedelta(days=rnd.randrange(5 * 365))
    # Some presenters are prolific (the cap matters), newcomers have a few episodes each.
    weights = [(3.0 if i % 37 == 6 else 1.0) * (0.4 if i >= VOICES - NEWCOMERS else 1.0) for i in range(VOICES)]
    topic_ids = list(nodes())
    notes = list(CONTENT_NOTES)
    shows = list(SHOWS)
    tracks = []
    for n in range(items):
        voices = list(dict.fromkeys(rnd.choices(names, weights, k=2 if rnd.random() < 0.2 else 1)))
        earliest = max(first_heard[v] for v in voices)
        r = rnd.random()
        minutes = (
            rnd.uniform(3, 10)
            if r < 0.2
            else rnd.uniform(10, 30)
            if r < 0.8
            else rnd.uniform(30, 45)
            if r < 0.95
            else rnd.uniform(45, 60)
        )
        span = max(1, (NIGHT - timedelta(days=2) - earliest).days)
        published = datetime.combine(
            earliest + timedelta(days=rnd.randrange(span)), datetime.min.time(), UTC
        ) + timedelta(hours=rnd.choice([9, 12, 18, 20]))
        if rnd.random() < 0.01:
            published = night0 + timedelta(days=rnd.randrange(1, 30))  # not out yet
        expires = None
        if rnd.random() < 0.02:
            expires = (NIGHT + timedelta(days=rnd.randrange(0, 3))).isoformat()  # consent ends tonight or soon
        elif rnd.random() < 0.1:
            expires = Date(2027 + rnd.randrange(3), 1, 1).isoformat()
        show = rnd.choice(shows)
        guid = f"{rnd.getrandbits(128):032x}"
        guid = f"{guid[:8]}-{guid[8:12]}-{guid[12:16]}-{guid[16:20]}-{guid[20:]}"
        title = " ".join(rnd.sample(WORDS, 3)).capitalize()
        tracks.append(
            Track(
                guid=guid,
                show=show,
                show_title=SHOWS[show],
                slug=f"{title.lower().replace(' ', '-')}-{n}",
                title=title,
                credits=tuple(v.split()[0] for v in voices),
                voices=tuple(presenter_key(v) for v in voices),
                first_heard=tuple(first_heard[v].isoformat() for v in voices),
                content_notes=tuple(rnd.sample(notes, rnd.choice([1, 1, 2]))) if rnd.random() < 0.15 else (),
                topics=tuple(rnd.sample(topic_ids, rnd.randint(1, 3))),
                tags=tuple(rnd.sample(TAGS, rnd.choice([0, 1, 1, 2]))),
                duration_s=round(minutes * 60, 3),
                audio=f".station/cache/stream/{guid}.mp3",
                published_at=published.isoformat(),
                consent_date=(published.date() - timedelta(days=3)).isoformat(),
                consent_expires=expires,
            )
        )
    sounds = {
        source: Sound(
            source,
            f".station/cache/material/{hashlib.sha256(source.encode()).hexdigest()[:16]}.mp3",
            seconds,
            library_mod.sound_title(source),
        )
        for source, seconds in MATERIAL.items()
    }
    return Library(tracks, sounds)


def mix_baseline(library: Library, night: Date) -> list[Track]:
    """What assembly must at least do: read every track once, in its per-night order."""
    day = night.isoformat()
    return sorted(library.tracks, key=lambda t: hashlib.sha256(f"{t.guid}{day}".encode()).hexdigest())


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t, result


def check_night(night: Night, library: Library, history: dict, schedules) -> list[str]:
    """The night's shape and its rules, as the result shows them; '' lines are fine, others are problems."""
    lines, bad = [], []
    slots = night.slots
    gaps = [b.start_s - a.end_s for a, b in itertools.pairwise(slots)]
    exact = (
        slots[0].start_s == 0
        and max(map(abs, gaps), default=0) < 1e-6
        and abs(slots[-1].end_s - night.length_s) < 1e-6
        and all(s.duration_s > 0 for s in slots)
    )
    lines.append(
        f"fills its window: {night.length_s / 3600:g} h ({night.start:%H:%M}-{night.end:%H:%M} "
        f"{night.start.tzinfo}), first slot at 0, last ends at {slots[-1].end_s:.6f} s, largest gap or "
        f"overlap {max(map(abs, gaps), default=0):.2e} s: {'exact' if exact else 'WRONG'}"
    )
    if not exact:
        bad.append("window")
    rules = schedules.files[0].data.rules
    episodes = [s for s in slots if s.guid]
    by_guid = {t.guid: t for t in library.tracks}
    air: dict[str, float] = {}
    for s in episodes:
        for v in by_guid[s.guid].voices:
            air[v] = air.get(v, 0) + s.duration_s
    top = max(air.values()) / night.length_s * 100
    new = sum(s.duration_s for s in episodes if by_guid[s.guid].newcomer(night.night, rules.newcomer_days))
    share = 100 * new / sum(s.duration_s for s in episodes)
    recent = set().union(*history.values()) if history else set()
    repeats = sum(s.guid in recent for s in episodes)
    paused = presenter_key(PAUSED)
    rested = sum(paused in by_guid[s.guid].voices for s in episodes)
    midnight = schedules.files[0].offset_s(night.night, 0)
    early = sum(
        1 for s in episodes if {"overdose", "suicide", "self-harm"} & set(s.content_notes) and s.start_s < midnight
    )
    signposts = [s for s in slots if s.kind == "signpost"]
    spacing = max((b.start_s - a.end_s for a, b in itertools.pairwise(signposts)), default=0)
    after_notes = all(slots[i + 1].kind == "signpost" for i, s in enumerate(slots[:-1]) if s.content_notes)
    lines.append(
        f"rules: top presenter {top:.1f} % of the night (cap {rules.presenter_max_percent:g} %); "
        f"newcomers {share:.1f} % of episode time (aim {rules.newcomer_percent:g} %); {repeats} episodes "
        f"heard in the last {rules.no_repeat_nights} nights ({len(recent)} guids in the history); "
        f"{rested} by the paused presenter; {early} with overdose/suicide/self-harm before 00:00; "
        f"signposting at most {spacing / 60:.1f} min apart (every {rules.signpost_every_min}), "
        f"after every episode with content notes: {after_notes}"
    )
    if top > rules.presenter_max_percent + 1e-9 or repeats or rested or early or not after_notes:
        bad.append("rules")
    return lines + [f"PROBLEM: {b}" for b in bad]


def assembly(items: int, hours: int, repeat: int) -> None:
    print(f"\n== 1. assembly: a {hours}-hour night from {items:,} items ==")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "station"
        root.mkdir()
        config = write_station(root, hours)
        load_s, schedules = timed(schedule_mod.load, config, set(SHOWS))
        errors = [str(p) for p in schedules.problems if p.is_error]
        assert not errors, errors
        made_s, library = timed(make_library, items)
        library_mod.save(config, library)
        for back in (3, 2, 1):  # the three nights before, pinned as the daemon pins them
            nights.running_order(config, NIGHT - timedelta(days=back), schedules=schedules, library=library)
        history = nights.history(config, NIGHT, schedules.files[0].data.rules.no_repeat_nights)
        start, end = schedules.files[0].window(NIGHT)
        on_air = sum(t.on_air(start, end) for t in library.tracks)
        newcomer_tracks = sum(t.newcomer(NIGHT, 90) for t in library.tracks)
        print(
            f"library: {len(library.tracks):,} tracks ({on_air:,} cleared for the night), "
            f"{len({v for t in library.tracks for v in t.voices})} voices, {newcomer_tracks} newcomers' tracks, "
            f"{sum(bool(t.content_notes) for t in library.tracks):,} with content notes, "
            f"{sum(presenter_key(PAUSED) in t.voices for t in library.tracks)} by the paused presenter, "
            f"{sum(t.duration_s for t in library.tracks) / 3600:,.0f} hours in all; {len(library.sounds)} sounds; "
            f"made in {made_s:.2f} s (not timed below)"
        )
        print(
            f"history: {', '.join(f'{d:%a %-d %b} {len(g)} episodes' for d, g in sorted(history.items()))} "
            f"(assembled and pinned with nights.running_order, read back with nights.history)"
        )
        print(f"schedule.load (YAML + pydantic + checks, 2 files): {load_s * 1000:.1f} ms")

        ours, base = [], []
        night = None
        for r in range(repeat):
            for side in ("ours", "base") if r % 2 == 0 else ("base", "ours"):
                if side == "ours":
                    s, night = timed(assemble, schedules, library, NIGHT, history)
                    ours.append(s)
                else:
                    base.append(timed(mix_baseline, library, NIGHT)[0])
        print(f"{'run':>4} {'baseline s':>11} {'assemble s':>11}")
        for i, (b, o) in enumerate(zip(base, ours, strict=True), 1):
            print(f"{i:>4} {b:>11.4f} {o:>11.4f}   ({'ours' if i % 2 else 'baseline'} first)")
        print(
            f"best {min(base):>11.4f} {min(ours):>11.4f}; median {statistics.median(base):.4f} / "
            f"{statistics.median(ours):.4f}"
        )
        print(
            f"ratio assemble/baseline = {min(ours) / min(base):.1f} (best), "
            f"{statistics.median(ours) / statistics.median(base):.1f} (median); assembly {min(ours) * 1000:.0f} ms "
            f"for {hours} h from {items:,} items: {min(ours) / AIM_S:.2f}x the {AIM_S:g} s aim "
            f"({'well under' if min(ours) < AIM_S / 3 else 'under' if min(ours) < AIM_S else 'OVER'})"
        )
        kinds: dict[str, int] = {}
        for s in night.slots:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
        print(
            f"the night: {len(night.slots)} slots ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
            f"{sum(1 for s in night.slots if s.guid)} episodes "
            f"({sum(s.duration_s for s in night.slots if s.guid) / 3600:.2f} h), "
            f"{sum(s.standby for s in night.slots)} standing in; {len(night.notes)} notes for coordinators:"
        )
        for note in night.notes:
            print(f"  - [{note.severity.value}] {note.what}")
        for line in check_night(night, library, history, schedules):
            print(line)
        again = assemble(schedules, library, NIGHT, history)
        print(f"deterministic: the same inputs give the same JSON: {again.to_json() == night.to_json()}")

        tracemalloc.start()
        tracemalloc.reset_peak()
        assemble(schedules, library, NIGHT, history)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"peak memory of assembly (tracemalloc, the library already built): {peak / 2**20:.1f} MB")

        pin_s = min(timed(night.to_json)[0] for _ in range(repeat))
        pin = night.to_json()
        back_s = min(timed(Night.from_json, pin)[0] for _ in range(repeat))
        lib_s = min(timed(library.to_json)[0] for _ in range(repeat))
        text = library.to_json()
        lib_back_s = min(timed(Library.from_json, text)[0] for _ in range(repeat))
        print(
            f"Night.to_json (the pin): {pin_s * 1000:.1f} ms, {len(pin.encode()):,} bytes; from_json "
            f"{back_s * 1000:.1f} ms"
        )
        print(
            f"Library.to_json: {lib_s * 1000:.0f} ms, {len(text.encode()):,} bytes "
            f"({len(text.encode()) / len(library.tracks):,.0f} a track); from_json {lib_back_s * 1000:.0f} ms"
        )

        # What the player pays in production before each item: its default running_order is a nights.Follower,
        # which stats the files the night is made from (schedules, pause list, library.json, the pin) and reads
        # it all again with nights.running_order (schedules and library.json loaded, the key, the pin) only when
        # one of them has changed, as after a build during the night that rewrote library.json.
        nights.running_order(config, NIGHT, schedules=schedules, library=library)  # tonight's pin
        now = start + timedelta(hours=1)
        follower = nights.Follower(config, lambda: now)
        first_s, order = timed(follower, NIGHT)
        assert order.slots == night.slots and order.key, "the pin is tonight's night"
        unchanged = [timed(follower, NIGHT)[0] for _ in range(20)]
        changed = []
        lib_path = library_mod.path(config)
        for i in range(repeat):
            stamp = lib_path.stat().st_mtime_ns + (i + 1) * 1_000_000_000
            os.utime(lib_path, ns=(stamp, stamp))  # rewritten with the same text: read again, same pin
            s, again = timed(follower, NIGHT)
            assert again.slots == night.slots
            changed.append(s)
        per_hour = len(night.slots) / (night.length_s / 3600)
        still = statistics.median(unchanged)
        print(
            f"before each item in production (nights.Follower): nothing changed {still * 1e3:.2f} ms (median of "
            f"20; x {per_hour:.0f} items an hour = {still * per_hour * 1e3:.1f} ms an hour); a file changed, read "
            f"again (nights.running_order: schedules and library.json loaded, the key, the pin) best "
            f"{min(changed) * 1000:.0f} ms, median {statistics.median(changed) * 1000:.0f} ms; the first call "
            f"{first_s * 1000:.0f} ms (not in part 2, which passes running_order=lambda night: the night)"
        )


# ================================================================ 2. playout: media and the night


def media() -> dict[str, Path]:
    """The real audio, made once (cached in bench/out/stream/)."""
    from tests import media as m

    OUT.mkdir(parents=True, exist_ok=True)
    texts = [
        (
            "ep-night-bus",
            4,
            "en-us",
            "Hello, it is Sam. Tonight I stayed on the night bus all the way home from the "
            "meeting. If you are on a bus somewhere right now, stay on. The driver knows my face by now.",
        ),
        (
            "ep-kettle",
            6,
            "en-gb",
            "This is Jo. At three in the morning I put the kettle on and phoned a friend "
            "instead. It helped more than I ever thought it would, and we talked until it was light.",
        ),
        (
            "ep-first-light",
            8,
            "en-gb-scotland",
            "Dee here, awake again. I open the curtains and wait for the first "
            "light over the houses. It always comes, even on the long nights, even when I doubt it.",
        ),
        (
            "ep-the-walk",
            11,
            "en-029",
            "Chris speaking. When the craving came I walked once round the block, then "
            "once more. By the second lap it had passed, and I went home and slept.",
        ),
    ]
    made = {}
    for name, minutes, voice, text in texts:
        path = OUT / f"{name}.mp3"
        if not path.exists():
            print(f"making {path.name} ({minutes} min) …", flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                unit = m.speech(text, Path(tmp) / "unit.wav", voice=voice, speed=150, pad_s=0.5)
                m.long_speech(path.with_name("partial-" + path.name), minutes, unit=unit)
            path.with_name("partial-" + path.name).rename(path)
        made[name] = path
    for name, text in (
        ("ident-night-owls", "Night Owls Radio, through the night."),
        ("ident-not-alone", "You are listening to Night Owls Radio. You are not alone."),
        (
            "signpost",
            "If you need to talk to someone now, the Samaritans are there day and night "
            "on one one six, one two three. You can also text the word SHOUT to eight five two five "
            "eight. If you are in danger, call nine nine nine.",
        ),
    ):
        path = OUT / f"{name}.mp3"
        if not path.exists():
            m.speech(text, path, pad_s=0.3)
        made[name] = path
    path = OUT / "bed.mp3"
    if not path.exists():
        m.bed(path, 120)
    made["bed"] = path
    return made


def decoded_seconds(path: Path) -> tuple[float, str]:
    """Decode with the bundled ffmpeg: the audio's length (samples per channel / 44.1 kHz) and any error."""
    result = subprocess.run(
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-v",
            "info",
            "-i",
            str(path),
            "-af",
            "astats=measure_perchannel=none:measure_overall=Number_of_samples",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = re.findall(r"Number of samples: (\d+)", result.stderr)
    errors = [line for line in result.stderr.splitlines() if re.search(r"error|invalid|corrupt", line, re.I)]
    if result.returncode:
        errors.append(f"exit {result.returncode}")
    return (int(found[-1]) / 44100 if found else 0.0), "; ".join(errors)


def lengths(files: dict[str, Path]) -> dict[str, float]:
    cache = OUT / "lengths.json"
    known = json.loads(cache.read_text()) if cache.exists() else {}
    stamp = {k: f"{p.name}:{p.stat().st_size}" for k, p in files.items()}
    if known.get("stamp") != stamp:
        known = {"stamp": stamp, "s": {k: decoded_seconds(p)[0] for k, p in files.items()}}
        cache.write_text(json.dumps(known))
    return known["s"]


def play_station(root: Path, files: dict[str, Path]):
    """A station folder for the player: station.toml and the audio under it (linked, not copied)."""
    (root / "content").mkdir(parents=True)
    (root / "audio").mkdir()
    (root / "station.toml").write_text(STATION_TOML, encoding="utf-8")
    for path in files.values():
        target = root / "audio" / path.name
        try:
            os.link(path, target)
        except OSError:
            target.write_bytes(path.read_bytes())
    config = config_mod.load(root)
    Ledger(config.state_dir / "state.sqlite").close()  # the player asks it about withdrawals before each episode
    return config


def play_night(files: dict[str, Path], seconds: dict[str, float], minutes: float) -> Night:
    """--play-minutes of night by hand, as assembly would lay it out."""
    length = minutes * 60
    slots: list[Slot] = []
    episodes = [k for k in files if k.startswith("ep-")]
    idents = ["ident-night-owls", "ident-not-alone"]
    t, n_ep, played, n_id, last_ident, last_sign = 0.0, 0, 0, 0, -1e9, -1e9

    def add(kind: str, key: str, title: str, duration: float, **extra) -> None:
        nonlocal t
        slots.append(Slot(t, duration, kind, title, f"audio/{files[key].name}", "bench", **extra))
        t += duration

    while length - t > 1e-6:
        room = length - t
        if t - last_sign >= 45 * 60 and seconds["signpost"] <= room:
            last_sign = t
            add("signpost", "signpost", "Where to find help tonight", seconds["signpost"])
        elif t - last_ident >= 30 * 60 and seconds[idents[0]] <= room:
            last_ident = t
            key = idents[n_id % 2]
            n_id += 1
            add("ident", key, "Station ident", seconds[key])
        elif fits := [n_ep + i for i in range(len(episodes)) if seconds[episodes[(n_ep + i) % len(episodes)]] <= room]:
            key = episodes[fits[0] % len(episodes)]  # the next episode in turn that fits, as assembly picks
            n_ep, played = fits[0] + 1, played + 1
            add(
                "episode",
                key,
                key[3:].replace("-", " ").capitalize(),
                seconds[key],
                guid=f"guid-{played:04d}",
                show="night-talk",
                show_title="Night Talk",
                slug=key[3:],
                credits=("Sam",),
            )
            if played % 3 == 0:
                add("bed", "bed", "Music", min(40.0, length - t))
        else:
            add("bed", "bed", "Music", min(seconds["bed"], room))
    slots = [s for s in slots if s.duration_s > 0]
    start = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    return Night(
        night=NIGHT,
        schedule="bench",
        start=start,
        end=start + timedelta(seconds=length),
        slots=slots,
        fallback=[f"audio/{files['bed'].name}"],
    )


# ================================================================ 2. playout: the two sides


class Mp3FileOutput(Output):
    """The Icecast output's encoder (MP3 at mp3_kbps), writing to a file instead of a mount."""

    name = "MP3"

    def __init__(self, settings, path: Path):
        super().__init__(settings)
        self.path = path

    def command(self) -> list[str]:
        return ["-c:a", "libmp3lame", "-b:a", f"{self.settings.mp3_kbps}k", "-f", "mp3", str(self.path)]


class VirtualClock:
    """now() is virtual; sleep(s) moves it on at once. It waits (really) only while an output's queue is more
    than half full: a real clock paces the player slower than the encoders go, so their queues stay near empty."""

    def __init__(self, start: datetime, outputs: list[Output]):
        self.t, self.outputs = start, outputs
        self.held = 0

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=max(0.0, seconds))
        for out in self.outputs:
            q = out.queue
            with q.not_full:
                while len(q.queue) > q.maxsize // 2:
                    self.held += 1
                    q.not_full.wait(1.0)


def cpu_now() -> tuple[float, float, float]:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime, time.perf_counter()


def play_ours(config, night: Night, folder: Path, joins: bool = True) -> dict:
    """`joins` False: the player with no fades, crossfades or ducking (fade_ms 0, crossfade_s 0)."""
    settings = config.settings.stream
    mp3 = Mp3FileOutput(settings, folder / "ours.mp3")
    hls = HlsOutput(settings, folder / "ours-hls")
    outputs = [mp3, hls]
    clock = VirtualClock(night.start, outputs)
    player = Player(config, outputs, clock, running_order=lambda _: night)
    if not joins:
        player.settings = settings.model_copy(update={"fade_ms": 0, "crossfade_s": 0.0})
    epoch = time.time()
    s0, c0, w0 = cpu_now()
    report = player.play(night.night)
    s1, c1, w1 = cpu_now()
    reaped = all(o.process is not None and o.process.poll() is not None and not o.thread.is_alive() for o in outputs)
    return {
        "self": s1 - s0,
        "children": c1 - c0,
        "wall": w1 - w0,
        "seconds": report.seconds,
        "standby": report.standby,
        "played": len(report.played),
        "dropped": sum(o.dropped_s for o in outputs),
        "restarts": sum(o.restarts for o in outputs),
        "failure": [o.failure for o in outputs if o.failure],
        "reaped": reaped,
        "held": clock.held,
        "mp3": mp3.path,
        "hls": hls.folder,
        "epoch": epoch,
    }


def baseline_inputs(config, night: Night) -> tuple[list[str], str]:
    args, graph = [], ""
    for i, s in enumerate(night.slots):
        args += ["-ss", f"{s.from_s:.3f}", "-t", f"{s.duration_s:.6f}", "-i", str(config.root / s.audio)]
        graph += f"[{i}:a]aresample=44100,aformat=sample_fmts=s16:channel_layouts=stereo[a{i}];"
    graph += "".join(f"[a{i}]" for i in range(len(night.slots))) + f"concat=n={len(night.slots)}:v=0:a=1"
    return args, graph


def ffmpeg_hls(settings, folder: Path) -> list[str]:
    """The baseline's HLS: ffmpeg's own muxer writing segments and the playlist, as the player did before it
    kept the playlist itself (radio/hls.py): the least any HLS output must do."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        "-c:a",
        "aac",
        "-b:a",
        f"{settings.aac_kbps}k",
        "-f",
        "hls",
        "-hls_time",
        str(settings.hls_segment_s),
        "-hls_list_size",
        str(max(2, settings.hls_window_s // settings.hls_segment_s)),
        "-hls_flags",
        "delete_segments+temp_file+program_date_time",
        "-hls_segment_filename",
        str(folder / "night-%d.ts"),
        str(folder / "night.m3u8"),
    ]


def baseline_command(config, night: Night, folder: Path) -> tuple[list[str], Path, Path]:
    settings = config.settings.stream
    mp3 = Mp3FileOutput(settings, folder / "base.mp3")
    hls = HlsOutput(settings, folder / "base-hls")  # its folder; the playlist there is ffmpeg's own (ffmpeg_hls)
    args, graph = baseline_inputs(config, night)
    return (
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-v",
            "error",
            "-nostdin",
            *args,
            "-filter_complex",
            graph + ",asplit=2[m][h]",
            "-map",
            "[m]",
            *mp3.command(),
            "-map",
            "[h]",
            *ffmpeg_hls(settings, hls.folder),
        ],
        mp3.path,
        hls.folder,
    )


def play_baseline(config, night: Night, folder: Path) -> dict:
    cmd, mp3, hls = baseline_command(config, night, folder)
    s0, c0, w0 = cpu_now()
    subprocess.run(cmd, check=True)
    s1, c1, w1 = cpu_now()
    return {"self": s1 - s0, "children": c1 - c0, "wall": w1 - w0, "mp3": mp3, "hls": hls}


def check_outputs(mp3: Path, hls: Path, length: float, epoch: float | None = None) -> tuple[bool, str]:
    """The MP3 decodes to the played length; the HLS playlist is closed and decodes."""
    got, err = decoded_seconds(mp3)
    ok = abs(got - length) <= 1.5 and not err
    text = (hls / "night.m3u8").read_text(encoding="utf-8")
    listed = sum(float(x) for x in re.findall(r"#EXTINF:([\d.]+)", text))
    seq = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    count = len(re.findall(r"#EXTINF", text))
    hls_s, hls_err = decoded_seconds(hls / "night.m3u8")
    closed = text.rstrip().endswith("#EXT-X-ENDLIST")
    ok = ok and closed and not hls_err and abs(hls_s - listed) <= 1.0
    written = f", about {seq + count - int(epoch)} segments written in all (epoch numbering)" if epoch else ""
    return ok, (
        f"MP3 {mp3.stat().st_size / 2**20:.1f} MB decodes to {got:.2f} s (played {length:.2f} s, "
        f"{got - length:+.2f} s){' ERROR ' + err if err else ''}; HLS playlist "
        f"{'closed' if closed else 'NOT CLOSED'}, lists {count} segments ({listed:.1f} s), decodes to "
        f"{hls_s:.2f} s{' ERROR ' + hls_err if hls_err else ''}{written}"
    )


def reap(proc: subprocess.Popen) -> float:
    """Wait for one process with wait4: its own CPU seconds."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{proc.args[:6]}… exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def where_it_goes(config, night: Night, folder: Path) -> dict:
    """Each kind of ffmpeg on its own, every process reaped with wait4."""
    ff = ffmpeg.executable()
    rate = ["-f", "s16le", "-ac", "2", "-ar", "44100"]
    decoders = 0.0
    for s in night.slots:  # as Player._decode runs them: one per slot, stopped after the slot's length
        p = subprocess.Popen(
            [
                ff,
                "-hide_banner",
                "-v",
                "error",
                "-nostdin",
                "-ss",
                f"{s.from_s:.3f}",
                "-i",
                str(config.root / s.audio),
                "-t",
                f"{s.duration_s:.6f}",
                *rate,
                "pipe:1",
            ],
            stdout=subprocess.DEVNULL,
        )
        decoders += reap(p)
    args, graph = baseline_inputs(config, night)
    settings = config.settings.stream
    out = {"decoders": decoders}
    for name, enc in (
        ("mp3", Mp3FileOutput(settings, folder / "parts.mp3")),
        ("hls", HlsOutput(settings, folder / "parts-hls")),
    ):
        dec = subprocess.Popen(
            [ff, "-hide_banner", "-v", "error", "-nostdin", *args, "-filter_complex", graph, *rate, "pipe:1"],
            stdout=subprocess.PIPE,
        )
        encoder = subprocess.Popen(  # stdout: the HLS encoder's list of segments (the player reads it)
            [ff, "-hide_banner", "-v", "error", "-nostdin", *rate, "-i", "pipe:0", *enc.command()],
            stdin=dec.stdout,
            stdout=subprocess.DEVNULL,
        )
        dec.stdout.close()
        out[name] = reap(encoder)
        out[f"concat-{name}"] = reap(dec)
    # A what-if (the bench's, not the code): the HLS encoder with ffmpeg's fast AAC coder instead of twoloop.
    command = HlsOutput(settings, folder / "fast-hls").command()
    command[command.index("aac") + 1 : command.index("aac") + 1] = ["-aac_coder", "fast"]
    dec = subprocess.Popen(
        [ff, "-hide_banner", "-v", "error", "-nostdin", *args, "-filter_complex", graph, *rate, "pipe:1"],
        stdout=subprocess.PIPE,
    )
    encoder = subprocess.Popen(
        [ff, "-hide_banner", "-v", "error", "-nostdin", *rate, "-i", "pipe:0", *command],
        stdin=dec.stdout,
        stdout=subprocess.DEVNULL,
    )
    dec.stdout.close()
    out["hls-fast"] = reap(encoder)
    reap(dec)
    return out


def playout(files, seconds, config, minutes: float, repeat: int) -> None:
    night = play_night(files, seconds, minutes)
    length = night.length_s
    hours = length / 3600
    kinds: dict[str, int] = {}
    for s in night.slots:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    print(
        f"\n== 2. playout: {minutes:g} minutes of night, {len(night.slots)} slots "
        f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), best of {repeat} =="
    )
    print(
        f"outputs: MP3 {config.settings.stream.mp3_kbps} kb/s to a file (the Icecast encoder), HLS AAC "
        f"{config.settings.stream.aac_kbps} kb/s, {config.settings.stream.hls_segment_s} s segments, "
        f"{config.settings.stream.hls_window_s} s window; lead_s {config.settings.stream.lead_s:g}"
    )
    print(
        f"{'run':>4} {'side':>9} {'CPU s':>7} {'self':>7} {'children':>9} {'wall s':>7} {'CPU/h s':>8} "
        f"{'x real':>7}  checks"
    )
    ours, base, plain = [], [], []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for r in range(repeat):
            sides = ("ours", "no-joins", "baseline")
            for side in sides if r % 2 == 0 else sides[::-1]:
                folder = Path(tmp) / f"{side}-{r}"
                folder.mkdir()
                if side in ("ours", "no-joins"):
                    m = play_ours(config, night, folder, joins=side == "ours")
                    ok, text = check_outputs(m["mp3"], m["hls"], m["seconds"])
                    ok = (
                        ok
                        and m["reaped"]
                        and not m["standby"]
                        and m["dropped"] == 0
                        and not m["restarts"]
                        and abs(m["seconds"] - length) < 0.01
                    )
                    text = (
                        f"played {m['seconds']:.2f} s, {m['played']} items, standby {len(m['standby'])}, "
                        f"dropped {m['dropped']:.1f} s, restarts {m['restarts']}, encoders reaped "
                        f"{m['reaped']}, clock held {m['held']}x; " + text
                    )
                    (ours if side == "ours" else plain).append(m)
                else:
                    m = play_baseline(config, night, folder)
                    ok, text = check_outputs(m["mp3"], m["hls"], length)
                    base.append(m)
                total = m["self"] + m["children"]
                print(
                    f"{r + 1:>4} {side:>9} {total:>7.2f} {m['self']:>7.2f} {m['children']:>9.2f} {m['wall']:>7.2f} "
                    f"{total / hours:>8.2f} {length / m['wall']:>7.0f}  {'ok' if ok else 'FAILED'}: {text}",
                    flush=True,
                )
                shutil.rmtree(folder)  # about 60 MB an hour: not kept
        cpu = lambda m: m["self"] + m["children"]  # noqa: E731
        bo, bb = min(ours, key=cpu), min(base, key=cpu)
        print(
            f"best: ours {cpu(bo):.2f} s CPU ({bo['self']:.2f} Python + {bo['children']:.2f} ffmpeg), wall "
            f"{bo['wall']:.2f} s; baseline {cpu(bb):.2f} s CPU, wall {bb['wall']:.2f} s (medians "
            f"{statistics.median(map(cpu, ours)):.2f} / {statistics.median(map(cpu, base)):.2f})"
        )
        print(
            f"CPU seconds per hour of audio: ours {cpu(bo) / hours:.1f} ({cpu(bo) / length:.4f} of real time, "
            f"{cpu(bo) / length * 100:.2f} % of a core), baseline {cpu(bb) / hours:.1f} ({cpu(bb) / length:.4f}); "
            f"ratio ours/baseline = {cpu(bo) / cpu(bb):.2f}"
        )
        bp = min(plain, key=cpu)
        print(
            f"joins (fades, crossfades, ducking): ours {cpu(bo) / hours:.1f} CPU s per hour of audio, with none "
            f"{cpu(bp) / hours:.1f}; ratio with/without = {cpu(bo) / cpu(bp):.3f} (Python alone "
            f"{bo['self'] / hours:.1f} / {bp['self'] / hours:.1f})"
        )
        print(
            f"wall: ours {length / bo['wall']:.0f}x real time on {os.cpu_count()} CPUs, baseline "
            f"{length / bb['wall']:.0f}x"
        )

        parts = where_it_goes(config, night, Path(tmp))
        concat = (parts["concat-mp3"] + parts["concat-hls"]) / 2
        est = bo["self"] + parts["decoders"] + parts["mp3"] + parts["hls"]
        share = lambda x: f"{x / hours:.1f} s ({100 * x / est:.0f} %)"  # noqa: E731
        print(
            f"where ours goes, CPU s per hour of audio (Python exact, from the best run; ffmpeg from separate runs, "
            f"each process reaped with wait4): Python (player loop + 2 writer threads) {share(bo['self'])}; "
            f"{len(night.slots)} decoders as the player runs them {share(parts['decoders'])}; MP3 encoder "
            f"{share(parts['mp3'])}; AAC/HLS encoder {share(parts['hls'])}; sum {est / hours:.1f} s (ours measured "
            f"{cpu(bo) / hours:.1f} s). For scale: one concat decoder for all the slots {concat / hours:.1f} s; "
            f"what-if (bench only): the AAC/HLS encoder with -aac_coder fast {parts['hls-fast'] / hours:.1f} s"
        )


# ================================================================ memory: fresh processes


def vm_hwm_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else None


class Sampler(threading.Thread):
    """Every 50 ms, the VmHWM of `pid` and of each of its children, by kind (from its command line)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peaks, self.done = pid, {}, threading.Event()

    def kind(self, pid: int) -> str | None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != self.pid:
                return None
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            return None
        if b"pipe:0" in cmd:
            return "MP3 encoder" if b"libmp3lame" in cmd else "AAC/HLS encoder"
        return "decoder" if b"pipe:1" in cmd else "other child"

    def run(self) -> None:
        while not self.done.is_set():
            self.take(self.pid, "itself")
            for entry in os.listdir("/proc"):
                if entry.isdigit() and (kind := self.kind(int(entry))):
                    self.take(int(entry), kind)
            time.sleep(0.05)

    def take(self, pid: int, kind: str) -> None:
        mb = vm_hwm_mb(pid)
        if mb is not None:
            self.peaks[kind] = max(self.peaks.get(kind, 0.0), mb)


def memory(minutes: float) -> None:
    print(
        f"\n== memory: one playout of {minutes:g} minutes in a fresh Python process, and the baseline ffmpeg ==",
        flush=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.stream", "--_play-once", "--play-minutes", str(minutes)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    sampler.done.set()
    sampler.join()
    assert proc.returncode == 0, out
    m = json.loads(out.strip().splitlines()[-1])
    print(
        f"player process: ru_maxrss {m['self_mb']:.0f} MB ({m['start_mb']:.0f} MB after imports), VmHWM "
        f"{m['hwm_mb']:.0f} MB; children ru_maxrss {m['children_mb']:.0f} MB (the largest child, which on Linux "
        f"includes the player's RSS when it was spawned); sampled VmHWM: "
        + ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(sampler.peaks.items()) if k != "itself")
        + f"; {m['check']}"
    )
    files = media()
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        config = play_station(Path(tmp) / "station", files)
        night = play_night(files, lengths(files), minutes)
        cmd, _, _ = baseline_command(config, night, Path(tmp))
        p = subprocess.Popen(cmd)
        sampler = Sampler(os.getpid())
        sampler.start()
        _, _, usage = os.wait4(p.pid, 0)
        p.returncode = 0
        sampler.done.set()
        sampler.join()
    print(
        f"baseline ffmpeg: VmHWM {sampler.peaks.get('other child', 0):.0f} MB (sampled), ru_maxrss "
        f"{usage.ru_maxrss / 1024:.0f} MB (includes this process's RSS at the spawn)"
    )


def play_once(minutes: float) -> None:
    """Run in a fresh process: one playout, then getrusage and VmHWM as JSON on the last line."""
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    files = media()
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        config = play_station(Path(tmp) / "station", files)
        night = play_night(files, lengths(files), minutes)
        (Path(tmp) / "out").mkdir()
        m = play_ours(config, night, Path(tmp) / "out")
        ok, text = check_outputs(m["mp3"], m["hls"], m["seconds"])
        print(
            json.dumps(
                {
                    "start_mb": start,
                    "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                    "hwm_mb": vm_hwm_mb(os.getpid()),
                    "check": f"{'ok' if ok and not m['dropped'] else 'FAILED'}: {text}",
                }
            )
        )


# ================================================================ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000, help="tracks in the stream library (default 10000)")
    parser.add_argument(
        "--hours",
        type=int,
        default=8,
        choices=range(1, 24),
        metavar="1-23",
        help="the night's length from 22:00 (default 8)",
    )
    parser.add_argument("--play-minutes", type=float, default=60, help="minutes of night played (default 60)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best counts (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the fresh-process memory runs")
    parser.add_argument("--_play-once", dest="play_once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.play_once:
        play_once(args.play_minutes)
        return 0
    print(timing.machine("PyYAML", "pydantic", "numpy", "imageio-ffmpeg"))
    version = subprocess.run([ffmpeg.executable(), "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"ffmpeg: {version}")
    git = ["git", "-C", str(Path(__file__).resolve().parent.parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "station"], capture_output=True, text=True).stdout.strip()
    print(f"station/ as of commit {head or '?'}{' with uncommitted changes' if dirty else ''}")
    files = media()
    seconds = lengths(files)
    print("media: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    if not args.no_memory:
        memory(args.play_minutes)  # first, while this process is small
    assembly(args.items, args.hours, args.repeat)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        config = play_station(Path(tmp) / "station", files)
        playout(files, seconds, config, args.play_minutes, args.repeat)
    print(
        f"load average at the end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"(this bench keeps about 1.5-2 CPUs busy while it plays; more means something else was running)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
