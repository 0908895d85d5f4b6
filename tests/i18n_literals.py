"""Find the words in Jinja2 templates that a reader would see but no catalogue could translate.

`untranslated_literals(folder)` reads every template under `folder` (not `static/`) with Jinja2's own parser,
so a `{% trans %}` block or a `_()` / `gettext()` / `ngettext()` call is told apart from the text around it,
and lists each piece of English left outside them:

- text between tags (not inside <script>, <style> or a comment);
- the attributes a person reads or hears: alt, title, aria-label, placeholder, label, the value of an
  <input> button (a <button>'s value is sent, not shown),
  and a <meta name="description">'s content;
- a string literal a template prints where such text goes (`{{ "links" if n > 1 }}`), so plurals and
  labels are not built from English pieces in an expression.

Words are runs of two or more letters; a placeholder, a number or punctuation alone is not a word. Used by
tests/test_i18n.py for the site's templates, and by the desk's tests for station/desk/templates.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
from jinja2 import nodes

WORD = re.compile(r"[^\W\d_]{2,}")
ADDRESS = re.compile(r"\S*/\S*|\S*\w\.\w\S*")  # a path, an address or a file name ("feed.xml"): not words
SPOT = re.compile("\ue000(\\d+)\ue001")  # where an expression's output goes in the flattened template
VISIBLE_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "label", "aria-description"}
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def untranslated_literals(template_dir: Path) -> list[str]:
    """Each untranslated piece of text in the templates under `template_dir`, as "file line: 'text'"."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    found: list[str] = []
    for path in sorted(template_dir.rglob("*.html")):
        rel = path.relative_to(template_dir)
        if rel.parts[0] == "static":
            continue
        tree = env.parse(path.read_text(encoding="utf-8"), name=str(rel))
        flat: list[str] = []
        printed: list[tuple[int, list[str]]] = []  # per expression: its line, the literals it can print
        _flatten(tree, flat, printed)
        found += [f"{rel} {where}" for where in _visible_words("".join(flat), printed)]
    return found


def _flatten(node: nodes.Node, flat: list[str], printed: list[tuple[int, list[str]]]) -> None:
    """The template as one string of HTML: its literal text as written, each expression a numbered spot."""
    if isinstance(node, nodes.TemplateData):
        flat.append(node.data)
        return
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                flat.append(child.data)
            else:
                flat.append(f"\ue000{len(printed)}\ue001")
                printed.append((child.lineno, list(_printed_literals(child))))
        return
    for child in node.iter_child_nodes():
        _flatten(child, flat, printed)


def _printed_literals(expr: nodes.Node):
    """The string constants an expression can print as they are (not those it passes to a function or filter)."""
    if isinstance(expr, nodes.Const):
        if isinstance(expr.value, str):
            yield expr.value
    elif isinstance(expr, nodes.CondExpr):
        yield from _printed_literals(expr.expr1)
        if expr.expr2 is not None:
            yield from _printed_literals(expr.expr2)
    elif isinstance(expr, nodes.Concat):
        for part in expr.nodes:
            yield from _printed_literals(part)
    elif isinstance(expr, nodes.Getitem) and isinstance(expr.node, nodes.Dict):
        for pair in expr.node.items:
            yield from _printed_literals(pair.value)
    elif isinstance(expr, nodes.Filter | nodes.Test) and expr.node is not None:
        yield from _printed_literals(expr.node)  # the value filtered, not the filter's arguments
    elif isinstance(expr, nodes.MarkSafe | nodes.MarkSafeIfAutoescape):
        yield from _printed_literals(expr.expr)
    elif isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Name) and expr.node.name in GETTEXT:
        return  # translated


class _Reader(HTMLParser):
    def __init__(self, printed: list[tuple[int, list[str]]]):
        super().__init__(convert_charrefs=True)
        self.printed = printed
        self.hidden = 0  # inside <script> or <style>
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            visible = (
                name in VISIBLE_ATTRIBUTES
                or (name == "value" and tag == "input" and values.get("type") in ("submit", "button", "reset"))
                or (name == "content" and tag == "meta" and values.get("name") == "description")
            )
            if visible and value:
                self.check(value, f"<{tag} {name}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.check(data, "text")

    def check(self, text: str, where: str) -> None:
        plain = SPOT.sub(" ", text)
        if WORD.search(ADDRESS.sub(" ", plain)):
            self.found.append(f"({where}): {' '.join(plain.split())!r}")
        for spot in SPOT.finditer(text):
            line, literals = self.printed[int(spot.group(1))]
            for literal in literals:
                if WORD.search(ADDRESS.sub(" ", literal)):
                    self.found.append(f"line {line} ({where}, printed from an expression): {literal!r}")


def _visible_words(html: str, printed: list[tuple[int, list[str]]]) -> list[str]:
    reader = _Reader(printed)
    reader.feed(html)
    reader.close()
    return reader.found
