"""Loudness, trimming and encoding, measured on the published file by an independent ebur128 pass."""

import subprocess

import pytest
from mutagen.mp3 import MONO, MP3

from station.tools import ffmpeg
from tests.conftest import TEXT, ebur128

FORMATS = [("wav", 1), ("flac", 2), ("mp3", 1), ("m4a", 1), ("ogg", 1), ("webm", 2)]


@pytest.mark.parametrize("ext, channels", FORMATS)
def test_every_format_is_normalised_trimmed_and_encoded(station, clips, ext, channels):
    source = clips.get(f"speech-{channels}.{ext}", channels=channels, pad_s=1.5)
    station.episode(f"episode.{ext}", source=source)
    result = station.build()
    assert result.problems == [], result.problems
    out = station.root / "site" / result.episodes[0].audio
    measured = ebur128(out)
    target = -19.0 if channels == 1 else -16.0
    assert abs(measured["I"] - target) <= 1.0, measured
    assert measured["TP"] <= -1.0, measured
    info = MP3(out).info
    assert info.sample_rate == 44100
    assert (info.mode == MONO) == (channels == 1)
    assert info.bitrate == (64000 if channels == 1 else 128000)
    # 1.5 s of silence at each end, trimmed to 0.3 s: the episode is about 2.4 s shorter.
    before = ffmpeg.measure(source, 60).duration_s
    assert before - 2.9 < info.length < before - 1.9


def test_the_loudness_range_is_kept(station, clips, tmp_path):
    """A quiet passage then a loud one (LRA about 10 LU): linear gain keeps it, compression would not."""
    quiet = clips.get("quiet-part.wav", gain_db=-12.0, pad_s=0.2, text=TEXT)
    loud = clips.get("loud-part.wav", gain_db=0.0, pad_s=0.2, text=TEXT)
    both = tmp_path / "both.wav"
    subprocess.run(
        [
            ffmpeg.executable(),
            "-v",
            "error",
            "-i",
            str(quiet),
            "-i",
            str(loud),
            "-filter_complex",
            "[0][1]concat=n=2:v=0:a=1",
            str(both),
        ],
        check=True,
    )
    station.episode("range.wav", source=both)
    result = station.build()
    before, after = ebur128(both), ebur128(station.root / "site" / result.episodes[0].audio)
    assert before["LRA"] > 8
    assert abs(after["LRA"] - before["LRA"]) <= 1.0, (before, after)
    assert abs(after["I"] + 19.0) <= 1.0 and after["TP"] <= -1.0


@pytest.mark.parametrize("gain_db", [-24.0, 1.5])
def test_quiet_and_hot_recordings_reach_the_target(station, clips, gain_db):
    station.episode("level.wav", source=clips.get(f"gain{gain_db}.wav", gain_db=gain_db))
    result = station.build()
    assert result.problems == []
    measured = ebur128(station.root / "site" / result.episodes[0].audio)
    assert abs(measured["I"] + 19.0) <= 1.0 and measured["TP"] <= -1.0, measured


def test_targets_come_from_station_toml(station, clips):
    with (station.root / "station.toml").open("a") as f:
        f.write("\n[loudness]\nmono_lufs = -23.0\ntrue_peak_db = -2.0\n")
    station.episode("quiet.wav", source=clips.get("speech.wav"))
    result = station.build()
    measured = ebur128(station.root / "site" / result.episodes[0].audio)
    assert abs(measured["I"] + 23.0) <= 1.0 and measured["TP"] <= -2.0, measured
    assert result.episodes[0].measured["target_lufs"] == -23.0


def test_intro_and_outro_are_joined_untrimmed(station, clips):
    folder = station.show(
        "night-talk",
        toml='title = "Night Talk"\ndescription = "x"\nintro = "parts/intro.wav"\noutro = "parts/outro.mp3"\n',
    )
    (folder / "parts").mkdir()
    intro = clips.get("intro.wav", text="You are listening to Night Talk.", pad_s=0.0)
    outro = clips.get("outro.mp3", text="Night Talk will be back tomorrow.", pad_s=0.0)
    (folder / "parts/intro.wav").write_bytes(intro.read_bytes())
    (folder / "parts/outro.mp3").write_bytes(outro.read_bytes())
    station.episode("ep.wav", source=clips.get("speech.wav"))
    result = station.build()
    assert result.problems == []
    assert [o.where for o in result.episodes] == ["content/shows/night-talk/ep.wav"]  # parts are not episodes
    joined = MP3(station.root / "site" / result.episodes[0].audio).info.length
    alone = ffmpeg.measure(clips.get("speech.wav"), 60).duration_s - 2 * (1.0 - 0.3)
    parts = ffmpeg.measure(intro, 60).duration_s + ffmpeg.measure(outro, 60).duration_s
    assert abs(joined - (alone + parts)) < 0.5
    assert abs(ebur128(station.root / "site" / result.episodes[0].audio)["I"] + 19.0) <= 1.0


def test_masked_voice_is_changed_but_keeps_its_timing_and_level(station, clips):
    station.episode("plain.wav", source=clips.get("speech.wav"), title="Plain")
    station.episode(
        "masked.wav",
        source=clips.get("speech.wav"),
        title="Masked",
        presenters=[{"name": "Kestrel", "tier": "pseudonym-masked"}],
    )
    result = station.build()
    plain, masked = (station.root / "site" / o.audio for o in result.episodes)
    assert plain.read_bytes() != masked.read_bytes()
    assert abs(MP3(plain).info.length - MP3(masked).info.length) < 0.2
    assert abs(ebur128(masked)["I"] + 19.0) <= 1.0 and ebur128(masked)["TP"] <= -1.0
