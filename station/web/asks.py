"""The asks the station made of local services, and their answers, as the site publishes them.

Read from the station's records (records/involvement.sqlite, through
`involvement.public_asks`) by the build, and shown: on `site/asks/` (every
ask, with its answers or "no answer yet, N days overdue"), on the
organisation's place page and on the map nodes it concerns, on the pocket
guide's back page, and in an Atom feed (`site/asks/feed.atom`). What is
published of an ask is what the coordinator wrote for publishing: its words,
scope, nodes, decision date and the kind of source; never who raised it,
never the feedback behind it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from station.web.site import Site

ATOM = "http://www.w3.org/2005/Atom"
FEED = "asks/feed.atom"


def context(asks: list[dict[str, Any]]) -> dict[str, Any]:
    """What every page may show of the asks: all of them, and by place and by map node."""
    by_place: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_node: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ask in asks:
        by_place[ask["organisation"]].append(ask)
        for node in ask["nodes"]:
            by_node[node].append(ask)
    return {"asks": asks, "asks_by_place": dict(by_place), "asks_by_node": dict(by_node)}


def status(ask: dict[str, Any]) -> str:
    """The answer in a few words, as the feed's entry titles and the pocket guide put it."""
    if ask["answers"]:
        last = ask["answers"][-1]
        return f"{last['label']} ({last['at']})"
    days = ask["overdue_days"]
    if days:
        return f"No answer yet, {days} day{'s' if days != 1 else ''} overdue"
    return f"No answer yet (decision due {ask['decide_by']})"


def feed(site: Site, asks: list[dict[str, Any]], names: dict[str, str]) -> bytes:
    """An Atom feed of the asks, newest change first. Its dates are the asks' own, so the same asks give
    the same bytes."""
    base = site.settings.station.base_url
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    def changed(ask: dict[str, Any]) -> str:
        return max([ask["raised"], *(a["at"] for a in ask["answers"])])

    ordered = sorted(asks, key=lambda a: (changed(a), a["id"]), reverse=True)
    sub(root, "title", f"{site.settings.station.name}: asks of local services, and their answers")
    sub(root, "id", f"{base}asks/")
    sub(root, "link", href=f"{base}asks/", rel="alternate", type="text/html")
    sub(root, "link", href=f"{base}{FEED}", rel="self", type="application/atom+xml")
    sub(root, "updated", f"{changed(ordered[0]) if ordered else '2000-01-01'}T00:00:00Z")
    sub(sub(root, "author"), "name", site.settings.station.name)
    for ask in ordered:
        entry = sub(root, "entry")
        of = names.get(ask["organisation"], ask["organisation"])
        sub(entry, "title", f"Ask {ask['id']} of {of}: {status(ask)}")
        sub(entry, "id", f"{base}asks/#ask-{ask['id']}")
        sub(entry, "link", href=f"{base}asks/#ask-{ask['id']}", rel="alternate", type="text/html")
        sub(entry, "published", f"{ask['raised']}T00:00:00Z")
        sub(entry, "updated", f"{changed(ask)}T00:00:00Z")
        lines = [
            f"Asked of {of}: {ask['text']}",
            f"Scope: {ask['scope']}",
            f"Decision due by {ask['decide_by']}.",
            *(f"{a['at']}: {a['label']}" + (f": {a['words']}" if a["words"] else "") for a in ask["answers"]),
        ]
        if not ask["answers"]:
            lines.append(status(ask) + ".")
        sub(entry, "content", "\n\n".join(lines), type="text")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
