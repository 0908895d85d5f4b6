"""Incremental and idempotent: work is keyed by content hashes; names and GUIDs never move."""

import datetime as dt
import shutil
import sqlite3

import pytest

from station.config import IMAGE_FORMATS, IMAGE_WIDTHS
from station.tools.images import writable
from tests import media
from tests.conftest import Station, tree_hashes

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
VARIANTS = len(IMAGE_WIDTHS) * len(writable(IMAGE_FORMATS))  # the station artwork, made for the pages


def two_episodes(station):
    station.episode("night-bus.mp3")
    station.episode(
        "three.wav",
        source=station.clips.get("speech.wav"),
        title="Awake at three",
        presenters=[{"name": "Robin", "tier": "pseudonym"}],
    )


@pytest.mark.transcribe
def test_a_rebuild_with_nothing_changed_does_no_work_and_changes_no_byte(station):
    two_episodes(station)
    content = tree_hashes(station.root / "content")
    first = station.build()
    assert first.work == {
        "analyse": 2,
        "render": 2,
        "transcribe": 2,
        "tag": 2,
        "cover": 1,
        "images": VARIANTS,
        "files": 19 + VARIANTS,
        "feeds": 2,
        "pages": first.pages,
    }
    # files: 8 transcript files, the artwork and its variants for the pages, 5 stylesheets and scripts, hls.js and
    # its licence, the search index (search.json and the one word list a station this small has), the asks' feed
    site = station.site_files()
    second = station.build()
    assert second.work == {}
    assert [o.state for o in second.episodes] == ["unchanged", "unchanged"]
    assert station.site_files() == site
    assert tree_hashes(station.root / "content") == content


def test_a_title_edit_retags_only_and_keeps_the_name_and_guid(station):
    two_episodes(station)
    first = {o.where: o for o in station.build().episodes}
    side = station.root / "content/shows/night-talk/night-bus.yaml"
    side.write_text(side.read_text().replace("Finding the night bus home", "The night bus, again"))
    second = station.build()
    assert {k: n for k, n in second.work.items() if k != "pages"} == {
        "tag": 1,
        "feeds": 2,
        "files": 2,
    }  # the search index: search.json and its word list (the new title's words)
    assert 0 < second.work["pages"] < 10  # the pages that show the title
    again = {o.where: o for o in second.episodes}
    for where, o in first.items():
        assert (again[where].slug, again[where].guid, again[where].audio) == (o.slug, o.guid, o.audio)


def test_a_renamed_recording_keeps_its_identity_and_does_no_audio_work(station):
    two_episodes(station)
    before = next(o for o in station.build().episodes if o.where.endswith("night-bus.mp3"))
    folder = station.root / "content/shows/night-talk"
    (folder / "night-bus.mp3").rename(folder / "bus-ride.mp3")
    (folder / "night-bus.yaml").rename(folder / "bus-ride.yaml")
    result = station.build()
    after = next(o for o in result.episodes if o.where.endswith("bus-ride.mp3"))
    assert (after.slug, after.guid, after.audio) == (before.slug, before.guid, before.audio)
    assert result.work == {} and result.removed == []


@pytest.mark.slow
@pytest.mark.transcribe
def test_changing_a_loudness_setting_rerenders_audio_only(station):
    two_episodes(station)
    station.build()
    with (station.root / "station.toml").open("a") as f:
        f.write("\n[loudness]\nmono_lufs = -18.0\n")
    result = station.build()
    # New audio: rendered and transcribed again (transcripts are keyed by the audio), never re-checked.
    assert (result.work["render"], result.work["transcribe"], result.work["tag"]) == (2, 2, 2)
    assert "analyse" not in result.work
    assert {o.audio for o in result.episodes} == {
        "media/night-talk/finding-the-night-bus-home.mp3",
        "media/night-talk/awake-at-three.mp3",
    }


# Slow tier (7 s: two builds with Whisper): the everyday tier keeps the identity promise in
# test_a_title_edit_retags_only_and_keeps_the_name_and_guid and test_a_renamed_recording_keeps_its_identity_and_does_no_audio_work.
@pytest.mark.slow
@pytest.mark.transcribe
def test_a_new_take_under_the_same_name_keeps_name_and_guid(station):
    two_episodes(station)
    before = {o.where: o for o in station.build().episodes}
    station.episode(
        "night-bus.mp3",
        source=station.clips.get(
            "take2.mp3",
            text="This is a second take of the night bus story, recorded again because a dog barked in the first one.",
        ),
    )
    result = station.build()
    # The transcript files and the search index (search.json, its word list); its page, whose transcript changed,
    # and the pages that list it with its duration in seconds (home, its show, its topic).
    assert result.work == {"analyse": 1, "render": 1, "transcribe": 1, "tag": 1, "files": 6, "feeds": 2, "pages": 4}
    after = next(o for o in result.episodes if o.where.endswith("night-bus.mp3"))
    assert (after.slug, after.guid) == (before[after.where].slug, before[after.where].guid)


@pytest.mark.slow
@pytest.mark.transcribe
def test_a_fresh_checkout_builds_the_same_bytes_and_guids(station, tmp_path):
    two_episodes(station)
    first = station.build()
    copy = Station.__new__(Station)
    copy.root, copy.clips = tmp_path / "elsewhere", station.clips
    shutil.copytree(station.root, copy.root, ignore=shutil.ignore_patterns(".station", "site"))
    second = copy.build()
    assert copy.site_files() == station.site_files()
    assert sorted(o.guid for o in second.episodes) == sorted(o.guid for o in first.episodes)


@pytest.mark.transcribe
@pytest.mark.slow  # the everyday tier keeps test_withdraw_removes_the_episode_from_every_output_and_the_bucket_for_good
def test_a_removed_episode_leaves_the_site(station):
    two_episodes(station)
    station.build()
    (station.root / "content/shows/night-talk/three.wav").unlink()
    (station.root / "content/shows/night-talk/three.yaml").unlink()
    result = station.build()
    assert [r for r in result.removed if "awake" in r] == [
        f"media/night-talk/awake-at-three.{x}" for x in ("json", "mp3", "srt", "txt", "vtt")
    ] + ["shows/night-talk/awake-at-three/index.html"]
    assert not (station.root / "site/shows/night-talk/awake-at-three").exists()
    assert sorted(f for f in station.site_files() if f.startswith("media/")) == [
        f"media/night-talk/finding-the-night-bus-home.{x}" for x in ("json", "mp3", "srt", "txt", "vtt")
    ]


@pytest.mark.transcribe
def test_only_what_consent_and_the_clock_allow_is_published(station):
    station.episode(
        "stream-only.mp3", title="Stream only", consent={"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["stream"]}
    )
    station.episode("later.mp3", title="Later", published_at=dt.datetime(2026, 12, 24, 21, 0, tzinfo=dt.UTC))
    station.episode(
        "expired.mp3",
        title="Expired",
        consent={"by": "Sam", "date": dt.date(2026, 1, 1), "scope": ["podcast"], "expires": dt.date(2026, 11, 1)},
    )
    result = station.build(now=NOW)
    assert [o.state for o in result.episodes] == ["not public yet"] * 3
    assert [f for f in station.site_files() if f.startswith("media/")] == []
    # Rendered once (the three share one recording) and kept ready for the stream and for its day.
    assert result.work["render"] == 1
    christmas = station.build(now=dt.datetime(2026, 12, 25, tzinfo=dt.UTC))
    assert {k: n for k, n in christmas.work.items() if k != "pages"} == {"tag": 1, "cover": 1, "files": 6, "feeds": 2}
    assert sorted(f for f in station.site_files() if f.startswith("media/")) == [
        f"media/night-talk/later.{x}" for x in ("json", "mp3", "srt", "txt", "vtt")
    ]


@pytest.mark.slow  # the everyday tier keeps test_transcripts.py::test_check_does_not_join_or_write
def test_check_writes_nothing(station, tmp_path):
    two_episodes(station)
    station.episode("silent.wav", source=media.silence(tmp_path / "s.wav"))
    checked = station.build(check=True)
    assert not (station.root / ".station").exists() and not (station.root / "site").exists()
    assert [o.state for o in checked.episodes] == ["checked", "held back", "checked"]
    built = station.build()
    assert [str(p) for p in checked.problems] == [str(p) for p in built.problems]
    state = tree_hashes(station.root / ".station")
    site = station.site_files()
    run = station.cli("check")
    assert run.returncode == 1 and "Checked 3 episodes: 2 checked, 1 held back; 1 problem, 0 warnings." in run.stdout
    assert tree_hashes(station.root / ".station") == state and station.site_files() == site


@pytest.mark.slow
def test_a_busy_state_database_says_so_and_is_left_alone(station):
    two_episodes(station)
    station.build()
    ledger = station.root / ".station" / "state.sqlite"
    before = ledger.read_bytes()
    writer = sqlite3.connect(ledger)
    writer.execute("BEGIN EXCLUSIVE")  # another station command, half-way through writing
    try:
        run = station.cli("build")
    finally:
        writer.rollback()
        writer.close()
    assert run.returncode == 2 and "is busy: another station command is writing to it" in run.stderr
    assert "move it aside" not in run.stderr and ledger.read_bytes() == before
