"""The only module that talks to Icecast's admin interface: the title radio apps show.

Audio goes to Icecast through ffmpeg's own icecast protocol (radio/stream.py);
the title of what is playing is set separately, by the source account, through
`/admin/metadata` — the same request every source client makes.

Titles are UTF-8 and say so (`charset=UTF-8`). Icecast 2.4 keeps a mount's
titles in the mount's own charset, which is ISO-8859-1 unless its `<mount>`
says `<charset>UTF-8</charset>` (docs/deploy.md): on such a mount an em dash
becomes "&#8212;". `mount_title` reads back what Icecast shows, so playout can
say when the server needs that line.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from station.errors import IcecastError


def admin_base(icecast_url: str) -> str:
    """'icecast://host:8000/night.mp3' → 'http://host:8000'."""
    rest = icecast_url.split("://", 1)[1]
    hostport = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"http://{hostport}"


def source_url(icecast_url: str, user: str, password: str) -> str:
    """The address ffmpeg sends to, with the source account in it."""
    scheme, rest = icecast_url.split("://", 1)
    auth = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@"
    return f"{scheme}://{auth}{rest}"


def set_title(icecast_url: str, mount: str, user: str, password: str, title: str, timeout_s: float) -> None:
    query = urllib.parse.urlencode({"mount": mount, "mode": "updinfo", "song": title, "charset": "UTF-8"})
    request = urllib.request.Request(f"{admin_base(icecast_url)}/admin/metadata?{query}")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise IcecastError(f"Icecast refused the title update ({exc.code} {exc.reason})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise IcecastError(f"Icecast could not be reached for the title update ({exc})") from None


def mount_title(icecast_url: str, mount: str, timeout_s: float) -> str | None:
    """The title Icecast's public status (`/status-json.xsl`) shows for `mount`; None if the mount has none
    or is not there. Raises IcecastError when the status cannot be read."""
    try:
        with urllib.request.urlopen(f"{admin_base(icecast_url)}/status-json.xsl", timeout=timeout_s) as response:
            stats = json.loads(response.read().decode("utf-8", "replace"))["icestats"]
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
        raise IcecastError(f"Icecast's status could not be read ({exc})") from None
    sources = stats.get("source", []) if isinstance(stats, dict) else []
    for source in sources if isinstance(sources, list) else [sources]:
        where = urllib.parse.urlsplit(str(source.get("listenurl", ""))).path
        if where == mount:
            title = source.get("title")
            return None if title is None else str(title)
    return None


def has_source(listen_url: str, timeout_s: float) -> bool:
    """Is a source on this mount now? Asked as a listener would (a hidden mount is not in the status page):
    200 and the connection closed at once, or 404. Cheaper than starting a decoder to be told "not found"."""
    try:
        with urllib.request.urlopen(urllib.request.Request(listen_url), timeout=timeout_s) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False
