"""`station run`: the station's daemon. The only module that imports APScheduler.

Jobs live in a persistent job store (SQLite, `.station/jobs.sqlite`), so they
survive restarts:

- build     every `build_every_min`: builds when something in content/,
            scheduler/ or station.toml has changed, then publishes when
            [publish] is set and the build had no problems;
- assemble  daily at `assemble_at`: pins the coming night's running order and
            rebuilds, so the website shows it;
- stream    daily at each schedule's window start: plays the night until
            the window ends, as `station stream` in a process of its own,
            started again within a second or two if it dies mid-night
            (`StreamProcess`).

Every job coalesces (runs missed while the daemon was down run once, not
many times) and has an explicit misfire grace time from [stream]; APScheduler
would otherwise give 1 second. A stream start missed by less than its grace
still starts the night, joining at the right point. On start-up, a night
already on air is joined at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from station import config as config_mod
from station.build import runner as pipeline
from station.config import STREAM_BACKOFF_S, STREAM_CALM_S, STREAM_RESTART_S, STREAM_STOP_S, Config
from station.errors import DiskFull, PublishError, StationError, StreamSetupError
from station.files import private_file, write_text
from station.radio import nights
from station.radio import schedule as schedule_mod
from station.tools import ffmpeg

log = logging.getLogger("station.daemon")
_running: Daemon | None = None  # jobs in the store name functions, not objects: they find the daemon here


class Playout(Protocol):
    """What the daemon needs of the stream: the real Player, or a test's stand-in for a fault."""

    def play(self, night: Any) -> Any: ...

    def stop(self) -> None: ...


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        build_every_s: float | None = None,
        clock=None,
        stream_factory: Callable[[Daemon], Playout] | None = None,
    ):
        from station.radio.stream import SystemClock

        self.config = config
        self.clock = clock or SystemClock()
        s = config.settings.stream
        self.build_every_s = build_every_s or s.build_every_min * 60
        # Made 0600 (in a 0700 .station/) before SQLAlchemy opens it; SQLite's journals take its mode.
        jobs = private_file(config.state_dir / "jobs.sqlite")
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{jobs}")},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=config.settings.station.timezone,
        )
        self.lock = threading.Lock()  # one build at a time, whoever asks
        self.stopping = False
        self.ran: list[tuple[str, datetime]] = []  # every job run, for the log and the tests
        self.builds: list[str] = []  # why each build ran
        self.player: Playout | None = None
        self.stream_thread: threading.Thread | None = None
        self.stream_factory = stream_factory or _default_player
        self.fingerprint_path = config.state_dir / "daemon-fingerprint"

    # ------------------------------------------------------------ life
    def start(self) -> None:
        global _running
        _running = self
        self.scheduler.start(paused=True)  # jobs are brought up to date before anything runs
        self._sync_jobs()
        self.scheduler.resume()
        log.info(
            "daemon started: %s",
            "; ".join(
                f"{j.id} next at {j.next_run_time:%Y-%m-%d %H:%M:%S}"
                for j in self.scheduler.get_jobs()
                if j.next_run_time
            ),
        )
        self._join_night_on_air()

    def stop(self) -> None:
        global _running
        self.stopping = True
        if self.player is not None:
            self.player.stop()
        if self.stream_thread is not None:
            self.stream_thread.join(timeout=30)
        # Not shutdown(wait=True): APScheduler holds its job-store lock while it waits, and a running build
        # that then asks the scheduler anything would wait for ever. Instead: stop new runs, then let a
        # running build finish by taking the build lock.
        self.scheduler.shutdown(wait=False)
        if self.lock.acquire(timeout=self.config.settings.build.tool_timeout_s):
            self.lock.release()
        _running = None
        log.info("daemon stopped")

    def _sync_jobs(self) -> None:
        """Add each job, keeping a stored one whose trigger is unchanged (so a run it missed still runs once)."""
        s = self.config.settings.stream
        hour, minute = map(int, s.assemble_at.split(":"))
        zone = self.config.settings.station.timezone
        wanted = {
            "build": (build_job, IntervalTrigger(seconds=self.build_every_s, timezone=zone), s.build_grace_s),
            "assemble": (assemble_job, CronTrigger(hour=hour, minute=minute, timezone=zone), s.assemble_grace_s),
        }
        schedules = schedule_mod.load(self.config)
        for sched in schedules.files:
            start = sched.data.window.start
            wanted[f"stream-{start // 60:02d}{start % 60:02d}"] = (
                stream_job,
                CronTrigger(hour=start // 60, minute=start % 60, timezone=sched.zone),
                s.stream_grace_s,
            )
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                log.info("job %s is no longer needed: removed", job.id)
                job.remove()
        for job_id, (func, trigger, grace) in wanted.items():
            old = self.scheduler.get_job(job_id)
            if old is not None and str(old.trigger) == str(trigger) and old.misfire_grace_time == grace:
                continue
            self.scheduler.add_job(
                func,
                trigger,
                id=job_id,
                name=job_id,
                replace_existing=True,
                misfire_grace_time=grace,
                args=[str(self.config.root)],
            )
            log.info("job %s: %s", job_id, trigger)

    # ------------------------------------------------------------ the work
    def build(self, why: str) -> pipeline.BuildResult | None:
        with self.lock:
            self.builds.append(why)
            try:
                config = config_mod.load(self.config.root)
                result = pipeline.build(config)
            except StationError as exc:  # a broken station.toml, a full disk: said plainly, tried at the next change
                log.error("the build stopped (%s): %s", why, exc)
                if isinstance(exc, DiskFull):  # nothing in content/ will change to say space was freed: try again
                    self.fingerprint_path.unlink(missing_ok=True)
                return None
            counts: dict[str, int] = {}
            for o in result.episodes:
                counts[o.state] = counts.get(o.state, 0) + 1
            log.info(
                "built (%s): %s; %d problem(s)",
                why,
                ", ".join(f"{n} {k}" for k, n in counts.items()) or "no episodes",
                len(result.errors),
            )
            for p in result.problems:
                log.warning("%s", p)
            if config.settings.publish is not None and not result.errors:
                self._publish(config)
            return result

    def _publish(self, config: Config) -> None:
        from station.build.ledger import Ledger
        from station.web import publish

        ledger = Ledger(config.state_dir / "state.sqlite")
        try:
            s3, remote = publish.connect(config)
            plan = publish.plan(config, ledger, remote)
            for problem in plan.skipped:
                log.warning("%s", problem)
            if plan.uploads or plan.deletes:
                publish.run(config, ledger, plan, s3)
                log.info("published: %d uploaded, %d deleted", len(plan.uploads), len(plan.deletes))
        except PublishError as exc:
            log.error("publishing failed, it will be tried again after the next change: %s", exc)
        finally:
            ledger.close()

    def content_changed(self) -> bool:
        """Has anything the build reads changed since the last build this daemon ran?"""
        digest = hashlib.sha256()
        roots = [self.config.content_dir, self.config.root / "scheduler"]
        files = [self.config.root / config_mod.CONFIG_NAME]
        for root in roots:
            if root.is_dir():
                files += sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            digest.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        now = digest.hexdigest()
        before = self.fingerprint_path.read_text() if self.fingerprint_path.exists() else ""
        if now == before:
            return False
        # On a full disk build anyway: the build says the disk is full, and the next run of the job tries again.
        with contextlib.suppress(DiskFull):
            write_text(self.fingerprint_path, now)
        return True

    def start_stream(self, why: str) -> bool:
        """Play the night on air now (joining late if need be); False if one is playing already."""
        if self.stream_thread is not None and self.stream_thread.is_alive():
            log.info("the stream is already playing (%s)", why)
            return False
        schedules = schedule_mod.load(self.config)
        night = nights.on_air(schedules, self.clock.now())
        if night is None:
            log.info("no night is on air now (%s): the stream waits for its start", why)
            return False

        try:
            self.player = player = self.stream_factory(self)
        except StreamSetupError as exc:
            log.error("the stream cannot start: %s", exc)
            return False

        def play():
            try:
                report = player.play(night)
                if isinstance(player, StreamProcess):  # its own log (stream.log) says what it played
                    log.info(
                        "the night of %s ended; the stream process was restarted %d time(s)", night, player.restarts
                    )
                else:
                    log.info(
                        "the night of %s ended: %.0f s played, standby took over %d time(s)",
                        night,
                        report.seconds,
                        len(report.standby),
                    )
            except Exception:
                log.exception("the stream stopped with an error")

        self.stream_thread = threading.Thread(target=play, name="stream", daemon=True)
        self.stream_thread.start()
        log.info("stream started for the night of %s (%s)", night, why)
        return True

    def _join_night_on_air(self) -> None:
        self.start_stream("the daemon started during the night")

    def record(self, job: str) -> None:
        self.ran.append((job, datetime.now(UTC)))


def _default_player(daemon: Daemon) -> Playout:
    from station.radio.stream import check_outputs

    check_outputs(daemon.config)  # said here, once, rather than by a process that dies at every restart
    return StreamProcess(daemon.config, daemon.clock)


class StreamProcess:
    """`station stream` in a process of its own, started again when it dies before the night has ended (killed,
    out of memory, a bug): the new one joins the night where the clock says, and HLS goes on in the same
    playlist. A spare waits beside it, already loaded (Python, the libraries, the settings), so the stream is
    back within a second or so, not after a cold start; restarts that come thick and fast wait longer each
    time (`STREAM_BACKOFF_S`)."""

    def __init__(self, config: Config, clock: Any):
        self.config, self.clock = config, clock
        self.process: ffmpeg.Process | None = None
        self.spare: ffmpeg.Process | None = None
        self.stopping = threading.Event()
        self.restarts = 0

    def command(self, spare: bool = False) -> list[str]:
        from station.radio.stream import ShiftedClock

        command = ["stream", "--station", str(self.config.root)]
        if isinstance(self.clock, ShiftedClock):  # a rehearsal: the process keeps the daemon's clock
            command += ["--pretend", self.clock.now().isoformat(), "--pretend-since", f"{time.time():.6f}"]
        return command + (["--wait-for-go"] if spare else [])

    def play(self, night: Any) -> Any:
        from station.radio.stream import Report

        report = Report(night=night)
        started = time.monotonic()
        quick = 0  # restarts since the stream last ran calmly for STREAM_CALM_S
        self.process = ffmpeg.station_command(self.command())
        while not self.stopping.is_set():
            if self.spare is None or self.spare.poll() is not None:
                self.spare = ffmpeg.station_command(self.command(spare=True), stdin_pipe=True)
            while self.process.poll() is None and not self.stopping.wait(STREAM_RESTART_S):
                pass
            if self.stopping.is_set():
                break
            code = self.process.returncode
            if code == 0:
                break  # the night ended
            schedules = schedule_mod.load(self.config)
            if nights.on_air(schedules, self.clock.now()) != night:
                log.warning("the stream process stopped (%s) after its night ended", _how(code))
                break
            quick = 0 if time.monotonic() - started > STREAM_CALM_S else quick + 1
            wait = STREAM_BACKOFF_S[min(quick, len(STREAM_BACKOFF_S) - 1)]
            self.restarts += 1
            log.error("the stream process stopped (%s) during the night: starting it again in %.0f s", _how(code), wait)
            if self.stopping.wait(wait):
                break
            started = time.monotonic()
            self.process = self._go() or ffmpeg.station_command(self.command())
        self._end()
        return report

    def _go(self) -> ffmpeg.Process | None:
        """The spare, told to start; None when there is none ready (it died: a cold start instead)."""
        spare, self.spare = self.spare, None
        if spare is None or spare.poll() is not None or spare.stdin is None:
            return None
        try:
            spare.stdin.write(b"go\n")
            spare.stdin.flush()
        except OSError:
            return None
        return spare

    def stop(self) -> None:
        self.stopping.set()

    def _end(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None and spare.stdin is not None:
            with contextlib.suppress(OSError):
                spare.stdin.close()  # a spare told nothing exits
            try:
                spare.wait(timeout=STREAM_STOP_S)
            except ffmpeg.StillRunning:
                spare.kill()
                spare.wait()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # `station stream` stops at SIGTERM, leaving the playlist open for a restart
        try:
            process.wait(timeout=STREAM_STOP_S)
        except ffmpeg.StillRunning:
            process.kill()
            process.wait()


def _how(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


# ---------------------------------------------------------------- jobs (the store keeps these names)
def build_job(root: str) -> None:
    daemon = _running
    if daemon is None:
        return
    daemon.record("build")
    if daemon.content_changed():
        daemon.build("new or changed files in content/, scheduler/ or station.toml")
        if not daemon.stopping:
            daemon._sync_jobs()  # a schedule edit can move the window's start
    else:
        log.debug("nothing has changed: no build")


def assemble_job(root: str) -> None:
    daemon = _running
    if daemon is None:
        return
    daemon.record("assemble")
    schedules = schedule_mod.load(daemon.config)
    now = daemon.clock.now()
    night = nights.night_of(schedules, now + timedelta(minutes=1))
    if night is None:
        log.info("no schedule: nothing to assemble")
        return
    order = nights.running_order(daemon.config, night, schedules=schedules, now=now)
    episodes = sum(1 for s in order.slots if s.guid) if order else 0
    log.info("pinned the running order of the night of %s: %d episodes", night, episodes)
    for note in order.notes if order else []:
        log.warning("%s", note)
    daemon.build("tonight's running order for the website")


def stream_job(root: str) -> None:
    daemon = _running
    if daemon is None:
        return
    daemon.record("stream")
    daemon.start_stream("the night's window has started")


def run_forever(root: Path) -> None:
    """Used by `station run`: start, then wait for Ctrl-C or SIGTERM."""
    config = config_mod.load(root)
    daemon = Daemon(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    daemon.start()
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        daemon.stop()
