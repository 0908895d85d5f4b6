"""The listen control in real Chromium, against a real night playing to a real Icecast on loopback.

The header of every page offers "Listen live" while the stream is on air: it plays the station's Icecast
mount in a plain <audio> when the listener asks (never by itself), says what is on from live/now.json as the
stream writes it, keeps the volume on the device (no cookie), and reaches nothing but the site and the
station's own Icecast.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from station.radio import stream
from tests.browser import (  # noqa: F401 -- fixtures: pytest finds them by name in this module
    axe_violations,
    chromium,
    csp_errors,
    format_violations,
    offsite_requests,
    open_page,
    page_log,
    served,
)
from tests.icecast import Icecast, icecast_available
from tests.test_stream import MOUNT, NIGHT, START, Playing, build_night, stream_section

pytestmark = [pytest.mark.browser, pytest.mark.stream]


def wait_until(page, expression: str, timeout_s: float = 15) -> None:
    """Poll a JavaScript expression (Playwright's wait_for_function evals in the page, which our CSP refuses)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout_s} s: {expression}")
        time.sleep(0.1)


def test_listen_live_plays_the_icecast_mount_and_says_what_is_on(chromium, station, clips, tmp_path, monkeypatch):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    with Icecast(tmp_path / "icecast", mounts={MOUNT: {"charset": "UTF-8"}}) as icecast:
        listen_url = icecast.listen_url(MOUNT)
        build_night(station, clips, stream_section(icecast.port) + f'listen_url = "{listen_url}"\n')
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)
        config = station.config
        clock = stream.ShiftedClock(START + dt.timedelta(seconds=25))
        player = stream.Player(config, stream.outputs_for(config), clock)
        now_json = config.site_dir / "live" / "now.json"
        with Playing(player, NIGHT), served(config.site_dir, listen_url=listen_url) as base:
            icecast.wait_for_mount(MOUNT, timeout=20)
            deadline = time.monotonic() + 15
            while not now_json.exists():
                assert time.monotonic() < deadline, "the stream wrote no now.json"
                time.sleep(0.1)
            with open_page(chromium) as page:
                page.clock.install(time=clock.now())  # the browser's clock on the rehearsed night's
                page.goto(base)
                wait_until(page, "!document.getElementById('listen-button').hidden")
                now = json.loads(now_json.read_text(encoding="utf-8"))
                said = page.locator("#listen-now").text_content()
                assert said.startswith("On now: ") and now["title"] in said, (said, now)
                assert page.evaluate("document.querySelectorAll('audio').length") == 0, "a player before it was asked"
                violations = axe_violations(page)
                assert violations == [], format_violations(violations)

                # From the keyboard: the button plays the mount; the audio's clock runs.
                page.locator("#listen-button").focus()
                page.keyboard.press("Enter")
                wait_until(page, "document.getElementById('listen-audio').currentTime > 2")
                assert page.locator("#listen-button").get_attribute("aria-pressed") == "true"
                assert page.evaluate("document.getElementById('listen-audio').currentSrc") == listen_url
                page.locator("#listen-volume").fill("0.3")
                assert page.evaluate("document.getElementById('listen-audio').volume") == pytest.approx(0.3)
                page.locator("#listen-button").focus()
                page.keyboard.press("Enter")  # stop
                wait_until(page, "document.getElementById('listen-audio').paused")

                # The volume is kept on the device, in localStorage, and no cookie is set.
                page.goto(base + "tonight/")
                wait_until(page, "!document.getElementById('listen-button').hidden")
                assert page.locator("#listen-volume").input_value() == "0.3"
                on_page = page.locator("[data-now-playing]").text_content()
                assert on_page.startswith("On now: "), on_page
                assert page.context.cookies() == []
                log = page_log(page)
                # Nothing but the site and the station's own Icecast mount.
                assert set(offsite_requests(log.requests, base)) == {listen_url}, log.requests
                assert csp_errors(page) == [] and log.errors == [], (csp_errors(page), log.errors)

                # The quick exit stops the stream before it leaves (site.js announces it; listen.js stops).
                page.locator("#listen-button").click()
                wait_until(page, "document.getElementById('listen-audio').currentTime > 0.5")
                page.evaluate("document.dispatchEvent(new Event('quick-exit'))")
                assert page.evaluate("document.getElementById('listen-audio').paused")
                assert page.evaluate("document.getElementById('listen-audio').getAttribute('src')") is None
            player.stop()


def test_listen_live_plays_the_night_s_hls_through_the_site_s_own_hls_js(chromium, station, clips):
    """No Icecast (`listen_url` unset): the control plays the HLS playlist under live/ through the site's own
    hls.js, as in every browser with Media Source Extensions (Chromium says it "maybe" plays HLS itself, but
    its own player took from 12 s to over 45 s to start our live playlist, when it started at all); nothing
    off the site, axe finds nothing."""
    build_night(station, clips, stream_section(None))
    config = station.config
    clock = stream.ShiftedClock(START + dt.timedelta(seconds=25))
    player = stream.Player(config, stream.outputs_for(config), clock)
    live = config.site_dir / "live"
    with Playing(player, NIGHT), served(config.site_dir) as base:
        deadline = time.monotonic() + 30
        while len(list(live.glob("*.ts"))) < 3 or not (live / "now.json").exists():
            assert time.monotonic() < deadline, f"the stream made no HLS: {sorted(p.name for p in live.iterdir())}"
            time.sleep(0.2)
        with open_page(chromium) as page:
            page.clock.install(time=clock.now())
            page.goto(base)
            wait_until(page, "!document.getElementById('listen-button').hidden")
            assert page.evaluate("document.querySelectorAll('audio').length") == 0, "a player before it was asked"
            violations = axe_violations(page)
            assert violations == [], format_violations(violations)
            page.locator("#listen-button").focus()
            page.keyboard.press("Enter")
            wait_until(page, "document.getElementById('listen-audio').currentTime > 2", timeout_s=30)
            first = page.evaluate("document.getElementById('listen-audio').currentTime")
            wait_until(page, f"document.getElementById('listen-audio').currentTime > {first + 1.5}", timeout_s=15)
            assert page.evaluate("typeof window.Hls === 'function'")
            src = page.evaluate("document.getElementById('listen-audio').currentSrc")
            assert src.startswith("blob:"), src  # Media Source Extensions, fed by hls.js
            violations = axe_violations(page)
            assert violations == [], format_violations(violations)
            log = page_log(page)
            assert offsite_requests(log.requests, base) == [], log.requests
            assert any(r.endswith("/live/night.m3u8") for r in log.requests), log.requests
            assert any(re.search(r"/static/hls\.[^/]*js$", r) for r in log.requests), log.requests  # its own copy
            assert any(r.endswith(".ts") for r in log.requests), log.requests
            assert csp_errors(page) == [] and log.errors == [], (csp_errors(page), log.errors)
            page.locator("#listen-button").focus()
            page.keyboard.press("Enter")  # stop
            wait_until(page, "document.getElementById('listen-audio').paused")
        player.stop()


@pytest.mark.browser
def test_by_day_the_control_says_when_the_stream_starts_and_asks_the_server_nothing(chromium, station, clips):
    """Built the afternoon before, with no stream run yet: no live/now.json exists, so asking for it would be a
    404 in every listener's console. The page knows when the night starts and asks nothing until it is near."""
    build_night(station, clips, stream_section() + 'listen_url = "http://127.0.0.1:9/night.mp3"\n')
    assert not (station.config.site_dir / "live" / "now.json").exists()
    with served(station.config.site_dir) as base, open_page(chromium) as page:
        page.clock.install(time=START - dt.timedelta(hours=3))  # 19:00 UTC, the night starts at 22:00
        page.goto(base)
        wait_until(page, "document.getElementById('listen-now').textContent !== ''")
        said = page.locator("#listen-now").text_content()
        assert re.fullmatch(r"The night-owl stream is on air from \d\d:\d\d\.", said), said
        assert page.locator("#listen-button").is_hidden()
        log = page_log(page)
        assert [u for u in log.requests if "now.json" in u] == [], log.requests
        assert [c for c in log.console if c.startswith("error")] == [], log.console
