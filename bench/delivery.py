"""Benchmark: compressed delivery and transcripts in the episode's language (issue 19). Two parts, either alone.

* weight (`--weight`): the demo station built by this checkout and served by `station serve`'s own server
  (station.web.serve, which negotiates gzip); each page type loaded in real Chromium at a phone's size
  (390 × 844, 2× pixels), every response counted twice: its body as the page gets it (raw, decoded) and
  the bytes that crossed the wire for it (Chromium's encoded body size: gzip where the server sent gzip).
  `station publish` sends the same gzip bytes (encoding.gzipped, level 9) to the bucket, so "as sent" is
  also what a listener downloads from the bucket. Also the feeds, sent plain to the bucket (README:
  Decisions), with what gzip would have saved on them.
* translation (`--minutes N`): what `translate: en` costs. A Polish recording of N minutes (espeak-ng's
  Polish voice, about 70 s of distinct sentences looped), transcribed by the multilingual base model in
  the same process and run: the transcript alone (`task=transcribe`, the baseline) and the English translation
  (`task=translate`) — each through the stage the build runs (`stages.transcribe.machine`, a freshly
  seeded model each time), best of --repeat, alternating which goes first. The ratio (transcribe +
  translate) / transcribe is what an episode asking for a translation costs against one that does not.
  Peak memory: ru_maxrss of this process after both (the model is the same for both, loaded per recording).

    flock /tmp/peerwave-cpu.lock .venv/bin/python -m bench.delivery --weight --minutes 3
    .venv/bin/python -m bench.delivery --minutes 0.5 --repeat 1     # quick check
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import platform
import resource
import tempfile
import time
from pathlib import Path

from bench.images import build_demo
from bench.transcribe import settings as station_settings
from station.build.stages import transcribe as stage
from station.tools import whisper_models
from station.tools.whisper import Whisper
from tests import media

OUT = Path(__file__).parent / "out"
# About 70 seconds of distinct sentences: a 30-second window never holds the same words twice (with a short
# unit looped it does, and the translation then repeats itself: bench/README.md, run 1).
POLISH = (
    "Dzień dobry. Nazywam się Anna i mieszkam w Krakowie. Co noc słucham radia, kiedy nie mogę spać. "
    "Czasem noc jest długa, ale wiem, że nie jestem sama. "
    "Rok temu przestałam pić. Pierwsze tygodnie były bardzo trudne, a najgorsze były wieczory. "
    "Moja siostra przyjeżdżała do mnie w każdą sobotę i razem gotowałyśmy obiad. "
    "Na spotkania grupy chodziłam najpierw co tydzień, potem dwa razy w tygodniu. "
    "Tam poznałam ludzi, którzy rozumieli, o czym mówię, bez długich wyjaśnień. "
    "Teraz pracuję w piekarni i wstaję o czwartej rano, więc nocą często jestem na nogach. "
    "Jeśli słuchasz nas teraz i jest ci ciężko, zadzwoń do kogoś bliskiego albo na telefon zaufania. "
    "Dziękuję wam za tę audycję i do usłyszenia jutro."
)


def weight() -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, served
    from tests.test_site import PAGE_TYPES

    print("== page weight per page type, raw and as `station serve` sends it (gzip) ==")
    with tempfile.TemporaryDirectory() as tmp:
        site = build_demo(None, Path(tmp) / "demo")
        rows = []
        with served(site) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            for name, rel in PAGE_TYPES.items():
                if name == "not found":
                    continue
                page = context.new_page()
                seen: list = []
                page.on("requestfinished", lambda request, seen=seen: seen.append(request))
                page.goto(base + ("" if rel == "index.html" else rel.removesuffix("index.html")))
                page.wait_for_load_state("networkidle")
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                page.wait_for_timeout(200)
                raw = sent = html_raw = html_sent = 0
                for request in seen:
                    response = request.response()
                    if response is None or response.status != 200:
                        continue
                    body, wire = len(response.body()), request.sizes()["responseBodySize"]
                    raw, sent = raw + body, sent + wire
                    if request.url.rstrip("/") == page.url.rstrip("/"):
                        html_raw, html_sent = body, wire
                rows.append((name, html_raw, html_sent, raw, sent))
                page.close()
            browser.close()
        print("| page type | the page raw | as sent | page + everything it loads, raw | as sent | saved |")
        print("|---|---|---|---|---|---|")
        for name, hr, hs, r, s in rows:
            print(
                f"| {name} | {hr / 1000:.1f} KB | {hs / 1000:.1f} KB | {r / 1000:.1f} KB | {s / 1000:.1f} KB | "
                f"{1 - s / r:.0%} |"
            )
        for rel in ("feed.xml", "shows/night-talk/feed.xml"):
            data = (site / rel).read_bytes()
            print(
                f"{rel}: {len(data) / 1000:.1f} KB plain in the bucket (gzip would be "
                f"{len(gzip.compress(data, 9, mtime=0)) / 1000:.1f} KB)"
            )


def polish_recording(minutes: float) -> Path:
    OUT.mkdir(exist_ok=True)
    out = OUT / f"polish-{minutes:g}min-v2.mp3"
    if not out.exists():
        unit = media.speech(POLISH, OUT / "polish-unit-v2.wav", voice="pl", speed=130, pad_s=0.5)
        media.long_speech(out, minutes, unit)
    return out


def translation(minutes: float, repeat: int) -> None:
    print(f"== translate: en — {minutes:g} minutes of Polish, base model ==")
    audio = polish_recording(minutes)
    settings = station_settings()
    with tempfile.TemporaryDirectory() as tmp:
        model = whisper_models.resolve("base", Path(tmp), OUT / "models")
        t = settings.transcripts
        whisper = Whisper(model.path, t.compute_type, t.cpu_threads)
        opts = stage.options(settings, "pl", ["Night Owls Radio", "Night Talk"])
        runs: dict[str, list[float]] = {"transcribe": [], "translate": []}
        words = {}
        for i in range(repeat):
            order = ["transcribe", "translate"] if i % 2 == 0 else ["translate", "transcribe"]
            for task in order:
                o = opts if task == "transcribe" else stage.translate_options(opts)
                started = time.perf_counter()
                got = stage.machine(whisper, audio, o)
                runs[task].append(time.perf_counter() - started)
                words[task] = got.text[:120]
                print(f"  run {i + 1} {task}: {runs[task][-1]:.1f} s")
    best = {k: min(v) for k, v in runs.items()}
    audio_s = minutes * 60
    print(f"transcribe alone (baseline): {best['transcribe']:.1f} s ({best['transcribe'] / audio_s:.2f}× real time)")
    print(f"translate alone:             {best['translate']:.1f} s ({best['translate'] / audio_s:.2f}× real time)")
    both = (best["transcribe"] + best["translate"]) / best["transcribe"]
    print(f"ratio (transcribe + translate) / transcribe: {both:.2f}")
    print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for task, text in words.items():
        print(f"  {task}: {text}…")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weight", action="store_true", help="page weight per page type, raw and as sent")
    parser.add_argument("--minutes", type=float, default=0, help="minutes of Polish to transcribe and translate")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    if args.weight:
        weight()
    if args.minutes:
        translation(args.minutes, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
