"""Turns pydantic's validation errors into Problems a coordinator can act on.

Shared by station.toml, show.toml and the episode sidecars, so every file gets
the same kind of message: which key, what is wrong, what to do, with a
did-you-mean for a misspelt key. Every problem is listed at once.
"""

from __future__ import annotations

import difflib
from typing import Any, get_args, get_origin

import pydantic

from .errors import Problem
from .text import clean_all

Frozen = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

# Marks a text field that may hold several lines: `description: Annotated[str, MULTILINE]`.
MULTILINE = "multiline"


class Typed(pydantic.BaseModel):
    """The base of every model a person's text comes in through: frozen, unknown keys refused, and every
    string checked by `text.clean()` (harmless breaks cleaned, control characters refused with the field named)."""
    model_config = Frozen

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value, info: pydantic.ValidationInfo):
        field = cls.model_fields.get(info.field_name or "")
        return clean_all(value, multiline=bool(field and MULTILINE in field.metadata))


def did_you_mean(word: str, choices: list[str] | set[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def one_of(value: str, known, noun: str) -> str:
    """`value` if it is one of `known`; else a ValueError with a did-you-mean."""
    if value not in known:
        guess = did_you_mean(value, set(known))
        hint = f"did you mean `{guess}`?" if guess else f"use one of: {', '.join(known)}"
        raise ValueError(f"{value!r} is not {noun} we know — {hint}")
    return value


def _model_at(model: type[pydantic.BaseModel], loc: tuple) -> type[pydantic.BaseModel] | None:
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


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"  # people count from one
        else:
            out += f".{part}" if out else str(part)
    return out


def describe(error: dict, model: type[pydantic.BaseModel], example: dict[str, str] | None = None) -> tuple[str, str]:
    """(what, fix) for one pydantic error."""
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = dotted(loc) or "this file"
    kind = error["type"]
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        owner = _model_at(model, loc)
        known = set(owner.model_fields) if owner else set()
        guess = did_you_mean(str(last), known)
        if guess:
            return f"`{key}` is not a setting we know", f"did you mean `{guess}`?"
        return f"`{key}` is not a setting we know", f"remove it, or use one of: {', '.join(sorted(known))}"
    if kind == "missing":
        hint = (example or {}).get(str(last))
        fix = f"add it, for example `{hint}`" if hint else "add it"
        return f"`{key}` is missing", fix
    if kind in ("literal_error", "enum"):
        expected = error.get("ctx", {}).get("expected", "")
        return (f"`{key}` is {error.get('input')!r}, which is not one we know",
                f"use one of: {expected.replace(chr(39), '')}")
    if kind == "timezone_aware":
        return f"`{key}` has no time zone", "add one, like `2026-11-20T21:00:00+00:00`"
    ctx = error.get("ctx", {})
    bounds = {"less_than_equal": ("at most", "le"), "less_than": ("less than", "lt"),
              "greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt")}
    if kind in bounds:
        words, name = bounds[kind]
        return f"`{key}` is {error.get('input')!r}, but it must be {words} {ctx[name]}", "change it"
    types = {"int_parsing": "a whole number", "int_type": "a whole number", "float_parsing": "a number",
             "float_type": "a number", "bool_parsing": "true or false", "bool_type": "true or false",
             "string_type": "text in quotes", "list_type": "a list, like [a, b]", "date_from_datetime_parsing": "a date",
             "date_parsing": "a date like 2026-11-01", "date_type": "a date like 2026-11-01",
             "datetime_parsing": "a date and time like 2026-11-20T21:00:00+00:00",
             "datetime_type": "a date and time like 2026-11-20T21:00:00+00:00",
             "model_type": "a group of `key: value` settings", "dict_type": "a group of `key: value` settings"}
    if kind in types:
        return f"`{key}` should be {types[kind]} (found {error.get('input')!r})", f"write it as {types[kind]}"
    if kind in ("too_short", "string_too_short"):
        return f"`{key}` is empty", "fill it in"
    if kind.startswith("value_error") or kind == "assertion_error":
        msg = str(error.get("ctx", {}).get("error", error["msg"]))
        what, _, fix = msg.partition(" — ")
        return (f"`{key}`: {what}" if loc else what), fix or "correct it"
    return f"`{key}`: {error['msg'].lower()} (found {error.get('input')!r})", "correct it"


def validate(model: type[pydantic.BaseModel], data: Any, where: str,
             lines: dict[tuple, int] | None = None,
             example: dict[str, str] | None = None) -> tuple[Any, list[Problem]]:
    """Validate `data` into `model`; on failure return every problem at once."""
    try:
        return model.model_validate(data), []
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            what, fix = describe(error, model, example)
            line = _line_for(error["loc"], lines or {})
            problems.append(Problem(f"{where}{f' line {line}' if line else ''}", what, fix))
        return None, problems


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None
