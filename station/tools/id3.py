# mypy: disable-error-code="no-untyped-call"
# (mutagen's frame classes have no annotations; this module is the only one that calls them.)
"""The only module that imports mutagen: ID3v2.4 tags on published MP3s.

Tags are written from the catalogue alone. The render never copies a source
file's tags (ffmpeg runs with -map_metadata -1), so no device name, location
or original file name can pass through to a published file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TCON, TCOP, TDRC, TIT2, TLAN, TPE1, TPUB, WOAS, CTOCFlags


@dataclass(frozen=True)
class ChapterMark:
    start_ms: int
    end_ms: int
    title: str


@dataclass(frozen=True)
class TagSet:
    title: str
    show: str
    artists: tuple[str, ...]  # credits as each presenter's tier allows
    publisher: str
    date: str  # ISO date
    language: str  # ISO 639-2, e.g. "eng"
    copyright: str | None = None
    page_url: str | None = None
    artwork: bytes | None = None  # JPEG
    chapters: tuple[ChapterMark, ...] = ()
    content_notes: str | None = None


def write(path: Path, tags: TagSet) -> None:
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TALB(encoding=3, text=tags.show))
    if tags.artists:
        id3.add(TPE1(encoding=3, text=list(tags.artists)))
    id3.add(TPUB(encoding=3, text=tags.publisher))
    id3.add(TDRC(encoding=3, text=tags.date))
    id3.add(TCON(encoding=3, text="Podcast"))
    id3.add(TLAN(encoding=3, text=tags.language))
    if tags.copyright:
        id3.add(TCOP(encoding=3, text=tags.copyright))
    if tags.page_url:
        id3.add(WOAS(url=tags.page_url))
    if tags.content_notes:
        id3.add(COMM(encoding=3, lang=tags.language, desc="Content notes", text=tags.content_notes))
    if tags.artwork:
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=tags.artwork))
    if tags.chapters:
        ids = [f"chp{i}" for i in range(len(tags.chapters))]
        id3.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text="Chapters")],
            )
        )
        for cid, ch in zip(ids, tags.chapters, strict=True):
            id3.add(
                CHAP(
                    element_id=cid,
                    start_time=ch.start_ms,
                    end_time=ch.end_ms,
                    sub_frames=[TIT2(encoding=3, text=ch.title)],
                )
            )
    # Fixed padding keeps the bytes the same build after build.
    id3.save(path, v2_version=4, padding=lambda info: 1024)
