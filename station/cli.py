"""`station`: thin commands that load the config, call one function and print.

The only module that prints and turns errors into exit codes:
  0  everything built (or checked) cleanly
  1  some episode has a problem (or, with --strict, a warning)
  2  the run stopped before any work: broken config, missing tool, unreadable state;
     or it stopped part-way because the disk is full (what was published stays, whole)
  130 interrupted (Ctrl-C); run again to finish
Tracebacks only with -v.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeRemainingColumn

from station import config as config_mod
from station.build import report as report_mod
from station.build import runner as pipeline
from station.build import transcripts as transcripts_mod
from station.build.built import BuiltEpisode
from station.errors import (
    AccountError,
    BackupError,
    CatalogueError,
    ConfigError,
    DiskFull,
    NotFound,
    Problem,
    PublishError,
    StationError,
    StreamSetupError,
)
from station.files import disk_full

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Peerwave: turn dropped recordings into a published station.",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

StationDir = Annotated[
    Path, typer.Option("--station", "-s", help="The station's folder (where station.toml is).", file_okay=False)
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks when something goes wrong.")]
Strict = Annotated[bool, typer.Option("--strict", help="Treat warnings as problems (for CI and before publishing).")]


def _version(wanted: bool) -> None:
    if wanted:
        from station import __version__

        out.print(f"station {__version__}", markup=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Peerwave: turn dropped recordings into a published station."""


@app.command()
def build(
    station: StationDir = Path("."),
    strict: Strict = False,
    verbose: Verbose = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="tcp://HOST:PORT",
            help="Send the audio and model work to this Dask scheduler, for this build ([compute] scheduler).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check everything and say how much audio work a build would do; change nothing."
        ),
    ] = False,
) -> None:
    """Build every episode into site/: check, normalise, encode and tag."""
    _run(station, verbose, strict, check=dry_run, scheduler=scheduler)


@app.command()
def check(station: StationDir = Path("."), strict: Strict = False, verbose: Verbose = False) -> None:
    """Check the station and every recording without writing anything."""
    _run(station, verbose, strict, check=True)


@app.command()
def transcript(
    episode: Annotated[str, typer.Argument(help="The episode: its recording's path, its slug, or show/slug.")],
    station: StationDir = Path("."),
    verbose: Verbose = False,
) -> None:
    """Print an episode's current transcript with cue times, as it is published."""
    try:
        config = config_mod.load(station)
    except ConfigError as exc:
        _problems("The station's settings need fixing first:", exc.problems)
        _exit(2, exc, verbose)
    wanted = episode.strip().strip("/")
    records = transcripts_mod.records(config)
    found = [
        r
        for r in records
        if wanted in (r["slug"], f"{r['show']}/{r['slug']}", r["recording"])
        or config.rel((Path.cwd() / wanted).resolve()) == r["recording"]
    ]
    if len(found) != 1:
        known = ", ".join(f"{r['show']}/{r['slug']}" for r in records) or "none yet: run `station build` first"
        what = "more than one episode matches" if found else "no built episode matches"
        err.print(f"{what} “{episode}” — give the recording's path or show/slug; built episodes: {known}")
        raise typer.Exit(1)
    record = found[0]
    out.print(f"{record['title']} ({record['show']}/{record['slug']}, from {record['recording']})")
    if record["transcript"] is None:
        out.print("The transcript is still pending: see `station build` for why.")
        raise typer.Exit(0)
    from station.catalog.transcript import Transcript

    t = Transcript.from_dict(record["transcript"])
    out.print("Corrected by the presenter." if t.source == "presenter" else "Machine transcript (Whisper).")
    for cue in t.cues:
        out.print(f"[{_clock(cue.start)} → {_clock(cue.end)}] {cue.text}", markup=False)


@app.command()
def publish(
    station: StationDir = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List every upload and delete; change nothing.")] = False,
    despite_problems: Annotated[
        bool, typer.Option("--despite-problems", help="Publish even though the last build reported problems.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Upload site/ to the bucket in [publish]: changed files only, media first, feeds last."""
    from station.build.ledger import Ledger
    from station.web import publish as publish_mod

    config = _config(station, verbose)
    settings = config.settings.publish
    if settings is None:
        err.print(
            "Publishing is not set up: add a [publish] table with `bucket` to station.toml (docs/station-toml.md).",
            markup=False,
        )
        raise typer.Exit(2)
    last = report_mod.read(config)
    if last is None:
        err.print("Nothing has been built yet — run `station build` first.")
        raise typer.Exit(1)
    if last.errors and not despite_problems:
        err.print(f"The last build reported {_plural(len(last.errors), 'problem')}, so nothing was published:")
        for problem in last.errors:
            err.print(f"  {problem}", markup=False)
        err.print("Fix them and run `station build` again, or publish as it is with `--despite-problems`.")
        raise typer.Exit(1)
    target = f"s3://{settings.bucket}/{settings.prefix}"
    ledger = Ledger(config.state_dir / "state.sqlite")
    try:
        s3, remote = publish_mod.connect(config)
        plan = publish_mod.plan(config, ledger, remote)
        if plan.skipped:
            _problems("Left out of the bucket:", plan.skipped)
        if dry_run:
            for up in plan.uploads:
                out.print(f"would upload ({up.why}) {up.rel}  {up.size:,} bytes", markup=False)
            for key in plan.deletes:
                out.print(f"would delete {key}", markup=False)
            out.print(
                f"Dry run for {target}: {len(plan.uploads)} to upload ({plan.upload_bytes:,} bytes), "
                f"{len(plan.deletes)} to delete, {plan.unchanged} unchanged. Nothing was changed."
            )
            raise typer.Exit(0)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bars:
            task = bars.add_task(f"uploading to {target}", total=plan.upload_bytes or 1)
            publish_mod.run(config, ledger, plan, s3, progress=lambda n: bars.advance(task, n))
    except PublishError as exc:
        err.print(f"[bold red]Not finished:[/] {escape(str(exc))}")
        _exit(1, exc, verbose)
    finally:
        ledger.close()
    out.print(
        f"Published to {target}: {len(plan.uploads)} uploaded, {len(plan.deletes)} deleted, {plan.unchanged} unchanged."
    )


@app.command()
def withdraw(
    episode: Annotated[str, typer.Argument(help="The episode: its recording's path, its slug, or show/slug.")],
    station: StationDir = Path("."),
    delete_recording: Annotated[
        bool, typer.Option("--delete-recording", help="Delete the recording and its sidecar too.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Take an episode back everywhere, at once, with no reason asked."""
    from datetime import datetime

    from station.build import withdraw as withdraw_mod

    config = _config(station, verbose)
    try:
        report = withdraw_mod.withdraw(config, episode, datetime.now(UTC), delete_recording)
    except NotFound as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    except StationError as exc:
        err.print(f"[bold red]Stopped:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    out.print(f"Withdrawn: “{report.title}” ({report.show}/{report.slug}).", markup=False)
    out.print("Removed from:")
    feeds = [r for r in report.mentions_removed if r.endswith(".xml")]
    pages = [r for r in report.mentions_removed if r.endswith(".html")]
    if feeds:
        out.print(
            f"  the podcast feeds (its GUID {report.guid} is no longer listed): "
            + ", ".join(f"site/{r}" for r in feeds),
            markup=False,
        )
    if pages:
        out.print(
            f"  {_plural(len(pages), 'page')} that listed it: " + ", ".join(f"site/{r}" for r in pages), markup=False
        )
    if "search.json" in report.mentions_removed:
        out.print("  the search index: site/search.json")
    if report.files_removed:
        out.print("  its own files: " + ", ".join(f"site/{r}" for r in report.files_removed), markup=False)
    if report.running_orders:
        out.print(
            "  the overnight stream's running orders: "
            + ", ".join(f"{night:%-d %B}" for night in report.running_orders)
            + " (if it is on air now, standby takes over within seconds)",
            markup=False,
        )
    if report.copies_removed:
        out.print("  the build's cached copies: " + ", ".join(report.copies_removed), markup=False)
    if config.settings.publish is not None:
        target = f"s3://{config.settings.publish.bucket}/{config.settings.publish.prefix}"
        if report.bucket_error:
            err.print(f"[bold red]The bucket {target} still has it:[/] {escape(report.bucket_error)}")
        else:
            out.print(
                f"  the bucket {target}: {_plural(len(report.bucket_deleted), 'object')} deleted "
                + "".join(f"\n    {k}" for k in report.bucket_deleted)
                + f"\n    and {_plural(report.bucket_updated, 'file')} updated without it",
                markup=False,
            )
    else:
        out.print("  (no bucket is set up in [publish], so there was nothing to remove there)", markup=False)
    if report.build_error:
        err.print(
            f"[bold red]The pages and feeds that listed it could not be rebuilt:[/] {escape(report.build_error)}"
            " — its own files are gone already; fix that and run `station build`"
        )
    if report.still_named:
        err.print(
            "[bold red]These files still name it:[/] "
            + escape(", ".join(f"site/{r}" for r in report.still_named))
            + " — run `station build -v` and report this"
        )
    if report.build is not None and report.build.errors:
        out.print(
            f"(The build after it found {_plural(len(report.build.errors), 'problem')} elsewhere — see "
            "`station check`; they held back only their own episodes, not this withdrawal.)",
            markup=False,
        )
    out.print("It stays withdrawn until its sidecar has a consent record dated after today.")
    out.print(
        "Podcast apps drop it at their next refresh, because its GUID has left the feed. Copies already "
        "downloaded to listeners' devices cannot be recalled."
    )
    if report.recording_deleted:
        out.print("Deleted, as asked: " + ", ".join(report.recording_deleted), markup=False)
    else:
        out.print(f"The recording {report.recording} is untouched (`--delete-recording` deletes it).", markup=False)
    raise typer.Exit(0 if report.complete else 1)


@app.command()
def backup(
    archive: Annotated[
        Path | None, typer.Argument(help="Where to write the archive (default: peerwave-backup-DATE-TIME.tar.gz here).")
    ] = None,
    station: StationDir = Path("."),
    verbose: Verbose = False,
) -> None:
    """Everything the station cannot make again in one archive: settings, content, schedules, records, accounts."""
    from station import backup as backup_mod

    config = _config(station, verbose)
    now = datetime.now(UTC)
    try:
        summary = backup_mod.backup(config, archive or backup_mod.default_name(now), now)
    except (BackupError, OSError) as exc:
        err.print(f"[bold red]No backup was made:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    out.print(
        f"Backed up {_plural(summary.files, 'file')} ({summary.bytes / 1e6:.1f} MB) to {summary.archive}: "
        + ", ".join(f"{part} ({n})" for part, n in summary.parts.items()),
        markup=False,
    )
    out.print(
        "It holds the desk's password hashes and every recording: keep it where only coordinators can "
        "read it. `station restore` puts it back on any machine.",
        markup=False,
    )


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive made by `station backup`.")],
    station: StationDir = Path("."),
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a station already in the folder with the archive's files.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Put a station back from `station backup`'s archive (a new machine, a lost folder); then `station build`."""
    from station import backup as backup_mod

    try:
        summary = backup_mod.restore(archive, station.resolve(), replace)
    except (BackupError, OSError) as exc:
        err.print(f"[bold red]Nothing was restored:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    out.print(
        f"Restored {_plural(summary.files, 'file')} into {station.resolve()}: "
        + ", ".join(f"{part} ({n})" for part, n in summary.parts.items()),
        markup=False,
    )
    if summary.kept:
        out.print(
            f"{_plural(len(summary.kept), 'file')} already there and left as they were (--replace overwrites them).",
            markup=False,
        )
    out.print("Now run `station build`: withdrawals, GUIDs, slugs and desk accounts are as they were.", markup=False)


schedule_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="The overnight schedule in scheduler/: check it, preview a night."
)
app.add_typer(schedule_app, name="schedule")
NightOption = Annotated[
    str | None,
    typer.Option(
        "--night", help="The night, by the date it starts: YYYY-MM-DD. Default: tonight (or the night on air)."
    ),
]


@schedule_app.command("check")
def schedule_check(
    station: StationDir = Path("."), night: NightOption = None, strict: Strict = False, verbose: Verbose = False
) -> None:
    """Check the schedules, and try tonight's running order against the last build."""
    from station.radio import nights

    config = _config(station, verbose)
    schedules, lib = _schedules(config)
    problems = list(schedules.problems)
    when = _night(night, schedules)
    if not schedules.exists and not problems:
        err.print(
            "There is no schedule yet: put one in scheduler/ (docs/schedule.md; scheduler/night-owls.yaml "
            "in the demo is a worked example)."
        )
        raise typer.Exit(1)
    order = None
    if lib is None:
        out.print("Nothing has been built yet, so tonight could not be tried: run `station build`, then check again.")
    elif when is not None and not any(p.is_error for p in schedules.problems):
        order = nights.running_order(config, when, schedules=schedules, library=lib, pin=False, now=datetime.now(UTC))
        if order is not None:
            problems += order.notes
    if problems:
        _problems("What needs attention:" if any(p.is_error for p in problems) else "Worth knowing:", problems)
    files = ", ".join(s.where for s in schedules.files) or "none readable"
    summary = f"Checked {files}"
    if order is not None:
        summary += (
            f"; the night of {order.night:%A %-d %B %Y} fills {_hms(order.length_s)} with "
            f"{_plural(sum(1 for x in order.slots if x.kind == 'episode'), 'episode')}"
        )
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    out.print(
        summary
        + (f": {_plural(len(errors), 'problem')}, {_plural(len(warnings), 'warning')}." if problems else ": all fine.")
    )
    raise typer.Exit(1 if errors or (strict and warnings) else 0)


@schedule_app.command("preview")
def schedule_preview(
    station: StationDir = Path("."),
    night: NightOption = None,
    every_bed: Annotated[bool, typer.Option("--every-bed", help="List each music bed on its own line.")] = False,
    verbose: Verbose = False,
) -> None:
    """Print a night's running order with clock times, as it would go out."""
    from station.radio import nights
    from station.radio.playlist import describe

    config = _config(station, verbose)
    schedules, lib = _schedules(config)
    if any(p.is_error for p in schedules.problems):
        _problems("The schedule needs fixing first (`station schedule check`):", schedules.problems)
        raise typer.Exit(1)
    if lib is None:
        err.print("Nothing has been built yet — run `station build` first, so the stream knows what it can play.")
        raise typer.Exit(1)
    when = _night(night, schedules)
    order = (
        nights.running_order(config, when, schedules=schedules, library=lib, pin=False, now=datetime.now(UTC))
        if when
        else None
    )
    if order is None:
        err.print("No schedule covers that night: the regular week needs a schedule file without `dates`.")
        raise typer.Exit(1)
    out.print(
        f"The night of {order.night:%A %-d %B %Y}: {order.start:%H:%M}–{order.end:%H:%M} "
        f"({order.start.tzinfo}), from {order.schedule}",
        markup=False,
    )
    run: list = []
    for slot in [*order.slots, None]:
        if slot is not None and slot.kind == "bed" and not every_bed:
            run.append(slot)
            continue
        if run:
            length = sum(x.duration_s for x in run)
            out.print(f"{order.clock(run[0].start_s):%H:%M:%S}  {_mmss(length)}  Music beds", markup=False)
            run = []
        if slot is not None:
            out.print(describe(slot, order), markup=False)
    if order.notes:
        _problems("Rules not kept that night, and what was done instead:", order.notes)


@app.command()
def stream(
    station: StationDir = Path("."),
    pretend: Annotated[
        str | None,
        typer.Option(
            "--pretend",
            help="Rehearse: play as if the clock said this time (like 2026-12-24T21:59:30+00:00), at real speed.",
        ),
    ] = None,
    verbose: Verbose = False,
    # For `station run` only: when the --pretend time was taken (epoch seconds), so a rehearsal's clock is
    # right however long this process took to start; and a spare that waits, loaded, for a line on stdin.
    pretend_since: Annotated[float | None, typer.Option("--pretend-since", hidden=True)] = None,
    wait_for_go: Annotated[bool, typer.Option("--wait-for-go", hidden=True)] = False,
) -> None:
    """Play the night on air now (or wait for the next) to Icecast and HLS, until its window ends."""
    import logging
    from datetime import datetime, timedelta

    from station.radio import nights
    from station.radio import schedule as schedule_mod
    from station.radio import stream as stream_mod

    config = _config(station, verbose)
    _logging(config, "stream.log", verbose)
    clock: stream_mod.Clock = stream_mod.SystemClock()
    if pretend:
        try:
            at = datetime.fromisoformat(pretend)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            err.print(f"“{pretend}” is not a date and time with its zone — write it like 2026-12-24T21:59:30+00:00.")
            raise typer.Exit(2)
        if pretend_since is not None:
            import time

            at += timedelta(seconds=time.time() - pretend_since)
        clock = stream_mod.ShiftedClock(at)
    if wait_for_go:  # a spare: everything is loaded; `station run` says when the stream it stands behind died
        import importlib
        import sys

        if config.settings.stream.hls_publish:  # boto3 takes a while to load: loaded before it is needed
            importlib.import_module("station.tools.s3")
        if not sys.stdin.readline():
            raise typer.Exit(0)  # let go: the night ended, or the daemon stopped
        config = _config(station, verbose)  # station.toml as it is now
    schedules = schedule_mod.load(config)
    if any(p.is_error for p in schedules.problems) or not schedules.exists:
        _problems(
            "The schedule needs fixing first (`station schedule check`):",
            schedules.problems or [Problem("scheduler/", "there is no schedule", "add one (docs/schedule.md)")],
        )
        raise typer.Exit(2)
    night = nights.night_of(schedules, clock.now())
    if night is None:
        err.print("No night in the schedule is on air now or starts by tomorrow — check the nights in scheduler/.")
        raise typer.Exit(2)
    try:
        outputs = stream_mod.outputs_for(config)
    except StreamSetupError as exc:
        err.print(f"The stream cannot start: {escape(str(exc))}.")
        raise typer.Exit(2) from None
    player = stream_mod.Player(config, outputs, clock)
    where = " and ".join(o.name for o in outputs)
    out.print(f"Playing the night of {night:%A %-d %B %Y} to {where} — Ctrl-C stops.")
    import signal

    signal.signal(signal.SIGTERM, lambda *a: player.stop())  # a service manager stopping it: end cleanly
    try:
        report = player.play(night)
    except KeyboardInterrupt:
        player.stop()
        out.print("Stopped.")
        raise typer.Exit(130) from None
    logging.getLogger("station").info(
        "played %.0f s; standby took over %d time(s)", report.seconds, len(report.standby)
    )


@app.command("run")
def run_daemon(station: StationDir = Path("."), verbose: Verbose = False) -> None:
    """The station's daemon: build on new recordings, pin each night's running order, play the stream."""
    from station.radio import daemon

    config = _config(station, verbose)
    _logging(config, "station.log", verbose)
    out.print(
        f"Running {config.settings.station.name}: logging to {config.rel(config.state_dir)}/logs/station.log"
        " — Ctrl-C stops."
    )
    daemon.run_forever(config.root)


def _logging(config, name: str, verbose: bool) -> None:
    """Log to the terminal and to .station/logs/<name> (what was done, and why)."""
    import logging

    from station.files import private_log

    handlers = [logging.StreamHandler(sys.stderr), private_log(config.state_dir / "logs" / name)]  # 0600
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        handlers=handlers,
        format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)


def _schedules(config):
    from station.catalog import content as catalog_mod
    from station.radio import library as library_mod
    from station.radio import schedule as schedule_mod

    shows = {s.slug for s in catalog_mod.load(config, settle=False).shows}
    return schedule_mod.load(config, shows), library_mod.load(config)


def _night(night: str | None, schedules):
    from datetime import date, datetime

    from station.radio import nights

    if night is None:
        return nights.night_of(schedules, datetime.now(UTC))
    try:
        return date.fromisoformat(night)
    except ValueError:
        err.print(f"“{night}” is not a date — write the night by the date it starts, like 2026-12-24.")
        raise typer.Exit(2) from None


def _hms(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def _mmss(seconds: float) -> str:
    m, sec = divmod(round(seconds), 60)
    return f"{m:3d}:{sec:02d}"


def _config(station: Path, verbose: bool):
    try:
        return config_mod.load(station)
    except ConfigError as exc:
        _problems("The station's settings need fixing first:", exc.problems)
        _exit(2, exc, verbose)


@app.command()
def serve(
    station: StationDir = Path("."),
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option(help="The address to listen on; the default is this machine only.")
    ] = "127.0.0.1",
) -> None:
    """Preview the built site at http://127.0.0.1:8000/ (seeking in the player works)."""
    from station.web import serve as serve_mod

    config = _config(station, False)
    if not (config.site_dir / "index.html").is_file():
        err.print(f"There is no website in {config.rel(config.site_dir)}/ yet — run `station build` first.")
        raise typer.Exit(1)
    out.print(f"Previewing {config.rel(config.site_dir)}/ at http://{host}:{port}/ — press Ctrl-C to stop.")
    try:
        serve_mod.serve(
            config.site_dir,
            host,
            port,
            listen_url=config.settings.stream.listen_url,
            form_to=config.settings.desk.feedback_url,
        )
    except OSError as exc:
        err.print(f"Cannot listen on {host}:{port} ({exc.strerror}) — try another port with --port.")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        out.print("Stopped.")


i18n_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Translations of the site and the desk: gather the strings, start or update a language, check it.",
)
app.add_typer(i18n_app, name="i18n")
Shipped = Annotated[
    bool,
    typer.Option(
        "--shipped",
        help="Work on the catalogues shipped with Peerwave (station/data/locale/), not the station's own locale/.",
    ),
]


@i18n_app.command("extract")
def i18n_extract(
    station: StationDir = Path("."),
    to: Annotated[
        Path | None,
        typer.Option(
            "--to", help="The folder for messages.pot and desk.pot (default: the station's locale/).", file_okay=False
        ),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Gather every string of the site (messages.pot) and of the desk (desk.pot) for translators."""
    from station import catalogues

    folder = to if to is not None else catalogues.locale_folder(station, shipped=False)
    try:
        written = catalogues.extract(folder)
    except (CatalogueError, OSError) as exc:
        err.print(f"[bold red]Nothing was extracted:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    for domain, path in written.items():
        n = len(catalogues.template(domain))
        out.print(f"{path}: {_plural(n, 'string')} of {catalogues.DOMAIN_WORDS[domain]}.", markup=False)


@i18n_app.command("update")
def i18n_update(
    language: Annotated[str, typer.Argument(help="The language, as in [station] language: pl, cy, pt-BR …")],
    station: StationDir = Path("."),
    shipped: Shipped = False,
    verbose: Verbose = False,
) -> None:
    """Start a language's catalogues, or bring them up to date with the strings as they are now."""
    from station import catalogues

    folder = catalogues.locale_folder(station, shipped)
    try:
        counts = catalogues.update(language, folder)
    except (CatalogueError, OSError) as exc:
        err.print(f"[bold red]Nothing was updated:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    for found in counts:
        out.print(f"{found.path}: {found.words()}", markup=False)
    if not all(found.complete for found in counts):
        out.print(
            "Translate the empty and fuzzy entries in those files, then run `station i18n compile`.", markup=False
        )


@i18n_app.command("compile")
def i18n_compile(
    language: Annotated[str | None, typer.Argument(help="Only this language (default: every one there).")] = None,
    station: StationDir = Path("."),
    shipped: Shipped = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail when a catalogue has strings not translated yet or fuzzy.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Check the catalogues (how many strings are not translated yet, or fuzzy) and write their .mo files."""
    from station import catalogues

    folder = catalogues.locale_folder(station, shipped)
    try:
        counts = catalogues.compile_all(folder, language)
    except (CatalogueError, OSError) as exc:
        err.print(f"[bold red]Nothing was compiled:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    if not counts:
        err.print(f"There are no catalogues in {folder} yet — start one with `station i18n update LANGUAGE`.")
        raise typer.Exit(1)
    for found in counts:
        out.print(found.words(), markup=False)
        for mistake in found.mistakes:
            out.print(f"  {mistake}", markup=False)
    if strict and not all(found.complete for found in counts):
        err.print("Some strings are not translated yet (--strict): they show in English until they are.")
        raise typer.Exit(1)


desk_app = typer.Typer(
    rich_markup_mode=None,
    invoke_without_command=True,
    help="The station desk: the presenters' and coordinators' web app (docs/desk.md).",
)
app.add_typer(desk_app, name="desk")


@desk_app.callback()
def desk(
    ctx: typer.Context,
    station: StationDir = Path("."),
    port: Annotated[int | None, typer.Option(help="The port to listen on ([desk] port, 8470).")] = None,
    host: Annotated[str | None, typer.Option(help="The address to listen on ([desk] host: this machine only).")] = None,
    verbose: Verbose = False,
) -> None:
    """Serve the desk. Make the first account with `station desk add-user NAME --role coordinator`."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = station
        return
    import logging
    import shutil
    import tempfile

    from station.desk.accounts import Accounts, database_path
    from station.desk.server import make_server
    from station.files import private_dir

    config = _config(station, verbose)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("station.desk").setLevel(logging.INFO)
    settings = config.settings.desk
    accounts = Accounts(database_path(config))
    if not accounts.users():
        err.print(
            "There are no desk accounts yet: make one with "
            "`station desk add-user NAME --role coordinator`, then start the desk again."
        )
        raise typer.Exit(1)
    accounts.close()
    # waitress spools request bodies over 1 MB to a temporary file: keep those on the station's disk too,
    # not in a temp folder that may be RAM (this process serves only the desk).
    spool = config.state_dir / "tmp"
    shutil.rmtree(spool, ignore_errors=True)
    private_dir(spool)  # 0700: what is being uploaded is nobody else's to read
    tempfile.tempdir = str(spool)
    try:
        server, _ = make_server(config, host or settings.host, port or settings.port)
    except OSError as exc:
        err.print(
            f"Cannot listen on {host or settings.host}:{port or settings.port} ({exc.strerror}) — "
            "try another port with --port."
        )
        raise typer.Exit(2) from None
    out.print(f"The desk is at http://{host or settings.host}:{server.effective_port}/ — press Ctrl-C to stop.")
    if (host or settings.host) not in ("127.0.0.1", "localhost", "::1"):
        out.print(
            "Its cookies are sent only over HTTPS: put it behind a TLS proxy for anyone not on this machine "
            "(docs/desk.md)."
        )
    try:
        server.run()
    except KeyboardInterrupt:
        out.print("Stopped.")


PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (for scripts) instead of asking."),
]


def _desk_accounts(ctx: typer.Context, station: Path):
    from station.desk.accounts import Accounts, database_path

    # --station may come before the subcommand (with the desk's own options) or after it.
    config = _config(station if station != Path(".") else (ctx.obj or station), False)
    return Accounts(database_path(config))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password (at least 10 characters)", hide_input=True, confirmation_prompt=True)


@desk_app.command("add-user")
def desk_add_user(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="One word, like sam.")],
    role: Annotated[
        str, typer.Option(help="presenter, coordinator or responder (answers asks for one organisation).")
    ] = "presenter",
    presenter_name: Annotated[
        str,
        typer.Option(
            "--presenter-name", help="How they are named in their episodes' sidecars (default: the user name)."
        ),
    ] = "",
    password_stdin: PasswordStdin = False,
    station: StationDir = Path("."),
) -> None:
    """Make a desk account."""

    accounts = _desk_accounts(ctx, station)
    try:
        made = accounts.add(username, _password(password_stdin), role, presenter_name)
    except AccountError as exc:
        err.print(f"No account was made: {exc}.")
        raise typer.Exit(1) from None
    out.print(
        f"Made the {made.role} account {made.username} (named in episodes as {made.presenter_name}).", markup=False
    )


@desk_app.command("users")
def desk_users(ctx: typer.Context, station: StationDir = Path(".")) -> None:
    """List the desk accounts."""
    for u in _desk_accounts(ctx, station).users():
        out.print(f"{u.username}  {u.role}  named in episodes as {u.presenter_name}", markup=False)


@desk_app.command("set-password")
def desk_set_password(
    ctx: typer.Context, username: str, password_stdin: PasswordStdin = False, station: StationDir = Path(".")
) -> None:
    """Give an account a new password (it is signed out everywhere)."""
    accounts, found = _desk_account(ctx, station, username)
    _account_change(
        lambda: accounts.set_password(found.id, _password(password_stdin)),
        "The password was not changed",
        f"{found.username} has a new password.",
    )


@desk_app.command("remove-user")
def desk_remove_user(ctx: typer.Context, username: str, station: StationDir = Path(".")) -> None:
    """Remove a desk account (their episodes stay)."""
    accounts, found = _desk_account(ctx, station, username)
    _account_change(lambda: accounts.remove(found.id), "The account was not removed", f"Removed {found.username}.")


def _desk_account(ctx: typer.Context, station: Path, username: str):
    accounts = _desk_accounts(ctx, station)
    found = accounts.by_name(username)
    if found is None:
        err.print(f"There is no account called {username!r} (`station desk users` lists them).")
        raise typer.Exit(1)
    return accounts, found


def _account_change(change: Callable[[], None], refused: str, done: str) -> None:

    try:
        change()
    except AccountError as exc:
        err.print(f"{refused}: {exc}.")
        raise typer.Exit(1) from None
    out.print(done, markup=False)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def _run(station: Path, verbose: bool, strict: bool, check: bool, scheduler: str | None = None) -> None:
    try:
        config = config_mod.load(station)
        if scheduler is not None:
            config = config_mod.with_compute(config, scheduler=scheduler)
        with _Bars() as events:
            result = pipeline.build(config, check=check, events=events)
    except ConfigError as exc:
        _problems("The station's settings need fixing before anything can be built:", exc.problems)
        _exit(2, exc, verbose)
    except DiskFull as exc:
        _disk_full(config, exc.folder, exc, verbose)
    except StationError as exc:
        err.print(f"[bold red]Stopped:[/] {escape(str(exc))}")
        _exit(2, exc, verbose)
    except OSError as exc:  # a write outside the runner's own (the lock, a folder) on a full disk
        if not disk_full(exc, Path(exc.filename or station).parent):
            raise
        _disk_full(config, Path(exc.filename or station).parent, exc, verbose)
    except KeyboardInterrupt as exc:
        # Safe by construction: outputs are renamed into place only when whole.
        err.print("Stopped. Nothing half-written was left behind; run the same command again to finish.")
        _exit(130, exc, verbose)
    _summary(result, check)
    failed = bool(result.errors) or (strict and bool(result.warnings))
    raise typer.Exit(1 if failed else 0)


def _disk_full(config, folder: Path | str, exc: BaseException, verbose: bool) -> None:
    """The build stopped at the first write that found no room: every write is atomic and nothing is removed
    before the end of a run, so what was published is all still there, each file whole."""
    where = config.rel(Path(folder))
    if not Path(where).is_absolute():
        where = where.split("/")[0]  # site/, .station/, records/: the folder a coordinator knows
    err.print(
        f"[bold red]Stopped:[/] the disk holding {escape(where.rstrip('/'))}/ is full — free some space and "
        "build again; nothing already published was lost or left half-written."
    )
    _exit(2, exc, verbose)


def _exit(code: int, exc: BaseException, verbose: bool) -> None:
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    raise typer.Exit(code)


def _problems(title: str, problems: list[Problem]) -> None:
    err.print(f"[bold]{title}[/]")
    for p in problems:
        label = "[red]problem[/]" if p.is_error else "[yellow]warning[/]"
        err.print(f"  {label} {escape(p.where)}: {escape(p.what)}")
        err.print(f"          [dim]→[/] {escape(p.fix)}")


def _summary(result: pipeline.BuildResult, check: bool) -> None:
    for o in result.episodes:
        mark = {
            "built": "[green]✓ built[/]",
            "unchanged": "[dim]· unchanged[/]",
            "checked": "[green]✓ fine[/]",
            "not public yet": "[cyan]◷ ready, not public yet[/]",
            "held back": "[red]✗ held back[/]",
            "withdrawn": "[dim]⊘ withdrawn[/]",
        }[o.state]
        extra = ""
        if o.audio:
            extra = f" → site/{o.audio}"
        if o.measured and o.state == "built":
            extra += f"  ({o.measured['integrated_lufs']:.1f} LUFS, {o.measured['true_peak_db']:.1f} dBTP)"
        if o.transcript_state == "pending" and o.state != "held back":
            extra += "  [transcript pending]"
        if o.hidden and any(o.hidden):  # counts only: the words themselves are often names
            extra += (
                f"  [hid {sum(o.hidden)} of the words to hide: "
                + ", ".join(f"entry {i} ×{n}" for i, n in enumerate(o.hidden, 1))
                + "]"
            )
        out.print(f"{mark} {o.where}{extra}")
    for where in result.waiting:
        out.print(f"[cyan]◷ waiting[/] {where}: still being copied in; the next build will take it")
    for rel in result.removed:
        out.print(f"[dim]- removed site/{rel}[/]")
    if result.pages:
        out.print(
            f"Website: {result.pages} pages in site/ ({result.work['pages']} written); preview it with `station serve`."
        )
    if result.problems:
        _problems("What needs attention:", result.problems)
    order = ["built", "unchanged", "checked", "not public yet", "withdrawn", "held back"]
    counts = [(state, sum(1 for o in result.episodes if o.state == state)) for state in order]
    parts = ", ".join(f"{n} {state}" for state, n in counts if n) or "nothing to do"
    verb = "Checked" if check else "Built"
    tail = (
        f"; {_plural(len(result.errors), 'problem')}, {_plural(len(result.warnings), 'warning')}"
        if result.problems
        else ""
    )
    if check:
        out.print(
            f"A build would work on the audio of {_plural(result.tasks, 'episode')}: "
            f"{_minutes(result.task_audio_s)} of audio to normalise and transcribe."
            if result.tasks
            else "A build would do no audio work: every episode's audio and transcript is ready."
        )
    elif result.tasks:
        out.print(f"Worked on the audio of {_plural(result.tasks, 'episode')} ({_minutes(result.task_audio_s)}).")
    out.print(f"{verb} {_plural(len(result.episodes), 'episode')}: {parts}{tail}.")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} minutes"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Bars(pipeline.Events):
    """Rich progress bars: one for the episodes, one for the tasks (done, running, waiting, time left), one for
    the audio being worked on in this process."""

    def __enter__(self):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.progress.__enter__()
        self.overall: TaskID | None = None
        self.current: TaskID | None = None
        self.tasks: TaskID | None = None
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def waiting(self, lock: Path) -> None:
        """Another build holds the lock: say so, or a build that seems to hang would be stopped."""
        err.print(
            f"Another build of this station is running: waiting for it to finish ({lock.parent.name}/{lock.name})…",
            markup=False,
        )

    def notice(self, text: str) -> None:
        err.print(text, markup=False)

    def begin(self, total: int) -> None:
        self.overall = self.progress.add_task("episodes", total=total)

    def work(self, state) -> None:  # a compute.pool.WorkState
        text = f"audio work: {len(state.running)} running, {state.waiting} waiting, {state.done} done"
        if self.tasks is None:
            self.tasks = self.progress.add_task(text, total=state.total)
        self.progress.update(self.tasks, description=text, total=state.total, completed=state.done)

    def step(self, where: str, label: str, total_s: float | None) -> Callable[[float], None]:
        if self.current is not None:
            self.progress.remove_task(self.current)
        self.current = self.progress.add_task(f"{label} {where}", total=total_s)
        task = self.current
        return lambda seconds: self.progress.update(task, completed=seconds)

    def done(self, outcome: BuiltEpisode) -> None:
        if self.current is not None:
            self.progress.remove_task(self.current)
            self.current = None
        if self.overall is not None:
            self.progress.advance(self.overall)


def main() -> None:
    app()
