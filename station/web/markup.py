"""People's own text (show notes, summaries) as safe HTML, and as plain text for search.

Markdown is rendered with raw HTML turned off, then cleaned by nh3 down to a
few harmless tags, so a title or note holding `<script>` is shown as text and
never run, in feeds and pages alike.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False})
_ALLOWED = {"p", "a", "em", "strong", "ul", "ol", "li", "br", "blockquote", "code"}
_SCHEMES = {"https", "http", "mailto", "tel"}


def notes_html(text: str) -> str:
    # Links in people's notes go elsewhere: no referrer, and never a follow for a search engine to count.
    return nh3.clean(
        _markdown.render(text), tags=_ALLOWED, url_schemes=_SCHEMES, link_rel="noopener noreferrer nofollow"
    ).strip()


def plain(text: str) -> str:
    """Markdown → the words a reader sees, on one line."""
    return html.unescape(re.sub(r"\s+", " ", nh3.clean(_markdown.render(text), tags=set()))).strip()
