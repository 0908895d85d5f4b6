"""Draw the users' recovery systems map as an SVG string, at build time.

Three columns, one per sub-system (The Hold, The Struggle, The Recovery); each
node is a box that links to its page. Arrows are the report's links: solid where
the report says so, dashed where it only implies it; our own guesses
(`inferred`) are left out, so the map never claims more than the users said.

The site's Content-Security-Policy forbids inline styles and scripts, so the
SVG carries class names only; the rules live in `templates/static/maps.css`.
Pure: same data in, same bytes out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from textwrap import wrap

from station.catalog.recovery_map import Link, Node, links, nodes, plain
from station.web.words import ENGLISH, N_, Gettext

PARTS = (("hold", N_("The Hold")), ("struggle", N_("The Struggle")), ("recovery", N_("The Recovery")))
SOLID = {"stated"}
DASHED = {"implied", "archetype", "workshop_web"}  # "inferred" is ours, not the report's: never drawn
EFFECT_WORDS = {
    "feeds": N_("feeds"),
    "reinforces": N_("strengthens"),
    "hinders": N_("weakens"),
    "triggers": N_("triggers"),
    "delays": N_("delays"),
    "mixed": N_("pushes both ways on"),
    "associated": N_("goes with"),
}

# The same, with the node it pushes on said as "it": "The Buzz" "weakens it" on the Escape's own page.
EFFECT_IT = {
    "feeds": N_("feeds it"),
    "reinforces": N_("strengthens it"),
    "hinders": N_("weakens it"),
    "triggers": N_("triggers it"),
    "delays": N_("delays it"),
    "mixed": N_("pushes both ways on it"),
    "associated": N_("goes with it"),
}

# The same, said from the other end: "The Fix" is "fed by it" on the Escape's own page.
EFFECT_PASSIVE = {
    "feeds": N_("fed by it"),
    "reinforces": N_("strengthened by it"),
    "hinders": N_("weakened by it"),
    "triggers": N_("triggered by it"),
    "delays": N_("delayed by it"),
    "mixed": N_("pushed both ways by it"),
    "associated": N_("goes with it"),
}
SAID, IMPLIED = N_("said in the report"), N_("implied by the report")

BOX_W, BOX_H = 212, 108
GUTTER, ROW_GAP = 88, 36  # gutters hold the arrows; row gaps carry arrows that skip a column
PITCH = BOX_H + ROW_GAP
MARGIN, TOP = 44, 76  # TOP leaves room for the part headings
MAX_ROWS = 6  # a taller part is split into two columns
LINE_CHARS = 28


@dataclass(frozen=True)
class Box:
    node: Node
    col: int
    row: int

    @property
    def x(self) -> int:
        return MARGIN + self.col * (BOX_W + GUTTER)

    @property
    def y(self) -> int:
        return TOP + self.row * PITCH


def systems_map_svg(href: Callable[[str], str], counts: Mapping[str, int], t: Gettext = ENGLISH) -> str:
    """The map as an inline SVG; `href(node_id)` is each box's link, `counts[node_id]` its stories and places;
    its words from `t` (the users' names for the nodes stay as they said them)."""
    _ = t.gettext
    boxes = _layout()
    drawn = [link for link in links() if _drawable(link, boxes)]
    rows = max(box.row for box in boxes.values()) + 1
    width = 2 * MARGIN + (max(box.col for box in boxes.values()) + 1) * (BOX_W + GUTTER) - GUTTER
    legend_y = TOP + rows * PITCH
    height = legend_y + 62
    out = [
        f'<svg class="systems-map" viewBox="0 0 {width} {height}" role="group" '
        'aria-labelledby="systems-map-title" aria-describedby="systems-map-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="systems-map-title">' + escape(_("The recovery systems map, in the users' own words")) + "</title>",
        '<desc id="systems-map-desc">'
        + escape(
            _(
                "Three parts: The Hold, The Struggle and The Recovery. People are in all three at once: it is a web, "
                "not a set of steps. Each box links to stories and local help. Arrows show how one part pushes on "
                "another: solid arrows are said in the report, dashed ones are implied."
            )
        )
        + "</desc>",
        '<defs><marker id="systems-map-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path class="arrowhead" '
        'd="M0 0L10 5L0 10z"/></marker></defs>',
    ]
    out += _parts(boxes, rows, t)
    out.append('<g class="links" aria-hidden="true">')
    out += _link_paths(drawn, boxes, t)
    out.append("</g>")
    out += [_box(box, href, counts.get(box.node.id, 0), t) for box in sorted(boxes.values(), key=_reading_order)]
    out += _legend(legend_y, t)
    out.append("</svg>")
    return "\n".join(out)


def _layout() -> dict[str, Box]:
    """Place nodes in a grid, deterministically from the data.

    A part too tall for one column (the Struggle) is split: the nodes its other
    nodes point at (the report's three large circles) go in the column nearer
    the Recovery, and the factors the users named go nearer the Hold, which most
    of them feed. Within a column, nodes sit near the rows of what they link to,
    which keeps arrows short and crossings few.
    """
    columns: list[list[Node]] = []
    for part, _ in PARTS:
        members = [node for node in nodes().values() if node.part == part]
        if len(members) <= MAX_ROWS:
            columns.append(members)
            continue
        inner = [link for link in links() if _part(link.source) == _part(link.target) == part]
        net_in = {
            n.id: sum(lk.target == n.id for lk in inner) - sum(lk.source == n.id for lk in inner) for n in members
        }
        columns.append([n for n in members if net_in[n.id] <= 0])
        columns.append([n for n in members if net_in[n.id] > 0])
    col_of = {node.id: c for c, column in enumerate(columns) for node in column}
    rows = max(len(column) for column in columns)
    row_of = _rows(columns, rows)
    neighbours: dict[str, list[str]] = {node_id: [] for node_id in col_of}
    for link in links():
        if link.source in col_of and link.target in col_of:
            neighbours[link.source].append(link.target)
            neighbours[link.target].append(link.source)
    for _ in range(4):  # a few sweeps of the barycentre heuristic settle it
        for column in columns:
            column.sort(key=lambda n: (_mean([row_of[m] for m in neighbours[n.id]], row_of[n.id]), row_of[n.id]))
        row_of = _rows(columns, rows)
    return {node.id: Box(node, col_of[node.id], row_of[node.id]) for column in columns for node in column}


def _rows(columns: list[list[Node]], rows: int) -> dict[str, int]:
    # Centre each column on the shared grid, so the row gaps line up across the whole map.
    return {node.id: (rows - len(column)) // 2 + r for column in columns for r, node in enumerate(column)}


def _mean(values: list[int], default: int) -> float:
    return sum(values) / len(values) if values else default


def _part(node_id: str) -> str:
    node = nodes().get(node_id)
    return node.part if node else ""


def _drawable(link: Link, boxes: Mapping[str, Box]) -> bool:
    return link.source in boxes and link.target in boxes and link.basis in SOLID | DASHED


def _reading_order(box: Box) -> tuple[int, int]:
    return (box.col, box.row)


@dataclass(frozen=True)
class Route:
    link: Link
    out_side: int  # +1: leaves from the box's right side, -1: from its left
    in_side: int
    channel: float | None  # the y of the row gap a column-skipping link runs along


def _link_paths(drawn: list[Link], boxes: Mapping[str, Box], t: Gettext) -> list[str]:
    """One curved path per link, ending on the side of a box that faces where it comes from."""
    routes = _routes(drawn, boxes)
    port = _ports(routes, boxes)
    out = []
    for i, route in enumerate(routes):
        link = route.link
        a, b = boxes[link.source], boxes[link.target]
        kind = "link-stated" if link.basis in SOLID else "link-implied"
        said = t.gettext(SAID if link.basis in SOLID else IMPLIED)
        title = escape(f"{sentence(a.node, link.effect, b.node, t)} ({said})")
        out.append(
            f'<path class="link {kind}" data-source="{escape(link.source)}" '
            f'data-target="{escape(link.target)}" d="{_path(route, a, b, port[(i, 0)], port[(i, 1)])}" '
            f'marker-end="url(#systems-map-arrow)"><title>{title}</title></path>'
        )
    return out


def _routes(drawn: list[Link], boxes: Mapping[str, Box]) -> list[Route]:
    """Same-column links bow out sideways (down on the right, up on the left), so
    they are never hidden behind the boxes between them; links that skip a column
    run along a row gap, each in its own lane."""
    lanes: dict[float, int] = {}
    routes = []
    for link in drawn:
        a, b = boxes[link.source], boxes[link.target]
        if a.col == b.col:
            side = 1 if a.row < b.row else -1
            routes.append(Route(link, side, side, None))
            continue
        side = 1 if b.col > a.col else -1
        channel = None
        if abs(b.col - a.col) > 1:
            gap = a.y + BOX_H + ROW_GAP / 2 if b.row >= a.row else a.y - ROW_GAP / 2
            lane = lanes.get(gap, 0)
            lanes[gap] = lane + 1
            channel = gap + (lane + 1) // 2 * 8 * (1 if lane % 2 else -1)  # lanes 0, +8, -8, +16 …
        routes.append(Route(link, side, -side, channel))
    return routes


def _ports(routes: list[Route], boxes: Mapping[str, Box]) -> dict[tuple[int, int], float]:
    """Where each link meets its boxes: (route index, 0 start / 1 end) -> y.

    The ends on one side of a box are spread along it, ordered by where the other
    end is, so arrowheads don't pile up on one spot and fewer lines cross.
    """
    ends: dict[tuple[str, int], list[tuple[float, int, int]]] = {}
    for i, route in enumerate(routes):
        a, b = boxes[route.link.source], boxes[route.link.target]
        ends.setdefault((a.node.id, route.out_side), []).append((b.y if route.channel is None else route.channel, i, 0))
        ends.setdefault((b.node.id, route.in_side), []).append((a.y if route.channel is None else route.channel, i, 1))
    port = {}
    for (node_id, _), found in ends.items():
        found.sort()
        step = (BOX_H - 24) / (len(found) + 1)
        for k, (_, i, which) in enumerate(found):
            port[(i, which)] = boxes[node_id].y + 12 + step * (k + 1)
    return port


def _path(route: Route, a: Box, b: Box, y1: float, y2: float) -> str:
    x1 = a.x + (BOX_W if route.out_side > 0 else 0)
    x2 = b.x + (BOX_W if route.in_side > 0 else 0)
    if a.col == b.col:
        bow = route.out_side * min(16 + 12 * abs(a.row - b.row), GUTTER / 2 - 6)
        return f"M{x1} {_n(y1)}C{_n(x1 + bow)} {_n(y1)} {_n(x2 + bow)} {_n(y2)} {x2} {_n(y2)}"
    if route.channel is None:
        mid = (x1 + x2) / 2
        return f"M{x1} {_n(y1)}C{_n(mid)} {_n(y1)} {_n(mid)} {_n(y2)} {x2} {_n(y2)}"
    # Out into the gutter, along the row gap, and in again; each bend a short curve.
    g1, g2, y = x1 + route.out_side * GUTTER / 2, x2 - route.out_side * GUTTER / 2, route.channel
    r = route.out_side * 12
    return (
        f"M{x1} {_n(y1)}C{_n(g1)} {_n(y1)} {_n(g1)} {_n(y)} {_n(g1 + r)} {_n(y)}"
        f"L{_n(g2 - r)} {_n(y)}C{_n(g2)} {_n(y)} {_n(g2)} {_n(y2)} {x2} {_n(y2)}"
    )


def _parts(boxes: Mapping[str, Box], rows: int, t: Gettext) -> list[str]:
    out = []
    for part, name in PARTS:
        mine = [box for box in boxes.values() if box.node.part == part]
        if not mine:
            continue
        left = min(box.x for box in mine) - 16
        right = max(box.x for box in mine) + BOX_W + 16
        bottom = TOP + rows * PITCH - ROW_GAP + 16
        out.append(
            f'<rect class="part part-{part}" x="{left}" y="16" width="{right - left}" height="{bottom - 16}" rx="14"/>'
        )
        out.append(
            f'<text class="part-name part-name-{part}" x="{(left + right) // 2}" y="52" '
            f'text-anchor="middle">{escape(t.gettext(name))}</text>'
        )
    return out


def _box(box: Box, href: Callable[[str], str], count: int, t: Gettext) -> str:
    x, y = box.x, box.y
    lines = _wrap(plain(box.node), LINE_CHARS, 3)
    spans = "".join(
        f'<tspan x="{x + 10}" dy="{0 if k == 0 else 16}">{escape(line)}</tspan>' for k, line in enumerate(lines)
    )
    parts = [
        f'<a class="node node-{box.node.part}" data-node="{escape(box.node.id)}" href="{escape(href(box.node.id))}">',
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="10"/>',
        f'<text class="node-name" x="{x + 10}" y="{y + 22}">{escape(box.node.name)}</text>',
    ]
    if spans:
        parts.append(f'<text class="node-plain" x="{x + 10}" y="{y + 42}">{spans}</text>')
    if count:
        words = t.ngettext("%(count)s story or place", "%(count)s stories and places", count) % {"count": count}
        parts.append(f'<text class="node-count" x="{x + 10}" y="{y + BOX_H - 10}">{words}</text>')
    parts.append("</a>")
    return "".join(parts)


def _wrap(text: str, width: int, most: int) -> list[str]:
    lines = wrap(text, width)
    if len(lines) <= most:
        return lines
    return [*lines[: most - 1], lines[most - 1].rstrip(" ,;:-–—(…") + "…"]


def _legend(y: int, t: Gettext) -> list[str]:
    x = MARGIN
    return [
        f'<g class="legend" transform="translate({x} {y})">',
        '<path class="link link-stated" d="M0 14H44" marker-end="url(#systems-map-arrow)"/>',
        f'<text x="54" y="19">{escape(t.gettext(SAID))}</text>',
        '<path class="link link-implied" d="M210 14H254" marker-end="url(#systems-map-arrow)"/>',
        f'<text x="264" y="19">{escape(t.gettext(IMPLIED))}</text>',
        f'<text x="0" y="46">{escape(t.gettext("Not steps: people can be in all three parts at once."))}</text>',
        "</g>",
    ]


def sentence(source: Node, effect: str, target: Node, t: Gettext = ENGLISH) -> str:
    """ "The Buzz weakens The Escape": the users' names, the report's direction, the verb in `t`'s language."""
    verb = t.gettext(EFFECT_WORDS[effect]) if effect in EFFECT_WORDS else effect
    return t.gettext("%(source)s %(verb)s %(target)s") % {"source": source.name, "verb": verb, "target": target.name}


def _n(value: float) -> str:
    """A coordinate with at most one decimal, so output is short and identical on every machine."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def highlight_css() -> str:
    """Stylesheet rules that, on the whole web, show only the links of the node under the pointer or the
    keyboard's focus and fade the rest: no script, so it works wherever CSS does (`:has()`). A rule per node,
    made from the data, because the site's CSP allows no style in the page itself."""
    drawn = [n for n in nodes().values() if n.part in {p for p, _ in PARTS}]
    rules = [
        "\n/* systems_map.highlight_css(): a node under the pointer or the focus shows only its own links. */",
        ".systems-map:not(.node-map):has(.node:hover, .node:focus-visible) .links .link { opacity: 0.12; }",
    ]
    for node in drawn:
        n = node.id
        rules.append(
            f'.systems-map:has(.node[data-node="{n}"]:is(:hover, :focus-visible)) '
            f'.link:is([data-source="{n}"], [data-target="{n}"]) {{ opacity: 1; stroke-width: 3; }}'
        )
    return "\n".join(rules) + "\n"


# ---------------------------------------------------------------- one node and its links


@dataclass(frozen=True)
class Edge:
    """One of a node's links, said from the node's side: `other` pushes on it (in) or it pushes on `other`."""

    link: Link
    other: Node
    incoming: bool

    @property
    def implied(self) -> bool:
        return self.link.basis not in SOLID

    @property
    def verb(self) -> str:
        return EFFECT_WORDS.get(self.link.effect, self.link.effect)

    @property
    def basis_words(self) -> str:
        return IMPLIED if self.implied else SAID

    def sentence(self, here: Node, t: Gettext = ENGLISH) -> str:
        """ "The Buzz weakens The Escape": the users' names, the report's direction."""
        a, b = (self.other, here) if self.incoming else (here, self.other)
        return sentence(a, self.link.effect, b, t)

    def words(self, t: Gettext = ENGLISH) -> str:
        """What the link does, said from this node's page: "weakens it" (in) or "weakened by it" (out)."""
        found = (EFFECT_IT if self.incoming else EFFECT_PASSIVE).get(self.link.effect)
        return t.gettext(found) if found else self.verb


def edges(node_id: str) -> list[Edge]:
    """The report's links (stated or implied; never our own guesses) between this node and any other node of
    the map, incoming first, each side in the map's own order of nodes."""
    known = nodes()
    order = {n: i for i, n in enumerate(known)}
    found = []
    for link in links():
        if link.basis not in SOLID | DASHED or link.source not in known or link.target not in known:
            continue
        if link.target == node_id and link.source != node_id:
            found.append(Edge(link, known[link.source], True))
        elif link.source == node_id and link.target != node_id:
            found.append(Edge(link, known[link.target], False))
    return sorted(found, key=lambda e: (not e.incoming, order[e.other.id]))


NODE_BOX_W, NODE_BOX_H, NODE_ROW = 220, 58, 70
NODE_CENTRE_W, NODE_CENTRE_H, NODE_GUTTER = 200, 86, 90
NODE_HEAD = 56


def node_svg(node_id: str, href: Callable[[str], str], t: Gettext = ENGLISH) -> str | None:
    """A small drawing of one node and its neighbours: what pushes on it on the left, what it pushes on on the
    right, each arrow solid or dashed as the big map draws it. None when the report links it to nothing."""
    here = nodes()[node_id]
    found = edges(node_id)
    if not found:
        return None
    left = [e for e in found if e.incoming]
    right = [e for e in found if not e.incoming]
    rows = max(len(left), len(right), 1)
    height = NODE_HEAD + rows * NODE_ROW + 52
    centre_x = NODE_BOX_W + NODE_GUTTER
    right_x = centre_x + NODE_CENTRE_W + NODE_GUTTER
    width = right_x + NODE_BOX_W
    centre_y = NODE_HEAD + (rows * NODE_ROW - 12) / 2 - NODE_CENTRE_H / 2
    title = t.gettext("%(name)s and the parts of the map it links to") % {"name": here.name}
    out = [
        f'<svg class="systems-map node-map" viewBox="0 0 {width} {_n(height)}" role="group" '
        'aria-labelledby="node-map-title" aria-describedby="node-map-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="node-map-title">{escape(title)}</title>',
        f'<desc id="node-map-desc">{escape(_node_desc(here, found, t))}</desc>',
        '<defs><marker id="node-map-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path class="arrowhead" '
        'd="M0 0L10 5L0 10z"/></marker></defs>',
    ]
    # Each column's heading in two lines, the node's name in either (a language puts it where it goes).
    name = {"name": _clip(here.name, 24)}
    if left:
        first, second = t.gettext("What pushes on") % name, t.gettext("%(name)s") % name
        out.append(
            f'<text class="column-head" x="0" y="18"><tspan x="0">{escape(first)}</tspan>'
            f'<tspan x="0" dy="19">{escape(second)}</tspan></text>'
        )
    if right:
        first, second = t.gettext("What %(name)s") % name, t.gettext("pushes on") % name
        out.append(
            f'<text class="column-head" x="{right_x}" y="18"><tspan x="{right_x}">{escape(first)}</tspan>'
            f'<tspan x="{right_x}" dy="19">{escape(second)}</tspan></text>'
        )
    out.append('<g class="links" aria-hidden="true">')
    for side, group in ((-1, left), (1, right)):
        for k, edge in enumerate(group):
            box_y = _box_top(k, len(group), rows)
            port = centre_y + NODE_CENTRE_H * (k + 1) / (len(group) + 1)
            if side < 0:
                x1, y1, x2, y2 = NODE_BOX_W, box_y + NODE_BOX_H / 2, centre_x, port
            else:
                x1, y1, x2, y2 = centre_x + NODE_CENTRE_W, port, right_x, box_y + NODE_BOX_H / 2
            mid = (x1 + x2) / 2
            kind = "link-implied" if edge.implied else "link-stated"
            out.append(
                f'<path class="link {kind}" d="M{_n(x1)} {_n(y1)}C{_n(mid)} {_n(y1)} {_n(mid)} {_n(y2)} '
                f'{_n(x2)} {_n(y2)}" marker-end="url(#node-map-arrow)"/>'
            )
    out.append("</g>")
    for side, group in ((-1, left), (1, right)):
        for k, edge in enumerate(group):
            x = 0 if side < 0 else right_x
            y = _box_top(k, len(group), rows)
            words = edge.words(t)
            out.append(
                f'<a class="node node-{edge.other.part}" href="{escape(href(edge.other.id))}">'
                f"<title>{escape(edge.sentence(here, t))} ({escape(t.gettext(edge.basis_words))})</title>"
                f'<rect x="{x}" y="{_n(y)}" width="{NODE_BOX_W}" height="{NODE_BOX_H}" rx="8"/>'
                f'<text class="node-name" x="{x + 10}" y="{_n(y + 23)}">{escape(_clip(edge.other.name, 24))}</text>'
                f'<text class="node-plain" x="{x + 10}" y="{_n(y + 44)}">{escape(_clip(words, 28))}</text></a>'
            )
    out.append(
        f'<g class="node node-here node-{here.part}"><rect x="{centre_x}" y="{_n(centre_y)}" '
        f'width="{NODE_CENTRE_W}" height="{NODE_CENTRE_H}" rx="10"/>'
        f'<text class="node-name" x="{centre_x + NODE_CENTRE_W // 2}" y="{_n(centre_y + NODE_CENTRE_H / 2 + 6)}" '
        f'text-anchor="middle">{escape(_clip(here.name, 22))}</text></g>'
    )
    legend_y = height - 30
    out += [
        f'<g class="legend" transform="translate(0 {_n(legend_y)})">',
        '<path class="link link-stated" d="M0 10H44" marker-end="url(#node-map-arrow)"/>',
        f'<text x="54" y="15">{escape(t.gettext(SAID))}</text>',
        '<path class="link link-implied" d="M230 10H274" marker-end="url(#node-map-arrow)"/>',
        f'<text x="284" y="15">{escape(t.gettext(IMPLIED))}</text>',
        "</g>",
        "</svg>",
    ]
    return "\n".join(out)


def _box_top(k: int, count: int, rows: int) -> float:
    # A shorter column is centred against the taller one, so its arrows stay short.
    return NODE_HEAD + (rows - count) * NODE_ROW / 2 + k * NODE_ROW


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip(" ,;:-–—(") + "…"


def _node_desc(here: Node, found: list[Edge], t: Gettext) -> str:
    said = [f"{e.sentence(here, t)} ({t.gettext(e.basis_words)})." for e in found]
    return " ".join(said)
