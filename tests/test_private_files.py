"""The station's private folders are private: .station/ and records/ are 0700, every file in them 0600,
whatever the umask, while site/ stays world-readable for the web server (issue 15, "Files are private")."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from station import config as config_mod
from station import files
from station.build.ledger import Ledger
from station.radio.daemon import Daemon
from tests import media
from tests.test_daemon import SCHEDULE


@pytest.fixture
def umask_022():
    """A permissive umask, as on most machines: files would be 0644 and folders 0755 unless made private."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.fixture
def night_station(station, umask_022):
    """A station with an episode, a schedule and its sound."""
    stream = station.root / "content" / "stream"
    media.speech("Night Owls test radio.", stream / "ident.mp3", pad_s=0.2)
    media.speech("If you need to talk, the lines are open.", stream / "help.mp3", pad_s=0.2)
    media.bed(stream / "bed.mp3", seconds=8)
    (station.root / "scheduler").mkdir()
    (station.root / "scheduler" / "week.yaml").write_text(SCHEDULE)
    station.episode("night-bus.mp3")
    return station


def modes(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (itself included) → its mode, as 'd700' or 'f600'."""
    found = {".": f"d{stat.S_IMODE(folder.stat().st_mode):o}"}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        kind = "d" if stat.S_ISDIR(st.st_mode) else "f"
        found[path.relative_to(folder).as_posix()] = f"{kind}{stat.S_IMODE(st.st_mode):o}"
    return found


def not_private(folder: Path) -> dict[str, str]:
    return {rel: mode for rel, mode in modes(folder).items() if mode not in ("d700", "f600")}


def test_a_build_makes_its_state_and_cache_private_and_the_site_public(night_station):
    """Issue 15, defect 5: `.station/desk.sqlite`, sidecars and the cache were readable by every local user."""
    result = night_station.build()
    assert result.errors == [], result.errors
    state = night_station.root / ".station"
    made = modes(state)
    # Everything the brief names is there, so the check below covers it.
    for rel in (
        "state.sqlite",
        "build.lock",
        "last-build.json",
        "cache",
        "cache/audio",
        "cache/episodes",
        "stream",
        "stream/library.json",
        "stream/nights",
    ):
        assert rel in made, rel
    assert any(rel.startswith("cache/audio/") and rel.endswith(".mp3") for rel in made)
    assert any(rel.startswith("stream/nights/") for rel in made)
    assert not_private(state) == {}
    records = night_station.root / "records"
    if records.exists():
        assert not_private(records) == {}
    site = modes(night_station.root / "site")
    assert site and set(site.values()) == {"d755", "f644"}, {r: m for r, m in site.items() if m not in ("d755", "f644")}


def test_sqlite_journals_take_the_databases_private_mode(tmp_path, umask_022):
    (tmp_path / "station.toml").write_text("")
    ledger = Ledger(tmp_path / ".station" / "state.sqlite")
    ledger.db.execute("PRAGMA journal_mode=WAL")
    ledger.remember("k", "stage", {"v": 1})
    assert not_private(tmp_path / ".station") == {}
    assert {"state.sqlite", "state.sqlite-wal", "state.sqlite-shm"} <= set(modes(tmp_path / ".station"))
    ledger.close()


def test_a_station_made_before_files_were_private_is_put_right(night_station):
    state = night_station.root / ".station"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / "state.sqlite").touch(mode=0o644)
    (state / "state.sqlite").chmod(0o644)
    night_station.build()
    assert modes(state)["."] == "d700"
    assert modes(state)["state.sqlite"] == "f600"


def test_the_daemons_job_store_fingerprint_and_log_are_private(night_station):
    config = night_station.config
    daemon = Daemon(config, build_every_s=3600)
    assert daemon.content_changed()  # writes the fingerprint
    daemon.scheduler.start(paused=True)
    daemon._sync_jobs()  # writes the job store
    daemon.scheduler.shutdown(wait=False)
    # `station run` logs to .station/logs/station.log, and so does each file it rotates to.
    import logging

    log = files.private_log(config.state_dir / "logs" / "station.log", max_bytes=200, backups=2)
    logger = logging.getLogger("test.private")
    logger.addHandler(log)
    try:
        for n in range(20):
            logger.warning("a line long enough to make the log rotate, number %d", n)
    finally:
        logger.removeHandler(log)
        log.close()
    made = modes(config.state_dir)
    assert {"jobs.sqlite", "daemon-fingerprint", "logs/station.log", "logs/station.log.1"} <= set(made)
    assert not_private(config.state_dir) == {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_station_run_and_station_desk_make_their_folders_private(night_station):
    """The real commands, with a permissive umask: `station run` (log, job store) and `station desk` (the
    folder waitress spools request bodies to)."""
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    root = str(night_station.root)
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "station",
            "desk",
            "add-user",
            "ali",
            "--role",
            "coordinator",
            "--password-stdin",
            "--station",
            root,
        ],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    port = _free_port()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "station", "run", "--station", root],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "station", "desk", "--port", str(port), "--station", root],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        ),
    ]
    try:
        state = night_station.root / ".station"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            (state / p).exists() for p in ("jobs.sqlite", "logs/station.log", "tmp")
        ):
            time.sleep(0.1)
        for _ in range(100):  # the desk answers: it has made everything it makes on start
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/sign-in")
                conn.getresponse().read()
                break
            time.sleep(0.1)
    finally:
        for proc in runs:
            proc.terminate()
        for proc in runs:
            proc.wait(timeout=30)
    made = modes(state)
    assert {"jobs.sqlite", "logs/station.log", "tmp"} <= set(made)
    assert not_private(state) == {}
    assert not_private(night_station.root / "records") == {}


def test_private_folders_are_found_by_place_and_only_beside_station_toml(tmp_path):
    assert files.PRIVATE_FOLDERS == (config_mod.STATE_DIR, config_mod.RECORDS_DIR)
    (tmp_path / "station.toml").write_text("")
    assert files.private_root(tmp_path / ".station" / "cache" / "audio" / "x.mp3") == tmp_path / ".station"
    assert files.private_root(tmp_path / "records" / "withdrawals.json") == tmp_path / "records"
    # A show called "records", or a page under site/records/, is public like any other.
    assert files.private_root(tmp_path / "content" / "shows" / "records" / "ep.yaml") is None
    assert files.private_root(tmp_path / "site" / "records" / "index.html") is None
    assert files.private_root(tmp_path / "site" / "index.html") is None


def test_an_atomic_write_is_private_inside_and_public_outside(tmp_path, umask_022):
    (tmp_path / "station.toml").write_text("")
    files.write_text(tmp_path / ".station" / "stream" / "nights" / "2026-11-22.json", "{}")
    files.write_text(tmp_path / "site" / "shows" / "night-talk" / "index.html", "<!doctype html>")
    assert modes(tmp_path / ".station") == {
        ".": "d700",
        "stream": "d700",
        "stream/nights": "d700",
        "stream/nights/2026-11-22.json": "f600",
    }
    assert modes(tmp_path / "site") == {
        ".": "d755",
        "shows": "d755",
        "shows/night-talk": "d755",
        "shows/night-talk/index.html": "f644",
    }
