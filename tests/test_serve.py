"""The preview server, over real HTTP on loopback: files, ranges, types, headers, and nothing outside."""

import http.client
import random
import threading
import tracemalloc
from gzip import decompress
from pathlib import Path

import pytest

from station.web.encoding import accepts_gzip
from station.web.security import CSP, CSP_META
from station.web.serve import make_server

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


@pytest.mark.parametrize(
    "path",
    [
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
    ],
)
def test_nothing_outside_the_folder_is_served(get, path):
    status, _, body = get(path)
    assert status == 404
    assert SECRET not in body


def test_a_symlink_that_stays_inside_is_served(get):
    status, _, body = get("/home.html")
    assert (status, body) == (200, b"<!doctype html><title>Home</title>")


@pytest.mark.parametrize(
    "name, expected",
    [
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
    ],
)
def test_content_types(get, root, name, expected):
    (root / name).write_bytes(b"x")
    assert get(f"/{name}")[1]["Content-Type"] == expected


@pytest.mark.parametrize(
    "method, path, headers, status",
    [
        ("GET", "/", {}, 200),
        ("HEAD", "/", {}, 200),
        ("GET", "/episode.mp3", {"Range": "bytes=0-1"}, 206),
        ("GET", "/episode.mp3", {"Range": f"bytes={SIZE}-"}, 416),
        ("GET", "/shows", {}, 301),
        ("GET", "/missing", {}, 404),
        ("POST", "/", {}, 501),
    ],
)
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
    assert CSP.replace("; frame-ancestors 'none'", "") == CSP_META


@pytest.mark.parametrize(
    "spec, first, last",
    [
        ("bytes=0-9", 0, 9),
        ("bytes=5-5", 5, 5),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-10", SIZE - 10, SIZE - 1),  # the last ten bytes
        (f"bytes=-{SIZE + 7}", 0, SIZE - 1),  # a suffix longer than the file is the whole file
        (f"bytes=100-{SIZE * 2}", 100, SIZE - 1),  # an end past the end is the end
        ("BYTES = 3 - 4", 3, 4),
    ],
)
def test_single_ranges(get, root, spec, first, last):
    data = (root / "episode.mp3").read_bytes()
    status, headers, body = get("/episode.mp3", Range=spec)
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert headers["Content-Length"] == str(last - first + 1)
    assert headers["Accept-Ranges"] == "bytes"
    assert body == data[first : last + 1]


@pytest.mark.parametrize("spec", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_ranges(get, spec):
    status, headers, body = get("/episode.mp3", Range=spec)
    assert (status, headers["Content-Range"], body) == (416, f"bytes */{SIZE}", b"")
    # the connection is still good for the next request
    assert get("/episode.mp3", Range="bytes=0-0")[0] == 206


@pytest.mark.parametrize(
    "spec", ["bytes=0-1,5-6", "bytes=abc", "bytes=9-3", "items=0-1", "bytes=-", "bytes 0-1", "bytes=\u00b2-"]
)
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
        206,
        f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}",
        "100",
        b"",
    )


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


# -- hostile requests: a plain answer every time, never a dropped connection or a file from outside ----------

TOO_LONG_PAGE = (
    b'<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>Address too long</title>\n'
    b"<h1>Address too long</h1>\n<p>This address is longer than any page of the site. Check the link, "
    b"or start again from the home page.</p>\n</html>\n"
)


def raw_request(server, line: bytes, rest: bytes = b"Host: x\r\n\r\n") -> bytes:
    """Send a request line as bytes, exactly as written, and read the whole answer (the server closes)."""
    import socket

    with socket.create_connection(server[:2], timeout=10) as s:
        s.sendall(line + b"\r\n" + rest)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return data + b"<reset>"
            if not chunk:
                return data
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [
                    int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")
                ]
                if length and len(body) >= length[0]:
                    return data


@pytest.mark.parametrize("length", [300, 5_000, 60_000, 100_000, 1_000_000])
def test_an_over_long_address_gets_a_plain_answer_not_a_dropped_connection(server, length):
    """Issue 15, defect 5: `station serve` dropped the connection on an over-long path (one name past the
    file system's 255 bytes raised in the handler; past 64 KiB http.server's own page named Python)."""
    conn = http.client.HTTPConnection(server[0], server[1], timeout=10)
    conn.request("GET", "/" + "a" * length)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if length <= 8 * 1024:  # could be a page's name: looked for, and not found
        assert (response.status, b"There is no page at this address." in body) == (404, True)
    else:
        assert (response.status, body) == (414, TOO_LONG_PAGE)
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["Connection"] == "close"
    # and the server is still there for everyone else
    again = Client(server)
    assert again("/")[0] == 200
    again.conn.close()


def test_a_long_address_is_cut_short_in_the_log(get, server):
    get("/" + "b" * 5000)
    assert server[2][-1] == "GET /" + "b" * 199 + "… 404"


NOT_FOUND = "There is no page at this address."
UNREADABLE = "This request could not be read. Check the address and try again."

# The hostile corpus of the preview server: (case, the request line exactly as sent, status, the page's words).
HOSTILE_REQUESTS = [
    ("raw NUL", b"GET /index.html\x00.txt HTTP/1.1", 404, NOT_FOUND),
    ("encoded NUL", b"GET /%00 HTTP/1.1", 404, NOT_FOUND),
    ("NUL in a folder", b"GET /shows%00/night-talk/ HTTP/1.1", 404, NOT_FOUND),
    ("dot-dot", b"GET /../secret.txt HTTP/1.1", 404, NOT_FOUND),
    ("dot-dot, encoded", b"GET /shows/%2e%2e/%2e%2e/secret.txt HTTP/1.1", 404, NOT_FOUND),
    ("dot-dot, backslash", b"GET /..%5csecret.txt HTTP/1.1", 404, NOT_FOUND),
    ("a name too long for the disk", b"GET /" + b"x" * 256 + b".html HTTP/1.1", 404, NOT_FOUND),
    ("a path too long for the disk", b"GET " + b"/abc" * 1100 + b" HTTP/1.1", 404, NOT_FOUND),
    (
        "an address too long for any page",
        b"GET /" + b"y" * 9000 + b" HTTP/1.1",
        414,
        "This address is longer than any page of the site. Check the link, or start again from the home page.",
    ),
    (
        "past http.server's line limit",
        b"GET /" + b"z" * 70_000 + b" HTTP/1.1",
        414,
        "This address is longer than any page of the site. Check the link, or start again from the home page.",
    ),
    ("escape codes", b"GET /\x1b[2J\x1b[31mred HTTP/1.1", 404, NOT_FOUND),
    ("not UTF-8", b"GET /\xff\xfe HTTP/1.1", 404, NOT_FOUND),
    ("four words", b"GET / HTTP/1.1 please", 400, UNREADABLE),
    ("bad version", b"GET / HTTP/1.x", 400, UNREADABLE),
    ("HTTP/2", b"GET / HTTP/2.0", 505, "The preview speaks HTTP/1.1 and HTTP/1.0."),
    ("unknown method", b"BREW / HTTP/1.1", 501, "The preview only shows pages: it answers GET and HEAD."),
    (
        "a header past the line limit",
        b"GET / HTTP/1.1",
        431,
        "This request carries more than a web page needs. Try again in a fresh browser window.",
    ),
]


@pytest.mark.parametrize("name, line, status, words", HOSTILE_REQUESTS, ids=[c[0] for c in HOSTILE_REQUESTS])
def test_hostile_requests(server, name, line, status, words):
    rest = b"Host: x\r\nCookie: " + b"c" * 70_000 + b"\r\n\r\n" if status == 431 else b"Host: x\r\n\r\n"
    answer = raw_request(server, line, rest)
    assert answer.startswith(b"HTTP/1."), answer[:80]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert int(head.split(b" ", 2)[1]) == status
    assert f"<p>{words}</p>".encode() in body
    assert b"Content-Security-Policy: " in head
    assert SECRET not in answer and b"Python" not in answer and b"<reset>" not in answer
    assert Client(server)("/")[0] == 200  # nothing broke


def test_what_http_server_refuses_gets_a_plain_page(server):
    answer = raw_request(server, b"POST / HTTP/1.1", b"Host: x\r\nContent-Length: 0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    assert answer.endswith(
        b"<h1>Not supported</h1>\n<p>The preview only shows pages: it answers GET and HEAD.</p>\n</html>\n"
    )


def test_control_characters_never_reach_the_log(server):
    raw_request(server, b"GET /\x1b[2Jgone%0d%0aGET%20/forged HTTP/1.1")
    line = server[2][-1]
    assert line == "GET /%1B[2Jgone%0d%0aGET%20/forged 404"
    assert not any(ord(c) < 0x20 for c in line)


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),  # what Chromium sends
        ("GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),  # named and refused: the wildcard does not bring it back
        ("br;q=1, *;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header, gzip):
    assert accepts_gzip(header) is gzip


def test_a_page_goes_gzipped_to_who_asks_and_plain_to_who_does_not(get, root):
    page = root / "shows" / "night-talk" / "index.html"
    page.write_text("<!doctype html><title>Night Talk</title>" + "<p>Peers after midnight.</p>" * 200)
    status, headers, body = get("/shows/night-talk/", Accept_Encoding="gzip")
    assert (status, headers["Content-Encoding"], headers["Vary"]) == (200, "gzip", "Accept-Encoding")
    assert decompress(body) == page.read_bytes() and int(headers["Content-Length"]) == len(body)
    status, headers, body = get("/shows/night-talk/")
    assert (status, headers["Content-Encoding"], headers["Vary"], body) == (
        200,
        None,
        "Accept-Encoding",
        page.read_bytes(),
    )
    # A file too small to gain is sent as it is, and audio is never compressed again.
    assert get("/", Accept_Encoding="gzip")[1]["Content-Encoding"] is None
    status, headers, _ = get("/episode.mp3", "HEAD", Accept_Encoding="gzip")
    assert (headers["Content-Encoding"], headers["Vary"], headers["Content-Length"]) == (None, None, str(SIZE))
