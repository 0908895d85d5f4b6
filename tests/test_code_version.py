"""Caching that cannot go stale: the render key includes a digest of the package's own source
(station/build/code.py), so changing code that renders, such as the security policy, rebuilds the pages
on the next build without anyone clearing a cache, and an unchanged package writes nothing."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

OLD = "img-src 'self' data:;"
NEW = "img-src 'self';"


def _build(station, package_root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "station", "build", "--station", str(station.root)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=package_root,  # `python -m` puts the working folder first on sys.path: it must be the copy
        env={**os.environ, "PYTHONPATH": str(package_root), "COLUMNS": "400", "NO_COLOR": "1"},
    )


def _pages(station) -> dict[str, tuple[str, int]]:
    site = station.root / "site"
    return {
        str(p.relative_to(site)): (p.read_text(encoding="utf-8"), p.stat().st_mtime_ns)
        for p in sorted(site.rglob("*.html"))
    }


def _policies(pages: dict[str, tuple[str, int]]) -> set[str]:
    found = (re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text) for text, _ in pages.values())
    return {html.unescape(m) for policies in found for m in policies}


# Slow tier (5 s: a copy of the package and two builds in it). The everyday tier keeps a changed input
# reaching every page it touches with no cache cleared: test_site_units.py's template and entry tests.
@pytest.mark.slow
def test_a_changed_policy_in_the_code_reaches_every_page_with_no_cache_cleared(station, tmp_path):
    package_root = tmp_path / "copy"
    # The copy follows web/site_templates (a link to templates/), so it renders with the same templates.
    shutil.copytree(REPO / "station", package_root / "station", ignore=shutil.ignore_patterns("__pycache__"))
    station.episode("first.mp3")

    first = _build(station, package_root)
    assert first.returncode == 0, first.stderr
    before = _pages(station)
    (policy,) = _policies(before)
    assert OLD in policy
    expected = policy.replace(OLD, NEW)

    security = package_root / "station" / "web" / "security.py"
    source = security.read_text(encoding="utf-8")
    assert OLD in source
    security.write_text(source.replace(OLD, NEW), encoding="utf-8")

    second = _build(station, package_root)
    assert second.returncode == 0, second.stderr
    after = _pages(station)
    assert after.keys() == before.keys()
    policies = _policies(after)
    assert policies == {expected}
    assert not [rel for rel, (text, _) in after.items() if OLD in html.unescape(text)]
    assert all(after[rel][1] != before[rel][1] for rel in after), "every page was written again"

    third = _build(station, package_root)
    assert third.returncode == 0, third.stderr
    assert _pages(station) == after, "an unchanged package writes no page"
    assert "(0 written)" in third.stdout
