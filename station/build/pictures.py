"""The website's images: the station's artwork and logo, each show's artwork and each episode's own, made
into the sizes and formats a page offers (tools/images.py) and published to `site/artwork/`.

Like every other piece of build work, keyed by content: an image is made once per content hash and kept in
the cache (`.station/cache/images/`); a build with nothing changed makes none and writes none. The variants
are named by the image's hash, so the bucket and browsers may keep them for ever.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from station.build.built import BuiltEpisode
from station.build.workshop import Job, Workshop
from station.catalog.model import Show
from station.config import IMAGE_FORMATS, IMAGE_QUALITY, IMAGE_WIDTHS, LOGO_HEIGHTS
from station.errors import ImageUnreadable, Problem, Severity
from station.files import sha256_json
from station.tools import images
from station.web.pictures import Picture, Variant

VERSION = 1  # bump when the way variants are made changes, so every one is made again


def wanted(shop: Workshop, shows: Iterable[Show], episodes: Iterable[BuiltEpisode]) -> dict[Path, str]:
    """Every image the pages show, with the file a problem with it should name."""
    config, site = shop.config, shop.settings.site
    station_art = shop.settings.station.artwork
    found: dict[Path, str] = {}
    if station_art:
        found[config.root / station_art] = "station.toml"
    for show in shows:
        art = show.path(show.meta.artwork)
        if art is not None:
            found.setdefault(art, config.rel(show.folder / "show.toml"))
    for b in episodes:
        if b.episode.meta.artwork:
            found.setdefault(b.episode.recording.parent / b.episode.meta.artwork, config.rel(b.episode.sidecar))
    if site.logo:
        found[config.root / site.logo] = "station.toml"
    return found


def make_all(
    shop: Workshop, job: Job, shows: Iterable[Show], episodes: Iterable[BuiltEpisode]
) -> tuple[dict[str, Picture], list[Problem]]:
    """Each wanted image's Picture, by its path relative to the station root; a problem for each one that
    cannot be read (the pages then show none in its place, and the build goes on)."""
    config = shop.config
    logo = config.root / shop.settings.site.logo if shop.settings.site.logo else None
    pictures: dict[str, Picture] = {}
    problems: list[Problem] = []
    for path, where in wanted(shop, shows, episodes).items():
        try:
            pictures[config.rel(path)] = picture(shop, job, path, logo=path == logo)
        except (ImageUnreadable, OSError) as exc:
            problems.append(
                Problem(
                    where,
                    f"the image `{config.rel(path)}` cannot be read ({exc}), so the website shows none in its place",
                    "save it again as a JPEG or PNG, or fix the name that points at it",
                    Severity.WARNING,
                    file=where,
                )
            )
    return pictures, problems


def picture(shop: Workshop, job: Job, path: Path, logo: bool = False) -> Picture:
    """One image's variants: made into the cache if missing, then published to site/artwork/."""
    sha = shop.ledger.sha256(path)
    stem = sha[:16]
    folder = shop.cache / "images"
    key = f"images:{sha256_json([sha, VERSION, IMAGE_WIDTHS, LOGO_HEIGHTS, logo, IMAGE_FORMATS, IMAGE_QUALITY])}"
    known = shop.ledger.recall(key)
    if known is None or not all((folder / name).is_file() for _, _, _, name in known):
        widths: tuple[int, ...] = IMAGE_WIDTHS
        if logo:  # drawn at a fixed height: the widths follow its shape
            width, height = images.size(path)
            widths = tuple(max(1, round(h * width / height)) for h in LOGO_HEIGHTS)
        made = images.variants(path, widths, IMAGE_FORMATS, IMAGE_QUALITY, folder, stem)
        known = [[m.format, m.width, m.height, m.path.name] for m in made]
        shop.ledger.remember(key, "images", known)
        job.work["images"] += len(made)
    variants = []
    for fmt, width, height, name in known:
        rel = f"artwork/{name}"
        cached = folder / name
        shop.publish(job, rel, f"{key}:{name}", partial(_copy, cached))
        variants.append(Variant(fmt, width, height, rel))
    return Picture(shop.config.rel(path), tuple(variants))


def _copy(cached: Path, tmp: Path) -> None:
    tmp.write_bytes(cached.read_bytes())
