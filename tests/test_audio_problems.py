"""Bad recordings get a plain answer with the fix; the good ones are built anyway."""

import re

import pytest

from tests import media

DAMAGED = "this file is damaged or cut short"
RE_EXPORT = r"export it again from the original \(as MP3 or WAV\) and drop it in"


def outcome(result, name):
    return next(o for o in result.episodes if o.where.endswith("/" + name))


def only_problem(result, name) -> str:
    found = [str(p) for p in result.problems if p.where.endswith("/" + name)]
    assert len(found) == 1, found
    return found[0].split(": ", 1)[1]


@pytest.mark.transcribe
@pytest.mark.slow  # the everyday tier keeps the quicker tests of each kind of bad recording below
def test_every_bad_recording_is_reported_and_the_good_one_still_builds(station, clips, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my shopping list\n" * 200)
    station.episode("good.m4a", source=clips.get("speech.m4a"))
    (tmp_path / "nothing.mp3").touch()
    station.episode("empty.mp3", source=tmp_path / "nothing.mp3")
    station.episode("list.mp3", source=notes)
    station.episode("silent.wav", source=media.silence(tmp_path / "silence.wav"))
    station.episode("hi.wav", source=clips.get("hi.wav", text="Hi."))
    station.episode("loud.wav", source=media.clipped(tmp_path / "clipped.wav"))
    result = station.build()
    assert outcome(result, "good.m4a").state == "built"
    assert {o.where.rsplit("/", 1)[1] for o in result.episodes if o.state == "held back"} == {
        "empty.mp3",
        "list.mp3",
        "silent.wav",
        "hi.wav",
        "loud.wav",
    }
    assert (
        only_problem(result, "empty.mp3")
        == "this file is empty (0 bytes): the copy or upload did not finish — drop the recording in again"
    )
    assert (
        only_problem(result, "list.mp3")
        == "this file is not audio we can read — export it again as MP3 or WAV and drop it in"
    )
    assert only_problem(result, "silent.wav") == (
        "there is no sound in this recording (it is silent all the way "
        "through) — check the microphone was on and record again, or drop in the right file"
    )
    assert only_problem(result, "hi.wav") == (
        "this recording is too short: 1.1 s of sound after trimming silence — "
        "episodes need at least 3 s; drop in the full recording"
    )
    assert only_problem(result, "loud.wav").startswith("this recording is heavily clipped (")
    assert only_problem(result, "loud.wav").endswith(
        "of it is cut off at full volume), so it sounds distorted — record again with the input level lower, "
        "or add `allow_clipping: true` to the metadata file to publish it as it is"
    )
    assert sorted(p.where for p in result.errors) == sorted(o.where for o in result.episodes if o.state == "held back")
    assert sorted(p.name for p in (station.root / "site/media/night-talk").iterdir()) == [
        f"finding-the-night-bus-home.{ext}" for ext in ("json", "mp3", "srt", "txt", "vtt")
    ]


SAYS = r" \(it stops at 0:0\d but says it is 0:1\d long\)"


@pytest.mark.parametrize(
    "ext, message",
    [
        ("wav", f"{DAMAGED} — {RE_EXPORT}"),
        ("flac", f"{DAMAGED}{SAYS} — {RE_EXPORT}"),
        ("mp3", f"{DAMAGED}{SAYS} — {RE_EXPORT}"),
        ("m4a", f"this M4A file is damaged and cannot be played — {RE_EXPORT}"),
        ("ogg", f"{DAMAGED} — {RE_EXPORT}"),
        ("webm", f"{DAMAGED}{SAYS} — {RE_EXPORT}"),
    ],
)
def test_a_recording_cut_short_is_held_back(station, clips, tmp_path, ext, message):
    whole = clips.get(f"speech.{ext}", channels=2 if ext == "webm" else 1)
    station.episode(f"cut.{ext}", source=media.truncated(whole, tmp_path / f"cut.{ext}", keep=0.5))
    result = station.build()
    assert outcome(result, f"cut.{ext}").state == "held back"
    assert re.fullmatch(message, only_problem(result, f"cut.{ext}"))


def test_a_file_whose_extension_lies_is_built_and_named(station, clips):
    station.episode("voice-note.mp3", source=clips.get("speech.wav"))
    result = station.build()
    assert outcome(result, "voice-note.mp3").state == "built"
    assert only_problem(result, "voice-note.mp3") == (
        "this is really a WAV file, but its name ends in .mp3 — rename it to voice-note.wav (it was built anyway)"
    )
    assert result.warnings and not result.errors


def test_clipping_can_be_accepted_by_the_presenter(station, tmp_path):
    station.episode("loud.wav", source=media.clipped(tmp_path / "clipped.wav"), allow_clipping=True)
    result = station.build()
    assert outcome(result, "loud.wav").state == "built" and result.problems == []


def test_an_unreadable_file(station, monkeypatch):
    # Tests run as root, who can read anything: the one fault here we cannot cause for real.
    station.episode("locked.mp3")
    import station.build.ledger as ledger

    real = ledger.sha256_file

    def refuse(path):
        if path.name == "locked.mp3":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(ledger, "sha256_file", refuse)
    result = station.build()
    assert only_problem(result, "locked.mp3") == (
        "this file cannot be read (Permission denied) — check it is still there and the station may read it"
    )


@pytest.mark.slow
def test_cli_exit_codes_and_summary(station, clips, tmp_path):
    station.episode("good.mp3")
    station.episode("bad.wav", source=media.silence(tmp_path / "s.wav"))
    run = station.cli("build")
    assert run.returncode == 1, run.stderr
    assert (
        "✓ built content/shows/night-talk/good.mp3 → site/media/night-talk/finding-the-night-bus-home.mp3" in run.stdout
    )
    assert "✗ held back content/shows/night-talk/bad.wav" in run.stdout
    assert "Built 2 episodes: 1 built, 1 held back; 1 problem, 0 warnings." in run.stdout
    assert "problem content/shows/night-talk/bad.wav: there is no sound in this recording" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    (station.root / "content/shows/night-talk/bad.wav").unlink()
    (station.root / "content/shows/night-talk/bad.yaml").unlink()
    assert station.cli("build").returncode == 0
    station.episode("lies.mp3", source=clips.get("speech.wav"), title="Another night")
    assert station.cli("build").returncode == 0
    strict = station.cli("build", "--strict")
    assert strict.returncode == 1 and "warning content/shows/night-talk/lies.mp3" in strict.stderr
