"""`station run`: real APScheduler 3 with its SQLite job store, restarted like a machine that went down."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from station.build import runner as pipeline
from station.radio import daemon as daemon_mod
from station.radio.stream import HlsOutput, Player, ShiftedClock
from tests import media

SCHEDULE = """\
name: Test week
timezone: UTC
window: {start: "22:00", end: "23:00"}
rules: {ident_every_min: 1, signpost_every_min: 1, no_repeat_nights: 0, presenter_max_percent: 100,
        newcomer_percent: 0}
material:
  idents: [stream/ident.mp3]
  signposts: [stream/help.mp3]
  beds: [stream/bed.mp3]
blocks:
  - name: Talk
    start: "22:00"
    end: "23:00"
    fill: {shows: [night-talk]}
    standby: {files: [stream/bed.mp3]}
"""


@pytest.fixture
def night_station(station, clips):
    """A station with a schedule and its sound (transcripts off, as for every test station)."""
    stream = station.root / "content" / "stream"
    media.speech("Night Owls test radio.", stream / "ident.mp3", pad_s=0.2)
    media.speech("If you need to talk, Samaritans are on one one six, one two three.", stream / "help.mp3", pad_s=0.2)
    media.bed(stream / "bed.mp3", seconds=20)
    (station.root / "scheduler").mkdir()
    (station.root / "scheduler" / "week.yaml").write_text(SCHEDULE)
    station.show("night-talk")
    return station


def store_jobs(root) -> dict:
    """The jobs as the store on disk holds them, read by a scheduler of APScheduler's own."""
    reader = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{root}/.station/jobs.sqlite")}
    )
    reader.start(paused=True)
    try:
        return {j.id: (str(j.trigger), j.misfire_grace_time, j.coalesce, j.next_run_time) for j in reader.get_jobs()}
    finally:
        reader.shutdown(wait=False)


def test_jobs_persist_and_a_run_missed_while_down_runs_once_not_many_times(night_station):
    config = night_station.config
    daemon = daemon_mod.Daemon(config, build_every_s=60)
    daemon.start()
    daemon.stop()
    jobs = store_jobs(night_station.root)
    assert set(jobs) == {"build", "assemble", "stream-2200"}
    s = config.settings.stream
    assert jobs["build"][1:3] == (s.build_grace_s, True)
    assert jobs["assemble"][0] == "cron[hour='20', minute='0']" and jobs["assemble"][1] == s.assemble_grace_s
    assert jobs["stream-2200"][0] == "cron[hour='22', minute='0']" and jobs["stream-2200"][1] == s.stream_grace_s

    # The machine was down for five build intervals: the stored job's next run is long past.
    down = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{night_station.root}/.station/jobs.sqlite")}
    )
    down.start(paused=True)
    down.modify_job("build", next_run_time=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=299))
    down.shutdown(wait=False)

    again = daemon_mod.Daemon(config, build_every_s=60)
    again.start()
    try:
        deadline = time.monotonic() + 20
        while not again.ran and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        assert [job for job, _ in again.ran] == ["build"], "missed five times, run once"
        assert again.scheduler.get_job("build").next_run_time > dt.datetime.now(dt.UTC)
    finally:
        again.stop()


def test_the_daemon_builds_when_a_recording_arrives_and_not_otherwise(night_station, clips):
    config = night_station.config
    daemon = daemon_mod.Daemon(config, build_every_s=1)
    daemon.start()
    try:
        wait_for(lambda: len(daemon.builds) == 1, 60)
        time.sleep(2.5)
        assert len(daemon.builds) == 1, "nothing changed: no second build"
        night_station.episode("night-bus.mp3")
        wait_for(
            lambda: (night_station.root / "site" / "media" / "night-talk" / "finding-the-night-bus-home.mp3").exists(),
            90,
        )
        assert daemon.builds[-1] == "new or changed files in content/, scheduler/ or station.toml"
        # The stream library is written at the end of that same build, after the episode's audio.
        library = night_station.root / ".station" / "stream" / "library.json"
        wait_for(lambda: "Finding the night bus home" in library.read_text(), 30)
    finally:
        daemon.stop()


@pytest.mark.stream
def test_a_daemon_started_during_the_night_joins_the_stream(night_station):
    config = night_station.config
    night_station.episode("night-bus.mp3")
    pipeline.build(config, now=dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC))
    clock = ShiftedClock(dt.datetime(2026, 11, 23, 22, 10, tzinfo=dt.UTC))
    live = night_station.root / "site" / "live"
    daemon = daemon_mod.Daemon(
        config,
        clock=clock,
        build_every_s=3600,
        stream_factory=lambda d: Player(d.config, [HlsOutput(d.config.settings.stream, live)], d.clock),
    )
    daemon.start()
    try:
        wait_for(lambda: len(list(live.glob("night-*.ts"))) >= 2, 40)
        assert daemon.stream_thread.is_alive()
        assert daemon.player.report.night == dt.date(2026, 11, 23)
        assert not daemon.start_stream("a second start"), "one stream at a time"
    finally:
        daemon.stop()
    assert not daemon.stream_thread.is_alive()


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)
