"""The only module that imports dask and distributed: a client for a Dask cluster, and a worker's view of it.

Dask does the scheduling: futures, `as_completed`, retries, resources, and
running a lost worker's tasks again elsewhere. The station only submits one
task per episode and listens. Imported only when a build has work for a
cluster (`[compute] scheduler`): distributed takes a second to load.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import distributed

from station.errors import ComputeError

Client = Any  # distributed.Client: its methods are untyped


def connect(address: str, timeout_s: float) -> Client:
    """A client of the scheduler at `address`, with at least one worker; ComputeError (in plain words) if not."""
    # Dask says what it retries at WARNING; the station says what matters itself.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    try:
        client: Client = distributed.Client(  # type: ignore[no-untyped-call]
            address, timeout=f"{timeout_s}s", set_as_default=False
        )
    except (OSError, TimeoutError) as exc:
        raise ComputeError(
            f"the Dask scheduler at {address} cannot be reached ({type(exc).__name__}: "
            f"{str(exc) or 'no answer'}) — check that it is running (`dask scheduler`), that this machine "
            "can reach that address and port (a firewall?), and that `[compute] scheduler` or "
            '`--scheduler` names it; or set `[compute] fallback = "local"` to build here when it cannot be reached'
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except (OSError, TimeoutError):
        client.close()
        raise ComputeError(
            f"the Dask scheduler at {address} has no workers (none joined within {timeout_s:g} s) — start "
            f"some with `dask worker {address}` (docs/scale.md)"
        ) from None
    return client


def dashboard(client: Client) -> str | None:
    link = client.dashboard_link
    return str(link) if link else None


def slots_asked(client: Client) -> dict[str, float] | None:
    """Resources each task asks for: one `audio` where the workers declare that resource, else nothing."""
    workers = client.scheduler_info().get("workers", {}).values()
    if any("audio" in (w.get("resources") or {}) for w in workers):
        return {"audio": 1}
    return None


def slots_by_host(client: Client) -> dict[str, int]:
    """Tasks run at once on each host, counting every worker there: several workers on one machine share its
    cores, so each task's share of them (Whisper's threads) is the machine's cores ÷ this."""
    found: dict[str, int] = {}
    for w in client.scheduler_info().get("workers", {}).values():
        audio = (w.get("resources") or {}).get("audio")
        found[w["host"]] = found.get(w["host"], 0) + max(1, int(audio) if audio else int(w["nthreads"]))
    return found


def submit(
    client: Client,
    fn: Callable[..., Any],
    *args: Any,
    key: str,
    retries: int,
    resources: dict[str, float] | None,
) -> Any:  # a distributed.Future
    return client.submit(fn, *args, key=key, retries=retries, resources=resources, pure=False)


def completed(client: Client, futures: list[Any]) -> Iterator[Any]:
    """The futures, each as it finishes (Dask's as_completed, on this client's loop: it is no default client)."""
    return iter(distributed.as_completed(futures, loop=client.loop))  # type: ignore[no-untyped-call]


def listen(client: Client, topic: str, handler: Callable[[dict[str, Any]], None]) -> None:
    """Call `handler` with each message workers `tell` on `topic` (Dask's structured events)."""
    client.subscribe_topic(topic, lambda event: handler(event[1]))


@dataclass(frozen=True)
class Here:
    """What a task running on a Dask worker knows of where it runs."""

    slots: int  # tasks this worker runs at once: its `audio` resource, or its threads
    host: str
    local_directory: Path
    key: str  # the running task's key


def here() -> Here | None:
    """Where this task runs, when it runs on a Dask worker; None elsewhere."""
    try:
        worker = distributed.get_worker()
    except ValueError:
        return None
    audio = worker.state.total_resources.get("audio")
    slots = int(audio) if audio else worker.state.nthreads
    host = worker.address.split("://", 1)[-1].rsplit(":", 1)[0]
    return Here(max(1, slots), host, Path(worker.local_directory), str(worker.get_current_task()))


def tell(topic: str, message: dict[str, Any]) -> None:
    """Send `message` to every client listening on `topic` (from inside a task on a worker)."""
    try:
        distributed.get_worker().log_event(topic, {**message, "pid": os.getpid()})
    except Exception:  # progress is for the watcher: it never fails the work
        logging.getLogger(__name__).debug("progress not told", exc_info=True)
