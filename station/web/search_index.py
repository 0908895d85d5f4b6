"""The site's search index, split so that a listener's first search downloads only what it needs.

`search.json` holds what a result shows (address, title, kind, snippet) for every page, and a table of
word lists. A word list (`search/words/<first pair>.<hash>.json`) holds the words that begin with some pairs
of letters, each with the documents it is in; neighbouring pairs share a list until it holds about 32 KB. A
search for "sleep" fetches `search.json` and the list that holds "sl": a fraction of what one file of every
document's words weighed (a 1,000-episode station: bench/README.md).

A term finds a document when one of its words begins with the term, or when its title or snippet holds the
term anywhere. Words are compared as the page's script compares them (site.js): without accents or case,
and split as JavaScript's `\\w` splits (ASCII letters, digits, `_`) plus the apostrophe. Word lists are
named by their content, so they can be cached for ever, and a changed index never mixes with an old one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
from collections import defaultdict
from typing import Any

WORDS_DIR = "search/words/"
PREFIX = 2  # letters a word list is chosen by; a one-letter term looks at titles and snippets only
LIST_BYTES = 32_000  # pairs of letters share a list up to this size (a small station has one or two lists)
_TOKEN = re.compile(r"[a-z0-9_']+")
_ACCENTS = re.compile("[\u0300-\u036f]")


def fold(text: str) -> str:
    """As site.js folds: decomposed, accents dropped, lower case ("Café" and "cafe" are the same)."""
    return _ACCENTS.sub("", unicodedata.normalize("NFD", text)).lower()


def words_of(text: str) -> set[str]:
    """The distinct words of `text`, as a search compares them; one-letter words are left out."""
    return {w for w in _TOKEN.findall(fold(text)) if len(w) >= PREFIX}


def files(docs: list[dict[str, Any]]) -> dict[str, bytes]:
    """`docs`: {"u": address, "t": title, "k": kind, "s": snippet, "w": the text its words come from, or "ws":
    its words already split by `words_of`}, in the order results are listed. Gives {site path: bytes}:
    search.json and the word lists."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        for word in doc["ws"] if "ws" in doc else words_of(doc["w"]):
            postings[word].append(i)
    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for word in sorted(postings):
        ids = postings[word]
        # Each list as gaps from the last document: small numbers that compress well.
        shards[word[:PREFIX]][word] = [ids[0]] + [b - a for a, b in itertools.pairwise(ids)]
    out: dict[str, bytes] = {}
    table: dict[str, str] = {}
    group: dict[str, dict[str, list[int]]] = {}
    size = 0

    def close() -> None:
        words = {word: gaps for part in group.values() for word, gaps in part.items()}
        data = _json(words)
        rel = f"{WORDS_DIR}{next(iter(group)).encode().hex()}.{hashlib.sha256(data).hexdigest()[:10]}.json"
        out[rel] = data
        table.update(dict.fromkeys(group, rel))
        group.clear()

    for prefix, words in sorted(shards.items()):
        weight = len(_json(words))
        if group and size + weight > LIST_BYTES:
            close()
            size = 0
        group[prefix] = words
        size += weight
    if group:
        close()
    index = {"docs": [{k: d[k] for k in ("u", "t", "k", "s")} for d in docs], "words": table}
    return {"search.json": _json(index), **out}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def lookup(index_files: dict[str, bytes], term: str) -> list[str]:
    """The addresses a one-word search for `term` finds, in the index's order: as site.js does, for tests."""
    index = json.loads(index_files["search.json"])
    term = fold(term)
    found: set[int] = set()
    rel = index["words"].get(term[:PREFIX])
    if len(term) >= PREFIX and rel:
        for word, gaps in json.loads(index_files[rel]).items():
            if word.startswith(term):
                at = 0
                for gap in gaps:
                    at += gap
                    found.add(at)
    return [d["u"] for i, d in enumerate(index["docs"]) if i in found or term in fold(d["t"]) or term in fold(d["s"])]
