"""The artefact store: the one thing the station and its workers share.

Every input of a task (a recording, a show's intro, a normalised MP3 the
station already has) and every result (a normalised MP3, a machine
transcript's JSON) travels as a blob named by the sha256 of its bytes, so a
blob can never be half one thing and half another, and a worker never reads
the station's folder:

  a folder    `.station/cache/store/` by default (workers on this machine),
              or any folder every worker mounts at the same path
  a bucket    `s3://bucket/prefix` on any S3-compatible service, through
              station/tools/s3.py, for workers on other machines

The store is a go-between, not an archive: the runner removes every blob of a
build when the build is done (recordings are people's voices; the cache
keeps what the station needs), so it is always safe to empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from station.config import ComputeSettings, Config
from station.errors import DiskFull, StoreError
from station.files import PRIVATE_FILE_MODE, TMP_PREFIX, disk_full, make_parent, sha256_file

STORE_FOLDER = "store"  # inside the station's cache: the default store


@dataclass(frozen=True)
class StoreSpec:
    """How to reach a store: plain data, sent with every task so a worker can open the same one."""

    location: str  # an absolute folder, or s3://bucket/prefix
    endpoint_url: str | None = None
    region: str = "us-east-1"
    profile: str | None = None

    @staticmethod
    def of(config: Config) -> StoreSpec:
        c: ComputeSettings = config.settings.compute
        if not c.store:
            return StoreSpec(str(config.state_dir / "cache" / STORE_FOLDER))
        if c.store.startswith("s3://"):
            return StoreSpec(c.store.rstrip("/"), c.endpoint_url, c.region, c.profile)
        folder = Path(c.store).expanduser()
        return StoreSpec(str(folder if folder.is_absolute() else config.root / folder))

    def open(self) -> Store:
        return BucketStore(self) if self.location.startswith("s3://") else FolderStore(Path(self.location))


def clear_default(config: Config) -> None:
    """Empty the station's own store (`.station/cache/store/`) of what a killed build left in it. Called by a
    build holding the build lock, so nothing else is using it; a store elsewhere may be shared, and is left."""
    if not config.settings.compute.store:
        shutil.rmtree(config.state_dir / "cache" / STORE_FOLDER, ignore_errors=True)


class Store(Protocol):
    spec: StoreSpec

    def has(self, sha: str) -> bool: ...

    def put_file(self, path: Path, sha: str | None = None) -> str: ...

    def put_bytes(self, data: bytes) -> str: ...

    def fetch(self, sha: str, dest: Path) -> Path: ...

    def remove(self, shas: Iterable[str]) -> None: ...


def _refused(spec: StoreSpec, doing: str, why: str) -> StoreError:
    return StoreError(
        f"the artefact store {spec.location} refused to {doing} ({why}) — check that it exists and that the "
        "station and every worker may read and write it (`[compute] store`, docs/scale.md)"
    )


def _verified(path: Path, sha: str, spec: StoreSpec) -> Path:
    got = sha256_file(path)
    if got != sha:
        path.unlink(missing_ok=True)
        raise StoreError(
            f"the blob {sha[:12]}… in the artefact store {spec.location} is damaged (its bytes have sha256 "
            f"{got[:12]}…) — remove it from the store and build again"
        )
    return path


class FolderStore:
    def __init__(self, root: Path):
        self.root, self.spec = root, StoreSpec(str(root))

    def _blob(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        return self._blob(sha).is_file()

    def _place(self, sha: str, fill: Any) -> str:
        blob = self._blob(sha)
        if blob.is_file():
            return sha
        tmp = blob.with_name(f"{TMP_PREFIX}{os.getpid()}-{os.urandom(4).hex()}-{sha}")
        try:
            private = make_parent(blob)  # inside .station/ (the default), blobs are as private as the cache
            fill(tmp)
            if private:
                tmp.chmod(PRIVATE_FILE_MODE)
            os.replace(tmp, blob)  # whole or not at all: two writers of one blob write the same bytes
        except OSError as exc:
            if disk_full(exc, self.root):
                raise DiskFull(self.root) from exc
            raise _refused(self.spec, "take a file", exc.strerror or type(exc).__name__) from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return sha

    def put_file(self, path: Path, sha: str | None = None) -> str:
        return self._place(sha or sha256_file(path), lambda tmp: shutil.copyfile(path, tmp))

    def put_bytes(self, data: bytes) -> str:
        return self._place(hashlib.sha256(data).hexdigest(), lambda tmp: tmp.write_bytes(data))

    def fetch(self, sha: str, dest: Path) -> Path:
        blob = self._blob(sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            try:
                os.link(blob, dest)  # blobs are never changed in place, so a link is as good as a copy
            except OSError:
                shutil.copyfile(blob, dest)
        except FileNotFoundError:
            raise StoreError(
                f"the blob {sha[:12]}… is missing from the artefact store {self.spec.location} — "
                "something removed it during the build; build again"
            ) from None
        return dest

    def remove(self, shas: Iterable[str]) -> None:
        for sha in shas:
            with contextlib.suppress(OSError):
                self._blob(sha).unlink()
            with contextlib.suppress(OSError):
                self._blob(sha).parent.rmdir()  # only when empty


class BucketStore:
    """Blobs as objects `<prefix>/<sha256>` in an S3-compatible bucket (boto3 through tools/s3.py)."""

    def __init__(self, spec: StoreSpec):
        from station.config import PublishSettings
        from station.tools import s3

        self.spec, self.s3 = spec, s3
        rest = spec.location[len("s3://") :]
        self.bucket, _, prefix = rest.partition("/")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        settings = PublishSettings(
            bucket=self.bucket, endpoint_url=spec.endpoint_url, region=spec.region, profile=spec.profile
        )
        try:
            self.client = s3.client(settings)
        except s3.ProfileNotFound as exc:
            raise _refused(spec, "be opened", str(exc)) from None

    def _key(self, sha: str) -> str:
        return f"{self.prefix}{sha}"

    def _fail(self, exc: Exception, doing: str) -> StoreError:
        if isinstance(exc, self.s3.S3UploadFailedError) and isinstance(exc.__context__, self.s3.ClientError):
            exc = exc.__context__  # its own words name the file (a recording's name may be a person's)
        if isinstance(exc, self.s3.ClientError):
            error = exc.response.get("Error", {})
            return _refused(self.spec, doing, f"{error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": "))
        return _refused(self.spec, doing, str(exc))

    def has(self, sha: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha))
            return True
        except self.s3.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._fail(exc, "be read") from None
        except self.s3.BotoCoreError as exc:
            raise self._fail(exc, "be read") from None

    def put_file(self, path: Path, sha: str | None = None) -> str:
        sha = sha or sha256_file(path)
        if not self.has(sha):
            try:
                self.client.upload_file(str(path), self.bucket, self._key(sha))
            except (self.s3.ClientError, self.s3.BotoCoreError, self.s3.S3UploadFailedError) as exc:
                raise self._fail(exc, "take a file") from None
        return sha

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            try:
                self.client.put_object(Bucket=self.bucket, Key=self._key(sha), Body=data)
            except (self.s3.ClientError, self.s3.BotoCoreError) as exc:
                raise self._fail(exc, "take a file") from None
        return sha

    def fetch(self, sha: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, self._key(sha), str(dest))
        except (self.s3.ClientError, self.s3.BotoCoreError) as exc:
            raise self._fail(exc, "give a file back") from None
        return _verified(dest, sha, self.spec)

    def remove(self, shas: Iterable[str]) -> None:
        keys = [{"Key": self._key(s)} for s in sorted(set(shas))]
        for start in range(0, len(keys), 1000):
            with contextlib.suppress(self.s3.ClientError, self.s3.BotoCoreError):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys[start : start + 1000]})
