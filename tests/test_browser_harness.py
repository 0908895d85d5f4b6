"""The browser harness itself, on a throwaway site: it must see what it claims to see."""

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from playwright.sync_api import Error as PlaywrightError

from station.web.security import CSP, CSP_META
from tests.browser import (  # noqa: F401 -- fixtures: pytest finds them by name in this module
    axe_violations,
    chromium,
    csp_errors,
    format_violations,
    offsite_requests,
    page,
    page_log,
    served,
)

pytestmark = pytest.mark.browser


def write_page(folder: Path, name: str, body: str, head: str = "") -> None:
    """A page the way the site builder writes them: language, title, the CSP in a <meta>."""
    (folder / name).write_text(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP_META}">\n'
        f"<title>{name}</title>\n{head}</head>\n<body>\n<main>\n<h1>{name}</h1>\n{body}\n</main>\n</body>\n</html>\n",
        encoding="utf-8",
    )


@pytest.fixture
def site(tmp_path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


def test_offsite_requests_are_recorded_and_never_leave_the_machine(page, site):
    write_page(site, "index.html", '<p>Hello.</p>\n<img src="http://example.invalid/x.png" alt="a picture">')
    with served(site) as base:
        page.goto(base)
        log = page_log(page)
        assert offsite_requests(log.requests, base) == ["http://example.invalid/x.png"]
        assert log.requests[0] == base
        # The CSP refused the image before it was sent, and says so.
        assert log.failed["http://example.invalid/x.png"] == "csp"
        assert any("http://example.invalid/x.png" in e for e in csp_errors(page))

        # What the CSP does not cover (a navigation) is stopped by the harness.
        with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
            page.goto("http://example.invalid/away")
        assert offsite_requests(page_log(page).requests, base) == [
            "http://example.invalid/x.png",
            "http://example.invalid/away",
        ]
        assert page_log(page).failed["http://example.invalid/away"] == "net::ERR_BLOCKED_BY_CLIENT"


def test_offsite_requests_tells_the_site_from_elsewhere():
    base = "http://127.0.0.1:8123/"
    requests = [
        base,
        f"{base}a.css",
        "data:image/png;base64,AA==",
        "http://127.0.0.1:9999/other-port",
        "https://127.0.0.1:8123/other-scheme",
        "https://cdn.example.org/x.js",
    ]
    assert offsite_requests(requests, base) == requests[3:]


def test_axe_finds_an_image_without_alt_text_with_the_csp_in_force(page, site):
    write_page(site, "index.html", '<img src="pic.png">\n<script>document.documentElement.dataset.ran = "yes"</script>')
    with served(site) as base:
        page.goto(base)
        violations = axe_violations(page)
        assert page.evaluate("document.documentElement.dataset.ran") is None, "the CSP is not in force"
    assert [v["id"] for v in violations] == ["image-alt"]
    message = format_violations(violations)
    assert message.startswith(
        "1 accessibility rule(s) failed (axe-core):\n\nimage-alt [critical]: Images must have alternative text\n"
    )
    assert '  at img\n     <img src="pic.png">\n' in message
    assert "Fix any of the following:" in message


def test_a_clean_page_passes_everything(page, site):
    (site / "style.css").write_text("main { max-width: 40em; }\n")
    (site / "pic.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    write_page(
        site,
        "index.html",
        '<p>Help is there at 3 a.m.</p>\n<img src="pic.svg" alt="A lamp">',
        head='<link rel="stylesheet" href="style.css">\n',
    )
    with served(site) as base:
        page.goto(base)
        assert axe_violations(page) == [], format_violations(axe_violations(page))
        assert csp_errors(page) == []
        assert offsite_requests(page_log(page).requests, base) == []
        assert page_log(page).errors == []
    assert format_violations([]) == "no accessibility violations"


def test_an_inline_script_refused_by_the_csp_is_reported(page, site):
    write_page(site, "index.html", "<p>Hello.</p>\n<script>document.title = 'inline ran'</script>")
    with served(site) as base:
        page.goto(base)
        assert page.title() == "index.html"
        errors = csp_errors(page)
    assert errors and all("Content Security Policy" in e for e in errors)
    assert any("inline script" in e for e in errors), errors


def test_frame_ancestors_in_a_meta_is_reported(page, site):
    # Why pages carry CSP_META and not CSP: browsers ignore frame-ancestors in
    # a <meta> and complain about it on every page.
    write_page(
        site, "index.html", "<p>Hello.</p>", head=f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
    )
    with served(site) as base:
        page.goto(base)
        assert [e for e in csp_errors(page) if "frame-ancestors" in e]


@pytest.fixture(scope="module")
def tone(tmp_path_factory) -> Path:
    """Three minutes of tone as MP3: long enough that a seek near the end needs a new range request."""
    path = tmp_path_factory.mktemp("audio") / "tone.mp3"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=180",
            "-ac",
            "1",
            "-ar",
            "22050",
            "-b:a",
            "32k",
            str(path),
        ],
        check=True,
    )
    return path


def test_the_audio_player_seeks_through_range_requests(page, site, tone):
    (site / "tone.mp3").write_bytes(tone.read_bytes())
    write_page(site, "index.html", '<audio controls preload="metadata" src="tone.mp3"></audio>')
    media: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: media.append((r.status, r.headers.get("content-range"))) if r.url.endswith(".mp3") else None,
    )
    with served(site) as base:
        page.goto(base)
        page.wait_for_function("document.querySelector('audio').readyState >= 1")
        assert page.evaluate("document.querySelector('audio').duration") == pytest.approx(180, abs=0.5)
        seeked_to = page.evaluate("""() => new Promise((done, fail) => {
            const audio = document.querySelector('audio');
            audio.addEventListener('seeked', () => done(audio.currentTime), {once: true});
            audio.addEventListener('error', () => fail(new Error(audio.error.message)), {once: true});
            audio.currentTime = 170;
        })""")
        seekable_end = page.evaluate("document.querySelector('audio').seekable.end(0)")
        page_log(page)  # let the last responses reach the listener
    assert seeked_to == pytest.approx(170, abs=0.5)
    assert seekable_end == pytest.approx(180, abs=0.5)
    size = tone.stat().st_size
    assert all(status == 206 for status, _ in media), media
    # The seek fetched from the middle of the file, not from the start again.
    assert any(r.startswith("bytes ") and not r.startswith("bytes 0-") and r.endswith(f"/{size}") for _, r in media), (
        media
    )
