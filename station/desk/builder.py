"""Builds in the background after a change made at the desk, so a presenter sees it processed.

Requests made while a build runs are folded into one more build after it:
the pipeline is incremental, so the second build only does what changed.
The build lock (pipeline.build_lock) keeps this, `station build` and
`station run` from building at the same time.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from station.build import runner as pipeline
from station.config import Config

log = logging.getLogger("station.desk")


class Builder:
    def __init__(self, config: Config):
        self.config = config
        self.wanted = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, name="desk-builder", daemon=True)
        self.thread.start()

    def request(self) -> None:
        self.wanted.set()

    def stop(self) -> None:
        self.stopping = True
        self.wanted.set()
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            self.wanted.wait()
            if self.stopping:
                return
            self.wanted.clear()
            try:
                result = pipeline.build(self.config, now=datetime.now(UTC))
                log.info("built after a change at the desk: %d problem(s)", len(result.errors))
            except Exception:  # the desk goes on serving; the problems page shows the last build's report
                log.exception("the build after a change at the desk failed")
