"""What a person types, made safe once, at the boundary where it comes in.

Sidecars, show.toml, resource entries, schedules and the desk's forms all pass
their text through `clean()` (most through the `Typed` pydantic base in
validation.py), so nothing further on — lxml in the feeds, Jinja2 on the
pages, Icecast titles, JSON for the stream — meets a character it cannot
carry. Two kinds of character are told apart:

- harmless ones are cleaned quietly: a tab, a vertical tab or form feed (what
  Shift-Enter pastes from a word processor), Unicode line and paragraph
  separators, NEL and Windows line endings become an ordinary line break in
  text that may have several lines, and a space in a one-line field;
- the rest of the control characters (NUL, the C0 and C1 ranges, DEL), lone
  surrogates and the non-characters U+FFFE/U+FFFF are refused, naming the
  character and where it sits, because guessing what was meant could change
  what a presenter said.
"""

from __future__ import annotations

import re

from station.errors import TextRefused

# Breaks a person means as a new line, whatever program they pasted from.
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# XML 1.0 cannot carry these at all, and nobody types them on purpose.
REFUSED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def refused(value: str) -> str | None:
    """The plain-words reason `value` cannot be kept, or None."""
    m = REFUSED.search(value)
    if m is None:
        return None
    return (
        f"it holds an invisible control character (U+{ord(m.group()):04X}) at character {m.start() + 1}, "
        "which podcast apps and web pages cannot show — retype that part, or paste it as plain text"
    )


def clean(value: str, multiline: bool = False) -> str:
    """`value` with harmless breaks made ordinary; TextRefused for a character it cannot keep."""
    reason = refused(value)
    if reason:
        raise TextRefused(reason)
    value = _BREAKS.sub("\n", value)
    if multiline:
        return value
    return value.replace("\n", " ").replace("\t", " ")


def shown(value: str) -> str:
    """`value` fit to print in a message: each character that cannot be seen (a line break, a control
    character, a byte that is not UTF-8 in a file name) written as its escape, like `\\n` or `\\x00`."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in value)
