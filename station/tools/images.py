"""Images made smaller for the website. The only module that imports Pillow (PIL).

An artwork (a square JPEG or PNG, 1400–3000 px for the feeds) is far too
heavy for a phone, so each is made once per content hash into a few widths
and formats (WebP, and JPEG for any browser that takes no WebP; AVIF too
where config.py asks for it and this Pillow can write it), which a page
offers through <picture> and srcset. Everything a caller chooses (widths, formats, quality) comes in as
arguments from station/config.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError, features

from station.errors import ImageUnreadable
from station.files import atomic_path

MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
EXTENSION = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}
_PILLOW_NAME = {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}
Image.MAX_IMAGE_PIXELS = 50_000_000  # a 7000 × 7000 image is the most any artwork needs; more is a mistake


@dataclass(frozen=True)
class Made:
    """One variant written: its format ("webp"), its size in pixels and where it is."""

    format: str
    width: int
    height: int
    path: Path


def writable(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats, in the order given, that this Pillow can write (AVIF needs Pillow built with libavif)."""
    return tuple(f for f in formats if f == "jpeg" or features.check(f))


def size(path: Path) -> tuple[int, int]:
    """Width and height in pixels, read from the header alone; ImageUnreadable if it is not an image."""
    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise ImageUnreadable(str(exc)) from None


def variants(
    source: Path, widths: Sequence[int], formats: Sequence[str], quality: int, folder: Path, stem: str
) -> list[Made]:
    """Write `source` at each width (never larger than it is) in each format into `folder`, as
    `<stem>-<width>.<ext>`; atomically, so a build stopped half-way leaves no half image."""
    try:
        with Image.open(source) as opened:
            opened.load()
            image = _flat(opened)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise ImageUnreadable(str(exc)) from None
    made: list[Made] = []
    for width in sorted({min(w, image.width) for w in widths}):
        height = max(1, round(image.height * width / image.width))
        scaled = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        for fmt in writable(formats):
            dest = folder / f"{stem}-{width}.{EXTENSION[fmt]}"
            with atomic_path(dest) as tmp, tmp.open("wb") as out:
                scaled.save(out, _PILLOW_NAME[fmt], **_options(fmt, quality))
            made.append(Made(fmt, width, height, dest))
    return made


def _flat(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a logo's transparent corners must not turn black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _options(fmt: str, quality: int) -> dict[str, object]:
    if fmt == "jpeg":
        return {"quality": quality, "optimize": True, "progressive": True}
    if fmt == "webp":
        return {"quality": quality, "method": 4}
    return {"quality": max(30, quality - 20), "speed": 6}  # AVIF's scale runs lower for the same look
