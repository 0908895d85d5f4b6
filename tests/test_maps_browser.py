"""Every page type in real Chromium at a phone's width, a bigger phone's and a desktop's: nothing runs off the
side, no text is smaller than 12 px as drawn (an SVG's own scaling counted), axe-core finds nothing, the maps
take the layout made for the width, and the systems map can be explored from the keyboard alone.

Screenshots of the maps at each width are kept as test artefacts in pytest's temporary folder
(`map-screenshots/` under the run's base temp; pytest keeps the last three runs), never in the repository.
"""

from __future__ import annotations

import pytest

from tests.browser import (  # noqa: F401 -- fixtures: pytest finds them by name in this module
    axe_violations,
    chromium,
    format_violations,
    open_page,
    served,
)
from tests.test_site import PAGE_TYPES

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)
MAPS = {"map": "map/", "systems map": "topics/", "topic": "topics/hold.escape/"}

# Every piece of text the reader can see, with the size it is drawn at: an SVG's text is scaled with its drawing,
# so its font-size is multiplied by the scale the screen gives it (getScreenCTM).
DRAWN_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode;
    if (!text.textContent.trim()) continue;
    const el = text.parentElement;
    if (!el || el.closest('title, desc, .vh') || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    let px = parseFloat(style.fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      px *= Math.hypot(m.a, m.b);
    }
    found.push([text.textContent.trim().slice(0, 40), Math.round(px * 10) / 10, !!el.closest('svg')]);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def base(demo):
    root, _ = demo
    with served(root / "site") as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("map-screenshots")


def path_of(rel: str) -> str:
    return "" if rel == "index.html" else rel.removesuffix("index.html")


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_every_page_type_fits_reads_and_passes_axe_at_three_widths(chromium, base, name):
    url = base + ("no-such-page/" if name == "not found" else path_of(PAGE_TYPES[name]))
    with open_page(chromium) as page:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            if page.locator("details.gate").count():
                page.locator("details.gate summary").click()  # the player too, behind its content notes
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}"
            small = [t for t in page.evaluate(DRAWN_TEXT) if t[1] < 12]
            assert small == [], f"{name} at {width} px has text under 12 px: {small[:5]}"
            violations = axe_violations(page)
            assert violations == [], f"at {width} px: " + format_violations(violations)


@pytest.mark.parametrize("name", list(MAPS))
def test_each_map_takes_its_own_layout_narrow_and_wide(chromium, base, shots, name):
    with open_page(chromium) as page:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + MAPS[name])
            page.screenshot(path=shots / f"{name.replace(' ', '-')}-{width}.png", full_page=True)
            drawn = page.locator("main svg").first.is_visible()
            texts = page.evaluate(DRAWN_TEXT)
            if width < 800:
                # A phone: no drawing to squint at; the map in words, at the page's own size (16 px or more).
                assert not drawn
                listed = page.locator(".list-landscape, .node-cards, .list-node").first
                assert listed.is_visible()
                sizes = page.evaluate(
                    "() => [...document.querySelectorAll('.kind-row, .node-card, .list-node li')]"
                    ".filter(e => e.getClientRects().length).map(e => parseFloat(getComputedStyle(e).fontSize))"
                )
                assert sizes and min(sizes) >= 16, (name, width, min(sizes))
                assert not any(t[2] for t in texts)
            else:
                assert drawn  # a desktop: the drawing, with its text at 12 px or more as drawn
                assert min(t[1] for t in texts if t[2]) >= 12
    assert len(list(shots.glob(f"{name.replace(' ', '-')}-*.png"))) == 3


def test_the_landscape_list_shows_gaps_in_words_on_a_phone(chromium, base):
    with open_page(chromium) as page:
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "map/")
        housing = page.locator(".kind-row", has_text="Housing")
        assert housing.inner_text().split("\n")[-1].strip() == "gap no local entry"
        treatment = page.locator(".kind-row", has_text="Treatment services").inner_text()
        assert "Evenings: 1 · overnight: none" in treatment
        assert "gap in Anywhere (phone), Harbourside, Northgate" in treatment


def test_the_systems_map_is_explored_with_the_keyboard_alone(chromium, base):
    with open_page(chromium) as page:
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(base + "topics/")
        # Tab from the top of the page into the drawing: the first node reached shows only its own links.
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('.systems-map .node')"):
                break
        else:
            pytest.fail("no node of the systems map can be reached with Tab")
        while page.evaluate("document.activeElement.dataset.node") != "hold.escape":
            page.keyboard.press("Tab")
        shown = page.evaluate(
            "() => [...document.querySelectorAll('.systems-map .links .link')]"
            ".filter(l => getComputedStyle(l).opacity === '1').map(l => [l.dataset.source, l.dataset.target])"
        )
        assert shown and all("hold.escape" in pair for pair in shown)
        faded = page.evaluate(
            "() => [...document.querySelectorAll('.systems-map .links .link')]"
            ".filter(l => getComputedStyle(l).opacity !== '1').length"
        )
        assert faded > 20  # the rest of the web stays there, faded
        # Enter opens the node's own page, with its own small drawing of it and its neighbours.
        page.keyboard.press("Enter")
        page.wait_for_url(base + "topics/hold.escape/")
        assert page.locator(".node-map").is_visible()
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('.node-map a.node')"):
                break
        else:
            pytest.fail("no neighbour in the node's drawing can be reached with Tab")
        target = page.evaluate("document.activeElement.getAttribute('href')")
        page.keyboard.press("Enter")
        page.wait_for_url(base + "topics/" + target.removeprefix("../"))
        # …and on a phone the same links are in words, behind a control the keyboard opens.
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(base + "topics/")
        summary = page.locator(".node-card details summary").first
        summary.focus()
        page.keyboard.press("Enter")
        link = page.locator(".node-card details .link-words a").first
        assert link.is_visible()
        link.focus()
        href = link.get_attribute("href")
        page.keyboard.press("Enter")
        page.wait_for_url(base + "topics/" + href)


def test_a_node_s_own_drawing_keeps_its_links_when_a_neighbour_is_focused(chromium, base):
    with open_page(chromium) as page:
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(base + "topics/hold.escape/")
        page.locator(".node-map a.node").first.focus()
        opacities = page.evaluate(
            "() => [...document.querySelectorAll('.node-map .links .link')].map(l => getComputedStyle(l).opacity)"
        )
        assert opacities and set(opacities) == {"1"}


def test_a_phone_gets_artwork_in_webp_at_the_size_it_draws_and_a_desktop_a_smaller_one(chromium, base):
    for (width, scale), wanted in {(390, 2): "-360.webp", (1280, 1): "-180.webp"}.items():
        context = chromium.new_context(viewport={"width": width, "height": 900}, device_scale_factor=scale)
        try:
            page = context.new_page()
            page.goto(base + PAGE_TYPES["show"].removesuffix("index.html"))
            img = page.locator("picture.art img")
            assert img.evaluate("i => i.complete && i.naturalWidth > 0")
            assert img.evaluate("i => i.currentSrc").endswith(wanted), width
            drawn = img.evaluate("i => i.getBoundingClientRect().width")
            assert drawn == (108 if width < 640 else 180)
            assert img.get_attribute("alt")
        finally:
            context.close()
