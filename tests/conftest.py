"""Fixtures: real speech made once per session, and throwaway stations to build."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, settings

from station import config as config_mod
from station.build import runner as pipeline
from station.tools import ffmpeg
from tests import media

# Property tests: a bounded profile by default (CI), a long one for hunting (`HYPOTHESIS_PROFILE=long`).
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
TEXT = (
    "Hello, it is Sam. It is gone midnight and I am on the night bus home from the meeting in Crawley. "
    "A year ago I would have got off two stops early. Tonight I stayed on. If you are on a bus somewhere, stay on."
)

STATION_TOML = """
[station]
name = "Test Station"
base_url = "https://test.example.org/"
contact_email = "hello@test.example.org"
language = "en-GB"
artwork = "content/artwork.jpg"

[build]
settle_s = 0
"""

# Whisper is the slowest stage and most tests are about something else: a test station transcribes only when the
# test is marked `@pytest.mark.transcribe` (then it must, or what the test claims goes untested).
TRANSCRIPTS_OFF = "\n[transcripts]\nenabled = false\n"


def sidecar(**overrides) -> dict:
    data = {
        "title": "Finding the night bus home",
        "description": "Sam on the ride home.",
        "presenters": [{"name": "Sam", "tier": "first-name"}],
        "consent": {"by": "Sam", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site", "stream"]},
        "topics": ["struggle.decision_to_recover"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Clips:
    if not media.espeak_available():
        pytest.fail("espeak-ng is not installed: run the tests with `bash tests/run`, which installs it")
    return Clips(tmp_path_factory.mktemp("clips"))


class Clips:
    """Real recordings, made on first use and shared by the whole session."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, name: str, **kw) -> Path:
        path = self.folder / name
        if not path.exists():
            media.speech(kw.pop("text", TEXT), path, **kw)
        return path


class Station:
    def __init__(self, root: Path, clips: Clips, transcribe: bool = False):
        self.root, self.clips = root, clips
        (root / "content" / "shows").mkdir(parents=True)
        (root / "station.toml").write_text(STATION_TOML + ("" if transcribe else TRANSCRIPTS_OFF))
        shutil.copyfile(REPO / "content" / "artwork.jpg", root / "content" / "artwork.jpg")

    @property
    def config(self):
        return config_mod.load(self.root)

    def show(self, slug: str = "night-talk", toml: str | None = None) -> Path:
        folder = self.root / "content" / "shows" / slug
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "show.toml").write_text(toml or 'title = "Night Talk"\ndescription = "Peers after midnight."\n')
        return folder

    def episode(
        self,
        name: str,
        source: Path | None = None,
        show: str = "night-talk",
        meta: dict | str | None = None,
        **overrides,
    ) -> Path:
        folder = self.root / "content" / "shows" / show
        if not (folder / "show.toml").exists():
            self.show(show)
        recording = folder / name
        shutil.copyfile(source or self.clips.get("speech.mp3"), recording)
        side = recording.with_suffix(".yaml")
        if isinstance(meta, str):
            side.write_text(meta)
        elif meta is not False:
            side.write_text(yaml.safe_dump(meta if meta is not None else sidecar(**overrides), sort_keys=False))
        return recording

    def build(self, check: bool = False, now: dt.datetime | None = None) -> pipeline.BuildResult:
        return pipeline.build(self.config, check=check, now=now or dt.datetime(2026, 11, 22, tzinfo=dt.UTC))

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "station", *args, "--station", str(self.root)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"},
        )

    def site_files(self) -> dict[str, str]:
        return tree_hashes(self.root / "site")


def tree_hashes(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def station(request, tmp_path, clips) -> Station:
    return Station(tmp_path / "station", clips, transcribe=request.node.get_closest_marker("transcribe") is not None)


def ebur128(path: Path) -> dict:
    """Loudness measured independently of the station's own parser: ffmpeg's ebur128 filter, read here."""
    log = subprocess.run(
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=quiet",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = log[log.rindex("Summary:") :]
    return {
        "I": float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),
        "LRA": float(re.search(r"LRA:\s+([\d.]+) LU", summary).group(1)),
        "TP": float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1)),
    }


DEMO_NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def demo(tmp_path_factory, worker_id):
    """The repository's demo station, copied and built once for the whole run: (root, first build's result).

    Every xdist worker shares the one build (the first to ask makes it, under a lock; the others wait and
    read its result), as every test of one worker always did: tests read it and copy it before changing
    anything. One build instead of one a worker takes about 7 s off the everyday tier on two cores."""
    from filelock import FileLock

    # The run's own folder: above each worker's folder under xdist, the session's folder without it.
    run = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    root, made = run / "demo" / "station", run / "demo" / "result.pickle"
    with FileLock(str(run / "demo.lock")):
        if not made.exists():
            root.mkdir(parents=True)
            shutil.copy(REPO / "station.toml", root)
            shutil.copytree(REPO / "content", root / "content")
            shutil.copytree(REPO / "scheduler", root / "scheduler")
            content = tree_hashes(root / "content")
            result = pipeline.build(config_mod.load(root), now=DEMO_NOW)
            assert tree_hashes(root / "content") == content
            made.write_bytes(pickle.dumps(result))
    return root, pickle.loads(made.read_bytes())
