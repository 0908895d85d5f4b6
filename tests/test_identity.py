"""Identity protection: masked voices stay understandable, and no full name leaks into files, state or logs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from mutagen.id3 import ID3

from tests.wer import wer

STORY = (
    "My name is Jordan. I kept going to the group on Thursdays even when I did not want to. "
    "After a month the kettle was on for me before I walked in."
)


@pytest.mark.slow
@pytest.mark.transcribe
def test_a_masked_voice_still_transcribes_within_a_few_points_of_the_original(station):
    clip = station.clips.get("masking.wav", text=STORY)
    station.episode("plain.wav", source=clip, title="Plain voice", presenters=[{"name": "Jordan", "tier": "pseudonym"}])
    station.episode(
        "masked.wav", source=clip, title="Masked voice", presenters=[{"name": "Jordan", "tier": "pseudonym-masked"}]
    )
    result = station.build()
    assert result.errors == []
    media = station.root / "site/media/night-talk"
    plain, masked = (media / "plain-voice.txt").read_text(), (media / "masked-voice.txt").read_text()
    assert plain != masked  # the masked one was heard from the changed voice
    assert wer(STORY, masked) <= wer(STORY, plain) + 0.08, (plain, masked)


@pytest.mark.transcribe
def test_no_full_name_reaches_published_files_state_or_logs(station):
    station.episode(
        "night-bus.mp3",
        presenters=[{"name": "Jordan Quillfeather", "tier": "first-name"}],
        consent={"by": "Jordan Quillfeather", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site"]},
        redact=["Crawley"],
    )
    station.episode(
        "three.mp3",
        title="Another night",
        presenters=[{"name": "Rowan Sixpenny", "tier": "pseudonym"}],
        consent={"by": "Alex Realname", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site"]},
        redact=["Crawley"],
    )
    first = station.cli("build", "-v")
    again = station.cli("build", "-v")
    assert first.returncode == 0, first.stderr
    secrets = [b"Quillfeather", b"Realname", b"Crawley", b"crawley"]
    leaks = []
    for path in [*(station.root / "site").rglob("*"), *(station.root / ".station").rglob("*")]:
        # The build's private cache keeps the machine transcript, which may hold a word to hide; nothing else may.
        if path.is_file() and "/cache/transcripts/" not in path.as_posix():
            leaks += [f"{path.relative_to(station.root)}: {s.decode()}" for s in secrets if s in path.read_bytes()]
    for output in (first.stdout, first.stderr, again.stdout, again.stderr):
        leaks += [f"build output: {s.decode()}" for s in secrets if s.decode() in output]
    assert leaks == [], "\n".join(leaks)
    tags = ID3(station.root / "site/media/night-talk/finding-the-night-bus-home.mp3")
    assert tags["TPE1"].text == ["Jordan"]
    assert all(re.fullmatch(r"[a-z0-9.-]+", p.name) for p in (station.root / "site/media").rglob("*"))
