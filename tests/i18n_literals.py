"""Words in a Jinja2 template that no catalogue can translate: text and visible attributes outside
`{% trans %}`, and prose string literals outside `_()` / `gettext()` / `ngettext()`.

untranslated_literals(template_dir)   every such literal, as "file:line: 'words'" (empty: none)

A literal counts when it holds a word of two letters or more. What is not words is let through: markup,
`{{ … }}` and `{% … %}` themselves, entities, punctuation, numbers; in expressions, a string that is one
lower-case word or has no words (`'static'`, `"%H:%M"`, `", "`), since those are keys, formats and joins.
"""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

from jinja2 import Environment

WORD = re.compile(r"[^\W\d_]{2,}")
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label", "aria-description", "content"}
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
HOLE = " "  # where a {{ … }} or {% … %} was


def _prose(literal: str) -> bool:
    """A string literal that reads as words for people: words with a space between, or one capitalised word
    (not a file name, an endpoint or a key: `"base.html"`, `'asks.new'`, `"is_error"`)."""
    text = literal[1:-1] if literal[:1] in "'\"" else literal
    if len(WORD.findall(text)) >= 2 and re.search(r"\s", text.strip()):
        return True
    return bool(re.fullmatch(r"[^\W\d_][^\W\d_]*[a-z][^\W\d_]*", text)) and text[0].isupper()


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and WORD.search(value):
                if tag == "meta" and name == "content":
                    continue  # a meta's content is for machines (viewport, referrer)
                self.found.append((self.getpos()[0], f"{name}={value}"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and WORD.search(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def _skeleton(env: Environment, source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template's markup with each tag of Jinja's a hole and `{% trans %}` blocks emptied, and the prose
    string literals found in its expressions outside gettext calls."""
    out: list[str] = []
    literals: list[tuple[int, str]] = []
    in_trans = False
    block: list[tuple[int, str, str]] = []  # the tokens of the tag being read
    for lineno, kind, value in env.lex(source):
        if kind in ("block_begin", "variable_begin"):
            block = []
            continue
        if kind in ("block_end", "variable_end"):
            names = [v for _, k, v in block if k == "name"]
            if names[:1] == ["trans"]:
                in_trans = True
            elif names[:1] == ["endtrans"]:
                in_trans = False
            elif not in_trans:
                literals += _outside_gettext(block)
            out.append(HOLE if not in_trans else "")
            continue
        if kind in ("data",):
            # Keep the line count, so positions the HTML parser gives are the template's lines.
            out.append("\n" * value.count("\n") if in_trans else value)
        elif kind == "comment_begin" or kind == "comment" or kind == "comment_end":
            continue
        else:
            block.append((lineno, kind, value))
    return "".join(out), literals


def _outside_gettext(tokens: list[tuple[int, str, str]]) -> list[tuple[int, str]]:
    found = []
    depth_in_gettext: list[int] = []  # paren depths at which a gettext call opened
    depth = 0
    previous: tuple[str, str] | None = None
    for lineno, kind, value in tokens:
        if kind == "operator" and value == "(":
            depth += 1
            if previous and previous[0] == "name" and previous[1] in GETTEXT:
                depth_in_gettext.append(depth)
        elif kind == "operator" and value == ")":
            if depth_in_gettext and depth_in_gettext[-1] == depth:
                depth_in_gettext.pop()
            depth -= 1
        elif kind == "string" and not depth_in_gettext and _prose(value):
            found.append((lineno, value))
        previous = (kind, value)
    return found


def untranslated_literals(template_dir: Path) -> list[str]:
    env = Environment(extensions=["jinja2.ext.i18n"])
    found = []
    for path in sorted(template_dir.rglob("*.html")):
        name = path.relative_to(template_dir)
        skeleton, literals = _skeleton(env, path.read_text(encoding="utf-8"))
        parser = _Text()
        parser.feed(skeleton)
        parser.close()
        found += [f"{name}:{line}: {text!r}" for line, text in parser.found]
        found += [f"{name}:{line}: {text!r} (a string outside _())" for line, text in literals]
    return found
