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
import secrets
import stat
import threading
from pathlib import Path
from typing import Iterator

TMP_PREFIX = ".tmp-"
PRIVATE_DIR_MODE = 0o700   # .station/ and records/: nobody else on the machine reads them
PRIVATE_FILE_MODE = 0o600


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


def temp_name(final: Path) -> Path:
    """A temporary name beside `final`, unique to this process, thread and call: two saves at once never meet."""
    return final.with_name(f"{TMP_PREFIX}{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}-{final.name}")


def private_dir(folder: Path) -> Path:
    """Make `folder` (and any missing parents) readable by this user only, and return it."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_DIR_MODE:
        folder.chmod(PRIVATE_DIR_MODE)
    return folder


@contextlib.contextmanager
def atomic_path(final: Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success it replaces `final` (with `mode`, when given)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(final)
    try:
        yield tmp
        with tmp.open("rb+") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(final: Path, data: bytes, mode: int | None = None) -> None:
    with atomic_path(final, mode) as tmp:
        tmp.write_bytes(data)


def write_text(final: Path, text: str, mode: int | None = None) -> None:
    write_bytes(final, text.encode("utf-8"), mode)


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
