"""The two maps drawn as SVG: well-formed, linked, true to the report, escaped, and the same every build."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from station.catalog.recovery_map import Link, links, nodes, plain
from station.web import systems_map
from station.web.landscape_map import Gaps, Spot, describe, gaps, landscape_svg
from station.web.systems_map import systems_map_svg

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parent.parent
CSS = REPO / "templates" / "static" / "maps.css"
DATA = REPO / "station" / "data" / "recovery-map.yaml"
KINDS = [
    ("treatment", "Treatment services"),
    ("mutual-aid", "Mutual aid"),
    ("housing", "Housing"),
    ("crisis", "Crisis and out-of-hours"),
]
SPOTS = [
    Spot("treatment", "Worthing", peer_led=False, evening=False, overnight=False),
    Spot("treatment", "Crawley", peer_led=True, evening=False, overnight=False),
    Spot("mutual-aid", "Crawley", peer_led=True, evening=True, overnight=False),
    Spot("mutual-aid", "Crawley", peer_led=True, evening=True, overnight=False),
    Spot("crisis", "Worthing", peer_led=False, evening=False, overnight=True),
    Spot("not-a-kind", "Horsham", peer_led=True, evening=True, overnight=True),
]


def node_href(node_id: str) -> str:
    return f"/map/{node_id}/"


def kind_href(kind_id: str) -> str:
    return f"/network/{kind_id}/"


def drawn_links(svg: str) -> dict[tuple[str, str], str]:
    root = ET.fromstring(svg)
    return {
        (p.get("data-source"), p.get("data-target")): p.get("class")
        for p in root.iter(SVG + "path")
        if p.get("data-source")
    }


def test_every_node_of_the_three_parts_is_a_link_to_its_page():
    root = ET.fromstring(systems_map_svg(node_href, {}))
    parts = [node for node in nodes().values() if node.part in ("hold", "struggle", "recovery")]
    assert len(parts) == 20
    anchors = {a.get("href"): "".join(a.itertext()) for a in root.iter(SVG + "a")}
    assert set(anchors) == {node_href(node.id) for node in parts}
    for node in parts:
        assert anchors[node_href(node.id)].startswith(node.name)  # the users' own words, first


def test_counts_are_said_in_words_under_the_node():
    svg = systems_map_svg(node_href, {"hold.escape": 3, "struggle.scene": 1, "recovery.baggage": 0})
    assert ">3 stories and places</text>" in svg
    assert ">1 story or place</text>" in svg
    assert svg.count('class="node-count"') == 2


def test_stated_links_are_solid_and_implied_ones_dashed():
    drawn = drawn_links(systems_map_svg(node_href, {}))
    assert drawn[("hold.escape", "hold.fix")] == "link link-stated"  # stated
    assert drawn[("struggle.decision_to_recover", "struggle.tendency_to_relapse")] == "link link-implied"
    assert drawn[("hold.escape", "hold.desire")] == "link link-implied"  # archetype
    css = CSS.read_text(encoding="utf-8")
    implied = re.search(r"\.systems-map \.link-implied \{([^}]*)\}", css).group(1)
    assert "stroke-dasharray" in implied
    assert "dasharray" not in re.search(r"\.systems-map \.link \{([^}]*)\}", css).group(1)


def test_only_the_reports_links_between_drawn_nodes_are_drawn():
    drawn = drawn_links(systems_map_svg(node_href, {}))
    parts = {node.id for node in nodes().values() if node.part in ("hold", "struggle", "recovery")}
    expected = {
        (lk.source, lk.target) for lk in links() if lk.source in parts and lk.target in parts and lk.basis != "inferred"
    }
    assert set(drawn) == expected
    assert ("ctx.domestic_abuse", "hold.escape") not in drawn  # context nodes are not drawn


def test_an_inferred_link_is_never_drawn(monkeypatch):
    # The top-level links carry no inferred one: the data's inferred links sit in the
    # whole-person recovery system section. Take a real one and put it between two drawn nodes.
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    real = next(lk for lk in data["whole_person_recovery_system"]["links"] if lk["basis"] == "inferred")
    assert (real["from"], real["to"]) == ("wprs.enable.trigger_situations", "wprs.triggers")
    guess = Link("hold.buzz", "recovery.baggage", real["effect"], str(real["polarity"]), real["basis"], "")
    monkeypatch.setattr(systems_map, "links", lambda: (*links(), guess))
    assert ("hold.buzz", "recovery.baggage") not in drawn_links(systems_map_svg(node_href, {}))


def test_the_svgs_are_accessible_and_carry_no_inline_style():
    for svg in (systems_map_svg(node_href, {"hold.fix": 2}), landscape_svg(KINDS, SPOTS, kind_href)):
        root = ET.fromstring(svg)
        assert "style=" not in svg
        assert not [el for el in root.iter() if el.tag in (SVG + "style", SVG + "script")]
        assert root.get("role") == "group"  # it holds links, so not role="img"
        title = root.find(SVG + "title")
        assert root.get("aria-labelledby") == title.get("id") and title.text
        assert root.find(SVG + "desc").get("id") == root.get("aria-describedby")
        assert root.get("viewBox") and root.get("width") is None and root.get("height") is None


def test_text_and_links_are_escaped():
    kinds = [("x", "<script>x</script>")]
    svg = landscape_svg(kinds, [], lambda kind_id: '/network/?k=1&q="x"')
    assert "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;" in svg
    root = ET.fromstring(svg)
    anchor = next(root.iter(SVG + "a"))
    assert anchor.get("href") == '/network/?k=1&q="x"'
    assert "".join(anchor.itertext()) == "<script>x</script>"


def test_gaps_are_found_kind_by_kind():
    assert gaps(KINDS, SPOTS) == Gaps(
        no_entry=["housing"],
        no_evening=["treatment"],
        no_overnight=["treatment", "mutual-aid"],
        peer_depth={"treatment": 1, "mutual-aid": 2, "housing": 0, "crisis": 0},
    )


def test_the_landscape_is_described_in_words():
    assert describe(KINDS, gaps(KINDS, SPOTS)) == (
        "1 kind of support has no local entry: Housing. "
        "1 kind of support has nothing open in the evening or overnight: Treatment services. "
        "2 kinds of support have nothing open overnight: Treatment services, Mutual aid. "
        "Peer-led places: Treatment services 1, Mutual aid 2."
    )


def test_the_landscape_draws_gaps_in_words_not_colour_alone():
    root = ET.fromstring(landscape_svg(KINDS, SPOTS, kind_href))
    gap_words = ["".join(g.itertext()) for g in root.iter(SVG + "g") if g.get("class") == "gap"]
    # treatment: evenings, overnight; mutual aid: Worthing, overnight;
    # housing: the whole row; crisis: Crawley, evenings, peer-led.
    assert gap_words[:-2] == ["none", "none", "gap", "none", "gap: no local entry", "gap", "none", "none"]
    assert gap_words[-2:] == ["gap", "none"]  # the legend explains both words the gaps use
    heads = [t.text for t in root.iter(SVG + "text") if t.get("class") == "head"]
    assert heads[:1] + heads[-3:] == ["Kind of support", "Evenings", "Overnight", "Peer-led"]
    assert "Horsham" not in "".join(root.itertext())  # spots of unknown kinds are left out


def test_output_is_the_same_every_time():
    assert systems_map_svg(node_href, {"hold.fix": 2}) == systems_map_svg(node_href, {"hold.fix": 2})
    assert landscape_svg(KINDS, SPOTS, kind_href) == landscape_svg(KINDS, list(reversed(SPOTS)), kind_href)


def test_plain_lines_are_short_first_sentences():
    assert plain(nodes()["hold.escape"]) == "Why people use: to get away from something."
    cut = plain(nodes()["struggle.labelling"])
    assert cut == "Stigma from many directions: family, GPs and other doctors, employers, service staff and…"
    for node in nodes().values():
        assert len(plain(node)) <= 90


def test_links_are_read_from_the_links_section():
    first = links()[0]
    assert first == Link("hold.escape", "hold.fix", "feeds", "+", "stated", first.note)
    assert {lk.basis for lk in links()} == {"stated", "implied", "archetype"}


def test_every_word_on_a_gap_is_in_the_legend_and_times_are_written_one_way():
    root = ET.fromstring(landscape_svg(KINDS, SPOTS, kind_href))
    legend = next(g for g in root.iter(SVG + "g") if g.get("class") == "legend")
    explained = {"".join(g.itertext()) for g in legend.iter(SVG + "g") if g.get("class") == "gap"}
    used = {"".join(g.itertext()) for g in root.iter(SVG + "g") if g.get("class") == "gap"} - explained
    assert {word.split(":")[0] for word in used} <= explained == {"gap", "none"}
    said = " ".join(legend.itertext())
    assert "nothing open at those hours, or no peer-led place" in said
    notes = [t.text for t in root.iter(SVG + "text") if t.get("class") == "head-note"]
    assert notes[:2] == ["18:00–22:00", "22:00–07:00"]  # as place pages write hours: 24-hour, an en dash


def test_a_node_s_links_are_the_report_s_said_from_its_side():
    from station.web.systems_map import edges

    escape = {(e.other.id, e.incoming): e for e in edges("hold.escape")}
    buzz = escape[("hold.buzz", True)]
    assert buzz.sentence(nodes()["hold.escape"]) == "The Buzz weakens The Escape"
    assert (buzz.implied, buzz.basis_words) == (False, "said in the report")
    assert escape[("hold.fix", False)].sentence(nodes()["hold.escape"]) == "The Escape feeds The Fix"
    assert escape[("hold.desire", False)].implied  # an archetype link: dashed, "implied by the report"
    found = {(lk.source, lk.target) for lk in links() if "hold.escape" in (lk.source, lk.target)}
    assert {
        (e.other.id, "hold.escape") if e.incoming else ("hold.escape", e.other.id) for e in edges("hold.escape")
    } == {pair for pair in found if all(n in nodes() for n in pair)}
    incoming = [e.incoming for e in edges("hold.escape")]
    assert incoming == sorted(incoming, reverse=True)  # what pushes on it first


def test_a_node_s_own_drawing_links_each_neighbour_solid_or_dashed():
    from station.web.systems_map import edges, node_svg

    svg = node_svg("hold.escape", lambda other: f"../{other}/")
    root = ET.fromstring(svg)
    anchors = list(root.iter(SVG + "a"))
    assert [a.get("href") for a in anchors] == [f"../{e.other.id}/" for e in edges("hold.escape")]
    paths = [p.get("class") for p in root.iter(SVG + "path") if p.get("class", "").startswith("link ")][: len(anchors)]
    assert paths == ["link link-implied" if e.implied else "link link-stated" for e in edges("hold.escape")]
    assert "The Escape" in "".join(root.find(SVG + "title").itertext())
    assert "The Buzz weakens The Escape (said in the report)." in root.find(SVG + "desc").text
    assert "style=" not in svg and node_svg("rc.social.peer_support.mentoring", str) is None  # no links: no drawing


def test_the_whole_web_can_show_one_node_s_links_without_a_script():
    from station.web.systems_map import highlight_css

    css = highlight_css()
    drawn = [n for n in nodes().values() if n.part in ("hold", "struggle", "recovery")]
    for node in drawn:
        assert f'.node[data-node="{node.id}"]:is(:hover, :focus-visible)' in css
        assert f'[data-source="{node.id}"], [data-target="{node.id}"]' in css
    svg = systems_map_svg(node_href, {})
    assert svg.count("data-node=") == len(drawn)


def test_the_landscape_as_rows_says_what_the_drawing_shows():
    from station.web.landscape_map import rows

    found = {r.kind: r for r in rows(KINDS, SPOTS)}
    assert [r.kind for r in rows(KINDS, SPOTS)] == [k for k, _ in KINDS]
    assert found["housing"].no_entry and found["housing"].missing == ["Crawley", "Worthing"]
    assert found["treatment"].present == [("Crawley", 1), ("Worthing", 1)]
    assert (found["mutual-aid"].evening, found["mutual-aid"].overnight, found["mutual-aid"].peer) == (2, 0, 2)
    assert found["crisis"].missing == ["Crawley"]
