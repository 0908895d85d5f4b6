"""The desk's doors, over real HTTP: sign-in, roles, CSRF, cookies, throttling, and whose episodes are whose."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
import yaml

from station.build import runner as pipeline
from station.desk import accounts as accounts_mod
from tests.conftest import DEMO_NOW, tree_hashes
from tests.desk import PASSWORDS, Served, csrf_of, desk_station, episode_ids

COORDINATOR_PAGES = ["/schedule", "/schedule/edit?file=scheduler/night-owls.yaml", "/tonight", "/problems", "/accounts"]
PRESENTER_PAGES = ["/", "/upload", "/pause"]


@pytest.fixture
def served(demo, tmp_path):
    with Served(desk_station(demo, tmp_path)) as s:
        yield s


def _episodes_of(served, user):
    c = served.client(user)
    return c, episode_ids(c.get("/").text)


def test_nothing_without_signing_in(served):
    anon = served.client()
    ids = episode_ids(served.client("coord").get("/").text)
    assert len(ids) == 5
    for path in (
        PRESENTER_PAGES
        + COORDINATOR_PAGES
        + [f"/episodes/{ids[0]}", f"/episodes/{ids[0]}/audio", f"/episodes/{ids[0]}/details"]
    ):
        r = anon.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in"), path
    for path in [
        f"/episodes/{ids[0]}/withdraw",
        f"/episodes/{ids[0]}/transcript",
        f"/episodes/{ids[0]}/details",
        f"/episodes/{ids[0]}/owner",
        "/upload",
        "/pause",
        "/accounts",
        "/schedule/edit",
        "/sign-out",
    ]:
        r = anon.post(path, {"csrf": "x", "confirm": "yes"})
        assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in"), path
    assert anon.get("/sign-in").status_code == 200
    assert anon.get("/static/desk.css").status_code == 200


def test_a_presenter_sees_and_touches_only_their_own_episodes(served):
    root = served.config.root
    sam, sams = _episodes_of(served, "sam")
    _robin, robins = _episodes_of(served, "robin")
    assert len(sams) == 3 and len(robins) == 2 and not set(sams) & set(robins)
    page = sam.get("/").text
    assert "Walking into my first meeting" in page and "Awake at three" not in page
    before = tree_hashes(root / "content"), tree_hashes(root / "site"), tree_hashes(root / "scheduler")
    token = sam.token("/")
    for eid in robins:
        assert sam.get(f"/episodes/{eid}").status_code == 404
        assert sam.get(f"/episodes/{eid}/audio").status_code == 404
        assert sam.get(f"/episodes/{eid}/details").status_code == 404
        assert (
            sam.post(f"/episodes/{eid}/details", {"csrf": token, "title": "Mine", "consent": "yes"}).status_code == 404
        )
        assert sam.post(f"/episodes/{eid}/transcript", {"csrf": token, "correction": "mine now"}).status_code == 404
        assert (
            sam.post(f"/episodes/{eid}/withdraw", {"csrf": token, "confirm": "yes", "delete": "yes"}).status_code == 404
        )
        assert sam.post(f"/episodes/{eid}/owner", {"csrf": token, "owner": "2"}).status_code == 403
    assert (tree_hashes(root / "content"), tree_hashes(root / "site"), tree_hashes(root / "scheduler")) == before
    # Their own: the page, the audio (with seeking), the transcript.
    mine = sam.get(f"/episodes/{sams[0]}")
    assert mine.status_code == 200 and "Take this episode back" in mine.text
    audio = sam.get(f"/episodes/{sams[0]}/audio", headers={"Range": "bytes=0-99"})
    assert audio.status_code == 206 and len(audio.content) == 100 and audio.content[:3] == b"ID3"


def test_coordinator_pages_are_for_coordinators(served):
    sam = served.client("sam")
    token = sam.token("/")
    for path in COORDINATOR_PAGES:
        assert sam.get(path).status_code == 403, path
    assert (
        sam.post(
            "/accounts",
            {"csrf": token, "action": "add", "username": "mallory", "role": "coordinator", "password": "x" * 12},
        ).status_code
        == 403
    )
    assert sam.post("/schedule/edit", {"csrf": token, "file": "scheduler/night-owls.yaml"}).status_code == 403
    assert "Schedule" not in re.sub(r"(?s)<main.*", "", sam.get("/").text)  # not offered in the menu either
    coord = served.client("coord")
    for path in COORDINATOR_PAGES + PRESENTER_PAGES:
        assert coord.get(path).status_code in (200, 302), path
    assert len(episode_ids(coord.get("/").text)) == 5


def test_every_form_needs_its_sessions_csrf_token(served):
    root = served.config.root
    sam, sams = _episodes_of(served, "sam")
    robin = served.client("robin")
    before = tree_hashes(root / "content")
    for token in (None, "", robin.token("/"), "forged"):
        data = {"confirm": "yes", "correction": "changed"} | ({"csrf": token} if token is not None else {})
        assert sam.post(f"/episodes/{sams[0]}/transcript", data).status_code == 400
        assert sam.post(f"/episodes/{sams[0]}/withdraw", data).status_code == 400
        assert sam.post("/sign-out", data).status_code == 400
    assert tree_hashes(root / "content") == before
    # The sign-in form too: its token is bound to a cookie only this browser has.
    other = served.client()
    r = other.post("/sign-in", {"csrf": sam.token("/"), "username": "sam", "password": PASSWORDS["sam"]})
    assert r.status_code == 400


def test_cookies_passwords_and_headers(served):
    c = served.client()
    r = c.get("/sign-in")
    assert "form-action 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"
    r = c.post("/sign-in", {"csrf": csrf_of(r.text), "username": "sam", "password": PASSWORDS["sam"]})
    session = next(h for h in r.raw.headers.getlist("Set-Cookie") if h.startswith("__Host-desk="))
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in session
    assert "Domain" not in session
    db = sqlite3.connect(served.config.records_dir / "desk.sqlite")
    stored = dict(db.execute("SELECT username, password FROM users"))
    assert all(h.startswith("$argon2id$") for h in stored.values())
    assert not any(PASSWORDS[u] in h for u, h in stored.items())
    token = c.cookies["__Host-desk"]
    assert db.execute("SELECT COUNT(*) FROM sessions WHERE token = ?", (token,)).fetchone()[0] == 0  # only its hash
    # Signing out ends the session on the server, not just in the browser.
    c.post("/sign-out", {"csrf": c.token("/")})
    stolen = served.client()
    stolen.cookies["__Host-desk"] = token
    assert stolen.get("/").status_code == 302


def test_sign_in_is_throttled_and_never_redirects_away(served):
    c = served.client()
    for _ in range(accounts_mod.FAILURES_PER_NAME):
        r = c.post("/sign-in", {"csrf": c.token("/sign-in"), "username": "sam", "password": "not it at all"})
        assert r.status_code == 401 and "do not match" in r.text
    r = c.post("/sign-in", {"csrf": c.token("/sign-in"), "username": "sam", "password": PASSWORDS["sam"]})
    assert r.status_code == 429 and "Too many wrong passwords" in r.text and "__Host-desk" not in c.cookies
    # Another account is not locked out by Sam's, and an address outside the desk is never a destination.
    r = c.post(
        "/sign-in?next=//evil.example/",
        {"csrf": c.token("/sign-in"), "username": "robin", "password": PASSWORDS["robin"]},
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_accounts_are_managed_by_coordinators(served):
    coord = served.client("coord")
    r = coord.post(
        "/accounts",
        {
            "csrf": coord.token("/accounts"),
            "action": "add",
            "username": "jo",
            "role": "presenter",
            "presenter_name": "Jo",
            "password": "short",
        },
    )
    assert r.status_code == 400 and "at least 10 characters" in r.text
    r = coord.post(
        "/accounts",
        {
            "csrf": coord.token("/accounts"),
            "action": "add",
            "username": "jo",
            "role": "presenter",
            "presenter_name": "Jo",
            "password": "a long password",
        },
    )
    assert r.status_code == 200 and "The account jo was made" in r.text
    jo = served.client()
    jo.sign_in("jo", "a long password")
    assert episode_ids(jo.get("/").text) == []
    jo_id = served.desk.accounts.by_name("jo").id
    coord.post(
        "/accounts",
        {"csrf": coord.token("/accounts"), "action": "password", "user": str(jo_id), "password": "another long one"},
    )
    assert jo.get("/").status_code == 302  # signed out everywhere
    r = coord.post("/accounts", {"csrf": coord.token("/accounts"), "action": "role", "user": "1", "role": "presenter"})
    assert "last coordinator" in r.text


def test_every_problem_across_the_station_on_one_page(served, clips):
    root = served.config.root
    shutil.copyfile(clips.get("speech.mp3"), root / "content" / "shows" / "night-talk" / "no-details.mp3")
    (root / "scheduler" / "holiday.yaml").write_text(
        "name: Holiday\nwindow: {start: '22:00', end: '07:00'}\nblocks: []\n"
    )
    pipeline.build(served.config, now=DEMO_NOW)
    coord = served.client("coord")
    page = re.sub(r"\s+", " ", coord.get("/problems").text)
    assert "content/shows/night-talk/no-details.mp3" in page and "has no metadata file beside it" in page
    assert "create no-details.yaml next to it" in page
    assert "scheduler/holiday.yaml" in page
    assert "Nothing needs attention" not in page


def test_a_presenter_pauses_only_themselves(served):
    paused = served.config.root / "scheduler" / "paused.yaml"
    sam = served.client("sam")
    r = sam.post(
        "/pause", {"csrf": sam.token("/pause"), "presenter": "Robin", "until": "2026-12-31", "action": "pause"}
    )
    assert r.status_code == 200 and "Sam is paused from the overnight stream up to and including" in r.text
    text = paused.read_text()
    assert "Sam" in text and "Robin" not in text
    coord = served.client("coord")
    r = coord.post("/pause", {"csrf": coord.token("/pause"), "presenter": "Robin", "action": "pause"})
    assert "Robin is paused from the overnight stream until resumed" in r.text and "Robin" in paused.read_text()
    sam.post("/pause", {"csrf": sam.token("/pause"), "presenter": "Robin", "action": "resume"})  # resumes Sam
    assert [p["presenter"] for p in yaml.safe_load(paused.read_text())["paused"]] == ["Robin"]
