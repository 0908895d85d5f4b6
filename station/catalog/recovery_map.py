"""The users' recovery systems map: node ids, their own labels and summaries, and the links between nodes.

Episode topics and resource entries are tagged with these node ids. The data
is a copy of the shared domain file (`station/data/recovery-map.yaml`), shipped
inside the package so an installed station needs nothing beside it; a test
keeps the copy equal to the shared original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Node:
    id: str
    name: str  # the users' own words, used as the label everywhere
    summary: str
    part: str  # hold | struggle | recovery | context | capital


@dataclass(frozen=True)
class Link:
    source: str  # node id (sometimes a sub-system or capital id, e.g. "hold", "rc")
    target: str
    effect: str  # feeds | reinforces | hinders | triggers | delays | mixed | associated
    polarity: str  # "+", "-", "+/-" or "?"
    basis: str  # stated | implied | archetype | workshop_web | inferred (ours, not the report's)
    note: str


@cache
def _data() -> dict[str, Any]:
    text = resources.files("station").joinpath("data/recovery-map.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def nodes() -> dict[str, Node]:
    data = _data()
    found: dict[str, Node] = {}
    for sub in data["subsystems"]:
        for node in sub["nodes"]:
            found[node["id"]] = Node(node["id"], node["name"], node.get("summary", ""), sub["id"])
    for node in data.get("context_nodes", []):
        found[node["id"]] = Node(node["id"], node["name"], node.get("summary", ""), "context")
    for node in data.get("recovery_capital", []):
        # Concepts and artefacts (rc.polarity, rc.poster) describe the theory; they are not topics.
        if str(node.get("kind", "")).startswith(("component", "domain")) or node["id"] == "rc":
            found[node["id"]] = Node(node["id"], node["name"], node.get("summary", ""), "capital")
        for sub in node.get("subtypes", []):
            found[sub["id"]] = Node(sub["id"], sub["name"], sub.get("summary", ""), "capital")
    return found


@cache
def links() -> tuple[Link, ...]:
    """The links of the map's top-level `links:` section, in file order.

    A tuple, not a list, because the value is cached and shared by every caller.
    """
    return tuple(
        Link(
            str(link["from"]),
            str(link["to"]),
            str(link.get("effect", "")),
            str(link.get("polarity", "?")),
            str(link.get("basis", "")),
            str(link.get("note", "")),
        )
        for link in _data().get("links", [])
    )


# A sentence ends at . ! or ? followed by a capital or a quote, so "e.g. cold turkey" stays whole.
_SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=[A-Z"\'(])')


def plain(node: Node, limit: int = 90) -> str:
    """A short plain-language line for a node: its summary's first sentence, at most `limit` characters."""
    first = _SENTENCE_END.split(node.summary.strip(), maxsplit=1)[0].strip()
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—(") + "…"
