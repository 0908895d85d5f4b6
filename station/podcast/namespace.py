"""Our feedgen extension: the Podcasting 2.0 namespace, and Apple's true/false explicit.

The only module that writes `podcast:` tags. Registered on a FeedGenerator as
`fg.register_extension("podcastindex", Podcast2, Podcast2Entry)`.

Two namespace URIs, on purpose:
- `https://podcastindex.org/namespace/1.0`, the one the namespace's spec
  names, carries every tag (prefix `podcast`);
- podcastparser (gPodder's parser, and what builds on it) still knows only the
  original GitHub URI. It reads `podcast:transcript`, `podcast:chapters`,
  `podcast:person`, `podcast:funding` and `podcast:locked` only under that URI,
  so those few are mirrored under it too (prefix `podcastgh`; of the
  transcripts only the WebVTT one, since podcastparser keeps just one). Clients that know
  the current URI ignore the mirror as an unknown namespace; the duplicates are
  only seen by a client that treats both URIs as one, which then sees each link
  twice — the same link, so nothing is lost. tests/test_feeds.py shows what
  feedparser and podcastparser read.

feedgen's own podcast extension writes `itunes:explicit` only as yes/no/clean;
Apple asks for `true`/`false`, so we write it here.
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.etree  # imported before feedgen.util, which uses lxml.etree without importing it
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
LEGACY_NS = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
MIRRORED = {"transcript", "chapters", "person", "funding", "locked"}


@dataclass(frozen=True)
class Tag:
    name: str
    text: str | None
    attrs: tuple[tuple[str, str], ...]
    mirror: bool = True  # also under the legacy URI, when the tag is one podcastparser reads


def _write(parent: lxml.etree._Element, tags: list[Tag]) -> None:
    for tag in tags:
        for ns in (PODCAST_NS, LEGACY_NS) if tag.name in MIRRORED and tag.mirror else (PODCAST_NS,):
            el = xml_elem(f"{{{ns}}}{tag.name}", parent)
            for key, value in tag.attrs:
                el.set(key, value)
            if tag.text is not None:
                el.text = tag.text


def _explicit(parent: lxml.etree._Element, explicit: bool | None) -> None:
    if explicit is not None:
        xml_elem(f"{{{ITUNES_NS}}}explicit", parent).text = "true" if explicit else "false"


class Podcast2(BaseExtension):
    def __init__(self) -> None:
        self.tags: list[Tag] = []
        self.explicit_flag: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS, "podcastgh": LEGACY_NS}

    def extend_rss(self, rss_feed: lxml.etree._Element) -> lxml.etree._Element:
        channel = rss_feed[0]
        _write(channel, self.tags)
        _explicit(channel, self.explicit_flag)
        return rss_feed

    def podcast_guid(self, guid: str) -> None:
        self.tags.append(Tag("guid", guid, ()))

    def podcast_locked(self, owner_email: str) -> None:
        self.tags.append(Tag("locked", "yes", (("owner", owner_email),)))

    def podcast_funding(self, url: str, text: str) -> None:
        self.tags.append(Tag("funding", text, (("url", url),)))

    def explicit(self, value: bool) -> None:
        self.explicit_flag = value


class Podcast2Entry(BaseEntryExtension):
    def __init__(self) -> None:
        self.tags: list[Tag] = []
        self.explicit_flag: bool | None = None

    def extend_rss(self, item: lxml.etree._Element) -> lxml.etree._Element:
        _write(item, self.tags)
        _explicit(item, self.explicit_flag)
        return item

    def podcast_transcript(
        self, url: str, mime: str, language: str, rel: str | None = None, translation: bool = False
    ) -> None:
        attrs = (("url", url), ("type", mime), ("language", language)) + ((("rel", rel),) if rel else ())
        # podcastparser keeps one transcript, the last it reads: mirror only the WebVTT captions in the
        # episode's own language, never a translation's.
        self.tags.append(Tag("transcript", None, attrs, mirror=mime == "text/vtt" and not translation))

    def podcast_chapters(self, url: str) -> None:
        self.tags.append(Tag("chapters", None, (("url", url), ("type", "application/json+chapters"))))

    def podcast_person(self, name: str, role: str) -> None:
        self.tags.append(Tag("person", name, (("role", role),)))

    def explicit(self, value: bool) -> None:
        self.explicit_flag = value
