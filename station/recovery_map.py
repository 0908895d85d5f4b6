"""The users' recovery systems map: node ids, their own labels and summaries.

Episode topics and resource entries are tagged with these node ids. The data
is a copy of the shared domain file (`station/data/recovery-map.yaml`), shipped
inside the package so an installed station needs nothing beside it; a test
keeps the copy equal to the shared original.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Node:
    id: str
    name: str        # the users' own words, used as the label everywhere
    summary: str
    part: str        # hold | struggle | recovery | context | capital


@cache
def nodes() -> dict[str, Node]:
    text = resources.files("station").joinpath("data/recovery-map.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
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
