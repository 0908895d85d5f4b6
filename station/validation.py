"""Turns pydantic's validation errors into Problems a coordinator can act on.

Shared by station.toml, show.toml and the episode sidecars, so every file gets
the same kind of message: which key, what is wrong, what to do, with a
did-you-mean for a misspelt key. Every problem is listed at once.
"""

from __future__ import annotations

import datetime
import difflib
import reprlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, get_args, get_origin

import pydantic
from pydantic_core import PydanticCustomError

from station.errors import Key, Problem, TextRefused
from station.text import clean, shown

Frozen = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

# Marks a text field that may hold several lines: `description: Annotated[str, MULTILINE]`
# (also inside `| None` or `list[...]`).
MULTILINE = "multiline"

# How far into a field's value the text check looks, and how much of it. A hand-written file never
# comes near either; an alias bomb or a pasted structure that would take minutes to walk is refused.
MAX_DEPTH = 32
MAX_ITEMS = 100_000
# Zero-width characters a paste leaves at either end of a text (a BOM from Notepad, a zero-width space
# from a web page); inside a text they can matter (joined emoji, some scripts), so only the ends go.
# A place in a file's data (keys and list indices, as pydantic and the YAML reader give them), and one error
# from pydantic as it reports it.
Place = tuple[Any, ...]
Error = Mapping[str, Any]
Model = TypeVar("Model", bound=pydantic.BaseModel)
_ZERO_WIDTH_ENDS = "​⁠﻿"


class _Refused(Exception):
    def __init__(self, path: Place, reason: str):
        self.path, self.reason = path, reason


class Typed(pydantic.BaseModel):
    """The base of every model a person's text comes in through: frozen, unknown keys refused, and every
    string checked by `text.clean()` (harmless breaks cleaned, control characters refused with the field named).

    Each field's value is walked whole — strings inside lists and plain mappings too, keys included — so a
    refused character is reported at its place (`tags[2]`), and the other fields are still checked, so every
    problem in a file is listed at once. Mappings meant for a nested Typed model are left to that model,
    which names its own fields. A text with nothing visible in it (only spaces and zero-width characters)
    counts as empty, so a title that looks blank is "empty", not published blank."""

    model_config = Frozen

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        multiline = bool(field and (MULTILINE in field.metadata or _marked(field.annotation)))
        nested = bool(field and _holds_typed(field.annotation))
        try:
            return _cleaned(value, multiline, nested, (), [0])
        except _Refused as exc:
            raise PydanticCustomError("text_refused", "{reason}", {"reason": exc.reason, "path": exc.path}) from None


def _cleaned(value: Any, multiline: bool, nested: bool, path: Place, count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_ITEMS:
        raise _Refused(
            (),
            f"it holds more than {MAX_ITEMS:,} values, far more than it can use — write it out plainly, "
            "without anchors that repeat whole parts",
        )
    if len(path) > MAX_DEPTH:
        raise _Refused((), f"it is nested more than {MAX_DEPTH} levels deep — write it out plainly")
    if isinstance(value, str):
        try:
            value = clean(value, multiline)
        except TextRefused as exc:
            raise _Refused(path, str(exc)) from None
        return "" if _invisible(value) else value.strip(_ZERO_WIDTH_ENDS)
    if isinstance(value, (bytes, bytearray)):
        # pydantic would quietly decode them into text, past the check above (YAML's !!binary).
        raise _Refused(path, "it is binary data, not text — write it as text in quotes")
    if isinstance(value, dict):
        if nested:
            return value  # a nested model's own fields are checked, and named, by that model
        return {
            _cleaned(k, False, nested, (*path, shown(str(k))), count): _cleaned(
                v, multiline, nested, (*path, shown(str(k))), count
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_cleaned(v, multiline, nested, (*path, i), count) for i, v in enumerate(value))
    if isinstance(value, (set, frozenset)):
        # YAML's !!set: made a list, in one order, so the same file always builds the same bytes.
        return [
            _cleaned(v, multiline, nested, (*path, i), count)
            for i, v in enumerate(sorted(value, key=lambda v: (type(v).__name__, str(v))))
        ]
    return value


def _invisible(value: str) -> bool:
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)


def _marked(annotation: Any) -> bool:
    """MULTILINE anywhere in a field's type: `Annotated[str, MULTILINE] | None`, `list[Annotated[…]]`."""
    return any(a == MULTILINE or (not isinstance(a, str) and _marked(a)) for a in get_args(annotation))


def _holds_typed(annotation: Any) -> bool:
    if get_origin(annotation) is None:
        return isinstance(annotation, type) and issubclass(annotation, Typed)
    return any(_holds_typed(a) for a in get_args(annotation) if not isinstance(a, str))


def did_you_mean(word: str, choices: list[str] | set[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def one_of(value: str, known: Iterable[str], noun: str) -> str:
    """`value` if it is one of `known`; else a ValueError with a did-you-mean."""
    if value not in known:
        guess = did_you_mean(value, set(known))
        hint = f"did you mean `{guess}`?" if guess else f"use one of: {', '.join(known)}"
        raise ValueError(f"{brief(value)} is not {noun} we know — {hint}")
    return value


def _model_at(model: type[pydantic.BaseModel], loc: Place) -> type[pydantic.BaseModel] | None:
    """The model class that owns the last key of `loc`, for did-you-mean."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    # list[Presenter] | None → Presenter: the model a nested key belongs to.
    for _ in range(4):
        origin = get_origin(annotation)
        if origin is None:
            return annotation
        models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]
        if models:
            return models[0]
        args = [a for a in get_args(annotation) if a is not type(None)]
        if not args:
            return annotation
        annotation = args[0]
    return annotation


def dotted(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"  # people count from one
        else:
            part = shown(str(part))
            out += f".{part}" if out else part
    return out


def brief(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut short: a message quotes what it found, never a whole pasted page (nor a structure
    so deep that writing it out would fail)."""
    text = value.isoformat() if isinstance(value, (datetime.date, datetime.time)) else _repr.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxlong, _repr.maxother = 3, 80, 60, 60


# pydantic puts the branch of a union it tried (`list[Opening]`, `literal['always']`) and the validator
# it ran (`function-after[…]`) into an error's place; people never wrote those. (A plain type's branch,
# `str`, is left in: it cannot be told from a key named `date`.)


def _is_validator(part: Any) -> bool:
    return isinstance(part, str) and part.startswith("function-")


def _is_branch(part: Any) -> bool:
    return isinstance(part, str) and not _is_validator(part) and "[" in part


def _place(error: Error) -> Place:
    """The key path a person wrote, from one error: union branches dropped, a refused text's own place added."""
    loc = tuple(p for p in error["loc"] if not (_is_validator(p) or _is_branch(p)))
    if error["type"] == "text_refused":
        loc += tuple(error.get("ctx", {}).get("path", ()))
    if error["type"] == "invalid_key" and loc:  # a key YAML read as a number, a date or nothing at all
        loc = (*loc[:-1], str(error.get("input")))
    return loc


def _one_branch(errors: Sequence[Error]) -> list[Error]:
    """Of the errors from a union's branches, those of the branch the input was meant for.

    `hours: [{days: mon, open: "25:00"}]` fails as a list of openings (deep inside it) and as the word
    `always` (at `hours` itself); the branch that got furthest into the input is the one it was written
    for, and only its errors are worth reading."""
    groups: dict[Place, list[tuple[int, Any, Error]]] = {}
    plain = []
    for error in errors:
        loc = error["loc"]
        at = next((i for i, p in enumerate(loc) if _is_branch(p)), None)
        if at is None:
            plain.append(error)
            continue
        groups.setdefault(loc[:at], []).append((len(loc) - at, loc[at], error))
    kept = list(plain)
    for found in groups.values():
        deepest = max(depth for depth, _, _ in found)
        branch = next(tag for depth, tag, _ in found if depth == deepest)
        kept += [error for _, tag, error in found if tag == branch]
    order = {id(e): i for i, e in enumerate(errors)}
    return sorted(kept, key=lambda e: order[id(e)])


def describe(error: Error, model: type[pydantic.BaseModel], example: dict[str, str] | None = None) -> tuple[str, str]:
    """(what, fix) for one pydantic error."""
    loc = _place(error)
    key = dotted(loc) or "this file"
    kind = error["type"]
    last = loc[-1] if loc else ""
    found = brief(error.get("input"))
    ctx = error.get("ctx", {})
    if kind == "text_refused":
        what, _, fix = str(ctx.get("reason", error["msg"])).partition(" — ")
        return f"`{key}`: {what}", fix or "correct it"
    if kind == "invalid_key" and error.get("input") is None:
        return (
            "a key here is empty (YAML reads `~` and `null` as nothing), so its value belongs to nothing",
            "write the key, like `title: …`, or remove the line",
        )
    if kind in ("extra_forbidden", "invalid_key"):
        owner = _model_at(model, loc)
        known = set(owner.model_fields) if owner else set()
        guess = did_you_mean(shown(str(last)), known)
        if guess:
            return f"`{key}` is not a setting we know", f"did you mean `{guess}`?"
        return f"`{key}` is not a setting we know", f"remove it, or use one of: {', '.join(sorted(known))}"
    if kind == "missing":
        hint = (example or {}).get(str(last))
        fix = f"add it, for example `{hint}`" if hint else "add it"
        return f"`{key}` is missing", fix
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        return (f"`{key}` is {found}, which is not one we know", f"use one of: {expected.replace(chr(39), '')}")
    if kind == "timezone_aware":
        return f"`{key}` has no time zone", "add one, like `2026-11-20T21:00:00+00:00`"
    bounds = {
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
    }
    if kind in bounds:
        words, name = bounds[kind]
        return f"`{key}` is {found}, but it must be {words} {ctx[name]}", "change it"
    if kind == "string_too_long":
        size = len(error["input"].strip()) if isinstance(error.get("input"), str) else "too many"
        return (f"`{key}` is {size:,} characters long, but it can be at most {ctx['max_length']:,}", "shorten it")
    if kind == "too_long":
        return (
            f"`{key}` has {ctx.get('actual_length', 'too many')} entries, but it can have at most {ctx['max_length']}",
            "keep the ones that matter most",
        )
    types = {
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "int_parsing_size": "a whole number",
        "float_parsing": "a number",
        "float_type": "a number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "text in quotes",
        "list_type": "a list, like [a, b]",
        "date_from_datetime_parsing": "a date",
        "date_from_datetime_inexact": "a date like 2026-11-01, with no time",
        "date_parsing": "a date like 2026-11-01",
        "date_type": "a date like 2026-11-01",
        "datetime_parsing": "a date and time like 2026-11-20T21:00:00+00:00",
        "datetime_type": "a date and time like 2026-11-20T21:00:00+00:00",
        "datetime_from_date_parsing": "a date and time like 2026-11-20T21:00:00+00:00",
        "model_type": "a group of `key: value` settings",
        "dict_type": "a group of `key: value` settings",
        "model_attributes_type": "a group of `key: value` settings",
    }
    if kind in types:
        return f"`{key}` should be {types[kind]} (found {found})", f"write it as {types[kind]}"
    if kind == "finite_number":
        return f"`{key}` is {found}, which is not a number we can use", "write an ordinary number"
    if kind in ("too_short", "string_too_short"):
        return f"`{key}` is empty", "fill it in"
    if kind == "string_pattern_mismatch":
        if str(ctx.get("pattern", "")).startswith("^https?://"):
            return f"`{key}` is {found}, which is not a web address", "write the full address, starting with https://"
        return f"`{key}` is {found}, which is not in the form this key takes", "write it as the docs show for this key"
    if kind.startswith("value_error") or kind == "assertion_error":
        msg = str(ctx.get("error", error["msg"]))
        what, _, fix = msg.partition(" — ")
        return (f"`{key}`: {what}" if loc else what), fix or "correct it"
    return f"`{key}`: {shown(error['msg'].lower())} (found {found})", "correct it"


def validate(
    model: type[Model],
    data: Any,
    where: str,
    lines: dict[Place, int] | None = None,
    example: dict[str, str] | None = None,
) -> tuple[Model | None, list[Problem]]:
    """Validate `data` into `model`; on failure return every problem at once."""
    try:
        return model.model_validate(data), []
    except pydantic.ValidationError as exc:
        problems = []
        for error in _one_branch(exc.errors()):
            what, fix = describe(error, model, example)
            line = _line_for(_place(error), lines or {})
            problems.append(
                Problem(f"{where}{f' line {line}' if line else ''}", what, fix, file=where, key=key_of(error))
            )
        return None, problems


def key_of(error: Error) -> Key | None:
    """The key path one pydantic error is about, as the data has it (None for the file as a whole); a key
    YAML read as nothing (`~:`) is None in the path."""
    place = _place(error)
    if error["type"] == "invalid_key" and error.get("input") is None and place:
        place = (*place[:-1], None)
    return place or None


def _line_for(loc: Place, lines: dict[Place, int]) -> int | None:
    loc = tuple(loc)
    if loc and loc[-1] == "None":  # an empty key, which the file spells `~`, `null` or not at all
        for spelling in ("~", "null", "Null", "NULL", ""):
            if (*loc[:-1], spelling) in lines:
                return lines[(*loc[:-1], spelling)]
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None
