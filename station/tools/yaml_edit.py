"""Changing a hand-written YAML file in place: its comments, key order, flow style and quoting kept.

The only module that imports ruamel.yaml. Coordinators explain their
schedules in comments; an edit made through the desk must leave those
comments where they were, and a file read and written unchanged must come
back byte for byte.

ruamel.yaml keeps a comment *line* with whatever comes before it: the lines
above the second item of a list belong, as it sees them, to the last key of
the first. `Listing` takes a list's items apart so that each carries the
comment lines above it, and puts them back in the new order.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable
from typing import Any, TypeGuard

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

__all__ = [
    "Document",
    "Listing",
    "Map",
    "Seq",
    "block_map",
    "block_style",
    "flow_map",
    "flow_seq",
    "is_map",
    "is_seq",
    "plain",
    "put",
    "put_list",
    "quoted",
    "seq",
]

# Where ruamel keeps a comment: (a node's comment items, the key or index, the position in its entry).
Slot = tuple[dict[Any, Any], Any, int]

# A mapping and a list as a Document holds them (comments and style attached): for annotations elsewhere,
# which make them only through the functions below.
Map = CommentedMap
Seq = CommentedSeq


class _Representer(RoundTripRepresenter):
    pass


# ruamel writes None as an empty value; `ident_every_min: null` is how docs/schedule.md says "none",
# and a file read and written unchanged must keep its `null`.
_Representer.add_representer(type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))

# A key alone on its line (its value is the indented block below), possibly after list dashes.
_KEY_ONLY = re.compile(r"^( *(?:- +)*)[^\s#'\"\-][^#]*?:\s*(#.*)?$")


def _indents(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, dash offset) as this file writes them; the demo's 2, 4, 2 if it does not say."""
    mapping = sequence = offset = None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for line, below in itertools.pairwise(lines):
        key = _KEY_ONLY.match(line)
        if not key:
            continue
        column = len(key.group(1))
        body = below.lstrip(" ")
        step = len(below) - len(body) - column
        if step < 0 or (step == 0 and not body.startswith("- ")):
            continue
        if body.startswith("- ") and offset is None:
            offset = step
            sequence = step + 1 + len(body[1:]) - len(body[1:].lstrip(" "))
        elif not body.startswith("- ") and mapping is None and step > 0:
            mapping = step
        if mapping is not None and offset is not None:
            break
    return mapping or 2, sequence or 4, offset if offset is not None else 2


class Document:
    """One YAML text loaded for editing: change `data` in place, then `text()` writes it out again."""

    def __init__(self, text: str):
        self._yaml = YAML()  # round-trip mode
        self._yaml.Representer = _Representer
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096  # never fold a long line the coordinator wrote on one
        mapping, sequence, offset = _indents(text)
        self._yaml.indent(mapping=mapping, sequence=max(sequence, offset + 2), offset=offset)
        self._yaml.explicit_start = text.lstrip().startswith("---")
        self.data = self._yaml.load(text)

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()


def plain(value: Any) -> Any:
    """A scalar as plain Python (ruamel's own int, float and str types stay inside this module)."""
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def quoted(text: str) -> DoubleQuotedScalarString:
    """A string written in double quotes: how docs/schedule.md asks for clock times ("22:00")."""
    quoted: DoubleQuotedScalarString = DoubleQuotedScalarString(text)
    return quoted


def is_map(value: Any) -> TypeGuard[CommentedMap]:
    return isinstance(value, CommentedMap)


def is_seq(value: Any) -> TypeGuard[CommentedSeq]:
    return isinstance(value, CommentedSeq)


def seq(items: Iterable[Any] = ()) -> CommentedSeq:
    """A new list, written in whichever style the document gives lists that say none (block, here)."""
    return CommentedSeq(items)


def block_style(node: CommentedMap | CommentedSeq) -> None:
    """Write `node` as indented lines, whatever style it was read or made in."""
    node.fa.set_block_style()


def flow_seq(items: Iterable[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def flow_map(items: dict[str, Any] | None = None) -> CommentedMap:
    m = CommentedMap(items or {})
    m.fa.set_flow_style()
    return m


def block_map(items: dict[str, Any] | None = None) -> CommentedMap:
    m = CommentedMap(items or {})
    m.fa.set_block_style()
    return m


def put(m: CommentedMap, key: str, value: Any, order: list[str]) -> None:
    """Set `key`, keeping its place (and comment) if it is there, else in `order`'s place among its neighbours.

    A new string takes the quoting of the string it replaces. A new list or map is added whole: the
    comment lines around it are placed by what it holds when it is put.
    """
    if key in m:
        old = m[key]
        if isinstance(old, ScalarString) and isinstance(value, str) and not isinstance(value, ScalarString):
            value = type(old)(value)
        m[key] = value
        return
    before = order[: order.index(key)] if key in order else order
    keys = list(m)
    at = max((keys.index(k) + 1 for k in before if k in keys), default=0)
    if at == 0 or m.fa.flow_style():
        m.insert(at, key, value)
        return
    # The lines after the key before (a blank line, the comment over the next key) now follow the new key.
    above = _key_slot(m, keys[at - 1])
    after = _split_after(above)
    m.insert(at, key, value)
    if _is_block(value) and _is_block(m[keys[at - 1]]) and after.startswith("\n"):
        _add_after(above, "\n")  # sections set apart by a blank line: the new one too
    _add_after(_key_slot(m, key), after)


def put_list(m: CommentedMap, key: str, items: list[Any], order: list[str]) -> None:
    """Set a list of scalars, changing the existing list in place so its style and comment stay."""
    old = m.get(key)
    if isinstance(old, CommentedSeq):
        del old[:]
        old.extend(items)
        if not items:
            old.fa.set_flow_style()  # an empty list can only be written as []
        old.ca.items.clear()  # per-item comments no longer belong to these items
    else:
        put(m, key, flow_seq(items), order)


def _is_block(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and len(node) > 0 and not node.fa.flow_style()


def _last_slot(node: Any) -> Slot | None:
    """Where ruamel keeps the comment written after `node`'s last line: (comment items, key, position)."""
    if not _is_block(node):
        return None
    while True:
        if isinstance(node, CommentedMap):
            key, position = list(node)[-1], 2
        else:
            key, position = len(node) - 1, 0
        if _is_block(node[key]):
            node = node[key]
            continue
        return node.ca.items, key, position


def _slot_of(seq: CommentedSeq, index: int) -> Slot:
    return _last_slot(seq[index]) or (seq.ca.items, index, 0)


def _key_slot(m: CommentedMap, key: Any) -> Slot:
    return _last_slot(m[key]) or (m.ca.items, key, 2)


def _split_after(slot: Slot) -> str:
    """Cut the comment in `slot` down to its own line; return the whole lines that followed it."""
    items, key, position = slot
    entry = items.get(key)
    if not entry or len(entry) <= position or entry[position] is None:
        return ""
    token = entry[position]
    value: str = token.value
    if "\n" not in value:
        return ""
    cut = value.index("\n") + 1
    own, after = value[:cut], value[cut:]
    if own.strip():
        token.value = own
    else:
        entry[position] = None
    return after


def _add_after(slot: Slot, text: str) -> None:
    if not text:
        return
    items, key, position = slot
    entry = items.setdefault(key, [None, None, None, None])
    entry.extend([None] * (position + 1 - len(entry)))
    token = entry[position]
    if token is None:
        entry[position] = CommentToken("\n" + text, CommentMark(0), None)
    else:
        token.value = token.value + text


def _lines_of(tokens: list[CommentToken] | None) -> str:
    """Comment tokens as the whole lines they stand for, each with its own indentation."""
    out = ""
    for token in tokens or []:
        value = token.value
        column = token.column if token.start_mark is not None else 0
        out += value if value.startswith("\n") else " " * column + value
    return out


class Listing:
    """A block-style list taken apart so that its items can be changed, added, removed and reordered.

    Make it before changing anything, change the items, then `put` the new
    order: every item keeps the comment lines and blank lines above it, and
    the lines after the list stay after it.
    """

    def __init__(self, seq: CommentedSeq):
        self.seq = seq
        items = list(seq)
        leads = []
        for i in range(len(items)):
            entry = seq.ca.items.get(i)
            leads.append(_lines_of(entry[1]) if entry and len(entry) > 1 else "")
        self.tail = ""
        for i in range(len(items)):
            after = _split_after(_slot_of(seq, i))
            if i + 1 < len(items):
                leads[i + 1] = after + leads[i + 1]
            else:
                self.tail = after
        self._own = {i: seq.ca.items.get(i) for i in range(len(items))}
        self._leads = {id(item): (i, lead) for i, (item, lead) in enumerate(zip(items, leads, strict=True))}
        # Items separated by a blank line: keep it so for items that move or are added.
        self.spaced = any(lead.startswith("\n") for lead in leads[1:])

    def put(self, items: list[Any]) -> None:
        seq = self.seq
        del seq[:]
        seq.ca.items.clear()
        seq.extend(items)
        for k, item in enumerate(items):
            was, lead = self._leads.get(id(item), (None, ""))
            entry = list(self._own.get(was) or [None, None, None, None]) if was is not None else [None] * 4
            entry.extend([None] * (4 - len(entry)))
            if k == 0:
                lead = lead.lstrip("\n")  # the first item sits straight under its key
            elif self.spaced and not lead.startswith("\n"):
                lead = "\n" + lead
            entry[1] = [CommentToken(lead, CommentMark(0), None)] if lead else None
            if any(part is not None for part in entry):
                seq.ca.items[k] = entry
        if items:
            _add_after(_slot_of(seq, len(items) - 1), self.tail)
        else:
            seq.fa.set_flow_style()  # an empty list can only be written as []
