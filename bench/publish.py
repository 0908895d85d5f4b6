"""Benchmark: what `station publish` costs: the first upload of a whole site, the no-change publish, a fresh
machine, and a small change.

The station is made in a temporary folder: the station.toml of bench/site.py with a [publish] table pointing
at an S3 server on loopback, and a site/ laid out as a build leaves it, made of synthetic files of the sizes
bench/site.py measured: 1,265 HTML pages (1,000 episode pages of 60-80 KB, as they were before the leaner
transcript markup, 200 place pages, 53 topic pages, 5 show pages and the one-offs), search.json (7.3 MB), a
stylesheet and a script, the artwork, the station feed and 5 show feeds, and the media of --mp3s episodes: an
MP3 of random bytes (2-4 MB by default), its transcript in the four published formats and, for some, chapters.
--long of them get an MP3 of --long-mb MB instead (80 MB by default, about 3 hours at 64 kb/s), under the 200 MB
`multipart_mb` default, so they go up in one request as in the loop (`--long-mb 240`, a whole night, sends them
in parts). The same seed gives the same files.

The server is moto's ThreadedMotoServer, as the tests use it, started in a child process: the objects it keeps
(the whole site, once per bucket) then count neither in this process's memory nor against its GIL, as a real
endpoint's would not. Every request is real HTTP on loopback. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are
"testing". botocore reads each body once more to sign its SHA-256 (with no checksum header it does so over
HTTPS too); both sides pay that.

Measured in one process:

* (a) first publish: `publish.connect` (client and listing), `publish.plan` and `publish.run` on a fresh ledger
  into an empty bucket, against a baseline into another empty bucket on the same server: a plain loop over
  site/ doing `put_object` for each file with a boto3 client configured as ours (path-style addressing, no
  checksum trailers), nothing else. --repeat times each, sides taking turns to go first, each into its own new
  bucket and (ours) with a fresh ledger; the best counts. Wall time, MB/s, and where our time goes. Last of all,
  one more first publish under tracemalloc for the peak of what Python allocates (--no-memory skips it).
* (b) no-change publish on the same state: connect + plan (zero uploads) + run, --repeat-small times, best
  counts; against the floor: listing the bucket. Then a fresh machine: the station's .station/ folder deleted, so
  the ledger has no record and every file's MD5 is compared with its ETag; against the floor: listing + the MD5
  of every file. Files that went up in parts have ETags no MD5 matches: they go up again, and that is timed too;
  then two no-change publishes on that machine, counting the files MD5'd again. The ledger is put back after.
* (c) 1% of the files changed (1% of each kind, at least one, with the station feed): connect + plan + run,
  against the floor: listing + put_object of just those files.
* ledger writes: as many rows as a first publish writes (two a file), with a commit each as `Ledger._write`
  does them, beside the same rows in one transaction.

    .venv/bin/python -m bench.publish [--mp3s 200] [--mp3-mb 3] [--long 2] [--long-mb 80] [--repeat 2]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import boto3.s3.inject

from bench import summary, timing
from bench.feeds import SHOW_NAMES, WORDS
from bench.site import STATION_TOML
from station import config as config_mod
from station.build import ledger as ledger_mod
from station.build.ledger import Ledger
from station.web import publish

REPO = Path(__file__).resolve().parent.parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
# HTML pages by kind, with their sizes in KB (low, high), from bench/site.py's run of 1,000 episodes.
PAGES = {"episode": (1000, (60, 80)), "place": (200, (10, 120)), "topic": (53, (5, 60)), "show": (5, (62, 66))}
KINDS = ("page", "media", "transcript", "feed", "other")
ONE_OFF = {
    "index.html": 40,
    "shows/index.html": 8,
    "map/index.html": 190,
    "map/pocket-guide/index.html": 165,
    "topics/index.html": 30,
    "search/index.html": 6,
    "404.html": 5,
}


# ---------------------------------------------------------------- the site


class Writer:
    """Deterministic file contents: text from a pool of words (so pages look like pages), bytes at random."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.pool = " ".join(self.rnd.choice(WORDS) for _ in range(80_000)).encode()  # ~ 450 KB

    def text(self, rel: str, size: int, salt: str = "") -> bytes:
        head = f"<!-- {rel} {salt} -->\n".encode()
        body = bytearray(head)
        while len(body) < size:
            start = self.rnd.randrange(len(self.pool) - 4096)
            body += self.pool[start : start + min(size - len(body), len(self.pool) - start)]
        return bytes(body[:size])

    def binary(self, size: int) -> bytes:
        return self.rnd.randbytes(size)


def write_site(site: Path, mp3s: int, mp3_mb: float, long: int, long_mb: float, seed: int = 1) -> dict[str, str]:
    """site/ as a build leaves it; returns rel → kind (page, media, transcript, feed, other)."""
    w = Writer(seed)
    rnd = w.rnd
    kinds: dict[str, str] = {}

    def put(rel: str, data: bytes, kind: str) -> None:
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        kinds[rel] = kind

    shows = [n.lower().replace(" ", "-") for n in SHOW_NAMES[: PAGES["show"][0]]]
    for rel, kb in ONE_OFF.items():
        put(rel, w.text(rel, kb * 1000), "page")
    for kind, (n, (lo, hi)) in PAGES.items():
        for i in range(n):
            rel = {
                "episode": f"shows/{shows[i % len(shows)]}/episode-{i:04d}/index.html",
                "place": f"map/place-{i:03d}/index.html",
                "topic": f"topics/node-{i:02d}/index.html",
                "show": f"shows/{shows[i % len(shows)]}/index.html",
            }[kind]
            put(rel, w.text(rel, rnd.randint(lo, hi) * 1000), "page")
    put("search.json", w.text("search.json", 7_290_000), "other")
    put("static/site.aee7df9f96.css", w.text("css", 5_242), "other")
    put("static/site.839c3c8307.js", w.text("js", 8_482), "other")
    put("artwork/3f2a9c1b0d4e5f60.jpg", w.binary(180_000), "other")
    put("feed.xml", w.text("feed.xml", 2_600_000), "feed")
    for show in shows:
        put(f"shows/{show}/feed.xml", w.text(show, 520_000), "feed")
    for i in range(mp3s):
        stem = f"media/{shows[i % len(shows)]}/episode-{i:04d}"
        size = int((long_mb if i < long else rnd.uniform(mp3_mb * 2 / 3, mp3_mb * 4 / 3)) * 1e6)
        put(f"{stem}.mp3", w.binary(size), "media")
        # A transcript in its four formats: about 24 KB of text for 25 minutes, more with timings.
        for suffix, kb in ((".vtt", 60), (".srt", 62), (".json", 70), (".txt", 24)):
            put(stem + suffix, w.text(stem + suffix, rnd.randint(kb * 9, kb * 11) * 100), "transcript")
        if rnd.random() < 0.4:
            put(f"{stem}.chapters.json", w.text(stem, 600), "transcript")
    return kinds


def configure(root: Path, endpoint: str, bucket: str) -> config_mod.Config:
    """The station's settings, publishing to `bucket` on the bench's server."""
    table = f'\n[publish]\nbucket = "{bucket}"\nendpoint_url = "{endpoint}"\n'
    (root / "station.toml").write_text(STATION_TOML + table, encoding="utf-8")
    return config_mod.load(root)


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    """moto's ThreadedMotoServer in a child process; it stops when its stdin closes."""
    port = free_port()
    code = (
        "import logging, sys\nfrom moto.server import ThreadedMotoServer\n"
        "logging.getLogger('werkzeug').setLevel(logging.ERROR)  # no line per request\n"
        f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False)\ns.start()\n"
        "sys.stdin.read()\ns.stop()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise SystemExit("moto's server did not start") from None
            time.sleep(0.1)


def stop_server(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def plain_client(endpoint: str):
    """A boto3 client configured as ours is (path-style, checksums only where required), and nothing more."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=BotoConfig(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def listing(s3, bucket: str) -> dict[str, tuple[str, int]]:
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = (obj["ETag"].strip('"'), obj["Size"])
    return found


# ---------------------------------------------------------------- the two sides

PHASES = [
    (publish, "remote_objects", "listing (list_objects_v2)"),
    (publish, "plan", "plan"),
    (ledger_mod, "sha256_file", "  SHA-256 of files (Ledger.sha256)"),
    (publish, "_md5", "  MD5 of files (against ETags)"),
    (publish, "run", "run (uploads, deletes)"),
    (boto3.s3.inject, "upload_file", "  upload_file (big files, in parts)"),
    (Ledger, "_write", "  ledger writes, a commit each (plan and run)"),
]


def ours(root: Path, endpoint: str, bucket: str, fresh: bool = True) -> tuple[float, publish.Plan, dict]:
    """`station publish` as the CLI runs it, less the printing: connect, plan, run.

    Returns the seconds, the plan, and where the time went (phases, plus how many files and bytes were MD5'd)."""
    if fresh:
        shutil.rmtree(root / ".station", ignore_errors=True)
    config = configure(root, endpoint, bucket)
    sent, hashed = [0], [0, 0]
    md5 = publish._md5

    def counting(path: Path) -> str:
        hashed[0] += 1
        hashed[1] += path.stat().st_size
        return md5(path)

    publish._md5 = counting
    try:
        with timing.phase_timer(PHASES) as spent:
            t0 = time.perf_counter()
            ledger = Ledger(config.state_dir / "state.sqlite")
            try:
                s3, remote = publish.connect(config)
                the_plan = publish.plan(config, ledger, remote)
                publish.run(config, ledger, the_plan, s3, progress=lambda n: sent.__setitem__(0, sent[0] + n))
            finally:
                ledger.close()
            seconds = time.perf_counter() - t0
    finally:
        publish._md5 = md5
    spent.update(_sent=sent[0], _md5_files=hashed[0], _md5_bytes=hashed[1])
    return seconds, the_plan, spent


def baseline(
    site: Path, s3, bucket: str, only: list[str] | None = None, encoded: bool = False
) -> tuple[float, int, int]:
    """A plain loop: put_object for every file of site/ (or `only`), nothing else. (seconds, files, bytes)

    `encoded`: each file goes up as a publish sends it, text as its gzip bytes (`publish.body_of`, compressed
    in the loop, one file after another), so the loop does the same job as ours with nothing around it."""
    t0 = time.perf_counter()
    rels = (
        only if only is not None else [p.relative_to(site).as_posix() for p in sorted(site.rglob("*")) if p.is_file()]
    )
    total = 0
    for rel in rels:
        packed = publish.body_of(rel, site / rel) if encoded else None
        if packed is not None:
            s3.put_object(Bucket=bucket, Key=rel, Body=packed, ContentEncoding="gzip")
        else:
            with (site / rel).open("rb") as body:
                s3.put_object(Bucket=bucket, Key=rel, Body=body)
        total += (site / rel).stat().st_size
    return time.perf_counter() - t0, len(rels), total


def md5_all(site: Path) -> float:
    t0 = time.perf_counter()
    for p in sorted(site.rglob("*")):
        if p.is_file():
            digest = hashlib.md5(usedforsecurity=False)
            with p.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return time.perf_counter() - t0


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def spent_line(spent: dict) -> str:
    line = "; ".join(f"{k.strip()} {v:.3f} s" for k, v in spent.items() if not k.startswith("_"))
    if spent.get("_md5_files"):
        line = line.replace(
            " (against ETags) ", f" (against ETags: {spent['_md5_files']:,} files, {mb(spent['_md5_bytes'])}) "
        )
    return line


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_bucket(s3, bucket: str, site: Path, label: str, encoded: bool = True) -> None:
    """The bucket holds exactly site/: same keys and sizes, and each single-part ETag is the MD5 of what went
    up (the file, or for text the gzip bytes a publish sends: publish.body_of; the plain loop sends files)."""
    there = listing(s3, bucket)
    local = {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}

    def sent(rel: str) -> tuple[str, int]:
        body = publish.body_of(rel, local[rel]) if encoded else None
        if body is None:
            return publish._md5(local[rel]), local[rel].stat().st_size
        return hashlib.md5(body, usedforsecurity=False).hexdigest(), len(body)

    wrong = []
    for k in local:
        if k not in there:
            wrong.append(k)
            continue
        md5, size = sent(k)
        if there[k][1] != size or ("-" not in there[k][0] and there[k][0] != md5):
            wrong.append(k)
    extra = [k for k in there if k not in local]
    parts = sum("-" in etag for etag, _ in there.values())
    print(
        f"  sanity ({label}): {len(there)} objects for {len(local)} files, {parts} sent in parts; "
        f"{'ok' if not wrong and not extra else f'WRONG: {len(wrong)} differ, {len(extra)} extra'}"
    )


# ---------------------------------------------------------------- the measurements


def first_publish(root: Path, site: Path, endpoint: str, repeat: int, total_bytes: int, n_files: int) -> str:
    s3 = plain_client(endpoint)
    print(f"\n== (a) first publish: {n_files:,} files, {mb(total_bytes)}, into an empty bucket; best of {repeat} ==")
    rows = []
    bucket = ""
    for r in range(1, repeat + 1):
        row = {}
        for side in ["ours", "baseline", "encoded"] if r % 2 else ["encoded", "baseline", "ours"]:
            os.sync()  # untimed: the last run's writes (the server's files, the ledger) reach the disk first
            if side == "ours":
                bucket = f"ours-{r}"
                s3.create_bucket(Bucket=bucket)
                row["ours"], the_plan, spent = ours(root, endpoint, bucket)
                row["spent"] = spent
                assert len(the_plan.uploads) == n_files and not the_plan.deletes, the_plan
            else:
                name = f"plain-{r}" if side == "baseline" else f"encoded-{r}"
                s3.create_bucket(Bucket=name)
                row[side], files, sent = baseline(site, s3, name, encoded=side == "encoded")
                assert (files, sent) == (n_files, total_bytes)
        rows.append(row)
        print(
            f"  run {r}: ours {row['ours']:.2f} s ({total_bytes / row['ours'] / 1e6:.1f} MB/s); loop of the same "
            f"bodies {row['encoded']:.2f} s, ratio {row['ours'] / row['encoded']:.2f}; loop of the plain files "
            f"{row['baseline']:.2f} s, ratio {row['ours'] / row['baseline']:.2f}\n    ours: {spent_line(row['spent'])}"
        )
    best_ours = min(r["ours"] for r in rows)
    best_enc = min(r["encoded"] for r in rows)
    best_base = min(r["baseline"] for r in rows)
    print(
        f"best: ours {best_ours:.2f} s = {total_bytes / best_ours / 1e6:.1f} MB/s, {n_files / best_ours:.0f} files/s; "
        f"loop of the same bodies {best_enc:.2f} s; loop of the plain files {best_base:.2f} s"
    )
    print(
        f"ratio ours / put_object loop sending what a publish sends (text gzip-encoded): {best_ours / best_enc:.2f} "
        f"({(best_ours - best_enc) / n_files * 1000:+.2f} ms a file)\n"
        f"ratio ours / put_object loop of the plain files (no compression at all): {best_ours / best_base:.2f}"
    )
    # The aim is publish's own overhead over the floor of the same job: since issue 19 a publish must send text
    # gzip-encoded, and compressing it is work no loop of plain files does. Both ratios are printed and kept.
    summary.record(
        "publish", f"first publish / put_object loop, same bodies ({n_files:,} files)", best_ours / best_enc, 1.05
    )
    check_bucket(s3, bucket, site, "ours, last run")
    check_bucket(s3, f"plain-{repeat}", site, "loop of the plain files, last run", encoded=False)
    check_bucket(s3, f"encoded-{repeat}", site, "loop of the same bodies, last run")
    return bucket


def memory(root: Path, endpoint: str) -> None:
    s3 = plain_client(endpoint)
    s3.create_bucket(Bucket="traced")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    seconds, the_plan, _ = ours(root, endpoint, "traced")
    now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\n== memory: one more first publish under tracemalloc ({seconds:.1f} s, {len(the_plan.uploads):,} files) =="
    )
    print(
        f"  peak {mb(peak - base)} allocated by Python during the publish, {mb(now - base)} still held after it; "
        f"ru_maxrss of this process so far {maxrss_mb():.0f} MB (the server is another process)"
    )


def no_change(root: Path, site: Path, endpoint: str, bucket: str, repeat: int) -> None:
    s3 = plain_client(endpoint)
    print(f"\n== (b) no-change publish on the same state (bucket {bucket}); best of {repeat} ==")
    times = []
    for r in range(1, repeat + 1):
        seconds, the_plan, spent = ours(root, endpoint, bucket, fresh=False)
        times.append(seconds)
        print(
            f"  {r}: {seconds:.3f} s, {len(the_plan.uploads)} to upload, {len(the_plan.deletes)} to delete, "
            f"{the_plan.unchanged:,} unchanged; {spent_line(spent)}"
        )
    floor = min(timed_list(s3, bucket) for _ in range(repeat))
    print(f"  floor, the listing alone: {floor:.3f} s; ratio ours / listing {min(times) / floor:.1f}")


def fresh_machine(root: Path, site: Path, endpoint: str, bucket: str, repeat: int) -> None:
    """Publish from a machine with no ledger: .station/ set aside (and put back afterwards)."""
    s3 = plain_client(endpoint)
    print("\n== (b) fresh machine: .station/ deleted, so every file's MD5 is compared with its ETag ==")
    kept = root.parent / "station-state-kept"
    shutil.copytree(root / ".station", kept)
    try:
        seconds, the_plan, spent = ours(root, endpoint, bucket, fresh=True)
        names = ", ".join(u.rel for u in the_plan.uploads[:4]) or "none"
        print(
            f"  {seconds:.3f} s, {len(the_plan.uploads)} uploaded again ({mb(the_plan.upload_bytes)}: {names}"
            f"{' …' if len(the_plan.uploads) > 4 else ''}), {the_plan.unchanged:,} unchanged\n"
            f"    {spent_line(spent)}"
        )
        summary.record(
            "publish", "fresh machine, no change: MB sent again", the_plan.upload_bytes / 1e6, 0.0, unit="MB"
        )
        deciding = spent.get("plan", 0.0) + spent.get("listing (list_objects_v2)", 0.0)
        list_s, md5_s = timed_list(s3, bucket), md5_all(site)
        print(
            f"  deciding (listing + plan) {deciding:.3f} s; floor, listing + the MD5 of every file: "
            f"{list_s + md5_s:.3f} s ({list_s:.3f} + {md5_s:.3f}); ratio {deciding / (list_s + md5_s):.2f}"
        )
        print(f"  then no-change publishes on that machine, {repeat} times:")
        for r in range(1, repeat + 1):
            seconds, the_plan, spent = ours(root, endpoint, bucket, fresh=False)
            print(
                f"    {r}: {seconds:.3f} s, {len(the_plan.uploads)} to upload, {spent['_md5_files']:,} files MD5'd "
                f"({mb(spent['_md5_bytes'])}); {spent_line(spent)}"
            )
    finally:
        shutil.rmtree(root / ".station", ignore_errors=True)
        shutil.move(kept, root / ".station")


def commits(root: Path, n: int) -> None:
    """What a commit per ledger row costs, beside one transaction, on the same disk as the station's ledger."""
    path = root / ".station" / "commit-test.sqlite"
    ledger = Ledger(path)
    try:
        rows = [(f"media/x/{i:05d}.mp3", "0" * 64, "1" * 32, i) for i in range(n)]
        t0 = time.perf_counter()
        for row in rows:
            ledger.record_published(*row)
        t1 = time.perf_counter()
        with ledger.db:
            ledger.db.executemany(
                "INSERT OR REPLACE INTO published VALUES (?,?,?,?)", [(k + "2", *r) for k, *r in rows]
            )
        t2 = time.perf_counter()
    finally:
        ledger.close()
        path.unlink()
    print(
        f"\n== ledger writes: {n:,} rows into `published` (a first publish writes two rows a file) ==\n"
        f"  a commit each (as Ledger._write does): {t1 - t0:.3f} s ({(t1 - t0) / n * 1000:.2f} ms a row); "
        f"one transaction: {t2 - t1:.3f} s"
    )


def timed_list(s3, bucket: str) -> float:
    t0 = time.perf_counter()
    listing(s3, bucket)
    return time.perf_counter() - t0


def small_change(root: Path, site: Path, endpoint: str, bucket: str, kinds: dict[str, str], percent: float) -> None:
    rnd = random.Random(5)
    writer = Writer(6)
    chosen: list[str] = ["feed.xml"]
    for kind in ("page", "media", "transcript", "other"):
        rels = sorted(rel for rel, k in kinds.items() if k == kind)
        chosen += rnd.sample(rels, max(1, math.ceil(len(rels) * percent / 100)))
    changed_bytes = 0
    for rel in chosen:
        path = site / rel
        size = path.stat().st_size
        # Re-tagged audio keeps its size; a page or feed usually grows or shrinks a little.
        data = writer.binary(size) if kinds[rel] == "media" else writer.text(rel, size + rnd.randint(-200, 200), "v2")
        path.write_bytes(data)
        changed_bytes += len(data)
    print(
        f"\n== (c) {len(chosen)} files changed ({len(chosen) / len(kinds):.1%} of {len(kinds):,}; "
        f"{', '.join(f'{k} {sum(kinds[r] == k for r in chosen)}' for k in KINDS)}"
        f"), {mb(changed_bytes)} =="
    )
    seconds, the_plan, spent = ours(root, endpoint, bucket, fresh=False)
    ok = sorted(u.rel for u in the_plan.uploads) == sorted(chosen)
    print(
        f"  ours: {seconds:.3f} s, {len(the_plan.uploads)} uploaded ({mb(the_plan.upload_bytes)}; "
        f"{'exactly the changed files' if ok else 'WRONG: not the changed files'}), "
        f"feeds last: {the_plan.uploads[-1].rel if the_plan.uploads else '-'}; {spent_line(spent)}"
    )
    s3 = plain_client(endpoint)
    s3.create_bucket(Bucket="plain-change")
    list_s = timed_list(s3, bucket)
    put_s, _, _ = baseline(site, s3, "plain-change", only=chosen)
    print(
        f"  floor, listing + put_object of just those files: {list_s + put_s:.3f} s ({list_s:.3f} + {put_s:.3f}); "
        f"ratio ours / floor {seconds / (list_s + put_s):.1f}"
    )
    check_bucket(s3, bucket, site, "ours, after the change")


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mp3s", type=int, default=200, help="episodes with their media in site/ (default 200)")
    parser.add_argument("--mp3-mb", type=float, default=3.0, help="an MP3's size in MB, ±⅓ (default 3)")
    parser.add_argument("--long", type=int, default=2, help="of those, long episodes sent in parts (default 2)")
    parser.add_argument("--long-mb", type=float, default=80.0, help="a long episode's MP3 in MB (default 80)")
    parser.add_argument("--percent", type=float, default=1.0, help="files changed in (c), %% of each kind (default 1)")
    parser.add_argument("--repeat", type=int, default=2, help="first publishes of each side; best counts (default 2)")
    parser.add_argument("--repeat-small", type=int, default=3, help="no-change publishes; best counts (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the publish under tracemalloc")
    args = parser.parse_args()
    print(timing.machine("boto3", "botocore", "s3transfer", "moto", "Werkzeug"))
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(CREDENTIALS, AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "station"
        (root / "content").mkdir(parents=True)
        shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")
        t0 = time.perf_counter()
        site = root / "site"
        kinds = write_site(site, args.mp3s, args.mp3_mb, args.long, args.long_mb)
        os.sync()  # a build wrote site/ long before a publish: none of it still waiting to reach the disk
        sizes = {rel: (site / rel).stat().st_size for rel in kinds}
        total = sum(sizes.values())
        by_kind = {k: [s for r, s in sizes.items() if kinds[r] == k] for k in KINDS}
        print(
            f"\nsite/: {len(kinds):,} files, {mb(total)} ("
            + "; ".join(f"{k} {len(v):,} files {mb(sum(v))}" for k, v in by_kind.items())
            + f"); {sum(s >= 200 << 20 for s in sizes.values())} over the 200 MB multipart threshold; "
            f"made in {time.perf_counter() - t0:.1f} s (not timed)"
        )
        proc, endpoint = start_server()
        try:
            # Warm-up, untimed: imports, the first client, the server's first requests.
            s3 = plain_client(endpoint)
            s3.create_bucket(Bucket="warm-up")
            baseline(site, s3, "warm-up", only=["index.html", "feed.xml"])
            print(f"moto's S3 server at {endpoint} (a child process); ru_maxrss here {maxrss_mb():.0f} MB")
            # (b) and (c) go on from the state the last timed first publish left: its bucket and its ledger.
            bucket = first_publish(root, site, endpoint, args.repeat, total, len(kinds))
            no_change(root, site, endpoint, bucket, args.repeat_small)
            fresh_machine(root, site, endpoint, bucket, 2)
            small_change(root, site, endpoint, bucket, kinds, args.percent)
            commits(root, 2 * len(kinds))
            if not args.no_memory:  # last: a 40-second run under tracemalloc slows whatever follows it
                memory(root, endpoint)
        finally:
            stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
