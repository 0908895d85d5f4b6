"""`station backup` and `station restore`: everything a station cannot make again, in one archive, and back.

In an archive: station.toml, the content folder (recordings, sidecars,
corrections, resources, the stream's own sound), scheduler/, the station's own
templates (`[site] templates`) and records/ — withdrawals, GUIDs and slugs, and
the desk's accounts and who looks after which episode. Not site/ (a build
makes it again) nor .station/ (a cache). The desk's database is copied with
SQLite's own backup, so an archive made while the desk runs is consistent.

The archive is a .tar.gz readable only by its owner: it holds the desk's
password hashes and the presenters' recordings. Its manifest lists every file
with its sha256, and restore checks each one before anything is put in place.
Restore writes into a folder that holds no station yet; `replace=True` lets it
overwrite one, file by file, leaving anything the archive does not hold.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from station.config import CONFIG_NAME, RECORDS_DIR, Config
from station.errors import BackupError
from station.files import PRIVATE_FILE_MODE, TMP_PREFIX, atomic_path, private_dir, sha256_file

MANIFEST = "peerwave-backup.json"
FORMAT = 1
SCHEDULER = "scheduler"


@dataclass
class Summary:
    archive: Path
    files: int = 0
    bytes: int = 0
    parts: dict[str, int] = field(default_factory=dict)  # top-level folder → how many files
    kept: list[str] = field(default_factory=list)  # restore: files already there and left as they were


def parts(config: Config) -> list[str]:
    """The station's own folders and files, relative to its root, that a backup holds (those that exist)."""
    wanted = [CONFIG_NAME, config.settings.build.content_dir, SCHEDULER, config.settings.site.templates, RECORDS_DIR]
    art = config.settings.station.artwork
    if art and not (config.root / art).resolve().is_relative_to(config.content_dir.resolve()):
        wanted.append(art)
    seen: list[str] = []
    for rel in wanted:
        rel = Path(rel).as_posix().strip("/")
        if rel and rel not in seen and (config.root / rel).exists():
            seen.append(rel)
    return seen


def _files(config: Config) -> list[tuple[str, Path]]:
    found = []
    for part in parts(config):
        top = config.root / part
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in paths:
            if path.name.startswith(TMP_PREFIX) or path.name == ".lock" or path.is_symlink():
                continue
            found.append((path.relative_to(config.root).as_posix(), path))
    return found


def backup(config: Config, archive: Path, now: datetime) -> Summary:
    if any(archive.resolve().is_relative_to((config.root / p).resolve()) for p in parts(config)):
        raise BackupError(
            f"{archive} is inside the station's own folders, so it would hold itself — "
            "write it somewhere else (another disk is best)"
        )
    summary = Summary(archive)
    files: dict[str, str] = {}  # path in the archive → its SHA-256
    manifest = {"format": FORMAT, "station": config.settings.station.name, "made_at": now.isoformat(), "files": files}
    with (
        tempfile.TemporaryDirectory(prefix="peerwave-backup-") as scratch,
        atomic_path(archive, PRIVATE_FILE_MODE) as tmp,
        tarfile.open(tmp, "w:gz") as tar,
    ):
        for rel, path in _files(config):
            source = path
            if path.suffix == ".sqlite":  # a consistent copy, even while the desk writes to it
                source = Path(scratch) / hashlib.sha256(rel.encode()).hexdigest()
                _sqlite_copy(path, source)
            digest = sha256_file(source)
            info = tar.gettarinfo(str(source), arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with source.open("rb") as f:
                tar.addfile(info, f)
            files[rel] = digest
            summary.files += 1
            summary.bytes += info.size
            top = rel.split("/", 1)[0]
            summary.parts[top] = summary.parts.get(top, 0) + 1
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())
        tar.addfile(info, io.BytesIO(data))
    return summary


def restore(archive: Path, root: Path, replace: bool = False) -> Summary:
    """Put an archive's station into `root`; every file is checked against the manifest first."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist — give the path of an archive made by `station backup`")
    if (root / CONFIG_NAME).exists() and not replace:
        raise BackupError(
            f"{root} already holds a station ({CONFIG_NAME} is there) — restore into an empty "
            "folder, or add --replace to overwrite its files with the archive's"
        )
    summary = Summary(archive)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}restore-", dir=root) as scratch:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                manifest = _manifest(tar, archive)
                names = {m.name for m in tar.getmembers() if m.isfile()} - {MANIFEST}
                if names != set(manifest["files"]):
                    raise BackupError(
                        f"{archive} does not match its own list of files — it is not a whole backup; use another copy"
                    )
                # The "data" filter refuses absolute paths, `..`, links out of the folder and device files.
                tar.extractall(scratch, members=[m for m in tar.getmembers() if m.name in names], filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(
                f"{archive} cannot be read as a station backup ({exc}) — it may be damaged or "
                "cut short; use another copy"
            ) from None
        for rel, digest in sorted(manifest["files"].items()):
            if sha256_file(Path(scratch) / rel) != digest:
                raise BackupError(
                    f"{rel} in {archive} is not the file that was backed up (its checksum "
                    "differs) — nothing was restored; use another copy"
                )
        for rel in sorted(manifest["files"]):
            dest = root / rel
            if rel.startswith(f"{RECORDS_DIR}/"):
                private_dir(dest.parent)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists() and not replace:
                summary.kept.append(rel)
                continue
            os.replace(Path(scratch) / rel, dest)
            if rel.startswith(f"{RECORDS_DIR}/"):
                dest.chmod(PRIVATE_FILE_MODE)
            summary.files += 1
            summary.bytes += dest.stat().st_size
            top = rel.split("/", 1)[0]
            summary.parts[top] = summary.parts.get(top, 0) + 1
    return summary


def _manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile(tar.getmember(MANIFEST))
        if member is None:  # not a file but a folder or a link
            raise ValueError
        manifest: dict[str, Any] = json.loads(member.read())
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
            raise ValueError
    except (KeyError, ValueError, AttributeError):
        raise BackupError(
            f"{archive} is not an archive made by `station backup` (it has no readable "
            f"{MANIFEST}) — give the path of one that is"
        ) from None
    for rel in manifest["files"]:
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise BackupError(
                f"{archive} names a file outside the station ({rel}) — it was not made by "
                "`station backup`; nothing was restored"
            )
    return manifest


def _sqlite_copy(path: Path, dest: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def default_name(now: datetime) -> Path:
    return Path(f"peerwave-backup-{now:%Y%m%d-%H%M%S}.tar.gz")
