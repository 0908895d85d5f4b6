"""The stream can only air what the podcast could (issue 15, defect 3).

A schedule names the stream's own sound (idents, signposts, beds, standby, announcements) by file, and
episodes only by show, topic or tag, so that consent, withdrawal, hidden words and masked voices apply.
Here a coordinator's schedule names an episode's recording as if it were stream material, directly, by a
glob and through a link: a real station is built (real speech, the real ffmpeg), the episode is withdrawn
with the real command, and the recording must stay out of the stream library, the pinned nights and the
public tonight.json, while `station schedule check` says where and what to do.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import textwrap

from station import config as config_mod
from station.radio import schedule as schedule_mod
from station.radio.library import Library, Sound
from station.radio.playlist import assemble
from tests import media

UTC = dt.UTC
NIGHT = dt.date(2026, 11, 23)
BUILT_AT = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the afternoon before the night

SCHEDULE = """\
name: Test night
timezone: UTC
window: {start: "22:00", end: "22:10"}
rules: {ident_every_min: null, signpost_every_min: 60, no_repeat_nights: 0, presenter_max_percent: 100,
        newcomer_percent: 0}
material:
  signposts: [stream/signposts/*.mp3]
  beds: [stream/beds/*.mp3, "**/*.mp3"]
announcements:
  - title: Small steps at three
    file: shows/night-talk/awake.mp3
    starts: 2026-11-01
    expires: 2026-12-31
    every_min: 10
blocks:
  - name: The whole night
    start: "22:00"
    end: "22:10"
    fill: {shows: [night-talk]}
    standby: {files: [shows/small-steps/first-meeting.mp3, stream/standby/*.mp3]}
"""

EPISODES_FIX = (
    "schedules play episodes by show (`fill: {{shows: [{}]}}`), so consent, withdrawal and hidden "
    "words apply; put idents, signposts, beds and standby sound in content/stream/"
)
EXPECTED = [  # (where, what, fix)
    (
        "scheduler/test.yaml line 8",
        "“**/*.mp3” reaches into content/shows/, where the episodes' recordings are, and they are not stream material",
        EPISODES_FIX.format("..."),
    ),
    (
        "scheduler/test.yaml line 11",
        "“shows/night-talk/awake.mp3” is an episode's recording, not stream material",
        EPISODES_FIX.format("night-talk"),
    ),
    (
        "scheduler/test.yaml line 20",
        "“shows/small-steps/first-meeting.mp3” is an episode's recording, not stream material",
        EPISODES_FIX.format("small-steps"),
    ),
    (
        "scheduler/test.yaml line 20",
        "“stream/standby/*.mp3” takes in stream/standby/still-here.mp3, a link to an "
        "episode's recording, which is not stream material",
        "remove the link: an episode is played by show "
        "(`fill: {shows: [...]}`), so consent, withdrawal and hidden words apply",
    ),
]


def _stream_station(station, clips):
    station.show("small-steps", 'title = "Small Steps"\ndescription = "One small thing at a time."\n')
    # Consent for the podcast and the site, not the stream.
    station.episode(
        "first-meeting.mp3",
        show="small-steps",
        title="My first meeting",
        source=clips.get("material-first.mp3", text="This is Jo, at my first meeting."),
        consent={"by": "Jo", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site"]},
    )
    # Consent for everything: then withdrawn.
    station.episode(
        "awake.mp3",
        show="night-talk",
        title="Awake at three",
        source=clips.get("material-awake.mp3", text="Sam here, awake at three again."),
        consent={"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site", "stream"]},
    )
    stream = station.root / "content" / "stream"
    media.speech("Samaritans, one one six, one two three.", stream / "signposts" / "help.mp3", pad_s=0.2)
    media.bed(stream / "beds" / "chord.mp3", seconds=20)
    (stream / "standby").mkdir()
    media.tone(stream / "standby" / "calm.mp3", seconds=30)
    # A link that would bring the unconsented recording in under the stream's own folder.
    os.symlink("../../shows/small-steps/first-meeting.mp3", stream / "standby" / "still-here.mp3")
    (station.root / "scheduler").mkdir()
    (station.root / "scheduler" / "test.yaml").write_text(SCHEDULE, encoding="utf-8")


def test_a_schedule_cannot_put_an_unconsented_or_withdrawn_recording_on_air(station, clips):
    _stream_station(station, clips)
    first = station.build(now=BUILT_AT)
    assert {o.where: o.state for o in first.episodes}["content/shows/night-talk/awake.mp3"] == "built"
    done = station.cli("withdraw", "night-talk/awake-at-three")
    assert done.returncode == 0, done.stdout + done.stderr
    station.build(now=BUILT_AT)

    root = station.root
    library = json.loads((root / ".station" / "stream" / "library.json").read_text(encoding="utf-8"))
    assert sorted(library["sounds"]) == [
        "stream/beds/chord.mp3",
        "stream/signposts/help.mp3",
        "stream/standby/calm.mp3",
    ]
    assert library["tracks"] == [], "one episode has no stream consent, the other is withdrawn"
    pinned = json.loads((root / ".station" / "stream" / "nights" / f"{NIGHT}.json").read_text(encoding="utf-8"))
    sources = {s["audio"] for s in pinned["slots"]}
    assert sources <= {v["audio"] for v in library["sounds"].values()}
    assert {s["kind"] for s in pinned["slots"]} >= {"standby"}, "the block's standby took the time"
    tonight = (root / "site" / "tonight.json").read_text(encoding="utf-8")
    for word in ("meeting", "Awake", "awake", "Small steps at three", "Still here"):
        assert word not in tonight

    found = schedule_mod.load(station.config, {"night-talk", "small-steps"}).problems
    assert sorted((p.where, p.what, p.fix) for p in found if p.is_error) == sorted(EXPECTED)
    check = station.cli("schedule", "check", "--night", NIGHT.isoformat())
    assert check.returncode == 1
    said = " ".join(check.stderr.split())  # the terminal wraps long lines
    for where, what, fix in EXPECTED:
        assert f"problem {where}: {what} → {fix}" in said, said


def test_the_build_prepares_only_the_stream_folder_whatever_the_schedule_says(tmp_path):
    """schedule.material_files is the one place the build asks: it never answers with anything outside
    content/stream/, and never with a link that leads out of it."""
    content = tmp_path / "content"
    for rel in (
        "stream/beds/bed.mp3",
        "stream/idents/a.mp3",
        "stream/deep/er/x.mp3",
        "stream/.hidden.mp3",
        "shows/talk/ep.mp3",
        "elsewhere/bed.mp3",
    ):
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_bytes(b"x")
    os.symlink(content / "shows" / "talk" / "ep.mp3", content / "stream" / "beds" / "link.mp3")
    os.symlink(content / "shows", content / "stream" / "linked-folder")
    os.symlink(content / "stream" / "idents" / "a.mp3", content / "stream" / "beds" / "ident-too.mp3")
    (tmp_path / "station.toml").write_text(
        '[station]\nname = "T"\nbase_url = "https://t.example.org/"\ncontact_email = "a@t.example.org"\n'
    )
    config = config_mod.load(tmp_path)

    def named(pattern):
        return [p.relative_to(content).as_posix() for p in schedule_mod.material_files(config, pattern)]

    assert named("stream/beds/*.mp3") == ["stream/beds/bed.mp3", "stream/beds/ident-too.mp3"]
    assert named("stream/**/*.mp3") == [
        "stream/beds/bed.mp3",
        "stream/beds/ident-too.mp3",
        "stream/deep/er/x.mp3",
        "stream/idents/a.mp3",
    ]
    assert named("stream/*.mp3") == [], "a star stays within one folder, and hidden files are never material"
    for outside in (
        "shows/talk/ep.mp3",
        "shows/*/*.mp3",
        "**/*.mp3",
        "*/talk/ep.mp3",
        "elsewhere/bed.mp3",
        "stream/../shows/talk/ep.mp3",
        str(content / "shows" / "talk" / "ep.mp3"),
        "stream/linked-folder/talk/ep.mp3",
        "stream/beds/link.mp3",
    ):
        assert named(outside) == [], outside

    # The stream folder itself a link to a folder holding the shows: nothing in it is material.
    (content / "stream").rename(tmp_path / "old-stream")
    os.symlink(content, content / "stream")
    assert named("stream/shows/talk/ep.mp3") == [] and named("stream/**") == []


def test_assembly_plays_no_sound_from_outside_the_stream_folder_even_from_an_old_library(tmp_path):
    """A library an older build left may still hold a recording prepared as a sound; the night never uses it."""
    (tmp_path / "content" / "stream").mkdir(parents=True)
    (tmp_path / "station.toml").write_text(
        '[station]\nname = "T"\nbase_url = "https://t.example.org/"\ncontact_email = "a@t.example.org"\n'
    )
    (tmp_path / "scheduler").mkdir()
    (tmp_path / "scheduler" / "week.yaml").write_text(
        textwrap.dedent("""\
        name: Week
        timezone: UTC
        window: {start: "22:00", end: "23:00"}
        rules: {ident_every_min: null}
        material: {signposts: [stream/help.mp3], beds: [stream/bed.mp3]}
        blocks:
          - {name: Talk, start: "22:00", end: "23:00", fill: {shows: [talk]},
             standby: {files: [shows/talk/first-meeting.mp3, stream/*.mp3]}}
        """)
    )
    schedules = schedule_mod.load(config_mod.load(tmp_path))
    old = Library(
        [],
        {
            "shows/talk/first-meeting.mp3": Sound("shows/talk/first-meeting.mp3", "c/first.mp3", 600, "First meeting"),
            "stream/help.mp3": Sound("stream/help.mp3", "c/help.mp3", 20, "Help"),
            "stream/bed.mp3": Sound("stream/bed.mp3", "c/bed.mp3", 300, "Bed"),
        },
    )
    night = assemble(schedules, old, NIGHT)
    assert "c/first.mp3" not in {s.audio for s in night.slots}
    assert "c/first.mp3" not in night.fallback
    assert night.slots[-1].end_s == night.length_s
