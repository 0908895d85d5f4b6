"""Listener feedback in real Chromium: from a built episode page to the desk, with JavaScript off and on.

The site is built with `[desk] public_url` pointing at a desk served on
loopback, and served by the preview server with the station's policy. The
browser says it comes through the station's proxy from an address that
appears nowhere else (X-Forwarded-For), so afterwards every file the station
holds, and every log line, can be searched for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from station import config as config_mod
from station.build import runner as pipeline
from tests.browser import axe_violations, chromium, format_violations, served  # noqa: F401
from tests.conftest import DEMO_NOW
from tests.desk import PASSWORDS, Served, desk_station

pytestmark = pytest.mark.browser
SENDER = "203.0.113.77"  # TEST-NET-3: nobody's address
EPISODE = "shows/night-talk/awake-at-three/"


@contextlib.contextmanager
def listener(browser: Browser, javascript: bool) -> Iterator[tuple[Page, list[dict]]]:
    """A page in a fresh context, and the headers of every POST it sends."""
    context = browser.new_context(
        java_script_enabled=javascript, extra_http_headers={"X-Forwarded-For": SENDER}, service_workers="block"
    )
    posts: list[dict] = []
    context.on("request", lambda r: posts.append(r.all_headers()) if r.method == "POST" else None)
    try:
        yield context.new_page(), posts
    finally:
        context.close()


def send(page: Page, base: str, message: str) -> str:
    page.goto(base + EPISODE)
    page.fill("#feedback-message", message)
    page.get_by_role("button", name="Send to the station").click()
    page.wait_for_load_state()
    return page.locator("h1").inner_text()


def holding(root: Path, needle: bytes) -> list[str]:
    found = []
    for folder in (".station", "records", "site"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and needle in path.read_bytes():
                found.append(str(path.relative_to(root)))
    return found


def test_a_listener_sends_feedback_from_an_episode_page_with_javascript_off_and_on(demo, tmp_path, chromium, caplog):
    caplog.set_level(logging.DEBUG)
    root = desk_station(demo, tmp_path)
    toml = root / "station.toml"
    toml.write_text(toml.read_text() + '\n[desk]\ntrusted_proxies = ["127.0.0.1"]\n')
    with Served(root) as desk:
        toml.write_text(toml.read_text() + f'public_url = "{desk.base}/"\n')
        config = config_mod.load(root)
        pipeline.build(config, now=DEMO_NOW)
        feedback_url = config.settings.desk.feedback_url
        assert feedback_url == f"{desk.base}/feedback"
        with served(config.site_dir, form_to=feedback_url or None) as site:
            for javascript in (False, True):
                with listener(chromium, javascript) as (page, posts):
                    page.goto(site + EPISODE)
                    if javascript:
                        violations = axe_violations(page)
                        assert not violations, format_violations(violations)
                    heading = send(page, site, f"Hearing Robin at three helped (JavaScript {javascript}).")
                    assert heading == "Thank you"
                    assert page.url == feedback_url
                    expect(page.locator("main p").first).to_contain_text("Your message reached the station's")
                    assert len(posts) == 1
                    assert "cookie" not in posts[0] and "referer" not in posts[0], posts[0]
                    if javascript:
                        violations = axe_violations(page)
                        assert not violations, format_violations(violations)

            # The same address, within the minute: 18 more are taken, the 21st is refused politely.
            with listener(chromium, False) as (page, _):
                for i in range(18):
                    assert send(page, site, f"message {i}") == "Thank you", i
                assert send(page, site, "one too many") == "Please wait a minute"
                expect(page.locator("main")).to_contain_text("we do want to hear it")

        queue = desk.client("coord").get("/feedback/queue").text
        assert "Hearing Robin at three helped (JavaScript False)." in queue
        assert "Hearing Robin at three helped (JavaScript True)." in queue
        assert "the episode night-talk/awake-at-three" in queue and "one too many" not in queue
    assert holding(root, SENDER.encode()) == []
    assert SENDER not in caplog.text


def test_no_form_when_the_station_has_not_said_where_its_desk_is(demo):
    root, _ = demo
    page = html.unescape((root / "site" / EPISODE / "index.html").read_text())
    assert "feedback-form" not in page
    assert "form-action 'self'\">" in page  # forms go nowhere but the site itself


def sign_in(page: Page, base: str, user: str, password: str) -> None:
    page.goto(base + "/sign-in")
    page.fill("#username", user)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_asks_on_the_site_and_in_the_pocket_guide_pdf_and_every_new_page_passes_axe(demo, tmp_path, chromium):
    root = desk_station(demo, tmp_path)
    with Served(root) as desk:
        store = desk.desk.accounts  # accounts and the involvement store of this desk
        store.add("harbour", "responder pass 1", "responder", "")
        inv = desk.app.extensions["involvement"]
        inv.set_responder(store.by_name("harbour").id, "harbour-recovery-cafe")
        coord_id = store.by_name("coord").id
        inv.add_feedback("The café could open on Sundays.", "site", "place:harbour-recovery-cafe")
        first = inv.add_ask(
            "harbour-recovery-cafe",
            "Open on Sunday evenings.",
            ["rc.community"],
            "Evenings only.",
            dt.date(2026, 12, 1),
            "feedback",
            coord_id,
            dt.date(2026, 11, 1),
        )
        inv.add_ask(
            "northgate-needle-exchange",
            "Give out naloxone on Thursdays.",
            [],
            "The late session.",
            dt.date(2026, 11, 10),
            "request",
            coord_id,
            dt.date(2026, 11, 1),
        )
        inv.answer(first, "done", "Open since 10 January; see the notice board.", dt.date(2026, 11, 20))
        pipeline.build(config_mod.load(root), now=DEMO_NOW)
        with served(root / "site") as site, listener(chromium, True) as (page, _):
            for rel in ("asks/", "map/harbour-recovery-cafe/", "topics/rc.community/", "map/pocket-guide/"):
                page.goto(site + rel)
                violations = axe_violations(page)
                assert not violations, f"{rel}\n{format_violations(violations)}"
            page.goto(site + "map/pocket-guide/")
            page.emulate_media(media="print")
            reader = PdfReader(io.BytesIO(page.pdf(format="A5")))
            back = " ".join(reader.pages[-1].extract_text().split())
            assert "What we asked of local services" in back
            assert "Open on Sunday evenings." in back and "Open since 10 January; see the notice board." in back
            assert "No answer yet, 12 days overdue." in back  # decided by 10 November; the build's clock is the 22nd
            assert "What we asked" not in " ".join(p.extract_text() for p in reader.pages[:-1])

        with listener(chromium, True) as (page, _):
            sign_in(page, desk.base, "coord", PASSWORDS["coord"])
            sam = store.by_name("sam").id
            for path in (
                "/feedback/queue",
                "/asks",
                "/asks/new?feedback=1",
                f"/asks/{first}",
                "/people",
                f"/people/{sam}",
                "/problems",
            ):
                page.goto(desk.base + path)
                violations = axe_violations(page)
                assert not violations, f"{path}\n{format_violations(violations)}"
        for user, password, path in (("harbour", "responder pass 1", "/answers"), ("sam", PASSWORDS["sam"], "/record")):
            with listener(chromium, True) as (page, _):
                sign_in(page, desk.base, user, password)
                page.goto(desk.base + path)
                violations = axe_violations(page)
                assert not violations, f"{path}\n{format_violations(violations)}"
