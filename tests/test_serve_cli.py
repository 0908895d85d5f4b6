"""`station serve` previews the built site, ranges and all, and says plainly when there is nothing to serve."""

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
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert "Previewing site/ at http://127.0.0.1:" in out
    assert "127.0.0.1 -" not in err  # no visitor's address in the log


def test_station_serve_with_nothing_built_says_what_to_do(station):
    result = station.cli("serve")
    assert result.returncode == 1
    assert "There is no website in site/ yet — run `station build` first." in result.stderr
