"""The demo station in this repository builds cleanly, and a rebuild does nothing."""

import datetime as dt
import shutil
from pathlib import Path

from mutagen.id3 import ID3

from station import config as config_mod
from station import pipeline
from tests.conftest import ebur128, tree_hashes

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)


def demo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    shutil.copy(REPO / "station.toml", root)
    shutil.copytree(REPO / "content", root / "content")
    return root


def test_the_demo_station_builds(tmp_path):
    root = demo_copy(tmp_path)
    content = tree_hashes(root / "content")
    result = pipeline.build(config_mod.load(root), now=NOW)
    assert [str(p) for p in result.problems] == []
    states = {o.where: o.state for o in result.outcomes}
    assert states == {
        "content/shows/night-talk/awake-at-three.m4a": "built",
        "content/shows/night-talk/night-bus.mp3": "built",
        "content/shows/small-steps/first-meeting.ogg": "built",
        "content/shows/small-steps/kitchen-table.webm": "built",
        "content/shows/small-steps/new-year.mp3": "not public yet",
    }
    for o in result.outcomes:
        if o.audio:
            measured = ebur128(root / "site" / o.audio)
            target = -16.0 if o.measured["channels"] == 2 else -19.0
            assert abs(measured["I"] - target) <= 1.0 and measured["TP"] <= -1.0
    assert ID3(root / "site/media/night-talk/awake-at-three.mp3")["TPE1"].text == ["Robin"]
    assert tree_hashes(root / "content") == content
    again = pipeline.build(config_mod.load(root), now=NOW)
    assert again.work == {} and {o.state for o in again.outcomes} == {"unchanged", "not public yet"}
