"""The stream's own HLS playlist (radio/hls.py): never closed by a crash, continued after a restart.

Pure text in, text out; every version is read back with the `m3u8` package, as a player library would.
"""

from __future__ import annotations

import m3u8

from station.radio import hls


def seg(n: int, run: str = "a") -> hls.Segment:
    return hls.Segment(f"night-{run}-{n:05d}.ts", 2.02 if n % 2 else 1.99)


def sequence_of(playlist: m3u8.M3U8) -> dict[str, int]:
    """Each listed segment's media sequence number, as a player counts them."""
    return {s.uri: playlist.media_sequence + i for i, s in enumerate(playlist.segments)}


def test_a_restart_goes_on_with_a_discontinuity_and_the_sequence_unbroken(tmp_path):
    path = tmp_path / "night.m3u8"
    playlist = hls.Playlist(target_s=2, window=5)
    seen: dict[str, int] = {}
    versions = []
    for n in range(7):
        playlist.add(seg(n))
        hls.save(path, playlist)
        versions.append(path.read_text())
    # The process dies here (nothing closes the playlist); a new one reads it back and goes on.
    again = hls.load(path, target_s=2, window=5)
    for n in range(4):
        again.add(seg(n, run="b"))
        hls.save(path, again)
        versions.append(path.read_text())
    again.close()
    hls.save(path, again)
    versions.append(path.read_text())

    for i, text in enumerate(versions):
        parsed = m3u8.loads(text)
        assert parsed.is_endlist == (i == len(versions) - 1), text
        assert parsed.target_duration == 2 and parsed.version == 3
        assert len(parsed.segments) <= 5
        for uri, number in sequence_of(parsed).items():  # a segment keeps its number in every version
            assert seen.setdefault(uri, number) == number, (uri, number, seen[uri])
    assert sorted(seen.values()) == list(range(11)), seen  # no number skipped or used twice
    final = m3u8.loads(versions[-1])
    first_b = next(s for s in final.segments if "-b-" in s.uri)
    assert first_b.uri == "night-b-00000.ts" and first_b.discontinuity
    assert [s.discontinuity for s in final.segments].count(True) == 1
    assert final.media_sequence == 6


def test_the_discontinuity_sequence_counts_the_ones_that_left_the_window():
    playlist = hls.Playlist(target_s=2, window=3)
    playlist.add(seg(0))
    playlist.new_run()
    playlist.add(seg(0, "b"))  # discontinuity
    for n in range(1, 4):
        playlist.add(seg(n, "b"))
    parsed = m3u8.loads(playlist.render())
    assert parsed.discontinuity_sequence == 1 and not any(s.discontinuity for s in parsed.segments)
    assert parsed.media_sequence == 2


def test_a_closed_playlist_starts_afresh_with_rising_numbers_and_old_segments_go_a_window_later(tmp_path):
    playlist = hls.Playlist(target_s=2, window=2)
    for n in range(3):
        playlist.add(seg(n))
    assert playlist.to_delete() == []  # night-a-00000 left the window; players may still fetch it
    playlist.close()
    assert playlist.render().endswith("#EXT-X-ENDLIST\n")
    playlist.new_run()
    playlist.add(seg(0, "next"))
    parsed = m3u8.loads(playlist.render())
    assert not parsed.is_endlist and parsed.media_sequence == 3
    assert [s.uri for s in parsed.segments] == ["night-next-00000.ts"] and not parsed.segments[0].discontinuity
    assert playlist.to_delete() == ["night-a-00000.ts"]
    playlist.add(seg(1, "next"))
    assert playlist.to_delete() == []  # two gone from the window, for a window of two
    playlist.add(seg(2, "next"))
    assert playlist.to_delete() == ["night-a-00001.ts"]


def test_a_damaged_playlist_costs_only_a_fresh_one(tmp_path):
    path = tmp_path / "night.m3u8"
    path.write_bytes(b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:x\n#EXTINF:nan,\nbad.ts\n\xff\xfe")
    playlist = hls.load(path, target_s=6, window=10)
    assert playlist.segments == [] and playlist.sequence == 0
    assert hls.load(tmp_path / "none.m3u8", 6, 10).segments == []
