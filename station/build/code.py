"""The version of the code that renders: a hash of the package's own source and data.

Cached outputs whose key is not a stage's explicit version (the website's
render key) include it, so any change to the code — a template helper, the
security policy, a map's drawing — makes them again. A list of the modules
that matter would go stale the first time a change lands outside it.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


@functools.cache
def digest() -> str:
    """sha256 over every source and data file of the package, by relative path; made once per process."""
    h = hashlib.sha256()
    for path in sorted(
        p
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix in (".py", ".yaml", ".html", ".css", ".js", ".json", ".svg")
    ):
        if "__pycache__" in path.parts or "site_templates" in path.relative_to(PACKAGE).parts:
            continue  # the templates are hashed by the site with the station's own, through their folders
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
