"""Uploading at the desk, over real HTTP: what is refused, what is written, and where."""

from __future__ import annotations

import yaml

from station import catalog as catalog_mod
from station import config as config_mod
from tests.conftest import tree_hashes
from tests.desk import Served, desk_station, episode_ids


def _form(token: str, **overrides) -> dict:
    data = {"csrf": token, "show": "small-steps", "title": "Making tea at four", "description": "A short one.",
            "presenter_name": "Sam Bright", "tier": "first-name", "consent": "yes", "scope": ["podcast", "stream"],
            "content_notes": ["drug-use"], "topics": ["struggle.decision_to_recover"], "redact": "Crawley\n\n",
            "expires": "2027-11-30", "published_at": "2026-12-01T21:00"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_good_upload_becomes_a_recording_and_sidecar_the_pipeline_reads(demo, tmp_path, clips):
    root = desk_station(demo, tmp_path)
    with Served(root) as served:
        sam = served.client("sam")
        speech = clips.get("speech.mp3")
        with speech.open("rb") as f:
            # The browser's name for the file is never used: no path tricks.
            r = sam.post("/upload", _form(sam.token("/upload")), files={"recording": ("../../../evil.mp3", f)})
        assert r.status_code == 303, r.text
        folder = root / "content" / "shows" / "small-steps"
        assert (folder / "making-tea-at-four.mp3").read_bytes() == speech.read_bytes()
        meta = yaml.safe_load((folder / "making-tea-at-four.yaml").read_text())
        assert meta["presenters"] == [{"name": "Sam Bright", "tier": "first-name"}]
        assert meta["consent"]["scope"] == ["podcast", "stream"] and meta["consent"]["by"] == "Sam Bright"
        assert meta["redact"] == ["Crawley"] and meta["content_notes"] == ["drug-use"]
        assert str(meta["published_at"]).startswith("2026-12-01 21:00:00")
        assert not list(folder.glob(".upload-*")) and not (tmp_path / "evil.mp3").exists()
        # The pipeline takes it like a dropped-in file.
        episode = next(e for e in catalog_mod.load(config_mod.load(root), settle=False).episodes
                       if e.recording.name == "making-tea-at-four.mp3")
        assert episode.meta.topics == ["struggle.decision_to_recover"]
        # It is Sam's, it waits for the build, and the same title again gets a name of its own.
        page = sam.get(r.headers["Location"]).text
        assert "Waiting for the next build" in page
        assert len(episode_ids(sam.get("/").text)) == 4
        with speech.open("rb") as f:
            sam.post("/upload", _form(sam.token("/upload")), files={"recording": ("take2.mp3", f)})
        assert (folder / "making-tea-at-four-2.mp3").exists()


def test_bad_uploads_are_refused_in_plain_words_and_leave_nothing(demo, tmp_path, clips):
    root = desk_station(demo, tmp_path)
    text = root / "content" / "stream"
    (root / "station.toml").write_text((root / "station.toml").read_text() + "\n[desk]\nmax_upload_mb = 1\n")
    before = tree_hashes(root / "content")
    fake = tmp_path / "notes.mp3"
    fake.write_text("these are my notes, not a recording\n" * 100)
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + b"\0" * (3 << 20))
    with Served(root) as served:
        sam = served.client("sam")
        cases = [
            ({}, ("notes.mp3", fake), "not audio we can read"),
            ({}, ("notes.txt", fake), "not a recording we take"),
            ({"show": "../../scheduler"}, ("speech.mp3", clips.get("speech.mp3")), "Choose one of the station"),
            ({"consent": None}, ("speech.mp3", clips.get("speech.mp3")), "Tick the consent box"),
            ({"scope": []}, ("speech.mp3", clips.get("speech.mp3")), "choose at least one place"),
            ({"topics": ["struggle.decision_to_recovr"]}, ("speech.mp3", clips.get("speech.mp3")),
             "did you mean `struggle.decision_to_recover`"),
            ({"tier": "nickname"}, ("speech.mp3", clips.get("speech.mp3")), "How you are credited"),
        ]
        for overrides, (name, path), said in cases:
            with path.open("rb") as f:
                r = sam.post("/upload", _form(sam.token("/upload"), **overrides), files={"recording": (name, f)})
            assert r.status_code == 400 and said in r.text, (overrides, name, r.text[-2000:])
            assert "Making tea at four" in r.text     # the form comes back filled in
        with big.open("rb") as f:
            r = sam.post("/upload", _form(sam.token("/upload")), files={"recording": ("big.wav", f)})
        assert r.status_code == 413 and "up to 1 MB" in r.text
    assert tree_hashes(root / "content") == before
    assert text.is_dir()
