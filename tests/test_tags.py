"""ID3v2.4 tags come from the catalogue alone, and credit presenters only as their tier allows."""

import datetime as dt
import subprocess

from mutagen.id3 import ID3

from station.tools import ffmpeg

PRIVATE = ["Samuel Okafor-Jones", "Acacia Road", "Sam's iPhone", "private-take-3", "Robin Hartley"]


def test_tags_are_complete_and_nothing_from_the_source_passes_through(station, clips, tmp_path):
    art = tmp_path / "art.png"
    subprocess.run(
        [
            ffmpeg.executable(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x334455:s=1400x1400",
            "-frames:v",
            "1",
            str(art),
        ],
        check=True,
    )
    (station.root / "content/artwork.png").write_bytes(art.read_bytes())
    toml = (
        (station.root / "station.toml")
        .read_text()
        .replace('artwork = "content/artwork.jpg"', 'artwork = "content/artwork.png"')
    )
    (station.root / "station.toml").write_text(toml)
    source = clips.get(
        "tagged.mp3",
        extra=[
            "-metadata",
            "title=private-take-3",
            "-metadata",
            "artist=Samuel Okafor-Jones",
            "-metadata",
            "comment=Recorded at 12 Acacia Road",
            "-metadata",
            "encoded_by=Sam's iPhone",
        ],
    )
    assert b"Acacia Road" in source.read_bytes()
    station.episode(
        "private-take-3.mp3",
        source=source,
        title="Finding the night bus home",
        presenters=[
            {"name": "Samuel Okafor-Jones", "tier": "first-name"},
            {"name": "Robin", "tier": "pseudonym", "role": "guest"},
        ],
        consent={"by": "Robin Hartley", "date": dt.date(2026, 11, 1), "scope": ["podcast", "site"]},
        published_at=dt.datetime(2026, 11, 20, 21, 0, tzinfo=dt.UTC),
        content_notes=["overdose"],
        chapters=[{"start": "0:00", "title": "On the bus"}, {"start": "0:05", "title": "Staying on"}],
    )
    result = station.build()
    assert result.problems == []
    out = station.root / "site" / result.episodes[0].audio
    assert out.name == "finding-the-night-bus-home.mp3"
    data = out.read_bytes()
    for secret in PRIVATE:
        assert secret.encode() not in data and secret.encode("utf-16-le") not in data, secret
    tags = ID3(out)
    assert tags.version == (2, 4, 0)
    assert str(tags["TIT2"]) == "Finding the night bus home"
    assert str(tags["TALB"]) == "Night Talk"
    assert tags["TPE1"].text == ["Samuel", "Robin"]
    assert str(tags["TPUB"]) == "Test Station"
    assert str(tags["TDRC"]) == "2026-11-20"
    assert str(tags["TLAN"]) == "eng"
    assert tags["WOAS"].url == "https://test.example.org/shows/night-talk/finding-the-night-bus-home/"
    assert str(tags["COMM:Content notes:eng"]) == "Content notes: overdose"
    cover = tags["APIC:Cover"]
    assert cover.mime == "image/jpeg" and cover.data[:2] == b"\xff\xd8" and len(cover.data) < 100_000
    chapters = sorted((c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in tags.getall("CHAP"))
    length_ms = result.episodes[0].measured["duration_s"] * 1000
    assert chapters[0] == (0, 5000, "On the bus")
    assert chapters[1][:1] == (5000,) and abs(chapters[1][1] - length_ms) < 2 and chapters[1][2] == "Staying on"
    assert tags["CTOC:toc"].child_element_ids == ["chp0", "chp1"]
    # The state database holds no names and no file names from content/ (paths only as hashes).
    state = (station.root / ".station/state.sqlite").read_bytes()
    for secret in [*PRIVATE, "Okafor", "Samuel"]:
        assert secret.encode() not in state, secret


def test_each_tier_credits_only_what_it_allows(station):
    for name, tier, title in [
        ("Alex Morgan", "full-name", "Full"),
        ("Jo Bright", "first-name", "First"),
        ("Nightjar", "pseudonym", "Pseudo"),
        ("Kestrel", "pseudonym-masked", "Masked"),
    ]:
        station.episode(f"{title.lower()}.mp3", title=title, presenters=[{"name": name, "tier": tier}])
    result = station.build()
    credits = {
        ID3(station.root / "site" / o.audio)["TIT2"].text[0]: ID3(station.root / "site" / o.audio)["TPE1"].text
        for o in result.episodes
    }
    assert credits == {"Full": ["Alex Morgan"], "First": ["Jo"], "Pseudo": ["Nightjar"], "Masked": ["Kestrel"]}
    first = next(station.root / "site" / o.audio for o in result.episodes if o.slug == "first")
    assert b"Bright" not in first.read_bytes()
