"""Tag: the published MP3 = the normalised audio + ID3v2.4 tags from the catalogue.

Credits are taken from `Presenter.credit`, so a tag never says more than the
presenter's tier allows. Tagging copies the cached audio; a title edit re-tags
without touching the audio.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from station.catalog.model import CONTENT_NOTES, Episode
from station.config import Config
from station.files import sha256_json
from station.tools import id3

VERSION = 1

# ISO 639-1 → 639-2 for TLAN; languages not listed fall back to "und" (undetermined).
LANGUAGES = {
    "en": "eng",
    "cy": "cym",
    "gd": "gla",
    "ga": "gle",
    "pl": "pol",
    "ur": "urd",
    "pa": "pan",
    "bn": "ben",
    "ar": "ara",
    "so": "som",
    "ro": "ron",
    "pt": "por",
    "es": "spa",
    "fr": "fra",
    "de": "deu",
    "it": "ita",
    "lt": "lit",
    "tr": "tur",
    "ku": "kur",
    "fa": "fas",
}


def tagset(episode: Episode, config: Config, page_url: str, chapter_end_s: float, cover: bytes | None) -> id3.TagSet:
    meta, station = episode.meta, config.settings.station
    language = meta.language or episode.show.meta.language or station.language
    starts = [c.start for c in meta.chapters]
    chapters = tuple(
        id3.ChapterMark(
            int(c.start * 1000), int((starts[i + 1] if i + 1 < len(starts) else chapter_end_s) * 1000), c.title
        )
        for i, c in enumerate(meta.chapters)
        if c.start < chapter_end_s
    )
    notes = "; ".join(CONTENT_NOTES[n] for n in meta.content_notes) or None
    return id3.TagSet(
        title=meta.title,
        show=episode.show.meta.title,
        artists=tuple(episode.credits),
        publisher=station.name,
        date=episode.date.isoformat(),
        language=LANGUAGES.get(language.split("-")[0], "und"),
        copyright=station.copyright,
        page_url=page_url,
        artwork=cover,
        chapters=chapters,
        content_notes=f"Content notes: {notes}" if notes else None,
    )


def key(audio_key: str, tags: id3.TagSet) -> str:
    art = hashlib.sha256(tags.artwork).hexdigest() if tags.artwork else None
    return sha256_json(["tag", VERSION, audio_key, {**tags.__dict__, "artwork": art}])


def write(audio: Path, tags: id3.TagSet, tmp: Path) -> None:
    """Copy the normalised audio to `tmp` and tag it there (the runner renames it into place)."""
    shutil.copyfile(audio, tmp)
    id3.write(tmp, tags)
