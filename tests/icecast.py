"""A real Icecast server on loopback, and a radio-app style listener, for stream tests.

This module owns the test side of live streaming: Debian's icecast2 run as a
throwaway server, and a client that hears a mount the way a radio app does.
Nothing is faked: the server is /usr/bin/icecast2 with a generated config, the
listener speaks HTTP + ICY metadata over a real socket.

  icecast_available()            is Debian's icecast2 installed (/usr/bin/icecast2)?
  Icecast(folder=None, *, burst_size=65535, start_timeout=10.0, mounts=None, extra="")
                                 context manager: one icecast2 on a free 127.0.0.1 port; `mounts`
                                 sets <mount> options ({"/night.mp3": {"charset": "UTF-8"}})
    .start() / .stop()           what `with` does, for callers that want them apart
    .host .port .source_password .admin_password .base_url
    .source_url(mount)           icecast://source:<pw>@127.0.0.1:<port>/night.mp3 (for ffmpeg)
    .listen_url(mount)           http://127.0.0.1:<port>/night.mp3
    .status()                    /status-json.xsl as a dict; icestats["source"] is always a list
    .mounts()                    the mounts that have a source now, e.g. ["/night.mp3"]
    .wait_for_mount(mount)       block until a source is on `mount`
    .log_tail(lines=30)          the end of icecast's own output and error log, for messages
  start_icecast(folder)          an Icecast, started; the caller stops it
  record(url, seconds, out, stderr)   ffmpeg as a listener keeping `seconds` of a mount as WAV (a Popen)
  send(url, source, stderr)    ffmpeg as a source client (a presenter's app): `source` (its input
                                 arguments) in real time, as 128 kb/s MP3, to a mount (a Popen)
  IcyListener(url, audio_path, *, seconds=30.0, timeout=5.0)
                                 a listener in a background thread (context manager)
    .titles                      [(time.monotonic() on arrival, title), ...], one per change
    .wait_for_title(title)       block until `title` has arrived; its arrival time
    .wait() / .stop()            let it finish / end it now
    .audio_path .metaint .headers .audio_bytes .connected_at .running .ended .error

No pytest fixture lives here (conftest.py decides those); tests that need the
server skip when icecast_available() is false.
"""

from __future__ import annotations

import contextlib
import grp
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

from station.tools import ffmpeg

ICECAST = Path("/usr/bin/icecast2")
# Debian's package ships the XSL pages (status-json.xsl lives in web/) here.
WEBROOT = Path("/usr/share/icecast2/web")
ADMINROOT = Path("/usr/share/icecast2/admin")
# Icecast refuses to run as root unless told whom to become. Debian's package
# makes this account (its group is "icecast", not "icecast2": we ask the
# account for its group rather than guessing).
RUN_AS = "icecast2"
HOST = "127.0.0.1"


class IcecastError(RuntimeError):
    """The server would not start, or did not do what a test waited for."""


def icecast_available() -> bool:
    return ICECAST.exists() and os.access(ICECAST, os.X_OK)


def _mount(mount: str) -> str:
    """'night.mp3' or '/night.mp3' -> '/night.mp3'."""
    return "/" + mount.lstrip("/")


def _free_port() -> int:
    # The port is free when we look; icecast binds it a moment later. Another
    # process could take it in between, so start() retries on a bind failure.
    # Never a fixed port: on a machine with an init system, installing Debian's
    # package also starts the system icecast2 on 8000 (passwords "hackme"); in
    # a container, policy-rc.d stops that. Either way it is not ours.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Icecast:
    """One icecast2 process on 127.0.0.1:<free port>, with fresh random passwords.

    `folder` (e.g. pytest's tmp_path) gets the generated config, and the logs
    once the server has stopped, so a failed test leaves them to read. While
    it runs, the logs are written to `logdir`.
    """

    host = HOST

    def __init__(
        self,
        folder: Path | None = None,
        *,
        burst_size: int = 65535,
        start_timeout: float = 10.0,
        mounts: dict[str, dict[str, str]] | None = None,
        extra: str = "",
    ):
        self.folder = Path(folder) if folder is not None else None
        # Per-mount settings, e.g. {"/night.mp3": {"charset": "UTF-8"}}: one <mount> each.
        self.mount_settings = mounts or {}
        self.extra = extra  # more XML inside <icecast> (a relay, an <authentication> block for a mount)
        # A new listener is first sent up to burst_size bytes of audio the
        # server already holds (~4 s at 128 kb/s), like Debian's default;
        # 0 puts a listener straight at the live edge.
        self.burst_size = burst_size
        self.start_timeout = start_timeout
        self.port = 0
        # Hex: safe in XML, in a URL's user-info and in a Basic auth header.
        self.source_password = secrets.token_hex(8)
        self.admin_password = secrets.token_hex(8)
        self.process: subprocess.Popen | None = None
        self.config_path: Path | None = None
        self.logdir: Path | None = None
        self._private: Path | None = None  # our own temp folder, removed on stop()
        self._output: Path | None = None  # icecast's stdout and stderr

    # -- addresses ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def source_url(self, mount: str) -> str:
        """Where a source client (ffmpeg's icecast:// protocol) sends a mount."""
        return f"icecast://source:{self.source_password}@{self.host}:{self.port}{_mount(mount)}"

    def listen_url(self, mount: str) -> str:
        return f"{self.base_url}{_mount(mount)}"

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> Icecast:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Icecast:
        if self.process is not None:
            raise IcecastError("this Icecast is already running")
        if not icecast_available():
            raise IcecastError(f"icecast2 is not installed at {ICECAST}: `bash tests/run` installs it")
        account = None
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise IcecastError(
                    f"running as root, icecast2 must change to another user, but there is no "
                    f"{RUN_AS!r} account (Debian's icecast2 package makes it)"
                ) from None
        # Icecast opens its logs *after* dropping to icecast2, so the log
        # folder and every folder above it must let that user in. pytest's
        # tmp_path sits under /tmp/pytest-of-root (mode 0700), so the server's
        # writable files go to a folder of their own in /tmp instead.
        self._private = Path(tempfile.mkdtemp(prefix="icecast-"))
        self.logdir = self._private / "log"
        self.logdir.mkdir()
        if account is not None:
            for path in (self._private, self.logdir):
                os.chown(path, account.pw_uid, account.pw_gid)
        config_dir = self.folder or self._private
        config_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = config_dir / "icecast.xml"
        try:
            attempt = 0
            while True:
                attempt += 1
                self.port = _free_port()
                self.config_path.write_text(self._config(account), encoding="utf-8")
                self._output = self._private / "output.log"
                with open(self._output, "wb") as out:
                    # Not `-b` (background): a child process we can signal and reap.
                    self.process = subprocess.Popen(
                        [str(ICECAST), "-c", str(self.config_path)],
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                if self._wait_until_up():
                    return self
                code = self.process.poll()
                said = self.log_tail()
                self._terminate()
                if attempt < 3 and "could not create listener socket" in said.lower():
                    continue  # another process took the free port before icecast bound it: a new one
                why = (
                    f"exited with code {code}"
                    if code is not None
                    else f"did not answer on {self.base_url}/status-json.xsl within {self.start_timeout:g} s"
                )
                raise IcecastError(f"icecast2 {why} (config {self.config_path}):\n{said}")
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # it exited: a config or bind failure, said in its output
            try:
                # Not just any answer: for its first moments icecast 2.4.4 serves
                # broken JSON ({"icestats":"server_start":...), until its stats
                # thread has filled in the server's own entries.
                if "server_id" in self.status(timeout=1):
                    return True
            except (urllib.error.URLError, OSError, IcecastError):
                pass
            time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop the server (TERM, then KILL); keep its logs in `folder`; remove our temp folder."""
        self._terminate()
        if self._private is not None:
            if self.folder is not None:
                keep = self.folder / "icecast-log"
                shutil.rmtree(keep, ignore_errors=True)
                shutil.copytree(self.logdir, keep)
                if self._output is not None and self._output.exists():
                    self._output = Path(shutil.copy2(self._output, keep / self._output.name))
                self.logdir = keep
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    def log_tail(self, lines: int = 30) -> str:
        """What icecast printed (config/bind errors come before logging starts) and its error log."""
        parts = []
        for name, path in (("output", self._output), ("error.log", self.logdir and self.logdir / "error.log")):
            text = _tail(path, lines) if path else ""
            if text:
                parts.append(f"--- icecast {name} ---\n{text}")
        return "\n".join(parts) or "(icecast wrote nothing)"

    def _config(self, account: pwd.struct_passwd | None) -> str:
        """The whole server config. Only what the tests need; the comments say why it is there."""
        security = ""
        if account is not None:
            group = grp.getgrgid(account.pw_gid).gr_name
            # Without this icecast2 exits at once: "You should not run icecast2 as root".
            security = (
                f"  <security>\n    <chroot>0</chroot>\n    <changeowner>\n"
                f"      <user>{escape(account.pw_name)}</user>\n      <group>{escape(group)}</group>\n"
                f"    </changeowner>\n  </security>\n"
            )
        logdir = escape(str(self.logdir))
        return f"""<icecast>
  <location>loopback</location>
  <admin>tests@localhost</admin>
  <!-- the host in the listen URLs icecast reports (status-json.xsl) -->
  <hostname>{self.host}</hostname>
  <limits>
    <clients>50</clients>
    <sources>8</sources>
    <queue-size>524288</queue-size>
    <client-timeout>30</client-timeout>
    <header-timeout>15</header-timeout>
    <!-- a source that goes silent is dropped after this many seconds -->
    <source-timeout>10</source-timeout>
    <burst-on-connect>{1 if self.burst_size else 0}</burst-on-connect>
    <burst-size>{self.burst_size}</burst-size>
  </limits>
  <authentication>
    <source-password>{self.source_password}</source-password>
    <relay-password>{secrets.token_hex(8)}</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>{self.admin_password}</admin-password>
  </authentication>
  <!-- loopback only: nothing outside this machine can reach the test server -->
  <listen-socket>
    <port>{self.port}</port>
    <bind-address>{self.host}</bind-address>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>{logdir}</basedir>
    <logdir>{logdir}</logdir>
    <webroot>{escape(str(WEBROOT))}</webroot>
    <adminroot>{escape(str(ADMINROOT))}</adminroot>
    <pidfile>{logdir}/icecast.pid</pidfile>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <!-- 3 = info: source connects, metadata updates, listeners -->
    <loglevel>3</loglevel>
  </logging>
{self._mounts()}{self.extra}{security}</icecast>
"""

    def _mounts(self) -> str:
        out = ""
        for mount, settings in self.mount_settings.items():
            inner = "".join(f"    <{k}>{escape(v)}</{k}>\n" for k, v in settings.items())
            out += f'  <mount type="normal">\n    <mount-name>{escape(_mount(mount))}</mount-name>\n{inner}  </mount>\n'
        return out

    # -- what the server says ---------------------------------------------

    def status(self, timeout: float = 5.0) -> dict:
        """/status-json.xsl's "icestats", with "source" always a list.

        Icecast 2.4 writes one active source as an object, several as a list,
        and none as no key at all.
        """
        with urllib.request.urlopen(f"{self.base_url}/status-json.xsl", timeout=timeout) as response:
            text = response.read().decode("utf-8", errors="replace")
        try:
            stats = json.loads(text)["icestats"]
        except (ValueError, KeyError) as exc:
            raise IcecastError(f"status-json.xsl is not the JSON we expect ({exc}):\n{text[:2000]}") from None
        sources = stats.get("source", [])
        stats["source"] = sources if isinstance(sources, list) else [sources]
        return stats

    def mounts(self) -> list[str]:
        """The mounts a source is sending to now, e.g. ["/night.mp3"]."""
        return sorted(urllib.parse.urlsplit(source["listenurl"]).path for source in self.status()["source"])

    def wait_for_mount(self, mount: str, timeout: float = 10.0) -> None:
        mount = _mount(mount)
        deadline = time.monotonic() + timeout
        while mount not in self.mounts():
            if time.monotonic() > deadline:
                raise IcecastError(
                    f"no source on {mount} after {timeout:g} s (mounts: {self.mounts()}):\n{self.log_tail()}"
                )
            time.sleep(0.05)


def start_icecast(folder: Path | None = None, **options) -> Icecast:
    """An Icecast, started (options as for Icecast); the caller must stop() it."""
    return Icecast(folder, **options).start()


def record(url: str, seconds: float, out: Path, stderr) -> subprocess.Popen:
    """ffmpeg as a listener that keeps what it hears: `seconds` of the mount at `url`, as 16-bit WAV in `out`."""
    return subprocess.Popen(
        [
            ffmpeg.executable(),
            *["-hide_banner", "-nostdin", "-v", "error", "-y", "-i", url],
            *["-t", str(seconds), "-c:a", "pcm_s16le", str(out)],
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def send(url: str, source: list[str], stderr) -> subprocess.Popen:
    """ffmpeg as a source client, as a presenter's app is: `source` (its input arguments, and any output
    option such as -t) read in real time, sent to the mount at `url` as 128 kb/s MP3."""
    return subprocess.Popen(
        [
            ffmpeg.executable(),
            *["-hide_banner", "-nostdin", "-v", "error", "-re"],
            *source,
            *["-c:a", "libmp3lame", "-b:a", "128k", "-content_type", "audio/mpeg", "-f", "mp3", url],
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


# ICY metadata: 'StreamTitle='...';StreamUrl='...';' padded with NULs to a
# multiple of 16. A title may itself contain "';", so the title ends only
# where the next field or the block does.
_STREAM_TITLE = re.compile(r"StreamTitle='(.*?)';(?=Stream\w*=|$)", re.DOTALL)


class IcyListener:
    """A radio-app style listener on one mount, in a background thread.

    It asks for ICY metadata (`Icy-MetaData: 1`), splits what arrives every
    `icy-metaint` bytes into audio (written to `audio_path`) and metadata
    blocks, and records each change of StreamTitle with the time.monotonic()
    at which its block arrived. Icecast's first block, sent on connecting, is
    normally StreamTitle='', so `titles` usually starts with an empty one. A
    new title rides in the next block, at most icy-metaint bytes (about a
    second at 128 kb/s) after Icecast gets it.

    It listens for `seconds`, until stop(), or until the server ends the
    stream (`ended`). Every socket read times out after `timeout` seconds, so
    it never hangs; a failure is kept in `error`. There is no reconnect.
    """

    def __init__(self, url: str, audio_path: Path, *, seconds: float = 30.0, timeout: float = 5.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http":
            raise ValueError(f"IcyListener speaks plain http, not {url!r}")
        self.url = url
        self._address = (parts.hostname, parts.port or 80)
        self._path = parts.path or "/"
        self.audio_path = Path(audio_path)
        self.seconds = seconds
        self.timeout = timeout
        self.titles: list[tuple[float, str]] = []
        self.metaint: int | None = None  # None until the response headers are in; 0 if the server sent none
        self.headers: dict[str, str] = {}
        self.audio_bytes = 0
        self.connected_at: float | None = None
        self.ended = False  # the server closed the stream (its source went away)
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._conn: http.client.HTTPConnection | None = None
        self._sock: socket.socket | None = None
        self._response: http.client.HTTPResponse | None = None
        self._thread = threading.Thread(target=self._run, name=f"icy-listener {url}", daemon=True)

    def __enter__(self) -> IcyListener:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> IcyListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the listening now and wait for the thread."""
        self._stop.set()
        # A read in progress would otherwise wait for the next bytes or its timeout.
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(self.timeout + 5)

    def wait(self, timeout: float | None = None) -> None:
        """Let it finish on its own (its `seconds` run out, or the stream ends)."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the listener on {self.url} is still listening after {timeout} s")

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait_for_title(self, title: str, timeout: float = 10.0) -> float:
        """Block until `title` has arrived; return the time.monotonic() at which it did."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for at, seen in self.titles:
                    if seen == title:
                        return at
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise TimeoutError(
                        f"title {title!r} did not reach the listener on {self.url} within "
                        f"{timeout:g} s; it heard {[t for _, t in self.titles]!r}"
                        + (f" (error: {self.error!r})" if self.error else "")
                        + (" (the stream ended)" if self.ended else "")
                    )
                self._changed.wait(min(left, 0.1))

    # -- the thread --------------------------------------------------------

    def _run(self) -> None:
        try:
            self._listen()
        except BaseException as exc:  # kept for the test to see: the thread must not die loudly
            if not self._stop.is_set():  # stop() shutting the socket is not a failure
                self.error = exc
        finally:
            for part in (self._response, self._conn):
                if part is not None:
                    part.close()
            with self._changed:
                self._changed.notify_all()

    def _listen(self) -> None:
        self._conn = http.client.HTTPConnection(*self._address, timeout=self.timeout)
        self._conn.request("GET", self._path, headers={"Icy-MetaData": "1", "User-Agent": "tests.icecast.IcyListener"})
        # Kept for stop(): http.client lets go of the socket once it sees
        # "Connection: Close", which Icecast sends, though the response reads on.
        self._sock = self._conn.sock
        response = self._response = self._conn.getresponse()
        self.connected_at = time.monotonic()
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        if response.status != 200:
            raise IcecastError(f"{self.url} answered {response.status} {response.reason}")
        self.metaint = int(self.headers.get("icy-metaint", "0"))
        deadline = self.connected_at + self.seconds
        last_title: str | None = None
        with open(self.audio_path, "wb") as audio:
            while True:
                if self._stop.is_set() or time.monotonic() >= deadline:
                    return
                if not self.metaint:
                    chunk = response.read1(4096)
                    if not chunk:
                        self._eof()
                        return
                    audio.write(chunk)
                    self.audio_bytes += len(chunk)
                    continue
                # metaint bytes of audio, read in small pieces so stop() and
                # the deadline are noticed within a fraction of a second ...
                left = self.metaint
                while left:
                    if self._stop.is_set() or time.monotonic() >= deadline:
                        return
                    chunk = response.read1(min(left, 4096))
                    if not chunk:
                        self._eof()
                        return
                    audio.write(chunk)
                    self.audio_bytes += len(chunk)
                    left -= len(chunk)
                # ... then one length byte (x16) and that much metadata; 0 = no change.
                length = self._read_exactly(response, 1)
                if length is None:
                    return
                if length[0]:
                    block = self._read_exactly(response, length[0] * 16)
                    if block is None:
                        return
                    title = self._title(block)
                    if title is not None and title != last_title:
                        last_title = title
                        with self._changed:
                            self.titles.append((time.monotonic(), title))
                            self._changed.notify_all()

    def _read_exactly(self, response: http.client.HTTPResponse, n: int) -> bytes | None:
        data = b""
        while len(data) < n:
            chunk = response.read1(n - len(data))
            if not chunk:
                self._eof()
                return None
            data += chunk
        return data

    def _eof(self) -> None:
        # An end of stream we did not cause: the server closed it (its source left).
        self.ended = not self._stop.is_set()

    @staticmethod
    def _title(block: bytes) -> str | None:
        raw = block.rstrip(b"\0")
        # Icecast 2.4 passes a title's bytes on as the source sent them (UTF-8
        # from the admin API), unless the update named a charset: then it
        # re-encodes to Latin-1, what older players expect.
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        match = _STREAM_TITLE.search(text)
        return match.group(1) if match else None
