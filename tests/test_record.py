"""A contributor's own record over real HTTP: their episodes and airtime from a test night, training and
offers logged by a coordinator, the statement as text and as a one-page PDF, and nobody else's eyes."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from station.desk import episodes as episodes_mod
from station.radio import nights as nights_mod
from station.radio.playlist import Night, Slot
from tests.desk import Served, csrf_of, desk_station, said

ZONE = ZoneInfo("Europe/London")


@pytest.fixture
def served(demo, tmp_path):
    with Served(desk_station(demo, tmp_path)) as s:
        yield s


def episodes_of(served, username: str) -> dict[str, str]:
    """GUID → title of the episodes this account looks after."""
    owner = served.desk.accounts.by_name(username).id
    views = episodes_mod.all_views(served.config, served.desk.accounts.owners())
    return {v.guid: v.title for v in views if v.owner == owner and v.guid}


def pin(served, night: dt.date, slots: list[tuple[str | None, float]]) -> None:
    """A pinned night of these (GUID or None for an ident, seconds) slots, one after another."""
    start = dt.datetime.combine(night, dt.time(23, 0), ZONE)
    made, at = [], 0.0
    for guid, seconds in slots:
        kind = "episode" if guid else "ident"
        made.append(Slot(at, seconds, kind, "x", "content/x.mp3", "Night", guid=guid))
        at += seconds
    folder = nights_mod.folder(served.config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{night.isoformat()}.json").write_text(
        Night(night, "week.yaml", start, start + dt.timedelta(hours=6), made).to_json()
    )


def test_a_presenters_statement_lists_exactly_their_episodes_and_airtime(served):
    for old in nights_mod.folder(served.config).glob("*.json"):
        old.unlink()  # the demo build's own nights: this test's night is the only one
    sams, robins = episodes_of(served, "sam"), episodes_of(served, "robin")
    assert sams and robins
    (a, a_title), (b, b_title) = sorted(sams.items(), key=lambda kv: kv[1])[:2]
    robin = next(iter(robins))
    pin(served, dt.date(2026, 11, 20), [(a, 600), (robin, 300), (None, 30), (b, 420), (a, 120)])
    pin(served, dt.date(2999, 1, 1), [(a, 3000)])  # not aired yet: not counted

    sam = served.client("sam")
    r = sam.get("/record/statement.txt")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = r.text
    made = text.split("Episodes made (", 1)[1].split("\n\n", 1)[0]
    listed = [line.strip()[2:].split(" (")[0] for line in made.splitlines()[1:]]
    assert sorted(listed) == sorted(sams.values())
    assert not any(title in text for title in robins.values())
    airtime = text.split("Airtime on the night-owl stream\n", 1)[1].split("\n\n", 1)[0]
    assert airtime.splitlines() == sorted(
        [
            "  - In all: 19 minutes over 1 night.",
            f"  - {a_title}: 12 minutes, on the nights of 2026-11-20",
            f"  - {b_title}: 7 minutes, on the nights of 2026-11-20",
        ],
        key=lambda line: (not line.startswith("  - In all"), line.lower()),
    )
    assert "Live shows\n  - 0\n" in text
    assert "Private: for you and the station's coordinators only. None of it is ever published." in text

    pdf = sam.get("/record/statement.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    words = " ".join(reader.pages[0].extract_text().split())
    for title in sams.values():
        assert title in words
    assert "In all: 19 minutes over 1 night." in words
    assert not any(title in words for title in robins.values())


def test_training_and_offers_are_logged_by_coordinators_and_answered_by_the_presenter(served):
    sam_id = served.desk.accounts.by_name("sam").id
    coord = served.client("coord")
    page = coord.get(f"/people/{sam_id}").text
    r = coord.post(
        f"/people/{sam_id}",
        {
            "csrf": csrf_of(page),
            "action": "training",
            "date": "2026-11-03",
            "what": "Interviewing workshop",
            "skills": ["interviewing", "editing"],
        },
    )
    assert r.status_code == 303
    r = coord.post(
        f"/people/{sam_id}",
        {
            "csrf": csrf_of(page),
            "action": "offer",
            "date": "2026-11-10",
            "kind": "payment",
            "what": "£40 for the series",
        },
    )
    assert r.status_code == 303
    bad = coord.post(f"/people/{sam_id}", {"csrf": csrf_of(page), "action": "training", "date": "soon", "what": "x"})
    assert bad.status_code == 400 and "The date: write it like 2026-12-01." in said(bad.text)

    sam = served.client("sam")
    mine = sam.get("/record").text
    assert "2026-11-03: Interviewing workshop (interviewing, editing)" in said(mine)
    assert "interviewing, editing" in said(mine)
    offer = sam.post("/record", {"csrf": csrf_of(mine), "action": "answer-offer", "offer": "1", "state": "accepted"})
    assert offer.status_code == 303
    assert "2026-11-10: Payment: £40 for the series (accepted)" in sam.get("/record/statement.txt").text
    # Sam cannot log their own training, nor answer someone else's offer.
    assert (
        sam.post(
            "/record", {"csrf": csrf_of(mine), "action": "training", "date": "2026-11-03", "what": "x"}
        ).status_code
        == 403
    )


def test_nobody_else_sees_a_record(served):
    sam_id = served.desk.accounts.by_name("sam").id
    served.desk.accounts.add("harbour", "responder pass 1", "responder", "")
    robin = served.client("robin")
    for path in (f"/people/{sam_id}", f"/people/{sam_id}/statement.pdf", f"/people/{sam_id}/statement.txt"):
        assert robin.get(path).status_code == 404, path
    assert robin.get("/people").status_code == 403
    responder = served.client()
    responder.sign_in("harbour", "responder pass 1")
    for path in ("/record", "/record/statement.txt", f"/people/{sam_id}", "/people"):
        assert responder.get(path).status_code == 403, path
    assert served.client("coord").get(f"/people/{sam_id}/statement.txt").status_code == 200
    assert served.client().get("/record").status_code == 302
