"""Listener feedback over real HTTP: the desk's one public door, its limits, and what it never keeps.

The sender's address is given as X-Forwarded-For from a trusted proxy (the
test's own loopback), so it is an address that appears nowhere else and can
be looked for in every file the station holds afterwards.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.config import FEEDBACK_BODY
from station.desk.feedback import Throttle
from station.involvement import Involvement, path_of
from tests.desk import Served, csrf_of, fresh_station, said

SENDER = "203.0.113.77"  # TEST-NET-3: nobody's address
PROXY = '[desk]\ntrusted_proxies = ["127.0.0.1"]\npublic_url = "https://desk.night-owls.example.org/"\n'
THANKS = (
    "Thank you Your message reached the station's coordinators. They read every one; nobody can tell who "
    "sent it. What the station asks of local services, and what they answer, is on the website's Asks page."
)
WAIT = (
    "Please wait a minute A lot of messages came from your connection in the last minute, so this one was "
    "not kept. Wait a minute, then send it again: we do want to hear it."
)


@pytest.fixture
def served(tmp_path):
    with Served(fresh_station(tmp_path, PROXY)) as s:
        yield s


def send(base: str, data, sender: str = SENDER, **kw) -> requests.Response:
    return requests.post(
        base + "/feedback", data=data, headers={"X-Forwarded-For": sender}, timeout=30, allow_redirects=False, **kw
    )


def words(r: requests.Response) -> str:
    """The answer's heading and message, as a reader gets them (without the link back)."""
    main = r.text.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return said(main).removesuffix(" Back to Night Owls Radio")


def holding(root: Path, needle: bytes) -> list[str]:
    """Every file under the station's private folders (and its site) whose bytes hold `needle`."""
    found = []
    for folder in (".station", "records", "site"):
        for path in (root / folder).rglob("*") if (root / folder).exists() else []:
            if path.is_file() and needle in path.read_bytes():
                found.append(str(path.relative_to(root)))
    return found


def test_a_listener_sends_feedback_without_signing_in_and_nothing_of_them_is_kept(served, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, waitress's and Flask's included
    r = send(
        served.base,
        {
            "message": "The café's Friday evening saved my week. Could it open on Sundays too?",
            "about": "place:harbour-recovery-cafe",
            "back": "map/harbour-recovery-cafe/",
            "website": "",
        },
    )
    assert r.status_code == 200, r.text
    assert words(r) == THANKS
    assert "Set-Cookie" not in r.headers
    assert 'href="https://night-owls.example.org/map/harbour-recovery-cafe/"' in r.text
    # A coordinator finds it in the queue, with what it is about; a presenter and a stranger do not.
    queue = served.client("coord").get("/feedback/queue")
    assert "Feedback (1 new)" in said(queue.text)
    assert "Could it open on Sundays too?" in queue.text and "the place harbour-recovery-cafe" in queue.text
    assert served.client("sam").get("/feedback/queue").status_code == 403
    assert served.client().get("/feedback/queue").status_code == 302
    # Nowhere a trace of who sent it: no file the station holds, no log line.
    served.desk.accounts.db.commit()
    root = served.config.root
    assert holding(root, SENDER.encode()) == []
    assert SENDER not in caplog.text
    stored = Involvement(path_of(served.config)).feedback()
    assert [(f.channel, f.about) for f in stored] == [("site", "place:harbour-recovery-cafe")]


def test_the_21st_post_in_a_minute_from_one_address_is_refused_politely(served):
    for i in range(20):
        assert send(served.base, {"message": f"message {i}"}).status_code == 200, i
    refused = send(served.base, {"message": "one more"})
    assert refused.status_code == 429
    assert words(refused) == WAIT
    assert send(served.base, {"message": "from someone else"}, sender="198.51.100.9").status_code == 200
    kept = [f.message for f in Involvement(path_of(served.config)).feedback()]
    assert "one more" not in kept and len(kept) == 21


def test_the_limit_forgets_an_address_after_a_minute_and_holds_only_so_many():
    throttle = Throttle(limit=2, window=60, most=3)
    assert [throttle.allow(SENDER, now=t) for t in (0, 1, 2)] == [True, True, False]
    assert throttle.allow(SENDER, now=61) is True  # the first post has left the window
    for who in "bcde":
        throttle.allow(who, now=62)
    assert len(throttle.seen) <= 4  # the oldest are forgotten past `most`
    assert all(len(key) == 32 for key in throttle.seen)  # keyed hashes, never the address itself
    assert SENDER.encode() not in b"".join(throttle.seen)


def test_what_the_door_refuses(served):
    base = served.base
    bot = send(base, {"message": "buy now", "website": "https://spam.example"})
    assert bot.status_code == 200 and words(bot) == THANKS  # thanked, and thrown away
    empty = send(base, {"message": "   "})
    assert empty.status_code == 400
    assert words(empty) == "Nothing was sent The message was empty. Go back, write something and send it."
    long = send(base, {"message": "x" * 2001})
    assert long.status_code == 413
    assert words(long) == (
        "That message is too long A message can be up to 2,000 characters, and this was longer, so it was not "
        "kept. Go back, make it shorter (or send it in two), and send it again."
    )
    huge = send(base, {"message": "x" * (FEEDBACK_BODY + 10)})
    assert huge.status_code == 413 and "That message is too long" in huge.text
    control = send(base, {"message": "hello\x00there"})
    assert control.status_code == 400 and "invisible control character" in control.text
    upload = send(base, None, files={"message": ("a.txt", b"hi")})
    assert upload.status_code == 400
    odd = send(base, {"message": "about nothing we know", "about": "../../etc", "back": "https://elsewhere.example/"})
    assert odd.status_code == 200 and 'href="https://night-owls.example.org/"' in odd.text
    kept = Involvement(path_of(served.config)).feedback()
    assert [(f.message, f.about) for f in kept] == [("about nothing we know", None)]
    assert list((served.config.state_dir / "uploads").glob("*")) == []


def test_a_coordinator_types_in_a_call_and_every_form_needs_its_token(served):
    coord = served.client("coord")
    page = coord.get("/feedback/queue").text
    assert 'value="place:harbour-recovery-cafe"' in page and 'value="node:rc.social"' in page
    data = {"action": "add", "channel": "phone", "message": "Caller: the walk leaves too early.", "about": "node:rc"}
    assert coord.post("/feedback/queue", data).status_code == 400  # no token
    r = coord.post("/feedback/queue", {**data, "csrf": csrf_of(page)})
    assert r.status_code == 303
    listed = coord.get(r.headers["Location"]).text
    assert "Caller: the walk leaves too early." in listed and "a phone call" in listed
    assert "The message was added to the queue." in said(listed)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=2_000),
        st.dictionaries(
            st.sampled_from(["message", "about", "back", "website", "x", "message[]"]),
            st.text(max_size=3_000),
            max_size=5,
        ),
        st.integers(min_value=FEEDBACK_BODY - 5, max_value=FEEDBACK_BODY + 5).map(lambda n: b"message=" + b"a" * n),
    ),
    kind=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "", "application/json"]
    ),
    sender=st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::7", "not an address"]),
)
def test_any_body_gives_a_plain_answer_and_never_a_stored_address(served, body, kind, sender):
    headers = {"X-Forwarded-For": sender}
    if kind:
        headers["Content-Type"] = kind
    r = requests.post(served.base + "/feedback", data=body, headers=headers, timeout=30)
    assert r.status_code in (200, 400, 413, 429), (r.status_code, r.text[:300])
    assert "Set-Cookie" not in r.headers
    for address in ("192.0.2.1", "192.0.2.2", "2001:db8::7"):
        assert holding(served.config.root, address.encode()) == []


def test_a_body_announced_too_large_is_not_read(served):
    """The gate answers from the headers: the body is never read, and the connection is closed."""
    host, port = served.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            b"POST /feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100000000\r\n\r\nmessage="
        )
        answer = s.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413")
