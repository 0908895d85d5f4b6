"""Benchmark: what feed generation costs for a large station, in time and in memory.

The issue's aim: for a synthetic station of 1,000 episodes (no audio work), the feeds a build
writes (the station feed with every episode, plus one feed per show) in under a second.

* time: `feed.station_feed` over all the items, plus `feed.show_feed` for each of the 10 shows
  over its own items (as `Pipeline._feeds` does, the items picked out per show the same way),
  then `feed.apple_problems` over every feed, timed separately and together. Each is taken
  --repeat times (default 3) and the best counts; every run is printed.
* memory: ru_maxrss and VmHWM of a fresh Python process that builds the catalogue and does the
  whole thing once; the RSS after imports is given for reference. It runs first, while this
  process is still small, because on Linux ru_maxrss carries a parent's peak across fork + exec
  (VmHWM does not).

The catalogue is built in memory with the real model classes (pydantic validation included):
10 shows, episodes with a few paragraphs of Markdown show notes, one or two presenters of mixed
tiers, consent for podcast/site/stream, publish times spread over seven years in several time
zones, content notes on some, chapters on some, episode (and some season) numbers. Rendering
reads no files, so none exist. The same seed gives the same catalogue.

Where the time goes: one extra, untimed run wraps `feed.description` (Markdown → nh3 per item)
and `FeedGenerator.rss_str` (building the lxml tree and serialising it); --profile adds cProfile's
top functions.

    .venv/bin/python -m bench.feeds [--episodes 1000] [--shows 10] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import lxml.etree
from feedgen.feed import FeedGenerator

from bench import summary, timing
from station.build.built import BuiltEpisode
from station.catalog.model import (
    CONTENT_NOTES,
    Chapter,
    Consent,
    Episode,
    EpisodeMeta,
    Presenter,
    Show,
    ShowMeta,
    slugify,
)
from station.catalog.transcript import Transcript
from station.config import Config, Settings
from station.podcast import feed
from station.web import markup

AIM_S = 1.0
SETTINGS = {
    "station": {
        "name": "Bench Radio",
        "base_url": "https://bench.example.org/",
        "contact_email": "b@example.org",
        "copyright": "© Bench",
    },
    "crisis_lines": [{"name": "Samaritans", "number": "116 123", "hours": "24 hours"}],
}
ART = "artwork/abc.jpg"

SHOW_NAMES = [
    "Night Owls",
    "Morning Tea",
    "Second Chances",
    "The Long Walk",
    "Kitchen Table",
    "Open Door",
    "Late Bus",
    "Small Steps",
    "Common Ground",
    "After Hours",
    "Quiet Hour",
    "Step by Step",
]
CATEGORIES = [
    ("Health & Fitness", "Mental Health"),
    ("Society & Culture", "Personal Journals"),
    ("Health & Fitness", None),
    ("Society & Culture", None),
]
NAMES = [
    "Sam Okafor",
    "Priya Shah",
    "Tom Rees",
    "Ana Lima",
    "Jo Mercer",
    "Kwame Asante",
    "Ruth Hale",
    "Dev Patel",
    "Maya Cohen",
    "Liam Byrne",
    "Nadia Rahman",
    "Owen Price",
    "Zoe Clarke",
    "Ibrahim Musa",
]
TIERS = ["full-name", "first-name", "pseudonym", "pseudonym-masked"]
WORDS = [
    "the",
    "night",
    "bus",
    "home",
    "was",
    "quiet",
    "and",
    "I",
    "kept",
    "thinking",
    "about",
    "what",
    "my",
    "sister",
    "said",
    "we",
    "talked",
    "for",
    "hours",
    "about",
    "recovery",
    "meetings",
    "work",
    "family",
    "money",
    "sleep",
    "friends",
    "walking",
    "music",
    "cooking",
    "hope",
    "relapse",
    "mornings",
    "kindness",
    "patience",
    "neighbours",
    "kettle",
    "garden",
    "letters",
    "doctor",
    "counsellor",
    "choir",
    "winter",
    "spring",
]
ZONES = [
    UTC,
    timezone(timedelta(hours=1)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
]


def sentence(rnd: random.Random, n: int) -> str:
    words = [rnd.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def show_notes(rnd: random.Random, i: int) -> str:
    """A few paragraphs of Markdown, as presenters write them: emphasis, links, sometimes a list or a quote."""
    paras = [
        " ".join(sentence(rnd, rnd.randint(8, 18)) for _ in range(rnd.randint(2, 4))) for _ in range(rnd.randint(2, 4))
    ]
    paras[0] = (
        f"In episode {i} we hear from **{rnd.choice(NAMES).split()[0]}** about *{rnd.choice(WORDS)}*. " + paras[0]
    )
    if rnd.random() < 0.6:
        paras.append(f"More at [the charity's site](https://example.org/help/{i}) or write to <hello@example.org>.")
    if rnd.random() < 0.4:
        paras.append("\n".join(f"- {sentence(rnd, rnd.randint(3, 7))}" for _ in range(rnd.randint(2, 5))))
    if rnd.random() < 0.2:
        paras.append(f"> {sentence(rnd, 12)}")
    if rnd.random() < 0.1:
        paras.append("<script>alert('raw HTML is dropped')</script> and `code` stays.")
    return "\n\n".join(paras)


TRANSCRIPT = Transcript((), "en")


def catalogue(root: Path, episodes: int, shows: int, seed: int = 1) -> tuple[Config, list[Show], list[BuiltEpisode]]:
    """The station's config, its shows and one BuiltEpisode per episode, round-robin over the shows."""
    rnd = random.Random(seed)
    config = Config(root=root, settings=Settings(**SETTINGS))
    show_list = []
    for s in range(shows):
        title = SHOW_NAMES[s % len(SHOW_NAMES)] + ("" if s < len(SHOW_NAMES) else f" {s}")
        slug = title.lower().replace(" ", "-")
        cat, sub = CATEGORIES[s % len(CATEGORIES)]
        meta = ShowMeta(
            title=title,
            description=f"{title}: {sentence(rnd, 20)} {sentence(rnd, 15)}",
            category=cat,
            subcategory=sub,
            explicit=s % 5 == 4,
            type="serial" if s % 4 == 3 else "episodic",
        )
        show_list.append(Show(slug, folder=root / "content" / slug, meta=meta))
    start = datetime(2019, 1, 1, tzinfo=UTC)
    span_s = 7 * 365 * 86400
    items = []
    for i in range(episodes):
        show = show_list[i % shows]
        number = i // shows + 1
        published = (start + timedelta(seconds=rnd.randrange(span_s))).astimezone(rnd.choice(ZONES))
        presenters = [
            Presenter(name=n, tier=rnd.choice(TIERS), role="host" if k == 0 else "guest")
            for k, n in enumerate(rnd.sample(NAMES, rnd.randint(1, 2)))
        ]
        duration = rnd.uniform(20 * 60, 75 * 60)
        chapters = (
            [Chapter(start=c * duration / 5, title=sentence(rnd, 4)) for c in range(rnd.randint(3, 5))]
            if rnd.random() < 0.4
            else []
        )
        notes = rnd.sample(sorted(CONTENT_NOTES), rnd.randint(1, 3)) if rnd.random() < 0.3 else []
        title = f"{sentence(rnd, rnd.randint(3, 8))[:-1]} ({number})"
        meta = EpisodeMeta(
            title=title,
            description=show_notes(rnd, number),
            presenters=presenters,
            consent=Consent(
                by=presenters[0].name,
                date=published.date() - timedelta(days=rnd.randint(1, 60)),
                scope=["podcast", "site", "stream"],
            ),
            content_notes=notes,
            published_at=published,
            chapters=chapters,
            episode=number,
            season=(number - 1) // 25 + 1 if show.meta.type == "serial" else None,
            explicit=True if "strong-language" in notes else None,
        )
        slug = f"{published.date().isoformat()}-{slugify(title, 40)}"
        stem = f"media/{show.slug}/{slug}"
        episode = Episode(
            show,
            f"{show.slug}/{slug}.wav",
            recording=show.folder / f"{slug}.wav",
            sidecar=show.folder / f"{slug}.yaml",
            meta=meta,
        )
        items.append(
            BuiltEpisode(
                episode,
                f"content/shows/{show.slug}/{slug}.wav",
                "built",
                slug,
                guid=f"bench-{i:06d}",
                measured={"duration_s": duration},
                audio=stem + ".mp3",
                size=int(duration * 8000) + 417,
                transcript=TRANSCRIPT,  # the feed lists the transcript files; it never reads the words
                chapters=stem + ".chapters.json" if chapters else None,
                in_podcast=True,
            )
        )
    return config, show_list, items


# ---------------------------------------------------------------- the work a build does for feeds


def render_all(config: Config, shows: list[Show], items: list[BuiltEpisode]) -> list[tuple[str, bytes]]:
    """The station feed and one per show, as Pipeline._feeds makes them."""
    feeds = [("feed.xml", feed.station_feed(config, items, ART))]
    for show in shows:
        mine = [i for i in items if i.episode.show.slug == show.slug]
        feeds.append((f"shows/{show.slug}/feed.xml", feed.show_feed(config, show, mine, ART)))
    return feeds


def check_all(feeds: list[tuple[str, bytes]]) -> list:
    problems = []
    for rel, xml in feeds:
        problems += feed.apple_problems(xml, f"site/{rel}")
    return problems


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def mb_maxrss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":")) / 1024


# ---------------------------------------------------------------- time


def time_feeds(episodes: int, shows: int, repeat: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        build_s, (config, show_list, items) = timed(catalogue, Path(tmp), episodes, shows)
        print(
            f"\ncatalogue: {len(show_list)} shows, {len(items)} episodes "
            f"({sum(bool(i.episode.meta.content_notes) for i in items)} with content notes, "
            f"{sum(bool(i.chapters) for i in items)} with chapters, "
            f"{sum(len(i.episode.meta.description) for i in items) / len(items):.0f} characters of Markdown "
            f"each on average); built in {build_s:.2f} s (not timed below)"
        )

        print(f"\n== time: station feed ({len(items)} items) + {len(show_list)} show feeds, best of {repeat} ==")
        print(
            f"{'run':>4} {'station s':>10} {'shows s':>8} {'render s':>9} {'apple st.':>10} {'apple sh.':>10} "
            f"{'apple s':>8} {'total s':>8}"
        )
        runs = []
        feeds = None
        for r in range(1, repeat + 1):
            t0 = time.perf_counter()
            station_xml = feed.station_feed(config, items, ART)
            t1 = time.perf_counter()
            show_xml = []
            for show in show_list:
                mine = [i for i in items if i.episode.show.slug == show.slug]
                show_xml.append((f"shows/{show.slug}/feed.xml", feed.show_feed(config, show, mine, ART)))
            t2 = time.perf_counter()
            problems = feed.apple_problems(station_xml, "site/feed.xml")
            t3 = time.perf_counter()
            for rel, xml in show_xml:
                problems += feed.apple_problems(xml, f"site/{rel}")
            t4 = time.perf_counter()
            run = {
                "station": t1 - t0,
                "shows": t2 - t1,
                "render": t2 - t0,
                "apple_station": t3 - t2,
                "apple_shows": t4 - t3,
                "apple": t4 - t2,
                "total": t4 - t0,
            }
            runs.append(run)
            print(
                f"{r:>4} {run['station']:>10.3f} {run['shows']:>8.3f} {run['render']:>9.3f} "
                f"{run['apple_station']:>10.3f} {run['apple_shows']:>10.3f} {run['apple']:>8.3f} {run['total']:>8.3f}"
            )
            if feeds is None:
                feeds = [("feed.xml", station_xml), *show_xml]
            elif [x for _, x in feeds] != [station_xml] + [x for _, x in show_xml]:
                print("     !! this run's bytes differ from the first run's (feeds should be deterministic)")
        best = {k: min(r[k] for r in runs) for k in runs[0]}
        print(
            f"best {best['station']:>10.3f} {best['shows']:>8.3f} {best['render']:>9.3f} "
            f"{best['apple_station']:>10.3f} {best['apple_shows']:>10.3f} {best['apple']:>8.3f} {best['total']:>8.3f}"
        )
        total = min(r["total"] for r in runs)  # the best whole run (not the sum of the best parts)
        rendered = len(items) * 2  # each episode is in the station feed and in its show's feed
        size_station = len(feeds[0][1])
        size_shows = sum(len(x) for _, x in feeds[1:])
        print(
            f"\nbest whole run (render + Apple check) {total:.3f} s = {total / AIM_S:.2f} × the {AIM_S:g} s aim "
            f"({'met' if total < AIM_S else 'NOT met'}); render alone {best['render']:.3f} s = "
            f"{best['render'] / AIM_S:.2f} × the aim"
        )
        summary.record("feeds", f"render + Apple check, {len(items)} episodes", total, AIM_S, unit="s")
        print(
            f"throughput: {rendered} items rendered ({len(items)} episodes, each in two feeds): "
            f"{rendered / best['render']:.0f} items/s rendering, {rendered / best['apple']:.0f} items/s checking, "
            f"{len(items) / total:.0f} episodes/s for the whole job"
        )
        print(
            f"output: station feed {size_station:,} bytes ({size_station / len(items):,.0f} per item), "
            f"{len(feeds) - 1} show feeds {size_shows:,} bytes, total {size_station + size_shows:,} bytes"
        )

        sanity(feeds, items, show_list)
        phases(config, show_list, items)
        if profile:
            profile_run(config, show_list, items)


def sanity(feeds: list[tuple[str, bytes]], items: list[BuiltEpisode], shows: list[Show]) -> None:
    root = lxml.etree.fromstring(feeds[0][1])
    n_station = len(root.findall("channel/item"))
    per_show = [len(lxml.etree.fromstring(x).findall("channel/item")) for _, x in feeds[1:]]
    expect_show = [sum(1 for i in items if i.episode.show.slug == s.slug) for s in shows]
    problems = check_all(feeds)
    print(
        f"\nsanity: station feed has {n_station} <item>s (expected {len(items)}: "
        f"{'ok' if n_station == len(items) else 'WRONG'}); show feeds {per_show} "
        f"({'ok' if per_show == expect_show else 'WRONG, expected ' + str(expect_show)}); "
        f"apple_problems over all {len(feeds)} feeds: {[str(p) for p in problems] or '[] (none)'}"
    )
    first = root.find("channel/item")
    print(
        f"first item: {first.findtext('title')!r}, {first.findtext('pubDate')}, "
        f"description {len(first.findtext('description') or '')} characters"
    )


def phases(config: Config, shows: list[Show], items: list[BuiltEpisode]) -> None:
    """One more run, untimed in the table, with the main parts wrapped."""
    targets = [
        (feed, "description", "description (Markdown + nh3 + notes)"),
        (markup._markdown, "render", "  markdown-it render"),
        (markup.nh3, "clean", "  nh3.clean"),
        (FeedGenerator, "rss_str", "FeedGenerator.rss_str (lxml tree + serialise)"),
    ]
    with timing.phase_timer(targets) as spent:
        render_s, feeds = timed(render_all, config, shows, items)
    check_s, _ = timed(check_all, feeds)
    print(f"\n== where the time goes (one instrumented run: render {render_s:.3f} s, Apple check {check_s:.3f} s) ==")
    accounted = 0.0
    for _, _, name in targets:
        s = spent.get(name, 0.0)
        if not name.startswith(" "):
            accounted += s
        print(f"  {name:<48} {s:>7.3f} s  {s / render_s:>5.0%} of render")
    rest = render_s - accounted
    print(f"  {'the rest (feedgen setters, entries, sorting)':<48} {rest:>7.3f} s  {rest / render_s:>5.0%} of render")
    # What-if, not the code: each episode's show notes are rendered twice (station feed and show feed).
    original, cache = feed.description, {}

    def once(item, config):
        if item.guid not in cache:
            cache[item.guid] = original(item, config)
        return cache[item.guid]

    def build():  # a fresh cache each build: the first feed renders each description, the second reuses it
        cache.clear()
        return render_all(config, shows, items)

    feed.description = once
    try:
        memo_s = min(timed(build)[0] for _ in range(3))
    finally:
        feed.description = original
    print(
        f"  what-if: each description rendered once per build (memoised here, not in station/): render "
        f"{memo_s:.3f} s, best of 3"
    )


def profile_run(config: Config, shows: list[Show], items: list[BuiltEpisode]) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    check_all(render_all(config, shows, items))
    prof.disable()
    print("\n== cProfile: render + Apple check once, top 25 by own time ==")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


# ---------------------------------------------------------------- memory


def memory(episodes: int, shows: int) -> None:
    print(f"\n== memory: {episodes} episodes, {shows} shows, in a fresh process ==", flush=True)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.feeds", "--_memory", "--episodes", str(episodes), "--shows", str(shows)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"{'after imports MB':>17} {'RSS then MB':>12} {'catalogue MB':>13} {'peak MB':>8} {'VmHWM MB':>9} "
        f"{'whole s':>8}"
    )
    print(
        f"{m['start_mb']:>17.0f} {m['start_rss_mb']:>12.0f} {m['catalogue_mb']:>13.0f} {m['peak_mb']:>8.0f} "
        f"{m['hwm_mb']:>9.0f} {m['whole_s']:>8.2f}"
    )
    print(
        f"(ru_maxrss after imports, after building the catalogue, and at the end; VmRSS after imports; VmHWM "
        f"from /proc/self/status at the end. Feeds held at the end: {m['bytes']:,} bytes. 'whole s' is the "
        f"render + check in that cold process, first run)"
    )


def memory_child(episodes: int, shows: int) -> None:
    start, start_rss = mb_maxrss(), status_mb("VmRSS")
    with tempfile.TemporaryDirectory() as tmp:
        config, show_list, items = catalogue(Path(tmp), episodes, shows)
        cat_mb = mb_maxrss()
        t = time.perf_counter()
        feeds = render_all(config, show_list, items)
        problems = check_all(feeds)
        whole = time.perf_counter() - t
    assert not problems, problems
    print(
        json.dumps(
            {
                "start_mb": start,
                "start_rss_mb": start_rss,
                "catalogue_mb": cat_mb,
                "peak_mb": mb_maxrss(),
                "hwm_mb": status_mb("VmHWM"),
                "whole_s": whole,
                "bytes": sum(len(x) for _, x in feeds),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1000, help="episodes in the station (default 1000)")
    parser.add_argument("--shows", type=int, default=10, help="shows they are spread over (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the best counts (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the fresh-process memory run")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--_memory", dest="memory_child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.episodes, args.shows)
        return 0
    print(timing.machine("feedgen", "lxml", "markdown-it-py", "nh3", "pydantic"))
    if not args.no_memory:  # first, while this process is small: ru_maxrss carries a parent's peak across exec
        memory(args.episodes, args.shows)
    time_feeds(args.episodes, args.shows, args.repeat, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
