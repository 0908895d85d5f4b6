"""The site's security policy and the types its files are served as: one definition for every place they go.

The Content Security Policy and the other security headers are sent by the
preview server (serve.py) and written into every page's <meta> by the site
builder (site.py); the Content-Type of each file is the one the preview
server sends and the one the bucket is told (publish.py). Nothing here runs a
server or writes a page, so the site and the bucket need not import the
preview server to agree with it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

# The one Content Security Policy of the site: sent as a header by the preview
# server and written into every page's <meta> by the site builder. Everything comes from
# the site itself; no inline script or style, no eval, no frames of us.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# CSP 3 §6.1: a <meta> policy ignores frame-ancestors (browsers log a console
# error for it), so the copy for pages leaves it out; the header keeps it.
CSP_META = "; ".join(d for d in CSP.split("; ") if not d.startswith("frame-ancestors"))

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def policy(form_to: str | None = None) -> str:
    """The CSP, with forms also allowed to post to exactly `form_to`: the desk's feedback address
    (`[desk] public_url`), the one place outside the site a page may send anything, and only when asked."""
    return CSP.replace("form-action 'self'", f"form-action 'self' {form_to}") if form_to else CSP


def meta_policy(form_to: str | None = None) -> str:
    """The policy as a page's <meta> carries it (without frame-ancestors, which <meta> ignores)."""
    return "; ".join(d for d in policy(form_to).split("; ") if not d.startswith("frame-ancestors"))


def headers(form_to: str | None = None) -> dict[str, str]:
    """The security headers a server of the site sends, for a station whose pages post feedback to `form_to`."""
    return {**SECURITY_HEADERS, "Content-Security-Policy": policy(form_to)}


# nosniff makes browsers trust Content-Type alone, so every file the site
# holds needs the right one; mimetypes depends on the machine's
# /etc/mime.types, so the site's own types are fixed here.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
    ".xml": "application/rss+xml",  # the podcast feeds (RSS 2.0)
    ".atom": "application/atom+xml",  # the asks and their answers (web/asks.py)
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt",  # WebVTT is always UTF-8 (W3C WebVTT §4.1)
    ".srt": "application/x-subrip",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
    ".opml": "text/x-opml",
    ".m3u8": "application/vnd.apple.mpegurl",  # HLS playlists of the stream
    ".ts": "video/mp2t",
    ".aac": "audio/aac",
    ".m4a": "audio/mp4",
}
# A sitemap is XML but not a feed.
CONTENT_TYPES_BY_NAME = {"sitemap.xml": "application/xml"}


def content_type(path: Path) -> str:
    by_name = CONTENT_TYPES_BY_NAME.get(path.name.lower())
    if by_name:
        return by_name
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"
