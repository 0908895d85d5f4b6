"""Benchmark: what the website costs for a large station: a full render, the first write, the no-change rebuild.

The issue's ask: "full site render for a synthetic station of 1,000 episodes and 200 resources (no audio
work), and the no-change rebuild; times and peak memory", and an episode page under 100 KB before audio.

The station is made in a temporary folder: a station.toml like the repo's (transcripts turned off there
only so that the build does not look for the Whisper model: nothing here transcribes, and the site does
not read that setting), content/artwork.jpg, and --resources YAML entries in content/resources/ across
all 13 kinds, 8 localities and varied hours (daytime, evenings, overnight past midnight, weekends, 24/7,
"by appointment"), read back with `resources.load` as a build reads them. The episodes are built in
memory with the real model classes, as in bench/feeds.py (its show notes, names and titles), with 1-3
topics from the recovery systems map, content notes on some, chapters on some, and a transcript each:
about 4,000 words (25 minutes at 160 words a minute) drawn from the prose of the recovery map, so
about 900 distinct words an episode, cut into cues by the rules of `transcript.cues_from_words` (84
characters, 7 s, a sentence end, a pause); a page lists them joined into reading units
(`site.reading_units`). The cues carry no per-word timings, as `page_transcript` leaves them for a
build (see "memory" below for what the words weigh). The same seed gives the same station.

* render: `site.Site(config, shows, pages, places).render()` for the whole station, --repeat
  times (best counts), against a baseline in the same process: the same number of HTML pages rendered
  from a bare Jinja2 template (autoescape on) with each page's title and text (an episode's transcript
  text, a place's summary, a topic's summary), then written with `Path.write_bytes`. Sides alternate.
* memory: one more render under tracemalloc: the peak of what the render allocates (the catalogue,
  already built, is not counted), and what a held transcript weighs with its per-word timings and as
  `page_transcript` keeps it, measured on a few episodes.
* write: `build.outputs.Outputs.site` driven for real: a workshop on the station (its own ledger in
  .station/), `Outputs.site` given our BuiltEpisodes and `Catalog(shows=...)`: resources loaded,
  `site.render_key` over every input, and unless the ledger says that key made the files there, every
  page rendered and each file published through `Workshop.publish` (written atomically with fsync unless
  the ledger says the same key made the file there). First into an empty site/, then --repeat no-change
  rebuilds with fresh workshops, each of which must skip `Site.render` and write nothing (render never
  entered, the work counter, its page count and every file's mtime are checked); then one
  resource entry's summary edited, and put back. `render_key` is timed on its own too, with what its
  transcripts cost and a what-if that hashes them directly.
* weight: the median and the largest episode page, the median with a 60-minute transcript and the
  largest with a 60- and a 90-minute one, each with the CSS and JS it loads, raw and gzipped (level 6),
  against the issue's 100 KB.

Where the time goes: one extra render with the main parts wrapped; --profile adds cProfile.

    .venv/bin/python -m bench.site [--episodes 1000] [--resources 200] [--shows 5] [--repeat 2] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import posixpath
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import jinja2
import yaml

from bench import summary, timing
from bench.feeds import CATEGORIES, NAMES, SHOW_NAMES, TIERS, ZONES, sentence, show_notes
from station import config as config_mod
from station import files as files_mod
from station.build.built import BuiltEpisode
from station.build.episode import page_transcript
from station.build.identity import guid_namespace
from station.build.ledger import Ledger
from station.build.outputs import Outputs
from station.build.workshop import Events, Workshop
from station.catalog import resources as resources_mod
from station.catalog.content import Catalog
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
from station.catalog.recovery_map import nodes
from station.catalog.transcript import CUE_CHARS, CUE_SECONDS, LINE_CHARS, Cue, Transcript, Word
from station.podcast import feed
from station.records import Records
from station.web import landscape_map, search_index, systems_map
from station.web import site as site_mod

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # fixed, so the same seed gives the same bytes
WORDS_PER_MINUTE = 160
PAGE_AIM_BYTES = 100_000
STATION_TOML = """\
# The bench station: the repo's station.toml, with transcripts off (no Whisper model is looked for).

[station]
name = "Night Owls Radio"
base_url = "https://night-owls.example.org/"
language = "en-GB"
contact_email = "hello@night-owls.example.org"
description = "Peer-led radio through the night, from people with lived experience of recovery."
artwork = "content/artwork.jpg"
copyright = "© 2026 Night Owls Radio. Shared under CC BY-NC-ND 4.0."

[transcripts]
enabled = false

[[crisis_lines]]
name = "Samaritans"
number = "116 123"
hours = "24 hours, every day"
url = "https://www.samaritans.org/"

[[crisis_lines]]
name = "Shout (text)"
number = "Text SHOUT to 85258"
hours = "24 hours, every day"
"""
LOCALITIES = [
    "Town centre",
    "Northgate",
    "Harbourside",
    "Eastfield",
    "Westbrook",
    "Old Town",
    "Riverside",
    "Anywhere (phone)",
]
LANGUAGES = ["Polish", "Urdu", "Portuguese", "Romanian", "Arabic", "Welsh", "BSL"]
# Opening hours as stations write them, with how often each shape comes up.
HOURS = [
    (5, [{"days": "mon-fri", "open": "09:00", "close": "17:00"}]),
    (3, [{"days": "mon-fri", "open": "09:30", "close": "16:30"}, {"days": "wed", "open": "17:00", "close": "19:30"}]),
    (3, [{"days": ["tue", "thu"], "open": "18:30", "close": "21:00"}]),
    (2, [{"days": "fri-sun", "open": "22:00", "close": "06:00"}]),
    (2, [{"days": ["sat", "sun"], "open": "10:00", "close": "14:00"}]),
    (2, [{"days": "mon-sat", "open": "08:00", "close": "22:00"}, {"days": "sun", "open": "10:00", "close": "16:00"}]),
    (2, "always"),
    (2, None),  # hours_note only
    (3, "random"),
]


# ---------------------------------------------------------------- the station


def vocabulary() -> tuple[list[str], list[int]]:
    """English words and how often they come up, from the prose of the recovery map (names, summaries, notes)."""
    data = yaml.safe_load((REPO / "station" / "data" / "recovery-map.yaml").read_text(encoding="utf-8"))
    prose: list[str] = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str) and x.count(" ") >= 2:
            prose.append(x)

    walk(data)
    counts = collections.Counter(
        w if w == "I" else w.lower() for w in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", " ".join(prose))
    )
    return list(counts), list(counts.values())


def speech(
    rnd: random.Random,
    vocab: tuple[list[str], list[int]],
    n_words: int,
    language: str = "en",
    speaker: str | None = None,
    with_words: bool = False,
) -> Transcript:
    """A transcript of n_words of plausible speech, cut into cues by cues_from_words's rules (done here in one
    pass: the real function re-joins the cue's text at every word, too slow for four million words)."""
    tokens = rnd.choices(vocab[0], vocab[1], k=n_words)
    cues: list[Cue] = []
    text: list[str] = []
    words: list[Word] = []
    length = -1
    start = last_end = t = rnd.uniform(0.5, 3.0)
    sentence_left = 0
    ended = False  # the cue's last word ends a sentence
    for token in tokens:
        first = sentence_left == 0
        if first:
            sentence_left = rnd.randint(5, 20)
            token = token[0].upper() + token[1:]
        sentence_left -= 1
        if sentence_left == 0:
            token += "?" if rnd.random() < 0.1 else "."
        elif rnd.random() < 0.06:
            token += ","
        w_start = t + (rnd.uniform(0.3, 1.2) if first else rnd.uniform(0.03, 0.13))
        w_end = w_start + 0.06 + 0.035 * len(token) * rnd.uniform(0.7, 1.3)
        if text and (
            length + 1 + len(token) > CUE_CHARS
            or w_end - start > CUE_SECONDS
            or w_start - last_end > 1.2
            or (ended and length > LINE_CHARS / 2)
        ):
            cues.append(Cue(round(start, 2), round(last_end, 2), " ".join(text), tuple(words)))
            text, words, length = [], [], -1
            start = w_start
        text.append(token)
        length += 1 + len(token)
        if with_words:
            words.append(Word(round(w_start, 2), round(w_end, 2), " " + token))
        last_end = t = w_end
        ended = sentence_left == 0
    cues.append(Cue(round(start, 2), round(last_end, 2), " ".join(text), tuple(words)))
    return Transcript(tuple(cues), language, speaker=speaker)


def write_station(root: Path, n_resources: int, seed: int = 2) -> config_mod.Config:
    """station.toml, the artwork and n_resources entries in content/resources/, as a station keeps them."""
    rnd = random.Random(seed)
    (root / "content" / "resources").mkdir(parents=True)
    (root / "station.toml").write_text(STATION_TOML, encoding="utf-8")
    shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")
    kinds = list(resources_mod.kinds().values())
    node_ids = list(nodes())
    weights, shapes = zip(*HOURS, strict=True)
    taken: set[str] = set()
    for i in range(n_resources):
        kind = kinds[i % len(kinds)]
        phone = kind.id in ("crisis", "peer-support") and rnd.random() < 0.5
        locality = "Anywhere (phone)" if phone else rnd.choice(LOCALITIES[:-1])
        name = f"{rnd.choice(kind.examples).capitalize()}, {locality if not phone else 'by phone'}"
        slug, n = slugify(name), 2
        while slug in taken:
            slug, n = f"{slugify(name)}-{n}", n + 1
        taken.add(slug)
        entry: dict = {
            "name": name if n == 2 else f"{name} ({n - 1})",
            "kind": kind.id,
            "summary": f"{sentence(rnd, rnd.randint(8, 16))} {sentence(rnd, rnd.randint(6, 14))}",
            "locality": locality,
        }
        shape = rnd.choices(shapes, weights)[0]
        if shape == "random":
            shape = []
            for _ in range(rnd.randint(1, 3)):
                a = rnd.randrange(7 * 2, 21 * 2) * 30
                b = (a + rnd.randrange(2, 12) * 30) % 1440
                shape.append(
                    {
                        "days": sorted(rnd.sample(resources_mod.DAYS, rnd.randint(1, 5)), key=resources_mod.DAYS.index),
                        "open": f"{a // 60:02}:{a % 60:02}",
                        "close": f"{b // 60:02}:{b % 60:02}",
                    }
                )
        if shape is None:
            entry["hours_note"] = rnd.choice(
                ["By appointment.", "Ring first; hours change with the season.", "Online, answered within a day."]
            )
        else:
            entry["hours"] = shape
            if rnd.random() < 0.15:
                entry["hours_note"] = "Closed on bank holidays."
        entry["access"] = (
            ["phone"]
            if phone
            else rnd.sample(["drop-in", "self-referral", "referral", "appointment", "online"], rnd.randint(1, 2))
        )
        if rnd.random() < 0.3:
            entry["cost"] = rnd.choice(["free (food by donation)", "£2 a session", "free; bus fares repaid"])
        for key in ("accepts_using", "discreet_entry"):
            if rnd.random() < 0.8:
                entry[key] = rnd.random() < 0.6
        if rnd.random() < 0.7:
            entry["orientation"] = rnd.choice(["harm-reduction", "abstinence", "both"])
        for key, p in (("women_only", 0.05), ("parents", 0.1), ("lived_experience", 0.5), ("user_led", 0.25)):
            if rnd.random() < p:
                entry[key] = True
        if rnd.random() < 0.3:
            entry["languages"] = ["English", *rnd.sample(LANGUAGES, rnd.randint(1, 2))]
        if rnd.random() < 0.4:
            entry["accessibility"] = rnd.choice(
                ["Step-free entrance.", "Hearing loop; quiet room on request.", "On the 4 and 12 bus routes."]
            )
        contact = {"phone": f"01234 5{i:02} {rnd.randrange(1000):03}"} if rnd.random() < 0.8 else {}
        if rnd.random() < 0.3:
            contact["email"] = f"hello@{slug[:20]}.example.org"
        if rnd.random() < 0.4:
            contact["web"] = f"https://{slug[:20]}.example.org/"
        if not phone and rnd.random() < 0.6:
            contact["address"] = f"{rnd.randint(1, 120)} {rnd.choice(['Quay', 'Market', 'Station', 'Church'])} Street"
        if contact:
            entry["contact"] = contact
        entry["last_checked"] = NOW.date() - timedelta(days=rnd.randint(0, 300))
        entry["topics"] = rnd.sample(node_ids, rnd.randint(1, 3))
        (root / "content" / "resources" / f"{slug}.yaml").write_text(
            "# One entry of the Recovery Network Map. Every key: docs/resources.md\n"
            + yaml.safe_dump(entry, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    return config_mod.load(root)


def catalogue(
    config: config_mod.Config, n_episodes: int, n_shows: int, words: int, seed: int = 1
) -> tuple[list[Show], list[BuiltEpisode]]:
    """The shows and one BuiltEpisode per episode (round-robin over the shows), each with a transcript."""
    rnd = random.Random(seed)
    vocab = vocabulary()
    node_ids = list(nodes())
    root = config.root
    shows = []
    for s in range(n_shows):
        title = SHOW_NAMES[s % len(SHOW_NAMES)] + ("" if s < len(SHOW_NAMES) else f" {s}")
        cat, sub = CATEGORIES[s % len(CATEGORIES)]
        meta = ShowMeta(
            title=title,
            description=f"{title}: {sentence(rnd, 20)} {sentence(rnd, 15)}",
            category=cat,
            subcategory=sub,
            type="serial" if s % 4 == 3 else "episodic",
        )
        slug = slugify(title)
        shows.append(Show(slug, folder=root / "content" / "shows" / slug, meta=meta))
    start = datetime(2019, 1, 1, tzinfo=UTC)
    span_s = int((NOW - start).total_seconds()) - 86400
    pages, slugs = [], set()
    for i in range(n_episodes):
        show = shows[i % n_shows]
        number = i // n_shows + 1
        published = (start + timedelta(seconds=rnd.randrange(span_s))).astimezone(rnd.choice(ZONES))
        presenters = [
            Presenter(name=n, tier=rnd.choice(TIERS), role="host" if k == 0 else "guest")
            for k, n in enumerate(rnd.sample(NAMES, rnd.randint(1, 2)))
        ]
        notes = rnd.sample(sorted(CONTENT_NOTES), rnd.randint(1, 3)) if rnd.random() < 0.3 else []
        title = f"{sentence(rnd, rnd.randint(3, 8))[:-1]} ({number})"
        description = show_notes(rnd, number)
        n_words = rnd.randint(words * 9 // 10, words * 11 // 10)
        credits = [p.credit for p in presenters]
        transcript = speech(rnd, vocab, n_words, speaker=credits[0] if len(credits) == 1 else None)
        duration = transcript.cues[-1].end + rnd.uniform(5, 40)
        chapters = (
            [Chapter(start=c * duration / 5, title=sentence(rnd, 4)) for c in range(rnd.randint(3, 5))]
            if rnd.random() < 0.4
            else []
        )
        meta = EpisodeMeta(
            title=title,
            description=description,
            presenters=presenters,
            consent=Consent(
                by=presenters[0].name,
                date=published.date() - timedelta(days=rnd.randint(1, 60)),
                scope=["podcast", "site", "stream"],
            ),
            content_notes=notes,
            topics=rnd.sample(node_ids, rnd.randint(1, 3)),
            published_at=published,
            chapters=chapters,
            episode=number,
            explicit=True if "strong-language" in notes else None,
        )
        slug, n = f"{published.date().isoformat()}-{slugify(title, 40)}", 2
        while (show.slug, slug) in slugs:
            slug, n = f"{published.date().isoformat()}-{slugify(title, 40)}-{n}", n + 1
        slugs.add((show.slug, slug))
        episode = Episode(
            show,
            f"{show.slug}/{slug}.wav",
            recording=show.folder / f"{slug}.wav",
            sidecar=show.folder / f"{slug}.yaml",
            meta=meta,
        )
        stem = f"media/{show.slug}/{slug}"
        pages.append(
            BuiltEpisode(
                episode,
                f"content/shows/{show.slug}/{slug}.wav",
                "built",
                slug,
                f"bench-{i:06d}",
                {"duration_s": duration},
                stem + ".mp3",
                int(duration * 8000) + 417,
                transcript,
                "presenter" if rnd.random() < 0.1 else "machine",
                chapters=stem + ".chapters.json" if chapters else None,
                on_site=True,
                in_podcast=True,
            )
        )
    return shows, pages


# ---------------------------------------------------------------- the two sides


def ours(config, shows, pages, places) -> dict[str, bytes]:
    return site_mod.Site(config, shows, pages, places).render()


BARE = (
    '<!doctype html>\n<html lang="en-GB">\n<head><meta charset="utf-8"><title>{{ title }}</title></head>\n'
    "<body>\n<h1>{{ title }}</h1>\n<p>{{ text }}</p>\n</body>\n</html>\n"
)


def bare_pages(config, shows, pages, places) -> list[tuple[str, str, object]]:
    """(site path, title, where the text comes from) for every HTML page ours makes, in the same number."""
    station = config.settings.station
    out = [
        (rel, station.name, station.description)
        for rel in (
            "index.html",
            "shows/index.html",
            "map/index.html",
            "map/pocket-guide/index.html",
            "topics/index.html",
            "search/index.html",
            "404.html",
        )
    ]
    out += [(f"shows/{s.slug}/index.html", s.meta.title, s.meta.description) for s in shows]
    out += [(f"{p.url}index.html", p.episode.meta.title, p.transcript) for p in pages]
    out += [(f"map/{p.slug}/index.html", p.meta.name, p.meta.summary) for p in places]
    out += [(f"topics/{n.id}/index.html", n.name, n.summary) for n in nodes().values()]
    return out


def baseline(data: list[tuple[str, str, object]], out: Path | None) -> tuple[float, float]:
    """Bare Jinja2: each page's title and text (a transcript's whole text), rendered; then written if `out`."""
    t0 = time.perf_counter()
    template = jinja2.Environment(autoescape=True).from_string(BARE)
    rendered = [
        (rel, template.render(title=title, text=text.text if isinstance(text, Transcript) else text).encode("utf-8"))
        for rel, title, text in data
    ]
    t1 = time.perf_counter()
    if out is not None:
        for rel, html in rendered:
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(html)
    return t1 - t0, time.perf_counter() - t1


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def kb(n: float) -> str:
    return f"{n / 1e3:,.1f} KB"


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- 1. render


def time_render(config, shows, pages, places, repeat: int, tmp: Path) -> tuple[dict[str, bytes], dict]:
    data = bare_pages(config, shows, pages, places)
    print(f"\n== 1. render: Site(...).render() vs bare Jinja2 ({len(data)} HTML pages each), best of {repeat} ==")
    print(f"{'run':>4} {'ours s':>8} {'baseline render s':>18} {'+ write s':>10} {'baseline s':>11}")
    rows, files = [], None
    for r in range(1, repeat + 1):
        out = tmp / f"bare-{r}"
        order = ["ours", "bare"] if r % 2 else ["bare", "ours"]
        row = {}
        for side in order:
            if side == "ours":
                row["ours"], got = timed(ours, config, shows, pages, places)
                if files is None:
                    files = got
                elif got != files:
                    print("     !! this run's bytes differ from the first run's (the site should be deterministic)")
            else:
                row["bare_render"], row["bare_write"] = baseline(data, out)
        shutil.rmtree(out)
        row["bare"] = row["bare_render"] + row["bare_write"]
        rows.append(row)
        print(f"{r:>4} {row['ours']:>8.3f} {row['bare_render']:>18.3f} {row['bare_write']:>10.3f} {row['bare']:>11.3f}")
    best = {k: min(r[k] for r in rows) for k in rows[0]}
    print(f"best {best['ours']:>8.3f} {best['bare_render']:>18.3f} {best['bare_write']:>10.3f} {best['bare']:>11.3f}")
    html = [rel for rel in files if rel.endswith(".html")]
    total = sum(len(v) for v in files.values())
    episodes_b = sum(len(files[f"{p.url}index.html"]) for p in pages)
    index = files["search.json"]
    lists = {rel: len(gzip.compress(data, 6)) for rel, data in files.items() if rel.startswith(search_index.WORDS_DIR)}
    index_gz = len(gzip.compress(index, 6))
    first = index_gz + max(lists.values())
    print(
        f"\nours: {len(html)} HTML pages + {len(files) - len(html)} other files, {total:,} bytes "
        f"({mb(total)}; episode pages {mb(episodes_b)}, {kb(episodes_b / len(pages))} each on average)"
    )
    print(
        f"  {len(html) / best['ours']:,.0f} pages/s; {best['ours'] / len(pages) * 1000:.2f} ms an episode "
        f"for the whole site"
    )
    print(
        f"  search.json {len(index):,} bytes ({mb(len(index))}, {index_gz:,} gzipped), "
        f"{len(index) / len(pages):,.0f} bytes an episode; {len(lists)} word lists, "
        f"{sum(lists.values()):,} bytes gzipped in all (median {sorted(lists.values())[len(lists) // 2]:,}, "
        f"largest {max(lists.values()):,}); a first one-word search downloads at most {first:,} bytes gzipped "
        f"(search.json + the largest list)"
    )
    summary.record("site", "first search: KB gzipped (search.json + largest list)", first / 1000, 300, unit="KB")
    by_type = collections.defaultdict(list)
    for rel in html:
        by_type[page_type(rel)].append(len(files[rel]))
    print(
        "  HTML by page type: "
        + "; ".join(
            f"{t} {len(v)} (median {kb(sorted(v)[len(v) // 2])}, largest {kb(max(v))})" for t, v in by_type.items()
        )
    )
    print(
        f"ratio ours / bare Jinja2 render: {best['ours'] / best['bare_render']:.2f}; "
        f"ours (render only) / bare render + write: {best['ours'] / best['bare']:.2f}"
    )
    return files, best


def listed(html: bytes) -> int:
    """How many transcript items an episode page lists."""
    return html.count(b"<li data-start=")


def page_type(rel: str) -> str:
    parts = rel.split("/")
    if len(parts) == 4 and parts[0] == "shows":
        return "episode"
    if len(parts) == 3 and parts[1] not in ("pocket-guide",) and parts[0] in ("shows", "map", "topics"):
        return {"shows": "show", "map": "place", "topics": "topic"}[parts[0]]
    return "one-off"


def phases(config, shows, pages, places) -> None:
    """One more render, with the main parts wrapped (the wrappers add a little to the small, frequent calls)."""
    calls = collections.Counter()
    original = site_mod.Ground.on

    def counting(self, topics):
        calls["Ground.on"] += 1
        return original(self, topics)

    targets = [
        (site_mod, "_episode_context", "episode pages' context (notes, reading units)"),
        (site_mod, "notes_html", "  notes_html (markdown-it + nh3)"),
        (site_mod, "reading_units", "  reading_units (cues joined into sentences)"),
        (site_mod.Site, "_search_docs", "search index: documents (Site._search_docs)"),
        (search_index, "files", "search index: search.json and word lists"),
        (search_index, "words_of", "  words_of (the words of each document)"),
        (site_mod, "plain", "markup.plain (description tag, search snippets)"),
        (site_mod.Ground, "__init__", "topic index: building it (Ground)"),
        (site_mod.Ground, "on", "topic index: look-ups (Ground.on)"),
        (landscape_map, "landscape_svg", "landscape map SVG"),
        (systems_map, "systems_map_svg", "systems map SVG"),
    ]
    site_mod.Ground.on = counting
    try:
        with timing.phase_timer(targets) as spent:
            total, _ = timed(ours, config, shows, pages, places)
    finally:
        site_mod.Ground.on = original
    print(f"\n== where the time goes (one instrumented render: {total:.3f} s) ==")
    for _, _, name in targets:
        s = spent.get(name, 0.0)
        print(f"  {name:<52} {s:>7.3f} s  {s / total:>5.0%}")
    print(
        f"  (the rows overlap: plain and the topic look-ups are called inside the episode pages and the search "
        f"index too; Ground.on was called {calls['Ground.on']:,} times)"
    )
    # What the transcripts cost on the pages: the same episode pages with none.
    site = site_mod.Site(config, shows, pages, places)
    bare = [replace(p, transcript=None, transcript_state="pending") for p in pages]
    with_s = timed(lambda: [site.episode(p) for p in pages])[0]
    without_s = timed(lambda: [site.episode(p) for p in bare])[0]
    print(
        f"  episode pages alone: {with_s:.3f} s with their transcripts, {without_s:.3f} s without "
        f"(the transcripts cost {with_s - without_s:.3f} s: "
        f"{(with_s - without_s) / sum(len(p.transcript.cues) for p in pages) * 1e6:.1f} µs a cue, "
        f"{(with_s - without_s) / sum(len(site_mod.reading_units(p.transcript)) for p in pages) * 1e6:.1f} µs "
        f"a reading unit)"
    )


# ---------------------------------------------------------------- memory


def memory(config, shows, pages, places, vocab) -> None:
    print("\n== memory ==")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    files = ours(config, shows, pages, places)
    now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = sum(len(v) for v in files.values())
    print(
        f"render under tracemalloc: peak {mb(peak - base)} allocated by the render; {mb(now - base)} still held "
        f"after it (the files dict: {mb(out)} of bytes); ru_maxrss of this process so far {maxrss_mb():.0f} MB"
    )
    del files
    tracemalloc.start()
    baseline(bare_pages(config, shows, pages, places), None)
    print(f"bare Jinja2 under tracemalloc: peak {mb(tracemalloc.get_traced_memory()[1])} (its pages, held as bytes)")
    tracemalloc.stop()
    # What holding the transcripts costs: a transcript as transcribed keeps every word's timing; the built
    # episodes keep `page_transcript` of it (cue times and text), as this bench's transcripts are.
    rnd = random.Random(3)
    n, sizes = 10, {}
    for label, make in (
        ("with per-word timings (as transcribed)", lambda: speech(rnd, vocab, 4000, with_words=True)),
        (
            "page_transcript (what a BuiltEpisode keeps)",
            lambda: page_transcript(speech(rnd, vocab, 4000, with_words=True)),
        ),
    ):
        tracemalloc.start()
        kept = [make() for _ in range(n)]
        sizes[label] = tracemalloc.get_traced_memory()[0] / n
        tracemalloc.stop()
        del kept
    for label, size in sizes.items():
        print(
            f"  a 4,000-word transcript held in memory, {label:<42} {mb(size)}; × {len(pages):,} episodes "
            f"≈ {mb(size * len(pages))}"
        )


# ---------------------------------------------------------------- 2. first write and no-change rebuild


def snapshot(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}


def site_build(config, shows, pages) -> tuple[float, SiteRun, dict[str, float]]:
    """Outputs.site as a build runs it, with a fresh workshop (its ledger in .station/) and our pages.

    The pages go in as a build makes them (`page_transcript`: cue times and text); ours have no word
    timings to drop, so this changes nothing but keeps the bench on the build's path."""
    targets = [
        (resources_mod, "load", "resources.load"),
        (site_mod.Site, "units", "Site.units (every page's key)"),
        (Ledger, "recall", "ledger recall (the files the keys made)"),
        (site_mod.Site, "render_units", "Site.render"),
        (Workshop, "publish", "Workshop.publish (all files)"),
        (Workshop, "intact", "  Workshop.intact (stat + ledger lookup)"),
        (Ledger, "record_output", "  ledger record (SQLite commit)"),
        (files_mod.os, "fsync", "  os.fsync"),
        (Ledger, "remember", "ledger remember (the files the keys made)"),
    ]
    ledger = Ledger(config.state_dir / "state.sqlite")
    shop = Workshop(
        config,
        check=False,
        now=NOW,
        events=Events(),
        ledger=ledger,
        records=Records.of(config),
        model=None,
        namespace=guid_namespace(config),
    )
    built = [replace(p, transcript=page_transcript(p.transcript)) if p.transcript else p for p in pages]
    outputs = Outputs(shop, Catalog(shows=shows), [])
    rendered: list[str] = []
    real = site_mod.Site._render

    def noting(self, page):
        rendered.append(page.rel)
        return real(self, page)

    site_mod.Site._render = noting  # type: ignore[method-assign]
    try:
        with timing.phase_timer(targets) as spent:
            seconds, _ = timed(outputs.site, built, None)
    finally:
        site_mod.Site._render = real  # type: ignore[method-assign]
        ledger.close()
    run = SiteRun(outputs)
    run.rendered = rendered
    return seconds, run, spent


class SiteRun:
    """What one site build did, as the bench prints it."""

    def __init__(self, outputs: Outputs):
        self.result = SimpleNamespace(work=outputs.job.work, pages=outputs.pages, problems=outputs.problems)
        self.rendered: list[str] = []  # the pages Site rendered


def spent_line(spent: dict[str, float]) -> str:
    return "; ".join(f"{k.strip()} {v:.3f} s" for k, v in spent.items())


def time_write(config, shows, pages, repeat: int, bare: dict) -> None:
    print("\n== 2. publish through Outputs.site (resources + render key + render + keyed writes) ==")
    site = config.site_dir
    first_s, runner, spent = site_build(config, shows, pages)
    written = sum(runner.result.work.values())
    problems = [str(p) for p in runner.result.problems]
    print(
        f"first build into an empty site/: {first_s:.3f} s, {written} files written "
        f"({dict(runner.result.work)}), {runner.result.pages} pages; problems: {problems or '[] (none)'}"
    )
    print("  " + spent_line(spent))
    publish = spent["Workshop.publish (all files)"]
    print(
        f"  ratios: whole first build / bare render + write {first_s / bare['bare']:.1f}; writing alone "
        f"(Workshop.publish {publish:.3f} s / bare write {bare['bare_write']:.3f} s) "
        f"{publish / bare['bare_write']:.1f}; "
        f"{publish / written * 1000:.2f} ms a file"
    )
    before = snapshot(site)
    print(f"no-change rebuilds, {repeat} fresh workshops (each must skip Site.render, write nothing, touch no file):")
    no_change = []
    for r in range(1, repeat + 1):
        seconds, runner, spent = site_build(config, shows, pages)
        written = sum(runner.result.work.values())
        after = snapshot(site)
        changed = sum(before[k] != after.get(k) for k in before) + len(set(after) - set(before))
        skipped = "Site.render" not in spent
        no_change.append(seconds)
        ok = (
            written == 0
            and changed == 0
            and skipped
            and runner.result.pages == len([k for k in before if k.endswith(".html")])
        )
        print(
            f"  {r}: {seconds:.3f} s, render {'skipped' if skipped else 'RUN'}, {written} files written, "
            f"{changed} files with a new mtime, {runner.result.pages} pages counted "
            f"({'ok' if ok else 'WRONG: expected no render and no writes'}); " + spent_line(spent)
        )
    summary.record("site", f"no-change rebuild of {len(pages):,} episodes", min(no_change), 1.0, unit="s")
    render_key_parts(config, shows, pages)
    # One input changed: a coordinator corrects one resource entry's summary. The key changes, so everything is
    # rendered again, and only the files whose bytes changed are written.
    entry = sorted((config.root / "content" / "resources").glob("*.yaml"))[0]
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text.replace("summary: ", "summary: Now open later. ", 1), encoding="utf-8")
    try:
        seconds, runner, spent = site_build(config, shows, pages)
        shown = [p for p in site.rglob("*.html") if b"Now open later." in p.read_bytes()]
    finally:
        entry.write_text(text, encoding="utf-8")
    written = sum(runner.result.work.values())
    print(
        f"one resource entry's summary changed: {seconds:.3f} s, render "
        f"{'RUN' if 'Site.render' in spent else 'SKIPPED: WRONG'}: {len(runner.rendered)} pages rendered "
        f"(of {len(before)} files; {len(shown)} pages show the summary itself, the others list the entry), "
        f"{written} files written ({dict(runner.result.work)}); " + spent_line(spent)
    )
    summary.record("site", "one resource entry changed: rebuild", seconds, 1.0, unit="s")
    seconds, runner, spent = site_build(config, shows, pages)
    # The old key is still in the ledger, but some of the files it made have since been replaced.
    print(
        f"  and changed back: {seconds:.3f} s, render {'RUN' if 'Site.render' in spent else 'skipped'}, "
        f"{sum(runner.result.work.values())} files written"
    )


def render_key_parts(config, shows, pages) -> None:
    """What the keys cost: every unit's key (`Site.units`), and of it the transcripts' digests."""
    places, _ = resources_mod.load(config, site_mod.local_today(config, NOW))
    key_s = min(timed(site_mod.render_key, config, shows, pages, places)[0] for _ in range(2))
    digest_s = min(timed(lambda: [site_mod.transcript_digest(p.transcript) for p in pages])[0] for _ in range(2))
    print(
        f"  every unit's key (render_key: Site + Site.units) on its own (best of 2): {key_s:.3f} s, of which the "
        f"transcripts' digests {digest_s:.3f} s"
    )


# ---------------------------------------------------------------- 4. against Pelican


def pelican_content(pages, folder: Path) -> None:
    """Each episode as a Pelican article: its title, date, show (category), topics (tags), notes and the same
    transcript text, a paragraph a reading unit as our page lists it. Written before the timing starts."""
    folder.mkdir(parents=True)
    names = nodes()
    for p in pages:
        meta = p.episode.meta
        units = "\n\n".join(text for _, _, text in site_mod.reading_units(p.transcript))
        tags = ", ".join(names[t].name.replace(",", "") for t in meta.topics)
        (folder / f"{p.episode.show.slug}-{p.slug}.md").write_text(
            f"Title: {meta.title}\nDate: {p.published_at:%Y-%m-%d %H:%M}\nCategory: {p.episode.show.meta.title}\n"
            f"Tags: {tags}\nSlug: {p.episode.show.slug}-{p.slug}\nSummary: {site_mod.plain(meta.description)}\n\n"
            f"{meta.description}\n\n## Transcript\n\n{units}\n",
            encoding="utf-8",
        )


def pelican_run(content: Path, out: Path) -> float:
    """Pelican's own build of those articles: its default theme, every page it makes, Atom and RSS feeds for all
    and for each category; no cache from an earlier run."""
    import logging

    from pelican import Pelican
    from pelican.settings import read_settings

    logging.getLogger("pelican").setLevel(logging.ERROR)
    settings = read_settings(
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(out),
            "SITEURL": "",
            "SITENAME": "Bench Radio",
            "TIMEZONE": "UTC",
            "DEFAULT_LANG": "en",
            "FEED_DOMAIN": "https://bench.example.org",
            "FEED_ALL_ATOM": "feeds/all.atom.xml",
            "FEED_ALL_RSS": "feeds/all.rss.xml",
            "CATEGORY_FEED_ATOM": "feeds/{slug}.atom.xml",
            "CATEGORY_FEED_RSS": "feeds/{slug}.rss.xml",
            "FEED_MAX_ITEMS": None,
            "LOAD_CONTENT_CACHE": False,
            "CACHE_CONTENT": False,
            "DELETE_OUTPUT_DIRECTORY": True,
            "RELATIVE_URLS": True,
        }
    )
    t = time.perf_counter()
    Pelican(settings).run()
    return time.perf_counter() - t


def ours_everything(config, shows, pages, places, out: Path) -> tuple[float, int]:
    """Our whole render of the same episodes: every page, the search index, the station feed and each show's
    feed, written to `out` (as Pelican writes its files)."""
    t = time.perf_counter()
    files = site_mod.Site(config, shows, pages, places).render()
    files["feed.xml"] = feed.station_feed(config, pages, None)
    for show in shows:
        mine = [p for p in pages if p.episode.show.slug == show.slug]
        files[f"shows/{show.slug}/feed.xml"] = feed.show_feed(config, show, mine, None)
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return time.perf_counter() - t, len(files)


def against_pelican(config, shows, pages, places, repeat: int, tmp: Path) -> None:
    try:
        import pelican  # noqa: F401
    except ImportError:
        print("\n== against Pelican: not installed (pip install -e '.[bench]') ==")
        return
    from importlib.metadata import version

    content = tmp / "pelican-content"
    pelican_content(pages, content)
    print(
        f"\n== against Pelican {version('pelican')} (Markdown {version('markdown')}): the same {len(pages):,} "
        f"episodes as Markdown articles with the same transcript text, with its feeds; best of {repeat} =="
    )
    rows = []
    for r in range(1, repeat + 1):
        row: dict[str, float] = {}
        for side in ["ours", "pelican"] if r % 2 else ["pelican", "ours"]:
            out = tmp / f"{side}-out"
            if side == "ours":
                row["ours"], n_ours = ours_everything(config, shows, pages, places, out)
            else:
                row["pelican"] = pelican_run(content, out)
                n_pelican = sum(1 for f in out.rglob("*") if f.is_file())
            shutil.rmtree(out)
        rows.append(row)
        print(f"  run {r}: ours {row['ours']:.2f} s, Pelican {row['pelican']:.2f} s")
    best = {k: min(r[k] for r in rows) for k in rows[0]}
    ratio = best["ours"] / best["pelican"]
    print(
        f"best: ours {best['ours']:.2f} s ({n_ours:,} files: pages, search index, feeds), Pelican "
        f"{best['pelican']:.2f} s ({n_pelican:,} files); ratio ours / Pelican {ratio:.2f}"
    )
    summary.record("site", f"whole render / Pelican, {len(pages):,} episodes", ratio, 0.5)


# ---------------------------------------------------------------- 3. page weight


def assets_of(files: dict[str, bytes], rel: str) -> dict[str, int]:
    html = files[rel].decode("utf-8")
    refs = re.findall(r'<(?:link rel="stylesheet"|script)[^>]*(?:href|src)="([^"]+)"', html)
    found = {}
    for ref in refs:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(rel), ref))
        found[path] = len(files[path])
    return found


def weigh(label: str, files: dict[str, bytes], rel: str, page: BuiltEpisode, places: int) -> None:
    html = files[rel]
    assets = assets_of(files, rel)
    zipped = len(gzip.compress(html, 6)) + sum(len(gzip.compress(files[a], 6)) for a in assets)
    total = len(html) + sum(assets.values())
    t = page.transcript
    print(
        f"  {label:<34} {len(t.text.split()):>6,} words {len(t.cues):>5} cues "
        f"{len(site_mod.reading_units(t)):>4} reading units {t.cues[-1].end / 60:>5.1f} min {places:>3} places  "
        f"HTML {kb(len(html)):>9}  + CSS/JS {kb(sum(assets.values()))} = {kb(total):>9} "
        f"({'under' if total < PAGE_AIM_BYTES else 'OVER'} 100 KB); gzipped {kb(zipped)}"
    )


def weight(config, shows, pages, places, files, vocab) -> None:
    print('\n== 3. episode page weight (before audio: the player has preload="none") ==')
    sizes = sorted((len(files[f"{p.url}index.html"]), i) for i, p in enumerate(pages))
    largest = pages[sizes[-1][1]]
    median = pages[sizes[len(sizes) // 2][1]]
    help_ = site_mod.Site(config, shows, pages, places).help
    listed_places = lambda p: len(help_.on(p.episode.meta.topics))  # noqa: E731
    print(
        "  (CSS/JS each episode page loads: "
        + ", ".join(f"{a} {v:,} B" for a, v in assets_of(files, f"{largest.url}index.html").items())
        + ")"
    )
    weigh("median 25-minute page", files, f"{median.url}index.html", median, listed_places(median))
    weigh("largest 25-minute page", files, f"{largest.url}index.html", largest, listed_places(largest))
    rnd = random.Random(4)
    for which, base, minutes in (("median", median, 60), ("largest", largest, 60), ("largest", largest, 90)):
        t = speech(rnd, vocab, minutes * WORDS_PER_MINUTE, speaker=base.transcript.speaker)
        page = replace(base, measured={"duration_s": t.cues[-1].end + 10}, transcript=t)
        site = site_mod.Site(config, shows, [page], places)
        site.episode(page)
        weigh(
            f"the {which}, {minutes}-minute transcript", site.files, f"{page.url}index.html", page, listed_places(base)
        )


# ---------------------------------------------------------------- cProfile


def profile_run(config, shows, pages, places) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    ours(config, shows, pages, places)
    prof.disable()
    print("\n== cProfile: one render, station/ functions by cumulative time ==")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(r"/station/", 15)
    print("== cProfile: top 20 by own time ==")
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1000, help="episodes in the station (default 1000)")
    parser.add_argument("--resources", type=int, default=200, help="resource entries (default 200)")
    parser.add_argument("--shows", type=int, default=5, help="shows the episodes are spread over (default 5)")
    parser.add_argument(
        "--words",
        type=int,
        default=25 * WORDS_PER_MINUTE,
        help="transcript words an episode, ±10%% (default 4000: 25 minutes)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each timing; the best counts (default 2)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions for one render")
    parser.add_argument("--quick", action="store_true", help="the ratios only: no breakdown, memory or page weight")
    args = parser.parse_args()
    print(timing.machine("Jinja2", "MarkupSafe", "markdown-it-py", "nh3", "pydantic", "PyYAML"))
    start_mb = maxrss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        config = write_station(tmp / "station", args.resources)
        shows, pages = catalogue(config, args.episodes, args.shows, args.words)
        build_s = time.perf_counter() - t0
        today = site_mod.local_today(config, NOW)
        load_s, (places, problems) = timed(resources_mod.load, config, today)
        assert not problems, [str(p) for p in problems]
        cues = sum(len(p.transcript.cues) for p in pages)
        units = sum(len(site_mod.reading_units(p.transcript)) for p in pages)
        words = sum(len(p.transcript.text.split()) for p in pages)
        distinct = sum(len(search_index.words_of(p.transcript.text)) for p in pages) / len(pages)
        print(
            f"\nstation: {len(shows)} shows, {len(pages)} episodes "
            f"({sum(bool(p.episode.meta.content_notes) for p in pages)} "
            f"with content notes, {sum(bool(p.episode.meta.chapters) for p in pages)} with chapters), transcripts "
            f"{words / len(pages):,.0f} words, {cues / len(pages):.0f} cues and {units / len(pages):.0f} reading "
            f"units (what a page lists) an episode on average "
            f"(~{distinct:.0f} distinct words), {sum(p.transcript.cues[-1].end for p in pages) / len(pages) / 60:.1f} "
            f"minutes; {len(places)} resources in {len({p.meta.locality for p in places})} localities, "
            f"{len({p.meta.kind for p in places})} kinds ({sum(p.evening for p in places)} open evenings, "
            f"{sum(p.overnight for p in places)} overnight); made in {build_s:.1f} s (not timed below); "
            f"ru_maxrss {start_mb:.0f} MB after imports, {maxrss_mb():.0f} MB with the station built"
        )
        print(f"resources.load: {load_s:.3f} s for {len(places)} entries ({load_s / len(places) * 1000:.2f} ms each)")

        files, bare = time_render(config, shows, pages, places, args.repeat, tmp)
        index = json.loads(files["search.json"])
        docs = collections.Counter(d["k"] for d in index["docs"])
        html = sum(rel.endswith(".html") for rel in files)
        expected = 7 + len(shows) + len(pages) + len(places) + len(nodes())
        print(
            f"sanity: {html} HTML pages (expected {expected}: {'ok' if html == expected else 'WRONG'}); search.json "
            f"docs {dict(docs)}; every episode page lists all its transcript (a <li> per reading unit): "
            f"{all(listed(files[f'{p.url}index.html']) == len(site_mod.reading_units(p.transcript)) for p in pages)}"
        )
        if not args.quick:
            phases(config, shows, pages, places)
            memory(config, shows, pages, places, vocabulary())
        time_write(config, shows, pages, args.repeat, bare)
        if not args.quick:
            weight(config, shows, pages, places, files, vocabulary())
        against_pelican(config, shows, pages, places, args.repeat, tmp)
        if args.profile:
            profile_run(config, shows, pages, places)
    return 0


if __name__ == "__main__":
    sys.exit(main())
