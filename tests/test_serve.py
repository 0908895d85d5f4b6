"""The preview server, over real HTTP on loopback: files, ranges, types, headers, and nothing outside."""

import http.client
import random
import threading
import tracemalloc
from pathlib import Path

import pytest

from station.serve import CSP, CSP_META, make_server

SIZE = 5 * 1024 * 1024
SECRET = b"the coordinator's password list"


@pytest.fixture
def root(tmp_path) -> Path:
    """A small site, with a secret beside it and symlinks that try to reach the secret."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    site = tmp_path / "site"
    (site / "shows" / "night-talk").mkdir(parents=True)
    (site / "empty").mkdir()
    (site / "index.html").write_text("<!doctype html><title>Home</title>")
    (site / "shows" / "night-talk" / "index.html").write_text("<!doctype html><title>Night Talk</title>")
    (site / "episode.mp3").write_bytes(random.Random(0).randbytes(SIZE))
    (site / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (site / "up").symlink_to(tmp_path)
    (site / "home.html").symlink_to(site / "index.html")  # a link that stays inside is fine
    return site


@pytest.fixture
def server(root):
    """(host, port, log lines) of a running server for `root`."""
    lines: list[str] = []
    srv = make_server(root, "127.0.0.1", 0, log=lines.append)
    # a short poll: shutdown() waits for it
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv.server_address[0], srv.server_address[1], lines
    srv.shutdown()
    srv.server_close()
    thread.join()


class Client:
    """One kept-alive connection, as a browser's player would use."""

    def __init__(self, server):
        self.conn = http.client.HTTPConnection(server[0], server[1], timeout=10)

    def __call__(self, path: str, method: str = "GET", **headers) -> tuple[int, http.client.HTTPMessage, bytes]:
        self.conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = self.conn.getresponse()
        return response.status, response.headers, response.read()


@pytest.fixture
def get(server):
    client = Client(server)
    yield client
    client.conn.close()


def test_index_page_for_the_root_and_for_folders(get):
    status, headers, body = get("/")
    assert (status, body) == (200, b"<!doctype html><title>Home</title>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert get("/shows/night-talk/")[2] == b"<!doctype html><title>Night Talk</title>"


def test_a_folder_without_its_slash_is_redirected(get):
    status, headers, body = get("/shows/night-talk")
    assert (status, headers["Location"], body) == (301, "/shows/night-talk/", b"")
    assert get("/shows/night-talk?t=1")[1]["Location"] == "/shows/night-talk/?t=1"
    # "//host" in a Location would send the browser to another site
    assert get("//shows")[1]["Location"] == "/shows/"


def test_a_folder_without_an_index_is_not_listed(get):
    status, _, body = get("/empty/")
    assert status == 404
    assert b"Not found" in body


def test_the_sites_own_404_page_is_used_when_there_is_one(get, root):
    assert get("/nope.html")[0] == 404
    (root / "404.html").write_text("<!doctype html><title>Lost?</title>")
    status, headers, body = get("/nope.html")
    assert (status, body) == (404, b"<!doctype html><title>Lost?</title>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/shows/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/shows/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",  # encoded twice: must stay a (missing) name, not become ".."
    "/..\\secret.txt",
    "/%2Ftmp",  # would be an absolute path if joined naively
    "//etc/passwd",
    "/etc/passwd",
    "http://127.0.0.1/../secret.txt",
    "/leak.txt",  # a symlink to the secret
    "/up/secret.txt",  # a symlinked folder outside the site
    "/index.html%00.txt",
    "/%ff%fe",  # not UTF-8
])
def test_nothing_outside_the_folder_is_served(get, path):
    status, _, body = get(path)
    assert status == 404
    assert SECRET not in body


def test_a_symlink_that_stays_inside_is_served(get):
    status, _, body = get("/home.html")
    assert (status, body) == (200, b"<!doctype html><title>Home</title>")


@pytest.mark.parametrize("name, expected", [
    ("page.html", "text/html; charset=utf-8"),
    ("style.css", "text/css"),
    ("player.js", "text/javascript"),
    ("transcript.json", "application/json"),
    ("feed.xml", "application/rss+xml"),
    ("sitemap.xml", "application/xml"),
    ("episode.mp3", "audio/mpeg"),
    ("transcript.vtt", "text/vtt"),
    ("transcript.srt", "application/x-subrip"),
    ("transcript.txt", "text/plain; charset=utf-8"),
    ("map.svg", "image/svg+xml"),
    ("artwork.jpg", "image/jpeg"),
    ("artwork.png", "image/png"),
    ("site.webmanifest", "application/manifest+json"),
    ("night.m3u8", "application/vnd.apple.mpegurl"),
    ("mystery.qqq", "application/octet-stream"),
])
def test_content_types(get, root, name, expected):
    (root / name).write_bytes(b"x")
    assert get(f"/{name}")[1]["Content-Type"] == expected


@pytest.mark.parametrize("method, path, headers, status", [
    ("GET", "/", {}, 200),
    ("HEAD", "/", {}, 200),
    ("GET", "/episode.mp3", {"Range": "bytes=0-1"}, 206),
    ("GET", "/episode.mp3", {"Range": f"bytes={SIZE}-"}, 416),
    ("GET", "/shows", {}, 301),
    ("GET", "/missing", {}, 404),
    ("POST", "/", {}, 501),
])
def test_security_headers_on_every_response(get, method, path, headers, status):
    got, response_headers, _ = get(path, method, **headers)
    assert got == status
    assert response_headers["Content-Security-Policy"] == CSP
    assert response_headers["Referrer-Policy"] == "no-referrer"
    assert response_headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response_headers
    assert "Python" not in response_headers["Server"]


def test_the_csp_sent_and_the_one_for_pages():
    assert "object-src 'none'" in CSP and "'unsafe-" not in CSP
    # A <meta> policy cannot say frame-ancestors (browsers complain), so pages get the rest.
    assert CSP_META == CSP.replace("; frame-ancestors 'none'", "")


@pytest.mark.parametrize("spec, first, last", [
    ("bytes=0-9", 0, 9),
    ("bytes=5-5", 5, 5),
    ("bytes=1000-", 1000, SIZE - 1),
    ("bytes=-10", SIZE - 10, SIZE - 1),  # the last ten bytes
    (f"bytes=-{SIZE + 7}", 0, SIZE - 1),  # a suffix longer than the file is the whole file
    (f"bytes=100-{SIZE * 2}", 100, SIZE - 1),  # an end past the end is the end
    ("BYTES = 3 - 4", 3, 4),
])
def test_single_ranges(get, root, spec, first, last):
    data = (root / "episode.mp3").read_bytes()
    status, headers, body = get("/episode.mp3", Range=spec)
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert headers["Content-Length"] == str(last - first + 1)
    assert headers["Accept-Ranges"] == "bytes"
    assert body == data[first:last + 1]


@pytest.mark.parametrize("spec", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_ranges(get, spec):
    status, headers, body = get("/episode.mp3", Range=spec)
    assert (status, headers["Content-Range"], body) == (416, f"bytes */{SIZE}", b"")
    # the connection is still good for the next request
    assert get("/episode.mp3", Range="bytes=0-0")[0] == 206


@pytest.mark.parametrize("spec", ["bytes=0-1,5-6", "bytes=abc", "bytes=9-3", "items=0-1", "bytes=-", "bytes 0-1",
                                  "bytes=\u00b2-"])
def test_ranges_we_do_not_answer_get_the_whole_file(get, spec):
    status, headers, body = get("/episode.mp3", Range=spec)
    assert status == 200
    assert "Content-Range" not in headers
    assert len(body) == SIZE
    assert headers["Accept-Ranges"] == "bytes"


def test_if_range_for_an_older_version_gets_the_whole_file(get):
    modified = get("/episode.mp3", "HEAD")[1]["Last-Modified"]
    assert get("/episode.mp3", Range="bytes=0-9", If_Range=modified)[0] == 206
    assert get("/episode.mp3", Range="bytes=0-9", If_Range="Tue, 01 Jan 2019 00:00:00 GMT")[0] == 200


def test_head_has_the_headers_and_no_body(get):
    status, headers, body = get("/episode.mp3", "HEAD")
    assert (status, headers["Content-Length"], headers["Content-Type"], body) == (200, str(SIZE), "audio/mpeg", b"")
    status, headers, body = get("/episode.mp3", "HEAD", Range="bytes=-100")
    assert (status, headers["Content-Range"], headers["Content-Length"], body) == (
        206, f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}", "100", b"")


def test_a_5_mb_file_read_in_ranges_is_byte_exact(get, root):
    data = (root / "episode.mp3").read_bytes()
    pieces, start = [], 0
    for size in [1, 65535, 65537, 999_999, 1 << 20]:  # across chunk boundaries, odd sizes
        pieces.append(get("/episode.mp3", Range=f"bytes={start}-{start + size - 1}")[2])
        start += size
    pieces.append(get("/episode.mp3", Range=f"bytes={start}-")[2])
    assert b"".join(pieces) == data
    assert get("/episode.mp3")[2] == data


def test_a_large_file_is_streamed_not_read_whole(get, root):
    big = root / "night.mp3"
    with big.open("wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: instant to make
    tracemalloc.start()
    try:
        status, _, body = get("/night.mp3")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (status, len(body)) == (200, 64 * 1024 * 1024)
    # the client's own copy of the body is the one big allocation
    assert peak < len(body) + 8 * 1024 * 1024


def test_the_log_says_what_was_asked_for_and_not_who_asked(get, server):
    get("/")
    get("/shows")
    get("/episode.mp3", Range="bytes=0-1")
    get("/nope?who=me")
    assert server[2] == ["GET / 200", "GET /shows 301", "GET /episode.mp3 206", "GET /nope 404"]


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        make_server(tmp_path / "site", "127.0.0.1", 0)
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        make_server(tmp_path / "file", "127.0.0.1", 0)
