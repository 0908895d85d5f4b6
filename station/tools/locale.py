"""Babel: gettext catalogues read from their `.po` files, and dates and numbers in a station's locale.

The only module that imports `babel`. A catalogue is compiled in memory from its `.po` file when first asked
for, so the text a translator edits is the one source of truth: no compiled `.mo` file can go stale
beside it.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

__all__ = [
    "Catalog",
    "NullTranslations",
    "Translations",
    "date_text",
    "datetime_text",
    "day_names",
    "extract_file",
    "load_po",
    "locale_or_none",
    "new_catalog",
    "number_text",
    "read_catalog",
    "time_text",
    "write_catalog",
    "write_mo_file",
]


def load_po(path: Path, language: str) -> Translations:
    """The catalogue in `path`, compiled in memory (fuzzy entries left out, as gettext does)."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain=path.stem)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=path.stem)


def locale_or_none(language: str) -> Locale | None:
    """Babel's locale for a BCP 47 tag ("pl", "en-GB"), or None when Babel does not know it."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None


def date_text(value: date | datetime, language: str, format: str = "long") -> str:
    return format_date(value, format=format, locale=language.replace("-", "_"))


def datetime_text(value: datetime, language: str, format: str = "medium") -> str:
    return format_datetime(value, format=format, locale=language.replace("-", "_"))


def time_text(value: time | datetime, language: str, format: str = "short") -> str:
    return format_time(value, format=format, locale=language.replace("-", "_"))


def number_text(value: float, language: str, decimals: int | None = None) -> str:
    """`value` as the language writes numbers ("2,000" in English, "2 000" in Polish); `decimals`: exactly so many."""
    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=language.replace("-", "_"))


def day_names(language: str) -> list[str]:
    """The days of the week, Monday first, as the language names them on their own ("Monday", "poniedziałek")."""
    names = get_day_names("wide", context="stand-alone", locale=language.replace("-", "_"))
    return [names[i] for i in range(7)]


# ---------------------------------------------------------------- catalogues, for `station i18n`


def extract_file(path: Path, method: str) -> list[tuple[int, str | tuple[str, ...], list[str]]]:
    """The translatable strings in one source file, (line, message, translator comments): `method` is "python"
    or "jinja2" (a template, its {% trans %} blocks trimmed as the site renders them)."""
    from jinja2.ext import babel_extract  # Jinja2's own extractor, as pybabel's jinja2 method uses

    func = babel_extract if method == "jinja2" else "python"
    options = {"trimmed": "true", "trim_blocks": "true", "lstrip_blocks": "true"} if method == "jinja2" else {}
    with path.open("rb") as f:
        found = extract(func, f, keywords=DEFAULT_KEYWORDS, comment_tags=("Translators:",), options=options)  # type: ignore[arg-type]
        return [(line, message, comments) for line, message, comments, _context in found]


def new_catalog(language: str | None, domain: str, project: str) -> Catalog:
    return Catalog(locale=language.replace("-", "_") if language else None, domain=domain, project=project)


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language.replace("-", "_") if language else None, domain=path.stem)


def write_catalog(path: Path, catalog: Catalog) -> bytes:
    """The catalogue as `.po` text (the caller writes it, atomically)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=False, omit_header=False, include_previous=True)
    return buffer.getvalue()


def write_mo_file(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()
