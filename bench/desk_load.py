"""Benchmark: the station desk under load from connections that never sign in.

The desk is the real one (`station.desk.server.make_server`, waitress, 8 threads), serving a copy of the
repository's demo station (not built) with one presenter account, in a Python process of its own with its
TMPDIR in the station's folder, so what it holds is its own. This process opens --connections (default 12)
connections with no cookie; each sends the headers of a POST to /upload announcing --announce-mb (default
1024) of multipart body, then up to --send-mb (default 24) of it, as fast as the desk takes it, then stalls.
After --settle-s (default 2) it reads, for the desk process:

  answered   connections that got a response, and its status; how long the first answer took
  held       the bytes in the regular files it holds open (waitress's spooled bodies)
  written    bytes it wrote (/proc/<pid>/io wchar) while the connections were sending
  RSS        its resident memory before and after (VmRSS), and its peak (VmHWM)

It runs against whatever `station` package is first on the path, so the same script measures an older
checkout: `PYTHONPATH=/path/to/old/checkout .venv/bin/python -m bench.desk_load`.

    .venv/bin/python -m bench.desk_load [--connections 12] [--announce-mb 1024] [--send-mb 24]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVE = """
import sys
from pathlib import Path
from station import config
from station.desk.server import make_server
server, _ = make_server(config.load(Path(sys.argv[1])), "127.0.0.1", 0, build=False)
print(server.effective_port, flush=True)
server.run()
"""


def station(folder: Path) -> Path:
    from station import config
    from station.desk import accounts as accounts_mod

    root = folder / "station"
    root.mkdir()
    shutil.copy(REPO / "station.toml", root)
    for part in ("content", "scheduler"):
        shutil.copytree(REPO / part, root / part)
    # Where the accounts live moved to records/ (an older checkout keeps them in .station/).
    where = getattr(accounts_mod, "database_path", lambda c: c.state_dir / "desk.sqlite")(config.load(root))
    accounts = accounts_mod.Accounts(where)
    accounts.add("sam", "presenter pass 1", "presenter", "Sam")
    accounts.close()
    return root


def proc_figure(pid: int, file: str, key: str) -> int:
    for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def held(pid: int) -> int:
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd).startswith("/") and (os.stat(fd).st_mode & 0o170000) == 0o100000:
                total += os.stat(fd).st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=12)
    parser.add_argument("--announce-mb", type=int, default=1024)
    parser.add_argument("--send-mb", type=int, default=24)
    parser.add_argument("--settle-s", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=REPO / "bench") as tmp:
        root = station(Path(tmp))
        spool = root / "tmp"
        spool.mkdir()
        desk = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(root)], stdout=subprocess.PIPE, env={**os.environ, "TMPDIR": str(spool)}
        )
        try:
            port = int(desk.stdout.readline())
            time.sleep(0.5)
            rss0, wchar0 = proc_figure(desk.pid, "status", "VmRSS"), proc_figure(desk.pid, "io", "wchar")
            started = time.monotonic()
            sockets, sent, first = [], [], None
            for _ in range(args.connections):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(
                    (
                        f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                        f"boundary=b\r\nContent-Length: {args.announce_mb << 20}\r\n\r\n"
                    ).encode()
                )
                s.settimeout(0.5)
                n, block = 0, b"x" * (1 << 20)
                with contextlib.suppress(OSError):
                    while n < args.send_mb << 20:
                        n += s.send(block)
                sent.append(n)
                sockets.append(s)
            time.sleep(args.settle_s)
            statuses = []
            for s in sockets:
                s.settimeout(0.2)
                try:
                    head = s.recv(64)
                    statuses.append(head.split(b"\r\n")[0].decode() if head else "closed")
                    first = first or time.monotonic() - started
                except (TimeoutError, ConnectionResetError):
                    statuses.append("no answer")
            figures = {
                "connections": args.connections,
                "sent by them (MB)": round(sum(sent) / (1 << 20), 1),
                "answered": {s: statuses.count(s) for s in set(statuses)},
                "held in spooled files (MB)": round(held(desk.pid) / (1 << 20), 1),
                "written (MB)": round((proc_figure(desk.pid, "io", "wchar") - wchar0) / (1 << 20), 1),
                "RSS before → after (MB)": (round(rss0 / 1024), round(proc_figure(desk.pid, "status", "VmRSS") / 1024)),
                "peak RSS (MB)": round(proc_figure(desk.pid, "status", "VmHWM") / 1024),
            }
            for key, value in figures.items():
                print(f"{key:30} {value}")
            for s in sockets:
                s.close()
        finally:
            desk.kill()
            desk.wait()


if __name__ == "__main__":
    main()
