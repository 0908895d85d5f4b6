"""Shared by the benchmarks: timing the calls a stage makes (without changing station/), and the machine line."""

from __future__ import annotations

import time
from contextlib import contextmanager


@contextmanager
def phase_timer(targets: list[tuple[object, str, str]]):
    """Wrap each `obj.attr` so its calls add to phases[name]; put them back afterwards."""
    phases: dict[str, float] = {}
    originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in targets]

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    for (obj, attr, name), (_, _, fn) in zip(targets, originals, strict=True):
        setattr(obj, attr, timed(name, fn))
    try:
        yield phases
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)


def machine(*packages: str) -> str:
    """One line saying what the figures were measured on, with the versions that matter."""
    import os
    import platform
    from datetime import date
    from importlib.metadata import version
    from pathlib import Path

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    libs = ", ".join(f"{p} {version(p)}" for p in packages)
    return (
        f"machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {libs}; {date.today().isoformat()}"
    )
