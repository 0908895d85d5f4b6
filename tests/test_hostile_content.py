"""The hostile corpus for what people type into content/ and station.toml: each case an input and the exact words
it gets back. Sidecars, show.toml, resource entries, file and folder names, station.toml.

Every case is read by the real loaders from real files in a throwaway station; recordings are a few bytes, since
nothing here gets as far as the audio. The one real build (defect 2 of issue 15) is at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import feedparser
import pytest
import yaml

from station import config as config_mod
from station.catalog import content as catalog
from station.catalog import resources
from station.errors import ConfigError
from tests.conftest import REPO, STATION_TOML, TRANSCRIPTS_OFF, sidecar, tree_hashes

TODAY = dt.date(2026, 11, 22)
FAST = STATION_TOML + TRANSCRIPTS_OFF  # these tests are about text
SHOW = 'title = "Night Talk"\ndescription = "Peers after midnight."\n'
SHOWS = "content/shows/night-talk"
ENTRY = {
    "name": "Harbour Café",
    "kind": "recovery-community",
    "summary": "A café run by people in recovery.",
    "locality": "Harbourside",
    "hours": "always",
    "access": ["drop-in"],
    "last_checked": dt.date(2026, 10, 1),
}
REFUSED = "which podcast apps and web pages cannot show — retype that part, or paste it as plain text"


def side(**overrides) -> str:
    return yaml.safe_dump(sidecar(**overrides), sort_keys=False, allow_unicode=True)


def entry(**overrides) -> str:
    return yaml.safe_dump({**ENTRY, **overrides}, sort_keys=False, allow_unicode=True)


def refused(where: str, key: str, code: str, at: int) -> str:
    return f"{where}: `{key}`: it holds an invisible control character ({code}) at character {at}, {REFUSED}"


STATION_EXTRA = """
[[crisis_lines]]
name = "Samaritans"
number = "116 123"
hours = "24 hours, every day"
"""

# (case, files written over the base station — path: text, or bytes for a raw file —, the exact problems).
# The base station has one good episode (good.mp3) that must be in the catalogue after every case that is
# not station.toml's: one bad file never takes another episode with it.
CASES = [
    (
        "NUL in a title (YAML \\0)",
        {
            f"{SHOWS}/ep.yaml": 'title: "Night\\0bus"\ndescription: x\n'
            "presenters: [{name: Sam, tier: first-name}]\n"
            "consent: {by: Sam, date: 2026-11-01, scope: [podcast]}\n"
        },
        [refused(f"{SHOWS}/ep.yaml line 1", "title", "U+0000", 6)],
    ),
    (
        "ESC in a description",
        {f"{SHOWS}/ep.yaml": side(description="Sam on the\x1b[31m ride home.")},
        [refused(f"{SHOWS}/ep.yaml line 2", "description", "U+001B", 11)],
    ),
    (
        "DEL in a presenter's name",
        {f"{SHOWS}/ep.yaml": side(presenters=[{"name": "Sa\x7fm", "tier": "first-name"}])},
        [refused(f"{SHOWS}/ep.yaml line 4", "presenters[1].name", "U+007F", 3)],
    ),
    (
        "C1 CSI in consent's by",
        {f"{SHOWS}/ep.yaml": side(consent={"by": "\x9bSam", "date": dt.date(2026, 11, 1), "scope": ["podcast"]})},
        [refused(f"{SHOWS}/ep.yaml line 7", "consent.by", "U+009B", 1)],
    ),
    (
        "NUL in a chapter title",
        {
            f"{SHOWS}/ep.yaml": side(
                chapters=[{"start": "0:00", "title": "On the bus"}, {"start": "1:00", "title": "Off\x00"}]
            )
        },
        [refused(f"{SHOWS}/ep.yaml line 19", "chapters[2].title", "U+0000", 4)],
    ),
    (
        "BEL in a tag",
        {f"{SHOWS}/ep.yaml": side(tags=["late-night", "music\x07"])},
        [refused(f"{SHOWS}/ep.yaml line 17", "tags[2]", "U+0007", 6)],
    ),
    (
        "a control character in a word to hide",
        {f"{SHOWS}/ep.yaml": side(redact=["Crawley", "St\x01 Mary's"])},
        [refused(f"{SHOWS}/ep.yaml line 17", "redact[2]", "U+0001", 3)],
    ),
    (
        "a vertical tab and a form feed are cleaned, not refused",
        {f"{SHOWS}/ep.yaml": side(title="Awake\vat three", description="One\fTwo\u2028Three")},
        [],
    ),
    (
        "a title of spaces",
        {f"{SHOWS}/ep.yaml": side(title="   ")},
        [f"{SHOWS}/ep.yaml line 1: `title` is empty — fill it in"],
    ),
    (
        "a title of zero-width spaces",
        {f"{SHOWS}/ep.yaml": side(title="\u200b\u200b\ufeff")},
        [f"{SHOWS}/ep.yaml line 1: `title` is empty — fill it in"],
    ),
    (
        "an enormous description",
        {f"{SHOWS}/ep.yaml": side(description="word " * 2500)},
        [f"{SHOWS}/ep.yaml line 2: `description` is 12,499 characters long, but it can be at most 10,000 — shorten it"],
    ),
    (
        "a list where a title belongs",
        {f"{SHOWS}/ep.yaml": side(title=["Night", "bus"])},
        [
            f"{SHOWS}/ep.yaml line 1: `title` should be text in quotes (found ['Night', 'bus']) — write it as text in quotes"
        ],
    ),
    (
        "a date where a name belongs",
        {f"{SHOWS}/ep.yaml": side(presenters=[{"name": dt.date(2026, 1, 1), "tier": "first-name"}])},
        [
            f"{SHOWS}/ep.yaml line 4: `presenters[1].name` should be text in quotes (found 2026-01-01) — write it as text "
            "in quotes"
        ],
    ),
    (
        "a key with a control character",
        {f"{SHOWS}/ep.yaml": side() + '"colo\\x00ur": blue\n'},
        [
            f"{SHOWS}/ep.yaml line 15: `colo\\x00ur` is not a setting we know — remove it, or use one of: allow_clipping, "
            "artwork, artwork_alt, chapters, consent, content_notes, description, episode, explicit, language, presenters, "
            "published_at, redact, season, slug, tags, title, topics, translate"
        ],
    ),
    (
        "an empty key",
        {f"{SHOWS}/ep.yaml": side() + "~: stray\n"},
        [
            f"{SHOWS}/ep.yaml line 15: a key here is empty (YAML reads `~` and `null` as nothing), so its value belongs to "
            "nothing — write the key, like `title: …`, or remove the line"
        ],
    ),
    (
        "a number as a key",
        {f"{SHOWS}/ep.yaml": side() + "1984: stray\n"},
        [
            f"{SHOWS}/ep.yaml line 15: `1984` is not a setting we know — remove it, or use one of: allow_clipping, "
            "artwork, artwork_alt, chapters, consent, content_notes, description, episode, explicit, language, presenters, "
            "published_at, redact, season, slug, tags, title, topics, translate"
        ],
    ),
    (
        "an episode number past all sense",
        {f"{SHOWS}/ep.yaml": side(episode=10**30)},
        [
            f"{SHOWS}/ep.yaml line 15: `episode` is 1000000000000000000000000000000, but it must be at most 1000000 "
            "— change it"
        ],
    ),
    (
        "a chapter at infinity",
        {f"{SHOWS}/ep.yaml": side(chapters=[{"start": float("inf"), "title": "Forever"}])},
        [
            f"{SHOWS}/ep.yaml line 16: `chapters[1].start` is inf, which is not a number we can use — write an ordinary number"
        ],
    ),
    (
        "artwork outside the show's folder",
        {f"{SHOWS}/ep.yaml": side(artwork="../../../station.toml")},
        [
            f"{SHOWS}/ep.yaml: the artwork `../../../station.toml` is outside this show's folder, and an episode only "
            "uses its show's files — put the image beside the recording and give its name, like `artwork: station.toml`"
        ],
    ),
    (
        "artwork at an absolute path",
        {f"{SHOWS}/ep.yaml": side(artwork="/etc/hostname")},
        [
            f"{SHOWS}/ep.yaml: the artwork `/etc/hostname` is outside this show's folder, and an episode only uses its "
            "show's files — put the image beside the recording and give its name, like `artwork: hostname`"
        ],
    ),
    (
        "a recording named with a line break",
        {f"{SHOWS}/night\nbus.mp3": b"ID3", f"{SHOWS}/night\nbus.yaml": side()},
        [
            f"{SHOWS}/night\\nbus.mp3: this file's name holds an invisible character (U+000A) at character 6, which "
            "messages and web addresses cannot show — rename it with letters, digits, spaces and dashes (the recording "
            "and its .yaml with the same name)",
            f"{SHOWS}/night\\nbus.yaml: this file's name holds an invisible character (U+000A) at character 6, which "
            "messages and web addresses cannot show — rename it with letters, digits, spaces and dashes (the recording "
            "and its .yaml with the same name)",
        ],
    ),
    (
        "a recording named with a control character",
        {f"{SHOWS}/ring\x07.mp3": b"ID3"},
        [
            f"{SHOWS}/ring\\x07.mp3: this file's name holds an invisible character (U+0007) at character 5, which "
            "messages and web addresses cannot show — rename it with letters, digits, spaces and dashes (the recording "
            "and its .yaml with the same name)"
        ],
    ),
    (
        "a recording whose name is not UTF-8",
        {os.fsdecode(f"{SHOWS}/caf".encode() + b"\xe9.mp3"): b"ID3"},
        [
            f"{SHOWS}/caf\\udce9.mp3: this file's name is not UTF-8 text (it was probably made on a computer set up for "
            "another language) — rename it with letters, digits, spaces and dashes (the recording and its .yaml with the "
            "same name)"
        ],
    ),
    (
        "a show folder named with a line break",
        {"content/shows/late\n/show.toml": SHOW},
        [
            "content/shows/late\\n: this show folder's name is used in web addresses, but it has capitals, spaces or other "
            "characters that do not work there — rename the folder to lower-case letters, digits and dashes, like `late`"
        ],
    ),
    (
        "NUL in show.toml's title",
        {"content/shows/late/show.toml": 'title = "Late\\u0000Talk"\ndescription = "Peers."\n'},
        [refused("content/shows/late/show.toml", "title", "U+0000", 5)],
    ),
    (
        "ESC in show.toml's description",
        {"content/shows/late/show.toml": 'title = "Late"\ndescription = "A\\u001b"\n'},
        [refused("content/shows/late/show.toml", "description", "U+001B", 2)],
    ),
    (
        "show intro outside the show",
        {"content/shows/late/show.toml": SHOW + 'intro = "../night-talk/good.mp3"\n'},
        [
            "content/shows/late/show.toml: the intro `../night-talk/good.mp3` is outside this show's folder, and a show "
            'only uses its own files — put it in content/shows/late/ and give its name there, like `intro = "good.mp3"`'
        ],
    ),
    (
        "NUL in a resource's name",
        {"content/resources/cafe.yaml": entry(name="Harbour\x00Café")},
        [refused("content/resources/cafe.yaml line 1", "name", "U+0000", 8)],
    ),
    (
        "a control character in a resource's hours",
        {"content/resources/cafe.yaml": entry(hours=[{"days": "mon-fri", "open": "10:00", "close": "16:\x0200"}])},
        [refused("content/resources/cafe.yaml line 8", "hours[1].close", "U+0002", 4)],
    ),
    (
        "C1 in a resource's hours note",
        {"content/resources/cafe.yaml": entry(hours=[], hours_note="by\x85 appt\x90")},
        [refused("content/resources/cafe.yaml line 9", "hours_note", "U+0090", 9)],
    ),
    (
        "hours that are neither a list nor always",
        {"content/resources/cafe.yaml": entry(hours="sometimes")},
        [
            "content/resources/cafe.yaml line 5: `hours`: 'sometimes' is not opening hours — write `hours: always` for "
            'a place that never closes, or list them, like `- {days: mon-fri, open: "10:00", close: "16:00"}`'
        ],
    ),
    (
        "days as a number",
        {"content/resources/cafe.yaml": entry(hours=[{"days": 5, "open": "10:00", "close": "11:00"}])},
        [
            "content/resources/cafe.yaml line 6: `hours[1].days` should be a list, like [a, b] (found 5) — write it as a "
            "list, like [a, b]"
        ],
    ),
    (
        "a bad opening time names the opening, once",
        {"content/resources/cafe.yaml": entry(hours=[{"days": "mon", "open": "25:00", "close": "10:00"}])},
        [
            "content/resources/cafe.yaml line 7: `hours[1].open`: '25:00' is not a time of day — write it on the 24-hour "
            "clock, like `18:30`"
        ],
    ),
    (
        "a resource file named with a line break",
        {"content/resources/cafe\n.yaml": entry()},
        [
            "content/resources/cafe\\n.yaml: this file's name is used in web addresses, but it has capitals, spaces or "
            "other characters that do not work there — rename it to `cafe.yaml`"
        ],
    ),
    (
        "NUL in station.toml's name",
        {"station.toml": FAST.replace('"Test Station"', '"Test\\u0000Station"')},
        [refused("station.toml", "station.name", "U+0000", 5)],
    ),
    (
        "C1 in a crisis line's hours",
        {"station.toml": FAST + STATION_EXTRA.replace("every day", "every\\u0085 day\\u009f")},
        [refused("station.toml", "crisis_lines[1].hours", "U+009F", 21)],
    ),
    (
        "a crisis line's web address that is not one",
        {"station.toml": FAST + STATION_EXTRA + 'url = "javascript:x"\n'},
        [
            "station.toml: `crisis_lines[1].url` is 'javascript:x', which is not a web address — write the full address, "
            "starting with https://"
        ],
    ),
    (
        "a control character in a funding link",
        {
            "station.toml": FAST.replace(
                "[build]", '[[station.funding]]\nurl = "https://x.org"\ntext = "Give\\u0008"\n\n[build]'
            )
        },
        [refused("station.toml", "station.funding[1].text", "U+0008", 5)],
    ),
]


def make_station(root: Path) -> Path:
    (root / f"{SHOWS}").mkdir(parents=True)
    (root / "content/resources").mkdir()
    (root / "station.toml").write_text(FAST)
    shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")
    (root / SHOWS / "show.toml").write_text(SHOW)
    (root / SHOWS / "good.mp3").write_bytes(b"ID3")
    (root / SHOWS / "good.yaml").write_text(side())
    (root / "content/resources/good.yaml").write_text(entry())
    return root


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    if any(name.endswith("ep.yaml") for name in files):
        (root / SHOWS / "ep.mp3").write_bytes(b"ID3")


def read_everything(root: Path) -> tuple[list[str], catalog.Catalog | None, list]:
    try:
        config = config_mod.load(root)
    except ConfigError as exc:
        return [str(p) for p in exc.problems], None, []
    found = catalog.load(config, settle=False)
    places, trouble = resources.load(config, TODAY)
    return [str(p) for p in found.problems + trouble], found, places


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30 and len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("files, expected", [(f, e) for _, f, e in CASES], ids=[n for n, _, _ in CASES])
def test_hostile_content(tmp_path, files, expected):
    root = make_station(tmp_path / "station")
    write(root, files)
    before = tree_hashes(root / "content")
    said, found, places = read_everything(root)
    assert said == expected
    assert tree_hashes(root / "content") == before
    for message in said:  # one printable line each, so a terminal, a log and the desk show it whole
        assert message.isprintable() and "Traceback" not in message
    if found is not None:
        assert f"{SHOWS}/good.mp3" in {e.key.replace("night-talk", SHOWS, 1) for e in found.episodes}
        assert "good" in {p.slug for p in places}


def test_cleaned_text_is_what_the_episode_carries(tmp_path):
    root = make_station(tmp_path / "station")
    write(
        root,
        {
            f"{SHOWS}/ep.yaml": side(
                title="\ufeffAwake\vat\tthree\u200b",
                description="One\fTwo\r\nThree\u2028Four",
                tags=["late-night", "music"],
            )
        },
    )
    said, found, _ = read_everything(root)
    assert said == []
    meta = next(e.meta for e in found.episodes if e.recording.name == "ep.mp3")
    assert (meta.title, meta.description, meta.tags) == (
        "Awake at three",
        "One\nTwo\nThree\nFour",
        ["late-night", "music"],
    )


def test_every_problem_in_a_sidecar_at_once_with_control_characters(tmp_path):
    root = make_station(tmp_path / "station")
    write(root, {f"{SHOWS}/ep.yaml": side(title="a\x00", description="b\x01", tags=["c\x02"])})
    said, _, _ = read_everything(root)
    assert said == [
        refused(f"{SHOWS}/ep.yaml line 1", "title", "U+0000", 2),
        refused(f"{SHOWS}/ep.yaml line 2", "description", "U+0001", 2),
        refused(f"{SHOWS}/ep.yaml line 16", "tags[1]", "U+0002", 2),
    ]


# Defect 2 of issue 15: "One control character stops every build, and a withdrawal with it." A NUL or a vertical
# tab in a title or description passed validation, and lxml then raised in the feed writer: the whole build stopped.

NUL_SIDECAR = """title: "Night\\0bus"
description: "The ride home."
presenters: [{name: Sam, tier: first-name}]
consent: {by: Sam, date: 2026-11-01, scope: [podcast, site, stream]}
"""
VT_SIDECAR = """title: "Awake\\vat three"
description: "It is gone three.\\vStill here."
presenters: [{name: Jo, tier: first-name}]
consent: {by: Jo, date: 2026-11-01, scope: [podcast, site, stream]}
"""
# Pasted raw, where YAML lets a character through: a Unicode line separator and a tab inside quotes.
PASTED_SIDECAR = """title: "Small\u2028steps\tforward"
description: "Line one\u2029line two."
presenters: [{name: Ali, tier: first-name}]
consent: {by: Ali, date: 2026-11-01, scope: [podcast, site, stream]}
"""
# A raw NUL in the title is refused by YAML itself, in the description a control character by the check.
RAW_SIDECAR = 'title: "Raw\x00"\n' + NUL_SIDECAR.split("\n", 1)[1]
ESC_SIDECAR = NUL_SIDECAR.replace('"Night\\0bus"', '"Escape"').replace('"The ride home."', '"Home\\e[2J"')


def test_control_characters_never_stop_the_build_defect_2(station):
    station.root.joinpath("station.toml").write_text(FAST)
    station.episode("good.mp3", title="Finding the night bus home")
    station.episode("nul.mp3", meta=NUL_SIDECAR)
    station.episode("vt.mp3", meta=VT_SIDECAR)
    station.episode("pasted.mp3", meta=PASTED_SIDECAR)
    station.episode("raw.mp3", meta=RAW_SIDECAR)
    station.episode("esc.mp3", meta=ESC_SIDECAR)
    content = tree_hashes(station.root / "content")
    result = station.build()
    errors = {p.where: str(p) for p in result.errors}
    assert errors.pop(f"{SHOWS}/nul.yaml line 1") == refused(f"{SHOWS}/nul.yaml line 1", "title", "U+0000", 6)
    assert errors.pop(f"{SHOWS}/esc.yaml line 2") == refused(f"{SHOWS}/esc.yaml line 2", "description", "U+001B", 5)
    # The raw NUL is YAML's to refuse (station/yaml_file.py): a plain problem for that file only.
    raw = [where for where in errors if where.startswith(f"{SHOWS}/raw.yaml")]
    assert len(raw) == 1 and "Traceback" not in errors.pop(raw[0])
    assert errors == {}
    assert sorted(o.where for o in result.episodes if o.state == "built") == [
        f"{SHOWS}/good.mp3",
        f"{SHOWS}/pasted.mp3",
        f"{SHOWS}/vt.mp3",
    ]
    assert tree_hashes(station.root / "content") == content
    for feed in ("site/feed.xml", "site/shows/night-talk/feed.xml"):
        parsed = feedparser.parse((station.root / feed).read_bytes())
        assert not parsed.bozo, parsed.bozo_exception
        assert sorted(e.title for e in parsed.entries) == [
            "Awake at three",
            "Finding the night bus home",
            "Small steps forward",
        ]
        vt = next(e for e in parsed.entries if e.title == "Awake at three")
        assert "It is gone three." in vt.summary and "Still here." in vt.summary
    page = (station.root / "site/shows/night-talk/awake-at-three/index.html").read_text()
    assert "\x0b" not in page and "Awake at three" in page
