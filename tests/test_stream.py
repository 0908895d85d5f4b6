"""Playout, end to end: a short night played in real time to a real Icecast and to HLS files.

Nothing is mocked. The episodes are espeak-ng speech built by the real pipeline; the player decodes and
encodes with the bundled ffmpeg; Icecast is Debian's icecast2 on loopback; and what listeners get is read
back by real clients (ffmpeg, and a radio-app style ICY listener) and by ffmpeg from the HLS files.

Faults are planted in the prepared audio after the build, the way they happen on a real night: a file
gone, a file damaged, a recording that is only silence. Whatever happens, the stream must stay on the
running order's clock and never go quiet for 2 seconds: playout decodes `silence_max_s` ahead, so a silent
stretch is handed to standby before it airs.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import re
import signal
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import m3u8
import pytest

from station.errors import StateError, StreamSetupError
from station.radio import nights, stream
from station.radio.playlist import Night, Slot
from station.records import Records
from station.tools import ffmpeg
from tests import media
from tests.icecast import Icecast, IcyListener, icecast_available, record
from tests.media import decoded_seconds

UTC = dt.UTC
NIGHT = dt.date(2026, 11, 23)  # a Monday
START = dt.datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # the window below, in UTC
BUILT_AT = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the afternoon before: the night is still to come
PUBLISHED = dt.datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
LATE_S = 20.0  # test 1 starts the player this far into the night: it must join, not start over
DEAD_AIR_S = 2  # silence this long on air is a gap (standby takes over before silence_max_s = 2 of it airs)
MOUNT = "/night.mp3"
STATION_NAME = "Test Station"  # conftest's station.toml; standby plays under the station's name
WITHDRAWN_WHY = "it was withdrawn after the night was put together"

SHOWS = {
    "night-talk": 'title = "Night Talk"\ndescription = "Peers after midnight."\n',
    "small-steps": 'title = "Small Steps"\ndescription = "One small thing at a time."\n',
}

# Six short episodes (8–10 s each) in two shows, each a different text, so each has its own prepared
# audio. Six, because the late join passes the first, lands in the second, three more are spoilt after
# it, and one should still air after them.
EPISODES = [
    (
        "night-bus",
        "night-talk",
        "The night bus home",
        "Sam",
        [],
        "Hello, it is Sam. Tonight I stayed on the night bus all the way home from the meeting. "
        "If you are on a bus somewhere right now, stay on.",
    ),
    (
        "the-kettle",
        "small-steps",
        "Putting the kettle on",
        "Jo",
        ["overdose"],
        "This is Jo. At three in the morning I put the kettle on and phoned a friend instead. "
        "It helped more than I ever thought it would.",
    ),
    (
        "the-door",
        "small-steps",
        "Answering the door",
        "Alex",
        [],
        "Hi, Alex here. One small step today was answering the door to my sister. "
        "Tomorrow I will try the shop at the corner of the road.",
    ),
    (
        "my-name",
        "night-talk",
        "Someone remembered my name",
        "Priya",
        [],
        "It is Priya. I nearly skipped the meeting tonight, but I went, and someone there "
        "remembered my name from last week.",
    ),
    (
        "first-light",
        "night-talk",
        "Waiting for first light",
        "Dee",
        [],
        "Dee here, awake again. I open the curtains and wait for the first light over the houses. "
        "It always comes, even on the long nights.",
    ),
    (
        "the-walk",
        "small-steps",
        "A walk round the block",
        "Chris",
        [],
        "Chris speaking. When the craving came I walked once round the block, then once more. "
        "By the second lap it had passed.",
    ),
]

# Two minutes of night. Idents and crisis signposting every minute and no repeat rules to speak of,
# so a short night holds everything a long one does.
SCHEDULE = """\
name: Test night
timezone: UTC
window: {start: "22:00", end: "22:02"}
rules:
  ident_every_min: 1
  signpost_every_min: 1
  no_repeat_nights: 0
  presenter_max_percent: 100
  newcomer_percent: 0
material:
  idents: [stream/idents/*.mp3]
  signposts: [stream/signposts/*.mp3]
  beds: [stream/beds/*.mp3]
blocks:
  - name: The whole night
    start: "22:00"
    end: "22:02"
    fill: {shows: [night-talk, small-steps]}
    standby: {files: [stream/standby/*.mp3]}
"""


# ---------------------------------------------------------------- the station
def stream_section(icecast_port: int | None = None, hls: bool = True) -> str:
    """[stream] for a short test night: standby after 2 s of silence, 2 s HLS segments, and a playlist
    window (600 s) longer than the night, so the finished playlist still lists all of it."""
    lines = [
        "[stream]",
        "silence_max_s = 2",
        "hls_segment_s = 2",
        "hls_window_s = 600",
        "lead_s = 0.5",
        f"hls = {'true' if hls else 'false'}",
    ]
    if icecast_port is not None:
        lines.append(f'icecast_url = "icecast://127.0.0.1:{icecast_port}{MOUNT}"')
    return "\n".join(lines) + "\n"


def build_night(station, clips, stream_toml: str) -> Night:
    """A station with episodes, stream material and a two-minute schedule, built the afternoon before
    the night; the night's running order as the build pinned it."""
    with open(station.root / "station.toml", "a", encoding="utf-8") as toml:
        toml.write("\n" + stream_toml)
    for slug, text in SHOWS.items():
        station.show(slug, text)
    for name, show, title, presenter, notes, text in EPISODES:
        station.episode(
            f"{name}.mp3",
            source=clips.get(f"stream-{name}.mp3", text=text),
            show=show,
            title=title,
            presenters=[{"name": presenter, "tier": "first-name"}],
            content_notes=notes or None,
            published_at=PUBLISHED,
            consent={"by": presenter, "date": dt.date(2026, 11, 1), "scope": ["podcast", "site", "stream"]},
        )
    material = station.root / "content" / "stream"
    media.speech("Test Station, through the night.", material / "idents" / "station-ident.mp3", pad_s=0.3)
    media.speech(
        "If tonight is hard, call Samaritans on one one six, one two three.",
        material / "signposts" / "crisis-lines.mp3",
        pad_s=0.3,
    )
    media.bed(material / "beds" / "soft-chord.mp3", seconds=20)
    media.speech(
        "Stay with us. More voices from the night are on the way. Breathe slowly for a moment.",
        material / "standby" / "stay-with-us.mp3",
        pad_s=0.3,
    )
    (station.root / "scheduler").mkdir()
    (station.root / "scheduler" / "test.yaml").write_text(SCHEDULE, encoding="utf-8")

    result = station.build(now=BUILT_AT)
    assert [o.state for o in result.episodes] == ["built"] * len(EPISODES), result.episodes
    order = nights.running_order(station.config, NIGHT, now=BUILT_AT)
    assert order is not None and order.start == START and order.length_s == 120
    assert not [n for n in order.notes if n.is_error], order.notes
    return order


def label(slot: Slot) -> str:
    """The title the player gives a slot (its report and the Icecast title)."""
    return slot.title + (f" — {slot.show_title}" if slot.show_title else "")


def seconds_into(order: Night, clock: str) -> float:
    """'22:00:41' (a report's clock time) → seconds from the night's start."""
    at = dt.datetime.combine(order.start.date(), dt.time.fromisoformat(clock), order.start.tzinfo)
    return (at - order.start).total_seconds()


def plant_faults(config, order: Night, after_s: float) -> dict[str, Slot]:
    """Spoil the prepared audio of the first three episodes that start at or after `after_s` (and end
    well before the night does): one file deleted, one overwritten with bytes no decoder takes, one
    replaced by digital silence of the same length."""
    episodes = [
        s for s in order.slots if s.kind == "episode" and s.start_s >= after_s and s.end_s <= order.length_s - 10
    ]
    assert len(episodes) >= 3, f"the running order has too few episodes after {after_s:.1f} s to spoil"
    faults = dict(zip(("missing", "broken", "silent"), episodes, strict=False))  # the first three
    audio = [s.audio for s in faults.values()]
    # Each spoilt file belongs to its slot alone, so no other item is spoilt with it.
    assert all(sum(s.audio == a for s in order.slots) == 1 for a in audio)
    missing, broken, silent = (config.root / a for a in audio)
    missing.unlink()
    for path in (broken, silent):  # unlinked first: new files, whatever else may share the old ones' data
        path.unlink()
    broken.write_bytes(b"This upload stopped half-way and left only this text behind.\n" * 500)
    media.silence(silent, seconds=faults["silent"].duration_s)
    return faults


# ---------------------------------------------------------------- listening to what went out
def silences(path: Path | str, min_s: float = DEAD_AIR_S) -> list[str]:
    """Every stretch of at least `min_s` below -50 dB, as ffmpeg's silencedetect reports it."""
    log = subprocess.run(
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-i",
            str(path),
            "-af",
            f"silencedetect=noise=-50dB:d={min_s}",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stderr
    return re.findall(r"silence_start: .*|silence_end: .*", log)


def check_hls(live: Path, played_s: float, closed: bool = True) -> None:
    """The HLS playlist once playout is over: closed when the night ended (open when playout was only
    stopped: a restart goes on with it), complete, decodable, as long as what was played, no gaps."""
    playlist = live / "night.m3u8"
    assert playlist.is_file(), f"no playlist in {live}: {sorted(p.name for p in live.iterdir())}"
    text = playlist.read_text(encoding="utf-8")
    if closed:
        assert text.rstrip().endswith("#EXT-X-ENDLIST"), f"the night ended but the playlist is still open:\n{text}"
    else:
        assert "#EXT-X-ENDLIST" not in text, f"playout was stopped, not ended, but the playlist was closed:\n{text}"
    segments = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert segments and all((live / s).is_file() for s in segments), [s for s in segments if not (live / s).is_file()]
    listed = sum(float(x) for x in re.findall(r"#EXTINF:([\d.]+)", text))
    assert abs(listed - played_s) < 3, (listed, played_s)
    if not closed:  # ffmpeg's demuxer would wait on an open playlist for the next segment: a closed copy
        playlist = live / "closed-copy.m3u8"
        playlist.write_text(text + "#EXT-X-ENDLIST\n", encoding="utf-8")
    heard = decoded_seconds(playlist)  # ffmpeg's HLS demuxer: what a listener's player would fetch
    assert abs(heard - played_s) < 3, (heard, played_s)
    assert silences(playlist) == [], "dead air in the HLS stream"


def titles_on_air(slots: list[Slot], faults: dict[str, Slot]) -> list[str]:
    """The titles listeners should see, in order: each item's own, and the station's name where standby
    took over. A title goes out with the item's first audio, so a silent, broken or missing item's never
    does: standby took over before any of it aired."""
    out: list[str] = []
    for slot in slots:
        title = STATION_NAME if slot in faults.values() else label(slot)
        if not out or out[-1] != title:  # a title that does not change is not sent again
            out.append(title)
    return out


def is_in_order(wanted: list[str], got: list[str]) -> bool:
    """Every item of `wanted` appears in `got`, in the same order (others may come between)."""
    rest = iter(got)
    return all(any(w == g for g in rest) for w in wanted)


class Playing:
    """`player.play(night)` in a thread, so the test can listen while the night plays."""

    def __init__(self, player: stream.Player, night: dt.date):
        self.player, self.report, self.error = player, None, None
        self.thread = threading.Thread(target=self._run, args=(night,), name="playout", daemon=True)

    def _run(self, night: dt.date) -> None:
        try:
            self.report = self.player.play(night)
        except BaseException as exc:  # handed to the test
            self.error = exc

    def __enter__(self) -> Playing:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # A test that failed half-way must not leave a night playing on.
        if self.thread.is_alive():
            self.player.stop()
            self.thread.join(60)

    def wait(self, timeout: float) -> stream.Report:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the player was still playing after {timeout:.0f} s"
        if self.error is not None:
            raise self.error
        return self.report


# ---------------------------------------------------------------- the tests
@pytest.mark.slow
@pytest.mark.stream
def test_a_compressed_night_reaches_icecast_and_hls_without_dead_air(station, clips, tmp_path, monkeypatch, caplog):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    caplog.set_level(logging.INFO, logger="station.stream")
    with Icecast(tmp_path / "icecast", mounts={MOUNT: {"charset": "UTF-8"}}) as icecast:
        order = build_night(station, clips, stream_section(icecast.port))
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)
        config = station.config
        joined = order.slots[order.at(LATE_S)]
        # Joined mid-item, with time left to hear it: a join point on the edge of an item would test less.
        assert joined.kind == "episode" and joined.start_s < LATE_S - 1 and joined.end_s > LATE_S + 5, joined
        faults = plant_faults(config, order, after_s=joined.end_s)

        outputs = stream.outputs_for(config)
        assert [o.name for o in outputs] == ["Icecast", "HLS"]
        player = stream.Player(config, outputs, stream.ShiftedClock(START + dt.timedelta(seconds=LATE_S)))
        with Playing(player, NIGHT) as playing:
            # As soon as the mount is there, two listeners: ffmpeg recording the audio (a little less than
            # what is left of the night, so it gets all it asked for), and a radio app reading the titles.
            icecast.wait_for_mount(MOUNT, timeout=20)
            left = (order.end - player.clock.now()).total_seconds()
            asked_s = round(left - 8)
            recording = tmp_path / "icecast.wav"
            with open(tmp_path / "recorder.log", "wb") as log:
                recorder = record(icecast.listen_url(MOUNT), asked_s, recording, stderr=log)
            try:
                with IcyListener(icecast.listen_url(MOUNT), tmp_path / "heard.mp3", seconds=left + 20) as listener:
                    report = playing.wait(timeout=left + 60)  # it stops by itself when the window ends
                    listener.wait(timeout=20)  # the mount closes with the night
                assert recorder.wait(timeout=30) == 0, (tmp_path / "recorder.log").read_text()
            finally:
                if recorder.poll() is None:
                    recorder.kill()
                    recorder.wait()
    log_text = caplog.text

    # The late start joined the running order where it was at 22:00:20, and from there on every item
    # started when the running order says (the spoilt ones too: standby filled them to the second).
    assert 0 <= player.base - LATE_S < 1.5, player.base
    assert order.at(player.base) == order.slots.index(joined)
    assert report.played[0] == (f"{order.clock(player.base):%H:%M:%S}", label(joined))
    expected = [s for s in order.slots[order.slots.index(joined) :] if s is not faults["missing"]]
    assert [title for _, title in report.played] == [label(s) for s in expected], log_text
    for (clock, title), slot in list(zip(report.played, expected, strict=True))[1:]:
        assert abs(seconds_into(order, clock) - slot.start_s) < 1.01, (clock, title, slot.start_s)
    assert abs(report.seconds - (order.length_s - player.base)) < 0.01, report.seconds

    # Every fault handed its slot to standby, for the right reason, and nothing else did.
    assert [title for title, _ in report.standby] == [label(faults[k]) for k in ("missing", "broken", "silent")], (
        log_text
    )
    why = dict(zip(("missing", "broken", "silent"), (reason for _, reason in report.standby), strict=False))
    assert why["missing"] == "its file is missing"
    assert why["broken"].startswith("it could not be read"), why["broken"]
    assert why["silent"] == "it was silent for more than 2 seconds"
    assert all(o.dropped_s == 0 and o.restarts == 0 for o in outputs), [
        (o.name, o.dropped_s, o.failure) for o in outputs
    ]

    # What an Icecast listener recorded: real audio, all that was asked for, and no dead air.
    assert abs(decoded_seconds(recording) - asked_s) < 1.5, (decoded_seconds(recording), asked_s)
    assert silences(recording) == [], "dead air on the Icecast stream"

    # The titles a radio app showed: what aired, in the order it aired; standby under the station's
    # name; and never the title of the episode whose file was gone.
    assert listener.error is None, repr(listener.error)
    heard = [title for _, title in listener.titles if title]
    wanted = titles_on_air(expected, faults)
    recovered = [label(s) for s in expected[1:] if s.kind == "episode" and s not in faults.values()]
    assert recovered and {"Where to find help tonight", "Station ident", STATION_NAME} <= set(wanted), wanted
    assert is_in_order(wanted, heard), f"wanted, in this order: {wanted}\nheard: {heard}"
    assert not {label(f) for f in faults.values()} & set(heard), heard

    # HLS: the same night as files, closed when it ended.
    check_hls(config.site_dir / "live", report.seconds)


@pytest.mark.stream
def test_a_withdrawn_episode_never_airs(station, clips, caplog):
    caplog.set_level(logging.INFO, logger="station.stream")
    order = build_night(station, clips, stream_section(icecast_port=None))
    config = station.config
    # An episode with something before it and after it, well inside the night.
    target = next(s for s in order.slots if s.kind == "episode" and s.start_s >= 5 and s.end_s <= order.length_s - 10)
    after = order.slots[order.slots.index(target) + 1]

    # From 3 s before its slot until 4 s after: about 15 s of playout, HLS only.
    player = stream.Player(
        config,
        stream.outputs_for(config),
        stream.ShiftedClock(START + dt.timedelta(seconds=target.start_s - 3)),
        is_withdrawn=lambda guid: guid == target.guid,
    )
    stop = threading.Timer(target.duration_s + 3 + 4, player.stop)
    with Playing(player, NIGHT) as playing:
        stop.start()
        try:
            report = playing.wait(timeout=target.duration_s + 60)
        finally:
            stop.cancel()

    titles = [title for _, title in report.played]
    assert label(target) not in titles, caplog.text
    assert report.standby == [(label(target), WITHDRAWN_WHY)], caplog.text
    # Standby filled the slot to its end, and the running order went on on time.
    assert label(after) in titles, titles
    clock = {title: clock for clock, title in report.played}[label(after)]
    assert abs(seconds_into(order, clock) - after.start_s) < 1.01, (clock, after.start_s)
    check_hls(config.site_dir / "live", report.seconds, closed=False)  # stopped mid-night: left open


def test_a_stream_with_nowhere_to_go_says_so(station, monkeypatch):
    toml = station.root / "station.toml"
    plain = toml.read_text(encoding="utf-8")
    monkeypatch.delenv("STATION_ICECAST_PASSWORD", raising=False)

    # Icecast asked for, but no source password in the environment (station.toml never holds one).
    toml.write_text(plain + stream_section(icecast_port=8000), encoding="utf-8")
    with pytest.raises(StreamSetupError, match="STATION_ICECAST_PASSWORD") as raised:
        stream.outputs_for(station.config)
    assert "station.toml never holds it" in str(raised.value)

    # Neither Icecast nor HLS: there is nowhere to send the stream at all.
    toml.write_text(plain + stream_section(icecast_port=None, hls=False), encoding="utf-8")
    with pytest.raises(StreamSetupError, match="there is nowhere to send the stream"):
        stream.outputs_for(station.config)


@pytest.mark.stream
def test_standby_goes_from_file_to_file_and_the_last_resort_tone_is_not_dead_air(station, caplog):
    """A long slot whose file is missing, with standby files shorter than it: one after another fills it
    (each running out is not a failure), and with no standby at all a soft tone, never silence."""
    caplog.set_level(logging.INFO, logger="station.stream")
    with open(station.root / "station.toml", "a") as f:
        f.write(stream_section())
    config = station.config
    media.tone(station.root / "a.mp3", seconds=3, freq=330)
    media.tone(station.root / "b.mp3", seconds=3, freq=550)
    night = Night(
        NIGHT,
        "test",
        START,
        START + dt.timedelta(seconds=16),
        [
            Slot(0.0, 10.0, "episode", "Gone", "gone.mp3", "Talk"),
            Slot(10.0, 6.0, "episode", "Also gone", "gone-too.mp3", "Talk"),
        ],
        fallback=["a.mp3", "b.mp3"],
    )
    bare = Night(NIGHT, "test", night.start, night.end, night.slots[1:], fallback=[])
    orders = {"first": night}
    player = stream.Player(
        config, stream.outputs_for(config), stream.ShiftedClock(START), running_order=lambda d: orders["first"]
    )
    threading.Timer(5, lambda: orders.update(first=bare)).start()  # the standby files go away
    with Playing(player, NIGHT) as playing:
        report = playing.wait(timeout=60)
    assert [why for _, why in report.standby] == ["its file is missing", "its file is missing"]
    assert "no standby sound would play" not in caplog.text.split("Also gone")[0], caplog.text
    assert "a quiet tone" in caplog.text.split("Also gone")[1]
    assert report.seconds == pytest.approx(16, abs=0.05)
    check_hls(config.site_dir / "live", report.seconds)


def test_the_withdrawal_check_reads_a_station_with_no_records_yet(station):
    # The player asks the station's records before every episode; a station that has never built or
    # withdrawn anything has none, and that means nothing is withdrawn.
    player = stream.Player(station.config, [], stream.ShiftedClock(START))
    assert player.is_withdrawn("no-such-guid") is False


class RecordsFault:
    """Withdrawal records the player cannot read, for real: damaged on disk (half written by hand, a disk
    that filled up), or not a file at all. `clear()` puts them right."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind = path, kind
        self.good = path.read_bytes()
        path.unlink()
        if kind == "damaged":
            path.write_bytes(b'{"records": {"guid-first": "2026-11-')
        else:
            path.mkdir()

    def clear(self) -> None:
        if self.path.is_dir():
            self.path.rmdir()
        self.path.write_bytes(self.good)


@pytest.mark.stream
@pytest.mark.parametrize(
    "kind, error",
    [
        ("damaged", "withdrawals.json is damaged — restore it"),
        ("unreadable", "withdrawals.json cannot be read (Is a directory)"),
    ],
)
def test_records_that_cannot_be_read_send_the_episode_to_standby_and_the_night_goes_on(station, caplog, kind, error):
    """The check before each episode reads the withdrawal records. When it cannot say whether the episode
    was withdrawn, the episode stays off air to be safe, standby plays its slot, and the night goes on."""
    caplog.set_level(logging.INFO, logger="station.stream")
    with open(station.root / "station.toml", "a") as f:
        f.write(stream_section())
    config = station.config
    for name, freq in (("first", 330), ("ident", 550), ("second", 440), ("standby", 262)):
        media.tone(station.root / f"{name}.mp3", seconds=4, freq=freq)
    night = Night(
        NIGHT,
        "test",
        START,
        START + dt.timedelta(seconds=9),
        [
            Slot(0.0, 4.0, "episode", "First", "first.mp3", "Talk", guid="guid-first"),
            Slot(4.0, 2.0, "ident", "Station ident", "ident.mp3", "Talk"),
            Slot(6.0, 3.0, "episode", "Second", "second.mp3", "Talk", guid="guid-second"),
        ],
        fallback=["standby.mp3"],
    )
    Records.of(config).withdraw("guid-elsewhere", "2026-11-01T00:00:00+00:00")
    fault = RecordsFault(config.records_dir / "withdrawals.json", kind)
    with pytest.raises(StateError, match=re.escape(error)):
        stream.Player(config, []).is_withdrawn("guid-first")

    def running_order(d: dt.date) -> Night:
        if player.report.standby:  # the fault passes once the first slot is over: the next check reads
            fault.clear()
        return night

    player = stream.Player(config, stream.outputs_for(config), stream.ShiftedClock(START), running_order=running_order)
    try:
        with Playing(player, NIGHT) as playing:
            report = playing.wait(timeout=60)
    finally:
        fault.clear()

    assert report.standby == [("First", "its withdrawal could not be checked")], caplog.text
    assert [title for _, title in report.played] == ["Station ident", "Second"], caplog.text
    for (clock, _), slot in zip(report.played, night.slots[1:], strict=False):
        assert abs(seconds_into(night, clock) - slot.start_s) < 1.01, (clock, slot.start_s)
    assert report.seconds == pytest.approx(9, abs=0.05)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(said) == 1 and said[0].startswith("First: could not check whether it was withdrawn (StateError: "), said
    assert error in said[0] and said[0].endswith("; to be safe it stays off air and standby plays its slot"), said
    check_hls(config.site_dir / "live", report.seconds)


# ---------------------------------------------------------------- titles in UTF-8
TITLES = [("Three lines in a notebook", "Night Talk"), ("Café at dawn: “ünïcødé” ✓", "Small Steps")]


def titled_night(station, seconds: float = 6.0) -> Night:
    """Two tone items with titles no Latin-1 mount can hold (an em dash joins title and show)."""
    for i, _ in enumerate(TITLES):
        media.tone(station.root / f"item{i}.mp3", seconds=seconds, freq=330 + 110 * i)
    return Night(
        NIGHT,
        "test",
        START,
        START + dt.timedelta(seconds=seconds * len(TITLES)),
        [
            Slot(seconds * i, seconds, "episode", title, f"item{i}.mp3", "Talk", show_title=show)
            for i, (title, show) in enumerate(TITLES)
        ],
        fallback=[],
    )


def status_title(icecast: Icecast, wanted: str, timeout: float = 5.0) -> str | None:
    """The mount's title in /status-json.xsl once it is `wanted` (its stats lag the metadata a moment),
    else the last one it showed."""
    deadline, title = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        title = next((s.get("title") for s in icecast.status()["source"] if s["listenurl"].endswith(MOUNT)), None)
        if title == wanted:
            break
        time.sleep(0.1)
    return title


@pytest.mark.stream
def test_titles_reach_icecast_status_and_radio_apps_in_utf8(station, tmp_path, monkeypatch, caplog):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    caplog.set_level(logging.INFO, logger="station.stream")
    with Icecast(tmp_path / "icecast", mounts={MOUNT: {"charset": "UTF-8"}}) as icecast:
        with open(station.root / "station.toml", "a") as f:
            f.write(stream_section(icecast.port, hls=False))
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)
        night = titled_night(station)
        labels = [f"{title} — {show}" for title, show in TITLES]
        player = stream.Player(
            station.config,
            stream.outputs_for(station.config),
            stream.ShiftedClock(START),
            running_order=lambda d: night,
        )
        shown: list[str] = []
        with Playing(player, NIGHT) as playing:
            icecast.wait_for_mount(MOUNT, timeout=20)
            with IcyListener(icecast.listen_url(MOUNT), tmp_path / "heard.mp3", seconds=30) as listener:
                for wanted in labels:
                    listener.wait_for_title(wanted, timeout=15)
                    # What /status-json.xsl (every directory and dashboard) shows for the mount, UTF-8 intact.
                    shown.append(status_title(icecast, wanted))
                playing.wait(timeout=30)
    heard = [title for _, title in listener.titles if title]
    assert heard == labels, heard
    assert shown == labels, shown
    assert "not set to UTF-8" not in caplog.text


@pytest.mark.stream
def test_a_mount_not_set_to_utf8_is_named_in_the_log(station, tmp_path, monkeypatch, caplog):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    caplog.set_level(logging.INFO, logger="station.stream")
    with Icecast(tmp_path / "icecast") as icecast:  # Icecast's own default: ISO-8859-1
        with open(station.root / "station.toml", "a") as f:
            f.write(stream_section(icecast.port, hls=False))
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)
        night = titled_night(station, seconds=5.0)
        player = stream.Player(
            station.config,
            stream.outputs_for(station.config),
            stream.ShiftedClock(START),
            running_order=lambda d: night,
        )
        with Playing(player, NIGHT) as playing:
            playing.wait(timeout=30)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == [
        "Icecast shows the title “Three lines in a notebook — Night Talk” as “Three lines in a notebook &#8212; "
        "Night Talk”: the mount /night.mp3 is not set to UTF-8, so radio apps garble titles — add "
        "<charset>UTF-8</charset> to its <mount> in icecast.xml (docs/deploy.md)"
    ], said


# ---------------------------------------------------------------- a crash mid-night
class PlaylistWatcher:
    """Every version of the HLS playlist that appears while the night plays, as a player polling it would see."""

    def __init__(self, path: Path):
        self.path, self.versions = path, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self.stopping.wait(0.05):
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            if not self.versions or self.versions[-1] != text:
                self.versions.append(text)

    def __enter__(self) -> PlaylistWatcher:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join()
        self._watch_once()

    def _watch_once(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        if self.versions[-1] != text:
            self.versions.append(text)


def sources_so_far(icecast: Icecast) -> int:
    """How many times a source has logged in to the server (Icecast's admin stats count each one as it comes)."""
    import base64
    import urllib.request

    request = urllib.request.Request(f"{icecast.base_url}/admin/stats")
    request.add_header(
        "Authorization", "Basic " + base64.b64encode(f"admin:{icecast.admin_password}".encode()).decode()
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        xml = response.read().decode("utf-8", "replace")
    return int(re.search(r"<source_total_connections>(\d+)</source_total_connections>", xml).group(1))


def check_versions(versions: list[str]) -> list[m3u8.M3U8]:
    """Every version a player could have read: open until the last, each segment keeping its media sequence
    number in every version, numbers rising by one with none skipped."""
    parsed = [m3u8.loads(text) for text in versions]
    numbers: dict[str, int] = {}
    for i, playlist in enumerate(parsed):
        assert not playlist.is_endlist or i == len(parsed) - 1, f"closed mid-night:\n{versions[i]}"
        for n, segment in enumerate(playlist.segments):
            number = playlist.media_sequence + n
            assert numbers.setdefault(segment.uri, number) == number, (segment.uri, number, numbers[segment.uri])
    assert sorted(numbers.values()) == list(range(min(numbers.values()), max(numbers.values()) + 1)), numbers
    return parsed


@pytest.mark.stream
def test_a_killed_stream_is_back_on_air_within_2_s_and_hls_goes_on_unclosed(station, clips, tmp_path, monkeypatch):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    from station.radio import daemon as daemon_mod

    with Icecast(tmp_path / "icecast", mounts={MOUNT: {"charset": "UTF-8"}}) as icecast:
        order = build_night(station, clips, stream_section(icecast.port))
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)  # the stream process's too
        joined_at = 70.0
        clock = stream.ShiftedClock(START + dt.timedelta(seconds=joined_at))
        live = station.config.site_dir / "live"
        daemon = daemon_mod.Daemon(station.config, clock=clock, build_every_s=3600)
        with PlaylistWatcher(live / "night.m3u8") as watcher:
            daemon.start()
            try:
                icecast.wait_for_mount(MOUNT, timeout=20)
                deadline = time.monotonic() + 20
                while len(m3u8.loads(watcher.versions[-1] if watcher.versions else "").segments) < 3:
                    assert time.monotonic() < deadline, watcher.versions
                    time.sleep(0.1)
                process = daemon.player.process
                logins = sources_so_far(icecast)
                killed_at = time.monotonic()
                process.send_signal(signal.SIGKILL)
                # The old source leaves the mount and a new one logs in (too quickly, maybe, to see it gone).
                while not (sources_so_far(icecast) > logins and MOUNT in icecast.mounts()):
                    assert time.monotonic() - killed_at < 10, icecast.log_tail()
                    time.sleep(0.02)
                back_s = time.monotonic() - killed_at
                killed_in_night = (clock.now() - START).total_seconds() - back_s
                daemon.stream_thread.join(timeout=order.length_s - joined_at + 30)
                assert not daemon.stream_thread.is_alive(), "the night never ended"
            finally:
                daemon.stop()
    assert back_s < 2.0, f"back on air {back_s:.2f} s after the stream process was killed"
    assert daemon.player.restarts == 1 and process.returncode == -signal.SIGKILL

    parsed = check_versions(watcher.versions)
    assert parsed[-1].is_endlist, "the night ended but the playlist was left open"
    final = parsed[-1]
    breaks = [i for i, s in enumerate(final.segments) if s.discontinuity]
    assert len(breaks) == 1 and 3 <= breaks[0] < len(final.segments) - 3, [s.uri for s in final.segments]
    # Before the break, what the killed process had finished; after it, the rest of the night.
    before = sum(s.duration for s in final.segments[: breaks[0]])
    after = sum(s.duration for s in final.segments[breaks[0] :])
    assert before >= killed_in_night - joined_at - 3, (before, killed_in_night)
    assert abs(after - (order.length_s - killed_in_night - back_s)) < 3, (after, killed_in_night, back_s)
    closed = live / "night.m3u8"
    assert silences(closed) == [], "dead air in the HLS stream"


# ---------------------------------------------------------------- silence never airs
@pytest.mark.stream
def test_a_silent_file_is_handed_to_standby_before_its_silence_airs(station, tmp_path, monkeypatch, caplog):
    """With the default `silence_max_s` (5 s): a silent recording between two items never reaches listeners;
    standby plays from where it begins. ffmpeg's silencedetect finds no 2-second gap on Icecast or in HLS."""
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    caplog.set_level(logging.INFO, logger="station.stream")
    with Icecast(tmp_path / "icecast", mounts={MOUNT: {"charset": "UTF-8"}}) as icecast:
        with open(station.root / "station.toml", "a") as f:
            f.write(
                f'[stream]\nhls_segment_s = 2\nhls_window_s = 600\nicecast_url = "icecast://127.0.0.1:{icecast.port}{MOUNT}"\n'
            )
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", icecast.source_password)
        config = station.config
        assert config.settings.stream.silence_max_s == 5
        media.tone(station.root / "before.mp3", seconds=5, freq=330)
        media.silence(station.root / "silent.mp3", seconds=8)
        media.tone(station.root / "after.mp3", seconds=5, freq=440)
        media.tone(station.root / "standby.mp3", seconds=20, freq=262)
        night = Night(
            NIGHT,
            "test",
            START,
            START + dt.timedelta(seconds=18),
            [
                Slot(0.0, 5.0, "episode", "Before", "before.mp3", "Talk"),
                Slot(5.0, 8.0, "episode", "Nothing but silence", "silent.mp3", "Talk"),
                Slot(13.0, 5.0, "episode", "After", "after.mp3", "Talk"),
            ],
            fallback=["standby.mp3"],
        )
        player = stream.Player(
            config, stream.outputs_for(config), stream.ShiftedClock(START), running_order=lambda d: night
        )
        recording = tmp_path / "icecast.wav"
        with Playing(player, NIGHT) as playing:
            icecast.wait_for_mount(MOUNT, timeout=20)
            recorder = record(icecast.listen_url(MOUNT), 14, recording, stderr=subprocess.PIPE)
            _, said = recorder.communicate(timeout=60)
            report = playing.wait(timeout=60)
    assert recorder.returncode == 0, said
    assert report.standby == [("Nothing but silence", "it was silent for more than 5 seconds")], caplog.text
    assert decoded_seconds(recording) == pytest.approx(14, abs=1)
    assert silences(recording) == [], "dead air on the Icecast stream"
    check_hls(config.site_dir / "live", report.seconds)  # silencedetect (2 s) on the HLS audio too


def test_silence_is_judged_on_what_is_waiting_to_be_sent():
    chunk = bytes(stream.CHUNK_FRAMES * stream.FRAME_BYTES)  # 100 ms
    quiet = collections.deque([(chunk, True)] * 20)  # 2 s of silence waiting
    assert stream._silent_for(quiet, 2 * stream.RATE)
    assert not stream._silent_for(quiet, 2 * stream.RATE + 1)  # it might yet end
    assert not stream._silent_for(collections.deque([(chunk, False), *quiet]), 2 * stream.RATE)  # audio first
    assert not stream._silent_for(collections.deque(), 1)


# ---------------------------------------------------------------- listeners at scale: a relay
def relay_config(primary: Icecast) -> str:
    """The <relay> block docs/deploy.md gives a second server: it pulls the night's mount from the first."""
    return (
        "  <relay>\n"
        f"    <server>{primary.host}</server>\n"
        f"    <port>{primary.port}</port>\n"
        f"    <mount>{MOUNT}</mount>\n"
        f"    <local-mount>{MOUNT}</local-mount>\n"
        "    <on-demand>0</on-demand>\n"
        "    <relay-shoutcast-metadata>1</relay-shoutcast-metadata>\n"
        "  </relay>\n"
    )


@pytest.mark.stream
def test_a_listener_on_a_relay_server_hears_the_night_and_its_titles(station, tmp_path, monkeypatch):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    charset = {MOUNT: {"charset": "UTF-8"}}
    with Icecast(tmp_path / "primary", mounts=charset) as primary:
        with open(station.root / "station.toml", "a") as f:
            f.write(stream_section(primary.port, hls=False))
        monkeypatch.setenv("STATION_ICECAST_PASSWORD", primary.source_password)
        night = titled_night(station, seconds=8.0)
        config = station.config
        player = stream.Player(
            config, stream.outputs_for(config), stream.ShiftedClock(START), running_order=lambda d: night
        )
        with Playing(player, NIGHT) as playing:
            primary.wait_for_mount(MOUNT, timeout=20)
            with Icecast(tmp_path / "relay", mounts=charset, extra=relay_config(primary)) as relay:
                relay.wait_for_mount(MOUNT, timeout=10)
                heard = tmp_path / "relay.mp3"
                with IcyListener(relay.listen_url(MOUNT), heard, seconds=8) as listener:
                    listener.wait_for_title(f"{TITLES[1][0]} — {TITLES[1][1]}", timeout=15)
                    listener.stop()
            playing.wait(timeout=30)
    assert listener.error is None, repr(listener.error)
    assert listener.audio_bytes > 3 * 128_000 // 8, "the relay passed on less than 3 s of audio"  # cut mid-frame
    assert silences(heard, min_s=2) == []


# ---------------------------------------------------------------- listeners at scale: HLS in the bucket
@pytest.mark.stream
def test_hls_goes_to_the_bucket_as_it_is_made_with_cdn_cache_headers(station, monkeypatch):
    import boto3

    from tests.s3 import CREDENTIALS, make_bucket, moto_server

    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with moto_server() as endpoint:
        make_bucket(endpoint, "night-owls")
        with open(station.root / "station.toml", "a") as f:
            f.write(stream_section() + "hls_publish = true\n")
            f.write(f'\n[publish]\nbucket = "night-owls"\nendpoint_url = "{endpoint}"\nprefix = "radio"\n')
        config = station.config
        night = titled_night(station, seconds=7.0)
        player = stream.Player(
            config, stream.outputs_for(config), stream.ShiftedClock(START), running_order=lambda d: night
        )
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

        def listed() -> dict[str, dict]:
            objects = s3.list_objects_v2(Bucket="night-owls", Prefix="radio/live/").get("Contents", [])
            return {o["Key"].removeprefix("radio/live/"): o for o in objects}

        with Playing(player, NIGHT) as playing:
            deadline = time.monotonic() + 12
            while not any(name.endswith(".ts") for name in listed()):  # while the night plays
                assert time.monotonic() < deadline, "no segment reached the bucket while the night played"
                time.sleep(0.2)
            during = s3.get_object(Bucket="night-owls", Key="radio/live/night.m3u8")
            during_list = m3u8.loads(during["Body"].read().decode())
            there = listed()
            playing.wait(timeout=40)
        after = listed()
        final = s3.get_object(Bucket="night-owls", Key="radio/live/night.m3u8")
        final_list = m3u8.loads(final["Body"].read().decode())
        segment = s3.head_object(Bucket="night-owls", Key="radio/live/" + final_list.segments[0].uri)
        now = json.loads(s3.get_object(Bucket="night-owls", Key="radio/live/now.json")["Body"].read())

    # The playlist up during the night: open, naming segments that were already in the bucket.
    assert not during_list.is_endlist and during_list.segments
    assert all(seg.uri in there for seg in during_list.segments), (during_list.segments, sorted(there))
    # A playlist for a few seconds (half a 2 s segment), a segment for a year.
    assert during["CacheControl"] == "public, max-age=1"
    assert during["ContentType"] == "application/vnd.apple.mpegurl"
    assert segment["CacheControl"] == "public, max-age=31536000, immutable"
    assert segment["ContentType"] == "video/mp2t"
    # At the night's end the bucket holds what the disk does: the closed playlist and every segment it names.
    local = (config.site_dir / "live" / "night.m3u8").read_text(encoding="utf-8")
    assert final_list.is_endlist and final["Body"] is not None
    assert [seg.uri for seg in final_list.segments] == [seg.uri for seg in m3u8.loads(local).segments]
    assert all(seg.uri in after for seg in final_list.segments)
    assert sum(seg.duration for seg in final_list.segments) == pytest.approx(14, abs=1)
    assert now["on_air"] is False  # now.json went up too: the published site's listen control reads it


# ---------------------------------------------------------------- smooth joins
def joins_night(station) -> Night:
    """Two music beds (330 Hz, then 550 Hz), an ident (880 Hz), an episode (440 Hz): tones, so each item can
    be heard apart in the mix."""
    for name, freq, seconds in (("bed-a", 330, 8), ("bed-b", 550, 10), ("ident", 880, 2), ("talk", 440, 3)):
        media.tone(station.root / f"{name}.mp3", seconds=seconds, freq=freq)
    return Night(
        NIGHT,
        "test",
        START,
        START + dt.timedelta(seconds=12),
        [
            Slot(0.0, 4.0, "bed", "Music", "bed-a.mp3", "Talk"),
            Slot(4.0, 4.0, "bed", "Music", "bed-b.mp3", "Talk"),
            Slot(8.0, 2.0, "ident", "Station ident", "ident.mp3", "Talk"),
            Slot(10.0, 2.0, "episode", "Talk", "talk.mp3", "Talk"),
        ],
        fallback=[],
    )


def level_db(samples, at_s: float, freq: float, window_s: float = 0.1) -> float:
    """The level of one frequency around `at_s` (a 100 ms window), in dB of full scale."""
    import numpy as np

    a, b = round((at_s - window_s / 2) * 44100), round((at_s + window_s / 2) * 44100)
    x = samples[a:b]
    t = np.arange(len(x)) / 44100
    amplitude = 2 * abs(np.dot(x, np.exp(-2j * np.pi * freq * t))) / len(x)
    return 20 * np.log10(max(amplitude, 1e-9))


def test_only_a_bed_goes_on_under_what_follows(station):
    night = joins_night(station)
    player = stream.Player(station.config, [], stream.ShiftedClock(START))
    bed_a, bed_b, ident, talk = night.slots
    assert player._under(night, bed_a) is bed_b  # crossfade
    assert player._under(night, bed_b) is ident  # ducked under it
    assert player._under(night, ident) is None and player._under(night, talk) is None
    into_talk = Night(NIGHT, "t", START, START + dt.timedelta(seconds=6), [bed_a, replace(talk, start_s=4.0)])
    assert player._under(into_talk, bed_a) is None  # never across speech
    night.crossfades = {"Talk": 0.0}  # a block that asks for none (schedule: crossfade_s: 0)
    assert player._under(night, bed_a) is None
    assert Night.from_json(night.to_json()).crossfades == {"Talk": 0.0}


@pytest.mark.stream
def test_beds_crossfade_and_duck_under_an_ident_on_the_running_order_s_clock(station):
    import numpy as np

    with open(station.root / "station.toml", "a") as f:
        f.write(stream_section())
    config = station.config
    assert (config.settings.stream.crossfade_s, config.settings.stream.duck_db) == (2.0, -15.0)
    night = joins_night(station)
    player = stream.Player(
        config, stream.outputs_for(config), stream.ShiftedClock(START), running_order=lambda d: night
    )
    with Playing(player, NIGHT) as playing:
        report = playing.wait(timeout=40)
    assert report.standby == [] and report.seconds == pytest.approx(12, abs=0.05)
    playlist = config.site_dir / "live" / "night.m3u8"
    pcm = subprocess.run(
        [ffmpeg.executable(), "-v", "error", "-i", str(playlist), "-f", "s16le", "-ac", "1", "-ar", "44100", "-"],
        capture_output=True,
        check=True,
    ).stdout
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
    full_a, full_b = level_db(x, 3.0, 330), level_db(x, 7.0, 550)
    assert level_db(x, 3.0, 550) < full_b - 40  # before 4 s: the first bed alone
    assert level_db(x, 3.8, 550) < full_b - 30  # ... to the running order's second
    for t in (4.5, 5.0, 5.5):  # 4-6 s: both, one coming in as the other goes out
        assert level_db(x, t, 330) > full_a - 20 and level_db(x, t, 550) > full_b - 20, t
    assert level_db(x, 5.0, 330) == pytest.approx(full_a - 3, abs=2)  # equal power at the middle
    assert level_db(x, 5.0, 550) == pytest.approx(full_b - 3, abs=2)
    assert level_db(x, 6.5, 330) < full_a - 40  # the first bed has gone
    # Under the ident (8-10 s): the second bed goes on, 15 dB down; after it, gone before the episode.
    assert level_db(x, 9.0, 880) > level_db(x, 9.0, 550) + 6
    assert level_db(x, 9.0, 550) == pytest.approx(full_b - 15, abs=3)
    assert level_db(x, 10.5, 550) < full_b - 40 and level_db(x, 10.5, 440) > full_b - 6
