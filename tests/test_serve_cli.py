"""`station serve` previews the built site, ranges and all, and says plainly when there is nothing to serve."""

import gzip
import http.client
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_station_serve_previews_the_built_site_with_ranges(demo):
    root, _ = demo
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "station", "serve", "--station", str(root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/")
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        response = conn.getresponse()
        assert response.status == 200 and b"Night Owls Radio" in response.read()
        assert "script-src 'self'" in response.getheader("Content-Security-Policy")
        assert response.getheader("Set-Cookie") is None
        mp3 = root / "site/media/night-talk/awake-at-three.mp3"
        conn.request("GET", "/media/night-talk/awake-at-three.mp3", headers={"Range": "bytes=1000-1999"})
        response = conn.getresponse()
        assert response.status == 206 and response.read() == mp3.read_bytes()[1000:2000]
        assert response.getheader("Content-Type") == "audio/mpeg"
        compressed_when_asked(conn, root / "site")
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert "Previewing site/ at http://127.0.0.1:" in out
    assert "127.0.0.1 -" not in err  # no visitor's address in the log


def test_station_serve_with_nothing_built_says_what_to_do(station):
    result = station.cli("serve")
    assert result.returncode == 1
    assert "There is no website in site/ yet — run `station build` first." in result.stderr


def compressed_when_asked(conn: http.client.HTTPConnection, site) -> None:
    """Text goes gzip-encoded to a client that accepts it and plain to one that does not; audio never."""
    page, feed = site / "index.html", site / "feed.xml"
    for path, url in ((page, "/"), (feed, "/feed.xml"), (site / "search.json", "/search.json")):
        conn.request("GET", url, headers={"Accept-Encoding": "gzip, deflate, br"})
        response = conn.getresponse()
        packed = response.read()
        assert (response.status, response.getheader("Content-Encoding")) == (200, "gzip"), url
        assert response.getheader("Vary") == "Accept-Encoding"
        assert int(response.getheader("Content-Length")) == len(packed) < path.stat().st_size / 2
        assert gzip.decompress(packed) == path.read_bytes()
    for asked in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, *;q=1"}):
        conn.request("GET", "/", headers=asked)
        response = conn.getresponse()
        assert response.getheader("Content-Encoding") is None and response.read() == page.read_bytes(), asked
        assert response.getheader("Vary") == "Accept-Encoding"
    conn.request("HEAD", "/", headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    assert response.getheader("Content-Encoding") == "gzip" and response.read() == b""
    # A byte range is of the file itself: answered plain, as a player seeking in a transcript expects.
    conn.request("GET", "/", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    response = conn.getresponse()
    assert (response.status, response.getheader("Content-Encoding")) == (206, None)
    assert response.read() == page.read_bytes()[:10]
    mp3 = site / "media/night-talk/awake-at-three.mp3"
    conn.request("GET", "/media/night-talk/awake-at-three.mp3", headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    assert response.getheader("Content-Encoding") is None and response.getheader("Vary") is None
    assert response.read() == mp3.read_bytes()
