"""What the built episodes are published as: the feeds, the stream library and the website.

Each is made from the catalogue plus the list of BuiltEpisodes and nothing
else, so a withdrawn or held-back episode leaves all of them in the same run.

One bad episode holds back only itself: the feeds and the site are rendered
whole first, and only when one fails (`RenderFailed`) is each episode rendered
on its own to find the ones at fault (`screen`); they are held back and
everything is made again without them. A normal build pays nothing for this.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from station.build import built as states
from station.build import code as code_version
from station.build import pictures as pictures_mod
from station.build.built import BuiltEpisode
from station.build.workshop import Job, Workshop, contents, detail, own_files
from station.catalog import resources as resources_mod
from station.catalog.content import Catalog
from station.errors import EpisodeFailed, Problem, Severity, TemplateProblem
from station.files import sha256_json
from station.involvement import public_asks
from station.podcast import feed
from station.radio import library as library_mod
from station.radio import nights
from station.radio import schedule as schedule_mod
from station.web import site as site_mod

AFTER_FAILURE = (
    "check its sidecar for unusual characters; if it looks right, run `station build -v` and send the "
    "output to whoever looks after the station"
)


UNITS = "site:units"  # the ledger's memo of the website: unit -> [its key, {site path: content key}]
READS = "site:reads"  # and of its templates: [Site._whole, {template: the catalogue-wide names it reads}]


class RenderFailed(Exception):
    """A feed or the website could not be made; nothing of it was written."""


class Outputs:
    def __init__(self, shop: Workshop, cat: Catalog, withdrawn: list[tuple[str, str, str]]):
        self.shop, self.config, self.settings, self.cat = shop, shop.config, shop.settings, cat
        self.withdrawn = withdrawn  # (show, slug, guid) of every episode withdrawn now
        self.job = Job()  # what the outputs published; the episodes' own files are in theirs
        self.problems: list[Problem] = []
        self.pages = 0  # web pages in site/

    def make(self, built: list[BuiltEpisode], final: bool) -> None:
        """Not `final`: a feed or the site that fails raises RenderFailed before writing anything."""
        self.feeds(built, final)
        tonight = self.stream(built)
        self.site(built, tonight, final)

    # ------------------------------------------------------------ one bad episode holds back only itself
    def screen(self, built: list[BuiltEpisode]) -> list[BuiltEpisode]:
        """Each episode's feed item and page rendered on its own, after the whole failed; the ones that cannot
        be rendered come back held back. When every page fails alike, the template is at fault, not the
        episodes: `site` reports it and keeps the pages of the last good build."""
        failed: dict[str, str] = {}
        for b in built:
            if b.in_podcast:
                try:
                    feed.show_feed(self.config, b.episode.show, [b], None)
                except Exception as exc:
                    failed[b.where] = f"the podcast feed ({detail(exc)})"
        on_site = [b for b in built if b.on_site]
        probe = site_mod.Site(self.config, self.cat.shows, on_site, [], None)
        page_failed: dict[str, str] = {}
        for b in on_site:
            try:
                probe.episode(b)
            except TemplateProblem as exc:
                if not exc.whole:
                    page_failed[b.where] = f"its web page ({detail(exc.__cause__ or exc)})"
            except Exception as exc:
                page_failed[b.where] = f"its web page ({detail(exc)})"
        if len(on_site) < 2 or len(page_failed) < len(on_site):
            failed = {**page_failed, **failed}
        return [self._held_back(b, failed[b.where]) if b.where in failed else b for b in built]

    def _held_back(self, b: BuiltEpisode, what: str) -> BuiltEpisode:
        problem = Problem(
            b.where,
            f"this episode could not be put into {what}, so it is held back; every other episode is published",
            AFTER_FAILURE,
        )
        return replace(
            b,
            state=states.HELD_BACK,
            audio=None,
            on_site=False,
            in_podcast=False,
            stream_audio=None,
            files=frozenset(),
            problems=(*b.problems, problem),
        )

    def _safe_to_keep(self, rel: str) -> bool:
        """An output from an earlier build that this run could not make again: kept only while it names no
        withdrawn episode, so a failure never holds a withdrawal back."""
        try:
            text = (self.config.site_dir / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        return not any(g in text or any(o in text for o in own_files(show, slug)) for show, slug, g in self.withdrawn)

    # ------------------------------------------------------------ feeds
    def feeds(self, built: list[BuiltEpisode], final: bool = True) -> None:
        """The station feed and one per show, with their artwork; each checked against Apple's rules."""
        config, station = self.config, self.settings.station
        items = [b for b in built if b.in_podcast]
        station_art = self._artwork(station.artwork and config.root / station.artwork, "station.toml")
        wanted: list[tuple[str, str, Callable[[], bytes]]] = [
            ("feed.xml", "station.toml", lambda: feed.station_feed(config, items, station_art))
        ]
        for show in self.cat.shows:
            where = config.rel(show.folder / "show.toml")
            art = self._artwork(show.path(show.meta.artwork), where) or station_art
            mine = [b for b in items if b.episode.show.slug == show.slug]
            wanted.append(
                (
                    f"shows/{show.slug}/feed.xml",
                    where,
                    partial(feed.show_feed, config, show, mine, art),
                )
            )
        made = []
        for rel, source, render in wanted:
            try:
                made.append((rel, render()))
            except Exception as exc:  # never expected once text is checked at the boundary; one feed only
                if not final:
                    raise RenderFailed from exc
                self.problems.append(
                    Problem(
                        source,
                        f"the feed site/{rel} could not be made ({detail(exc)})",
                        "check this file for unusual characters; if it looks right, run "
                        "`station build -v` and send the output to whoever looks after the "
                        "station",
                    )
                )
                if not self.shop.check and self._safe_to_keep(rel):
                    self.job.files.add(rel)
        for rel, xml in made:
            self.problems += feed.apple_problems(xml, f"site/{rel}")
            if not self.shop.check:
                self.shop.publish(self.job, rel, sha256_json(xml.decode()), contents(xml))

    def _artwork(self, path: Path | str | None, where: str) -> str | None:
        if not path:
            return None
        path = Path(path)
        problems = feed.artwork_problems(path, where)
        self.problems += problems
        if problems:
            return None
        rel = feed.artwork_rel(path)
        if not self.shop.check:
            self.shop.publish(self.job, rel, rel, lambda tmp: shutil.copyfile(path, tmp))
        return rel

    # ------------------------------------------------------------ the overnight stream
    def stream(self, built: list[BuiltEpisode]) -> list[dict[str, Any]] | None:
        """The stream library (episodes cleared for the stream, the schedules' sound prepared) and tonight's
        running order for the website; None when there is no schedule."""
        config, shop = self.config, self.shop
        schedules = schedule_mod.load(config, {s.slug for s in self.cat.shows})
        # A schedule's mistakes never stop episodes or the website; `station schedule check` fails on them.
        self.problems += [replace(p, severity=Severity.WARNING) for p in schedules.problems]
        if not schedules.exists or shop.check:
            return None
        lib = library_mod.Library(sorted(library_mod.tracks_of(self.cat.episodes, built), key=lambda t: t.guid))
        for pattern in sorted(_patterns(schedules)):
            for path in schedule_mod.material_files(config, pattern):
                source = path.relative_to(config.content_dir).as_posix()
                if source in lib.sounds:
                    continue
                where = config.rel(path)
                try:
                    checked = shop.source(self.job, path, where, allow_clipping=True, trim=False)
                    _, audio, measured = shop.normalised(self.job, [checked.source], False, where)
                except EpisodeFailed as failed:
                    self.problems += [replace(p, severity=Severity.WARNING) for p in failed.problems]
                    continue
                lib.sounds[source] = library_mod.Sound(
                    source, config.rel(audio), measured["duration_s"], library_mod.sound_title(source)
                )
        library_mod.save(config, lib)
        night = nights.night_of(schedules, shop.now)
        if night is None:
            return None
        order = nights.running_order(config, night, schedules=schedules, library=lib, now=shop.now)
        if order is None:
            return None
        pages = {b.url for b in built if b.on_site}

        def page_url(slot: Any) -> str | None:
            url = f"shows/{slot.show}/{slot.slug}/"
            return url if slot.guid and url in pages else None

        return [{**item, "night": order.night.isoformat()} for item in order.public(page_url)]

    # ------------------------------------------------------------ the website
    def site(self, built: list[BuiltEpisode], tonight: list[dict[str, Any]] | None, final: bool = True) -> None:
        """Every page, the maps and the search index; a broken resource entry leaves out only itself."""
        config, shop = self.config, self.shop
        today = site_mod.local_today(config, shop.now)
        # Entries parsed by an earlier build are taken from the ledger by their text's hash (YAML parsing was
        # a third of a no-change rebuild).
        places, problems = resources_mod.load(config, today, resources_mod.Memo(shop.ledger, code_version.digest()))
        asks = public_asks(config, today)  # records/involvement.sqlite: the asks and their answers
        self.problems += problems
        if shop.check:
            return
        on_site = [b for b in built if b.on_site]
        pictures, picture_problems = pictures_mod.make_all(shop, self.job, self.cat.shows, on_site)
        self.problems += picture_problems
        before = shop.ledger.recall(UNITS) or {}
        reads = shop.ledger.recall(READS)
        kept: dict[str, dict[str, str]] = {}
        try:
            site = site_mod.Site(
                config,
                self.cat.shows,
                on_site,
                places,
                tonight,
                pictures=pictures,
                asks=asks,
                reads=(reads[0], reads[1]) if reads else None,
                recall=shop.ledger.recall,
            )
            # Each page (and the search index, the night's order, the static files) under a key made from what
            # it shows: a unit whose key made the files that are there is not rendered again. Nothing changed:
            # nothing is rendered; one resource entry changed: only the pages that show it.
            units = site.units()
            for unit, key in units.items():
                last = before.get(unit)
                if last and last[0] == key and all(shop.intact(rel, content) for rel, content in last[1].items()):
                    kept[unit] = last[1]
            rendered = site.render_units(skip=kept) if len(kept) < len(units) else {}
        except Exception as exc:  # a station's own template: the pages already there stay, unless they name
            if not final and not (isinstance(exc, TemplateProblem) and exc.whole):  # a withdrawn one
                raise RenderFailed from exc
            self.problems.append(
                exc.problem
                if isinstance(exc, TemplateProblem)
                else Problem(
                    "the website",
                    f"it could not be rebuilt ({detail(exc)})",
                    "run `station build -v` and send the "
                    "output to whoever looks after the station; the pages from the last good build are still there",
                )
            )
            self.job.files |= {
                rel
                for rel in shop.ledger.outputs()
                if not rel.startswith(("media/", "artwork/")) and not rel.endswith(".xml") and self._safe_to_keep(rel)
            }
            return
        made: dict[str, dict[str, str]] = {}
        with shop.ledger.batch():  # one commit for the site, not one a file
            for unit, files in rendered.items():
                made[unit] = {}
                for rel, data in files.items():
                    made[unit][rel] = sha256_json([rel, hashlib.sha256(data).hexdigest()])
                    shop.publish(self.job, rel, made[unit][rel], contents(data))
            for unit, same in kept.items():
                self.job.files |= set(same)  # nothing it is made from has changed: nor has it
                made[unit] = same
            self.pages = sum(rel.endswith(".html") for done in made.values() for rel in done)
            if rendered or set(before) != set(units):
                shop.ledger.remember(UNITS, "site", {unit: [units[unit], made[unit]] for unit in units})
            for key, doc in site.learned.items():
                shop.ledger.remember(key, "search", doc)
            if list(site.reads()) != reads:
                shop.ledger.remember(READS, "site", list(site.reads()))


def _patterns(schedules: schedule_mod.Schedules) -> set[str]:
    """Every sound file pattern the schedules name."""
    found: set[str] = set()
    for s in schedules.files:
        d = s.data
        found |= {*d.material.idents, *d.material.signposts, *d.material.beds, *(a.file for a in d.announcements)}
        for block in d.blocks:
            found |= {*block.fill.files, *block.standby.files}
    return found
