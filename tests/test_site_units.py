"""The website is rendered page by page, each page keyed on what it shows: a change re-renders the pages that show
it and nothing else, and what a rebuild leaves is byte for byte what a build from nothing makes."""

from __future__ import annotations

import shutil

import jinja2
import pytest

from station.tools import yaml_file
from station.web import search_index
from station.web import site as site_mod
from tests.conftest import REPO, Station, tree_hashes

ENTRY = "harbour-recovery-cafe"  # topics: recovery.rest_of_my_life, rc.community, struggle.tendency_to_recover
ENTRIES = {p.stem for p in (REPO / "content/resources").glob("*.yaml")}


def _station(station: Station) -> None:
    shutil.copytree(REPO / "content/resources", station.root / "content/resources")
    station.episode("night-bus.mp3", topics=["struggle.tendency_to_recover"])  # shares ground with the entry
    station.episode("apart.mp3", title="Far from it", topics=["hold.escape"])  # no entry is on this ground


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The pages Site renders, in order (the real render runs; this only notes each one)."""
    seen: list[str] = []
    real = site_mod.Site._render

    def noting(self, page):
        seen.append(page.rel)
        return real(self, page)

    monkeypatch.setattr(site_mod.Site, "_render", noting)
    return seen


def test_a_changed_resource_entry_rerenders_only_the_pages_that_show_it(station, rendered, tmp_path):
    _station(station)
    station.build()
    everything = list(rendered)
    assert len(everything) == len(set(everything)) > 60  # every page once
    rendered.clear()
    assert station.build().work == {}
    assert rendered == [], "a rebuild with nothing changed renders nothing"

    entry = station.root / f"content/resources/{ENTRY}.yaml"
    entry.write_text(entry.read_text().replace("summary: ", "summary: Now open later. ", 1))
    again = station.build()
    pages = set(rendered)
    assert f"map/{ENTRY}/index.html" in pages
    assert {"map/index.html", "map/pocket-guide/index.html", "topics/struggle.tendency_to_recover/index.html"} <= pages
    assert "shows/night-talk/finding-the-night-bus-home/index.html" in pages  # it lists the entry
    assert "shows/night-talk/far-from-it/index.html" not in pages  # it does not
    assert "shows/index.html" not in pages and "shows/night-talk/index.html" not in pages
    assert len(pages) < len(everything) / 2
    assert again.work["pages"] <= len(pages)
    assert "Now open later." in (station.root / f"site/map/{ENTRY}/index.html").read_text()

    # Byte for byte what a build from nothing makes of the same content.
    fresh = Station(tmp_path / "fresh", station.clips)
    shutil.rmtree(fresh.root / "content")
    shutil.copytree(station.root / "content", fresh.root / "content")
    rendered.clear()
    fresh.build()
    assert len(rendered) == len(everything)
    assert tree_hashes(fresh.root / "site") == station.site_files()


def test_a_changed_episode_rerenders_its_page_and_the_lists_but_not_the_places(station, rendered):
    _station(station)
    station.build()
    rendered.clear()
    side = station.root / "content/shows/night-talk/apart.yaml"
    side.write_text(side.read_text().replace("Sam on the ride home.", "Sam, far from home."))
    station.build()
    pages = set(rendered)
    assert "shows/night-talk/far-from-it/index.html" in pages
    assert "shows/night-talk/finding-the-night-bus-home/index.html" not in pages
    assert not any(p.startswith("map/") for p in pages)  # no place lists an episode on hold.escape
    assert "Sam, far from home." in (station.root / "site/shows/night-talk/far-from-it/index.html").read_text()


def test_a_station_template_that_reads_every_episode_depends_on_every_episode(station, rendered):
    _station(station)
    own = station.root / "templates"
    own.mkdir()
    (own / "404.html").write_text(
        '{% extends "default/404.html" %}{% block main %}{{ super() }}'
        "<p>{{ episodes | length }} episodes</p>{% endblock %}"
    )
    # (`[site] templates` is "templates" unless a station says otherwise)
    station.build()
    rendered.clear()
    side = station.root / "content/shows/night-talk/apart.yaml"
    side.write_text(side.read_text().replace("Sam on the ride home.", "Sam, far from home."))
    station.build()
    assert "404.html" in rendered  # it reads `episodes`, so any episode's change reaches it
    assert "search/index.html" not in rendered


def test_a_rebuild_reads_no_unchanged_entry_or_template_again_and_misses_no_change(station, rendered, monkeypatch):
    """Resource entries are kept parsed in the ledger by their text's hash, and what each template reads by the
    templates' bytes: a rebuild parses neither again, and a changed entry or template is read anew."""
    _station(station)
    station.build()
    parsed: list[str] = []
    real_read, real_parse = yaml_file.read, jinja2.Environment.parse
    monkeypatch.setattr(yaml_file, "read", lambda path, *a, **kw: parsed.append(path.name) or real_read(path, *a, **kw))
    monkeypatch.setattr(
        jinja2.Environment, "parse", lambda env, *a, **kw: parsed.append("template") or real_parse(env, *a, **kw)
    )
    assert station.build().problems == []
    assert [p for p in parsed if p.endswith(".yaml") and p[:-5] in ENTRIES] == [] and "template" not in parsed

    # The search index is kept a document at a time: of the episodes and entries, only the edited one is split again.
    split: list[str] = []
    real_words = search_index.words_of
    monkeypatch.setattr(search_index, "words_of", lambda text: split.append(text) or real_words(text))
    entry = station.root / f"content/resources/{ENTRY}.yaml"
    entry.write_text(entry.read_text().replace("summary: ", "summary: Quokkas welcome. ", 1))
    station.build()
    assert [t for t in split if "Quokkas welcome." in t] == split[:1]
    assert len(split) == 1 + len(site_mod.nodes())  # and the topics' few words, taken from the code each time
    site = station.root / "site"
    index = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.json")}
    assert search_index.lookup(index, "quokkas") == [f"map/{ENTRY}/"]

    # A broken entry is read, and said, at every build: only a clean entry is kept.
    entry.write_text(entry.read_text().replace("summary: ", "summary_typo: ", 1))
    for _ in range(2):
        parsed.clear()
        problems = [p for p in station.build().problems if ENTRY in p.where]
        assert problems and parsed.count(f"{ENTRY}.yaml") == 1

    # A station's own template, changed: what it reads is found again (it now reads every episode).
    own = station.root / "templates"
    own.mkdir()
    (own / "404.html").write_text('{% extends "default/404.html" %}')
    station.build()
    (own / "404.html").write_text(
        '{% extends "default/404.html" %}{% block main %}{{ super() }}<p>{{ episodes | length }}</p>{% endblock %}'
    )
    station.build()
    rendered.clear()
    side = station.root / "content/shows/night-talk/apart.yaml"
    side.write_text(side.read_text().replace("Sam on the ride home.", "Sam, far from home."))
    station.build()
    assert "404.html" in rendered
