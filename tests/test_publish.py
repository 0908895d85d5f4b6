"""station publish against a real S3 server on loopback, with faults planted between client and server."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from station import config as config_mod
from station.build.ledger import Ledger
from station.errors import PublishError
from station.web import publish as publish_mod
from station.web.publish import published_tag
from tests.s3 import CREDENTIALS, Faults, bucket_contents, faulty_proxy, make_bucket, moto_server


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)


class Published:
    """A copy of the built demo station, publishing to its own bucket (through `url`)."""

    def __init__(self, root: Path, endpoint: str, bucket: str):
        self.root, self.endpoint, self.bucket = root, endpoint, bucket
        self.s3 = make_bucket(endpoint, bucket)
        self.point_at(endpoint)

    def point_at(self, url: str, prefix: str = "", attempts: int = 4) -> None:
        text = (self.root / "station.toml").read_text().split("\n[publish]")[0]
        text += (
            f'\n[publish]\nbucket = "{self.bucket}"\nendpoint_url = "{url}"\nprefix = "{prefix}"\n'
            f"attempts = {attempts}\n"
        )
        (self.root / "station.toml").write_text(text)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "station", *args, "--station", str(self.root)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"},
        )

    def bucket(self) -> dict[str, bytes]:
        return bucket_contents(self.s3, self.bucket_name)

    @property
    def bucket_name(self) -> str:
        return self.bucket

    def site(self) -> dict[str, bytes]:
        site = self.root / "site"
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.fixture
def station(demo, tmp_path, endpoint, request) -> Published:
    root, _ = demo
    copy = tmp_path / "station"
    shutil.copytree(root, copy)
    bucket = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:50].strip("-")
    published = Published(copy, endpoint, bucket)
    return published


def contents(published: Published) -> dict[str, bytes]:
    return bucket_contents(published.s3, published.bucket)


def test_publish_uploads_the_site_with_types_and_caching_then_nothing_more(station):
    first = station.cli("publish")
    assert first.returncode == 0, first.stderr
    assert contents(station) == station.site()
    assert re.search(r"Published to s3://[\w-]+/: (\d+) uploaded, 0 deleted, 0 unchanged\.", first.stdout)
    head = lambda key: station.s3.head_object(Bucket=station.bucket, Key=key)  # noqa: E731
    types = {
        "media/night-talk/awake-at-three.mp3": ("audio/mpeg", "public, max-age=3600"),
        "media/night-talk/awake-at-three.vtt": ("text/vtt", "public, max-age=3600"),
        "media/night-talk/awake-at-three.srt": ("application/x-subrip", "public, max-age=3600"),
        "media/night-talk/awake-at-three.json": ("application/json", "public, max-age=3600"),
        "feed.xml": ("application/rss+xml", "public, max-age=300"),
        "index.html": ("text/html; charset=utf-8", "public, max-age=300"),
        "search.json": ("application/json", "public, max-age=300"),
    }
    for key, (kind, cache) in types.items():
        assert (head(key)["ContentType"], head(key)["CacheControl"]) == (kind, cache), key
    css = next(k for k in station.site() if k.startswith("static/site.") and k.endswith(".css"))
    assert head(css)["CacheControl"] == "public, max-age=31536000, immutable"
    # Each file's SHA-256 (made as it went up) is in its metadata and the ledger (marked there when the object
    # went up gzip-encoded).
    known = Ledger(station.root / ".station" / "state.sqlite", read_only=True).published()
    for key, data in station.site().items():
        digest = hashlib.sha256(data).hexdigest()
        assert head(key)["Metadata"]["sha256"] == digest, key
        assert known[key][0] == published_tag(key, digest), key
    # A podcast parser reads the feed from the bucket, and every file it names is there.
    feed = feedparser.parse(station.s3.get_object(Bucket=station.bucket, Key="feed.xml")["Body"].read())
    assert len(feed.entries) == 4
    for entry in feed.entries:
        for link in entry.enclosures:
            assert link.href.removeprefix("https://night-owls.example.org/") in contents(station)
    text_goes_up_gzip_encoded_feeds_and_audio_as_they_are(station)
    again = station.cli("publish")
    assert again.returncode == 0 and "0 uploaded, 0 deleted" in again.stdout


def text_goes_up_gzip_encoded_feeds_and_audio_as_they_are(station: Published) -> None:
    raw, site = bucket_contents(station.s3, station.bucket, decoded=False), station.site()
    head = lambda key: station.s3.head_object(Bucket=station.bucket, Key=key)  # noqa: E731
    css = next(k for k in site if k.startswith("static/site.") and k.endswith(".css"))
    gzipped = [
        "index.html",
        "shows/night-talk/awake-at-three/index.html",
        "search.json",
        css,
        "media/night-talk/awake-at-three.vtt",
        "media/night-talk/awake-at-three.json",
        "media/night-talk/awake-at-three.srt",
    ]
    for key in gzipped:
        assert head(key)["ContentEncoding"] == "gzip", key
        body = raw[key]
        # gzip, with no time and no file name in its header: the same bytes from any machine, any day
        assert body[:3] == b"\x1f\x8b\x08" and body[3] & 0x08 == 0 and body[4:8] == b"\0\0\0\0", key
        assert gzip.decompress(body) == site[key] and len(body) < len(site[key]), key
    plain = ["feed.xml", "shows/night-talk/feed.xml", "media/night-talk/awake-at-three.mp3"]
    plain += [k for k in site if k.startswith("artwork/")][:1]
    for key in plain:
        assert "ContentEncoding" not in head(key) and raw[key] == site[key], key
    assert set(raw) == set(site) and contents(station) == site  # every object decodes to the built file


@pytest.mark.slow
def test_a_fresh_machine_recognises_what_is_already_in_the_bucket(station):
    # Built by the command both times from no state, so both builds put tonight together from the same
    # inputs (the nights pinned before are state too: a fresh machine does not know them).
    shutil.rmtree(station.root / ".station")
    assert station.cli("build").returncode == 0
    assert station.cli("publish").returncode == 0
    shutil.rmtree(station.root / ".station")  # no record of what went up: the ETags decide
    assert station.cli("build").returncode == 0
    again = station.cli("publish")
    assert again.returncode == 0 and " 0 uploaded, 0 deleted" in again.stdout, again.stdout + again.stderr
    # What the ETags confirmed is remembered, so the next publish reads no file again.
    known = Ledger(station.root / ".station" / "state.sqlite", read_only=True).published()
    assert set(known) == set(station.site())


@pytest.mark.slow
def test_only_changes_go_up_media_first_and_feeds_last(station, endpoint):
    assert station.cli("publish").returncode == 0
    side = station.root / "content/shows/night-talk/night-bus.yaml"
    side.write_text(side.read_text().replace("Finding the night bus home", "The night bus, again"))
    assert station.cli("build").returncode == 0
    faults = Faults()
    with faulty_proxy(endpoint, faults) as url:
        station.point_at(url)
        result = station.cli("publish")
    assert result.returncode == 0, result.stderr
    puts = [path.split("/", 2)[2] for method, path, _ in faults.seen if method == "PUT"]
    assert "media/night-talk/finding-the-night-bus-home.mp3" in puts  # re-tagged
    assert not any(p.startswith("media/small-steps/") or p.startswith("static/") for p in puts)
    phase = [2 if p.endswith(".xml") else 1 if p.endswith(".html") or p == "search.json" else 0 for p in puts]
    assert phase == sorted(phase) and phase[-1] == 2
    assert contents(station) == station.site()


def test_dry_run_lists_every_change_and_changes_nothing(station):
    result = station.cli("publish", "--dry-run")
    assert result.returncode == 0
    assert "would upload (new) feed.xml" in result.stdout
    assert "Nothing was changed." in result.stdout
    assert contents(station) == {}


@pytest.mark.slow
def test_publish_refuses_after_a_build_with_problems_and_says_how_to_override(station):
    (station.root / "content/shows/night-talk/broken.mp3").write_bytes(b"")
    (station.root / "content/shows/night-talk/broken.yaml").write_text("title: x\n")
    assert station.cli("build").returncode == 1
    refused = station.cli("publish")
    assert refused.returncode == 1
    assert "so nothing was published" in refused.stderr and "--despite-problems" in refused.stderr
    assert contents(station) == {}
    assert station.cli("publish", "--despite-problems").returncode == 0
    assert contents(station) == station.site()


def test_throttling_errors_and_dropped_connections_are_retried(station, endpoint):
    # The listing is refused once; then uploads meet every kind of fault, one after another.
    faults = Faults(
        plan=["503", "pass", "drop", "pass", "500", "pass", "drop-after", "pass", "503", "drop", "pass"],
        matches=lambda method, path: method in ("PUT", "GET"),
    )
    with faulty_proxy(endpoint, faults) as url:
        station.point_at(url)
        result = station.cli("publish")
    assert result.returncode == 0, result.stderr
    assert [a for _, _, a in faults.seen if a != "pass"] == ["503", "drop", "500", "drop-after", "503", "drop"]
    assert faults.seen[0][0] == "GET" and faults.seen[1][0] == "GET"  # the listing, asked again
    assert contents(station) == station.site()


@pytest.mark.slow
def test_an_interrupted_publish_leaves_no_feed_pointing_at_nothing_and_resumes(station, endpoint):
    # Every upload fails for good after the 20th: the run stops part-way through the media.
    faults = Faults(plan=["pass"] * 20 + ["503"] * 1000, matches=lambda method, path: method == "PUT")
    with faulty_proxy(endpoint, faults) as url:
        station.point_at(url, attempts=2)
        stopped = station.cli("publish")
    assert stopped.returncode == 1
    assert "Not finished:" in stopped.stderr and "run `station publish` again to finish" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    partial = contents(station)
    assert partial and not any(k.endswith((".xml", ".html")) for k in partial)  # no feed or page yet
    station.point_at(endpoint)
    resumed = station.cli("publish")
    assert resumed.returncode == 0, resumed.stderr
    assert contents(station) == station.site()
    uploaded = int(re.search(r"(\d+) uploaded", resumed.stdout)[1])
    assert uploaded == len(station.site()) - len(partial)


@pytest.mark.slow
def test_removed_files_leave_the_bucket_only_after_the_new_ones_are_in(station, endpoint):
    assert station.cli("publish").returncode == 0
    (station.root / "content/shows/small-steps/first-meeting.ogg").unlink()
    (station.root / "content/shows/small-steps/first-meeting.yaml").unlink()
    assert station.cli("build").returncode == 0
    faults = Faults()
    with faulty_proxy(endpoint, faults) as url:
        station.point_at(url)
        assert station.cli("publish").returncode == 0
    order = [(m, p) for m, p, _ in faults.seen if m in ("PUT", "DELETE")]
    last_put = max(i for i, (m, _) in enumerate(order) if m == "PUT")
    first_delete = min(i for i, (m, _) in enumerate(order) if m == "DELETE")
    assert last_put < first_delete
    deleted = [p for m, p in order if m == "DELETE"]
    # Pages stop linking first; the episode's media and transcripts go after them (with the search word lists
    # the new search.json no longer names).
    pages = [i for i, p in enumerate(deleted) if p.endswith((".html", ".xml"))]
    media = [i for i, p in enumerate(deleted) if p.endswith((".vtt", ".txt", ".mp3"))]
    assert deleted[0].endswith("index.html") and media and max(pages) < min(media)
    assert contents(station) == station.site()


def test_credentials_never_live_in_station_toml_and_missing_ones_are_named(station, monkeypatch):
    for key in CREDENTIALS:
        monkeypatch.delenv(key)
    missing = station.cli("publish")
    assert missing.returncode == 1
    assert "there are no credentials for the bucket — set AWS_ACCESS_KEY_ID" in missing.stderr
    text = (station.root / "station.toml").read_text() + 'secret_access_key = "abc"\n'
    (station.root / "station.toml").write_text(text)
    refused = station.cli("publish")
    assert refused.returncode == 2
    assert "credentials never go in station.toml" in refused.stderr


def test_a_missing_bucket_is_named(station):
    station.bucket = "no-such-bucket"
    station.point_at(station.endpoint)
    result = station.cli("publish")
    assert result.returncode == 1 and "the bucket “no-such-bucket” does not exist" in result.stderr


def test_a_prefix_keeps_the_station_in_its_own_folder(station):
    station.point_at(station.endpoint, prefix="/radio/")
    assert station.cli("publish").returncode == 0
    got = contents(station)
    assert got and all(k.startswith("radio/") for k in got)
    assert {k.removeprefix("radio/"): v for k, v in got.items()} == station.site()
    assert hashlib.sha256(got["radio/feed.xml"]).hexdigest() == hashlib.sha256(station.site()["feed.xml"]).hexdigest()


def test_links_out_of_site_are_never_uploaded_and_are_named(station):
    """Issue 15, defect 5: `station publish` followed symlinks out of site/ — a link to /etc/passwd, to
    content/ (recordings never published) or to any folder put whatever it pointed at in a public bucket."""
    site = station.root / "site"
    recording = station.root / "content/shows/night-talk/awake-at-three.mp3"
    if not recording.exists():
        recording = next((station.root / "content/shows").rglob("*.yaml"))
    (site / "passwd.txt").symlink_to("/etc/passwd")
    (site / "media" / "night-talk" / "original.mp3").symlink_to(recording)
    (site / "content").symlink_to(station.root / "content")  # a whole folder outside
    (site / "media" / "again").symlink_to(site / "media")  # a folder inside, and a loop
    (site / "gone.html").symlink_to(station.root / "nowhere.html")  # dangling
    (site / "home.html").symlink_to(site / "index.html")  # a file inside: published as that file
    expected = {
        k: v
        for k, v in station.site().items()
        if not k.startswith(("content/", "media/again/", "live/"))
        and k not in ("passwd.txt", "media/night-talk/original.mp3")
    }
    assert expected["home.html"] == (site / "index.html").read_bytes()

    dry = station.cli("publish", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "passwd" not in dry.stdout and "original.mp3" not in dry.stdout
    result = station.cli("publish")
    assert result.returncode == 0, result.stderr
    assert contents(station) == expected
    warnings = [line.strip() for line in result.stderr.splitlines() if "warning" in line or "→" in line]
    fix = "→ put the file itself there if it is meant to be public, or remove the link"
    assert warnings == [
        "warning site/content: this is a link to a folder, so it was not published",
        fix,
        "warning site/gone.html: this is a link to something outside site/, so it was not published",
        fix,
        "warning site/passwd.txt: this is a link to something outside site/, so it was not published",
        fix,
        "warning site/media/again: this is a link to a folder, so it was not published",
        fix,
        "warning site/media/night-talk/original.mp3: this is a link to something outside site/, so it was not "
        "published",
        fix,
    ]
    assert b"root:" not in b"".join(contents(station).values())


def test_a_fresh_machine_recognises_a_file_that_went_up_in_parts_by_its_etag(station):
    """S3 gives a file sent in parts an ETag no MD5 of the whole matches: the parts' MD5s are worked out here."""
    toml = station.root / "station.toml"
    toml.write_text(toml.read_text() + "multipart_mb = 5\n")  # the [publish] table is last
    long = station.root / "site/media/night-talk/long-night.mp3"
    long.write_bytes(os.urandom(20 << 20))  # 16 MB and 4 MB parts
    assert station.cli("publish").returncode == 0
    etag = station.s3.head_object(Bucket=station.bucket, Key="media/night-talk/long-night.mp3")["ETag"]
    assert etag.strip('"').endswith("-2")
    _forget_publishing(station)  # as on a fresh machine: no record of what went up
    again = station.cli("publish")
    assert again.returncode == 0 and " 0 uploaded, 0 deleted" in again.stdout, again.stdout + again.stderr
    known = Ledger(station.root / ".station" / "state.sqlite", read_only=True).published()
    assert known["media/night-talk/long-night.mp3"][1] == etag.strip('"')
    # The same size with other bytes in its second part is not taken for it.
    _forget_publishing(station)
    with long.open("r+b") as f:
        f.seek(18 << 20)
        f.write(b"\0" * 16)
    changed = station.cli("publish")
    assert changed.returncode == 0 and " 1 uploaded, 0 deleted" in changed.stdout, changed.stdout
    assert contents(station)["media/night-talk/long-night.mp3"] == long.read_bytes()


def _forget_publishing(station: Published) -> None:
    """The ledger as a machine has it that built the site but never published it (the build's records stay)."""
    with sqlite3.connect(station.root / ".station" / "state.sqlite") as db:
        db.execute("DELETE FROM published")


@pytest.mark.slow
def test_an_object_sent_plain_is_sent_again_gzipped_and_a_fresh_machine_matches_the_gzip_etags(station):
    """Beside the first test (which checks the encoding of every kind of file): what a later publish compares."""
    assert station.cli("publish").returncode == 0
    head = lambda key: station.s3.head_object(Bucket=station.bucket, Key=key)  # noqa: E731
    # An object an older station put up plain (or anyone changed) is sent again, encoded; nothing else is.
    station.s3.put_object(Bucket=station.bucket, Key="index.html", Body=station.site()["index.html"])
    again = station.cli("publish")
    assert again.returncode == 0 and " 1 uploaded, 0 deleted" in again.stdout, again.stdout + again.stderr
    assert head("index.html")["ContentEncoding"] == "gzip"
    _forget_publishing(station)  # a fresh machine: the gzip bytes it makes match the bucket's ETags
    fresh = station.cli("publish")
    assert fresh.returncode == 0 and " 0 uploaded, 0 deleted" in fresh.stdout, fresh.stdout + fresh.stderr


@pytest.mark.slow
def test_a_file_unreadable_by_its_upload_is_named_and_nothing_is_deleted(station, monkeypatch):
    """A new file is hashed while the files before it go up: one that cannot be read by then stops the
    publish in plain words, before anything is deleted."""
    config = config_mod.load(station.root)
    ledger = Ledger(config.state_dir / "state.sqlite")
    try:
        s3, remote = publish_mod.connect(config)
        plan = publish_mod.plan(config, ledger, remote)
        assert plan.uploads and not plan.uploads[0].sha256  # new to the bucket: hashed while uploading
        last = plan.uploads[-1]
        (config.site_dir / last.rel).unlink()
        (config.site_dir / last.rel).mkdir()  # (a file that cannot be read: the tests run as root)
        with pytest.raises(PublishError) as raised:
            publish_mod.run(config, ledger, plan, s3)
    finally:
        ledger.close()
    done = len(plan.uploads) - 1
    assert str(raised.value) == (
        f"site/{last.rel} could not be read (Is a directory); {done} of {len(plan.uploads)} files "
        "went up and nothing was deleted — run `station build`, then `station publish` again"
    )
    assert len(contents(station)) == done


def test_a_file_made_into_a_link_out_of_site_after_the_plan_is_not_read_or_uploaded(station):
    """The plan leaves out links that lead out of site/; a file swapped for one after the plan was made is
    caught just before it would be read: nothing of what it points at goes up, the publish stops in plain
    words, and nothing is deleted."""
    config = config_mod.load(station.root)
    secret = station.root / "content" / "not-for-the-bucket.txt"
    secret.write_text("root:x:0:0 private words")
    ledger = Ledger(config.state_dir / "state.sqlite")
    try:
        s3, remote = publish_mod.connect(config)
        plan = publish_mod.plan(config, ledger, remote)
        swapped = next(u for u in plan.uploads if u.rel.endswith(".html"))
        (config.site_dir / swapped.rel).unlink()
        (config.site_dir / swapped.rel).symlink_to(secret)
        with pytest.raises(PublishError) as raised:
            publish_mod.run(config, ledger, plan, s3)
    finally:
        ledger.close()
    done = plan.uploads.index(swapped)
    assert str(raised.value) == (
        f"site/{swapped.rel} changed into a link out of site/ while publishing, so it was not uploaded; "
        f"{done} of {len(plan.uploads)} files went up and nothing was deleted — remove the link and run "
        "`station publish` again"
    )
    got = contents(station)
    assert len(got) == done and swapped.key not in got
    assert not any(b"private words" in body for body in got.values())  # bodies as a browser gets them
