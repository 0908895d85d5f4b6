"""Draw the Recovery Network Map's landscape as an SVG string: kinds of support by locality, and the gaps.

One row per kind of support, one column per locality, then evenings,
overnight and peer-led places. The point of the picture is what is missing:
a kind with no local entry, an area with nothing of a kind, nothing open after
6 pm or through the night (the riskiest hours, and when the night-owl network
is on air). Gaps are hatched and say "gap" or "none" in words, so they never
rely on colour alone.

The site's Content-Security-Policy forbids inline styles and scripts, so the
SVG carries class names only; the rules live in `templates/static/maps.css`.
Pure: same input, same bytes out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from textwrap import wrap

from station.web.words import ENGLISH, N_, Gettext


@dataclass(frozen=True)
class Spot:
    """One entry of the map, reduced to what the landscape counts."""

    kind: str  # a kind id from resource-kinds.yaml
    locality: str
    peer_led: bool  # user-led, peer-led, or staffed by people with lived experience
    evening: bool  # open some time 18:00–22:00
    overnight: bool  # open some time 22:00–07:00


@dataclass(frozen=True)
class Gaps:
    no_entry: list[str]  # kind ids with no local entry at all
    no_evening: list[str]  # kinds with entries, none open in the evening or overnight
    no_overnight: list[str]  # kinds with entries, none open overnight
    peer_depth: dict[str, int]  # kind id -> number of peer-led entries


LABEL_W, COL_W, HOURS_W, PEER_W = 232, 96, 96, 136
HEAD_H, ROW_H, PAD = 64, 48, 16
MAX_DOTS = 9
LEGEND_ROW = 30
# One way of writing times everywhere (the map, place pages, the pocket guide): 24-hour, en dash, no spaces.
EVENING_HOURS, OVERNIGHT_HOURS = "18:00–22:00", "22:00–07:00"
HOURS = ((N_("Evenings"), EVENING_HOURS), (N_("Overnight"), OVERNIGHT_HOURS))


def gaps(kinds: Sequence[tuple[str, str]], spots: Sequence[Spot]) -> Gaps:
    """What is missing, kind by kind, in the order the kinds are given."""
    found = {kind_id: [spot for spot in spots if spot.kind == kind_id] for kind_id, _ in kinds}
    return Gaps(
        no_entry=[k for k, mine in found.items() if not mine],
        no_evening=[k for k, mine in found.items() if mine and not any(s.evening or s.overnight for s in mine)],
        no_overnight=[k for k, mine in found.items() if mine and not any(s.overnight for s in mine)],
        peer_depth={k: sum(s.peer_led for s in mine) for k, mine in found.items()},
    )


@dataclass(frozen=True)
class Row:
    """One kind of support as the narrow-screen list shows it: the same facts as a row of the drawing."""

    kind: str
    name: str
    places: list[tuple[str, int]]  # (locality, entries there); 0 is a gap
    evening: int  # entries open some time 18:00–22:00
    overnight: int  # entries open some time 22:00–07:00
    peer: int  # peer-led or user-led entries

    @property
    def no_entry(self) -> bool:
        return not any(count for _, count in self.places)

    @property
    def present(self) -> list[tuple[str, int]]:
        return [(place, count) for place, count in self.places if count]

    @property
    def missing(self) -> list[str]:
        return [place for place, count in self.places if not count]


def rows(kinds: Sequence[tuple[str, str]], spots: Sequence[Spot]) -> list[Row]:
    """The landscape as data, a row per kind in the order given: what the drawing shows, for a list."""
    known = {kind_id for kind_id, _ in kinds}
    spots = [spot for spot in spots if spot.kind in known]
    places = sorted({spot.locality for spot in spots})
    out = []
    for kind_id, name in kinds:
        mine = [spot for spot in spots if spot.kind == kind_id]
        out.append(
            Row(
                kind_id,
                name,
                [(place, sum(s.locality == place for s in mine)) for place in places],
                sum(s.evening for s in mine),
                sum(s.overnight for s in mine),
                sum(s.peer_led for s in mine),
            )
        )
    return out


def landscape_svg(
    kinds: Sequence[tuple[str, str]], spots: Sequence[Spot], href: Callable[[str], str], t: Gettext = ENGLISH
) -> str:
    """The landscape as an inline SVG; `href(kind_id)` is the link on each kind's row label; its words from `t`."""
    _ = t.gettext
    known = {kind_id for kind_id, _ in kinds}
    spots = [spot for spot in spots if spot.kind in known]
    places = sorted({spot.locality for spot in spots})
    found = gaps(kinds, spots)
    hours_x = PAD + LABEL_W + len(places) * COL_W
    peer_x = hours_x + 2 * HOURS_W
    width = peer_x + PEER_W + PAD
    legend_y = HEAD_H + len(kinds) * ROW_H + 24
    height = legend_y + (len(LEGEND) + 1) * LEGEND_ROW + 8
    gap, none = _("gap"), _("none")
    out = [
        f'<svg class="landscape-map" viewBox="0 0 {width} {height}" role="group" '
        'aria-labelledby="landscape-map-title" aria-describedby="landscape-map-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="landscape-map-title">'
        + escape(_("Recovery Network Map: kinds of support in each area, and the gaps"))
        + "</title>",
        f'<desc id="landscape-map-desc">{escape(describe(kinds, found, t))}</desc>',
        '<defs><pattern id="landscape-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff8f1"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#e8a77a" stroke-width="2"/></pattern></defs>',
    ]
    out += _header(places, hours_x, peer_x, t)
    for r, (kind_id, name) in enumerate(kinds):
        y = HEAD_H + r * ROW_H
        mine = [spot for spot in spots if spot.kind == kind_id]
        if r % 2 == 0:
            out.append(f'<rect class="row-band" x="0" y="{y}" width="{width}" height="{ROW_H}"/>')
        out.append(_label(kind_id, name, href, y))
        if not mine:
            out.append(_gap(PAD + LABEL_W, y, width - PAD - (PAD + LABEL_W), _("gap: no local entry")))
            continue
        for c, place in enumerate(places):
            count = sum(spot.locality == place for spot in mine)
            x = PAD + LABEL_W + c * COL_W
            out.append(_cell(x, y, COL_W, str(count)) if count else _gap(x, y, COL_W, gap))
        for c, open_now in enumerate((sum(s.evening for s in mine), sum(s.overnight for s in mine))):
            x = hours_x + c * HOURS_W
            out.append(_cell(x, y, HOURS_W, str(open_now)) if open_now else _gap(x, y, HOURS_W, none))
        out.append(_peer(peer_x, y, found.peer_depth[kind_id], none))
    out += _legend(legend_y, t)
    out.append("</svg>")
    return "\n".join(out)


def describe(kinds: Sequence[tuple[str, str]], found: Gaps, t: Gettext = ENGLISH) -> str:
    """The landscape in words: the same facts as the picture, for screen readers and the printed page."""
    names = dict(kinds)

    def listed(ids: list[str]) -> str:
        return ", ".join(names[i] for i in ids)

    if found.no_entry:
        n = len(found.no_entry)
        said = [
            t.ngettext(
                "%(count)s kind of support has no local entry: %(kinds)s.",
                "%(count)s kinds of support have no local entry: %(kinds)s.",
                n,
            )
            % {"count": n, "kinds": listed(found.no_entry)}
        ]
    else:
        said = [t.gettext("Every kind of support has at least one local entry.")]
    if found.no_evening:
        n = len(found.no_evening)
        said.append(
            t.ngettext(
                "%(count)s kind of support has nothing open in the evening or overnight: %(kinds)s.",
                "%(count)s kinds of support have nothing open in the evening or overnight: %(kinds)s.",
                n,
            )
            % {"count": n, "kinds": listed(found.no_evening)}
        )
    if found.no_overnight:
        n = len(found.no_overnight)
        said.append(
            t.ngettext(
                "%(count)s kind of support has nothing open overnight: %(kinds)s.",
                "%(count)s kinds of support have nothing open overnight: %(kinds)s.",
                n,
            )
            % {"count": n, "kinds": listed(found.no_overnight)}
        )
    peer = [f"{names[k]} {n}" for k, n in found.peer_depth.items() if n]
    said.append(
        t.gettext("Peer-led places: %(places)s.") % {"places": ", ".join(peer)}
        if peer
        else t.gettext("No peer-led places are listed.")
    )
    return " ".join(said)


def _header(places: list[str], hours_x: int, peer_x: int, t: Gettext) -> list[str]:
    out = [f'<text class="head" x="{PAD}" y="{HEAD_H - 14}">{escape(t.gettext("Kind of support"))}</text>']
    for c, place in enumerate(places):
        lines = wrap(place, 12, max_lines=2, placeholder="…") or [place]
        x = PAD + LABEL_W + c * COL_W + COL_W // 2
        out.append(_lines("head", x, HEAD_H - 14 - 16 * (len(lines) - 1), lines, middle=True))
    for c, (name, note) in enumerate(HOURS):
        x = hours_x + c * HOURS_W + HOURS_W // 2
        head = escape(t.gettext(name))
        out.append(f'<text class="head" x="{x}" y="{HEAD_H - 30}" text-anchor="middle">{head}</text>')
        out.append(f'<text class="head-note" x="{x}" y="{HEAD_H - 12}" text-anchor="middle">{escape(note)}</text>')
    out.append(f'<text class="head" x="{peer_x + 10}" y="{HEAD_H - 30}">{escape(t.gettext("Peer-led"))}</text>')
    out.append(
        f'<text class="head-note" x="{peer_x + 10}" y="{HEAD_H - 12}">{escape(t.gettext("or user-led places"))}</text>'
    )
    return out


def _label(kind_id: str, name: str, href: Callable[[str], str], y: int) -> str:
    lines = wrap(name, 26, max_lines=2, placeholder="…") or [name]
    top = y + ROW_H // 2 + 5 - 8 * (len(lines) - 1)
    return (
        f'<a class="kind" href="{escape(href(kind_id))}">'
        f'<rect x="{PAD - 6}" y="{y + 4}" width="{LABEL_W - 8}" height="{ROW_H - 8}" rx="6"/>'
        f"{_lines('', PAD, top, lines)}</a>"
    )


def _lines(cls: str, x: int, y: int, lines: list[str], middle: bool = False) -> str:
    anchor = ' text-anchor="middle"' if middle else ""
    klass = f' class="{cls}"' if cls else ""
    spans = "".join(f'<tspan x="{x}" dy="{0 if k == 0 else 16}">{escape(line)}</tspan>' for k, line in enumerate(lines))
    return f'<text{klass} x="{x}" y="{y}"{anchor}>{spans}</text>'


def _cell(x: int, y: int, w: int, text: str) -> str:
    return (
        f'<g class="cell"><rect x="{x + 4}" y="{y + 6}" width="{w - 8}" height="{ROW_H - 12}" rx="4"/>'
        f'<text x="{x + w // 2}" y="{y + ROW_H // 2 + 5}" text-anchor="middle">{escape(text)}</text></g>'
    )


def _gap(x: int, y: int, w: int, text: str) -> str:
    # The word sits on a solid white label: text over hatching would fail the contrast check.
    label_w = 8 * len(text) + 14
    mid = x + w // 2
    return (
        f'<g class="gap"><rect class="gap-fill" x="{x + 4}" y="{y + 6}" width="{w - 8}" '
        f'height="{ROW_H - 12}" rx="4" fill="url(#landscape-hatch)"/>'
        f'<rect class="gap-label" x="{mid - label_w // 2}" y="{y + ROW_H // 2 - 10}" width="{label_w}" '
        f'height="20" rx="4"/>'
        f'<text x="{mid}" y="{y + ROW_H // 2 + 5}" text-anchor="middle">{escape(text)}</text></g>'
    )


def _peer(x: int, y: int, count: int, none: str) -> str:
    if not count:
        return _gap(x, y, PEER_W, none)
    dots = "".join(
        f'<circle class="dot" cx="{x + 44 + 11 * k}" cy="{y + ROW_H // 2}" r="4"/>' for k in range(min(count, MAX_DOTS))
    )
    return (
        f'<g class="peer"><text class="peer-count" x="{x + 30}" y="{y + ROW_H // 2 + 5}" '
        f'text-anchor="end">{count}</text>{dots}</g>'
    )


LEGEND = (
    (N_("gap"), N_("no place of this kind listed here")),
    (N_("none"), N_("nothing open at those hours, or no peer-led place")),
)


def _legend(y: int, t: Gettext) -> list[str]:
    # Every word the drawing writes on a hatched gap is explained here, a row each ("none" was once left out).
    out = [f'<g class="legend" transform="translate({PAD} {y})">']
    for row, (english_word, english_meaning) in enumerate(LEGEND):
        word, meaning = t.gettext(english_word), t.gettext(english_meaning)
        top = row * LEGEND_ROW
        out.append(_gap(-4, top - 14, 8 * len(word) + 30, word))
        out.append(f'<text x="{8 * len(word) + 34}" y="{top + 15}">{escape(meaning)}</text>')
    top = len(LEGEND) * LEGEND_ROW
    out += [
        f'<circle class="dot" cx="10" cy="{top + 10}" r="4"/>',
        f'<text x="{8 * 4 + 34}" y="{top + 15}">'
        + escape(t.gettext("one peer-led place (up to %(most)s shown; the number says how many)") % {"most": MAX_DOTS})
        + "</text>",
        "</g>",
    ]
    return out
