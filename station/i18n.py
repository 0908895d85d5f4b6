"""Translations: gettext catalogues through Babel, chosen by `[station] language`.

Two domains, because two audiences: `messages` is what listeners read (the website's templates and
the words the site's Python writes, such as the maps), `desk` is what coordinators and presenters read
(the desk's templates and messages). A station can translate its public site without the desk.

Catalogues are `.po` files: the ones shipped in `station/data/locale/<language>/LC_MESSAGES/`, and a
station's own in `<station root>/locale/<language>/LC_MESSAGES/`, which win where both have a string.
Until a catalogue has a string, it stays as written (English).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from station.tools.locale import NullTranslations, Translations, load_po

LOCALE_DIR = Path(__file__).parent / "data" / "locale"
DOMAINS = ("messages", "desk")


def _candidates(language: str) -> list[str]:
    """ "pl-PL" → ["pl_PL", "pl"]: the most exact catalogue first, then the language alone."""
    exact = language.replace("-", "_")
    base = exact.split("_")[0]
    return [exact] if exact == base else [exact, base]


def translations(language: str, domain: str = "messages", own: Sequence[Path] = ()) -> NullTranslations:
    """The catalogue for `language` in `domain`: the station's own folders (`own`) before the shipped one.

    Read again when one of its files changes, so a long-running station (`station run`, the desk) picks up a
    translator's edit at its next build."""
    files = catalogue_files(language, domain, own)
    return _translations(tuple((po, po.stat().st_mtime_ns, po.stat().st_size) for po in files))


@cache
def _translations(files: tuple[tuple[Path, int, int], ...]) -> NullTranslations:
    found: NullTranslations | None = None
    for po, _, _ in files:
        t = load_po(po, po.parent.parent.name)
        if found is None:
            found = t
        else:
            found.add_fallback(t)
    return found if found is not None else NullTranslations()


def own_locale_dirs(root: Path) -> tuple[Path, ...]:
    """A station's own catalogues' folder (`<station root>/locale`), as `translations(own=…)` takes it."""
    return (root / "locale",)


def catalogue_files(language: str, domain: str = "messages", own: Sequence[Path] = ()) -> list[Path]:
    """The `.po` files `translations` reads for `language` in `domain`, the station's own first."""
    return [
        po
        for folder in [*own, LOCALE_DIR]
        for name in _candidates(language)
        if (po := folder / name / "LC_MESSAGES" / f"{domain}.po").is_file()
    ]


def gettext(message: str, language: str = "en", domain: str = "messages") -> str:
    return translations(language, domain).gettext(message)


def shipped_languages() -> list[str]:
    """The languages with a catalogue shipped in the package, English (the strings as written) first."""
    return ["en", *sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir())] if LOCALE_DIR.is_dir() else ["en"]


__all__ = [
    "DOMAINS",
    "LOCALE_DIR",
    "Translations",
    "catalogue_files",
    "gettext",
    "own_locale_dirs",
    "shipped_languages",
    "translations",
]
