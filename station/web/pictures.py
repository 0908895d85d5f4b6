"""What a page needs to show an image in sizes a phone can afford: the variants of one picture, as plain data.

Made at build time (build/pictures.py, through tools/images.py) and offered by
the templates as <picture> with one <source> per modern format and a JPEG
<img> for every other browser (templates/macros.html: `picture`).
"""

from __future__ import annotations

from dataclasses import dataclass

MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}


@dataclass(frozen=True)
class Variant:
    format: str  # avif | webp | jpeg
    width: int
    height: int
    rel: str  # its path in site/


@dataclass(frozen=True)
class Picture:
    source: str  # the image it was made from, relative to the station root
    variants: tuple[Variant, ...]

    def formats(self) -> list[str]:
        """The modern formats first (the browser takes the first it knows), JPEG last."""
        found = {v.format for v in self.variants}
        return [f for f in MIME if f in found]

    def of(self, fmt: str) -> list[Variant]:
        return sorted((v for v in self.variants if v.format == fmt), key=lambda v: v.width)

    def sources(self) -> list[tuple[str, list[Variant]]]:
        """(MIME type, variants) for each <source> before the <img>."""
        return [(MIME[f], self.of(f)) for f in self.formats() if f != "jpeg"]

    def fallback(self, at_least: int) -> Variant:
        """The JPEG an old browser gets: the smallest at least `at_least` pixels wide, or the largest."""
        jpegs = self.of("jpeg") or self.of(self.formats()[0])
        return next((v for v in jpegs if v.width >= at_least), jpegs[-1])
