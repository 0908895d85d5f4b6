"""The desk served for real on a loopback port, and a plain HTTP client that signs in like a browser.

  desk_station(demo, tmp_path)   a private copy of the built demo station (content, scheduler, state, site)
  Served(root, build=...)        context manager: the desk on a free port, with accounts ready
  Client(base)                   requests with a cookie jar that keeps Secure cookies on loopback,
                                 as browsers do for a local address, and reads CSRF tokens from forms
"""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
from pathlib import Path

import requests

from station import config as config_mod
from station.desk.accounts import Accounts
from station.desk.server import make_server

PASSWORDS = {"coord": "coordinator pass 1", "sam": "presenter pass 1", "robin": "presenter pass 2"}
NAMES = {"coord": "Ali", "sam": "Sam", "robin": "Robin"}


def desk_station(demo, tmp_path: Path) -> Path:
    """The demo as built by the session's `demo` fixture, copied so a test may change anything in it."""
    source, _ = demo
    root = tmp_path / "station"
    shutil.copytree(source, root, symlinks=True)
    accounts = Accounts(root / "records" / "desk.sqlite")
    made = {name: accounts.add(name, password, "coordinator" if name == "coord" else "presenter", NAMES[name])
            for name, password in PASSWORDS.items()}
    # Robin looks after Night Talk's episodes, Sam after Small Steps'.
    for show, user in (("night-talk", "robin"), ("small-steps", "sam")):
        for recording in sorted((root / "content" / "shows" / show).iterdir()):
            if recording.suffix in (".mp3", ".m4a", ".ogg", ".webm"):
                accounts.set_owner(f"content/shows/{show}/{recording.name}", made[user].id)
    accounts.close()
    return root


class Served:
    def __init__(self, root: Path, build: bool = False):
        self.config = config_mod.load(root)
        self.server, self.app = make_server(self.config, "127.0.0.1", 0, build=build)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        # waitress has no stop(): closing its socket ends the loop, whose last select() then fails.
        with contextlib.suppress(OSError, ValueError):
            self.server.run()

    @property
    def desk(self):
        return self.app.extensions["desk"]

    def __enter__(self) -> "Served":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        self.thread.join(timeout=5)
        if self.desk.builder is not None:
            self.desk.builder.stop()
        self.desk.accounts.close()

    def client(self, user: str | None = None) -> "Client":
        c = Client(self.base)
        if user:
            c.sign_in(user, PASSWORDS[user])
        return c


class Client:
    def __init__(self, base: str):
        self.base, self.cookies, self.http = base, {}, requests.Session()

    def _send(self, method: str, path: str, **kw) -> requests.Response:
        headers = {**kw.pop("headers", {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        r = self.http.request(method, self.base + path, headers=headers, allow_redirects=False, timeout=60, **kw)
        for header in r.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "Max-Age=0" in header or "01 Jan 1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return r

    def get(self, path: str, **kw) -> requests.Response:
        return self._send("GET", path, **kw)

    def post(self, path: str, data: dict | None = None, **kw) -> requests.Response:
        return self._send("POST", path, data=data, **kw)

    def token(self, path: str) -> str:
        return csrf_of(self.get(path).text)

    def sign_in(self, user: str, password: str) -> requests.Response:
        r = self.post("/sign-in", {"csrf": self.token("/sign-in"), "username": user, "password": password})
        assert r.status_code == 302, r.text
        return r


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def episode_ids(html: str) -> list[str]:
    return re.findall(r'href="/episodes/([0-9a-f]+)"', html)
