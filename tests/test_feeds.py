"""Podcast feeds, read by real clients: feedparser and podcastparser (gPodder's parser)."""

import datetime as dt
import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import feedparser
import lxml.etree
import podcastparser
from mutagen.mp3 import MP3

from station import config as config_mod
from station.build import runner as pipeline
from station.tools import ffmpeg
from tests.conftest import DEMO_NOW

BASE = "https://night-owls.example.org/"
GOLDEN = Path(__file__).parent / "golden"
FEEDS = {
    "feed.xml": "station.feed.xml",
    "shows/night-talk/feed.xml": "night-talk.feed.xml",
    "shows/small-steps/feed.xml": "small-steps.feed.xml",
}
P20 = "{https://podcastindex.org/namespace/1.0}"


def site_file(root: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return root / "site" / url[len(BASE) :]


def test_every_feed_reads_in_feedparser_and_podcastparser(demo):
    root, result = demo
    guids = {o.slug: o.guid for o in result.episodes}
    for rel in FEEDS:
        data = (root / "site" / rel).read_bytes()
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.bozo_exception
        with (root / "site" / rel).open("rb") as f:
            gpodder = podcastparser.parse(BASE + rel, f)
        assert [e.title for e in parsed.entries] == [e["title"] for e in gpodder["episodes"]]
        for entry, episode in zip(parsed.entries, gpodder["episodes"], strict=True):
            enclosure = episode["enclosures"][0]
            audio = site_file(root, enclosure["url"])
            assert enclosure["mime_type"] == "audio/mpeg"
            assert enclosure["file_size"] == audio.stat().st_size == int(entry.enclosures[0].length)
            assert abs(episode["total_time"] - MP3(audio).info.length) <= 1
            slug = audio.stem
            assert entry.id == episode["guid"] == guids[slug]
            assert episode["transcript_url"] == BASE + f"media/{audio.parent.name}/{slug}.vtt"
            assert site_file(root, episode["transcript_url"]).exists()
        assert gpodder["import_prohibited"] is True  # podcast:locked, read through the legacy-URI mirror
        assert site_file(root, gpodder["cover_url"]).exists()
    station = feedparser.parse((root / "site/feed.xml").read_bytes())
    assert [e.title for e in station.entries] == [
        "Awake at three",
        "The kitchen table plan",
        "Finding the night bus home",
        "Walking into my first meeting",
    ]


def test_every_url_in_every_feed_resolves_to_a_file_of_the_right_size(demo):
    root, _ = demo
    for rel in FEEDS:
        tree = lxml.etree.parse(str(root / "site" / rel))
        for el in tree.iter():
            for attr in ("url", "href"):
                url = el.get(attr)
                if url and url.startswith(BASE) and not url.endswith(("/", "feed.xml")):
                    assert site_file(root, url).is_file(), url
            if el.tag == "enclosure":
                assert int(el.get("length")) == site_file(root, el.get("url")).stat().st_size


def test_item_tags_say_what_apps_need(demo):
    root, _result = demo
    tree = lxml.etree.parse(str(root / "site/shows/night-talk/feed.xml"))
    items = {i.findtext("title"): i for i in tree.iter("item")}
    bus = items["Finding the night bus home"]
    assert [(t.get("type"), t.get("rel"), t.get("language")) for t in bus.findall(f"{P20}transcript")] == [
        ("text/vtt", "captions", "en-GB"),
        ("application/x-subrip", "captions", "en-GB"),
        ("application/json", None, "en-GB"),
    ]
    chapters = bus.find(f"{P20}chapters")
    assert chapters.get("type") == "application/json+chapters"
    assert json.loads(site_file(root, chapters.get("url")).read_text()) == {
        "version": "1.2.0",
        "chapters": [{"startTime": 0.0, "title": "On the bus"}, {"startTime": 10.0, "title": "Staying on"}],
    }
    assert [(p.text, p.get("role")) for p in bus.findall(f"{P20}person")] == [("Sam", "host")]
    assert bus.findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}explicit") == "false"
    three = items["Awake at three"].findtext("description")
    assert three.startswith(
        "<p><strong>Content notes:</strong> overdose; bereavement and loss.</p>\n"
        "<p>If you need to talk to someone: Samaritans: 116 123 (24 hours, every day)."
    )
    assert three.endswith(f'<a href="{BASE}shows/night-talk/awake-at-three/#transcript">Read the transcript</a></p>')
    channel = tree.find("channel")
    feed_url = BASE + "shows/night-talk/feed.xml"
    assert channel.findtext(f"{P20}guid") == str(
        uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), feed_url.split("://")[1])
    )
    assert channel.find(f"{P20}locked").get("owner") == "hello@night-owls.example.org"
    assert channel.find("{http://www.w3.org/2005/Atom}link").get("href") == feed_url
    # Not public yet (published_at in 2027): in no feed.
    assert b"new year" not in (root / "site/feed.xml").read_bytes().lower()
    # Never more of a name than the tier allows: the kitchen-table presenter is a masked pseudonym.
    small = (root / "site/shows/small-steps/feed.xml").read_text()
    assert '<podcast:person role="host">Kestrel</podcast:person>' in small
    assert "Kestrel (name held" not in small and "Jo Bright" not in small


def normalised(xml: str) -> str:
    # Byte counts and durations follow the MP3 encoder's exact output; the golden file is about structure.
    return re.sub(r'length="\d+"', 'length="…"', re.sub(r"<itunes:duration>\d+<", "<itunes:duration>…<", xml))


def test_feeds_match_the_reviewed_golden_files(demo):
    root, _ = demo
    for rel, golden in FEEDS.items():
        got = normalised((root / "site" / rel).read_text(encoding="utf-8"))
        if os.environ.get("UPDATE_GOLDEN"):
            (GOLDEN / golden).write_text(got, encoding="utf-8")
        assert got == (GOLDEN / golden).read_text(encoding="utf-8"), (
            f"{rel} changed: review it, then run UPDATE_GOLDEN=1 bash tests/run tests/test_feeds.py"
        )


def test_feeds_are_the_same_bytes_on_every_build(demo):
    root, _ = demo
    before = {rel: (root / "site" / rel).read_bytes() for rel in FEEDS}
    try:
        again = pipeline.build(config_mod.load(root), now=DEMO_NOW + dt.timedelta(days=3))
        assert "feeds" not in again.work
        assert {rel: (root / "site" / rel).read_bytes() for rel in FEEDS} == before
    finally:  # the demo is shared: other tests read its pages as of DEMO_NOW (tonight's running order)
        pipeline.build(config_mod.load(root), now=DEMO_NOW)


def test_only_podcast_consent_and_a_come_publish_time_reach_the_feed(station):
    station.episode("public.mp3", title="Public")
    station.episode(
        "site-only.mp3",
        title="Site only",
        consent={"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["site", "stream"]},
    )
    station.episode("later.mp3", title="Later", published_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    station.episode("first.mp3", title="First name", presenters=[{"name": "Jo Bright", "tier": "first-name"}])
    station.build()
    for rel in ("feed.xml", "shows/night-talk/feed.xml"):
        titles = [e.title for e in feedparser.parse((station.root / "site" / rel).read_bytes()).entries]
        assert sorted(titles) == ["First name", "Public"]
        assert "Bright" not in (station.root / "site" / rel).read_text()
    assert (station.root / "site/media/night-talk/site-only.mp3").exists()  # on the site, not in the feed


def test_artwork_and_categories_apple_would_refuse_are_clear_problems(station, tmp_path):
    small = station.root / "content/small.png"
    subprocess.run(
        [
            ffmpeg.executable(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=800x600",
            "-frames:v",
            "1",
            str(small),
        ],
        check=True,
    )
    toml = (
        (station.root / "station.toml")
        .read_text()
        .replace('artwork = "content/artwork.jpg"', 'artwork = "content/small.png"')
    )
    (station.root / "station.toml").write_text(toml)
    station.show("late-shift", toml='title = "Late shift"\ndescription = "x"\ncategory = "Health and Fitness"\n')
    station.episode("ep.mp3")
    run = station.cli("check")
    assert run.returncode == 1
    out = run.stderr.replace("\n          → ", " — ")
    assert (
        "problem station.toml: the artwork small.png is 800×600 pixels; podcast apps need a square image of "
        "1400 to 3000 pixels a side — make a square version between 1400 and 3000 pixels (for example "
        "3000×3000)"
    ) in out
    assert (
        "problem content/shows/late-shift/show.toml: `category`: category 'Health and Fitness' is not an Apple "
        "Podcasts category — did you mean `Health & Fitness`?"
    ) in out
    assert "problem site/feed.xml: the feed has no artwork (itunes:image)" in out
    assert not (station.root / "site").exists()
