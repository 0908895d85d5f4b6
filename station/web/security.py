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
import urllib.parse
from pathlib import Path

# The one Content Security Policy of the site: sent as a header by the preview
# server and written into every page's <meta> by the site builder. Everything comes from
# the site itself; no inline script or style, no eval, no frames of us.
# media-src has blob: for the listen control's HLS player (hls.js hands the audio to <audio> through Media
# Source Extensions, as a blob: URL made in the page).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _meta(policy: str) -> str:
    # CSP 3 §6.1: a <meta> policy ignores frame-ancestors (browsers log a console
    # error for it), so the copy for pages leaves it out; the header keeps it.
    return "; ".join(d for d in policy.split("; ") if not d.startswith("frame-ancestors"))


CSP_META = _meta(CSP)


def origin(url: str | None) -> str | None:
    """'https://radio.example.org:8443/night.mp3' → 'https://radio.example.org:8443'."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}" if parts.scheme and parts.netloc else None


def csp(listen_url: str | None = None, form_to: str | None = None, meta: bool = False) -> str:
    """The policy of a station's pages, widened only where the station's settings say so:

    - `listen_url` (`[stream] listen_url`): <audio> may play the station's own Icecast mount when it is
      somewhere other than the site — the one other place a page may reach, and only for audio;
    - `form_to` (`[desk] feedback_url`): the listener feedback form may post to exactly that address — the
      one place outside the site a page may send anything.

    `meta=True`: the copy a page's <meta> carries (without frame-ancestors, which <meta> ignores)."""
    policy = CSP
    where = origin(listen_url)
    if where:
        policy = policy.replace("media-src 'self' blob:", f"media-src 'self' blob: {where}")
    if form_to:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {form_to}")
    return _meta(policy) if meta else policy


SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def headers(listen_url: str | None = None, form_to: str | None = None) -> dict[str, str]:
    """The security headers a server of the site sends, with the policy `csp` gives for these settings."""
    return {**SECURITY_HEADERS, "Content-Security-Policy": csp(listen_url, form_to)}


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
