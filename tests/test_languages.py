"""Transcripts in the episode's language, and an English translation beside them (issue 19).

Real Polish speech from espeak-ng, the real multilingual Whisper model (base), real feed parsers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import feedparser
import lxml.etree
import podcastparser
import pytest

from station.build.stages import transcribe
from station.catalog.transcript import from_segments
from tests import dask_cluster
from tests.test_scale import same_bytes, twin

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
P20 = "{https://podcastindex.org/namespace/1.0}"
BASE = "https://test.example.org/"
POLISH = (
    "Dzień dobry. Nazywam się Anna i mieszkam w Krakowie. Co noc słucham radia, kiedy nie mogę spać. "
    "Dziękuję wam za tę audycję."
)
POLISH_WORDS = {"dobry", "nazywam", "się", "anna", "mieszkam", "noc", "słucham", "kiedy", "nie", "mogę"}
ENGLISH_WORDS = set(
    "i you we he she it they me my your the a an and or but not to of in on at for with from be is are was "
    "will can do what when who how this that good evening morning name thank thanks night".split()
)


def polish(station, name="polski.mp3", **overrides):
    source = station.clips.get("polish.mp3", text=POLISH, voice="pl", speed=130)
    return station.episode(name, source, language="pl", title="Nocne radio", **overrides)


def heard(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@pytest.mark.transcribe
@pytest.mark.slow
def test_a_polish_episode_is_transcribed_in_polish_and_translated_into_english(station):
    polish(station, translate="en")
    result = station.build()
    built = result.episodes[0]
    assert built.state == "built", result.problems
    assert built.transcript.language == "pl" and built.translation.language == "en"
    assert len(heard(built.transcript.text) & POLISH_WORDS) >= 7, built.transcript.text
    english = heard(built.translation.text)
    assert built.translation.text.isascii() and len(english & ENGLISH_WORDS) >= 6, built.translation.text
    media = station.root / "site" / "media" / "night-talk"
    for suffix in (".vtt", ".srt", ".json", ".txt"):
        assert (media / f"{built.slug}{suffix}").read_text(encoding="utf-8") != (
            media / f"{built.slug}.en{suffix}"
        ).read_text(encoding="utf-8")
    assert (media / f"{built.slug}.en.vtt").read_text(encoding="utf-8").startswith("WEBVTT\n")
    assert json.loads((media / f"{built.slug}.en.json").read_text(encoding="utf-8"))["segments"]

    feed = (station.root / "site/shows/night-talk/feed.xml").read_bytes()
    item = lxml.etree.fromstring(feed).find("channel/item")
    assert [(t.get("url")[len(BASE) :], t.get("language")) for t in item.findall(f"{P20}transcript")] == [
        (f"media/night-talk/{built.slug}.vtt", "pl"),
        (f"media/night-talk/{built.slug}.srt", "pl"),
        (f"media/night-talk/{built.slug}.json", "pl"),
        (f"media/night-talk/{built.slug}.en.vtt", "en"),
        (f"media/night-talk/{built.slug}.en.srt", "en"),
        (f"media/night-talk/{built.slug}.en.json", "en"),
    ]
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.bozo_exception
    # feedparser keeps the last podcast:transcript it reads: the translation's, with its language.
    entry = parsed.entries[0]
    assert entry["podcast_transcript"] == {
        "url": BASE + f"media/night-talk/{built.slug}.en.json",
        "type": "application/json",
        "language": "en",
    }
    assert entry["podcastgh_transcript"]["language"] == "pl"  # the mirror for podcastparser: the captions
    with (station.root / "site/shows/night-talk/feed.xml").open("rb") as f:
        episode = podcastparser.parse(BASE + "shows/night-talk/feed.xml", f)["episodes"][0]
    # podcastparser keeps one transcript (no language): the captions in the episode's own language.
    assert episode["transcript_url"] == BASE + f"media/night-talk/{built.slug}.vtt"

    page = (station.root / "site/shows/night-talk" / built.slug / "index.html").read_text(encoding="utf-8")
    assert '<details class="translation" id="translation">' in page
    assert "<summary>Read it in English (a machine translation)</summary>" in page
    assert f'<track kind="subtitles" src="../../../media/night-talk/{built.slug}.en.vtt" srclang="en"' in page
    first = built.translation.cues[0].text
    assert first in page.split('<details class="translation"')[1]

    before = station.site_files()
    again = station.build()  # no change: no model work, the same bytes
    assert not again.work and station.site_files() == before


@pytest.mark.transcribe
@pytest.mark.slow
def test_a_translation_asked_for_later_runs_alone_and_a_dask_cluster_makes_the_same_bytes(station, tmp_path):
    polish(station)
    first = station.build(now=NOW)
    assert first.work["transcribe"] == 1 and first.episodes[0].translation is None, first.problems
    assert not list((station.root / "site/media/night-talk").glob("*.en.*"))
    polish(station, translate="en")
    second = station.build(now=NOW)
    # The transcript and the audio are kept: only the translation is made.
    assert second.work["transcribe"] == 1 and "render" not in second.work and "analyse" not in second.work
    assert second.episodes[0].translation.language == "en"
    with dask_cluster.cluster(tmp_path / "cluster") as c:
        remote = twin(station, "remote", f'scheduler = "{c.address}"')
        shutil.rmtree(remote.root / ".station")
        shutil.rmtree(remote.root / "site")
        third = remote.build(now=NOW)
    assert third.problems == [] and third.work["transcribe"] == 2
    same_bytes(station, remote)


def test_a_translation_into_another_language_than_english_is_refused_plainly(station):
    polish(station, translate="de")
    assert [str(p) for p in station.build().problems] == [
        "content/shows/night-talk/polski.yaml line 16: `translate`: 'de' is not a language the transcript can be "
        "translated into — Whisper translates into English only: write `translate: en`, or remove it"
    ]


def test_words_to_hide_are_hidden_in_the_translation_too():
    segments = [
        {
            "start": 0.0,
            "end": 2.0,
            "text": "My name is Anna from Krakow.",
            "words": [
                {"start": 0.2 * i, "end": 0.2 * i + 0.2, "text": f" {w}"}
                for i, w in enumerate("My name is Anna from Krakow.".split())
            ],
        }
    ]
    translation = from_segments(segments, "en")
    published = transcribe.published_translation(translation, ["Anna", "Kraków"], 0.15)
    assert published.text == "My name is [redacted] from [redacted]." and published.language == "en"
