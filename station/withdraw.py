"""Withdrawal: a presenter takes an episode back, everywhere, in one step, with no reason asked.

The withdrawal is recorded in the ledger by GUID (no name, no reason), then
the station is built again: a withdrawn episode is left out of every output —
its audio, transcripts and chapters, its page, the feeds, the home, show,
topic and place pages, the search index — and its files in site/ and its
copies in the cache are removed. When publishing is set up, the bucket follows
at once. It stays withdrawn until its sidecar carries a consent record dated
after the withdrawal. The recording itself is left where it is unless the
presenter asks for it to be deleted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import catalog as catalog_mod
from . import nights
from . import pipeline
from . import publish as publish_mod
from .config import Config
from .errors import StationError
from .ledger import Ledger
from .model import Episode
from .stages.transcribe import CORRECTION_SUFFIXES


class NotFound(StationError):
    pass


@dataclass
class Report:
    title: str
    show: str
    slug: str
    guid: str
    recording: str
    files_removed: list[str] = field(default_factory=list)      # site/ files that were its own
    mentions_removed: list[str] = field(default_factory=list)   # site/ files that listed it and no longer do
    copies_removed: list[str] = field(default_factory=list)     # the cache's copies
    bucket_deleted: list[str] = field(default_factory=list)
    bucket_updated: int = 0
    bucket_error: str | None = None
    recording_deleted: list[str] = field(default_factory=list)
    running_orders: list = field(default_factory=list)           # nights of the overnight stream it left
    build: pipeline.BuildResult | None = None


def find(config: Config, ledger: Ledger, wanted: str) -> tuple[Episode, object]:
    """The episode named by its recording's path, its slug, or show/slug."""
    cat = catalog_mod.load(config, settle=False)
    present = {e.key for e in cat.episodes}
    namespace = pipeline.guid_namespace(config)
    wanted_path = (Path.cwd() / wanted).resolve()
    matches, known = [], []
    for episode in cat.episodes:
        identity = pipeline.identity_of(ledger, episode, ledger.sha256(episode.recording), present, namespace)
        names = {config.rel(episode.recording), identity.slug, f"{episode.show.slug}/{identity.slug}"}
        known.append(f"{episode.show.slug}/{identity.slug}")
        if wanted.strip().strip("/") in names or wanted_path == episode.recording.resolve():
            matches.append((episode, identity))
    if len(matches) != 1:
        what = "more than one episode matches" if matches else "no episode matches"
        raise NotFound(f"{what} “{wanted}” — give the recording's path or show/slug; the episodes are: "
                       f"{', '.join(sorted(known)) or 'none'}")
    return matches[0]


def own_files(show: str, slug: str) -> tuple[str, str]:
    """The starts of the site/ paths that are the episode's own: its page folder and its media."""
    return f"shows/{show}/{slug}/", f"media/{show}/{slug}."


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
    try:
        episode, identity = find(config, ledger, wanted)
        report = Report(episode.meta.title, episode.show.slug, identity.slug, identity.guid,
                        config.rel(episode.recording))
        before = mentions(config.site_dir, episode.show.slug, identity.slug, identity.guid)
        ledger.withdraw(identity.guid, now.isoformat())
        copies = ledger.recall(f"copies:{identity.guid}") or []
    finally:
        ledger.close()
    report.build = pipeline.build(config, now=now)
    report.running_orders = nights.forget(config, identity.guid)
    after = mentions(config.site_dir, episode.show.slug, identity.slug, identity.guid)
    if after:  # never expected: say so loudly rather than claim it is gone
        raise StationError(f"the episode is withdrawn, but these files still name it: {', '.join(after)} — "
                           "run `station build -v` and report this")
    own = own_files(episode.show.slug, identity.slug)
    report.files_removed = [rel for rel in before if rel.startswith(own)]
    report.mentions_removed = [rel for rel in before if not rel.startswith(own)]
    for rel in copies:
        path = config.root / rel
        if path.exists():
            path.unlink()
            report.copies_removed.append(rel)
    if config.settings.publish is not None:
        _from_bucket(config, report)
    if delete_recording:
        corrections = [episode.recording.with_name(episode.recording.stem + s) for s in CORRECTION_SUFFIXES]
        for path in [episode.recording, episode.sidecar, *corrections]:
            if path.exists():
                path.unlink()
                report.recording_deleted.append(config.rel(path))
    return report


def _from_bucket(config: Config, report: Report) -> None:
    """Publish at once: the bucket loses the episode and gets the pages and feeds without it."""
    ledger = Ledger(config.state_dir / "state.sqlite")
    try:
        s3, remote = publish_mod.connect(config)
        plan = publish_mod.plan(config, ledger, remote)
        publish_mod.run(config, ledger, plan, s3)
        report.bucket_deleted = plan.deletes
        report.bucket_updated = len(plan.uploads)
    except publish_mod.PublishError as exc:
        report.bucket_error = str(exc)
    finally:
        ledger.close()
