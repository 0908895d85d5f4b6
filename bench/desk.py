"""Benchmark: the station desk: an upload over real HTTP, the server's memory while it takes one, and the page
a presenter reloads while waiting.

The station is made in a temporary folder under bench/out/desk/: station.toml (with `[desk] max_upload_mb` set
above the largest recording), content/artwork.jpg from the repository, and one show folder with its show.toml.
A presenter account (`sam`) is added with `station.desk.accounts.Accounts`. The desk is the real one,
`station.desk.server.make_server(config, "127.0.0.1", 0, build=False)` (waitress, 8 threads; no build after an
upload), run in its own Python process (this script with a hidden flag) so that its memory is its own; its
TMPDIR is a folder of the station's, so the temporary files it holds can be seen. This process is the browser:
`tests.desk.Client` (requests, keeping the desk's Secure cookies on loopback), signed in through /sign-in.

The recordings are real audio made once with the bundled ffmpeg (`station.tools.ffmpeg.executable()`) and
cached in bench/out/desk/: pink noise, 44.1 kHz 16-bit stereo WAV: --big-minutes (default 30: 302.8 MB) and
--small-minutes (default 2: 20.2 MB). MB here are 2**20 bytes (the 30-minute file is 317.5 million bytes).

1. upload. POST /upload, multipart/form-data with a valid form (as tests/test_desk_upload.py fills it) and the
   recording, streamed from the file 1 MiB at a time with its Content-Length, as a browser sends it (requests'
   `files=` would build the whole body in memory first), until the desk answers 303. What the desk does in that
   time: waitress receives the body (spooled to a temporary file past 1 MB), Werkzeug parses the multipart body
   (the file part into a temporary file of its own past 500 KB), `uploads.accept` checks the form, copies the
   recording into a hidden `.part` file in the show folder, fsyncs it, has ffmpeg decode its first minute,
   writes the sidecar and renames both into place. Timed in the desk process too (`bench.timing.phase_timer`):
   the WSGI app, the multipart parse, `accept`, its ffmpeg check and fsync; receiving = the client's time minus
   the app's.
   * baseline: `shutil.copyfile` of the same file into the same folder, in this process; also shown: the same
     copy followed by an fsync, which `accept` does and copyfile does not.
   Each size --repeat times (default 3), sides alternating, best counts; each copy and upload is deleted after.
   The source file is read from the page cache by both sides (it was just made or read).

2. memory. For each size, the desk process's peak RSS is reset (`5` written to /proc/<pid>/clear_refs) before
   the upload and VmHWM read after it: the growth is what taking that upload cost in memory, next to the file's
   size. Also, sampled every 20 ms: the largest total size of the files the desk held open in its TMPDIR (the
   temporary copies of the upload), and from /proc/<pid>/io the bytes it wrote (`wchar`) per byte uploaded.
   This process's own peak RSS shows the client streamed too.

3. the episode page. A presenter who has just uploaded reloads GET /episodes/<id> until the state changes; the
   page reads every show's recordings and sidecars (`catalog.load`), the last build's report, and every
   transcript record the last build left (`build.transcripts.records`). With 5 and with 50 episodes in the
   show (copies of the small WAV, each with a valid sidecar like tests/conftest.py's `sidecar()`, all owned by
   the presenter), a build report (`.station/last-build.json`) in which all but the newest are published (a
   warning on every fifth), and the newest recording changed after it ("Waiting for the next build": the one
   reloaded). Two states of the station: no transcript records (transcripts off, or never built), and one record per
   published episode as a build leaves it in .station/cache/episodes/ (--transcript-words words with their
   timings, 4,000 by default: about 25 minutes of speech, made as bench/site.py makes them). The presenter's
   episode list (GET /) reads the same and is timed too.
   * baseline: GET /static/desk.css, served by the same desk, signed in, same client.
   --requests each (default 50), taking turns, after 3 untimed; the median counts.

    .venv/bin/python -m bench.desk [--big-minutes 30] [--small-minutes 2] [--repeat 3] [--requests 50]
    .venv/bin/python -m bench.desk --big-minutes 4 --small-minutes 1 --repeat 2 --requests 20   # quick check
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import yaml

from bench import timing
from station.desk.accounts import Accounts
from station.tools import ffmpeg
from tests.desk import PASSWORDS, Client, csrf_of

REPO = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out" / "desk"
MB = 1024 * 1024
USER = "sam"
SHOW = "night-talk"
STATION_TOML = """\
[station]
name = "Bench Station"
base_url = "https://bench.example.org/"
contact_email = "hello@bench.example.org"
language = "en-GB"
artwork = "content/artwork.jpg"

[build]
settle_s = 0

[desk]
max_upload_mb = {max_mb}
"""


# ================================================================ the station and the audio


def recording(minutes: float) -> Path:
    """Pink noise, 44.1 kHz 16-bit stereo WAV, made once and kept in bench/out/desk/."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"noise-{minutes:g}min.wav"
    if not path.exists():
        part = path.with_suffix(".part.wav")
        subprocess.run(
            [
                ffmpeg.executable(),
                "-v",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"anoisesrc=color=pink:amplitude=0.2:sample_rate=44100:duration={minutes * 60:g}:seed=7",
                "-ac",
                "2",
                "-c:a",
                "pcm_s16le",
                str(part),
            ],
            check=True,
        )
        part.rename(path)
    return path


def sidecar(title: str) -> dict:
    """A valid sidecar, as tests/conftest.py's `sidecar()` makes them."""
    return {
        "title": title,
        "description": "Sam on the ride home.",
        "presenters": [{"name": "Sam", "tier": "first-name"}],
        "consent": {"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site", "stream"]},
        "topics": ["struggle.decision_to_recover"],
    }


def write_station(root: Path, max_mb: int) -> None:
    folder = root / "content" / "shows" / SHOW
    folder.mkdir(parents=True)
    (root / "station.toml").write_text(STATION_TOML.format(max_mb=max_mb), encoding="utf-8")
    shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")
    (folder / "show.toml").write_text('title = "Night Talk"\ndescription = "Peers after midnight."\n')
    (root / ".station" / "tmp").mkdir(parents=True)
    accounts = Accounts(root / "records" / "desk.sqlite")
    accounts.add(USER, PASSWORDS[USER], "presenter", "Sam")
    accounts.close()


def form(token: str) -> dict:
    """The upload form as tests/test_desk_upload.py fills it."""
    return {
        "csrf": token,
        "show": SHOW,
        "title": "Making tea at four",
        "description": "A short one.",
        "presenter_name": "Sam Bright",
        "tier": "first-name",
        "consent": "yes",
        "scope": ["podcast", "stream"],
        "content_notes": ["drug-use"],
        "topics": ["struggle.decision_to_recover"],
        "redact": "Crawley\n",
        "expires": "2027-11-30",
        "published_at": "2026-12-01T21:00",
    }


class MultipartBody:
    """multipart/form-data with the recording streamed from its file 1 MiB at a time, and its Content-Length."""

    def __init__(self, fields: dict, path: Path, filename: str):
        self.boundary = f"----desk-bench-{secrets.token_hex(12)}"
        parts = []
        for name, values in fields.items():
            for value in values if isinstance(values, list) else [values]:
                parts.append(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="recording"; '
            f'filename="{filename}"\r\nContent-Type: audio/wav\r\n\r\n'
        )
        self.head = "".join(parts).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.path = path
        self.length = len(self.head) + path.stat().st_size + len(self.tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:  # requests sends a Content-Length, not chunks
        return self.length

    def __iter__(self):
        yield self.head
        with self.path.open("rb") as f:
            while block := f.read(MB):
                yield block
        yield self.tail


# ================================================================ the desk in its own process


def serve(root: Path) -> None:
    """Run in the desk's process: serve, say the port, then answer `phases` (cumulative seconds) until stdin ends."""
    from werkzeug.formparser import FormDataParser

    from station import config as config_mod
    from station.desk import uploads
    from station.desk.server import make_server

    config = config_mod.load(root)
    server, app = make_server(config, "127.0.0.1", 0, build=False)
    targets = [
        (app, "wsgi_app", "app"),
        (FormDataParser, "parse", "parse"),
        (uploads, "accept", "accept"),
        (uploads, "_audio_kind", "check"),
        (os, "fsync", "fsync"),
    ]
    if hasattr(uploads, "_receive"):  # the copy into the show folder's .part file, fsync included
        targets.append((uploads, "_receive", "part"))
    with timing.phase_timer(targets) as phases:
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        print(f"port {server.effective_port}", flush=True)
        for line in sys.stdin:
            if line.strip() == "phases":
                print(json.dumps(phases), flush=True)
        server.close()
    app.extensions["desk"].accounts.close()


class Desk:
    """The desk's process, seen from here."""

    def __init__(self, root: Path):
        self.tmp = root / ".station" / "tmp"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.desk", "--_serve", str(root)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(self.tmp)},
        )
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"the desk did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def phases(self) -> dict[str, float]:
        self.proc.stdin.write("phases\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def status_mb(self, key: str) -> float:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"{key}:\s+(\d+) kB", text).group(1)) / 1024

    def reset_peak(self) -> bool:
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def io(self) -> dict[str, int]:
        text = Path(f"/proc/{self.proc.pid}/io").read_text()
        return {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", text)}

    def temp_bytes(self) -> int:
        """The total size of the files in its TMPDIR it holds open now (deleted or not)."""
        total = 0
        folder = f"/proc/{self.proc.pid}/fd"
        for fd in os.listdir(folder):
            try:
                if os.readlink(f"{folder}/{fd}").startswith(str(self.tmp)):
                    total += os.stat(f"{folder}/{fd}").st_size
            except OSError:
                pass
        return total

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Sampler(threading.Thread):
    """Every 20 ms: the most the desk held in temporary files."""

    def __init__(self, desk: Desk):
        super().__init__(daemon=True)
        self.desk, self.temp_peak, self.done = desk, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.temp_peak = max(self.temp_peak, self.desk.temp_bytes())
            time.sleep(0.02)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.temp_peak


# ================================================================ 1 and 2. upload: time and memory


def upload(client: Client, source: Path) -> tuple[float, str]:
    """One upload, streamed; the seconds until the desk answered, and where it sent the browser."""
    body = MultipartBody(form(csrf_of(client.get("/upload").text)), source, source.name)
    t = time.perf_counter()
    r = client.post("/upload", data=body, headers={"Content-Type": body.content_type})
    seconds = time.perf_counter() - t
    if r.status_code != 303:
        raise RuntimeError(f"the upload was not taken: {r.status_code} {r.text[-1500:]}")
    return seconds, r.headers["Location"]


def remove_uploads(folder: Path) -> None:
    for path in folder.glob("making-tea-at-four*"):
        path.unlink()


def copy(source: Path, folder: Path, sync: bool) -> float:
    target = folder / "baseline-copy.wav"
    t = time.perf_counter()
    shutil.copyfile(source, target)
    if sync:
        with target.open("rb") as f:
            os.fsync(f.fileno())
    seconds = time.perf_counter() - t
    target.unlink()
    return seconds


def time_uploads(desk: Desk, client: Client, sources: list[Path], folder: Path, repeat: int) -> dict:
    print(f"\n== 1. upload over HTTP against shutil.copyfile in this process, best of {repeat} ==")
    print(
        f"{'file':>22} {'run':>4} {'copy s':>8} {'copy+fsync s':>13} {'upload s':>9} {'receive':>8} "
        f"{'parse':>7} {'accept':>7} {'(fsync':>7} {'check)':>7}"
    )
    results = {}
    for source in sources:
        size = source.stat().st_size
        rows = []
        for r in range(repeat):
            row = {}
            for side in ("copy", "upload") if r % 2 == 0 else ("upload", "copy"):
                if side == "copy":
                    row["copy"] = copy(source, folder, sync=False)
                    row["copy+fsync"] = copy(source, folder, sync=True)
                else:
                    before = desk.phases()
                    row["upload"], _ = upload(client, source)
                    after = desk.phases()
                    row.update({k: after.get(k, 0.0) - before.get(k, 0.0) for k in after})
                    row["receive"] = row["upload"] - row["app"]
                    remove_uploads(folder)
            rows.append(row)
            print(
                f"{source.name:>22} {r + 1:>4} {row['copy']:>8.3f} {row['copy+fsync']:>13.3f} {row['upload']:>9.3f} "
                f"{row['receive']:>8.3f} {row['parse']:>7.3f} {row['accept']:>7.3f} {row['fsync']:>7.3f} "
                f"{row['check']:>7.3f}",
                flush=True,
            )
        best = {k: min(row[k] for row in rows) for k in ("copy", "copy+fsync", "upload")}
        fastest = min(rows, key=lambda row: row["upload"])
        mb = size / MB
        print(
            f"{source.name}: {mb:.1f} MB. best: copy {best['copy']:.3f} s ({mb / best['copy']:.0f} MB/s), "
            f"copy+fsync {best['copy+fsync']:.3f} s ({mb / best['copy+fsync']:.0f} MB/s), upload "
            f"{best['upload']:.3f} s ({mb / best['upload']:.0f} MB/s); ratio upload/copy = "
            f"{best['upload'] / best['copy']:.2f}, upload/(copy+fsync) = {best['upload'] / best['copy+fsync']:.2f}"
        )
        print(
            f"  the fastest upload: receive {fastest['receive']:.3f} s, multipart parse {fastest['parse']:.3f} s, "
            f"accept {fastest['accept']:.3f} s (fsync {fastest['fsync']:.3f} s, ffmpeg check of the first minute "
            f"{fastest['check']:.3f} s, "
            + (
                f"the copy to .part {fastest['part'] - fastest['fsync']:.3f} s, the rest "
                f"{fastest['accept'] - fastest['part'] - fastest['check']:.3f} s"
                if "part" in fastest
                else f"the copy to .part and the rest {fastest['accept'] - fastest['fsync'] - fastest['check']:.3f} s"
            )
            + f"), the rest of the app "
            f"{fastest['app'] - fastest['parse'] - fastest['accept']:.3f} s"
        )
        results[source.name] = (size, best, fastest)
    return results


def memory(desk: Desk, client: Client, sources: list[Path], folder: Path) -> list[dict]:
    print("\n== 2. the desk process's memory while it takes one upload (peak reset before each) ==")
    print(
        f"{'file':>22} {'size MB':>8} {'RSS before':>11} {'peak (VmHWM)':>13} {'growth':>8} {'RSS after':>10} "
        f"{'temp files peak':>16} {'written/size':>13}"
    )
    rows = []
    for source in sources:
        size = source.stat().st_size
        before_rss = desk.status_mb("VmRSS")
        reset = desk.reset_peak()
        before_hwm = desk.status_mb("VmHWM")
        io0 = desk.io()
        sampler = Sampler(desk)
        sampler.start()
        seconds, _ = upload(client, source)
        temp_peak = sampler.stop()
        io1 = desk.io()
        row = {
            "file": source.name,
            "size_mb": size / MB,
            "rss_before_mb": before_rss,
            "reset": reset,
            "hwm_before_mb": before_hwm,
            "hwm_mb": desk.status_mb("VmHWM"),
            "rss_after_mb": desk.status_mb("VmRSS"),
            "temp_peak_mb": temp_peak / MB,
            "written": (io1["wchar"] - io0["wchar"]) / size,
            "read": (io1["rchar"] - io0["rchar"]) / size,
            "seconds": seconds,
            "temp_after": desk.temp_bytes(),
        }
        row["growth_mb"] = row["hwm_mb"] - row["hwm_before_mb"]
        remove_uploads(folder)
        rows.append(row)
        print(
            f"{source.name:>22} {row['size_mb']:>8.1f} {before_rss:>9.1f} MB {row['hwm_mb']:>10.1f} MB "
            f"{row['growth_mb']:>+6.1f} MB {row['rss_after_mb']:>7.1f} MB {row['temp_peak_mb']:>13.1f} MB "
            f"{row['written']:>12.2f}x",
            flush=True,
        )
    if not all(r["reset"] for r in rows):
        print("(the peak could not be reset: VmHWM is the process's peak since it started)")
    small, big = rows[0], rows[-1]
    if big["size_mb"] > small["size_mb"]:
        slope = (big["growth_mb"] - small["growth_mb"]) / (big["size_mb"] - small["size_mb"])
        print(
            f"peak growth per MB uploaded, between the two sizes: {slope:.4f} MB/MB "
            f"({'flat: the upload streams to disk' if slope < 0.05 else 'IT GROWS WITH THE FILE'})"
        )
    print(
        "bytes the desk read from files (rchar; sockets are not counted) per byte uploaded: "
        + ", ".join(f"{r['file']} {r['read']:.2f}x" for r in rows)
        + "; written to files (wchar): "
        + ", ".join(f"{r['file']} {r['written']:.2f}x" for r in rows)
    )
    print(
        "temporary files still held after each upload: "
        + ", ".join(f"{r['file']} {r['temp_after']} bytes" for r in rows)
    )
    print(f"this process (the client), ru_maxrss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return rows


# ================================================================ 3. the episode page


def add_episodes(folder: Path, source: Path, count: int, accounts: Accounts, user_id: int) -> list[Path]:
    have = sorted(folder.glob("episode-*.wav"))
    for n in range(len(have) + 1, count + 1):
        path = folder / f"episode-{n:03d}.wav"
        shutil.copyfile(source, path)
        path.with_suffix(".yaml").write_text(
            yaml.safe_dump(sidecar(f"Episode {n}: the night bus home"), sort_keys=False), encoding="utf-8"
        )
        accounts.set_owner(f"content/shows/{SHOW}/{path.name}", user_id)
    return sorted(folder.glob("episode-*.wav"))


def write_report(root: Path, episodes: list[Path]) -> str:
    """A last build in which all but the newest are published; the newest is changed after it: waiting."""
    from station import config as config_mod
    from station.build import report as report_mod
    from station.errors import Problem, Severity

    lines, problems = [], []
    for n, path in enumerate(episodes[:-1], 1):
        where = f"content/shows/{SHOW}/{path.name}"
        lines.append(
            report_mod.Line(where, "built", path.stem, guid(where), f"media/{SHOW}/{path.stem}.mp3", "machine")
        )
        if n % 5 == 0:
            problems.append(
                Problem(
                    where,
                    "the recording starts with 14 s of silence",
                    "trim it, or leave it: the build trims silence over 3 s",
                    Severity.WARNING,
                )
            )
    report = report_mod.BuildReport(dt.datetime.now(dt.UTC), tuple(lines), tuple(problems))
    report_mod.write(config_mod.load(root), report)
    later = time.time() + 1
    os.utime(episodes[-1], (later, later))
    return f"content/shows/{SHOW}/{episodes[-1].name}"


def guid(where: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, where))


def write_transcripts(root: Path, episodes: list[Path], words: int) -> int:
    """One record per published episode, as a build leaves them in .station/cache/episodes/: bytes written."""
    from bench.site import speech, vocabulary

    folder = root / ".station" / "cache" / "episodes"
    folder.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary()
    total = 0
    for n, path in enumerate(episodes[:-1]):
        where = f"content/shows/{SHOW}/{path.name}"
        transcript = speech(random.Random(n), vocab, words, "en", "Sam", with_words=True)
        record = {
            "show": SHOW,
            "slug": path.stem,
            "title": f"Episode {n + 1}",
            "recording": where,
            "transcript": transcript.to_dict(),
        }
        text = json.dumps(record, sort_keys=True, ensure_ascii=False)
        (folder / f"{guid(where)}.json").write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


def median_ms(client: Client, paths: dict[str, str], requests: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in paths}
    for i in range(requests + 3):
        for name, path in paths.items() if i % 2 == 0 else reversed(paths.items()):
            t = time.perf_counter()
            r = client.get(path)
            seconds = time.perf_counter() - t
            if r.status_code != 200:
                raise RuntimeError(f"GET {path}: {r.status_code}")
            if i >= 3:
                times[name].append(seconds * 1000)
    return {name: statistics.median(ms) for name, ms in times.items()}


def episode_page(root: Path, client: Client, small: Path, counts: list[int], requests: int, words: int) -> list[dict]:
    from station.desk.episodes import episode_id

    print(f"\n== 3. the page a presenter reloads while waiting: median of {requests} requests each ==")
    folder = root / "content" / "shows" / SHOW
    accounts = Accounts(root / "records" / "desk.sqlite")
    user_id = next(u.id for u in accounts.users() if u.username == USER)
    rows = []
    print(
        f"{'episodes':>8} {'transcript records':>19} {'desk.css ms':>12} {'/episodes/<id> ms':>18} {'ratio':>7} "
        f"{'list / ms':>10} {'ratio':>7}  page"
    )
    for count in counts:
        episodes = add_episodes(folder, small, count, accounts, user_id)
        waiting = write_report(root, episodes)
        records = root / ".station" / "cache" / "episodes"
        for with_records in (False, True):
            shutil.rmtree(records, ignore_errors=True)
            written = write_transcripts(root, episodes, words) if with_records else 0
            page = client.get(f"/episodes/{episode_id(waiting)}").text
            assert "Waiting for the next build" in page, page[-1500:]
            assert client.get("/").text.count("Published") >= count - 1
            ms = median_ms(
                client,
                {"css": "/static/desk.css", "episode": f"/episodes/{episode_id(waiting)}", "list": "/"},
                requests,
            )
            row = {"episodes": count, "records": count - 1 if with_records else 0, "records_mb": written / MB, **ms}
            rows.append(row)
            what = f"{row['records']} ({row['records_mb']:.1f} MB)" if with_records else "none"
            print(
                f"{count:>8} {what:>19} {ms['css']:>12.2f} {ms['episode']:>18.2f} {ms['episode'] / ms['css']:>7.1f} "
                f"{ms['list']:>10.2f} {ms['list'] / ms['css']:>7.1f}  {len(page.encode()) / 1024:.1f} KB",
                flush=True,
            )
    accounts.close()
    where_page_goes(root, waiting)
    return rows


def where_page_goes(root: Path, waiting: str, repeat: int = 5) -> None:
    """What the episode page reads, timed in this process on the same station as it stands (best of --repeat)."""
    from station import config as config_mod
    from station.build import report as report_mod
    from station.build import runner as pipeline
    from station.build import transcripts
    from station.catalog import content as catalog_mod
    from station.desk import episodes as episodes_mod

    config = config_mod.load(root)
    accounts = Accounts(root / "records" / "desk.sqlite")
    targets = [
        (catalog_mod, "shows", "shows read"),
        (episodes_mod, "_sidecar", "its sidecar"),
        (report_mod, "read", "the build report"),
        (pipeline, "building", "build lock"),
        (transcripts, "record", "its transcript record"),
    ]
    eid = episodes_mod.episode_id(waiting)
    runs = []
    for _ in range(repeat):
        with timing.phase_timer(targets) as phases:
            t = time.perf_counter()
            view = episodes_mod.view_of(config, accounts.owners(), eid)
            episodes_mod.transcript_of(config, view)
            phases["total"] = time.perf_counter() - t
        runs.append(phases)
    n = len(episodes_mod.all_views(config, accounts.owners()))
    accounts.close()
    best = min(runs, key=lambda p: p["total"])
    print(
        f"where the page's reading goes, in this process, {n} episodes as they stand (best of {repeat}): "
        f"{best['total'] * 1000:.1f} ms: "
        + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in best.items() if k != "total")
        + f"; the rest {(best['total'] - sum(v for k, v in best.items() if k != 'total')) * 1000:.1f} ms "
        f"(per episode: {best['total'] * 1000 / n:.2f} ms)"
    )


# ================================================================ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-minutes", type=float, default=30, help="the large recording (default 30: 303 MB)")
    parser.add_argument("--small-minutes", type=float, default=2, help="the small recording (default 2: 20 MB)")
    parser.add_argument("--repeat", type=int, default=3, help="uploads and copies of each size (default 3)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each page (default 50)")
    parser.add_argument("--episodes", type=int, nargs="+", default=[5, 50], help="episodes for the page (default 5 50)")
    parser.add_argument(
        "--transcript-words",
        type=int,
        default=4000,
        help="words in each transcript record (default 4000: about 25 minutes)",
    )
    parser.add_argument("--_serve", dest="serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve))
        return 0
    print(timing.machine("Flask", "Werkzeug", "waitress", "requests"))
    version = subprocess.run([ffmpeg.executable(), "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"ffmpeg: {version}")
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "station"], capture_output=True, text=True).stdout.strip()
    print(f"station/ as of commit {head or '?'}{' with uncommitted changes' if dirty else ''}")
    t = time.perf_counter()
    small, big = recording(args.small_minutes), recording(args.big_minutes)
    print(
        f"recordings (pink noise, 44.1 kHz 16-bit stereo WAV, in {time.perf_counter() - t:.1f} s): "
        f"{small.name} {small.stat().st_size / MB:.1f} MB, {big.name} {big.stat().st_size / MB:.1f} MB"
    )
    sources = [small, big]
    max_mb = max(500, int(2 * big.stat().st_size / MB) + 1)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        root = Path(tmp) / "station"
        write_station(root, max_mb)
        folder = root / "content" / "shows" / SHOW
        desk = Desk(root)
        try:
            client = Client(desk.base)
            client.sign_in(USER, PASSWORDS[USER])
            _, where = upload(client, small)  # untimed: imports, first ffmpeg, caches
            assert "uploaded=1" in where and "Waiting for the next build" in client.get(where).text
            remove_uploads(folder)
            print(
                f"desk: {desk.base}, pid {desk.proc.pid}, [desk] max_upload_mb = {max_mb}; RSS after sign-in and "
                f"one upload {desk.status_mb('VmRSS'):.1f} MB"
            )
            memory(desk, client, sources, folder)  # first, before the repeats
            time_uploads(desk, client, sources, folder, args.repeat)
            episode_page(root, client, small, args.episodes, args.requests, args.transcript_words)
        finally:
            desk.close()
    print(f"load average at the end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
