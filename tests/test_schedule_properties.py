"""Property tests for schedules: whatever is in scheduler/, `schedule.load` gives schedules or plain problems,
never an exception, and writes nothing; and for any valid schedule the running order stays a pure function
of its inputs, filled exactly to the second.

The bounded "ci" profile (tests/conftest.py) keeps each of these to a few seconds;
`HYPOTHESIS_PROFILE=long` hunts further.
"""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from station import config as config_mod
from station.catalog.model import CONTENT_NOTES
from station.errors import Problem
from station.radio import schedule as schedule_mod
from station.radio.library import Library, Sound, Track
from station.radio.playlist import assemble
from tests.conftest import tree_hashes

STATION_TOML = """
[station]
name = "Test Station"
base_url = "https://test.example.org/"
contact_email = "hello@test.example.org"
timezone = "Europe/London"
"""
SHOWS = {"talk", "music"}
GOOD = {
    "name": "Regular week",
    "window": {"start": "22:00", "end": "07:00"},
    "rules": {
        "ident_every_min": 30,
        "signpost_every_min": 45,
        "no_repeat_nights": 3,
        "notes_after": [{"notes": ["overdose"], "after": "00:00"}],
    },
    "material": {
        "idents": ["stream/idents/*.mp3"],
        "signposts": ["stream/signposts/*.mp3"],
        "beds": ["stream/beds/*.mp3"],
    },
    "announcements": [
        {
            "title": "Shelter",
            "file": "stream/announcements/shelter.mp3",
            "starts": dt.date(2026, 11, 1),
            "expires": dt.date(2027, 2, 28),
        }
    ],
    "blocks": [
        {
            "name": "Late talk",
            "days": ["mon", "tue"],
            "start": "22:00",
            "end": "07:00",
            "fill": {"shows": ["talk"], "topics": ["struggle"]},
            "standby": {"shows": ["music"], "files": ["stream/standby/*.mp3"]},
        }
    ],
}
MATERIAL = [
    "stream/idents/a.mp3",
    "stream/signposts/help.mp3",
    "stream/beds/bed.mp3",
    "stream/standby/calm.mp3",
    "stream/announcements/shelter.mp3",
    "shows/talk/ep.mp3",
]


@pytest.fixture
def root(tmp_path):
    for rel in MATERIAL:
        (tmp_path / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / rel).write_bytes(b"x")
    (tmp_path / "station.toml").write_text(STATION_TOML)
    (tmp_path / "scheduler").mkdir()
    return tmp_path


def loads_plainly(root, files: dict[str, str | bytes]) -> schedule_mod.Schedules:
    """Write `files` into scheduler/, load them both ways (with and without the show list), and check the
    promise: no exception, problems in plain words, nothing written anywhere."""
    for old in (root / "scheduler").iterdir():
        old.unlink()
    for name, text in files.items():
        path = root / "scheduler" / name
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")
    before = tree_hashes(root)
    config = config_mod.load(root)
    for shows in (SHOWS, None):
        loaded = schedule_mod.load(config, shows)
        for problem in loaded.problems:
            assert isinstance(problem, Problem)
            assert problem.where.startswith("scheduler/") and problem.what and problem.fix
            assert "Traceback" not in problem.what and len(str(problem)) < 2000, str(problem)[:300]
    assert tree_hashes(root) == before, "loading a schedule writes nothing"
    return loaded


# ---------------------------------------------------------------- any text
YAML_BITS = [
    "\n",
    "  ",
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "? ",
    "!!python/object ",
    "!!binary ",
    "!!str ",
    "!foo ",
    "---\n",
    "...\n",
    "#",
    "'",
    '"',
    "|\n",
    ">\n",
    "\t",
    "\x00",
    "\x0b",
    "\u2028",
    "\ufeff",
    "\\0",
    "name",
    "blocks",
    "window",
    "start",
    "end",
    "fill",
    "standby",
    "files",
    "shows",
    "material",
    "beds",
    "rules",
    "paused",
    "presenter",
    "22:00",
    '"07:00"',
    "25:00",
    "1320",
    "2026-02-30",
    "2026-11-01",
    "null",
    "yes",
    "~",
    "stream/beds/*.mp3",
    "shows/talk/ep.mp3",
    "**",
    "../",
    "/etc/passwd",
    "talk",
    "9" * 30,
    ".inf",
    "-",
]


@given(st.lists(st.sampled_from(YAML_BITS), max_size=60).map("".join))
def test_any_yaml_like_text_gives_schedules_or_problems(root, text):
    loads_plainly(root, {"week.yaml": text})


GOOD_TEXT = yaml.safe_dump(GOOD, sort_keys=False, default_flow_style=None)
# Values that broke the old reader (deep brackets, an alias in itself, a number too long to read, a day that
# does not exist …), drawn often so the bounded profile meets them, and any run of YAML bits besides.
HOSTILE = [
    "[" * 200,
    "&x [*x]",
    "9" * 5000,
    "2027-02-29",
    "!!binary AAE=",
    "&x {a: 1, b: *x}",
    '"a\\0b"',
    "{a: 1, a: 2}",
    "!!python/name:os.system",
    "\x01",
    "*nowhere",
]
RAW_VALUES = st.sampled_from(HOSTILE) | st.lists(st.sampled_from(YAML_BITS), min_size=1, max_size=4).map("".join)


@given(st.data())
def test_any_raw_value_on_any_line_of_a_good_schedule_gives_schedules_or_problems(root, data):
    """YAML typed straight into the file, unquoted, where a value goes: the way a hand edit goes wrong."""
    lines = GOOD_TEXT.splitlines()
    for _ in range(data.draw(st.integers(1, 2))):
        i = data.draw(st.integers(0, len(lines) - 1))
        key, colon, _ = lines[i].partition(": ")
        lines[i] = (key + colon if colon else lines[i].rstrip(":") + ": ") + data.draw(RAW_VALUES)
    loads_plainly(root, {"week.yaml": "\n".join(lines) + "\n"})


@given(st.text(max_size=300))
def test_any_text_at_all_gives_schedules_or_problems(root, text):
    loads_plainly(root, {"week.yaml": text, "paused.yaml": text})


@given(st.binary(max_size=300))
def test_any_bytes_give_schedules_or_problems(root, data):
    loads_plainly(root, {"week.yaml": data})


# ---------------------------------------------------------------- any structure
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.dates()
    | st.sampled_from(["22:00", "7pm", "mon", "every", "stream/**", "shows/talk/ep.mp3", "struggle", "overdose", ""])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(sorted(schedule_mod.Block.model_fields)), inner, max_size=4
        )
    ),
    max_leaves=12,
)


def _places(value, here=()):
    yield here
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _places(inner, (*here, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _places(inner, (*here, i))


def _put(value, place, new):
    if not place:
        return new
    value = dict(value) if isinstance(value, dict) else list(value)
    value[place[0]] = _put(value[place[0]], place[1:], new)
    return value


@given(st.data())
def test_any_value_anywhere_in_a_good_schedule_gives_schedules_or_problems(root, data):
    places = list(_places(GOOD))
    schedule = GOOD
    for _ in range(data.draw(st.integers(1, 3))):
        schedule = _put(schedule, data.draw(st.sampled_from(places)), data.draw(VALUES))
        places = list(_places(schedule))
    loads_plainly(root, {"week.yaml": yaml.safe_dump(schedule, allow_unicode=data.draw(st.booleans()))})


@given(VALUES)
def test_any_structure_gives_schedules_or_problems(root, value):
    text = yaml.safe_dump(value)
    loads_plainly(root, {"week.yaml": text, "paused.yaml": yaml.safe_dump({"paused": value})})


@given(st.lists(st.fixed_dictionaries({"presenter": VALUES}, optional={"until": VALUES}), max_size=4))
def test_any_pause_list_gives_pauses_or_problems(root, entries):
    loaded = loads_plainly(root, {"paused.yaml": yaml.safe_dump({"paused": entries})})
    assert all(isinstance(p.presenter, str) and p.presenter for p in loaded.paused)


def test_the_good_schedule_used_above_is_good(root):
    assert [str(p) for p in loads_plainly(root, {"week.yaml": yaml.safe_dump(GOOD)}).problems if p.is_error] == []


# ---------------------------------------------------------------- valid schedules: a pure function, to the second
@st.composite
def nights(draw):
    """A valid schedule (as text), a library for it, and the night to assemble."""
    start = draw(st.integers(0, 24 * 60 - 1))
    length = draw(st.integers(30, 8 * 60))
    cuts = sorted(draw(st.sets(st.integers(1, length - 1), max_size=4)))
    edges = [0, *cuts, length]
    blocks = []
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        fill = draw(
            st.sampled_from(
                [
                    "{shows: [talk]}",
                    "{shows: [music, talk]}",
                    "{topics: [struggle]}",
                    "{tags: [calm]}",
                    "{files: [stream/standby/*.mp3]}",
                ]
            )
        )
        standby = draw(
            st.sampled_from(
                [
                    "{files: [stream/standby/*.mp3]}",
                    "{shows: [music]}",
                    "{shows: [talk], files: [stream/standby/*.mp3]}",
                ]
            )
        )
        blocks.append(
            f'  - {{name: "Block {i}", start: "{_clock(start + a)}", end: "{_clock(start + b)}", '
            f"fill: {fill}, standby: {standby}}}"
        )
    ident = draw(st.none() | st.integers(15, 120))
    text = (
        textwrap.dedent(f"""\
        name: Random week
        timezone: {draw(st.sampled_from(["UTC", "Europe/London", "America/New_York"]))}
        window: {{start: "{_clock(start)}", end: "{_clock(start + length)}"}}
        rules:
          ident_every_min: {"null" if ident is None else ident}
          signpost_every_min: {draw(st.integers(10, 120))}
          signpost_after_content_notes: {draw(st.sampled_from(["true", "false"]))}
          no_repeat_nights: {draw(st.integers(0, 4))}
          presenter_max_percent: {draw(st.integers(5, 100))}
          newcomer_percent: {draw(st.integers(0, 50))}
        material:
          idents: [stream/idents/*.mp3]
          signposts: [stream/signposts/*.mp3]
          beds: [stream/beds/*.mp3]
        announcements:
          - {{title: Shelter, file: stream/announcements/shelter.mp3, starts: 2026-01-01, expires: 2027-12-31,
              every_min: {draw(st.integers(10, 240))}}}
        blocks:
        """)
        + "\n".join(blocks)
        + "\n"
    )
    voices = ["Sam", "Jo", "Alex", "Priya"]
    tracks = [
        Track(
            guid=f"guid-{i:03d}",
            show=draw(st.sampled_from(["talk", "music"])),
            show_title="Show",
            slug=f"ep-{i}",
            title=f"Episode {i}",
            credits=(voice,),
            voices=(schedule_mod.presenter_key(voice),),
            first_heard=(draw(st.sampled_from(["2025-01-01", "2026-10-01"])),),
            content_notes=tuple(draw(st.lists(st.sampled_from(sorted(CONTENT_NOTES)), max_size=2, unique=True))),
            topics=tuple(
                draw(st.lists(st.sampled_from(["struggle.scene", "recovery.making_a_plan"]), max_size=2, unique=True))
            ),
            tags=tuple(draw(st.lists(st.sampled_from(["calm", "music"]), max_size=1))),
            duration_s=draw(st.floats(20, 3600)),
            audio=f"c/ep-{i}.mp3",
            published_at="2026-01-01T00:00:00+00:00",
            consent_date="2025-12-01",
            consent_expires=None,
        )
        for i, voice in enumerate(draw(st.lists(st.sampled_from(voices), max_size=15)))
    ]
    sounds = {}
    for source, low, high in (
        ("stream/idents/a.mp3", 2, 30),
        ("stream/signposts/help.mp3", 5, 90),
        ("stream/beds/bed.mp3", 60, 900),
        ("stream/standby/calm.mp3", 30, 900),
        ("stream/announcements/shelter.mp3", 5, 60),
    ):
        sounds[source] = Sound(source, "c/" + source.rsplit("/", 1)[1], draw(st.floats(low, high)), "Sound")
    night = draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
    return text, Library(tracks, sounds), night


def _clock(minutes: int) -> str:
    return f"{minutes % 1440 // 60:02d}:{minutes % 60:02d}"


@given(nights())
def test_a_valid_schedule_gives_a_night_filled_to_the_second_the_same_every_time(root, case):
    text, library, night = case
    loaded = loads_plainly(root, {"week.yaml": text})
    assert [str(p) for p in loaded.problems if p.is_error] == []
    first = assemble(loaded, library, night)
    again = assemble(schedule_mod.load(config_mod.load(root), SHOWS), library, night)
    assert first.to_json() == again.to_json(), "the same inputs give the same night"
    assert first.slots[0].start_s == 0
    for a, b in itertools.pairwise(first.slots):
        assert b.start_s == pytest.approx(a.end_s, abs=1e-6), "no gap and no overlap"
    assert first.slots[-1].end_s == pytest.approx(first.length_s, abs=1e-6), "it ends on the second"
    assert all(s.duration_s > 0 for s in first.slots)
    assert {s.audio for s in first.slots} <= {t.audio for t in library.tracks} | {
        s.audio for s in library.sounds.values()
    }
