"""The hostile corpus for schedules: what a careless or hostile coordinator (or a pasted, generated or
corrupted file) can put in scheduler/, each with the exact problem it must give.

Every case is one row: (case, what is written, the error problems `schedule.load` must give, in order).
What is written maps a name under scheduler/ to its text (or bytes); a name starting with "link:" makes a
symbolic link at that path under the station pointing at the value, "dir:" a folder, "file:" a file. Nothing here may raise,
hang, or change content/.
"""

from __future__ import annotations

import os
import time

import pytest

from station import config as config_mod
from station.radio import schedule as schedule_mod
from station.tools import yaml_file
from tests.conftest import tree_hashes

STATION_TOML = """
[station]
name = "Test Station"
base_url = "https://test.example.org/"
contact_email = "hello@test.example.org"
"""
SHOWS = {"night-talk", "small-steps"}

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
    end: "07:00"
    fill: {shows: [night-talk]}
    standby: {files: [stream/standby/*.mp3]}
"""

EPISODES = (
    "schedules play episodes by show (`fill: {{shows: [{}]}}`), so consent, withdrawal and hidden words "
    "apply; put idents, signposts, beds and standby sound in content/stream/"
)
LINK = (
    "remove the link: an episode is played by show (`fill: {shows: [...]}`), so consent, withdrawal and "
    "hidden words apply"
)
SYNTAX = "check the indentation and put text with a colon in quotes"
CONTROL = "retype that part, or paste it as plain text"
W = "scheduler/week.yaml"


def standby(files: str) -> str:
    return GOOD.replace("standby: {files: [stream/standby/*.mp3]}", f"standby: {{files: [{files}]}}")


BOMB = (
    "".join(
        [f"l0: &l0 [{', '.join(['lol'] * 10)}]\n"]
        + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)]
    )
    + GOOD
)
MANY_BLOCKS = (
    GOOD.split("blocks:")[0]
    + "blocks:\n"
    + "".join(
        f'  - {{name: "B{i}", start: "22:00", end: "07:00", fill: {{shows: [night-talk]}}, '
        f"standby: {{files: [stream/standby/*.mp3]}}}}\n"
        for i in range(201)
    )
)

CORPUS = [
    # ---- material that is not the stream's own sound
    (
        "a path into shows/",
        {"week.yaml": standby("shows/small-steps/first-meeting.ogg")},
        [
            f"{W} line 12: “shows/small-steps/first-meeting.ogg” is an episode's recording, not stream material — "
            + EPISODES.format("small-steps")
        ],
    ),
    (
        "a glob ** reaching shows/",
        {"week.yaml": standby('"**/*.ogg"')},
        [
            f"{W} line 12: “**/*.ogg” reaches into content/shows/, where the episodes' recordings are, and they are not "
            "stream material — " + EPISODES.format("...")
        ],
    ),
    (
        "a star for the first folder",
        {"week.yaml": standby('"*/small-steps/*.ogg"')},
        [
            f"{W} line 12: “*/small-steps/*.ogg” reaches into content/shows/, where the episodes' recordings are, and they "
            "are not stream material — " + EPISODES.format("...")
        ],
    ),
    (
        "../ out of the stream folder",
        {"week.yaml": standby("stream/../shows/small-steps/first-meeting.ogg")},
        [
            f"{W} line 12: “stream/../shows/small-steps/first-meeting.ogg” is outside the content folder — name the "
            "stream's own sound in content/stream/, like `stream/standby/*.mp3`"
        ],
    ),
    (
        "an absolute path",
        {"week.yaml": GOOD.replace("beds: [stream/beds/*.mp3]", "beds: [/etc/passwd]")},
        [
            f"{W} line 6: “/etc/passwd” is outside the content folder — name the stream's own sound in content/stream/, "
            "like `stream/beds/*.mp3`"
        ],
    ),
    (
        "a home-folder path",
        {"week.yaml": GOOD.replace("idents: [stream/idents/*.mp3]", "idents: [~/ident.mp3]")},
        [
            f"{W} line 4: “~/ident.mp3” is outside the content folder — name the stream's own sound in content/stream/, "
            "like `stream/idents/*.mp3`"
        ],
    ),
    (
        "a file elsewhere in content/",
        {"week.yaml": standby("artwork.jpg")},
        [
            f"{W} line 12: “artwork.jpg” is not in content/stream/, the stream's own folder — put idents, signposts, "
            "beds and standby sound in content/stream/ and name them from there, like `stream/standby/*.mp3`"
        ],
    ),
    (
        "backslashes from Windows",
        {"week.yaml": standby('"stream\\\\standby\\\\calm.mp3"')},
        [
            f"{W} line 12: “stream\\standby\\calm.mp3” has \\ between its folders — use / instead, like "
            "`stream/standby/*.mp3`"
        ],
    ),
    (
        "a symlink out to a recording",
        {"week.yaml": GOOD, "link:content/stream/standby/calm2.mp3": "../../shows/small-steps/ep.ogg"},
        [
            f"{W} line 12: “stream/standby/*.mp3” takes in stream/standby/calm2.mp3, a link to an episode's recording, "
            "which is not stream material — " + LINK
        ],
    ),
    (
        "a symlink out of content/",
        {"week.yaml": standby("stream/standby/passwd"), "link:content/stream/standby/passwd": "/etc/passwd"},
        [
            f"{W} line 12: “stream/standby/passwd” is a link to a file outside content/stream/, which is not stream "
            "material — put the sound file itself in content/stream/ instead of a link to somewhere else"
        ],
    ),
    (
        "a linked folder into shows/",
        {
            "week.yaml": standby("stream/standby/more/*.ogg"),
            "link:content/stream/standby/more": "../../shows/small-steps",
        },
        [
            f"{W} line 12: “stream/standby/more/*.ogg” takes in stream/standby/more, a link to a folder of episodes' "
            "recordings, which is not stream material — " + LINK
        ],
    ),
    (
        "a sound whose name holds a control character",
        {"week.yaml": GOOD, "file:content/stream/standby/calm\x1b.mp3": ""},
        [
            f"{W} line 12: “stream/standby/*.mp3” takes in stream/standby/calm\\x1b.mp3, whose name holds an invisible "
            "control character — rename the file, using letters, digits and dashes"
        ],
    ),
    (
        "an announcement that is an episode",
        {
            "week.yaml": GOOD.replace(
                "blocks:",
                (
                    "announcements:\n  - {title: Hello, file: shows/night-talk/ep.mp3, starts: 2026-11-01, "
                    "expires: 2026-12-01}\nblocks:"
                ),
            )
        },
        [
            f"{W} line 8: “shows/night-talk/ep.mp3” is an episode's recording, not stream material — "
            + EPISODES.format("night-talk")
        ],
    ),
    (
        "an empty file name",
        {"week.yaml": standby('""')},
        [f"{W} line 12: a file name here is empty — name a file, like `stream/standby/*.mp3`"],
    ),
    # ---- YAML that would break or stall a reader
    (
        "an alias bomb",
        {"week.yaml": BOMB},
        [
            f"{W} line 10: the aliases in this file (`*l8` and others) unfold into more than 10,000 values, far more "
            "than a file written by hand holds — write the values out, or use fewer aliases"
        ],
    ),
    (
        "an alias inside itself",
        {"week.yaml": GOOD.replace("fill: {shows: [night-talk]}", "fill: &me {shows: [night-talk], more: *me}")},
        [
            f"{W} line 11: `*me` is used inside the value it names (`&me`), so it would never end — remove `*me`, or "
            "write the value out"
        ],
    ),
    (
        "deep nesting",
        {"week.yaml": "name: " + "[" * 5000 + "]" * 5000 + "\n"},
        [
            f"{W} line 1: this file nests lists and groups more than 40 deep — check the brackets and the "
            "indentation: these files need only a few levels"
        ],
    ),
    (
        "a python tag",
        {"week.yaml": GOOD.replace("name: Regular week", "name: !!python/object/apply:os.system [touch /tmp/owned]")},
        [
            f"{W} line 1: `!!python/object/apply:os.system` is a YAML tag we do not read — remove the tag and write the "
            "value as plain text, a number or a list"
        ],
    ),
    (
        "binary smuggled past the text check",
        {"week.yaml": GOOD.replace("- name: Late talk", "- name: !!binary AAE=")},
        [
            f"{W} line 8: `!!binary` is a YAML tag we do not read — remove the tag and write the value as plain text, a "
            "number or a list"
        ],
    ),
    (
        "two documents",
        {"week.yaml": GOOD + "---\nname: Another\n"},
        [
            f"{W} line 13: this file holds more than one YAML document (a second `---` starts here) — keep one document: "
            "remove this `---` and what follows it, or merge the two"
        ],
    ),
    (
        "a key given twice",
        {"week.yaml": GOOD.replace('    end: "07:00"\n', '    end: "07:00"\n    end: "05:00"\n')},
        [f"{W} line 11: `end` is given twice (also on line 10) — keep the one you mean and remove the other"],
    ),
    (
        "not UTF-8",
        {"week.yaml": "name: Caf\xe9 nights\n".encode("latin-1")},
        [f"{W}: this file is not plain text — save it as UTF-8 text"],
    ),
    (
        "UTF-16",
        {"week.yaml": GOOD.encode("utf-16")},
        [f"{W}: this file is saved as UTF-16, not plain text — save it as UTF-8 text"],
    ),
    (
        "binary",
        {"week.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
        [f"{W}: this file is not plain text — save it as UTF-8 text"],
    ),
    (
        "a huge file",
        {"week.yaml": GOOD + "# " + "x" * 300_000 + "\n"},
        [
            f"{W}: this file is 293 KB, far more than a file written by hand holds (at most 256 KB is read) — check it "
            "is the right file: a sidecar, resource entry or schedule is a few kilobytes"
        ],
    ),
    (
        "a folder named like a schedule",
        {"week.yaml": GOOD, "dir:scheduler/old.yaml": ""},
        [
            "scheduler/old.yaml: this is not a file but a folder or a device, so it cannot be read — move it out of the "
            "folder, or give it a name that does not end in .yaml"
        ],
    ),
    (
        "a raw control character",
        {"week.yaml": GOOD.replace("Late talk", "Late\x01talk")},
        [
            f"{W} line 8: this line holds an invisible control character (U+0001) at column 15, which podcast apps and "
            "web pages cannot show — " + CONTROL
        ],
    ),
    (
        "a date that does not exist",
        {"week.yaml": GOOD.replace("name: Regular week", "name: Leap\ndates: {start: 2027-02-29, end: 2027-03-01}")},
        [
            f"{W} line 2: 2027-02-29 looks like a date, but there is no such day — check the day and the month "
            "(YYYY-MM-DD), or put it in quotes if it is text"
        ],
    ),
    (
        "a number of 5,000 digits",
        {"week.yaml": GOOD.replace("blocks:", "rules: {no_repeat_nights: " + "9" * 5000 + "}\nblocks:")},
        [
            f"{W} line 7: the number here has 5,000 digits, more than any setting needs — check what was pasted here, or "
            "put it in quotes if it is text"
        ],
    ),
    # ---- what a coordinator types
    (
        "NUL in a block name",
        {"week.yaml": GOOD.replace("- name: Late talk", '- name: "Late\\0talk"')},
        [
            f"{W} line 8: `blocks[1].name`: it holds an invisible control character (U+0000) at character 5, which "
            "podcast apps and web pages cannot show — " + CONTROL
        ],
    ),
    (
        "an escape character in an announcement's title",
        {
            "week.yaml": GOOD.replace(
                "blocks:",
                (
                    'announcements:\n  - {title: "Shelter\\e[31m", file: stream/standby/calm.mp3, starts: 2026-11-01, '
                    "expires: 2026-12-01}\nblocks:"
                ),
            )
        },
        [
            f"{W} line 8: `announcements[1].title`: it holds an invisible control character (U+001B) at character 8, "
            "which podcast apps and web pages cannot show — " + CONTROL
        ],
    ),
    ("a vertical tab pasted into a name is a space", {"week.yaml": GOOD.replace("Late talk", "Late\x0btalk")}, []),
    ("a tab in a name is a space", {"week.yaml": GOOD.replace("Late talk", '"Late\\ttalk"')}, []),
    (
        "a name too long",
        {"week.yaml": GOOD.replace("name: Regular week", "name: " + "week " * 40)},
        [f"{W} line 1: `name`: this is 199 characters long — keep it under 80"],
    ),
    (
        "a huge blocks list",
        {"week.yaml": MANY_BLOCKS},
        [
            f"{W} line 7: `blocks`: there are 201 blocks here, more than the 200 a schedule may hold — keep the ones the "
            "night needs"
        ],
    ),
    (
        "a huge shows list",
        {
            "week.yaml": GOOD.replace(
                "fill: {shows: [night-talk]}", "fill: {shows: [" + ", ".join(["night-talk"] * 101) + "]}"
            )
        },
        [
            f"{W} line 11: `blocks[1].fill.shows`: there are 101 entries here, more than the 100 a schedule may hold — "
            "keep the ones the night needs"
        ],
    ),
    (
        "25:00",
        {"week.yaml": GOOD.replace('end: "07:00"}', 'end: "25:00"}')},
        [f"{W} line 2: `window.end`: '25:00' is not a clock time — write hours and minutes in quotes, like \"22:00\""],
    ),
    (
        "25:00 unquoted",
        {"week.yaml": GOOD.replace('end: "07:00"}', "end: 25:00}")},
        [f'{W} line 2: `window.end`: 1500 is not a clock time — write it in quotes, like "22:00"'],
    ),
    (
        "a time zone that is a path",
        {"week.yaml": GOOD.replace("name: Regular week", "name: Regular week\ntimezone: ../../../etc/passwd")},
        [f"{W} line 2: `timezone`: '../../../etc/passwd' is not a time zone we know — use a name like `Europe/London`"],
    ),
    (
        "a time zone of a thousand characters",
        {"week.yaml": GOOD.replace("name: Regular week", "name: Regular week\ntimezone: " + "x" * 1000)},
        [f"{W} line 2: `timezone`: this is 1,000 characters long — keep it under 64"],
    ),
    (
        "a pause with a NUL",
        {"week.yaml": GOOD, "paused.yaml": 'paused:\n  - presenter: "Ro\\0bin"\n'},
        [
            "scheduler/paused.yaml line 2: `paused[1].presenter`: it holds an invisible control character (U+0000) at "
            "character 3, which podcast apps and web pages cannot show — " + CONTROL
        ],
    ),
    (
        "a pause list that is a bomb",
        {"week.yaml": GOOD, "paused.yaml": BOMB.replace(GOOD, "paused: *l9\n")},
        [
            "scheduler/paused.yaml line 11: the aliases in this file (`*l9` and others) unfold into more than 10,000 "
            "values, far more than a file written by hand holds — write the values out, or use fewer aliases"
        ],
    ),
]


@pytest.fixture
def root(tmp_path):
    for rel in (
        "stream/idents/a.mp3",
        "stream/signposts/help.mp3",
        "stream/beds/bed.mp3",
        "stream/standby/calm.mp3",
        "shows/small-steps/ep.ogg",
        "shows/small-steps/first-meeting.ogg",
        "shows/night-talk/ep.mp3",
        "artwork.jpg",
    ):
        (tmp_path / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "content" / rel).write_bytes(b"x")
    (tmp_path / "station.toml").write_text(STATION_TOML)
    (tmp_path / "scheduler").mkdir()
    return tmp_path


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("case, written, expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_schedule(root, case, written, expected):
    for name, value in written.items():
        if name.startswith("link:"):
            os.symlink(value, root / name[5:])
        elif name.startswith("dir:"):
            (root / name[4:]).mkdir()
        elif name.startswith("file:"):
            (root / name[5:]).write_bytes(b"x")
        elif isinstance(value, bytes):
            (root / "scheduler" / name).write_bytes(value)
        else:
            (root / "scheduler" / name).write_text(value, encoding="utf-8")
    content = tree_hashes(root / "content")
    started = time.monotonic()
    loaded = schedule_mod.load(config_mod.load(root), SHOWS)
    assert time.monotonic() - started < 10, "a hostile file must not stall the check"
    assert [str(p) for p in loaded.problems if p.is_error] == expected
    assert tree_hashes(root / "content") == content
    assert not (root / ".station").exists(), "checking writes nothing"


def test_harmless_breaks_are_cleaned_not_refused(root):
    (root / "scheduler" / "week.yaml").write_text(GOOD.replace("Late talk", "Late\x0btalk\u2028now"))
    loaded = schedule_mod.load(config_mod.load(root), SHOWS)
    assert loaded.files[0].data.blocks[0].name == "Late talk now"


def test_the_reader_bounds_are_the_documented_ones():
    # docs/schedule.md and docs/troubleshooting.md say these numbers.
    assert (yaml_file.MAX_BYTES, yaml_file.MAX_DEPTH, yaml_file.MAX_VALUES) == (256 * 1024, 40, 10_000)
    assert (schedule_mod.MAX_BLOCKS, schedule_mod.MAX_ITEMS, schedule_mod.MAX_ANNOUNCEMENTS) == (200, 100, 100)
