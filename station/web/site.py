"""The static website: every page, the search index and the assets, as {site path: bytes}.

Rendered with Jinja2 (autoescape on) from the built-in templates, shipped in
the package, and the station's own folder (`[site] templates`), whose files
replace the built-in ones of the same name; `{% extends "default/episode.html" %}`
reaches the built-in one to change a single block.

Every link is relative, so the same files work under any address, prefix or
preview server. No page asks another host for anything: no fonts, scripts or
images from elsewhere, and a Content-Security-Policy without inline scripts.
Pure: the same catalogue and resources give the same bytes; the day matters only to
how resources are loaded (a stale "last checked"), so it is not an input here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from array import array
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import jinja2.meta
from markupsafe import Markup

from station.build import code as code_version
from station.build.built import BuiltEpisode
from station.catalog.model import Episode, Show
from station.catalog.recovery_map import Node, nodes
from station.catalog.recovery_map import plain as plain_line
from station.catalog.resources import DAYS, Kind, Resource, kinds
from station.catalog.transcript import Transcript
from station.config import Config, SiteSettings
from station.errors import Problem, TemplateProblem
from station.files import sha256_json
from station.i18n import catalogue_files, own_locale_dirs, translations
from station.tools.locale import date_text, day_names, number_text
from station.web import asks as asks_mod
from station.web import landscape_map, search_index, systems_map
from station.web.markup import notes_html, plain
from station.web.pictures import Picture
from station.web.security import csp
from station.web.words import ENGLISH, Gettext, Words
from station.web.words import OTHER_PARTS as OTHER_PARTS
from station.web.words import PARTS as PARTS

BUILT_IN = Path(__file__).parent / "site_templates"
# The units a site is rendered in besides its pages (`Site.units`).
TONIGHT, SEARCH, STATIC, ASKS = ":tonight", ":search", ":static", ":asks"
# Names every template may read that stand for the whole catalogue: a page whose templates read one depends on
# every episode and place (`Site._reads_whole_catalogue`).
WHOLE_CATALOGUE = ("episodes", "places")


@dataclass(frozen=True)
class Page:
    """One page to render: its inputs are what its key is made from; `derived` adds the rest of its context,
    computed from those inputs alone, and only when the page is rendered."""

    rel: str
    template: str
    inputs: dict[str, Any]
    derived: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    depth_override: str | None = None


def episode_digest(e: BuiltEpisode) -> str:
    """Everything of a built episode that its page, the lists and the search index are made from."""
    return sha256_json(
        [
            e.episode.key,
            e.episode.show.slug,
            e.episode.meta.model_dump(mode="json"),
            e.slug,
            e.guid,
            e.measured,
            e.audio,
            e.size,
            transcript_digest(e.transcript) if e.transcript else None,
            e.transcript_state,
            transcript_digest(e.translation) if e.translation else None,
            e.chapters,
        ]
    )


def transcript_digest(t: Transcript) -> str:
    """Every field of a transcript, hashed directly: a thousand half-hour transcripts in a tenth of a second."""
    h = hashlib.sha256(json.dumps([t.language, t.source, t.speaker, list(t.notes)]).encode())
    h.update(b"\0" + "\x1f".join(c.text for c in t.cues).encode())
    h.update(b"\0" + array("d", [x for c in t.cues for x in (c.start, c.end)]).tobytes())
    if any(c.words for c in t.cues):
        h.update(json.dumps([[[w.start, w.end, w.text] for w in c.words] for c in t.cues]).encode())
    return h.hexdigest()


def _episode_context(nodes: dict[str, Node], words: Words, inputs: dict[str, Any]) -> dict[str, Any]:
    page: BuiltEpisode = inputs["page"]
    meta = page.episode.meta
    return {
        "meta": meta,
        "show": page.episode.show,
        "notes_html": notes_html(meta.description),
        "content_notes": [words.content_note(n) for n in meta.content_notes],
        "topics": [nodes[t] for t in meta.topics],
        "cues": [(f"{start:.1f}", clock(start), text) for start, _, text in reading_units(page.transcript)]
        if page.transcript
        else [],
        "translated_cues": [(f"{start:.1f}", clock(start), text) for start, _, text in reading_units(page.translation)]
        if page.translation
        else [],
    }


def reading_units(t: Transcript) -> list[tuple[float, float, str]]:
    """The transcript as a page shows it: caption cues joined into sentences of up to about 20 seconds.

    Easier to read than 7-second captions, and fewer elements: an hour of speech
    stays inside the page weight a phone on a poor connection can take.
    """
    units: list[tuple[float, float, str]] = []
    current: list = []
    for cue in t.cues:
        if current:
            pause = cue.start - current[-1].end
            long_enough = current[-1].end - current[0].start >= 8
            sentence_done = current[-1].text.rstrip().endswith((".", "?", "!", "…"))
            if pause > 1.5 or cue.end - current[0].start > 20 or (sentence_done and long_enough):
                units.append((current[0].start, current[-1].end, " ".join(c.text for c in current)))
                current = []
        current.append(cue)
    if current:
        units.append((current[0].start, current[-1].end, " ".join(c.text for c in current)))
    return units


def _inside(node: str) -> list[str]:
    """The nodes that hold this one (rc.social.peer_support is inside rc.social; `rc` itself holds too much)."""
    parts = node.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


class Ground:
    """Which items share ground with a map node: the same node, or one inside the other.

    An index, so a station of a thousand episodes is not compared pair by pair.
    """

    def __init__(self, items: list, topics_of):
        self.items = items
        self.at: dict[str, set[int]] = defaultdict(set)  # items tagged with exactly this node
        self.within: dict[str, set[int]] = defaultdict(set)  # items tagged with it or a node inside it
        for i, item in enumerate(items):
            for topic in topics_of(item):
                self.at[topic].add(i)
                for holder in [topic, *_inside(topic)]:
                    self.within[holder].add(i)

    def on(self, topics: Iterable[str]) -> list:
        """The items on the same ground as any of `topics`, in their own order."""
        found: set[int] = set()
        for topic in topics:
            found |= self.within.get(topic, set())
            for holder in _inside(topic):
                found |= self.at.get(holder, set())
        return [self.items[i] for i in sorted(found)]


def clock(seconds: float) -> str:
    s = int(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02}:{rest % 60:02}" if h else f"{rest // 60}:{rest % 60:02}"


def duration_words(seconds: float, t: Gettext = ENGLISH) -> str:
    """How long, as a listener would say it: "45 seconds", "3 minutes", "1 h 05 min" (in `t`'s language)."""
    if round(seconds) < 60:  # a 45-second episode is not "1 minute"
        whole = max(1, round(seconds))
        return t.ngettext("%(count)s second", "%(count)s seconds", whole) % {"count": whole}
    minutes = round(seconds / 60)
    if minutes < 60:
        return t.ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    return t.gettext("%(hours)s h %(minutes)s min") % {"hours": minutes // 60, "minutes": f"{minutes % 60:02}"}


def _tel(number: str) -> str | None:
    digits = re.sub(r"[^\d+]", "", number)
    return f"tel:{digits}" if re.fullmatch(r"[\d\s+()-]+", number.strip()) and len(digits) >= 3 else None


class Site:
    def __init__(
        self,
        config: Config,
        shows: list[Show],
        episodes: list[BuiltEpisode],
        places: list[Resource],
        tonight: list[dict] | None = None,
        pictures: Mapping[str, Picture] | None = None,
        asks: list[dict] | None = None,  # involvement.public_asks: what the station asked of services
        reads: tuple[str, dict[str, list[str]]] | None = None,  # `Site.reads` of an earlier build, if kept
        recall: Callable[[str], Any] | None = None,  # a search document kept by an earlier build (the ledger's)
    ):
        self.config, self.settings = config, config.settings
        self.pictures = dict(pictures or {})  # made at build time (build/pictures.py), by the image's path
        self.asks = asks or []
        self.tonight = tonight  # the night-owl stream's running order, as listeners may see it
        self.shows = shows
        self.episodes = sorted(episodes, key=lambda e: (e.published_at, e.slug), reverse=True)
        self.places = sorted(places, key=lambda r: (list(kinds()).index(r.meta.kind), r.meta.name.lower()))
        self.nodes = nodes()
        self.stories = Ground(self.episodes, lambda e: e.episode.meta.topics)
        self.help = Ground(self.places, lambda p: p.meta.topics)
        self.language = self.settings.station.language
        self.t = translations(self.language, "messages", own_locale_dirs(config.root))
        self.words = Words(self.t, self.language)
        self.env = _environment(config, self.t, self.words)
        self.files: dict[str, bytes] = {}
        self.asset_paths = self._assets()
        self._digests: dict[int, str] = {}  # id of an episode or place -> its digest, for this render
        self._all: dict[str, str] = {}
        self._wide: dict[str, set[str]] = {}
        self._reads_before = reads
        self._whole_key: str | None = None
        self._recall = recall
        self.learned: dict[str, dict[str, Any]] = {}  # search documents made here, for the caller to keep

    # ------------------------------------------------------------ the whole site
    def pages(self) -> list[Page]:
        """Every page, each with what it is made from (`inputs`, its key) and how the rest of its context follows."""
        gaps = self._gaps()
        out = [
            Page(
                "index.html",
                "index.html",
                {"latest": self.episodes[: self.settings.site.latest], "gaps": gaps, "tonight": self.tonight},
            )
        ]
        if self.tonight is not None:
            out.append(Page("tonight/index.html", "tonight.html", {"tonight": self.tonight}))
        out.append(Page("shows/index.html", "shows.html", {}))
        for show in self.shows:
            mine = [e for e in self.episodes if e.episode.show.slug == show.slug]
            out.append(Page(f"shows/{show.slug}/index.html", "show.html", {"show": show, "episodes": mine}))
        out += [self._episode_page(page) for page in self.episodes]
        landscape = landscape_map.landscape_svg(
            self._kind_names(), self._spots(), lambda kind: f"?kind={kind}#directory", self.t
        )
        out.append(
            Page(
                "map/index.html",
                "map.html",
                {
                    "gaps": gaps,
                    "localities": self._localities(),
                    "overnight_hours": landscape_map.OVERNIGHT_HOURS,
                    "landscape": landscape,
                    "rows": landscape_map.rows(self._kind_names(), self._spots()),
                    "evening_hours": landscape_map.EVENING_HOURS,
                    "gap_word": self.t.gettext("gap"),  # the words the drawing writes on its gaps
                    "none_word": self.t.gettext("none"),
                },
            )
        )
        for place in self.places:
            out.append(
                Page(
                    f"map/{place.slug}/index.html",
                    "place.html",
                    {
                        "place": place,
                        "topics": [self.nodes[t] for t in place.meta.topics],
                        "episodes": self.stories.on(place.meta.topics),
                    },
                )
            )
        out.append(Page("map/pocket-guide/index.html", "pocket-guide.html", {"by_kind": self._by_kind()}))
        counts = self._topic_counts()
        out.append(
            Page(
                "topics/index.html",
                "topics.html",
                {
                    "counts": counts,
                    "svg": systems_map.systems_map_svg(lambda node_id: f"{node_id}/", counts, self.t),
                    "groups": self._node_groups(),
                    "edges": {n: systems_map.edges(n) for n in self.nodes},
                },
            )
        )
        for node in self.nodes.values():
            out.append(
                Page(
                    f"topics/{node.id}/index.html",
                    "topic.html",
                    {
                        "node": node,
                        "episodes": self.stories.on([node.id]),
                        "places": self.help.on([node.id]),
                        "edges": systems_map.edges(node.id),
                        "drawing": systems_map.node_svg(node.id, lambda other: f"../{other}/", self.t),
                    },
                )
            )
        out.append(Page("search/index.html", "search.html", {}))
        out.append(Page("asks/index.html", "asks.html", {"place_names": {p.slug: p.meta.name for p in self.places}}))
        out.append(Page("404.html", "404.html", {}, depth_override="/"))
        return out

    def units(self) -> dict[str, str]:
        """What the site is rendered in, each under a key made from its own inputs: a page (by its path), the
        night's running order, the search index and the static files. The same key gives the same bytes."""
        whole = self._whole()
        if self._reads_before is not None and self._reads_before[0] == whole:
            # The same templates and code as the build that found them: what each template reads is known
            # without parsing them again (a third of the keys' time).
            self._wide = {name: set(wide) for name, wide in self._reads_before[1].items()}
        found = {page.rel: self._key(whole, page) for page in self.pages()}
        if self.tonight is not None:
            found[TONIGHT] = sha256_json([whole, "tonight", self.tonight])
        found[SEARCH] = sha256_json([whole, "search", [self._every(name) for name in WHOLE_CATALOGUE]])
        found[STATIC] = sha256_json([whole, "static", sorted(self.asset_paths.values())])
        found[ASKS] = sha256_json([whole, "asks", self._every("places")])  # the asks themselves are in `whole`
        return found

    def reads(self) -> tuple[str, dict[str, list[str]]]:
        """Which catalogue-wide names each template read by `units` reads, under what every page is made from
        (`_whole`: the templates' own bytes and the code among it): for the next build, as `Site(reads=…)`."""
        return self._whole(), {name: sorted(wide) for name, wide in sorted(self._wide.items())}

    def render(self, skip: Collection[str] = ()) -> dict[str, bytes]:
        """Every file of the site, as {site path: bytes}; the units in `skip` (see `units`) are left out."""
        return {rel: data for unit in self.render_units(skip).values() for rel, data in unit.items()}

    def render_units(self, skip: Collection[str] = ()) -> dict[str, dict[str, bytes]]:
        """The files of each unit not in `skip`, by unit."""
        made: dict[str, dict[str, bytes]] = {}
        for page in self.pages():
            if page.rel not in skip:
                made[page.rel] = {page.rel: self._render(page)}
        if self.tonight is not None and TONIGHT not in skip:
            made[TONIGHT] = {
                "tonight.json": json.dumps(
                    {
                        "night": self.tonight[0]["night"] if self.tonight else None,
                        "running_order": [{k: v for k, v in item.items() if k != "night"} for item in self.tonight],
                    },
                    ensure_ascii=False,
                    indent=1,
                ).encode("utf-8")
            }
        if SEARCH not in skip:
            made[SEARCH] = search_index.files(self._search_docs())
        if STATIC not in skip:
            made[STATIC] = {rel: self.files[rel] for rel in self.asset_paths.values()}
        if ASKS not in skip:
            made[ASKS] = {asks_mod.FEED: asks_mod.feed(self, self.asks, {p.slug: p.meta.name for p in self.places})}
        for unit in made.values():
            self.files.update(unit)
        return made

    def episode(self, page: BuiltEpisode) -> None:
        """One episode's page (also rendered on its own first, so one that fails holds back only itself)."""
        spec = self._episode_page(page)
        self.files[spec.rel] = self._render(spec)

    def _episode_page(self, page: BuiltEpisode) -> Page:
        return Page(
            f"{page.url}index.html",
            "episode.html",
            {"page": page, "places": self.help.on(page.episode.meta.topics)},
            partial(_episode_context, self.nodes, self.words),
        )

    # ------------------------------------------------------------ keys
    def _whole(self) -> str:
        """What every page is made from: the settings, the shows, the templates and the code (made once)."""
        if self._whole_key is None:
            self._whole_key = self._made_whole()
        return self._whole_key

    def _made_whole(self) -> str:
        s = self.config.settings
        templates: list[Path] = []
        for folder in _template_dirs(self.config):
            templates += sorted(p for p in folder.rglob("*") if p.is_file())
        return sha256_json(
            [
                s.station.model_dump(mode="json"),
                s.site.model_dump(mode="json"),
                s.stream.model_dump(mode="json"),
                [c.model_dump(mode="json") for c in s.crisis_lines],
                [(sh.slug, sh.meta.model_dump(mode="json")) for sh in self.shows],
                # The feedback form (every page of a station that has one) and the asks, which a footer, the
                # place and node pages and the pocket guide show: an ask or its answer makes every page again.
                [s.desk.feedback_url, self.asks],
                [(str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in templates],
                # The catalogues the pages' words come from: the shipped one and the station's own.
                [
                    (str(p), hashlib.sha256(p.read_bytes()).hexdigest())
                    for p in catalogue_files(self.language, "messages", own_locale_dirs(self.config.root))
                ],
                code_version.digest(),  # the code that renders: any change to it makes the pages again
                sorted((k, repr(v)) for k, v in self.pictures.items()),  # the images the pages show
            ]
        )

    def _key(self, whole: str, page: Page) -> str:
        wide = self._reads_whole_catalogue(page.template) - set(page.inputs)
        try:
            inputs = self._fingerprint(page.inputs)
        except TypeError:  # something this cannot key (a station's own value): rendered every time
            inputs = secrets.token_hex(16)
        return sha256_json(
            [
                whole,
                page.rel,
                page.template,
                page.depth_override,
                inputs,
                [self._every(name) for name in sorted(wide)],
            ]
        )

    def _every(self, name: str) -> str:
        """The fingerprint of every episode or every place (`WHOLE_CATALOGUE`), made once."""
        if name not in self._all:
            self._all[name] = sha256_json(self._fingerprint(getattr(self, name)))
        return self._all[name]

    def _fingerprint(self, value: Any) -> Any:
        """A JSON-able stand-in for a page's input: an episode or a place by the digest of everything of it."""
        if value is None or isinstance(value, str | int | float | bool):
            return value
        if isinstance(value, BuiltEpisode):
            found = self._digests.get(id(value))
            if found is None:
                found = self._digests[id(value)] = episode_digest(value)
            return found
        if isinstance(value, Resource):
            found = self._digests.get(id(value))
            if found is None:
                found = self._digests[id(value)] = sha256_json(
                    [value.slug, value.meta.model_dump(mode="json"), value.intervals]
                )
            return found
        if isinstance(value, Show):
            return ["show", value.slug]  # every page depends on every show's settings: see `_whole`
        if isinstance(value, Node | Kind):
            return [type(value).__name__, value.id]  # packaged data: in the code's digest
        if isinstance(value, list | tuple):
            return [self._fingerprint(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self._fingerprint(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return [type(value).__name__, self._fingerprint(dataclasses.asdict(value))]
        raise TypeError(f"no fingerprint for {type(value).__name__}")

    def _reads_whole_catalogue(self, template: str) -> set[str]:
        """Which of the catalogue-wide names (every episode, every place) the template or one it builds on reads."""
        if template not in self._wide:
            names: set[str] = set()
            seen: set[str] = set()
            todo: list[str | None] = [template]
            while todo:
                name = todo.pop()
                if name is None:  # a template named at render time: it could read anything
                    names |= set(WHOLE_CATALOGUE)
                    break
                if name in seen:
                    continue
                seen.add(name)
                try:
                    assert self.env.loader is not None
                    tree = self.env.parse(self.env.loader.get_source(self.env, name)[0])
                except jinja2.TemplateError:  # the render says what is wrong with it; until then, assume the most
                    names |= set(WHOLE_CATALOGUE)
                    break
                names |= jinja2.meta.find_undeclared_variables(tree) & set(WHOLE_CATALOGUE)
                todo += list(jinja2.meta.find_referenced_templates(tree))
            self._wide[template] = names
        return self._wide[template]

    # ------------------------------------------------------------ rendering
    def _render(self, page: Page) -> bytes:
        rel, template = page.rel, page.template
        root = "../" * rel.count("/") if page.depth_override is None else page.depth_override
        context = {**page.inputs, **(page.derived(page.inputs) if page.derived else {})}
        try:
            html = self.env.get_template(template).render({**self._common(root), "root": root, **context})
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                Problem(
                    f"{exc.filename or exc.name} line {exc.lineno}",
                    f"this template has a mistake ({exc.message}), so the website was not rebuilt",
                    "fix that line; the pages from the last good build are still there",
                ),
                whole=True,
            ) from exc
        except (jinja2.TemplateError, TypeError, AttributeError, KeyError) as exc:
            raise TemplateProblem(
                Problem(
                    f"the template {template}",
                    f"it could not be filled in for site/{rel} ({exc}), so the website was not rebuilt",
                    "if it is one of the station's own templates, check the names it uses against "
                    "the built-in one; the pages from the last good build are still there",
                )
            ) from exc
        return html.encode("utf-8")

    def _common(self, root: str) -> dict:
        s = self.settings
        return {
            "station": s.station,
            "site": s.site,
            "stream": s.stream,
            "csp": csp(s.stream.listen_url, s.desk.feedback_url, meta=True),
            "next_on_air": self.tonight[0]["start"] if self.tonight else None,
            "feedback_url": s.desk.feedback_url,  # the listener feedback form's address; None: no form
            **asks_mod.context(self.asks),
            "timezone": s.station.timezone,
            "lang": s.station.language,
            "crisis_lines": s.crisis_lines,
            "shows": self.shows,
            "episodes": self.episodes,
            "places": self.places,
            "kinds": kinds(),
            "nodes": self.nodes,
            "parts": {part: self.t.gettext(name) for part, name in PARTS.items()},
            "url": lambda path="": (root + path) or "./",
            "asset": lambda name: root + self.asset_paths[name],
            "artwork": self._artwork,
            "logo": self._picture(s.site.logo),
        }

    # ------------------------------------------------------------ images
    def _picture(self, path: str | Path | None) -> Picture | None:
        return self.pictures.get(self.config.rel(self.config.root / path)) if path else None

    def _artwork(self, show: Show | None = None, episode: Episode | None = None) -> tuple[Picture, str] | None:
        """The picture a page shows and the words read in its place: the episode's own artwork, else its
        show's, else the station's (as the feeds choose), with the alt text of whichever it is."""
        station = self.settings.station
        if episode is not None and episode.meta.artwork:
            found = self._picture(episode.recording.parent / episode.meta.artwork)
            if found:
                return found, episode.meta.artwork_alt or episode.meta.title
        show = show or (episode.show if episode else None)
        if show is not None and show.meta.artwork:
            found = self._picture(show.path(show.meta.artwork))
            if found:
                return found, show.meta.artwork_alt or show.meta.title
        found = self._picture(station.artwork)
        return (found, self.settings.site.artwork_alt or station.name) if found else None

    def _assets(self) -> dict[str, str]:
        """Static files under names made from their content, so they can be cached for ever."""
        found: dict[str, Path] = {}
        for folder in _template_dirs(self.config)[::-1]:  # the station's own replace the built-in
            static = folder / "static"
            if static.is_dir():
                found.update(
                    {p.name: p for p in sorted(static.iterdir()) if p.is_file() and not p.name.startswith(".")}
                )
        paths = {}
        for name, path in sorted(found.items()):
            data = path.read_bytes()
            if name == "site.css":  # the station's own colours ([site] in station.toml), after the defaults
                data += _theme(self.settings.site).encode("utf-8")
            if name == "maps.css":  # the whole web shows one node's links at a time, without a script
                data += systems_map.highlight_css().encode("utf-8")
            stem, _, ext = name.rpartition(".")
            rel = f"static/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{ext}"
            self.files[rel] = data
            paths[name] = rel
        return paths

    # ------------------------------------------------------------ the maps
    def _spots(self) -> list[landscape_map.Spot]:
        return [
            landscape_map.Spot(p.meta.kind, p.meta.locality, p.peer_led, p.evening, p.overnight) for p in self.places
        ]

    def _gaps(self) -> landscape_map.Gaps:
        return landscape_map.gaps(self._kind_names(), self._spots())

    def _kind_names(self) -> list[tuple[str, str]]:
        """Every kind of support, (id, name) in the station's language."""
        return [(k.id, self.words.kind(k.id, k.name)) for k in kinds().values()]

    def _localities(self) -> list[str]:
        return sorted({p.meta.locality for p in self.places})

    def _by_kind(self) -> list[tuple[object, list[Resource]]]:
        grouped = defaultdict(list)
        for place in self.places:
            grouped[place.meta.kind].append(place)
        return [(kind, grouped[kind.id]) for kind in kinds().values() if grouped[kind.id]]

    def _topic_counts(self) -> dict[str, int]:
        return {n: len(self.stories.on([n])) + len(self.help.on([n])) for n in self.nodes}

    def _node_groups(self) -> list[tuple[str, list[Node]]]:
        names = {**PARTS, **OTHER_PARTS}
        return [(self.t.gettext(names[part]), [n for n in self.nodes.values() if n.part == part]) for part in names]

    # ------------------------------------------------------------ search
    def _search_docs(self) -> list[dict[str, Any]]:
        """What the search page looks through, in the browser: no server, no query leaves the page.

        Transcripts go in as their distinct words, not their text, split by their first letters
        (`search_index`): a listener's first search downloads a few hundred kilobytes.
        """
        docs = []
        for e in self.episodes:
            docs.append(
                {
                    "u": e.url,
                    "t": e.episode.meta.title,
                    "k": self.t.gettext("Episode"),
                    **self._search_doc(e, self._episode_words),
                }
            )
        for p in self.places:
            docs.append(
                {
                    "u": f"map/{p.slug}/",
                    "t": p.meta.name,
                    "k": self.t.gettext("Help near you"),
                    **self._search_doc(p, self._place_words),
                }
            )
        for n in self.nodes.values():
            docs.append(
                {
                    "u": f"topics/{n.id}/",
                    "t": n.name,
                    "k": self.t.gettext("Topic"),
                    "s": _snippet(plain_line(n)),
                    "w": f"{n.name} {n.summary}",
                }
            )
        return docs

    def _search_doc(self, value: BuiltEpisode | Resource, make: Callable[[Any], tuple[str, str]]) -> dict[str, Any]:
        """An episode's or a place's snippet ("s") and words: the words as text ("w") to be split, or, where a
        build keeps them (`recall`), split once and kept under the document's digest ("ws"): an edit makes
        only its own document again (markdown and word splitting were most of an edited rebuild's index)."""
        if self._recall is None:
            snippet, words = make(value)
            return {"s": snippet, "w": words}
        key = sha256_json(["search document", self._whole(), self._fingerprint(value)])
        kept = self._recall(key)
        if kept is None:
            snippet, words = make(value)
            kept = self.learned[key] = {"s": snippet, "ws": sorted(search_index.words_of(words))}
        return {"s": kept["s"], "ws": kept["ws"]}

    def _episode_words(self, e: BuiltEpisode) -> tuple[str, str]:
        meta = e.episode.meta
        summary = plain(meta.description)
        words = " ".join(
            [
                meta.title,
                summary,
                " ".join(e.episode.credits),
                " ".join(self.nodes[t].name for t in meta.topics),
                e.episode.show.meta.title,
                e.transcript.text if e.transcript else "",
            ]
        )
        return _snippet(summary), words

    def _place_words(self, p: Resource) -> tuple[str, str]:
        m = p.meta
        words = " ".join(
            [
                m.name,
                m.summary,
                m.locality,
                p.kind.name,
                self.words.kind(p.kind.id, p.kind.name),
                *m.languages,
                *(self.nodes[t].name for t in m.topics),
            ]
        )
        return _snippet(f"{self.words.kind(p.kind.id, p.kind.name)}, {m.locality}. {plain(m.summary)}"), words


def render_key(
    config: Config,
    shows: list[Show],
    episodes: list[BuiltEpisode],
    places: list[Resource],
    tonight: list[dict] | None = None,
    asks: list[dict] | None = None,
) -> str:
    """A hash of everything the pages are made from (every unit's key, `Site.units`): the same key gives the
    same files, so a rebuild with nothing changed need not render them again."""
    return sha256_json(sorted(Site(config, shows, episodes, places, tonight, asks=asks).units().items()))


def _theme(site: SiteSettings) -> str:
    """The station's colours as the stylesheet's variables (their contrast is checked by config.load)."""
    return (
        f"\n:root {{ --ink: {site.ink}; --paper: {site.paper}; --accent: {site.accent}; "
        f"--accent-ink: {site.accent_ink}; }}\n"
    )


def _snippet(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _template_dirs(config: Config) -> list[Path]:
    own = config.root / config.settings.site.templates
    dirs = [BUILT_IN.resolve()]
    if own.is_dir() and own.resolve() != BUILT_IN.resolve():
        dirs.insert(0, own)
    return dirs


def _environment(config: Config, t: Gettext = ENGLISH, words: Words | None = None) -> jinja2.Environment:
    dirs = _template_dirs(config)
    language = config.settings.station.language
    words = words or Words(t, language)
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(BUILT_IN))}),
            jinja2.FileSystemLoader([str(d) for d in dirs]),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Every label goes through gettext so a station can be read in its own language (station.i18n); a
    # {% trans %} block's lines are joined as one sentence, as `station i18n extract` writes them.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(t, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        {
            "clock": clock,
            "duration": lambda seconds: duration_words(seconds, t),
            "tel": _tel,
            "day": lambda d: date_text(_as_date(d), language),
            "number": lambda n: number_text(n, language),
            "plain_line": plain_line,
            "plain": plain,
            "notes_html": lambda text: Markup(notes_html(text)),
            "hours_json": lambda place: json.dumps(place.intervals, separators=(",", ":")),
            "hours_words": lambda place: hours_words(place, t, language),
            "megabytes": lambda size: t.gettext("%(size)s MB") % {"size": number_text(size / 1_000_000, language, 1)},
            "names": lambda people: _names(people, t),
            "access_word": words.access,
            "note_words": words.content_note_label,
        }
    )
    env.globals.update(
        {
            "content_note_label": words.content_note,
            "kind_name": lambda kind: words.kind(kind.id, kind.name),
            "answer_label": words.answer,
            "source_words": words.source,
            "cost_word": words.cost,
            "check_words": lambda place: words.check(place.meta.check) if place.meta.check else "",
            "lang_attr": lambda code: _lang_attr(code, language),
            "link_sentence": lambda edge, to: _link_sentence(edge, to, t),
            "basis_words": lambda edge: t.gettext(edge.basis_words),
        }
    )
    return env


def _as_date(value: date | str) -> date:
    """A date, or one written as ISO text (the asks' dates come from the records that way)."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _names(people: list[str], t: Gettext) -> str:
    """ "Sam", "Sam and Jo", "Sam, Jo and Al": the last two joined by the language's "and"."""
    if len(people) < 2:
        return "".join(people)
    return t.gettext("%(names)s and %(last)s") % {"names": ", ".join(people[:-1]), "last": people[-1]}


def _lang_attr(code: str | None, language: str) -> Markup:
    """` lang="pl"` for words in another language than the page's, nothing for the page's own."""
    if not code or code.split("-")[0].lower() == language.split("-")[0].lower():
        return Markup("")
    return Markup(' lang="{}"').format(code)


def _link_sentence(edge: systems_map.Edge, to: str, t: Gettext) -> Markup:
    """One of a node's links in words, the other node's name a link: "<a>The Buzz</a> weakens it", "feeds <a>…</a>"."""
    other = Markup('<a href="{}{}/">{}</a>').format(to, edge.other.id, edge.other.name)
    if edge.incoming:
        return Markup(t.gettext("%(other)s %(verb_it)s")) % {"other": other, "verb_it": edge.words(t)}
    verb = t.gettext(systems_map.EFFECT_WORDS.get(edge.link.effect, edge.verb))
    return Markup(t.gettext("%(verb)s %(other)s")) % {"verb": verb, "other": other}


def hours_words(place: Resource, t: Gettext = ENGLISH, language: str = "en-GB") -> list[str]:
    """A place's opening hours in words, a line per group of days, day names in the station's language."""
    if isinstance(place.meta.hours, str):  # "always", the one word it may be
        return [t.gettext("Open 24 hours, every day")]
    names = day_names(language)
    lines = []
    for opening in place.meta.hours:
        idx = sorted(DAYS.index(d) for d in set(opening.days))
        if len(idx) == 7:
            days = t.gettext("Every day")
        elif len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
            days = t.gettext("%(first)s to %(last)s") % {"first": names[idx[0]], "last": names[idx[-1]]}
        else:
            days = ", ".join(names[i] for i in idx)
        lines.append(f"{days[:1].upper()}{days[1:]}: {opening.open}–{opening.close}")
    return lines


def local_today(config: Config, now: datetime) -> date:
    return now.astimezone(ZoneInfo(config.settings.station.timezone)).date()
