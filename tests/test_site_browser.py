"""The demo station's website in real Chromium: offline, accessible, and usable from the keyboard alone."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import yaml

from tests.browser import (  # noqa: F401 -- fixtures: pytest finds them by name in this module
    axe_violations,
    chromium,
    csp_errors,
    format_violations,
    offsite_requests,
    open_page,
    page,
    page_log,
    served,
)
from tests.test_site import HOSTILE, PAGE_TYPES, heard_not_written

pytestmark = pytest.mark.browser

EPISODE = PAGE_TYPES["episode"]
NOTED = PAGE_TYPES["episode with content notes"]


@pytest.fixture(scope="module")
def base(demo):
    root, _ = demo
    with served(root / "site") as url:
        yield url


def wait_until(page, expression: str, timeout_s: float = 10) -> None:
    """Poll a JavaScript expression: Playwright's wait_for_function evals it in the page, which our CSP refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout_s} s: {expression}")
        time.sleep(0.05)


def path_of(rel: str) -> str:
    return "" if rel == "index.html" else rel.removesuffix("index.html")


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_every_page_type_stays_on_the_site_and_has_no_accessibility_violation(chromium, base, name):
    rel = PAGE_TYPES[name]
    url = base + ("no-such-page/" if name == "not found" else path_of(rel))
    with open_page(chromium) as page:
        page.goto(url)
        if page.locator("details.gate").count():
            page.locator("details.gate summary").click()  # the player too, behind its content notes
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)
        log = page_log(page)
        assert offsite_requests(log.requests, base) == []
        assert csp_errors(page) == [] and log.errors == []
        assert page.context.cookies() == []
        # 320 px wide (WCAG reflow) and with reduced motion: nothing runs off the side, still no violations.
        page.set_viewport_size({"width": 320, "height": 800})
        page.emulate_media(reduced_motion="reduce")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)


def test_content_notes_come_first_and_the_player_opens_from_the_keyboard(page, base):
    page.goto(base + path_of(NOTED))
    assert page.locator("audio").is_hidden()
    assert "overdose" in page.locator(".content-notes").inner_text()
    summary = page.locator("details.gate summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("audio").is_visible()


def test_the_transcript_follows_the_audio_and_seeks_from_the_keyboard(page, base):
    page.goto(base + path_of(EPISODE))
    wait_until(page, "document.querySelector('.cues button.time') !== null")
    # Tab from the top of the page reaches the transcript's times.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.cues button.time')"):
            break
    else:
        pytest.fail("the transcript's times cannot be reached with Tab")
    third = page.locator(".cues li").nth(2)
    start = float(third.get_attribute("data-start"))
    third.locator("button").focus()
    page.keyboard.press("Enter")
    wait_until(page, "document.querySelector('.cues li.now') !== null")
    assert abs(page.evaluate("document.getElementById('player').currentTime") - start) < 1.0
    assert page.locator(".cues li.now").get_attribute("data-start") == third.get_attribute("data-start")
    assert page.locator(".cues li[aria-current=true]").count() == 1
    # A chapter link seeks in place instead of leaving the page.
    chapter = page.locator("a.seek").nth(1)
    chapter_start = float(chapter.get_attribute("data-start"))
    chapter.focus()
    page.keyboard.press("Enter")
    wait_until(page, f"Math.abs(document.getElementById('player').currentTime - {chapter_start}) < 1")
    assert page.url == base + path_of(EPISODE)


def test_the_directory_filters_work_from_the_keyboard_and_know_what_is_open(chromium, base):
    with open_page(chromium) as page:
        # Monday 03:00 at the station (London, GMT in November).
        page.clock.set_fixed_time(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC))
        page.goto(base + "map/")
        status = page.locator("#filter-status")
        assert status.inner_text() == "Showing 8 of 8 places."
        page.locator("#f-open").focus()
        page.keyboard.press("Space")
        shown = page.locator(".places > .place:visible h3").all_inner_texts()
        assert sorted(shown) == ["Night Owl Buddies", "Samaritans"]
        assert status.inner_text() == "Showing 2 of 8 places."
        page.keyboard.press("Space")
        kind = page.locator("#f-kind")
        kind.focus()
        while kind.input_value() != "peer-support":
            page.keyboard.press("ArrowDown")
        assert sorted(page.locator(".places > .place:visible h3").all_inner_texts()) == [
            "Night Owl Buddies",
            "Women Together",
        ]
        page.goto(base + "map/?kind=housing")
        assert "one of the gaps on the map" in page.locator("#filter-status").inner_text()
        assert page.locator(".places > .place:visible").count() == 0


def test_open_now_is_shown_on_a_place_at_the_station_s_time(chromium, base):
    with open_page(chromium) as page:
        page.clock.set_fixed_time(dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC))
        page.goto(base + "map/night-owl-buddies/")
        assert page.locator(".open-now").is_visible()
        page.goto(base + "map/harbour-recovery-cafe/")
        assert page.locator(".open-now").is_hidden()


def test_search_finds_what_was_said_and_places_without_leaving_the_browser(page, base, demo):
    page.goto(base + "search/")
    box = page.locator("#q")
    box.focus()
    page.keyboard.type(heard_not_written(demo[0]))  # said in the night-bus recording, not written in its notes
    page.keyboard.press("Enter")
    wait_until(page, "document.querySelectorAll('#results li').length > 0")
    assert "Finding the night bus home" in page.locator("#results").inner_text()
    box.fill("harbour cafe")
    page.keyboard.press("Enter")
    wait_until(page, "document.getElementById('results').innerText.includes('Harbour Recovery Café')")
    page.locator("#results a", has_text="Harbour Recovery Café").click()
    page.wait_for_url(base + "map/harbour-recovery-cafe/")
    assert offsite_requests(page_log(page).requests, base) == []


def test_leave_this_site_quickly_replaces_the_page(chromium, base):
    exit_url = "https://www.bbc.co.uk/weather"
    for how in ("click", "escape twice"):
        with open_page(chromium) as page:
            # The everyday page is answered here: the test machine stays offline.
            page.route(
                exit_url,
                lambda route: route.fulfill(
                    status=200, content_type="text/html", body="<title>Weather</title><p>Sunny.</p>"
                ),
            )
            page.goto(base)
            page.goto(base + path_of(EPISODE))
            if how == "click":
                page.locator("#quick-exit").focus()
                page.keyboard.press("Enter")
            else:
                page.keyboard.press("Escape")
                page.keyboard.press("Escape")
            page.wait_for_url(exit_url)
            # replace(), not a new entry: Back skips the episode the listener was on.
            page.go_back()
            assert page.url == base


def test_hostile_titles_never_run_in_the_browser(chromium, station):
    station.show(toml="title = 'Night Talk'\ndescription = 'Peers.'\n")
    station.episode("night-bus.mp3", title=HOSTILE, description=f"Notes {HOSTILE}")
    (station.root / "content/resources").mkdir()
    (station.root / "content/resources/hostile.yaml").write_text(
        yaml.safe_dump(
            {
                "name": HOSTILE,
                "kind": "peer-support",
                "summary": HOSTILE,
                "locality": HOSTILE,
                "access": ["drop-in"],
                "hours": "always",
                "last_checked": dt.date(2026, 11, 1),
            }
        )
    )
    station.build()
    dialogs = []
    with served(station.root / "site") as base, open_page(chromium) as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ("", "shows/night-talk/", "map/", "map/hostile/", "search/?q=script"):
            page.goto(base + path)
            page.wait_for_timeout(100)
        page.goto(base + "search/?q=script")
        wait_until(page, "document.querySelectorAll('#results li').length > 0")
        assert "<script>" in page.locator("#results").inner_text()  # shown as text
        assert dialogs == [] and page_log(page).errors == []


def test_the_pocket_guide_prints_on_a5_without_the_screen_furniture(page, base):
    page.goto(base + "map/pocket-guide/")
    page.emulate_media(media="print")
    for hidden in ("#quick-exit", "nav", ".crisis", ".screen-only"):
        assert page.locator(hidden).first.is_hidden(), hidden
    assert page.locator(".guide-crisis").is_visible()  # the crisis lines go on paper
    assert page.locator(".guide-entry").count() == 8
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 8
    # A5 is 420 × 595 points.
    size = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert size and abs(float(size[1]) - 419.5) < 2 and abs(float(size[2]) - 595.3) < 2
