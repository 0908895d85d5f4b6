"""Real-browser checks of a built site: Debian's chromium driven by Playwright.

Import what a test needs (`from tests.browser import chromium, page, served, ...`):

  chromium              session fixture: one headless browser for the whole run
  page                  fixture: a fresh page whose requests and console are recorded
  served(folder, listen_url=None)  the preview server on a free loopback port, as a base URL
  open_page(browser)    what the `page` fixture does, for a test that wants several
  page_log(page)        what a page asked for and said: requests, failures, console
  offsite_requests()    the requests that left the site
  csp_errors(page)      the console's Content Security Policy complaints
  axe_violations(page)  axe-core's WCAG findings; format_violations() for the message

The test machine never reaches the network: any request to a host other than
loopback is recorded, then aborted. Pages keep their CSP (the header from the
preview server and the page's <meta>): other tests check it is enforced, so
axe-core is run through the DevTools protocol, which a page's CSP does not
govern, instead of through a <script> element, which it would block.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from station.web.serve import make_server

CHROMIUM = Path("/usr/bin/chromium")
# Quiet and offline: no first-run UI, no background calls home, no QUIC
# (which would dodge request interception). There is no GPU on CI; the sandbox
# needs user namespaces that containers often lack.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
TIMEOUT_MS = 10_000  # a broken page should fail its test quickly, not after Playwright's 30 s

# pytest makes a separate session fixture for each test module that imports
# `chromium`, so the browser itself is shared here: the first user launches
# it, the last one (at the end of the session) closes it.
_shared: dict = {"users": 0}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"chromium is not installed at {CHROMIUM}: run the tests with `bash tests/run`, which installs it")
    if _shared["users"] == 0:
        _shared["playwright"] = sync_playwright().start()
        # Debian's chromium, never `playwright install`: the browser comes
        # from the distribution, like every other tool the tests use.
        _shared["browser"] = _shared["playwright"].chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()


@contextlib.contextmanager
def served(directory: Path, log=None, listen_url: str | None = None, form_to: str | None = None) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) in a thread; yield its base URL, ending in /.

    `log` gets the server's request lines; by default they are dropped. `listen_url`: the station's Icecast
    mount, which the policy then lets <audio> play. `form_to`: the desk's feedback address, which forms may post to.
    """
    server = make_server(directory, "127.0.0.1", 0, log=log, listen_url=listen_url, form_to=form_to)
    # a short poll, because shutdown() waits for it
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class PageLog:
    """What one page (and its frames) asked for and said, in order."""

    requests: list[str] = field(default_factory=list)  # every URL requested, refused ones included
    failed: dict[str, str] = field(default_factory=dict)  # URL → why it failed (net::ERR_BLOCKED_BY_CLIENT, ...)
    console: list[str] = field(default_factory=list)  # "error: text", "warning: text", ...
    errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page


_logs: dict[Page, PageLog] = {}


@contextlib.contextmanager
def open_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context, recorded (see page_log) and kept off the network."""
    # Service workers are blocked: one could answer requests we would not see.
    context = browser.new_context(service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    log = PageLog()
    # Requests are recorded before routing decides: an aborted request still
    # shows up, and so does one the page's CSP refused before it was sent.
    context.on("request", lambda request: log.requests.append(request.url))
    context.on("requestfailed", lambda request: log.failed.__setitem__(request.url, request.failure or ""))
    context.route(_offsite, lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    page.on("console", lambda message: log.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    _logs[page] = log
    try:
        yield page
    finally:
        del _logs[page]
        context.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    with open_page(chromium) as opened:
        yield opened


def page_log(page: Page) -> PageLog:
    try:
        log = _logs[page]
    except KeyError:
        raise ValueError("this page is not recorded: open it with the `page` fixture or open_page()") from None
    # One round trip to the page, so every event the browser sent before now
    # has reached our listeners. A page that is closed, or half-way through a
    # navigation, has nothing more to tell.
    with contextlib.suppress(PlaywrightError):
        page.evaluate("0")
    return log


def offsite_requests(requests: list[str], base_url: str) -> list[str]:
    """The requested URLs that are not on the site at `base_url` (data: and blob: stay on the page)."""
    site = _origin(base_url)
    return [url for url in requests if not url.startswith(("data:", "blob:", "about:")) and _origin(url) != site]


def csp_errors(page: Page) -> list[str]:
    """Console messages and page errors in which the browser reports a Content Security Policy problem.

    Chrome reports each refusal ("Executing inline script violates the
    following Content Security Policy directive ...") and also a policy it
    cannot apply (frame-ancestors in a <meta>).
    """
    log = page_log(page)
    return [text for text in log.console + log.errors if "Content Security Policy" in text]


def axe_violations(page: Page, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations (axe's own dicts).

    page.evaluate goes through the DevTools protocol (Runtime.evaluate), which
    the page's CSP does not apply to, so axe runs with the CSP still in force;
    axe itself needs no eval. It waits for the page's load event first: axe on a
    page whose stylesheet has not arrived judges the bare HTML (CI once saw the
    desk's header as an unstyled list of 19 px links).
    """
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;true")  # `true`: do not send axe's last value back to Python
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}).then(results => results.violations)",
        list(tags),
    )


def format_violations(violations: list[dict]) -> str:
    """axe violations as an assertion message a person can act on."""
    if not violations:
        return "no accessibility violations"
    lines = [f"{len(violations)} accessibility rule(s) failed (axe-core):"]
    for v in violations:
        lines.append(f"\n{v['id']} [{v.get('impact') or 'unknown impact'}]: {v['help']}")
        lines.append(f"  {v.get('helpUrl', '')}")
        for node in v["nodes"]:
            lines.append(f"  at {' '.join(_selector(t) for t in node['target'])}")
            lines.append(f"     {' '.join(node['html'].split())}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                lines.append(f"     {summary_line.strip()}")
    return "\n".join(lines)


@cache
def axe_source() -> str:
    """axe.min.js as shipped inside the axe-playwright-python package."""
    try:
        path = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js")
        return path.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise RuntimeError(
            f"axe-core is missing ({exc}): the accessibility tests need axe.min.js from the "
            "axe-playwright-python package — run the tests with `bash tests/run`, which "
            "installs it"
        ) from exc


def _offsite(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname not in LOOPBACK


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


def _selector(target) -> str:
    # A target is a CSS selector, or a list of them for an element inside a
    # shadow root or a frame.
    return " >>> ".join(target) if isinstance(target, list) else str(target)
