"""Benchmark: a back catalogue built (a) one episode at a time, (b) on the local pool, (c) on a 2-worker Dask cluster.

The issue's aims, for at least 16 recordings of 3 minutes of real speech
(espeak-ng paragraphs from tests.media, each recording different, looped to
length), transcripts on (tiny.en), in one run on one machine:

* the wall time of each build and its ratio to (a); aim (b) <= 0.6 x (a) on 2 cores;
* the per-task overhead of Dask against calling `episode_work` directly on the
  same task in this process (aim <= 5 % of a task's time);
* peak memory: each build process (station, with its largest ffmpeg: wait4's
  rusage) and each Dask worker (its own and its children's, read on the worker);
* a projection for N such machines and 500 hours of audio, from the measured
  time per minute of audio.

Each build is `station build` in a fresh process on its own copy of the
station (so nothing is cached between them), and the three sites are
checked to be the same bytes. (a) is `[compute] workers = 1` (one task at a
time, Whisper on every core: the build as it was before the pool); (b) the
default (one task a core, Whisper's threads shared out); (c) `--scheduler`
to `dask scheduler` + two `dask worker --nthreads 1` on 127.0.0.1, started
before the build (their start-up is reported apart).

    .venv/bin/python -m bench.scale            # 16 recordings x 3 minutes
    .venv/bin/python -m bench.scale --quick    # 4 x 0.5 minutes, to try it out

Run it under the shared lock: flock /tmp/peerwave-cpu.lock .venv/bin/python -m bench.scale
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench import summary, timing
from station import config as config_mod
from station.build.ledger import Ledger
from station.build.runner import Runner
from station.compute import pool as pool_mod
from station.compute.store import StoreSpec
from station.compute.tasks import task_for
from station.compute.work import episode_work
from station.tools import ffmpeg
from tests import dask_cluster, media

OUT = Path(__file__).resolve().parent / "out" / "scale"
REPO = Path(__file__).resolve().parent.parent
PARAGRAPHS = [
    "Some nights are long. We talk about what helped, and what did not, and about the people who sat with us.",
    "The kettle is on and the radio is low. Tonight we talk about sleep, and the nights it will not come.",
    "I kept a notebook in my first year. Most pages just say: still here. That was enough for me then.",
    "My sister drove two hours to sit with me in a waiting room. We did not talk much. She stayed all day.",
    "Meetings were hard at first. I sat by the door every week, and then one week I sat in the circle.",
    "Walking helps me. Round the park at six in the morning, before the shops open, before the thoughts.",
    "We are here until the morning. If you are awake and on your own, you are not the only one awake.",
    "A relapse is not the end of a story. It was a chapter for me, and the next one was a better one.",
]
VOICES = ["en-us", "en-gb", "en-us+f3", "en-gb+m3"]
STATION_TOML = """
[station]
name = "Scale Bench Radio"
base_url = "https://scale.example.org/"
contact_email = "hello@scale.example.org"
artwork = "content/artwork.jpg"

[build]
settle_s = 0
"""


def recordings(count: int, minutes: float) -> list[Path]:
    """`count` different recordings of real speech, `minutes` long each, made once and kept in bench/out/."""
    OUT.mkdir(parents=True, exist_ok=True)
    found = []
    for i in range(count):
        path = OUT / f"rec-{i:02}-{minutes:g}m.mp3"
        if not path.exists():
            with tempfile.TemporaryDirectory() as tmp:
                unit = media.speech(
                    " ".join(PARAGRAPHS[(i + k) % len(PARAGRAPHS)] for k in range(3)),
                    Path(tmp) / "unit.wav",
                    voice=VOICES[i % len(VOICES)],
                    speed=130 + 5 * (i % 5),
                    pad_s=0.5,
                )
                media.long_speech(path, minutes, unit=unit)
        found.append(path)
    return found


def make_station(root: Path, sources: list[Path], compute: str) -> Path:
    shows = root / "content" / "shows" / "back-catalogue"
    shows.mkdir(parents=True)
    (root / "station.toml").write_text(STATION_TOML + f"\n[compute]\n{compute}\n")
    shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")
    (shows / "show.toml").write_text('title = "The Back Catalogue"\ndescription = "Groups and interviews."\n')
    for i, src in enumerate(sources):
        shutil.copyfile(src, shows / f"part-{i:02}.mp3")
        side = {
            "title": f"Part {i + 1}",
            "description": "From the archive.",
            "presenters": [{"name": "Sam", "tier": "first-name"}],
            "consent": {"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site", "stream"]},
        }
        (shows / f"part-{i:02}.yaml").write_text(yaml.safe_dump(side, sort_keys=False))
    return root


def build(root: Path, *extra: str) -> tuple[float, int, str]:
    """`station build` in a fresh process: seconds, peak RSS (KB) of it or its largest child, its last line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "station", "build", "--station", str(root), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    output = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the build failed:\n{output}")
    return seconds, usage.ru_maxrss, output.strip().splitlines()[-1]


def site_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((root / "site").rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def worker_peaks() -> dict[str, int]:
    """A worker's own peak RSS. (Its children's figure is left out: a child started by vfork is charged the
    worker's pages until it execs, so it would say nothing of ffmpeg's own.)"""
    import resource

    return {"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def overhead(base: Path, sources: list[Path], cluster: dask_cluster.Cluster, repeat: int) -> dict[str, float]:
    """One task's time called directly here, and submitted to the cluster (one task at a time), best of `repeat`."""
    root = make_station(base / "overhead", sources[:1], "workers = 1")
    config = config_mod.load(root)
    ledger = Ledger(config.state_dir / "state.sqlite")
    runner = Runner(config, ledger, check=False, now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC), events=pool_mod_events())
    from station.catalog import content as catalog_mod

    cat = catalog_mod.load(config)
    runner.shop.present_keys = {e.key for e in cat.episodes}
    planned = task_for(runner.shop, cat.episodes[0])
    assert planned is not None
    spec = StoreSpec.of(config)
    store = spec.open()
    for sha, path in planned.uploads.items():
        store.put_file(path, sha)
    threads = os.cpu_count() or 1  # as the worker would have: one worker, one task at a time, every core
    direct, remote = [], []
    import distributed

    with distributed.Client(cluster.address, set_as_default=False) as client:
        target = next(iter(client.scheduler_info()["workers"]))
        slots = {"127.0.0.1": 1}  # only one task runs at a time here: it gets every core, as the direct call
        for _ in range(repeat):
            t = time.perf_counter()
            episode_work(planned.task, store, threads=threads, model_cache=config.state_dir / "cache" / "models")
            direct.append(time.perf_counter() - t)
            t = time.perf_counter()
            future = client.submit(
                pool_mod.run_on_worker,
                planned.task,
                spec,
                slots,
                pure=False,
                workers=[target],
                allow_other_workers=False,
            )
            future.result()
            remote.append(time.perf_counter() - t)
    ledger.close()
    return {"direct_s": min(direct), "dask_s": min(remote), "all_direct": direct, "all_dask": remote}


def pool_mod_events():
    from station.build.workshop import Events

    return Events()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=1, help="tries of the overhead measurement (best counts)")
    parser.add_argument("--quick", action="store_true", help="4 recordings of half a minute")
    args = parser.parse_args()
    if args.quick:
        args.count, args.minutes, args.repeat = 4, 0.5, 1
    ffmpeg.executable()
    print(timing.machine("dask", "distributed", "faster-whisper", "ctranslate2"))
    sources = recordings(args.count, args.minutes)
    audio_min = args.count * args.minutes
    print(
        f"{args.count} recordings x {args.minutes:g} min = {audio_min:g} min of real speech, transcripts on (tiny.en)"
    )
    figures: dict[str, object] = {"count": args.count, "minutes": args.minutes, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        base = Path(tmp)
        a = make_station(base / "a", sources, "workers = 1")
        b = make_station(base / "b", sources, "")
        runs = {}
        runs["a"] = build(a)
        print(f"(a) one at a time:   {runs['a'][0]:7.1f} s   peak {runs['a'][1] / 1024:6.0f} MB   {runs['a'][2]}")
        runs["b"] = build(b)
        print(f"(b) local pool:      {runs['b'][0]:7.1f} s   peak {runs['b'][1] / 1024:6.0f} MB   {runs['b'][2]}")
        started = time.perf_counter()
        with dask_cluster.cluster(base / "cluster") as cluster:
            up = time.perf_counter() - started
            c = make_station(base / "c", sources, "")
            runs["c"] = build(c, "--scheduler", cluster.address)
            import distributed

            with distributed.Client(cluster.address, set_as_default=False) as client:
                peaks = client.run(worker_peaks)
            print(
                f"(c) 2-worker Dask:   {runs['c'][0]:7.1f} s   station peak {runs['c'][1] / 1024:4.0f} MB   "
                f"(cluster start-up {up:.1f} s, not included)"
            )
            for address, p in sorted(peaks.items()):
                print(f"    worker {address}: peak {p['self_kb'] / 1024:.0f} MB")
            cost = overhead(base, sources, cluster, args.repeat)
        same = len({site_hash(root) for root in (a, b, c)}) == 1
        print(f"the three sites are the same bytes: {same}")
        if not same:
            raise SystemExit("the builds differ")
    ratio_b, ratio_c = runs["b"][0] / runs["a"][0], runs["c"][0] / runs["a"][0]
    per_task = cost["dask_s"] - cost["direct_s"]
    share = per_task / cost["direct_s"]
    print(f"ratios to (a): (b) {ratio_b:.2f}  (c) {ratio_c:.2f}   [aim (b) <= 0.6]")
    print(
        f"one task ({args.minutes:g} min): direct {cost['direct_s']:.2f} s, through Dask {cost['dask_s']:.2f} s -> "
        f"overhead {per_task:+.2f} s = {share:+.1%} of the task   [aim <= 5 %]"
    )
    per_audio_min = runs["b"][0] / audio_min  # this machine's pool: wall seconds per minute of audio
    print("projection, 500 hours of audio on N machines like this one (each its own 2-core pool or worker):")
    hours = 500 * 60 * per_audio_min / 3600
    for n in (1, 2, 4, 8, 16, 32):
        print(f"    N = {n:2}: {hours / n:6.1f} h")
    figures.update(
        {
            "seconds": {k: v[0] for k, v in runs.items()},
            "peak_kb": {k: v[1] for k, v in runs.items()},
            "worker_peak_kb": peaks,
            "cluster_start_s": up,
            "ratio_b": ratio_b,
            "ratio_c": ratio_c,
            "overhead": cost,
            "overhead_share": share,
            "pool_s_per_audio_min": per_audio_min,
            "projection_500h_hours": {n: hours / n for n in (1, 2, 4, 8, 16, 32)},
        }
    )
    (OUT / f"result-{args.count}x{args.minutes:g}.json").write_text(json.dumps(figures, indent=2, default=str))
    summary.record("scale", "local pool / one at a time (wall time)", ratio_b, 0.6)
    summary.record("scale", "2-worker Dask / one at a time (wall time)", ratio_c, 1.0)
    summary.record("scale", "Dask's overhead per task (share of the task)", share * 100, 5.0, unit="%")


if __name__ == "__main__":
    main()
