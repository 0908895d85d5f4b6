"""The website, read as files: every page type, every link resolves, golden pages, escaping, weight, consent."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from station.catalog.resources import Opening, ResourceMeta, intervals
from station.tools import whisper_models
from station.web import search_index
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "site"
PAGE_TYPES = {
    "home": "index.html",
    "shows": "shows/index.html",
    "show": "shows/night-talk/index.html",
    "episode": "shows/night-talk/finding-the-night-bus-home/index.html",
    "episode with content notes": "shows/night-talk/awake-at-three/index.html",
    "map": "map/index.html",
    "place": "map/night-owl-buddies/index.html",
    "pocket guide": "map/pocket-guide/index.html",
    "systems map": "topics/index.html",
    "topic": "topics/struggle.no_light/index.html",
    "search": "search/index.html",
    "tonight": "tonight/index.html",
    "not found": "404.html",
}


class Links(HTMLParser):
    """Every URL a page points at, and every id it has."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.scripts_inline = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src", "data-index"):
            if attrs.get(key) is not None:
                self.urls.append(attrs[key])
        if tag == "script" and "src" not in attrs:
            self.scripts_inline += 1
        for key in attrs:
            if key.startswith("on"):
                self.scripts_inline += 1


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def local_target(site: Path, page: str, url: str) -> Path | None:
    """The file a relative or root-relative URL names, or None for another scheme or host."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return site / page
    base = "" if parts.path.startswith("/") else os.path.dirname(page)
    target = os.path.normpath(os.path.join(base, unquote(parts.path).lstrip("/")))
    assert not target.startswith(".."), f"{page}: {url} points above the site"
    path = site / target
    return path / "index.html" if url.split("#")[0].split("?")[0].endswith("/") or path.is_dir() else path


def test_every_page_type_is_built(demo):
    root, result = demo
    site = root / "site"
    for name, rel in PAGE_TYPES.items():
        assert (site / rel).is_file(), f"the {name} page is missing ({rel})"
    assert result.pages == sum(1 for _ in site.rglob("*.html"))


def test_every_link_and_asset_on_every_page_resolves(demo):
    root, _ = demo
    site = root / "site"
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) > 60
    checked = 0
    for page in pages:
        links = parse(site / page)
        assert links.scripts_inline == 0, f"{page} has inline script, which the CSP forbids"
        for url in links.urls:
            if page == "404.html" and url.startswith("/"):
                url = url[1:]  # served at any depth, so its links start at the site's root
                target = local_target(site, "index.html", url)
            else:
                target = local_target(site, page, url)
            if target is None:
                assert url.startswith(("https://", "mailto:", "tel:", "podcast://", "data:")), (page, url)
                continue
            assert target.is_file(), f"{page} links to {url}, which is not in the site"
            fragment = urlsplit(url).fragment
            if fragment and target.suffix == ".html":
                assert fragment in parse(target).ids, f"{page} links to #{fragment}, which is not on {target.name}"
            checked += 1
    assert checked > 1000


def test_pages_make_no_request_elsewhere_and_carry_a_strict_csp(demo):
    root, _ = demo
    for rel in PAGE_TYPES.values():
        html = (root / "site" / rel).read_text()
        csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1])
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'self'" in csp
        for tag in re.findall(r"<(?:script|link|img|audio|source|track|iframe)\b[^>]*>", html):
            for url in re.findall(r'(?:src|href)="([^"]*)"', tag):
                assert not re.match(r"^(https?:)?//", url) or 'rel="alternate"' in tag, f"{rel}: {tag}"


def normalised(html: str) -> str:
    # Asset names carry a hash of their content; the pages are compared without it. Whisper hears a
    # word or a start time differently on another CPU, so the transcript's lines are left out too:
    # their markup is tested on its own.
    html = re.sub(r"(static/[\w-]+)\.[0-9a-f]{10}\.", r"\1.", html)
    return re.sub(r'(<ol class="cues" id="cues">).*?(</ol>)', r"\1(machine transcript)\2", html, flags=re.S)


def heard_not_written(root: Path) -> str:
    """A word of the night-bus recording that its notes do not hold, as this machine's Whisper heard it."""
    said = (root / "site/media/night-talk/finding-the-night-bus-home.txt").read_text().lower()
    written = (root / "content/shows/night-talk/night-bus.yaml").read_text().lower()
    return sorted(set(re.findall(r"\b[a-z]{5,}\b", said)) - set(re.findall(r"[a-z]+", written)))[0]


@pytest.mark.parametrize(
    "name", ["home", "tonight", "episode", "episode with content notes", "map", "place", "pocket guide", "topic"]
)
def test_golden_pages(demo, name):
    root, _ = demo
    got = normalised((root / "site" / PAGE_TYPES[name]).read_text())
    golden = GOLDEN / (PAGE_TYPES[name].replace("/", "__"))
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got)
    assert got == golden.read_text(), f"{PAGE_TYPES[name]} changed; if on purpose, run with UPDATE_GOLDEN=1"


def test_an_episode_page_weighs_under_100_kb_before_audio(demo):
    root, _ = demo
    site = root / "site"
    for rel in (PAGE_TYPES["episode"], PAGE_TYPES["episode with content notes"]):
        page = site / rel
        total = page.stat().st_size
        for url in parse(page).urls:
            target = local_target(site, rel, url)
            if target is not None and target.suffix in (".css", ".js", ".svg", ".jpg", ".png"):
                total += target.stat().st_size
        assert total < 100_000, f"{rel} weighs {total} bytes with its assets"


def test_the_episode_page_has_player_notes_credits_topics_help_and_transcript(demo):
    root, _ = demo
    html = (root / "site" / PAGE_TYPES["episode with content notes"]).read_text()
    # Content notes come before the player, which waits behind a clear choice.
    notes, gate, player = html.index("Content notes"), html.index('<details class="gate">'), html.index("<audio")
    assert notes < gate < player
    assert "overdose; bereavement and loss" in html
    assert 'src="../../../media/night-talk/awake-at-three.mp3"' in html
    assert "with Robin" in html
    assert 'href="../../../topics/struggle.no_light/">No Light</a>' in html
    assert 'href="../../../map/night-owl-buddies/">Night Owl Buddies</a>' in html
    cues = re.findall(r'<li data-start="([\d.]+)"><span>([\d:]+)</span> ([^<]+)</li>', html)
    assert len(cues) >= 2 and "Robin" in " ".join(c[2] for c in cues)
    plain = (root / "site/media/night-talk/awake-at-three.txt").read_text()
    assert unescape(" ".join(c[2].strip() for c in cues)).split() == plain.split()


def test_the_masked_presenter_and_hidden_words_stay_hidden_on_the_site(demo):
    root, _ = demo
    site = root / "site"
    everything = "\n".join(p.read_text() for p in [*site.rglob("*.html"), *_search_files(site)])
    assert "crawley" not in everything.lower()  # hidden with `redact` in night-bus.yaml
    assert "Kestrel" in everything and "Alex Morgan" in everything  # credited as their tiers allow
    kitchen = yaml.safe_load((REPO / "content/shows/small-steps/kitchen-table.yaml").read_text())
    real = kitchen["consent"]["by"]
    assert real not in everything  # who gave consent is never published


def test_the_search_index_covers_episodes_transcripts_places_and_topics(demo):
    root, _ = demo
    docs = json.loads((root / "site/search.json").read_text())["docs"]
    kinds = {d["k"] for d in docs}
    assert kinds == {"Episode", "Help near you", "Topic"}
    bus = next(d for d in docs if d["t"] == "Finding the night bus home")
    files = {p.relative_to(root / "site").as_posix(): p.read_bytes() for p in _search_files(root / "site")}
    heard = heard_not_written(root)
    assert heard not in json.dumps(bus)  # said in the recording, not in the notes: found through the word lists
    assert bus["u"] in search_index.lookup(files, heard)
    assert bus["u"] in search_index.lookup(files, heard[:4])  # the beginning of a word finds it
    assert not any(d["t"] == "A new year" for d in docs if d["k"] == "Episode")  # not public yet
    for d in docs:
        assert (root / "site" / d["u"] / "index.html").is_file()
    # Every word list search.json names is there, and nothing else is in the folder.
    named = set(json.loads(files["search.json"])["words"].values())
    assert named == {rel for rel in files if rel != "search.json"}


def _search_files(site: Path) -> list[Path]:
    """search.json and the word lists it names."""
    return [site / "search.json", *sorted((site / "search/words").glob("*.json"))]


def test_the_map_shows_gaps_and_peer_support(demo):
    root, _ = demo
    html = (root / "site/map/index.html").read_text()
    assert re.search(r"No local entry yet:</strong> Housing, .*Justice", html)
    assert "Nothing open overnight (22:00–07:00):</strong> Treatment services" in html
    assert "5 of 8 places are run by, or staffed by, people with lived experience" in html
    assert html.count('class="card place"') == 8
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]
    guide = (root / "site/map/pocket-guide/index.html").read_text()
    for place in ("Harbour Recovery Café", "Samaritans", "Women Together", "Night Owl Buddies"):
        assert place in guide
    assert "116 123" in guide


def test_every_systems_map_node_has_its_page_linked_from_the_drawing(demo):
    from station.catalog.recovery_map import nodes

    root, _ = demo
    svg_page = (root / "site/topics/index.html").read_text()
    for node in nodes().values():
        assert (root / "site/topics" / node.id / "index.html").is_file()
        if node.part in ("hold", "struggle", "recovery"):
            assert f'href="{node.id}/"' in svg_page.split("</svg>")[0]


# ---------------------------------------------------------------- a station of its own

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_titles_and_text_with_html_are_shown_as_text_never_run(station):
    station.show(
        toml=f'title = "{HOSTILE.replace(chr(34), chr(39))}"\ndescription = "{HOSTILE.replace(chr(34), chr(39))}"\n'
    )
    station.episode("night-bus.mp3", title=HOSTILE, description=f"Notes {HOSTILE} [a link](javascript:alert(1))")
    (station.root / "content/resources").mkdir()
    (station.root / "content/resources/hostile.yaml").write_text(
        yaml.safe_dump(
            {
                "name": HOSTILE,
                "kind": "peer-support",
                "summary": HOSTILE,
                "locality": HOSTILE,
                "access": ["drop-in"],
                "hours": "always",
                "last_checked": dt.date(2026, 11, 1),
            }
        )
    )
    result = station.build()
    assert [str(p) for p in result.errors] == []
    site = station.root / "site"
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript' not in html, page
        assert parse(page).scripts_inline == 0
    episode = next(site.glob("shows/night-talk/*/index.html"))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in episode.read_text()


def test_consent_scope_decides_where_an_episode_appears(station):
    station.episode(
        "night-bus.mp3", title="Podcast only", consent={"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["podcast"]}
    )
    station.episode(
        "three.mp3", title="Site only", consent={"by": "Robin", "date": dt.date(2026, 11, 1), "scope": ["site"]}
    )
    station.build()
    site = station.root / "site"
    everything = "\n".join(p.read_text() for p in [*site.rglob("*.html"), *_search_files(site)])
    assert "Site only" in everything and "Podcast only" not in everything
    feed = (site / "feed.xml").read_text()
    assert "Podcast only" in feed and "Site only" not in feed


@pytest.mark.transcribe
def test_a_pending_transcript_is_said_on_the_page(station, monkeypatch):
    # tiny.en knows only English, and without the multilingual model (its packages not found) French waits.
    monkeypatch.setattr(whisper_models, "BASE_PARTS", ("no_such_base_part1", "no_such_base_part2"))
    station.episode("night-bus.mp3", language="fr")
    station.build()
    page = next((station.root / "site").glob("shows/night-talk/*/index.html")).read_text()
    assert "The transcript is being made and will be here soon." in page


def test_a_station_template_replaces_one_block_of_the_built_in_one(station):
    station.episode("night-bus.mp3")
    own = station.root / "templates"
    own.mkdir()
    (own / "episode.html").write_text(
        '{% extends "default/episode.html" %}\n{% block title %}Our own title: {{ meta.title }}{% endblock %}\n'
    )
    result = station.build()
    assert result.errors == []
    page = (station.root / "site/shows/night-talk/finding-the-night-bus-home/index.html").read_text()
    assert "<title>Our own title: Finding the night bus home</title>" in page
    assert "<audio" in page  # the rest of the built-in page is still there


def test_a_broken_station_template_is_reported_and_the_last_good_site_stays(station):
    station.episode("night-bus.mp3")
    station.build()
    before = station.site_files()
    (station.root / "templates").mkdir()
    (station.root / "templates/episode.html").write_text(
        '{% extends "default/episode.html" %}\n{% block title %}{{ oops(\n'
    )
    result = station.cli("build")
    assert result.returncode == 1
    assert "templates/episode.html line 3" in result.stderr or "episode.html line" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert station.site_files() == before


@pytest.mark.slow
@pytest.mark.transcribe
def test_a_rebuild_writes_no_page_and_a_title_edit_rewrites_only_what_shows_it(station):
    station.episode("night-bus.mp3")
    station.episode("three.mp3", title="Awake at three")
    first = station.build()
    assert first.work["pages"] == first.pages > 60
    assert station.build().work == {}
    side = station.root / "content/shows/night-talk/three.yaml"
    side.write_text(side.read_text().replace("Awake at three", "Still awake at four"))
    again = station.build()
    assert again.work["pages"] < 10 and "render" not in again.work and "transcribe" not in again.work


# ---------------------------------------------------------------- resource entries


def resource(station, name: str, text: str):
    folder = station.root / "content/resources"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)


GOOD = """name: Drop-in
kind: peer-support
summary: Come as you are.
locality: Northgate
hours:
  - {days: mon-fri, open: "22:00", close: "02:00"}
access: [drop-in]
last_checked: 2026-11-01
"""


def test_a_broken_resource_entry_is_named_and_the_others_still_appear(station):
    station.episode("night-bus.mp3")
    resource(station, "good.yaml", GOOD)
    resource(station, "typo.yaml", GOOD.replace("peer-support", "peer-suport").replace('"02:00"', '"26:00"'))
    resource(station, "Bad Name.yaml", GOOD)
    resource(station, "notes.txt", "hello")
    resource(station, "old.yaml", GOOD.replace("2026-11-01", "2024-01-01"))
    result = station.cli("build")
    said = result.stderr
    assert "content/resources/typo.yaml line 2: `kind`: 'peer-suport' is not a kind of support we know" in said
    assert "did you mean `peer-support`?" in said
    assert "'26:00' is not a time of day" in said
    assert "content/resources/Bad Name.yaml: this file's name is used in web addresses" in said
    assert "rename it to `bad-name.yaml`" in said
    assert "content/resources/notes.txt" in said
    assert "content/resources/old.yaml: this entry was last checked on 1 January 2024" in said
    assert "Traceback" not in said
    site = station.root / "site/map"
    assert (site / "good/index.html").is_file() and (site / "old/index.html").is_file()
    assert not (site / "typo").exists()


def test_opening_hours_past_midnight_and_open_now():
    hours = [Opening(days="fri-sun", open="22:00", close="02:00"), Opening(days=["mon"], open="09:00", close="17:00")]
    assert intervals(hours) == (
        (0, 0, 120),
        (0, 540, 1020),
        (4, 1320, 1440),
        (5, 0, 120),
        (5, 1320, 1440),
        (6, 0, 120),
        (6, 1320, 1440),
    )
    meta = ResourceMeta(
        name="x",
        kind="crisis",
        summary="x",
        locality="x",
        access=["phone"],
        hours="always",
        last_checked=dt.date(2026, 1, 1),
    )
    assert intervals(meta.hours) == tuple((d, 0, 1440) for d in range(7))
    with pytest.raises(ValueError, match="no opening hours"):
        ResourceMeta(
            name="x", kind="crisis", summary="x", locality="x", access=["phone"], last_checked=dt.date(2026, 1, 1)
        )


def test_a_page_deleted_by_hand_or_a_changed_template_brings_the_render_back(station):
    station.episode("night-bus.mp3")
    station.build()
    (station.root / "site/index.html").unlink()
    again = station.build()
    assert again.work == {"pages": 1} and (station.root / "site/index.html").is_file()
    own = station.root / "templates"
    own.mkdir()
    (own / "index.html").write_text('{% extends "default/index.html" %}{% block title %}Ours{% endblock %}')
    assert station.build().work == {"pages": 1}
    assert "<title>Ours</title>" in (station.root / "site/index.html").read_text()


def test_an_hour_long_transcript_still_fits_the_page_weight(station):
    """The weight is set by the transcript; an hour of speech (about 9,000 words) must fit."""
    from station.build.built import BuiltEpisode
    from station.catalog.model import Consent, Episode, EpisodeMeta, Presenter, Show, ShowMeta
    from station.catalog.transcript import Transcript, Word, cues_from_words
    from station.web import site as site_mod

    words, t = [], 0.0
    sentence = "I kept going to the group on Thursdays even when I did not want to".split()
    while t < 3600:
        for i, w in enumerate(sentence):
            words.append(Word(t, t + 0.3, f" {w}{'.' if i == len(sentence) - 1 else ''}"))
            t += 0.36
        t += 0.6
    transcript = Transcript(tuple(cues_from_words(words)), "en")
    show = Show("night-talk", station.root, ShowMeta(title="Night Talk", description="Peers."))
    meta = EpisodeMeta(
        title="An hour",
        description="A long one.",
        presenters=[Presenter(name="Sam", tier="first-name")],
        consent=Consent(by="Sam", date=dt.date(2026, 11, 1), scope=["site"]),
    )
    episode = Episode(show, "night-talk/an-hour.wav", station.root / "an-hour.wav", station.root / "an-hour.yaml", meta)
    page = BuiltEpisode(
        episode,
        "content/shows/night-talk/an-hour.wav",
        "built",
        "an-hour",
        "guid-an-hour",
        {"duration_s": t},
        "media/night-talk/an-hour.mp3",
        57_600_000,
        transcript,
        "machine",
        on_site=True,
    )
    files = site_mod.Site(station.config, [show], [page], []).render()
    html = files["shows/night-talk/an-hour/index.html"]
    assets = sum(len(data) for rel, data in files.items() if rel.startswith("static/site."))
    assert len(transcript.text.split()) > 8500
    assert len(html) + assets < 100_000, len(html) + assets
