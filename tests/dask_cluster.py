"""A real Dask cluster on loopback for tests and the benchmark: `dask scheduler` and `dask worker` as processes.

Each worker runs in a folder of its own (its working directory and Dask's
local directory), so the workers and the station share nothing but the
artefact store. Workers have no nanny: a worker killed stays dead, and its
tasks must run again on another.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import distributed

from tests.s3 import free_port

DASK = str(Path(sys.executable).parent / "dask")


@dataclass
class Cluster:
    address: str
    workers: list[subprocess.Popen] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def client(self) -> distributed.Client:
        return distributed.Client(self.address, timeout="30s", set_as_default=False)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def cluster(folder: Path, workers: int = 2, env: dict[str, str] | None = None, nthreads: int = 1) -> Iterator[Cluster]:
    """A scheduler and `workers` workers (one task at a time each, unless `nthreads`), all on 127.0.0.1."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environ = {**os.environ, **(env or {}), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    logs = []
    scheduler = subprocess.Popen(
        [
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            f"127.0.0.1:{free_port()}",
        ],
        cwd=folder,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=(log := (folder / "scheduler.log").open("wb")),
    )
    logs.append(log)
    found = Cluster(f"tcp://127.0.0.1:{port}")
    try:
        for i in range(workers):
            own = folder / f"worker-{i}"
            own.mkdir()
            found.folders.append(own)
            found.workers.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        found.address,
                        "--name",
                        f"worker-{i}",
                        "--nthreads",
                        str(nthreads),
                        "--no-nanny",
                        "--local-directory",
                        str(own),
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    cwd=own,
                    env=environ,
                    stdout=subprocess.DEVNULL,
                    stderr=(log := (own / "worker.log").open("wb")),
                )
            )
            logs.append(log)
        deadline = time.monotonic() + 60
        with found.client() as client:
            while len(client.scheduler_info()["workers"]) < workers:
                assert time.monotonic() < deadline, "the Dask workers did not join the scheduler"
                time.sleep(0.2)
        yield found
    finally:
        for proc in [*found.workers, scheduler]:
            _stop(proc)
        for log in logs:
            log.close()
