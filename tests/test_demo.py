"""The demo station in this repository builds cleanly, and a rebuild does nothing."""

from mutagen.id3 import ID3

from station import config as config_mod
from station.build import runner as pipeline
from tests.conftest import DEMO_NOW, ebur128


def test_the_demo_station_builds(demo):
    root, result = demo
    assert [str(p) for p in result.problems] == []
    states = {o.where: o.state for o in result.episodes}
    assert states == {
        "content/shows/night-talk/awake-at-three.m4a": "built",
        "content/shows/night-talk/night-bus.mp3": "built",
        "content/shows/small-steps/first-meeting.ogg": "built",
        "content/shows/small-steps/kitchen-table.webm": "built",
        "content/shows/small-steps/new-year.mp3": "not public yet",
    }
    for o in result.episodes:
        if o.audio:
            measured = ebur128(root / "site" / o.audio)
            target = -16.0 if o.measured["channels"] == 2 else -19.0
            assert abs(measured["I"] - target) <= 1.0 and measured["TP"] <= -1.0
    assert ID3(root / "site/media/night-talk/awake-at-three.mp3")["TPE1"].text == ["Robin"]


def test_a_demo_rebuild_does_no_work(demo):
    root, _ = demo
    again = pipeline.build(config_mod.load(root), now=DEMO_NOW)
    assert again.work == {} and {o.state for o in again.episodes} == {"unchanged", "not public yet"}
