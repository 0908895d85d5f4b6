"""Property tests over every desk form: any text in any field, fields missing or repeated, odd paths.

Posted by a signed-in presenter and a coordinator through Flask's test client (fast enough for a
Hypothesis loop; the server's own gate is tested over real HTTP in test_desk_hardening.py), each form
must answer a page — 2xx, 3xx or 4xx, never a 500 — and leave `content/` and `scheduler/` as they were
unless the form was valid (a redirect, or the pause page's confirmation). A few real-HTTP cases close.

The bounded "ci" profile runs here; `HYPOTHESIS_PROFILE=long` hunts longer.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station import config as config_mod
from station.desk.app import create_app
from station.text import refused
from tests.conftest import tree_hashes
from tests.desk import PASSWORDS, Served, csrf_of, episode_ids, fresh_station, schedule_form

# Text as people paste it, and as nobody would: control characters, other scripts, digits that are not
# ASCII, numbers Python reads but nobody means, paths, markup, a lot of it.
HOSTILE = [
    "",
    " ",
    "\x00",
    "\x0b",
    "a\x0cb",
    "\u2028",
    "\x85",
    "\x1b[31m",
    "\ufeff",
    "²",
    "٣",
    "١٢",
    "nan",
    "inf",
    "-1",
    "1e400",
    "9" * 5000,
    "0x10",
    "../../etc/passwd",
    "/%0d%0a//x",
    "{{ 7*7 }}",
    "<script>x</script>",
    "yes",
    "save",
    "add",
    "up-0",
    "down-²",
    "remove-9999999",
    "2026-02-30",
    "２０２６-12-31",  # noqa: RUF001 -- fullwidth digits, which int() would take
    "22:00",
    "25:61",
    "x" * 70_000,
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.characters(max_codepoint=0x9F), max_size=20),
)
VALUES = st.one_of(TEXT, st.lists(TEXT, min_size=2, max_size=4))  # a field given once, or repeated
# As many examples as the profile says (40 in "ci", 2,000 in "long"), fewer where each one signs in or
# checks a whole schedule.
SOME = settings.default.max_examples
FEW = max(10, SOME // 2)


def _fields(known: list[str]) -> st.SearchStrategy[dict]:
    """A form: some of the form's own fields (any values, possibly repeated) and perhaps one it never has."""
    return st.dictionaries(
        st.one_of(st.sampled_from(known), TEXT.filter(lambda k: 0 < len(k) < 30)), VALUES, max_size=len(known) + 1
    )


class Desk:
    """One station and its app, with a signed-in test client for each account."""

    def __init__(self, root):
        self.root = root
        self.app = create_app(config_mod.load(root), build=False)
        self.clients = {}
        for user in PASSWORDS:
            c = self.app.test_client()
            page = c.get("/sign-in").get_data(as_text=True)
            r = c.post("/sign-in", data={"csrf": csrf_of(page), "username": user, "password": PASSWORDS[user]})
            assert r.status_code == 302, r.get_data(as_text=True)
            self.clients[user] = c

    def token(self, user: str, path: str = "/") -> str:
        return csrf_of(self.clients[user].get(path).get_data(as_text=True))

    def trees(self) -> tuple:
        return tree_hashes(self.root / "content"), tree_hashes(self.root / "scheduler")


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    return Desk(fresh_station(tmp_path_factory.mktemp("properties")))


def _post(desk: Desk, user: str, path: str, fields: dict, token_page: str = "/", files=None):
    data = {k: v for k, v in fields.items() if k != "csrf"}
    data["csrf"] = desk.token(user, token_page)
    if files:
        data.update(files)
    return desk.clients[user].post(path, data=data, content_type="multipart/form-data" if files else None)


def _page_not_500(r) -> str:
    text = r.get_data(as_text=True)
    assert r.status_code < 500, text[-2000:]
    assert "Traceback" not in text
    return text


def _unchanged_unless_valid(desk: Desk, before: tuple, r, valid: bool) -> None:
    if not valid:
        assert desk.trees() == before, (r.status_code, r.get_data(as_text=True)[-1000:])


UPLOAD_FIELDS = [
    "show",
    "title",
    "description",
    "presenter_name",
    "tier",
    "consent",
    "scope",
    "expires",
    "content_notes",
    "topics",
    "redact",
    "published_at",
]


@settings(max_examples=SOME)
@given(
    fields=_fields(UPLOAD_FIELDS),
    user=st.sampled_from(["sam", "coord"]),
    recording=st.sampled_from(
        [None, ("notes.mp3", b"these are my notes"), ("empty.wav", b""), ("fake.flac", b"fLaC" + b"\x00" * 64)]
    ),
)
def test_any_upload_form_gets_a_page_and_writes_nothing_unless_valid(desk, fields, user, recording):
    before = desk.trees()
    files = {"recording": (io.BytesIO(recording[1]), recording[0])} if recording else None
    r = _post(desk, user, "/upload", fields, "/upload", files)
    _page_not_500(r)
    _unchanged_unless_valid(desk, before, r, r.status_code == 303)
    assert r.status_code in (200, 303, 400, 413)


@settings(max_examples=SOME)
@given(fields=_fields(UPLOAD_FIELDS), user=st.sampled_from(["sam", "coord"]))
def test_any_details_form_gets_a_page_and_a_valid_one_keeps_a_sidecar_the_build_reads(desk, fields, user):
    eid = _episode_of(desk, "sam")
    side = next((desk.root / "content" / "shows" / "small-steps").glob("*.yaml"))
    before = desk.trees()
    r = _post(desk, user, f"/episodes/{eid}/details", fields, f"/episodes/{eid}/details")
    _page_not_500(r)
    _unchanged_unless_valid(desk, before, r, r.status_code == 303)
    if r.status_code == 303:  # what was written is a sidecar with no character the feeds cannot carry
        assert refused(side.read_text(encoding="utf-8")) is None


@settings(max_examples=SOME)
@given(correction=VALUES, user=st.sampled_from(["sam", "coord"]))
def test_any_transcript_correction_is_saved_clean_or_refused(desk, correction, user):
    eid = _episode_of(desk, "sam")
    before = desk.trees()
    r = _post(desk, user, f"/episodes/{eid}/transcript", {"correction": correction})
    _page_not_500(r)
    assert r.status_code in (303, 400, 413)
    _unchanged_unless_valid(desk, before, r, r.status_code == 303)
    if r.status_code == 303:
        saved = next((desk.root / "content").rglob("*.transcript.txt")).read_text(encoding="utf-8")
        assert refused(saved) is None and saved.strip()


@settings(max_examples=FEW)
@given(
    fields=_fields(["confirm", "delete"]).filter(lambda f: "yes" not in str(f.get("confirm"))),
    user=st.sampled_from(["sam", "coord"]),
)
def test_a_withdrawal_form_without_its_confirmation_changes_nothing(desk, fields, user):
    eid = _episode_of(desk, "sam")
    before = desk.trees()
    r = _post(desk, user, f"/episodes/{eid}/withdraw", fields)
    _page_not_500(r)
    assert r.status_code == 400 and desk.trees() == before


@settings(max_examples=FEW)
@given(owner=VALUES)
def test_any_owner_form_gets_a_page(desk, owner):
    eid = _episode_of(desk, "coord")
    before = desk.trees()
    r = _post(desk, "coord", f"/episodes/{eid}/owner", {"owner": owner})
    _page_not_500(r)
    assert r.status_code in (303, 400) and desk.trees() == before


@settings(max_examples=SOME)
@given(fields=_fields(["presenter", "until", "action"]), user=st.sampled_from(["sam", "coord"]))
def test_any_pause_form_gets_a_page(desk, fields, user):
    before = desk.trees()
    r = _post(desk, user, "/pause", fields, "/pause")
    text = _page_not_500(r)
    valid = r.status_code == 200 and ("is paused from the overnight stream" in text or "is back on" in text)
    _unchanged_unless_valid(desk, before, r, valid)


@settings(max_examples=SOME)
@given(fields=_fields(["action", "user", "username", "password", "role", "presenter_name"]))
def test_any_accounts_form_gets_a_page_and_names_are_clean(desk, fields):
    before = desk.trees()
    r = _post(desk, "coord", "/accounts", fields, "/accounts")
    _page_not_500(r)
    assert desk.trees() == before
    for account in desk.app.extensions["desk"].accounts.users():
        assert refused(account.username) is None and refused(account.presenter_name) is None
    assert desk.app.extensions["desk"].accounts.by_name("coord").coordinator  # still there, still coordinating


SCHEDULE = "/schedule/edit?file=scheduler/night-owls.yaml"


@settings(max_examples=FEW)
@given(
    changes=st.dictionaries(
        st.one_of(
            st.sampled_from(
                [
                    "blocks",
                    "notes_after",
                    "name",
                    "window_start",
                    "window_end",
                    "ident_every_min",
                    "signpost_every_min",
                    "no_repeat_nights",
                    "presenter_max_percent",
                    "newcomer_percent",
                    "newcomer_days",
                    "action",
                    "revision",
                    "block-0-name",
                    "block-0-days",
                    "block-0-start",
                    "block-0-end",
                    "block-0-origin",
                    "block-0-fill-shows",
                    "block-0-standby-files",
                    "block-1-fill-files",
                    "notes_after-0-notes",
                    "notes_after-0-after",
                ]
            ),
            TEXT,
        ),
        VALUES,
        max_size=5,
    ),
    dropped=st.lists(
        st.sampled_from(["blocks", "name", "window_start", "signpost_every_min", "block-0-days"]), max_size=2
    ),
)
def test_any_schedule_form_gets_a_page_and_saves_only_what_the_check_passes(desk, changes, dropped):
    form = _schedule_fields(desk)
    for key in dropped:
        form.pop(key, None)
    form.update(changes)
    before = desk.trees()
    r = _post(desk, "coord", SCHEDULE, form, SCHEDULE)
    _page_not_500(r)
    _unchanged_unless_valid(desk, before, r, r.status_code == 303)


@settings(max_examples=FEW)
@given(username=TEXT, password=TEXT, nxt=TEXT)
def test_any_sign_in_gets_a_page_and_never_leaves_the_desk(desk, username, password, nxt):
    c = desk.app.test_client()
    page = c.get("/sign-in").get_data(as_text=True)
    r = c.post(
        "/sign-in", query_string={"next": nxt}, data={"csrf": csrf_of(page), "username": username, "password": password}
    )
    _page_not_500(r)
    assert r.status_code in (200, 302, 400, 401, 413, 429)
    if r.status_code == 302:
        assert r.headers["Location"].startswith("/") and not r.headers["Location"].startswith("//")


PATH = st.one_of(
    st.sampled_from(
        [
            "/%00",
            "/%ff%fe",
            "/episodes/%00/details",
            "/episodes/" + "a" * 5000,
            "/static/../../station.toml",
            "/static/%2e%2e/%2e%2e/station.toml",
            "//evil.example/",
            "/tonight?night=%c2%b2",
            "/schedule/edit?file=../../etc/passwd",
            "/schedule/edit?file=scheduler/paused.yaml",
            "/episodes/x/audio",
            "/sign-in?next=%0d%0aSet-Cookie:x=1",
        ]
    ),
    # (Flask's test client reads a leading // as a host; real HTTP is in the hostile corpus.)
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40).map(lambda p: "/" + p.lstrip("/")),
)


@settings(max_examples=SOME)
@given(
    path=PATH,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]),
    user=st.sampled_from([None, "sam", "coord"]),
)
def test_any_path_gets_a_page(desk, path, method, user):
    before = desk.trees()
    c = desk.clients[user] if user else desk.app.test_client()
    r = c.open(path, method=method, data={"csrf": desk.token(user)} if user and method == "POST" else None)
    assert r.status_code < 500, (path, method, r.get_data(as_text=True)[-1000:])
    assert desk.trees() == before


def _episode_of(desk: Desk, user: str) -> str:
    return episode_ids(desk.clients[user].get("/").get_data(as_text=True))[0]


def _schedule_fields(desk: Desk) -> dict:
    page = desk.clients["coord"].get(SCHEDULE).get_data(as_text=True)
    return {k: v if len(v) > 1 else v[0] for k, v in schedule_form(page).items()}


# ---------------------------------------------------------------- a few of them over real HTTP


@pytest.mark.slow
def test_odd_values_over_real_http(tmp_path):
    root = fresh_station(tmp_path)
    schedule = root / "scheduler" / "night-owls.yaml"
    with Served(root) as served:
        coord = served.client("coord")
        before = tree_hashes(root / "content"), schedule.read_bytes()
        token = coord.token("/")
        eid = episode_ids(coord.get("/").text)[0]
        for value in ("\x00", "\x0b\x0c", "²", "9" * 5000, "x" * 70_000):
            for path, data in (
                (f"/episodes/{eid}/owner", {"owner": value}),
                ("/pause", {"until": value}),
                ("/accounts", {"action": "role", "user": value, "role": value}),
                (SCHEDULE, {"blocks": value, "name": value}),
                (f"/episodes/{eid}/details", {"title": value, "presenter_name": value}),
            ):
                r = coord.post(path, {"csrf": token, **data})
                assert r.status_code in (200, 303, 400, 413), (path, r.status_code, r.text[-500:])
                assert not re.search(r"Traceback|Internal Server Error", r.text)
        # (A pause with an empty or blank date is a valid one, until resumed: paused.yaml may change.)
        assert (tree_hashes(root / "content"), schedule.read_bytes()) == before
