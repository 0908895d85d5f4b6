"""What `station transcript` and the desk show: each episode's current published transcript, kept privately.

One JSON file per episode in the cache (`.station/cache/episodes/<guid>.json`),
rewritten only when it changes; an episode gone from the catalogue, held back
or withdrawn loses its file at the end of the build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from station.build.stages import transcribe
from station.catalog.model import Episode
from station.config import Config
from station.files import write_text


def folder(config: Config) -> Path:
    return config.state_dir / "cache" / "episodes"


def remember(config: Config, episode: Episode, slug: str, guid: str, published: transcribe.Published | None) -> None:
    record = {
        "show": episode.show.slug,
        "slug": slug,
        "title": episode.meta.title,
        "recording": config.rel(episode.recording),
        "transcript": published.transcript.to_dict() if published else None,
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=False)
    path = folder(config) / f"{guid}.json"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_text(path, text)


def forget_all_but(config: Config, guids: set[str]) -> None:
    for path in folder(config).glob("*.json"):
        if path.stem not in guids:
            path.unlink()


def record(config: Config, guid: str) -> dict[str, Any] | None:
    """One episode's current transcript record as the last build left it, by GUID (None: none yet)."""
    try:
        return json.loads((folder(config) / f"{guid}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def records(config: Config) -> list[dict[str, Any]]:
    """Every episode's current transcript as the last build left it (for `station transcript`)."""
    if not folder(config).is_dir():
        return []
    found = (json.loads(p.read_text(encoding="utf-8")) for p in folder(config).glob("*.json"))
    return sorted(found, key=lambda r: (r["show"], r["slug"]))
