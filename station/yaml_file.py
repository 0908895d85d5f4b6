"""Reading a hand-written YAML file: its data, where each key sits, and plain-worded problems.

Shared by episode sidecars and resource entries, so both say the same thing
about a tab, a stray colon or a file that is not text.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import Problem


def read(path: Path, where: str, example: str,
         text: str | None = None) -> tuple[dict | None, dict[tuple, int], list[Problem]]:
    """(data, key path → line number, problems); data is None when the file cannot be used at all.

    `text`, when given, is read in place of the file: an edit checked before it is written.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            return None, {}, [Problem(where, f"this file cannot be read ({exc.strerror})", "check its permissions")]
        except UnicodeDecodeError:
            return None, {}, [Problem(where, "this file is not plain text", "save it as UTF-8 text")]
    try:
        data = yaml.safe_load(text)
        lines = _lines(yaml.compose(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark else ""
        return None, {}, [Problem(f"{where}{at}", f"this is not valid YAML ({getattr(exc, 'problem', exc)})",
                                  "check the indentation and put text with a colon in quotes")]
    if not isinstance(data, dict):
        return None, {}, [Problem(where, "this file is empty or is not a list of `key: value` lines",
                                  f"fill it in as in {example}")]
    return data, lines, []


def _lines(node, path: tuple = ()) -> dict[tuple, int]:
    """YAML key path → line number, so a problem can say where to look."""
    out: dict[tuple, int] = {}
    if node is None:
        return out
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = path + (key.value,)
            out[here] = key.start_mark.line + 1
            out.update(_lines(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            here = path + (i,)
            out[here] = item.start_mark.line + 1
            out.update(_lines(item, here))
    return out
