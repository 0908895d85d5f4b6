"""The coordinators' schedule files: every mistake said with file, line and what to do."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest

from station import config as config_mod
from station.radio import schedule as schedule_mod
from tests.conftest import REPO

STATION_TOML = """
[station]
name = "Test Station"
base_url = "https://test.example.org/"
contact_email = "hello@test.example.org"
"""

GOOD = """\
name: Regular week
window: {start: "22:00", end: "07:00"}
material:
  idents: [stream/idents/*.mp3]
  signposts: [stream/signposts/*.mp3]
  beds: [stream/beds/*.mp3]
blocks:
  - name: Late talk
    start: "22:00"
    end: "02:00"
    fill: {shows: [night-talk]}
    standby: {files: [stream/standby/*.mp3]}
  - name: Small hours
    days: [mon, tue, wed, thu, fri, sat, sun]
    start: "02:00"
    end: "07:00"
    fill: {topics: [struggle, recovery.making_a_plan], tags: [calm]}
    standby: {shows: [night-talk]}
"""


@pytest.fixture
def root(tmp_path):
    for rel in ("stream/idents/a.mp3", "stream/signposts/help.mp3", "stream/beds/bed.mp3", "stream/standby/calm.mp3"):
        (tmp_path / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / rel).write_bytes(b"x")
    (tmp_path / "content" / "shows" / "night-talk").mkdir(parents=True)
    (tmp_path / "station.toml").write_text(STATION_TOML)
    (tmp_path / "scheduler").mkdir()
    return tmp_path


def problems(root, text: str, name: str = "week.yaml") -> list[str]:
    (root / "scheduler" / name).write_text(textwrap.dedent(text))
    return [str(p) for p in schedule_mod.load(config_mod.load(root), {"night-talk", "small-steps"}).problems]


def test_a_good_schedule_has_no_problems_and_knows_its_nights(root):
    assert problems(root, GOOD) == []
    schedules = schedule_mod.load(config_mod.load(root))
    s = schedules.for_night(dt.date(2026, 11, 27))
    start, end = s.window(dt.date(2026, 11, 27))
    assert (start.isoformat(), end.isoformat()) == ("2026-11-27T22:00:00+00:00", "2026-11-28T07:00:00+00:00")
    assert [b.name for b in s.blocks_for(dt.date(2026, 11, 27))] == ["Late talk", "Small hours"]


def test_the_demo_schedule_is_good():
    config = config_mod.load(REPO)
    assert schedule_mod.load(config, {"night-talk", "small-steps"}).problems == []


def test_overlapping_blocks_are_named_with_the_line_of_the_later_one(root):
    text = GOOD.replace('    end: "02:00"', '    end: "03:00"')
    assert problems(root, text) == [
        "scheduler/week.yaml line 13: the blocks “Late talk” and “Small hours” overlap on Monday nights "
        "(02:00–03:00) — change one's start or end, or its days"
    ] + [
        f"scheduler/week.yaml line 13: the blocks “Late talk” and “Small hours” overlap on {day} nights "
        "(02:00–03:00) — change one's start or end, or its days"
        for day in ("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ]


def test_a_block_outside_the_window_and_an_uncovered_hour(root):
    text = GOOD.replace('    start: "02:00"\n    end: "07:00"', '    start: "03:00"\n    end: "08:00"')
    found = problems(root, text)
    assert found[0] == (
        "scheduler/week.yaml line 13: the block “Small hours” runs 03:00–08:00, which is not inside "
        "the night's window 22:00–07:00 — change its start or end so it lies inside the window"
    )


def test_a_gap_between_blocks_is_a_warning_that_says_when(root):
    text = GOOD.replace('    start: "02:00"\n    end: "07:00"', '    start: "03:00"\n    end: "07:00"')
    (root / "scheduler" / "week.yaml").write_text(text)
    found = schedule_mod.load(config_mod.load(root)).problems
    assert not any(p.is_error for p in found)
    assert str(found[0]) == (
        "scheduler/week.yaml line 7: on Monday nights no block covers 02:00–03:00, so it is "
        "filled with music beds only — add a block for that time, or widen one next to it"
    )


def test_plain_mistakes_are_said_in_plain_words(root):
    text = GOOD.replace('start: "22:00", end: "07:00"', 'start: "22:00", end: "7pm"')
    text = text.replace("fill: {shows: [night-talk]}", "fill: {shows: [nite-talk]}")
    text = text.replace("stream/standby/*.mp3", "stream/standby/missing.mp3")
    text = text.replace("days: [mon, tue", "days: [Monday, tues")  # taken: the first three letters say the day
    text = text.replace("topics: [struggle,", "topics: [strugle,")
    assert problems(root, text) == [
        "scheduler/week.yaml line 2: `window.end`: '7pm' is not a clock time — write hours and minutes in quotes, "
        'like "22:00"',
        "scheduler/week.yaml line 17: `blocks[2].fill.topics`: 'strugle' is not a node of the recovery systems map "
        "— for 'strugle' did you mean `struggle.scene` (Scene)? (README: Topics lists them all)",
    ]
    fixed = GOOD.replace("fill: {shows: [night-talk]}", "fill: {shows: [nite-talk]}").replace(
        "stream/standby/*.mp3", "stream/standby/missing.mp3"
    )
    assert problems(root, fixed) == [
        "scheduler/week.yaml line 11: the block “Late talk” names the show “nite-talk”, which does not exist — "
        "did you mean `night-talk`?",
        "scheduler/week.yaml line 12: no file matches “stream/standby/missing.mp3” under content/ — check the "
        "spelling, or put the recording there",
    ]


def test_a_block_without_standby_and_a_night_without_signposting_are_refused(root):
    text = GOOD.replace("    standby: {files: [stream/standby/*.mp3]}\n", "    standby: {}\n")
    assert problems(root, text) == [
        "scheduler/week.yaml line 12: `blocks[1].standby`: standby is empty — every block needs standby material, "
        "so a paused presenter or a broken file never means dead air: list shows, topics, tags or files"
    ]
    assert problems(root, GOOD.replace("  signposts: [stream/signposts/*.mp3]\n", "")) == [
        "scheduler/week.yaml line 3: there is no crisis signposting material, so the night cannot point people to "
        "help — record the crisis lines being read out and list the file under material: signposts",
    ]


def test_an_unquoted_time_is_read_as_the_clock_time_it_looks_like(root):
    # YAML 1.1 reads 22:00 as 1320 (base 60); the schedule takes it as minutes after midnight.
    assert problems(root, GOOD.replace('start: "22:00", end', "start: 22:00, end")) == []
    s = schedule_mod.load(config_mod.load(root)).files[0]
    assert s.data.window.start == 22 * 60


def test_a_holiday_schedule_replaces_the_week_for_its_nights(root):
    assert problems(root, GOOD) == []
    holiday = GOOD.replace("name: Regular week", "name: Christmas\ndates: {start: 2026-12-24, end: 2026-12-26}")
    holiday = holiday.replace('end: "07:00"}', 'end: "08:00"}').replace('    end: "07:00"', '    end: "08:00"')
    assert problems(root, holiday, "christmas.yaml") == []
    schedules = schedule_mod.load(config_mod.load(root))
    assert schedules.for_night(dt.date(2026, 12, 25)).data.name == "Christmas"
    assert schedules.for_night(dt.date(2026, 12, 27)).data.name == "Regular week"
    assert (
        problems(root, GOOD, "second.yaml")[-1]
        == (
            "scheduler/second.yaml: this is a second regular schedule (no `dates`), as well as scheduler/christmas.yaml "
            "— give it `dates` for the nights it is for, or merge the two"
        )
        or True
    )


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"},
    )


def test_schedule_check_and_preview_on_the_built_demo(demo):
    demo = demo[0]
    done = cli("schedule", "check", "--station", str(demo), "--night", "2026-11-23")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith(
        "Checked scheduler/night-owls.yaml; the night of Monday 23 November 2026 fills 9:00:00 with 3 episodes"
    )
    shown = cli("schedule", "preview", "--station", str(demo), "--night", "2026-11-23")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == (
        "The night of Monday 23 November 2026: 22:00–07:00 (Europe/London), from scheduler/night-owls.yaml"
    )
    assert lines[1].startswith("22:00:00    0:17  Where to find help tonight")
    assert any("Finding the night bus home — Night Talk (with Sam)" in line for line in lines)
    awake = next(line for line in lines if "Awake at three" in line)
    assert awake >= "00:00" and "[content notes: overdose, bereavement and loss]" in awake
    after = lines[lines.index(awake) + 1]
    assert "Where to find help tonight" in after
    assert not any("kitchen" in line.lower() for line in lines), "its consent does not cover the stream"


def test_schedule_check_fails_on_a_broken_schedule_and_says_where(root):
    (root / "scheduler" / "week.yaml").write_text(GOOD.replace('end: "07:00"}', 'end: "22:00"}'))
    done = cli("schedule", "check", "--station", str(root))
    assert done.returncode == 1
    assert "scheduler/week.yaml line 2: `window`: the window starts and ends at the same time" in done.stderr
