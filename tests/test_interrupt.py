"""A build killed half-way leaves no half-written file, and the next build converges."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests import media
from tests.conftest import Station, tree_hashes


# Slow tier (8 s: three recordings of 1.5 minutes rendered). The everyday run keeps a kill mid-build
# whose next build must converge: test_faults.py::test_a_build_killed_while_joining_the_whisper_model_does_not_stop_the_next.
@pytest.mark.slow
def test_a_killed_build_leaves_nothing_half_written(station, tmp_path):
    for i in range(3):  # three recordings, so three tasks (one recording published thrice would be one)
        long = media.long_speech(tmp_path / f"long-{i}.flac", minutes=1.5 + i / 10)
        station.episode(f"episode-{i}.flac", source=long, title=f"Long night {i}")
    clean = Station.__new__(Station)
    clean.root, clean.clips = tmp_path / "clean", station.clips
    shutil.copytree(station.root, clean.root)

    proc = subprocess.Popen(
        [sys.executable, "-m", "station", "build", "--station", str(station.root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cache = station.root / ".station" / "cache"
    deadline = time.monotonic() + 120
    # Wait until one episode's audio is in the cache and another's is being rendered, then pull the plug.
    while time.monotonic() < deadline and proc.poll() is None:
        if list(cache.glob("audio/*.mp3")) and list(cache.glob("work/.tmp-*/.tmp-*.mp3")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(station.root.rglob(".tmp-*")), "the kill should have caught a file mid-write"

    again = station.build()
    assert again.problems == []
    assert list(station.root.rglob(".tmp-*")) == []
    clean.build()
    assert station.site_files() == clean.site_files()
    assert tree_hashes(station.root / "content") == tree_hashes(clean.root / "content")


def test_a_recording_still_being_copied_is_left_for_the_next_run(station, clips):
    toml = (station.root / "station.toml").read_text().replace("settle_s = 0", "settle_s = 1")
    (station.root / "station.toml").write_text(toml)
    station.episode("done.mp3")
    whole = clips.get("speech.wav").read_bytes()
    growing = station.root / "content/shows/night-talk/arriving.wav"
    station.episode("arriving.wav", source=clips.get("speech.wav"), title="Arriving")
    growing.write_bytes(whole[:1000])
    stop = threading.Event()

    def copy_slowly():
        written = 1000
        while not stop.is_set() and written < len(whole):
            with growing.open("ab") as f:
                f.write(whole[written : written + 2000])
            written += 2000
            time.sleep(0.05)

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    try:
        result = station.build()
    finally:
        stop.set()
        writer.join()
    assert result.waiting == ["content/shows/night-talk/arriving.wav"]
    assert [o.where for o in result.episodes] == ["content/shows/night-talk/done.mp3"]
    assert result.problems == []
    growing.write_bytes(whole)
    os.utime(growing, (time.time() - 5, time.time() - 5))
    later = station.build()
    assert later.waiting == [] and {o.state for o in later.episodes} == {"built", "unchanged"}
