"""Content hashes and atomic writes: the only ways the pipeline touches disk.

Every output is written to a temporary name in its final folder and renamed
into place, so a reader (or a build killed half-way) never sees half a file.
Temporary names start with `.tmp-`; `sweep()` clears any a killed build left.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Iterator

TMP_PREFIX = ".tmp-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(value) -> str:
    """The hash of settings or metadata: the same values give the same key."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success it replaces `final`."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{TMP_PREFIX}{os.getpid()}-{final.name}")
    try:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def write_text(final: Path, text: str) -> None:
    write_bytes(final, text.encode("utf-8"))


def copy(src: Path, final: Path) -> None:
    with atomic_path(final) as tmp:
        shutil.copyfile(src, tmp)


def sweep(folder: Path) -> int:
    """Remove temporary files a killed run left behind; return how many."""
    if not folder.is_dir():
        return 0
    count = 0
    for path in folder.rglob(f"{TMP_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            count += 1
    return count


def remove_empty_dirs(folder: Path) -> None:
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            path.rmdir()
