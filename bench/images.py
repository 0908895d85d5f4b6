"""Benchmark: what artwork on the pages costs. Two parts, either on its own.

* variants (`--episodes N`): the build-time cost of the website's image variants for a station whose every
  episode has its own artwork. N distinct square 1400 px JPEGs (a blurred, noisy gradient each, closer to a
  photograph than a flat gradient is, so the encoders have real work), one show, N episodes built in memory
  with the real model classes; then, in the same process:
  - baseline: for each image, what the least a page could use costs with Pillow: open, one resize to
    720 px, one JPEG (quality 80), written to a file;
  - ours: `build.pictures.make_all` through a real Workshop and ledger (the build's own path): every
    image into 3 widths × the formats this Pillow writes (AVIF, WebP, JPEG), cached by content hash and
    published to site/artwork/;
  - no change: `make_all` again with a fresh workshop: must make no image and write no file;
  - by format: on the first 50 images, `tools.images.variants` for one format at a time, AVIF included
    (where this Pillow writes it) though the build leaves it out, with the bytes each makes;
  - peak memory: the process's ru_maxrss after all of it, and what the first image alone raised it by.
* weight (`--weight`): page weight per page type of the demo station, before (the code at --before, main
  by default, from `git archive`, built in a fresh process with that code on PYTHONPATH) and after (this
  checkout). Each page is loaded in real Chromium at a phone's size (390 × 844, 2× pixels) and a
  desktop's (1280 × 900, 1×) and every response is counted: raw bytes, and as gzip (level 6) would
  send the text types (HTML, CSS, JS, JSON, SVG; images as they are), since `station serve` and the bucket
  do not compress yet.

    .venv/bin/python -m bench.images [--episodes 1000] [--weight] [--before main]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageFilter

from bench import timing
from station import config as config_mod
from station.build import pictures
from station.build.built import BuiltEpisode
from station.build.identity import guid_namespace
from station.build.ledger import Ledger
from station.build.workshop import Events, Job, Workshop
from station.catalog.model import Consent, Episode, EpisodeMeta, Presenter, Show, ShowMeta
from station.config import IMAGE_FORMATS, IMAGE_QUALITY, IMAGE_WIDTHS
from station.records import Records
from station.tools import images

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
STATION_TOML = """[station]
name = "Bench Radio"
base_url = "https://bench.example.org/"
contact_email = "hello@bench.example.org"

[transcripts]
enabled = false
"""
TEXT_TYPES = ("text/html", "text/css", "javascript", "application/json", "image/svg+xml")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def artwork(path: Path, rnd: random.Random) -> None:
    """A square 1400 px JPEG, different for each seed: a gradient with blurred noise over it."""
    small = Image.new("RGB", (2, 2))
    small.putdata([tuple(rnd.randrange(256) for _ in range(3)) for _ in range(4)])
    base = small.resize((1400, 1400), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((350, 350), rnd.uniform(30, 70)).convert("RGB").resize((1400, 1400))
    Image.blend(base, noise.filter(ImageFilter.GaussianBlur(2)), 0.25).save(path, "JPEG", quality=90)


def station(root: Path, n: int) -> tuple[config_mod.Config, list[Show], list[BuiltEpisode]]:
    folder = root / "content" / "shows" / "bench-show"
    folder.mkdir(parents=True)
    (root / "station.toml").write_text(STATION_TOML, encoding="utf-8")
    config = config_mod.load(root)
    show = Show("bench-show", folder, ShowMeta(title="Bench Show", description="Peers."))
    rnd = random.Random(7)
    built = []
    for i in range(n):
        artwork(folder / f"ep{i}.jpg", rnd)
        meta = EpisodeMeta(
            title=f"Episode {i}",
            description="A story.",
            presenters=[Presenter(name="Sam", tier="first-name")],
            consent=Consent(by="Sam", date=dt.date(2026, 11, 1), scope=["site"]),
            artwork=f"ep{i}.jpg",
        )
        episode = Episode(show, f"bench-show/ep{i}.mp3", folder / f"ep{i}.mp3", folder / f"ep{i}.yaml", meta)
        built.append(BuiltEpisode(episode, f"content/shows/bench-show/ep{i}.mp3", "built", f"ep{i}", on_site=True))
    return config, [show], built


def workshop(config: config_mod.Config, ledger: Ledger) -> Workshop:
    return Workshop(
        config,
        check=False,
        now=NOW,
        events=Events(),
        ledger=ledger,
        records=Records.of(config),
        model=None,
        namespace=guid_namespace(config),
    )


def baseline(sources: list[Path], out: Path) -> float:
    out.mkdir()
    start = time.perf_counter()
    for i, path in enumerate(sources):
        with Image.open(path) as image:
            image.convert("RGB").resize((720, 720), Image.Resampling.LANCZOS).save(
                out / f"{i}.jpg", "JPEG", quality=IMAGE_QUALITY
            )
    return time.perf_counter() - start


def variants(n: int) -> None:
    print(f"== image variants: {n} episodes, each with its own 1400 px artwork ==")
    print(
        f"widths {IMAGE_WIDTHS}, formats {images.writable(IMAGE_FORMATS)} "
        f"(asked for {IMAGE_FORMATS}), quality {IMAGE_QUALITY}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "station"
        t = time.perf_counter()
        config, shows, built = station(root, n)
        sources = [b.episode.recording.parent / str(b.episode.meta.artwork) for b in built]
        print(f"made the station's {n} source images in {time.perf_counter() - t:.1f} s (not counted)")
        rss_start = maxrss_mb()
        base_s = baseline(sources, Path(tmp) / "baseline")
        ledger = Ledger(config.state_dir / "state.sqlite")
        job = Job()
        start = time.perf_counter()
        made, problems = pictures.make_all(workshop(config, ledger), job, shows, built)
        ours_s = time.perf_counter() - start
        ledger.close()
        assert problems == [] and len(made) == n, problems
        out = config.site_dir / "artwork"
        by_format: dict[str, int] = {}
        for p in out.iterdir():
            by_format[p.suffix] = by_format.get(p.suffix, 0) + p.stat().st_size
        ledger = Ledger(config.state_dir / "state.sqlite")
        again = Job()
        start = time.perf_counter()
        pictures.make_all(workshop(config, ledger), again, shows, built)
        again_s = time.perf_counter() - start
        ledger.close()
        assert sum(again.work.values()) == 0, again.work
        split, sizes = {}, {}
        sample = sources[:50]
        for fmt in images.writable(("avif", "webp", "jpeg")):  # AVIF too, where Pillow writes it: the decision
            folder = Path(tmp) / f"only-{fmt}"
            start = time.perf_counter()
            for i, path in enumerate(sample):
                images.variants(path, IMAGE_WIDTHS, (fmt,), IMAGE_QUALITY, folder, str(i))
            split[fmt] = (time.perf_counter() - start) / len(sample)
            sizes[fmt] = sum(p.stat().st_size for p in folder.iterdir())
        print(f"baseline (one 720 px JPEG each): {base_s:.1f} s, {1000 * base_s / n:.0f} ms an image")
        print(
            f"ours (make_all, {job.work['images']} variants made, {len(job.files)} files published): "
            f"{ours_s:.1f} s, {1000 * ours_s / n:.0f} ms an image; ratio ours/baseline {ours_s / base_s:.2f}"
        )
        print(f"no change (fresh workshop, nothing made or written): {again_s:.2f} s")
        each = ", ".join(f"{k} {1000 * v:.0f} ms, {sizes[k] / len(sample) / 1e3:.1f} KB" for k, v in split.items())
        print(f"by format, 3 widths, an image (first {len(sample)}): {each}")
        print(
            "bytes in site/artwork/ by format: "
            + ", ".join(f"{k} {v / 1e6:.1f} MB ({v / n / 1e3:.1f} KB an image)" for k, v in sorted(by_format.items()))
        )
        print(f"peak memory: {maxrss_mb():.0f} MB (ru_maxrss; {rss_start:.0f} MB before the first image)")


# ---------------------------------------------------------------- page weight


def build_demo(code: Path | None, into: Path) -> Path:
    """The demo station built into `into` with the code at `code` (None: this checkout), in its own process."""
    into.mkdir(parents=True)
    source = code or REPO
    shutil.copy(source / "station.toml", into)
    shutil.copytree(source / "content", into / "content")
    shutil.copytree(source / "scheduler", into / "scheduler")
    env = {**os.environ}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    subprocess.run(
        [sys.executable, "-m", "station", "build", "--station", str(into)],
        env=env,
        check=True,
        capture_output=True,
        cwd=str(code or REPO),
    )
    return into / "site"


def weigh(site: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """{page type: {"phone"|"desktop": (raw bytes, as gzip would send them)}}, every response counted."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, served
    from tests.test_site import PAGE_TYPES

    found: dict[str, dict[str, tuple[int, int]]] = {}
    with served(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for label, viewport, scale in (("phone", (390, 844), 2), ("desktop", (1280, 900), 1)):
            context = browser.new_context(
                viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=scale
            )
            for name, rel in PAGE_TYPES.items():
                if name == "not found":
                    continue
                page = context.new_page()
                seen: list = []
                page.on("response", lambda response, seen=seen: seen.append(response))
                page.goto(base + ("" if rel == "index.html" else rel.removesuffix("index.html")))
                page.wait_for_load_state("networkidle")
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images too
                page.wait_for_timeout(200)
                raw = sent = 0
                for response in seen:
                    if response.status != 200:
                        continue
                    body = response.body()
                    kind = response.headers.get("content-type", "")
                    raw += len(body)
                    sent += len(gzip.compress(body, 6)) if any(t in kind for t in TEXT_TYPES) else len(body)
                found.setdefault(name, {})[label] = (raw, sent)
                page.close()
            context.close()
        browser.close()
    return found


def weight(before: str) -> None:
    print(f"== page weight per page type: before ({before}) and after (this checkout) ==")
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "before-code"
        code.mkdir()
        archive = subprocess.run(["git", "archive", before], cwd=REPO, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        old = weigh(build_demo(code, Path(tmp) / "before"))
        new = weigh(build_demo(None, Path(tmp) / "after"))
    print("| page type | phone before | phone after | desktop before | desktop after |")
    print("|---|---|---|---|---|")
    for name in new:

        def cell(pair: tuple[int, int]) -> str:
            return f"{pair[0] / 1000:.1f} KB ({pair[1] / 1000:.1f} KB gzip)"

        print(
            f"| {name} | {cell(old[name]['phone'])} | {cell(new[name]['phone'])} | "
            f"{cell(old[name]['desktop'])} | {cell(new[name]['desktop'])} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1000, help="episodes with their own artwork (0: skip)")
    parser.add_argument("--weight", action="store_true", help="also weigh each page type, before and after")
    parser.add_argument("--before", default="main", help="the git revision the weights compare against")
    args = parser.parse_args()
    print(timing.machine("pillow", "jinja2"))
    if args.episodes:
        variants(args.episodes)
    if args.weight:
        weight(args.before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
