"""Asks and answers over real HTTP, and what the next build publishes of them (on a fixed clock).

A coordinator raises asks of two organisations on the demo's map; a responder
for one of them answers only its own, sees nothing else of the desk and never
who raised an ask; the site then shows each ask with its answer, or "no answer
yet, N days overdue", on the asks page, the place page, the map node, the
pocket guide and an Atom feed read by feedparser.
"""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest

from station import config as config_mod
from station.build import runner as pipeline
from station.catalog import resources as resources_mod
from tests.desk import NAMES, Served, csrf_of, desk_station, episode_ids, said

HARBOUR, NORTHGATE = "harbour-recovery-cafe", "northgate-needle-exchange"
# The build's clock: ask 2's decision was due ten days before.
CLOCK = dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)
ASK_1 = "Open the café on Sunday evenings, when nothing else nearby is open."
ASK_2 = "Give out naloxone kits at the Thursday late session."
EVIDENCE = "Sunday evening opening started on 10 January: see the café's notice board and its new hours."


@pytest.fixture
def served(demo, tmp_path):
    with Served(desk_station(demo, tmp_path)) as s:
        yield s


def add_responder(coord, username: str, organisation: str) -> None:
    r = coord.post(
        "/accounts",
        {
            "csrf": coord.token("/accounts"),
            "action": "add",
            "username": username,
            "role": "responder",
            "presenter_name": "",
            "password": "responder pass 1",
        },
    )
    assert r.status_code == 200 and f"The account {username} was made" in r.text
    uid = re.search(
        rf'name="user" value="(\d+)">\s*<p><label for="org-\d+">{username} answers for', coord.get("/asks").text
    )
    r = coord.post(
        "/asks/responders", {"csrf": coord.token("/asks"), "user": uid.group(1), "organisation": organisation}
    )
    assert r.status_code == 303, r.text


def raise_ask(coord, organisation: str, text: str, decide_by: str, nodes: list[str]) -> None:
    r = coord.post(
        "/asks/new",
        {
            "csrf": coord.token("/asks/new"),
            "organisation": organisation,
            "text": text,
            "scope": "Evenings only; not a change to daytime hours.",
            "decide_by": decide_by,
            "source": "feedback",
            "nodes": nodes,
        },
    )
    assert r.status_code == 303, said(r.text)


def build(served, now: dt.datetime) -> None:
    result = pipeline.build(config_mod.load(served.config.root), now=now)
    assert not [p for p in result.problems if p.is_error], result.problems


def site(served, rel: str) -> str:
    return (served.config.site_dir / rel).read_text(encoding="utf-8")


def test_a_responder_answers_only_its_own_organisations_asks_and_the_site_publishes_them(served):
    coord = served.client("coord")
    add_responder(coord, "harbour", HARBOUR)
    add_responder(coord, "northgate", NORTHGATE)
    raise_ask(coord, HARBOUR, ASK_1, "2027-02-01", ["rc.community", "struggle.no_light"])
    raise_ask(coord, NORTHGATE, ASK_2, "2027-01-05", ["struggle.tendency_to_relapse"])

    harbour = served.client()
    harbour.sign_in("harbour", "responder pass 1")
    assert harbour.get("/").headers["Location"] == "/answers"
    page = harbour.get("/answers").text
    assert ASK_1 in page and ASK_2 not in page
    # Nothing says who raised it: not the account, not the name it goes by, not where it came from.
    assert "coord" not in said(page) and NAMES["coord"] not in said(page)
    ids = episode_ids(served.client("coord").get("/").text)
    for path in [
        "/upload",
        "/pause",
        "/record",
        "/people",
        "/feedback/queue",
        "/asks",
        "/asks/1",
        "/asks/new",
        "/accounts",
        "/problems",
        "/schedule",
        "/tonight",
        f"/episodes/{ids[0]}",
        f"/episodes/{ids[0]}/audio",
    ]:
        assert harbour.get(path).status_code == 403, path
    assert "A responder's account answers its organisation's asks, and does nothing else at the desk." in said(
        harbour.get("/upload").text
    )
    for path in ("/pause", f"/episodes/{ids[0]}/withdraw", f"/episodes/{ids[0]}/details", "/asks/new"):
        assert harbour.post(path, {"csrf": csrf_of(page), "confirm": "yes"}).status_code == 403, path

    # Northgate's ask is not Harbour's to answer, nor one that is not there.
    for other in ("/answers/2", "/answers/99"):
        r = harbour.post(other, {"csrf": csrf_of(page), "state": "done", "words": "done"})
        assert r.status_code == 404, other
    assert harbour.post("/answers/1", {"state": "will", "words": ""}).status_code == 400  # no token
    r = harbour.post("/answers/1", {"csrf": csrf_of(page), "state": "wont", "words": " "})
    assert r.status_code == 400
    assert "Say why your organisation won't do it: the reason is published with the answer." in said(r.text)
    r = harbour.post("/answers/1", {"csrf": csrf_of(page), "state": "done", "words": EVIDENCE})
    assert r.status_code == 303
    assert "Your answer to ask 1 was sent and will be published." in said(harbour.get(r.headers["Location"]).text)

    # Whoever raised it sees the answer arrive, until they open it.
    listed = said(coord.get("/asks").text)
    assert "Asks (1 new answer)" in listed  # in the nav, on every page
    assert "An answer came to 1 of the asks you raised: ask 1 ." in listed  # "ask 1" is a link
    assert EVIDENCE in said(coord.get("/asks/1").text)
    assert "An answer came to" not in said(coord.get("/asks").text)

    # Before ask 2's decision date, it is simply not answered yet; after it, overdue by the day.
    build(served, dt.datetime(2027, 1, 4, 12, 0, tzinfo=dt.UTC))
    assert "No answer yet." in said(site(served, "asks/index.html"))
    assert "overdue" not in site(served, "asks/index.html")
    build(served, CLOCK)
    asks_page = said(site(served, "asks/index.html"))
    assert "No answer yet, 10 days overdue." in asks_page
    assert f"Done: {EVIDENCE}" in asks_page and ASK_1 in asks_page and ASK_2 in asks_page
    place = said(site(served, f"map/{HARBOUR}/index.html"))
    assert "What the station asked of it" in place and ASK_1 in place and EVIDENCE in place and ASK_2 not in place
    assert ASK_2 in said(site(served, f"map/{NORTHGATE}/index.html"))
    assert ASK_1 in said(site(served, "topics/rc.community/index.html"))
    assert ASK_2 in said(site(served, "topics/struggle.tendency_to_relapse/index.html"))
    guide = said(site(served, "map/pocket-guide/index.html"))
    assert "What we asked of local services" in guide
    assert f"Harbour Recovery Café: {ASK_1}" in guide and EVIDENCE in guide
    assert "No answer yet, 10 days overdue." in guide

    feed = feedparser.parse((served.config.site_dir / "asks" / "feed.atom").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    titles = sorted(e.title for e in feed.entries)
    answered = next(e for e in feed.entries if "Harbour" in e.title)
    assert titles[1] == "Ask 2 of Northgate Pharmacy needle exchange: No answer yet, 10 days overdue"
    assert titles[0].startswith("Ask 1 of Harbour Recovery Café: Done (")
    assert EVIDENCE in answered.content[0].value and answered.link.endswith("asks/#ask-1")
    for text in (asks_page, place, guide, str(feed)):
        assert "coord" not in text and NAMES["coord"] + " " not in text


def test_an_ask_needs_an_organisation_words_and_a_date(served):
    coord = served.client("coord")
    r = coord.post(
        "/asks/new",
        {"csrf": coord.token("/asks/new"), "organisation": "nowhere", "text": "", "scope": "x", "decide_by": "soon"},
    )
    assert r.status_code == 400
    text = said(r.text)
    for message in (
        "Choose the organisation the ask is for, from the map's places.",
        "What is asked: write it in plain words first.",
        "The decision date: write it like 2027-01-31.",
        "Say where the ask comes from: listeners' feedback, a presenter's proposal or a group's request.",
    ):
        assert message in text
    assert served.client("sam").get("/asks/new").status_code == 403
    # A call typed in can be about a published episode too.
    assert 'value="episode:night-talk/awake-at-three">Awake at three (Night Talk)' in coord.get("/feedback/queue").text


def test_an_entry_past_its_review_date_is_flagged_to_coordinators_and_the_listing_is_shown(served):
    entry = served.config.content_dir / "resources" / f"{NORTHGATE}.yaml"
    entry.write_text(entry.read_text().replace("review_by: 2027-03-31", "review_by: 2026-11-01"))
    problems = served.client("coord").get("/problems").text
    assert "Map entries due for review" in problems
    assert "Northgate Pharmacy needle exchange" in said(problems) and "2026-11-01" in problems
    assert "check it with the service, then update `last_checked` and set a new `review_by`" in said(problems)
    build(served, CLOCK)
    place = said(site(served, f"map/{HARBOUR}/index.html"))
    assert (
        "Checked by peers (Night Owl Buddies volunteers) on 14 October 2026; due to be checked again by "
        "14 October 2027." in place
    )
    assert "Signed the recovery alliance's principles on 12 March 2026." in place
    assert "Has not signed the recovery alliance's principles." in said(site(served, f"map/{NORTHGATE}/index.html"))
    assert "Self-reported by the organisation (Samaritans' local branch)" in said(
        site(served, "map/samaritans/index.html")
    )


def test_a_signed_entry_says_when(tmp_path):
    from station.validation import validate

    base = {
        "name": "A place",
        "kind": "health",
        "summary": "Somewhere.",
        "locality": "Here",
        "hours": "always",
        "access": ["drop-in"],
        "last_checked": "2026-10-01",
    }
    meta, problems = validate(resources_mod.ResourceMeta, {**base, "principles": {"signed": True}}, "x.yaml")
    assert meta is None
    assert [p.what for p in problems] == [
        "`principles`: say when it signed the principles, like `principles: {signed: true, date: 2026-03-01}`"
    ]
    meta, problems = validate(resources_mod.ResourceMeta, {**base, "check": "guessed"}, "x.yaml")
    assert meta is None and "`check`" in problems[0].what


def test_asks_answers_and_feedback_go_with_the_station_in_a_backup(tmp_path):
    from station import backup as backup_mod
    from station.involvement import Involvement, path_of, public_asks
    from tests.desk import fresh_station

    config = config_mod.load(fresh_station(tmp_path / "old"))
    store = Involvement.of(config)
    store.add_feedback("A message", "phone", None)
    ask = store.add_ask(
        HARBOUR, ASK_1, ["rc.community"], "Evenings.", dt.date(2027, 2, 1), "feedback", 1, dt.date(2026, 12, 1)
    )
    store.answer(ask, "will", "From February.", dt.date(2026, 12, 2))
    archive = tmp_path / "b.tar.gz"
    backup_mod.backup(config, archive, dt.datetime(2026, 12, 3, tzinfo=dt.UTC))  # while the store is open
    store.close()
    backup_mod.restore(archive, tmp_path / "new")
    restored = config_mod.load(tmp_path / "new")
    assert path_of(restored).stat().st_mode & 0o777 == 0o600
    assert public_asks(restored, dt.date(2027, 3, 1)) == public_asks(config, dt.date(2027, 3, 1))
    published = public_asks(restored, dt.date(2027, 3, 1))
    assert [a["answers"][0]["words"] for a in published] == ["From February."]
    assert set(published[0]) == {  # what the site is given: nothing about who raised it
        "id",
        "organisation",
        "text",
        "nodes",
        "scope",
        "decide_by",
        "raised",
        "source",
        "answers",
        "overdue_days",
    }
    assert [f.message for f in Involvement.of(restored).feedback()] == ["A message"]


def test_a_damaged_store_is_said_plainly(tmp_path):
    from station.errors import StateError
    from station.involvement import path_of, public_asks
    from tests.desk import fresh_station

    config = config_mod.load(fresh_station(tmp_path))
    path_of(config).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError) as caught:
        public_asks(config, dt.date(2027, 1, 1))
    assert str(caught.value) == (
        f"the station's record {path_of(config)} cannot be read (file is not a database) — restore it from the "
        "station's backup (`station restore`); it is not a cache and must not be deleted"
    )
