"""Benchmark: the overnight stream with a live presenter: CPU seconds and peak memory per hour of stream, and
the hand-over times from a dropped live source to standby and back.

A live source cannot be played faster than real time, so both sides play a short night in real time
(--minutes, default 3) to a real icecast2 on loopback (tests/icecast.py) and to HLS in a temporary folder,
with the real `station.stream.Player` and `stream.outputs_for` (Icecast MP3 128 kb/s, HLS AAC 96 kb/s):

    an ident (4 s), a live span over the rest of the night but the last 6 s (signposting), and under the
    span its running order: tone "episodes" of 20 s one after another; standby a tone file.

* ours (live): a source client (ffmpeg, as BUTT would: espeak-ng speech looped, `-re`, MP3 128 kb/s)
  connects to the live mount as the span begins and stays on, but drops (killed) for 10 s every
  --drop-every seconds (default 50) and comes back. Playout listens to the live mount (one more ffmpeg,
  decoding MP3 from HTTP), relays the presenter, and hands over to standby and the running order when
  they drop (live_grace_s 5, live_drop_s 3).
* baseline (absent): the same night, nobody connects: standby for the grace time, then the running order
  under the span; what the night costs anyway.

CPU: this process's own time (RUSAGE_SELF: the player's Python) plus its reaped children's
(RUSAGE_CHILDREN: every decoder, encoder and the live listener, each waited for by the player), less
the source clients' (reaped here with `os.wait4` and subtracted: they stand for the presenter's own
machine). icecast2 is reaped after the figures are taken. Reported per hour of audio played. Peak
memory: this process's ru_maxrss, and the VmHWM of each child by kind, sampled every 200 ms from /proc.
Hand-overs: the player's own report, `handovers_ms` (the presenter's audio stopped → standby's first
audio sent) and `comebacks_ms` (the presenter's audio arriving → relayed); and what a listener got: the
longest stretch under -50 dB in a recording of the Icecast mount (ffmpeg silencedetect, d=0.3).

    flock /tmp/peerwave-cpu.lock .venv/bin/python -m bench.live [--minutes 3] [--drop-every 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station import config as config_mod  # noqa: E402
from station.radio import stream  # noqa: E402
from station.radio.playlist import LiveSpan, Night, Slot  # noqa: E402
from station.tools import ffmpeg  # noqa: E402
from tests import media  # noqa: E402
from tests.icecast import Icecast  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
MOUNT, LIVE_MOUNT = "/night.mp3", "/live.mp3"
STATION = """[station]
name = "Bench Station"
base_url = "https://bench.example.org/"
contact_email = "hello@bench.example.org"
timezone = "UTC"
"""


def vm_hwm_mb(pid: int) -> float | None:
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


class Sampler(threading.Thread):
    """Every 200 ms, the VmHWM of this process and of each child ffmpeg, by what it does. Children are read from
    /proc/self/task/*/children, not by scanning /proc: the sampler must cost next to nothing, as the CPU
    figures are taken in the same run."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks: dict[str, float] = {}
        self.kinds: dict[int, str | None] = {}
        self.done = threading.Event()

    def kind(self, pid: int) -> str | None:
        if pid not in self.kinds:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                return None
            kind = None
            if b"-re" in cmd or b"pcm_s16le" in cmd:
                kind = None  # a source client (the presenter's machine) or the bench's own listener
            elif any(c.startswith(b"http://") for c in cmd):
                kind = "live listener"
            elif b"pipe:0" in cmd:
                kind = "MP3 encoder" if b"libmp3lame" in cmd else "AAC/HLS encoder"
            elif b"pipe:1" in cmd:
                kind = "decoder"
            self.kinds[pid] = kind
        return self.kinds[pid]

    def children(self) -> list[int]:
        out = []
        for task in Path("/proc/self/task").iterdir():
            try:
                out += [int(x) for x in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
        return out

    def run(self) -> None:
        while not self.done.is_set():
            self.take(os.getpid(), "player process")
            for pid in self.children():
                if kind := self.kind(pid):
                    self.take(pid, kind)
            time.sleep(0.2)

    def take(self, pid: int, kind: str) -> None:
        mb = vm_hwm_mb(pid)
        if mb is not None:
            self.peaks[kind] = max(self.peaks.get(kind, 0.0), mb)


def make_media(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "ident": media.tone(folder / "ident.mp3", seconds=4, freq=587),
        "signpost": media.tone(folder / "signpost.mp3", seconds=6, freq=659),
        "standby": media.tone(folder / "standby.mp3", seconds=60, freq=262),
        "speech": folder / "presenter.wav",
    }
    for i in range(4):
        made[f"item{i}"] = media.tone(folder / f"item{i}.mp3", seconds=20, freq=330 + 40 * i)
    if not made["speech"].exists():
        media.speech(
            "Good evening, this is the kitchen table, live. It is a long night and you are not alone in it. "
            "Put the kettle on and stay with me for a while; we have all night.",
            made["speech"],
            pad_s=0.2,
        )
    return made


def night_of(start: dt.datetime, minutes: float, files: dict[str, Path], root: Path) -> Night:
    length = minutes * 60
    rel = {k: os.path.relpath(v, root) for k, v in files.items()}
    slots = [Slot(0.0, 4.0, "ident", "Station ident", rel["ident"], "Before")]
    t, n = 4.0, 0
    while t < length - 6 - 0.001:
        d = min(20.0, length - 6 - t)
        slots.append(Slot(t, d, "episode", f"Item {n}", rel[f"item{n % 4}"], "Live"))
        t, n = t + d, n + 1
    slots.append(Slot(length - 6, 6.0, "signpost", "Where to find help tonight", rel["signpost"], "Live"))
    night = Night(start.date(), "bench", start, start + dt.timedelta(seconds=length), slots, fallback=[rel["standby"]])
    night.live = [LiveSpan(4.0, length - 6, "Live", "The kitchen table", ("sam",), None)]
    return night


def source(url: str, speech: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-v", "error", "-re", "-stream_loop", "-1", "-i",
         str(speech), "-c:a", "libmp3lame", "-b:a", "128k", "-content_type", "audio/mpeg", "-f", "mp3", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def longest_silence(path: Path) -> float:
    log = subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af",
         "silencedetect=noise=-50dB:d=0.3", "-f", "null", "-"],
        capture_output=True, text=True, timeout=300,
    ).stderr  # fmt: skip
    found = [float(x) for x in re.findall(r"silence_duration: ([\d.]+)", log)]
    return max(found, default=0.0)


def side(live: bool, minutes: float, drop_every: float, files: dict[str, Path], work: Path) -> dict:
    root = work / ("live" if live else "absent")
    (root / "content").mkdir(parents=True)
    with Icecast(root / "icecast", mounts={MOUNT: {"charset": "UTF-8"}, LIVE_MOUNT: {"charset": "UTF-8"}}) as ice:
        (root / "station.toml").write_text(
            STATION + "[transcripts]\nenabled = false\n[stream]\nhls_segment_s = 6\nlead_s = 0.5\n"
            f'icecast_url = "icecast://127.0.0.1:{ice.port}{MOUNT}"\nlive_grace_s = 5\nlive_drop_s = 3\n'
        )
        os.environ["STATION_ICECAST_PASSWORD"] = ice.source_password
        config = config_mod.load(root)
        start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        night = night_of(start, minutes, files, root)
        player = stream.Player(config, stream.outputs_for(config), stream.SystemClock(), running_order=lambda d: night)
        sampler = Sampler()
        sampler.start()
        self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.perf_counter()
        result: dict = {}
        thread = threading.Thread(target=lambda: result.setdefault("report", player.play(night.night)), daemon=True)
        thread.start()
        ice.wait_for_mount(MOUNT, timeout=20)
        recording = root / "heard.wav"
        listener = subprocess.Popen(
            [ffmpeg.executable(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", ice.listen_url(MOUNT), "-t",
             str(minutes * 60 - 4), "-c:a", "pcm_s16le", str(recording)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        sources_cpu = 0.0
        if live:
            url = f"icecast://source:{ice.source_password}@127.0.0.1:{ice.port}{LIVE_MOUNT}"
            t0 = time.monotonic() - (dt.datetime.now(dt.UTC) - start).total_seconds()
            at = 4.0
            while at < minutes * 60 - 6:
                time.sleep(max(0.0, t0 + at - time.monotonic()))
                client = source(url, files["speech"])
                off = min(at + drop_every, minutes * 60 - 6)
                time.sleep(max(0.0, t0 + off - time.monotonic()))
                client.kill()
                _, _, usage = os.wait4(client.pid, 0)
                client.returncode = -9
                sources_cpu += usage.ru_utime + usage.ru_stime
                at = off + 10  # away for 10 s
        thread.join(minutes * 60 + 60)
        _, _, lusage = os.wait4(listener.pid, 0)
        listener.returncode = 0
        self1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter() - wall0
        sampler.done.set()
        sampler.join()
    report = result["report"]
    listener_cpu = lusage.ru_utime + lusage.ru_stime
    own = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    kids = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime) - sources_cpu - listener_cpu
    per_hour = 3600 / report.seconds
    return {
        "seconds": report.seconds,
        "wall": wall,
        "cpu_h": (own + kids) * per_hour,
        "python_h": own * per_hour,
        "children_h": kids * per_hour,
        "peaks": sampler.peaks,
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "live": report.live,
        "handovers_ms": report.handovers_ms,
        "comebacks_ms": report.comebacks_ms,
        "standby": len(report.standby),
        "silence_s": longest_silence(recording),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3, help="minutes of night on each side (default 3)")
    parser.add_argument("--drop-every", type=float, default=50, help="seconds on air between drops (default 50)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    files = make_media(OUT / "live-media")
    print(f"== a {args.minutes:g}-minute night in real time, each side; Icecast + HLS ==", flush=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        results = {}
        for name, live in (("absent (baseline)", False), ("live", True)):
            r = results[name] = side(live, args.minutes, args.drop_every, files, Path(tmp))
            peaks = ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(r["peaks"].items()))
            print(
                f"{name}: {r['seconds']:.0f} s played in {r['wall']:.0f} s; CPU {r['cpu_h']:.1f} s per hour of "
                f"audio (Python {r['python_h']:.1f}, ffmpeg children {r['children_h']:.1f}); peak VmHWM {peaks}; "
                f"ru_maxrss {r['maxrss']:.0f} MB; longest quiet on Icecast {r['silence_s']:.2f} s",
                flush=True,
            )
            if live:
                print(
                    f"  on/off: {r['live']}\n  hand-over to standby (ms): "
                    + ", ".join(f"{x:.0f}" for x in r["handovers_ms"])
                    + "\n  back on air after their audio arrives (ms): "
                    + ", ".join(f"{x:.0f}" for x in r["comebacks_ms"]),
                    flush=True,
                )
        a, b = results["absent (baseline)"], results["live"]
        print(f"ratio live/absent CPU: {b['cpu_h'] / a['cpu_h']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
