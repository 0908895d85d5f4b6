"""`station publish`: site/ to an S3-compatible bucket, changed files only, feeds last.

The order is what keeps listeners safe from half a publish: media (audio,
transcripts, artwork, stylesheets) go up first, then pages and the search
index, then the feeds; only when every new file is in place is anything the
site no longer has deleted — pages first, media last. A feed in the bucket
therefore never names a file that is not there yet, and a run stopped at any
point leaves a site that works. Running it again finishes the job: what to do
is worked out afresh from the bucket's own listing each time.

Text goes up gzip-encoded (`Content-Encoding: gzip`), feeds excepted
(encoding.py says which and why); the gzip bytes are the same every time.
Unchanged is decided by content: the bucket's ETag against the MD5 of what a
single-part upload sends (the file, or its gzip bytes), or, for files sent in
parts, against what this station last uploaded (the `published` table of the
ledger). Credentials come only from
the standard AWS environment variables or a named profile; botocore retries
throttling, 5xx answers and dropped connections with backoff.

Only what is really inside site/ goes up. The build never makes a link there,
so a link someone left (to /etc/passwd, to content/ with its unpublished
recordings, to a folder anywhere) is skipped and named: a bucket is public,
and following a link out of site/ would publish whatever it points at.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from station.build.ledger import Ledger
from station.config import S3_PART_MB, Config, PublishSettings
from station.errors import Problem, PublishError, Severity
from station.files import TMP_PREFIX, sha256_file
from station.web.encoding import gzipped, publish_gzipped
from station.web.security import content_type

# Names made from their content never change: they can be cached for a year.
IMMUTABLE = ("static/", "artwork/", "search/words/")
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
# Audio keeps its name when it is re-tagged, and a withdrawn episode must leave caches soon.
CACHE_MEDIA = "public, max-age=3600"
CACHE_PAGES = "public, max-age=300"  # pages, feeds, the search index: news shows within minutes
GZIP_TAG = "gzip:"


@dataclass(frozen=True)
class Upload:
    rel: str  # path inside site/
    key: str  # object key in the bucket
    size: int  # of what goes up: the gzip bytes when `gzip`
    sha256: str  # of the file in site/
    why: str  # new | changed
    gzip: bool = False  # sent gzip-encoded (encoding.py: text, and not a feed)

    @property
    def tag(self) -> str:
        return published_tag(self.rel, self.sha256)

    @property
    def phase(self) -> int:
        """0 media, 1 pages, 2 feeds: the order they go up in."""
        if self.rel.endswith(".xml"):
            return 2
        if self.rel.endswith(".html") or self.rel == "search.json":
            return 1
        return 0


@dataclass
class Plan:
    uploads: list[Upload] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # object keys, in the order they go
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)  # links in site/ that were not followed

    @property
    def upload_bytes(self) -> int:
        return sum(u.size for u in self.uploads)


def published_tag(rel: str, sha256: str) -> str:
    """What the ledger keeps of an object this station put up: the file's sha256, marked when the file goes up
    as encoding.py decides (gzip where it saves bytes), so an object sent plain by an older station is sent
    again, compressed."""
    return f"{GZIP_TAG}{sha256}" if publish_gzipped(rel) else sha256


def body_of(rel: str, path: Path) -> bytes | None:
    """The gzip bytes that go up for this file, or None when it goes up as it is."""
    if not publish_gzipped(rel):
        return None
    return gzipped(path.read_bytes())


def cache_control(rel: str) -> str:
    if rel.startswith(IMMUTABLE):
        return CACHE_IMMUTABLE
    if rel.startswith("media/"):
        return CACHE_MEDIA
    return CACHE_PAGES


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def etag_of(path: Path, etag: str) -> str | None:
    """The ETag S3 gives this file as `run` uploads it, worked out here; None when it cannot be known.

    One request: the MD5 of the bytes. In parts (`S3_PART_MB` each): the MD5 of the parts' MD5s, "-" and the
    number of parts. A listed ETag with another number of parts was sent some other way: sent again."""
    if "-" not in etag:
        return _md5(path)
    size, part = path.stat().st_size, S3_PART_MB << 20
    parts = -(-size // part)
    if etag.rsplit("-", 1)[1] != str(parts):
        return None
    digests = b""
    with path.open("rb") as f:
        for _ in range(parts):
            digest = hashlib.md5(usedforsecurity=False)
            left = part
            while left and (block := f.read(min(1 << 20, left))):
                digest.update(block)
                left -= len(block)
            digests += digest.digest()
    return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{parts}"


LIVE = "live/"  # the stream's HLS: rewritten every few seconds while on air, served from where it is made


def local_files(site: Path, skipped: list[Problem] | None = None, label: str = "site") -> dict[str, Path]:
    """site/'s files to publish, by their path inside it: no temporary file, nothing of live/, and nothing
    that is not really in site/. A link to a file inside site/ is published as that file; a link that leads
    out of it, or to a folder (walking links invites loops), is left out and named in `skipped`."""
    found: dict[str, Path] = {}
    if not site.is_dir():
        return found
    root = site.resolve()
    for folder, dirs, names in os.walk(site, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                _skip(skipped, f"{label}/{(here / name).relative_to(site).as_posix()}", "is a link to a folder")
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            rel = path.relative_to(site).as_posix()
            if name.startswith(TMP_PREFIX) or rel.startswith(LIVE):
                continue
            if path.is_symlink() and real_path_inside(root, path) is None:
                _skip(skipped, f"{label}/{rel}", f"is a link to something outside {label}/")
                continue
            if path.is_file():  # a FIFO or a socket is not a file: opening one would wait for ever
                found[rel] = path
    return dict(sorted(found.items()))


def real_path_inside(root: Path, path: Path) -> Path | None:
    """Where `path` really is, every link followed, when that is under `root` (already resolved); else None."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link, a loop
        return None
    return real if root in real.parents else None


def _skip(skipped: list[Problem] | None, where: str, what: str) -> None:
    if skipped is not None:
        skipped.append(
            Problem(
                where,
                f"this {what}, so it was not published",
                "put the file itself there if it is meant to be public, or remove the link",
                Severity.WARNING,
            )
        )


def settings_of(config: Config) -> PublishSettings:
    """The [publish] table; every caller has already told a station without one what to add."""
    if config.settings.publish is None:
        raise PublishError(
            "Publishing is not set up: add a [publish] table with `bucket` to station.toml (docs/station-toml.md)."
        )
    return config.settings.publish


def remote_objects(s3, settings: PublishSettings) -> dict[str, tuple[str, int]]:
    """key → (ETag without quotes, size) for everything under the prefix."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket, Prefix=settings.prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = (obj["ETag"].strip('"'), obj["Size"])
    return found


def plan(config: Config, ledger: Ledger, remote: dict[str, tuple[str, int]]) -> Plan:
    settings = settings_of(config)
    known = ledger.published()
    result = Plan()
    local = local_files(config.site_dir, result.skipped, config.rel(config.site_dir))
    wanted = set()
    with ledger.batch():  # the hashes and the ETags it confirms: one commit, not one a file
        for rel, path in local.items():
            _decide(settings, ledger, known, remote, rel, path, result)
            wanted.add(settings.prefix + rel)
    result.uploads.sort(key=lambda u: (u.phase, u.rel))
    # live/ belongs to the stream ([stream] hls_publish uploads it as it is made): never deleted here.
    gone = [k for k in remote if k not in wanted and not k.startswith(settings.prefix + LIVE)]
    # Feeds and pages leave first, so nothing still published points at media already gone.
    phase = {k: Upload(k[len(settings.prefix) :], k, 0, "", "").phase for k in gone}
    result.deletes = sorted(gone, key=lambda k: (-phase[k], k))
    return result


def _decide(
    settings: PublishSettings,
    ledger: Ledger,
    known: dict[str, tuple[str, str, int]],
    remote: dict[str, tuple[str, int]],
    rel: str,
    path: Path,
    result: Plan,
) -> None:
    """Unchanged (counted), or an upload (added to the plan)."""
    key = settings.prefix + rel
    there = remote.get(key)
    if there is None and key not in known:
        # New to the bucket: nothing to compare, so its SHA-256 is made as it goes up (`_upload_all` reads it
        # then anyway), rather than in one pass over the whole site first.
        result.uploads.append(Upload(rel, key, path.stat().st_size, "", "new", gzip=publish_gzipped(rel)))
        return
    sha = ledger.sha256(path)
    tag = published_tag(rel, sha)
    if there and known.get(key) == (tag, *there):  # what this station put there, from this very content
        result.unchanged += 1
        return
    body = body_of(rel, path)  # gzip bytes are the same every time: compared like a plain file's
    size = len(body) if body is not None else path.stat().st_size
    if there and there[1] == size:
        etag = there[0]
        # No record here (a fresh machine), or an older one: the bucket's ETag says it.
        if etag == (hashlib.md5(body, usedforsecurity=False).hexdigest() if body is not None else etag_of(path, etag)):
            # Remembered, so the next publish from this machine need not read the file again.
            ledger.record_published(key, tag, etag, size)
            result.unchanged += 1
            return
    result.uploads.append(Upload(rel, key, size, sha, "changed" if there else "new", gzip=body is not None))


def run(
    config: Config,
    ledger: Ledger,
    the_plan: Plan,
    s3,
    progress: Callable[[int], None] | None = None,
    said: Callable[[str], None] | None = None,
) -> None:
    """Carry out the plan: uploads in order, then deletes. Stops at the first request that keeps failing."""
    from station.tools.s3 import BotoCoreError, ClientError

    settings = settings_of(config)
    with ledger.batch():  # committed every few seconds (`KEEP_S`), and at the end however it ends
        _upload_all(config, settings, ledger, the_plan, s3, progress, said)
    for key in the_plan.deletes:
        try:
            s3.delete_object(Bucket=settings.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise PublishError(
                f"deleting {key} kept failing ({_reason(exc)}); every new file is in place — "
                "run `station publish` again to finish the clean-up"
            ) from exc
        ledger.forget_published(key)
        if said:
            said(f"deleted {key}")


# What went up is committed to the ledger this often, not after every file (a commit is an fsync): a crash
# loses at most these last records, and the next publish finds those files by their ETags instead.
KEEP_S = 2.0


def _upload_all(
    config: Config,
    settings: PublishSettings,
    ledger: Ledger,
    the_plan: Plan,
    s3,
    progress: Callable[[int], None] | None,
    said: Callable[[str], None] | None,
) -> None:
    from station.tools.s3 import BotoCoreError, ClientError
    from station.tools.s3 import transfer as transfer_config

    transfer = transfer_config(settings)
    site = config.site_dir
    root = site.resolve()
    saved = time.monotonic()
    for done, up in enumerate(the_plan.uploads):
        try:
            got = _prepare(up, site / up.rel, root)
        except OSError as exc:
            raise PublishError(
                f"site/{up.rel} could not be read ({exc.strerror}); {done} of {len(the_plan.uploads)} "
                "files went up and nothing was deleted — run `station build`, then `station publish` again"
            ) from exc
        if got.real is None:  # made into a link out of site/ since the plan was made
            raise PublishError(
                f"site/{up.rel} changed into a link out of site/ while publishing, so it was not "
                f"uploaded; {done} of {len(the_plan.uploads)} files went up and nothing was deleted "
                "— remove the link and run `station publish` again"
            )
        if not up.sha256:
            assert got.stat is not None
            ledger.remember_sha256(got.real, got.stat, got.sha256)
            up = replace(up, sha256=got.sha256)
        try:
            up, etag = _send(s3, settings.bucket, up, got, site / up.rel, transfer, progress)
        except (BotoCoreError, ClientError, OSError) as exc:
            where = {
                0: "before any page or feed changed",
                1: "before any feed changed",
                2: "while the feeds were going up",
            }[up.phase]
            raise PublishError(
                f"uploading {up.rel} kept failing ({_reason(exc)}); {done} of "
                f"{len(the_plan.uploads)} files went up, {where}, and nothing was deleted — "
                "the site works as it is; run `station publish` again to finish"
            ) from exc
        ledger.record_published(up.key, up.tag, etag.strip('"'), up.size)
        if time.monotonic() - saved > KEEP_S:
            ledger.commit()
            saved = time.monotonic()
        if said:
            said(f"uploaded {up.rel}")


@dataclass(frozen=True)
class _Ready:
    """What an upload needs from the file itself, read just before it goes up.

    In the same thread as the upload: a thread reading and compressing ahead (tried until 2026-12-07) made
    the first publish slower on two cores, 1.24× a put_object loop against 1.16× without it, because it
    took the core that the client and the endpoint hand each request between (bench/README.md, fifth pass)."""

    real: Path | None  # where the file really is (links followed); None when that is not inside site/
    sha256: str
    stat: os.stat_result | None  # size and times before the file was read, when its SHA-256 was made here
    packed: bytes | None  # the gzip bytes that go up, for a file sent gzip-encoded


def _prepare(up: Upload, path: Path, root: Path) -> _Ready:
    # Resolved here, once (a stat of each folder on the way): the plan checked it, and this is the check
    # that a file did not become a link out of site/ since, just before it is read.
    real = real_path_inside(root, path)
    if real is None:  # _upload_all says so; nothing from outside site/ is read
        return _Ready(None, up.sha256, None, None)
    st = None if up.sha256 else path.stat()
    if up.gzip:
        data = path.read_bytes()  # text: read once, for both
        sha = up.sha256 or hashlib.sha256(data).hexdigest()
        return _Ready(real, sha, st, gzipped(data))
    return _Ready(real, up.sha256 or sha256_file(path), st, None)


def _send(
    s3, bucket: str, up: Upload, got: _Ready, path: Path, transfer, progress: Callable[[int], None] | None
) -> tuple[Upload, str]:
    """Put one file in the bucket: text in one request, gzip-encoded; other files in one request, or in parts
    from `multipart_mb` up. The upload as it went (its object's size) and the ETag S3 gave it."""
    extra = {
        "ContentType": content_type(path),
        "CacheControl": cache_control(up.rel),
        "Metadata": {"sha256": up.sha256},
    }
    if got.packed is not None:
        extra["ContentEncoding"] = "gzip"
        etag = s3.put_object(Bucket=bucket, Key=up.key, Body=got.packed, **extra)["ETag"]
        if progress:
            progress(up.size)
        return replace(up, size=len(got.packed)), etag  # the object's size, which the next plan compares
    if up.size < transfer.multipart_threshold:
        with path.open("rb") as body:
            etag = s3.put_object(Bucket=bucket, Key=up.key, Body=body, **extra)["ETag"]
        if progress:
            progress(up.size)
        return up, etag
    s3.upload_file(str(path), bucket, up.key, ExtraArgs=extra, Config=transfer, Callback=progress)
    return up, s3.head_object(Bucket=bucket, Key=up.key)["ETag"]


def _reason(exc: BaseException) -> str:
    from station.tools.s3 import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return "no credentials"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return str(exc)


def connect(config: Config):
    """A client and the bucket's listing, or a PublishError that says what to do."""
    from station.tools.s3 import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound, client

    settings = settings_of(config)
    try:
        s3 = client(settings)
        return s3, remote_objects(s3, settings)
    except ProfileNotFound:
        raise PublishError(
            f"the AWS profile “{settings.profile}” is not set up on this machine — add it to "
            "~/.aws/credentials, or remove `profile` and use the AWS_* environment variables"
        ) from None
    except NoCredentialsError:
        raise PublishError(
            "there are no credentials for the bucket — set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment; they never go in "
            "station.toml"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            raise PublishError(
                f"the bucket “{settings.bucket}” does not exist at this endpoint — create it, or "
                "check `bucket` and `endpoint_url` in [publish]"
            ) from None
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise PublishError(
                f"the bucket refused these credentials ({code}) — check them, and that they may "
                "list, write and delete in the bucket"
            ) from None
        raise PublishError(f"the bucket could not be listed ({_reason(exc)})") from None
    except BotoCoreError as exc:
        raise PublishError(
            f"the storage endpoint could not be reached ({exc}) — check `endpoint_url` and the "
            "network, then run `station publish` again"
        ) from None
