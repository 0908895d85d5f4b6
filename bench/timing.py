"""Shared by the benchmarks: time the calls a stage makes, by name, without changing station/."""

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

    for (obj, attr, name), (_, _, fn) in zip(targets, originals):
        setattr(obj, attr, timed(name, fn))
    try:
        yield phases
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)
