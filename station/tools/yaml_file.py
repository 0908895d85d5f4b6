"""Reading a hand-written YAML file: its data, where each key sits, and plain-worded problems.

Shared by episode sidecars, resource entries and schedules, so all of them say
the same thing about a tab, a stray colon or a file that is not text — and so
no file, however it was made, can stop the station. Whatever the bytes, `read`
gives the data or a Problem, never an exception, a hang or a blow-up:

- a file is read only if it is a plain file (a folder or a pipe named
  `x.yaml` would block or fail) of at most MAX_BYTES (256 KB): these are
  files people write by hand, a few kilobytes each, so anything bigger is
  the wrong file;
- text is UTF-8 (a byte-order mark is allowed and dropped); a NUL byte means
  it is not text at all;
- the harmless breaks a word processor pastes (vertical tab, form feed, NEL,
  Unicode line and paragraph separators) become spaces before YAML sees them:
  YAML would refuse the first two and count the rest as new lines, which
  could turn half a title into a key. Other control characters are refused
  with the line and column;
- safe loading only, and only the plain tags (text, numbers, true/false,
  null, dates, lists, groups, `<<` merges): `!!python/object` can run code,
  and `!!binary` would carry bytes past the text checks;
- nesting deeper than MAX_DEPTH (40), more than MAX_VALUES (10,000) values,
  aliases (`*name`) that unfold into more than that (a "billion laughs": nine
  lines can stand for a billion values), an alias inside its own anchor,
  a key given twice and a second `---` document are refused with the line;
- a value YAML's resolver cannot make (a 5,000-digit number, 2026-02-30) is
  a problem at its line, not a ValueError.

A problem always comes with `data` None: the file is used whole or not at all.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

from station.errors import Problem
from station.text import REFUSED

# A schedule, a sidecar or a resource entry is a few kilobytes and a few hundred values; a schedule of 200 blocks
# is about 40 KB and 3,000 values. The bounds leave room for that several times over, and keep the slowest file
# to about a second (pure-Python YAML reads some 10,000 values a second; one parse gives data and lines).
MAX_BYTES = 256 * 1024
MAX_DEPTH = 40  # levels of lists and groups; our files use five or six
MAX_VALUES = 10_000  # values, with aliases unfolded

_HARMLESS = re.compile("[\x0b\x0c\x85\u2028\u2029]")
_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")}
_SYNTAX_FIX = "check the indentation and put text with a colon in quotes"


# A key path in the data (keys and list indices) → the line it is on.
Lines = dict[tuple[Any, ...], int]


class _Marked(Protocol):
    """Where in the text something was found: PyYAML's marks, and ours."""

    @property
    def line(self) -> int: ...


class _Refused(Exception):
    """A reason this file is not used, with the mark it was found at."""

    def __init__(self, what: str, fix: str, mark: _Marked | None = None):
        super().__init__(what)
        self.what, self.fix, self.mark = what, fix, mark


def read(
    path: Path, where: str, example: str, text: str | None = None
) -> tuple[dict[Any, Any] | None, Lines, list[Problem]]:
    """(data, key path → line number, problems); data is None when the file cannot be used at all.

    `text`, when given, is read in place of the file: an edit checked before it is written.
    """
    if text is None:
        text, problem = load_text(path, where)
        if text is None:
            return None, {}, [problem] if problem else []
    elif len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None, {}, [_too_big(where, len(text.encode("utf-8", "surrogatepass")))]
    try:
        data, node = _parse(_HARMLESS.sub(" ", text))
    except _Refused as refused:
        at = f" line {refused.mark.line + 1}" if refused.mark is not None else ""
        return None, {}, [Problem(f"{where}{at}", refused.what, refused.fix, file=where)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark else ""
        if getattr(exc, "problem", None) == "found unhashable key":
            return (
                None,
                {},
                [
                    Problem(
                        f"{where}{at}",
                        "a list or a group is used as a key here",
                        "a key is a plain word before a colon, like `title:`",
                        file=where,
                    )
                ],
            )
        return (
            None,
            {},
            [
                Problem(
                    f"{where}{at}", f"this is not valid YAML ({getattr(exc, 'problem', exc)})", _SYNTAX_FIX, file=where
                )
            ],
        )
    if not isinstance(data, dict):
        return (
            None,
            {},
            [
                Problem(
                    where,
                    "this file is empty or is not a list of `key: value` lines",
                    f"fill it in as in {example}",
                    file=where,
                )
            ],
        )
    return data, _lines(node), []


def load_text(path: Path, where: str) -> tuple[str | None, Problem | None]:
    """The file's text, or why it cannot be had: not a plain file, too big, not UTF-8 text."""
    try:
        # Non-blocking, so a pipe named like a schedule cannot hold the reader; fstat then says what it is.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return None, Problem(where, f"this file cannot be read ({exc.strerror})", "check its permissions", file=where)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, Problem(
                where,
                "this is not a file but a folder or a device, so it cannot be read",
                "move it out of the folder, or give it a name that does not end in .yaml",
                file=where,
            )
        if info.st_size > MAX_BYTES:
            return None, _too_big(where, info.st_size)
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, Problem(where, f"this file cannot be read ({exc.strerror})", "check its permissions", file=where)
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:  # it grew while we looked
        return None, _too_big(where, len(raw))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(where, "this file is saved as UTF-16, not plain text", "save it as UTF-8 text", file=where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, Problem(where, "this file is not plain text", "save it as UTF-8 text", file=where)
    if "\x00" in text:
        return None, Problem(where, "this file is not plain text", "save it as UTF-8 text", file=where)
    return text, None


def _too_big(where: str, size: int) -> Problem:
    return Problem(
        where,
        f"this file is {_size(size)}, far more than a file written by hand holds (at most "
        f"{MAX_BYTES // 1024} KB is read)",
        "check it is the right file: a sidecar, resource entry or schedule is a few kilobytes",
        file=where,
    )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def _parse(text: str) -> tuple[Any, yaml.Node | None]:
    """(data, root node) of one YAML document, within the bounds above."""
    refused = REFUSED.search(text)  # the characters text.py refuses in any field, found at their line
    if refused:
        line = text.count("\n", 0, refused.start()) + 1
        column = refused.start() - (text.rfind("\n", 0, refused.start()) + 1) + 1
        raise _Refused(
            f"this line holds an invisible control character (U+{ord(refused.group()):04X}) at "
            f"column {column}, which podcast apps and web pages cannot show",
            "retype that part, or paste it as plain text",
            _Mark(line - 1),
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check(node, loader.aliases)
        data = loader.construct_document(node)
    except (ValueError, OverflowError, TypeError) as exc:  # what a resolved value cannot be made into
        raise _Refused(
            f"a value here cannot be read ({exc})",
            "write it in quotes if it is text",
            getattr(loader, "last_mark", None),
        ) from None
    finally:
        loader.dispose()
    return data, node


class _Mark:
    def __init__(self, line: int):
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps count: how deep it is, which aliases it met, and what they point at."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = 0
        self.values = 0
        self.open_anchors: list[str] = []
        self.aliases: list[tuple[str, _Marked, yaml.Node]] = []  # (name, mark, the node it stands for)
        self.last_mark: _Marked | None = None

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs
        if isinstance(event, AliasEvent):
            if event.anchor in self.open_anchors:
                raise _Refused(
                    f"`*{event.anchor}` is used inside the value it names (`&{event.anchor}`), so it would never end",
                    f"remove `*{event.anchor}`, or write the value out",
                    event.start_mark,
                )
            if event.anchor not in self.anchors:
                raise _Refused(
                    f"`*{event.anchor}` names an anchor `&{event.anchor}` that is not defined above it",
                    f"define `&{event.anchor}` before it is used, or write the value out",
                    event.start_mark,
                )
            node = super().compose_node(parent, index)
            # An alias always has its name and mark, and makes a node; the types only say they may not.
            if node is not None and event.anchor is not None and event.start_mark is not None:
                self.aliases.append((event.anchor, event.start_mark, node))
            return node
        if event.anchor is not None and event.anchor in self.anchors:
            raise _Refused(
                f"the anchor `&{event.anchor}` is defined twice (also on line "
                f"{self.anchors[event.anchor].start_mark.line + 1})",
                "give each anchor its own name",
                event.start_mark,
            )
        self.values += 1
        if self.values > MAX_VALUES:  # counted as they are read, so a huge file stops here, not at the end
            raise _Refused(
                f"this file holds more than {MAX_VALUES:,} values, far more than a file written by hand holds",
                "check it is the right file, and what was pasted into it",
                event.start_mark,
            )
        nests = isinstance(event, (SequenceStartEvent, MappingStartEvent))
        if nests:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Refused(
                    f"this file nests lists and groups more than {MAX_DEPTH} deep",
                    "check the brackets and the indentation: these files need only a few levels",
                    event.start_mark,
                )
        if event.anchor is not None:
            self.open_anchors.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            if event.anchor is not None:
                self.open_anchors.pop()
            if nests:
                self.depth -= 1

    def get_single_node(self) -> yaml.Node | None:
        try:
            return super().get_single_node()
        except yaml.composer.ComposerError as exc:
            if exc.context == "expected a single document in the stream":
                raise _Refused(
                    "this file holds more than one YAML document (a second `---` starts here)",
                    "keep one document: remove this `---` and what follows it, or merge the two",
                    exc.problem_mark,
                ) from None
            raise

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self.last_mark = _Mark(node.start_mark.line)
        return super().construct_object(node, deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> date:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise _Refused(
                f"{node.value} looks like a date, but there is no such day",
                "check the day and the month (YYYY-MM-DD), or put it in quotes if it is text",
                node.start_mark,
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # Python refuses to read numbers of more than 4,300 digits
            raise _Refused(
                f"the number here has {len(node.value):,} digits, more than any setting needs",
                "check what was pasted here, or put it in quotes if it is text",
                node.start_mark,
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _check(root: yaml.Node, aliases: list[tuple[str, _Marked, yaml.Node]]) -> None:
    """Refuse tags we do not read, keys given twice, and aliases that unfold too far (or too deep)."""
    values: dict[int, int] = {}  # node id → how many values it unfolds into
    depths: dict[int, int] = {}
    stack = [(root, False)]
    while stack:  # post-order without recursion: each node once, aliases shared
        node, done = stack.pop()
        key = id(node)
        if key in values:
            continue
        children = _children(node)
        if not done:
            if node.tag not in _TAGS:
                raise _Refused(
                    f"`{node.tag.replace('tag:yaml.org,2002:', '!!')}` is a YAML tag we do not read",
                    "remove the tag and write the value as plain text, a number or a list",
                    node.start_mark,
                )
            if isinstance(node, yaml.MappingNode):
                _no_twice(node)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in values)
            continue
        values[key] = 1 + sum(values[id(c)] for c in children)
        depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
    # Only aliases can take a file past these bounds here: without them, reading it already counted.
    if values[id(root)] > MAX_VALUES or depths[id(root)] > MAX_DEPTH + 1:
        wide = values[id(root)] > MAX_VALUES
        name, mark, _ = max(aliases, key=lambda a: (values if wide else depths)[id(a[2])])
        how = f"into more than {MAX_VALUES:,} values" if wide else f"more than {MAX_DEPTH} levels deep"
        raise _Refused(
            f"the aliases in this file (`*{name}` and others) unfold {how}, far more than a file written by hand holds",
            "write the values out, or use fewer aliases",
            mark,
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _no_twice(node: yaml.MappingNode) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag.endswith(":merge"):
            continue  # `<<` may override: that is what it is for
        if (key.tag, key.value) in seen:
            raise _Refused(
                f"`{key.value}` is given twice (also on line {seen[key.tag, key.value]})",
                "keep the one you mean and remove the other",
                key.start_mark,
            )
        seen[key.tag, key.value] = key.start_mark.line + 1


def _lines(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> Lines:
    """YAML key path → line number, so a problem can say where to look."""
    out: Lines = {}
    if node is None:
        return out
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            here = (*path, key.value)
            out[here] = key.start_mark.line + 1
            out.update(_lines(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            here = (*path, i)
            out[here] = item.start_mark.line + 1
            out.update(_lines(item, here))
    return out
