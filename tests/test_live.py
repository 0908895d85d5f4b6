"""Live presenters, the quick parts: live blocks in a schedule and in a night's running order, the hand-over
decisions, and the desk's live page and the door Icecast asks (the real desk on a loopback port).

The stream with a real Icecast, a real source client that connects late, drops and comes back, is
tests/test_live_stream.py (the stream tier).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import time
from zoneinfo import ZoneInfo

import pytest
import requests

from station import config as config_mod
from station.desk import live_pages
from station.desk.accounts import Accounts
from station.radio import live
from station.radio import schedule as schedule_mod
from station.radio.library import Library
from station.radio.playlist import SIGNPOST_TITLE, Night, assemble
from tests.desk import Served, fresh_station, said
from tests.test_playlist import NIGHT, load, root, schedule_yaml, sounds, track  # noqa: F401 (root: a fixture)

LIVE_BLOCKS = """
  - name: Talk
    start: "22:00"
    end: "23:00"
    fill: {shows: [talk]}
    standby: {files: [stream/standby/*.mp3]}
  - name: Café live
    start: "23:00"
    end: "00:00"
    live: {presenters: [sam], title: "Café Nocturne — Zoë's hour", show: talk}
    fill: {shows: [talk]}
    standby: {files: [stream/standby/*.mp3]}
  - name: Late
    start: "00:00"
    end: "02:00"
    fill: {shows: [talk]}
    standby: {files: [stream/standby/*.mp3]}
"""


# ---------------------------------------------------------------- the schedule and the running order
def test_a_live_block_is_an_ident_a_live_span_over_its_own_running_order_and_signposting_after(root):
    schedules = load(root, schedule_yaml(blocks=LIVE_BLOCKS))
    night = assemble(schedules, Library([track(i, minutes=9) for i in range(20)], sounds()), NIGHT)
    assert len(night.live) == 1
    span = night.live[0]
    assert (span.block, span.title, span.presenters, span.show) == (
        "Café live",
        "Café Nocturne — Zoë's hour",
        ("sam",),
        "talk",
    )
    # 23:00 is an hour in: the ident (5 s) as the presenter comes on, the signposting (20 s) straight after
    assert span.start_s == pytest.approx(3600 + 5)
    assert span.end_s == pytest.approx(7200 - 20)
    before = [s for s in night.slots if s.end_s == pytest.approx(span.start_s)]
    after = [s for s in night.slots if s.start_s == pytest.approx(span.end_s)]
    assert [s.kind for s in before] == ["ident"]
    assert [(s.kind, s.title) for s in after] == [("signpost", SIGNPOST_TITLE)]
    under = [s for s in night.slots if span.start_s - 0.001 <= s.start_s < span.end_s - 0.001]
    assert under[0].start_s == pytest.approx(span.start_s), "the running order under the span starts with it"
    assert under[-1].end_s == pytest.approx(span.end_s), "and ends with it, exactly"
    assert any(s.kind == "episode" for s in under)
    # what listeners see: the live show, once, not what stands in for it
    listed = night.public()
    live_items = [i for i in listed if i["kind"] == "live"]
    assert [i["title"] for i in live_items] == ["Café Nocturne — Zoë's hour"]
    assert live_items[0]["clock"] == "23:00"
    assert not [i for i in listed if i["kind"] == "episode" and "23:00" <= i["clock"] < "23:59"]
    # pinned and read back
    again = Night.from_json(night.to_json())
    assert again.live == night.live
    assert again.live_at(span.start_s + 10) == span and again.live_at(span.end_s + 1) is None


def test_a_live_block_s_recording_show_must_exist(root):
    (root / "scheduler" / "week.yaml").write_text(schedule_yaml(blocks=LIVE_BLOCKS.replace("show: talk", "show: tlak")))
    schedules = schedule_mod.load(config_mod.load(root), {"talk", "music"})
    said_ = [p.what for p in schedules.problems if p.is_error]
    assert said_ == ["the live block “Café live” records into the show “tlak”, which does not exist"]


def test_a_live_block_without_presenters_is_a_problem_at_its_line(root):
    (root / "scheduler" / "week.yaml").write_text(
        schedule_yaml(blocks=LIVE_BLOCKS.replace("presenters: [sam], ", "presenters: [], "))
    )
    schedules = schedule_mod.load(config_mod.load(root), {"talk", "music"})
    errors = [p for p in schedules.problems if p.is_error]
    assert len(errors) == 1 and "presenters" in errors[0].where + errors[0].what


def test_bookings_say_when_a_presenter_may_connect_with_the_lead_in(root):
    schedules = load(root, schedule_yaml(blocks=LIVE_BLOCKS))
    london = ZoneInfo("Europe/London")
    at = dt.datetime(2026, 11, 23, 22, 30, tzinfo=london)
    found = live.bookings(schedules, "SAM", at, days=1)
    assert [(b.night, b.starts.strftime("%H:%M"), b.ends.strftime("%H:%M")) for b in found][:2] == [
        (NIGHT, "23:00", "00:00"),
        (NIGHT + dt.timedelta(days=1), "23:00", "00:00"),
    ]
    assert live.bookings(schedules, "robin", at) == []
    lead = 10
    assert live.booking_now(schedules, "sam", dt.datetime(2026, 11, 23, 22, 49, tzinfo=london), lead) is None
    assert live.booking_now(schedules, "sam", dt.datetime(2026, 11, 23, 22, 50, tzinfo=london), lead) is not None
    assert live.booking_now(schedules, "sam", dt.datetime(2026, 11, 23, 23, 59, tzinfo=london), lead) is not None
    assert live.booking_now(schedules, "sam", dt.datetime(2026, 11, 24, 0, 0, tzinfo=london), lead) is None


# ---------------------------------------------------------------- the hand-over
@pytest.mark.parametrize(
    ("audio", "away", "wait", "mid", "expected"),
    [
        (True, 0, 60, False, "live"),  # their audio is arriving: on air, whatever else
        (True, 500, 8, True, "live"),  # back after a long drop, mid-item: straight back on air
        (False, 10, 60, False, "hold"),  # not there yet, within the grace time: standby
        (False, 61, 60, False, "order"),  # the grace time is over, at an item's start: the running order
        (False, 61, 60, True, "hold"),  # over, but mid-item: standby to the item's end, never half an episode
        (False, 3, 8, False, "hold"),  # dropped 3 s ago: standby, waiting for them
        (False, 9, 8, False, "order"),  # dropped longer than live_drop_s: the running order
    ],
)
def test_the_hand_over_decision(audio, away, wait, mid, expected):
    assert live.step(audio, live.Absence(away, wait), mid) == expected


# ---------------------------------------------------------------- the desk
def live_schedule(now: dt.datetime, presenters: str = "[sam]", from_min: int = -5, minutes: int = 60) -> str:
    """A regular week whose one live block (of `presenters`) starts `from_min` minutes from `now`."""
    local = now.astimezone(ZoneInfo("Europe/London"))
    at = (local.hour * 60 + local.minute + from_min) % 1440

    def clock(m: int) -> str:
        return f"{(m % 1440) // 60:02d}:{m % 60:02d}"

    return textwrap.dedent(f"""\
        name: Live test
        timezone: Europe/London
        window: {{start: "{clock(at - 30)}", end: "{clock(at + minutes + 30)}"}}
        material:
          idents: [stream/idents/*.mp3]
          signposts: [stream/signposts/*.mp3]
          beds: [stream/beds/*.mp3]
        blocks:
          - name: Before
            start: "{clock(at - 30)}"
            end: "{clock(at)}"
            fill: {{shows: [night-talk]}}
            standby: {{files: [stream/standby/*.mp3]}}
          - name: Live hour
            start: "{clock(at)}"
            end: "{clock(at + minutes)}"
            live: {{presenters: {presenters}, title: "Nuit blanche — Zoë", show: night-talk}}
            fill: {{shows: [night-talk]}}
            standby: {{files: [stream/standby/*.mp3]}}
          - name: After
            start: "{clock(at + minutes)}"
            end: "{clock(at + minutes + 30)}"
            fill: {{shows: [small-steps]}}
            standby: {{files: [stream/standby/*.mp3]}}
        """)


def with_icecast(root):
    toml = root / "station.toml"
    text = toml.read_text()
    toml.write_text(text.replace("[stream]\n", '[stream]\nicecast_url = "icecast://127.0.0.1:8000/night.mp3"\n', 1))
    return root


@pytest.fixture
def station_live(tmp_path):
    root = with_icecast(fresh_station(tmp_path))
    (root / "scheduler" / "night-owls.yaml").write_text(live_schedule(dt.datetime.now(dt.UTC)))
    return root


def ask(desk, user: str, password: str, mount: str = "/live.mp3", action: str = "stream_auth"):
    """What Icecast sends (URL authentication, stream_auth), from no session at all, as Icecast does: a
    connection of its own each time."""
    form = {"action": action, "mount": mount, "ip": "203.0.113.9", "server": "radio", "port": "8000"}
    return requests.post(
        desk.base + "/live/auth",
        data=form | {"user": user, "pass": password},
        headers={"Connection": "close"},
        timeout=30,
    )


def test_icecast_s_question_is_answered_from_the_presenter_s_own_live_password_and_their_slot(station_live):
    """The quick sibling of the next test: the desk's answer itself, without serving the desk."""
    config = config_mod.load(station_live)
    accounts = Accounts(station_live / "records" / "desk.sqlite")
    try:
        sam = accounts.by_name("sam")
        secret = accounts.new_live_secret(sam.id)
        ok = live_pages._refusal(config, accounts, "stream_auth", "/live.mp3", "sam", secret)
        wrong = live_pages._refusal(config, accounts, "stream_auth", "/live.mp3", "sam", secret + "x")
        mount = live_pages._refusal(config, accounts, "stream_auth", "/night.mp3", "sam", secret)
    finally:
        accounts.close()
    assert (ok, wrong, mount) == (None, "wrong user name or live password", "not a live mount")


@pytest.mark.slow
def test_a_presenter_makes_their_own_live_password_and_icecast_lets_only_them_in_during_their_slot(station_live):
    with Served(station_live) as desk:
        sam = desk.client("sam")
        page = sam.get("/live")
        assert page.status_code == 200
        words = said(page.text)
        assert "Nuit blanche — Zoë" in words
        assert "Address 127.0.0.1 Port 8000 Mount point /live.mp3 User name sam" in words
        assert "Password make one below." in words
        made = sam.post("/live/password", {"csrf": sam.token("/live")})
        assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
        secret = made.text.split('<code id="live-password">')[1].split("</code>")[0]
        assert len(secret) == 24
        assert secret not in sam.get("/live").text, "shown once, never again"
        stored = desk.desk.accounts._read("SELECT secret FROM live")[0][0]
        assert secret not in stored and stored.startswith("$argon2id$"), "only its hash is kept"

        yes = ask(desk, "sam", secret)
        assert yes.status_code == 200 and yes.headers.get("icecast-auth-user") == "1"
        who = json.loads((station_live / ".station" / "live" / "on-air.json").read_text())
        assert (who["username"], who["presenter_name"], who["record"], who["block"]) == (
            "sam",
            "Sam",
            False,
            "Live hour",
        )

        for user, password, mount, why in [
            ("sam", secret + "x", "/live.mp3", "wrong user name or live password"),
            ("robin", secret, "/live.mp3", "wrong user name or live password"),
            ("nobody", secret, "/live.mp3", "wrong user name or live password"),
            ("sam", secret, "/night.mp3", "not a live mount"),
        ]:
            no = ask(desk, user, password, mount)
            assert "icecast-auth-user" not in no.headers
            assert no.headers["icecast-auth-message"] == why
        assert "icecast-auth-user" not in ask(desk, "sam", secret, action="listener_add").headers

        # a new password: the old one is dead at once
        newer = sam.post("/live/password", {"csrf": sam.token("/live")}).text
        fresh = newer.split('<code id="live-password">')[1].split("</code>")[0]
        assert ask(desk, "sam", secret).headers.get("icecast-auth-user") is None
        assert ask(desk, "sam", fresh).headers.get("icecast-auth-user") == "1"

        # recording: off until ticked
        assert 'name="record" value="1">' in sam.get("/live").text
        sam.post("/live/record", {"csrf": sam.token("/live"), "record": "1"})
        assert 'name="record" value="1" checked>' in sam.get("/live").text
        ask(desk, "sam", fresh)
        assert json.loads((station_live / ".station" / "live" / "on-air.json").read_text())["record"] is True

        # the slot moved three hours on: not now, not even with the right password
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
        (station_live / "scheduler" / "night-owls.yaml").write_text(live_schedule(later, presenters="[sam]"))
        assert ask(desk, "sam", fresh).headers["icecast-auth-message"] == "no live slot now"

        # the server's side is for coordinators: the <mount> for icecast.xml
        assert "icecast-mount" not in sam.get("/live").text
        coord = desk.client("coord").get("/live").text
        assert said(coord).count("You have no live slot in the coming week.") == 1
        block = coord.split('<pre id="icecast-mount"><code>')[1].split("</code>")[0]
        assert "&lt;mount-name&gt;/live.mp3&lt;/mount-name&gt;" in block
        assert "&lt;charset&gt;UTF-8&lt;/charset&gt;" in block
        assert "name=&#34;stream_auth&#34; value=&#34;http://127.0.0.1:8470/live/auth&#34;" in block


def test_a_recorded_live_show_comes_to_its_presenter_as_a_new_recording_waiting_for_details(station_live):
    config = config_mod.load(station_live)
    folder = live.recordings_folder(config)
    folder.mkdir(parents=True)
    mp3 = station_live / "content" / "shows" / "night-talk"
    source = next(p for p in sorted(mp3.iterdir()) if p.suffix == ".mp3")
    (folder / "20261123-230005-sam.mp3").write_bytes(source.read_bytes())
    (folder / "20261123-230005-sam.json").write_text(
        json.dumps(
            {
                "username": "sam",
                "presenter_name": "Sam",
                "title": "Nuit blanche — Zoë",
                "show": "night-talk",
                "started": "2026-11-23T23:00:05+00:00",
                "seconds": 12.0,
            }
        )
    )
    with Served(station_live) as desk:
        sam = desk.client("sam").get("/").text
        assert "Nuit blanche — Zoë (live, 2026-11-23)" in said(sam)
        assert "Waiting for the next build" in said(sam)
        taken = mp3 / "nuit-blanche-zoe-live-2026-11-23.mp3"
        assert taken.read_bytes() == source.read_bytes()
        side = taken.with_suffix(".yaml").read_text()
        assert "consent" not in side, "consent is the presenter's to give, at the desk"
        assert desk.desk.accounts.owner("content/shows/night-talk/nuit-blanche-zoe-live-2026-11-23.mp3") == (
            desk.desk.accounts.by_name("sam").id
        )
        assert "Nuit blanche" not in said(desk.client("robin").get("/").text), "not another presenter's"
    assert list(folder.iterdir()) == []


def test_live_audio_is_taken_in_the_sizes_playout_asks_for_and_a_silent_source_is_seen_at_once():
    source = live.Source("http://127.0.0.1:9/live.mp3")  # never started: its buffer is fed here
    a, b = bytes(range(256)) * 40, bytes(reversed(range(256))) * 40  # 2,560 frames each
    source.connected = True
    source.chunks.extend([a, b])
    source.frames = 2 * len(a) // live.FRAME_BYTES
    assert source.ready(at_least_s=0.1)
    first = source.take(1000, stall_s=0.1)
    assert first == a[: 1000 * live.FRAME_BYTES]
    rest = source.take(10_000, stall_s=0.1)
    assert rest == a[1000 * live.FRAME_BYTES :] + b, "the rest of the first piece, then the next, in order"
    assert source.frames == 0 and not source.ready(at_least_s=0.1)
    started = time.monotonic()
    assert source.take(100, stall_s=0.3) is None
    assert 0.25 < time.monotonic() - started < 1.0, "a connected source with nothing to give: None after stall_s"
    source.connected = False
    started = time.monotonic()
    assert source.take(100, stall_s=5) is None
    assert time.monotonic() - started < 0.2, "gone (the mount closed): None at once"
