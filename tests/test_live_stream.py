"""A live presenter on a real night: a real icecast2 on loopback asking the real desk (URL authentication),
a real source client (ffmpeg streaming espeak-ng speech, as BUTT or Larix would) that connects late, drops
for 10 seconds and comes back, and real listeners on Icecast and HLS.

Nothing is mocked. What listeners get must never go quiet for 2 seconds: standby takes the air while the
presenter is not there, the running order after the grace or drop time, and the presenter is back on air
as soon as their audio arrives again.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import time

import pytest

from station.desk.accounts import Accounts
from station.radio import live, stream
from station.radio import schedule as schedule_mod
from station.radio.playlist import LiveSpan, Night, Slot
from station.tools import ffmpeg
from tests import media
from tests.desk import Client, Served, said
from tests.icecast import Icecast, IcyListener, icecast_available, record, send
from tests.media import decoded_seconds
from tests.test_live import live_schedule
from tests.test_stream import MOUNT, Playing, check_hls, seconds_into, silences

LIVE_MOUNT = "/live.mp3"
PRESENTER = "Zoë Ó"  # their presenter name, in the titles: UTF-8 all the way to a radio app
# The night, in seconds from its start: an ident, the live span (its own running order under it, five
# items), signposting after it.
UNDER = [
    ("Under one", 4, 12, 330),
    ("Under two", 16, 12, 370),
    ("Under three", 28, 12, 415),
    ("Under four", 40, 12, 440),
    ("Under five", 52, 8, 494),
]
SPAN = (4.0, 60.0)
LENGTH_S = 66.0
# The source client: a wrong password first; then it connects late (the grace time, 6 s, is over by
# then and the running order has taken over), drops for 10 s, and comes back.
CONNECT_AT, DROP_AT, BACK_AT = 20.0, 32.0, 42.0


def source_client(url: str, speech, seconds: float, log) -> subprocess.Popen:
    """ffmpeg as a presenter's app: speech in real time, MP3, to the live mount with their credentials."""
    return send(url, ["-stream_loop", "-1", "-i", str(speech), "-t", str(seconds)], stderr=log)


def wait_until(t0: float, at_s: float) -> None:
    time.sleep(max(0.0, t0 + at_s - time.monotonic()))


@pytest.mark.stream
def test_a_presenter_goes_live_late_drops_comes_back_and_the_air_never_goes_quiet(
    station, tmp_path, monkeypatch, caplog
):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    caplog.set_level(logging.INFO, logger="station")
    root = station.root
    station.show("night-talk")
    now = dt.datetime.now(dt.UTC)
    (root / "scheduler").mkdir()
    (root / "scheduler" / "live.yaml").write_text(live_schedule(now), encoding="utf-8")
    accounts = Accounts(root / "records" / "desk.sqlite")
    sam = accounts.add("sam", "presenter pass 1", "presenter", PRESENTER)
    secret = accounts.new_live_secret(sam.id)
    accounts.set_live_record(sam.id, True)
    accounts.close()
    speech = media.speech(
        "Good evening, this is Zoë, live from the kitchen table. It is a long night, and you are not alone in it. "
        "Put the kettle on and stay with me for a while.",
        tmp_path / "presenter.wav",
        pad_s=0.2,
    )
    for i, (_, _, seconds, freq) in enumerate(UNDER):
        media.tone(root / f"under{i}.mp3", seconds=seconds, freq=freq)
    media.tone(root / "ident.mp3", seconds=4, freq=587)
    media.tone(root / "signpost.mp3", seconds=6, freq=659)
    media.tone(root / "standby.mp3", seconds=30, freq=262)

    with Served(root) as desk:
        extra = (
            f'  <mount type="normal">\n    <mount-name>{LIVE_MOUNT}</mount-name>\n    <charset>UTF-8</charset>\n'
            f'    <authentication type="url">\n      <option name="stream_auth" value="{desk.base}/live/auth"/>\n'
            "    </authentication>\n  </mount>\n"
        )
        with Icecast(tmp_path / "icecast", mounts={MOUNT: {"charset": "UTF-8"}}, extra=extra) as icecast:
            with open(root / "station.toml", "a", encoding="utf-8") as toml:
                toml.write(
                    "[stream]\nsilence_max_s = 2\nhls_segment_s = 2\nhls_window_s = 600\nlead_s = 0.5\n"
                    f'icecast_url = "icecast://127.0.0.1:{icecast.port}{MOUNT}"\n'
                    "live_grace_s = 6\nlive_drop_s = 3\n"
                )
            monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)
            config = station.config
            booking = live.booking_now(schedule_mod.load(config), "sam", now, 10)
            assert booking is not None
            start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
            slots = [Slot(0.0, 4.0, "ident", "Station ident", "ident.mp3", "Before")]
            slots += [
                Slot(float(at), float(seconds), "episode", title, f"under{i}.mp3", booking.block)
                for i, (title, at, seconds, _) in enumerate(UNDER)
            ]
            slots.append(Slot(60.0, 6.0, "signpost", "Where to find help tonight", "signpost.mp3", booking.block))
            span = LiveSpan(*SPAN, booking.block, booking.title, ("sam",), "night-talk")
            night = Night(
                booking.night, "live", start, start + dt.timedelta(seconds=LENGTH_S), slots, fallback=["standby.mp3"]
            )
            night.live = [span]
            player = stream.Player(
                config, stream.outputs_for(config), stream.SystemClock(), running_order=lambda d: night
            )
            live_url = f"icecast://sam:{secret}@127.0.0.1:{icecast.port}{LIVE_MOUNT}"
            recording = tmp_path / "icecast.wav"
            with Playing(player, booking.night) as playing, open(tmp_path / "source.log", "wb") as log:
                icecast.wait_for_mount(MOUNT, timeout=20)
                t0 = time.monotonic() - (dt.datetime.now(dt.UTC) - start).total_seconds()
                recorder = record(icecast.listen_url(MOUNT), 60, recording, stderr=subprocess.PIPE)
                with IcyListener(icecast.listen_url(MOUNT), tmp_path / "heard.mp3", seconds=LENGTH_S) as listener:
                    wrong = subprocess.run(
                        [
                            ffmpeg.executable(),
                            "-hide_banner",
                            "-nostdin",
                            "-v",
                            "error",
                            "-re",
                            "-i",
                            str(speech),
                            "-t",
                            "2",
                            "-c:a",
                            "libmp3lame",
                            "-content_type",
                            "audio/mpeg",
                            "-f",
                            "mp3",
                            live_url.replace(secret, secret[::-1]),
                        ],
                        capture_output=True,
                        timeout=30,
                    )
                    wait_until(t0, CONNECT_AT)
                    first = source_client(live_url, speech, 60, log)
                    wait_until(t0, DROP_AT)
                    first.kill()  # the phone lost its signal
                    first.wait()
                    wait_until(t0, BACK_AT)
                    again = source_client(live_url, speech, LENGTH_S - BACK_AT + 2, log)
                    report = playing.wait(timeout=LENGTH_S + 30)
                    listener.wait(timeout=20)
                    again.wait(timeout=30)
                recorded = recorder.wait(timeout=30)
            presenter = Client(desk.base)
            presenter.sign_in("sam", "presenter pass 1")
            episodes = said(presenter.get("/").text)
    log_text = caplog.text

    # A wrong password never gets on the mount: Icecast asked the desk, and the desk said no.
    assert wrong.returncode != 0 and b"401" in wrong.stderr, wrong.stderr
    assert "live source refused (wrong user name or live password) for 'sam'" in log_text

    # On air: late (after the grace time the running order had taken over), off when the source dropped,
    # back when it came back; each within a second or two of the source's own moves.
    moves = [(seconds_into(night, clock), what) for clock, what in report.live]
    assert [what for _, what in moves] == ["on", "off", "on"], (report.live, log_text)
    assert CONNECT_AT < moves[0][0] < CONNECT_AT + 4, moves  # its app starts, the desk checks, playout hears
    assert DROP_AT < moves[1][0] < DROP_AT + 4.5, moves  # what was already on its way plays out first
    assert BACK_AT < moves[2][0] < BACK_AT + 4, moves
    # The running order under the span: "Under one" never started (standby for the grace time, then the
    # rest of it: never half an item), "Under two" took over on its clock, "Under three" was standby's
    # (the drop), "Under four" played until the presenter came back, "Under five" was theirs.
    played = [(seconds_into(night, clock), title) for clock, title in report.played]
    assert [title for _, title in played] == ["Station ident", "Under two", "Under four", "Where to find help tonight"]
    for at, title in played:
        wanted = next(s.start_s for s in slots if s.title == title)
        assert abs(at - wanted) < 1.01, (at, title)
    assert len(report.handovers_ms) == 1 and report.handovers_ms[0] < 1000, report.handovers_ms
    assert len(report.comebacks_ms) == 2 and max(report.comebacks_ms) < 1500, report.comebacks_ms

    # Listeners: no gap of 2 s on Icecast or in HLS, and the live title in UTF-8 in a radio app.
    assert recorded == 0, recorder.stderr.read()
    assert decoded_seconds(recording) == pytest.approx(60, abs=1)
    assert silences(recording) == [], "dead air on the Icecast stream"
    check_hls(config.site_dir / "live", report.seconds)
    titles = [title for _, title in listener.titles if title]
    on_air = f"{booking.title} — live with {PRESENTER}"
    assert titles.count(on_air) == 2, titles
    assert titles[0] == "Station ident" and titles[-1] == "Where to find help tonight", titles

    # The presenter ticked "record": their two stretches on air, as one new recording at the desk.
    assert len(report.recordings) == 1
    on_s = (moves[1][0] - moves[0][0]) + (SPAN[1] - moves[2][0])
    assert report.recordings[0].exists() is False, "taken into the show by the desk"
    taken = sorted((root / "content" / "shows" / "night-talk").glob("*.mp3"))
    assert len(taken) == 1
    assert decoded_seconds(taken[0]) == pytest.approx(on_s, abs=1.5)
    assert f"{booking.title} (live, {start:%Y-%m-%d})" in episodes
    assert "Waiting for the next build" in episodes
