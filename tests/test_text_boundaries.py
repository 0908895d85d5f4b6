"""Property tests for every boundary where a person's text comes in: sidecars, show.toml, resource entries and
station.toml. Any text, any structure, wrong types, huge numbers, dates as strings: the result is a valid model or
plain problems — one printable line each, never a traceback — and content/ is never changed.

Bounded in CI (the "ci" Hypothesis profile, tests/conftest.py); `HYPOTHESIS_PROFILE=long` hunts for longer.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from station import config as config_mod
from station.catalog import content as catalog
from station.catalog import resources
from station.catalog.model import EpisodeMeta, ShowMeta
from station.catalog.resources import ResourceMeta
from station.config import Settings
from station.errors import ConfigError
from station.text import refused
from station.validation import MULTILINE, validate
from tests.conftest import REPO, STATION_TOML, TRANSCRIPTS_OFF, sidecar, tree_hashes

FAST = STATION_TOML + TRANSCRIPTS_OFF
SHOWS = "content/shows/night-talk"
TODAY = dt.date(2026, 11, 22)

# Characters people paste by accident, and ones nobody should: weighted in, since plain st.text() meets them rarely.
NASTY = "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x7f\x80\x85\x9b\x9f\u00a0\u200b\u200d\u2028\u2029\u202e\ufeff\ufffe\uffff"
chars = st.one_of(st.characters(), st.sampled_from(NASTY), st.characters(categories=["Cs"]))
texts = st.one_of(
    st.text(chars, max_size=30),
    st.sampled_from(["", " ", "\u200b", "always", "2026-11-01", "1:02", "first-name", "podcast", "mon-fri", "18:30"]),
    st.text(chars, min_size=190, max_size=260),
)
scalars = st.one_of(
    texts,
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.binary(max_size=8),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
    st.dates().map(str),
)
anything = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.tuples(kids, kids)
        | st.dictionaries(texts | st.integers() | st.none(), kids, max_size=4)
    ),
    max_leaves=12,
)

GOOD_SIDECAR = sidecar(chapters=[{"start": "0:00", "title": "On the bus"}], tags=["late-night"], redact=["Crawley"])
GOOD_SHOW = {"title": "Night Talk", "description": "Peers after midnight."}
GOOD_ENTRY = {
    "name": "Harbour Café",
    "kind": "recovery-community",
    "summary": "A café run by people in recovery.",
    "locality": "Harbourside",
    "hours": [{"days": "mon-fri", "open": "10:00", "close": "16:00"}],
    "hours_note": "closed on bank holidays",
    "access": ["drop-in"],
    "contact": {"phone": "01234 500 100"},
    "last_checked": dt.date(2026, 10, 1),
}
GOOD_STATION = {
    "station": {
        "name": "Night Owls",
        "base_url": "https://radio.example.org/",
        "contact_email": "hello@example.org",
        "description": "Peers through the night.",
        "funding": [{"url": "https://example.org/give", "text": "Give"}],
    },
    "crisis_lines": [{"name": "Samaritans", "number": "116 123", "hours": "24 hours, every day"}],
}


def mutated(good: dict, keys: list[str]):
    """`good` with some keys (dotted, into nested mappings and lists) replaced by anything, some added."""
    places = st.lists(st.tuples(st.sampled_from(keys), anything), max_size=4)
    extra = st.dictionaries(texts | st.integers(), anything, max_size=2)

    def apply(changes, added):
        data = json.loads(json.dumps(good, default=str))  # a deep copy, dates as the strings YAML also gives
        for dotted, value in changes:
            *path, last = dotted.split(".")
            try:
                here = data
                for part in path:
                    here = here[int(part)] if part.isdigit() else here[part]
                here[int(last) if last.isdigit() else last] = value
            except (TypeError, KeyError, IndexError):
                pass  # an earlier change already replaced what this one reaches into
        return {**data, **added}

    return st.builds(apply, places, extra)


SIDECAR_KEYS = [
    "title",
    "description",
    "presenters",
    "presenters.0",
    "presenters.0.name",
    "presenters.0.tier",
    "consent",
    "consent.by",
    "consent.date",
    "consent.scope",
    "consent.scope.0",
    "consent.expires",
    "topics",
    "topics.0",
    "content_notes",
    "redact",
    "redact.0",
    "tags",
    "tags.0",
    "chapters",
    "chapters.0.start",
    "chapters.0.title",
    "published_at",
    "episode",
    "season",
    "explicit",
    "artwork",
    "language",
    "slug",
    "allow_clipping",
]
SHOW_KEYS = list(ShowMeta.model_fields)
ENTRY_KEYS = [
    "name",
    "kind",
    "summary",
    "locality",
    "hours",
    "hours.0",
    "hours.0.days",
    "hours.0.open",
    "hours.0.close",
    "hours_note",
    "access",
    "cost",
    "accepts_using",
    "languages",
    "accessibility",
    "contact",
    "contact.phone",
    "contact.web",
    "contact.email",
    "last_checked",
    "topics",
]
STATION_KEYS = [
    "station.name",
    "station.base_url",
    "station.contact_email",
    "station.description",
    "station.copyright",
    "station.funding",
    "station.funding.0.text",
    "station.funding.0.url",
    "station.language",
    "station.timezone",
    "crisis_lines",
    "crisis_lines.0.name",
    "crisis_lines.0.number",
    "crisis_lines.0.hours",
    "crisis_lines.0.url",
]


def plain(problems) -> None:
    """Every problem is one printable line that names a place and says what to do."""
    for problem in problems:
        for part in (problem.where, problem.what, problem.fix):
            assert part and part.isprintable(), problem
        assert "Traceback" not in str(problem)


def clean_text_only(model: pydantic.BaseModel) -> None:
    """What a valid model carries is safe for XML, pages and the stream; one-line fields hold no line break."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        multiline = MULTILINE in field.metadata or MULTILINE in repr(field.annotation)
        for text in strings(value):
            assert refused(text) is None, (name, text)
            assert "\t" not in text and "\r" not in text and "\x0b" not in text, (name, text)
            assert multiline or "\n" not in text, (name, text)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, pydantic.BaseModel):
        clean_text_only(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)


@given(mutated(GOOD_SIDECAR, SIDECAR_KEYS))
def test_any_sidecar_data_gives_a_model_or_plain_problems(data):
    meta, problems = validate(EpisodeMeta, data, f"{SHOWS}/ep.yaml")
    assert (meta is None) == bool(problems)
    plain(problems)
    if meta is not None:
        clean_text_only(meta)


@given(anything)
def test_any_value_at_all_as_a_sidecar(data):
    _, problems = validate(EpisodeMeta, data, f"{SHOWS}/ep.yaml")
    plain(problems)


@given(mutated(GOOD_SHOW, SHOW_KEYS))
def test_any_show_toml_data_gives_a_model_or_plain_problems(data):
    meta, problems = validate(ShowMeta, data, f"{SHOWS}/show.toml")
    plain(problems)
    if meta is not None:
        clean_text_only(meta)


@given(mutated(GOOD_ENTRY, ENTRY_KEYS))
def test_any_resource_entry_gives_a_model_or_plain_problems(data):
    meta, problems = validate(ResourceMeta, data, "content/resources/cafe.yaml")
    plain(problems)
    if meta is not None:
        clean_text_only(meta)
        resources.intervals(meta.hours)  # what the map works out from it never fails either


@given(mutated(GOOD_STATION, STATION_KEYS))
def test_any_station_toml_data_gives_settings_or_plain_problems(data):
    settings_, problems = validate(Settings, data, "station.toml")
    plain(problems)
    if settings_ is not None:
        clean_text_only(settings_.station)
        for line in settings_.crisis_lines:
            clean_text_only(line)


# The same through the real files and loaders: YAML and TOML as written, content/ hashed before and after.


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("boundaries") / "station"
    (root / SHOWS).mkdir(parents=True)
    (root / "content/resources").mkdir()
    (root / "station.toml").write_text(FAST)
    shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")
    (root / SHOWS / "show.toml").write_text('title = "Night Talk"\ndescription = "Peers after midnight."\n')
    for name in ("good", "ep"):
        (root / SHOWS / f"{name}.mp3").write_bytes(b"ID3")
    (root / SHOWS / "good.yaml").write_text(yaml.safe_dump(sidecar(), sort_keys=False))
    (root / "content/resources/good.yaml").write_text(yaml.safe_dump(GOOD_ENTRY, sort_keys=False))
    return root


def dumped(data) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, UnicodeError, TypeError, ValueError):
        assume(False)


def write_raw(path: Path, text: str) -> None:
    # A lone surrogate cannot be UTF-8; written as Python would pass it through, so the file is not UTF-8 text.
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


def loaded(root: Path):
    before = tree_hashes(root / "content")
    config = config_mod.load(root)
    found = catalog.load(config, settle=False)
    places, trouble = resources.load(config, TODAY)
    assert tree_hashes(root / "content") == before
    assert "night-talk/good.mp3" in {e.key for e in found.episodes}  # one bad file never takes another with it
    assert "good" in {p.slug for p in places}
    return found.problems + trouble


@given(
    st.one_of(
        mutated(GOOD_SIDECAR, SIDECAR_KEYS).map(dumped),
        st.text(chars, max_size=200),
        st.builds(lambda good, tail: good + tail, st.just(yaml.safe_dump(sidecar())), st.text(chars, max_size=40)),
    )
)
def test_any_sidecar_file(room, text):
    write_raw(room / SHOWS / "ep.yaml", text)
    problems = loaded(room)
    assert all("Traceback" not in str(p) for p in problems)
    plain([p for p in problems if "not valid YAML" not in p.what])  # YAML's own words are station/yaml_file.py's


def toml_text(data: dict) -> str:
    """A flat TOML table, every text as a basic string (JSON's escapes are TOML's, `\\u0000` included)."""
    lines = []
    for key, value in data.items():
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = json.dumps(value) if value == value and abs(value) != float("inf") else "nan"
        else:
            shown = json.dumps(str(value))
        lines.append(f"{json.dumps(str(key))} = {shown}")
    return "\n".join(lines) + "\n"


@given(
    st.one_of(
        st.builds(
            lambda base, extra: toml_text({**GOOD_SHOW, **extra}),
            st.just(0),
            st.dictionaries(st.sampled_from(SHOW_KEYS) | texts, scalars, max_size=4),
        ),
        st.text(chars, max_size=120),
    )
)
def test_any_show_toml_file(room, text):
    folder = room / "content/shows/late"
    folder.mkdir(exist_ok=True)
    write_raw(folder / "show.toml", text)
    problems = loaded(room)
    plain([p for p in problems if "not valid TOML" not in p.what])


@given(mutated(GOOD_ENTRY, ENTRY_KEYS).map(dumped))
def test_any_resource_file(room, text):
    write_raw(room / "content/resources/cafe.yaml", text)
    problems = loaded(room)
    plain([p for p in problems if "not valid YAML" not in p.what])


@given(
    st.dictionaries(
        st.sampled_from(["name", "description", "copyright", "contact_email", "base_url"]), texts, max_size=3
    ),
    st.dictionaries(st.sampled_from(["name", "number", "hours", "url"]), texts, max_size=4),
)
def test_any_station_toml_file(tmp_path_factory, station_over, line_over):
    root = tmp_path_factory.mktemp("toml")
    (root / "content").mkdir()
    head = {**GOOD_STATION["station"], **station_over}
    head.pop("funding")
    text = (
        "[station]\n"
        + toml_text(head)
        + "\n[[crisis_lines]]\n"
        + toml_text({**GOOD_STATION["crisis_lines"][0], **line_over})
    )
    write_raw(root / "station.toml", text)
    try:
        config = config_mod.load(root)
    except ConfigError as exc:
        plain([p for p in exc.problems if "not valid TOML" not in p.what])
    else:
        clean_text_only(config.settings.station)


def test_validate_never_raises_on_what_yaml_cannot_write():
    """Values that never come out of a YAML file but do come through the desk or code: sets, bytes, lone
    surrogates, cycles, nesting past any sense."""
    deep: list = []
    here = deep
    for _ in range(5000):
        here.append([])
        here = here[0]
    cycle: list = []
    cycle.append(cycle)
    good = dict(GOOD_SIDECAR)
    for value in ({"late-night", "music"}, b"\x00", "half \ud800 a pair", deep, cycle, frozenset({1, "x"})):
        for key in ("title", "tags", "redact", "presenters"):
            _, problems = validate(EpisodeMeta, {**good, key: value}, "ep.yaml")
            plain(problems)
    assert validate(EpisodeMeta, {**good, "tags": {"music", "late-night"}}, "x")[0].tags == ["late-night", "music"]
    assert [str(p) for p in validate(EpisodeMeta, {**good, "title": "half \ud800 a pair"}, "ep.yaml")[1]] == [
        "ep.yaml: `title`: it holds an invisible control character (U+D800) at character 6, which podcast apps and "
        "web pages cannot show — retype that part, or paste it as plain text"
    ]
    assert [str(p) for p in validate(EpisodeMeta, {**good, "redact": deep}, "ep.yaml")[1]] == [
        "ep.yaml: `redact`: it is nested more than 32 levels deep — write it out plainly"
    ]
    assert [str(p) for p in validate(EpisodeMeta, {**good, "title": b"\x00"}, "ep.yaml")[1]] == [
        "ep.yaml: `title`: it is binary data, not text — write it as text in quotes"
    ]


def test_an_alias_bomb_given_straight_to_validate_is_refused_quickly():
    """The YAML reader refuses a "billion laughs" file; data built in code is bounded here too."""
    import time

    level = ["lol"] * 10
    for _ in range(8):
        level = [level] * 10
    started = time.monotonic()
    _, problems = validate(EpisodeMeta, {**GOOD_SIDECAR, "redact": level}, "ep.yaml")
    assert time.monotonic() - started < 5
    assert [str(p) for p in problems] == [
        "ep.yaml: `redact`: it holds more than 100,000 values, far more than it can use — write it out plainly, "
        "without anchors that repeat whole parts"
    ]


# A few real builds: a hostile sidecar beside a good one. The good one is built (and stays built), the bad one is
# a plain problem or, if it happens to be valid, an episode; content/ is never changed.


@pytest.fixture(scope="module")
def built_station(tmp_path_factory, clips):
    from tests.conftest import Station

    station = Station(tmp_path_factory.mktemp("real") / "station", clips)
    (station.root / "station.toml").write_text(FAST)
    station.episode("good.mp3")
    station.episode("bad.mp3", title="Awake at three")
    first = station.build()
    assert [o.state for o in first.episodes] == ["built", "built"]
    return station


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    st.one_of(
        mutated(
            GOOD_SIDECAR,
            ["title", "description", "presenters.0.name", "consent.by", "tags.0", "redact.0", "chapters.0.title"],
        ).map(dumped),
        st.sampled_from(
            [
                'title: "Night\\0bus"\ndescription: x\npresenters: [{name: Sam, tier: first-name}]\n'
                "consent: {by: Sam, date: 2026-11-01, scope: [podcast, site, stream]}\n",
                'title: "x"\ndescription: "\\e[2J"\npresenters: [{name: "\\x9b", tier: pseudonym}]\n',
            ]
        ),
    )
)
def test_a_hostile_sidecar_beside_a_good_one_in_a_real_build(built_station, text):
    from station.build import runner as pipeline

    write_raw(built_station.root / SHOWS / "bad.yaml", text)
    content = tree_hashes(built_station.root / "content")
    result = pipeline.build(built_station.config, now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    assert tree_hashes(built_station.root / "content") == content
    states = {o.where: o.state for o in result.episodes}
    assert states[f"{SHOWS}/good.mp3"] in ("built", "unchanged")
    assert (built_station.root / "site/shows/night-talk/finding-the-night-bus-home/index.html").is_file()
    feed = (built_station.root / "site/feed.xml").read_text()
    assert "Finding the night bus home" in feed
    bad = [p for p in result.problems if p.where.startswith(f"{SHOWS}/bad.")]
    assert states.get(f"{SHOWS}/bad.mp3") in ("built", "unchanged") or bad
    assert all("Traceback" not in str(p) for p in result.problems)
