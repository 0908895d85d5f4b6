"""Translations: one gettext catalogue per language, chosen by `[station] language`.

The site's templates call `_()` through Jinja2's i18n extension and the desk's Python calls
`gettext` here, so both read the same catalogue. Until a catalogue ships for a language the
strings stay as written (English).
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "data" / "locale"
DOMAIN = "messages"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue for `language` ("cy", "en-GB"), or the strings as written when there is none."""
    base = language.replace("-", "_")
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[base, base.split("_")[0]], fallback=True)


def gettext(message: str, language: str = "en") -> str:
    return translations(language).gettext(message)
