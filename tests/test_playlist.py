"""Assembling a night: every rule on fixed dates, from a schedule file and a library written here.

Assembly is pure (schedules, library, night, recent nights → running order), so
these tests need no audio: the library's tracks and sounds are described, not
recorded. Playout of real audio is tests/test_stream.py.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import time

import pytest

from station import config as config_mod
from station import schedule as schedule_mod
from station.library import Library, Sound, Track
from station.playlist import SIGNPOST_TITLE, assemble
from station.schedule import presenter_key

NIGHT = dt.date(2026, 11, 23)   # a Monday
STATION_TOML = """
[station]
name = "Test Station"
base_url = "https://test.example.org/"
contact_email = "hello@test.example.org"
timezone = "Europe/London"
"""
MATERIAL = ["stream/idents/a.mp3", "stream/signposts/help.mp3", "stream/beds/bed.mp3",
            "stream/standby/calm.mp3", "stream/announcements/shelter.mp3"]


def schedule_yaml(rules: str = "", blocks: str | None = None, window=("22:00", "02:00"), extra: str = "") -> str:
    blocks = blocks or """
      - name: Talk
        start: "22:00"
        end: "02:00"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """
    own = textwrap.dedent(rules).strip().splitlines()
    defaults = ["ident_every_min: 30", "signpost_every_min: 60", "no_repeat_nights: 3", "presenter_max_percent: 100",
                "newcomer_percent: 0"]
    defaults = [d for d in defaults if not any(line.startswith(d.split(":")[0] + ":") for line in own)]
    return "\n".join([
        "name: Test week",
        f'window: {{start: "{window[0]}", end: "{window[1]}"}}',
        "rules:",
        *("  " + line for line in defaults + own),
        "material:",
        "  idents: [stream/idents/*.mp3]",
        "  signposts: [stream/signposts/*.mp3]",
        "  beds: [stream/beds/*.mp3]",
        textwrap.dedent(extra).strip(),
        "blocks:",
        textwrap.dedent(blocks).strip("\n"),
        "",
    ])


@pytest.fixture
def root(tmp_path):
    (tmp_path / "content" / "shows").mkdir(parents=True)
    for rel in MATERIAL:
        (tmp_path / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / rel).write_bytes(b"not read by assembly")
    (tmp_path / "station.toml").write_text(STATION_TOML)
    (tmp_path / "scheduler").mkdir()
    return tmp_path


def load(root, text: str, paused: str | None = None):
    (root / "scheduler" / "week.yaml").write_text(text)
    if paused is not None:
        (root / "scheduler" / "paused.yaml").write_text(paused)
    schedules = schedule_mod.load(config_mod.load(root), {"talk", "music"})
    assert [p for p in schedules.problems if p.is_error] == []
    return schedules


def track(n: int, minutes: float = 10, show: str = "talk", voice: str = "Sam", notes=(), first: str = "2025-01-01",
          topics=(), tags=(), published: str | None = "2026-11-01T20:00:00+00:00", expires: str | None = None) -> Track:
    return Track(guid=f"guid-{n:05d}", show=show, show_title=show.title(), slug=f"ep-{n}", title=f"Episode {n}",
                 credits=(voice,), voices=(presenter_key(voice),), first_heard=(first,), content_notes=tuple(notes),
                 topics=tuple(topics), tags=tuple(tags), duration_s=minutes * 60, audio=f"a/{n}.mp3",
                 published_at=published, consent_date="2026-10-01", consent_expires=expires)


def sounds(bed_s: float = 300, standby_s: float = 240, extra: dict | None = None) -> dict[str, Sound]:
    made = {"stream/idents/a.mp3": Sound("stream/idents/a.mp3", "c/ident.mp3", 5, "A"),
            "stream/signposts/help.mp3": Sound("stream/signposts/help.mp3", "c/help.mp3", 20, "Help"),
            "stream/beds/bed.mp3": Sound("stream/beds/bed.mp3", "c/bed.mp3", bed_s, "Bed"),
            "stream/standby/calm.mp3": Sound("stream/standby/calm.mp3", "c/calm.mp3", standby_s, "Calm"),
            "stream/announcements/shelter.mp3": Sound("stream/announcements/shelter.mp3", "c/shelter.mp3", 15,
                                                      "Shelter")}
    made.update(extra or {})
    return made


def of(night, kind: str):
    return [s for s in night.slots if s.kind == kind]


def episodes(night):
    return [s for s in night.slots if s.guid]


# ---------------------------------------------------------------- the shape of the night
def test_the_night_fills_its_window_to_the_second_and_never_overruns(root):
    schedules = load(root, schedule_yaml())
    night = assemble(schedules, Library([track(i, minutes=7.3 + i) for i in range(12)], sounds()), NIGHT)
    assert night.start == dt.datetime(2026, 11, 23, 22, 0, tzinfo=night.start.tzinfo)
    assert night.length_s == 4 * 3600
    assert night.slots[0].start_s == 0
    for a, b in zip(night.slots, night.slots[1:]):
        assert b.start_s == pytest.approx(a.end_s, abs=1e-6), "no gap and no overlap between items"
    assert night.slots[-1].end_s == pytest.approx(night.length_s, abs=1e-6)
    assert all(s.duration_s > 0 for s in night.slots)


def test_the_same_inputs_give_the_same_night_and_another_night_a_different_order(root):
    schedules = load(root, schedule_yaml())
    library = Library([track(i) for i in range(40)], sounds())
    first = assemble(schedules, library, NIGHT)
    assert first.to_json() == assemble(schedules, library, NIGHT).to_json()
    other = assemble(schedules, library, NIGHT + dt.timedelta(days=1))
    assert [s.guid for s in episodes(first)] != [s.guid for s in episodes(other)]


def test_a_night_across_the_clock_change_is_an_hour_longer(root):
    schedules = load(root, schedule_yaml(window=("22:00", "07:00"), blocks="""
      - name: Talk
        start: "22:00"
        end: "07:00"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """))
    # Clocks went back at 02:00 BST on Sunday 25 October 2026: that night lasts ten hours.
    night = assemble(schedules, Library([track(i) for i in range(80)], sounds()), dt.date(2026, 10, 24))
    assert night.length_s == 10 * 3600
    assert night.slots[-1].end_s == pytest.approx(10 * 3600)


# ---------------------------------------------------------------- idents, signposting, announcements
def test_an_ident_comes_round_every_n_minutes(root):
    schedules = load(root, schedule_yaml())
    night = assemble(schedules, Library([track(i, minutes=4) for i in range(60)], sounds()), NIGHT)
    idents = [s.start_s for s in of(night, "ident")]
    assert idents[0] < 60
    gaps = [b - a for a, b in zip(idents, idents[1:])]
    assert len(idents) >= 7
    assert all(30 * 60 <= g <= 30 * 60 + 4 * 60 + 30 for g in gaps), gaps   # due, then after the item playing


def test_signposting_is_never_more_than_n_minutes_apart_and_follows_content_notes(root):
    schedules = load(root, schedule_yaml())
    tracks = [track(i, minutes=9, notes=("overdose",) if i % 4 == 0 else ()) for i in range(40)]
    night = assemble(schedules, Library(tracks, sounds()), NIGHT)
    signposts = of(night, "signpost")
    assert signposts[0].start_s == 0, "the night opens with the crisis lines"
    assert all(s.title == SIGNPOST_TITLE for s in signposts)
    assert max(b.start_s - a.end_s for a, b in zip(signposts, signposts[1:])) <= 60 * 60
    slots = night.slots
    noted = [i for i, s in enumerate(slots) if s.content_notes]
    assert noted
    for i in noted:
        assert slots[i + 1].kind == "signpost", f"{slots[i].title} has a content note: signposting follows it"
    assert night.notes == []


def test_announcements_play_between_their_start_and_expiry_only(root):
    extra = """
    announcements:
      - title: Winter night shelter
        file: stream/announcements/shelter.mp3
        starts: 2026-11-20
        expires: 2026-11-23
        every_min: 60
    """
    schedules = load(root, schedule_yaml(extra=extra))
    library = Library([track(i) for i in range(40)], sounds())
    tonight = of(assemble(schedules, library, NIGHT), "announcement")
    assert [a.title for a in tonight] == ["Winter night shelter"] * len(tonight)
    assert 3 <= len(tonight) <= 4
    assert of(assemble(schedules, library, NIGHT + dt.timedelta(days=1)), "announcement") == [], "expired"
    assert of(assemble(schedules, library, dt.date(2026, 11, 19)), "announcement") == [], "not started"


# ---------------------------------------------------------------- who is heard
def test_no_presenter_has_more_than_their_share_of_the_night(root):
    schedules = load(root, schedule_yaml(rules="presenter_max_percent: 20"))
    tracks = [track(i, voice="Sam") for i in range(30)] + [track(100 + i, voice="Robin") for i in range(3)]
    night = assemble(schedules, Library(tracks, sounds()), NIGHT)
    sam = sum(s.duration_s for s in episodes(night) if s.credits == ("Sam",))
    assert 0 < sam <= 0.2 * night.length_s
    assert any("no presenter has more than 20%" in n.what for n in night.notes)
    assert of(night, "standby") or of(night, "bed"), "their time went to standby"


def test_newcomers_get_their_share_of_episode_time(root):
    schedules = load(root, schedule_yaml(rules="newcomer_percent: 30\nnewcomer_days: 60"))
    regulars = [track(i, voice=f"Regular {i}") for i in range(40)]
    newcomers = [track(200 + i, voice=f"New {i}", first="2026-11-10") for i in range(12)]
    night = assemble(schedules, Library(regulars + newcomers, sounds()), NIGHT)
    total = sum(s.duration_s for s in episodes(night))
    new = sum(s.duration_s for s in episodes(night) if s.credits[0].startswith("New"))
    assert new >= 0.3 * total
    few = assemble(schedules, Library(regulars + newcomers[:1], sounds()), NIGHT)
    short = [n for n in few.notes if "new voices have" in n.what]
    assert short and "not enough episodes by people first heard in the last 60 days" in short[0].what
    assert short[0].where == "scheduler/week.yaml line 8"


def test_a_paused_presenter_is_left_out_and_standby_takes_their_time_without_a_public_sign(root):
    text = schedule_yaml()
    tracks = [track(i, voice="Robin") for i in range(3)] + [track(10 + i, voice="Sam") for i in range(2)]
    library = Library(tracks, sounds())
    before = assemble(load(root, text), library, NIGHT)
    assert any(s.credits == ("Robin",) for s in episodes(before))
    schedules = load(root, text, paused="paused:\n  - presenter: robin   # any capitals\n    until: 2026-11-30\n")
    night = assemble(schedules, library, NIGHT)
    assert not any(s.credits == ("Robin",) for s in episodes(night))
    assert of(night, "standby"), "standby filled the time"
    public = str(night.public())
    assert "Robin" not in public and "standby" not in public.lower() and "paus" not in public.lower()
    assert any("resting presenters" in n.what for n in night.notes)  # said to coordinators only
    after = assemble(schedules, library, dt.date(2026, 12, 1))
    assert any(s.credits == ("Robin",) for s in episodes(after)), "back when the pause ends"


def test_episodes_whose_consent_does_not_cover_the_night_stay_out(root):
    schedules = load(root, schedule_yaml())
    library = Library([track(1), track(2, published="2026-11-24T09:00:00+00:00"), track(3, expires="2026-11-24")],
                      sounds())
    played = {s.guid for s in episodes(assemble(schedules, library, NIGHT))}
    assert played == {"guid-00001"}, "not yet published, or consent ending before the night is over"


# ---------------------------------------------------------------- what plays when
def test_content_with_late_notes_waits_for_its_hour(root):
    schedules = load(root, schedule_yaml(rules='notes_after:\n  - notes: [overdose, suicide]\n    after: "00:30"'))
    tracks = [track(i, notes=("overdose",)) for i in range(10)] + [track(100 + i) for i in range(30)]
    night = assemble(schedules, Library(tracks, sounds()), NIGHT)
    late = [s for s in episodes(night) if "overdose" in s.content_notes]
    assert late and all(s.start_s >= 2.5 * 3600 for s in late)


def test_no_episode_is_repeated_within_n_nights_unless_nothing_else_can_fill_the_block(root):
    schedules = load(root, schedule_yaml())
    library = Library([track(i, minutes=20) for i in range(30)], sounds())
    first = assemble(schedules, library, NIGHT)
    heard = {s.guid for s in episodes(first)}
    second = assemble(schedules, library, NIGHT + dt.timedelta(days=1), {NIGHT: heard})
    assert heard and not heard & {s.guid for s in episodes(second)}
    assert not any("repeats" in n.what for n in second.notes)
    small = Library([track(i, minutes=20) for i in range(3)], sounds(standby_s=60))
    everything = {f"guid-{i:05d}" for i in range(3)}
    squeezed = assemble(schedules, small, NIGHT + dt.timedelta(days=1), {NIGHT: everything})
    assert {s.guid for s in episodes(squeezed)} == everything
    note = next(n for n in squeezed.notes if "repeats" in n.what)
    assert note.what == "“Talk” repeats 3 episodes heard in the last 3 nights: there were not enough others to fill it"


def test_a_block_picks_by_show_topic_part_and_tag_and_leaves_other_shows_out(root):
    blocks = """
      - name: By topic
        start: "22:00"
        end: "23:00"
        fill: {topics: [recovery]}
        standby: {files: [stream/standby/*.mp3]}
      - name: By tag
        start: "23:00"
        end: "02:00"
        fill: {tags: [music]}
        standby: {files: [stream/standby/*.mp3]}
    """
    schedules = load(root, schedule_yaml(blocks=blocks))
    tracks = ([track(i, topics=("recovery.making_a_plan",)) for i in range(4)]
              + [track(10 + i, show="music", tags=("music",)) for i in range(4)] + [track(20 + i) for i in range(10)])
    night = assemble(schedules, Library(tracks, sounds()), NIGHT)
    by_block = {b: {s.guid for s in episodes(night) if s.block == b} for b in ("By topic", "By tag")}
    assert by_block["By topic"] == {f"guid-{i:05d}" for i in range(4)}
    assert by_block["By tag"] == {f"guid-{10 + i:05d}" for i in range(4)}


def test_a_block_nothing_can_fill_is_said_and_filled_with_beds(root):
    schedules = load(root, schedule_yaml(blocks="""
      - name: Talk
        start: "22:00"
        end: "02:00"
        fill: {shows: [music]}
        standby: {shows: [music]}
    """))
    night = assemble(schedules, Library([track(1)], sounds()), NIGHT)
    note = next(n for n in night.notes if "has nothing it can play" in n.what)
    assert note.where == "scheduler/week.yaml line 15"
    assert note.what.startswith("the block “Talk” has nothing it can play on the night of Monday 23 November")
    assert sum(s.duration_s for s in of(night, "bed")) > 3.5 * 3600
    assert night.slots[-1].end_s == pytest.approx(night.length_s)


def test_the_public_running_order_lists_programmes_not_files_blocks_or_standby(root):
    schedules = load(root, schedule_yaml())
    night = assemble(schedules, Library([track(i, notes=("overdose",) if i % 3 == 0 else ()) for i in range(30)],
                                        sounds()), NIGHT)
    public = night.public(lambda slot: f"shows/{slot.show}/{slot.slug}/")
    assert public[0]["clock"] == "22:00"
    assert {item["kind"] for item in public} <= {"episode", "music", "interlude", "announcement"}
    noted = next(item for item in public if item["content_notes"])
    assert noted["content_notes"] == ["overdose"] and noted["url"].startswith("shows/talk/")
    text = str(public)
    assert "a/1.mp3" not in text and "c/" not in text and "block" not in text


def test_assembly_of_8_hours_from_10000_items_takes_well_under_a_second(root):
    # Not a timing test (bench/stream.py measures it): a guard against an accidentally quadratic assembly,
    # with a limit ten times what it takes on a slow machine.
    schedules = load(root, schedule_yaml(window=("22:00", "06:00"), blocks="""
      - name: Talk
        start: "22:00"
        end: "06:00"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """))
    library = Library([track(i, minutes=5 + i % 50, voice=f"V{i % 400}", notes=("overdose",) if i % 9 == 0 else ())
                       for i in range(10_000)], sounds())
    started = time.process_time()
    night = assemble(schedules, library, NIGHT, {NIGHT - dt.timedelta(days=1): {f"guid-{i:05d}" for i in range(500)}})
    assert time.process_time() - started < 5
    assert night.slots[-1].end_s == pytest.approx(8 * 3600)
