"""The desk end to end in real Chromium: a presenter's episode from upload to withdrawal, a coordinator's
schedule edit, the keyboard, and axe-core on every page."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser import axe_violations, chromium, format_violations, offsite_requests, open_page, page_log  # noqa: F401
from tests.desk import PASSWORDS, Served, desk_station
from tests.media import speech

pytestmark = pytest.mark.browser
SAID = "This is Sam. Tonight I made a cup of tea at four in the morning, and I stayed in. That was enough."


def accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{format_violations(violations)}"


def sign_in_by_keyboard(page: Page, base: str, user: str) -> None:
    page.goto(base + "/")
    assert "/sign-in" in page.url
    accessible(page)
    for _ in range(12):  # from the top of the page, as someone without a mouse would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "username":
            break
    else:
        raise AssertionError("the user name field cannot be reached with Tab")
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS[user])
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def state_after(page: Page, wanted: str, within_s: float) -> list[str]:
    """Reload the episode's page until its state is `wanted`; every state seen on the way."""
    seen = []
    deadline = time.monotonic() + within_s
    while True:
        state = page.locator("#state").inner_text()
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == wanted:
            return seen
        assert time.monotonic() < deadline, f"still {seen} after {within_s} s"
        time.sleep(1)
        page.reload()


def test_a_presenter_uploads_corrects_and_withdraws(demo, tmp_path, chromium):
    root = desk_station(demo, tmp_path)
    recording = tmp_path / "tea.wav"
    speech(SAID, recording)
    with Served(root, build=True) as served, open_page(chromium) as page:
        base = served.base
        sign_in_by_keyboard(page, base, "sam")
        expect(page.locator("h1")).to_have_text("Your episodes")
        accessible(page)

        page.get_by_role("link", name="Upload").click()
        accessible(page)
        page.set_input_files("#recording", str(recording))
        page.select_option("#show", "small-steps")
        page.fill("#title", "Tea at four")
        page.fill("#description", "Sam on a quiet night in.")
        page.check("#consent")
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("h1")).to_have_text("Tea at four")
        expect(page.get_by_role("status")).to_contain_text("the recording is in")
        accessible(page)
        seen = state_after(page, "Published", within_s=240)
        assert seen[0] in ("Waiting for the next build", "Being processed now"), seen
        accessible(page)
        # The audio as listeners hear it, the transcript beside it, its times as buttons that play from there.
        assert page.locator("audio#player").count() == 1
        assert page.locator("button.cue").count() >= 1
        assert not offsite_requests(page_log(page).requests, base + "/")

        machine = page.locator("#correction").input_value()
        word = next(w for w in re.findall(r"[A-Za-z]{4,}", machine) if w.lower() != "peerwave")
        page.fill("#correction", machine.replace(word, "Peerwave", 1))
        page.get_by_role("button", name="Save the correction").click()
        expect(page.get_by_role("status")).to_contain_text("Your correction is saved")
        deadline = time.monotonic() + 120
        while "Corrected by you." not in page.locator("#transcript-h + p").inner_text():
            assert time.monotonic() < deadline, "the correction never reached the published transcript"
            time.sleep(1)
            page.reload()
        expect(page.locator("ol.cues")).to_contain_text("Peerwave")
        vtt = root / "site" / "media" / "small-steps" / "tea-at-four.vtt"
        assert "Peerwave" in vtt.read_text()
        assert (root / "content" / "shows" / "small-steps" / "tea-at-four.transcript.txt").exists()

        page.focus("#confirm")
        page.keyboard.press("Space")
        page.get_by_role("button", name="Withdraw").click()
        expect(page.locator("#state")).to_have_text("Withdrawn", timeout=120_000)
        expect(page.get_by_role("status")).to_contain_text("It has left the feeds")
        accessible(page)
        assert not (root / "site" / "media" / "small-steps" / "tea-at-four.mp3").exists()
        assert "Tea at four" not in (root / "site" / "feed.xml").read_text()
        assert (root / "content" / "shows" / "small-steps" / "tea-at-four.wav").exists()  # kept unless asked


def _late_talk(page: Page) -> list[str]:
    rows = page.locator("table.order tbody tr")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        if cells[3] == "Late talk" and " — " in cells[2] and "(standby)" not in cells[2]:
            out.append(cells[2].split(" — ")[1].split("\n")[0])
    return out


def test_a_coordinator_edits_a_block_and_sees_tonight_change(demo, tmp_path, chromium):
    root = desk_station(demo, tmp_path)
    schedule = root / "scheduler" / "night-owls.yaml"
    original = schedule.read_text()
    with Served(root) as served, open_page(chromium) as page:
        base = served.base
        sign_in_by_keyboard(page, base, "coord")
        page.get_by_role("link", name="Tonight").click()
        accessible(page)
        before = _late_talk(page)
        assert before and set(before) == {"Night Talk"}, before

        page.get_by_role("link", name="Schedule").click()
        expect(page.locator("h1")).to_contain_text("Edit the schedule")
        accessible(page)
        # A block that overlaps the next is refused with the schedule check's own words; nothing is written.
        page.fill("#block-0-end", "02:00")
        page.get_by_role("button", name="Check and save").click()
        expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
        expect(page.locator(".block.flagged .flag")).to_contain_text(
            "found a problem in this block"
        )  # the line's block
        accessible(page)
        assert schedule.read_text() == original
        # Blocks move with buttons, from the keyboard; nothing is saved until Save.
        page.focus("button:has-text('Move “Small hours” up')")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("moved up")
        expect(page.locator("#block-0 > legend")).to_contain_text("Small hours")
        page.focus("button:has-text('Move “Small hours” down')")
        page.keyboard.press("Enter")
        expect(page.locator("#block-0 > legend")).to_contain_text("Late talk")
        assert schedule.read_text() == original

        page.fill("#block-0-end", "01:00")
        page.fill("#block-0-fill-shows", "small-steps")
        page.fill("#block-0-standby-shows", "night-talk")
        page.get_by_role("button", name="Check and save").click()
        page.wait_for_url(re.compile(r"/tonight"))
        expect(page.get_by_role("status")).to_contain_text("is saved")
        after = _late_talk(page)
        assert after and set(after) == {"Small Steps"}, after
    saved = schedule.read_text()
    assert [line for line in original.splitlines() if line.lstrip().startswith("#")] == [
        line for line in saved.splitlines() if line.lstrip().startswith("#")
    ]
    assert "fill: {shows: [small-steps]}" in saved


def test_every_desk_page_passes_axe(demo, tmp_path, chromium):
    root = desk_station(demo, tmp_path)
    with Served(root) as served, open_page(chromium) as page:
        base = served.base
        sign_in_by_keyboard(page, base, "coord")
        pages = ["/", "/upload", "/pause", "/tonight", "/problems", "/accounts", "/schedule", "/episodes/nothing-here"]
        for path in pages:
            page.goto(base + path)
            accessible(page)
        page.get_by_role("link", name="All episodes").click()
        page.locator("table a").first.click()
        page.wait_for_url(re.compile(r"/episodes/[0-9a-f]+"))
        accessible(page)
        # A producer's phone: the header's links wrap into rows and must stay 24 px targets.
        page.set_viewport_size({"width": 320, "height": 640})
        accessible(page)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.get_by_role("link", name=re.compile("Change the details")).click()
        expect(page.locator("h1")).to_contain_text("Details:")
        accessible(page)
        page.goto(base + "/upload")
        page.get_by_role("button", name="Upload").click(no_wait_after=True)  # the browser's own checks stop it…
        page.evaluate("document.querySelector('form[enctype]').noValidate = true")
        page.get_by_role("button", name="Upload").click()  # …and the desk's own answer
        expect(page.get_by_role("alert")).to_contain_text("Choose the recording")
        expect(page.locator("#problems")).to_be_focused()
        accessible(page)
        page.goto(base + "/pause")
        page.get_by_role("button", name="Pause").click()
        expect(page.locator("#pause-state")).to_contain_text("Ali is paused until resumed")
        accessible(page)
        assert "Ali" in (root / "scheduler" / "paused.yaml").read_text()
        page.get_by_role("button", name="Come back now").click()
        expect(page.locator("#pause-state")).to_contain_text("on the overnight schedule")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert not [u for u in page_log(page).requests if not u.startswith(base)]
