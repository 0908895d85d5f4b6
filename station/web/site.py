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

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from station.build import code as code_version
from station.build.built import BuiltEpisode
from station.catalog.model import CONTENT_NOTES, Show
from station.catalog.recovery_map import Node, nodes
from station.catalog.recovery_map import plain as plain_line
from station.catalog.resources import Resource, kinds
from station.catalog.transcript import Transcript
from station.config import Config
from station.errors import Problem, TemplateProblem
from station.files import sha256_json
from station.i18n import translations
from station.web import asks as asks_mod
from station.web import landscape_map, systems_map
from station.web.markup import notes_html, plain
from station.web.security import meta_policy

BUILT_IN = Path(__file__).parent / "site_templates"
PARTS = {"hold": "The Hold", "struggle": "The Struggle", "recovery": "The Recovery"}
OTHER_PARTS = {"context": "Around the journey", "capital": "Recovery capital"}


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


def duration_words(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02} min"
    )


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
        asks: list[dict] | None = None,  # involvement.public_asks: what the station asked of services
    ):
        self.config, self.settings = config, config.settings
        self.asks = asks or []
        self.tonight = tonight  # the night-owl stream's running order, as listeners may see it
        self.shows = shows
        self.episodes = sorted(episodes, key=lambda e: (e.published_at, e.slug), reverse=True)
        self.places = sorted(places, key=lambda r: (list(kinds()).index(r.meta.kind), r.meta.name.lower()))
        self.nodes = nodes()
        self.stories = Ground(self.episodes, lambda e: e.episode.meta.topics)
        self.help = Ground(self.places, lambda p: p.meta.topics)
        self.env = _environment(config)
        self.files: dict[str, bytes] = {}
        self.asset_paths = self._assets()

    # ------------------------------------------------------------ the whole site
    def render(self) -> dict[str, bytes]:
        self._page(
            "index.html",
            "index.html",
            latest=self.episodes[: self.settings.site.latest],
            gaps=self._gaps(),
            tonight=self.tonight,
        )
        if self.tonight is not None:
            self._page("tonight/index.html", "tonight.html", tonight=self.tonight)
            self.files["tonight.json"] = json.dumps(
                {
                    "night": self.tonight[0]["night"] if self.tonight else None,
                    "running_order": [{k: v for k, v in item.items() if k != "night"} for item in self.tonight],
                },
                ensure_ascii=False,
                indent=1,
            ).encode("utf-8")
        self._page("shows/index.html", "shows.html")
        for show in self.shows:
            self._page(
                f"shows/{show.slug}/index.html",
                "show.html",
                show=show,
                episodes=[e for e in self.episodes if e.episode.show.slug == show.slug],
            )
        for page in self.episodes:
            self.episode(page)
        self._page(
            "map/index.html",
            "map.html",
            gaps=self._gaps(),
            localities=self._localities(),
            landscape=landscape_map.landscape_svg(
                [(k.id, k.name) for k in kinds().values()], self._spots(), lambda kind: f"?kind={kind}#directory"
            ),
        )
        for place in self.places:
            self._page(
                f"map/{place.slug}/index.html",
                "place.html",
                place=place,
                topics=[self.nodes[t] for t in place.meta.topics],
                episodes=self.stories.on(place.meta.topics),
            )
        self._page("map/pocket-guide/index.html", "pocket-guide.html", by_kind=self._by_kind())
        counts = self._topic_counts()
        self._page(
            "topics/index.html",
            "topics.html",
            counts=counts,
            svg=systems_map.systems_map_svg(lambda node_id: f"{node_id}/", counts),
            groups=self._node_groups(),
        )
        for node in self.nodes.values():
            self._page(
                f"topics/{node.id}/index.html",
                "topic.html",
                node=node,
                episodes=self.stories.on([node.id]),
                places=self.help.on([node.id]),
            )
        self._page("search/index.html", "search.html")
        self.files["search.json"] = self._search_index()
        self._page("404.html", "404.html", depth_override="/")
        asks_mod.render(self, self.asks)
        return self.files

    def episode(self, page: BuiltEpisode) -> None:
        """One episode's page (also rendered on its own first, so one that fails holds back only itself)."""
        meta = page.episode.meta
        self._page(
            f"{page.url}index.html",
            "episode.html",
            page=page,
            meta=meta,
            show=page.episode.show,
            notes_html=notes_html(meta.description),
            content_notes=[CONTENT_NOTES[n] for n in meta.content_notes],
            topics=[self.nodes[t] for t in meta.topics],
            places=self.help.on(meta.topics),
            cues=[(f"{start:.1f}", clock(start), text) for start, _, text in reading_units(page.transcript)]
            if page.transcript
            else [],
        )

    # ------------------------------------------------------------ rendering
    def _page(self, rel: str, template: str, depth_override: str | None = None, **context) -> None:
        root = "../" * rel.count("/") if depth_override is None else depth_override
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
        self.files[rel] = html.encode("utf-8")

    def _common(self, root: str) -> dict:
        s = self.settings
        return {
            "station": s.station,
            "site": s.site,
            "stream": s.stream,
            "csp": meta_policy(s.desk.feedback_url),
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
            "parts": PARTS,
            "url": lambda path="": (root + path) or "./",
            "asset": lambda name: root + self.asset_paths[name],
        }

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
        return landscape_map.gaps([(k.id, k.name) for k in kinds().values()], self._spots())

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
        return [(names[part], [n for n in self.nodes.values() if n.part == part]) for part in names]

    # ------------------------------------------------------------ search
    def _search_index(self) -> bytes:
        """What the search page looks through, in the browser: no server, no query leaves the page.

        Transcripts go in as their distinct words, not their text: a station of a
        thousand half-hour episodes stays a download of a few megabytes.
        """
        docs = []
        for e in self.episodes:
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
            docs.append({"u": e.url, "t": meta.title, "k": "Episode", "s": _snippet(summary), "w": _distinct(words)})
        for p in self.places:
            m = p.meta
            docs.append(
                {
                    "u": f"map/{p.slug}/",
                    "t": m.name,
                    "k": "Help near you",
                    "s": _snippet(f"{p.kind.name}, {m.locality}. {plain(m.summary)}"),
                    "w": _distinct(
                        " ".join(
                            [
                                m.name,
                                m.summary,
                                m.locality,
                                p.kind.name,
                                *m.languages,
                                *(self.nodes[t].name for t in m.topics),
                            ]
                        )
                    ),
                }
            )
        for n in self.nodes.values():
            docs.append(
                {
                    "u": f"topics/{n.id}/",
                    "t": n.name,
                    "k": "Topic",
                    "s": _snippet(plain_line(n)),
                    "w": _distinct(f"{n.name} {n.summary}"),
                }
            )
        return json.dumps({"docs": docs}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render_key(
    config: Config,
    shows: list[Show],
    episodes: list[BuiltEpisode],
    places: list[Resource],
    tonight: list[dict] | None = None,
    asks: list[dict] | None = None,
) -> str:
    """A hash of everything the pages are made from: the same key gives the same files, so a
    rebuild with nothing changed need not render them again."""
    s = config.settings
    code: list[Path] = []
    for folder in _template_dirs(config):
        code += sorted(p for p in folder.rglob("*") if p.is_file())
    return sha256_json(
        [
            s.station.model_dump(mode="json"),
            s.site.model_dump(mode="json"),
            s.stream.model_dump(mode="json"),
            [c.model_dump(mode="json") for c in s.crisis_lines],
            [(sh.slug, sh.meta.model_dump(mode="json")) for sh in shows],
            [
                (
                    e.episode.key,
                    e.episode.show.slug,
                    e.episode.meta.model_dump(mode="json"),
                    e.slug,
                    e.audio,
                    e.size,
                    e.duration_s,
                    e.transcript.to_dict() if e.transcript else None,
                    e.transcript_state,
                    e.chapters,
                )
                for e in episodes
            ],
            [(p.slug, p.meta.model_dump(mode="json")) for p in places],
            tonight,
            [s.desk.feedback_url, asks or []],
            [(str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in code],
            code_version.digest(),  # the code that renders: any change to it makes the pages again
        ]
    )


def _snippet(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _distinct(text: str) -> str:
    seen = dict.fromkeys(w for w in re.findall(r"[\w']+", text.lower()) if len(w) > 1)
    return " ".join(seen)


def _template_dirs(config: Config) -> list[Path]:
    own = config.root / config.settings.site.templates
    dirs = [BUILT_IN.resolve()]
    if own.is_dir() and own.resolve() != BUILT_IN.resolve():
        dirs.insert(0, own)
    return dirs


def _environment(config: Config) -> jinja2.Environment:
    dirs = _template_dirs(config)
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
    # Every label goes through gettext so a station can be read in its own language (station.i18n).
    env.install_gettext_translations(translations(config.settings.station.language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        {
            "clock": clock,
            "duration": duration_words,
            "tel": _tel,
            "day": lambda d: f"{d:%-d %B %Y}",
            "plain_line": plain_line,
            "plain": plain,
            "notes_html": lambda text: Markup(notes_html(text)),
            "hours_json": lambda place: json.dumps(place.intervals, separators=(",", ":")),
            "megabytes": lambda size: f"{size / 1_000_000:.1f} MB",
        }
    )
    env.globals["content_note_label"] = CONTENT_NOTES.get
    return env


def local_today(config: Config, now: datetime) -> date:
    return now.astimezone(ZoneInfo(config.settings.station.timezone)).date()
