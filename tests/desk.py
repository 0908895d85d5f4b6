"""The desk served for real on a loopback port, and a plain HTTP client that signs in like a browser.

desk_station(demo, tmp_path)   a private copy of the built demo station (content, scheduler, state, site)
fresh_station(tmp_path)        the repository's demo station copied as it is, not built (fast), accounts ready
Served(root, build=...)        context manager: the desk on a free port, with accounts ready
ServedProcess(root)            the same in a process of its own, so its memory and files can be measured
schedule_form(page)            the schedule form's fields as the page fills them in
Client(base)                   requests with a cookie jar that keeps Secure cookies on loopback,
                               as browsers do for a local address, and reads CSRF tokens from forms
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import requests

from station import config as config_mod
from station.desk.accounts import Accounts
from station.desk.server import make_server

PASSWORDS = {"coord": "coordinator pass 1", "sam": "presenter pass 1", "robin": "presenter pass 2"}
NAMES = {"coord": "Ali", "sam": "Sam", "robin": "Robin"}


REPO = Path(__file__).resolve().parent.parent


def desk_station(demo, tmp_path: Path) -> Path:
    """The demo as built by the session's `demo` fixture, copied so a test may change anything in it."""
    source, _ = demo
    root = tmp_path / "station"
    shutil.copytree(source, root, symlinks=True)
    _accounts(root)
    return root


def fresh_station(tmp_path: Path, toml: str = "") -> Path:
    """The repository's demo station as it is in git, never built, with the same accounts: for tests of the
    desk's doors and forms, which need no build. `toml` is added to its station.toml."""
    root = tmp_path / "station"
    root.mkdir(parents=True)
    (root / "station.toml").write_text((REPO / "station.toml").read_text() + "\n" + toml)
    for folder in ("content", "scheduler"):
        shutil.copytree(REPO / folder, root / folder)
    _accounts(root)
    return root


def _accounts(root: Path) -> None:
    accounts = Accounts(root / "records" / "desk.sqlite")
    made = {
        name: accounts.add(name, password, "coordinator" if name == "coord" else "presenter", NAMES[name])
        for name, password in PASSWORDS.items()
    }
    # Robin looks after Night Talk's episodes, Sam after Small Steps'.
    for show, user in (("night-talk", "robin"), ("small-steps", "sam")):
        for recording in sorted((root / "content" / "shows" / show).iterdir()):
            if recording.suffix in (".mp3", ".m4a", ".ogg", ".webm"):
                accounts.set_owner(f"content/shows/{show}/{recording.name}", made[user].id)
    accounts.close()


class Served:
    def __init__(self, root: Path, build: bool = False):
        self.config = config_mod.load(root)
        self.server, self.app = make_server(self.config, "127.0.0.1", 0, build=build)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.clients: list[Client] = []

    def _run(self) -> None:
        # waitress has no stop(): closing its socket ends the loop, whose last select() then fails.
        with contextlib.suppress(OSError, ValueError):
            self.server.run()

    @property
    def desk(self):
        return self.app.extensions["desk"]

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        # The loop runs while a connection is open, and a client's kept-alive one would hold it for waitress's
        # channel timeout: closed from this end, each is gone at the loop's next turn.
        for client in self.clients:
            client.http.close()
        self.thread.join(timeout=5)
        if self.desk.builder is not None:
            self.desk.builder.stop()
        self.desk.accounts.close()

    def client(self, user: str | None = None) -> Client:
        c = Client(self.base)
        self.clients.append(c)
        if user:
            c.sign_in(user, PASSWORDS[user])
        return c


class ServedProcess:
    """The desk in a Python process of its own (`python -m tests.desk ROOT`), so that what it holds — memory,
    open files, bytes written — is its own and can be read from /proc."""

    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / "tmp"  # its TMPDIR: whatever it spools where it should not is seen here
        self.tmp.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.desk", str(root)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            env={**os.environ, "TMPDIR": str(self.tmp)},
        )
        line = self.proc.stdout.readline().decode()
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError(f"the desk did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line)}"
        self.port = int(line)

    def __enter__(self) -> ServedProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def client(self, user: str | None = None) -> Client:
        c = Client(self.base)
        if user:
            c.sign_in(user, PASSWORDS[user])
        return c

    def status(self, key: str) -> int:
        """A /proc/<pid>/status figure in kB (VmRSS, VmHWM …)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def written(self) -> int:
        """Bytes the process has written so far (to files, spools included)."""
        for line in Path(f"/proc/{self.proc.pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
        raise KeyError("wchar")

    def held(self) -> int:
        """Bytes in the files the process holds open (spooled bodies, uploads)."""
        total = 0
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
                    info = os.stat(fd)
                    if (info.st_mode & 0o170000) == 0o100000:
                        total += info.st_size
        return total


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

    def action(self, path: str) -> str:
        """Where the upload form on the page at `path` posts to (its address carries the CSRF token)."""
        return action_of(self.get(path).text, path)

    def sign_in(self, user: str, password: str) -> requests.Response:
        r = self.post("/sign-in", {"csrf": self.token("/sign-in"), "username": user, "password": password})
        assert r.status_code == 302, r.text
        return r


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def action_of(page: str, default: str = "") -> str:
    """Where the page's upload form posts (`default`, the page itself, for a form without an action)."""
    found = re.search(r'<form method="post" enctype="multipart/form-data" action="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else default


def schedule_form(page: str) -> dict:
    """The schedule form's fields as the page fills them (inputs, checked boxes, selected options, text)."""
    form: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or (('type="checkbox"' in tag or 'type="radio"' in tag) and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        form.setdefault(name.group(1), []).append(html.unescape(value.group(1)) if value else "")
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        form.setdefault(name, []).append(html.unescape(body))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        if chosen:
            form.setdefault(name, []).append(html.unescape(chosen.group(1)))
    return form


def said(page: str | bytes) -> str:
    """A page's words as a reader gets them: tags gone, entities read, spaces collapsed."""
    if isinstance(page, bytes):
        page = page.decode("utf-8", "replace")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def episode_ids(html: str) -> list[str]:
    return re.findall(r'href="/episodes/([0-9a-f]+)"', html)


if __name__ == "__main__":  # ServedProcess: serve ROOT's desk on a free port, say which, and run
    from station import config as _config

    _server, _ = make_server(_config.load(Path(sys.argv[1])), "127.0.0.1", 0, build=False)
    print(_server.effective_port, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        _server.run()
