"""Numbers typed into the desk's forms, read strictly: ASCII digits only, within bounds, or None.

`"²".isdigit()` is true and `int("²")` fails; `int("٣")` is 3 and `float("nan")`
is a number. A form field is read here, so odd input is a plain problem on the
page rather than an exception.
"""

from __future__ import annotations

import math
import re

_WHOLE = re.compile(r"^-?[0-9]{1,9}\Z")
_DECIMAL = re.compile(r"^-?[0-9]{1,9}(\.[0-9]{1,6})?\Z")


def whole_number(text: str | None, most: int = 999_999_999, signed: bool = False) -> int | None:
    """`text` as a whole number up to `most` (from 0, or below it too when `signed`), or None."""
    text = (text or "").strip()
    if not _WHOLE.match(text) or (text.startswith("-") and not signed):
        return None
    value = int(text)
    return value if value <= most else None


def decimal(text: str | None) -> float | None:
    """`text` as a plain decimal number like 25, 12.5 or -3 (no exponents, nan or infinity), or None."""
    text = (text or "").strip()
    if not _DECIMAL.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None
