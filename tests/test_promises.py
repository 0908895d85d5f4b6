"""The promises that outlive the cache: a withdrawal, a GUID, a slug and an account survive a deleted
`.station/`, a new machine and a restore from backup; a withdrawal is applied first, whatever else fails."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import stat
import tarfile

import feedparser
import pytest

from station import backup as backup_mod
from station import config as config_mod
from station.build import runner as pipeline
from station.build import withdraw as withdraw_mod
from station.build.episode import build_episode
from station.build.identity import guid_namespace
from station.build.ledger import Ledger
from station.build.workshop import Events, Workshop, own_files
from station.catalog import content as catalog_mod
from station.desk.accounts import Accounts, database_path
from station.errors import BackupError
from station.records import Records
from station.tools import ffmpeg
from tests.conftest import sidecar
from tests.test_publish import credentials, endpoint, station  # noqa: F401 -- fixtures
from tests.test_withdraw import EPISODE, guid_of, traces_in

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def feed_guids(root) -> dict[str, str]:
    """title → GUID in the station feed, as a podcast app reads it."""
    parsed = feedparser.parse((root / "site" / "feed.xml").read_bytes())
    return {e.title: e.id for e in parsed.entries}


def slugs(root) -> set[str]:
    return {p.parent.name for p in (root / "site" / "shows").glob("*/*/index.html")}


@pytest.mark.slow
def test_deleting_the_cache_never_brings_a_withdrawn_episode_back(station):
    """Defect 1: `station withdraw`, then `rm -rf .station && station build` put the episode back on its page,
    in the feeds, on the topic pages and in tonight.json."""
    guid = guid_of(station)
    before = feed_guids(station.root)
    assert station.cli("withdraw", EPISODE).returncode == 0
    assert traces_in(station.site(), guid) == []

    shutil.rmtree(station.root / ".station")
    result = station.cli("build")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "⊘ withdrawn content/shows/night-talk/awake-at-three.m4a" in result.stdout
    assert traces_in(station.site(), guid) == []
    tonight = json.loads((station.root / "site" / "tonight.json").read_text())
    assert all(item.get("title") != "Awake at three" for item in tonight["running_order"])
    # Every other episode is back with the GUID it had.
    after = feed_guids(station.root)
    assert after == {title: g for title, g in before.items() if title != "Awake at three"}


def test_a_withdrawn_episode_costs_no_analysis_when_the_cache_is_gone(station, tmp_path, monkeypatch):
    """With the cache deleted, the withdrawn episode is known as withdrawn from its recording's hash alone:
    no ffmpeg analysis of it, whether the build offloads its work or does it here."""
    assert station.cli("withdraw", EPISODE).returncode == 0
    config = config_mod.load(station.root)
    episode = next(e for e in catalog_mod.load(config).episodes if e.key == "night-talk/awake-at-three.m4a")
    ran: list[list[str]] = []
    real_run = ffmpeg.run
    monkeypatch.setattr(ffmpeg, "run", lambda args, *a, **kw: ran.append(args) or real_run(args, *a, **kw))
    ledger = Ledger(tmp_path / "fresh" / "state.sqlite")  # nothing cached: as after `rm -rf .station`
    try:
        shop = Workshop(
            config,
            check=False,
            now=NOW,
            events=Events(),
            ledger=ledger,
            records=Records.of(config),
            model=None,
            namespace=guid_namespace(config),
        )
        for offload in (True, False):
            built = build_episode(shop, episode, offload=offload)
            assert (built.state, built.guid, dict(built.work)) == ("withdrawn", guid_of_withdrawn(config), {})
    finally:
        ledger.close()
    assert ran == []


def guid_of_withdrawn(config) -> str:
    (guid,) = [g for _, slug, g in Records.of(config).withdrawn_places() if slug == "awake-at-three"]
    return guid


@pytest.mark.slow
def test_a_new_machine_keeps_guids_slugs_withdrawals_and_accounts(station, tmp_path):
    """The station's folder moved without its cache (a new machine, `cp -r` of what the backup holds):
    a renamed recording keeps its GUID and slug, the withdrawal holds, and the desk's accounts sign in."""
    accounts = Accounts(database_path(config_mod.load(station.root)))
    accounts.add("ali", "a good long password", "coordinator", "Ali")
    accounts.close()
    old = station.root / "content/shows/night-talk/night-bus.mp3"
    guid_before, slug_before = feed_guids(station.root), slugs(station.root)
    old.rename(old.with_name("bus-home.mp3"))
    old.with_suffix(".yaml").rename(old.with_name("bus-home.yaml"))
    assert station.cli("build").returncode == 0
    assert station.cli("withdraw", EPISODE).returncode == 0

    moved = tmp_path / "new-machine"
    moved.mkdir()
    for part in ("station.toml", "content", "scheduler", "records"):
        src = station.root / part
        (shutil.copy2 if src.is_file() else shutil.copytree)(src, moved / part)
    assert not (moved / ".station").exists()
    station.root = moved
    result = station.cli("build")
    assert result.returncode == 0, result.stdout + result.stderr
    guids = feed_guids(moved)
    assert guids == {t: g for t, g in guid_before.items() if t != "Awake at three"}
    assert slugs(moved) == slug_before - {"awake-at-three"}
    accounts = Accounts(database_path(config_mod.load(station.root)))
    assert accounts.sign_in("ali", "a good long password", "127.0.0.1") is not None
    accounts.close()


@pytest.mark.slow
def test_backup_and_restore_carry_the_whole_station_to_an_empty_folder(station, tmp_path):
    accounts = Accounts(database_path(config_mod.load(station.root)))
    accounts.add("sam", "another long password", "presenter", "Sam")
    accounts.close()
    assert station.cli("withdraw", EPISODE).returncode == 0
    guids = feed_guids(station.root)
    archive = tmp_path / "station-backup.tar.gz"

    made = station.cli("backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Backed up ") and f"to {archive}: station.toml (1), content (" in made.stdout
    assert "records (3)" in made.stdout  # withdrawals, identities and the desk's accounts
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert not any(n.startswith((".station", "site/")) for n in names)

    fresh = tmp_path / "restored"
    station.root = fresh
    put = station.cli("restore", str(archive))
    assert put.returncode == 0, put.stderr
    assert "Now run `station build`" in put.stdout
    assert stat.S_IMODE((fresh / "records").stat().st_mode) == 0o700
    assert stat.S_IMODE((fresh / "records" / "desk.sqlite").stat().st_mode) == 0o600
    built = station.cli("build")
    assert built.returncode == 0, built.stdout + built.stderr
    assert feed_guids(fresh) == guids and "Awake at three" not in guids
    accounts = Accounts(database_path(config_mod.load(station.root)))
    assert accounts.sign_in("sam", "another long password", "127.0.0.1") is not None
    accounts.close()

    again = station.cli("restore", str(archive))
    assert again.returncode == 2
    assert (
        f"Nothing was restored: {fresh} already holds a station (station.toml is there) — restore into an "
        "empty folder, or add --replace to overwrite its files with the archive's"
    ) in again.stderr


def test_restore_refuses_a_damaged_archive_and_writes_nothing(tmp_path, station):
    archive = tmp_path / "b.tar.gz"
    assert station.cli("backup", str(archive)).returncode == 0
    data = bytearray(archive.read_bytes())
    archive.write_bytes(bytes(data[: len(data) // 2]))
    target = tmp_path / "restored"
    with pytest.raises(BackupError, match="cannot be read as a station backup"):
        backup_mod.restore(archive, target)
    assert [p for p in target.rglob("*") if p.is_file()] == []


def test_a_withdrawal_is_applied_first_even_when_the_build_after_it_cannot_run(station):
    """Defect 2's withdrawal: a build that cannot run left the episode public while the desk said "Published".
    Now its own files go at once, the record holds, and the report says what is not done yet."""
    config = config_mod.load(station.root)
    gone = config.root / "no-such-model"
    broken = dataclasses.replace(
        config,
        settings=config.settings.model_copy(
            update={"transcripts": config.settings.transcripts.model_copy(update={"model": str(gone)})}
        ),
    )
    guid = guid_of(station)
    report = withdraw_mod.withdraw(broken, EPISODE, NOW)
    assert report.build_error and "no-such-model" in report.build_error
    assert not report.complete
    assert Records.of(config).withdrawn(guid) is not None
    site = station.site()
    assert not [rel for rel in site if rel.startswith(own_files("night-talk", "awake-at-three"))]
    assert report.files_removed and report.still_named  # the pages that list it wait for the next build
    # The next good build takes it out of those too.
    assert pipeline.build(config, now=NOW).errors == []
    assert traces_in(station.site(), guid) == []


def test_a_broken_episode_elsewhere_does_not_hold_a_withdrawal_back(station):
    """Defect 2: a NUL in one episode's title stopped every build, and a withdrawal with it."""
    side = station.root / "content/shows/night-talk/night-bus.yaml"
    side.write_text(
        side.read_text().replace('title: "Finding the night bus home"', 'title: "Finding the night\\0bus home"')
    )
    guid = guid_of(station)
    result = station.cli("withdraw", EPISODE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "they held back only their own episodes, not this withdrawal" in result.stdout
    assert traces_in(station.site(), guid) == []
    assert "Awake at three" not in feed_guids(station.root)


def test_one_episode_a_template_trips_on_holds_back_only_itself(station):
    """A station's own episode template that fails for one episode: that episode is held back with a plain
    problem; every other episode's page and feed item go out, and the pages list only those."""
    own = station.root / "templates"
    own.mkdir(exist_ok=True)
    (own / "episode.html").write_text(
        '{% extends "default/episode.html" %}{% block main %}'
        '{% if meta.title == "The kitchen table plan" %}{{ meta.no_such_key.x }}{% endif %}'
        "{{ super() }}{% endblock %}"
    )
    result = pipeline.build(config_mod.load(station.root), now=NOW)
    held = [o for o in result.episodes if o.state == "held back"]
    assert [o.where for o in held] == ["content/shows/small-steps/kitchen-table.webm"], result.problems
    assert held[0].problems[-1].what == (
        "this episode could not be put into its web page (UndefinedError: 'station.catalog.model.EpisodeMeta object' "
        "has no attribute 'no_such_key'), so it is held back; every other episode is published"
    )
    titles = set(feed_guids(station.root))
    assert "The kitchen table plan" not in titles and "Awake at three" in titles
    slug = held[0].slug
    assert not list((station.root / "site/media/small-steps").glob(f"{slug}.*"))
    assert not (station.root / f"site/shows/small-steps/{slug}").exists()
    assert f"small-steps/{slug}/" not in (station.root / "site/shows/small-steps/index.html").read_text()


def test_every_template_failing_alike_is_the_templates_fault_not_the_episodes(station):
    own = station.root / "templates"
    own.mkdir(exist_ok=True)
    (own / "episode.html").write_text(
        '{% extends "default/episode.html" %}{% block main %}{{ meta.no_such_key.x }}{% endblock %}'
    )
    before = station.site()
    result = pipeline.build(config_mod.load(station.root), now=NOW)
    assert not [o for o in result.episodes if o.state == "held back"]
    assert any("so the website was not rebuilt" in p.what for p in result.problems)
    assert feed_guids(station.root)  # the feeds still go out
    assert {k for k in before if k.endswith(".html")} <= set(station.site())


def test_records_are_private_and_readable_text(station):
    records = station.root / "records"
    assert stat.S_IMODE(records.stat().st_mode) == 0o700
    for name in ("identities.json", "withdrawals.json"):
        path = records / name
        if name == "withdrawals.json":
            assert station.cli("withdraw", EPISODE).returncode == 0
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        data = json.loads(path.read_text())
        assert data["about"] and isinstance(data["records"], dict)
    text = (records / "identities.json").read_text()
    for name in ("Sam", "Robin", "night-bus.mp3"):  # no person's name, no recording's name
        assert name not in text


def test_an_older_station_s_withdrawals_and_identities_are_adopted_from_its_state_database(tmp_path, clips):
    import sqlite3

    from tests.conftest import Station

    s = Station(tmp_path / "old", clips)
    s.episode("one.mp3", meta=sidecar(title="One"))
    state = s.root / ".station"
    state.mkdir()
    db = sqlite3.connect(state / "state.sqlite")
    db.executescript(
        "CREATE TABLE identities (key_hash TEXT PRIMARY KEY, source_sha256 TEXT NOT NULL, slug TEXT "
        "NOT NULL, guid TEXT NOT NULL, show TEXT NOT NULL);"
        "CREATE TABLE withdrawals (guid TEXT PRIMARY KEY, at TEXT NOT NULL);"
    )
    from station.records import place_hash

    db.execute(
        "INSERT INTO identities VALUES (?,?,?,?,?)",
        (place_hash("night-talk/one.mp3"), "x", "the-old-slug", "guid-kept", "night-talk"),
    )
    db.execute("INSERT INTO withdrawals VALUES ('guid-gone', '2026-11-01T00:00:00+00:00')")
    db.commit()
    db.close()
    result = s.build()
    assert [o.slug for o in result.episodes] == ["the-old-slug"] and [o.guid for o in result.episodes] == ["guid-kept"]
    assert Records.of(s.config).withdrawn("guid-gone") == "2026-11-01T00:00:00+00:00"


def test_a_feed_item_that_cannot_be_written_holds_back_only_its_episode(tmp_path, clips, monkeypatch):
    """Once text is checked at the boundary nothing is known to break the feed writer, so the fault is planted:
    lxml refusing one item's description. That episode is held back; the other is in every feed, and a
    withdrawal made in the same run still leaves everything."""
    from station.podcast import feed
    from tests.conftest import Station

    s = Station(tmp_path / "st", clips)
    s.episode("one.mp3", meta=sidecar(title="One"))
    s.episode("two.mp3", meta=sidecar(title="Two"))
    s.episode("three.mp3", meta=sidecar(title="Three"))
    assert s.build().errors == []
    config = s.config
    real = feed.description

    def refusing(item, config):
        if item.episode.meta.title == "Two":
            raise ValueError(
                "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
            )
        return real(item, config)

    monkeypatch.setattr(feed, "description", refusing)
    report = withdraw_mod.withdraw(config, "night-talk/three", NOW)
    assert report.complete, report
    held = [o for o in report.build.episodes if o.state == "held back"]
    assert [o.where for o in held] == ["content/shows/night-talk/two.mp3"]
    assert held[0].problems[-1].what == (
        "this episode could not be put into the podcast feed (ValueError: All strings must be XML compatible: "
        "Unicode or ASCII, no NULL bytes or control characters), so it is held back; every other episode is published"
    )
    for rel in ("feed.xml", "shows/night-talk/feed.xml"):
        assert [e.title for e in feedparser.parse((s.root / "site" / rel).read_bytes()).entries] == ["One"]
    assert sorted(p.name for p in (s.root / "site/media/night-talk").iterdir()) == ["one.mp3"]
    assert not (s.root / "site/shows/night-talk/two").exists() and not (s.root / "site/shows/night-talk/three").exists()
