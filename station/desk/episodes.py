"""Each recording as its presenter sees it on the desk: its state in plain words and what to do.

The state comes from the files in content/ and what the last build said about
them (the build report, station/build/report.py): nothing here builds or changes anything.

    waiting           dropped in (or changed) after the last build; the next build takes it
    being processed   changed since the last build, and a build is running now
    needs attention   the last build held it back; the problems say what to do
    ready             built, and not public yet (its publish time has not come, or it is for the stream only)
    published         in the feeds or on the site
    withdrawn         taken back by its presenter
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from station.build import report as report_mod
from station.build import runner as pipeline
from station.build import transcripts
from station.build.stages.transcribe import CORRECTION_SUFFIXES
from station.catalog import content as catalog_mod
from station.catalog.transcript import Transcript
from station.config import Config
from station.desk.i18n import N_, _
from station.errors import Problem
from station.records import Records, place_hash
from station.tools import yaml_file

STATES = {
    "waiting": N_("Waiting for the next build"),
    "processing": N_("Being processed now"),
    "attention": N_("Needs your attention"),
    "ready": N_("Ready, not public yet"),
    "published": N_("Published"),
    "withdrawn": N_("Withdrawn"),
}


@dataclass
class EpisodeView:
    id: str  # opaque: the hash of the recording's path, for web addresses
    recording: str  # relative to the station root
    show: str
    show_title: str
    title: str
    state: str  # a key of STATES
    todo: list[Problem] = field(default_factory=list)  # errors: what holds it back
    notes: list[Problem] = field(default_factory=list)  # warnings: worth a look
    slug: str | None = None
    guid: str | None = None
    audio: str | None = None  # site-relative published MP3
    scope: list[str] = field(default_factory=list)
    published_at: str | None = None
    owner: int | None = None

    @property
    def state_words(self) -> str:
        return _(STATES[self.state])  # in the request's language

    @property
    def page(self) -> str | None:
        return (
            f"shows/{self.show}/{self.slug}/"
            if self.slug and self.state == "published" and "site" in self.scope
            else None
        )


def episode_id(recording: str) -> str:
    return hashlib.sha256(recording.encode()).hexdigest()[:20]


def view_of(config: Config, owners: dict[str, int], eid: str) -> EpisodeView | None:
    """One episode's view, found by the hash of its path before any sidecar is read."""
    return next(iter(all_views(config, owners, only=eid)), None)


def all_views(config: Config, owners: dict[str, int], only: str | None = None) -> list[EpisodeView]:
    """Every recording in the shows as its presenter sees it (`only`: just the one with that id)."""
    report = report_mod.read(config)
    built_at = report.written_at if report else 0.0
    problems = list(report.problems) if report else []
    running = pipeline.building(config)
    # A withdrawal is true from the moment it is recorded, whatever the last build managed.
    records = Records.of(config, read_only=True)
    views = []
    for show in catalog_mod.shows(config):
        for path in catalog_mod.recordings(config, show):
            rel = config.rel(path)
            if only is not None and episode_id(rel) != only:
                continue
            meta = _sidecar(path.with_suffix(".yaml"))
            consent = meta.get("consent")
            consent = consent if isinstance(consent, dict) else {}
            scope = consent.get("scope")
            scope = scope if isinstance(scope, list) else []
            view = EpisodeView(
                episode_id(rel),
                rel,
                show.slug,
                show.meta.title,
                str(meta.get("title") or path.stem)[:300],
                "waiting",
                owner=owners.get(rel),
                scope=[str(s) for s in scope],
                published_at=str(meta["published_at"]) if meta.get("published_at") else None,
            )
            stem = rel[: -len(path.suffix)] + "."
            mine = [p for p in problems if p.where.startswith(stem)]
            outcome = report.line(rel) if report else None
            changed = built_at < max((f.stat().st_mtime for f in _inputs(path) if f.exists()), default=0)
            if outcome:
                view.slug, view.guid, view.audio = outcome.slug, outcome.guid, outcome.audio
            known = records.identities.get(place_hash(f"{show.slug}/{path.name}"))
            if known:
                view.slug, view.guid = known["slug"], known["guid"]
            if view.guid and records.withdrawn(view.guid):
                view.state, view.audio = "withdrawn", None
            elif changed or (outcome is None and not mine):
                view.state = "processing" if running else "waiting"
            elif outcome and outcome.state == "withdrawn":
                view.state = "withdrawn"
            elif any(p.is_error for p in mine) or outcome is None or outcome.state == "held back":
                view.state = "attention"
                view.todo = [p for p in mine if p.is_error]
            elif outcome.state == "not public yet":
                view.state = "ready"
            else:
                view.state = "published"
            if view.state != "waiting" and view.state != "processing":
                view.notes = [p for p in mine if not p.is_error]
            views.append(view)
    return views


def transcript_of(config: Config, view: EpisodeView) -> Transcript | None:
    """The episode's transcript as last published: one small file read, found by the episode's GUID."""
    record = transcripts.record(config, view.guid) if view.guid else None
    if not record or record.get("recording") != view.recording or not record.get("transcript"):
        return None
    return Transcript.from_dict(record["transcript"])


def correction_path(config: Config, recording: str) -> Path:
    """Where a desk correction goes: plain text beside the recording (timed by the build)."""
    path = config.root / recording
    return path.with_name(path.stem + ".transcript.txt")


def _inputs(recording: Path) -> list[Path]:
    return [
        recording,
        recording.with_suffix(".yaml"),
        *(recording.with_name(recording.stem + s) for s in CORRECTION_SUFFIXES),
    ]


def sidecar_of(recording: Path) -> dict:
    return _sidecar(recording.with_suffix(".yaml"))


def _sidecar(path: Path) -> dict:
    """What a sidecar says, read as the build reads it (bounded: no file can make the desk grow or hang);
    one that cannot be used shows the recording's name instead (the build says what is wrong)."""
    if not path.is_file():
        return {}
    data, _found, _problems = yaml_file.read(path, path.name, "docs/episodes.md")
    return data if isinstance(data, dict) else {}
