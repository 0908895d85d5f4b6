"""Withdrawal, end to end: build, publish to a real S3 server, withdraw, and it is gone everywhere, for good."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import yaml

from tests.s3 import bucket_contents
from tests.test_publish import credentials, endpoint, station  # noqa: F401 -- fixtures

EPISODE = "night-talk/awake-at-three"
TRACES = ("awake-at-three", "Awake at three")


def traces_in(files: dict[str, bytes], guid: str) -> list[str]:
    return sorted(
        name
        for name, data in files.items()
        if any(t in name or t.encode() in data for t in TRACES) or guid.encode() in data
    )


def guid_of(station) -> str:
    feed = (station.root / "site/shows/night-talk/feed.xml").read_text()
    block = feed.split("<title>Awake at three</title>")[1]
    return block.split('<guid isPermaLink="false">')[1].split("<")[0]


def test_withdraw_removes_the_episode_from_every_output_and_the_bucket_for_good(station):
    assert station.cli("publish").returncode == 0
    guid = guid_of(station)
    recording = station.root / "content/shows/night-talk/awake-at-three.m4a"
    before = hashlib.sha256(recording.read_bytes()).hexdigest()
    assert traces_in(station.site(), guid) and traces_in(bucket_contents(station.s3, station.bucket), guid)

    result = station.cli("withdraw", EPISODE)
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert "Withdrawn: “Awake at three” (night-talk/awake-at-three)." in said
    assert (
        f"the podcast feeds (its GUID {guid} is no longer listed): site/feed.xml, site/shows/night-talk/feed.xml"
        in said
    )
    for page in (
        "site/index.html",
        "site/shows/night-talk/index.html",
        "site/topics/struggle.no_light/index.html",
        "site/map/night-owl-buddies/index.html",
    ):
        assert page in said
    assert "the search index: site/search.json" in said
    assert (
        "site/media/night-talk/awake-at-three.mp3" in said and "site/shows/night-talk/awake-at-three/index.html" in said
    )
    assert "the build's cached copies: .station/cache/audio/" in said
    assert "objects deleted" in said and "media/night-talk/awake-at-three.mp3" in said
    assert "Copies already downloaded to listeners' devices cannot be recalled." in said
    assert "The recording content/shows/night-talk/awake-at-three.m4a is untouched" in said
    # The overnight stream: neither what it may play nor any night's running order, past nights included,
    # names it any more (a stream on air hands its slot to standby: tests/test_stream.py).
    assert "the overnight stream's running orders: 22 November" in said
    stream_state = sorted((station.root / ".station" / "stream").rglob("*.json"))
    assert len(stream_state) >= 3  # the library and at least two nights
    for path in stream_state:
        text = path.read_text()
        assert guid not in text and "Awake at three" not in text, path

    assert traces_in(station.site(), guid) == []
    assert traces_in(bucket_contents(station.s3, station.bucket), guid) == []
    assert hashlib.sha256(recording.read_bytes()).hexdigest() == before
    assert station.cli("transcript", EPISODE).returncode == 1  # gone from `station transcript` too

    # Another build and publish do not bring it back.
    build = station.cli("build")
    assert build.returncode == 0 and "⊘ withdrawn content/shows/night-talk/awake-at-three.m4a" in build.stdout
    assert station.cli("publish").returncode == 0
    assert traces_in(station.site(), guid) == []
    assert traces_in(bucket_contents(station.s3, station.bucket), guid) == []


@pytest.mark.slow
def test_consent_given_again_after_the_withdrawal_brings_it_back_with_its_guid(station):
    guid = guid_of(station)
    station.point_at(station.endpoint)
    assert station.cli("withdraw", EPISODE).returncode == 0
    sidecar = station.root / "content/shows/night-talk/awake-at-three.yaml"
    data = yaml.safe_load(sidecar.read_text())
    data["consent"]["date"] = dt.date.today() + dt.timedelta(days=1)
    sidecar.write_text(yaml.safe_dump(data, sort_keys=False))
    assert station.cli("build").returncode == 0
    assert guid_of(station) == guid


def test_withdraw_by_path_can_delete_the_recording_and_works_without_a_bucket(station):
    text = (station.root / "station.toml").read_text().split("\n[publish]")[0]
    (station.root / "station.toml").write_text(text)
    result = station.cli("withdraw", "content/shows/night-talk/awake-at-three.m4a", "--delete-recording")
    assert result.returncode == 0, result.stderr
    assert "no bucket is set up in [publish]" in result.stdout
    assert (
        "Deleted, as asked: content/shows/night-talk/awake-at-three.m4a, content/shows/night-talk/awake-at-three.yaml"
    ) in result.stdout
    assert not (station.root / "content/shows/night-talk/awake-at-three.m4a").exists()
    assert station.cli("build").returncode == 0


def test_an_unknown_episode_is_named_with_the_ones_there_are(station):
    result = station.cli("withdraw", "night-talk/nothing-like-it")
    assert result.returncode == 1
    assert "no episode matches “night-talk/nothing-like-it”" in result.stderr
    assert "night-talk/finding-the-night-bus-home" in result.stderr


def test_messages_keep_their_square_brackets(station):
    (station.root / "station.toml").write_text((station.root / "station.toml").read_text().split("\n[publish]")[0])
    result = station.cli("publish")
    assert result.returncode == 2 and "add a [publish] table" in result.stderr


@pytest.mark.slow
def test_consent_that_expires_takes_the_episode_out_of_the_site_and_the_bucket(station):
    assert station.cli("publish").returncode == 0
    guid = guid_of(station)
    sidecar = station.root / "content/shows/night-talk/awake-at-three.yaml"
    data = yaml.safe_load(sidecar.read_text())
    data["consent"]["expires"] = dt.date.today()  # it lapses today
    sidecar.write_text(yaml.safe_dump(data, sort_keys=False))
    assert station.cli("build").returncode == 0
    assert station.cli("publish").returncode == 0
    assert traces_in(station.site(), guid) == []
    assert traces_in(bucket_contents(station.s3, station.bucket), guid) == []
