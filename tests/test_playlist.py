"""Assembling a night: every rule on fixed dates, from a schedule file and a library written here.

Assembly is pure (schedules, library, night, recent nights → running order), so
these tests need no audio: the library's tracks and sounds are described, not
recorded. Playout of real audio is tests/test_stream.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
import time

import pytest

from station import config as config_mod
from station.radio import nights
from station.radio import schedule as schedule_mod
from station.radio.library import Library, Sound, Track
from station.radio.playlist import SIGNPOST_TITLE, assemble
from station.radio.schedule import presenter_key

NIGHT = dt.date(2026, 11, 23)  # a Monday
STATION_TOML = """
[station]
name = "Test Station"
base_url = "https://test.example.org/"
contact_email = "hello@test.example.org"
timezone = "Europe/London"
"""
MATERIAL = [
    "stream/idents/a.mp3",
    "stream/signposts/help.mp3",
    "stream/beds/bed.mp3",
    "stream/standby/calm.mp3",
    "stream/announcements/shelter.mp3",
]


def schedule_yaml(rules: str = "", blocks: str | None = None, window=("22:00", "02:00"), extra: str = "") -> str:
    blocks = (
        blocks
        or """
      - name: Talk
        start: "22:00"
        end: "02:00"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """
    )
    own = textwrap.dedent(rules).strip().splitlines()
    defaults = [
        "ident_every_min: 30",
        "signpost_every_min: 60",
        "no_repeat_nights: 3",
        "presenter_max_percent: 100",
        "newcomer_percent: 0",
    ]
    defaults = [d for d in defaults if not any(line.startswith(d.split(":")[0] + ":") for line in own)]
    return "\n".join(
        [
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
        ]
    )


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


def track(
    n: int,
    minutes: float = 10,
    show: str = "talk",
    voice: str = "Sam",
    notes=(),
    first: str = "2025-01-01",
    topics=(),
    tags=(),
    published: str | None = "2026-11-01T20:00:00+00:00",
    expires: str | None = None,
) -> Track:
    return Track(
        guid=f"guid-{n:05d}",
        show=show,
        show_title=show.title(),
        slug=f"ep-{n}",
        title=f"Episode {n}",
        credits=(voice,),
        voices=(presenter_key(voice),),
        first_heard=(first,),
        content_notes=tuple(notes),
        topics=tuple(topics),
        tags=tuple(tags),
        duration_s=minutes * 60,
        audio=f"a/{n}.mp3",
        published_at=published,
        consent_date="2026-10-01",
        consent_expires=expires,
    )


def sounds(bed_s: float = 300, standby_s: float = 240, extra: dict | None = None) -> dict[str, Sound]:
    made = {
        "stream/idents/a.mp3": Sound("stream/idents/a.mp3", "c/ident.mp3", 5, "A"),
        "stream/signposts/help.mp3": Sound("stream/signposts/help.mp3", "c/help.mp3", 20, "Help"),
        "stream/beds/bed.mp3": Sound("stream/beds/bed.mp3", "c/bed.mp3", bed_s, "Bed"),
        "stream/standby/calm.mp3": Sound("stream/standby/calm.mp3", "c/calm.mp3", standby_s, "Calm"),
        "stream/announcements/shelter.mp3": Sound("stream/announcements/shelter.mp3", "c/shelter.mp3", 15, "Shelter"),
    }
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
    for a, b in itertools.pairwise(night.slots):
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
    schedules = load(
        root,
        schedule_yaml(
            window=("22:00", "07:00"),
            blocks="""
      - name: Talk
        start: "22:00"
        end: "07:00"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """,
        ),
    )
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
    gaps = [b - a for a, b in itertools.pairwise(idents)]
    assert len(idents) >= 7
    assert all(30 * 60 <= g <= 30 * 60 + 4 * 60 + 30 for g in gaps), gaps  # due, then after the item playing


def test_signposting_is_never_more_than_n_minutes_apart_and_follows_content_notes(root):
    schedules = load(root, schedule_yaml())
    tracks = [track(i, minutes=9, notes=("overdose",) if i % 4 == 0 else ()) for i in range(40)]
    night = assemble(schedules, Library(tracks, sounds()), NIGHT)
    signposts = of(night, "signpost")
    assert signposts[0].start_s == 0, "the night opens with the crisis lines"
    assert all(s.title == SIGNPOST_TITLE for s in signposts)
    assert max(b.start_s - a.end_s for a, b in itertools.pairwise(signposts)) <= 60 * 60
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
    library = Library(
        [track(1), track(2, published="2026-11-24T09:00:00+00:00"), track(3, expires="2026-11-24")], sounds()
    )
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
    tracks = (
        [track(i, topics=("recovery.making_a_plan",)) for i in range(4)]
        + [track(10 + i, show="music", tags=("music",)) for i in range(4)]
        + [track(20 + i) for i in range(10)]
    )
    night = assemble(schedules, Library(tracks, sounds()), NIGHT)
    by_block = {b: {s.guid for s in episodes(night) if s.block == b} for b in ("By topic", "By tag")}
    assert by_block["By topic"] == {f"guid-{i:05d}" for i in range(4)}
    assert by_block["By tag"] == {f"guid-{10 + i:05d}" for i in range(4)}


def test_a_block_nothing_can_fill_is_said_and_filled_with_beds(root):
    schedules = load(
        root,
        schedule_yaml(
            blocks="""
      - name: Talk
        start: "22:00"
        end: "02:00"
        fill: {shows: [music]}
        standby: {shows: [music]}
    """
        ),
    )
    night = assemble(schedules, Library([track(1)], sounds()), NIGHT)
    note = next(n for n in night.notes if "has nothing it can play" in n.what)
    assert note.where == "scheduler/week.yaml line 15"
    assert note.what.startswith("the block “Talk” has nothing it can play on the night of Monday 23 November")
    assert sum(s.duration_s for s in of(night, "bed")) > 3.5 * 3600
    assert night.slots[-1].end_s == pytest.approx(night.length_s)


def test_the_public_running_order_lists_programmes_not_files_blocks_or_standby(root):
    schedules = load(root, schedule_yaml())
    night = assemble(
        schedules, Library([track(i, notes=("overdose",) if i % 3 == 0 else ()) for i in range(30)], sounds()), NIGHT
    )
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
    schedules = load(
        root,
        schedule_yaml(
            window=("22:00", "06:00"),
            blocks="""
      - name: Talk
        start: "22:00"
        end: "06:00"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """,
        ),
    )
    library = Library(
        [
            track(i, minutes=5 + i % 50, voice=f"V{i % 400}", notes=("overdose",) if i % 9 == 0 else ())
            for i in range(10_000)
        ],
        sounds(),
    )
    started = time.process_time()
    night = assemble(schedules, library, NIGHT, {NIGHT - dt.timedelta(days=1): {f"guid-{i:05d}" for i in range(500)}})
    assert time.process_time() - started < 5
    assert night.slots[-1].end_s == pytest.approx(8 * 3600)


# ---------------------------------------------------------------- a night already on air
AFTERNOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)  # the night is still to come
MID_NIGHT = dt.datetime(2026, 11, 23, 23, 5, tzinfo=dt.UTC)  # London is on UTC in November


def alternating(n: int = 30) -> list[Track]:
    """Robin and Sam in turn, some with content notes (so signposting is owed straight after them)."""
    return [track(i, voice="Robin" if i % 2 else "Sam", notes=("overdose",) if i % 5 == 0 else ()) for i in range(n)]


def offset(night, when: dt.datetime) -> float:
    return (when - night.start).total_seconds()


def check_rekeyed(before, after, now: dt.datetime) -> tuple[list, list]:
    """What every night re-assembled on air must keep: the slots that have started exactly as pinned (the one
    playing included), the window filled to the second, and nothing that has aired aired again."""
    now_s = offset(before, now)
    aired = [s for s in before.slots if s.start_s <= now_s]
    playing = before.slots[before.at(now_s)]
    assert aired[-1] == playing and playing.start_s < now_s < playing.end_s
    assert after.start == before.start and after.end == before.end
    assert after.slots[: len(aired)] == aired, "what has aired stays as it aired: same items, same starts"
    rest = after.slots[len(aired) :]
    assert rest[0].start_s == pytest.approx(playing.end_s, abs=1e-6), "the rest follows the item playing"
    for a, b in itertools.pairwise(after.slots):
        assert b.start_s == pytest.approx(a.end_s, abs=1e-6), "no gap and no overlap between items"
    assert after.slots[-1].end_s == pytest.approx(after.length_s, abs=1e-6)
    heard = {s.guid for s in aired if s.guid}
    assert heard and not heard & {s.guid for s in rest if s.guid}, "nothing that aired tonight airs again"
    return aired, rest


def test_a_pause_while_the_night_is_on_air_changes_only_what_has_not_aired(root):
    text = schedule_yaml()
    config, library = config_mod.load(root), Library(alternating(), sounds())
    before = nights.running_order(config, NIGHT, schedules=load(root, text), library=library, now=AFTERNOON)
    now_s = offset(before, MID_NIGHT)
    assert any(s.credits == ("Robin",) and s.start_s > now_s for s in before.slots), "Robin was still to come"

    paused = "paused:\n  - presenter: Robin\n    until: 2026-11-30\n"
    after = nights.running_order(
        config, NIGHT, schedules=load(root, text, paused=paused), library=library, now=MID_NIGHT
    )
    aired, rest = check_rekeyed(before, after, MID_NIGHT)
    assert any(s.credits == ("Robin",) for s in aired), "Robin's episodes that aired stay in the record"
    assert aired[-1].credits == ("Robin",), "and the one playing plays on"
    assert not any(s.credits == ("Robin",) for s in rest), "the pause reaches the rest of the night"
    assert aired[-1].content_notes and rest[0].kind == "signpost", "owed signposting is still paid after the cut"
    pin = nights.folder(config) / f"{NIGHT.isoformat()}.json"
    assert pin.read_text(encoding="utf-8") == after.to_json(), "the pin is the record of what aired"
    # The player reads the night again before each item: once re-keyed, it stays as it is.
    assert (
        nights.running_order(config, NIGHT, now=MID_NIGHT + dt.timedelta(minutes=1), library=library).to_json()
        == after.to_json()
    )


def test_a_library_change_while_the_night_is_on_air_changes_only_what_has_not_aired(root):
    text = schedule_yaml()
    config = config_mod.load(root)
    before = nights.running_order(
        config, NIGHT, schedules=load(root, text), library=Library(alternating(), sounds()), now=AFTERNOON
    )
    # The evening's build: six new episodes, and two have left the stream (a sidecar's consent no longer
    # lists it): one that has aired, and one still to come.
    now_s = offset(before, MID_NIGHT)
    played = next(s.guid for s in before.slots if s.guid and s.end_s < now_s)
    coming = next(s.guid for s in before.slots if s.guid and s.start_s > now_s)
    new = [track(100 + i, minutes=9, voice="Jo") for i in range(6)]
    library = Library([t for t in alternating() if t.guid not in (played, coming)] + new, sounds())
    after = nights.running_order(config, NIGHT, schedules=load(root, text), library=library, now=MID_NIGHT)
    aired, rest = check_rekeyed(before, after, MID_NIGHT)
    assert played in {s.guid for s in aired}, "it aired: the record keeps it"
    guids = {s.guid for s in rest}
    assert coming not in guids and guids & {t.guid for t in new}
    # Rules carry on across the cut: idents no further apart than before the change, signposting within its hour.
    idents = [s.start_s for s in after.slots if s.kind == "ident"]
    assert all(30 * 60 <= b - a <= 30 * 60 + 10 * 60 + 30 for a, b in itertools.pairwise(idents)), idents
    signposts = [s for s in after.slots if s.kind == "signpost"]
    assert max(b.start_s - a.end_s for a, b in itertools.pairwise(signposts)) <= 60 * 60


def test_a_withdrawal_still_leaves_what_has_aired_and_stays_out_when_the_night_is_made_again(root):
    text = schedule_yaml()
    config, tracks = config_mod.load(root), alternating()
    before = nights.running_order(
        config, NIGHT, schedules=load(root, text), library=Library(tracks, sounds()), now=AFTERNOON
    )
    now_s = offset(before, MID_NIGHT)
    withdrawn = next(s for s in before.slots if s.guid and s.end_s < now_s)
    assert nights.forget(config, withdrawn.guid) == [NIGHT]
    # The build after a withdrawal: the episode has left the library, so the night is made again.
    library = Library([t for t in tracks if t.guid != withdrawn.guid], sounds())
    after = nights.running_order(config, NIGHT, schedules=load(root, text), library=library, now=MID_NIGHT)
    blank = after.slots[before.slots.index(withdrawn)]
    assert (blank.title, blank.guid, blank.audio, blank.start_s, blank.duration_s) == (
        "Withdrawn",
        None,
        "",
        withdrawn.start_s,
        withdrawn.duration_s,
    )
    assert withdrawn.guid not in after.to_json(), "withdrawal beats history"
    assert after.slots[-1].end_s == pytest.approx(after.length_s, abs=1e-6)
    assert nights.history(config, NIGHT + dt.timedelta(days=1), 1)[NIGHT] == {s.guid for s in after.slots if s.guid}


def test_what_has_aired_counts_towards_tonight_s_rules(root):
    # Pure assembly, no pin: the kept part is an input, and the rest is the same whenever it is made.
    schedules = load(root, schedule_yaml(rules="presenter_max_percent: 25"))
    library = Library(
        [track(i, voice="Sam") for i in range(20)] + [track(100 + i, voice="Robin") for i in range(20)], sounds()
    )
    night = assemble(schedules, library, NIGHT)
    cut = night.start + dt.timedelta(hours=2, minutes=3)
    aired = night.started_by(cut)
    again = assemble(schedules, library, NIGHT, aired=aired)
    assert again.to_json() == assemble(schedules, library, NIGHT, aired=aired).to_json(), "deterministic"
    assert again.slots[: len(aired.slots)] == aired.slots
    for voice in ("Sam", "Robin"):  # the cap counts the whole night, aired part included
        assert sum(s.duration_s for s in episodes(again) if s.credits == (voice,)) <= 0.25 * again.length_s + 1e-6


def test_a_window_moved_while_the_night_is_on_air_keeps_its_start_and_ends_at_the_new_end(root):
    config, library = config_mod.load(root), Library(alternating(), sounds())
    before = nights.running_order(config, NIGHT, schedules=load(root, schedule_yaml()), library=library, now=AFTERNOON)
    moved = schedule_yaml(
        window=("22:30", "23:30"),
        blocks="""
      - name: Talk
        start: "22:30"
        end: "23:30"
        fill: {shows: [talk]}
        standby: {files: [stream/standby/*.mp3]}
    """,
    )
    after = nights.running_order(config, NIGHT, schedules=load(root, moved), library=library, now=MID_NIGHT)
    aired = before.started_by(MID_NIGHT).slots
    assert after.start == before.start, "the night began at 22:00: what aired is timed from then"
    assert after.slots[: len(aired)] == aired
    assert after.length_s == 1.5 * 3600 and after.slots[-1].end_s == pytest.approx(after.length_s, abs=1e-6)
    for a, b in itertools.pairwise(after.slots):
        assert b.start_s == pytest.approx(a.end_s, abs=1e-6)
