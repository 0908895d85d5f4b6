"""Podcast feeds: `site/feed.xml` for the station and `site/shows/<show>/feed.xml` per show.

Built with feedgen (its podcast extension for the iTunes tags) and our own
extension for the Podcasting 2.0 namespace (station.podcast.namespace), from
the built episodes (BuiltEpisode) like everything else. Deterministic: every date comes from
the content (publish times), never from the clock, so the same catalogue gives
the same bytes and publishing uploads nothing when nothing changed.

Also the check of a feed against Apple Podcasts' published requirements.
"""

from __future__ import annotations

import hashlib
import html
import uuid
from datetime import UTC, datetime
from pathlib import Path

import lxml.etree
from feedgen.feed import FeedGenerator

from station.build.built import BuiltEpisode
from station.catalog.model import CONTENT_NOTES, Episode, Show
from station.config import Config
from station.errors import Problem
from station.podcast.apple_categories import APPLE_CATEGORIES
from station.podcast.namespace import ITUNES_NS, Podcast2, Podcast2Entry
from station.tools.sniff import image_size
from station.web.markup import notes_html

# podcast:guid is a UUIDv5 of the feed URL without scheme and trailing slash, in this namespace (spec 1.0).
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

ARTWORK_PX = (1400, 3000)  # Apple: square, 1400–3000 px, JPEG or PNG
TRANSCRIPT_TYPES = (
    (".vtt", "text/vtt", "captions"),
    (".srt", "application/x-subrip", "captions"),
    (".json", "application/json", None),
)
AUDIO_TYPES = {"audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac", "video/mp4", "video/quicktime"}


def chapters_json(episode: Episode, duration_s: float) -> str:
    """The Podcasting 2.0 JSON chapters file (version 1.2.0)."""
    import json

    chapters = [
        {"startTime": round(c.start, 3), "title": c.title} for c in episode.meta.chapters if c.start < duration_s
    ]
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=1) + "\n"


def artwork_problems(path: Path, where: str) -> list[Problem]:
    found = image_size(path)
    low, high = ARTWORK_PX
    if found is None:
        return [
            Problem(
                where,
                f"the artwork {path.name} is not a JPEG or PNG image",
                "save it as a JPEG or PNG, square, 1400 to 3000 pixels a side (Apple Podcasts' rule)",
            )
        ]
    _, width, height = found
    if width != height or not low <= width <= high:
        return [
            Problem(
                where,
                f"the artwork {path.name} is {width}×{height} pixels; podcast apps need a square "
                f"image of {low} to {high} pixels a side",
                f"make a square version between {low} and {high} pixels (for example 3000×3000)",
            )
        ]
    return []


def artwork_rel(path: Path) -> str:
    """Artwork is published under a name made from its content: it can be cached for ever."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"artwork/{digest}{path.suffix.lower()}"


def guid_for(feed_url: str) -> str:
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(GUID_NAMESPACE, bare))


def description(item: BuiltEpisode, config: Config) -> str:
    """Content notes first, then the show notes, then where to read the transcript."""
    parts = []
    notes = item.episode.meta.content_notes
    if notes:
        lines = "; ".join(CONTENT_NOTES[n] for n in notes)
        support = " ".join(f"{c.name}: {c.number} ({c.hours})." for c in config.settings.crisis_lines)
        parts.append(f"<p><strong>Content notes:</strong> {html.escape(lines)}.</p>")
        if support:
            parts.append(f"<p>If you need to talk to someone: {html.escape(support)}</p>")
    parts.append(notes_html(item.episode.meta.description))
    if item.transcript is not None:
        base = config.settings.station.base_url
        # The page's transcript follows the audio; without a page (podcast-only consent), the text file.
        url = f"{base}{item.page}#transcript" if item.page else base + item.stem + ".txt"
        parts.append(f'<p><a href="{url}">Read the transcript</a></p>')
    return "\n".join(parts)


def render(
    config: Config,
    title: str,
    summary: str,
    feed_rel: str,
    link: str,
    language: str,
    art: str | None,
    category: tuple[str, str | None],
    explicit: bool,
    kind: str,
    items: list[BuiltEpisode],
) -> bytes:
    station = config.settings.station
    base = station.base_url
    feed_url = base + feed_rel
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", Podcast2, Podcast2Entry)
    fg.title(title)
    fg.description(summary)
    fg.link(href=feed_url, rel="self")
    fg.link(href=link, rel="alternate")  # after "self": RSS's <link> is the last one set
    fg.language(language)
    if station.copyright:
        fg.copyright(station.copyright)
    fg.generator("Peerwave")
    items = sorted(items, key=lambda i: (i.published_at, i.guid), reverse=True)
    # The newest publish time, not the clock: the same catalogue gives the same bytes.
    fg.lastBuildDate(items[0].published_at if items else datetime(2000, 1, 1, tzinfo=UTC))
    if art:
        fg.podcast.itunes_image(base + art)
        fg.image(url=base + art, title=title, link=link)
    fg.podcast.itunes_category({"cat": category[0], **({"sub": category[1]} if category[1] else {})})
    fg.podcast.itunes_owner(name=station.name, email=station.contact_email)
    fg.podcast.itunes_author(station.name)
    fg.podcast.itunes_type(kind)
    fg.podcastindex.explicit(explicit)
    fg.podcastindex.podcast_guid(guid_for(feed_url))
    fg.podcastindex.podcast_locked(station.contact_email)
    for fund in station.funding:
        fg.podcastindex.podcast_funding(fund.url, fund.text)
    for item in items:
        meta = item.episode.meta
        fe = fg.add_entry(order="append")
        fe.title(meta.title)
        fe.description(description(item, config))
        fe.enclosure(base + str(item.audio), str(item.size), "audio/mpeg")
        fe.guid(str(item.guid), permalink=False)
        if item.page:
            fe.link(href=base + item.page)
        fe.pubDate(item.published_at.astimezone(UTC))
        fe.podcast.itunes_duration(round(item.duration_s))
        if meta.episode:
            fe.podcast.itunes_episode(meta.episode)
        if meta.season:
            fe.podcast.itunes_season(meta.season)
        # An episode's own flag, else its show's — never the feed's: the station feed mixes shows.
        fe.podcastindex.explicit(meta.explicit if meta.explicit is not None else item.episode.show.meta.explicit)
        lang = meta.language or item.episode.show.meta.language or station.language
        if item.transcript is not None:
            for suffix, mime, rel in TRANSCRIPT_TYPES:
                fe.podcastindex.podcast_transcript(base + item.stem + suffix, mime, lang, rel)
        if item.translation is not None:  # a second transcript, in its own language (English)
            for suffix, mime, rel in TRANSCRIPT_TYPES:
                url = base + item.translation_stem + suffix
                fe.podcastindex.podcast_transcript(url, mime, item.translation.language, rel, translation=True)
        if item.chapters:
            fe.podcastindex.podcast_chapters(base + item.chapters)
        for presenter in meta.presenters:  # credited as their tier allows, never more
            fe.podcastindex.podcast_person(presenter.credit, presenter.role)
    return fg.rss_str(pretty=True)


def station_feed(config: Config, items: list[BuiltEpisode], art: str | None) -> bytes:
    s = config.settings.station
    return render(
        config,
        s.name,
        s.description or s.name,
        "feed.xml",
        s.base_url,
        s.language,
        art,
        ("Health & Fitness", "Mental Health"),
        False,
        "episodic",
        items,
    )


def show_feed(config: Config, show: Show, items: list[BuiltEpisode], art: str | None) -> bytes:
    m, s = show.meta, config.settings.station
    return render(
        config,
        m.title,
        m.description,
        f"shows/{show.slug}/feed.xml",
        f"{s.base_url}shows/{show.slug}/",
        m.language or s.language,
        art,
        (m.category, m.subcategory),
        m.explicit,
        m.type,
        items,
    )


def apple_problems(xml: bytes, where: str) -> list[Problem]:
    """What Apple Podcasts would refuse in this feed, in plain words (podcasters.apple.com requirements)."""
    root = lxml.etree.fromstring(xml)
    channel = root.find("channel")
    problems = []

    def need(ok: bool, what: str, fix: str):
        if not ok:
            problems.append(Problem(where, what, fix))

    it = f"{{{ITUNES_NS}}}"
    need(bool((channel.findtext("title") or "").strip()), "the feed has no title", "give the show a `title`")
    text = channel.findtext("description") or ""
    need(bool(text.strip()), "the feed has no description", "give the show a `description`")
    need(len(text) <= 4000, f"the description is {len(text)} characters; Apple takes at most 4000", "shorten it")
    need(bool(channel.findtext("language")), "the feed has no language", "set `language`")
    image = channel.find(f"{it}image")
    need(
        image is not None and bool(image.get("href")),
        "the feed has no artwork (itunes:image)",
        "set `artwork` in station.toml or show.toml: a square JPEG or PNG of 1400 to 3000 pixels",
    )
    cats = channel.findall(f"{it}category")
    need(bool(cats), "the feed has no Apple Podcasts category", "set `category` in show.toml")
    for cat in cats:
        name = cat.get("text")
        need(
            name in APPLE_CATEGORIES,
            f"“{name}” is not an Apple Podcasts category",
            "use one of Apple's categories (docs/episodes.md: show.toml)",
        )
        for sub in cat.findall(f"{it}category"):
            need(
                sub.get("text") in APPLE_CATEGORIES.get(name, set()),
                f"“{sub.get('text')}” is not an Apple Podcasts subcategory of “{name}”",
                "use one of Apple's",
            )
    need(
        channel.findtext(f"{it}explicit") in ("true", "false"),
        "itunes:explicit must be true or false",
        "set `explicit = true` or `false`",
    )
    need(
        bool(channel.findtext(f"{it}owner/{it}email")),
        "the feed has no owner e-mail (itunes:owner)",
        "set `contact_email` in station.toml",
    )
    for n, item in enumerate(channel.findall("item"), 1):
        label = f"episode {n} (“{item.findtext('title') or ''}”)"
        need(bool((item.findtext("title") or "").strip()), f"{label} has no title", "give it a `title`")
        need(
            len(item.findtext("description") or "") <= 4000,
            f"{label} has a description over 4000 characters",
            "shorten its `description`",
        )
        enclosure = item.find("enclosure")
        need(
            enclosure is not None
            and enclosure.get("type") in AUDIO_TYPES
            and (enclosure.get("length") or "0").isdigit()
            and int(enclosure.get("length") or 0) > 0,
            f"{label} has no playable enclosure",
            "build again; if it stays, report it",
        )
        need(bool(item.findtext("guid")), f"{label} has no guid", "build again; if it stays, report it")
        need(item.findtext("pubDate") is not None, f"{label} has no publication date", "build again")
    return problems
