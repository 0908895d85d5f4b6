"""Content hashes and atomic writes: the only ways the pipeline touches disk.

Every output is written to a temporary name in its final folder and renamed
into place, so a reader (or a build killed half-way) never sees half a file.
Temporary names start with `.tmp-`; `sweep()` clears any a killed build left.

Privacy is decided here too, by place, so no caller can forget it: anything
written inside a station's private folders (`.station/`, `records/`: the
state and job databases, the cache with its unredacted audio, the stream's
library and nights, logs, uploads being received) is created readable by
the station's own user only — folders 0700, files 0600 — whatever the umask.
Everything else (site/ above all) keeps the umask's modes, world-readable as
a web server needs.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
import threading
from collections.abc import Iterator
from io import TextIOWrapper
from pathlib import Path
from typing import TYPE_CHECKING

from station.errors import DiskFull

if TYPE_CHECKING:
    from logging import Handler

TMP_PREFIX = ".tmp-"
PRIVATE_DIR_MODE = 0o700  # .station/ and records/: nobody else on the machine reads them
PRIVATE_FILE_MODE = 0o600
# A station's private folders, beside its station.toml: config.STATE_DIR and config.RECORDS_DIR (a test keeps
# them equal; config imports nothing from here, and this module must not import config).
PRIVATE_FOLDERS = (".station", "records")
STATION_FILE = "station.toml"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(value: object) -> str:
    """The hash of settings or metadata: the same values give the same key."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def temp_name(final: Path) -> Path:
    """A temporary name beside `final`, unique to this process, thread and call: two saves at once never meet."""
    return final.with_name(f"{TMP_PREFIX}{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}-{final.name}")


def private_root(path: Path) -> Path | None:
    """The station's private folder (`.station/` or `records/`) that `path` is or lies in; None if none."""
    path = Path(os.path.abspath(path))
    for folder in (path, *path.parents):
        if folder.name in PRIVATE_FOLDERS and (folder.parent / STATION_FILE).is_file():
            return folder
    return None


def private_dir(folder: Path) -> Path:
    """Make `folder` (and any missing parents) readable by this user only, and return it.

    Each missing folder is made 0700 itself (pathlib's `mkdir(parents=True)` would make the parents with
    the umask's mode); an existing `folder` is made 0700, and so is the private folder it lies in, so a
    station made before folders were private is put right the first time anything is written there."""
    missing = []
    here = Path(folder)
    while not here.is_dir():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):
            part.mkdir(mode=PRIVATE_DIR_MODE)
    for each in {Path(folder), private_root(folder) or Path(folder)}:
        if stat.S_IMODE(each.stat().st_mode) != PRIVATE_DIR_MODE:
            each.chmod(PRIVATE_DIR_MODE)
    return Path(folder)


def private_file(path: Path) -> Path:
    """Make sure `path` exists and is readable by this user only (0600), its folder private; return it.

    For files that something else opens by name (SQLite, a log): SQLite gives its -journal and -wal files
    the mode of the database file, so making the database 0600 before the first connection covers them."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE_MODE))
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE_MODE:
        path.chmod(PRIVATE_FILE_MODE)
    return path


def private_log(path: Path, max_bytes: int = 5_000_000, backups: int = 5) -> Handler:
    """A rotating log handler whose files (the current one and each rotated) are 0600 in a 0700 folder."""
    from logging.handlers import RotatingFileHandler

    class PrivateLog(RotatingFileHandler):
        def _open(self) -> TextIOWrapper:
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
            os.fchmod(fd, PRIVATE_FILE_MODE)
            # "a" is what self.mode always is here (no other mode is passed, and rotating forces it).
            return open(fd, "a", encoding=self.encoding, errors=self.errors)

    private_dir(path.parent)
    return PrivateLog(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")


def make_parent(final: Path) -> bool:
    """Make the folder `final` goes in; True when it is private (then made 0700 like private_dir)."""
    if private_root(final) is not None:
        private_dir(final.parent)
        return True
    final.parent.mkdir(parents=True, exist_ok=True)
    return False


# What a write meets when the disk is full: the error numbers, and the words of tools that only say so in text
# (ffmpeg's log, SQLite's "database or disk is full").
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
DISK_FULL_WORDS = ("No space left on device", "Disk quota exceeded", "database or disk is full")


def disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether `exc`, raised while writing into `folder`, is the disk being full."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    if any(words in str(exc) for words in DISK_FULL_WORDS):
        return True
    while not folder.is_dir() and folder.parent != folder:
        folder = folder.parent
    try:  # a tool that failed without saying why, on a disk with no room left
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


@contextlib.contextmanager
def atomic_path(final: Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success it replaces `final` (with `mode`, when given).

    Inside a station's private folders the mode is always 0600 (see the module's docstring). When the disk
    is full, DiskFull is raised (naming the folder) and `final` is left exactly as it was."""
    tmp = temp_name(final)
    try:
        if make_parent(final):
            mode = PRIVATE_FILE_MODE
        yield tmp
        with tmp.open("rb+") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except Exception as exc:
        if not isinstance(exc, DiskFull) and disk_full(exc, final.parent):
            raise DiskFull(final.parent) from exc
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(final: Path, data: bytes, mode: int | None = None) -> None:
    with atomic_path(final, mode) as tmp:
        tmp.write_bytes(data)


def write_text(final: Path, text: str, mode: int | None = None) -> None:
    write_bytes(final, text.encode("utf-8"), mode)


def sweep(folder: Path) -> int:
    """Remove temporary files (and folders) a killed run left behind; return how many.

    Only those of processes that have ended: a temporary name starts with the writer's process id, so a
    build sweeping `.station/` or `records/` never pulls a file from under the desk saving at that moment."""
    if not folder.is_dir():
        return 0
    count = 0
    for path in sorted(folder.rglob(f"{TMP_PREFIX}*"), key=lambda p: len(p.parts)):
        if _writer_alive(path.name):
            continue
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            count += 1
    return count


def _writer_alive(name: str) -> bool:
    pid = name[len(TMP_PREFIX) :].split("-", 1)[0]
    if not pid.isascii() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True  # this process's own write in progress (another thread of the desk, say)
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError, ValueError):  # ended, or a number that is no process id
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_empty_dirs(folder: Path) -> None:
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            path.rmdir()
