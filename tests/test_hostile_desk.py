"""The desk's part of the hostile corpus: what a careless or hostile visitor sends, and exactly what they get.

One table, over real HTTP against the real served desk (one station for the module; no case changes
content/ or scheduler/, which is checked at the end). Each row: the case, who sends it, the request, the
status, and the words the page must say (a redirect's target for a 302). `{eid}` is one of Sam's
episodes, `{upload}` the upload form's address with its token.
"""

from __future__ import annotations

import re
import socket

import pytest

from tests.conftest import tree_hashes
from tests.desk import PASSWORDS, Served, action_of, csrf_of, episode_ids, fresh_station, said, schedule_form

CONTROL = (
    "it holds an invisible control character (U+{code}) at character {at}, which podcast apps and web pages "
    "cannot show — retype that part, or paste it as plain text"
)
SCHEDULE = "/schedule/edit?file=scheduler/night-owls.yaml"
UPLOAD = {
    "show": "small-steps",
    "title": "Tea at four",
    "description": "A short one.",
    "presenter_name": "Sam",
    "tier": "first-name",
    "consent": "yes",
    "scope": ["podcast"],
}
FORM_TOO_LARGE = (
    "A form can hold up to 1024 KB in 5000 fields, and this one held more, so nothing was read or "
    "changed. Go back and send less at once; a coordinator can raise the limit in station.toml "
    "([desk] max_form_kb)."
)

CASES = [
    # (case, user, method, path, fields, status, what the page says)
    (
        "owner given as a superscript two",
        "coord",
        "POST",
        "/episodes/{eid}/owner",
        {"owner": "²"},
        400,
        "Choose one of the desk's accounts from the list, or nobody.",
    ),
    (
        "owner given as Arabic-Indic digits",
        "coord",
        "POST",
        "/episodes/{eid}/owner",
        {"owner": "٣"},
        400,
        "Choose one of the desk's accounts from the list, or nobody.",
    ),
    (
        "a user name with a NUL",
        "coord",
        "POST",
        "/accounts",
        {"action": "add", "username": "sa\x00m", "password": "a long password", "role": "presenter"},
        400,
        "The user name: " + CONTROL.format(code="0000", at=3) + ".",
    ),
    (
        "a presenter name with an escape",
        "coord",
        "POST",
        "/accounts",
        {
            "action": "add",
            "username": "jo",
            "password": "a long password",
            "role": "presenter",
            "presenter_name": "Jo\x1b[31m",
        },
        400,
        "The presenter name: " + CONTROL.format(code="001B", at=3) + ".",
    ),
    (
        "a role that does not exist",
        "coord",
        "POST",
        "/accounts",
        {"action": "add", "username": "jo", "password": "a long password", "role": "superuser"},
        400,
        "The role is presenter, coordinator or responder, not 'superuser'.",
    ),
    (
        "a password of 5,000 characters",
        "coord",
        "POST",
        "/accounts",
        {"action": "add", "username": "jo", "password": "p" * 5000, "role": "presenter"},
        400,
        "A password can be up to 1024 characters.",
    ),
    (
        "three million blocks",
        "coord",
        "POST",
        SCHEDULE,
        {"blocks": "3000000"},
        400,
        "scheduler/night-owls.yaml: a schedule can have from 0 to 200 blocks, and this form said 3000000 — reload "
        "the schedule and try again.",
    ),
    (
        "minus one block",
        "coord",
        "POST",
        SCHEDULE,
        {"blocks": "-1"},
        400,
        "scheduler/night-owls.yaml: a schedule can have from 0 to 200 blocks, and this form said -1 — reload the "
        "schedule and try again.",
    ),
    (
        "blocks given as a superscript two",
        "coord",
        "POST",
        SCHEDULE,
        {"blocks": "²"},
        400,
        "scheduler/night-owls.yaml: the number of blocks: “²” is not a number — write a number, like 30",
    ),
    (
        "a share of the night that is not a number",
        "coord",
        "POST",
        SCHEDULE,
        {"presenter_max_percent": "nan"},
        400,
        "scheduler/night-owls.yaml: Most of a night one presenter may have (%): “nan” is not a number — write a "
        "number, like 30",
    ),
    (
        "a schedule name with a NUL",
        "coord",
        "POST",
        SCHEDULE,
        {"name": "Night\x00"},
        400,
        "scheduler/night-owls.yaml: The schedule's name: it holds an invisible control character (U+0000) at "
        "character 6, which podcast apps and web pages cannot show — retype that part, or paste it as plain text.",
    ),
    ("a block moved by a superscript index", "coord", "POST", SCHEDULE, {"action": "up-²"}, 200, "Nothing changed."),
    (
        "a schedule file outside scheduler/",
        "coord",
        "GET",
        "/schedule/edit?file=../station.toml",
        None,
        404,
        "That is not one of the schedule files in scheduler/.",
    ),
    (
        "tonight for a night that is not a date",
        "coord",
        "GET",
        "/tonight?night=²⁰²⁶",
        None,
        200,
        "“²⁰²⁶” is not a date: write it like 2026-12-24.",
    ),
    (
        "tonight for the last night of year 9999",
        "coord",
        "GET",
        "/tonight?night=9999-12-31",
        None,
        200,
        "Choose a night between 1970 and 2999.",
    ),
    (
        "a transcript correction with a NUL",
        "sam",
        "POST",
        "/episodes/{eid}/transcript",
        {"correction": "I stayed\x00 in"},
        400,
        "Nothing was saved. The corrected transcript cannot be kept as it is: "
        + CONTROL.format(code="0000", at=9)
        + ".",
    ),
    (
        "a transcript correction of only breaks",
        "sam",
        "POST",
        "/episodes/{eid}/transcript",
        {"correction": "\x0b\u2028\r\n"},
        400,
        "Nothing was saved: the corrected transcript needs the words of the whole episode. Go back and try again.",
    ),
    (
        "a pause until a date in full-width digits",
        "sam",
        "POST",
        "/pause",
        {"until": "２０２６-12-31"},  # noqa: RUF001 -- fullwidth digits, which int() would take
        400,
        "Give the last night of the pause as a date, like 2026-12-31, or leave it empty to pause until you come back.",
    ),
    (
        "a pause for a presenter named with a NUL",
        "coord",
        "POST",
        "/pause",
        {"presenter": "Ro\x00bin"},
        400,
        "The presenter's name cannot be used as it is: " + CONTROL.format(code="0000", at=3) + ".",
    ),
    (
        "an upload whose title holds a NUL",
        "sam",
        "POST",
        "{upload}",
        {**UPLOAD, "title": "Tea\x00 at four"},
        400,
        "Title: " + CONTROL.format(code="0000", at=4) + ".",
    ),
    (
        "an upload credited to another presenter",
        "sam",
        "POST",
        "{upload}",
        {**UPLOAD, "presenter_name": "Robin"},
        400,
        "Your name: you can credit an episode only to your own presenter name, Sam. To be credited under another "
        "name (a pseudonym, say), ask a coordinator to change the name on your account.",
    ),
    (
        "an upload to a show that is a path",
        "sam",
        "POST",
        "{upload}",
        {**UPLOAD, "show": "../../scheduler"},
        400,
        "Choose one of the station's shows.",
    ),
    ("a form of two megabytes", "sam", "POST", "/pause", {"until": "x" * (2 << 20)}, 413, FORM_TOO_LARGE),
    (
        "a form of six thousand fields",
        "sam",
        "POST",
        "/pause",
        {f"f{i}": "1" for i in range(6000)},
        413,
        FORM_TOO_LARGE,
    ),
    (
        "a big upload without its form's token",
        "sam",
        "POST",
        "/upload",
        {**UPLOAD, "title": "x" * (2 << 20)},
        400,
        "This form had expired or did not come from the desk. Go back, reload the page and try again.",
    ),
    ("a sign-in sent elsewhere through CR LF", None, "SIGN-IN", "/sign-in?next=/%0d%0a//x", None, 302, "/"),
    ("a sign-in sent elsewhere through a tab", None, "SIGN-IN", "/sign-in?next=/%09/evil.example", None, 302, "/"),
    ("a sign-in sent elsewhere through a backslash", None, "SIGN-IN", "/sign-in?next=/%5Cevil.example", None, 302, "/"),
    (
        "a user name with a NUL at sign-in",
        None,
        "POST",
        "/sign-in",
        {"username": "sam\x00", "password": "x"},
        401,
        "That user name and password do not match. Check them and try again.",
    ),
    (
        "an episode address with a NUL",
        "sam",
        "GET",
        "/episodes/%00",
        None,
        404,
        "There is nothing here, or it is not yours to see.",
    ),
    (
        "a method the desk does not take",
        "sam",
        "PUT",
        "/",
        None,
        405,
        "The desk does not do that here. Go back to the desk and try again.",
    ),
    (
        "a gigabyte announced without signing in",
        None,
        "RAW",
        "/upload",
        1 << 30,
        401,
        "You are not signed in (or you were signed out), so the desk did not take what you sent. Sign in, then send "
        "it again.",
    ),
    ("a gigabyte announced to the sign-in page", None, "RAW", "/sign-in", 1 << 30, 413, FORM_TOO_LARGE),
    ("an address of 70 KB", None, "RAW-PATH", "/" + "a" * 70_000, 0, 431, "Request Header Fields Too Large"),
    ("an address that looks like another host", None, "RAW-PATH", "//[", 0, 302, "Location: /sign-in"),
    (
        "an address with a raw NUL and bytes that are not UTF-8",
        None,
        "RAW-PATH",
        "/episodes/%00%ff%fe",
        0,
        302,
        "Location: /sign-in",
    ),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = fresh_station(tmp_path_factory.mktemp("hostile-desk"))
    with Served(root) as s:
        s.users = {user: s.client(user) for user in PASSWORDS}
        s.before = tree_hashes(root / "content"), tree_hashes(root / "scheduler")
        yield s
    assert (tree_hashes(root / "content"), tree_hashes(root / "scheduler")) == s.before


@pytest.mark.parametrize("case, user, method, path, fields, status, says", CASES, ids=[c[0] for c in CASES])
def test_hostile_desk(served, case, user, method, path, fields, status, says):
    if method.startswith("RAW"):
        answer = _raw(served.server.effective_port, method, path, fields)
        assert re.match(rf"HTTP/1\.[01] {status} ".encode(), answer), answer[:300]
        assert says in said(answer), said(answer)[-600:]
        return
    client = served.users[user] if user else served.client()
    if "{eid}" in path:
        path = path.replace("{eid}", episode_ids(served.users["sam"].get("/").text)[0])
    if method == "SIGN-IN":
        r = client.post(path, {"csrf": client.token("/sign-in"), "username": "robin", "password": PASSWORDS["robin"]})
        assert r.status_code == status and r.headers["Location"] == says
        return
    if method == "GET" or method == "PUT":
        r = client._send(method, path)
    else:
        shown = {"{upload}": "/upload", "/sign-in": "/sign-in", SCHEDULE: SCHEDULE}.get(path, "/")
        page = client.get(shown).text
        path = action_of(page) if path == "{upload}" else path
        files = {"recording": ("tea.mp3", b"ID3 not really")} if "show" in fields else None
        base = schedule_form(page) if path == SCHEDULE else {}  # the form as the page fills it, then the case
        r = client.post(path, {**base, "csrf": csrf_of(page), **fields}, files=files)
    assert r.status_code == status, (case, said(r.text)[-600:])
    assert says in said(r.text), said(r.text)[-800:]


def _raw(port: int, kind: str, path: str, length: int) -> bytes:
    s = socket.create_connection(("127.0.0.1", port))
    body = f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n" if kind == "RAW" else ""
    # Connection: close, so the answer ends where the server stops rather than at the timeout.
    head = f"{'POST' if kind == 'RAW' else 'GET'} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    s.sendall(f"{head}{body}\r\n".encode())
    s.settimeout(5)
    data = b""
    try:
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    except (TimeoutError, ConnectionResetError):
        pass
    s.close()
    return data
