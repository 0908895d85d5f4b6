"""HLS to the station's bucket as it is made (`[stream] hls_publish = true`), for listeners at scale.

Each finished segment goes up first, then the playlist that lists it, so a
player reading the bucket never finds a segment missing. Cache headers fit a
CDN in front of the bucket: a segment never changes once made (a year,
immutable); the playlist changes every segment (a few seconds, half a
segment, as Apple's HLS guidance asks). Segments that left the window are
deleted from the bucket as they are from the disk. `live/now.json` goes up
too, so the published site's listen control says what is on.

The keys are `[publish] prefix` + `live/`, beside the published site, so the
site's own links (`live/night.m3u8`, `live/now.json`) reach them; `station
publish` leaves `live/` alone.

A bucket that cannot be reached never holds up the stream: uploads wait in a
queue of their own, a failed one is logged, and the next playlist goes up
whole anyway.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path
from typing import Any

from station.config import HLS_PUBLISH_CLOSE_S, HLS_PUBLISH_QUEUE, HLS_SEGMENT_CACHE, PublishSettings, StreamSettings

log = logging.getLogger("station.stream")
LIVE = "live/"
TYPES = {".ts": "video/mp2t", ".m3u8": "application/vnd.apple.mpegurl", ".json": "application/json"}


class Publisher:
    def __init__(self, stream: StreamSettings, publish: PublishSettings, folder: Path):
        from station.tools import s3

        self.s3: Any = s3.client(publish)
        self.errors = (s3.BotoCoreError, s3.ClientError)
        self.bucket = publish.bucket
        self.prefix = publish.prefix + LIVE
        self.folder = folder
        self.short = f"public, max-age={max(1, stream.hls_segment_s // 2)}"
        self.jobs: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=HLS_PUBLISH_QUEUE)
        self.failures = 0
        self.uploaded: list[str] = []  # names, in the order they went up (for the log and the tests)
        self.thread = threading.Thread(target=self._work, name="hls-publish", daemon=True)
        self.thread.start()

    def put(self, name: str) -> None:
        self._queue(("put", name))

    def delete(self, name: str) -> None:
        self._queue(("delete", name))

    def close(self) -> None:
        try:
            self.jobs.put(None, timeout=HLS_PUBLISH_CLOSE_S)
        except queue.Full:
            return
        self.thread.join(timeout=HLS_PUBLISH_CLOSE_S)

    def _queue(self, job: tuple[str, str]) -> None:
        try:
            self.jobs.put_nowait(job)
        except queue.Full:  # the bucket is far behind: this one is lost, the next playlist catches up
            self.failures += 1

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            what, name = job
            try:
                if what == "delete":
                    self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + name)
                    continue
                path = self.folder / name
                try:
                    body = path.read_bytes()
                except FileNotFoundError:  # gone from the window before it went up
                    continue
                suffix = path.suffix
                self.s3.put_object(
                    Bucket=self.bucket,
                    Key=self.prefix + name,
                    Body=body,
                    ContentType=TYPES.get(suffix, "application/octet-stream"),
                    CacheControl=HLS_SEGMENT_CACHE if suffix == ".ts" else self.short,
                )
                self.uploaded.append(name)
            except self.errors as exc:
                self.failures += 1
                log.warning("HLS to the bucket: %s %s failed (%s); the stream goes on", what, name, exc)
