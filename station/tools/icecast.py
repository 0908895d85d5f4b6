"""The only module that talks to Icecast's admin interface: the title radio apps show.

Audio goes to Icecast through ffmpeg's own icecast protocol (radio/stream.py);
the title of what is playing is set separately, by the source account, through
`/admin/metadata` — the same request every source client makes.
"""

from __future__ import annotations

import base64
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
    query = urllib.parse.urlencode({"mount": mount, "mode": "updinfo", "song": title})
    # No `charset`: Icecast 2.4 then passes UTF-8 through to listeners as it is; with charset=UTF-8 it
    # re-encodes to Latin-1 and turns anything else (an em dash) into "&#8212;".
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
