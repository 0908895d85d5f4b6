"""Uploading at the desk, over real HTTP: what is refused, what is written, and where."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from station import config as config_mod
from station.build import runner as pipeline
from station.catalog import content as catalog_mod
from tests import media
from tests.conftest import TEXT, tree_hashes
from tests.desk import Served, action_of, csrf_of, desk_station, episode_ids

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def _form(token: str, **overrides) -> dict:
    data = {
        "csrf": token,
        "show": "small-steps",
        "title": "Making tea at four",
        "description": "A short one.",
        "presenter_name": "Sam",
        "tier": "first-name",
        "consent": "yes",
        "scope": ["podcast", "stream"],
        "content_notes": ["drug-use"],
        "topics": ["struggle.decision_to_recover"],
        "redact": "Crawley\n\n",
        "expires": "2027-11-30",
        "published_at": "2026-12-01T21:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_good_upload_becomes_a_recording_and_sidecar_the_pipeline_reads(demo, tmp_path, clips):
    root = desk_station(demo, tmp_path)
    with Served(root) as served:
        sam = served.client("sam")
        speech = clips.get("speech.mp3")
        with speech.open("rb") as f:
            # The browser's name for the file is never used: no path tricks.
            r = sam.post(*_to(sam, "/upload"), files={"recording": ("../../../evil.mp3", f)})
        assert r.status_code == 303, r.text
        folder = root / "content" / "shows" / "small-steps"
        assert (folder / "making-tea-at-four.mp3").read_bytes() == speech.read_bytes()
        meta = yaml.safe_load((folder / "making-tea-at-four.yaml").read_text())
        assert meta["presenters"] == [{"name": "Sam", "tier": "first-name"}]
        assert meta["consent"]["scope"] == ["podcast", "stream"] and meta["consent"]["by"] == "Sam"
        assert meta["redact"] == ["Crawley"] and meta["content_notes"] == ["drug-use"]
        assert str(meta["published_at"]).startswith("2026-12-01 21:00:00")
        assert not list(folder.glob(".upload-*")) and not (tmp_path / "evil.mp3").exists()
        # The pipeline takes it like a dropped-in file.
        episode = next(
            e
            for e in catalog_mod.load(config_mod.load(root), settle=False).episodes
            if e.recording.name == "making-tea-at-four.mp3"
        )
        assert episode.meta.topics == ["struggle.decision_to_recover"]
        # It is Sam's, it waits for the build, and the same title again gets a name of its own.
        page = sam.get(r.headers["Location"]).text
        assert "Waiting for the next build" in page
        assert len(episode_ids(sam.get("/").text)) == 4
        with speech.open("rb") as f:
            sam.post(*_to(sam, "/upload"), files={"recording": ("take2.mp3", f)})
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
            (
                {"topics": ["struggle.decision_to_recovr"]},
                ("speech.mp3", clips.get("speech.mp3")),
                "did you mean `struggle.decision_to_recover`",
            ),
            ({"tier": "nickname"}, ("speech.mp3", clips.get("speech.mp3")), "How you are credited"),
        ]
        for overrides, (name, path), said in cases:
            with path.open("rb") as f:
                r = sam.post(*_to(sam, "/upload", **overrides), files={"recording": (name, f)})
            assert r.status_code == 400 and said in r.text, (overrides, name, r.text[-2000:])
            assert "Making tea at four" in r.text  # the form comes back filled in
        with big.open("rb") as f:
            r = sam.post(*_to(sam, "/upload"), files={"recording": ("big.wav", f)})
        assert r.status_code == 413 and "up to 1 MB" in r.text
    assert tree_hashes(root / "content") == before
    assert text.is_dir()


@pytest.mark.slow
def test_needs_attention_says_what_to_do_and_the_details_page_fixes_it(demo, tmp_path, clips):
    root = desk_station(demo, tmp_path)
    silent = media.silence(tmp_path / "quiet.wav")
    with Served(root) as served:
        sam = served.client("sam")
        with silent.open("rb") as f:
            r = sam.post(
                *_to(sam, "/upload", published_at=None, scope=["podcast", "site"]),
                files={"recording": ("quiet.wav", f)},
            )
        episode = r.headers["Location"].split("?")[0]
        recording = root / "content" / "shows" / "small-steps" / "making-tea-at-four.wav"
        side = recording.with_suffix(".yaml")
        # A coordinator's additions the form does not show must survive an edit by the presenter.
        meta = yaml.safe_load(side.read_text())
        meta["presenters"].append({"name": "Jo", "tier": "pseudonym", "role": "guest"})
        meta["chapters"] = [{"start": "0:00", "title": "Kettle on"}]
        side.write_text(yaml.safe_dump(meta, sort_keys=False))
        pipeline.build(served.config, now=NOW)
        page = sam.get(episode).text
        assert "Needs your attention" in page and "What to do" in page
        said = _text(page)
        assert "silent" in said or "no sound" in said or "quiet" in said, said
        # The details form comes back filled in from the sidecar, with the consent box to tick again.
        form = sam.get(episode + "/details").text
        assert 'value="Making tea at four"' in form and 'id="consent" name="consent" value="yes">' in form
        with clips.get("speech.mp3").open("rb") as f:
            r = sam.post(
                *_to(
                    sam, episode + "/details", title="Making tea at five", scope=["podcast", "site"], published_at=None
                ),
                files={"recording": ("speech.mp3", f)},
            )
        assert r.status_code == 400 and "same format" in r.text and "The new version is MP3" in r.text
        spoken = media.speech(TEXT, tmp_path / "spoken.wav")
        with spoken.open("rb") as f:
            r = sam.post(
                *_to(
                    sam, episode + "/details", title="Making tea at five", scope=["podcast", "site"], published_at=None
                ),
                files={"recording": ("take 2.wav", f)},
            )
        assert r.status_code == 303, r.text
        assert recording.read_bytes() == spoken.read_bytes()
        meta = yaml.safe_load(side.read_text())
        assert meta["title"] == "Making tea at five" and meta["chapters"] == [{"start": "0:00", "title": "Kettle on"}]
        assert meta["presenters"][1]["name"] == "Jo"
        assert "Waiting for the next build" in sam.get(episode).text
        pipeline.build(served.config, now=NOW)
        assert "Published" in _text(sam.get(episode).text)
        # Robin can neither see nor change Sam's details.
        robin = served.client("robin")
        assert robin.get(episode + "/details").status_code == 404
        assert robin.post(episode + "/details", _form(robin.token("/"))).status_code == 404


def _to(client, page: str, **overrides) -> tuple[str, dict]:
    """The upload form on `page`: where it posts (the address carries its token) and its fields, filled in."""
    html = client.get(page).text
    return action_of(html, page), _form(csrf_of(html), **overrides)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_problem_points_at_its_form_field_by_its_key_not_its_words():
    from station.desk import uploads

    form = uploads.Form(
        show="small-steps",
        title="T",
        description="x",
        presenter_name="Sam",
        consent=True,
        redact="Crawley\nCraw\x01ley",
        topics=["no.such"],
    )
    _, problems = uploads.sidecar(form, dt.date(2026, 11, 29), "Europe/London", base={"tags": ["a\x03"]})
    # `redact[2]` and `topics[1]` are entries of one form field each; `tags` has no field, so it is said at the top.
    assert [(p.field, p.message.split(":")[0]) for p in problems] == [
        ("topics", "Topics"),
        ("redact", "Words to hide"),
        ("title", "tags[1]"),
    ]
