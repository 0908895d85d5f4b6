"""The Icecast harness itself: a real server, a real source, a real listener must all agree."""

import base64
import time
import urllib.parse
import urllib.request

import pytest

from tests.icecast import Icecast, IcyListener, icecast_available, send
from tests.media import decoded_seconds

pytestmark = pytest.mark.stream

MOUNT = "/check.mp3"
TONE_S = 8


def update_title(icecast: Icecast, mount: str, title: str) -> None:
    """Set a mount's title the way a source client does: Icecast's admin API, with the source password.

    No `charset` parameter: Icecast 2.4 then passes the UTF-8 bytes through to
    listeners as they are. (With charset=UTF-8 it re-encodes the ICY title to
    Latin-1, writing what Latin-1 lacks as "&#8212;"-style references.)
    """
    query = urllib.parse.urlencode({"mount": mount, "mode": "updinfo", "song": title})
    request = urllib.request.Request(f"{icecast.base_url}/admin/metadata?{query}")
    token = base64.b64encode(f"source:{icecast.source_password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = response.read().decode()
    assert "<return>1</return>" in answer, answer


def test_a_title_sent_through_icecast_reaches_a_listener_with_the_audio(tmp_path):
    if not icecast_available():
        pytest.skip("Debian's icecast2 is not installed (/usr/bin/icecast2): `bash tests/run` installs it")
    first, second = "Sam — on the night bus, it's late", "Crawley, gone midnight"
    with Icecast(tmp_path) as icecast:
        # A live source: a tone encoded in real time (-re), as the station's
        # stream will be. Without -content_type ffmpeg still streams, but warns
        # "It seems you are streaming an unsupported format".
        source_log = tmp_path / "ffmpeg.log"
        with open(source_log, "wb") as log:
            source = send(
                icecast.source_url(MOUNT),
                ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={TONE_S}"],
                stderr=log,
            )
        try:
            try:
                icecast.wait_for_mount(MOUNT)
            except Exception as exc:
                raise AssertionError(f"{exc}\n--- ffmpeg ---\n{source_log.read_text()}") from None
            assert icecast.mounts() == [MOUNT]

            with IcyListener(icecast.listen_url(MOUNT), tmp_path / "heard.mp3", seconds=TONE_S + 5) as listener:
                sent = time.monotonic()
                update_title(icecast, MOUNT, first)
                # A title rides in the next metadata block: at most icy-metaint
                # (16000) bytes later, about a second at 128 kb/s.
                assert listener.wait_for_title(first, timeout=5) - sent < 3
                time.sleep(2)
                sent = time.monotonic()
                update_title(icecast, MOUNT, second)
                assert listener.wait_for_title(second, timeout=5) - sent < 3
                # The tone ends, ffmpeg leaves, Icecast closes the mount and
                # with it the listener's stream.
                assert source.wait(timeout=TONE_S + 5) == 0, source_log.read_text()
                listener.wait(timeout=10)
        finally:
            if source.poll() is None:
                source.kill()
                source.wait()

    assert listener.error is None, repr(listener.error)
    assert listener.ended, "the stream should end when its source does"
    assert listener.metaint == 16000
    assert listener.headers["content-type"] == "audio/mpeg"
    # Icecast sends an empty title as the first block; then ours, in order.
    assert [title for _, title in listener.titles if title] == [first, second]
    assert listener.audio_bytes == listener.audio_path.stat().st_size > 0
    # Metadata split off cleanly: what is left is MP3 ffmpeg decodes, and
    # most of the tone (a new listener also gets Icecast's burst of the past).
    assert decoded_seconds(listener.audio_path, strict=False) > 3
