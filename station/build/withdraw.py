"""Withdrawal: a presenter takes an episode back, everywhere, in one step, with no reason asked.

In this order, so that nothing later can hold it back:
1. the withdrawal is recorded in the station's records (records/withdrawals.json: GUID and time, no name,
   no reason), which outlive the cache and travel with the station; from then on every build, the
   overnight stream and the desk treat the episode as withdrawn;
2. its own files leave site/ and its copies leave the cache, and the night's running orders forget it;
3. when publishing is set up, its own files leave the bucket;
4. the station is built again, so every page, feed and index that listed it is made without it (one
   broken episode elsewhere holds back only itself), and the bucket gets those pages and feeds.
The report says truthfully what happened at each step. It stays withdrawn until its sidecar carries a
consent record dated after the withdrawal. The recording itself is left where it is unless the presenter
asks for it to be deleted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from station.build import runner as pipeline
from station.build.identity import guid_namespace, identity_of
from station.build.ledger import Ledger
from station.build.stages.transcribe import CORRECTION_SUFFIXES
from station.build.workshop import own_files, remove_own_files
from station.catalog import content as catalog_mod
from station.catalog.model import Episode
from station.config import Config
from station.errors import NotFound, PublishError, StationError
from station.radio import nights
from station.records import Identity, Records
from station.web import publish as publish_mod


@dataclass
class Report:
    title: str
    show: str
    slug: str
    guid: str
    recording: str
    files_removed: list[str] = field(default_factory=list)  # site/ files that were its own
    mentions_removed: list[str] = field(default_factory=list)  # site/ files that listed it and no longer do
    still_named: list[str] = field(default_factory=list)  # site/ files that still name it (never expected)
    copies_removed: list[str] = field(default_factory=list)  # the cache's copies
    bucket_deleted: list[str] = field(default_factory=list)
    bucket_updated: int = 0
    bucket_error: str | None = None
    build_error: str | None = None  # the build after it could not run at all
    recording_deleted: list[str] = field(default_factory=list)
    running_orders: list = field(default_factory=list)  # nights of the overnight stream it left
    build: pipeline.BuildResult | None = None

    @property
    def complete(self) -> bool:
        """Gone from every place this station controls: site/, the cache, the stream and the bucket."""
        return not (self.still_named or self.bucket_error or self.build_error)


def find(config: Config, ledger: Ledger, records: Records, wanted: str) -> tuple[Episode, Identity]:
    """The episode named by its recording's path, its slug, or show/slug."""
    cat = catalog_mod.load(config, settle=False)
    present = {e.key for e in cat.episodes}
    namespace = guid_namespace(config)
    wanted_path = (Path.cwd() / wanted).resolve()
    matches, known = [], []
    for episode in cat.episodes:
        identity = identity_of(records, episode, ledger.sha256(episode.recording), present, namespace)
        names = {config.rel(episode.recording), identity.slug, f"{episode.show.slug}/{identity.slug}"}
        known.append(f"{episode.show.slug}/{identity.slug}")
        if wanted.strip().strip("/") in names or wanted_path == episode.recording.resolve():
            matches.append((episode, identity))
    if len(matches) != 1:
        what = "more than one episode matches" if matches else "no episode matches"
        raise NotFound(
            f"{what} “{wanted}” — give the recording's path or show/slug; the episodes are: "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    return matches[0]


def mentions(site: Path, show: str, slug: str, guid: str) -> list[str]:
    """Every file in site/ that is the episode's own or names it."""
    own = own_files(show, slug)
    found = []
    for path in sorted(site.rglob("*")) if site.is_dir() else []:
        if not path.is_file():
            continue
        rel = path.relative_to(site).as_posix()
        if rel.startswith(own):
            found.append(rel)
        elif path.suffix in (".html", ".xml", ".json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if any(o in text for o in own) or guid in text:
                found.append(rel)
    return found


def withdraw(config: Config, wanted: str, now: datetime, delete_recording: bool = False) -> Report:
    ledger = Ledger(config.state_dir / "state.sqlite")
    records = Records.of(config)
    try:
        episode, identity = find(config, ledger, records, wanted)
        show, slug, guid = episode.show.slug, identity.slug, identity.guid
        report = Report(episode.meta.title, show, slug, guid, config.rel(episode.recording))
        before = mentions(config.site_dir, show, slug, guid)
        records.withdraw(guid, now.isoformat())
        remove_own_files(config.site_dir, ledger, show, slug)
        for rel in ledger.recall(f"copies:{guid}") or []:
            path = config.root / rel
            if path.exists():
                path.unlink()
                report.copies_removed.append(rel)
    finally:
        ledger.close()
    report.running_orders = nights.forget(config, guid)
    if config.settings.publish is not None:
        _own_from_bucket(config, report)
    try:
        report.build = pipeline.build(config, now=now)
    except StationError as exc:  # e.g. a broken station.toml: what is above has happened all the same
        report.build_error = str(exc)
    after = mentions(config.site_dir, show, slug, guid)
    own = own_files(show, slug)
    report.files_removed = [rel for rel in before if rel.startswith(own)]
    report.mentions_removed = [rel for rel in before if not rel.startswith(own) and rel not in after]
    report.still_named = after
    if config.settings.publish is not None and report.bucket_error is None and report.build_error is None:
        _from_bucket(config, report)
    if delete_recording:
        corrections = [episode.recording.with_name(episode.recording.stem + s) for s in CORRECTION_SUFFIXES]
        for path in [episode.recording, episode.sidecar, *corrections]:
            if path.exists():
                path.unlink()
                report.recording_deleted.append(config.rel(path))
    return report


def _own_from_bucket(config: Config, report: Report) -> None:
    """Before any build: the episode's own files leave the bucket (feeds and pages follow after the build)."""
    ledger = Ledger(config.state_dir / "state.sqlite")
    try:
        s3, remote = publish_mod.connect(config)
        prefix = publish_mod.settings_of(config).prefix
        own = tuple(prefix + o for o in own_files(report.show, report.slug))
        plan = publish_mod.Plan(deletes=sorted(k for k in remote if k.startswith(own)))
        publish_mod.run(config, ledger, plan, s3)
        report.bucket_deleted = plan.deletes
    except PublishError as exc:
        report.bucket_error = str(exc)
    finally:
        ledger.close()


def _from_bucket(config: Config, report: Report) -> None:
    """Publish at once: the bucket loses the episode and gets the pages and feeds without it."""
    ledger = Ledger(config.state_dir / "state.sqlite")
    try:
        s3, remote = publish_mod.connect(config)
        plan = publish_mod.plan(config, ledger, remote)
        publish_mod.run(config, ledger, plan, s3)
        report.bucket_deleted += plan.deletes
        report.bucket_updated = len(plan.uploads)
    except PublishError as exc:
        report.bucket_error = str(exc)
    finally:
        ledger.close()
